//! `vaxhq stock …`: HQ's view of dose stock across venues (after sync).

use std::path::PathBuf;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Subcommand};
use vax_app::stock::{daily_stock_report, report_bytes};
use vax_ledger::Ledger;

#[derive(Subcommand)]
pub enum StockCommand {
    /// The daily stock report (received, used, wasted, on hand per venue and day) as CSV:
    /// see docs/import-formats.md, "Daily stock report".
    Report(ReportArgs),
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

/// Runs a stock command; returns the exit code.
pub fn run(ledger: &Ledger, command: &StockCommand) -> anyhow::Result<u8> {
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
    }
}
