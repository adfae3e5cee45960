//! What a venue kiosk records at the desk and the booth: its own settings, check-ins, the
//! lots open today, and the audit record of doctor overrides (migration 0003).

use chrono::{DateTime, Days, FixedOffset, NaiveDate};
use rusqlite::{params, OptionalExtension};
use serde::Serialize;

use crate::read::{corrupt, parse_instant, query_rows, read_columns, Reader};
use crate::write::{instant, WriteTx};
use crate::{LedgerError, RowId};

/// A check-in as stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CheckInView {
    /// Global id of the event.
    pub uid: String,
    /// The resident.
    pub resident_id: RowId,
    /// The dose they came for.
    pub dose_number: u8,
    /// When.
    pub checked_in_at: DateTime<FixedOffset>,
    /// When and why it was cancelled, if it was.
    pub cancelled: Option<(DateTime<FixedOffset>, String)>,
}

/// A vaccine lot.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LotView {
    /// Local row id.
    pub id: RowId,
    /// Product code.
    pub product_code: String,
    /// ロット番号.
    pub lot_number: String,
}

/// A dose given at a venue on a day, with who received it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DayDose {
    /// Global id of the dose record.
    pub uid: String,
    /// The resident.
    pub resident_id: RowId,
    /// Which dose.
    pub dose_number: u8,
    /// Product code of the lot.
    pub product_code: String,
    /// When.
    pub administered_at: DateTime<FixedOffset>,
    /// Voided records are listed too, so counts can leave them out.
    pub voided: bool,
}

/// The half-open range of instants `[day 00:00, next day 00:00)` as stored text in the
/// campaign's offset. Instants are always written with the same offset, so text order is
/// time order and a range query uses the index.
fn day_range(date: NaiveDate, offset: FixedOffset) -> (String, String) {
    let start = |d: NaiveDate| {
        d.and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(offset).single())
            .map(|t| instant(&t))
            .unwrap_or_default()
    };
    (start(date), start(date + Days::new(1)))
}

fn check_in_from(
    id: i64,
    uid: String,
    resident_id: i64,
    dose_number: u8,
    at: String,
    cancelled_at: Option<String>,
    reason: Option<String>,
) -> Result<CheckInView, LedgerError> {
    let corrupt = corrupt("check_ins", id);
    let cancelled = match (cancelled_at, reason) {
        (Some(t), Some(r)) => Some((
            parse_instant(&t).map_err(|e| corrupt("cancelled_at", e))?,
            r,
        )),
        _ => None,
    };
    Ok(CheckInView {
        uid,
        resident_id,
        dose_number,
        checked_in_at: parse_instant(&at).map_err(|e| corrupt("checked_in_at", e))?,
        cancelled,
    })
}

type RawCheckIn = (i64, String, i64, u8, String, Option<String>, Option<String>);

