//! Bus rides as the venue sees them (migration 0016; docs/transport.md, docs/sync-spec.md §11):
//! HQ's current plan of a venue day, one row per rider and direction, and the reception's
//! marks. HQ writes both tables when it plans (and its device when a mark arrives); a venue's
//! device writes them when the ops arrive, for its own venue only.

use chrono::NaiveDate;
use rusqlite::{params, OptionalExtension};
use serde::Serialize;
use vax_sync::{OpKind, RideDirection, RideMark, RideMarkKind, RidePlan, VenueCode};

use crate::read::query_rows;
use crate::{LedgerError, Reader, RowId, WriteTx};

/// The device setting naming a venue-bound device's venue (written at enrollment).
const KEY_DEVICE_VENUE: &str = "sync.venue";

/// One rider's ride of a day, with the reception's mark.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RideRow {
    /// The resident.
    pub resident_id: RowId,
    /// Which way.
    pub direction: RideDirection,
    /// The vehicle.
    pub vehicle: String,
    /// Its driver, when HQ named one.
    pub driver: String,
    /// The band the rider is booked in (HH:MM).
    pub band_start: String,
    /// Arrival at (to) or departure from (return) the venue, HH:MM.
    pub at_venue: String,
    /// The trip's place in HQ's list.
    pub trip_order: u32,
    /// The rider's stop on the trip, from 1.
    pub stop_order: u32,
    /// Pick-up (to) or drop-off (return) at the door, HH:MM.
    pub at_door: String,
    /// The named pick-up point, when not fetched at home.
    pub pickup_point: Option<String>,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
    /// The reception's current mark (`cleared` reads as none).
    pub mark: Option<RideMarkKind>,
    /// When the mark was made (venue time).
    pub marked_at: Option<String>,
}

fn direction_code(d: RideDirection) -> &'static str {
    match d {
        RideDirection::ToVenue => "to_venue",
        RideDirection::FromVenue => "from_venue",
    }
}

pub(crate) fn direction_of(code: &str) -> RideDirection {
    if code == "from_venue" {
        RideDirection::FromVenue
    } else {
        RideDirection::ToVenue
    }
}

impl Reader<'_> {
    /// The rides of a venue day as the venue holds them, by trip and stop, each with its mark.
    pub fn rides_of_day(
        &self,
        venue_code: &str,
        date: NaiveDate,
    ) -> Result<Vec<RideRow>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT r.resident_id, r.direction, r.vehicle, r.driver, r.band_start, r.at_venue,
                    r.trip_order, r.stop_order, r.at_door, r.pickup_point, r.wheelchair,
                    m.mark, m.marked_at
             FROM transport_rides r
             LEFT JOIN transport_ride_marks m
                 ON m.venue_code = r.venue_code AND m.date = r.date
                AND m.resident_id = r.resident_id AND m.direction = r.direction
             WHERE r.venue_code = ?1 AND r.date = ?2
             ORDER BY r.trip_order, r.stop_order",
            params![venue_code, date.to_string()],
            |r| {
                let direction: String = r.get(1)?;
                let mark: Option<String> = r.get(11)?;
                let mark = mark
                    .as_deref()
                    .and_then(RideMarkKind::from_code)
                    .filter(|m| *m != RideMarkKind::Cleared);
                Ok(RideRow {
                    resident_id: r.get(0)?,
                    direction: direction_of(&direction),
                    vehicle: r.get(2)?,
                    driver: r.get(3)?,
                    band_start: r.get(4)?,
                    at_venue: r.get(5)?,
                    trip_order: r.get(6)?,
                    stop_order: r.get(7)?,
                    at_door: r.get(8)?,
                    pickup_point: r.get(9)?,
                    wheelchair: r.get(10)?,
                    marked_at: mark.and(r.get(12)?),
                    mark,
                })
            },
        )
    }
}

/// Whether this device keeps the rows of a venue's rides: HQ and the call centre keep every
/// venue's; a venue's device only its own. `None`: a venue-bound device that does not know
/// its venue yet (it learns it with its first sync), so the op waits.
pub(crate) fn keeps_rows_of(
    w: &WriteTx<'_>,
    venue: &VenueCode,
) -> Result<Option<bool>, LedgerError> {
    let setting = |key: &str| -> Result<Option<String>, LedgerError> {
        Ok(w.tx
            .prepare_cached("SELECT value FROM device_settings WHERE key = ?1")?
            .query_row([key], |r| r.get(0))
            .optional()?)
    };
    let role = setting(crate::replication::KEY_REPLICA_ROLE)?;
    let venue_bound = matches!(
        role.as_deref(),
        Some("reception" | "booth" | "venue_manager" | "relay")
    );
    if !venue_bound {
        return Ok(Some(true));
    }
    Ok(setting(KEY_DEVICE_VENUE)?.map(|own| own == venue.0))
}

