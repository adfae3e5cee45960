//! The objective: what a plan costs (lower is better). docs/planning.md states it in words.
//!
//! Per resident: kilometres from home to the venue of each dose, broken preferences, days
//! waited for dose 1 weighted by priority phase, days dose 2 lies off the standard interval,
//! dose 2 at another venue; a resident without both doses costs [`Weights::unplaced`]. Over
//! the whole plan: the number of distinct (venue, day) the transport riders are spread over.
//! The planner and the reshuffle engine price their moves with [`Costing::resident`], the
//! same function [`objective`] sums, so the solver never optimises something else.

use std::collections::HashSet;

use chrono::NaiveDate;

use crate::model::{BandIdx, Problem, ResidentIdx, Seats, VenueIdx, Weights};
use crate::Schedule;

/// The objective of a plan, term by term (each term already weighted except the counts).
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct Objective {
    /// The weighted sum of everything below: the figure minimised.
    pub total: f64,
    /// Kilometres travelled, both doses, all placed residents (unweighted).
    pub km: f64,
    /// Preferences broken (unweighted count, per dose).
    pub preference_breaks: u32,
    /// Days waited for dose 1 times the phase factor (unweighted by `wait_day`).
    pub weighted_wait_days: f64,
    /// Days dose 2 lies off the standard interval, summed.
    pub off_standard_days: u32,
    /// Residents whose dose 2 is at another venue than dose 1.
    pub other_venue: u32,
    /// Distinct (venue, day) the transport riders are booked into.
    pub rider_stops: u32,
    /// Residents without both doses.
    pub unplaced: u32,
}

/// One resident's share of the objective.
#[derive(Debug, Clone, Copy, PartialEq, Default)]
pub struct ResidentCost {
    /// Weighted cost.
    pub total: f64,
    /// Kilometres.
    pub km: f64,
    /// Broken preferences.
    pub preference_breaks: u32,
    /// Wait days times the phase factor.
    pub weighted_wait_days: f64,
    /// Days off the standard interval.
    pub off_standard_days: u32,
    /// Dose 2 at another venue.
    pub other_venue: bool,
    /// Not both doses.
    pub unplaced: bool,
}

/// Prices residents' seats; built once per problem.
pub struct Costing<'a> {
    problem: &'a Problem,
    weights: Weights,
    campaign_start: Option<NaiveDate>,
    phase: Vec<Option<usize>>,
    /// Per band: its weekday and part of the day as one bit each (the hot loop of the
    /// solvers asks [`Costing::breaks`] millions of times).
    band_day_bit: Vec<u8>,
    band_time_bit: Vec<u8>,
    /// Per resident: the weekdays and parts of the day avoided, as bits; the venues
    /// acceptable to a resident with a venue or district preference.
    avoid_days: Vec<u8>,
    avoid_times: Vec<u8>,
    venue_ok: Vec<Option<Box<[bool]>>>,
    /// Kilometres from every resident's home to every venue (resident-major): the searches
    /// price a venue for each band they look at, and the great-circle formula's
    /// trigonometry was a fifth of a 65,000-resident plan.
    km: Vec<f64>,
    /// Per resident: the first day from the campaign start on which they are old enough for
    /// the product (`None`: no age limit), so the searches start there.
    admitted_from: Vec<Option<NaiveDate>>,
}

fn time_bit(t: crate::model::TimeOfDay) -> u8 {
    match t {
        crate::model::TimeOfDay::Morning => 1,
        crate::model::TimeOfDay::Afternoon => 2,
        crate::model::TimeOfDay::Evening => 4,
    }
}

