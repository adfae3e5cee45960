//! The notices sent to residents about their bookings (migration 0008; docs/notices.md):
//! which bookings need one, the batches made, and what each resident was sent.
//!
//! HQ-local: nothing here replicates (see the migration for why).

use chrono::{DateTime, FixedOffset, NaiveDate};
use rusqlite::{params, Transaction};
use serde::Serialize;
use vax_domain::notice::{Appointment, CancelReason, Channel, NoticeKind};

use crate::read::{corrupt, parse_day, parse_instant, query_rows};
use crate::write::instant;
use crate::{Ledger, LedgerError, Reader, RowId};

/// A booking that needs a notice: never told, or told another venue, day or band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingBooking {
    /// The resident.
    pub resident_id: RowId,
    /// The booking as it is now.
    pub appointment: Appointment,
    /// What the last notice told, for a change.
    pub previous: Option<Appointment>,
}

impl PendingBooking {
    /// First notice or change.
    pub fn kind(&self) -> NoticeKind {
        if self.previous.is_some() {
            NoticeKind::Change
        } else {
            NoticeKind::First
        }
    }
}

/// A booking the resident was told about that is now cancelled: nothing is booked for the
/// dose, and the last notice about it was not itself a cancellation.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PendingCancellation {
    /// The resident.
    pub resident_id: RowId,
    /// The booking as the last notice told it.
    pub told: Appointment,
    /// Why it was cancelled, as far as the ledger tells ([`CancelReason`]).
    pub reason: CancelReason,
}

/// A cancellation notice to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewCancellation {
    /// The notice ([`NoticeKind::Cancel`], the appointment told before).
    pub notice: NewNotice,
    /// The reason told.
    pub reason: CancelReason,
}

/// One notice to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNotice {
    /// The resident.
    pub resident_id: RowId,
    /// First or change.
    pub kind: NoticeKind,
    /// How it goes out.
    pub channel: Channel,
    /// What it tells.
    pub appointment: Appointment,
    /// The number texted or to call; `None` for a letter.
    pub phone: Option<String>,
    /// The SMS as listed; `None` unless the channel is SMS.
    pub message: Option<String>,
}

/// A notice as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeRow {
    /// The batch that made it.
    pub batch_id: i64,
    /// First or change.
    pub kind: NoticeKind,
    /// How it went out.
    pub channel: Channel,
    /// What it told.
    pub appointment: Appointment,
    /// The number texted or to call.
    pub phone: Option<String>,
    /// The SMS as listed.
    pub message: Option<String>,
    /// When the batch was made.
    pub sent_at: DateTime<FixedOffset>,
    /// Why the booking was cancelled, for a cancellation.
    pub reason: Option<CancelReason>,
}

/// A batch as recorded.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NoticeBatchRow {
    /// Its number.
    pub id: i64,
    /// When it was made.
    pub created_at: DateTime<FixedOffset>,
    /// The folder its files went to.
    pub folder: String,
    /// The files' names.
    pub files: Vec<String>,
    /// Letter pages (residents).
    pub letters: u32,
    /// SMS lines.
    pub sms: u32,
    /// Call-list lines.
    pub calls: u32,
}

/// The counts and files of a new batch.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewNoticeBatch<'a> {
    /// When it is made.
    pub created_at: &'a DateTime<FixedOffset>,
    /// Its folder.
    pub folder: &'a str,
    /// The files' names.
    pub files: &'a [String],
    /// The options used, as JSON.
    pub options_json: &'a str,
    /// Letter pages.
    pub letters: usize,
    /// SMS lines.
    pub sms: usize,
    /// Call-list lines.
    pub calls: usize,
}

/// The columns of an appointment in `notices`, from `at`.
pub(crate) const NOTICE_SLOT: &str =
    "n.dose_number, n.venue_code, n.venue_name, n.venue_address, n.date, n.start_time, n.end_time";

#[derive(Debug)]
pub(crate) struct RawSlot {
    dose_number: u8,
    venue_code: String,
    venue_name: String,
    venue_address: String,
    date: String,
    start: String,
    end: String,
}

