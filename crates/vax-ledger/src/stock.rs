//! Stock events and the doses tied to vials: written with their op by the local desk,
//! projected from received ops, and read back as the domain's stock fold takes them
//! ([`vax_domain::stock::lot_states`]).

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use rusqlite::{params, OptionalExtension};
use vax_domain::stock::{CallOutcome, DoseUse, StockChange, StockRecord};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{OpKind, StockEvent};

use crate::read::parse_instant;
use crate::write::instant;
use crate::{LedgerError, Reader, RowId, WriteTx};

/// The stored tag of a change (`stock_events.kind`).
pub(crate) fn kind_of(change: &StockChange) -> &'static str {
    match change {
        StockChange::Received { .. } => "received",
        StockChange::Thawed { .. } => "thawed",
        StockChange::Opened { .. } => "opened",
        StockChange::VialsWasted { .. } => "vials_wasted",
        StockChange::DosesWasted { .. } => "doses_wasted",
        StockChange::TransferredOut { .. } => "transferred_out",
        StockChange::Corrected { .. } => "corrected",
        StockChange::Quarantined { .. } => "quarantined",
        StockChange::DayClosed { .. } => "day_closed",
    }
}

const LOCAL: &str = "%Y-%m-%dT%H:%M:%S";

/// A stock-rule override of a dose (table `dose_stock_overrides`).
pub const STOCK_RULES: [&str; 4] = [
    "vial_past_clock",
    "lot_quarantined",
    "lot_expired",
    "no_vial_left",
];

impl WriteTx<'_> {
    /// Puts a resident on the standby list or takes them off. False when the ledger has no
    /// such resident.
    pub fn set_standby(
        &self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
        on: bool,
    ) -> Result<bool, LedgerError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE residents SET standby = ?3 WHERE municipality_code = ?1 AND voucher_number = ?2",
            )?
            .execute(params![municipality.as_str(), voucher.as_str(), on])?;
        Ok(changed == 1)
    }

    /// Writes a standby call's row (idempotent by uid).
    pub fn insert_standby_call(
        &self,
        uid: &str,
        resident_id: RowId,
        venue_code: &str,
        at: NaiveDateTime,
        outcome: CallOutcome,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO standby_calls (uid, resident_id, venue_code, called_at, outcome)
                 VALUES (?1, ?2, ?3, ?4, ?5)",
            )?
            .execute(params![uid, resident_id, venue_code, at.format(LOCAL).to_string(), outcome.code()])?;
        Ok(())
    }

    /// Records a stock event at the desk: its op (when the ledger replicates) and its row.
    /// Returns its uid, which names a vial when the event opens one.
    pub fn record_stock(
        &mut self,
        event: &StockEvent,
        recorded_at: &DateTime<FixedOffset>,
    ) -> Result<String, LedgerError> {
        let uid = self.record_event(OpKind::StockEvent(event.clone()))?;
        self.insert_stock_row(&uid, event, recorded_at)?;
        Ok(uid)
    }

    /// Writes the row of a stock event (idempotent: a uid already held is left as it is).
    pub(crate) fn insert_stock_row(
        &self,
        uid: &str,
        event: &StockEvent,
        recorded_at: &DateTime<FixedOffset>,
    ) -> Result<(), LedgerError> {
        let change = serde_json::to_string(&event.change).map_err(|e| LedgerError::Corrupt {
            table: "stock_events",
            id: 0,
            field: "change",
            problem: e.to_string(),
        })?;
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO stock_events (uid, venue_code, product_code, lot_number, at, kind, change, recorded_at)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            )?
            .execute(params![
                uid,
                event.venue.0,
                event.product,
                event.lot,
                event.at.format(LOCAL).to_string(),
                kind_of(&event.change),
                change,
                instant(recorded_at),
            ])?;
        Ok(())
    }

    /// Notes the vial a dose was drawn from.
    pub fn tie_dose_to_vial(&self, dose_uid: &str, vial_uid: &str) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached("UPDATE dose_records SET vial_uid = ?2 WHERE uid = ?1")?
            .execute(params![dose_uid, vial_uid])?;
        Ok(())
    }

    /// Logs a doctor's override of a stock rule beside the dose (one of [`STOCK_RULES`]).
    pub fn log_stock_override(
        &self,
        dose_uid: &str,
        rule: &str,
        doctor: &str,
        reason: &str,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT OR IGNORE INTO dose_stock_overrides (dose_uid, rule, doctor, reason) VALUES (?1, ?2, ?3, ?4)",
            )?
            .execute(params![dose_uid, rule, doctor, reason])?;
        Ok(())
    }
}