impl<'a> Costing<'a> {
    /// Prepares the pricing of `problem` (phases of every resident, the campaign start).
    pub fn new(problem: &'a Problem) -> Self {
        use chrono::Datelike;
        let day_bit = |w: chrono::Weekday| 1u8 << w.num_days_from_monday();
        let campaign_start = problem.bands.iter().map(|b| b.date).min();
        let ages = &problem.minimum_age;
        Self {
            problem,
            weights: problem.weights,
            campaign_start,
            admitted_from: problem
                .residents
                .iter()
                .map(|r| {
                    let start = campaign_start?;
                    if ages.is_none() {
                        return None;
                    }
                    Some(
                        ages.first_admitted(r.birth_date, start)
                            .unwrap_or(NaiveDate::MAX),
                    )
                })
                .collect(),
            phase: problem
                .residents
                .iter()
                .map(|r| problem.phase_of(r))
                .collect(),
            band_day_bit: problem
                .bands
                .iter()
                .map(|b| day_bit(b.date.weekday()))
                .collect(),
            band_time_bit: problem
                .bands
                .iter()
                .map(|b| time_bit(crate::model::TimeOfDay::of(b.start)))
                .collect(),
            avoid_days: problem
                .residents
                .iter()
                .map(|r| {
                    r.preferences
                        .avoid_weekdays
                        .iter()
                        .map(|&w| day_bit(w))
                        .fold(0, |a, b| a | b)
                })
                .collect(),
            avoid_times: problem
                .residents
                .iter()
                .map(|r| {
                    r.preferences
                        .avoid_times
                        .iter()
                        .map(|&t| time_bit(t))
                        .fold(0, |a, b| a | b)
                })
                .collect(),
            venue_ok: problem
                .residents
                .iter()
                .map(|r| {
                    let p = &r.preferences;
                    (!p.venues.is_empty() || !p.districts.is_empty()).then(|| {
                        problem
                            .venues
                            .iter()
                            .enumerate()
                            .map(|(i, v)| {
                                p.venues.contains(&i) || p.districts.contains(&v.district)
                            })
                            .collect()
                    })
                })
                .collect(),
            km: problem
                .residents
                .iter()
                .flat_map(|r| {
                    problem
                        .venues
                        .iter()
                        .map(|v| r.home.distance_km(v.location))
                })
                .collect(),
        }
    }

    /// Kilometres from `resident`'s home to `venue` (from the table built once).
    pub fn km(&self, resident: ResidentIdx, venue: VenueIdx) -> f64 {
        self.km[resident * self.problem.venues.len() + venue]
    }

