//! Solving, checking and re-planning transport problems end to end through the public API.

use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use proptest::prelude::*;
use vax_domain::venue::Coordinates;
use vax_routing::{
    city::city_day, replan, solve, verify, Change, ClockTime, Limits, Plan, PlanError,
    ReplanOptions, Rider, Rule, TransportProblem, Travel, TravelMatrix, Trip, UnservedReason,
    Vehicle,
};

const SMALL: &str = include_str!("golden/problem-small.json");

fn solve_iterations(problem: &TransportProblem, iterations: u64) -> Plan {
    let cancel = AtomicBool::new(false);
    let elapsed = || Duration::ZERO;
    let limits = Limits {
        time: Duration::from_secs(3600),
        max_iterations: Some(iterations),
        elapsed: &elapsed,
        cancel: &cancel,
    };
    solve(problem, 1, &limits)
}

fn small() -> TransportProblem {
    TransportProblem::from_json(SMALL).expect("valid sample")
}

fn rider(id: &str, lat: f64, lon: f64) -> Rider {
    Rider {
        id: id.into(),
        at: Coordinates { lat, lon },
        seats: 1,
        boarding_minutes: 2.0,
        earliest_pickup: None,
        max_ride_minutes: None,
    }
}

#[test]
fn sample_is_solved_and_verified() {
    let p = small();
    let plan = solve_iterations(&p, 500);
    let v = verify(&p, &plan).expect("feasible");
    // R005's 20-minute limit and R004's 08:50 keep them from sharing one 45-minute loop.
    assert_eq!((v.vehicles, v.served), (2, 6));
    assert!(plan.unserved.is_empty());
    // R005 may ride 20 minutes at most; R004 not before 08:50.
    let stops: Vec<_> = plan.routes.iter().flat_map(|r| &r.stops).collect();
    let r005 = stops
        .iter()
        .find(|s| s.rider == "R005")
        .expect("R005 on board");
    assert!(r005.ride_minutes <= 20.0 + 1e-9);
    let r004 = stops
        .iter()
        .find(|s| s.rider == "R004")
        .expect("R004 on board");
    assert!(r004.minute >= 8.0 * 60.0 + 50.0);
}

/// The plan format, byte for byte. Regenerate with `UPDATE_GOLDEN=1` after an intended change
/// of the format or the search (and read the diff).
#[test]
fn golden_plan_of_the_sample() {
    let plan = solve_iterations(&small(), 500);
    let json = plan.to_json() + "\n";
    let path = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/golden/plan-small.json");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(path, &json).expect("write golden");
    }
    let golden = std::fs::read_to_string(path).expect("golden file");
    assert_eq!(json, golden);
    assert_eq!(Plan::from_json(&golden).expect("parses"), plan);
    verify(&small(), &Plan::from_json(&golden).expect("parses")).expect("golden plan is feasible");
}

#[test]
fn malformed_plans_are_rejected() {
    assert!(matches!(
        Plan::from_json("[]"),
        Err(PlanError::Json { line: 1, .. })
    ));
    let plan = solve_iterations(&small(), 100);
    let other = plan.to_json().replace("vaxledger-transport-plan/1", "v/2");
    assert!(matches!(
        Plan::from_json(&other),
        Err(PlanError::Format { .. })
    ));
    let extra = plan
        .to_json()
        .replacen("\"vehicles_used\"", "\"colour\": 1, \"vehicles_used\"", 1);
    assert!(Plan::from_json(&extra)
        .unwrap_err()
        .to_string()
        .contains("unknown field"));
}

fn rules(p: &TransportProblem, plan: &Plan) -> Vec<Rule> {
    verify(p, plan)
        .expect_err("must be infeasible")
        .iter()
        .map(|v| v.rule)
        .collect()
}

