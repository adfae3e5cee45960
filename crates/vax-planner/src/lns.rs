//! Ruin and exact repair: the planner's last improvement stage (docs/planning.md).
//!
//! A large-neighbourhood search in the manner of the vehicle-routing solvers' ruin and
//! recreate: each iteration **ruins** the pairs of a few related residents — a random
//! resident, then those whose doses lie on venue days next to the ones already taken (the
//! same or another venue, up to two days apart), riders pulled in with riders — and
//! **repairs** them exactly: a depth-first branch and bound over each resident's cheapest
//! pairs that are free once the neighbourhood is emptied, priced with the objective's own
//! [`Costing`](crate::objective::Costing) and the bus stops they open, within every hard
//! rule ([`Seater::usable`]: capacity, supply, bus, fleet, age; window, venue and phase
//! opening by construction). The best re-seating is kept only when it lowers the objective
//! (pooling included); otherwise everyone goes back.
//!
//! It builds the chains the two-resident moves cannot: riders of one venue moving together to
//! another venue's days while the residents who held those days move elsewhere. The size of
//! a neighbourhood is bounded ([`RUIN_MAX`] residents) whatever the size of the run: it is
//! a local move on a city of 65,000 as on a test instance.

use std::collections::BinaryHeap;

use crate::index::{allowed, day_number};
use crate::model::{BandIdx, Dose, ResidentIdx, Seats, VenueIdx};
use crate::schedule::{Seater, SplitMix, StopSignal, Unplaced, UnplacedReason};

/// The fewest and the most residents one neighbourhood ruins.
const RUIN_MIN: usize = 4;
const RUIN_MAX: usize = 6;
/// Pairs considered per resident of a neighbourhood: their cheapest (alone, before bus
/// stops), plus the pair they held.
const CANDIDATES: usize = 48;
/// Search nodes one repair may spend: beyond it the best found so far stands.
const NODE_BUDGET: usize = 40_000;

/// The band of [`Candidate`] standing for "no pair".
const NONE: BandIdx = usize::MAX;

/// One pair a resident may take in the repair, with its cost to the objective (bus stops
/// aside: those depend on the others and are added in the search).
#[derive(Debug, Clone, Copy)]
struct Candidate {
    first: BandIdx,
    second: BandIdx,
    cost: f64,
}

/// Runs `iterations` ruin-and-repair iterations over the residents `planned` in this run
/// (only they may move) and those of `unplaced` who lack both doses and hold nothing (a
/// repair may seat them; a resident it seats moves from `unplaced` to `planned`), ended
/// early by `stop`.
pub(crate) fn ruin_and_repair(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    planned: &mut Vec<ResidentIdx>,
    unplaced: &mut Vec<Unplaced>,
    iterations: u64,
    rng: &mut SplitMix,
    stop: &dyn StopSignal,
) {
    if planned.len() < 2 || iterations == 0 {
        return;
    }
    let mut waiting: Vec<ResidentIdx> = unplaced
        .iter()
        .filter(|u| {
            let r = &seater.problem.residents[u.resident];
            u.dose == Dose::First
                && !matches!(
                    u.reason,
                    UnplacedReason::NotInAnyPhase | UnplacedReason::Stopped
                )
                && r.booked == Seats::default()
                && r.first_given.is_none()
                && seater.costing.phase(u.resident).is_some()
        })
        .map(|u| u.resident)
        .collect();
    let mut seated: Vec<ResidentIdx> = Vec::new();
    let p = seater.problem;
    let slots = seater.index.slot_supply.len();
    // Venue and day of every slot, and the planned residents holding a dose there.
    let mut slot_at = vec![(0usize, 0i32); slots];
    for (b, band) in p.bands.iter().enumerate() {
        slot_at[seater.index.slot[b]] = (band.venue, seater.index.day[b]);
    }
    let mut holders: Vec<Vec<ResidentIdx>> = vec![Vec::new(); slots];
    for &r in planned.iter() {
        for s in slots_of(seater, seats[r]) {
            holders[s].push(r);
        }
    }
    let mut in_ruin = vec![false; p.residents.len()];
    for it in 0..iterations {
        if it % 16 == 0 && stop.should_stop() {
            break;
        }
        let around = Around {
            planned,
            waiting: &waiting,
            holders: &holders,
            slot_at: &slot_at,
        };
        let who = select(seater, seats, &around, &mut in_ruin, rng);
        for &r in &who {
            in_ruin[r] = false;
        }
        if who.len() < 2 {
            continue;
        }
        let old: Vec<Seats> = who.iter().map(|&r| seats[r]).collect();
        if let Some(new) = repair(seater, seats, &who) {
            for ((&r, was), now) in who.iter().zip(&old).zip(&new) {
                for s in slots_of(seater, *was) {
                    let at = holders[s].iter().position(|&h| h == r).expect("held");
                    holders[s].swap_remove(at);
                }
                for s in slots_of(seater, *now) {
                    holders[s].push(r);
                }
                if was.first.is_none() && now.first.is_some() {
                    let at = waiting.iter().position(|&w| w == r).expect("waiting");
                    waiting.swap_remove(at);
                    planned.push(r);
                    seated.push(r);
                }
            }
        }
    }
    unplaced.retain(|u| !seated.contains(&u.resident));
}

