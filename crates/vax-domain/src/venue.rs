//! Venues (会場) and their time bands (コマ).

use chrono::{NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};

/// A point on the map (WGS 84 degrees).
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Coordinates {
    /// Latitude.
    pub lat: f64,
    /// Longitude.
    pub lon: f64,
}

impl Coordinates {
    /// Great-circle distance in kilometres (haversine).
    pub fn distance_km(self, other: Coordinates) -> f64 {
        const EARTH_RADIUS_KM: f64 = 6371.0;
        let (phi1, phi2) = (self.lat.to_radians(), other.lat.to_radians());
        let dphi = phi2 - phi1;
        let dlambda = (other.lon - self.lon).to_radians();
        let a =
            (dphi / 2.0).sin().powi(2) + phi1.cos() * phi2.cos() * (dlambda / 2.0).sin().powi(2);
        2.0 * EARTH_RADIUS_KM * a.sqrt().asin()
    }
}

/// A vaccination venue.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Venue {
    /// Short stable code (`V01`).
    pub code: String,
    /// 会場名 as printed and exported to VRS (at most 30 characters).
    pub name: String,
    /// Street address.
    pub address: String,
    /// Where it is.
    pub location: Coordinates,
}

/// What kind of place a venue is (種別).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum VenueKind {
    /// 集団接種会場: a mass vaccination site run by the city.
    MassSite,
    /// 医療機関: a clinic or hospital (個別接種).
    Clinic,
}

impl VenueKind {
    /// The stored spelling (`mass_site`, `clinic`).
    pub fn as_str(self) -> &'static str {
        match self {
            Self::MassSite => "mass_site",
            Self::Clinic => "clinic",
        }
    }

    /// The kind stored as `text`.
    pub fn from_stored(text: &str) -> Option<Self> {
        match text {
            "mass_site" => Some(Self::MassSite),
            "clinic" => Some(Self::Clinic),
            _ => None,
        }
    }

    /// 集団接種会場 or 医療機関.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::MassSite => "集団接種会場",
            Self::Clinic => "医療機関",
        }
    }
}

/// One time band (コマ) of one venue day, with the number of people it can take.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct TimeBand {
    /// The venue's code.
    pub venue_code: String,
    /// The day.
    pub date: NaiveDate,
    /// Start of the band.
    pub start: NaiveTime,
    /// End of the band.
    pub end: NaiveTime,
    /// How many residents can be booked into it.
    pub capacity: u32,
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_venue_kind_reads_back_what_it_stores() {
        for kind in [VenueKind::MassSite, VenueKind::Clinic] {
            assert_eq!(VenueKind::from_stored(kind.as_str()), Some(kind));
        }
        assert_eq!(VenueKind::from_stored("hospital"), None);
    }

    #[test]
    fn distance_between_east_and_west_maizuru_is_about_seven_km() {
        let west = Coordinates {
            lat: 35.4447,
            lon: 135.3311,
        };
        let east = Coordinates {
            lat: 35.4747,
            lon: 135.3947,
        };
        let d = west.distance_km(east);
        assert!((6.0..8.0).contains(&d), "got {d} km");
    }
}
