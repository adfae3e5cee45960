//! The reshuffle engine: each kind of change, the least-disruption rules, and the checker
//! on every resulting plan.

mod common;

use common::*;
use vax_planner::model::{Dose, Problem, Seats, Supply};
use vax_planner::{
    plan, reshuffle, verify, Change, ChangeError, PlanOptions, ReshuffleError, ReshufflePlan,
    UnplacedReason,
};

/// A city planned by the planner, its plan written back as existing bookings.
fn planned(mut p: Problem) -> Problem {
    let s = plan(&p, &PlanOptions::default()).unwrap();
    assert_eq!(verify(&p, &s), vec![]);
    for (r, seats) in p.residents.iter_mut().zip(&s.seats) {
        r.booked = *seats;
    }
    p
}

fn run(p: &Problem, change: Change) -> ReshufflePlan {
    let out = reshuffle(p, &change, &PlanOptions::default()).expect("valid change");
    assert_eq!(
        verify(&out.problem, &out.schedule),
        vec![],
        "checker on the whole plan"
    );
    out
}

fn band_at(p: &Problem, venue: usize, d: u64, hour: u32) -> usize {
    p.bands
        .iter()
        .position(|b| b.venue == venue && b.date == day(d) && b.start == at(hour))
        .unwrap()
}

#[test]
fn a_cut_venue_day_moves_only_its_bookings_and_keeps_dose_two_when_the_window_allows() {
    let mut p = city(2, 45, 2);
    p.residents = (0..6).map(|i| resident(i, 1950, 0.0)).collect();
    let p = planned(p);
    // Day 0 at venue 0 holds residents' dose 1 (4 places).
    let out = run(
        &p,
        Change::CutVenueDay {
            venue: 0,
            date: day(0),
        },
    );
    assert_eq!(out.affected, 4);
    assert!(out.unplaced.is_empty());
    assert_eq!(out.moves.len(), 4, "only dose 1 moves: {:?}", out.moves);
    for m in &out.moves {
        assert_eq!(m.dose, Dose::First);
        let to = &out.problem.bands[m.to.unwrap()];
        assert_eq!(to.venue, 0, "same venue when possible");
        assert_ne!(to.date, day(0));
    }
    for (i, r) in p.residents.iter().enumerate() {
        assert_eq!(
            out.schedule.seats[i].second, r.booked.second,
            "dose 2 unchanged"
        );
    }
}

#[test]
fn dose_two_moves_with_dose_one_when_the_window_demands() {
    let mut p = city(1, 60, 1);
    // Window exactly 21 days: moving dose 1 must move dose 2.
    p.window.min_days = 21;
    p.window.max_days = 21;
    p.residents = vec![resident(1, 1950, 0.0)];
    let p = planned(p);
    let first = p.residents[0].booked.first.unwrap();
    let out = run(
        &p,
        Change::CutVenueDay {
            venue: 0,
            date: p.bands[first].date,
        },
    );
    assert_eq!(out.moves.len(), 2, "{:?}", out.moves);
    let s = out.schedule.seats[0];
    let gap = (out.problem.bands[s.second.unwrap()].date
        - out.problem.bands[s.first.unwrap()].date)
        .num_days();
    assert_eq!(gap, 21);
}

#[test]
fn a_displaced_dose_two_moves_alone_inside_the_window() {
    let mut p = city(1, 60, 1);
    p.residents = vec![resident(1, 1950, 0.0)];
    let p = planned(p);
    let second = p.residents[0].booked.second.unwrap();
    let out = run(&p, Change::CloseBand { band: second });
    assert_eq!(out.moves.len(), 1);
    assert_eq!(out.moves[0].dose, Dose::Second);
    assert_eq!(
        out.schedule.seats[0].first, p.residents[0].booked.first,
        "dose 1 stays"
    );
    let moved = &out.problem.bands[out.moves[0].to.unwrap()];
    assert_eq!(
        moved.date, out.problem.bands[second].date,
        "the other band of the same day"
    );
}

