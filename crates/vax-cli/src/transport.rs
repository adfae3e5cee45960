//! `vaxhq transport …` (docs/transport.md): `solve` takes a problem file and writes a checked
//! plan file, with no ledger; `fleet`, `points`, `riders` import HQ's CSV files; `plan`,
//! `replan`, `show` and `manifests` work on a venue day in the ledger.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::{Args, Subcommand};
use vax_app::transport::{
    day_transport, import_fleet, import_pickup_points, import_riders, plan_day, replan_day,
    write_day_sheets, DayTransport, SearchBudget, TransportError,
};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::{Ledger, LegDirection};
use vax_routing::{solve, verify, Limits, TransportProblem, Travel, TravelMatrix};

use crate::exit;

#[derive(Subcommand)]
pub enum TransportCommand {
    /// Plan the buses for a JSON problem file (fewest vehicles, then fewest km).
    Solve(SolveArgs),
    /// Replace the fleet with a CSV (車両, 座席, 始業, 終業, 車庫緯度, 車庫経度).
    Fleet(FileArgs),
    /// Add or replace pick-up points from a CSV (乗降場所コード, 名称, 緯度, 経度).
    Points(FileArgs),
    /// Record riders' pick-up points and wheelchairs from a CSV (市町村コード, 券番号,
    /// 乗降場所コード, 車いす).
    Riders(FileArgs),
    /// Plan a venue day's buses from its bookings with 送迎 and store the plan.
    Plan(PlanArgs),
    /// Re-plan a stored day after bookings changed, keeping announced times.
    Replan(DayArgs),
    /// A venue day's stored buses: runs, stops and times, riders not served.
    Show(DayArgs),
    /// Write the drivers' manifests and the reception's list of a venue day as PDFs.
    Manifests(ManifestArgs),
    /// The venue's bus list of a day as this ledger holds it (HQ's, or a venue device's after
    /// sync), with the reception's marks.
    Buses(DayArgs),
}

#[derive(Args)]
pub struct FileArgs {
    /// The CSV file (UTF-8, with or without BOM, or CP932).
    file: PathBuf,
}

#[derive(Args)]
pub struct DayArgs {
    /// 会場コード.
    #[arg(long)]
    venue: String,
    /// The day (YYYY-MM-DD).
    #[arg(long)]
    date: NaiveDate,
}

#[derive(Args)]
pub struct PlanArgs {
    #[command(flatten)]
    day: DayArgs,
    /// Search time budget for the whole day.
    #[arg(long, default_value_t = 5.0)]
    seconds: f64,
    /// Seed: the same seed, bookings and budget give the same plan on the same machine.
    #[arg(long, default_value_t = 1)]
    seed: u64,
}

#[derive(Args)]
pub struct ManifestArgs {
    #[command(flatten)]
    day: DayArgs,
    /// Folder for the PDFs.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct SolveArgs {
    /// Problem file (format vaxledger-transport-problem/1).
    #[arg(long = "in", value_name = "PROBLEM.json")]
    input: PathBuf,
    /// Where to write the plan (format vaxledger-transport-plan/1).
    #[arg(long, value_name = "PLAN.json")]
    out: PathBuf,
    /// Search time budget.
    #[arg(long, default_value_t = 10.0)]
    seconds: f64,
    /// Seed: the same seed, problem and iterations give the same plan.
    #[arg(long, default_value_t = 1)]
    seed: u64,
    /// HQ's road kilometres as CSV (docs/transport.md), instead of the problem's `travel`.
    #[arg(long, value_name = "KM.csv", requires = "matrix_minutes")]
    matrix_km: Option<PathBuf>,
    /// HQ's driving minutes as CSV, with the same ids as `--matrix-km`.
    #[arg(long, value_name = "MINUTES.csv", requires = "matrix_km")]
    matrix_minutes: Option<PathBuf>,
}

