//! Two runs per vehicle within a leg's window (issue 13): on the end-to-end test's day (the
//! demo city's V03 with three vehicles of 8, 8 and 4 seats), the seats of one 50-minute
//! window bound the riders served; a vehicle that drops a first load early fetches a second
//! one before the band starts, and a second run takes riders home once it is back. Measured
//! against one run per leg in the same test; every run passes the checker, no vehicle is in
//! two places, and no rider rides twice the same way.

use std::collections::{HashMap, HashSet};

use chrono::NaiveDate;
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::transport::{
    day_transport, import_fleet, plan_day_sharing, replan_day, FleetSharing, SearchBudget,
};
use vax_demo::DemoParams;
use vax_domain::role::Role;
use vax_ledger::{Ledger, LegDirection};
use vax_routing::{verify, Plan, TransportProblem, Trip};

use crate::now;

const FLEET: &str = "車両,座席,始業,終業,車庫緯度,車庫経度\n\
    1号車,8,07:30,18:00,35.4747,135.3859\n\
    2号車,8,07:30,18:00,35.4747,135.3859\n\
    福祉タクシー,4,07:30,18:00,35.4747,135.3859\n";

#[test]
fn a_vehicle_makes_a_second_run_within_the_window_and_serves_more_riders() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let params = DemoParams {
        residents: 3_000,
        start: NaiveDate::from_ymd_opt(2021, 5, 17).unwrap(),
        ..DemoParams::default()
    };
    load_demo_city(&mut ledger, &params, now(), &mut NoProgress).unwrap();
    import_fleet(&mut ledger, Role::Headquarters, FLEET.as_bytes()).unwrap();
    let budget = SearchBudget {
        seconds: 60.0,
        max_iterations: Some(200),
        seed: 1,
    };
    let (venue, date) = ("V03", params.start);
    let hq = Role::Headquarters;
    let one = plan_day_sharing(
        &mut ledger,
        hq,
        venue,
        date,
        now(),
        &budget,
        FleetSharing::LegAware,
    )
    .unwrap();
    let two = plan_day_sharing(
        &mut ledger,
        hq,
        venue,
        date,
        now(),
        &budget,
        FleetSharing::TwoRuns,
    )
    .unwrap();
    eprintln!(
        "one run: {} of {} trips served, {:.1} km; two runs: {} served, {:.1} km, {} second runs",
        one.rides,
        2 * one.riders,
        one.km,
        two.rides,
        two.km,
        two.second_runs
    );
    assert_eq!(one.second_runs, 0);
    assert!(two.second_runs > 0, "{two:?}");
    assert!(two.rides > one.rides, "{} → {}", one.rides, two.rides);

    let legs = ledger.reader().transport_legs(venue, date).unwrap();
    assert_eq!(legs.len(), two.legs);
    assert!(legs.iter().any(|l| l.run == 2));
    // Every run passes the checker; a first run to the venue arrives no later than the band.
    // (direction, leave garage, venue arrival, venue departure, back at garage)
    type Run = (LegDirection, f64, f64, f64, f64);
    let mut runs: HashMap<String, Vec<Run>> = HashMap::new();
    let mut rode: HashSet<(String, LegDirection)> = HashSet::new();
    for leg in &legs {
        let problem = TransportProblem::from_json(&leg.problem_json).unwrap();
        let plan = Plan::from_json(&leg.plan_json).unwrap();
        verify(&problem, &plan).unwrap();
        if let Trip::ToVenue { arrive_by } = problem.trip {
            let band = leg.band_start.format("%H:%M").to_string();
            assert!(vax_routing::clock(arrive_by.minutes()) <= band);
        }
        for route in &plan.routes {
            runs.entry(route.vehicle.clone()).or_default().push((
                leg.direction,
                route.leave_garage_minute,
                route.venue_arrival_minute,
                route.venue_departure_minute,
                route.back_at_garage_minute,
            ));
            for stop in &route.stops {
                assert!(
                    rode.insert((stop.rider.clone(), leg.direction)),
                    "{} rides twice {:?}",
                    stop.rider,
                    leg.direction
                );
            }
        }
    }
    // No vehicle in two places: a vehicle's next run leaves the garage after it is back
    // there, or, home from the venue, reaches the venue after its run there unloaded.
    for (vehicle, mut times) in runs {
        times.sort_by(|a, b| a.1.total_cmp(&b.1));
        for pair in times.windows(2) {
            let (prev, next) = (pair[0], pair[1]);
            let from_garage = next.1 >= prev.4 - 1e-6;
            let from_venue = prev.0 == LegDirection::ToVenue
                && next.0 == LegDirection::FromVenue
                && next.2 >= prev.3 - 1e-6;
            assert!(
                from_garage || from_venue,
                "{vehicle} in two places: {prev:?} then {next:?}"
            );
        }
    }
    // The day reads back with each second run named, and a re-plan with nothing changed
    // moves nobody and adds nobody.
    let day = day_transport(&ledger.reader(), venue, date).unwrap();
    assert!(day.runs.iter().any(|r| r.run == 2));
    let replan = replan_day(&mut ledger, hq, venue, date, now()).unwrap();
    assert!(
        replan.added.is_empty() && replan.cancelled.is_empty() && replan.changed.is_empty(),
        "{replan:?}"
    );
}
