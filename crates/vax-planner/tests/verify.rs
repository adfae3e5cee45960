//! The independent checker finds every kind of broken rule, each on a plan built by hand.

mod common;

use std::sync::atomic::AtomicBool;

use common::*;
use vax_planner::model::{Dose, Phase, PhaseRule, Problem, Seats, Supply};
use vax_planner::verify::Violation;
use vax_planner::{plan, verify, PlanOptions, Schedule, Unplaced, UnplacedReason};

/// One venue, bands at 9:00 (even index) and 14:00 (odd) of capacity 1 for 40 days; band
/// `2 * d` is day `d` at 9:00.
fn problem(residents: usize) -> Problem {
    let mut p = city(1, 40, 1);
    p.residents = (0..residents as i64)
        .map(|i| resident(i, 1950, 0.0))
        .collect();
    p
}

fn pair(first: usize, second: usize) -> Seats {
    Seats {
        first: Some(first),
        second: Some(second),
    }
}

fn schedule(seats: Vec<Seats>) -> Schedule {
    Schedule {
        seats,
        unplaced: Vec::new(),
    }
}

#[test]
fn a_valid_plan_has_no_violation() {
    let p = problem(2);
    assert_eq!(
        verify(&p, &schedule(vec![pair(0, 42), pair(1, 43)])),
        vec![]
    );
}

#[test]
fn over_capacity_closed_bands_and_supply() {
    let mut p = problem(2);
    assert!(
        verify(&p, &schedule(vec![pair(0, 42), pair(0, 43)])).contains(&Violation::OverCapacity {
            band: 0,
            booked: 2,
            capacity: 1
        })
    );
    p.bands[0].closed = true;
    assert!(verify(&p, &schedule(vec![pair(0, 42), pair(1, 43)]))
        .contains(&Violation::ClosedBand { band: 0, booked: 1 }));
    p.bands[0].closed = false;
    p.supply = vec![Supply {
        venue: 0,
        date: day(0),
        doses: 1,
    }];
    assert!(
        verify(&p, &schedule(vec![pair(0, 42), pair(1, 43)])).contains(&Violation::OverSupply {
            venue: 0,
            date: day(0),
            booked: 2,
            supply: 1
        })
    );
}

#[test]
fn the_interval_and_the_venue_of_dose_two() {
    let mut p = city(2, 40, 1);
    p.residents = vec![resident(1, 1950, 0.0)];
    // Venue 0's bands are 0..80, venue 1's 80..160; day 10 at venue 0 is band 20.
    assert!(
        verify(&p, &schedule(vec![pair(0, 20)])).contains(&Violation::OutsideWindow {
            resident: 0,
            days: 10
        })
    );
    assert!(verify(&p, &schedule(vec![pair(0, 80 + 42)]))
        .contains(&Violation::OtherVenue { resident: 0 }));
    p.allow_other_venue = true;
    assert_eq!(verify(&p, &schedule(vec![pair(0, 80 + 42)])), vec![]);
    let second_only = Seats {
        first: None,
        second: Some(42),
    };
    let found = verify(&p, &schedule(vec![second_only]));
    assert!(found.contains(&Violation::SecondWithoutFirst { resident: 0 }));
}

#[test]
fn riders_phases_and_new_bookings() {
    let mut p = problem(1);
    p.residents[0].needs_transport = true;
    assert!(
        verify(&p, &schedule(vec![pair(0, 42)])).contains(&Violation::NotBusServed {
            resident: 0,
            dose: Dose::First
        })
    );
    // An existing booking is the caller's business, not this plan's.
    p.residents[0].booked = pair(0, 42);
    assert_eq!(verify(&p, &schedule(vec![pair(0, 42)])), vec![]);

    let mut p = problem(1);
    p.priority.phases = vec![Phase {
        name: "everyone".into(),
        rule: PhaseRule::Everyone,
        earliest: Some(day(3)),
    }];
    assert!(verify(&p, &schedule(vec![pair(0, 42)]))
        .contains(&Violation::BeforePhaseOpens { resident: 0 }));
    p.priority.phases[0].rule = PhaseRule::AgedAtLeast { years: 90 };
    assert!(verify(&p, &schedule(vec![pair(10, 52)]))
        .contains(&Violation::NotInAnyPhase { resident: 0 }));
}

#[test]
fn everyone_is_placed_or_listed_and_the_list_is_true() {
    let p = problem(2);
    let missing = schedule(vec![pair(0, 42), Seats::default()]);
    assert!(verify(&p, &missing).contains(&Violation::MissingWithoutReason { resident: 1 }));
    let listed = Schedule {
        seats: vec![pair(0, 42), Seats::default()],
        unplaced: vec![
            Unplaced {
                resident: 0,
                dose: Dose::First,
                reason: UnplacedReason::NoRoom,
            },
            Unplaced {
                resident: 1,
                dose: Dose::First,
                reason: UnplacedReason::NoRoom,
            },
        ],
    };
    assert_eq!(
        verify(&p, &listed),
        vec![Violation::ListedButPlaced { resident: 0 }]
    );
    let listed_for_dose_two_only = Schedule {
        seats: vec![pair(0, 42), Seats::default()],
        unplaced: vec![Unplaced {
            resident: 1,
            dose: Dose::Second,
            reason: UnplacedReason::NoRoom,
        }],
    };
    assert_eq!(
        verify(&p, &listed_for_dose_two_only),
        vec![Violation::MissingWithoutReason { resident: 1 }]
    );
}

#[test]
fn malformed_plans() {
    let p = problem(2);
    assert_eq!(
        verify(&p, &schedule(vec![pair(0, 42)])),
        vec![Violation::WrongLength {
            expected: 2,
            got: 1
        }]
    );
    assert!(
        verify(&p, &schedule(vec![pair(0, 42), pair(1, 999)])).contains(&Violation::UnknownBand {
            resident: 1,
            band: 999
        })
    );
}

#[test]
fn an_improvement_budget_that_runs_out_still_gives_a_whole_plan() {
    let p = problem(6);
    let spent = AtomicBool::new(true);
    let s = plan(
        &p,
        &PlanOptions {
            improve_stop: &spent,
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(verify(&p, &s), vec![]);
    assert!(s.unplaced.is_empty(), "{:?}", s.unplaced);
}
