//! The two-dose planner: [`plan`] gives both doses to every willing resident who lacks them.
//!
//! Three stages (docs/planning.md):
//! 1. **Greedy construction by phase.** Residents in priority order (phase, riders first,
//!    then oldest first, ties broken by the seed). Each takes the cheapest (dose 1, dose 2)
//!    pair by [`Costing`] among the bands with room. Per venue the search walks only bands
//!    with a place left and stops as soon as the waiting cost alone exceeds the best pair
//!    found; dose 2 is searched once per dose-1 day and keeps off the days the dose 1 of
//!    later residents needs when it can.
//! 2. **Repair.** Residents left without a pair get one by moving others' dose 2 within
//!    their own windows (chains of moves, or one move out of a full dose-1 band).
//! 3. **Bounded improvement.** Reinsert, swap and compound re-seat moves, each kept only if
//!    the objective goes down, then ruin and exact repair ([`crate::lns`]: a few related
//!    residents' pairs emptied and re-seated by a branch and bound); a fixed number of steps
//!    and iterations (deterministic for a seed), ended early by `improve_stop` (a time
//!    budget) or `stop` (cancellation).

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

use chrono::NaiveDate;

use crate::index::{allowed, day_number, Index, Load};
use crate::model::{BandIdx, Dose, Problem, ProblemError, ResidentIdx, Seats, VenueIdx};
use crate::objective::Costing;

/// Tells a long run to stop early; polled between residents and improvement steps.
pub trait StopSignal {
    /// Whether to stop now.
    fn should_stop(&self) -> bool;
}

/// Never stops.
#[derive(Debug, Clone, Copy, Default)]
pub struct Never;

impl StopSignal for Never {
    fn should_stop(&self) -> bool {
        false
    }
}

/// Stops at a moment the caller chose (the caller's clock decided the instant).
#[derive(Debug, Clone, Copy)]
pub struct Deadline(pub Instant);

impl StopSignal for Deadline {
    fn should_stop(&self) -> bool {
        Instant::now() >= self.0
    }
}

impl StopSignal for AtomicBool {
    fn should_stop(&self) -> bool {
        self.load(Ordering::Relaxed)
    }
}

/// Stops when either signal does.
struct Either<'a>(&'a dyn StopSignal, &'a dyn StopSignal);

impl StopSignal for Either<'_> {
    fn should_stop(&self) -> bool {
        self.0.should_stop() || self.1.should_stop()
    }
}

/// How to run the planner or the reshuffle engine.
#[derive(Clone, Copy)]
pub struct PlanOptions<'a> {
    /// Seed of the tie-breaks and the improvement's choices: same seed, same plan.
    pub seed: u64,
    /// Improvement steps per resident planned (0: greedy only).
    pub improvement_steps_per_resident: u32,
    /// Cancels the whole run: residents not reached are reported [`UnplacedReason::Stopped`].
    pub stop: &'a dyn StopSignal,
    /// Ends only the improvement stage (a time budget: pass a [`Deadline`]); the plan is
    /// complete whenever it fires.
    pub improve_stop: &'a dyn StopSignal,
}

impl Default for PlanOptions<'_> {
    fn default() -> Self {
        Self {
            seed: 0,
            improvement_steps_per_resident: 8,
            stop: &Never,
            improve_stop: &Never,
        }
    }
}

/// Why a resident (or one dose of theirs) has no band.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum UnplacedReason {
    /// The resident belongs to no configured priority phase.
    NotInAnyPhase,
    /// No band with a free place is left (from the day the phase opens).
    NoRoom,
    /// Bands with places are left, but no doses on those days.
    NoSupply,
    /// Dose 1 would fit, but no band for dose 2 within the interval window.
    NoRoomInWindow,
    /// Bands with places are left, but on none of them (or on no pair of them) is the
    /// resident old enough for the product (its dated minimum age, counted on the day of the
    /// dose as the booth counts it).
    BelowMinimumAge,
    /// A transport rider, and no bus-served band has room.
    NoBusServedBand,
    /// The resident's own request (reshuffle) cannot be met: nothing in the dates/venue asked.
    NoBandAsRequested,
    /// The run was stopped before the resident was reached.
    Stopped,
    /// Reshuffle: the resident held no booking before the change and was not affected (the
    /// planner, not the reshuffle, books them).
    NoBookingBefore,
}

/// A resident left without a band for `dose` (and for dose 2 when `dose` is dose 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Unplaced {
    /// The resident.
    pub resident: ResidentIdx,
    /// The first dose without a band.
    pub dose: Dose,
    /// Why.
    pub reason: UnplacedReason,
}

/// A whole plan: the seats of every resident (parallel to [`Problem::residents`]) and those
/// left without.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Schedule {
    /// Seats of every resident, existing bookings included.
    pub seats: Vec<Seats>,
    /// Residents who lack a dose, each with the reason.
    pub unplaced: Vec<Unplaced>,
}

/// A small deterministic generator (SplitMix64): the planner needs a few cheap random choices
/// and must give the same plan for the same seed on every platform.
#[derive(Debug, Clone)]
pub(crate) struct SplitMix(u64);

impl SplitMix {
    pub fn new(seed: u64) -> Self {
        Self(seed ^ 0x5DEE_CE66_D1CE_5EED)
    }

    pub fn next_u64(&mut self) -> u64 {
        self.0 = self.0.wrapping_add(0x9E37_79B9_7F4A_7C15);
        let mut z = self.0;
        z = (z ^ (z >> 30)).wrapping_mul(0xBF58_476D_1CE4_E5B9);
        z = (z ^ (z >> 27)).wrapping_mul(0x94D0_49BB_1331_11EB);
        z ^ (z >> 31)
    }

    /// Uniform in `0..n` (`n` > 0).
    pub fn below(&mut self, n: usize) -> usize {
        ((u128::from(self.next_u64()) * n as u128) >> 64) as usize
    }
}

/// The search both [`plan`] and the reshuffle engine use to seat residents.
pub(crate) struct Seater<'a> {
    pub problem: &'a Problem,
    pub index: Index,
    pub costing: Costing<'a>,
    pub load: Load,
    /// Transport riders' bookings per slot (venue day): pooling prices opening a new one.
    pub rider_count: Vec<u32>,
    /// Transport riders' bookings per rider limit (the fleet's seats).
    pub limit_riders: Vec<u32>,
    /// Per venue, the positions (in `index.venue_bands`) of open bands with a place left:
    /// the searches walk these and never the full bands.
    room: Vec<std::collections::BTreeSet<u32>>,
    /// Per venue day (slot): how many of its bands are open with a place left, so the
    /// dose-2 search passes over a full day without looking at its bands.
    slot_open: Vec<u16>,
    /// Per day from the campaign start: kept for dose 1 (dose 2 goes elsewhere when it
    /// can); see `dose_one_days`. Empty: no reservation.
    pub reserved: Vec<bool>,
}

/// Where a dose may go: a day range and venues (all when `None`).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Bounds<'b> {
    pub from_day: i32,
    pub to_day: i32,
    pub venues: Option<&'b [VenueIdx]>,
}

impl Bounds<'_> {
    pub fn open() -> Self {
        Self {
            from_day: i32::MIN,
            to_day: i32::MAX,
            venues: None,
        }
    }
}

