//! The venue's paper fallback (issue 17): day sheets printed the day before, and the
//! back-entry of what staff wrote on them once a kiosk works again.
//!
//! A day sheet lists every resident booked into a band with a row QR: their 18-digit voucher
//! line, its 回数 the dose booked — the code the desk's camera and USB scanner already read.
//! Back-entry scans that QR (or takes the typed voucher number of a walk-in written on a
//! blank row) and the handwritten fields, and records the dose through the booth's own rules
//! ([`super::booth`]): a second dose is refused exactly as at the booth, and a refusal writes
//! nothing. The records carry the time written on paper and are marked back-entered (in the
//! op, docs/sync-spec.md §4b, and in the audit trail with who typed them).

use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, TimeZone};
use serde::{Deserialize, Serialize};
use vax_domain::voucher::VoucherPayload;
use vax_ledger::{Ledger, WriteTx};
use vax_print::{DaySheet, DaySheetRow, JapaneseFont, PrintError};
use vax_sync::AuditAction;

use super::booth::{record_dose_in, FromPaper};
use super::reception::due_dose;
use super::walk_in::{fetch_walk_in, walk_in_of_voucher, WalkInStep};
use super::{required, DeskError, Enrollment, RecordDose, RecordedDose};
use crate::audit::{self, About};
use crate::config::{AppConfig, Folders};
use crate::print::{line_for, PrintJobError, Printed};
use crate::sync::LedgerAccess;

/// Blank rows for walk-ins (the standby list) after each band's bookings.
pub const WALK_IN_ROWS: usize = 5;

/// The day sheets of a venue day, one per time band in time order, residents in kana order.
///
/// # Errors
/// [`vax_ledger::LedgerError::Missing`] for an unknown venue, or a ledger failure.
pub fn day_sheets(
    ledger: &Ledger,
    venue_code: &str,
    date: NaiveDate,
) -> Result<Vec<DaySheet>, vax_ledger::LedgerError> {
    let reader = ledger.reader();
    let venue = reader.venue(venue_code)?;
    reader
        .venue_day(venue_code, date)?
        .into_iter()
        .map(|load| {
            let rows = reader
                .bookings_in_band(load.band.id)?
                .into_iter()
                .map(|(dose, r)| DaySheetRow {
                    line: line_for(&r, dose),
                    name: r.resident.name.clone(),
                    name_kana: r.resident.name_kana.clone(),
                    birth_date: r.resident.birth_date,
                })
                .collect();
            Ok(DaySheet {
                venue_code: venue_code.to_owned(),
                venue_name: venue.venue.name.clone(),
                date,
                band: format!(
                    "{}〜{}",
                    load.band.start.format("%H:%M"),
                    load.band.end.format("%H:%M")
                ),
                rows,
                blank_rows: WALK_IN_ROWS,
            })
        })
        .collect()
}

/// What was written.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetsWritten {
    /// Time bands.
    pub bands: usize,
    /// Booked residents listed.
    pub residents: usize,
    /// Pages of the PDF.
    pub pages: usize,
}

/// Writes the day sheets of a venue day into one PDF at `path` (`vaxhq paper sheets`).
///
/// # Errors
/// An unknown venue or a ledger failure, or the PDF could not be written.
pub fn write_day_sheets(
    ledger: &Ledger,
    font: &JapaneseFont,
    venue_code: &str,
    date: NaiveDate,
    path: &Path,
) -> Result<SheetsWritten, PrintJobError> {
    let sheets = day_sheets(ledger, venue_code, date)?;
    let pages = vax_print::write_day_sheets(font, &sheets, path)?;
    Ok(SheetsWritten {
        bands: sheets.len(),
        residents: sheets.iter().map(|s| s.rows.len()).sum(),
        pages,
    })
}

/// Writes this venue's day sheets for `date` into the `print/` folder and opens them in the
/// system's viewer (the venue manager's button, pressed the day before). The print is an
/// entry of the audit trail.
///
/// # Errors
/// Not enrolled, nobody signed in where staff must be, or the PDF could not be written.
pub fn print_day_sheets(
    ledger: &mut Ledger,
    config: &AppConfig,
    folders: &Folders,
    enrollment: &Enrollment,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<Printed, PrintJobError> {
    let actor = crate::audit::actor_here(ledger, now)?;
    let dir = folders.print();
    std::fs::create_dir_all(&dir).map_err(|source| PrintError::Io {
        path: dir.clone(),
        source,
    })?;
    let path = dir.join(format!("day-sheets-{}-{date}.pdf", enrollment.venue_code));
    let font = JapaneseFont::system_default().map_err(PrintError::from)?;
    let written = write_day_sheets(ledger, &font, &enrollment.venue_code, date, &path)?;
    let mut tx = ledger.transaction()?;
    let about = About {
        record: path.file_name().map(|n| n.to_string_lossy().into_owned()),
        detail: format!(
            "day sheets {} {date}: {} bands, {} residents",
            enrollment.venue_code, written.bands, written.residents
        ),
        ..About::default()
    };
    audit::record(&mut tx, &actor, AuditAction::Print, &about, now)?;
    tx.commit()?;
    let opened = config.open_on_desktop(&path);
    Ok(Printed {
        path: path.display().to_string(),
        opened,
    })
}

/// One row of a day sheet, as typed in at back-entry.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackEntry {
    /// The row QR as scanned (18 digits), or the voucher number written on a blank row.
    pub voucher: String,
    /// The day of the sheet.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// 接種時刻 as written, `HH:MM`.
    pub given_at: String,
    /// ロット as written (a lot open at this venue that day).
    pub lot_number: String,
    /// 接種者 as written.
    pub vaccinator: String,
    /// Injection site (左上腕…).
    pub injection_site: String,
    /// 観察終了 as written, `HH:MM`; empty when not filled in.
    pub observed_until: String,
}

