//! The planner against the proven optimum of an exact solver, on instances small enough for
//! it. The goal (DESIGN.md) is 1 %; measured (docs/BENCHMARKS.md, session 10) the planner
//! reaches the optimum on all twelve bench instances since the ruin-and-exact-repair stage
//! (before: mean 1.0 %, worst 6.5 %, seed 2: riders of one venue pooled on another's days, a
//! chain of seven residents' moves the two-resident moves do not find). This test keeps it
//! there: no instance over 1 % (without that stage seeds 2, 3, 11 and 19 fail), mean at
//! most 0.1 %, and the exact plan passes the same checker.

mod common;

use common::exact::{small_instance, solve_exact};
use vax_planner::{objective, plan, verify, PlanOptions};

#[test]
fn the_planner_stays_near_the_optimum_on_small_instances() {
    let mut gaps = Vec::new();
    // Seed 19 is full: the optimum leaves one resident without a pair, the planner left two
    // before the repair could seat a waiting resident.
    for seed in (1..=12).chain([19]) {
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
            gap <= 0.01,
            "seed {seed}: planner {o:.2} vs optimum {:.2}",
            exact.objective
        );
        gaps.push(gap);
    }
    let mean = gaps.iter().sum::<f64>() / gaps.len() as f64;
    assert!(mean <= 0.001, "mean gap {:.2} %", mean * 100.0);
}
