//! An independent feasibility check of a plan against its problem.
//!
//! It shares nothing with the search but the problem's own travel figures: it re-walks every
//! route from the stated times, so a plan written by hand, by another tool or by an older
//! version is judged by the same rules: seats, pick-up windows, ride times, the venue's
//! deadline or ready time, the riders' wait at the venue for the bus home, vehicle shifts,
//! every rider exactly once (on a route or reported with a reason that holds), and the
//! stated kilometres.
//!
//! A ride is the time on the bus, recomputed from the route's own times (each at least the
//! driving and boarding after the one before): to the venue from the pick-up to the
//! arrival at the venue, home from the departure from the venue (after loading, never
//! before every rider is ready) to the end of getting off at the door. The wait at the
//! venue for the bus home (from `ready_at` to loading, i.e. the departure less the loading
//! minutes) is bounded by `max_wait_minutes`.

use std::collections::HashMap;

use serde::Serialize;

use crate::model::{Place, TransportProblem, Trip};
use crate::plan::{Plan, PlannedRoute, UnservedReason};

/// Slack for rounding in times and kilometres.
const SLACK: f64 = 1e-6;

/// The rule a violation breaks.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
pub enum Rule {
    /// A vehicle or rider id the problem does not have, or a vehicle used twice.
    UnknownOrRepeatedId,
    /// A rider missing, or on the plan more than once.
    EveryRiderOnce,
    /// More seats taken than the vehicle has.
    Seats,
    /// Stated times closer together than the driving and boarding need.
    TravelTime,
    /// Picked up before the rider's earliest pick-up.
    PickupWindow,
    /// Not at the venue by the band start (to the venue), or leaving before riders are
    /// ready (return).
    VenueTime,
    /// A rider on board longer than the limit, or a stated ride time that is wrong.
    RideTime,
    /// Riders waiting at the venue for the bus home longer than `max_wait_minutes`.
    VenueWait,
    /// Leaving before the shift starts or back after it ends.
    VehicleHours,
    /// Stated kilometres or vehicle count that do not match the routes.
    Totals,
    /// An unserved reason that does not hold.
    Reason,
}

/// One broken rule.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct Violation {
    /// The rule.
    pub rule: Rule,
    /// The vehicle concerned, if any.
    pub vehicle: Option<String>,
    /// The rider concerned, if any.
    pub rider: Option<String>,
    /// What exactly (English, for logs and tests).
    pub detail: String,
}

/// What a feasible plan costs, recomputed.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Verified {
    /// Vehicles with riders.
    pub vehicles: usize,
    /// Kilometres, garage to garage, all vehicles.
    pub km: f64,
    /// Riders on a route.
    pub served: usize,
}

struct Checker<'a> {
    problem: &'a TransportProblem,
    violations: Vec<Violation>,
}

