//! The reshuffle engine: after a change to the calendar, the supply or a resident's wishes,
//! re-seat everyone affected with the least disruption.
//!
//! Who is affected: every booking in a cut day or closed band; in a band whose capacity
//! dropped below its bookings, or a venue day whose supply dropped below its bookings, just
//! enough bookings to fit (riders last, then the earliest phases last, so those who are
//! easiest to re-seat move); and the resident who asked to move.
//!
//! How they are re-seated, in priority order (phase, oldest first): for each displaced dose,
//! the band with the least disruption — moving the other dose too costs
//! [`MOVE_PENALTY`], each day of shift [`SHIFT_DAY_PENALTY`], another venue
//! [`VENUE_CHANGE_PENALTY`], and the plan's own objective ([`crate::objective`]) breaks ties.
//! Dose 2 moves with dose 1 only when the window demands it. Never outside the window, never
//! over capacity or supply, riders only where a bus runs. Whoever cannot be re-seated is
//! reported with a reason; a resident whose own request cannot be met keeps their bookings.

use chrono::NaiveDate;
use thiserror::Error;

use crate::index::day_number;
use crate::model::{BandIdx, Dose, Problem, ProblemError, ResidentIdx, Seats, Supply, VenueIdx};
use crate::schedule::{Bounds, PlanOptions, Schedule, Seater, SplitMix, Unplaced, UnplacedReason};

/// Disruption of moving a dose that did not have to move (dose 2 following dose 1).
pub const MOVE_PENALTY: f64 = 1_000.0;
/// Disruption per day a dose shifts from its booked day.
pub const SHIFT_DAY_PENALTY: f64 = 10.0;
/// Disruption of a dose moving to another venue.
pub const VENUE_CHANGE_PENALTY: f64 = 100.0;

/// What changed.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Change {
    /// Every band of a venue on a day is cut.
    CutVenueDay {
        /// The venue.
        venue: VenueIdx,
        /// The day.
        date: NaiveDate,
    },
    /// One band is closed.
    CloseBand {
        /// The band.
        band: BandIdx,
    },
    /// A band's places drop to `capacity`.
    LowerCapacity {
        /// The band.
        band: BandIdx,
        /// The new number of places.
        capacity: u32,
    },
    /// A lot is quarantined: from `from` to `to` (inclusive) the venue has `doses_per_day`
    /// doses a day (0 when the whole delivery is held).
    SupplyDrop {
        /// The venue.
        venue: VenueIdx,
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
        /// Doses left each day.
        doses_per_day: u32,
    },
    /// A resident asks (call centre) to move a dose into a date range, optionally to a venue.
    MoveRequest {
        /// The resident.
        resident: ResidentIdx,
        /// The dose to move (dose 2 follows dose 1 when the window demands).
        dose: Dose,
        /// First acceptable day.
        from: NaiveDate,
        /// Last acceptable day.
        to: NaiveDate,
        /// The venue asked for, if any.
        venue: Option<VenueIdx>,
    },
}

/// A change that does not fit the problem.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ChangeError {
    /// The venue does not exist.
    #[error("venue {0} does not exist / 会場{0}が存在しません")]
    UnknownVenue(VenueIdx),
    /// The band does not exist.
    #[error("band {0} does not exist / コマ{0}が存在しません")]
    UnknownBand(BandIdx),
    /// The resident does not exist.
    #[error("resident {0} does not exist / 住民{0}が存在しません")]
    UnknownResident(ResidentIdx),
    /// The date range ends before it starts.
    #[error(
        "date range {from} to {to} ends before it starts / 期間 {from}〜{to} が逆転しています"
    )]
    EmptyRange {
        /// First day.
        from: NaiveDate,
        /// Last day.
        to: NaiveDate,
    },
    /// A capacity "lowered" to more than it was.
    #[error("band {band}: capacity {capacity} is not lower than {was} / コマ{band}の定員{capacity}は現在の{was}より少なくありません")]
    NotLower {
        /// The band.
        band: BandIdx,
        /// The asked capacity.
        capacity: u32,
        /// The capacity before.
        was: u32,
    },
    /// The resident has no booking of the dose to move.
    #[error("resident {resident} has no booking of dose {dose:?} to move / 住民{resident}に移動する予約がありません")]
    NothingToMove {
        /// The resident.
        resident: ResidentIdx,
        /// The dose.
        dose: Dose,
    },
}