/// A resident on the standby list.
#[derive(Debug, Clone, PartialEq)]
pub struct StandbyResident {
    /// Local row id.
    pub resident_id: RowId,
    /// 券番号.
    pub voucher: String,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 電話番号.
    pub phone: Option<String>,
    /// Home, when geocoded.
    pub home: Option<vax_domain::venue::Coordinates>,
    /// Valid doses recorded so far.
    pub doses_given: u32,
    /// Whether a valid dose was recorded on the day asked about.
    pub dosed_that_day: bool,
}

/// A logged call to a standby resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StandbyCallRow {
    /// The resident.
    pub resident_id: RowId,
    /// When, in venue local time.
    pub at: NaiveDateTime,
    /// What came of it.
    pub outcome: CallOutcome,
}

/// Whether the booked resident `b` checked in at band `t`'s venue on its day (not cancelled).
/// Instants are RFC 3339 in venue local time, so a day's sort between `YYYY-MM-DD` and
/// `YYYY-MM-DDU`: a range on the resident's index (`check_ins_resident`). Written as
/// `substr(…) = t.date` SQLite chose the venue's day index and scanned the venue's every
/// check-in per booking (95 s for a week of V03 on the 65,000-resident city).
const CHECKED_IN_HERE: &str = "EXISTS (SELECT 1 FROM check_ins c
    WHERE c.resident_id = b.resident_id
      AND c.checked_in_at >= t.date AND c.checked_in_at < t.date || 'U'
      AND +c.venue_id = t.venue_id AND c.cancelled_at IS NULL)";

/// Whether the booked resident `b` was given a dose at band `t`'s venue on its day (not
/// voided); by the resident's index of valid doses, like [`CHECKED_IN_HERE`].
const DOSED_HERE: &str = "EXISTS (SELECT 1 FROM dose_records d
    WHERE d.resident_id = b.resident_id
      AND d.administered_at >= t.date AND d.administered_at < t.date || 'U'
      AND +d.venue_id = t.venue_id AND d.voided_at IS NULL)";

/// One band of a venue day, counted for the leftover forecast ([`Reader::band_attendance`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct BandAttendance {
    /// When the band ends (venue local time).
    pub end: chrono::NaiveTime,
    /// Residents booked in it.
    pub booked: u32,
    /// Of them, checked in at the venue that day.
    pub checked_in: u32,
    /// Of them, given a dose at the venue that day.
    pub dosed: u32,
}

/// A venue's stock: every event and the doses by vial, as the stock fold reads them.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct VenueStock {
    /// Every stock event recorded at the venue, voided ones marked.
    pub records: Vec<StockRecord>,
    /// Valid doses given at the venue up to the instant asked, counted per (lot, vial).
    pub doses: Vec<DoseUse>,
}