    /// The day `resident`'s phase opens: its own earliest day, or the campaign start.
    pub fn opens(&self, resident: ResidentIdx) -> Option<NaiveDate> {
        let from_phase = self.phase[resident].and_then(|p| self.problem.phase_opens(p));
        match (from_phase, self.campaign_start) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The first day `resident` may take dose 1: their phase has opened ([`Costing::opens`])
    /// and they are old enough for the product. Waiting is still counted from the phase's
    /// opening: the days a resident is too young are no plan's fault.
    pub fn first_bookable(&self, resident: ResidentIdx) -> Option<NaiveDate> {
        match (self.opens(resident), self.admitted_from[resident]) {
            (Some(a), Some(b)) => Some(a.max(b)),
            (a, b) => a.or(b),
        }
    }

    /// The phase of a resident.
    pub fn phase(&self, resident: ResidentIdx) -> Option<usize> {
        self.phase[resident]
    }

    /// How much a wait day of `resident` weighs: the first of n phases n, the last 1.
    pub fn phase_factor(&self, resident: ResidentIdx) -> f64 {
        let n = self.problem.phase_count();
        let p = self.phase[resident].unwrap_or(n - 1);
        (n - p) as f64
    }

    /// The cost of one dose of `resident` in `band` alone: [`Costing::travel`] to its venue
    /// plus [`Costing::breaks`].
    pub fn dose(&self, resident: ResidentIdx, band: BandIdx) -> f64 {
        self.travel(resident, self.problem.bands[band].venue) + self.breaks(resident, band)
    }

    /// The weighted distance from `resident`'s home to `venue`, for one dose.
    pub fn travel(&self, resident: ResidentIdx, venue: VenueIdx) -> f64 {
        self.weights.km * self.km(resident, venue)
    }

    /// The weighted preferences `resident` breaks in `band`: the count of
    /// [`Problem::preference_breaks`], from bits prepared once.
    pub fn breaks(&self, resident: ResidentIdx, band: BandIdx) -> f64 {
        let venue_broken = self.venue_ok[resident]
            .as_ref()
            .is_some_and(|ok| !ok[self.problem.bands[band].venue]);
        let count = u8::from(venue_broken)
            + u8::from(self.avoid_days[resident] & self.band_day_bit[band] != 0)
            + u8::from(self.avoid_times[resident] & self.band_time_bit[band] != 0);
        self.weights.preference * f64::from(count)
    }

    /// The weighted venue preference `resident` breaks at `venue` (the part of
    /// [`Costing::breaks`] every band of the venue shares): a lower bound the searches use.
    pub fn venue_break(&self, resident: ResidentIdx, venue: VenueIdx) -> f64 {
        let broken = self.venue_ok[resident]
            .as_ref()
            .is_some_and(|ok| !ok[venue]);
        self.weights.preference * f64::from(u8::from(broken))
    }

    /// The weighted weekday preference `resident` breaks on the day of `band` (the part of
    /// [`Costing::breaks`] every band of that day shares).
    pub fn day_break(&self, resident: ResidentIdx, band: BandIdx) -> f64 {
        let broken = self.avoid_days[resident] & self.band_day_bit[band] != 0;
        self.weights.preference * f64::from(u8::from(broken))
    }

    /// Days `resident` waits for dose 1 in `band`, times the phase factor.
    pub fn weighted_wait(&self, resident: ResidentIdx, band: BandIdx) -> f64 {
        match self.opens(resident) {
            Some(opens) => {
                let waited = (self.problem.bands[band].date - opens).num_days().max(0);
                waited as f64 * self.phase_factor(resident)
            }
            None => 0.0,
        }
    }

    /// Days off the standard interval and whether at another venue, for dose 2 in `second`
    /// after dose 1 on `day1` at `venue1` (unknown venue: never "another").
    pub fn interval(
        &self,
        day1: NaiveDate,
        venue1: Option<VenueIdx>,
        second: BandIdx,
    ) -> (u32, bool) {
        let p = self.problem;
        let b2 = &p.bands[second];
        let gap = (b2.date - day1).num_days();
        let off = gap.abs_diff(i64::from(p.window.standard_days)) as u32;
        (off, venue1.is_some_and(|v| v != b2.venue))
    }

    /// The weighted cost of [`Costing::interval`]'s figures.
    pub fn interval_cost(&self, off_days: u32, other_venue: bool) -> f64 {
        self.weights.off_standard_day * f64::from(off_days)
            + self.weights.other_venue * f64::from(u8::from(other_venue))
    }

    /// The cost of `resident` holding `seats`: the sum of [`Costing::dose`] for each seat,
    /// the weighted wait, the interval cost and, without both doses, the unplaced penalty.
    pub fn resident(&self, resident: ResidentIdx, seats: Seats) -> ResidentCost {
        let p = self.problem;
        let r = &p.residents[resident];
        let w = &self.weights;
        let mut c = ResidentCost::default();
        let mut dose_cost = 0.0;
        for band in [seats.first, seats.second].into_iter().flatten() {
            let b = &p.bands[band];
            c.km += self.km(resident, b.venue);
            c.preference_breaks += p.preference_breaks(r, b);
            dose_cost += self.dose(resident, band);
        }
        if let Some(first) = seats.first {
            c.weighted_wait_days = self.weighted_wait(resident, first);
        }
        let first_day = seats
            .first
            .map(|b| (p.bands[b].date, Some(p.bands[b].venue)))
            .or(r.first_given.map(|g| (g.date, g.venue)));
        if let (Some((day1, venue1)), Some(second)) = (first_day, seats.second) {
            (c.off_standard_days, c.other_venue) = self.interval(day1, venue1, second);
        }
        c.unplaced = seats.second.is_none() || (seats.first.is_none() && r.first_given.is_none());
        c.total = dose_cost
            + w.wait_day * c.weighted_wait_days
            + self.interval_cost(c.off_standard_days, c.other_venue)
            + w.unplaced * f64::from(u8::from(c.unplaced));
        c
    }

    /// The problem priced.
    pub fn problem(&self) -> &'a Problem {
        self.problem
    }
}

/// The objective of `schedule` for `problem` (see the module text).
pub fn objective(problem: &Problem, schedule: &Schedule) -> Objective {
    let costing = Costing::new(problem);
    let mut o = Objective::default();
    let mut stops = HashSet::new();
    for (i, &seats) in schedule.seats.iter().enumerate() {
        let c = costing.resident(i, seats);
        o.total += c.total;
        o.km += c.km;
        o.preference_breaks += c.preference_breaks;
        o.weighted_wait_days += c.weighted_wait_days;
        o.off_standard_days += c.off_standard_days;
        o.other_venue += u32::from(c.other_venue);
        o.unplaced += u32::from(c.unplaced);
        if problem.residents[i].needs_transport {
            for band in [seats.first, seats.second].into_iter().flatten() {
                let b = &problem.bands[band];
                stops.insert((b.venue, b.date));
            }
        }
    }
    o.rider_stops = stops.len() as u32;
    o.total += problem.weights.rider_stop * f64::from(o.rider_stops);
    o
}
