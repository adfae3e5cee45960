//! The search: a capacitated VRP with time windows, per-vehicle start and end places and
//! shifts, solved for the hierarchical objective (fewest unserved, then fewest vehicles, then
//! least distance).
//!
//! Method: ruin and recreate in the style of SISR (Christiaens & Vanden Berghe, "Slack
//! Induction by String Removals", Transportation Science 2020): remove a few strings of
//! consecutive stops from routes near a random seed stop, re-insert the removed stops
//! greedily in a random order with "blinks" (positions skipped at random), accept by simulated
//! annealing on distance. A first phase removes whole routes and re-inserts their stops
//! with the same moves, steering by how often each stop stayed out (absence counters), until
//! the fleet cannot shrink or its time share is spent. Time windows are checked in O(1) per
//! insertion with the earliest and latest service start cached per route position.
//!
//! Ride-time limits (transport) are a constraint of their own ([`Ride`]): a rider's time on
//! the bus is measured on the route, from the departure at the start node (the way home:
//! everyone boards at the venue) or up to the arrival at the end node (the way to the venue),
//! and checked in O(1) per insertion with the least slack of the riders a shift reaches,
//! cached per route position. With [`Ride::None`] this is the plain VRPTW engine of the
//! Solomon benchmark, unchanged.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use crate::rng::SplitMix64;

/// Slack for floating-point comparisons of times (minutes or Solomon units).
pub(crate) const EPS: f64 = 1e-7;

/// How a stop's ride time is measured on its route.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub(crate) enum Ride {
    /// No ride limit (plain VRPTW, the Solomon benchmark).
    None,
    /// From the departure at the start node (after its service) to the end of the stop's
    /// service: the way home, riders board at the venue and get off at home.
    FromStart,
    /// From the start of the stop's service to the arrival at the end node: the way to the
    /// venue, riders board at home and get off at the venue.
    ToEnd,
}

/// A stop to serve.
#[derive(Debug, Clone)]
pub(crate) struct Customer {
    /// Index into the travel matrices.
    pub node: usize,
    /// Seats (or load units) taken.
    pub demand: u32,
    /// Minutes spent at the stop (boarding, alighting, service).
    pub service: f64,
    /// Service may not start before this.
    pub early: f64,
    /// Service must start by this.
    pub late: f64,
    /// Longest ride ([`Instance::ride`] says how it is measured; `∞` without a limit).
    pub max_ride: f64,
}

/// A vehicle: where it starts and ends, its capacity and its time frame.
#[derive(Debug, Clone)]
pub(crate) struct VehicleSpec {
    /// Start node.
    pub start: usize,
    /// End node.
    pub end: usize,
    /// Load units it carries.
    pub capacity: u32,
    /// Earliest service start at the start node.
    pub earliest_start: f64,
    /// Latest service start at the start node (the way home: the bus is at the venue no
    /// later than the riders' longest wait allows; `∞` without a bound).
    pub latest_start: f64,
    /// Service minutes at the start node (boarding at the venue on a return trip).
    pub start_service: f64,
    /// Latest arrival at the end node.
    pub latest_end: f64,
    /// Distance every used route adds besides its stops (the legs to and from the garage
    /// that do not depend on the order of stops).
    pub fixed_distance: f64,
}

/// The problem as the search sees it.
#[derive(Debug, Clone)]
pub(crate) struct Instance {
    /// Number of nodes (matrix side).
    pub nodes: usize,
    /// Distances, row-major `nodes × nodes`.
    pub dist: Vec<f64>,
    /// Travel times, row-major `nodes × nodes`.
    pub time: Vec<f64>,
    /// The stops.
    pub customers: Vec<Customer>,
    /// The fleet.
    pub vehicles: Vec<VehicleSpec>,
    /// How ride limits are measured ([`Ride::None`]: no ride limits).
    pub ride: Ride,
}

impl Instance {
    #[inline]
    pub fn d(&self, a: usize, b: usize) -> f64 {
        self.dist[a * self.nodes + b]
    }

    #[inline]
    pub fn t(&self, a: usize, b: usize) -> f64 {
        self.time[a * self.nodes + b]
    }

    /// Whether customer `c` alone fits vehicle `v`.
    pub fn fits_alone(&self, v: usize, c: usize) -> bool {
        let (veh, cu) = (&self.vehicles[v], &self.customers[c]);
        if cu.demand > veh.capacity {
            return false;
        }
        let arrive = veh.earliest_start + veh.start_service + self.t(veh.start, cu.node);
        let start = arrive.max(cu.early);
        let ride_ok = match self.ride {
            Ride::None => true,
            Ride::FromStart => {
                start + cu.service - (veh.earliest_start + veh.start_service) <= cu.max_ride + EPS
            }
            Ride::ToEnd => {
                let latest = cu
                    .late
                    .min(veh.latest_end - self.t(cu.node, veh.end) - cu.service);
                veh.latest_end - latest <= cu.max_ride + EPS
            }
        };
        start <= cu.late + EPS
            && veh.earliest_start <= veh.latest_end + EPS
            && veh.earliest_start <= veh.latest_start + EPS
            && start + cu.service + self.t(cu.node, veh.end) <= veh.latest_end + EPS
            && ride_ok
    }
}

