//! The planner against the proven optimum of an exact solver, on instances small enough for
//! it. The goal (DESIGN.md) is 1 %; measured (docs/BENCHMARKS.md, session 8) the planner is
//! at the optimum on half the instances, 1.0 % above it on average over twelve, with one
//! instance at 6.5 % (riders of two venues pooled on a third venue day: a chain of moves the
//! local search does not find). This test keeps that from getting worse: mean gap over
//! these eight at most 2 % (measured 1.2 %), no instance over 7 %, and the exact plan passes
//! the same checker.

mod common;

use common::exact::{small_instance, solve_exact};
use vax_planner::{objective, plan, verify, PlanOptions};

#[test]
fn the_planner_stays_near_the_optimum_on_small_instances() {
    let mut gaps = Vec::new();
    for seed in 1..=8 {
        let p = small_instance(seed, 2, 26, 14);
        let exact = solve_exact(&p);
        assert_eq!(
            verify(&p, &exact.schedule),
            vec![],
            "the exact plan keeps every rule"
        );
        let ours = plan(&p, &PlanOptions::default()).unwrap();
        assert_eq!(verify(&p, &ours), vec![]);
        let o = objective(&p, &ours).total;
        assert!(o + 1e-6 >= exact.objective, "nothing beats the optimum");
        let gap = (o - exact.objective) / exact.objective;
        assert!(
            gap <= 0.07,
            "seed {seed}: planner {o:.2} vs optimum {:.2}",
            exact.objective
        );
        gaps.push(gap);
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!(mean <= 0.02, "mean gap {:.2} %", mean * 100.0);
}
