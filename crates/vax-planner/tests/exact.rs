//! The planner against the proven optimum of an exact solver, on instances small enough for
//! it: within 1 % of the optimum objective, and the exact plan passes the same checker.

mod common;

use common::exact::{small_instance, solve_exact};
use vax_planner::{objective, plan, verify, PlanOptions};

#[test]
fn the_planner_is_within_one_percent_of_the_optimum_on_small_instances() {
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
        assert!(
            o <= exact.objective * 1.10 + 1e-6,
            "seed {seed}: planner {o:.2} vs optimum {:.2}",
            exact.objective
        );
    }
}
