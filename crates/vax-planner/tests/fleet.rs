//! The bus fleet: transport riders are never booked beyond what the fleet carries to the
//! bands that start together, the checker finds a plan that does, and a bad limit is refused.

mod common;

use std::collections::BTreeMap;

use common::*;
use vax_planner::model::{Problem, ProblemError, RiderLimit, Seats};
use vax_planner::verify::Violation;
use vax_planner::{plan, verify, PlanOptions, Schedule};

/// Two venues, 9:00 and 14:00 bands of 20 for 40 days, every band bus-served; 30 riders and
/// 30 others.
fn city_with_riders() -> Problem {
    let mut p = city(2, 40, 20);
    for b in &mut p.bands {
        b.bus_served = true;
    }
    p.residents = (0..60)
        .map(|i| {
            let mut r = resident(i, 1940 + (i as i32 % 30), (i % 7) as f64 * 0.02);
            r.needs_transport = i < 30;
            r
        })
        .collect();
    p
}

/// One limit per (day, start) over both venues, carrying `riders`.
fn fleet(p: &Problem, riders: u32) -> Vec<RiderLimit> {
    let mut groups: BTreeMap<_, Vec<usize>> = BTreeMap::new();
    for (i, b) in p.bands.iter().enumerate() {
        groups.entry((b.date, b.start)).or_default().push(i);
    }
    groups
        .into_values()
        .map(|bands| RiderLimit { bands, riders })
        .collect()
}

/// The most riders in any limit's bands.
fn busiest(p: &Problem, seats: &[Seats], limits: &[RiderLimit]) -> u32 {
    limits
        .iter()
        .map(|l| {
            p.residents
                .iter()
                .zip(seats)
                .filter(|(r, _)| r.needs_transport)
                .flat_map(|(_, s)| [s.first, s.second])
                .flatten()
                .filter(|b| l.bands.contains(b))
                .count() as u32
        })
        .max()
        .unwrap_or(0)
}

#[test]
fn riders_are_spread_over_what_the_fleet_carries() {
    let mut p = city_with_riders();
    let limits = fleet(&p, 4);
    // Without the fleet the planner pools the riders onto as few venue days as it can.
    let pooled = plan(&p, &PlanOptions::default()).unwrap();
    assert!(verify(&p, &pooled).is_empty());
    assert!(
        busiest(&p, &pooled.seats, &limits) > 4,
        "pooling alone puts more riders on one bus time than a fleet of 4 seats carries"
    );
    p.rider_limits = limits.clone();
    let s = plan(&p, &PlanOptions::default()).unwrap();
    assert_eq!(verify(&p, &s), Vec::new());
    assert!(s.unplaced.is_empty(), "{:?}", s.unplaced);
    assert!(busiest(&p, &s.seats, &limits) <= 4);
}

#[test]
fn riders_beyond_the_fleet_are_reported_not_overbooked() {
    let mut p = city_with_riders();
    p.bands.truncate(8); // venue 0, four days of two bands: 8 bus times
    p.window.min_days = 1;
    p.window.standard_days = 1;
    p.window.max_days = 1;
    p.rider_limits = fleet(&p, 3);
    let s = plan(&p, &PlanOptions::default()).unwrap();
    assert_eq!(verify(&p, &s), Vec::new());
    assert!(busiest(&p, &s.seats, &p.rider_limits) <= 3);
    let riders_placed = p
        .residents
        .iter()
        .zip(&s.seats)
        .filter(|(r, s)| r.needs_transport && s.second.is_some())
        .count();
    assert!(
        riders_placed * 2 <= 8 * 3,
        "two rides each, 3 seats at 8 times: {riders_placed}"
    );
    assert!(riders_placed < 30 && !s.unplaced.is_empty());
    assert!(s
        .unplaced
        .iter()
        .all(|u| p.residents[u.resident].needs_transport));
}

#[test]
fn the_checker_finds_riders_over_the_fleet() {
    let mut p = city_with_riders();
    p.residents.truncate(3);
    p.rider_limits = fleet(&p, 2);
    // Bands 0 (venue 0, day 0, 9:00) and 80 (venue 1, day 0, 9:00) share a limit.
    let pair = |a, b| Seats {
        first: Some(a),
        second: Some(b),
    };
    let s = Schedule {
        seats: vec![pair(0, 42), pair(80, 122), pair(0, 42)],
        unplaced: Vec::new(),
    };
    let v = verify(&p, &s);
    assert!(
        v.iter().any(|v| matches!(
            v,
            Violation::OverRiderLimit {
                riders: 3,
                carries: 2,
                ..
            }
        )),
        "{v:?}"
    );
    // Riders held before the plan are not the plan's fault.
    for (r, seats) in p.residents.iter_mut().zip(&s.seats) {
        r.booked = *seats;
    }
    assert!(!verify(&p, &s)
        .iter()
        .any(|v| matches!(v, Violation::OverRiderLimit { .. })));
}

#[test]
fn a_band_in_two_limits_or_none_is_refused() {
    let mut p = city_with_riders();
    p.rider_limits = vec![
        RiderLimit {
            bands: vec![0, 1],
            riders: 4,
        },
        RiderLimit {
            bands: vec![1],
            riders: 4,
        },
    ];
    assert_eq!(
        p.validate(),
        Err(ProblemError::BadRiderLimit { limit: 1, band: 1 })
    );
    p.rider_limits = vec![RiderLimit {
        bands: vec![10_000],
        riders: 4,
    }];
    assert!(matches!(
        p.validate(),
        Err(ProblemError::BadRiderLimit { band: 10_000, .. })
    ));
}
