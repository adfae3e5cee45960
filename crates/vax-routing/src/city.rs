//! Synthetic but realistic city days for benchmarks and tests (never shown as real data).
//!
//! A coastal city of 20 × 14 km (the sea to the north, a wavy coastline), three town
//! centres where most riders live and the rest spread over the land, the venue in the
//! middle, the garage south-west of it. 8 % of riders use a wheelchair: 2 seats and 5
//! minutes to board. The fleet is buses of 10 seats and taxis of 4, more than enough.

use vax_domain::venue::Coordinates;

use crate::model::{ClockTime, Rider, TransportProblem, Travel, Trip, Vehicle, PROBLEM_FORMAT};
use crate::rng::SplitMix64;

/// South-west corner of the city (somewhere on the Sea of Japan coast).
const ORIGIN: Coordinates = Coordinates {
    lat: 35.40,
    lon: 135.25,
};
const WIDTH_KM: f64 = 20.0;
const HEIGHT_KM: f64 = 14.0;
const TOWNS_KM: [(f64, f64); 3] = [(5.0, 9.0), (12.0, 10.0), (16.0, 5.0)];

fn at_km(x: f64, y: f64) -> Coordinates {
    let lat = ORIGIN.lat + y / 110.574;
    let lon = ORIGIN.lon + x / (111.320 * ORIGIN.lat.to_radians().cos());
    // Rounded to about 1 m so files written and read back are identical.
    Coordinates {
        lat: (lat * 1e5).round() / 1e5,
        lon: (lon * 1e5).round() / 1e5,
    }
}

fn on_land(x: f64, y: f64) -> bool {
    (0.0..=WIDTH_KM).contains(&x) && y >= 0.0 && y <= HEIGHT_KM - 2.0 + 2.0 * (x / 3.0).sin()
}

fn gaussian(rng: &mut SplitMix64) -> f64 {
    let (u, v) = (rng.unit().max(1e-12), rng.unit());
    (-2.0 * u.ln()).sqrt() * (std::f64::consts::TAU * v).cos()
}

/// The day's problem with `riders` riders in direction `to_venue` (else the return trip),
/// fully determined by `seed`.
pub fn city_day(riders: usize, to_venue: bool, seed: u64) -> TransportProblem {
    let mut rng = SplitMix64::new(seed ^ 0x5EED_C17E);
    let mut list = Vec::with_capacity(riders);
    while list.len() < riders {
        let (x, y) = if rng.unit() < 0.7 {
            let (tx, ty) = TOWNS_KM[rng.below(TOWNS_KM.len())];
            (tx + 1.5 * gaussian(&mut rng), ty + 1.5 * gaussian(&mut rng))
        } else {
            (rng.unit() * WIDTH_KM, rng.unit() * HEIGHT_KM)
        };
        if !on_land(x, y) {
            continue;
        }
        let wheelchair = rng.unit() < 0.08;
        list.push(Rider {
            id: format!("R{:03}", list.len() + 1),
            at: at_km(x, y),
            seats: if wheelchair { 2 } else { 1 },
            boarding_minutes: if wheelchair { 5.0 } else { 2.0 },
            earliest_pickup: None,
            max_ride_minutes: None,
        });
    }
    let seats: usize = list.iter().map(|r| r.seats as usize).sum();
    let shift = |id: String, seats: u32| Vehicle {
        id,
        seats,
        shift_start: ClockTime(7 * 60),
        shift_end: ClockTime(13 * 60),
    };
    let mut vehicles: Vec<Vehicle> = (0..seats.div_ceil(10) + 3)
        .map(|i| shift(format!("bus-{}", i + 1), 10))
        .collect();
    vehicles.extend((0..4).map(|i| shift(format!("taxi-{}", i + 1), 4)));
    TransportProblem {
        format: PROBLEM_FORMAT.to_owned(),
        trip: if to_venue {
            Trip::ToVenue {
                arrive_by: ClockTime(10 * 60),
            }
        } else {
            Trip::FromVenue {
                ready_at: ClockTime(11 * 60),
            }
        },
        garage: at_km(8.0, 5.0),
        venue: at_km(10.0, 8.0),
        venue_service_minutes: 5.0,
        max_ride_minutes: 45.0,
        max_wait_minutes: 60.0,
        travel: Travel::default(),
        vehicles,
        riders: list,
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn deterministic_valid_and_shaped_like_the_brief() {
        let a = city_day(70, true, 1);
        assert_eq!(a, city_day(70, true, 1));
        assert_ne!(a, city_day(70, true, 2));
        a.validate().expect("valid");
        let round_trip = TransportProblem::from_json(&a.to_json()).expect("valid");
        assert_eq!(round_trip, a);
        assert_eq!(a.riders.len(), 70);
        let wheelchairs = a.riders.iter().filter(|r| r.seats == 2).count();
        assert!((1..=14).contains(&wheelchairs), "{wheelchairs}");
        let span = |f: fn(&Coordinates) -> f64| {
            let v: Vec<f64> = a.riders.iter().map(|r| f(&r.at)).collect();
            v.iter().cloned().fold(f64::MIN, f64::max) - v.iter().cloned().fold(f64::MAX, f64::min)
        };
        assert!(span(|c| c.lat) * 110.574 <= HEIGHT_KM);
        assert!(span(|c| c.lon) * 111.320 * ORIGIN.lat.to_radians().cos() <= WIDTH_KM);
    }
}