#[test]
fn the_checker_catches_each_broken_rule() {
    let p = small();
    let good = solve_iterations(&p, 300);
    verify(&p, &good).expect("feasible");

    let mut early = good.clone();
    early.routes[0].stops[1].minute -= 10.0;
    assert!(rules(&p, &early).contains(&Rule::TravelTime));

    let mut late = good.clone();
    let route = &mut late.routes[0];
    route.venue_arrival_minute += 30.0;
    route.venue_departure_minute += 30.0;
    route.back_at_garage_minute += 30.0;
    for s in &mut route.stops {
        s.ride_minutes += 30.0;
    }
    assert!(rules(&p, &late).contains(&Rule::VenueTime));

    let mut long_ride = good.clone();
    long_ride.routes[0].stops[0].ride_minutes += 1.0;
    assert!(rules(&p, &long_ride).contains(&Rule::RideTime));

    let mut missing = good.clone();
    missing.routes[0].stops.pop();
    let r = rules(&p, &missing);
    assert!(
        r.contains(&Rule::EveryRiderOnce) && r.contains(&Rule::Seats),
        "{r:?}"
    );

    let mut twice = good.clone();
    let copy = twice.routes[0].clone();
    twice.routes.push(copy);
    let r = rules(&p, &twice);
    assert!(
        r.contains(&Rule::EveryRiderOnce) && r.contains(&Rule::UnknownOrRepeatedId),
        "{r:?}"
    );

    let mut km = good.clone();
    km.total_km += 1.0;
    assert_eq!(rules(&p, &km), vec![Rule::Totals]);

    let mut small_bus = p.clone();
    small_bus.vehicles[0].seats = 3;
    assert!(rules(&small_bus, &good).contains(&Rule::Seats));

    let mut short_shift = p.clone();
    short_shift.vehicles[0].shift_end = ClockTime(9 * 60 + 31);
    assert!(rules(&short_shift, &good).contains(&Rule::VehicleHours));

    let mut window = p.clone();
    window.riders[0].earliest_pickup = Some(ClockTime(9 * 60 + 20));
    assert!(rules(&window, &good).contains(&Rule::PickupWindow));

    let mut wrong_reason = good.clone();
    let moved = wrong_reason.routes[0].stops.remove(0);
    wrong_reason.routes[0].seats_used -= 1;
    wrong_reason.unserved.push(vax_routing::Unserved {
        rider: moved.rider,
        reason: UnservedReason::NoSeatLargeEnough,
    });
    let r = rules(&p, &wrong_reason);
    assert!(r.contains(&Rule::Reason), "{r:?}");
}

#[test]
fn riders_who_cannot_be_served_are_reported_with_the_reason() {
    let mut p = small();
    let mut far = rider("FAR", 36.2, 136.2); // about 110 km away
    far.max_ride_minutes = Some(45.0);
    let mut big = rider("BIG", 35.46, 135.36);
    big.seats = 12;
    let mut too_late = rider("LATE", 35.46, 135.36);
    too_late.earliest_pickup = Some(ClockTime(9 * 60 + 29));
    p.riders.extend([far, big, too_late]);
    p.validate().expect("valid");
    let plan = solve_iterations(&p, 300);
    verify(&p, &plan).expect("feasible");
    let reasons: Vec<(&str, UnservedReason)> = plan
        .unserved
        .iter()
        .map(|u| (u.rider.as_str(), u.reason))
        .collect();
    assert_eq!(
        reasons,
        vec![
            ("BIG", UnservedReason::NoSeatLargeEnough),
            ("FAR", UnservedReason::BeyondRideLimit),
            ("LATE", UnservedReason::TimeWindowImpossible),
        ]
    );
}

#[test]
fn a_fleet_too_small_and_shifts_too_short_are_reported() {
    let mut p = small();
    p.vehicles = vec![Vehicle {
        id: "taxi".into(),
        seats: 4,
        shift_start: ClockTime(7 * 60),
        shift_end: ClockTime(13 * 60),
    }];
    let plan = solve_iterations(&p, 300);
    verify(&p, &plan).expect("feasible");
    assert_eq!(plan.vehicles_used, 1);
    assert!(!plan.unserved.is_empty());
    assert!(plan
        .unserved
        .iter()
        .all(|u| u.reason == UnservedReason::FleetTooSmall));
    let served: usize = plan.routes.iter().map(|r| r.stops.len()).sum();
    assert_eq!(served + plan.unserved.len(), 6);

    p.vehicles[0].shift_start = ClockTime(9 * 60 + 25);
    let plan = solve_iterations(&p, 100);
    verify(&p, &plan).expect("feasible");
    assert!(plan.routes.is_empty());
    assert!(plan
        .unserved
        .iter()
        .all(|u| u.reason == UnservedReason::OutsideVehicleHours));
}

