//! The planner, one constraint or objective term at a time; every plan is re-checked by the
//! independent checker.

mod common;

use std::sync::atomic::AtomicBool;

use chrono::Weekday;
use common::*;
use vax_planner::model::{
    Dose, GivenDose, Phase, PhaseRule, ProblemError, Seats, Supply, TimeOfDay,
};
use vax_planner::{objective, plan, verify, PlanOptions, Schedule, UnplacedReason};

fn run(problem: &vax_planner::model::Problem) -> Schedule {
    let s = plan(problem, &PlanOptions::default()).expect("valid problem");
    assert_eq!(
        verify(problem, &s),
        vec![],
        "the checker finds no violation"
    );
    s
}

fn date_of(p: &vax_planner::model::Problem, band: Option<usize>) -> chrono::NaiveDate {
    p.bands[band.expect("booked")].date
}

#[test]
fn both_doses_at_the_standard_interval_and_the_same_venue_when_there_is_room() {
    let mut p = city(1, 30, 5);
    p.residents = (0..8).map(|i| resident(i, 1950, 0.0)).collect();
    let s = run(&p);
    assert!(s.unplaced.is_empty());
    for seats in &s.seats {
        let gap = (date_of(&p, seats.second) - date_of(&p, seats.first)).num_days();
        assert_eq!(gap, 21);
    }
}

#[test]
fn no_band_takes_more_than_its_capacity() {
    let mut p = city(1, 30, 1);
    p.residents = (0..10).map(|i| resident(i, 1950, 0.0)).collect();
    let s = run(&p);
    let mut load = vec![0; p.bands.len()];
    for seats in &s.seats {
        for b in [seats.first, seats.second].into_iter().flatten() {
            load[b] += 1;
        }
    }
    assert!(load.iter().all(|&n| n <= 1));
    assert_eq!(s.unplaced.len(), 0, "2 bands × 9 days of dose 1 hold ten");
}

#[test]
fn dose_two_moves_off_the_standard_day_but_stays_inside_the_window() {
    let mut p = city(1, 40, 1);
    // Dose 1 can only be on day 0 (nothing until day 19), and its standard day is closed.
    p.bands.retain(|b| b.date == day(0) || b.date >= day(19));
    for b in &mut p.bands {
        if b.date == day(21) {
            b.closed = true;
        }
    }
    p.residents = vec![resident(1, 1950, 0.0)];
    let s = run(&p);
    let gap = (date_of(&p, s.seats[0].second) - date_of(&p, s.seats[0].first)).num_days();
    assert!(p.window.contains(gap) && gap != 21, "gap {gap}");
    assert!(
        (gap - 21).abs() <= 1,
        "the nearest day to the standard: {gap}"
    );
}

#[test]
fn a_resident_with_no_band_in_the_window_is_reported_not_booked() {
    let mut p = city(1, 10, 5); // ten days: no dose-2 day 19+ days later
    p.residents = vec![resident(1, 1950, 0.0)];
    let s = run(&p);
    assert_eq!(s.seats[0], Seats::default());
    assert_eq!(s.unplaced.len(), 1);
    assert_eq!(s.unplaced[0].dose, Dose::First);
    assert_eq!(s.unplaced[0].reason, UnplacedReason::NoRoomInWindow);
}

#[test]
fn a_full_city_reports_no_room_and_leftover_places_out_of_reach_no_room_in_window() {
    let mut p = city(1, 30, 1);
    p.bands.retain(|b| b.date == day(0) || b.date == day(21));
    p.residents = (0..3).map(|i| resident(i, 1950, 0.0)).collect();
    let s = run(&p);
    assert_eq!(s.unplaced.len(), 1);
    assert_eq!(
        s.unplaced[0].reason,
        UnplacedReason::NoRoom,
        "every band is full"
    );

    let mut p = city(1, 30, 1);
    p.residents = (0..40).map(|i| resident(i, 1950, 0.0)).collect();
    let s = run(&p);
    assert_eq!(s.unplaced.len(), 40 - 22, "dose 1 only on days 0-10");
    assert!(s
        .unplaced
        .iter()
        .all(|u| u.reason == UnplacedReason::NoRoomInWindow));
}

