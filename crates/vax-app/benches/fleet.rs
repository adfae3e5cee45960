//! The planner and the bus fleet: the demo city planned without the fleet (as before) and
//! with it (rider limits from the fleet), then every venue day with riders routed by the
//! transport planner; prints the riders the buses serve in each run.
//!
//! `cargo bench -p vax-app --bench fleet` (3,000 residents, the 2-vehicle fleet of 8 seats;
//! `VAX_BENCH_RESIDENTS`, `VAX_BENCH_VEHICLES` change them). Without `--bench` it returns at
//! once (`cargo test --all-targets` runs it too).

use std::collections::BTreeMap;
use std::time::Instant;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::transport::{import_fleet, plan_day, SearchBudget};
use vax_demo::DemoParams;
use vax_domain::clock::jst;
use vax_domain::role::Role;
use vax_ledger::Ledger;

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
    riders: usize,
    venue_days: usize,
    busiest_bus_time: usize,
    trips: usize,
    trips_served: usize,
}

fn run(
    fleet_csv: &str,
    fleet_first: bool,
    residents: usize,
) -> Result<Outcome, Box<dyn std::error::Error>> {
    let mut ledger = Ledger::open_in_memory()?;
    let params = DemoParams {
        residents,
        start: NaiveDate::from_ymd_opt(2021, 5, 17).expect("a date"),
        ..DemoParams::default()
    };
    if fleet_first {
        import_fleet(&mut ledger, Role::Headquarters, fleet_csv.as_bytes())?;
    }
    load_demo_city(&mut ledger, &params, now(), &mut NoProgress)?;
    if !fleet_first {
        import_fleet(&mut ledger, Role::Headquarters, fleet_csv.as_bytes())?;
    }
    let reader = ledger.reader();
    let mut days: BTreeMap<(NaiveDate, String), usize> = BTreeMap::new();
    let mut bus_times: BTreeMap<(NaiveDate, NaiveTime), usize> = BTreeMap::new();
    for load in reader.band_loads()? {
        let riders = reader
            .bookings_in_band(load.band.id)?
            .iter()
            .filter(|(_, r)| r.survey.as_ref().is_some_and(|s| s.needs_transport))
            .count();
        if riders > 0 {
            *days
                .entry((load.band.date, load.band.venue_code.clone()))
                .or_default() += riders;
            *bus_times
                .entry((load.band.date, load.band.start))
                .or_default() += riders;
        }
    }
    let mut out = Outcome {
        riders: days.values().sum(),
        venue_days: days.len(),
        busiest_bus_time: bus_times.values().copied().max().unwrap_or(0),
        ..Outcome::default()
    };
    let budget = SearchBudget {
        seconds: 10.0,
        max_iterations: Some(200),
        seed: 1,
    };
    for (date, venue) in days.keys() {
        let report = plan_day(
            &mut ledger,
            Role::Headquarters,
            venue,
            *date,
            now(),
            &budget,
        )?;
        out.trips += 2 * report.riders;
        out.trips_served += report.rides;
    }
    Ok(out)
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let residents = env("VAX_BENCH_RESIDENTS", 3_000);
    let vehicles = env("VAX_BENCH_VEHICLES", 2);
    let mut fleet = String::from("車両,座席,始業,終業,車庫緯度,車庫経度\n");
    for v in 1..=vehicles {
        fleet.push_str(&format!("{v}号車,8,07:30,18:00,35.4747,135.3859\n"));
    }
    println!("demo city of {residents}, fleet of {vehicles} vehicles × 8 seats");
    println!("| planner | riders' bookings | venue days with riders | most riders at one bus time | trips served / needed |\n|---|---:|---:|---:|---:|");
    for (name, fleet_first) in [
        ("without the fleet (before)", false),
        ("with the fleet (after)", true),
    ] {
        let t = Instant::now();
        let o = run(&fleet, fleet_first, residents)?;
        println!(
            "| {name} | {} | {} | {} | {} / {} ({:.0} %) |",
            o.riders,
            o.venue_days,
            o.busiest_bus_time,
            o.trips_served,
            o.trips,
            100.0 * o.trips_served as f64 / o.trips.max(1) as f64
        );
        eprintln!("({name}: {:.1?})", t.elapsed());
    }
    Ok(())
}
