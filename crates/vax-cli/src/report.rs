//! `vaxhq report …`: the campaign's counts (各種集計) as CSV Excel opens — doses per day and
//! venue, coverage by age band and district, inquiries by topic; and the daily report (日報)
//! as PDF (docs/call-centre.md).

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::{Args, Subcommand};
use vax_app::daily_report::write_daily_report_pdf;
use vax_app::reports::{
    coverage, coverage_table, csv_bytes, doses_by_day_and_venue, doses_table, inquiries_table,
    CsvEncoding,
};
use vax_domain::error::UserFacing;
use vax_ledger::Ledger;
use vax_print::JapaneseFont;

#[derive(Subcommand)]
pub enum ReportCommand {
    /// Valid doses per day and venue (日付, 会場コード, 接種回数).
    Doses(RangeArgs),
    /// Residents with dose 1 and dose 2 by age band (on --today) and district.
    Coverage(CoverageArgs),
    /// Inquiries per day and topic (日付, 内容, 件数).
    Inquiries(RangeArgs),
    /// The daily report (日報) as one A4 PDF page: each venue's bookings, check-ins, doses,
    /// no-shows, waste and stock; coverage by age band; calls and open follow-ups.
    Daily(DailyArgs),
}

#[derive(Args)]
pub struct DailyArgs {
    /// The day reported (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// The PDF to write.
    #[arg(long)]
    out: PathBuf,
}

#[derive(Args)]
pub struct Output {
    /// Write the CSV here (default: standard output).
    #[arg(long)]
    out: Option<PathBuf>,
    /// Write CP932 (Shift_JIS) instead of UTF-8 with a byte-order mark.
    #[arg(long)]
    cp932: bool,
}

#[derive(Args)]
pub struct RangeArgs {
    /// First day.
    #[arg(long)]
    from: NaiveDate,
    /// Last day (default: the first).
    #[arg(long)]
    to: Option<NaiveDate>,
    #[command(flatten)]
    output: Output,
}

#[derive(Args)]
pub struct CoverageArgs {
    /// The day ages are counted on (default: today).
    #[arg(long)]
    today: Option<NaiveDate>,
    /// One row per age band only, without districts.
    #[arg(long)]
    city_wide: bool,
    #[command(flatten)]
    output: Output,
}

/// Runs a report command; returns the exit code.
pub fn run(
    ledger: &Ledger,
    command: &ReportCommand,
    now: DateTime<FixedOffset>,
) -> anyhow::Result<u8> {
    let today = now.date_naive();
    let ((header, rows), output) = match command {
        ReportCommand::Daily(a) => {
            let font = JapaneseFont::system_default().context("loading the Japanese font")?;
            let date = a.date.unwrap_or(today);
            let report = write_daily_report_pdf(ledger, &font, date, now, &a.out)
                .map_err(|e| anyhow::anyhow!("{e} / {}", e.message_ja()))?;
            eprintln!(
                "日報 {date}: {} venues, {} doses, {} calls written to {}",
                report.venues.len(),
                report.total.doses,
                report.calls,
                a.out.display()
            );
            return Ok(0);
        }
        ReportCommand::Doses(a) => {
            let counts = doses_by_day_and_venue(ledger, a.from, a.to.unwrap_or(a.from))
                .context("counting doses")?;
            (doses_table(&counts), &a.output)
        }
        ReportCommand::Coverage(a) => {
            let rows = coverage(ledger, a.today.unwrap_or(today), !a.city_wide)
                .context("counting coverage")?;
            (coverage_table(&rows), &a.output)
        }
        ReportCommand::Inquiries(a) => (
            inquiries_table(ledger, a.from, a.to.unwrap_or(a.from))
                .context("counting inquiries")?,
            &a.output,
        ),
    };
    let encoding = if output.cp932 {
        CsvEncoding::Cp932
    } else {
        CsvEncoding::Utf8Bom
    };
    let bytes = csv_bytes(&header, &rows, encoding);
    match &output.out {
        Some(path) => {
            std::fs::write(path, &bytes).with_context(|| format!("writing {}", path.display()))?;
            eprintln!("{} rows written to {}", rows.len(), path.display());
        }
        None => {
            use std::io::Write;
            std::io::stdout().write_all(&bytes)?;
        }
    }
    Ok(0)
}
