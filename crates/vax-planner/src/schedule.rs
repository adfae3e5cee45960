//! The two-dose planner: [`plan`] gives both doses to every willing resident who lacks them.
//!
//! Two stages (docs/planning.md):
//! 1. **Greedy construction by phase.** Residents in priority order (phase, then oldest
//!    first, ties broken by the seed). Each takes the cheapest (dose 1, dose 2) pair by
//!    [`Costing`] among the bands that still have room. Per venue a cursor skips bands that
//!    can never take a booking again (full, closed, out of doses), and the scan of a venue
//!    stops as soon as the waiting cost alone exceeds the best pair found, so a resident
//!    with no preference costs a handful of evaluations.
//! 2. **Bounded improvement.** Two residents with dose 1 on the same day swap their pairs
//!    when that lowers the objective (nearer venue, fewer broken preferences). Swaps keep
//!    every band's load, every interval and every wait unchanged, so they cannot break a
//!    constraint. Runs for a fixed number of steps (deterministic for a seed) or until the
//!    stop signal fires.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Instant;

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

/// How to run the planner or the reshuffle engine.
#[derive(Clone, Copy)]
pub struct PlanOptions<'a> {
    /// Seed of the tie-breaks and the improvement's choices: same seed, same plan.
    pub seed: u64,
    /// Improvement steps per resident planned (0: greedy only).
    pub improvement_steps_per_resident: u32,
    /// Cancellation or deadline.
    pub stop: &'a dyn StopSignal,
}

