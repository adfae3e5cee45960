//! The independent checker: re-verifies a whole plan against the problem, sharing no code
//! with the solver (only the problem's own definitions: phases, window, supply).
//!
//! Rules on the whole plan: no band over capacity, no booking in a closed band, no venue day
//! over its supply, dose 2 only after a dose 1 and within the interval window, dose 2 at the
//! same venue unless allowed, every resident either holds both doses or is listed as
//! unplaced (with a reason), and no one listed unplaced holds what the list says they lack.
//! Rules on what the plan changed (seats that differ from the problem's existing bookings):
//! transport riders only in bus-served bands when required, no dose on a day the resident is
//! younger than the product's minimum age, dose 1 not before the resident's phase opens, and
//! no one outside every phase newly booked.

use std::collections::HashMap;

use chrono::NaiveDate;

use crate::model::{BandIdx, Dose, Problem, ResidentIdx, VenueIdx};
use crate::Schedule;

/// A rule a plan breaks.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Violation {
    /// The plan's seat list is not one entry per resident.
    WrongLength {
        /// Residents in the problem.
        expected: usize,
        /// Entries in the plan.
        got: usize,
    },
    /// A seat names a band that does not exist.
    UnknownBand {
        /// The resident.
        resident: ResidentIdx,
        /// The band index.
        band: BandIdx,
    },
    /// More bookings than places.
    OverCapacity {
        /// The band.
        band: BandIdx,
        /// Bookings in it.
        booked: u32,
        /// Its places.
        capacity: u32,
    },
    /// Bookings in a closed band.
    ClosedBand {
        /// The band.
        band: BandIdx,
        /// Bookings in it.
        booked: u32,
    },
    /// More doses booked on a venue day than will be there.
    OverSupply {
        /// The venue.
        venue: VenueIdx,
        /// The day.
        date: NaiveDate,
        /// Doses booked.
        booked: u32,
        /// Doses supplied.
        supply: u32,
    },
    /// More transport riders in a rider limit's bands than the fleet carries (and than
    /// were there before the plan).
    OverRiderLimit {
        /// The limit ([`Problem::rider_limits`]).
        limit: usize,
        /// Riders booked.
        riders: u32,
        /// Riders the fleet carries.
        carries: u32,
    },
    /// Dose 2 with no dose 1 booked or given.
    SecondWithoutFirst {
        /// The resident.
        resident: ResidentIdx,
    },
    /// Dose 2 outside the interval window.
    OutsideWindow {
        /// The resident.
        resident: ResidentIdx,
        /// Days between the doses.
        days: i64,
    },
    /// Dose 2 at another venue when that is not allowed.
    OtherVenue {
        /// The resident.
        resident: ResidentIdx,
    },
    /// A transport rider newly booked into a band no bus serves.
    NotBusServed {
        /// The resident.
        resident: ResidentIdx,
        /// The dose.
        dose: Dose,
    },
    /// Dose 1 newly booked before the resident's phase opens.
    BeforePhaseOpens {
        /// The resident.
        resident: ResidentIdx,
    },
    /// A dose newly booked on a day the resident is younger than the product's minimum age
    /// on that day (the booth would refuse it).
    BelowMinimumAge {
        /// The resident.
        resident: ResidentIdx,
        /// The dose.
        dose: Dose,
    },
    /// A resident in no phase newly booked.
    NotInAnyPhase {
        /// The resident.
        resident: ResidentIdx,
    },
    /// A resident lacks a dose and is not listed as unplaced.
    MissingWithoutReason {
        /// The resident.
        resident: ResidentIdx,
    },
    /// A resident listed as unplaced for a dose holds that dose.
    ListedButPlaced {
        /// The resident.
        resident: ResidentIdx,
    },
}

