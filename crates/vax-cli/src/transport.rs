//! `vaxhq transport solve`: a transport problem file in, a checked plan file out; no ledger
//! (docs/transport.md). The ledger-backed `transport plan|show|manifests` come later.

use std::path::PathBuf;
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use anyhow::Context;
use clap::{Args, Subcommand};
use vax_domain::error::UserFacing;
use vax_routing::{solve, verify, Limits, TransportProblem, Travel, TravelMatrix};

use crate::exit;

#[derive(Subcommand)]
pub enum TransportCommand {
    /// Plan the buses for a JSON problem file (fewest vehicles, then fewest km).
    Solve(SolveArgs),
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

pub fn run(command: &TransportCommand, as_json: bool) -> anyhow::Result<u8> {
    let TransportCommand::Solve(args) = command;
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