impl RawSlot {
    pub(crate) fn from_row(r: &rusqlite::Row<'_>, at: usize) -> rusqlite::Result<Self> {
        Ok(crate::read::read_columns!(r, at => Self {
            dose_number, venue_code, venue_name, venue_address, date, start, end,
        }))
    }

    pub(crate) fn into_appointment(
        self,
        table: &'static str,
        id: i64,
    ) -> Result<Appointment, LedgerError> {
        let corrupt = corrupt(table, id);
        let time = |s: &str, field| {
            chrono::NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| corrupt(field, e.to_string()))
        };
        Ok(Appointment {
            dose_number: self.dose_number,
            start: time(&self.start, "start_time")?,
            end: time(&self.end, "end_time")?,
            date: parse_day(&self.date).map_err(|e| corrupt("date", e))?,
            venue_code: self.venue_code,
            venue_name: self.venue_name,
            venue_address: self.venue_address,
        })
    }
}

impl Reader<'_> {
    /// Every booking on `from` or later that needs a notice, by resident then dose: no notice
    /// was recorded for it, or the last one told another venue, day or band.
    pub fn pending_notices(&self, from: NaiveDate) -> Result<Vec<PendingBooking>, LedgerError> {
        let sql = format!(
            "SELECT k.id, k.resident_id, k.dose_number, v.code, v.name, v.address, b.date, b.start_time, b.end_time,
                    n.id, {NOTICE_SLOT}, n.kind
             FROM bookings k
             JOIN time_bands b ON b.id = k.time_band_id
             JOIN venues v ON v.id = b.venue_id
             LEFT JOIN notices n ON n.id = (
                 SELECT max(l.id) FROM notices l
                 WHERE l.resident_id = k.resident_id AND l.dose_number = k.dose_number)
             WHERE b.date >= ?1
               AND (n.id IS NULL OR n.kind = 'cancel' OR n.venue_code <> v.code OR n.date <> b.date
                    OR n.start_time <> b.start_time OR n.end_time <> b.end_time)
             ORDER BY k.resident_id, k.dose_number"
        );
        let raws = query_rows(self.conn, &sql, [from.to_string()], |r| {
            let booking: i64 = r.get(0)?;
            let resident: i64 = r.get(1)?;
            let now = RawSlot::from_row(r, 2)?;
            let notice: Option<i64> = r.get(9)?;
            let cancelled: Option<String> = r.get(17)?;
            // After a cancellation the resident holds no booking: a new one is a first notice.
            let last = match notice {
                Some(id) if cancelled.as_deref() != Some("cancel") => {
                    Some((id, RawSlot::from_row(r, 10)?))
                }
                _ => None,
            };
            Ok((booking, resident, now, last))
        })?;
        raws.into_iter()
            .map(|(booking, resident_id, now, last)| {
                Ok(PendingBooking {
                    resident_id,
                    appointment: now.into_appointment("bookings", booking)?,
                    previous: last
                        .map(|(id, slot)| slot.into_appointment("notices", id))
                        .transpose()?,
                })
            })
            .collect()
    }

    /// Every booking told on `from` or later that is cancelled since, by resident then dose:
    /// the last notice about the dose told a booking (first or change), no booking is held
    /// for the dose now, and the dose was not given meanwhile. The reason is read as
    /// [`CancelReason`] says: the survey's intention is now other than `wants` (withdrawn); the
    /// band told is closed or gone (its day was cut); else a reshuffle found no place.
    pub fn pending_cancellations(
        &self,
        from: NaiveDate,
    ) -> Result<Vec<PendingCancellation>, LedgerError> {
        let sql = format!(
            "SELECT n.id, n.resident_id, {NOTICE_SLOT},
                    CASE WHEN r.intention IS NOT NULL AND r.intention <> 'wants' THEN 'withdrawn'
                         WHEN b.id IS NULL OR b.closed = 1 THEN 'day_cut'
                         ELSE 'no_place' END
             FROM notices n
             JOIN residents r ON r.id = n.resident_id
             LEFT JOIN venues v ON v.code = n.venue_code
             LEFT JOIN time_bands b ON b.venue_id = v.id AND b.date = n.date
                  AND b.start_time = n.start_time AND b.end_time = n.end_time
             WHERE n.id IN (SELECT max(l.id) FROM notices l GROUP BY l.resident_id, l.dose_number)
               AND n.kind <> 'cancel'
               AND n.date >= ?1
               AND NOT EXISTS (SELECT 1 FROM bookings k
                               WHERE k.resident_id = n.resident_id AND k.dose_number = n.dose_number)
               AND NOT EXISTS (SELECT 1 FROM dose_records d
                               WHERE d.resident_id = n.resident_id AND d.dose_number = n.dose_number
                                 AND d.voided_at IS NULL)
             ORDER BY n.resident_id, n.dose_number"
        );
        let raws = query_rows(self.conn, &sql, [from.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, i64>(1)?,
                RawSlot::from_row(r, 2)?,
                r.get::<_, String>(9)?,
            ))
        })?;
        raws.into_iter()
            .map(|(id, resident_id, slot, reason)| {
                Ok(PendingCancellation {
                    resident_id,
                    told: slot.into_appointment("notices", id)?,
                    reason: CancelReason::from_code(&reason)
                        .ok_or_else(|| corrupt("notices", id)("reason", reason))?,
                })
            })
            .collect()
    }

    /// What a resident was sent, newest first.
    pub fn notices_of(&self, resident: RowId) -> Result<Vec<NoticeRow>, LedgerError> {
        let sql = format!(
            "SELECT n.id, n.batch_id, n.kind, n.channel, n.phone, n.message, n.sent_at, {NOTICE_SLOT}, n.reason
             FROM notices n WHERE n.resident_id = ?1 ORDER BY n.id DESC"
        );
        type Raw = (
            i64,
            i64,
            String,
            String,
            Option<String>,
            Option<String>,
            String,
            RawSlot,
            Option<String>,
        );
        let raws: Vec<Raw> = query_rows(self.conn, &sql, [resident], |r| {
            Ok((
                r.get(0)?,
                r.get(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
                r.get(5)?,
                r.get(6)?,
                RawSlot::from_row(r, 7)?,
                r.get(14)?,
            ))
        })?;
        raws.into_iter()
            .map(
                |(id, batch_id, kind, channel, phone, message, sent_at, slot, reason)| {
                    let corrupt = corrupt("notices", id);
                    Ok(NoticeRow {
                        batch_id,
                        kind: NoticeKind::from_code(&kind)
                            .ok_or_else(|| corrupt("kind", kind.clone()))?,
                        channel: Channel::from_code(&channel)
                            .ok_or_else(|| corrupt("channel", channel.clone()))?,
                        phone,
                        message,
                        sent_at: parse_instant(&sent_at).map_err(|e| corrupt("sent_at", e))?,
                        appointment: slot.into_appointment("notices", id)?,
                        reason: reason
                            .map(|r| {
                                CancelReason::from_code(&r).ok_or_else(|| corrupt("reason", r))
                            })
                            .transpose()?,
                    })
                },
            )
            .collect()
    }

    /// The notice batches, newest first, at most `limit`.
    pub fn notice_batches(&self, limit: u32) -> Result<Vec<NoticeBatchRow>, LedgerError> {
        type Raw = (i64, String, String, String, u32, u32, u32);
        let raws: Vec<Raw> = query_rows(
            self.conn,
            "SELECT id, created_at, folder, files, letters, sms, calls FROM notice_batches
             ORDER BY id DESC LIMIT ?1",
            [limit],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                ))
            },
        )?;
        raws.into_iter()
            .map(|(id, created_at, folder, files, letters, sms, calls)| {
                Ok(NoticeBatchRow {
                    id,
                    created_at: parse_instant(&created_at)
                        .map_err(|e| corrupt("notice_batches", id)("created_at", e))?,
                    folder,
                    files: files.lines().map(str::to_owned).collect(),
                    letters,
                    sms,
                    calls,
                })
            })
            .collect()
    }
}

