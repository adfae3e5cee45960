//! HQ's planning reads and writes: a venue's kind, a band's capacity and closed state, the
//! survey's preferences, and the bookings a reshuffle moves.

use rusqlite::{params, OptionalExtension};
use vax_domain::preference::{Preferences, TimesOfDay, WeekdaySet};
use vax_domain::venue::VenueKind;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

use vax_sync::{Booking, BookingCause, OpKind};

use crate::read::{corrupt, parse_day, query_rows};
use crate::{BandLoad, LedgerError, Reader, RowId, WriteTx};

/// One booking as a reshuffle sees it: who, which dose, where.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct BookingRow {
    /// The resident's row id.
    pub resident_id: RowId,
    /// Which dose.
    pub dose_number: u8,
    /// The band's row id.
    pub band_id: RowId,
    /// The product booked.
    pub product_code: String,
}

/// A resident as the planner needs them: willing, or holding a booking.
#[derive(Debug, Clone, PartialEq)]
pub struct PlanningRow {
    /// Local row id.
    pub id: RowId,
    /// 氏名.
    pub name: String,
    /// 券番号.
    pub voucher: String,
    /// Birth date (priority).
    pub birth_date: chrono::NaiveDate,
    /// Home, if geocoded.
    pub home: Option<vax_domain::venue::Coordinates>,
    /// 地区.
    pub district: String,
    /// 送迎 needed.
    pub needs_transport: bool,
    /// Wants the vaccine (the survey said 希望する).
    pub willing: bool,
}

/// A valid (not voided) dose 1 given: dose 2 is planned from it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct GivenFirstDose {
    /// The resident.
    pub resident_id: RowId,
    /// The day it was given (local).
    pub date: chrono::NaiveDate,
    /// Where.
    pub venue_code: String,
}

/// The bands, bookings and deliveries as they stand: what a reshuffle preview was computed
/// from. Two equal fingerprints mean no booking moved, no band and no delivery changed in
/// between.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Hash)]
pub struct PlanFingerprint(pub u64);

/// FNV-1a, 64 bits: stable across builds (the std hasher is not), plenty against accidental
/// equality of two ledger states.
struct Fnv(u64);

impl Fnv {
    fn new() -> Self {
        Self(0xcbf2_9ce4_8422_2325)
    }

    fn write(&mut self, bytes: &[u8]) {
        for b in bytes {
            self.0 ^= u64::from(*b);
            self.0 = self.0.wrapping_mul(0x0100_0000_01b3);
        }
    }

    fn int(&mut self, n: i64) {
        self.write(&n.to_le_bytes());
    }
}