impl<'a> Seater<'a> {
    pub fn new(problem: &'a Problem, seats: &[Seats]) -> Self {
        let index = Index::new(problem);
        let load = Load::of(problem, &index, seats.iter());
        let mut rider_count = vec![0; index.slot_supply.len()];
        let mut limit_riders = vec![0; problem.rider_limits.len()];
        for (r, s) in problem.residents.iter().zip(seats) {
            if r.needs_transport {
                for b in [s.first, s.second].into_iter().flatten() {
                    rider_count[index.slot[b]] += 1;
                    if let Some(k) = index.rider_limit[b] {
                        limit_riders[k] += 1;
                    }
                }
            }
        }
        let room = index
            .venue_bands
            .iter()
            .map(|list| {
                list.iter()
                    .filter(|&&b| {
                        !problem.bands[b].closed && load.band[b] < problem.bands[b].capacity
                    })
                    .map(|&b| index.position[b])
                    .collect()
            })
            .collect();
        let mut slot_open = vec![0u16; index.slot_supply.len()];
        for (b, band) in problem.bands.iter().enumerate() {
            if !band.closed && load.band[b] < band.capacity {
                slot_open[index.slot[b]] += 1;
            }
        }
        Self {
            costing: Costing::new(problem),
            problem,
            index,
            load,
            rider_count,
            limit_riders,
            room,
            slot_open,
            reserved: Vec::new(),
        }
    }

    /// Whether `band` is open with a place left (supply aside).
    fn band_open(&self, band: BandIdx) -> bool {
        let b = &self.problem.bands[band];
        !b.closed && self.load.band[band] < b.capacity
    }

    /// Whether some band of venue-day `slot` may take one more booking: one open with a
    /// place left, and a dose left that day.
    pub(crate) fn slot_has_room(&self, slot: usize) -> bool {
        self.slot_open[slot] > 0
            && self.index.slot_supply[slot].is_none_or(|s| self.load.slot[slot] < s)
    }

    pub fn usable(&self, r: ResidentIdx, band: BandIdx) -> bool {
        allowed(self.problem, &self.problem.residents[r], band)
            && self.load.has_room(self.problem, &self.index, band)
            && self.bus_has_room(r, band)
    }

    /// Whether the fleet carries one more rider to `band` (always, for a resident who
    /// needs no bus or a band in no rider limit).
    pub fn bus_has_room(&self, r: ResidentIdx, band: BandIdx) -> bool {
        !self.problem.residents[r].needs_transport
            || self.index.rider_limit[band]
                .is_none_or(|k| self.limit_riders[k] < self.problem.rider_limits[k].riders)
    }

    /// Pooling: a rider opening a venue day no rider uses yet costs one more stop.
    pub(crate) fn stop_cost(&self, r: ResidentIdx, band: BandIdx) -> f64 {
        if self.problem.residents[r].needs_transport && self.rider_count[self.index.slot[band]] == 0
        {
            self.problem.weights.rider_stop
        } else {
            0.0
        }
    }

    pub fn take(&mut self, r: ResidentIdx, band: BandIdx) {
        let was_open = self.band_open(band);
        self.load.add(&self.index, band);
        if self.load.band[band] >= self.problem.bands[band].capacity {
            let v = self.problem.bands[band].venue;
            self.room[v].remove(&self.index.position[band]);
        }
        if was_open && !self.band_open(band) {
            self.slot_open[self.index.slot[band]] -= 1;
        }
        if self.problem.residents[r].needs_transport {
            self.rider_count[self.index.slot[band]] += 1;
            if let Some(k) = self.index.rider_limit[band] {
                self.limit_riders[k] += 1;
            }
        }
    }

    pub fn release(&mut self, r: ResidentIdx, band: BandIdx) {
        let was_open = self.band_open(band);
        self.load.remove(&self.index, band);
        let b = &self.problem.bands[band];
        if !b.closed && self.load.band[band] < b.capacity {
            self.room[b.venue].insert(self.index.position[band]);
        }
        if !was_open && self.band_open(band) {
            self.slot_open[self.index.slot[band]] += 1;
        }
        if self.problem.residents[r].needs_transport {
            self.rider_count[self.index.slot[band]] -= 1;
            if let Some(k) = self.index.rider_limit[band] {
                self.limit_riders[k] -= 1;
            }
        }
    }

    /// What `r` holding `seats` costs the objective, pooling included: the resident's own
    /// cost plus a stop for each venue day only this rider uses.
    pub fn held_cost(&self, r: ResidentIdx, seats: Seats) -> f64 {
        let mut cost = self.costing.resident(r, seats).total;
        if self.problem.residents[r].needs_transport {
            let slots: Vec<usize> = [seats.first, seats.second]
                .into_iter()
                .flatten()
                .map(|b| self.index.slot[b])
                .collect();
            for (i, &slot) in slots.iter().enumerate() {
                let mine = slots.iter().filter(|&&s| s == slot).count() as u32;
                if self.rider_count[slot] == mine && !slots[..i].contains(&slot) {
                    cost += self.problem.weights.rider_stop;
                }
            }
        }
        cost
    }

    /// The best band for dose 2 of `r` after dose 1 on day number `day1` at `venue1`, within
    /// the window and `bounds`, with its cost (dose cost, interval cost, stop cost); `except`
    /// is a band that must not be used (dose 1's own, when not yet taken).
    pub fn best_second(
        &self,
        r: ResidentIdx,
        day1: i32,
        venue1: Option<VenueIdx>,
        bounds: Bounds<'_>,
        except: Option<BandIdx>,
    ) -> Option<(BandIdx, f64)> {
        if !self.reserved.is_empty() {
            if let Some(found) = self.best_second_within(r, day1, venue1, bounds, except, true) {
                return Some(found);
            }
        }
        self.best_second_within(r, day1, venue1, bounds, except, false)
    }

    fn best_second_within(
        &self,
        r: ResidentIdx,
        day1: i32,
        venue1: Option<VenueIdx>,
        bounds: Bounds<'_>,
        except: Option<BandIdx>,
        skip_reserved: bool,
    ) -> Option<(BandIdx, f64)> {
        let p = self.problem;
        let w = &p.window;
        let standard = day1 + w.standard_days as i32;
        let lo = (day1 + w.min_days as i32).max(bounds.from_day);
        let hi = (day1 + w.max_days as i32).min(bounds.to_day);
        let one: [VenueIdx; 1];
        let all: Vec<VenueIdx>;
        let venues: &[VenueIdx] = match (venue1, p.allow_other_venue, bounds.venues) {
            (_, _, Some(list)) => list,
            (Some(v), false, None) => {
                one = [v];
                &one
            }
            _ => {
                all = (0..p.venues.len()).collect();
                &all
            }
        };
        let day1_date = date_of(day1);
        // No band here costs less than the nearest venue's travel.
        let nearest = venues
            .iter()
            .map(|&v| self.costing.travel(r, v) + self.costing.venue_break(r, v))
            .fold(f64::INFINITY, f64::min);
        let mut best: Option<(BandIdx, f64)> = None;
        let span = (w.max_days - w.min_days) as i32 + (standard - lo).abs() + 1;
        for k in 0..=(2 * span) {
            let off = if k % 2 == 0 { k / 2 } else { -(k + 1) / 2 };
            let d = standard + off;
            if d < lo || d > hi {
                if standard + k / 2 > hi && standard - k / 2 < lo {
                    break;
                }
                continue;
            }
            let floor = nearest + p.weights.off_standard_day * f64::from(off.unsigned_abs());
            if best.is_some_and(|(_, c)| c <= floor) {
                break;
            }
            if skip_reserved
                && self
                    .reserved
                    .get((d - self.index.campaign_start) as usize)
                    .copied()
                    .unwrap_or(false)
            {
                continue;
            }
            for &v in venues {
                if venue1.is_some_and(|v1| v1 != v) && !p.allow_other_venue {
                    continue;
                }
                let bands = self.index.bands_on(v, d);
                if bands.is_empty() || !self.slot_has_room(self.index.slot[bands[0]]) {
                    continue;
                }
                // Same day and venue for all these bands: distance and interval priced once.
                let (off_days, other) = self.costing.interval(day1_date, venue1, bands[0]);
                let shared =
                    self.costing.interval_cost(off_days, other) + self.costing.travel(r, v);
                // No band of the day costs less: bands of a day differ only by the time of
                // day and the pooling stop.
                let day_floor =
                    shared + self.costing.venue_break(r, v) + self.costing.day_break(r, bands[0]);
                for &b in bands {
                    if best.is_some_and(|(_, c)| c <= day_floor) {
                        break;
                    }
                    if Some(b) == except || !self.usable(r, b) {
                        continue;
                    }
                    let cost = shared + self.costing.breaks(r, b) + self.stop_cost(r, b);
                    if best.is_none_or(|(_, c)| cost < c) {
                        best = Some((b, cost));
                    }
                }
            }
        }
        best
    }