impl Default for PlanOptions<'_> {
    fn default() -> Self {
        Self {
            seed: 0,
            improvement_steps_per_resident: 8,
            stop: &Never,
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
    /// Slots (venue days) that already carry a transport rider.
    pub rider_slot: Vec<bool>,
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
        let mut rider_slot = vec![false; index.slot_supply.len()];
        for (r, s) in problem.residents.iter().zip(seats) {
            if r.needs_transport {
                for b in [s.first, s.second].into_iter().flatten() {
                    rider_slot[index.slot[b]] = true;
                }
            }
        }
        Self {
            costing: Costing::new(problem),
            problem,
            index,
            load,
            rider_slot,
        }
    }

    fn usable(&self, r: ResidentIdx, band: BandIdx) -> bool {
        allowed(self.problem, &self.problem.residents[r], band)
            && self.load.has_room(self.problem, &self.index, band)
    }

    /// Pooling: a rider opening a venue day no rider uses yet costs one more stop.
    fn stop_cost(&self, r: ResidentIdx, band: BandIdx) -> f64 {
        if self.problem.residents[r].needs_transport && !self.rider_slot[self.index.slot[band]] {
            self.problem.weights.rider_stop
        } else {
            0.0
        }
    }

    pub fn take(&mut self, r: ResidentIdx, band: BandIdx) {
        self.load.add(&self.index, band);
        if self.problem.residents[r].needs_transport {
            self.rider_slot[self.index.slot[band]] = true;
        }
    }

    pub fn release(&mut self, band: BandIdx) {
        self.load.remove(&self.index, band);
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
            let floor = p.weights.off_standard_day * f64::from(off.unsigned_abs());
            if best.is_some_and(|(_, c)| c <= floor) {
                break;
            }
            for &v in venues {
                if venue1.is_some_and(|v1| v1 != v) && !p.allow_other_venue {
                    continue;
                }
                for &b in self.index.bands_on(v, d) {
                    if Some(b) == except || !self.usable(r, b) {
                        continue;
                    }
                    let (off_days, other) = self.costing.interval(day1_date, venue1, b);
                    let cost = self.costing.dose(r, b)
                        + self.costing.interval_cost(off_days, other)
                        + self.stop_cost(r, b);
                    if best.is_none_or(|(_, c)| cost < c) {
                        best = Some((b, cost));
                    }
                }
            }
        }
        best
    }

    /// The best (dose 1, dose 2) pair for `r` with dose 1 within `bounds1` (and after the
    /// phase opens), with its cost. `cursor` (per venue) skips bands that are exhausted for
    /// good; pass `None` when loads may go down during the run (reshuffle).
    pub fn best_pair(
        &self,
        r: ResidentIdx,
        bounds1: Bounds<'_>,
        cursor: Option<&[usize]>,
    ) -> Option<(BandIdx, BandIdx, f64)> {
        let p = self.problem;
        let opens = self
            .costing
            .opens(r)
            .map(day_number)
            .unwrap_or(i32::MIN)
            .max(bounds1.from_day);
        let factor = self.costing.phase_factor(r) * p.weights.wait_day;
        let home = p.residents[r].home;
        let mut best: Option<(BandIdx, BandIdx, f64)> = None;
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
            let km = home.distance_km(p.venues[v].location) * p.weights.km;
            let floor_v = if p.allow_other_venue { km } else { 2.0 * km };
            let list = &self.index.venue_bands[v];
            let mut k = self.index.first_on_or_after(v, opens);
            if let Some(c) = cursor {
                k = k.max(c[v]);
            }
            while k < list.len() {
                let b1 = list[k];
                k += 1;
                let d1 = self.index.day[b1];
                if d1 > bounds1.to_day {
                    break;
                }
                let wait = f64::from((d1 - opens_day).max(0)) * factor;
                if best.is_some_and(|(_, _, c)| c <= floor_v + wait) {
                    break;
                }
                if !self.usable(r, b1) {
                    continue;
                }
                let first = self.costing.dose(r, b1) + wait + self.stop_cost(r, b1);
                if best.is_some_and(|(_, _, c)| c <= first + km) {
                    continue;
                }
                if let Some((b2, second)) =
                    self.best_second(r, d1, Some(v), Bounds::open(), Some(b1))
                {
                    let total = first + second;
                    if best.is_none_or(|(_, _, c)| total < c) {
                        best = Some((b1, b2, total));
                    }
                }
            }
        }
        best
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
        let with_place = |b: BandIdx| {
            let band = &p.bands[b];
            !band.closed && self.load.band[b] < band.capacity
        };
        let any = |f: &dyn Fn(BandIdx) -> bool| (0..p.bands.len()).any(|b| in_bounds(b) && f(b));
        let rider = p.residents[r].needs_transport && p.riders_need_bus;
        if !any(&|b| with_place(b)) {
            return UnplacedReason::NoRoom;
        }
        if rider && !any(&|b| with_place(b) && p.bands[b].bus_served) {
            return UnplacedReason::NoBusServedBand;
        }
        if !any(&|b| self.usable(r, b)) {
            return UnplacedReason::NoSupply;
        }
        UnplacedReason::NoRoomInWindow
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
    let mut order: Vec<(usize, chrono::NaiveDate, u64, ResidentIdx)> = problem
        .residents
        .iter()
        .enumerate()
        .filter(|(_, r)| r.booked.second.is_none())
        .map(|(i, r)| {
            let phase = seater.costing.phase(i).unwrap_or(usize::MAX);
            (phase, r.birth_date, rng.next_u64(), i)
        })
        .collect();
    order.sort_unstable();

    let mut cursor = vec![0usize; problem.venues.len()];
    let mut unplaced = Vec::new();
    let mut planned: Vec<ResidentIdx> = Vec::new();
    for (n, &(phase, _, _, r)) in order.iter().enumerate() {
        if n % 256 == 0 && options.stop.should_stop() {
            for &(_, _, _, rest) in &order[n..] {
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
        advance_cursors(&seater, &mut cursor);
        match seater.best_pair(r, Bounds::open(), Some(&cursor)) {
            Some((b1, b2, _)) => {
                seater.take(r, b1);
                seater.take(r, b2);
                seats[r] = Seats {
                    first: Some(b1),
                    second: Some(b2),
                };
                planned.push(r);
            }
            None => unplaced.push(Unplaced {
                resident: r,
                dose: Dose::First,
                reason: seater.why_not(r, Bounds::open()),
            }),
        }
    }

    let steps = planned.len() as u64 * u64::from(options.improvement_steps_per_resident);
    improve_by_swaps(&seater, &mut seats, &planned, steps, &mut rng, options.stop);
    unplaced.sort_by_key(|u| u.resident);
    Ok(Schedule { seats, unplaced })
}

/// Moves each venue's cursor past bands that can never take a booking again in this run.
fn advance_cursors(seater: &Seater<'_>, cursor: &mut [usize]) {
    for (v, c) in cursor.iter_mut().enumerate() {
        let list = &seater.index.venue_bands[v];
        while *c < list.len()
            && seater
                .load
                .exhausted(seater.problem, &seater.index, list[*c])
        {
            *c += 1;
        }
    }
}

/// Swaps the pairs of two residents planned here whose dose 1 is on the same day, when the
/// swap lowers the objective. Loads, intervals and waits stay as they are.
fn improve_by_swaps(
    seater: &Seater<'_>,
    seats: &mut [Seats],
    planned: &[ResidentIdx],
    steps: u64,
    rng: &mut SplitMix,
    stop: &dyn StopSignal,
) {
    if planned.len() < 2 || steps == 0 {
        return;
    }
    let p = seater.problem;
    let costing = &seater.costing;
    // Residents per (day of dose 1, venue): where to look for a swap partner.
    let mut groups: std::collections::HashMap<(i32, VenueIdx), Vec<ResidentIdx>> =
        std::collections::HashMap::new();
    for &r in planned {
        let b1 = seats[r].first.expect("planned residents hold dose 1");
        groups
            .entry((seater.index.day[b1], p.bands[b1].venue))
            .or_default()
            .push(r);
    }
    let mut position: std::collections::HashMap<ResidentIdx, usize> =
        std::collections::HashMap::new();
    for list in groups.values() {
        for (i, &r) in list.iter().enumerate() {
            position.insert(r, i);
        }
    }
    let venue_count = p.venues.len();
    for step in 0..steps {
        if step % 4096 == 0 && stop.should_stop() {
            return;
        }
        let a = planned[rng.below(planned.len())];
        let sa = seats[a];
        let b1a = sa.first.expect("planned");
        let day = seater.index.day[b1a];
        let va = p.bands[b1a].venue;
        let target = rng.below(venue_count);
        let Some(list) = groups.get(&(day, target)) else {
            continue;
        };
        if list.is_empty() {
            continue;
        }
        let b = list[rng.below(list.len())];
        if a == b || p.residents[a].needs_transport != p.residents[b].needs_transport {
            continue;
        }
        let sb = seats[b];
        let before = costing.resident(a, sa).total + costing.resident(b, sb).total;
        let after = costing.resident(a, sb).total + costing.resident(b, sa).total;
        if after + 1e-9 < before {
            seats[a] = sb;
            seats[b] = sa;
            if va != target {
                // Keep the groups true: a now sits at `target`, b at `va`.
                let ia = position[&a];
                let ib = position[&b];
                groups.get_mut(&(day, va)).expect("a's group")[ia] = b;
                groups.get_mut(&(day, target)).expect("b's group")[ib] = a;
                position.insert(a, ib);
                position.insert(b, ia);
            }
        }
    }
}