/// One vehicle's ordered stops with cached schedule bounds.
#[derive(Debug, Clone)]
pub(crate) struct Route {
    /// Index into [`Instance::vehicles`].
    pub vehicle: usize,
    /// Customer indices in visiting order.
    pub stops: Vec<usize>,
    /// Sum of demands.
    pub load: u32,
    /// Distance including the vehicle's fixed distance.
    pub distance: f64,
    /// Earliest service start per position (0 = start node, `len+1` = arrival at the end).
    earliest: Vec<f64>,
    /// Latest service start per position, same indexing.
    latest: Vec<f64>,
    /// Ride slack per position (limit minus ride, least over the riders a shift of this
    /// position reaches): with [`Ride::FromStart`] the stops from here to the last (a later
    /// start here delays them), with [`Ride::ToEnd`] the stops from the first to here (an
    /// earlier start here moves them earlier). `∞` where no rider is reached.
    slack: Vec<f64>,
}

impl Route {
    fn new(vehicle: usize) -> Self {
        Self {
            vehicle,
            stops: Vec::new(),
            load: 0,
            distance: 0.0,
            earliest: Vec::new(),
            latest: Vec::new(),
            slack: Vec::new(),
        }
    }

    fn node(&self, inst: &Instance, pos: usize) -> usize {
        let veh = &inst.vehicles[self.vehicle];
        if pos == 0 {
            veh.start
        } else if pos > self.stops.len() {
            veh.end
        } else {
            inst.customers[self.stops[pos - 1]].node
        }
    }

    fn service(&self, inst: &Instance, pos: usize) -> f64 {
        if pos == 0 {
            inst.vehicles[self.vehicle].start_service
        } else if pos > self.stops.len() {
            0.0
        } else {
            inst.customers[self.stops[pos - 1]].service
        }
    }

    /// Recomputes load, distance and the schedule bounds; `false` if the route is infeasible.
    pub fn refresh(&mut self, inst: &Instance) -> bool {
        let veh = &inst.vehicles[self.vehicle];
        let k = self.stops.len();
        self.load = self.stops.iter().map(|&c| inst.customers[c].demand).sum();
        self.earliest.clear();
        self.latest.clear();
        self.earliest.resize(k + 2, 0.0);
        self.latest.resize(k + 2, 0.0);
        self.earliest[0] = veh.earliest_start;
        let mut distance = veh.fixed_distance;
        let mut feasible =
            self.load <= veh.capacity && veh.earliest_start <= veh.latest_start + EPS;
        for pos in 1..=k + 1 {
            let (a, b) = (self.node(inst, pos - 1), self.node(inst, pos));
            distance += inst.d(a, b);
            let arrive = self.earliest[pos - 1] + self.service(inst, pos - 1) + inst.t(a, b);
            let (early, late) = if pos <= k {
                let c = &inst.customers[self.stops[pos - 1]];
                (c.early, c.late)
            } else {
                (f64::NEG_INFINITY, veh.latest_end)
            };
            self.earliest[pos] = arrive.max(early);
            feasible &= self.earliest[pos] <= late + EPS;
        }
        self.latest[k + 1] = veh.latest_end;
        for pos in (0..=k).rev() {
            let (a, b) = (self.node(inst, pos), self.node(inst, pos + 1));
            let bound = self.latest[pos + 1] - inst.t(a, b) - self.service(inst, pos);
            let late = if pos == 0 {
                veh.latest_start
            } else {
                inst.customers[self.stops[pos - 1]].late
            };
            self.latest[pos] = bound.min(late);
        }
        self.distance = distance;
        // Rides on the schedule that makes them shortest: the way home as early as possible
        // from the departure (no wait once the riders are on board), the way to the venue as
        // late as possible up to the arrival (pick-ups as late as the route allows).
        self.slack.clear();
        self.slack.resize(k + 2, f64::INFINITY);
        let mut least = f64::INFINITY;
        match inst.ride {
            Ride::None => {}
            Ride::FromStart => {
                let departure = self.earliest[0] + self.service(inst, 0);
                for pos in (1..=k).rev() {
                    let c = &inst.customers[self.stops[pos - 1]];
                    let left = c.max_ride - (self.earliest[pos] + c.service - departure);
                    feasible &= left >= -EPS;
                    least = least.min(left);
                    self.slack[pos] = least;
                }
            }
            Ride::ToEnd => {
                let arrival = self.latest[k + 1];
                for pos in 1..=k {
                    let c = &inst.customers[self.stops[pos - 1]];
                    let left = c.max_ride - (arrival - self.latest[pos]);
                    feasible &= left >= -EPS;
                    least = least.min(left);
                    self.slack[pos] = least;
                }
            }
        }
        feasible
    }