    /// The best (dose 1, dose 2) pair for `r` with dose 1 within `bounds1` (and after the
    /// phase opens) costing less than `below`, with its cost. `dead` (per slot, a bit for
    /// riders and one for the others) remembers venue days whose dose 1 found no dose 2:
    /// valid only while loads only grow (the greedy), `None` otherwise.
    pub fn best_pair(
        &self,
        r: ResidentIdx,
        bounds1: Bounds<'_>,
        mut dead: Option<&mut [u8]>,
        below: f64,
    ) -> Option<(BandIdx, BandIdx, f64)> {
        let p = self.problem;
        let opens = self
            .costing
            .first_bookable(r)
            .map(day_number)
            .unwrap_or(i32::MIN)
            .max(bounds1.from_day);
        let factor = self.costing.phase_factor(r) * p.weights.wait_day;
        // Only pairs cheaper than `below` count; a sentinel band stands for the bound.
        let mut best: Option<(BandIdx, BandIdx, f64)> =
            below.is_finite().then_some((usize::MAX, usize::MAX, below));
        let all: Vec<VenueIdx>;
        let venues = match bounds1.venues {
            Some(list) => list,
            None => {
                all = (0..p.venues.len()).collect();
                &all
            }
        };
        let opens_day = self
            .costing
            .opens(r)
            .map(day_number)
            .unwrap_or(self.index.campaign_start);
        for &v in venues {
            let km = self.costing.travel(r, v);
            // Every band of the venue breaks the same venue preference, dose 2 too when it
            // stays at the venue.
            let at_venue = km + self.costing.venue_break(r, v);
            let floor_v = if p.allow_other_venue {
                at_venue
            } else {
                2.0 * at_venue
            };
            let list = &self.index.venue_bands[v];
            let start = self.index.first_on_or_after(v, opens) as u32;
            let class = if p.residents[r].needs_transport { 2 } else { 1 };
            // Dose 2 depends on dose 1's day and venue only: one search per day.
            let mut second_of_day: Option<(i32, Option<(BandIdx, f64)>)> = None;
            for &k in self.room[v].range(start..) {
                let b1 = list[k as usize];
                let d1 = self.index.day[b1];
                if d1 > bounds1.to_day {
                    break;
                }
                let wait = f64::from((d1 - opens_day).max(0)) * factor;
                if best.is_some_and(|(_, _, c)| c <= floor_v + wait) {
                    break;
                }
                let slot = self.index.slot[b1];
                if dead.as_ref().is_some_and(|d| d[slot] & class != 0) || !self.usable(r, b1) {
                    continue;
                }
                let first = km + self.costing.breaks(r, b1) + wait + self.stop_cost(r, b1);
                if best.is_some_and(|(_, _, c)| c <= first + floor_v - at_venue) {
                    continue;
                }
                let second = match second_of_day {
                    Some((day, found)) if day == d1 => found,
                    _ => {
                        let found = self.best_second(r, d1, Some(v), Bounds::open(), Some(b1));
                        second_of_day = Some((d1, found));
                        found
                    }
                };
                match second {
                    Some((b2, second)) => {
                        let total = first + second;
                        if best.is_none_or(|(_, _, c)| total < c) {
                            best = Some((b1, b2, total));
                        }
                    }
                    None => {
                        if let Some(d) = dead.as_deref_mut() {
                            d[slot] |= class;
                        }
                    }
                }
            }
        }
        best.filter(|&(b1, _, _)| b1 != usize::MAX)
    }

    /// Why no pair was found for `r` (dose 1 within `bounds1`).
    pub fn why_not(&self, r: ResidentIdx, bounds1: Bounds<'_>) -> UnplacedReason {
        let p = self.problem;
        if self.costing.phase(r).is_none() {
            return UnplacedReason::NotInAnyPhase;
        }
        let opens = self
            .costing
            .opens(r)
            .map(day_number)
            .unwrap_or(i32::MIN)
            .max(bounds1.from_day);
        let in_bounds = |b: BandIdx| {
            let d = self.index.day[b];
            d >= opens
                && d <= bounds1.to_day
                && bounds1
                    .venues
                    .is_none_or(|vs| vs.contains(&p.bands[b].venue))
        };
        let place = |b: BandIdx| !p.bands[b].closed && self.load.band[b] < p.bands[b].capacity;
        if !(0..p.bands.len()).any(|b| in_bounds(b) && place(b)) {
            return UnplacedReason::NoRoom;
        }
        let old_enough = |b: BandIdx| p.old_enough(&p.residents[r], &p.bands[b]);
        if !(0..p.bands.len()).any(|b| in_bounds(b) && place(b) && old_enough(b)) {
            return UnplacedReason::BelowMinimumAge;
        }
        // Is there a pair with places at all, then one a rider may take?
        let pair_exists = |ok: &dyn Fn(BandIdx) -> bool| {
            (0..p.bands.len()).any(|b1| {
                in_bounds(b1) && ok(b1) && {
                    let d1 = self.index.day[b1];
                    let v1 = p.bands[b1].venue;
                    (p.window.min_days..=p.window.max_days).any(|gap| {
                        let d2 = d1 + gap as i32;
                        (0..p.venues.len())
                            .filter(|&v| p.allow_other_venue || v == v1)
                            .any(|v| self.index.bands_on(v, d2).iter().any(|&b2| ok(b2)))
                    })
                }
            })
        };
        if !pair_exists(&place) {
            return UnplacedReason::NoRoomInWindow;
        }
        if !pair_exists(&|b| place(b) && old_enough(b)) {
            return UnplacedReason::BelowMinimumAge;
        }
        if p.riders_need_bus
            && p.residents[r].needs_transport
            && !pair_exists(&|b| place(b) && old_enough(b) && p.bands[b].bus_served)
        {
            return UnplacedReason::NoBusServedBand;
        }
        UnplacedReason::NoSupply
    }

    /// Why no dose-2 band was found after dose 1 on `day1` at `venue1`.
    pub fn why_not_second(
        &self,
        r: ResidentIdx,
        day1: i32,
        venue1: Option<VenueIdx>,
    ) -> UnplacedReason {
        let p = self.problem;
        let w = &p.window;
        let lo = day1 + w.min_days as i32;
        let hi = day1 + w.max_days as i32;
        let in_window = |b: BandIdx| {
            let d = self.index.day[b];
            d >= lo
                && d <= hi
                && (p.allow_other_venue || venue1.is_none_or(|v| v == p.bands[b].venue))
        };
        let rider = p.residents[r].needs_transport && p.riders_need_bus;
        let placed = |b: BandIdx| !p.bands[b].closed && self.load.band[b] < p.bands[b].capacity;
        if rider
            && (0..p.bands.len()).any(|b| in_window(b) && placed(b))
            && !(0..p.bands.len()).any(|b| in_window(b) && placed(b) && p.bands[b].bus_served)
        {
            return UnplacedReason::NoBusServedBand;
        }
        if (0..p.bands.len()).any(|b| in_window(b) && placed(b) && allowed(p, &p.residents[r], b)) {
            return UnplacedReason::NoSupply;
        }
        if (0..p.bands.len())
            .any(|b| in_window(b) && placed(b) && !p.old_enough(&p.residents[r], &p.bands[b]))
        {
            return UnplacedReason::BelowMinimumAge;
        }
        UnplacedReason::NoRoomInWindow
    }
}

