//! The bus rides notices tell (migration 0018; docs/notices.md "Bus riders"): the rides HQ's
//! current plans give each booked day, what the last notice about a booking told of its ride,
//! and recording what a batch told.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::params;
use vax_domain::notice::Appointment;
use vax_domain::ride_notice::RideNotice;

use crate::notices::{RawSlot, NOTICE_SLOT};
use crate::read::{corrupt, parse_day, query_rows};
use crate::{LedgerError, NoticeTx, Reader, RowId};

/// A resident's rides on a venue day in HQ's current plan.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct PlannedRide {
    /// The resident.
    pub resident_id: RowId,
    /// The venue.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// Pick-up time and point, return departure (a leg not served is `None`).
    pub ride: RideNotice,
}

/// A booking whose place and time the resident was told, with the ride that notice told.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ToldRide {
    /// The resident.
    pub resident_id: RowId,
    /// The booking (the same place and time as told).
    pub appointment: Appointment,
    /// The ride the last notice told; `None`: no ride was told.
    pub told: Option<RideNotice>,
}

impl Reader<'_> {
    /// Every served ride on `from` or later in the current plans (`transport_rides`), one per
    /// resident and venue day, by resident, day.
    pub fn planned_rides_from(&self, from: NaiveDate) -> Result<Vec<PlannedRide>, LedgerError> {
        let rows = query_rows(
            self.conn,
            "SELECT resident_id, venue_code, date, direction, at_door, at_venue, pickup_point
             FROM transport_rides WHERE date >= ?1
             ORDER BY resident_id, date, venue_code, direction DESC",
            [from.to_string()],
            |r| {
                Ok((
                    r.get::<_, RowId>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, String>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                ))
            },
        )?;
        let mut rides: BTreeMap<(RowId, String, String), RideNotice> = BTreeMap::new();
        for (resident, venue, date, direction, at_door, at_venue, point) in rows {
            let time = |s: &str, field| {
                chrono::NaiveTime::parse_from_str(s, "%H:%M")
                    .map_err(|e| corrupt("transport_rides", resident)(field, e.to_string()))
            };
            let ride = rides.entry((resident, venue, date)).or_insert(RideNotice {
                pickup: None,
                point: None,
                back: None,
            });
            // The way in names the point (rows come to_venue first); the way home leaves it.
            if ride.point.is_none() {
                ride.point = point;
            }
            if direction == "to_venue" {
                ride.pickup = Some(time(&at_door, "at_door")?);
            } else {
                ride.back = Some(time(&at_venue, "at_venue")?);
            }
        }
        rides
            .into_iter()
            .map(|((resident_id, venue_code, date), ride)| {
                Ok(PlannedRide {
                    date: parse_day(&date)
                        .map_err(|e| corrupt("transport_rides", resident_id)("date", e))?,
                    resident_id,
                    venue_code,
                    ride,
                })
            })
            .collect()
    }

    /// Every booking on `from` or later that its last notice told as it is (same venue, day
    /// and band; not a cancellation) and that has a ride now or was told one: the bookings
    /// whose ride may need telling again. By resident then dose.
    pub fn told_rides_from(&self, from: NaiveDate) -> Result<Vec<ToldRide>, LedgerError> {
        let sql = format!(
            "SELECT n.id, k.resident_id, {NOTICE_SLOT}, n.ride
             FROM bookings k
             JOIN time_bands b ON b.id = k.time_band_id
             JOIN venues v ON v.id = b.venue_id
             JOIN notices n ON n.id = (
                 SELECT max(l.id) FROM notices l
                 WHERE l.resident_id = k.resident_id AND l.dose_number = k.dose_number)
             WHERE b.date >= ?1 AND n.kind <> 'cancel'
               AND n.venue_code = v.code AND n.date = b.date
               AND n.start_time = b.start_time AND n.end_time = b.end_time
               AND (n.ride IS NOT NULL OR EXISTS (
                   SELECT 1 FROM transport_rides r
                   WHERE r.venue_code = v.code AND r.date = b.date AND r.resident_id = k.resident_id))
             ORDER BY k.resident_id, k.dose_number"
        );
        let raws = query_rows(self.conn, &sql, [from.to_string()], |r| {
            Ok((
                r.get::<_, i64>(0)?,
                r.get::<_, RowId>(1)?,
                RawSlot::from_row(r, 2)?,
                r.get::<_, Option<String>>(9)?,
            ))
        })?;
        raws.into_iter()
            .map(|(id, resident_id, slot, ride)| {
                let told = ride
                    .map(|text| {
                        RideNotice::from_record(&text)
                            .ok_or_else(|| corrupt("notices", id)("ride", text))
                    })
                    .transpose()?;
                Ok(ToldRide {
                    resident_id,
                    appointment: slot.into_appointment("notices", id)?,
                    told,
                })
            })
            .collect()
    }
}

impl NoticeTx<'_> {
    /// Records the ride each notice of `batch` told (resident, dose, ride), on every channel's
    /// row of that booking. Bookings not listed told no ride.
    pub fn record_rides(
        &self,
        batch: i64,
        rides: &[(RowId, u8, RideNotice)],
    ) -> Result<(), LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "UPDATE notices SET ride = ?4
             WHERE batch_id = ?1 AND resident_id = ?2 AND dose_number = ?3",
        )?;
        for (resident, dose, ride) in rides {
            stmt.execute(params![batch, resident, dose, ride.record()])?;
        }
        Ok(())
    }
}