    /// Whether `c` fits before stop index `pos` (seats are the caller's): its own window,
    /// the next position's latest start, and every ride limit on the route.
    #[inline]
    fn fits_at(&self, inst: &Instance, c: usize, pos: usize) -> bool {
        let cu = &inst.customers[c];
        let (a, b) = (self.node(inst, pos), self.node(inst, pos + 1));
        let start =
            (self.earliest[pos] + self.service(inst, pos) + inst.t(a, cu.node)).max(cu.early);
        if start > cu.late + EPS {
            return false;
        }
        let leave = start + cu.service;
        if leave + inst.t(cu.node, b) > self.latest[pos + 1] + EPS {
            return false;
        }
        match inst.ride {
            Ride::None => true,
            Ride::FromStart => {
                // Its own ride from the departure, and the delay of the stops after it
                // (waiting could only absorb some of it) within their least slack.
                let departure = self.earliest[0] + self.service(inst, 0);
                leave - departure <= cu.max_ride + EPS
                    && leave + inst.t(cu.node, b) - self.earliest[pos + 1]
                        <= self.slack[pos + 1] + EPS
            }
            Ride::ToEnd => {
                // Its own ride to the arrival, and how much earlier the stops before it
                // must start, within their least slack.
                let latest = cu
                    .late
                    .min(self.latest[pos + 1] - inst.t(cu.node, b) - cu.service);
                let k = self.stops.len();
                self.latest[k + 1] - latest <= cu.max_ride + EPS
                    && self.latest[pos] - (latest - inst.t(a, cu.node) - self.service(inst, pos))
                        <= self.slack[pos] + EPS
            }
        }
    }

    /// Positions where `c` can be inserted (before stop index `pos`), with the added distance.
    pub fn insertions(&self, inst: &Instance, c: usize) -> Vec<(usize, f64)> {
        let cu = &inst.customers[c];
        if self.load + cu.demand > inst.vehicles[self.vehicle].capacity {
            return Vec::new();
        }
        (0..=self.stops.len())
            .filter(|&pos| self.fits_at(inst, c, pos))
            .map(|pos| {
                let (a, b) = (self.node(inst, pos), self.node(inst, pos + 1));
                (pos, inst.d(a, cu.node) + inst.d(cu.node, b) - inst.d(a, b))
            })
            .collect()
    }

    /// Service start times: each stop as close to `target(stop index)` as the bounds allow
    /// (`+∞` = as late as possible, `-∞` = as early as possible). Position 0 is the start
    /// node, `len+1` the arrival at the end node. Needs a feasible, refreshed route. When the
    /// targets would keep someone on board beyond their ride limit (the way to the venue: a
    /// wait after a pick-up to keep a later announced time), the schedule with the shortest
    /// rides is given instead (pick-ups as late, drop-offs as early as possible), which the
    /// route's feasibility guarantees.
    pub fn schedule(&self, inst: &Instance, target: impl Fn(usize) -> f64) -> Vec<f64> {
        let times = self.schedule_towards(inst, &target);
        if self.rides_hold(inst, &times) {
            return times;
        }
        let shortest = match inst.ride {
            Ride::ToEnd => f64::INFINITY,
            Ride::None | Ride::FromStart => f64::NEG_INFINITY,
        };
        self.schedule_towards(inst, &|_| shortest)
    }

    fn schedule_towards(&self, inst: &Instance, target: &dyn Fn(usize) -> f64) -> Vec<f64> {
        let k = self.stops.len();
        let mut times = vec![0.0; k + 2];
        // The start is placed so that the first stop can meet its own target.
        times[0] = match k {
            0 => self.earliest[0],
            _ => {
                let first = target(1);
                if first == f64::INFINITY {
                    self.latest[0]
                } else if first == f64::NEG_INFINITY {
                    self.earliest[0]
                } else {
                    let lead =
                        self.service(inst, 0) + inst.t(self.node(inst, 0), self.node(inst, 1));
                    (first - lead).clamp(self.earliest[0], self.latest[0].max(self.earliest[0]))
                }
            }
        };
        // The way home: once everyone is on board, a stop waits only as long as the ride
        // limits of the riders still on board allow (latest start per position, from the
        // departure).
        let mut ride_bound = vec![f64::INFINITY; k + 2];
        if inst.ride == Ride::FromStart {
            let departure = times[0] + self.service(inst, 0);
            for pos in (1..=k).rev() {
                let c = &inst.customers[self.stops[pos - 1]];
                let next = ride_bound[pos + 1]
                    - c.service
                    - inst.t(self.node(inst, pos), self.node(inst, pos + 1));
                ride_bound[pos] = (departure + c.max_ride - c.service).min(next);
            }
        }
        for pos in 1..=k + 1 {
            let (a, b) = (self.node(inst, pos - 1), self.node(inst, pos));
            let arrive = times[pos - 1] + self.service(inst, pos - 1) + inst.t(a, b);
            let lo = if pos <= k {
                arrive.max(inst.customers[self.stops[pos - 1]].early)
            } else {
                arrive
            };
            let want = if pos <= k { target(pos) } else { lo };
            times[pos] = want.clamp(lo, self.latest[pos].min(ride_bound[pos]).max(lo));
        }
        times
    }