/// The date of a day number.
pub(crate) fn date_of(day: i32) -> chrono::NaiveDate {
    chrono::NaiveDate::from_num_days_from_ce_opt(day).expect("day numbers come from dates")
}

/// Plans both doses for every resident of `problem` who lacks them; existing bookings are
/// kept as they are. Validates the problem first.
pub fn plan(problem: &Problem, options: &PlanOptions<'_>) -> Result<Schedule, ProblemError> {
    problem.validate()?;
    let mut seats: Vec<Seats> = problem.residents.iter().map(|r| r.booked).collect();
    let mut seater = Seater::new(problem, &seats);
    let mut rng = SplitMix::new(options.seed);

    // Priority order: phase, then oldest first, ties by a seeded key.
    let mut order: Vec<(usize, bool, chrono::NaiveDate, u64, ResidentIdx)> = problem
        .residents
        .iter()
        .enumerate()
        .filter(|(_, r)| r.booked.second.is_none())
        .map(|(i, r)| {
            let phase = seater.costing.phase(i).unwrap_or(usize::MAX);
            // Riders first within a phase: they have the fewest bands to choose from.
            (phase, !r.needs_transport, r.birth_date, rng.next_u64(), i)
        })
        .collect();
    order.sort_unstable();

    let mut dead = vec![0u8; seater.index.slot_supply.len()];
    seater.reserved = dose_one_days(&seater, &order);
    let mut unplaced = Vec::new();
    let mut planned: Vec<ResidentIdx> = Vec::new();
    for (n, &(phase, _, _, _, r)) in order.iter().enumerate() {
        if n % 256 == 0 && options.stop.should_stop() {
            for &(_, _, _, _, rest) in &order[n..] {
                let dose = if seats[rest].first.is_none()
                    && problem.residents[rest].first_given.is_none()
                {
                    Dose::First
                } else {
                    Dose::Second
                };
                unplaced.push(Unplaced {
                    resident: rest,
                    dose,
                    reason: UnplacedReason::Stopped,
                });
            }
            break;
        }
        let resident = &problem.residents[r];
        let anchor = match (seats[r].first, resident.first_given) {
            (Some(b), _) => Some((seater.index.day[b], Some(problem.bands[b].venue))),
            (None, Some(g)) => Some((day_number(g.date), g.venue)),
            (None, None) => None,
        };
        if let Some((day1, venue1)) = anchor {
            match seater.best_second(r, day1, venue1, Bounds::open(), None) {
                Some((b2, _)) => {
                    seater.take(r, b2);
                    seats[r].second = Some(b2);
                }
                None => unplaced.push(Unplaced {
                    resident: r,
                    dose: Dose::Second,
                    reason: seater.why_not_second(r, day1, venue1),
                }),
            }
            continue;
        }
        if phase == usize::MAX {
            unplaced.push(Unplaced {
                resident: r,
                dose: Dose::First,
                reason: UnplacedReason::NotInAnyPhase,
            });
            continue;
        }
        match seater.best_pair(r, Bounds::open(), Some(&mut dead), f64::INFINITY) {
            Some((b1, b2, _)) => {
                seater.take(r, b1);
                seater.take(r, b2);
                seats[r] = Seats {
                    first: Some(b1),
                    second: Some(b2),
                };
                planned.push(r);
            }
            // The reason is found once the greedy is done (see `explain`).
            None => unplaced.push(Unplaced {
                resident: r,
                dose: Dose::First,
                reason: UnplacedReason::NoRoomInWindow,
            }),
        }
    }
    explain(&seater, &mut unplaced);

    repair(
        &mut seater,
        &mut seats,
        &mut unplaced,
        &mut planned,
        options.stop,
    );
    // Small runs get a floor of steps: they are cheap and gain the most from them.
    let per_resident = u64::from(options.improvement_steps_per_resident);
    let steps = (planned.len() as u64 * per_resident).max(per_resident * MIN_IMPROVEMENT_STEPS);
    let either = Either(options.stop, options.improve_stop);
    improve(&mut seater, &mut seats, &planned, steps, &mut rng, &either);
    // Ruin and exact repair: a fixed number of iterations per unit of steps, within the
    // same budget (on a city, the moves above spend most of it).
    let iterations = per_resident * LNS_ITERATIONS;
    crate::lns::ruin_and_repair(
        &mut seater,
        &mut seats,
        &mut planned,
        &mut unplaced,
        iterations,
        &mut rng,
        &either,
    );
    explain(&seater, &mut unplaced);
    unplaced.sort_by_key(|u| u.resident);
    Ok(Schedule { seats, unplaced })
}

/// The days the dose 1 of everyone still to plan needs, if every place of those days went
/// to a dose 1: phases in order, each from its opening day. Dose 2 keeping off those days
/// is what lets a tight calendar place everyone (dose 2 at the standard interval would take
/// the days later phases need for dose 1).
fn dose_one_days(
    seater: &Seater<'_>,
    order: &[(usize, bool, NaiveDate, u64, ResidentIdx)],
) -> Vec<bool> {
    let p = seater.problem;
    let start = seater.index.campaign_start;
    let span = (seater.index.campaign_end - start + 1).max(0) as usize;
    let mut free = vec![0u64; span];
    for (b, band) in p.bands.iter().enumerate() {
        if !band.closed {
            free[(seater.index.day[b] - start) as usize] +=
                u64::from(band.capacity.saturating_sub(seater.load.band[b]));
        }
    }
    let mut reserved = vec![false; span];
    let mut demand: Vec<(usize, u64)> = Vec::new();
    for &(phase, _, _, _, r) in order {
        if phase == usize::MAX || p.residents[r].first_given.is_some() {
            continue;
        }
        match demand.last_mut() {
            Some((q, n)) if *q == phase => *n += 1,
            _ => demand.push((phase, 1)),
        }
    }
    let mut day = 0usize;
    for (phase, mut n) in demand {
        let opens = seater
            .problem
            .phase_opens(phase)
            .map(|d| (day_number(d) - start).max(0) as usize)
            .unwrap_or(0);
        day = day.max(opens);
        while n > 0 && day < span {
            let take = free[day].min(n);
            free[day] -= take;
            n -= take;
            reserved[day] = true;
            if free[day] == 0 {
                day += 1;
            }
        }
    }
    reserved
}

/// Sets the reason of every resident without a dose-1 pair from the loads as they are now.
/// Residents of one phase opening day, transport need and first day old enough share the
/// answer, so the
/// search behind it runs once per such class, not once per resident.
pub(crate) fn explain(seater: &Seater<'_>, unplaced: &mut [Unplaced]) {
    // With age limits that never rise, the first day a resident is old enough decides every
    // day they are; otherwise only the birth date does.
    let ages = &seater.problem.minimum_age;
    let mut limit = ages.at_approval;
    let never_rises = ages.changes.iter().all(|&(_, years)| {
        let falls = years <= limit;
        limit = years;
        falls
    });
    type Class = (Option<NaiveDate>, bool, Option<NaiveDate>);
    let mut known: std::collections::HashMap<Class, UnplacedReason> =
        std::collections::HashMap::new();
    for u in unplaced.iter_mut() {
        if u.dose != Dose::First
            || matches!(
                u.reason,
                UnplacedReason::NotInAnyPhase
                    | UnplacedReason::Stopped
                    | UnplacedReason::NoBookingBefore
                    | UnplacedReason::NoBandAsRequested
            )
        {
            continue;
        }
        let key = (
            seater.costing.opens(u.resident),
            seater.problem.residents[u.resident].needs_transport,
            if never_rises {
                seater.costing.first_bookable(u.resident)
            } else {
                Some(seater.problem.residents[u.resident].birth_date)
            },
        );
        u.reason = *known
            .entry(key)
            .or_insert_with(|| seater.why_not(u.resident, Bounds::open()));
    }
}

