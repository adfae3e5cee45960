//! The product's dated minimum ages (Comirnaty 16 and over, 12 and over from 2021-06-01):
//! the planner, the reshuffle and the checker never book a dose on a day the resident is
//! younger, counting the age on the day of the dose as the booth does.

mod common;

use chrono::NaiveDate;
use common::*;
use vax_planner::model::{Dose, MinimumAges, Problem, Resident, Seats};
use vax_planner::verify::Violation;
use vax_planner::{plan, reshuffle, verify, Change, PlanOptions, Schedule, UnplacedReason};

fn date(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn comirnaty() -> MinimumAges {
    vax_domain::product::Catalogue::builtin()
        .product("comirnaty")
        .unwrap()
        .minimum_ages()
}

fn born(id: i64, birth: &str) -> Resident {
    Resident {
        birth_date: date(birth),
        ..resident(id, 1950, 0.0)
    }
}

/// One venue with a 9:00 band of `capacity` every day from `first` to `last`.
fn campaign(first: &str, last: &str, capacity: u32) -> Problem {
    let mut p = city(1, 0, 0);
    let mut d = date(first);
    while d <= date(last) {
        let mut b = band(0, d, 9, capacity);
        b.bus_served = true;
        p.bands.push(b);
        d = d.succ_opt().unwrap();
    }
    p.priority.reference_date = date(first);
    p.minimum_age = comirnaty();
    p
}

fn run(p: &Problem) -> Schedule {
    let s = plan(p, &PlanOptions::default()).unwrap();
    assert_eq!(verify(p, &s), vec![], "the checker finds no violation");
    s
}

fn first_day(p: &Problem, s: &Schedule, r: usize) -> NaiveDate {
    p.bands[s.seats[r].first.expect("dose 1 booked")].date
}

fn band_on(p: &Problem, d: &str) -> usize {
    p.bands.iter().position(|b| b.date == date(d)).unwrap()
}

#[test]
fn no_one_is_booked_before_the_product_is_approved_for_their_age() {
    let mut p = campaign("2021-05-24", "2021-08-31", 5);
    p.residents = vec![
        born(0, "2008-03-10"), // 13: from 1 June, when 12-15 year-olds were approved
        born(1, "1990-10-10"), // 30: from the first day
        born(2, "2005-05-28"), // 15 until their 16th birthday on 28 May
        born(3, "2009-07-04"), // 11 until 4 July 2021
        born(4, "2010-01-01"), // 11 for the whole calendar
    ];
    let s = run(&p);
    assert_eq!(first_day(&p, &s, 0), date("2021-06-01"));
    assert_eq!(first_day(&p, &s, 1), date("2021-05-24"));
    assert_eq!(
        first_day(&p, &s, 2),
        date("2021-05-28"),
        "the birthday itself"
    );
    assert_eq!(first_day(&p, &s, 3), date("2021-07-04"));
    assert_eq!(s.seats[4], Seats::default());
    assert_eq!(s.unplaced.len(), 1);
    assert_eq!(s.unplaced[0].resident, 4);
    assert_eq!(s.unplaced[0].reason, UnplacedReason::BelowMinimumAge);

    // Without the limit the same 13-year-old takes the first day, and the checker of the
    // limited problem refuses that plan.
    let mut free = p.clone();
    free.minimum_age = MinimumAges::none();
    let unlimited = run(&free);
    assert_eq!(first_day(&free, &unlimited, 0), date("2021-05-24"));
    assert!(
        verify(&p, &unlimited).contains(&Violation::BelowMinimumAge {
            resident: 0,
            dose: Dose::First
        })
    );
}

#[test]
fn a_resident_too_young_for_both_doses_in_the_window_is_reported_below_minimum_age() {
    // 12 on 20 August: a dose 1 fits, but no dose 2 within the window before the calendar ends.
    let mut p = campaign("2021-05-24", "2021-08-31", 5);
    p.residents = vec![born(0, "2009-08-20")];
    let s = run(&p);
    assert_eq!(s.seats[0], Seats::default());
    assert_eq!(s.unplaced[0].reason, UnplacedReason::BelowMinimumAge);
}

#[test]
fn full_days_after_june_leave_a_thirteen_year_old_unplaced_with_the_age_as_reason() {
    let mut p = campaign("2021-05-17", "2021-07-31", 1);
    // Every band from 1 June on is taken by others' existing bookings.
    for b in &mut p.bands {
        if b.date >= date("2021-06-01") {
            b.capacity = 0;
        }
    }
    p.residents = vec![born(0, "2008-03-10")];
    let s = run(&p);
    assert_eq!(s.unplaced[0].reason, UnplacedReason::BelowMinimumAge);
}

#[test]
fn a_displaced_thirteen_year_old_moves_later_not_into_may() {
    let mut p = campaign("2021-05-24", "2021-07-10", 0);
    for (d, capacity) in [
        ("2021-05-31", 2),
        ("2021-06-01", 2),
        ("2021-06-03", 2),
        ("2021-06-22", 2),
    ] {
        let b = band_on(&p, d);
        p.bands[b].capacity = capacity;
    }
    let (june1, june22) = (band_on(&p, "2021-06-01"), band_on(&p, "2021-06-22"));
    let booked = Seats {
        first: Some(june1),
        second: Some(june22),
    };
    p.residents = vec![born(0, "2008-03-10"), born(1, "1990-10-10")];
    for r in &mut p.residents {
        r.booked = booked;
    }
    let out = reshuffle(
        &p,
        &Change::CutVenueDay {
            venue: 0,
            date: date("2021-06-01"),
        },
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(verify(&out.problem, &out.schedule), vec![]);
    let day_of = |r: usize| p.bands[out.schedule.seats[r].first.unwrap()].date;
    assert_eq!(day_of(1), date("2021-05-31"), "the adult: one day earlier");
    assert_eq!(day_of(0), date("2021-06-03"), "the 13-year-old: later");
    assert_eq!(out.schedule.seats[0].second, Some(june22), "dose 2 stays");
}

#[test]
fn a_request_to_move_a_thirteen_year_old_into_may_is_refused_and_changes_nothing() {
    let mut p = campaign("2021-05-24", "2021-07-10", 2);
    let (june1, june22) = (band_on(&p, "2021-06-01"), band_on(&p, "2021-06-22"));
    p.residents = vec![born(0, "2008-03-10")];
    p.residents[0].booked = Seats {
        first: Some(june1),
        second: Some(june22),
    };
    let out = reshuffle(
        &p,
        &Change::MoveRequest {
            resident: 0,
            dose: Dose::First,
            from: date("2021-05-25"),
            to: date("2021-05-31"),
            venue: None,
        },
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(verify(&out.problem, &out.schedule), vec![]);
    assert!(out.moves.is_empty());
    assert_eq!(out.schedule.seats[0], p.residents[0].booked);
    assert_eq!(out.unplaced[0].reason, UnplacedReason::NoBandAsRequested);
}

#[test]
fn the_checker_judges_only_what_the_plan_changed() {
    // A booking made before the limit was known is not the plan's fault; a new one is.
    let mut p = campaign("2021-05-24", "2021-07-10", 2);
    let (may25, june15) = (band_on(&p, "2021-05-25"), band_on(&p, "2021-06-15"));
    p.residents = vec![born(0, "2008-03-10")];
    p.residents[0].booked = Seats {
        first: Some(may25),
        second: Some(june15),
    };
    let kept = Schedule {
        seats: vec![p.residents[0].booked],
        unplaced: vec![],
    };
    assert_eq!(verify(&p, &kept), vec![]);
    p.residents[0].booked = Seats::default();
    assert_eq!(
        verify(&p, &kept),
        vec![Violation::BelowMinimumAge {
            resident: 0,
            dose: Dose::First
        }]
    );
}
