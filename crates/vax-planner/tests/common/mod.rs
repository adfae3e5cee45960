//! Small hand-made problems for the planner's tests.
#![allow(dead_code)]

pub mod exact;

use chrono::{Days, NaiveDate, NaiveTime};
use vax_domain::venue::Coordinates;
use vax_planner::model::{
    Band, IntervalWindow, MinimumAges, Preferences, Priority, Problem, Resident, Seats, Venue,
    Weights,
};

/// Day `n` of the campaign; day 0 is Monday 2021-06-07.
pub fn day(n: u64) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, 7).unwrap() + Days::new(n)
}

pub fn at(h: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, 0, 0).unwrap()
}

/// Venue `i` sits `i` × 0.1° east of the first.
pub fn venue(i: usize) -> Venue {
    Venue {
        location: point(i as f64 * 0.1),
        district: format!("D{i}"),
    }
}

pub fn point(east: f64) -> Coordinates {
    Coordinates {
        lat: 35.45,
        lon: 135.30 + east,
    }
}

pub fn band(venue: usize, date: NaiveDate, hour: u32, capacity: u32) -> Band {
    Band {
        venue,
        date,
        start: at(hour),
        end: at(hour + 1),
        capacity,
        bus_served: false,
        closed: false,
    }
}

pub fn resident(id: i64, birth_year: i32, east: f64) -> Resident {
    Resident {
        id,
        birth_date: NaiveDate::from_ymd_opt(birth_year, 4, 1).unwrap(),
        home: point(east),
        district: "D0".into(),
        underlying_condition: false,
        needs_transport: false,
        preferences: Preferences::default(),
        booked: Seats::default(),
        first_given: None,
    }
}

/// Comirnaty's window with an upper limit HQ chose: 19 / 21 / 42 days.
pub fn window() -> IntervalWindow {
    IntervalWindow {
        min_days: 19,
        standard_days: 21,
        max_days: 42,
    }
}

/// `venues` venues, one band at 9:00 and one at 14:00 of `capacity` every day for `days` days.
pub fn city(venues: usize, days: u64, capacity: u32) -> Problem {
    let mut bands = Vec::new();
    for v in 0..venues {
        for d in 0..days {
            bands.push(band(v, day(d), 9, capacity));
            bands.push(band(v, day(d), 14, capacity));
        }
    }
    Problem {
        venues: (0..venues).map(venue).collect(),
        bands,
        residents: Vec::new(),
        window: window(),
        priority: Priority {
            reference_date: day(0),
            phases: Vec::new(),
        },
        supply: Vec::new(),
        allow_other_venue: false,
        riders_need_bus: true,
        rider_limits: Vec::new(),
        minimum_age: MinimumAges::none(),
        weights: Weights::default(),
    }
}