/// Improvement steps of a small run, per unit of `improvement_steps_per_resident`.
const MIN_IMPROVEMENT_STEPS: u64 = 2_000;

/// Ruin-and-repair iterations ([`crate::lns`]) of a run, per unit of
/// `improvement_steps_per_resident`, whatever its size: each costs about a millisecond on the
/// 65,000-resident city, so a fixed count bounds the stage where no time budget is given
/// (the demo's plan).
const LNS_ITERATIONS: u64 = 64;

/// Band expansions the repair may spend in one run: bounds its time on a city short of
/// places, where most unplaced residents cannot be helped anyway.
const REPAIR_BUDGET: usize = 20_000;
/// Dose-1 bands tried per venue for each unplaced resident.
const REPAIR_FIRSTS_PER_VENUE: usize = 4;

/// Places residents the greedy left without dose 2 room ([`UnplacedReason::NoRoomInWindow`])
/// by a chain of dose-2 moves: the holder of a full band in the resident's window moves to
/// another band of their own window, whose holder moves on, until a band with room ends the
/// chain (a breadth-first search over bands, so the shortest chain). The greedy's liking for
/// the standard interval can fill the late dose-2 days that only early dose-1 days reach;
/// chains undo exactly that. Only doses planned in this run move; every move stays in its
/// resident's window.
fn repair(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    unplaced: &mut Vec<Unplaced>,
    planned: &mut Vec<ResidentIdx>,
    stop: &dyn StopSignal,
) {
    if !unplaced
        .iter()
        .any(|u| u.reason == UnplacedReason::NoRoomInWindow && u.dose == Dose::First)
    {
        return;
    }
    let p = seater.problem;
    let mut holders: Vec<Vec<ResidentIdx>> = vec![Vec::new(); p.bands.len()];
    for &r in planned.iter() {
        if let Some(b) = seats[r].second {
            holders[b].push(r);
        }
    }
    let mut budget = REPAIR_BUDGET;
    // Bands whose dose-2 holders were found unable to move: loads only grow here, so they
    // stay that way for the rest of the repair.
    let mut hopeless = vec![false; p.bands.len()];
    let mut still = Vec::with_capacity(unplaced.len());
    for u in std::mem::take(unplaced) {
        if u.reason != UnplacedReason::NoRoomInWindow
            || u.dose != Dose::First
            || budget == 0
            || stop.should_stop()
        {
            still.push(u);
            continue;
        }
        let r = u.resident;
        let opens = seater.costing.opens(r).map(day_number).unwrap_or(i32::MIN);
        let mut placed = false;
        'venues: for v in 0..p.venues.len() {
            let mut tried = 0;
            let mut k = seater.index.first_on_or_after(v, opens);
            while k < seater.index.venue_bands[v].len() && tried < REPAIR_FIRSTS_PER_VENUE {
                let b1 = seater.index.venue_bands[v][k];
                k += 1;
                if !seater.usable(r, b1) {
                    continue;
                }
                tried += 1;
                if let Some(b2) = chain_to_room(seater, seats, &mut holders, r, b1, &mut budget) {
                    seater.take(r, b1);
                    seater.take(r, b2);
                    seats[r] = Seats {
                        first: Some(b1),
                        second: Some(b2),
                    };
                    holders[b2].push(r);
                    planned.push(r);
                    placed = true;
                    break 'venues;
                }
                if budget == 0 {
                    break 'venues;
                }
            }
        }
        if !placed && make_room_for_first(seater, seats, &mut holders, &mut hopeless, r) {
            planned.push(r);
            placed = true;
        }
        if !placed {
            still.push(u);
        }
    }
    *unplaced = still;
}

/// Places `r` in a full band by moving one resident's dose 2 out of it to another band of
/// that resident's window with room (later, typically: the days a tight calendar needs for
/// dose 1 hold dose 2s that could as well be later). Dose 1 bands are tried from the day
/// `r`'s phase opens, nearest venue first; `r`'s own dose 2 must then fit.
fn make_room_for_first(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    holders: &mut [Vec<ResidentIdx>],
    hopeless: &mut [bool],
    r: ResidentIdx,
) -> bool {
    let p = seater.problem;
    let opens = seater.costing.opens(r).map(day_number).unwrap_or(i32::MIN);
    let mut venues: Vec<VenueIdx> = (0..p.venues.len()).collect();
    venues.sort_by(|&a, &b| {
        seater
            .costing
            .travel(r, a)
            .total_cmp(&seater.costing.travel(r, b))
    });
    for &v in &venues {
        let start = seater.index.first_on_or_after(v, opens);
        // Whether r's dose 2 fits after a dose 1 on the day (asked once per day).
        let mut second_fits: Option<(i32, bool)> = None;
        for k in start..seater.index.venue_bands[v].len() {
            let b1 = seater.index.venue_bands[v][k];
            let d1 = seater.index.day[b1];
            if hopeless[b1]
                || p.bands[b1].closed
                || !allowed(p, &p.residents[r], b1)
                || holders[b1].is_empty()
            {
                continue;
            }
            // r's dose 2 must fit first, or the move is pointless.
            let fits = match second_fits {
                Some((day, fits)) if day == d1 => fits,
                _ => {
                    let fits = seater
                        .best_second(r, d1, Some(v), Bounds::open(), Some(b1))
                        .is_some();
                    second_fits = Some((d1, fits));
                    fits
                }
            };
            if !fits {
                continue;
            }
            // Holders sharing a dose-1 band share the answer.
            let mut stuck: Vec<(BandIdx, bool)> = Vec::new();
            let mut moved_one = false;
            for i in 0..holders[b1].len() {
                let h = holders[b1][i];
                let h1 = seats[h].first.expect("planned residents hold dose 1");
                let key = (h1, p.residents[h].needs_transport);
                if stuck.contains(&key) {
                    continue;
                }
                let (dh, vh) = (seater.index.day[h1], p.bands[h1].venue);
                let Some((to, _)) = seater.best_second(h, dh, Some(vh), Bounds::open(), Some(b1))
                else {
                    stuck.push(key);
                    continue;
                };
                moved_one = true;
                seater.release(h, b1);
                seater.take(h, to);
                seats[h].second = Some(to);
                holders[b1].swap_remove(i);
                holders[to].push(h);
                if seater.usable(r, b1) {
                    seater.take(r, b1);
                    if let Some((b2, _)) = seater.best_second(r, d1, Some(v), Bounds::open(), None)
                    {
                        seater.take(r, b2);
                        seats[r] = Seats {
                            first: Some(b1),
                            second: Some(b2),
                        };
                        holders[b2].push(r);
                        return true;
                    }
                    seater.release(r, b1);
                }
                // Undo: r cannot use the place after all (supply of that day).
                seater.release(h, to);
                seater.take(h, b1);
                seats[h].second = Some(b1);
                let at = holders[to].iter().position(|&x| x == h).expect("moved");
                holders[to].swap_remove(at);
                holders[b1].push(h);
                break;
            }
            if !moved_one {
                hopeless[b1] = true;
            }
        }
    }
    false
}