/// Why a reshuffle did not run.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ReshuffleError {
    /// The problem itself is invalid.
    #[error(transparent)]
    Problem(#[from] ProblemError),
    /// The change does not fit the problem.
    #[error(transparent)]
    Change(#[from] ChangeError),
}

impl Change {
    /// Checks the change against `problem` (indices, ranges, that there is something to move).
    pub fn validate(&self, problem: &Problem) -> Result<(), ChangeError> {
        let venue_ok = |v: VenueIdx| {
            if v < problem.venues.len() {
                Ok(())
            } else {
                Err(ChangeError::UnknownVenue(v))
            }
        };
        let range_ok = |from: NaiveDate, to: NaiveDate| {
            if from <= to {
                Ok(())
            } else {
                Err(ChangeError::EmptyRange { from, to })
            }
        };
        match *self {
            Change::CutVenueDay { venue, .. } => venue_ok(venue),
            Change::CloseBand { band } => problem
                .bands
                .get(band)
                .map(|_| ())
                .ok_or(ChangeError::UnknownBand(band)),
            Change::LowerCapacity { band, capacity } => {
                let b = problem
                    .bands
                    .get(band)
                    .ok_or(ChangeError::UnknownBand(band))?;
                if capacity >= b.capacity {
                    return Err(ChangeError::NotLower {
                        band,
                        capacity,
                        was: b.capacity,
                    });
                }
                Ok(())
            }
            Change::SupplyDrop {
                venue, from, to, ..
            } => {
                venue_ok(venue)?;
                range_ok(from, to)
            }
            Change::MoveRequest {
                resident,
                dose,
                from,
                to,
                venue,
            } => {
                let r = problem
                    .residents
                    .get(resident)
                    .ok_or(ChangeError::UnknownResident(resident))?;
                if let Some(v) = venue {
                    venue_ok(v)?;
                }
                range_ok(from, to)?;
                if r.booked.get(dose).is_none() {
                    return Err(ChangeError::NothingToMove { resident, dose });
                }
                Ok(())
            }
        }
    }

    /// Applies the change to the calendar and supply of `problem` (a move request changes
    /// neither). The reshuffled plan is checked against the problem after this.
    pub fn apply(&self, problem: &mut Problem) -> Result<(), ChangeError> {
        self.validate(problem)?;
        match *self {
            Change::CutVenueDay { venue, date } => {
                for b in &mut problem.bands {
                    if b.venue == venue && b.date == date {
                        b.closed = true;
                    }
                }
            }
            Change::CloseBand { band } => problem.bands[band].closed = true,
            Change::LowerCapacity { band, capacity } => problem.bands[band].capacity = capacity,
            Change::SupplyDrop {
                venue,
                from,
                to,
                doses_per_day,
            } => {
                let mut days: Vec<NaiveDate> = problem
                    .bands
                    .iter()
                    .filter(|b| b.venue == venue && b.date >= from && b.date <= to)
                    .map(|b| b.date)
                    .collect();
                days.sort_unstable();
                days.dedup();
                for date in days {
                    match problem
                        .supply
                        .iter_mut()
                        .find(|s| s.venue == venue && s.date == date)
                    {
                        Some(s) => s.doses = s.doses.min(doses_per_day),
                        None => problem.supply.push(Supply {
                            venue,
                            date,
                            doses: doses_per_day,
                        }),
                    }
                }
            }
            Change::MoveRequest { .. } => {}
        }
        Ok(())
    }
}

/// One dose moved (or cancelled when `to` is `None`).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Move {
    /// The resident.
    pub resident: ResidentIdx,
    /// The dose.
    pub dose: Dose,
    /// The band before.
    pub from: Option<BandIdx>,
    /// The band after; `None`: the booking is cancelled (see the unplaced list).
    pub to: Option<BandIdx>,
}