    /// Whether every rider's ride on `times` keeps their limit.
    fn rides_hold(&self, inst: &Instance, times: &[f64]) -> bool {
        let k = self.stops.len();
        let departure = times[0] + self.service(inst, 0);
        self.stops.iter().enumerate().all(|(i, &c)| {
            let cu = &inst.customers[c];
            let ride = match inst.ride {
                Ride::None => return true,
                Ride::FromStart => times[i + 1] + cu.service - departure,
                Ride::ToEnd => times[k + 1] - times[i + 1],
            };
            ride <= cu.max_ride + EPS
        })
    }
}

/// A solution: routes plus stops left out.
#[derive(Debug, Clone)]
pub(crate) struct Solution {
    pub routes: Vec<Route>,
    pub unassigned: Vec<usize>,
}

/// Lexicographic cost: unserved, vehicles, distance.
#[derive(Debug, Clone, Copy, PartialEq)]
pub(crate) struct Cost {
    pub unassigned: usize,
    pub vehicles: usize,
    pub distance: f64,
}

impl Solution {
    pub fn cost(&self) -> Cost {
        Cost {
            unassigned: self.unassigned.len(),
            vehicles: self.routes.iter().filter(|r| !r.stops.is_empty()).count(),
            distance: self
                .routes
                .iter()
                .filter(|r| !r.stops.is_empty())
                .map(|r| r.distance)
                .sum(),
        }
    }

    fn drop_empty_routes(&mut self) {
        self.routes.retain(|r| !r.stops.is_empty());
    }
}

/// How long to search and when to stop.
pub struct Limits<'a> {
    /// Wall-time budget.
    pub time: Duration,
    /// Stop after this many ruin-and-recreate iterations (for reproducible tests).
    pub max_iterations: Option<u64>,
    /// Time elapsed since the search began (passed in: the library reads no clock).
    pub elapsed: &'a dyn Fn() -> Duration,
    /// Set by another thread to stop early; the best solution so far is returned.
    pub cancel: &'a AtomicBool,
}

/// Tunables of the ruin-and-recreate search (defaults from the SISR paper).
#[derive(Debug, Clone, Copy)]
pub(crate) struct Tuning {
    /// Average number of stops removed per ruin.
    pub avg_removed: f64,
    /// Longest string removed from one route.
    pub max_string: f64,
    /// Probability of skipping a position during re-insertion.
    pub blink: f64,
    /// Share of the budget spent on reducing the fleet.
    pub fleet_share: f64,
    /// Whether the fleet phase goes on dissolving routes once every stop is placed (a
    /// re-plan only wants its leftover stops placed).
    pub shrink_fleet: bool,
}

impl Default for Tuning {
    fn default() -> Self {
        Self {
            avg_removed: 10.0,
            max_string: 10.0,
            blink: 0.01,
            fleet_share: 0.4,
            shrink_fleet: true,
        }
    }
}

/// The search state shared by its phases.
pub(crate) struct Search<'a> {
    inst: &'a Instance,
    rng: SplitMix64,
    tuning: Tuning,
    /// For each customer, the customers by increasing distance (itself first).
    neighbours: Vec<Vec<usize>>,
    /// Customers no vehicle can serve even alone; never inserted.
    hopeless: Vec<bool>,
    /// Smallest fleet that can carry the total demand.
    fleet_bound: usize,
    pub iterations: u64,
}

/// What [`Search::run`] found.
pub(crate) struct Outcome {
    pub best: Solution,
    pub iterations: u64,
}

impl<'a> Search<'a> {
    pub fn new(inst: &'a Instance, seed: u64, tuning: Tuning) -> Self {
        let m = inst.customers.len();
        let neighbours = (0..m)
            .map(|c| {
                let mut order: Vec<usize> = (0..m).collect();
                let node = inst.customers[c].node;
                order.sort_by(|&a, &b| {
                    let (da, db) = (
                        inst.d(node, inst.customers[a].node),
                        inst.d(node, inst.customers[b].node),
                    );
                    da.total_cmp(&db).then((a != c).cmp(&(b != c)))
                });
                if let Some(p) = order.iter().position(|&x| x == c) {
                    order.remove(p);
                }
                order.insert(0, c);
                order
            })
            .collect();
        let hopeless = (0..m)
            .map(|c| !(0..inst.vehicles.len()).any(|v| inst.fits_alone(v, c)))
            .collect::<Vec<_>>();
        let demand: u32 = (0..m)
            .filter(|&c| !hopeless[c])
            .map(|c| inst.customers[c].demand)
            .sum();
        let mut caps: Vec<u32> = inst.vehicles.iter().map(|v| v.capacity).collect();
        caps.sort_unstable_by(|a, b| b.cmp(a));
        let mut carried = 0u32;
        let mut fleet_bound = 0;
        for cap in caps {
            if carried >= demand {
                break;
            }
            carried += cap;
            fleet_bound += 1;
        }
        Self {
            inst,
            rng: SplitMix64::new(seed),
            tuning,
            neighbours,
            hopeless,
            fleet_bound,
            iterations: 0,
        }
    }

