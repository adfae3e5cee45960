//! Bus rides at the venue (issue 13; docs/transport.md "At the venue"): HQ's plan of a venue
//! day reaches the venue as one `define_rides` op each time HQ plans or re-plans; the
//! reception's bus list reads it with the residents it already holds, and the reception
//! marks each rider boarded or not at the pick-up (`mark_ride`), which reaches HQ.

use std::collections::{BTreeMap, HashMap};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use vax_domain::role::Role;
use vax_ledger::{Ledger, LegDirection, NewLeg, Reader, RowId};
use vax_sync::{RideDirection, RideMark, RideMarkKind, RidePlan, Trip, TripRider, VenueCode};

use crate::config::{AppConfig, Folders};
use crate::print::Printed;
use crate::transport::{day_transport, write_day_sheets, TransportError};

/// Which way a bus goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BusDirection {
    /// To the venue, before the band.
    ToVenue,
    /// Home, after the observation period.
    FromVenue,
}

impl From<BusDirection> for RideDirection {
    fn from(d: BusDirection) -> Self {
        match d {
            BusDirection::ToVenue => Self::ToVenue,
            BusDirection::FromVenue => Self::FromVenue,
        }
    }
}

impl From<RideDirection> for BusDirection {
    fn from(d: RideDirection) -> Self {
        match d {
            RideDirection::ToVenue => Self::ToVenue,
            RideDirection::FromVenue => Self::FromVenue,
        }
    }
}

/// What the reception saw of a rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum BusMark {
    /// Came with the bus (to the venue) or got on it home (return trip).
    Boarded,
    /// Not at the pick-up, or not at the bus home.
    NoShow,
    /// Takes a mistaken mark back.
    Cleared,
}

impl From<BusMark> for RideMarkKind {
    fn from(m: BusMark) -> Self {
        match m {
            BusMark::Boarded => Self::Boarded,
            BusMark::NoShow => Self::NoShow,
            BusMark::Cleared => Self::Cleared,
        }
    }
}

impl From<RideMarkKind> for BusMark {
    fn from(m: RideMarkKind) -> Self {
        match m {
            RideMarkKind::Boarded => Self::Boarded,
            RideMarkKind::NoShow => Self::NoShow,
            RideMarkKind::Cleared => Self::Cleared,
        }
    }
}

/// One rider on the reception's bus list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusRider {
    /// The resident.
    pub resident_id: RowId,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// Stop on the trip, from 1.
    pub stop_order: u32,
    /// Pick-up (to the venue) or drop-off (home) at the door, HH:MM.
    pub at_door: String,
    /// The named pick-up point, when not fetched at home.
    pub pickup_point: Option<String>,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
    /// The reception's mark, when made (a cleared mark is none).
    pub mark: Option<BusMark>,
}

/// One vehicle's run on the reception's bus list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusTrip {
    /// The vehicle.
    pub vehicle: String,
    /// Its driver (empty when HQ named none).
    pub driver: String,
    /// Which way.
    pub direction: BusDirection,
    /// The band its riders are booked in (HH:MM).
    pub band_start: String,
    /// Arrives at the venue (to) or leaves it (home), HH:MM.
    pub at_venue: String,
    /// The riders in stop order.
    pub riders: Vec<BusRider>,
}

/// A venue day's buses as the venue holds them.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusList {
    /// The venue.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// Every trip, arrivals and departures in HQ's order.
    pub trips: Vec<BusTrip>,
    /// Riders marked boarded, over every trip.
    pub boarded: u32,
    /// Riders marked not at the pick-up.
    pub no_show: u32,
}

/// The bus list of a venue day: HQ's latest plan as this device holds it, with names from
/// the register and the reception's marks. Empty when no plan has arrived.
pub fn bus_list(
    reader: &Reader<'_>,
    venue_code: &str,
    date: NaiveDate,
) -> Result<BusList, TransportError> {
    let rows = reader.rides_of_day(venue_code, date)?;
    let mut trips: BTreeMap<u32, BusTrip> = BTreeMap::new();
    let (mut boarded, mut no_show) = (0, 0);
    for row in rows {
        let resident = reader.resident(row.resident_id)?;
        let mark = row.mark.map(BusMark::from);
        match mark {
            Some(BusMark::Boarded) => boarded += 1,
            Some(BusMark::NoShow) => no_show += 1,
            _ => {}
        }
        trips
            .entry(row.trip_order)
            .or_insert_with(|| BusTrip {
                vehicle: row.vehicle.clone(),
                driver: row.driver.clone(),
                direction: row.direction.into(),
                band_start: row.band_start.clone(),
                at_venue: row.at_venue.clone(),
                riders: Vec::new(),
            })
            .riders
            .push(BusRider {
                resident_id: row.resident_id,
                name: resident.resident.name,
                name_kana: resident.resident.name_kana,
                stop_order: row.stop_order,
                at_door: row.at_door,
                pickup_point: row.pickup_point,
                wheelchair: row.wheelchair,
                mark,
            });
    }
    Ok(BusList {
        venue_code: venue_code.to_owned(),
        date,
        trips: trips.into_values().collect(),
        boarded,
        no_show,
    })
}