#[test]
fn phases_come_in_order_and_a_phase_waits_for_its_opening_day() {
    let mut p = city(1, 40, 1);
    p.priority.reference_date = day(0);
    p.priority.phases = vec![
        Phase {
            name: "65+".into(),
            rule: PhaseRule::AgedAtLeast { years: 65 },
            earliest: None,
        },
        Phase {
            name: "underlying".into(),
            rule: PhaseRule::UnderlyingCondition,
            earliest: None,
        },
        Phase {
            name: "everyone".into(),
            rule: PhaseRule::Everyone,
            earliest: Some(day(5)),
        },
    ];
    let young = resident(1, 1990, 0.0);
    let mut sick = resident(2, 1985, 0.0);
    sick.underlying_condition = true;
    let old = resident(3, 1940, 0.0);
    p.residents = vec![young, sick, old];
    let s = run(&p);
    let d = |i: usize| date_of(&p, s.seats[i].first);
    assert_eq!(d(2), day(0), "65+ first");
    assert_eq!(
        d(1),
        day(0),
        "then underlying conditions (second band of day 0)"
    );
    assert_eq!(d(0), day(5), "everyone else from the phase's opening day");
    assert!(p.bands[s.seats[2].first.unwrap()].start < p.bands[s.seats[1].first.unwrap()].start);
}

#[test]
fn a_resident_in_no_phase_is_reported() {
    let mut p = city(1, 30, 5);
    p.priority.phases = vec![Phase {
        name: "65+".into(),
        rule: PhaseRule::AgedAtLeast { years: 65 },
        earliest: None,
    }];
    p.residents = vec![resident(1, 1990, 0.0)];
    let s = run(&p);
    assert_eq!(s.unplaced[0].reason, UnplacedReason::NotInAnyPhase);
}

#[test]
fn preferred_venue_wins_over_a_nearer_one() {
    let mut p = city(2, 30, 5);
    let mut r = resident(1, 1950, 0.0); // lives at venue 0
    r.preferences.venues = vec![1];
    p.residents = vec![r];
    let s = run(&p);
    assert_eq!(p.bands[s.seats[0].first.unwrap()].venue, 1);
    assert_eq!(p.bands[s.seats[0].second.unwrap()].venue, 1);
}

#[test]
fn preferred_district_counts_like_a_preferred_venue() {
    let mut p = city(2, 30, 5);
    let mut r = resident(1, 1950, 0.0);
    r.preferences.districts = vec!["D1".into()];
    p.residents = vec![r];
    let s = run(&p);
    assert_eq!(p.bands[s.seats[0].first.unwrap()].venue, 1);
}

#[test]
fn avoided_weekdays_and_times_of_day_are_honoured_when_possible() {
    let mut p = city(1, 40, 5);
    let mut r = resident(1, 1950, 0.0);
    // Day 0 is a Monday.
    r.preferences.avoid_weekdays = vec![Weekday::Mon];
    r.preferences.avoid_times = vec![TimeOfDay::Morning];
    p.residents = vec![r];
    let s = run(&p);
    for b in [s.seats[0].first.unwrap(), s.seats[0].second.unwrap()] {
        assert_ne!(chrono::Datelike::weekday(&p.bands[b].date), Weekday::Mon);
        assert_eq!(TimeOfDay::of(p.bands[b].start), TimeOfDay::Afternoon);
    }
    assert_eq!(objective(&p, &s).preference_breaks, 0);
}

#[test]
fn never_more_doses_on_a_venue_day_than_its_supply() {
    let mut p = city(1, 40, 5);
    p.supply = vec![Supply {
        venue: 0,
        date: day(0),
        doses: 3,
    }];
    p.residents = (0..8).map(|i| resident(i, 1950, 0.0)).collect();
    let s = run(&p);
    let on_day0 = s
        .seats
        .iter()
        .filter(|x| x.first.is_some_and(|b| p.bands[b].date == day(0)))
        .count();
    assert_eq!(on_day0, 3);
}

