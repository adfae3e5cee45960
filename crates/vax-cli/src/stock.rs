//! `vaxhq stock …`: HQ's view of dose stock across venues (after sync), the cold-chain check
//! of a logger file at a venue, and HQ's hand-off of a quarantine to the reshuffle engine.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::{Args, Subcommand, ValueEnum};
use vax_app::import::TextEncoding;
use vax_app::planning::preview_reshuffle;
use vax_app::stock::{
    daily_stock_report, import_logger, quarantine_impacts, record_stock, report_bytes,
    QuarantineImpact, StockAction, DEFAULT_DAYS_TO_REPLACE,
};
use vax_domain::error::UserFacing;
use vax_domain::product::StoragePlace;
use vax_ledger::Ledger;
use vax_planner::PlanOptions;

#[derive(Subcommand)]
pub enum StockCommand {
    /// The daily stock report (received, used, wasted, on hand per venue and day) as CSV:
    /// see docs/import-formats.md, "Daily stock report".
    Report(ReportArgs),
    /// Venue: record one stock action given as JSON, as the manager's screen sends it, e.g.
    /// '{"action":"thaw","product":"comirnaty","lot":"FA1234","vials":2}' (docs/stock.md).
    Record {
        /// The action as JSON.
        action: String,
    },
    /// Venue: check a temperature logger's CSV for a lot; an excursion quarantines the lot
    /// (docs/stock.md, "Cold chain").
    Logger(LoggerArgs),
    /// HQ: the quarantined lots with doses at a venue and the bookings they leave short.
    Quarantines(DaysArg),
    /// HQ: preview the reshuffle of the bookings a quarantined lot leaves without doses;
    /// `--out` keeps it for `vaxhq reshuffle apply`.
    Reshuffle(ReshuffleArgs),
}

#[derive(Args)]
pub struct ReportArgs {
    /// First day.
    #[arg(long)]
    from: NaiveDate,
    /// Last day (default: the first).
    #[arg(long)]
    to: Option<NaiveDate>,
    /// Write the CSV here (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write CP932 (Shift_JIS) instead of UTF-8.
    #[arg(long)]
    cp932: bool,
}

/// Where the logger was.
#[derive(Clone, Copy, ValueEnum)]
pub enum PlaceArg {
    /// A freezer.
    Frozen,
    /// A fridge.
    Fridge,
}

/// The file's text encoding.
#[derive(Clone, Copy, ValueEnum)]
pub enum EncodingArg {
    /// UTF-8 when valid, else CP932.
    Auto,
    /// UTF-8 (BOM optional).
    Utf8,
    /// CP932 / Shift_JIS.
    Cp932,
}

#[derive(Args)]
pub struct LoggerArgs {
    /// The logger's CSV export.
    file: PathBuf,
    /// Product code (products.toml).
    #[arg(long)]
    product: String,
    /// Lot number.
    #[arg(long)]
    lot: String,
    /// Where the logger was.
    #[arg(long, value_enum)]
    place: PlaceArg,
    /// Text encoding of the file.
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    encoding: EncodingArg,
}

#[derive(Args)]
pub struct DaysArg {
    /// Days until the replacement delivery: the period the venue's bookings are capped.
    #[arg(long, default_value_t = DEFAULT_DAYS_TO_REPLACE)]
    days: u32,
}