/// The reception (or HQ) marks a rider's ride of a venue day. The ride must be on the
/// day's bus list; the mark replaces the rider's earlier mark of that direction.
#[allow(clippy::too_many_arguments)]
pub fn mark_ride(
    ledger: &mut Ledger,
    role: Role,
    venue_code: &str,
    date: NaiveDate,
    resident_id: RowId,
    direction: BusDirection,
    mark: BusMark,
    now: DateTime<FixedOffset>,
) -> Result<BusList, TransportError> {
    if !role.may_mark_rides() {
        return Err(TransportError::MayNotMarkRides(role));
    }
    let reader = ledger.reader();
    let on_list = reader
        .rides_of_day(venue_code, date)?
        .iter()
        .any(|r| r.resident_id == resident_id && BusDirection::from(r.direction) == direction);
    if !on_list {
        return Err(TransportError::Invalid {
            en: format!("resident {resident_id} has no such ride at {venue_code} on {date}"),
            ja: format!("{date} の {venue_code} の送迎にこの方の便はありません"),
        });
    }
    let voucher = reader.resident(resident_id)?.resident.voucher;
    let mut tx = ledger.transaction()?;
    tx.mark_ride(
        resident_id,
        RideMark {
            venue: VenueCode::new(venue_code),
            date,
            resident: voucher,
            direction: direction.into(),
            mark: mark.into(),
            at: now.naive_local(),
        },
    )?;
    tx.commit()?;
    bus_list(&ledger.reader(), venue_code, date)
}

/// The venue's share of a planned day, built from the legs HQ stores: every served rider by
/// trip (one per leg and vehicle) and stop, with the vehicle's driver, the pick-up point's
/// name and the wheelchair flag. Nothing else of the resident: the venue reads names from its
/// own register.
pub(crate) fn ride_plan_of(
    reader: &Reader<'_>,
    venue_code: &str,
    date: NaiveDate,
    legs: &[NewLeg],
) -> Result<RidePlan, TransportError> {
    let drivers: HashMap<String, String> = reader
        .fleet()?
        .into_iter()
        .map(|v| (v.id, v.driver))
        .collect();
    let points: HashMap<String, String> = reader
        .pickup_points()?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let clock = |s: &str| {
        NaiveTime::parse_from_str(s, "%H:%M").map_err(|e| TransportError::Check(e.to_string()))
    };
    let mut trips = Vec::new();
    for leg in legs {
        let mut by_vehicle: BTreeMap<&str, Vec<(u32, TripRider, &str)>> = BTreeMap::new();
        for r in &leg.riders {
            let Some(ride) = &r.ride else { continue };
            let needs = reader.rider_needs(r.resident_id)?;
            let voucher = reader.resident(r.resident_id)?.resident.voucher;
            by_vehicle.entry(&ride.vehicle).or_default().push((
                ride.stop_order,
                TripRider {
                    resident: voucher,
                    at_door: clock(&ride.at_door)?,
                    pickup_point: needs
                        .as_ref()
                        .and_then(|n| n.pickup_point.as_ref())
                        .map(|c| points.get(c).cloned().unwrap_or_else(|| c.clone())),
                    wheelchair: needs.is_some_and(|n| n.wheelchair),
                },
                &ride.at_venue,
            ));
        }
        for (vehicle, mut riders) in by_vehicle {
            riders.sort_by_key(|(stop, _, _)| *stop);
            let at_venue = clock(riders.first().map(|r| r.2).unwrap_or("00:00"))?;
            trips.push(Trip {
                vehicle: vehicle.to_owned(),
                driver: drivers.get(vehicle).cloned().unwrap_or_default(),
                direction: match leg.direction {
                    LegDirection::ToVenue => RideDirection::ToVenue,
                    LegDirection::FromVenue => RideDirection::FromVenue,
                },
                band_start: leg.band_start,
                at_venue,
                riders: riders.into_iter().map(|(_, r, _)| r).collect(),
            });
        }
    }
    Ok(RidePlan {
        venue: VenueCode::new(venue_code),
        date,
        trips,
    })
}

/// HQ writes the drivers' manifests and the reception's list of a venue day into the
/// `print/` folder beside the ledger and opens the manifests in the system's viewer (unless
/// the configuration says not to). Returns the manifests' path.
pub fn print_day_sheets(
    ledger: &Ledger,
    role: Role,
    config: &AppConfig,
    folders: &Folders,
    venue_code: &str,
    date: NaiveDate,
) -> Result<Printed, TransportError> {
    if !role.runs_the_campaign() {
        return Err(TransportError::RoleMayNot(role));
    }
    let day = day_transport(&ledger.reader(), venue_code, date)?;
    if day.runs.is_empty() {
        return Err(TransportError::Invalid {
            en: format!("no buses planned for {venue_code} on {date}: plan the day first"),
            ja: format!("{venue_code} の {date} の送迎計画がありません。先に計画してください"),
        });
    }
    let font = vax_print::JapaneseFont::system_default().map_err(vax_print::PrintError::from)?;
    let sheets = write_day_sheets(&font, &day, &folders.print())?;
    let opened = config.open_on_desktop(&sheets.manifests);
    Ok(Printed {
        path: sheets.manifests.display().to_string(),
        opened,
    })
}