pub fn run(
    command: &TransportCommand,
    as_json: bool,
    now: DateTime<FixedOffset>,
    open: impl FnOnce() -> anyhow::Result<Ledger>,
) -> anyhow::Result<u8> {
    let args = match command {
        TransportCommand::Solve(args) => args,
        other => return on_ledger(other, as_json, now, &mut open()?),
    };
    let text = std::fs::read_to_string(&args.input)
        .with_context(|| format!("reading {}", args.input.display()))?;
    let read = |path: &PathBuf| {
        std::fs::read_to_string(path).with_context(|| format!("reading {}", path.display()))
    };
    let matrix = match (&args.matrix_km, &args.matrix_minutes) {
        (Some(km), Some(minutes)) => Some((read(km)?, read(minutes)?)),
        _ => None,
    };
    let parsed = TransportProblem::from_json(&text).and_then(|mut problem| {
        if let Some((km, minutes)) = &matrix {
            problem.travel = Travel::Matrix(TravelMatrix::from_csv(km, minutes)?);
            problem.validate()?;
        }
        Ok(problem)
    });
    let problem = match parsed {
        Ok(p) => p,
        Err(e) => {
            eprintln!("{}: {e}\n{}", args.input.display(), e.message_ja());
            return Ok(exit::REJECTED);
        }
    };
    let (cancel, started) = (AtomicBool::new(false), Instant::now());
    let elapsed = move || started.elapsed();
    let limits = Limits {
        time: Duration::from_secs_f64(args.seconds.max(0.0)),
        max_iterations: None,
        elapsed: &elapsed,
        cancel: &cancel,
    };
    let plan = solve(&problem, args.seed, &limits);
    let checked = verify(&problem, &plan)
        .map_err(|v| anyhow::anyhow!("the plan failed its own check (a bug): {v:?}"))?;
    std::fs::write(&args.out, plan.to_json() + "\n")
        .with_context(|| format!("writing {}", args.out.display()))?;
    if as_json {
        let summary = serde_json::json!({
            "vehicles": checked.vehicles, "km": checked.km, "served": checked.served,
            "unserved": plan.unserved, "plan": args.out,
        });
        println!("{summary}");
    } else {
        println!(
            "{} riders on {} vehicles, {:.1} km; plan written to {}",
            checked.served,
            checked.vehicles,
            checked.km,
            args.out.display()
        );
        for u in &plan.unserved {
            println!(
                "not served: {} ({:?}: {})",
                u.rider,
                u.reason,
                u.reason.message_ja()
            );
        }
    }
    Ok(0)
}