/// The outcome of a reshuffle: a preview HQ looks at before applying it.
#[derive(Debug, Clone, PartialEq)]
pub struct ReshufflePlan {
    /// The problem after the change (calendar and supply changed); verify against this.
    pub problem: Problem,
    /// The whole plan after the reshuffle.
    pub schedule: Schedule,
    /// Every changed booking.
    pub moves: Vec<Move>,
    /// Affected residents who could not be re-seated (or whose request could not be met).
    pub unplaced: Vec<Unplaced>,
    /// Residents the change touched.
    pub affected: usize,
}

/// Re-seats everyone `change` affects (see the module text). Deterministic for a seed.
pub fn reshuffle(
    problem: &Problem,
    change: &Change,
    options: &PlanOptions<'_>,
) -> Result<ReshufflePlan, ReshuffleError> {
    problem.validate()?;
    let mut after = problem.clone();
    change.apply(&mut after)?;
    let before: Vec<Seats> = problem.residents.iter().map(|r| r.booked).collect();
    let mut seats = before.clone();
    let mut seater = Seater::new(&after, &seats);
    let mut rng = SplitMix::new(options.seed);

    let displaced = displaced_doses(&seater, &seats, change, &mut rng);
    // Release every displaced seat first, so the displaced can use each other's room.
    for &(r, dose) in &displaced {
        if let Some(b) = seats[r].get(dose) {
            seater.release(r, b);
            seats[r].set(dose, None);
        }
    }
    let mut residents: Vec<ResidentIdx> = displaced.iter().map(|&(r, _)| r).collect();
    residents.sort_unstable();
    residents.dedup();
    let mut order: Vec<(usize, NaiveDate, u64, ResidentIdx)> = residents
        .iter()
        .map(|&r| {
            let phase = seater.costing.phase(r).unwrap_or(usize::MAX);
            (phase, after.residents[r].birth_date, rng.next_u64(), r)
        })
        .collect();
    order.sort_unstable();

    let request = match *change {
        Change::MoveRequest {
            resident,
            dose,
            from,
            to,
            venue,
        } => Some((resident, dose, day_number(from), day_number(to), venue)),
        _ => None,
    };
    let mut unplaced = Vec::new();
    for (n, &(_, _, _, r)) in order.iter().enumerate() {
        if n % 64 == 0 && options.stop.should_stop() {
            for &(_, _, _, rest) in &order[n..] {
                restore_or_report(&mut seater, &mut seats, &before, rest, &mut unplaced);
            }
            break;
        }
        let asked = request.filter(|q| q.0 == r);
        match reseat(&mut seater, &mut seats, &before, r, asked) {
            Ok(()) => {}
            Err((dose, reason)) => {
                if asked.is_some() {
                    // A request that cannot be met leaves the bookings as they were.
                    for b in [seats[r].first, seats[r].second].into_iter().flatten() {
                        seater.release(r, b);
                    }
                    seats[r] = before[r];
                    for b in [before[r].first, before[r].second].into_iter().flatten() {
                        seater.take(r, b);
                    }
                }
                unplaced.push(Unplaced {
                    resident: r,
                    dose,
                    reason,
                });
            }
        }
    }

    crate::schedule::explain(&seater, &mut unplaced);
    let mut moves = Vec::new();
    for &r in &residents {
        for dose in [Dose::First, Dose::Second] {
            let (from, to) = (before[r].get(dose), seats[r].get(dose));
            if from != to {
                moves.push(Move {
                    resident: r,
                    dose,
                    from,
                    to,
                });
            }
        }
    }
    let mut all_unplaced: Vec<Unplaced> = unplaced
        .iter()
        .copied()
        .filter(|u| lacks(&after, &seats, u.resident).is_some())
        .collect();
    let affected_set: std::collections::HashSet<ResidentIdx> = residents.iter().copied().collect();
    for r in 0..after.residents.len() {
        if affected_set.contains(&r) {
            continue;
        }
        if let Some(dose) = lacks(&after, &seats, r) {
            all_unplaced.push(Unplaced {
                resident: r,
                dose,
                reason: UnplacedReason::NoBookingBefore,
            });
        }
    }
    all_unplaced.sort_by_key(|u| u.resident);
    Ok(ReshufflePlan {
        schedule: Schedule {
            seats,
            unplaced: all_unplaced,
        },
        problem: after,
        moves,
        unplaced,
        affected: residents.len(),
    })
}