impl Checker<'_> {
    fn fail(&mut self, rule: Rule, vehicle: Option<&str>, rider: Option<&str>, detail: String) {
        self.violations.push(Violation {
            rule,
            vehicle: vehicle.map(str::to_owned),
            rider: rider.map(str::to_owned),
            detail,
        });
    }

    fn at_least(
        &mut self,
        rule: Rule,
        route: &PlannedRoute,
        rider: Option<&str>,
        what: &str,
        value: f64,
        bound: f64,
    ) {
        if value < bound - SLACK {
            self.fail(
                rule,
                Some(&route.vehicle),
                rider,
                format!("{what} at {value:.3} but not before {bound:.3}"),
            );
        }
    }

    fn at_most(
        &mut self,
        rule: Rule,
        route: &PlannedRoute,
        rider: Option<&str>,
        what: &str,
        value: f64,
        bound: f64,
    ) {
        if value > bound + SLACK {
            self.fail(
                rule,
                Some(&route.vehicle),
                rider,
                format!("{what} at {value:.3} but not after {bound:.3}"),
            );
        }
    }

    /// Checks one route; returns its kilometres.
    fn route(&mut self, route: &PlannedRoute, riders: &HashMap<&str, usize>) -> f64 {
        let p = self.problem;
        let Some(vehicle) = p.vehicles.iter().find(|v| v.id == route.vehicle) else {
            self.fail(
                Rule::UnknownOrRepeatedId,
                Some(&route.vehicle),
                None,
                "no such vehicle".into(),
            );
            return 0.0;
        };
        let mut stops = Vec::new();
        for s in &route.stops {
            match riders.get(s.rider.as_str()) {
                Some(&i) => stops.push((i, s)),
                None => self.fail(
                    Rule::UnknownOrRepeatedId,
                    Some(&route.vehicle),
                    Some(&s.rider),
                    "no such rider".into(),
                ),
            }
        }
        if stops.is_empty() {
            self.fail(
                Rule::Totals,
                Some(&route.vehicle),
                None,
                "a route without riders".into(),
            );
            return 0.0;
        }
        let seats: u32 = stops.iter().map(|&(i, _)| p.riders[i].seats).sum();
        if seats > vehicle.seats || seats != route.seats_used {
            self.fail(
                Rule::Seats,
                Some(&route.vehicle),
                None,
                format!(
                    "{seats} seats taken (stated {}) in a vehicle of {}",
                    route.seats_used, vehicle.seats
                ),
            );
        }
        let svc = p.venue_service_minutes;
        let to_venue = matches!(p.trip, Trip::ToVenue { .. });
        // The places in driving order, with the time service starts there and its length.
        let mut legs: Vec<(Place, f64, f64)> = Vec::new();
        self.at_least(
            Rule::VehicleHours,
            route,
            None,
            "leaves the garage",
            route.leave_garage_minute,
            vehicle.shift_start.minutes(),
        );
        legs.push((Place::Garage, route.leave_garage_minute, 0.0));
        let rider_legs = stops
            .iter()
            .map(|&(i, s)| (Place::Rider(i), s.minute, p.riders[i].boarding_minutes));
        let venue_leg = (Place::Venue, route.venue_arrival_minute, 0.0);
        if to_venue {
            legs.extend(rider_legs);
            legs.push(venue_leg);
        } else {
            legs.push(venue_leg);
            legs.push((Place::Venue, route.venue_departure_minute, 0.0));
            legs.extend(rider_legs);
        }
        let mut km = 0.0;
        for pair in legs.windows(2) {
            let ((a, ta, sa), (b, tb, _)) = (pair[0], pair[1]);
            let (d, t) = p.travel(a, b);
            km += d;
            let rider = match b {
                Place::Rider(i) => Some(p.riders[i].id.as_str()),
                _ => None,
            };
            self.at_least(Rule::TravelTime, route, rider, "reached", tb, ta + sa + t);
        }
        let last = *legs.last().unwrap_or(&(Place::Garage, 0.0, 0.0));
        let (to_garage_km, to_garage_min) = if to_venue {
            p.travel(Place::Venue, Place::Garage)
        } else {
            p.travel(last.0, Place::Garage)
        };
        km += to_garage_km;
        let ready_to_return = if to_venue {
            self.at_least(
                Rule::VenueTime,
                route,
                None,
                "leaves the venue",
                route.venue_departure_minute,
                route.venue_arrival_minute + svc,
            );
            route.venue_departure_minute
        } else {
            last.1 + last.2
        };
        self.at_least(
            Rule::TravelTime,
            route,
            None,
            "back at the garage",
            route.back_at_garage_minute,
            ready_to_return + to_garage_min,
        );
        self.at_most(
            Rule::VehicleHours,
            route,
            None,
            "back at the garage",
            route.back_at_garage_minute,
            vehicle.shift_end.minutes(),
        );
        match p.trip {
            Trip::ToVenue { arrive_by } => {
                self.at_most(
                    Rule::VenueTime,
                    route,
                    None,
                    "riders off the bus",
                    route.venue_arrival_minute + svc,
                    arrive_by.minutes(),
                );
            }
            Trip::FromVenue { ready_at } => {
                self.at_least(
                    Rule::VenueTime,
                    route,
                    None,
                    "leaves the venue",
                    route.venue_departure_minute,
                    route.venue_arrival_minute.max(ready_at.minutes()) + svc,
                );
                self.at_most(
                    Rule::VenueWait,
                    route,
                    None,
                    "starts loading the riders who were ready",
                    route.venue_departure_minute - svc,
                    ready_at.minutes() + p.max_wait_minutes,
                );
            }
        }
        for &(i, s) in &stops {
            let r = &p.riders[i];
            if let Some(earliest) = r.earliest_pickup {
                self.at_least(
                    Rule::PickupWindow,
                    route,
                    Some(&r.id),
                    "picked up",
                    s.minute,
                    earliest.minutes(),
                );
            }
            let ride = if to_venue {
                route.venue_arrival_minute - s.minute
            } else {
                s.minute + r.boarding_minutes - route.venue_departure_minute
            };
            if ride > p.ride_limit(i) + SLACK || (ride - s.ride_minutes).abs() > SLACK {
                self.fail(
                    Rule::RideTime,
                    Some(&route.vehicle),
                    Some(&r.id),
                    format!(
                        "rides {ride:.3} min (stated {:.3}, limit {})",
                        s.ride_minutes,
                        p.ride_limit(i)
                    ),
                );
            }
        }
        if (km - route.km).abs() > SLACK * km.max(1.0) {
            self.fail(
                Rule::Totals,
                Some(&route.vehicle),
                None,
                format!("drives {km:.6} km, stated {:.6}", route.km),
            );
        }
        km
    }

    fn reason_holds(&self, i: usize, reason: UnservedReason) -> bool {
        let p = self.problem;
        let r = &p.riders[i];
        match reason {
            UnservedReason::NoSeatLargeEnough => p.vehicles.iter().all(|v| v.seats < r.seats),
            UnservedReason::BeyondRideLimit => {
                let direct = match p.trip {
                    Trip::ToVenue { .. } => p.travel(Place::Rider(i), Place::Venue).1,
                    Trip::FromVenue { .. } => p.travel(Place::Venue, Place::Rider(i)).1,
                };
                r.boarding_minutes + direct > p.ride_limit(i) - SLACK
            }
            UnservedReason::TimeWindowImpossible => match p.trip {
                Trip::ToVenue { arrive_by } => {
                    // Alone, picked up at the earliest allowed minute, the rider misses the
                    // band or the ride limit.
                    let direct = p.travel(Place::Rider(i), Place::Venue).1;
                    let earliest = r.earliest_pickup.map_or(f64::NEG_INFINITY, |e| e.minutes());
                    earliest + r.boarding_minutes + direct + p.venue_service_minutes
                        > arrive_by.minutes() + SLACK
                }
                // Drop-offs have no windows besides the ride limit.
                Trip::FromVenue { .. } => false,
            },
            // Shifts and fleet size: judged by the search, not re-derived here.
            UnservedReason::OutsideVehicleHours | UnservedReason::FleetTooSmall => true,
        }
    }
}