/// What the ruin draws from: the residents who may move and where their doses lie.
struct Around<'a> {
    /// Planned in this run.
    planned: &'a [ResidentIdx],
    /// Without a pair, holding nothing.
    waiting: &'a [ResidentIdx],
    /// Per venue day (slot): the planned residents with a dose there.
    holders: &'a [Vec<ResidentIdx>],
    /// Per slot: its venue and day number.
    slot_at: &'a [(VenueIdx, i32)],
}

/// The venue days of a pair (one entry per dose, so a pair on one day lists it twice).
fn slots_of(seater: &Seater<'_>, s: Seats) -> Vec<usize> {
    [s.first, s.second]
        .into_iter()
        .flatten()
        .map(|b| seater.index.slot[b])
        .collect()
}

/// The ruin: a random planned resident, then residents holding doses on venue days next to
/// those already taken (the same venue or another, up to two days apart). When the first is
/// a rider, the riders around its days come first (pooling is what riders gain from).
fn select(
    seater: &Seater<'_>,
    seats: &[Seats],
    around: &Around<'_>,
    in_ruin: &mut [bool],
    rng: &mut SplitMix,
) -> Vec<ResidentIdx> {
    let p = seater.problem;
    let Around {
        planned,
        waiting,
        holders,
        slot_at,
    } = *around;
    let size = RUIN_MIN + rng.below(RUIN_MAX - RUIN_MIN + 1);
    let a = if !waiting.is_empty() && rng.below(4) == 0 {
        waiting[rng.below(waiting.len())]
    } else {
        planned[rng.below(planned.len())]
    };
    let mut who = vec![a];
    in_ruin[a] = true;
    let mut touched: Vec<usize> = slots_of(seater, seats[a]);
    touched.dedup();
    if touched.is_empty() {
        // A resident waiting for a pair: start from a venue day they may use.
        let from = seater
            .costing
            .first_bookable(a)
            .map(day_number)
            .unwrap_or(i32::MIN);
        let usable: Vec<BandIdx> = (0..p.bands.len())
            .filter(|&b| seater.index.day[b] >= from && allowed(p, &p.residents[a], b))
            .collect();
        if usable.is_empty() {
            return who;
        }
        touched.push(seater.index.slot[usable[rng.below(usable.len())]]);
    }
    let riders_first = p.residents[a].needs_transport && rng.below(2) == 0;
    let venues = p.venues.len();
    let mut attempts = 0;
    while who.len() < size && attempts < 6 * size {
        attempts += 1;
        let (v, d) = slot_at[touched[rng.below(touched.len())]];
        let v2 = if rng.below(2) == 0 {
            v
        } else {
            rng.below(venues)
        };
        let d2 = d + rng.below(5) as i32 - 2;
        let Some(&band) = seater.index.bands_on(v2, d2).first() else {
            continue;
        };
        let slot = seater.index.slot[band];
        if !touched.contains(&slot) {
            touched.push(slot);
        }
        let list = &holders[slot];
        if list.is_empty() {
            continue;
        }
        // From a random place in the list, riders first when asked.
        let start = rng.below(list.len());
        for pass in 0..2 {
            for k in 0..list.len() {
                if who.len() >= size {
                    break;
                }
                let r = list[(start + k) % list.len()];
                let wanted = !riders_first || (pass == 0) == p.residents[r].needs_transport;
                if wanted && !in_ruin[r] {
                    in_ruin[r] = true;
                    who.push(r);
                    if !riders_first {
                        // One resident per venue day and draw: the neighbourhood spreads.
                        break;
                    }
                }
            }
            if !riders_first {
                break;
            }
        }
    }
    who
}