#[derive(Args)]
pub struct ReshuffleArgs {
    /// 会場コード.
    #[arg(long)]
    venue: String,
    /// The quarantined lot.
    #[arg(long)]
    lot: String,
    #[command(flatten)]
    days: DaysArg,
    /// Write the preview as JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

fn user(e: &impl UserFacing) -> anyhow::Error {
    anyhow::anyhow!("{e} / {}", e.message_ja())
}

fn show_impact(i: &QuarantineImpact) {
    println!(
        "{} {} {}: quarantined {} ({}); {} doses lost, {} usable; {}–{}: {} booked on {} day(s), {} short",
        i.venue,
        i.product,
        i.lot,
        i.quarantined_at,
        i.reason,
        i.doses_lost,
        i.doses_usable,
        i.from,
        i.to,
        i.booked,
        i.days,
        i.short
    );
}

/// Runs a stock command; returns the exit code.
pub fn run(
    ledger: &mut Ledger,
    command: &StockCommand,
    now: DateTime<FixedOffset>,
    json: bool,
) -> anyhow::Result<u8> {
    match command {
        StockCommand::Report(args) => {
            let rows = daily_stock_report(ledger, args.from, args.to.unwrap_or(args.from))
                .map_err(|e| anyhow::anyhow!("{e}"))
                .context("computing the stock report")?;
            let bytes = report_bytes(&rows, args.cp932);
            match &args.out {
                Some(path) => {
                    std::fs::write(path, &bytes)
                        .with_context(|| format!("writing {}", path.display()))?;
                    eprintln!("{} rows written to {}", rows.len(), path.display());
                }
                None => {
                    use std::io::Write;
                    std::io::stdout().write_all(&bytes)?;
                }
            }
            Ok(0)
        }
        StockCommand::Record { action } => {
            let enrollment = vax_app::desk::enrollment(ledger)
                .map_err(|e| user(&e))?
                .context("this ledger is not enrolled at a venue (vaxhq sync enroll)")?;
            let action: StockAction =
                serde_json::from_str(action).context("the action is not a stock action")?;
            let done = record_stock(ledger, &enrollment, &action, now).map_err(|e| user(&e))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&done)?);
            } else {
                println!("recorded {}", done.uid);
            }
            Ok(0)
        }
        StockCommand::Logger(args) => {
            let enrollment = vax_app::desk::enrollment(ledger)
                .map_err(|e| user(&e))?
                .context("this ledger is not enrolled at a venue (vaxhq sync enroll)")?;
            let bytes = std::fs::read(&args.file)
                .with_context(|| format!("reading {}", args.file.display()))?;
            let place = match args.place {
                PlaceArg::Frozen => StoragePlace::Frozen,
                PlaceArg::Fridge => StoragePlace::Fridge,
            };
            let encoding = match args.encoding {
                EncodingArg::Auto => TextEncoding::Auto,
                EncodingArg::Utf8 => TextEncoding::Utf8,
                EncodingArg::Cp932 => TextEncoding::Cp932,
            };
            let check = import_logger(
                ledger,
                &enrollment,
                &args.product,
                &args.lot,
                place,
                &bytes,
                encoding,
                now,
            )
            .map_err(|e| {
                for p in e.problems() {
                    eprintln!("{p}");
                }
                user(&e)
            })?;
            if json {
                println!("{}", serde_json::to_string_pretty(&check)?);
                return Ok(0);
            }
            println!(
                "{} readings {}–{}, {:.1}–{:.1} °C against {}: {} excursion(s)",
                check.readings,
                check.first,
                check.last,
                check.min_celsius,
                check.max_celsius,
                check.ranges,
                check.excursions.len()
            );
            for x in &check.excursions {
                println!(
                    "  {}–{}: {} reading(s), {:.1}–{:.1} °C (line {})",
                    x.from, x.to, x.readings, x.min_celsius, x.max_celsius, x.first_line
                );
            }
            match (&check.quarantine, check.already_quarantined) {
                (Some(uid), _) => println!("lot {} quarantined ({uid})", check.lot),
                (None, true) => println!("lot {} was quarantined already", check.lot),
                (None, false) => println!("lot {} stays in use", check.lot),
            }
            Ok(0)
        }
        StockCommand::Quarantines(args) => {
            let impacts = quarantine_impacts(ledger, now, args.days).map_err(|e| user(&e))?;
            if json {
                println!("{}", serde_json::to_string_pretty(&impacts)?);
            } else {
                impacts.iter().for_each(show_impact);
            }
            Ok(0)
        }
        StockCommand::Reshuffle(args) => {
            let impacts = quarantine_impacts(ledger, now, args.days.days).map_err(|e| user(&e))?;
            let lot = args.lot.trim().to_uppercase();
            let impact = impacts
                .iter()
                .find(|i| i.venue == args.venue && i.lot == lot)
                .with_context(|| {
                    format!("no quarantined lot {lot} with doses at {}", args.venue)
                })?;
            let preview = preview_reshuffle(ledger, now, &impact.request, &PlanOptions::default())
                .map_err(|e| user(&e))?;
            if let Some(path) = &args.out {
                std::fs::write(path, serde_json::to_string_pretty(&preview)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if json {
                println!("{}", serde_json::to_string_pretty(&preview)?);
                return Ok(0);
            }
            show_impact(impact);
            println!(
                "reshuffle: {} resident(s) affected, {} move(s), {} not placed{}",
                preview.affected,
                preview.moves.len(),
                preview.unplaced.len(),
                args.out.as_ref().map_or(String::new(), |p| format!(
                    "; apply with: vaxhq reshuffle apply {}",
                    p.display()
                ))
            );
            Ok(0)
        }
    }
}
