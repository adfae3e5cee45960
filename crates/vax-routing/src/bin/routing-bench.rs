//! Benchmark of the routing solver: Solomon VRPTW instances against the best-known
//! hierarchical results, synthetic city days, and re-plans; optionally side by side with
//! peer solvers' routes (PyVRP, vrp-cli; run by scripts/bench-vrp-peers.sh), every solution
//! checked by the crate's independent checkers.
//! `--peer FILE` takes JSON lines `{solver, instance, seconds, routes}` (routes: Solomon
//! customer numbers per route, or `{vehicle, riders}` per route for a city day).
//!
//! ```text
//! cargo run --release -p vax-routing --bin routing-bench -- [--seconds N] [--quick] [--seed S]
//!     [--solomon DIR] [--export DIR] [--peer FILE]
//! ```
//! Single-threaded. `--quick` runs a subset at 2 s each (under 30 s, for CI).

use std::collections::HashMap;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use vax_routing::city::city_day;
use vax_routing::solomon::SolomonInstance;
use vax_routing::{
    plan_from_order, replan, solve, verify, Change, Limits, Plan, ReplanOptions, Rider, RouteOrder,
    TransportProblem,
};

/// Hierarchical best-known solutions (fewest vehicles, then distance, double precision):
/// SINTEF TOP "Solomon benchmark, 100 customers" table, as copied in
/// shared/data/solomon/bks.csv (see shared/docs/PERF-ANCHORS.md §1.1).
const BKS: [(&str, usize, f64); 6] = [
    ("C101", 10, 828.94),
    ("C201", 3, 591.56),
    ("R101", 19, 1650.80),
    ("R201", 4, 1252.37),
    ("RC101", 14, 1696.95),
    ("RC201", 4, 1406.94),
];

/// Synthetic city days: (name, riders, to the venue).
const CITY: [(&str, usize, bool); 7] = [
    ("city-10", 10, true),
    ("city-25", 25, true),
    ("city-40", 40, true),
    ("city-55", 55, true),
    ("city-70", 70, true),
    ("city-40-return", 40, false),
    ("city-70-return", 70, false),
];
const CITY_SEED: u64 = 2026;

struct Args {
    seconds: f64,
    quick: bool,
    seed: u64,
    solomon: String,
    export: Option<String>,
    peer: Option<String>,
}

fn parse_args() -> Result<Args, String> {
    let mut args = Args {
        seconds: 10.0,
        quick: false,
        seed: 1,
        solomon: concat!(env!("CARGO_MANIFEST_DIR"), "/../../../shared/data/solomon").to_owned(),
        export: None,
        peer: None,
    };
    let mut it = std::env::args().skip(1);
    while let Some(flag) = it.next() {
        let mut value = || it.next().ok_or(format!("{flag} needs a value"));
        match flag.as_str() {
            "--seconds" => {
                args.seconds = value()?.parse().map_err(|e| format!("--seconds: {e}"))?
            }
            "--seed" => args.seed = value()?.parse().map_err(|e| format!("--seed: {e}"))?,
            "--quick" => args.quick = true,
            "--solomon" => args.solomon = value()?,
            "--export" => args.export = Some(value()?),
            "--peer" => args.peer = Some(value()?),
            // `cargo bench` passes this to every bench target.
            "--bench" => {}
            other => return Err(format!("unknown argument {other}")),
        }
    }
    if args.quick {
        args.seconds = args.seconds.min(2.0);
    }
    Ok(args)
}

/// A peer's answer for one instance, as scripts/bench-vrp-peers.sh writes it (JSON lines).
#[derive(serde::Deserialize)]
struct PeerResult {
    solver: String,
    instance: String,
    seconds: f64,
    /// Solomon: customer numbers per route; city: `{vehicle, riders}` per route.
    routes: serde_json::Value,
}

struct Row {
    vehicles: usize,
    distance: f64,
    seconds: f64,
}

fn limits_for<'a>(
    seconds: f64,
    elapsed: &'a dyn Fn() -> Duration,
    cancel: &'a AtomicBool,
) -> Limits<'a> {
    Limits {
        time: Duration::from_secs_f64(seconds),
        max_iterations: None,
        elapsed,
        cancel,
    }
}