    /// Customers that no vehicle can serve even alone.
    pub fn hopeless(&self) -> &[bool] {
        &self.hopeless
    }

    fn out_of_budget(&self, limits: &Limits, share: f64) -> bool {
        limits.cancel.load(Ordering::Relaxed)
            || limits
                .max_iterations
                .is_some_and(|n| self.iterations as f64 >= n as f64 * share)
            || (limits.elapsed)().as_secs_f64() >= limits.time.as_secs_f64() * share
    }

    /// A first solution: every customer inserted greedily, vehicles opened as needed.
    pub fn construct(&mut self) -> Solution {
        let mut sol = Solution {
            routes: Vec::new(),
            unassigned: Vec::new(),
        };
        let mut order: Vec<usize> = (0..self.inst.customers.len())
            .filter(|&c| !self.hopeless[c])
            .collect();
        // Far and tightly timed stops first: they are the hardest to fit later.
        let inst = self.inst;
        let anchor = inst.vehicles.first().map_or(0, |v| v.start);
        order.sort_by(|&a, &b| {
            let (ca, cb) = (&inst.customers[a], &inst.customers[b]);
            inst.d(anchor, cb.node)
                .total_cmp(&inst.d(anchor, ca.node))
                .then(a.cmp(&b))
        });
        self.recreate(&mut sol, order, true, 0.0);
        sol
    }

    /// Starts from `initial` and improves it within `limits`.
    pub fn run(&mut self, initial: Solution, limits: &Limits) -> Outcome {
        let mut best = initial;
        best.drop_empty_routes();
        // Nothing to improve when no stop can be served at all (or there are none).
        if self.hopeless.iter().any(|&h| !h) {
            best = self.minimise_fleet(best, limits);
            best = self.minimise_distance(best, limits);
        }
        best.drop_empty_routes();
        Outcome {
            best,
            iterations: self.iterations,
        }
    }

    /// Phase 1: take a route away, re-insert its stops by ruin and recreate without opening
    /// vehicles; accept fewer stops left out, or ones that were left out less often.
    fn minimise_fleet(&mut self, start: Solution, limits: &Limits) -> Solution {
        let mut best = start;
        let mut absences = vec![0u64; self.inst.customers.len()];
        // Stops left out at the start (fleet used up, or a re-plan's newcomer) are placed
        // first, by the same moves, without opening vehicles.
        let mut current: Option<Solution> = (!best.unassigned.is_empty()).then(|| best.clone());
        loop {
            if self.out_of_budget(limits, self.tuning.fleet_share) {
                break;
            }
            let cur = match current.take() {
                Some(s) => s,
                None => {
                    let cost = best.cost();
                    if !self.tuning.shrink_fleet
                        || cost.unassigned > 0
                        || cost.vehicles <= self.fleet_bound.max(1)
                    {
                        break;
                    }
                    let mut s = best.clone();
                    self.remove_a_route(&mut s);
                    s
                }
            };
            self.iterations += 1;
            let mut next = cur.clone();
            let removed = self.ruin(&mut next);
            let mut todo = std::mem::take(&mut next.unassigned);
            todo.extend(removed);
            self.recreate(&mut next, todo, false, self.tuning.blink);
            for &c in &next.unassigned {
                absences[c] += 1;
            }
            let weight = |s: &Solution| s.unassigned.iter().map(|&c| absences[c]).sum::<u64>();
            let accept =
                next.unassigned.len() < cur.unassigned.len() || weight(&next) < weight(&cur);
            let cur = if accept { next } else { cur };
            if cur.unassigned.is_empty() {
                let mut found = cur;
                found.drop_empty_routes();
                best = found;
            } else {
                current = Some(cur);
            }
        }
        best
    }

    fn remove_a_route(&mut self, sol: &mut Solution) {
        // The route with the fewest stops (ties at random) is the cheapest to dissolve.
        let fewest = sol.routes.iter().map(|r| r.stops.len()).min().unwrap_or(0);
        let candidates: Vec<usize> = (0..sol.routes.len())
            .filter(|&r| sol.routes[r].stops.len() == fewest)
            .collect();
        if candidates.is_empty() {
            return;
        }
        let r = candidates[self.rng.below(candidates.len())];
        let route = sol.routes.swap_remove(r);
        sol.unassigned.extend(route.stops);
    }