/// Empties the pairs of `who` and re-seats them at the least cost found by a bounded
/// branch and bound; keeps it (and returns the new pairs) only when the objective goes
/// down, otherwise puts everything back.
fn repair(seater: &mut Seater<'_>, seats: &mut [Seats], who: &[ResidentIdx]) -> Option<Vec<Seats>> {
    let p = seater.problem;
    let stops = |s: &Seater<'_>| s.rider_count.iter().filter(|&&n| n > 0).count() as f64;
    let old: Vec<Seats> = who.iter().map(|&r| seats[r]).collect();
    let held: f64 = who
        .iter()
        .zip(&old)
        .map(|(&r, &s)| seater.costing.resident(r, s).total)
        .sum();
    let stops_before = stops(seater);
    for (&r, &s) in who.iter().zip(&old) {
        for b in [s.first, s.second].into_iter().flatten() {
            seater.release(r, b);
        }
    }
    // What the neighbourhood costs now, stops it alone opened included.
    let before = held + p.weights.rider_stop * (stops_before - stops(seater));
    let mut order: Vec<(usize, Vec<Candidate>)> = who
        .iter()
        .zip(&old)
        .enumerate()
        .map(|(i, (&r, &s))| (i, candidates(seater, r, s)))
        .collect();
    // Fewest choices first: they decide the most.
    order.sort_by_key(|(i, c)| (c.len(), *i));
    let mut floor = vec![0.0; order.len() + 1];
    for k in (0..order.len()).rev() {
        let cheapest = order[k].1.first().map_or(f64::INFINITY, |c| c.cost);
        floor[k] = floor[k + 1] + cheapest;
    }
    let mut search = Search {
        who,
        order: &order,
        floor: &floor,
        chosen: vec![None; order.len()],
        best: before - 1e-6,
        best_pairs: None,
        nodes: 0,
    };
    search.descend(seater, 0, 0.0);
    let best_pairs = search.best_pairs.take();
    let restore = |seater: &mut Seater<'_>, seats: &mut [Seats]| {
        for (&r, &s) in who.iter().zip(&old) {
            for b in [s.first, s.second].into_iter().flatten() {
                seater.take(r, b);
            }
            seats[r] = s;
        }
    };
    let Some(pairs) = best_pairs else {
        restore(seater, seats);
        return None;
    };
    let mut new = vec![Seats::default(); who.len()];
    for (k, (i, _)) in order.iter().enumerate() {
        let c = pairs[k];
        if c.first != NONE {
            new[*i] = Seats {
                first: Some(c.first),
                second: Some(c.second),
            };
        }
    }
    // Take the new pairs, each checked again, and price the result exactly.
    let mut taken = Vec::new();
    let mut fits = true;
    for (&r, &s) in who.iter().zip(&new) {
        for b in [s.first, s.second].into_iter().flatten() {
            if !seater.usable(r, b) {
                fits = false;
                break;
            }
            seater.take(r, b);
            taken.push((r, b));
        }
        if !fits {
            break;
        }
    }
    let after: f64 = who
        .iter()
        .zip(&new)
        .map(|(&r, &s)| seater.costing.resident(r, s).total)
        .sum::<f64>()
        + p.weights.rider_stop * stops(seater);
    if fits && after + 1e-9 < held + p.weights.rider_stop * stops_before {
        for (&r, &s) in who.iter().zip(&new) {
            seats[r] = s;
        }
        return Some(new);
    }
    for (r, b) in taken.into_iter().rev() {
        seater.release(r, b);
    }
    restore(seater, seats);
    None
}

/// The depth-first branch and bound of [`repair`].
struct Search<'s> {
    who: &'s [ResidentIdx],
    order: &'s [(usize, Vec<Candidate>)],
    /// `floor[k]`: the least the residents from `k` on can cost (each their cheapest pair).
    floor: &'s [f64],
    chosen: Vec<Option<Candidate>>,
    /// The cost to beat (the neighbourhood's own, less a hair), then the best found.
    best: f64,
    best_pairs: Option<Vec<Candidate>>,
    nodes: usize,
}

impl Search<'_> {
    fn descend(&mut self, seater: &mut Seater<'_>, k: usize, spent: f64) {
        if k == self.order.len() {
            if spent < self.best {
                self.best = spent;
                self.best_pairs = Some(self.chosen.iter().map(|c| c.expect("set")).collect());
            }
            return;
        }
        let (i, list) = &self.order[k];
        let r = self.who[*i];
        for &c in list {
            if self.nodes >= NODE_BUDGET || spent + c.cost + self.floor[k + 1] >= self.best {
                // The list is cheapest first: nothing after it does better.
                return;
            }
            self.nodes += 1;
            if c.first == NONE {
                self.chosen[k] = Some(c);
                self.descend(seater, k + 1, spent + c.cost);
                continue;
            }
            if !seater.usable(r, c.first) {
                continue;
            }
            let stop1 = seater.stop_cost(r, c.first);
            seater.take(r, c.first);
            if seater.usable(r, c.second) {
                let stop2 = seater.stop_cost(r, c.second);
                let now = spent + c.cost + stop1 + stop2;
                if now + self.floor[k + 1] < self.best {
                    seater.take(r, c.second);
                    self.chosen[k] = Some(c);
                    self.descend(seater, k + 1, now);
                    seater.release(r, c.second);
                }
            }
            seater.release(r, c.first);
        }
    }
}