impl Reader<'_> {
    /// The fingerprint of every band (capacity, closed), every booking and every delivery.
    pub fn plan_fingerprint(&self) -> Result<PlanFingerprint, LedgerError> {
        let mut h = Fnv::new();
        let mut stmt = self
            .conn
            .prepare_cached("SELECT id, capacity, closed, end_time FROM time_bands ORDER BY id")?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            h.int(r.get(0)?);
            h.int(r.get(1)?);
            h.int(r.get(2)?);
            h.write(r.get_ref(3)?.as_bytes().unwrap_or_default());
        }
        h.write(b"|");
        let mut stmt = self.conn.prepare_cached(
            "SELECT resident_id, dose_number, time_band_id FROM bookings ORDER BY resident_id, dose_number",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            h.int(r.get(0)?);
            h.int(r.get(1)?);
            h.int(r.get(2)?);
        }
        // A delivery changed since a preview changes what the day may hold.
        h.write(b"|");
        let mut stmt = self.conn.prepare_cached(
            "SELECT venue_id, date, product_code, vials FROM venue_day_supply ORDER BY venue_id, date",
        )?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            h.int(r.get(0)?);
            h.write(r.get_ref(1)?.as_bytes().unwrap_or_default());
            h.write(r.get_ref(2)?.as_bytes().unwrap_or_default());
            h.int(r.get(3)?);
        }
        Ok(PlanFingerprint(h.0))
    }

    /// Every resident who wants the vaccine or holds a booking, by row id.
    pub fn planning_rows(&self) -> Result<Vec<PlanningRow>, LedgerError> {
        type Raw = (
            RowId,
            String,
            String,
            String,
            Option<f64>,
            Option<f64>,
            String,
            bool,
            bool,
        );
        let raws = query_rows(
            self.conn,
            "SELECT r.id, r.name, r.voucher_number, r.birth_date, r.lat, r.lon, r.district,
                    r.needs_transport, coalesce(r.intention = 'wants', 0)
             FROM residents r
             WHERE r.intention = 'wants' OR EXISTS (SELECT 1 FROM bookings k WHERE k.resident_id = r.id)
             ORDER BY r.id",
            [],
            |r| Raw::try_from(r),
        )?;
        raws.into_iter()
            .map(
                |(id, name, voucher, birth, lat, lon, district, needs_transport, willing)| {
                    Ok(PlanningRow {
                        id,
                        name,
                        voucher,
                        birth_date: parse_day(&birth)
                            .map_err(|e| corrupt("residents", id)("birth_date", e))?,
                        home: lat
                            .zip(lon)
                            .map(|(lat, lon)| vax_domain::venue::Coordinates { lat, lon }),
                        district,
                        needs_transport,
                        willing,
                    })
                },
            )
            .collect()
    }

    /// Every valid dose 1 given, by resident (the earliest when there are several).
    pub fn given_first_doses(&self) -> Result<Vec<GivenFirstDose>, LedgerError> {
        let raws = query_rows(
            self.conn,
            "SELECT d.resident_id, min(substr(d.administered_at, 1, 10)), v.code
             FROM dose_records d JOIN venues v ON v.id = d.venue_id
             WHERE d.dose_number = 1 AND d.voided_at IS NULL
             GROUP BY d.resident_id ORDER BY d.resident_id",
            [],
            |r| <(RowId, String, String)>::try_from(r),
        )?;
        raws.into_iter()
            .map(|(resident_id, day, venue_code)| {
                Ok(GivenFirstDose {
                    resident_id,
                    date: parse_day(&day)
                        .map_err(|e| corrupt("dose_records", resident_id)("administered_at", e))?,
                    venue_code,
                })
            })
            .collect()
    }

    /// The residents with a valid dose 2 given: their series is done, nothing is planned.
    pub fn residents_with_second_dose(&self) -> Result<Vec<RowId>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT DISTINCT resident_id FROM dose_records
             WHERE dose_number = 2 AND voided_at IS NULL ORDER BY resident_id",
            [],
            |r| r.get(0),
        )
    }

    /// Every booking, by resident and dose.
    pub fn all_bookings(&self) -> Result<Vec<BookingRow>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT resident_id, dose_number, time_band_id, product_code FROM bookings
             ORDER BY resident_id, dose_number",
            [],
            |r| {
                Ok(BookingRow {
                    resident_id: r.get(0)?,
                    dose_number: r.get(1)?,
                    band_id: r.get(2)?,
                    product_code: r.get(3)?,
                })
            },
        )
    }

    /// One band with its bookings count.
    pub fn band_load(&self, band: RowId) -> Result<BandLoad, LedgerError> {
        self.band_loads()?
            .into_iter()
            .find(|l| l.band.id == band)
            .ok_or_else(|| LedgerError::Missing {
                what: "time band",
                key: band.to_string(),
            })
    }

    /// A venue's kind, when HQ said it.
    pub fn venue_kind(&self, code: &str) -> Result<Option<VenueKind>, LedgerError> {
        let stored: Option<Option<String>> = self
            .conn
            .query_row("SELECT kind FROM venues WHERE code = ?1", [code], |r| {
                r.get(0)
            })
            .optional()?;
        let Some(stored) = stored else {
            return Err(LedgerError::Missing {
                what: "venue",
                key: code.to_owned(),
            });
        };
        stored
            .map(|k| {
                VenueKind::from_stored(&k)
                    .ok_or_else(|| corrupt("venues", 0)("kind", format!("{k:?} is not a kind")))
            })
            .transpose()
    }

    /// The survey's preferences of every resident who stated any, by resident row id.
    pub fn all_preferences(&self) -> Result<Vec<(RowId, Preferences)>, LedgerError> {
        type Raw = (RowId, Option<String>, Option<String>, u8, u8, bool);
        let raws = query_rows(
            self.conn,
            "SELECT id, preferred_venue, preferred_district, avoid_weekdays, avoid_times, underlying_condition
             FROM residents
             WHERE preferred_venue IS NOT NULL OR preferred_district IS NOT NULL
                OR avoid_weekdays <> 0 OR avoid_times <> 0 OR underlying_condition <> 0
             ORDER BY id",
            [],
            |r| Raw::try_from(r),
        )?;
        Ok(raws
            .into_iter()
            .map(|(id, venue, district, days, times, underlying)| {
                (
                    id,
                    Preferences {
                        venue,
                        district,
                        avoid_weekdays: WeekdaySet::from_mask(days),
                        avoid_times: TimesOfDay::from_mask(times),
                        underlying_condition: underlying,
                    },
                )
            })
            .collect())
    }

    /// One resident's preferences (all empty when the survey stated none).
    pub fn preferences_of(&self, resident: RowId) -> Result<Preferences, LedgerError> {
        type Raw = (Option<String>, Option<String>, u8, u8, bool);
        let (venue, district, days, times, underlying): Raw = self.conn.query_row(
            "SELECT preferred_venue, preferred_district, avoid_weekdays, avoid_times, underlying_condition
             FROM residents WHERE id = ?1",
            [resident],
            |r| Raw::try_from(r),
        )?;
        Ok(Preferences {
            venue,
            district,
            avoid_weekdays: WeekdaySet::from_mask(days),
            avoid_times: TimesOfDay::from_mask(times),
            underlying_condition: underlying,
        })
    }

    /// Every resident's birth date, by row id: a reshuffle starts from bookings and needs
    /// each moved resident's priority.
    pub fn birth_dates(&self) -> Result<Vec<(RowId, chrono::NaiveDate)>, LedgerError> {
        let raws = query_rows(
            self.conn,
            "SELECT id, birth_date FROM residents ORDER BY id",
            [],
            |r| <(RowId, String)>::try_from(r),
        )?;
        raws.into_iter()
            .map(|(id, birth)| {
                parse_day(&birth)
                    .map(|d| (id, d))
                    .map_err(|e| corrupt("residents", id)("birth_date", e))
            })
            .collect()
    }
}