    /// Phase 2: simulated annealing on distance; never more vehicles or stops left out.
    fn minimise_distance(&mut self, start: Solution, limits: &Limits) -> Solution {
        let mut best = start;
        let mut cur = best.clone();
        let cost = cur.cost();
        let edges = (self.inst.customers.len() + cost.vehicles).max(1) as f64;
        let avg_edge = (cost.distance / edges).max(1e-9);
        let (t0, t1) = (10.0 * avg_edge, 0.01 * avg_edge);
        let share_start = self.tuning.fleet_share;
        let time_start = (limits.elapsed)().as_secs_f64();
        let iter_start = self.iterations;
        let time_span = (limits.time.as_secs_f64() - time_start).max(1e-9);
        loop {
            if self.out_of_budget(limits, 1.0) {
                break;
            }
            let progress = match limits.max_iterations {
                Some(n) => {
                    let span = (n as f64 * (1.0 - share_start)).max(1.0);
                    ((self.iterations - iter_start) as f64 / span).min(1.0)
                }
                None => (((limits.elapsed)().as_secs_f64() - time_start) / time_span).min(1.0),
            };
            let temperature = t0 * (t1 / t0).powf(progress);
            self.iterations += 1;
            let mut next = cur.clone();
            let removed = self.ruin(&mut next);
            let mut todo = std::mem::take(&mut next.unassigned);
            todo.extend(removed);
            self.recreate(&mut next, todo, true, self.tuning.blink);
            let (nc, cc) = (next.cost(), cur.cost());
            let accept = match (nc.unassigned, nc.vehicles).cmp(&(cc.unassigned, cc.vehicles)) {
                std::cmp::Ordering::Less => true,
                std::cmp::Ordering::Greater => false,
                std::cmp::Ordering::Equal => {
                    let u = self.rng.unit().max(1e-300);
                    nc.distance < cc.distance - temperature * u.ln()
                }
            };
            if accept {
                next.drop_empty_routes();
                cur = next;
                if better(&cur.cost(), &best.cost()) {
                    best = cur.clone();
                }
            }
        }
        best
    }

    /// Removes strings of consecutive stops from routes near a random stop (SISR ruin).
    fn ruin(&mut self, sol: &mut Solution) -> Vec<usize> {
        let assigned: usize = sol.routes.iter().map(|r| r.stops.len()).sum();
        let mut removed = Vec::new();
        if assigned == 0 {
            return removed;
        }
        let mut where_is = vec![usize::MAX; self.inst.customers.len()];
        for (ri, r) in sol.routes.iter().enumerate() {
            for &c in &r.stops {
                where_is[c] = ri;
            }
        }
        let avg_len = assigned as f64 / sol.routes.len().max(1) as f64;
        let max_string = self.tuning.max_string.min(avg_len);
        let max_strings = (4.0 * self.tuning.avg_removed / (1.0 + max_string) - 1.0).max(1.0);
        let strings = (1.0 + self.rng.unit() * max_strings).floor() as usize;
        let seed = loop {
            let c = self.rng.below(self.inst.customers.len());
            if where_is[c] != usize::MAX {
                break c;
            }
        };
        let mut ruined = vec![false; sol.routes.len()];
        let mut count = 0;
        for i in 0..self.neighbours[seed].len() {
            if count >= strings {
                break;
            }
            let c = self.neighbours[seed][i];
            let ri = where_is[c];
            if ri == usize::MAX || ruined[ri] {
                continue;
            }
            ruined[ri] = true;
            count += 1;
            let route = &mut sol.routes[ri];
            let len = route.stops.len();
            let cap = max_string.min(len as f64);
            let l = ((1.0 + self.rng.unit() * cap).floor() as usize).clamp(1, len);
            let pos = route.stops.iter().position(|&x| x == c).unwrap_or(0);
            let lo = pos.saturating_sub(l - 1);
            let hi = pos.min(len - l);
            let start = lo + self.rng.below(hi - lo + 1);
            if l < len && self.rng.unit() < 0.5 {
                // Split string (SISR): a longer stretch around `c` from which a block of
                // `keep` stops stays in place.
                let keep = 1 + self.rng.below(len - l);
                let total = l + keep;
                let lo = pos.saturating_sub(total - 1);
                let hi = pos.min(len - total);
                let s = lo + self.rng.below(hi - lo + 1);
                let kept_at = s + self.rng.below(total - keep + 1);
                let mut kept = Vec::with_capacity(keep);
                for (idx, &x) in route.stops.iter().enumerate().skip(s).take(total) {
                    if (kept_at..kept_at + keep).contains(&idx) {
                        kept.push(x);
                    } else {
                        removed.push(x);
                    }
                }
                route.stops.splice(s..s + total, kept);
            } else {
                removed.extend(route.stops.drain(start..start + l));
            }
            for &x in &removed {
                where_is[x] = usize::MAX;
            }
            route.refresh(self.inst);
        }
        removed
    }

