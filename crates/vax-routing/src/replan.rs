//! Stable re-plans: after a cancellation or a new rider, change as little as possible.
//!
//! Riders were told a pick-up time. A re-plan keeps every route's order, takes a cancelled
//! rider off (everyone else keeps their time: the vehicle may wait instead of arriving
//! early) and puts a new rider where the added kilometres plus the minutes other riders
//! would move beyond a tolerance cost least. If no route can take them, a spare vehicle
//! does; without one (or when asked to save vehicles first) riders are reshuffled between
//! routes by a short ruin and recreate. Times are kept where the bounds allow; the answer
//! lists every rider whose time changed and by how much.

use std::collections::HashMap;

use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};

use crate::engine::{open_route, place_without_new_vehicles, route_from, Route};
use crate::model::{ProblemError, Rider, TransportProblem, Trip};
use crate::plan::{build_plan, Plan};

/// What changed since the plan was announced.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Change {
    /// A rider no longer comes.
    Cancel {
        /// Rider id.
        rider: String,
    },
    /// A rider joins.
    Add {
        /// The new rider.
        rider: Rider,
    },
}

/// How much stability is worth.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct ReplanOptions {
    /// Moves up to this many minutes are free (riders wait a few minutes anyway).
    pub tolerance_minutes: f64,
    /// Kilometres one minute of move beyond the tolerance is worth.
    pub km_per_minute_moved: f64,
    /// When a new rider fits no route: reshuffle riders between routes (moving announced
    /// times) before taking a spare vehicle. Off by default: riders were told a time, so a
    /// spare vehicle comes first and a reshuffle only when there is none.
    pub reshuffle_before_spare_vehicle: bool,
    /// Ruin-and-recreate tries for such a reshuffle (a few milliseconds per thousand).
    pub reshuffle_iterations: u64,
}

impl Default for ReplanOptions {
    fn default() -> Self {
        Self {
            tolerance_minutes: 3.0,
            km_per_minute_moved: 2.0,
            reshuffle_before_spare_vehicle: false,
            reshuffle_iterations: 5000,
        }
    }
}

/// A rider whose time is not the announced one any more.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct TimeChange {
    /// Rider id.
    pub rider: String,
    /// Announced minute.
    pub before_minute: f64,
    /// New minute.
    pub after_minute: f64,
    /// `after − before` (positive: later).
    pub shift_minutes: f64,
}

/// The new plan and who must be told.
#[derive(Debug, Clone, PartialEq)]
pub struct Replan {
    /// The problem after the change.
    pub problem: TransportProblem,
    /// The new plan.
    pub plan: Plan,
    /// Riders whose time moved, largest move first.
    pub changed: Vec<TimeChange>,
}

/// Why a re-plan was refused.
#[derive(Debug, Error, PartialEq)]
pub enum ReplanError {
    /// A cancellation names a rider the problem does not have.
    #[error("rider {0:?} is not in the problem")]
    UnknownRider(String),
    /// The changed problem is not valid (e.g. a new rider's id already exists).
    #[error(transparent)]
    Problem(#[from] ProblemError),
}

impl UserFacing for ReplanError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::UnknownRider(_) => ErrorCode::NotFound,
            Self::Problem(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::UnknownRider(id) => format!("利用者 {id:?} は送迎の対象にいません"),
            Self::Problem(e) => e.message_ja(),
        }
    }
}