#[test]
fn the_return_trip_is_solved_and_verified() {
    let mut p = small();
    p.trip = Trip::FromVenue {
        ready_at: ClockTime(11 * 60),
    };
    p.riders[3].earliest_pickup = None;
    let plan = solve_iterations(&p, 300);
    verify(&p, &plan).expect("feasible");
    for r in &plan.routes {
        assert!(r.venue_departure_minute >= 11.0 * 60.0 + 5.0 - 1e-9);
        for s in &r.stops {
            assert!(s.minute > r.venue_departure_minute);
        }
    }
}

#[test]
fn a_matrix_from_hq_drives_the_plan() {
    let mut p = small();
    let ids: Vec<String> = ["garage", "venue"]
        .into_iter()
        .map(String::from)
        .chain(p.riders.iter().map(|r| r.id.clone()))
        .collect();
    let n = ids.len();
    // Every trip 2 km and 6 minutes, except into R003 which costs 10 km.
    let km: Vec<Vec<f64>> = (0..n)
        .map(|i| {
            (0..n)
                .map(|j| {
                    if i == j {
                        0.0
                    } else if ids[j] == "R003" {
                        10.0
                    } else {
                        2.0
                    }
                })
                .collect()
        })
        .collect();
    let minutes = km
        .iter()
        .map(|row| {
            row.iter()
                .map(|&k| if k == 0.0 { 0.0 } else { 6.0 })
                .collect()
        })
        .collect();
    p.travel = Travel::Matrix(TravelMatrix { ids, km, minutes });
    let p = TransportProblem::from_json(&p.to_json()).expect("valid");
    let plan = solve_iterations(&p, 300);
    let v = verify(&p, &plan).expect("feasible");
    // Six riders in one vehicle: the first would ride 6 × 6 + 15 boarding = 51 > 45 minutes.
    // So two vehicles, 6 + 2 × 2 legs: 9 × 2 km + 10 km into R003.
    assert_eq!(v.vehicles, 2);
    assert!((v.km - 28.0).abs() < 1e-9, "{}", v.km);
}

#[test]
fn cancellation_keeps_every_announced_time() {
    let p = city_day(40, true, 7);
    let plan = solve_iterations(&p, 3000);
    verify(&p, &plan).expect("feasible");
    let cancelled = plan.routes[0].stops[0].rider.clone();
    let t0 = Instant::now();
    let out = replan(
        &p,
        &plan,
        &Change::Cancel {
            rider: cancelled.clone(),
        },
        &ReplanOptions::default(),
    )
    .expect("replans");
    assert!(t0.elapsed() < Duration::from_secs(1));
    verify(&out.problem, &out.plan).expect("feasible");
    assert!(out.changed.is_empty(), "{:?}", out.changed);
    assert!(out.plan.total_km <= plan.total_km + 1e-9);
    assert!(out
        .plan
        .routes
        .iter()
        .flat_map(|r| &r.stops)
        .all(|s| s.rider != cancelled));
    let e = replan(
        &p,
        &plan,
        &Change::Cancel {
            rider: "NOBODY".into(),
        },
        &ReplanOptions::default(),
    )
    .expect_err("unknown");
    assert_eq!(e.to_string(), "rider \"NOBODY\" is not in the problem");
}

#[test]
fn a_new_rider_is_fitted_in_and_moves_are_reported() {
    let p = city_day(40, true, 7);
    let plan = solve_iterations(&p, 3000);
    let newcomer = rider("NEW", p.venue.lat + 0.02, p.venue.lon - 0.03);
    let t0 = Instant::now();
    let out = replan(
        &p,
        &plan,
        &Change::Add { rider: newcomer },
        &ReplanOptions::default(),
    )
    .expect("replans");
    assert!(t0.elapsed() < Duration::from_secs(1));
    verify(&out.problem, &out.plan).expect("feasible");
    assert!(out
        .plan
        .routes
        .iter()
        .flat_map(|r| &r.stops)
        .any(|s| s.rider == "NEW"));
    for c in &out.changed {
        assert!((c.after_minute - c.before_minute - c.shift_minutes).abs() < 1e-9);
        assert_ne!(c.rider, "NEW");
    }
    let dup = replan(
        &p,
        &plan,
        &Change::Add {
            rider: rider("R001", 35.45, 135.3),
        },
        &ReplanOptions::default(),
    );
    assert!(dup.is_err());
}

