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
}

impl<'a> Costing<'a> {
    /// Prepares the pricing of `problem` (phases of every resident, the campaign start).
    pub fn new(problem: &'a Problem) -> Self {
        Self {
            problem,
            weights: problem.weights,
            campaign_start: problem.bands.iter().map(|b| b.date).min(),
            phase: problem
                .residents
                .iter()
                .map(|r| problem.phase_of(r))
                .collect(),
        }
    }

    /// The day `resident`'s phase opens: its own earliest day, or the campaign start.
    pub fn opens(&self, resident: ResidentIdx) -> Option<NaiveDate> {
        let from_phase = self.phase[resident].and_then(|p| self.problem.phase_opens(p));
        match (from_phase, self.campaign_start) {
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

    /// The cost of one dose of `resident` in `band` alone: distance and broken preferences.
    pub fn dose(&self, resident: ResidentIdx, band: BandIdx) -> f64 {
        let p = self.problem;
        let r = &p.residents[resident];
        let b = &p.bands[band];
        self.weights.km * r.home.distance_km(p.venues[b.venue].location)
            + self.weights.preference * f64::from(p.preference_breaks(r, b))
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
            c.km += r.home.distance_km(p.venues[b.venue].location);
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
