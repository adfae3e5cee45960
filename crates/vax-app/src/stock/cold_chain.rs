//! Cold chain at the venue: a temperature logger's file checked against the product's
//! storage ranges; an excursion quarantines the lot through the ordinary stock event (so
//! every booth refuses it after sync and HQ sees it), and HQ can hand the bookings the
//! quarantine leaves without doses to the reshuffle engine ([`super::quarantine_reshuffle`]).

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::Serialize;
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::product::{Catalogue, StoragePlace};
use vax_domain::stock::cold_chain::{excursions, ranges_text, Excursion};
use vax_ledger::Ledger;

use super::logger::{parse_logger_csv, LoggerLog};
use super::{lot_number, record_stock, venue_lots, StockAction, StockError};
use crate::audit::{About, AuditAction};
use crate::desk::Enrollment;
use crate::import::{ImportError, ImportProblem, TextEncoding};

/// What checking a logger file found and did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ColdChainCheck {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Where the logger was.
    pub place: StoragePlace,
    /// The label's ranges for the place, as text (`2〜8 °C`).
    pub ranges: String,
    /// Readings in the file.
    pub readings: u32,
    /// The first and last reading's time.
    pub first: NaiveDateTime,
    /// The last reading's time.
    pub last: NaiveDateTime,
    /// Coldest and warmest reading.
    pub min_celsius: f64,
    /// Warmest reading.
    pub max_celsius: f64,
    /// Every run of readings out of range.
    pub excursions: Vec<Excursion>,
    /// The quarantine recorded for it (its stock event id), when there were excursions and
    /// the lot was not quarantined already.
    pub quarantine: Option<String>,
    /// The lot was quarantined before this file (nothing more recorded).
    pub already_quarantined: bool,
    /// How the file was read.
    pub time_column: String,
    /// The temperature column.
    pub temperature_column: String,
    /// The encoding.
    pub encoding: String,
}

/// Why a logger file was not checked.
#[derive(Debug, Error)]
pub enum ColdChainError {
    /// The file does not read: nothing was recorded.
    #[error("{}", import_text(.0))]
    File(#[from] ImportError),
    /// The product or lot is wrong, the role may not, or the ledger failed.
    #[error(transparent)]
    Stock(#[from] StockError),
}

fn import_text(e: &ImportError) -> String {
    match e {
        ImportError::Rejected { problems } => format!(
            "{e}: {}",
            problems
                .iter()
                .take(5)
                .map(ToString::to_string)
                .collect::<Vec<_>>()
                .join("; ")
        ),
        other => other.to_string(),
    }
}

impl ColdChainError {
    /// Every problem of a rejected file, in line order; empty for other errors.
    pub fn problems(&self) -> &[ImportProblem] {
        match self {
            Self::File(ImportError::Rejected { problems }) => problems,
            _ => &[],
        }
    }
}

impl UserFacing for ColdChainError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::File(ImportError::Ledger(e)) => e.code(),
            Self::File(_) => ErrorCode::LoggerFileInvalid,
            Self::Stock(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::File(ImportError::Rejected { problems }) => format!(
                "ロガーのファイルに{}件の問題があるため、何も記録していません: {}",
                problems.len(),
                problems
                    .iter()
                    .take(5)
                    .map(|p| format!("{}行目 {}", p.line, p.message_ja))
                    .collect::<Vec<_>>()
                    .join("、")
            ),
            Self::File(ImportError::Read { path, source }) => {
                format!("{path} を読めません: {source}")
            }
            Self::File(ImportError::Ledger(e)) => e.message_ja(),
            Self::Stock(e) => e.message_ja(),
        }
    }
}

/// The quarantine reason an excursion writes: short, with the first excursion's times and
/// worst reading, the range, and how many more there were.
fn reason(found: &[Excursion], place: StoragePlace, ranges: &str, worst: f64) -> String {
    let first = &found[0];
    let more = if found.len() > 1 {
        format!(" 他{}件", found.len() - 1)
    } else {
        String::new()
    };
    format!(
        "温度逸脱（ロガー） {}〜{} {:.1} °C（{} {}）{more}",
        first.from.format("%Y-%m-%d %H:%M"),
        first.to.format("%H:%M"),
        worst,
        place.label_ja(),
        ranges
    )
}