/// Checks `schedule` against `problem`; an empty list means the plan keeps every rule.
pub fn verify(problem: &Problem, schedule: &Schedule) -> Vec<Violation> {
    let mut out = Vec::new();
    if schedule.seats.len() != problem.residents.len() {
        out.push(Violation::WrongLength {
            expected: problem.residents.len(),
            got: schedule.seats.len(),
        });
        return out;
    }
    let bands = &problem.bands;
    let mut booked = vec![0u32; bands.len()];
    let mut per_day: HashMap<(VenueIdx, NaiveDate), u32> = HashMap::new();
    let listed: HashMap<ResidentIdx, Dose> = schedule
        .unplaced
        .iter()
        .map(|u| (u.resident, u.dose))
        .collect();
    for (i, (resident, seats)) in problem.residents.iter().zip(&schedule.seats).enumerate() {
        let mut known = true;
        for band in [seats.first, seats.second].into_iter().flatten() {
            if band >= bands.len() {
                out.push(Violation::UnknownBand { resident: i, band });
                known = false;
            }
        }
        if !known {
            continue;
        }
        for band in [seats.first, seats.second].into_iter().flatten() {
            booked[band] += 1;
            *per_day
                .entry((bands[band].venue, bands[band].date))
                .or_default() += 1;
        }
        let dose1 = seats
            .first
            .map(|b| (bands[b].date, Some(bands[b].venue)))
            .or(resident.first_given.map(|g| (g.date, g.venue)));
        if let Some(b2) = seats.second {
            match dose1 {
                None => out.push(Violation::SecondWithoutFirst { resident: i }),
                Some((date1, venue1)) => {
                    let days = (bands[b2].date - date1).num_days();
                    let w = &problem.window;
                    if days < i64::from(w.min_days) || days > i64::from(w.max_days) {
                        out.push(Violation::OutsideWindow { resident: i, days });
                    }
                    if !problem.allow_other_venue && venue1.is_some_and(|v| v != bands[b2].venue) {
                        out.push(Violation::OtherVenue { resident: i });
                    }
                }
            }
        }
        // Rules on what this plan changed.
        let changed_first = seats.first.is_some() && seats.first != resident.booked.first;
        for (dose, now, before) in [
            (Dose::First, seats.first, resident.booked.first),
            (Dose::Second, seats.second, resident.booked.second),
        ] {
            if let Some(b) = now.filter(|&b| Some(b) != before) {
                if problem.riders_need_bus && resident.needs_transport && !bands[b].bus_served {
                    out.push(Violation::NotBusServed { resident: i, dose });
                }
                if !problem
                    .minimum_age
                    .admits(resident.birth_date, bands[b].date)
                {
                    out.push(Violation::BelowMinimumAge { resident: i, dose });
                }
            }
        }
        if changed_first {
            let b1 = seats.first.expect("changed_first");
            match problem.phase_of(resident) {
                None => out.push(Violation::NotInAnyPhase { resident: i }),
                Some(phase) => {
                    if problem
                        .phase_opens(phase)
                        .is_some_and(|opens| bands[b1].date < opens)
                    {
                        out.push(Violation::BeforePhaseOpens { resident: i });
                    }
                }
            }
        }
        let has_first = seats.first.is_some() || resident.first_given.is_some();
        let missing = if !has_first {
            Some(Dose::First)
        } else if seats.second.is_none() {
            Some(Dose::Second)
        } else {
            None
        };
        match (missing, listed.get(&i)) {
            (Some(_), None) => out.push(Violation::MissingWithoutReason { resident: i }),
            (None, Some(_)) => out.push(Violation::ListedButPlaced { resident: i }),
            // Listed for dose 1 while holding it, or for dose 2 while lacking dose 1 too.
            (Some(m), Some(&l)) if l < m => out.push(Violation::ListedButPlaced { resident: i }),
            (Some(m), Some(&l)) if l > m => {
                out.push(Violation::MissingWithoutReason { resident: i })
            }
            _ => {}
        }
    }
    for (band, (&n, b)) in booked.iter().zip(bands).enumerate() {
        if n > b.capacity {
            out.push(Violation::OverCapacity {
                band,
                booked: n,
                capacity: b.capacity,
            });
        }
        if b.closed && n > 0 {
            out.push(Violation::ClosedBand { band, booked: n });
        }
    }
    // Riders per band, now and before the plan: bookings held before are never moved for
    // the fleet, so only riders the plan added may not go over.
    let mut riders_now = vec![0u32; bands.len()];
    let mut riders_before = vec![0u32; bands.len()];
    for (resident, seats) in problem.residents.iter().zip(&schedule.seats) {
        if resident.needs_transport {
            for b in [seats.first, seats.second].into_iter().flatten() {
                riders_now[b] += 1;
            }
            for b in [resident.booked.first, resident.booked.second]
                .into_iter()
                .flatten()
                .filter(|&b| b < bands.len())
            {
                riders_before[b] += 1;
            }
        }
    }
    for (limit, l) in problem.rider_limits.iter().enumerate() {
        let sum = |count: &[u32]| -> u32 { l.bands.iter().map(|&b| count[b]).sum() };
        let riders = sum(&riders_now);
        if riders > l.riders.max(sum(&riders_before)) {
            out.push(Violation::OverRiderLimit {
                limit,
                riders,
                carries: l.riders,
            });
        }
    }
    for s in &problem.supply {
        let n = per_day.get(&(s.venue, s.date)).copied().unwrap_or(0);
        if n > s.doses {
            out.push(Violation::OverSupply {
                venue: s.venue,
                date: s.date,
                booked: n,
                supply: s.doses,
            });
        }
    }
    out
}