/// Finds and carries out a chain of dose-2 moves that frees a band for `r`'s dose 2 after
/// dose 1 in `b1`; returns that band. On failure nothing has moved.
fn chain_to_room(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    holders: &mut [Vec<ResidentIdx>],
    r: ResidentIdx,
    b1: BandIdx,
    budget: &mut usize,
) -> Option<BandIdx> {
    let p = seater.problem;
    let w = p.window;
    // Bands a dose 2 anchored at (day1, venue1) may use.
    let window_bands = |day1: i32, venue1: VenueIdx| {
        let index = &seater.index;
        (w.min_days..=w.max_days).flat_map(move |gap| {
            (0..p.venues.len())
                .filter(move |&v| p.allow_other_venue || v == venue1)
                .flat_map(move |v| index.bands_on(v, day1 + gap as i32).iter().copied())
        })
    };
    // parent[band] = (band the mover came from, mover); the targets have no mover.
    let mut parent: std::collections::HashMap<BandIdx, Option<(BandIdx, ResidentIdx)>> =
        std::collections::HashMap::new();
    parent.insert(b1, None);
    let mut queue = std::collections::VecDeque::new();
    let (day1, venue1) = (seater.index.day[b1], p.bands[b1].venue);
    for t in window_bands(day1, venue1) {
        if p.bands[t].closed || !allowed(p, &p.residents[r], t) || parent.contains_key(&t) {
            continue;
        }
        if seater.usable(r, t) {
            return Some(t);
        }
        parent.insert(t, None);
        queue.push_back(t);
    }
    let mut end: Option<(BandIdx, BandIdx, ResidentIdx)> = None;
    'search: while let Some(x) = queue.pop_front() {
        if *budget == 0 {
            return None;
        }
        *budget -= 1;
        let mut seen_anchor = Vec::new();
        for &o in &holders[x] {
            let b1o = seats[o].first.expect("planned residents hold dose 1");
            let key = (b1o, p.residents[o].needs_transport);
            if seen_anchor.contains(&key) {
                continue;
            }
            seen_anchor.push(key);
            let (d1o, v1o) = (seater.index.day[b1o], p.bands[b1o].venue);
            for y in window_bands(d1o, v1o) {
                if parent.contains_key(&y) || p.bands[y].closed || !allowed(p, &p.residents[o], y) {
                    continue;
                }
                parent.insert(y, Some((x, o)));
                if seater.usable(o, y) {
                    end = Some((y, x, o));
                    break 'search;
                }
                queue.push_back(y);
            }
        }
    }
    let (mut to, mut from, mut mover) = end?;
    // Carry out the chain from its free end back to the target band.
    let mut done: Vec<(ResidentIdx, BandIdx, BandIdx)> = Vec::new();
    loop {
        seater.release(mover, from);
        seater.take(mover, to);
        seats[mover].second = Some(to);
        let at = holders[from]
            .iter()
            .position(|&h| h == mover)
            .expect("the mover holds the band");
        holders[from].swap_remove(at);
        holders[to].push(mover);
        done.push((mover, from, to));
        match parent[&from] {
            Some((prev, next_mover)) => {
                to = from;
                from = prev;
                mover = next_mover;
            }
            None => break,
        }
    }
    let target = from;
    if seater.usable(r, target) && seater.usable(r, b1) && {
        // Both on one venue day with one dose left: not both.
        let slot = seater.index.slot[target];
        slot != seater.index.slot[b1]
            || seater.index.slot_supply[slot].is_none_or(|s| seater.load.slot[slot] + 2 <= s)
    } {
        return Some(target);
    }
    // Undo: the freed band cannot take r after all (supply shared with dose 1).
    for (m, from, to) in done.into_iter().rev() {
        seater.release(m, to);
        seater.take(m, from);
        seats[m].second = Some(from);
        let at = holders[to]
            .iter()
            .position(|&h| h == m)
            .expect("moved here");
        holders[to].swap_remove(at);
        holders[from].push(m);
    }
    None
}

/// Residents grouped by (day of dose 1, venue): where a swap looks for a partner.
struct Groups {
    lists: std::collections::HashMap<(i32, VenueIdx), Vec<ResidentIdx>>,
    position: std::collections::HashMap<ResidentIdx, usize>,
}

impl Groups {
    fn key(seater: &Seater<'_>, seats: Seats) -> (i32, VenueIdx) {
        let b1 = seats.first.expect("planned residents hold dose 1");
        (seater.index.day[b1], seater.problem.bands[b1].venue)
    }

    fn insert(&mut self, key: (i32, VenueIdx), r: ResidentIdx) {
        let list = self.lists.entry(key).or_default();
        self.position.insert(r, list.len());
        list.push(r);
    }

    fn remove(&mut self, key: (i32, VenueIdx), r: ResidentIdx) {
        let list = self.lists.get_mut(&key).expect("r's group");
        let at = self.position[&r];
        list.swap_remove(at);
        if let Some(&moved) = list.get(at) {
            self.position.insert(moved, at);
        }
    }
}

/// Bounded local improvement of the residents planned here, alternating two moves that
/// each lower the objective or are undone:
/// - **reinsert**: a resident gives up their pair and takes the cheapest pair now free
///   (pooling included), when cheaper than the one held;
/// - **swap**: two residents with dose 1 on the same day (one at a venue the other would
///   rather go to) trade pairs; loads, intervals and waits stay as they are.
fn improve(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    planned: &[ResidentIdx],
    steps: u64,
    rng: &mut SplitMix,
    stop: &dyn StopSignal,
) {
    if planned.is_empty() || steps == 0 {
        return;
    }
    let p = seater.problem;
    let mut groups = Groups {
        lists: std::collections::HashMap::new(),
        position: std::collections::HashMap::new(),
    };
    for &r in planned {
        groups.insert(Groups::key(seater, seats[r]), r);
    }
    let venue_count = p.venues.len();
    for step in 0..steps {
        if step % 1024 == 0 && stop.should_stop() {
            return;
        }
        let a = planned[rng.below(planned.len())];
        let sa = seats[a];
        if step % 8 == 7 {
            let b = planned[rng.below(planned.len())];
            let both = if p.residents[a].needs_transport && p.residents[b].needs_transport {
                riders_sharing_day(seater, seats, &groups, a, b)
            } else if a != b {
                vec![a, b]
            } else {
                vec![a]
            };
            let riders = p.residents[a].needs_transport && p.residents[b].needs_transport;
            if riders && planned.len() <= EMPTY_DAY_MAX_RESIDENTS && rng.below(2) == 0 {
                gather_riders(seater, seats, &mut groups, &both);
            } else if both.len() >= 2 || p.residents[a].needs_transport {
                reseat_together(seater, seats, &mut groups, &both);
            }
            continue;
        }
        if step % 2 == 0 {
            let (b1, b2) = (sa.first.expect("planned"), sa.second.expect("planned"));
            let held = seater.held_cost(a, sa);
            seater.release(a, b1);
            seater.release(a, b2);
            match seater.best_pair(a, Bounds::open(), None, held - 1e-9) {
                Some((n1, n2, _)) => {
                    seater.take(a, n1);
                    seater.take(a, n2);
                    let new = Seats {
                        first: Some(n1),
                        second: Some(n2),
                    };
                    groups.remove(Groups::key(seater, sa), a);
                    groups.insert(Groups::key(seater, new), a);
                    seats[a] = new;
                }
                None => {
                    seater.take(a, b1);
                    seater.take(a, b2);
                }
            }
            continue;
        }
        if step % 8 == 3 {
            let first = rng.below(2) == 0;
            if p.residents[a].needs_transport && planned.len() <= EMPTY_DAY_MAX_RESIDENTS {
                let which = [Traded::First, Traded::Second, Traded::Both][rng.below(3)];
                empty_rider_day(seater, seats, &mut groups, planned, a, which);
            } else {
                let b = planned[rng.below(planned.len())];
                swap_dose(seater, seats, &mut groups, a, b, first);
            }
            continue;
        }
        let key_a = Groups::key(seater, sa);
        let b = if step % 4 == 1 {
            // A partner with dose 1 the same day at a venue picked at random.
            let Some(list) = groups.lists.get(&(key_a.0, rng.below(venue_count))) else {
                continue;
            };
            if list.is_empty() {
                continue;
            }
            list[rng.below(list.len())]
        } else {
            // Any partner: the pairs may lie on other days (waits change, priced).
            planned[rng.below(planned.len())]
        };
        let sb = seats[b];
        if a == b
            || p.residents[a].needs_transport != p.residents[b].needs_transport
            || !may_hold(seater, a, sb)
            || !may_hold(seater, b, sa)
        {
            continue;
        }
        let costing = &seater.costing;
        let before = costing.resident(a, sa).total + costing.resident(b, sb).total;
        let after = costing.resident(a, sb).total + costing.resident(b, sa).total;
        if after + 1e-9 < before {
            let key_b = Groups::key(seater, sb);
            seats[a] = sb;
            seats[b] = sa;
            if key_a != key_b {
                groups.remove(key_a, a);
                groups.remove(key_b, b);
                groups.insert(key_b, a);
                groups.insert(key_a, b);
            }
        }
    }
}