#[test]
fn a_lowered_capacity_moves_exactly_the_excess_and_the_youngest_first() {
    let mut p = city(1, 60, 3);
    p.residents = (0..3)
        .map(|i| resident(i, 1940 + i as i32 * 10, 0.0))
        .collect();
    let p = planned(p);
    let b = band_at(&p, 0, 0, 9);
    let out = run(
        &p,
        Change::LowerCapacity {
            band: b,
            capacity: 1,
        },
    );
    assert_eq!(out.affected, 2);
    let stayed: Vec<usize> = (0..3)
        .filter(|&i| out.schedule.seats[i].first == Some(b))
        .collect();
    assert_eq!(stayed, vec![0], "the oldest keeps the band");
}

#[test]
fn a_quarantined_lot_sheds_bookings_down_to_the_supply_left() {
    let mut p = city(1, 60, 5);
    p.residents = (0..8).map(|i| resident(i, 1950, 0.0)).collect();
    let p = planned(p);
    let out = run(
        &p,
        Change::SupplyDrop {
            venue: 0,
            from: day(0),
            to: day(0),
            doses_per_day: 2,
        },
    );
    let on_day0 = out
        .schedule
        .seats
        .iter()
        .flat_map(|s| [s.first, s.second])
        .flatten()
        .filter(|&b| out.problem.bands[b].date == day(0))
        .count();
    assert_eq!(on_day0, 2);
    assert_eq!(out.affected, 6);
    assert!(out.problem.supply.contains(&Supply {
        venue: 0,
        date: day(0),
        doses: 2
    }));
}

#[test]
fn riders_are_re_seated_only_where_a_bus_runs_or_reported() {
    let mut p = city(2, 60, 5);
    for b in &mut p.bands {
        let d = (b.date - day(0)).num_days();
        b.bus_served = b.venue == 1 && [0, 1, 21, 22].contains(&d);
    }
    p.residents = (0..2)
        .map(|i| {
            let mut r = resident(i, 1950, 0.0);
            r.needs_transport = true;
            r
        })
        .collect();
    let p = planned(p);
    let out = run(
        &p,
        Change::CutVenueDay {
            venue: 1,
            date: day(0),
        },
    );
    for s in &out.schedule.seats {
        for b in [s.first, s.second].into_iter().flatten() {
            assert!(out.problem.bands[b].bus_served);
        }
    }
    assert!(
        out.unplaced.is_empty(),
        "day 1 is bus-served: {:?}",
        out.unplaced
    );
    // Now cut day 1 as well: no bus-served band is left for dose 1 in the window of dose 2.
    let mut p2 = out.problem.clone();
    for (r, s) in p2.residents.iter_mut().zip(&out.schedule.seats) {
        r.booked = *s;
    }
    let out2 = run(
        &p2,
        Change::CutVenueDay {
            venue: 1,
            date: day(1),
        },
    );
    assert_eq!(out2.unplaced.len(), 2);
    assert!(out2
        .unplaced
        .iter()
        .all(|u| u.reason == UnplacedReason::NoBusServedBand));
    assert!(
        out2.moves.iter().all(|m| m.to.is_none()),
        "both doses cancelled: {:?}",
        out2.moves
    );
}

#[test]
fn a_resident_request_is_met_inside_the_dates_asked() {
    let mut p = city(2, 60, 5);
    p.residents = vec![resident(1, 1950, 0.0)];
    let p = planned(p);
    let out = run(
        &p,
        Change::MoveRequest {
            resident: 0,
            dose: Dose::First,
            from: day(10),
            to: day(12),
            venue: Some(1),
        },
    );
    let s = out.schedule.seats[0];
    let b1 = &out.problem.bands[s.first.unwrap()];
    assert!(b1.date >= day(10) && b1.date <= day(12) && b1.venue == 1);
    let b2 = &out.problem.bands[s.second.unwrap()];
    assert_eq!(b2.venue, 1, "dose 2 follows to the same venue");
}