#[test]
fn no_supply_is_the_reason_when_places_remain_but_doses_do_not() {
    let mut p = city(1, 22, 5);
    p.supply = (0..22)
        .map(|d| Supply {
            venue: 0,
            date: day(d),
            doses: 0,
        })
        .collect();
    p.residents = vec![resident(1, 1950, 0.0)];
    let s = run(&p);
    assert_eq!(s.unplaced[0].reason, UnplacedReason::NoSupply);
}

#[test]
fn riders_only_in_bus_served_bands_and_pooled_on_few_venue_days() {
    let mut p = city(2, 40, 10);
    for b in &mut p.bands {
        // The bus runs to venue 1 on days 2 and 3 (and 23, 24 for dose 2).
        b.bus_served = b.venue == 1 && [2, 3, 23, 24].contains(&(b.date - day(0)).num_days());
    }
    p.residents = (0..6)
        .map(|i| {
            let mut r = resident(i, 1950, 0.0);
            r.needs_transport = true;
            r
        })
        .collect();
    let s = run(&p);
    assert!(s.unplaced.is_empty());
    for seats in &s.seats {
        assert!(p.bands[seats.first.unwrap()].bus_served);
        assert!(p.bands[seats.second.unwrap()].bus_served);
    }
    assert_eq!(
        objective(&p, &s).rider_stops,
        2,
        "one day for dose 1, one for dose 2"
    );
}

#[test]
fn a_rider_with_no_bus_served_band_is_reported_with_that_reason() {
    let mut p = city(1, 30, 5);
    let mut r = resident(1, 1950, 0.0);
    r.needs_transport = true;
    p.residents = vec![r];
    let s = run(&p);
    assert_eq!(s.unplaced[0].reason, UnplacedReason::NoBusServedBand);
}

#[test]
fn existing_bookings_stay_and_a_booked_dose_one_gets_its_dose_two() {
    let mut p = city(1, 40, 5);
    let mut booked = resident(1, 1950, 0.0);
    booked.booked = Seats {
        first: Some(4), // day 2, 9:00
        second: None,
    };
    let mut given = resident(2, 1950, 0.0);
    given.first_given = Some(GivenDose {
        date: day(1),
        venue: Some(0),
    });
    let mut both = resident(3, 1950, 0.0);
    both.booked = Seats {
        first: Some(0),
        second: Some(42),
    };
    p.residents = vec![booked, given, both];
    let s = run(&p);
    assert_eq!(s.seats[0].first, Some(4));
    assert_eq!(date_of(&p, s.seats[0].second), day(23));
    assert_eq!(s.seats[1].first, None);
    assert_eq!(date_of(&p, s.seats[1].second), day(22));
    assert_eq!(s.seats[2], p.residents[2].booked);
}

#[test]
fn dose_two_at_another_venue_only_when_allowed() {
    let mut p = city(2, 40, 1);
    // Venue 0 has no band 19-42 days after day 0's dose 1.
    p.bands.retain(|b| b.venue == 1 || b.date == day(0));
    // Venue 1 is far: going there twice costs more than dose 2 elsewhere.
    p.venues[1].location = point(0.3);
    p.residents = vec![resident(1, 1950, 0.0)];
    let s = run(&p);
    assert_eq!(
        p.bands[s.seats[0].first.unwrap()].venue,
        1,
        "same venue for both"
    );
    p.allow_other_venue = true;
    let s = run(&p);
    let (a, b) = (s.seats[0].first.unwrap(), s.seats[0].second.unwrap());
    assert_eq!((p.bands[a].venue, p.bands[b].venue), (0, 1));
}