fn run_solomon(args: &Args, name: &str) -> Result<(SolomonInstance, Row), String> {
    let path = format!("{}/solomon_100/{name}.txt", args.solomon);
    let text = std::fs::read_to_string(&path).map_err(|e| format!("{path}: {e}"))?;
    let inst = SolomonInstance::parse(&text).map_err(|e| format!("{path}: {e}"))?;
    let cancel = AtomicBool::new(false);
    let t0 = Instant::now();
    let elapsed = move || t0.elapsed();
    let sol = inst.solve(args.seed, &limits_for(args.seconds, &elapsed, &cancel));
    let seconds = t0.elapsed().as_secs_f64();
    let (vehicles, distance) = inst
        .verify(&sol.routes)
        .map_err(|e| format!("{name}: checker: {e}"))?;
    if !sol.unassigned.is_empty() {
        return Err(format!(
            "{name}: {} customers left out",
            sol.unassigned.len()
        ));
    }
    Ok((
        inst,
        Row {
            vehicles,
            distance,
            seconds,
        },
    ))
}

fn run_city(args: &Args, problem: &TransportProblem) -> Result<(Plan, Row), String> {
    let cancel = AtomicBool::new(false);
    let t0 = Instant::now();
    let elapsed = move || t0.elapsed();
    let plan = solve(
        problem,
        args.seed,
        &limits_for(args.seconds, &elapsed, &cancel),
    );
    let seconds = t0.elapsed().as_secs_f64();
    let v = verify(problem, &plan).map_err(|e| format!("checker: {e:?}"))?;
    if !plan.unserved.is_empty() {
        return Err(format!("{} riders unserved", plan.unserved.len()));
    }
    Ok((
        plan,
        Row {
            vehicles: v.vehicles,
            distance: v.km,
            seconds,
        },
    ))
}

fn peer_row_solomon(inst: &SolomonInstance, peer: &PeerResult) -> Result<Row, String> {
    let routes: Vec<Vec<u32>> =
        serde_json::from_value(peer.routes.clone()).map_err(|e| e.to_string())?;
    let (vehicles, distance) = inst.verify(&routes)?;
    Ok(Row {
        vehicles,
        distance,
        seconds: peer.seconds,
    })
}

fn peer_row_city(problem: &TransportProblem, peer: &PeerResult) -> Result<Row, String> {
    let orders: Vec<RouteOrder> =
        serde_json::from_value(peer.routes.clone()).map_err(|e| e.to_string())?;
    let plan = plan_from_order(problem, &orders).map_err(|e| e.to_string())?;
    if !plan.unserved.is_empty() {
        return Err(format!("{} riders unserved", plan.unserved.len()));
    }
    let v = verify(problem, &plan).map_err(|e| format!("{e:?}"))?;
    Ok(Row {
        vehicles: v.vehicles,
        distance: v.km,
        seconds: peer.seconds,
    })
}

fn cell(row: &Result<Row, String>) -> String {
    match row {
        Ok(r) => format!("{} / {:.2}", r.vehicles, r.distance),
        Err(e) => format!("rejected: {e}"),
    }
}

fn gap(row: &Result<Row, String>, vehicles: usize, distance: f64) -> String {
    match row {
        Ok(r) if r.vehicles == vehicles => percent(r.distance, distance),
        Ok(r) => format!("({:+} veh)", r.vehicles as i64 - vehicles as i64),
        Err(_) => "-".into(),
    }
}

/// `value` relative to `reference`, without a "-0.00 %" for equal values.
fn percent(value: f64, reference: f64) -> String {
    let p = 100.0 * (value / reference - 1.0);
    format!("{:+.2} %", if p.abs() < 0.005 { 0.0 } else { p })
}

fn main() {
    if let Err(e) = run() {
        eprintln!("routing-bench: {e}");
        std::process::exit(1);
    }
}