#[test]
fn a_request_that_cannot_be_met_keeps_the_bookings() {
    let mut p = city(1, 60, 5);
    p.residents = vec![resident(1, 1950, 0.0)];
    let p = planned(p);
    let out = run(
        &p,
        Change::MoveRequest {
            resident: 0,
            dose: Dose::First,
            from: day(100),
            to: day(110),
            venue: None,
        },
    );
    assert_eq!(out.schedule.seats[0], p.residents[0].booked);
    assert!(out.moves.is_empty());
    assert_eq!(out.unplaced[0].reason, UnplacedReason::NoBandAsRequested);
}

#[test]
fn with_no_room_anywhere_the_affected_are_reported_and_their_bookings_cancelled() {
    let mut p = city(1, 25, 1);
    p.residents = (0..2).map(|i| resident(i, 1950, 0.0)).collect();
    let p = planned(p);
    // Days 0..=3 are the only dose-1 days whose dose 2 fits: cut them all but day 0.
    let mut p = p;
    for b in &mut p.bands {
        if b.date > day(0) && b.date <= day(6) {
            b.closed = true;
        }
    }
    let out = run(
        &p,
        Change::CutVenueDay {
            venue: 0,
            date: day(0),
        },
    );
    assert_eq!(out.unplaced.len(), 2);
    assert!(out.unplaced.iter().all(|u| u.dose == Dose::First));
    assert!(out.schedule.seats.iter().all(|s| *s == Seats::default()));
    assert_eq!(
        out.schedule.unplaced.len(),
        2,
        "listed in the whole plan too"
    );
}

#[test]
fn the_same_seed_gives_the_same_reshuffle() {
    let mut p = city(3, 50, 4);
    p.residents = (0..60)
        .map(|i| resident(i, 1940 + (i % 9) as i32, (i % 3) as f64 * 0.1))
        .collect();
    let p = planned(p);
    let change = Change::CutVenueDay {
        venue: 0,
        date: day(1),
    };
    let a = reshuffle(&p, &change, &PlanOptions::default()).unwrap();
    let b = reshuffle(&p, &change, &PlanOptions::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn changes_that_do_not_fit_the_problem_are_refused() {
    let mut p = city(1, 30, 5);
    p.residents = vec![resident(1, 1950, 0.0)];
    let err = |c: Change| reshuffle(&p, &c, &PlanOptions::default()).unwrap_err();
    assert_eq!(
        err(Change::CloseBand { band: 999 }),
        ReshuffleError::Change(ChangeError::UnknownBand(999))
    );
    assert_eq!(
        err(Change::CutVenueDay {
            venue: 4,
            date: day(0)
        }),
        ReshuffleError::Change(ChangeError::UnknownVenue(4))
    );
    assert_eq!(
        err(Change::LowerCapacity {
            band: 0,
            capacity: 9
        }),
        ReshuffleError::Change(ChangeError::NotLower {
            band: 0,
            capacity: 9,
            was: 5
        })
    );
    assert_eq!(
        err(Change::SupplyDrop {
            venue: 0,
            from: day(3),
            to: day(1),
            doses_per_day: 0
        }),
        ReshuffleError::Change(ChangeError::EmptyRange {
            from: day(3),
            to: day(1)
        })
    );
    assert_eq!(
        err(Change::MoveRequest {
            resident: 0,
            dose: Dose::First,
            from: day(1),
            to: day(3),
            venue: None
        }),
        ReshuffleError::Change(ChangeError::NothingToMove {
            resident: 0,
            dose: Dose::First
        })
    );
    assert_eq!(
        err(Change::MoveRequest {
            resident: 5,
            dose: Dose::First,
            from: day(1),
            to: day(3),
            venue: None
        }),
        ReshuffleError::Change(ChangeError::UnknownResident(5))
    );
}