/// Checks `plan` against `problem`; the recomputed totals if every rule holds, else every
/// violation found.
pub fn verify(problem: &TransportProblem, plan: &Plan) -> Result<Verified, Vec<Violation>> {
    let mut checker = Checker {
        problem,
        violations: Vec::new(),
    };
    let riders: HashMap<&str, usize> = problem
        .riders
        .iter()
        .enumerate()
        .map(|(i, r)| (r.id.as_str(), i))
        .collect();
    let mut seen = vec![0usize; problem.riders.len()];
    let mut vehicles_seen = HashMap::new();
    let mut km = 0.0;
    for route in &plan.routes {
        if vehicles_seen.insert(route.vehicle.as_str(), ()).is_some() {
            checker.fail(
                Rule::UnknownOrRepeatedId,
                Some(&route.vehicle),
                None,
                "vehicle has two routes".into(),
            );
        }
        for s in &route.stops {
            if let Some(&i) = riders.get(s.rider.as_str()) {
                seen[i] += 1;
            }
        }
        km += checker.route(route, &riders);
    }
    for u in &plan.unserved {
        match riders.get(u.rider.as_str()) {
            Some(&i) => {
                seen[i] += 1;
                if !checker.reason_holds(i, u.reason) {
                    checker.fail(
                        Rule::Reason,
                        None,
                        Some(&u.rider),
                        format!("reason {:?} does not hold", u.reason),
                    );
                }
            }
            None => checker.fail(
                Rule::UnknownOrRepeatedId,
                None,
                Some(&u.rider),
                "no such rider".into(),
            ),
        }
    }
    for (i, &n) in seen.iter().enumerate() {
        if n != 1 {
            let id = problem.riders[i].id.clone();
            checker.fail(
                Rule::EveryRiderOnce,
                None,
                Some(&id),
                format!("on the plan {n} times"),
            );
        }
    }
    if plan.vehicles_used != plan.routes.len() || (plan.total_km - km).abs() > SLACK * km.max(1.0) {
        checker.fail(
            Rule::Totals,
            None,
            None,
            format!(
                "{} routes and {km:.6} km, stated {} and {:.6}",
                plan.routes.len(),
                plan.vehicles_used,
                plan.total_km
            ),
        );
    }
    if checker.violations.is_empty() {
        Ok(Verified {
            vehicles: plan.routes.len(),
            km,
            served: plan.routes.iter().map(|r| r.stops.len()).sum(),
        })
    } else {
        Err(checker.violations)
    }
}
