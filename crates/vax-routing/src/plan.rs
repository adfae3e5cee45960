//! The answer: routes with times, and the riders who cannot be served with the reason.

use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};

use crate::engine::{self, Instance, Limits, Route, EPS};
use crate::model::{Place, TransportProblem, Trip};

/// The `format` value of a plan file.
pub const PLAN_FORMAT: &str = "vaxledger-transport-plan/1";

/// Why a rider is not on any route.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum UnservedReason {
    /// The rider needs more seats than the largest vehicle has.
    NoSeatLargeEnough,
    /// Even a direct ride between home and venue exceeds the rider's ride limit.
    BeyondRideLimit,
    /// The rider's times cannot be met even alone (e.g. earliest pick-up too late for the band).
    TimeWindowImpossible,
    /// Possible in principle, but not within any vehicle's shift.
    OutsideVehicleHours,
    /// The rider could ride alone, but the fleet is used up.
    FleetTooSmall,
}

impl UnservedReason {
    /// Japanese wording for HQ's screen.
    pub fn message_ja(self) -> &'static str {
        match self {
            Self::NoSeatLargeEnough => "必要な座席数を満たす車両がありません",
            Self::BeyondRideLimit => "直行しても最大乗車時間を超えます",
            Self::TimeWindowImpossible => "指定の時刻条件を満たせません",
            Self::OutsideVehicleHours => "車両の運行時間内に収まりません",
            Self::FleetTooSmall => "車両が足りません",
        }
    }
}

/// One rider's stop.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedStop {
    /// Rider id.
    pub rider: String,
    /// When the vehicle is at the door (minutes after midnight): boarding starts (to the
    /// venue) or getting off starts (return trip).
    pub minute: f64,
    /// `minute` rounded down, for letters and calls.
    pub clock: String,
    /// Minutes on board for this rider.
    pub ride_minutes: f64,
}

/// One vehicle's trip.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct PlannedRoute {
    /// Vehicle id.
    pub vehicle: String,
    /// Departure from the garage.
    pub leave_garage_minute: f64,
    /// Arrival at the venue.
    pub venue_arrival_minute: f64,
    /// Departure from the venue (after unloading or loading).
    pub venue_departure_minute: f64,
    /// Back at the garage.
    pub back_at_garage_minute: f64,
    /// Seats taken by the riders.
    pub seats_used: u32,
    /// Kilometres driven, garage to garage.
    pub km: f64,
    /// Stops in order.
    pub stops: Vec<PlannedStop>,
}

/// A rider left out, with the reason.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Unserved {
    /// Rider id.
    pub rider: String,
    /// Why.
    pub reason: UnservedReason,
}

/// A transport plan for one problem.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Plan {
    /// Always [`PLAN_FORMAT`].
    pub format: String,
    /// Vehicles with at least one rider.
    pub vehicles_used: usize,
    /// Kilometres of all routes.
    pub total_km: f64,
    /// One per used vehicle.
    pub routes: Vec<PlannedRoute>,
    /// Riders not on any route.
    pub unserved: Vec<Unserved>,
}

/// A plan file that cannot be read.
#[derive(Debug, Error, PartialEq)]
pub enum PlanError {
    /// Not JSON of the expected shape.
    #[error("plan JSON, line {line} column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde found.
        message: String,
    },
    /// Wrong `format` value.
    #[error("format {found:?} is not {PLAN_FORMAT:?}")]
    Format {
        /// The value in the file.
        found: String,
    },
}

impl UserFacing for PlanError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidInput
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Json {
                line,
                column,
                message,
            } => format!("送迎計画のJSONが読めません（{line}行{column}列）: {message}"),
            Self::Format { found } => format!("形式 {found:?} は {PLAN_FORMAT:?} ではありません"),
        }
    }
}