/// The one transaction of a notice batch. It takes the write lock at once (`BEGIN
/// IMMEDIATE`), so the bookings it reads are the ones it records as told: a booking a sync
/// changes meanwhile waits and shows as pending afterwards. Dropping it without
/// [`NoticeTx::commit`] records nothing.
pub struct NoticeTx<'c> {
    pub(crate) tx: Transaction<'c>,
}

impl Ledger {
    /// Starts a notice batch's transaction.
    pub fn notice_tx(&mut self) -> Result<NoticeTx<'_>, LedgerError> {
        Ok(NoticeTx {
            tx: crate::begin_write(&mut self.conn)?,
        })
    }
}

impl NoticeTx<'_> {
    /// Reads, seeing this transaction's own writes.
    pub fn reader(&self) -> Reader<'_> {
        Reader::new(&self.tx)
    }

    /// The number the next batch will get (no batch is deleted, so it is the highest + 1).
    pub fn next_batch_id(&self) -> Result<i64, LedgerError> {
        Ok(self.tx.query_row(
            "SELECT coalesce(max(id), 0) + 1 FROM notice_batches",
            [],
            |r| r.get(0),
        )?)
    }

    /// Records a batch under the number [`NoticeTx::next_batch_id`] gave.
    pub fn insert_batch(&self, id: i64, batch: &NewNoticeBatch<'_>) -> Result<(), LedgerError> {
        let count = |n: usize| i64::try_from(n).unwrap_or(i64::MAX);
        self.tx.execute(
            "INSERT INTO notice_batches (id, created_at, folder, files, options, letters, sms, calls)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                id,
                instant(batch.created_at),
                batch.folder,
                batch.files.join("\n"),
                batch.options_json,
                count(batch.letters),
                count(batch.sms),
                count(batch.calls)
            ],
        )?;
        Ok(())
    }

    /// Records the notices of `batch`, sent at `sent_at`.
    pub fn add_notices(
        &self,
        batch: i64,
        sent_at: &DateTime<FixedOffset>,
        notices: &[NewNotice],
    ) -> Result<(), LedgerError> {
        self.insert_notices(batch, sent_at, notices.iter().map(|n| (n, None)))
    }

    /// Records the cancellation notices of `batch`, sent at `sent_at`, with their reasons.
    pub fn add_cancellations(
        &self,
        batch: i64,
        sent_at: &DateTime<FixedOffset>,
        cancellations: &[NewCancellation],
    ) -> Result<(), LedgerError> {
        self.insert_notices(
            batch,
            sent_at,
            cancellations.iter().map(|c| (&c.notice, Some(c.reason))),
        )
    }

    fn insert_notices<'n>(
        &self,
        batch: i64,
        sent_at: &DateTime<FixedOffset>,
        notices: impl Iterator<Item = (&'n NewNotice, Option<CancelReason>)>,
    ) -> Result<(), LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO notices (batch_id, resident_id, dose_number, kind, channel, venue_code, venue_name,
                    venue_address, date, start_time, end_time, phone, message, sent_at, reason)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?15)",
        )?;
        let sent_at = instant(sent_at);
        for (n, reason) in notices {
            let a = &n.appointment;
            stmt.execute(params![
                batch,
                n.resident_id,
                a.dose_number,
                n.kind.code(),
                n.channel.code(),
                a.venue_code,
                a.venue_name,
                a.venue_address,
                a.date.to_string(),
                a.start.format("%H:%M").to_string(),
                a.end.format("%H:%M").to_string(),
                n.phone,
                n.message,
                sent_at,
                reason.map(CancelReason::code),
            ])?;
        }
        Ok(())
    }

    /// Makes the batch durable.
    pub fn commit(self) -> Result<(), LedgerError> {
        Ok(self.tx.commit()?)
    }
}