/// The first dose `r` lacks, if any.
fn lacks(problem: &Problem, seats: &[Seats], r: ResidentIdx) -> Option<Dose> {
    let has_first = seats[r].first.is_some() || problem.residents[r].first_given.is_some();
    if !has_first {
        Some(Dose::First)
    } else if seats[r].second.is_none() {
        Some(Dose::Second)
    } else {
        None
    }
}

/// Stopped before `r` was re-seated: give back what still fits, report the rest.
fn restore_or_report(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    before: &[Seats],
    r: ResidentIdx,
    unplaced: &mut Vec<Unplaced>,
) {
    for dose in [Dose::First, Dose::Second] {
        if seats[r].get(dose).is_none() {
            if let Some(b) = before[r].get(dose) {
                if seater.load.has_room(seater.problem, &seater.index, b)
                    && seater.bus_has_room(r, b)
                {
                    seater.take(r, b);
                    seats[r].set(dose, Some(b));
                }
            }
        }
    }
    if let Some(dose) = lacks(seater.problem, seats, r) {
        unplaced.push(Unplaced {
            resident: r,
            dose,
            reason: UnplacedReason::Stopped,
        });
    }
}

/// The (resident, dose) bookings the change displaces.
fn displaced_doses(
    seater: &Seater<'_>,
    seats: &[Seats],
    change: &Change,
    rng: &mut SplitMix,
) -> Vec<(ResidentIdx, Dose)> {
    let p = seater.problem;
    let mut holders: Vec<Vec<(ResidentIdx, Dose)>> = vec![Vec::new(); p.bands.len()];
    for (r, s) in seats.iter().enumerate() {
        for dose in [Dose::First, Dose::Second] {
            if let Some(b) = s.get(dose) {
                holders[b].push((r, dose));
            }
        }
    }
    let mut out = Vec::new();
    // Who moves when only some must: riders last, then earlier phases, then older.
    let key = |&(r, _): &(ResidentIdx, Dose), salt: u64| {
        let res = &p.residents[r];
        (
            res.needs_transport,
            std::cmp::Reverse(seater.costing.phase(r).unwrap_or(usize::MAX)),
            std::cmp::Reverse(res.birth_date),
            salt,
        )
    };
    let mut choose = |mut list: Vec<(ResidentIdx, Dose)>, k: usize, out: &mut Vec<_>| {
        let mut keyed: Vec<_> = list
            .drain(..)
            .map(|h| (key(&h, rng.next_u64()), h))
            .collect();
        keyed.sort_unstable();
        out.extend(keyed.into_iter().take(k).map(|(_, h)| h));
    };
    match *change {
        Change::MoveRequest { resident, dose, .. } => out.push((resident, dose)),
        _ => {
            for (b, band) in p.bands.iter().enumerate() {
                let n = holders[b].len();
                if band.closed {
                    out.extend(holders[b].iter().copied());
                } else if n > band.capacity as usize {
                    choose(holders[b].clone(), n - band.capacity as usize, &mut out);
                }
            }
            // Venue days over their (new) supply, counting what the bands above already shed.
            let gone: std::collections::HashSet<(ResidentIdx, Dose)> =
                out.iter().copied().collect();
            for s in &p.supply {
                let mut on_day = Vec::new();
                for &b in seater.index.bands_on(s.venue, day_number(s.date)) {
                    on_day.extend(holders[b].iter().copied().filter(|h| !gone.contains(h)));
                }
                if on_day.len() > s.doses as usize {
                    let k = on_day.len() - s.doses as usize;
                    choose(on_day, k, &mut out);
                }
            }
        }
    }
    out
}