#[test]
fn a_cancelled_search_still_returns_a_checked_plan_and_an_empty_day_returns_at_once() {
    let p = city_day(40, true, 5);
    let cancel = AtomicBool::new(true);
    let elapsed = || Duration::ZERO;
    let limits = Limits {
        time: Duration::from_secs(3600),
        max_iterations: None,
        elapsed: &elapsed,
        cancel: &cancel,
    };
    let t0 = Instant::now();
    let plan = solve(&p, 1, &limits);
    assert!(t0.elapsed() < Duration::from_secs(5));
    let v = verify(&p, &plan).expect("the first solution is feasible");
    assert_eq!(v.served, 40);

    let mut empty = p.clone();
    empty.riders.clear();
    let cancel = AtomicBool::new(false);
    let limits = Limits {
        time: Duration::from_secs(3600),
        max_iterations: None,
        elapsed: &elapsed,
        cancel: &cancel,
    };
    let plan = solve(&empty, 1, &limits);
    assert_eq!(
        (plan.vehicles_used, plan.routes.len(), plan.unserved.len()),
        (0, 0, 0)
    );
    verify(&empty, &plan).expect("an empty plan for an empty day");
}

#[test]
fn the_time_budget_is_kept() {
    let p = city_day(40, true, 5);
    let cancel = AtomicBool::new(false);
    let t0 = Instant::now();
    let elapsed = move || t0.elapsed();
    let limits = Limits {
        time: Duration::from_millis(300),
        max_iterations: None,
        elapsed: &elapsed,
        cancel: &cancel,
    };
    let plan = solve(&p, 1, &limits);
    assert!(t0.elapsed() < Duration::from_secs(2), "{:?}", t0.elapsed());
    verify(&p, &plan).expect("feasible");
}

#[test]
fn without_a_spare_vehicle_a_new_rider_is_fitted_by_reshuffling_and_moves_are_listed() {
    let mut p = city_day(40, true, 7);
    let plan = solve_iterations(&p, 3000);
    // Only the vehicles in use stay in the fleet: no spare one.
    p.vehicles
        .retain(|v| plan.routes.iter().any(|r| r.vehicle == v.id));
    let newcomer = rider("NEW", p.venue.lat + 0.03, p.venue.lon - 0.04);
    let t0 = Instant::now();
    let out = replan(
        &p,
        &plan,
        &Change::Add { rider: newcomer },
        &ReplanOptions::default(),
    )
    .expect("replans");
    assert!(t0.elapsed() < Duration::from_secs(1));
    verify(&out.problem, &out.plan).expect("feasible");
    assert!(out.plan.vehicles_used <= plan.vehicles_used);
    let served = out
        .plan
        .routes
        .iter()
        .flat_map(|r| &r.stops)
        .any(|s| s.rider == "NEW");
    let reported = out
        .plan
        .unserved
        .iter()
        .any(|u| u.rider == "NEW" && u.reason == UnservedReason::FleetTooSmall);
    assert!(served != reported, "served or reported, exactly one");
    if served {
        // A reshuffle moves someone; the list says who and by how much.
        assert!(!out.changed.is_empty());
    }
}

