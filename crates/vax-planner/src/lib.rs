//! Assigning residents to time bands (コマ): the two-dose planner, the reshuffle engine and
//! the independent checker (docs/planning.md), plus the first-fit baseline.
//!
//! - [`model`]: the problem (venues, bands, residents, window, phases, supply, weights).
//! - [`schedule::plan`]: both doses for every willing resident who lacks them.
//! - [`reshuffle::reshuffle`]: re-seat those a change affects, with the least disruption.
//! - [`verify::verify`]: re-checks any whole plan, sharing no code with the solvers.
//! - [`objective::objective`]: what a plan costs, the one figure the solvers minimise.
//!
//! Pure: time, randomness (a seed) and cancellation ([`schedule::StopSignal`]) are passed in.
//!
//! The baseline:
//! [`first_fit`] books both doses of every willing resident: oldest first (the campaign's
//! priority order), at the nearest venue that still has a band for dose 1 whose paired band
//! (same venue, same start time, the product's standard interval later) also has room.
//! It is the baseline the real planner (reshuffles, fairness, transport) will replace; it
//! never overbooks a band and [`check`] verifies that independently.
#![deny(missing_docs)]

mod index;
mod lns;
pub mod model;
pub mod objective;
pub mod reshuffle;
pub mod schedule;
pub mod verify;

pub use objective::{objective, Objective};
pub use reshuffle::{reshuffle, Change, ChangeError, Move, ReshuffleError, ReshufflePlan};
pub use schedule::{plan, PlanOptions, Schedule, StopSignal, Unplaced, UnplacedReason};
pub use verify::verify;

use chrono::{Days, NaiveDate, NaiveTime};
use vax_domain::venue::Coordinates;

/// A resident to place.
#[derive(Debug, Clone, PartialEq)]
pub struct Candidate {
    /// Birth date: older residents are placed first.
    pub birth_date: NaiveDate,
    /// Where they live (district centre when the address is not geocoded).
    pub home: Coordinates,
}

/// A time band that can take bookings.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// Index of the venue in the venue list.
    pub venue: usize,
    /// Day.
    pub date: NaiveDate,
    /// Start time; the paired band for dose 2 starts at the same time.
    pub start: NaiveTime,
    /// Places.
    pub capacity: u32,
}

/// Both doses of one resident: indices into the band list.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Placement {
    /// Band of dose 1.
    pub first: usize,
    /// Band of dose 2.
    pub second: usize,
}

/// The result of a planning run.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Plan {
    /// One entry per candidate, in the candidates' order; `None` when no pair of bands
    /// was left anywhere.
    pub placements: Vec<Option<Placement>>,
}

impl Plan {
    /// How many candidates got no bands.
    pub fn unplaced(&self) -> usize {
        self.placements.iter().filter(|p| p.is_none()).count()
    }
}

/// Places every candidate, both doses `interval_days` apart, without exceeding any band's
/// capacity. Deterministic: ties keep the input order.
pub fn first_fit(
    candidates: &[Candidate],
    venues: &[Coordinates],
    bands: &[Band],
    interval_days: u32,
) -> Plan {
    let mut remaining: Vec<u32> = bands.iter().map(|b| b.capacity).collect();

    // For each venue, its bands in time order, and each band's dose-2 partner.
    let mut per_venue: Vec<Vec<usize>> = vec![Vec::new(); venues.len()];
    for (i, b) in bands.iter().enumerate() {
        per_venue[b.venue].push(i);
    }
    for list in &mut per_venue {
        list.sort_by_key(|&i| (bands[i].date, bands[i].start));
    }
    let index: std::collections::HashMap<(usize, NaiveDate, NaiveTime), usize> = bands
        .iter()
        .enumerate()
        .map(|(i, b)| ((b.venue, b.date, b.start), i))
        .collect();
    let partner: Vec<Option<usize>> = bands
        .iter()
        .map(|b| {
            let later = b
                .date
                .checked_add_days(Days::new(u64::from(interval_days)))?;
            index.get(&(b.venue, later, b.start)).copied()
        })
        .collect();
    // Capacities only ever go down, so a band that cannot start a pair now never will:
    // each venue keeps a cursor past such bands and the whole run stays linear.
    let mut cursor = vec![0usize; venues.len()];

    let mut order: Vec<usize> = (0..candidates.len()).collect();
    order.sort_by_key(|&i| candidates[i].birth_date);

    let mut placements = vec![None; candidates.len()];
    let mut by_distance: Vec<usize> = Vec::with_capacity(venues.len());
    for i in order {
        by_distance.clear();
        by_distance.extend(0..venues.len());
        let home = candidates[i].home;
        by_distance.sort_by(|&a, &b| {
            home.distance_km(venues[a])
                .total_cmp(&home.distance_km(venues[b]))
        });
        for &v in &by_distance {
            let list = &per_venue[v];
            while cursor[v] < list.len() {
                let b = list[cursor[v]];
                match partner[b] {
                    Some(p) if remaining[b] > 0 && remaining[p] > 0 => break,
                    _ => cursor[v] += 1,
                }
            }
            if let Some(&b) = list.get(cursor[v]) {
                let p = partner[b].expect("cursor stops only at bands with a partner");
                remaining[b] -= 1;
                remaining[p] -= 1;
                placements[i] = Some(Placement {
                    first: b,
                    second: p,
                });
                break;
            }
        }
    }
    Plan { placements }
}