/// Re-seats resident `r`, whose displaced doses have been released. `asked` is the
/// resident's own request (resident, dose, from day, to day, venue), if this is it.
fn reseat(
    seater: &mut Seater<'_>,
    seats: &mut [Seats],
    before: &[Seats],
    r: ResidentIdx,
    asked: Option<(ResidentIdx, Dose, i32, i32, Option<VenueIdx>)>,
) -> Result<(), (Dose, UnplacedReason)> {
    let p = seater.problem;
    let resident = &p.residents[r];
    let want_venue: Option<[VenueIdx; 1]> = asked.and_then(|q| q.4).map(|v| [v]);
    let request_bounds = |dose: Dose| match asked {
        Some((_, d, from, to, _)) if d == dose => Bounds {
            from_day: from,
            to_day: to,
            venues: want_venue.as_ref().map(|v| &v[..]),
        },
        _ => Bounds::open(),
    };
    let missing_first = seats[r].first.is_none() && resident.first_given.is_none();
    if !missing_first {
        // Only dose 2 is displaced: move it within the window of dose 1 if possible.
        let (day1, venue1) = match (seats[r].first, resident.first_given) {
            (Some(b), _) => (seater.index.day[b], Some(p.bands[b].venue)),
            (None, Some(g)) => (day_number(g.date), g.venue),
            (None, None) => unreachable!("not missing dose 1"),
        };
        let old2 = before[r].second;
        let bounds2 = request_bounds(Dose::Second);
        if let Some(b2) = best_near(seater, r, old2, |s, b| {
            let d = s.index.day[b];
            let w = &s.problem.window;
            d >= day1 + w.min_days as i32
                && d <= day1 + w.max_days as i32
                && (s.problem.allow_other_venue
                    || venue1.is_none_or(|v| v == s.problem.bands[b].venue))
                && within(s, b, bounds2)
        }) {
            seater.take(r, b2);
            seats[r].second = Some(b2);
            return Ok(());
        }
        // Dose 2 cannot move alone: move dose 1 with it, unless dose 1 was given.
        let Some(b1) = seats[r].first else {
            return Err((Dose::Second, seater.why_not_second(r, day1, venue1)));
        };
        if asked.is_some() {
            return Err((Dose::Second, UnplacedReason::NoBandAsRequested));
        }
        seater.release(r, b1);
        seats[r].first = None;
        return match best_pair_near(seater, r, before[r], Bounds::open(), Bounds::open()) {
            Some((n1, n2)) => {
                seater.take(r, n1);
                seater.take(r, n2);
                seats[r] = Seats {
                    first: Some(n1),
                    second: Some(n2),
                };
                Ok(())
            }
            None => {
                seater.take(r, b1);
                seats[r].first = Some(b1);
                Err((Dose::Second, seater.why_not_second(r, day1, venue1)))
            }
        };
    }
    // Dose 1 is displaced. First try to keep dose 2 where it is.
    let old1 = before[r].first;
    let bounds1 = request_bounds(Dose::First);
    if let Some(b2) = seats[r].second {
        let d2 = seater.index.day[b2];
        let v2 = p.bands[b2].venue;
        let opens = seater.costing.opens(r).map(day_number).unwrap_or(i32::MIN);
        if let Some(b1) = best_near(seater, r, old1, |s, b| {
            let d = s.index.day[b];
            let w = &s.problem.window;
            d >= opens
                && d + w.min_days as i32 <= d2
                && d + w.max_days as i32 >= d2
                && (s.problem.allow_other_venue || s.problem.bands[b].venue == v2)
                && within(s, b, bounds1)
        }) {
            seater.take(r, b1);
            seats[r].first = Some(b1);
            return Ok(());
        }
        seater.release(r, b2);
        seats[r].second = None;
    }
    match best_pair_near(seater, r, before[r], bounds1, Bounds::open()) {
        Some((n1, n2)) => {
            seater.take(r, n1);
            seater.take(r, n2);
            seats[r] = Seats {
                first: Some(n1),
                second: Some(n2),
            };
            Ok(())
        }
        None => {
            // Found for all at the end (`explain`), once per class of resident.
            let reason = if asked.is_some() {
                UnplacedReason::NoBandAsRequested
            } else {
                UnplacedReason::NoRoomInWindow
            };
            Err((Dose::First, reason))
        }
    }
}

/// Whether band `b` is inside `bounds`.
fn within(seater: &Seater<'_>, b: BandIdx, bounds: Bounds<'_>) -> bool {
    let d = seater.index.day[b];
    d >= bounds.from_day
        && d <= bounds.to_day
        && bounds
            .venues
            .is_none_or(|vs| vs.contains(&seater.problem.bands[b].venue))
}