fn arbitrary_problem() -> impl Strategy<Value = TransportProblem> {
    let riders = prop::collection::vec(
        (
            0.0..0.12f64,
            0.0..0.15f64,
            1u32..=3,
            1.0..6.0f64,
            prop::option::of(20u32..60),
        ),
        1..14,
    );
    // Shifts start from 07:00 to 12:00: on the way home (ready at 11:00) some buses come
    // to the venue late, and the riders' wait and ride are then checked apart.
    let fleet = prop::collection::vec((2u32..=10, 0u32..=300, 180u32..=400), 1..4);
    (riders, fleet, any::<bool>(), 20.0..60.0f64).prop_map(|(riders, fleet, to_venue, limit)| {
        let mut p = city_day(1, to_venue, 3);
        p.max_ride_minutes = limit;
        p.riders = riders
            .into_iter()
            .enumerate()
            .map(|(i, (dlat, dlon, seats, boarding, own_limit))| Rider {
                id: format!("P{i}"),
                at: Coordinates {
                    lat: 35.40 + dlat,
                    lon: 135.25 + dlon,
                },
                seats,
                boarding_minutes: boarding,
                earliest_pickup: None,
                max_ride_minutes: own_limit.map(f64::from),
            })
            .collect();
        p.vehicles = fleet
            .into_iter()
            .enumerate()
            .map(|(i, (seats, start, length))| Vehicle {
                id: format!("V{i}"),
                seats,
                shift_start: ClockTime(7 * 60 + start),
                shift_end: ClockTime((7 * 60 + start + length).min(23 * 60)),
            })
            .collect();
        p
    })
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(48))]
    #[test]
    fn solver_output_always_passes_the_checker(p in arbitrary_problem()) {
        p.validate().expect("generated problems are valid");
        let plan = solve_iterations(&p, 150);
        let v = verify(&p, &plan);
        prop_assert!(v.is_ok(), "{:?}", v.err());
        let v = v.expect("checked");
        prop_assert_eq!(v.served + plan.unserved.len(), p.riders.len());
        // A cancellation keeps the others' announced times where the rules allow; the
        // re-plan passes the checker too.
        if let Some(first) = plan.routes.first().and_then(|r| r.stops.first()) {
            let cancel = Change::Cancel { rider: first.rider.clone() };
            let next = replan(&p, &plan, &cancel, &ReplanOptions::default()).expect("replan");
            let v = verify(&next.problem, &next.plan);
            prop_assert!(v.is_ok(), "{:?}", v.err());
        }
    }
}

/// One rider and one vehicle with round figures: the garage 10 minutes from the venue and
/// from the rider, the rider 28 minutes' drive from the venue (a 30-minute ride with 2
/// minutes to get off or board).
fn one_rider_day(trip: Trip, shift_start: ClockTime, shift_end: ClockTime) -> TransportProblem {
    let ids: Vec<String> = ["garage", "venue", "R1"].map(String::from).to_vec();
    let minutes = vec![
        vec![0.0, 10.0, 10.0],
        vec![10.0, 0.0, 28.0],
        vec![10.0, 28.0, 0.0],
    ];
    let km = minutes
        .iter()
        .map(|row: &Vec<f64>| row.iter().map(|m| m / 2.0).collect())
        .collect();
    let mut p = small();
    p.trip = trip;
    p.riders = vec![rider("R1", 35.46, 135.36)];
    p.vehicles = vec![Vehicle {
        id: "bus".into(),
        seats: 8,
        shift_start,
        shift_end,
    }];
    p.travel = Travel::Matrix(TravelMatrix { ids, km, minutes });
    TransportProblem::from_json(&p.to_json()).expect("valid")
}

/// Issue 13's ride limit is the time on the bus. A rider ready at 10:15 goes home with a
/// bus that reaches the venue at 10:45 (after another trip), leaves at 10:50 and drives 28
/// minutes: a 30-minute ride, within 45, after a 30-minute wait at the venue. Before, the
/// limit counted from 10:15 (drop-off finished by 10:15 + 5 + 45 = 11:05), so the rider was
/// left unserved and the hand-made order refused.
#[test]
fn a_rider_ready_at_10_15_rides_home_on_a_bus_leaving_at_10_50() {
    let home = |start| {
        one_rider_day(
            Trip::FromVenue {
                ready_at: ClockTime(10 * 60 + 15),
            },
            start,
            ClockTime(18 * 60),
        )
    };
    let p = home(ClockTime(10 * 60 + 35));
    let plan = solve_iterations(&p, 50);
    verify(&p, &plan).expect("feasible");
    assert!(plan.unserved.is_empty(), "{:?}", plan.unserved);
    let route = &plan.routes[0];
    assert_eq!(route.venue_arrival_minute, 10.0 * 60.0 + 45.0);
    assert_eq!(route.venue_departure_minute, 10.0 * 60.0 + 50.0);
    assert_eq!(route.stops[0].minute, 11.0 * 60.0 + 18.0);
    assert_eq!(route.stops[0].ride_minutes, 30.0);
    // The move by hand uses the same rule.
    let order = [vax_routing::RouteOrder {
        vehicle: "bus".into(),
        riders: vec!["R1".into()],
    }];
    let by_hand = vax_routing::plan_from_order(&p, &order).expect("the order is accepted");
    verify(&p, &by_hand).expect("feasible");

    // The wait at the venue is bounded (60 minutes by default): a bus there at 11:20 is
    // 65 minutes late for riders ready at 10:15.
    let late = home(ClockTime(11 * 60 + 10));
    let plan = solve_iterations(&late, 50);
    verify(&late, &plan).expect("feasible");
    assert_eq!(plan.unserved.len(), 1);
    assert_eq!(plan.unserved[0].reason, UnservedReason::OutsideVehicleHours);
    assert!(vax_routing::plan_from_order(&late, &order).is_err());
    let mut patient = late.clone();
    patient.max_wait_minutes = 90.0;
    let plan = solve_iterations(&patient, 50);
    verify(&patient, &plan).expect("feasible");
    assert!(plan.unserved.is_empty());
}