/// Checks a logger's file for `product`/`lot` kept at `place` against the label's ranges;
/// when any reading is out, quarantines the lot (once). The venue manager's action.
#[allow(clippy::too_many_arguments)]
pub fn import_logger(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    product: &str,
    lot: &str,
    place: StoragePlace,
    bytes: &[u8],
    encoding: TextEncoding,
    now: DateTime<FixedOffset>,
) -> Result<ColdChainCheck, ColdChainError> {
    super::check_role(enrollment, enrollment.role.may_record_stock())?;
    // Who imports, asked first: a venue with staff and nobody signed in imports nothing.
    crate::audit::actor(&ledger.reader(), enrollment, now)
        .map_err(|e| StockError::Desk(e.into()))?;
    let lot = lot_number(lot)?;
    let known = Catalogue::builtin()
        .product(product)
        .map_err(|e| StockError::Clock(e.into()))?;
    let ranges = known.storage_at(place);
    let LoggerLog {
        readings,
        time_column,
        temperature_column,
        encoding,
        ..
    } = parse_logger_csv(bytes, encoding)?;
    let found = excursions(&readings, &ranges);
    let range_text = if ranges.is_empty() {
        "—".to_owned()
    } else {
        ranges_text(&ranges)
    };
    let already_quarantined = venue_lots(ledger, &enrollment.venue_code, now)?
        .iter()
        .any(|l| l.product == product && l.lot == lot && l.quarantined.is_some())
        || ledger
            .reader()
            .lot_quarantine(product, &lot)
            .map_err(StockError::from)?
            .is_some();
    let quarantine = if !found.is_empty() && !already_quarantined {
        let worst = found
            .iter()
            .map(|e| e.worst(&ranges))
            .max_by(|a, b| a.abs().total_cmp(&b.abs()))
            .unwrap_or(found[0].max_celsius);
        let recorded = record_stock(
            ledger,
            enrollment,
            &StockAction::Quarantine {
                product: product.to_owned(),
                lot: lot.clone(),
                reason: reason(&found, place, &range_text, worst),
            },
            now,
        )?;
        Some(recorded.uid)
    } else {
        None
    };
    let detail = format!(
        "logger import {product} {lot} {place:?}: {} readings, {} excursions",
        readings.len(),
        found.len()
    );
    let about = About::default().detail(detail);
    crate::audit::record_now(ledger, enrollment, AuditAction::Stock, &[about], now)
        .map_err(|e| StockError::Desk(e.into()))?;
    let first = readings
        .iter()
        .map(|r| r.at)
        .min()
        .expect("a log has readings");
    let last = readings
        .iter()
        .map(|r| r.at)
        .max()
        .expect("a log has readings");
    Ok(ColdChainCheck {
        product: product.to_owned(),
        lot,
        place,
        ranges: range_text,
        readings: readings.len() as u32,
        first,
        last,
        min_celsius: readings
            .iter()
            .map(|r| r.celsius)
            .fold(f64::INFINITY, f64::min),
        max_celsius: readings
            .iter()
            .map(|r| r.celsius)
            .fold(f64::NEG_INFINITY, f64::max),
        excursions: found,
        quarantine,
        already_quarantined,
        time_column,
        temperature_column,
        encoding,
    })
}

/// A logger file as the manager's screen sends it: the lot, where the logger was, the bytes.
#[derive(Debug, Clone, PartialEq, Eq, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LoggerFile {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Where the logger was.
    pub place: StoragePlace,
    /// The file's bytes (UTF-8 or CP932, told apart as [`TextEncoding::Auto`] does).
    pub bytes: Vec<u8>,
}

/// [`import_logger`] of a file sent by the screen, its encoding detected.
pub fn import_logger_file(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    file: &LoggerFile,
    now: DateTime<FixedOffset>,
) -> Result<ColdChainCheck, ColdChainError> {
    import_logger(
        ledger,
        enrollment,
        &file.product,
        &file.lot,
        file.place,
        &file.bytes,
        TextEncoding::Auto,
        now,
    )
}
