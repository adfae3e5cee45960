//! The bus-kilometres bench (issue 13): what booking riders into the bands the buses serve
//! saves against planning slots and buses separately, what leg-aware fleet sharing adds, and
//! what a second run per vehicle within a leg's window adds.
//!
//! The demo city is planned twice by the real planner: **separately** (the fleet imported
//! after the plan, so the planner knows nothing of the buses: slots first, buses after) and
//! **together** (rider limits from the fleet, issue 12). Every venue day with riders is then
//! routed by `plan_day_sharing` three times: garage-only hand-over, leg-aware sharing with
//! one run per vehicle and leg (before), and with two runs (after). For each of the six
//! runs: riders' trips served of those needed, bus-km, km per trip served, vehicles, and
//! every stored leg re-checked with vax-routing's independent
//! checker (seats, time windows, ride limit, shifts, every rider once): `checked` counts legs
//! that pass, and the bench fails if any does not.
//!
//! `cargo bench -p vax-app --bench bus_km` (3,000 residents, 3 vehicles of 8, 8 and 4 seats,
//! the end-to-end test's fleet; `VAX_BENCH_RESIDENTS`, `VAX_BENCH_ITERATIONS`). Without
//! `--bench` it returns at once (`cargo test --all-targets` runs it too).

use std::collections::BTreeSet;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::transport::{import_fleet, plan_day_sharing, FleetSharing, SearchBudget};
use vax_demo::DemoParams;
use vax_domain::clock::jst;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_routing::{verify, Plan, TransportProblem};

const FLEET: &str = "車両,座席,始業,終業,車庫緯度,車庫経度\n\
    1号車,8,07:30,18:00,35.4747,135.3859\n\
    2号車,8,07:30,18:00,35.4747,135.3859\n\
    福祉タクシー,4,07:30,18:00,35.4747,135.3859\n";

fn now() -> DateTime<FixedOffset> {
    jst()
        .with_ymd_and_hms(2021, 5, 10, 9, 0, 0)
        .single()
        .expect("a valid instant")
}

fn env(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

#[derive(Default)]
struct Outcome {
    trips: usize,
    served: usize,
    km: f64,
    vehicle_days: usize,
    legs: usize,
    checked: usize,
}

/// The demo city planned with or without the fleet known to the planner.
fn city(residents: usize, fleet_first: bool) -> Result<Ledger, Box<dyn std::error::Error>> {
    let mut ledger = Ledger::open_in_memory()?;
    let params = DemoParams {
        residents,
        start: NaiveDate::from_ymd_opt(2021, 5, 17).expect("a date"),
        ..DemoParams::default()
    };
    if fleet_first {
        import_fleet(&mut ledger, Role::Headquarters, FLEET.as_bytes())?;
    }
    load_demo_city(&mut ledger, &params, now(), &mut NoProgress)?;
    if !fleet_first {
        import_fleet(&mut ledger, Role::Headquarters, FLEET.as_bytes())?;
    }
    Ok(ledger)
}

fn route_every_day(
    ledger: &mut Ledger,
    sharing: FleetSharing,
    iterations: u64,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let reader = ledger.reader();
    let mut days = BTreeSet::new();
    for load in reader.band_loads()? {
        let rides = reader
            .bookings_in_band(load.band.id)?
            .iter()
            .any(|(_, r)| r.survey.as_ref().is_some_and(|s| s.needs_transport));
        if rides {
            days.insert((load.band.date, load.band.venue_code.clone()));
        }
    }
    let budget = SearchBudget {
        seconds: 600.0,
        max_iterations: Some(iterations),
        seed: 1,
    };
    let mut out = Outcome::default();
    for (date, venue) in &days {
        let report = plan_day_sharing(
            ledger,
            Role::Headquarters,
            venue,
            *date,
            now(),
            &budget,
            sharing,
        )?;
        out.trips += 2 * report.riders;
        out.served += report.rides;
        out.km += report.km;
        out.vehicle_days += report.vehicles;
        for leg in ledger.reader().transport_legs(venue, *date)? {
            let problem = TransportProblem::from_json(&leg.problem_json)?;
            let plan = Plan::from_json(&leg.plan_json)?;
            out.legs += 1;
            match verify(&problem, &plan) {
                Ok(_) => out.checked += 1,
                Err(v) => return Err(format!("{venue} {date} leg fails the checker: {v:?}").into()),
            }
        }
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let residents = env("VAX_BENCH_RESIDENTS", 3_000);
    let iterations = env("VAX_BENCH_ITERATIONS", 300) as u64;
    println!(
        "demo city of {residents}, fleet 8 + 8 + 4 seats, {iterations} iterations per leg, seed 1"
    );
    println!("| planner | fleet hand-over | trips served / needed | bus-km | km per trip served | vehicle-days | legs checked |\n|---|---|---:|---:|---:|---:|---:|");
    for (planner, fleet_first) in [
        ("slots and buses separately", false),
        ("riders booked into bus bands", true),
    ] {
        let mut ledger = city(residents, fleet_first)?;
        for (name, sharing) in [
            ("garage only", FleetSharing::GarageOnly),
            (
                "leg-aware, one run per leg (before)",
                FleetSharing::LegAware,
            ),
            ("leg-aware, two runs per leg (after)", FleetSharing::TwoRuns),
        ] {
            let t = Instant::now();
            let o = route_every_day(&mut ledger, sharing, iterations)?;
            println!(
                "| {planner} | {name} | {} / {} ({:.0} %) | {:.1} | {:.2} | {} | {} / {} |",
                o.served,
                o.trips,
                100.0 * o.served as f64 / o.trips.max(1) as f64,
                o.km,
                o.km / o.served.max(1) as f64,
                o.vehicle_days,
                o.checked,
                o.legs
            );
            eprintln!("({planner}, {name}: {:.1?})", t.elapsed());
        }
    }
    Ok(())
}
