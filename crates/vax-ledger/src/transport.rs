//! Bus transport on HQ's ledger (migration 0010; docs/transport.md): the fleet, the named
//! pick-up points, each rider's needs, and the planned legs of a venue day with every
//! rider's outcome. HQ-local: nothing here replicates.
//!
//! A leg's problem and plan are stored as vax-routing's JSON formats; this crate does not
//! read them (it does not depend on the solver), the use cases in `vax_app::transport` do.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use rusqlite::{params, OptionalExtension};
use serde::{Deserialize, Serialize};
use vax_domain::venue::Coordinates;

use crate::read::{corrupt, parse_instant, query_rows};
use crate::write::instant;
use crate::{LedgerError, Reader, RowId, WriteTx};

/// A vehicle of the fleet.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct FleetVehicle {
    /// Name on the manifest (at most 20 characters).
    pub id: String,
    /// Seats for riders.
    pub seats: u32,
    /// Earliest departure from the garage.
    pub shift_start: NaiveTime,
    /// Latest return to the garage.
    pub shift_end: NaiveTime,
    /// Where it starts and ends.
    pub garage: Coordinates,
    /// The driver's name (empty when HQ names none), shown to the venue with its trips.
    pub driver: String,
}

/// A named pick-up point.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct PickupPoint {
    /// Short code (at most 10 characters).
    pub code: String,
    /// Name shown to riders and drivers.
    pub name: String,
    /// Where it is.
    pub location: Coordinates,
}

/// What HQ knows of a rider beyond the survey's 送迎 flag.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct RiderNeeds {
    /// Fetched at this pick-up point; `None`: at home.
    pub pickup_point: Option<String>,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
}

/// Which way a leg goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum LegDirection {
    /// Homes to the venue, before the band.
    ToVenue,
    /// The venue to homes, after the observation period.
    FromVenue,
}

impl LegDirection {
    /// The stored code.
    pub fn code(self) -> &'static str {
        match self {
            Self::ToVenue => "to_venue",
            Self::FromVenue => "from_venue",
        }
    }

    fn from_code(code: &str) -> Option<Self> {
        match code {
            "to_venue" => Some(Self::ToVenue),
            "from_venue" => Some(Self::FromVenue),
            _ => None,
        }
    }
}

/// One planned leg to store.
#[derive(Debug, Clone, PartialEq)]
pub struct NewLeg {
    /// The band's start.
    pub band_start: NaiveTime,
    /// The band's end.
    pub band_end: NaiveTime,
    /// Which way.
    pub direction: LegDirection,
    /// Observation minutes of its riders (return trips); 0 to the venue.
    pub observation_minutes: u32,
    /// 1: the vehicles' first run of the leg; 2: a second run by vehicles free again in time.
    pub run: u32,
    /// vax-routing's problem JSON.
    pub problem_json: String,
    /// vax-routing's plan JSON.
    pub plan_json: String,
    /// Every rider's outcome.
    pub riders: Vec<LegRider>,
}

/// One rider's outcome in a leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LegRider {
    /// The rider's id in the problem.
    pub rider: String,
    /// The resident.
    pub resident_id: RowId,
    /// Served: vehicle, stop number (1-based), time at the door and at the venue (HH:MM).
    pub ride: Option<Ride>,
    /// Not served: why (vax-routing's reason code).
    pub unserved: Option<String>,
}

/// Where and when a served rider rides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct Ride {
    /// The vehicle.
    pub vehicle: String,
    /// Stop number on its route, from 1.
    pub stop_order: u32,
    /// Pick-up (to the venue) or drop-off (return) at the door, HH:MM.
    pub at_door: String,
    /// Arrival at (to) or departure from (return) the venue, HH:MM.
    pub at_venue: String,
}