impl Reader<'_> {
    /// Every stock event recorded at a venue, in the order they happened.
    pub fn stock_records(&self, venue_code: &str) -> Result<Vec<StockRecord>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, uid, at, product_code, lot_number, change, voided_at IS NOT NULL
             FROM stock_events WHERE venue_code = ?1 ORDER BY at, uid",
        )?;
        stock_rows(&mut stmt, params![venue_code])
    }

    /// The lots of a venue that still matter at `now`: sealed vials on hand (by the counts
    /// of their events: received + corrected − transferred − wasted − opened, which the
    /// fold in vax_domain::stock also keeps), or a vial opened today (or later) or whose
    /// in-use clock runs at `now`. A lot used up and closed weeks ago is left out, so the
    /// venue manager's screen reads days of events, not the campaign's. Read from the
    /// running balance the ledger keeps per lot (migration 0014's triggers).
    pub fn live_stock_lots(
        &self,
        venue_code: &str,
        now: NaiveDateTime,
    ) -> Result<Vec<(String, String)>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT product_code, lot_number FROM stock_lot_balance
             WHERE venue_code = ?1
               AND (sealed_vials <> 0 OR substr(last_opened_at, 1, 10) >= ?2 OR last_use_by >= ?3)
             ORDER BY product_code, lot_number",
        )?;
        let today = now.date().to_string();
        let at = now.format(LOCAL).to_string();
        let lots = stmt
            .query_map(params![venue_code, today, at], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect::<Result<_, _>>()?;
        Ok(lots)
    }

    /// A venue's stock up to `until`, of the lots that still matter then
    /// ([`Self::live_stock_lots`]): every event and dose of those lots, none of the others.
    pub fn live_venue_stock(
        &self,
        venue_id: RowId,
        venue_code: &str,
        until: &DateTime<FixedOffset>,
    ) -> Result<VenueStock, LedgerError> {
        let mut events = self.conn.prepare_cached(
            "SELECT id, uid, at, product_code, lot_number, change, voided_at IS NOT NULL
             FROM stock_events INDEXED BY stock_events_lot
             WHERE product_code = ?1 AND lot_number = ?2 AND venue_code = ?3",
        )?;
        let mut records = Vec::new();
        let mut doses = Vec::new();
        for (product, lot) in self.live_stock_lots(venue_code, until.naive_local())? {
            records.extend(stock_rows(&mut events, params![product, lot, venue_code])?);
            if let Some(lot_id) = self.lot_id(&product, &lot)? {
                doses.extend(self.dose_uses_where(
                    "WHERE venue_id = ?1 AND voided_at IS NULL AND administered_at <= ?2 AND lot_id = ?3",
                    params![venue_id, instant(until), lot_id],
                )?);
            }
        }
        // The fold takes the events in the order they happened, as `stock_records` gives them.
        records.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
        Ok(VenueStock { records, doses })
    }
}

/// Decodes stock event rows (`id, uid, at, product, lot, change, voided`).
fn stock_rows(
    stmt: &mut rusqlite::CachedStatement<'_>,
    params: impl rusqlite::Params,
) -> Result<Vec<StockRecord>, LedgerError> {
    let rows = stmt.query_map(params, |r| {
        Ok((
            r.get::<_, i64>(0)?,
            r.get::<_, String>(1)?,
            r.get::<_, String>(2)?,
            r.get::<_, String>(3)?,
            r.get::<_, String>(4)?,
            r.get::<_, String>(5)?,
            r.get::<_, bool>(6)?,
        ))
    })?;
    let mut records = Vec::new();
    for row in rows {
        let (id, uid, at, product, lot, change, voided) = row?;
        let corrupt = |field, problem: String| LedgerError::Corrupt {
            table: "stock_events",
            id,
            field,
            problem,
        };
        records.push(StockRecord {
            id: uid,
            at: NaiveDateTime::parse_from_str(&at, LOCAL)
                .map_err(|e| corrupt("at", e.to_string()))?,
            product,
            lot,
            change: serde_json::from_str(&change).map_err(|e| corrupt("change", e.to_string()))?,
            voided,
        });
    }
    Ok(records)
}