    /// Greedy re-insertion with blinks; opens vehicles only when `open` is set.
    fn recreate(&mut self, sol: &mut Solution, mut todo: Vec<usize>, open: bool, blink: f64) {
        let inst = self.inst;
        todo.retain(|&c| !self.hopeless[c]);
        let anchor = inst.vehicles.first().map_or(0, |v| v.start);
        match self.rng.below(11) {
            0..=3 => {
                for i in (1..todo.len()).rev() {
                    let j = self.rng.below(i + 1);
                    todo.swap(i, j);
                }
            }
            4..=7 => todo.sort_by(|&a, &b| inst.customers[b].demand.cmp(&inst.customers[a].demand)),
            8..=9 => todo.sort_by(|&a, &b| {
                inst.d(anchor, inst.customers[b].node)
                    .total_cmp(&inst.d(anchor, inst.customers[a].node))
            }),
            _ => todo.sort_by(|&a, &b| {
                inst.d(anchor, inst.customers[a].node)
                    .total_cmp(&inst.d(anchor, inst.customers[b].node))
            }),
        }
        for c in todo {
            let cu = &inst.customers[c];
            let mut best: Option<(usize, usize, f64)> = None;
            for (ri, route) in sol.routes.iter().enumerate() {
                let veh = &inst.vehicles[route.vehicle];
                if route.load + cu.demand > veh.capacity {
                    continue;
                }
                let k = route.stops.len();
                for pos in 0..=k {
                    if blink > 0.0 && self.rng.unit() < blink {
                        continue;
                    }
                    if !route.fits_at(inst, c, pos) {
                        continue;
                    }
                    let (a, b) = (route.node(inst, pos), route.node(inst, pos + 1));
                    let delta = inst.d(a, cu.node) + inst.d(cu.node, b) - inst.d(a, b);
                    if best.is_none_or(|(_, _, d)| delta < d) {
                        best = Some((ri, pos, delta));
                    }
                }
            }
            match best {
                Some((ri, pos, _)) => {
                    let route = &mut sol.routes[ri];
                    route.stops.insert(pos, c);
                    route.refresh(inst);
                }
                None if open => match self.open_vehicle(sol, c) {
                    Some(route) => sol.routes.push(route),
                    None => sol.unassigned.push(c),
                },
                None => sol.unassigned.push(c),
            }
        }
    }

    fn open_vehicle(&self, sol: &Solution, c: usize) -> Option<Route> {
        open_route(self.inst, &sol.routes, c)
    }
}

/// A new route for `c` on the largest vehicle without a route that can serve it.
pub(crate) fn open_route(inst: &Instance, routes: &[Route], c: usize) -> Option<Route> {
    let mut used = vec![false; inst.vehicles.len()];
    for r in routes {
        used[r.vehicle] = true;
    }
    let v = (0..inst.vehicles.len())
        .filter(|&v| !used[v] && inst.fits_alone(v, c))
        .max_by(|&a, &b| {
            inst.vehicles[a]
                .capacity
                .cmp(&inst.vehicles[b].capacity)
                .then(b.cmp(&a))
        })?;
    let mut route = Route::new(v);
    route.stops.push(c);
    route.refresh(inst);
    Some(route)
}

/// Whether `a` is strictly better than `b` (lexicographic).
pub(crate) fn better(a: &Cost, b: &Cost) -> bool {
    match (a.unassigned, a.vehicles).cmp(&(b.unassigned, b.vehicles)) {
        std::cmp::Ordering::Less => true,
        std::cmp::Ordering::Greater => false,
        std::cmp::Ordering::Equal => a.distance < b.distance - 1e-9,
    }
}

/// Builds a route for `vehicle` visiting `stops` in order; `None` if infeasible.
pub(crate) fn route_from(inst: &Instance, vehicle: usize, stops: Vec<usize>) -> Option<Route> {
    let mut route = Route::new(vehicle);
    route.stops = stops;
    route.refresh(inst).then_some(route)
}

/// Places the stops `pending` into `routes` by ruin and recreate without opening vehicles
/// (at most `iterations` tries); the new routes if every stop found a place.
pub(crate) fn place_without_new_vehicles(
    inst: &Instance,
    routes: &[Route],
    pending: &[usize],
    iterations: u64,
) -> Option<Vec<Route>> {
    let tuning = Tuning {
        fleet_share: 1.0,
        shrink_fleet: false,
        ..Tuning::default()
    };
    let mut search = Search::new(inst, 1, tuning);
    let cancel = AtomicBool::new(false);
    let no_clock = || Duration::ZERO;
    let limits = Limits {
        time: Duration::MAX,
        max_iterations: Some(iterations),
        elapsed: &no_clock,
        cancel: &cancel,
    };
    let start = Solution {
        routes: routes.to_vec(),
        unassigned: pending.to_vec(),
    };
    let best = search.minimise_fleet(start, &limits);
    // A stop no vehicle can serve even alone is never inserted (nor listed as left out):
    // it is placed only if it is on a route.
    let placed = pending
        .iter()
        .all(|c| best.routes.iter().any(|r| r.stops.contains(c)));
    (best.unassigned.is_empty() && placed).then_some(best.routes)
}