/// Re-plans `previous` (a plan for `problem`) after `change`.
pub fn replan(
    problem: &TransportProblem,
    previous: &Plan,
    change: &Change,
    options: &ReplanOptions,
) -> Result<Replan, ReplanError> {
    let mut next = problem.clone();
    match change {
        Change::Cancel { rider } => {
            let at = next
                .riders
                .iter()
                .position(|r| &r.id == rider)
                .ok_or_else(|| ReplanError::UnknownRider(rider.clone()))?;
            next.riders.remove(at);
        }
        Change::Add { rider } => next.riders.push(rider.clone()),
    }
    next.validate()?;
    let inst = next.to_engine();
    let index: HashMap<&str, usize> = next
        .riders
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut announced: HashMap<usize, f64> = HashMap::new();
    let mut routes: Vec<Route> = Vec::new();
    let mut pending: Vec<usize> = Vec::new();
    for old in &previous.routes {
        let stops: Vec<usize> = old
            .stops
            .iter()
            .filter_map(|s| {
                let c = *index.get(s.rider.as_str())?;
                announced.insert(c, s.minute);
                Some(c)
            })
            .collect();
        let vehicle = next.vehicles.iter().position(|v| v.id == old.vehicle);
        match vehicle.and_then(|v| route_from(&inst, v, stops.clone())) {
            Some(route) if !route.stops.is_empty() => routes.push(route),
            Some(_) => {}
            None => pending.extend(stops),
        }
    }
    pending.extend(
        previous
            .unserved
            .iter()
            .filter_map(|u| index.get(u.rider.as_str()).copied()),
    );
    if let Change::Add { rider } = change {
        pending.extend(index.get(rider.id.as_str()).copied());
    }
    let fallback = match next.trip {
        Trip::ToVenue { .. } => f64::INFINITY,
        Trip::FromVenue { .. } => f64::NEG_INFINITY,
    };
    let target = |c: usize| announced.get(&c).copied().unwrap_or(fallback);
    let penalty = |route: &Route| -> f64 {
        let times = route.schedule(&inst, |pos| target(route.stops[pos - 1]));
        route
            .stops
            .iter()
            .enumerate()
            .filter_map(|(i, c)| announced.get(c).map(|&a| (times[i + 1] - a).abs()))
            .map(|moved| (moved - options.tolerance_minutes).max(0.0))
            .sum()
    };
    let mut unassigned = Vec::new();
    for c in pending {
        let mut best: Option<(usize, Route, f64)> = None;
        for (ri, route) in routes.iter().enumerate() {
            let before = penalty(route);
            for (pos, added_km) in route.insertions(&inst, c) {
                let mut stops = route.stops.clone();
                stops.insert(pos, c);
                let Some(candidate) = route_from(&inst, route.vehicle, stops) else {
                    continue;
                };
                let cost = added_km + options.km_per_minute_moved * (penalty(&candidate) - before);
                if best.as_ref().is_none_or(|(_, _, b)| cost < *b) {
                    best = Some((ri, candidate, cost));
                }
            }
        }
        if let Some((ri, candidate, _)) = best {
            routes[ri] = candidate;
            continue;
        }
        let reshuffle = |routes: &[Route]| {
            place_without_new_vehicles(&inst, routes, &[c], options.reshuffle_iterations)
        };
        let spare = open_route(&inst, &routes, c);
        let reshuffled = match (&spare, options.reshuffle_before_spare_vehicle) {
            (None, _) | (Some(_), true) => reshuffle(&routes),
            (Some(_), false) => None,
        };
        match (reshuffled, spare) {
            (Some(new_routes), _) => routes = new_routes,
            (None, Some(route)) => routes.push(route),
            (None, None) => unassigned.push(c),
        }
    }
    let plan = build_plan(&next, &inst, &routes, &unassigned, |c| {
        announced.get(&c).copied()
    });
    let mut changed: Vec<TimeChange> = plan
        .routes
        .iter()
        .flat_map(|r| &r.stops)
        .filter_map(|s| {
            let before = announced.get(index.get(s.rider.as_str())?)?;
            ((s.minute - before).abs() > 1e-6).then(|| TimeChange {
                rider: s.rider.clone(),
                before_minute: *before,
                after_minute: s.minute,
                shift_minutes: s.minute - before,
            })
        })
        .collect();
    changed.sort_by(|a, b| b.shift_minutes.abs().total_cmp(&a.shift_minutes.abs()));
    Ok(Replan {
        problem: next,
        plan,
        changed,
    })
}
