//! Bus rides replicated to the venues (issue 13, docs/sync-spec.md §11): HQ's plan of a venue
//! day, and the reception's marks of who boarded.
//!
//! A plan carries what the venue's reception needs and nothing more: which residents (by
//! voucher number, which every venue already holds with the register), on which vehicle, at
//! which time, from which named pick-up point, and whether they ride in a wheelchair. Names,
//! addresses and phone numbers are never in the op.

use std::collections::HashSet;

use chrono::{NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use vax_domain::voucher::VoucherNumber;

use crate::ids::VenueCode;
use crate::op::InvalidOp;

/// Most trips one plan may carry (a venue day with a large fleet has a few dozen).
pub const MAX_TRIPS: usize = 500;
/// Most rides one plan may carry, over every trip (keeps one op well under a message).
pub const MAX_RIDES: usize = 2_000;

/// Which way a trip goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RideDirection {
    /// From the riders' doors to the venue, before their band.
    ToVenue,
    /// From the venue home, after the observation period.
    FromVenue,
}

/// HQ's bus plan of one venue day, as the venue receives it. Last writer wins per
/// `(venue, date)`: a re-plan replaces the whole day, an empty `trips` clears it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RidePlan {
    /// The venue the riders are booked at.
    pub venue: VenueCode,
    /// The day.
    pub date: NaiveDate,
    /// Every vehicle run of the day, in the order HQ lists them.
    pub trips: Vec<Trip>,
}

/// One vehicle's run on one leg (one band, one direction).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Trip {
    /// The vehicle's id in HQ's fleet.
    pub vehicle: String,
    /// The driver's name, when HQ's fleet names one.
    #[serde(default, skip_serializing_if = "String::is_empty")]
    pub driver: String,
    /// Which way.
    pub direction: RideDirection,
    /// The start of the band the riders are booked in.
    pub band_start: NaiveTime,
    /// Arrival at the venue (to the venue) or departure from it (return trip).
    pub at_venue: NaiveTime,
    /// The riders in stop order.
    pub riders: Vec<TripRider>,
}

/// One rider of a trip.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct TripRider {
    /// The resident, by voucher number.
    pub resident: VoucherNumber,
    /// At the door (pick-up, or drop-off on the return trip).
    pub at_door: NaiveTime,
    /// The named pick-up point, when not fetched at home.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub pickup_point: Option<String>,
    /// Rides in a wheelchair (more seats, longer boarding).
    #[serde(default, skip_serializing_if = "std::ops::Not::not")]
    pub wheelchair: bool,
}

/// What the reception saw of a rider.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum RideMarkKind {
    /// On the bus: arrived with it (to the venue), or boarded it home (return trip).
    Boarded,
    /// Not at the pick-up (or not at the bus for the return trip).
    NoShow,
    /// A mistaken mark taken back.
    Cleared,
}

impl RideMarkKind {
    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Boarded => "boarded",
            Self::NoShow => "no_show",
            Self::Cleared => "cleared",
        }
    }

    /// Reads the ledger code back.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::Boarded, Self::NoShow, Self::Cleared]
            .into_iter()
            .find(|k| k.code() == code)
    }
}

/// The reception's mark of one rider's ride. Last writer wins per
/// `(venue, date, resident, direction)`, so a mistaken tick is taken back with `cleared`.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct RideMark {
    /// The venue whose bus it is (the server refuses a venue-bound device of another venue).
    pub venue: VenueCode,
    /// The day.
    pub date: NaiveDate,
    /// The rider.
    pub resident: VoucherNumber,
    /// Which trip.
    pub direction: RideDirection,
    /// What was seen.
    pub mark: RideMarkKind,
    /// When, in local venue time.
    pub at: NaiveDateTime,
}

/// The register a mark writes.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub struct RideMarkKey {
    /// The venue.
    pub venue: VenueCode,
    /// The day.
    pub date: NaiveDate,
    /// The rider.
    pub resident: VoucherNumber,
    /// Which trip.
    pub direction: RideDirection,
}

impl RideMark {
    /// The register this mark writes.
    pub fn key(&self) -> RideMarkKey {
        RideMarkKey {
            venue: self.venue.clone(),
            date: self.date,
            resident: self.resident.clone(),
            direction: self.direction,
        }
    }
}

pub(crate) fn validate_plan(
    plan: &RidePlan,
    short_text: impl Fn(&'static str, &str) -> Result<(), InvalidOp>,
) -> Result<(), InvalidOp> {
    short_text("venue", &plan.venue.0)?;
    if plan.trips.len() > MAX_TRIPS {
        return Err(InvalidOp::TooManyRides);
    }
    let mut seen = HashSet::new();
    for trip in &plan.trips {
        short_text("vehicle", &trip.vehicle)?;
        if !trip.driver.is_empty() {
            short_text("driver", &trip.driver)?;
        }
        for rider in &trip.riders {
            if let Some(point) = &rider.pickup_point {
                short_text("pick-up point", point)?;
            }
            // A rider rides once each way; a second ride would be a contradiction at the bus.
            if !seen.insert((rider.resident.clone(), trip.direction)) {
                return Err(InvalidOp::RiderTwiceInPlan(rider.resident.to_string()));
            }
            if seen.len() > MAX_RIDES {
                return Err(InvalidOp::TooManyRides);
            }
        }
    }
    Ok(())
}