/// Solves `inst` from scratch.
pub(crate) fn solve(inst: &Instance, seed: u64, limits: &Limits) -> (Outcome, Vec<bool>) {
    let mut search = Search::new(inst, seed, Tuning::default());
    let initial = search.construct();
    let hopeless = search.hopeless().to_vec();
    let mut outcome = search.run(initial, limits);
    // Stops no vehicle can serve even alone were never inserted; report them, never drop.
    outcome
        .best
        .unassigned
        .extend((0..hopeless.len()).filter(|&c| hopeless[c]));
    outcome.best.unassigned.sort_unstable();
    (outcome, hopeless)
}

#[cfg(test)]
mod tests {
    use super::*;

    /// A line of customers at x = 1..=n, depot at 0, Euclidean = |dx|.
    fn line(n: usize, capacity: u32, vehicles: usize) -> Instance {
        let nodes = n + 1;
        let mut dist = vec![0.0; nodes * nodes];
        for a in 0..nodes {
            for b in 0..nodes {
                dist[a * nodes + b] = (a as f64 - b as f64).abs();
            }
        }
        Instance {
            nodes,
            time: dist.clone(),
            dist,
            customers: (1..=n)
                .map(|node| Customer {
                    node,
                    demand: 1,
                    service: 0.0,
                    early: 0.0,
                    late: 1000.0,
                    max_ride: f64::INFINITY,
                })
                .collect(),
            vehicles: (0..vehicles)
                .map(|_| VehicleSpec {
                    start: 0,
                    end: 0,
                    capacity,
                    earliest_start: 0.0,
                    latest_start: f64::INFINITY,
                    start_service: 0.0,
                    latest_end: 1000.0,
                    fixed_distance: 0.0,
                })
                .collect(),
            ride: Ride::None,
        }
    }

    fn limits() -> (AtomicBool, Box<dyn Fn() -> Duration>) {
        (AtomicBool::new(false), Box::new(|| Duration::ZERO))
    }

    #[test]
    fn fleet_shrinks_to_the_capacity_bound_on_a_line() {
        let inst = line(12, 4, 6);
        let (cancel, elapsed) = limits();
        let l = Limits {
            time: Duration::from_secs(3600),
            max_iterations: Some(2000),
            elapsed: &*elapsed,
            cancel: &cancel,
        };
        let (out, _) = solve(&inst, 1, &l);
        let cost = out.best.cost();
        assert_eq!(cost.unassigned, 0);
        assert_eq!(cost.vehicles, 3);
        // Optimal: each route goes out to its farthest stop and back: 2 × (4 + 8 + 12).
        assert!((cost.distance - 48.0).abs() < 1e-9, "{}", cost.distance);
    }

    #[test]
    fn time_windows_force_a_second_vehicle() {
        let mut inst = line(2, 10, 3);
        // x=1 exactly at 1.5 and x=2 exactly at 2: whichever comes first, the other is missed.
        inst.customers[0].early = 1.5;
        inst.customers[0].late = 1.5;
        inst.customers[1].early = 2.0;
        inst.customers[1].late = 2.0;
        inst.vehicles.iter_mut().for_each(|v| v.latest_end = 5.0);
        let (cancel, elapsed) = limits();
        let l = Limits {
            time: Duration::from_secs(3600),
            max_iterations: Some(200),
            elapsed: &*elapsed,
            cancel: &cancel,
        };
        let (out, _) = solve(&inst, 3, &l);
        let cost = out.best.cost();
        assert_eq!((cost.unassigned, cost.vehicles), (0, 2));
    }

    #[test]
    fn customer_beyond_every_vehicle_is_hopeless_and_left_out() {
        let mut inst = line(3, 2, 2);
        inst.customers[2].demand = 3;
        let (cancel, elapsed) = limits();
        let l = Limits {
            time: Duration::from_secs(3600),
            max_iterations: Some(50),
            elapsed: &*elapsed,
            cancel: &cancel,
        };
        let (out, hopeless) = solve(&inst, 1, &l);
        assert_eq!(hopeless, vec![false, false, true]);
        assert!(out.best.routes.iter().all(|r| !r.stops.contains(&2)));
    }

    #[test]
    fn schedule_as_late_as_possible_waits_at_the_start() {
        let mut inst = line(2, 10, 1);
        inst.vehicles[0].latest_end = 100.0;
        let route = route_from(&inst, 0, vec![1, 0]).expect("feasible");
        let late = route.schedule(&inst, |_| f64::INFINITY);
        // 0 -> x2 -> x1 -> 0 takes 4; arriving at the end at 100 means leaving at 96.
        assert_eq!(late, vec![96.0, 98.0, 99.0, 100.0]);
        let early = route.schedule(&inst, |_| f64::NEG_INFINITY);
        assert_eq!(early, vec![0.0, 2.0, 3.0, 4.0]);
    }
}
