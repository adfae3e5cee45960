//! Writes: every one inside a [`WriteTx`], which commits whole or rolls back on drop.

use chrono::{DateTime, FixedOffset, SecondsFormat};
use rusqlite::{params, Transaction};
use serde::Serialize;
use uuid::Uuid;
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::kana;
use vax_domain::resident::{AtenaNumber, Resident, SurveyAnswer};
use vax_domain::venue::{TimeBand, Venue};
use vax_sync::{EventKind, OpId, OpKind, Void};

use crate::replication::Replication;
use crate::{LedgerError, Reader, RowId};

/// What an upsert of one register row did.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum RegisterOutcome {
    /// A resident the ledger did not know.
    Inserted,
    /// A known resident whose data changed.
    Updated,
    /// A known resident, nothing changed.
    Unchanged,
}

/// A dose to record.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewDose {
    /// Its global uid: the id of its op from [`WriteTx::record_event`] when the ledger
    /// replicates; `None` takes a fresh UUIDv7.
    pub uid: Option<String>,
    /// The resident.
    pub resident_id: RowId,
    /// Which dose.
    pub dose_number: u8,
    /// When it was given.
    pub administered_at: DateTime<FixedOffset>,
    /// Where.
    pub venue_id: RowId,
    /// From which lot.
    pub lot_id: RowId,
    /// 医師名 / vaccinator, at most 20 characters.
    pub vaccinator: String,
    /// Injection site (e.g. 左上腕).
    pub injection_site: String,
    /// When the record was written.
    pub recorded_at: DateTime<FixedOffset>,
}

/// An inquiry to log.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct NewInquiry {
    /// Its global uid: the id of its op from [`WriteTx::record_event`] when the ledger
    /// replicates; `None` takes a fresh UUIDv7.
    pub uid: Option<String>,
    /// The resident it is about, when identified.
    pub resident_id: Option<RowId>,
    /// When.
    pub received_at: DateTime<FixedOffset>,
    /// How it came in.
    pub channel: InquiryChannel,
    /// What it was about.
    pub topic: InquiryTopic,
    /// What was said.
    pub note: String,
    /// Who took it.
    pub operator: String,
    /// Someone must get back to the resident.
    pub follow_up_needed: bool,
    /// Who should; empty when anyone may.
    pub follow_up_by: String,
    /// The uid of the earlier inquiry whose follow-up this one completes.
    pub closes: Option<String>,
}

/// What an upsert did, from whether the row existed before and the rows it changed.
fn outcome(existed: bool, changed: usize) -> RegisterOutcome {
    match (existed, changed) {
        (false, _) => RegisterOutcome::Inserted,
        (true, 0) => RegisterOutcome::Unchanged,
        (true, _) => RegisterOutcome::Updated,
    }
}

pub(crate) fn instant(t: &DateTime<FixedOffset>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Secs, false)
}

/// One write transaction. Nothing is visible to others until [`WriteTx::commit`]; dropping
/// it rolls everything back.
pub struct WriteTx<'c> {
    pub(crate) tx: Transaction<'c>,
    pub(crate) replication: ReplicationGuard<'c>,
}

/// The ledger's replica as a transaction sees it. When a transaction that stored an op does
/// not commit, the merged state in memory is ahead of the file: dropping the guard then
/// forgets it, and the next use rebuilds it from the op log.
pub(crate) struct ReplicationGuard<'c> {
    replica: Option<&'c mut Replication>,
    pub(crate) wrote_ops: bool,
    committed: bool,
}

impl<'c> ReplicationGuard<'c> {
    pub(crate) fn replica(&mut self) -> Option<&mut Replication> {
        self.replica.as_deref_mut()
    }
}

impl Drop for ReplicationGuard<'_> {
    fn drop(&mut self) {
        if self.wrote_ops && !self.committed {
            if let Some(r) = self.replica.as_deref_mut() {
                r.forget_state();
            }
        }
    }
}