/// What a refused use case prints; the exit code says refused.
fn refused(e: &TransportError) -> u8 {
    match e {
        TransportError::Import(vax_app::import::ImportError::Rejected { problems }) => {
            for p in problems {
                eprintln!("{p}");
            }
        }
        e => eprintln!("error: {e} / {}", e.message_ja()),
    }
    exit::REJECTED
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

// vaxhq is the headquarters' command line, as for planning.
const ROLE: Role = Role::Headquarters;

fn on_ledger(
    command: &TransportCommand,
    as_json: bool,
    now: DateTime<FixedOffset>,
    ledger: &mut Ledger,
) -> anyhow::Result<u8> {
    let read =
        |path: &PathBuf| std::fs::read(path).with_context(|| format!("reading {}", path.display()));
    let imported = match command {
        TransportCommand::Solve(_) => unreachable!("solve needs no ledger"),
        TransportCommand::Fleet(a) => {
            Some(("vehicles", import_fleet(ledger, ROLE, &read(&a.file)?)))
        }
        TransportCommand::Points(a) => Some((
            "pick-up points",
            import_pickup_points(ledger, ROLE, &read(&a.file)?),
        )),
        TransportCommand::Riders(a) => {
            Some(("riders", import_riders(ledger, ROLE, &read(&a.file)?)))
        }
        _ => None,
    };
    if let Some((what, result)) = imported {
        return match result {
            Ok(r) if as_json => print_json(&r).map(|()| 0),
            Ok(r) => {
                println!("{} {what} stored ({})", r.rows, r.encoding);
                Ok(0)
            }
            Err(e) => Ok(refused(&e)),
        };
    }
    match command {
        TransportCommand::Plan(a) => {
            let budget = SearchBudget {
                seconds: a.seconds,
                max_iterations: None,
                seed: a.seed,
            };
            let report = match plan_day(ledger, ROLE, &a.day.venue, a.day.date, now, &budget) {
                Ok(r) => r,
                Err(e) => return Ok(refused(&e)),
            };
            if as_json {
                print_json(&report)?;
            } else {
                println!(
                    "{} riders, {} legs: {} rides on {} vehicles, {:.1} km",
                    report.riders, report.legs, report.rides, report.vehicles, report.km
                );
                for u in report.unserved.iter().chain(&report.not_planned) {
                    println!("not served: {} — {} / {}", u.name, u.reason, u.reason_ja);
                }
            }
        }
        TransportCommand::Replan(a) => {
            let report = match replan_day(ledger, ROLE, &a.venue, a.date, now) {
                Ok(r) => r,
                Err(e) => return Ok(refused(&e)),
            };
            if as_json {
                print_json(&report)?;
            } else {
                println!(
                    "{} cancelled, {} added, {} announced times changed",
                    report.cancelled.len(),
                    report.added.len(),
                    report.changed.len()
                );
                for c in &report.changed {
                    println!(
                        "tell {}: {} {} → {}",
                        c.name,
                        direction_ja(c.direction),
                        c.before,
                        c.after.as_deref().unwrap_or("送迎不可")
                    );
                }
                for id in &report.needs_full_plan {
                    println!("not in the stored plan: {id} (run `vaxhq transport plan` again)");
                }
            }
        }
        TransportCommand::Show(a) => {
            let day = match day_transport(&ledger.reader(), &a.venue, a.date) {
                Ok(d) => d,
                Err(e) => return Ok(refused(&e)),
            };
            if as_json {
                print_json(&day)?;
            } else {
                show_day(&day);
            }
        }
        TransportCommand::Manifests(a) => {
            let day = match day_transport(&ledger.reader(), &a.day.venue, a.day.date) {
                Ok(d) => d,
                Err(e) => return Ok(refused(&e)),
            };
            if day.runs.is_empty() {
                eprintln!(
                    "error: no bus runs for {} on {}: plan the day first / 送迎計画がありません",
                    a.day.venue, a.day.date
                );
                return Ok(exit::NOT_FOUND);
            }
            let font =
                vax_print::JapaneseFont::system_default().map_err(|e| anyhow::anyhow!("{e}"))?;
            let sheets = write_day_sheets(&font, &day, &a.out).context("writing the manifests")?;
            if as_json {
                print_json(&sheets)?;
            } else {
                println!(
                    "{} bus runs: {}\nreception list ({} riders): {}",
                    sheets.runs,
                    sheets.manifests.display(),
                    sheets.riders,
                    sheets.reception.display()
                );
            }
        }
        TransportCommand::Buses(a) => {
            let list = match vax_app::rides::bus_list(&ledger.reader(), &a.venue, a.date) {
                Ok(l) => l,
                Err(e) => return Ok(refused(&e)),
            };
            if as_json {
                print_json(&list)?;
            } else {
                show_buses(&list);
            }
        }
        _ => unreachable!("imports handled above"),
    }
    Ok(0)
}

fn show_buses(list: &vax_app::rides::BusList) {
    println!(
        "{} {}: {} trips, {} boarded, {} not at pick-up",
        list.venue_code,
        list.date,
        list.trips.len(),
        list.boarded,
        list.no_show
    );
    for trip in &list.trips {
        let (way, at) = match trip.direction {
            vax_app::rides::BusDirection::ToVenue => ("往路 arrives", &trip.at_venue),
            vax_app::rides::BusDirection::FromVenue => ("復路 leaves", &trip.at_venue),
        };
        println!(
            "{} {way} {at} (band {}) {}",
            trip.vehicle, trip.band_start, trip.driver
        );
        for r in &trip.riders {
            let mark = match r.mark {
                Some(vax_app::rides::BusMark::Boarded) => "boarded",
                Some(vax_app::rides::BusMark::NoShow) => "no-show",
                _ => "",
            };
            println!(
                "  {:>2}. {} {} {}{} {mark}",
                r.stop_order,
                r.at_door,
                r.name,
                r.pickup_point.as_deref().unwrap_or("自宅"),
                if r.wheelchair { " ♿" } else { "" }
            );
        }
    }
}

fn direction_ja(d: LegDirection) -> &'static str {
    match d {
        LegDirection::ToVenue => "往路",
        LegDirection::FromVenue => "復路",
    }
}

fn show_day(day: &DayTransport) {
    println!(
        "{} {} — {} vehicles, {:.1} km",
        day.venue_name, day.date, day.vehicles, day.km
    );
    if day.planned_at.is_none() {
        println!("not planned yet");
    }
    for run in &day.runs {
        println!(
            "\n{} {} band {}: garage {} → venue {} → garage {}, {}/{} seats, {:.1} km",
            run.vehicle,
            direction_ja(run.direction),
            run.band_start,
            run.leave_garage,
            run.at_venue,
            run.back_at_garage,
            run.seats_used,
            run.seats,
            run.km
        );
        for s in &run.stops {
            println!(
                "  {:>2}. {} {}{} — {}",
                s.stop_order.unwrap_or(0),
                s.at_door.as_deref().unwrap_or("--:--"),
                s.name,
                if s.wheelchair { " (車いす)" } else { "" },
                s.pickup_point.as_deref().unwrap_or(&s.address)
            );
        }
    }
    for s in &day.unserved {
        println!(
            "not served: {} — {}",
            s.name,
            s.unserved_ja.as_deref().unwrap_or("")
        );
    }
}