/// To the venue the ride is exact too: a bus whose shift makes it reach the venue at 09:00
/// for a 09:30 band picks the rider up at 08:30 (30 minutes on board). The old window
/// (no pick-up before 09:30 − 5 − 45 = 08:40) refused it.
#[test]
fn a_bus_that_must_reach_the_venue_early_keeps_the_ride_limit_exactly() {
    // Back at the garage by 09:15: unloaded by 09:05, at the venue by 09:00.
    let p = one_rider_day(
        Trip::ToVenue {
            arrive_by: ClockTime(9 * 60 + 30),
        },
        ClockTime(7 * 60),
        ClockTime(9 * 60 + 15),
    );
    let plan = solve_iterations(&p, 50);
    verify(&p, &plan).expect("feasible");
    assert!(plan.unserved.is_empty(), "{:?}", plan.unserved);
    let route = &plan.routes[0];
    assert_eq!(route.venue_arrival_minute, 9.0 * 60.0);
    assert_eq!(route.stops[0].minute, 8.0 * 60.0 + 30.0);
    assert_eq!(route.stops[0].ride_minutes, 30.0);
    // A 25-minute limit is broken by any order.
    let mut strict = p.clone();
    strict.max_ride_minutes = 25.0;
    let plan = solve_iterations(&strict, 50);
    assert_eq!(plan.unserved[0].reason, UnservedReason::BeyondRideLimit);
}

/// The checker recomputes each ride from the route's own times: a rider whose real time on
/// the bus is over the limit is refused even when every stated figure agrees with the times,
/// and a bus that keeps riders waiting at the venue beyond `max_wait_minutes` too.
#[test]
fn the_checker_refuses_a_ride_over_the_limit_and_a_wait_too_long() {
    let p = one_rider_day(
        Trip::FromVenue {
            ready_at: ClockTime(10 * 60 + 15),
        },
        ClockTime(10 * 60 + 35),
        ClockTime(18 * 60),
    );
    let good = solve_iterations(&p, 50);
    verify(&p, &good).expect("feasible");

    // The bus dawdles 20 minutes on the way: 50 minutes on board, stated honestly.
    let mut slow = good.clone();
    let route = &mut slow.routes[0];
    route.stops[0].minute += 20.0;
    route.stops[0].ride_minutes += 20.0;
    route.back_at_garage_minute += 20.0;
    assert_eq!(rules(&p, &slow), vec![Rule::RideTime]);

    // The same 30-minute ride against a 25-minute limit.
    let mut strict = p.clone();
    strict.max_ride_minutes = 25.0;
    assert_eq!(rules(&strict, &good), vec![Rule::RideTime]);

    // Everything 35 minutes later: loading starts at 11:20, 65 minutes after 10:15.
    let mut late = good.clone();
    let route = &mut late.routes[0];
    for t in [
        &mut route.leave_garage_minute,
        &mut route.venue_arrival_minute,
        &mut route.venue_departure_minute,
        &mut route.back_at_garage_minute,
        &mut route.stops[0].minute,
    ] {
        *t += 35.0;
    }
    route.stops[0].clock = vax_routing::clock(route.stops[0].minute);
    assert_eq!(rules(&p, &late), vec![Rule::VenueWait]);
    let mut patient = p.clone();
    patient.max_wait_minutes = 65.0;
    verify(&patient, &late).expect("a 65-minute wait is allowed when the problem says so");
}