/// A rule a plan breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// More bookings than places.
    OverCapacity {
        /// The band.
        band: usize,
        /// Bookings in it.
        booked: u32,
    },
    /// Dose 2 not the interval after dose 1, or at another venue.
    BadPair {
        /// The candidate.
        candidate: usize,
    },
}

/// Verifies a plan independently of how it was made.
pub fn check(bands: &[Band], plan: &Plan, interval_days: u32) -> Vec<Violation> {
    let mut booked = vec![0u32; bands.len()];
    let mut violations = Vec::new();
    for (c, p) in plan.placements.iter().enumerate() {
        let Some(p) = p else { continue };
        booked[p.first] += 1;
        booked[p.second] += 1;
        let (a, b) = (&bands[p.first], &bands[p.second]);
        let gap = (b.date - a.date).num_days();
        if a.venue != b.venue || gap != i64::from(interval_days) {
            violations.push(Violation::BadPair { candidate: c });
        }
    }
    for (band, (&n, b)) in booked.iter().zip(bands).enumerate() {
        if n > b.capacity {
            violations.push(Violation::OverCapacity { band, booked: n });
        }
    }
    violations
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    fn day(n: u64) -> NaiveDate {
        NaiveDate::from_ymd_opt(2021, 6, 1).unwrap() + Days::new(n)
    }

    fn nine() -> NaiveTime {
        NaiveTime::from_hms_opt(9, 0, 0).unwrap()
    }

    #[test]
    fn the_oldest_resident_gets_the_first_band_and_dose_two_three_weeks_later() {
        let venues = [Coordinates {
            lat: 35.0,
            lon: 135.0,
        }];
        let bands: Vec<Band> = (0..30)
            .map(|d| Band {
                venue: 0,
                date: day(d),
                start: nine(),
                capacity: 1,
            })
            .collect();
        let young = Candidate {
            birth_date: NaiveDate::from_ymd_opt(1990, 1, 1).unwrap(),
            home: venues[0],
        };
        let old = Candidate {
            birth_date: NaiveDate::from_ymd_opt(1930, 1, 1).unwrap(),
            home: venues[0],
        };
        let plan = first_fit(&[young, old], &venues, &bands, 21);
        assert_eq!(
            plan.placements[1],
            Some(Placement {
                first: 0,
                second: 21
            }),
            "oldest first"
        );
        assert_eq!(
            plan.placements[0],
            Some(Placement {
                first: 1,
                second: 22
            }),
            "next day for the younger"
        );
    }

    #[test]
    fn residents_go_to_the_nearest_venue_until_it_is_full() {
        let venues = [
            Coordinates {
                lat: 35.0,
                lon: 135.0,
            },
            Coordinates {
                lat: 35.5,
                lon: 135.5,
            },
        ];
        let bands: Vec<Band> = [0, 21]
            .iter()
            .flat_map(|&d| {
                (0..2).map(move |v| Band {
                    venue: v,
                    date: day(d),
                    start: nine(),
                    capacity: 1,
                })
            })
            .collect();
        let near_second = Coordinates {
            lat: 35.49,
            lon: 135.49,
        };
        let c = |y| Candidate {
            birth_date: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(),
            home: near_second,
        };
        let plan = first_fit(&[c(1940), c(1950), c(1960)], &venues, &bands, 21);
        assert_eq!(
            bands[plan.placements[0].unwrap().first].venue,
            1,
            "nearest venue first"
        );
        assert_eq!(
            bands[plan.placements[1].unwrap().first].venue,
            0,
            "then the next nearest"
        );
        assert_eq!(plan.placements[2], None, "no room left anywhere");
    }

    proptest! {
        #[test]
        fn no_plan_overbooks_a_band_or_breaks_the_pairing(
            caps in proptest::collection::vec(0u32..4, 2 * 40),
            people in proptest::collection::vec((1920i32..2009, 0.0f64..1.0, 0.0f64..1.0), 0..120),
        ) {
            let venues = [Coordinates { lat: 35.0, lon: 135.0 }, Coordinates { lat: 35.6, lon: 135.6 }];
            let bands: Vec<Band> = caps.iter().enumerate().map(|(i, &capacity)| Band {
                venue: i % 2, date: day((i / 2) as u64), start: nine(), capacity,
            }).collect();
            let candidates: Vec<Candidate> = people.iter().map(|&(y, a, b)| Candidate {
                birth_date: NaiveDate::from_ymd_opt(y, 1, 1).unwrap(),
                home: Coordinates { lat: 35.0 + a * 0.6, lon: 135.0 + b * 0.6 },
            }).collect();
            let plan = first_fit(&candidates, &venues, &bands, 21);
            prop_assert_eq!(check(&bands, &plan, 21), vec![], "the checker finds no violation");
            // First-fit is maximal: if someone is unplaced, no feasible pair is left.
            if plan.unplaced() > 0 {
                let mut left: Vec<u32> = bands.iter().map(|b| b.capacity).collect();
                for p in plan.placements.iter().flatten() { left[p.first] -= 1; left[p.second] -= 1; }
                for (i, b) in bands.iter().enumerate() {
                    let partner = bands.iter().position(|o| o.venue == b.venue && o.date == b.date + Days::new(21));
                    if let Some(p) = partner { prop_assert!(left[i] == 0 || left[p] == 0, "an unplaced resident means no pair had room"); }
                }
            }
        }
    }
}
