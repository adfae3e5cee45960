//! Reads and small writes for one resident's whole story, as the call centre sees it: every
//! check-in, every standby call, the standby flag, and the contact and transport edits made
//! on the phone.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use rusqlite::params;
use serde::Serialize;
use vax_domain::resident::Phone;
use vax_domain::stock::CallOutcome;

use crate::read::{corrupt, parse_day, query_rows};
use crate::write::instant;
use crate::{CheckInView, LedgerError, Reader, RideRow, RowId, WriteTx};

const LOCAL: &str = "%Y-%m-%dT%H:%M:%S";

/// A call to a resident on the standby list, with the venue that made it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StandbyCallHistoryRow {
    /// 会場コード of the venue that called.
    pub venue_code: String,
    /// When, in venue local time.
    pub at: NaiveDateTime,
    /// What came of it.
    pub outcome: CallOutcome,
}

impl Reader<'_> {
    /// Every check-in of a resident, on any day, cancelled ones included, oldest first.
    pub fn all_check_ins_of(&self, resident_id: RowId) -> Result<Vec<CheckInView>, LedgerError> {
        self.check_ins_where("resident_id = ?1", params![resident_id])
    }

    /// Every standby call to a resident, from any venue, oldest first.
    pub fn standby_calls_of(
        &self,
        resident_id: RowId,
    ) -> Result<Vec<StandbyCallHistoryRow>, LedgerError> {
        let rows = query_rows(
            self.conn,
            "SELECT id, venue_code, called_at, outcome FROM standby_calls
             WHERE resident_id = ?1 ORDER BY called_at, id",
            [resident_id],
            |r| {
                Ok((
                    r.get::<_, i64>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(id, venue_code, at, outcome)| {
                let corrupt = crate::read::corrupt("standby_calls", id);
                Ok(StandbyCallHistoryRow {
                    venue_code,
                    at: NaiveDateTime::parse_from_str(&at, LOCAL)
                        .map_err(|e| corrupt("called_at", e.to_string()))?,
                    outcome: CallOutcome::from_code(&outcome)
                        .ok_or_else(|| corrupt("outcome", outcome.clone()))?,
                })
            })
            .collect()
    }

    /// Whether a resident is on the standby list.
    pub fn on_standby(&self, resident_id: RowId) -> Result<bool, LedgerError> {
        Ok(self
            .conn
            .prepare_cached("SELECT standby FROM residents WHERE id = ?1")?
            .query_row([resident_id], |r| r.get(0))?)
    }
}

impl WriteTx<'_> {
    /// Writes a resident's corrected phone, postal code and address (the caller replicates
    /// them as `set_resident_fields`). False when the ledger has no such resident.
    pub fn correct_contact(
        &self,
        resident_id: RowId,
        phone: Option<&Phone>,
        postal_code: &str,
        address: &str,
        now: &DateTime<FixedOffset>,
    ) -> Result<bool, LedgerError> {
        let changed = self
            .tx
            .prepare_cached(
                "UPDATE residents SET phone = ?2, phone_digits = ?3, postal_code = ?4, address = ?5,
                                      updated_at = ?6
                 WHERE id = ?1",
            )?
            .execute(params![
                resident_id,
                phone.map(|p| p.display.as_str()),
                phone.map(|p| p.digits.as_str()),
                postal_code,
                address,
                instant(now),
            ])?;
        Ok(changed == 1)
    }
}

/// One of a resident's bus rides as this ledger holds them (HQ and the call centre hold every
/// venue's, a venue its own), with the reception's mark.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ResidentRideRow {
    /// 会場コード.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// The ride.
    pub ride: RideRow,
}

impl Reader<'_> {
    /// Every bus ride planned for a resident, by day, the trip to the venue before the one
    /// home (the index of migration 0017).
    pub fn rides_of_resident(&self, resident: RowId) -> Result<Vec<ResidentRideRow>, LedgerError> {
        let rows = query_rows(
            self.conn,
            "SELECT r.venue_code, r.date, r.direction, r.vehicle, r.driver, r.band_start,
                    r.at_venue, r.trip_order, r.stop_order, r.at_door, r.pickup_point,
                    r.wheelchair, m.mark, m.marked_at
             FROM transport_rides r
             LEFT JOIN transport_ride_marks m
                 ON m.venue_code = r.venue_code AND m.date = r.date
                AND m.resident_id = r.resident_id AND m.direction = r.direction
             WHERE r.resident_id = ?1
             ORDER BY r.date, r.direction DESC",
            params![resident],
            |r| {
                let direction: String = r.get(2)?;
                let mark: Option<String> = r.get(12)?;
                let mark = mark
                    .as_deref()
                    .and_then(vax_sync::RideMarkKind::from_code)
                    .filter(|m| *m != vax_sync::RideMarkKind::Cleared);
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    RideRow {
                        resident_id: resident,
                        direction: if direction == "from_venue" {
                            vax_sync::RideDirection::FromVenue
                        } else {
                            vax_sync::RideDirection::ToVenue
                        },
                        vehicle: r.get(3)?,
                        driver: r.get(4)?,
                        band_start: r.get(5)?,
                        at_venue: r.get(6)?,
                        trip_order: r.get(7)?,
                        stop_order: r.get(8)?,
                        at_door: r.get(9)?,
                        pickup_point: r.get(10)?,
                        wheelchair: r.get(11)?,
                        marked_at: mark.and(r.get(13)?),
                        mark,
                    },
                ))
            },
        )?;
        rows.into_iter()
            .map(|(venue_code, day, ride)| {
                Ok(ResidentRideRow {
                    venue_code,
                    date: parse_day(&day)
                        .map_err(|e| corrupt("transport_rides", resident)("date", e))?,
                    ride,
                })
            })
            .collect()
    }
}