impl WriteTx<'_> {
    /// Cancels a resident's booking of one dose, with its replication op (a `book` naming no
    /// band). Returns whether there was one.
    pub fn cancel_booking(
        &mut self,
        resident_id: RowId,
        dose_number: u8,
        cause: BookingCause,
    ) -> Result<bool, LedgerError> {
        let voucher: String = self.tx.query_row(
            "SELECT voucher_number FROM residents WHERE id = ?1",
            [resident_id],
            |r| r.get(0),
        )?;
        let deleted = self
            .tx
            .prepare_cached("DELETE FROM bookings WHERE resident_id = ?1 AND dose_number = ?2")?
            .execute(params![resident_id, dose_number])?;
        if deleted == 0 {
            return Ok(false);
        }
        let resident = VoucherNumber::parse(&voucher)
            .map_err(|e| corrupt("residents", resident_id)("voucher_number", e.to_string()))?;
        self.replicate(OpKind::Book(Booking {
            resident,
            dose_number,
            band: None,
            product: String::new(),
            cause,
            clock: crdts::VClock::new(),
        }))?;
        Ok(true)
    }

    /// Sets a venue's kind; returns whether it changed.
    pub fn set_venue_kind(
        &self,
        venue_id: RowId,
        kind: Option<VenueKind>,
    ) -> Result<bool, LedgerError> {
        let changed = self
            .tx
            .prepare_cached("UPDATE venues SET kind = ?2 WHERE id = ?1 AND kind IS NOT ?2")?
            .execute(params![venue_id, kind.map(VenueKind::as_str)])?;
        Ok(changed == 1)
    }

    /// Sets a band's capacity and closed state; returns whether either changed. The band's
    /// bookings stay, also when it is now closed or over its capacity.
    pub fn set_band_state(
        &self,
        band_id: RowId,
        capacity: u32,
        closed: bool,
    ) -> Result<bool, LedgerError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE time_bands SET capacity = ?2, closed = ?3
                 WHERE id = ?1 AND (capacity, closed) IS NOT (?2, ?3)",
            )?
            .execute(params![band_id, capacity, closed])?;
        Ok(changed == 1)
    }

    /// Records a resident's survey preferences. Returns false when no resident has that
    /// voucher.
    pub fn set_preferences(
        &self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
        p: &Preferences,
    ) -> Result<bool, LedgerError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE residents SET preferred_venue = ?3, preferred_district = ?4, avoid_weekdays = ?5,
                        avoid_times = ?6, underlying_condition = ?7
                 WHERE municipality_code = ?1 AND voucher_number = ?2",
            )?
            .execute(params![
                municipality.as_str(),
                voucher.as_str(),
                p.venue,
                p.district,
                p.avoid_weekdays.mask(),
                p.avoid_times.mask(),
                p.underlying_condition,
            ])?;
        Ok(changed == 1)
    }
}