/// The cheapest pairs `r` may take with the loads as they are (at most [`CANDIDATES`]),
/// cheapest first, plus `held` (the pair given up) when it is not among them.
fn candidates(seater: &Seater<'_>, r: ResidentIdx, held: Seats) -> Vec<Candidate> {
    let p = seater.problem;
    let costing = &seater.costing;
    let w = p.window;
    let opens = costing
        .first_bookable(r)
        .map(day_number)
        .unwrap_or(seater.index.campaign_start);
    let opens_day = costing
        .opens(r)
        .map(day_number)
        .unwrap_or(seater.index.campaign_start);
    let factor = costing.phase_factor(r) * p.weights.wait_day;
    let at_venue = |v: VenueIdx| costing.travel(r, v) + costing.venue_break(r, v);
    let mut venues: Vec<VenueIdx> = (0..p.venues.len()).collect();
    venues.sort_by(|&a, &b| at_venue(a).total_cmp(&at_venue(b)));
    let nearest = venues.first().map_or(0.0, |&v| at_venue(v));
    // A max-heap on cost (non-negative: the bits order as the values do).
    let mut heap: BinaryHeap<(u64, BandIdx, BandIdx)> = BinaryHeap::new();
    let worst = |heap: &BinaryHeap<(u64, BandIdx, BandIdx)>| {
        if heap.len() < CANDIDATES {
            f64::INFINITY
        } else {
            heap.peek().map_or(f64::INFINITY, |e| f64::from_bits(e.0))
        }
    };
    let mut seconds: Vec<(BandIdx, f64)> = Vec::new();
    for &v in &venues {
        let floor_v = at_venue(v)
            + if p.allow_other_venue {
                nearest
            } else {
                at_venue(v)
            };
        if floor_v >= worst(&heap) {
            break;
        }
        let list = &seater.index.venue_bands[v];
        let mut k = seater.index.first_on_or_after(v, opens);
        while k < list.len() {
            let d1 = seater.index.day[list[k]];
            let day_bands = seater.index.bands_on(v, d1);
            k += day_bands.len();
            let wait = f64::from((d1 - opens_day).max(0)) * factor;
            if floor_v + wait >= worst(&heap) {
                break;
            }
            if !seater.slot_has_room(seater.index.slot[day_bands[0]]) {
                continue;
            }
            // Dose 2 depends on dose 1's day and venue only: listed once per day.
            seconds.clear();
            let day1 = crate::schedule::date_of(d1);
            for gap in w.min_days..=w.max_days {
                let d2 = d1 + gap as i32;
                for v2 in 0..p.venues.len() {
                    if v2 != v && !p.allow_other_venue {
                        continue;
                    }
                    let bands2 = seater.index.bands_on(v2, d2);
                    if bands2.is_empty() || !seater.slot_has_room(seater.index.slot[bands2[0]]) {
                        continue;
                    }
                    let (off, other) = costing.interval(day1, Some(v), bands2[0]);
                    let shared = costing.interval_cost(off, other);
                    for &b2 in bands2 {
                        if seater.usable(r, b2) {
                            seconds.push((b2, shared + costing.dose(r, b2)));
                        }
                    }
                }
            }
            if seconds.is_empty() {
                continue;
            }
            seconds.sort_by(|a, b| a.1.total_cmp(&b.1));
            for &b1 in day_bands {
                if !seater.usable(r, b1) {
                    continue;
                }
                let first = costing.dose(r, b1) + wait;
                for &(b2, second) in &seconds {
                    let cost = first + second;
                    if cost >= worst(&heap) {
                        // Cheapest first: the rest of the day's dose 2s cost more.
                        break;
                    }
                    if b2 == b1 {
                        continue;
                    }
                    heap.push((cost.max(0.0).to_bits(), b1, b2));
                    if heap.len() > CANDIDATES {
                        heap.pop();
                    }
                }
            }
        }
    }
    let mut out: Vec<Candidate> = heap
        .into_iter()
        .map(|(bits, first, second)| Candidate {
            first,
            second,
            cost: f64::from_bits(bits),
        })
        .collect();
    match (held.first, held.second) {
        (Some(first), Some(second)) => {
            if !out.iter().any(|c| c.first == first && c.second == second) {
                out.push(Candidate {
                    first,
                    second,
                    cost: costing.resident(r, held).total,
                });
            }
        }
        // Waiting for a pair: staying without one is a choice too (at its price).
        _ => out.push(Candidate {
            first: NONE,
            second: NONE,
            cost: costing.resident(r, held).total,
        }),
    }
    out.sort_by(|a, b| a.cost.total_cmp(&b.cost));
    out
}