impl Plan {
    /// Parses a plan file (its feasibility is [`crate::verify`]'s job).
    pub fn from_json(text: &str) -> Result<Self, PlanError> {
        let plan: Self = serde_json::from_str(text).map_err(|e| PlanError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        if plan.format != PLAN_FORMAT {
            return Err(PlanError::Format { found: plan.format });
        }
        Ok(plan)
    }

    /// The plan as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }
}

/// `HH:MM` of a minute, rounded down (a rider told 08:12 is ready when the bus comes at
/// 08:12:40).
pub fn clock(minute: f64) -> String {
    let m = minute.max(0.0).floor() as u64;
    format!("{:02}:{:02}", m / 60, m % 60)
}

/// Solves `problem` (validated) from scratch: fewest unserved, then fewest vehicles, then
/// fewest kilometres.
pub fn solve(problem: &TransportProblem, seed: u64, limits: &Limits) -> Plan {
    let inst = problem.to_engine();
    let (outcome, _) = engine::solve(&inst, seed, limits);
    build_plan(
        problem,
        &inst,
        &outcome.best.routes,
        &outcome.best.unassigned,
        |_| None,
    )
}

/// Why rider `c` cannot be served.
pub(crate) fn classify(problem: &TransportProblem, inst: &Instance, c: usize) -> UnservedReason {
    let rider = &problem.riders[c];
    if problem.vehicles.iter().all(|v| v.seats < rider.seats) {
        return UnservedReason::NoSeatLargeEnough;
    }
    let direct = match problem.trip {
        Trip::ToVenue { .. } => problem.travel(Place::Rider(c), Place::Venue).1,
        Trip::FromVenue { .. } => problem.travel(Place::Venue, Place::Rider(c)).1,
    };
    if rider.boarding_minutes + direct > problem.ride_limit(c) + EPS {
        return UnservedReason::BeyondRideLimit;
    }
    if (0..inst.vehicles.len()).any(|v| inst.fits_alone(v, c)) {
        return UnservedReason::FleetTooSmall;
    }
    // With vehicles that work all day, would it fit? Then the shifts are the obstacle.
    let mut all_day = inst.clone();
    for v in &mut all_day.vehicles {
        // Home, the bus is at the venue when the riders are ready (rides count from there).
        v.earliest_start = match problem.trip {
            Trip::ToVenue { .. } => f64::NEG_INFINITY,
            Trip::FromVenue { ready_at } => ready_at.minutes(),
        };
        v.latest_start = f64::INFINITY;
        v.latest_end = problem.latest_venue_arrival().unwrap_or(f64::INFINITY);
    }
    if (0..all_day.vehicles.len()).any(|v| all_day.fits_alone(v, c)) {
        UnservedReason::OutsideVehicleHours
    } else {
        UnservedReason::TimeWindowImpossible
    }
}

/// Turns engine routes into a plan. `announced(c)` is the time rider `c` was told before (a
/// re-plan keeps it where the bounds allow); without one, pick-ups are as late as possible
/// (shortest rides) and drop-offs as early as possible.
pub(crate) fn build_plan(
    problem: &TransportProblem,
    inst: &Instance,
    routes: &[Route],
    unassigned: &[usize],
    announced: impl Fn(usize) -> Option<f64>,
) -> Plan {
    let to_venue = matches!(problem.trip, Trip::ToVenue { .. });
    let fallback = if to_venue {
        f64::INFINITY
    } else {
        f64::NEG_INFINITY
    };
    let svc = problem.venue_service_minutes;
    let mut planned = Vec::new();
    for route in routes.iter().filter(|r| !r.stops.is_empty()) {
        let times = route.schedule(inst, |pos| {
            announced(route.stops[pos - 1]).unwrap_or(fallback)
        });
        let k = route.stops.len();
        let vehicle = &inst.vehicles[route.vehicle];
        let (leave, venue_arrival, venue_departure, back) = if to_venue {
            (
                times[0],
                times[k + 1],
                times[k + 1] + svc,
                times[k + 1] + svc + inst.t(1, 0),
            )
        } else {
            (
                times[0] - inst.t(0, 1),
                times[0],
                times[0] + vehicle.start_service,
                times[k + 1],
            )
        };
        let stops = route
            .stops
            .iter()
            .enumerate()
            .map(|(i, &c)| {
                let minute = times[i + 1];
                let ride = if to_venue {
                    venue_arrival - minute
                } else {
                    minute + inst.customers[c].service - venue_departure
                };
                PlannedStop {
                    rider: problem.riders[c].id.clone(),
                    minute,
                    clock: clock(minute),
                    ride_minutes: ride,
                }
            })
            .collect();
        planned.push(PlannedRoute {
            vehicle: problem.vehicles[route.vehicle].id.clone(),
            leave_garage_minute: leave,
            venue_arrival_minute: venue_arrival,
            venue_departure_minute: venue_departure,
            back_at_garage_minute: back,
            seats_used: route.load,
            km: route.distance,
            stops,
        });
    }
    let mut unserved: Vec<Unserved> = unassigned
        .iter()
        .map(|&c| Unserved {
            rider: problem.riders[c].id.clone(),
            reason: classify(problem, inst, c),
        })
        .collect();
    unserved.sort_by(|a, b| a.rider.cmp(&b.rider));
    Plan {
        format: PLAN_FORMAT.to_owned(),
        vehicles_used: planned.len(),
        total_km: planned.iter().map(|r| r.km).sum(),
        routes: planned,
        unserved,
    }
}

/// A vehicle and its riders in visiting order: a hand-made move or another solver's answer.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct RouteOrder {
    /// Vehicle id.
    pub vehicle: String,
    /// Rider ids in order.
    pub riders: Vec<String>,
}