/// A back-entered row.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BackEntered {
    /// 氏名.
    pub name: String,
    /// The dose recorded.
    pub dose_number: u8,
    /// When it was given: the time written on paper.
    pub given_at: DateTime<FixedOffset>,
    /// The dose record, at the time written on paper.
    pub dose: RecordedDose,
    /// The check-in recorded with it, when the resident was not checked in at a kiosk.
    pub checked_in: bool,
}

/// A time of day as written on paper or in a spreadsheet: `9:12`, `09:12` or `9:12:00`
/// (Excel's own form), full-width digits and colon from a Japanese input method too.
pub(crate) fn clock_time(text: &str) -> Option<NaiveTime> {
    let text: String = text
        .trim()
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            '：' => ':',
            c => c,
        })
        .collect();
    NaiveTime::parse_from_str(&text, "%H:%M")
        .or_else(|_| NaiveTime::parse_from_str(&text, "%H:%M:%S"))
        .ok()
}

fn paper_time(
    field: &'static str,
    text: &str,
    date: NaiveDate,
    offset: FixedOffset,
) -> Result<DateTime<FixedOffset>, DeskError> {
    let time = clock_time(text).ok_or(DeskError::Invalid {
        field,
        problem: "24-hour time as HH:MM / 24時間制の 時:分 で入力してください",
    })?;
    offset
        .from_local_datetime(&date.and_time(time))
        .single()
        .ok_or(DeskError::Invalid {
            field,
            problem: "not a time of that day / その日の時刻ではありません",
        })
}

/// Back-entry records check-ins and doses: the venue manager's role.
pub(crate) fn may_back_enter(enrollment: &Enrollment) -> Result<(), DeskError> {
    if enrollment.role.may_record_doses() && enrollment.role.may_check_in() {
        Ok(())
    } else {
        Err(DeskError::RoleMayNot {
            role: enrollment.role,
            action: "back-enter the paper day sheet",
        })
    }
}

/// How long before the first band of the venue day a dose written on paper may be given:
/// the doors open a little early for a queue.
pub const EARLIEST_BEFORE_FIRST_BAND_MINUTES: i64 = 30;
/// How long after the last band ends a dose written on paper may be given: the last band's
/// queue is vaccinated after its end.
pub const LATEST_AFTER_LAST_BAND_MINUTES: i64 = 60;

/// Records one row of a day sheet: the dose at the time written on paper, and the check-in
/// with it when the resident was not checked in at a kiosk that day. The venue manager's
/// job (back-entry records doses and check-ins). Refused like the booth refuses (duplicate
/// dose, interval, lot not open that day…), and a time outside the venue day; any refusal or
/// malformed field writes nothing.
///
/// A walk-in from another municipality (the 18 digits of their voucher, scanned from the
/// screening form the venue kept, naming a municipality outside this kiosk's partial replica)
/// is looked up online first, as at the desk ([`super::walk_in`]): their record is merged and
/// the booth's rules apply to it. Without the network the row is refused
/// ([`DeskError::WalkInOffline`], [`WalkInStep::BackEntry`]) and can be entered again later.
///
/// # Errors
/// [`DeskError`] naming the field or rule at fault, in English and Japanese.
pub fn back_enter<A: LedgerAccess>(
    mut ledger: A,
    enrollment: &Enrollment,
    entry: &BackEntry,
    now: DateTime<FixedOffset>,
) -> Result<BackEntered, DeskError> {
    may_back_enter(enrollment)?;
    if let Some((municipality, voucher)) =
        ledger.with_ledger(|l| walk_in_of_voucher(l, &entry.voucher))?
    {
        fetch_walk_in(&mut ledger, &municipality, &voucher, WalkInStep::BackEntry)?;
    }
    ledger.with_ledger(|l| {
        let mut tx = l.transaction()?;
        let entered = back_enter_in(&mut tx, enrollment, entry, now, None)?;
        tx.commit()?;
        Ok(entered)
    })
}