/// Dose swap: `a` and `b` trade the band of one dose (dose 1 when `first`), each keeping
/// the other, when both new pairs keep every rule (window, venue, phase opening, bus, fleet
/// seats); returns whether it was done. The bands' loads stay as they are, so a rider can
/// reach a full venue day the other riders use by trading with a non-rider there. Doing
/// it again undoes it.
fn trade_dose(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    groups: &mut Groups,
    a: ResidentIdx,
    b: ResidentIdx,
    which: Traded,
) -> bool {
    let p = seater.problem;
    let (sa, sb) = (seats[a], seats[b]);
    if which == Traded::Both {
        return trade_pairs(seater, seats, groups, a, b);
    }
    let first = which == Traded::First;
    let pick = |s: Seats| if first { s.first } else { s.second };
    let (Some(ba), Some(bb)) = (pick(sa), pick(sb)) else {
        return false;
    };
    if a == b || ba == bb {
        return false;
    }
    let with = |s: Seats, band: BandIdx| {
        if first {
            Seats {
                first: Some(band),
                ..s
            }
        } else {
            Seats {
                second: Some(band),
                ..s
            }
        }
    };
    let (na, nb) = (with(sa, bb), with(sb, ba));
    let pair_ok = |r: ResidentIdx, s: Seats| {
        let (Some(b1), Some(b2)) = (s.first, s.second) else {
            return false;
        };
        let gap = i64::from(seater.index.day[b2] - seater.index.day[b1]);
        p.window.contains(gap)
            && (p.allow_other_venue || p.bands[b1].venue == p.bands[b2].venue)
            && may_hold(seater, r, s)
    };
    if !pair_ok(a, na) || !pair_ok(b, nb) {
        return false;
    }
    seater.release(a, ba);
    seater.release(b, bb);
    if !(seater.bus_has_room(a, bb) && seater.bus_has_room(b, ba)) {
        seater.take(a, ba);
        seater.take(b, bb);
        return false;
    }
    seater.take(a, bb);
    seater.take(b, ba);
    if first {
        groups.remove(Groups::key(seater, sa), a);
        groups.remove(Groups::key(seater, sb), b);
        groups.insert(Groups::key(seater, na), a);
        groups.insert(Groups::key(seater, nb), b);
    }
    seats[a] = na;
    seats[b] = nb;
    true
}

/// Which dose [`trade_dose`] trades.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Traded {
    First,
    Second,
    /// Both: the residents trade whole pairs (a rider and a non-rider may, unlike in the
    /// plain swap move: the loads stay, the bus stops change).
    Both,
}

/// [`trade_dose`] of whole pairs.
fn trade_pairs(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    groups: &mut Groups,
    a: ResidentIdx,
    b: ResidentIdx,
) -> bool {
    let (sa, sb) = (seats[a], seats[b]);
    let bands = |s: Seats| [s.first, s.second].into_iter().flatten();
    if a == b || sa == sb || bands(sa).count() != 2 || bands(sb).count() != 2 {
        return false;
    }
    if !may_hold(seater, a, sb) || !may_hold(seater, b, sa) {
        return false;
    }
    for x in bands(sa) {
        seater.release(a, x);
    }
    for x in bands(sb) {
        seater.release(b, x);
    }
    let fits = bands(sb).all(|x| seater.bus_has_room(a, x))
        && bands(sa).all(|x| seater.bus_has_room(b, x));
    let (na, nb) = if fits { (sb, sa) } else { (sa, sb) };
    for x in bands(na) {
        seater.take(a, x);
    }
    for x in bands(nb) {
        seater.take(b, x);
    }
    if fits {
        groups.remove(Groups::key(seater, sa), a);
        groups.remove(Groups::key(seater, sb), b);
        groups.insert(Groups::key(seater, na), a);
        groups.insert(Groups::key(seater, nb), b);
        seats[a] = na;
        seats[b] = nb;
    }
    fits
}

/// The rider venue days among `slots` (each counted once), priced.
fn stops_cost(seater: &Seater<'_>, slots: &[usize]) -> f64 {
    let used = slots
        .iter()
        .enumerate()
        .filter(|&(i, &slot)| seater.rider_count[slot] > 0 && !slots[..i].contains(&slot))
        .count();
    seater.problem.weights.rider_stop * used as f64
}

/// [`trade_dose`] kept only when the objective (pooling included) goes down.
fn swap_dose(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    groups: &mut Groups,
    a: ResidentIdx,
    b: ResidentIdx,
    first: bool,
) {
    let pick = |s: Seats| if first { s.first } else { s.second };
    let (Some(ba), Some(bb)) = (pick(seats[a]), pick(seats[b])) else {
        return;
    };
    let which = if first { Traded::First } else { Traded::Second };
    let slots = [seater.index.slot[ba], seater.index.slot[bb]];
    let cost = |s: &Seater<'_>, seats: &[Seats]| {
        s.costing.resident(a, seats[a]).total
            + s.costing.resident(b, seats[b]).total
            + stops_cost(s, &slots)
    };
    let before = cost(seater, seats);
    if trade_dose(seater, seats, groups, a, b, which) && cost(seater, seats) + 1e-9 >= before {
        trade_dose(seater, seats, groups, a, b, which);
    }
}

/// Pooling by trades: every rider with dose 1 (dose 2, or both: `which`) on the venue day of
/// `a`'s trades it with the non-rider whose band, on a venue day other riders already use,
/// suits the pair best, so the venue day loses its riders (and its bus stop). All or
/// nothing: kept when the objective goes down.
fn empty_rider_day(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    groups: &mut Groups,
    planned: &[ResidentIdx],
    a: ResidentIdx,
    which: Traded,
) {
    let p = seater.problem;
    let pick = |s: Seats| {
        if which == Traded::Second {
            s.second
        } else {
            s.first
        }
    };
    let Some(band) = pick(seats[a]) else {
        return;
    };
    let slot = seater.index.slot[band];
    let stops = |s: &Seater<'_>| s.rider_count.iter().filter(|&&n| n > 0).count() as f64;
    let stops_before = stops(seater);
    let riders: Vec<ResidentIdx> = planned
        .iter()
        .copied()
        .filter(|&r| {
            p.residents[r].needs_transport
                && pick(seats[r]).is_some_and(|b| seater.index.slot[b] == slot)
        })
        .take(REGROUP_MAX)
        .collect();
    let mut done: Vec<(ResidentIdx, ResidentIdx)> = Vec::new();
    let mut delta = 0.0;
    for &x in &riders {
        let mut best: Option<(ResidentIdx, f64)> = None;
        for &y in planned {
            let Some(yb) = pick(seats[y]) else { continue };
            let target = seater.index.slot[yb];
            if p.residents[y].needs_transport || target == slot || seater.rider_count[target] == 0 {
                continue;
            }
            let before = seater.costing.resident(x, seats[x]).total
                + seater.costing.resident(y, seats[y]).total;
            if trade_dose(seater, seats, groups, x, y, which) {
                let change = seater.costing.resident(x, seats[x]).total
                    + seater.costing.resident(y, seats[y]).total
                    - before;
                trade_dose(seater, seats, groups, x, y, which);
                if best.is_none_or(|(_, c)| change < c) {
                    best = Some((y, change));
                }
            }
        }
        match best {
            Some((y, change)) if trade_dose(seater, seats, groups, x, y, which) => {
                done.push((x, y));
                delta += change;
            }
            _ => break,
        }
    }
    let stop_change = p.weights.rider_stop * (stops(seater) - stops_before);
    if done.len() < riders.len() || delta + stop_change + 1e-9 >= 0.0 {
        for &(x, y) in done.iter().rev() {
            trade_dose(seater, seats, groups, x, y, which);
        }
    }
}