#[test]
fn the_same_seed_gives_the_same_plan() {
    let mut p = city(3, 40, 3);
    p.residents = (0..120)
        .map(|i| resident(i, 1940 + (i % 7) as i32, (i % 5) as f64 * 0.05))
        .collect();
    let a = plan(&p, &PlanOptions::default()).unwrap();
    let b = plan(&p, &PlanOptions::default()).unwrap();
    assert_eq!(a, b);
}

#[test]
fn the_improvement_never_makes_the_objective_worse() {
    let mut p = city(3, 40, 3);
    p.residents = (0..150)
        .map(|i| {
            let mut r = resident(i, 1940 + (i % 3) as i32, (i % 4) as f64 * 0.07);
            if i % 3 == 0 {
                r.preferences.venues = vec![(i % 3) as usize];
            }
            r
        })
        .collect();
    let greedy = plan(
        &p,
        &PlanOptions {
            improvement_steps_per_resident: 0,
            ..PlanOptions::default()
        },
    )
    .unwrap();
    let improved = run(&p);
    assert!(objective(&p, &improved).total <= objective(&p, &greedy).total + 1e-6);
}

#[test]
fn a_stopped_run_reports_everyone_not_reached_and_keeps_every_rule() {
    let mut p = city(1, 30, 5);
    p.residents = (0..5).map(|i| resident(i, 1950, 0.0)).collect();
    let stop = AtomicBool::new(true);
    let s = plan(
        &p,
        &PlanOptions {
            stop: &stop,
            ..PlanOptions::default()
        },
    )
    .unwrap();
    assert_eq!(verify(&p, &s), vec![]);
    assert_eq!(s.unplaced.len(), 5);
    assert!(s
        .unplaced
        .iter()
        .all(|u| u.reason == UnplacedReason::Stopped));
}

#[test]
fn invalid_problems_are_refused_before_solving() {
    let base = {
        let mut p = city(1, 30, 5);
        p.residents = vec![resident(1, 1950, 0.0)];
        p
    };
    let refused = |f: &dyn Fn(&mut vax_planner::model::Problem)| {
        let mut p = base.clone();
        f(&mut p);
        plan(&p, &PlanOptions::default()).unwrap_err()
    };
    assert_eq!(
        refused(&|p| p.bands[0].venue = 7),
        ProblemError::UnknownVenue { band: 0, venue: 7 }
    );
    assert_eq!(
        refused(&|p| p.bands[1].end = at(8)),
        ProblemError::BandEndsBeforeStart { band: 1 }
    );
    assert!(matches!(
        refused(&|p| {
            let b = p.bands[0].clone();
            p.bands.push(b)
        }),
        ProblemError::DuplicateBand { first: 0, .. }
    ));
    assert_eq!(
        refused(&|p| p.window.min_days = 30),
        ProblemError::BadWindow {
            min: 30,
            standard: 21,
            max: 42
        }
    );
    assert_eq!(
        refused(&|p| p.residents.push(resident(1, 1960, 0.0))),
        ProblemError::DuplicateResident(1)
    );
    assert_eq!(
        refused(&|p| p.residents[0].booked.first = Some(9999)),
        ProblemError::UnknownBooking {
            resident: 0,
            band: 9999
        }
    );
    assert_eq!(
        refused(&|p| p.residents[0].booked.second = Some(50)),
        ProblemError::SecondWithoutFirst(0)
    );
    assert_eq!(
        refused(&|p| p.residents[0].preferences.venues = vec![3]),
        ProblemError::UnknownPreferredVenue {
            resident: 0,
            venue: 3
        }
    );
    assert_eq!(
        refused(&|p| p.supply = vec![Supply {
            venue: 2,
            date: day(0),
            doses: 1
        }]),
        ProblemError::UnknownSupplyVenue(2)
    );
    assert_eq!(
        refused(&|p| p.weights.km = -1.0),
        ProblemError::BadWeight("km")
    );
    let message = refused(&|p| p.window.min_days = 0).to_string();
    assert!(
        message.contains("interval window") && message.contains("接種間隔"),
        "{message}"
    );
}