impl Reader<'_> {
    /// A device setting.
    pub fn setting(&self, key: &str) -> Result<Option<String>, LedgerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT value FROM device_settings WHERE key = ?1",
                [key],
                |r| r.get(0),
            )
            .optional()?)
    }

    pub(crate) fn check_ins_where(
        &self,
        condition: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<CheckInView>, LedgerError> {
        let sql = format!(
            "SELECT id, uid, resident_id, dose_number, checked_in_at, cancelled_at, cancel_reason
             FROM check_ins WHERE {condition} ORDER BY checked_in_at, id"
        );
        let raws = query_rows(self.conn, &sql, params, |r| RawCheckIn::try_from(r))?;
        raws.into_iter()
            .map(|(id, uid, resident, dose, at, cancelled_at, reason)| {
                check_in_from(id, uid, resident, dose, at, cancelled_at, reason)
            })
            .collect()
    }

    /// Every check-in at a venue on a day, cancelled ones included, in time order.
    pub fn check_ins_on(
        &self,
        venue_id: RowId,
        date: NaiveDate,
        offset: FixedOffset,
    ) -> Result<Vec<CheckInView>, LedgerError> {
        let (from, to) = day_range(date, offset);
        self.check_ins_where(
            "venue_id = ?1 AND checked_in_at >= ?2 AND checked_in_at < ?3",
            params![venue_id, from, to],
        )
    }

    /// A resident's check-ins on a day at any venue, cancelled ones included.
    pub fn check_ins_of(
        &self,
        resident_id: RowId,
        date: NaiveDate,
        offset: FixedOffset,
    ) -> Result<Vec<CheckInView>, LedgerError> {
        let (from, to) = day_range(date, offset);
        self.check_ins_where(
            "resident_id = ?1 AND checked_in_at >= ?2 AND checked_in_at < ?3",
            params![resident_id, from, to],
        )
    }

    /// The lots open at a venue on a day.
    pub fn lots_open(&self, venue_id: RowId, date: NaiveDate) -> Result<Vec<LotView>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT l.id, l.product_code, l.lot_number FROM lot_openings o JOIN vaccine_lots l ON l.id = o.lot_id
             WHERE o.venue_id = ?1 AND o.date = ?2 ORDER BY l.product_code, l.lot_number",
            params![venue_id, date.to_string()],
            |r| Ok(read_columns!(r, 0 => LotView { id, product_code, lot_number })),
        )
    }

    /// Every dose recorded at a venue on a day, voided ones included, in time order.
    pub fn doses_on(
        &self,
        venue_id: RowId,
        date: NaiveDate,
        offset: FixedOffset,
    ) -> Result<Vec<DayDose>, LedgerError> {
        let (from, to) = day_range(date, offset);
        type RawDayDose = (i64, String, i64, u8, String, String, bool);
        let raws = query_rows(
            self.conn,
            "SELECT d.id, d.uid, d.resident_id, d.dose_number, l.product_code, d.administered_at, d.voided_at IS NOT NULL
             FROM dose_records d JOIN vaccine_lots l ON l.id = d.lot_id
             WHERE d.venue_id = ?1 AND d.administered_at >= ?2 AND d.administered_at < ?3 ORDER BY d.administered_at, d.id",
            params![venue_id, from, to],
            |r| RawDayDose::try_from(r),
        )?;
        raws.into_iter()
            .map(
                |(id, uid, resident_id, dose_number, product_code, at, voided)| {
                    Ok(DayDose {
                        uid,
                        resident_id,
                        dose_number,
                        product_code,
                        administered_at: parse_instant(&at)
                            .map_err(|e| corrupt("dose_records", id)("administered_at", e))?,
                        voided,
                    })
                },
            )
            .collect()
    }

    /// The overrides logged for a dose: (rule, doctor, reason).
    pub fn overrides_of(
        &self,
        dose_uid: &str,
    ) -> Result<Vec<(String, String, String)>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT o.rule, o.doctor, o.reason FROM dose_overrides o JOIN dose_records d ON d.id = o.dose_id
             WHERE d.uid = ?1 ORDER BY o.rule",
            [dose_uid],
            |r| r.try_into(),
        )
    }
}

impl WriteTx<'_> {
    /// Sets a device setting.
    pub fn set_setting(&self, key: &str, value: &str) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT INTO device_settings (key, value) VALUES (?1, ?2)
             ON CONFLICT (key) DO UPDATE SET value = excluded.value",
            params![key, value],
        )?;
        Ok(())
    }

    /// Records a check-in under its global uid (from [`WriteTx::record_event`]).
    pub fn insert_check_in(
        &self,
        uid: &str,
        resident_id: RowId,
        venue_id: RowId,
        dose_number: u8,
        at: &DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT INTO check_ins (uid, resident_id, venue_id, dose_number, checked_in_at) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![uid, resident_id, venue_id, dose_number, instant(at)],
        )?;
        Ok(())
    }

    /// Opens a lot for use at a venue on a day (idempotent).
    pub fn open_lot(
        &self,
        lot_id: RowId,
        venue_id: RowId,
        date: NaiveDate,
    ) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO lot_openings (lot_id, venue_id, date) VALUES (?1, ?2, ?3)",
            params![lot_id, venue_id, date.to_string()],
        )?;
        Ok(())
    }

    /// Logs a doctor's override of `rule` for the dose `dose_uid`.
    pub fn log_dose_override(
        &self,
        dose_uid: &str,
        rule: &str,
        doctor: &str,
        reason: &str,
    ) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT OR IGNORE INTO dose_overrides (dose_id, rule, doctor, reason)
             SELECT id, ?2, ?3, ?4 FROM dose_records WHERE uid = ?1",
            params![dose_uid, rule, doctor, reason],
        )?;
        Ok(())
    }
}