/// The riders planned here whose dose 1 is on `a`'s or `b`'s venue day (at most
/// [`REGROUP_MAX`] of them: the move re-seats each).
fn riders_sharing_day(
    seater: &Seater<'_>,
    seats: &[Seats],
    groups: &Groups,
    a: ResidentIdx,
    b: ResidentIdx,
) -> Vec<ResidentIdx> {
    let (ka, kb) = (Groups::key(seater, seats[a]), Groups::key(seater, seats[b]));
    let keys = if ka == kb { vec![ka] } else { vec![ka, kb] };
    keys.iter()
        .filter_map(|k| groups.lists.get(k))
        .flatten()
        .copied()
        .filter(|&r| seater.problem.residents[r].needs_transport)
        .take(REGROUP_MAX)
        .collect()
}

/// The largest run in which the pooling moves [`empty_rider_day`] and [`gather_riders`]
/// are made: they look through every planned resident, or every venue day, so beyond it
/// they cost more than they find (2,000 residents: 1.1 s instead of 0.3 s).
const EMPTY_DAY_MAX_RESIDENTS: usize = 500;

/// The most riders one pooling move re-seats.
const REGROUP_MAX: usize = 24;

/// Compound move: `who` all give up their pairs and are re-seated one by one, in the given
/// order and then in reverse; the first order that lowers the objective (pooling included)
/// is kept, otherwise everything goes back. Lets one resident take a band another held
/// (ejection) and riders of two venue days meet on one (pooling).
fn reseat_together(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    groups: &mut Groups,
    who: &[ResidentIdx],
) {
    let p = seater.problem;
    let any_rider = who.iter().any(|&r| p.residents[r].needs_transport);
    let cost = |s: &Seater<'_>, seats: &[Seats]| {
        let stops = if any_rider {
            s.rider_count.iter().filter(|&&n| n > 0).count() as f64
        } else {
            0.0
        };
        who.iter()
            .map(|&r| s.costing.resident(r, seats[r]).total)
            .sum::<f64>()
            + p.weights.rider_stop * stops
    };
    let before = cost(seater, seats);
    let old: Vec<Seats> = who.iter().map(|&r| seats[r]).collect();
    let release_all = |seater: &mut Seater<'_>, seats: &mut [Seats]| {
        for &r in who {
            for b in [seats[r].first, seats[r].second].into_iter().flatten() {
                seater.release(r, b);
            }
            seats[r] = Seats::default();
        }
    };
    release_all(seater, seats);
    for reverse in [false, true] {
        let mut complete = true;
        for k in 0..who.len() {
            let r = if reverse {
                who[who.len() - 1 - k]
            } else {
                who[k]
            };
            match seater.best_pair(r, Bounds::open(), None, f64::INFINITY) {
                Some((n1, n2, _)) => {
                    seater.take(r, n1);
                    seater.take(r, n2);
                    seats[r] = Seats {
                        first: Some(n1),
                        second: Some(n2),
                    };
                }
                None => complete = false,
            }
        }
        if complete && cost(seater, seats) + 1e-9 < before {
            for (&r, &was) in who.iter().zip(&old) {
                groups.remove(Groups::key(seater, was), r);
                groups.insert(Groups::key(seater, seats[r]), r);
            }
            return;
        }
        release_all(seater, seats);
    }
    for (&r, &was) in who.iter().zip(&old) {
        for b in [was.first, was.second].into_iter().flatten() {
            seater.take(r, b);
        }
        seats[r] = was;
    }
}

/// Pooling on a new day: the riders `who` (those of two venue days) all give up their
/// pairs and take dose 1 on one venue day together, each with the best dose 2 after it;
/// every venue day with a bus-served band is tried and the cheapest kept when it lowers the
/// objective (pooling included), otherwise everything goes back. Finds the day that suits
/// the group when it is no rider's own (the re-seat one by one does not).
fn gather_riders(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    groups: &mut Groups,
    who: &[ResidentIdx],
) {
    let p = seater.problem;
    if who.len() < 2 {
        return;
    }
    let stops = |s: &Seater<'_>| s.rider_count.iter().filter(|&&n| n > 0).count() as f64;
    let cost = |s: &Seater<'_>, seats: &[Seats]| {
        who.iter()
            .map(|&r| s.costing.resident(r, seats[r]).total)
            .sum::<f64>()
            + p.weights.rider_stop * stops(s)
    };
    let before = cost(seater, seats);
    let old: Vec<Seats> = who.iter().map(|&r| seats[r]).collect();
    let release_all = |seater: &mut Seater<'_>, seats: &mut [Seats]| {
        for &r in who {
            for b in [seats[r].first, seats[r].second].into_iter().flatten() {
                seater.release(r, b);
            }
            seats[r] = Seats::default();
        }
    };
    release_all(seater, seats);
    // Candidate venue days: those with a bus-served band (one band stands for its day).
    let mut days: Vec<(VenueIdx, i32)> = Vec::new();
    for (b, band) in p.bands.iter().enumerate() {
        let key = (band.venue, seater.index.day[b]);
        if (band.bus_served || !p.riders_need_bus) && !band.closed && days.last() != Some(&key) {
            days.push(key);
        }
    }
    days.sort_unstable();
    days.dedup();
    let mut best: Option<(f64, Vec<Seats>)> = None;
    for &(v, d) in &days {
        let venues = [v];
        let bounds = Bounds {
            from_day: d,
            to_day: d,
            venues: Some(&venues),
        };
        let mut complete = true;
        for &r in who {
            match seater.best_pair(r, bounds, None, f64::INFINITY) {
                Some((n1, n2, _)) => {
                    seater.take(r, n1);
                    seater.take(r, n2);
                    seats[r] = Seats {
                        first: Some(n1),
                        second: Some(n2),
                    };
                }
                None => {
                    complete = false;
                    break;
                }
            }
        }
        if complete {
            let c = cost(seater, seats);
            if c + 1e-9 < before && best.as_ref().is_none_or(|(bc, _)| c < *bc) {
                best = Some((c, who.iter().map(|&r| seats[r]).collect()));
            }
        }
        release_all(seater, seats);
    }
    let chosen = best.map_or(old.clone(), |(_, s)| s);
    for (&r, &now) in who.iter().zip(&chosen) {
        for b in [now.first, now.second].into_iter().flatten() {
            seater.take(r, b);
        }
        seats[r] = now;
    }
    for ((&r, &was), &now) in who.iter().zip(&old).zip(&chosen) {
        if was != now {
            groups.remove(Groups::key(seater, was), r);
            groups.insert(Groups::key(seater, now), r);
        }
    }
}

/// Whether resident `r` may hold `seats` planned for someone else: dose 1 not before the
/// phase opens, old enough for the product on both days, and a rider only in bus-served
/// bands.
fn may_hold(seater: &Seater<'_>, r: ResidentIdx, seats: Seats) -> bool {
    let b1 = seats.first.expect("planned");
    let opens_ok = seater
        .costing
        .opens(r)
        .is_none_or(|o| seater.problem.bands[b1].date >= o);
    opens_ok
        && [seats.first, seats.second]
            .into_iter()
            .flatten()
            .all(|b| allowed(seater.problem, &seater.problem.residents[r], b))
}
