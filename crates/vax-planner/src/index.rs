//! Lookups the planner and the reshuffle engine share: bands per venue in time order, bands
//! per venue day, supply per venue day, and the running load of every band and venue day.

use chrono::{Datelike, NaiveDate};

use crate::model::{BandIdx, Problem, Resident, Seats, VenueIdx};

/// Day number (days from the common era) of a date: cheap to subtract.
pub(crate) fn day_number(date: NaiveDate) -> i32 {
    date.num_days_from_ce()
}

/// Read-only indexes over a validated problem.
pub(crate) struct Index {
    /// Day number of every band.
    pub day: Vec<i32>,
    /// Each venue's bands, by (date, start).
    pub venue_bands: Vec<Vec<BandIdx>>,
    /// Position of every band in its venue's list.
    pub position: Vec<u32>,
    /// Per venue: first day number with a band, and for each day from it the range of
    /// `venue_bands[v]` on that day.
    venue_days: Vec<(i32, Vec<(u32, u32)>)>,
    /// Venue-day slot of every band (for supply).
    pub slot: Vec<usize>,
    /// Supply of each slot, `None` when not limited.
    pub slot_supply: Vec<Option<u32>>,
    /// The rider limit ([`Problem::rider_limits`]) of every band, if any.
    pub rider_limit: Vec<Option<usize>>,
    /// The first day of the campaign (the earliest band), as a day number.
    pub campaign_start: i32,
    /// The last day with a band, as a day number.
    pub campaign_end: i32,
}

impl Index {
    pub fn new(problem: &Problem) -> Self {
        let day: Vec<i32> = problem.bands.iter().map(|b| day_number(b.date)).collect();
        let mut venue_bands: Vec<Vec<BandIdx>> = vec![Vec::new(); problem.venues.len()];
        for (i, b) in problem.bands.iter().enumerate() {
            venue_bands[b.venue].push(i);
        }
        for list in &mut venue_bands {
            list.sort_by_key(|&i| (day[i], problem.bands[i].start));
        }
        let mut position = vec![0u32; problem.bands.len()];
        for list in &venue_bands {
            for (k, &b) in list.iter().enumerate() {
                position[b] = k as u32;
            }
        }
        let supply = problem.supply_map();
        let mut slot = vec![0usize; problem.bands.len()];
        let mut slot_supply = Vec::new();
        let mut venue_days = Vec::with_capacity(venue_bands.len());
        for (v, list) in venue_bands.iter().enumerate() {
            let Some(&first) = list.first() else {
                venue_days.push((0, Vec::new()));
                continue;
            };
            let first_day = day[first];
            let last_day = day[*list.last().expect("non-empty")];
            let mut ranges = vec![(0u32, 0u32); (last_day - first_day + 1) as usize];
            let mut k = 0;
            while k < list.len() {
                let d = day[list[k]];
                let begin = k;
                while k < list.len() && day[list[k]] == d {
                    slot[list[k]] = slot_supply.len();
                    k += 1;
                }
                ranges[(d - first_day) as usize] = (begin as u32, k as u32);
                let date = problem.bands[list[begin]].date;
                slot_supply.push(supply.get(&(v, date)).copied());
            }
            venue_days.push((first_day, ranges));
        }
        let mut rider_limit = vec![None; problem.bands.len()];
        for (k, l) in problem.rider_limits.iter().enumerate() {
            for &b in &l.bands {
                rider_limit[b] = Some(k);
            }
        }
        let campaign_start = day.iter().copied().min().unwrap_or(0);
        let campaign_end = day.iter().copied().max().unwrap_or(0);
        Self {
            day,
            venue_bands,
            position,
            venue_days,
            slot,
            slot_supply,
            rider_limit,
            campaign_start,
            campaign_end,
        }
    }

    /// The bands of venue `v` on day number `d`, by start time.
    pub fn bands_on(&self, v: VenueIdx, d: i32) -> &[BandIdx] {
        let (first, ranges) = &self.venue_days[v];
        let Ok(k) = usize::try_from(d - first) else {
            return &[];
        };
        match ranges.get(k) {
            Some(&(a, b)) => &self.venue_bands[v][a as usize..b as usize],
            None => &[],
        }
    }

    /// Position in `venue_bands[v]` of the first band on or after day number `d`.
    pub fn first_on_or_after(&self, v: VenueIdx, d: i32) -> usize {
        self.venue_bands[v].partition_point(|&b| self.day[b] < d)
    }
}

/// Running bookings per band and per venue day.
#[derive(Clone)]
pub(crate) struct Load {
    pub band: Vec<u32>,
    pub slot: Vec<u32>,
}

impl Load {
    /// The load of the given seats.
    pub fn of<'a>(
        problem: &Problem,
        index: &Index,
        seats: impl Iterator<Item = &'a Seats>,
    ) -> Self {
        let mut load = Self {
            band: vec![0; problem.bands.len()],
            slot: vec![0; index.slot_supply.len()],
        };
        for s in seats {
            for b in [s.first, s.second].into_iter().flatten() {
                load.add(index, b);
            }
        }
        load
    }

    pub fn add(&mut self, index: &Index, band: BandIdx) {
        self.band[band] += 1;
        self.slot[index.slot[band]] += 1;
    }

    pub fn remove(&mut self, index: &Index, band: BandIdx) {
        self.band[band] -= 1;
        self.slot[index.slot[band]] -= 1;
    }

    /// Whether one more booking fits `band` (open, a place left, a dose left that day).
    pub fn has_room(&self, problem: &Problem, index: &Index, band: BandIdx) -> bool {
        let b = &problem.bands[band];
        !b.closed
            && self.band[band] < b.capacity
            && index.slot_supply[index.slot[band]].is_none_or(|s| self.slot[index.slot[band]] < s)
    }
}

/// Whether resident `r` may sit in `band` at all: old enough for the product on its day, and
/// (when the problem demands it) transport riders only where a bus runs. Every search, move
/// and repair asks this, so none books a dose the booth would refuse for age.
pub(crate) fn allowed(problem: &Problem, r: &Resident, band: BandIdx) -> bool {
    let b = &problem.bands[band];
    !(problem.riders_need_bus && r.needs_transport && !b.bus_served) && problem.old_enough(r, b)
}