/// A stored leg.
#[derive(Debug, Clone, PartialEq)]
pub struct LegRow {
    /// Row id.
    pub id: RowId,
    /// The venue.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// The band's start.
    pub band_start: NaiveTime,
    /// The band's end.
    pub band_end: NaiveTime,
    /// Which way.
    pub direction: LegDirection,
    /// Observation minutes (return trips).
    pub observation_minutes: u32,
    /// 1: the vehicles' first run of the leg; 2: a second run (migration 0019).
    pub run: u32,
    /// vax-routing's problem JSON.
    pub problem_json: String,
    /// vax-routing's plan JSON.
    pub plan_json: String,
    /// When it was planned.
    pub planned_at: DateTime<FixedOffset>,
    /// Every rider's outcome, by vehicle and stop (unserved last).
    pub riders: Vec<LegRider>,
}

fn time(s: &str) -> Result<NaiveTime, String> {
    NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| e.to_string())
}

fn hhmm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

impl Reader<'_> {
    /// The fleet, by id.
    pub fn fleet(&self) -> Result<Vec<FleetVehicle>, LedgerError> {
        type Raw = (i64, String, u32, String, String, f64, f64, String);
        let raws: Vec<Raw> = query_rows(
            self.conn,
            "SELECT rowid, id, seats, shift_start, shift_end, garage_lat, garage_lon, driver
             FROM transport_vehicles ORDER BY id",
            [],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                ))
            },
        )?;
        raws.into_iter()
            .map(|(row, id, seats, start, end, lat, lon, driver)| {
                let corrupt = corrupt("transport_vehicles", row);
                Ok(FleetVehicle {
                    id,
                    seats,
                    shift_start: time(&start).map_err(|e| corrupt("shift_start", e))?,
                    shift_end: time(&end).map_err(|e| corrupt("shift_end", e))?,
                    garage: Coordinates { lat, lon },
                    driver,
                })
            })
            .collect()
    }

    /// The pick-up points, by code.
    pub fn pickup_points(&self) -> Result<Vec<PickupPoint>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT code, name, lat, lon FROM transport_pickup_points ORDER BY code",
            [],
            |r| {
                Ok(PickupPoint {
                    code: r.get(0)?,
                    name: r.get(1)?,
                    location: Coordinates {
                        lat: r.get(2)?,
                        lon: r.get(3)?,
                    },
                })
            },
        )
    }

    /// What HQ recorded of a resident's transport needs (`None`: nothing beyond the survey).
    pub fn rider_needs(&self, resident: RowId) -> Result<Option<RiderNeeds>, LedgerError> {
        Ok(self
            .conn
            .query_row(
                "SELECT pickup_point, wheelchair FROM transport_riders WHERE resident_id = ?1",
                [resident],
                |r| {
                    Ok(RiderNeeds {
                        pickup_point: r.get(0)?,
                        wheelchair: r.get(1)?,
                    })
                },
            )
            .optional()?)
    }

    /// The stored legs of a venue day, by band, direction and observation, with their riders.
    pub fn transport_legs(
        &self,
        venue_code: &str,
        date: NaiveDate,
    ) -> Result<Vec<LegRow>, LedgerError> {
        type Raw = (
            i64,
            String,
            String,
            String,
            u32,
            u32,
            String,
            String,
            String,
        );
        let raws: Vec<Raw> = query_rows(
            self.conn,
            "SELECT id, band_start, band_end, direction, observation_minutes, run, problem, plan,
                 planned_at
             FROM transport_legs WHERE venue_code = ?1 AND date = ?2
             ORDER BY band_start, direction DESC, observation_minutes, run",
            params![venue_code, date.to_string()],
            |r| {
                Ok((
                    r.get(0)?,
                    r.get(1)?,
                    r.get(2)?,
                    r.get(3)?,
                    r.get(4)?,
                    r.get(5)?,
                    r.get(6)?,
                    r.get(7)?,
                    r.get(8)?,
                ))
            },
        )?;
        raws.into_iter()
            .map(
                |(id, start, end, direction, observation, run, problem, plan, planned_at)| {
                    let corrupt = corrupt("transport_legs", id);
                    Ok(LegRow {
                        id,
                        venue_code: venue_code.to_owned(),
                        date,
                        band_start: time(&start).map_err(|e| corrupt("band_start", e))?,
                        band_end: time(&end).map_err(|e| corrupt("band_end", e))?,
                        direction: LegDirection::from_code(&direction)
                            .ok_or_else(|| corrupt("direction", direction.clone()))?,
                        observation_minutes: observation,
                        run,
                        problem_json: problem,
                        plan_json: plan,
                        planned_at: parse_instant(&planned_at)
                            .map_err(|e| corrupt("planned_at", e))?,
                        riders: self.leg_riders(id)?,
                    })
                },
            )
            .collect()
    }

    fn leg_riders(&self, leg: RowId) -> Result<Vec<LegRider>, LedgerError> {
        type Raw = (
            String,
            i64,
            Option<String>,
            Option<u32>,
            Option<String>,
            Option<String>,
            Option<String>,
        );
        let raws: Vec<Raw> = query_rows(
            self.conn,
            "SELECT rider, resident_id, vehicle, stop_order, at_door, at_venue, unserved
             FROM transport_leg_riders WHERE leg_id = ?1
             ORDER BY vehicle IS NULL, vehicle, stop_order, rider",
            [leg],
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
            .map(
                |(rider, resident_id, vehicle, stop, at_door, at_venue, unserved)| {
                    let ride = match (vehicle, stop, at_door, at_venue) {
                        (Some(vehicle), Some(stop_order), Some(at_door), Some(at_venue)) => {
                            Some(Ride {
                                vehicle,
                                stop_order,
                                at_door,
                                at_venue,
                            })
                        }
                        (None, ..) => None,
                        _ => {
                            return Err(corrupt("transport_leg_riders", leg)(
                                "vehicle",
                                format!("rider {rider} has a vehicle without stop or times"),
                            ))
                        }
                    };
                    Ok(LegRider {
                        rider,
                        resident_id,
                        ride,
                        unserved,
                    })
                },
            )
            .collect()
    }
}