/// Why an order cannot become a plan.
#[derive(Debug, Error, PartialEq)]
pub enum OrderError {
    /// A vehicle id the problem does not have, or one with two routes.
    #[error("vehicle {0:?} is unknown or has two routes")]
    Vehicle(String),
    /// A rider id the problem does not have, or one on two routes.
    #[error("rider {0:?} is unknown or on the plan twice")]
    Rider(String),
    /// The order breaks a seat, time or ride-time rule.
    #[error("vehicle {0:?} cannot visit its riders in that order (seats, times or ride time)")]
    Infeasible(String),
}

impl UserFacing for OrderError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidInput
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Vehicle(id) => format!("車両 {id:?} が存在しないか、2つの経路に使われています"),
            Self::Rider(id) => format!("利用者 {id:?} が存在しないか、2回含まれています"),
            Self::Infeasible(id) => {
                format!("車両 {id:?} はこの順序では回れません（座席・時刻・乗車時間）")
            }
        }
    }
}

/// The plan for a given order (times as in [`solve`]); riders left out are reported with
/// their reason. Feasibility is checked on the way; [`crate::verify`] re-checks the result.
pub fn plan_from_order(
    problem: &TransportProblem,
    orders: &[RouteOrder],
) -> Result<Plan, OrderError> {
    let inst = problem.to_engine();
    let mut on_route = vec![false; problem.riders.len()];
    let mut vehicle_used = vec![false; problem.vehicles.len()];
    let mut routes = Vec::new();
    for order in orders.iter().filter(|o| !o.riders.is_empty()) {
        let v = problem
            .vehicles
            .iter()
            .position(|v| v.id == order.vehicle)
            .filter(|&v| !vehicle_used[v])
            .ok_or_else(|| OrderError::Vehicle(order.vehicle.clone()))?;
        vehicle_used[v] = true;
        let mut stops = Vec::with_capacity(order.riders.len());
        for id in &order.riders {
            let c = problem
                .riders
                .iter()
                .position(|r| &r.id == id)
                .filter(|&c| !on_route[c])
                .ok_or_else(|| OrderError::Rider(id.clone()))?;
            on_route[c] = true;
            stops.push(c);
        }
        routes.push(
            engine::route_from(&inst, v, stops)
                .ok_or_else(|| OrderError::Infeasible(order.vehicle.clone()))?,
        );
    }
    let unassigned: Vec<usize> = (0..problem.riders.len())
        .filter(|&c| !on_route[c])
        .collect();
    Ok(build_plan(problem, &inst, &routes, &unassigned, |_| None))
}