impl Reader<'_> {
    /// Valid doses given at a venue up to `until`, counted per (product, lot, vial).
    pub fn dose_uses(
        &self,
        venue_id: RowId,
        until: &DateTime<FixedOffset>,
    ) -> Result<Vec<DoseUse>, LedgerError> {
        self.dose_uses_where(
            "WHERE venue_id = ?1 AND voided_at IS NULL AND administered_at <= ?2",
            params![venue_id, instant(until)],
        )
    }

    /// Doses counted per (lot, vial) on the covering index, for the rows `filter` keeps.
    fn dose_uses_where(
        &self,
        filter: &str,
        params: impl rusqlite::Params,
    ) -> Result<Vec<DoseUse>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            // Counted on the covering index (venue, lot, vial, …), then named: the join runs
            // once per vial, not once per dose.
            "SELECT l.product_code, l.lot_number, g.vial_uid, g.last, g.n
             FROM (SELECT lot_id, vial_uid, MAX(administered_at) AS last, COUNT(*) AS n
                   FROM dose_records INDEXED BY dose_records_vial
                   {filter}
                   GROUP BY lot_id, vial_uid) g
             JOIN vaccine_lots l ON l.id = g.lot_id"
        ))?;
        let rows = stmt.query_map(params, |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, Option<String>>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })?;
        let mut doses = Vec::new();
        for row in rows {
            let (product, lot, vial, at, count) = row?;
            let at = parse_instant(&at).map_err(|problem| LedgerError::Corrupt {
                table: "dose_records",
                id: 0,
                field: "administered_at",
                problem,
            })?;
            doses.push(DoseUse {
                product,
                lot,
                vial,
                at: at.naive_local(),
                count,
            });
        }
        Ok(doses)
    }

    /// A venue's stock up to `until`.
    pub fn venue_stock(
        &self,
        venue_id: RowId,
        venue_code: &str,
        until: &DateTime<FixedOffset>,
    ) -> Result<VenueStock, LedgerError> {
        Ok(VenueStock {
            records: self.stock_records(venue_code)?,
            doses: self.dose_uses(venue_id, until)?,
        })
    }

    /// Every stock event of (product, lot) at any venue, with its venue: a quarantine
    /// recorded anywhere stops the lot everywhere.
    pub fn lot_quarantine(
        &self,
        product: &str,
        lot: &str,
    ) -> Result<Option<(String, NaiveDateTime, String)>, LedgerError> {
        let row: Option<(String, String, String)> = self
            .conn
            .prepare_cached(
                "SELECT venue_code, at, change FROM stock_events
                 WHERE product_code = ?1 AND lot_number = ?2 AND kind = 'quarantined' AND voided_at IS NULL
                 ORDER BY at LIMIT 1",
            )?
            .query_row(params![product, lot], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
            .optional()?;
        let Some((venue, at, change)) = row else {
            return Ok(None);
        };
        let at = NaiveDateTime::parse_from_str(&at, LOCAL).map_err(|e| LedgerError::Corrupt {
            table: "stock_events",
            id: 0,
            field: "at",
            problem: e.to_string(),
        })?;
        let reason = match serde_json::from_str(&change) {
            Ok(StockChange::Quarantined { reason }) => reason,
            _ => String::new(),
        };
        Ok(Some((venue, at, reason)))
    }

    /// Bookings at a venue in bands of the days `from..to` (end excluded), and how many of
    /// them were given their dose: the no-show history the leftover forecast learns from, by
    /// the dashboard's own definition of a no-show (a booking without a dose). Read from the
    /// day × venue tally (migration 0017). The first version joined every check-in of the
    /// venue, ~0.5 s per venue on the 65,000-resident city, and kept the forecast off the
    /// HQ dashboard.
    pub fn attendance(
        &self,
        venue_id: RowId,
        from: NaiveDate,
        to: NaiveDate,
    ) -> Result<(u32, u32), LedgerError> {
        Ok(self
            .conn
            .prepare_cached(
                "SELECT COALESCE(SUM(booked), 0), COALESCE(SUM(booked_dosed), 0)
                 FROM dash_day_venue WHERE venue_id = ?1 AND day >= ?2 AND day < ?3",
            )?
            .query_row(params![venue_id, from.to_string(), to.to_string()], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?)
    }

    /// A venue's bands of `day` in start order, each with the residents booked in it and how
    /// many of them checked in and were given a dose there that day: what the leftover
    /// forecast needs of the day, the same for the manager's screen and HQ's dashboard.
    pub fn band_attendance(
        &self,
        venue_id: RowId,
        day: NaiveDate,
    ) -> Result<Vec<BandAttendance>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(&format!(
            "SELECT t.id, t.end_time, COUNT(b.resident_id),
                    COALESCE(SUM({CHECKED_IN_HERE}), 0), COALESCE(SUM({DOSED_HERE}), 0)
             FROM time_bands t LEFT JOIN bookings b ON b.time_band_id = t.id
             WHERE t.venue_id = ?1 AND t.date = ?2
             GROUP BY t.id ORDER BY t.start_time, t.id"
        ))?;
        let rows = stmt.query_map(params![venue_id, day.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, String>(1)?,
                r.get(2)?,
                r.get(3)?,
                r.get(4)?,
            ))
        })?;
        rows.map(|row| {
            let (id, end, booked, checked_in, dosed) = row?;
            Ok(BandAttendance {
                end: chrono::NaiveTime::parse_from_str(&end, "%H:%M").map_err(|e| {
                    LedgerError::Corrupt {
                        table: "time_bands",
                        id,
                        field: "end_time",
                        problem: e.to_string(),
                    }
                })?,
                booked,
                checked_in,
                dosed,
            })
        })
        .collect()
    }

    /// Everyone on the standby list, with their doses so far and whether they had one on
    /// `day` (venue local dates).
    pub fn standby_residents(&self, day: NaiveDate) -> Result<Vec<StandbyResident>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT r.id, r.voucher_number, r.name, r.name_kana, r.phone, r.lat, r.lon,
                    (SELECT COUNT(*) FROM dose_records d WHERE d.resident_id = r.id AND d.voided_at IS NULL),
                    EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id AND d.voided_at IS NULL
                                AND substr(d.administered_at, 1, 10) = ?1)
             FROM residents r WHERE r.standby = 1 ORDER BY r.id",
        )?;
        let rows = stmt.query_map([day.to_string()], |r| {
            let home = match (r.get::<_, Option<f64>>(5)?, r.get::<_, Option<f64>>(6)?) {
                (Some(lat), Some(lon)) => Some(vax_domain::venue::Coordinates { lat, lon }),
                _ => None,
            };
            Ok(StandbyResident {
                resident_id: r.get(0)?,
                voucher: r.get(1)?,
                name: r.get(2)?,
                name_kana: r.get(3)?,
                phone: r.get(4)?,
                home,
                doses_given: r.get(7)?,
                dosed_that_day: r.get(8)?,
            })
        })?;
        Ok(rows.collect::<Result<_, _>>()?)
    }

    /// The standby calls made from a venue on `day`, in call order.
    pub fn standby_calls_on(
        &self,
        venue_code: &str,
        day: NaiveDate,
    ) -> Result<Vec<StandbyCallRow>, LedgerError> {
        let mut stmt = self.conn.prepare_cached(
            "SELECT id, resident_id, called_at, outcome FROM standby_calls
             WHERE venue_code = ?1 AND substr(called_at, 1, 10) = ?2 ORDER BY called_at, id",
        )?;
        let rows = stmt.query_map(params![venue_code, day.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, RowId>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
            ))
        })?;
        let mut calls = Vec::new();
        for row in rows {
            let (id, resident_id, at, outcome) = row?;
            let corrupt = |field, problem: String| LedgerError::Corrupt {
                table: "standby_calls",
                id,
                field,
                problem,
            };
            calls.push(StandbyCallRow {
                resident_id,
                at: NaiveDateTime::parse_from_str(&at, LOCAL)
                    .map_err(|e| corrupt("called_at", e.to_string()))?,
                outcome: CallOutcome::from_code(&outcome)
                    .ok_or_else(|| corrupt("outcome", outcome.clone()))?,
            });
        }
        Ok(calls)
    }

    /// Every venue code with stock events, for HQ's view across venues.
    pub fn stock_venues(&self) -> Result<Vec<String>, LedgerError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT DISTINCT venue_code FROM stock_events ORDER BY venue_code")?;
        let codes = stmt
            .query_map([], |r| r.get(0))?
            .collect::<Result<Vec<String>, _>>()?;
        Ok(codes)
    }
}