/// A resident named by a ride op who is not in the ledger yet.
#[derive(Debug)]
pub(crate) struct MissingResident(pub(crate) String);

impl WriteTx<'_> {
    fn resident_by_voucher(&self, voucher: &str) -> Result<Option<RowId>, LedgerError> {
        Ok(self
            .tx
            .prepare_cached(
                "SELECT id FROM residents WHERE voucher_number = ?1 ORDER BY id LIMIT 1",
            )?
            .query_row([voucher], |r| r.get(0))
            .optional()?)
    }

    /// Replaces the rows of a venue day by `plan`. Every rider must be in the ledger:
    /// otherwise nothing is written and the missing voucher is named.
    pub(crate) fn write_ride_rows(
        &self,
        plan: &RidePlan,
    ) -> Result<Result<(), MissingResident>, LedgerError> {
        let mut rows = Vec::new();
        for (trip_order, trip) in plan.trips.iter().enumerate() {
            for (stop, rider) in trip.riders.iter().enumerate() {
                let Some(id) = self.resident_by_voucher(rider.resident.as_str())? else {
                    return Ok(Err(MissingResident(rider.resident.to_string())));
                };
                rows.push((trip_order as u32 + 1, trip, stop as u32 + 1, rider, id));
            }
        }
        let day = plan.date.to_string();
        self.tx.execute(
            "DELETE FROM transport_rides WHERE venue_code = ?1 AND date = ?2",
            params![plan.venue.0, day],
        )?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO transport_rides (venue_code, date, resident_id, direction, vehicle, driver,
                 band_start, at_venue, trip_order, stop_order, at_door, pickup_point, wheelchair)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10, ?11, ?12, ?13)",
        )?;
        for (trip_order, trip, stop, rider, id) in rows {
            stmt.execute(params![
                plan.venue.0,
                day,
                id,
                direction_code(trip.direction),
                trip.vehicle,
                trip.driver,
                trip.band_start.format("%H:%M").to_string(),
                trip.at_venue.format("%H:%M").to_string(),
                trip_order,
                stop,
                rider.at_door.format("%H:%M").to_string(),
                rider.pickup_point,
                rider.wheelchair,
            ])?;
        }
        Ok(Ok(()))
    }

    /// Writes a mark's row (the register's current value).
    pub(crate) fn write_ride_mark_row(
        &self,
        uid: &str,
        resident_id: RowId,
        mark: &RideMark,
    ) -> Result<(), LedgerError> {
        self.tx
            .prepare_cached(
                "INSERT INTO transport_ride_marks (venue_code, date, resident_id, direction, mark,
                     marked_at, uid)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)
                 ON CONFLICT (venue_code, date, resident_id, direction) DO UPDATE SET
                     mark = excluded.mark, marked_at = excluded.marked_at, uid = excluded.uid",
            )?
            .execute(params![
                mark.venue.0,
                mark.date.to_string(),
                resident_id,
                direction_code(mark.direction),
                mark.mark.code(),
                mark.at.format("%Y-%m-%dT%H:%M:%S").to_string(),
                uid
            ])?;
        Ok(())
    }

    /// HQ publishes its plan of a venue day: the venue's rows here, and the op that brings
    /// them to the venue when the ledger replicates.
    pub fn publish_ride_plan(&mut self, plan: RidePlan) -> Result<(), LedgerError> {
        if let Err(MissingResident(voucher)) = self.write_ride_rows(&plan)? {
            return Err(LedgerError::Missing {
                what: "resident",
                key: voucher,
            });
        }
        self.replicate(OpKind::DefineRides(plan))?;
        Ok(())
    }

    /// The reception marks a rider's ride: the row here, and the op that brings it to HQ.
    /// Returns the mark's uid.
    pub fn mark_ride(&mut self, resident_id: RowId, mark: RideMark) -> Result<String, LedgerError> {
        let uid = self.record_event(OpKind::MarkRide(mark.clone()))?;
        self.write_ride_mark_row(&uid, resident_id, &mark)?;
        Ok(uid)
    }
}