fn run() -> Result<(), String> {
    let args = parse_args()?;
    let city: Vec<(&str, TransportProblem)> = CITY
        .iter()
        .filter(|(name, ..)| !args.quick || ["city-10", "city-40", "city-70"].contains(name))
        .map(|&(name, riders, to_venue)| (name, city_day(riders, to_venue, CITY_SEED)))
        .collect();
    if let Some(dir) = &args.export {
        std::fs::create_dir_all(dir).map_err(|e| format!("{dir}: {e}"))?;
        for (name, problem) in &city {
            let write = |suffix: &str, text: String| {
                let path = format!("{dir}/{name}.{suffix}.json");
                std::fs::write(&path, text).map_err(|e| format!("{path}: {e}"))
            };
            write("problem", problem.to_json())?;
            write("vrptw", problem.to_vrptw_json().to_string())?;
        }
        println!("wrote {} city cases to {dir}", city.len());
        return Ok(());
    }
    // Peer solvers in the order they first appear, each with its results by instance.
    let mut peers: Vec<(String, HashMap<String, PeerResult>)> = Vec::new();
    if let Some(path) = &args.peer {
        let text = std::fs::read_to_string(path).map_err(|e| format!("{path}: {e}"))?;
        for (i, line) in text
            .lines()
            .enumerate()
            .filter(|(_, l)| !l.trim().is_empty())
        {
            let r: PeerResult =
                serde_json::from_str(line).map_err(|e| format!("{path}:{}: {e}", i + 1))?;
            let at = match peers.iter().position(|(name, _)| *name == r.solver) {
                Some(at) => at,
                None => {
                    peers.push((r.solver.clone(), HashMap::new()));
                    peers.len() - 1
                }
            };
            peers[at].1.insert(r.instance.clone(), r);
        }
    }
    let load = std::fs::read_to_string("/proc/loadavg").unwrap_or_default();
    println!(
        "vax-routing bench: {} s per instance, seed {}, one thread, load {}",
        args.seconds,
        args.seed,
        load.split_whitespace()
            .take(3)
            .collect::<Vec<_>>()
            .join(" ")
    );
    println!();
    println!("Solomon 100 (hierarchical: vehicles, then distance in double precision; gap to the SINTEF best-known)");
    println!();
    let mut header = "| instance | best-known | vax-routing | gap | s |".to_owned();
    let mut rule = "| --- | --- | --- | --- | --- |".to_owned();
    for (name, _) in &peers {
        header += &format!(" {name} | gap | s |");
        rule += " --- | --- | --- |";
    }
    println!("{header}\n{rule}");
    let solomon: Vec<_> = BKS
        .iter()
        .filter(|(name, ..)| !args.quick || ["C101", "R101"].contains(name))
        .collect();
    // Per solver (ours first): instances at the best-known vehicle count, and their gaps.
    let mut scores: Vec<(usize, Vec<f64>)> = vec![(0, Vec::new()); peers.len() + 1];
    let mut score = |solver: usize, row: &Result<Row, String>, bks_v: usize, bks_d: f64| {
        if let Ok(r) = row {
            if r.vehicles <= bks_v {
                scores[solver].0 += 1;
                scores[solver].1.push(100.0 * (r.distance / bks_d - 1.0));
            }
        }
    };
    for &&(name, bks_v, bks_d) in &solomon {
        let (inst, ours) = run_solomon(&args, name)?;
        let seconds = ours.seconds;
        let ours = Ok(ours);
        score(0, &ours, bks_v, bks_d);
        let mut line = format!(
            "| {name} | {bks_v} / {bks_d:.2} | {} | {} | {seconds:.1} |",
            cell(&ours),
            gap(&ours, bks_v, bks_d),
        );
        for (i, (_, results)) in peers.iter().enumerate() {
            match results.get(name) {
                Some(peer) => {
                    let theirs = peer_row_solomon(&inst, peer);
                    score(i + 1, &theirs, bks_v, bks_d);
                    line += &format!(
                        " {} | {} | {:.1} |",
                        cell(&theirs),
                        gap(&theirs, bks_v, bks_d),
                        peer.seconds
                    );
                }
                None => line += " - | - | - |",
            }
        }
        println!("{line}");
    }
    let mean = |g: &[f64]| {
        if g.is_empty() {
            f64::NAN
        } else {
            g.iter().sum::<f64>() / g.len() as f64
        }
    };
    println!();
    let names: Vec<&str> = std::iter::once("vax-routing")
        .chain(peers.iter().map(|(n, _)| n.as_str()))
        .collect();
    for (name, (at_bks, gaps)) in names.iter().zip(&scores) {
        println!(
            "{name}: best-known vehicle count on {at_bks}/{}, mean gap {:.2} % where vehicles match",
            solomon.len(),
            mean(gaps)
        );
    }
    println!();
    println!("City days (synthetic coastal city 20 x 14 km, 8 % wheelchair users on 2 seats, 45-min ride limit; vehicles / km; differences are vax-routing minus the peer)");
    // Peers get the ride limit folded into time windows; say whether that is our problem
    // (the time on the bus, docs/transport.md) for every case.
    let inexact: Vec<&str> = city
        .iter()
        .filter(|(_, p)| !p.folded_windows().1)
        .map(|(name, _)| *name)
        .collect();
    if inexact.is_empty() {
        println!("Ride limits as peers get them (folded into time windows): the same problem on every case.");
    } else {
        println!("Ride limits folded into time windows are STRICTER than ours on: {} (the peers solve a harder problem there).", inexact.join(", "));
    }
    println!();
    let mut header = "| case | riders | vax-routing | s |".to_owned();
    let mut rule = "| --- | --- | --- | --- |".to_owned();
    for (name, _) in &peers {
        header += &format!(" {name} | s | vehicles | km |");
        rule += " --- | --- | --- | --- |";
    }
    println!("{header}\n{rule}");
    let mut plans = Vec::new();
    for (name, problem) in &city {
        let (plan, ours) = run_city(&args, problem).map_err(|e| format!("{name}: {e}"))?;
        let mut line = format!(
            "| {name} | {} | {} / {:.2} | {:.1} |",
            problem.riders.len(),
            ours.vehicles,
            ours.distance,
            ours.seconds
        );
        for (_, results) in &peers {
            match results.get(*name) {
                Some(peer) => {
                    let theirs = peer_row_city(problem, peer);
                    let (veh, km) = match &theirs {
                        Ok(r) => (
                            format!("{:+}", ours.vehicles as i64 - r.vehicles as i64),
                            percent(ours.distance, r.distance),
                        ),
                        Err(_) => ("-".into(), "-".into()),
                    };
                    line += &format!(" {} | {:.1} | {veh} | {km} |", cell(&theirs), peer.seconds);
                }
                None => line += " - | - | - | - |",
            }
        }
        println!("{line}");
        plans.push((name, problem, plan));
    }
    println!();
    println!("Re-plans (stable: announced times kept where possible; every result verified)");
    println!();
    println!("| case | change | time ms | riders moved | largest move min | km before | km after | vehicles |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- |");
    for (name, problem, plan) in plans
        .iter()
        .filter(|(n, ..)| ["city-40", "city-70"].contains(*n))
    {
        let mut changes: Vec<(String, Change)> = plan
            .routes
            .iter()
            .take(3)
            .map(|r| {
                let rider = r.stops[r.stops.len() / 2].rider.clone();
                (format!("cancel {rider}"), Change::Cancel { rider })
            })
            .collect();
        let newcomer = Rider {
            id: "NEW".into(),
            at: vax_domain::venue::Coordinates {
                lat: problem.venue.lat + 0.03,
                lon: problem.venue.lon - 0.04,
            },
            seats: 1,
            boarding_minutes: 2.0,
            earliest_pickup: None,
            max_ride_minutes: None,
        };
        changes.push((
            "add a rider".into(),
            Change::Add {
                rider: newcomer.clone(),
            },
        ));
        changes.push((
            "add a rider, reshuffle before a spare vehicle".into(),
            Change::Add { rider: newcomer },
        ));
        for (label, change) in changes {
            let options = ReplanOptions {
                reshuffle_before_spare_vehicle: label.contains("reshuffle"),
                ..ReplanOptions::default()
            };
            let t0 = Instant::now();
            let out = replan(problem, plan, &change, &options).map_err(|e| e.to_string())?;
            let ms = t0.elapsed().as_secs_f64() * 1000.0;
            let v = verify(&out.problem, &out.plan)
                .map_err(|e| format!("{name} {label}: checker: {e:?}"))?;
            let largest = out.changed.first().map_or(0.0, |c| c.shift_minutes.abs());
            println!(
                "| {name} | {label} | {ms:.1} | {} | {largest:.1} | {:.2} | {:.2} | {} -> {} |",
                out.changed.len(),
                plan.total_km,
                v.km,
                plan.vehicles_used,
                v.vehicles
            );
        }
    }
    Ok(())
}