impl WriteTx<'_> {
    /// Replaces the whole fleet.
    pub fn replace_fleet(&self, fleet: &[FleetVehicle]) -> Result<(), LedgerError> {
        self.tx.execute("DELETE FROM transport_vehicles", [])?;
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO transport_vehicles (id, seats, shift_start, shift_end, garage_lat, garage_lon,
                 driver)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7)",
        )?;
        for v in fleet {
            stmt.execute(params![
                v.id,
                v.seats,
                hhmm(v.shift_start),
                hhmm(v.shift_end),
                v.garage.lat,
                v.garage.lon,
                v.driver
            ])?;
        }
        Ok(())
    }

    /// Adds or replaces the pick-up points given (others stay).
    pub fn upsert_pickup_points(&self, points: &[PickupPoint]) -> Result<(), LedgerError> {
        let mut stmt = self.tx.prepare_cached(
            "INSERT INTO transport_pickup_points (code, name, lat, lon) VALUES (?1, ?2, ?3, ?4)
             ON CONFLICT (code) DO UPDATE SET name = excluded.name, lat = excluded.lat, lon = excluded.lon",
        )?;
        for p in points {
            stmt.execute(params![p.code, p.name, p.location.lat, p.location.lon])?;
        }
        Ok(())
    }

    /// Records a resident's transport needs.
    pub fn set_rider_needs(&self, resident: RowId, needs: &RiderNeeds) -> Result<(), LedgerError> {
        self.tx.execute(
            "INSERT INTO transport_riders (resident_id, pickup_point, wheelchair) VALUES (?1, ?2, ?3)
             ON CONFLICT (resident_id) DO UPDATE SET pickup_point = excluded.pickup_point,
                 wheelchair = excluded.wheelchair",
            params![resident, needs.pickup_point, needs.wheelchair],
        )?;
        Ok(())
    }

    /// Replaces the stored plan of a venue day by `legs`, planned at `planned_at`.
    pub fn replace_transport_day(
        &self,
        venue_code: &str,
        date: NaiveDate,
        planned_at: &DateTime<FixedOffset>,
        legs: &[NewLeg],
    ) -> Result<(), LedgerError> {
        let day = date.to_string();
        self.tx.execute(
            "DELETE FROM transport_leg_riders WHERE leg_id IN
                 (SELECT id FROM transport_legs WHERE venue_code = ?1 AND date = ?2)",
            params![venue_code, day],
        )?;
        self.tx.execute(
            "DELETE FROM transport_legs WHERE venue_code = ?1 AND date = ?2",
            params![venue_code, day],
        )?;
        let mut leg_stmt = self.tx.prepare_cached(
            "INSERT INTO transport_legs (venue_code, date, band_start, band_end, direction,
                 observation_minutes, run, problem, plan, planned_at)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8, ?9, ?10)",
        )?;
        let mut rider_stmt = self.tx.prepare_cached(
            "INSERT INTO transport_leg_riders (leg_id, rider, resident_id, vehicle, stop_order,
                 at_door, at_venue, unserved)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
        )?;
        let planned_at = instant(planned_at);
        for leg in legs {
            leg_stmt.execute(params![
                venue_code,
                day,
                hhmm(leg.band_start),
                hhmm(leg.band_end),
                leg.direction.code(),
                leg.observation_minutes,
                leg.run,
                leg.problem_json,
                leg.plan_json,
                planned_at,
            ])?;
            let id = self.tx.last_insert_rowid();
            for r in &leg.riders {
                let ride = r.ride.as_ref();
                rider_stmt.execute(params![
                    id,
                    r.rider,
                    r.resident_id,
                    ride.map(|x| &x.vehicle),
                    ride.map(|x| x.stop_order),
                    ride.map(|x| &x.at_door),
                    ride.map(|x| &x.at_venue),
                    r.unserved,
                ])?;
            }
        }
        Ok(())
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::Ledger;

    fn vehicle(id: &str) -> FleetVehicle {
        FleetVehicle {
            id: id.into(),
            seats: 8,
            shift_start: NaiveTime::from_hms_opt(7, 30, 0).unwrap(),
            shift_end: NaiveTime::from_hms_opt(18, 0, 0).unwrap(),
            garage: Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
            driver: format!("{id}の運転手"),
        }
    }

    #[test]
    fn fleet_is_replaced_whole_and_read_back_by_id() {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let tx = ledger.transaction().unwrap();
        tx.replace_fleet(&[vehicle("B2"), vehicle("B1")]).unwrap();
        tx.replace_fleet(&[vehicle("B3"), vehicle("B1")]).unwrap();
        let fleet = tx.reader().fleet().unwrap();
        tx.commit().unwrap();
        let ids: Vec<_> = fleet.iter().map(|v| v.id.as_str()).collect();
        assert_eq!(ids, ["B1", "B3"]);
        assert_eq!(fleet[0], vehicle("B1"));
    }

    #[test]
    fn a_vehicle_whose_shift_ends_before_it_starts_is_refused() {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let tx = ledger.transaction().unwrap();
        let mut v = vehicle("B1");
        v.shift_end = NaiveTime::from_hms_opt(7, 0, 0).unwrap();
        assert!(tx.replace_fleet(&[v]).is_err());
    }

    #[test]
    fn pickup_points_are_upserted_by_code() {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let tx = ledger.transaction().unwrap();
        let mut p = PickupPoint {
            code: "P1".into(),
            name: "公民館".into(),
            location: Coordinates {
                lat: 35.4,
                lon: 135.3,
            },
        };
        tx.upsert_pickup_points(std::slice::from_ref(&p)).unwrap();
        p.name = "中公民館".into();
        tx.upsert_pickup_points(std::slice::from_ref(&p)).unwrap();
        assert_eq!(tx.reader().pickup_points().unwrap(), vec![p]);
    }
}