impl<'c> WriteTx<'c> {
    pub(crate) fn new(tx: Transaction<'c>, replica: Option<&'c mut Replication>) -> Self {
        Self {
            tx,
            replication: ReplicationGuard {
                replica,
                wrote_ops: false,
                committed: false,
            },
        }
    }

    /// Reads, seeing this transaction's own writes.
    pub fn reader(&self) -> Reader<'_> {
        Reader::new(&self.tx)
    }

    /// Makes every write of this transaction durable.
    pub fn commit(self) -> Result<(), LedgerError> {
        let WriteTx {
            tx,
            mut replication,
        } = self;
        tx.commit()?;
        replication.committed = true;
        Ok(())
    }

    /// Inserts a resident, or updates the one with the same (municipality, voucher number).
    /// The survey columns are left alone: the register does not carry them. A resident
    /// without a 宛名番号 keeps the one the ledger holds: a register file without the column
    /// (or with the cell empty) never erases it.
    pub fn upsert_resident(
        &self,
        r: &Resident,
        now: &DateTime<FixedOffset>,
    ) -> Result<RegisterOutcome, LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO residents (municipality_code, voucher_number, name, name_kana, kana_key, birth_date, sex,
                                    postal_code, address, district, lat, lon, phone, phone_digits, atena_number,
                                    created_at, updated_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13, ?14, ?16, ?15, ?15)
             ON CONFLICT (municipality_code, voucher_number) DO UPDATE SET
                name = excluded.name, name_kana = excluded.name_kana, kana_key = excluded.kana_key,
                birth_date = excluded.birth_date, sex = excluded.sex, postal_code = excluded.postal_code,
                address = excluded.address, district = excluded.district, lat = excluded.lat, lon = excluded.lon,
                phone = excluded.phone, phone_digits = excluded.phone_digits,
                atena_number = coalesce(excluded.atena_number, atena_number), updated_at = excluded.updated_at
             WHERE (name, name_kana, birth_date, sex, postal_code, address, district, lat, lon, phone, atena_number)
                IS NOT (excluded.name, excluded.name_kana, excluded.birth_date, excluded.sex, excluded.postal_code,
                        excluded.address, excluded.district, excluded.lat, excluded.lon, excluded.phone,
                        coalesce(excluded.atena_number, atena_number))",
        )?;
        // No RETURNING: SQLite builds an ephemeral table for it on every execution, which
        // made a register import four times slower. The outcome is read from the counters:
        // nothing changed, or a new rowid was assigned (insert), or neither (update).
        let last_rowid = self.tx.last_insert_rowid();
        let changed = stmt.execute(params![
            r.municipality.as_str(),
            r.voucher.as_str(),
            r.name,
            r.name_kana,
            kana::search_key(&r.name_kana),
            r.birth_date.to_string(),
            r.sex.code(),
            r.postal_code,
            r.address,
            r.district,
            r.home.map(|h| h.lat),
            r.home.map(|h| h.lon),
            r.phone.as_ref().map(|p| p.display.as_str()),
            r.phone.as_ref().map(|p| p.digits.as_str()),
            instant(now),
            r.atena_number.as_ref().map(AtenaNumber::as_str),
        ])?;
        Ok(match changed {
            0 => RegisterOutcome::Unchanged,
            _ if self.tx.last_insert_rowid() != last_rowid => RegisterOutcome::Inserted,
            _ => RegisterOutcome::Updated,
        })
    }

    /// Records a survey answer. Returns false when no resident has that voucher.
    pub fn apply_survey(
        &self,
        answer: &SurveyAnswer,
        answered_at: &DateTime<FixedOffset>,
    ) -> Result<bool, LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "UPDATE residents SET intention = ?3, needs_transport = ?4, anaphylaxis_history = ?5,
                    survey_answered_at = ?6, updated_at = ?6
             WHERE municipality_code = ?1 AND voucher_number = ?2",
        )?;
        let changed = stmt.execute(params![
            answer.municipality.as_str(),
            answer.voucher.as_str(),
            answer.intention.code(),
            answer.needs_transport,
            answer.anaphylaxis_history,
            instant(answered_at),
        ])?;
        Ok(changed == 1)
    }

    /// Adds a venue.
    pub fn insert_venue(&self, v: &Venue) -> Result<RowId, LedgerError> {
        self.tx.execute(
            "INSERT INTO venues (code, name, address, lat, lon) VALUES (?1, ?2, ?3, ?4, ?5)",
            params![v.code, v.name, v.address, v.location.lat, v.location.lon],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Adds a time band to a venue.
    pub fn insert_time_band(&self, venue_id: RowId, b: &TimeBand) -> Result<RowId, LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO time_bands (venue_id, date, start_time, end_time, capacity) VALUES (?1, ?2, ?3, ?4, ?5)",
        )?;
        stmt.execute(params![
            venue_id,
            b.date.to_string(),
            b.start.format("%H:%M").to_string(),
            b.end.format("%H:%M").to_string(),
            b.capacity,
        ])?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Adds a venue, or updates the one with the same code (name, address, location);
    /// returns its id and what changed. Bookings and bands of the venue are left alone.
    pub fn upsert_venue(&self, v: &Venue) -> Result<(RowId, RegisterOutcome), LedgerError> {
        // Whether it existed is asked, not read from last_insert_rowid: a band inserted
        // next may take the same rowid in its own table.
        let existed = self
            .tx
            .prepare_cached("SELECT 1 FROM venues WHERE code = ?1")?
            .exists(params![v.code])?;
        let changed = self.tx.prepare_cached(
            "INSERT INTO venues (code, name, address, lat, lon) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, address = excluded.address,
                                              lat = excluded.lat, lon = excluded.lon
             WHERE (name, address, lat, lon) IS NOT (excluded.name, excluded.address, excluded.lat, excluded.lon)",
        )?
        .execute(params![v.code, v.name, v.address, v.location.lat, v.location.lon])?;
        let id = self.tx.query_row(
            "SELECT id FROM venues WHERE code = ?1",
            params![v.code],
            |r| r.get(0),
        )?;
        Ok((id, outcome(existed, changed)))
    }

    /// Adds a time band to a venue, or updates the venue's band that starts at the same time
    /// on the same day (its end and capacity); returns what changed. Its bookings stay, also
    /// when the capacity is now below them.
    pub fn upsert_time_band(
        &self,
        venue_id: RowId,
        b: &TimeBand,
    ) -> Result<RegisterOutcome, LedgerError> {
        let (date, start) = (b.date.to_string(), b.start.format("%H:%M").to_string());
        let existed = self
            .tx
            .prepare_cached(
                "SELECT 1 FROM time_bands WHERE venue_id = ?1 AND date = ?2 AND start_time = ?3",
            )?
            .exists(params![venue_id, date, start])?;
        let changed = self.tx.prepare_cached(
            "INSERT INTO time_bands (venue_id, date, start_time, end_time, capacity) VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (venue_id, date, start_time) DO UPDATE SET end_time = excluded.end_time,
                                                                  capacity = excluded.capacity
             WHERE (end_time, capacity) IS NOT (excluded.end_time, excluded.capacity)",
        )?
        .execute(params![
            venue_id,
            date,
            start,
            b.end.format("%H:%M").to_string(),
            b.capacity,
        ])?;
        Ok(outcome(existed, changed))
    }

    /// Books a resident's dose into a band; a second booking of the same dose moves it.
    pub fn book(
        &self,
        resident_id: RowId,
        dose_number: u8,
        band_id: RowId,
        product_code: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO bookings (resident_id, dose_number, time_band_id, product_code, booked_at)
             VALUES (?1, ?2, ?3, ?4, ?5)
             ON CONFLICT (resident_id, dose_number) DO UPDATE SET
                time_band_id = excluded.time_band_id, product_code = excluded.product_code, booked_at = excluded.booked_at",
        )?;
        stmt.execute(params![
            resident_id,
            dose_number,
            band_id,
            product_code,
            instant(now)
        ])?;
        Ok(())
    }

    /// The id of a vaccine lot, registering it on first use.
    pub fn lot(
        &self,
        product_code: &str,
        lot_number: &str,
        expiry: Option<chrono::NaiveDate>,
    ) -> Result<RowId, LedgerError> {
        if let Some(id) = self.reader().lot_id(product_code, lot_number)? {
            return Ok(id);
        }
        self.tx.execute(
            "INSERT INTO vaccine_lots (product_code, lot_number, expiry_date) VALUES (?1, ?2, ?3)",
            params![product_code, lot_number, expiry.map(|d| d.to_string())],
        )?;
        Ok(self.tx.last_insert_rowid())
    }

    /// Records a dose; returns its global uid. The caller decides beforehand whether a
    /// second valid dose of the same number may be written (see the app crate).
    pub fn insert_dose(&self, d: &NewDose) -> Result<String, LedgerError> {
        let uid = d.uid.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO dose_records (uid, resident_id, dose_number, administered_at, venue_id, lot_id,
                                       vaccinator, injection_site, recorded_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9)",
        )?;
        stmt.execute(params![
            uid,
            d.resident_id,
            d.dose_number,
            instant(&d.administered_at),
            d.venue_id,
            d.lot_id,
            d.vaccinator,
            d.injection_site,
            instant(&d.recorded_at),
        ])?;
        Ok(uid)
    }

    /// Voids the check-in or dose record `uid` with a reason — a cancelled check-in is a voided
    /// one — and, when the ledger replicates, the void travels as an op. The record stays in
    /// the ledger, marked. A record not found or already voided is [`LedgerError::Missing`].
    pub fn void_event(
        &mut self,
        kind: EventKind,
        uid: &str,
        reason: &str,
        at: &DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        let (update, what) = match kind {
            EventKind::CheckIn => (
                "UPDATE check_ins SET cancelled_at = ?2, cancel_reason = ?3 WHERE uid = ?1 AND cancelled_at IS NULL",
                "open check-in",
            ),
            EventKind::Dose => (
                "UPDATE dose_records SET voided_at = ?2, void_reason = ?3 WHERE uid = ?1 AND voided_at IS NULL",
                "unvoided dose record",
            ),
            EventKind::Stock => (
                "UPDATE stock_events SET voided_at = ?2, void_reason = ?3 WHERE uid = ?1 AND voided_at IS NULL",
                "unvoided stock event",
            ),
            EventKind::Inquiry => ("", "voidable check-in, dose or stock record"),
        };
        let changed = if update.is_empty() {
            0
        } else {
            self.tx.execute(update, params![uid, instant(at), reason])?
        };
        if changed == 0 {
            return Err(LedgerError::Missing {
                what,
                key: uid.to_owned(),
            });
        }
        // A record written before this device replicated has no op, and nobody else holds it.
        if let Ok(target) = uid.parse::<OpId>() {
            self.replicate(OpKind::Void(Void {
                target,
                target_kind: kind,
                reason: reason.to_owned(),
            }))?;
        }
        Ok(())
    }

    /// Logs an inquiry's row (idempotent: a uid already held is left as it is); returns its
    /// global uid.
    pub fn insert_inquiry(&self, q: &NewInquiry) -> Result<String, LedgerError> {
        let uid = q.uid.clone().unwrap_or_else(|| Uuid::now_v7().to_string());
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO inquiries (uid, resident_id, received_at, channel, topic, note, operator,
                                                  follow_up_needed, follow_up_by, closes)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
            )?
            .execute(params![
                uid,
                q.resident_id,
                instant(&q.received_at),
                q.channel.code(),
                q.topic.code(),
                q.note,
                q.operator,
                q.follow_up_needed,
                q.follow_up_by,
                q.closes,
            ])?;
        Ok(uid)
    }
}