/// Disruption of putting a dose booked in `old` into `new`.
fn disruption(seater: &Seater<'_>, old: Option<BandIdx>, new: BandIdx) -> f64 {
    let p = seater.problem;
    match old {
        None => 0.0,
        Some(o) => {
            let shift = (seater.index.day[new] - seater.index.day[o]).unsigned_abs();
            SHIFT_DAY_PENALTY * f64::from(shift)
                + if p.bands[o].venue == p.bands[new].venue {
                    0.0
                } else {
                    VENUE_CHANGE_PENALTY
                }
        }
    }
}

/// The least disruptive usable band for a single dose of `r` that was in `old`, among bands
/// passing `fits`, searched outward from `old`'s day.
fn best_near(
    seater: &Seater<'_>,
    r: ResidentIdx,
    old: Option<BandIdx>,
    fits: impl Fn(&Seater<'_>, BandIdx) -> bool,
) -> Option<BandIdx> {
    let p = seater.problem;
    let centre = old
        .map(|o| seater.index.day[o])
        .unwrap_or(seater.index.campaign_start);
    let (first, last) = day_span(seater);
    let mut best: Option<(BandIdx, f64)> = None;
    for k in 0.. {
        let off = if k % 2 == 0 { k / 2 } else { -(k + 1) / 2 };
        let d = centre + off;
        if centre + k / 2 > last && centre - k / 2 < first {
            break;
        }
        if best.is_some_and(|(_, c)| c <= SHIFT_DAY_PENALTY * f64::from(off.unsigned_abs())) {
            break;
        }
        for v in 0..p.venues.len() {
            for &b in seater.index.bands_on(v, d) {
                if !fits(seater, b) || !usable(seater, r, b) {
                    continue;
                }
                let cost = disruption(seater, old, b) + seater.costing.dose(r, b);
                if best.is_none_or(|(_, c)| cost < c) {
                    best = Some((b, cost));
                }
            }
        }
    }
    best.map(|(b, _)| b)
}

/// The least disruptive new pair for `r` (both doses move), dose 1 searched outward from
/// its old day.
fn best_pair_near(
    seater: &Seater<'_>,
    r: ResidentIdx,
    old: Seats,
    bounds1: Bounds<'_>,
    bounds2: Bounds<'_>,
) -> Option<(BandIdx, BandIdx)> {
    let p = seater.problem;
    let centre = old
        .first
        .map(|o| seater.index.day[o])
        .unwrap_or(seater.index.campaign_start);
    let opens = seater.costing.opens(r).map(day_number).unwrap_or(i32::MIN);
    let (first, last) = day_span(seater);
    let mut best: Option<(BandIdx, BandIdx, f64)> = None;
    for k in 0.. {
        let off = if k % 2 == 0 { k / 2 } else { -(k + 1) / 2 };
        let d = centre + off;
        if centre + k / 2 > last && centre - k / 2 < first {
            break;
        }
        // Both doses shift by about as much.
        let floor = MOVE_PENALTY + 2.0 * SHIFT_DAY_PENALTY * f64::from(off.unsigned_abs());
        if best.is_some_and(|(_, _, c)| c <= floor) {
            break;
        }
        if d < opens || d < bounds1.from_day || d > bounds1.to_day {
            continue;
        }
        for v in 0..p.venues.len() {
            if bounds1.venues.is_some_and(|vs| !vs.contains(&v)) {
                continue;
            }
            for &b1 in seater.index.bands_on(v, d) {
                if !usable(seater, r, b1) {
                    continue;
                }
                let Some((b2, cost2)) = seater.best_second(r, d, Some(v), bounds2, Some(b1)) else {
                    continue;
                };
                let cost = MOVE_PENALTY
                    + disruption(seater, old.first, b1)
                    + disruption(seater, old.second, b2)
                    + seater.costing.dose(r, b1)
                    + cost2;
                if best.is_none_or(|(_, _, c)| cost < c) {
                    best = Some((b1, b2, cost));
                }
            }
        }
    }
    best.map(|(a, b, _)| (a, b))
}

fn usable(seater: &Seater<'_>, r: ResidentIdx, b: BandIdx) -> bool {
    seater.usable(r, b)
}

/// First and last day number with a band.
fn day_span(seater: &Seater<'_>) -> (i32, i32) {
    (seater.index.campaign_start, seater.index.campaign_end)
}
