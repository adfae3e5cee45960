//! Bus routing for residents who need a ride to their vaccination venue and home again.
//!
//! A capacitated vehicle routing problem with time windows, seat counts, a maximum ride time
//! per rider and vehicle shifts, solved for the hierarchical objective the city cares about:
//! serve everyone who can be served, with the fewest vehicles, then the fewest kilometres.
//! Pure: no clock, no randomness and no files of its own (time, seed and cancellation are
//! passed in; formats are parsed from `&str`).
//!
//! * [`TransportProblem`] (JSON, validated) → [`solve`] → [`Plan`] (JSON);
//! * [`verify`]: the independent checker every test and benchmark uses;
//! * [`replan`]: a cancellation or a new rider, keeping announced times;
//! * [`solomon`]: the literature's VRPTW benchmark on the same engine;
//! * [`city`]: deterministic synthetic city days for benchmarks.
#![deny(missing_docs)]

pub mod city;
mod engine;
mod model;
mod plan;
mod replan;
mod rng;
pub mod solomon;
mod verify;

pub use engine::Limits;
pub use model::{
    ClockTime, Place, ProblemError, Rider, TransportProblem, Travel, TravelMatrix, Trip, Vehicle,
    DEFAULT_BOARDING_MINUTES, DEFAULT_DETOUR_FACTOR, DEFAULT_MAX_RIDE_MINUTES,
    DEFAULT_MAX_WAIT_MINUTES, DEFAULT_SPEED_KMH, DEFAULT_VENUE_SERVICE_MINUTES, PROBLEM_FORMAT,
};
pub use plan::{
    clock, plan_from_order, solve, OrderError, Plan, PlanError, PlannedRoute, PlannedStop,
    RouteOrder, Unserved, UnservedReason, PLAN_FORMAT,
};
pub use replan::{replan, Change, Replan, ReplanError, ReplanOptions, TimeChange};
pub use rng::SplitMix64;
pub use verify::{verify, Rule, Verified, Violation};
