//! The daily report (日報) for the mayor's office: one A4 PDF page per day, from the same
//! counts as the dashboard (per venue: bookings, check-ins, doses, no-shows), the stock
//! report (waste and vials on hand) and the call centre (calls, open follow-ups). Made by
//! `vaxhq report daily` and the dashboard's button (docs/call-centre.md).

use std::collections::BTreeMap;
use std::path::PathBuf;

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_ledger::Ledger;
use vax_print::{
    write_daily_report, DailyCoverageLine, DailyReport, DailyVenueLine, JapaneseFont, PrintError,
};

use crate::config::Folders;
use crate::desk::Enrollment;
use crate::reports::{coverage, ReportError};
use crate::stock::daily_stock_report;

/// Why the daily report was not made.
#[derive(Debug, thiserror::Error)]
pub enum DailyReportError {
    /// Counting failed, or the role has no dashboard.
    #[error(transparent)]
    Report(#[from] ReportError),
    /// The stock figures could not be read.
    #[error(transparent)]
    Stock(#[from] crate::stock::StockError),
    /// The PDF could not be written (font, disk).
    #[error(transparent)]
    Print(#[from] PrintError),
}

impl vax_domain::error::UserFacing for DailyReportError {
    fn code(&self) -> vax_domain::error::ErrorCode {
        match self {
            Self::Report(e) => e.code(),
            Self::Stock(e) => e.code(),
            Self::Print(_) => vax_domain::error::ErrorCode::Internal,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Report(e) => e.message_ja(),
            Self::Stock(e) => e.message_ja(),
            Self::Print(e) => format!("日報の PDF を作成できませんでした: {e}"),
        }
    }
}

impl From<vax_ledger::LedgerError> for DailyReportError {
    fn from(e: vax_ledger::LedgerError) -> Self {
        Self::Report(ReportError::Ledger(e))
    }
}

/// Counts the report of `date` (every venue), as of `now` (the open follow-ups).
pub fn daily_report(
    ledger: &Ledger,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<DailyReport, DailyReportError> {
    // A past day is counted as over (its bookings without a dose are no-shows); today's
    // and later days' bookings are not no-shows yet.
    let as_of = if date < now.date_naive() {
        date.succ_opt().unwrap_or(date)
    } else {
        date
    };
    let reader = ledger.reader();
    let mut by_venue: BTreeMap<String, DailyVenueLine> = reader
        .venues()?
        .into_iter()
        .map(|v| {
            let line = DailyVenueLine {
                venue_code: v.venue.code.clone(),
                venue_name: v.venue.name,
                ..DailyVenueLine::default()
            };
            (v.venue.code, line)
        })
        .collect();
    let mut campaign_doses = 0;
    for c in reader.day_venue_counts(as_of, None)? {
        if c.date <= date {
            campaign_doses += c.doses;
        }
        if c.date != date {
            continue;
        }
        if let Some(line) = by_venue.get_mut(&c.venue_code) {
            line.booked = c.booked;
            line.checked_in = c.checked_in;
            line.doses = c.doses;
            line.no_shows = c.no_shows;
        }
    }
    for s in daily_stock_report(ledger, date, date)? {
        if let Some(line) = by_venue.get_mut(&s.venue) {
            line.doses_wasted += s.doses_wasted;
            line.vials_wasted += s.vials_wasted;
            *line.vials_on_hand.get_or_insert(0) += s.vials_on_hand;
        }
    }
    let venues: Vec<DailyVenueLine> = by_venue.into_values().collect();
    let total = DailyVenueLine {
        venue_code: String::new(),
        venue_name: "合計".into(),
        booked: venues.iter().map(|v| v.booked).sum(),
        checked_in: venues.iter().map(|v| v.checked_in).sum(),
        doses: venues.iter().map(|v| v.doses).sum(),
        no_shows: venues.iter().map(|v| v.no_shows).sum(),
        doses_wasted: venues.iter().map(|v| v.doses_wasted).sum(),
        vials_wasted: venues.iter().map(|v| v.vials_wasted).sum(),
        vials_on_hand: venues
            .iter()
            .filter_map(|v| v.vials_on_hand)
            .reduce(|a, b| a + b),
    };
    let calls = reader.inquiry_counts(date, date)?;
    let mut calls_by_topic: Vec<(String, u32)> = Vec::new();
    for c in &calls {
        calls_by_topic.push((c.topic.label_ja().to_owned(), c.count));
    }
    let follow_ups_open = reader.open_follow_ups(u32::MAX)?.len() as u32;
    Ok(DailyReport {
        date,
        made_at: now.format("%Y-%m-%d %H:%M").to_string(),
        venues,
        total,
        campaign_doses,
        coverage: coverage(ledger, date, false)?
            .into_iter()
            .map(|c| DailyCoverageLine {
                band: c.band.label().to_owned(),
                residents: c.residents,
                first: c.first,
                second: c.second,
            })
            .collect(),
        calls: calls.iter().map(|c| c.count).sum(),
        calls_by_topic,
        follow_ups_open,
    })
}

/// Makes the report of `date` into `path` with `font`.
pub fn write_daily_report_pdf(
    ledger: &Ledger,
    font: &JapaneseFont,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
    path: &std::path::Path,
) -> Result<DailyReport, DailyReportError> {
    let report = daily_report(ledger, date, now)?;
    write_daily_report(font, &report, path)?;
    Ok(report)
}

/// The dashboard's button: today's report into `reports/` beside the ledger (HQ only: it
/// counts every venue); returns the file's path.
pub fn print_daily_report(
    ledger: &Ledger,
    enrollment: &Enrollment,
    folders: &Folders,
    now: DateTime<FixedOffset>,
) -> Result<String, DailyReportError> {
    if !enrollment.role.runs_the_campaign() {
        return Err(ReportError::RoleMayNot(enrollment.role).into());
    }
    let today = now.date_naive();
    let dir = folders.reports();
    std::fs::create_dir_all(&dir).map_err(|source| PrintError::Io {
        path: dir.clone(),
        source,
    })?;
    let path: PathBuf = dir.join(format!("nippo-{today}.pdf"));
    let font = JapaneseFont::system_default().map_err(PrintError::from)?;
    write_daily_report_pdf(ledger, &font, today, now, &path)?;
    Ok(path.display().to_string())
}