/// [`back_enter`] inside a transaction the caller commits (a whole sheet is one transaction:
/// [`super::paper_sheet`]). A refused row writes nothing into the transaction. `source` says
/// where the row was typed from (`line 3 of sheet.csv`), for the audit trail.
pub(crate) fn back_enter_in(
    tx: &mut WriteTx<'_>,
    enrollment: &Enrollment,
    entry: &BackEntry,
    now: DateTime<FixedOffset>,
    source: Option<&str>,
) -> Result<BackEntered, DeskError> {
    may_back_enter(enrollment)?;
    let payload = VoucherPayload::parse(&entry.voucher)?;
    let offset = *now.offset();
    let given = paper_time("time given / 接種時刻", &entry.given_at, entry.date, offset)?;
    if given > now {
        return Err(DeskError::Invalid {
            field: "time given / 接種時刻",
            problem: "is in the future / 未来の時刻です",
        });
    }
    let observed_until = match entry.observed_until.trim() {
        "" => None,
        text => {
            let until = paper_time("observation end / 観察終了", text, entry.date, offset)?;
            if until < given {
                return Err(DeskError::Invalid {
                    field: "observation end / 観察終了",
                    problem: "is before the time given / 接種時刻より前です",
                });
            }
            Some(until)
        }
    };
    let lot_number = required(&entry.lot_number, "lot / ロット番号", 20)?.to_uppercase();
    let vaccinator = required(&entry.vaccinator, "vaccinator / 接種者", 20)?;
    let reader = tx.reader();
    within_venue_day(&reader, &enrollment.venue_code, given)?;
    let venue = reader.venue(&enrollment.venue_code)?;
    let resident = match &reader.residents_by_voucher(payload.municipality(), payload.number())?[..]
    {
        [one] => one.clone(),
        [] => {
            return Err(DeskError::Invalid {
                field: "voucher / 接種券",
                problem: "no resident holds this voucher / この接種券の対象者がいません",
            })
        }
        // Numbers are unique within one municipality only: a walk-in looked up from another
        // may share a resident's 10 digits. Never guess whom a dose was given to.
        _ => {
            return Err(DeskError::Invalid {
                field: "voucher / 接種券",
                problem: "residents of more than one municipality hold this number: scan or type \
                          the 18 digits of the voucher / この番号の方が複数の市町村にいます。\
                          接種券の18桁を読み取るか入力してください",
            })
        }
    };
    let lot = reader
        .lots_open(venue.id, entry.date)?
        .into_iter()
        .find(|l| l.lot_number == lot_number)
        .ok_or(DeskError::LotNotOpen)?;
    let dose_number = match payload.printed_dose() {
        Some(dose) => dose,
        // A walk-in's typed voucher number: the dose due that day.
        None => due_dose(&crate::lookup::card_from(&reader, resident.id, entry.date)?.due)
            .ok_or(DeskError::SeriesComplete)?,
    };
    let checked_in = reader
        .check_ins_of(resident.id, entry.date, offset)?
        .iter()
        .any(|c| c.cancelled.is_none());
    let from = source.map_or_else(String::new, |s| format!(", {s}"));
    let detail = match observed_until {
        Some(until) => format!(
            "back-entered from the paper day sheet{from}: given {}, observed until {}",
            given.format("%Y-%m-%d %H:%M"),
            until.format("%H:%M")
        ),
        None => format!(
            "back-entered from the paper day sheet{from}: given {}",
            given.format("%Y-%m-%d %H:%M")
        ),
    };
    let paper = FromPaper {
        // A tick on paper carries no time: the check-in is recorded at the time given.
        check_in_at: (!checked_in).then_some(given),
        detail,
        source: source.map(str::to_owned),
    };
    let request = RecordDose {
        resident_id: resident.id,
        dose_number,
        lot_id: lot.id,
        vaccinator,
        injection_site: entry.injection_site.clone(),
        override_: None,
    };
    let dose = record_dose_in(tx, enrollment, &request, given, now, Some(&paper))?;
    Ok(BackEntered {
        name: resident.resident.name,
        dose_number,
        given_at: given,
        dose,
        checked_in: !checked_in,
    })
}

/// Refuses a time the venue was not open: a day without bands at the venue, or a time more
/// than [`EARLIEST_BEFORE_FIRST_BAND_MINUTES`] before its first band or
/// [`LATEST_AFTER_LAST_BAND_MINUTES`] after its last (a slip of the pen: 19:12 for 09:12).
fn within_venue_day(
    reader: &vax_ledger::Reader<'_>,
    venue_code: &str,
    given: DateTime<FixedOffset>,
) -> Result<(), DeskError> {
    let bands = reader.venue_day(venue_code, given.date_naive())?;
    let (Some(first), Some(last)) = (
        bands.iter().map(|b| b.band.start).min(),
        bands.iter().map(|b| b.band.end).max(),
    ) else {
        return Err(DeskError::Invalid {
            field: "date / 接種日",
            problem:
                "the venue has no time bands that day / この日はこの会場の接種日ではありません",
        });
    };
    let time = given.time();
    let opens = first - chrono::Duration::minutes(EARLIEST_BEFORE_FIRST_BAND_MINUTES);
    let closes = last + chrono::Duration::minutes(LATEST_AFTER_LAST_BAND_MINUTES);
    // A band running past midnight would wrap; venue days end in the evening.
    if (opens <= first && time < opens) || (closes >= last && time > closes) {
        return Err(DeskError::Invalid {
            field: "time given / 接種時刻",
            problem: "is outside the venue day's hours / 会場の接種時間外です",
        });
    }
    Ok(())
}
