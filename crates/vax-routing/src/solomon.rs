//! Solomon VRPTW instances (the literature's benchmark), their solution and an independent
//! check of it.
//!
//! Distances are Euclidean in double precision and travel time equals distance, as in the
//! hierarchical best-known table (SINTEF: fewest vehicles, then distance) that the
//! benchmark compares against; the DIMACS convention (each arc truncated to one decimal)
//! belongs to the distance-only table and is not used here.

use thiserror::Error;

use crate::engine::{self, Customer, Instance, Limits, Ride, VehicleSpec, EPS};

/// A node of a Solomon instance (node 0 is the depot).
#[derive(Debug, Clone, PartialEq)]
pub struct SolomonNode {
    /// `CUST NO.` as written in the file.
    pub number: u32,
    /// X coordinate.
    pub x: f64,
    /// Y coordinate.
    pub y: f64,
    /// Load units.
    pub demand: u32,
    /// Service may start from this time.
    pub ready: f64,
    /// Service must start by this time (the depot's is the route horizon).
    pub due: f64,
    /// Service duration.
    pub service: f64,
}

/// A Solomon instance.
#[derive(Debug, Clone, PartialEq)]
pub struct SolomonInstance {
    /// Its name (first line of the file).
    pub name: String,
    /// Vehicles available.
    pub vehicles: usize,
    /// Capacity of each vehicle.
    pub capacity: u32,
    /// Depot first, then the customers.
    pub nodes: Vec<SolomonNode>,
}

/// Why a Solomon file could not be read.
#[derive(Debug, Error, PartialEq)]
pub enum SolomonError {
    /// The `VEHICLE` section is missing or malformed.
    #[error("line {line}: expected the vehicle count and capacity")]
    Vehicles {
        /// 1-based line number.
        line: usize,
    },
    /// A customer line does not have seven numbers.
    #[error(
        "line {line}: expected 7 numbers (no, x, y, demand, ready, due, service), found {found:?}"
    )]
    Customer {
        /// 1-based line number.
        line: usize,
        /// The offending text.
        found: String,
    },
    /// No depot and customers.
    #[error("no customer lines found")]
    Empty,
    /// Node numbers must run 0, 1, 2, ...
    #[error("line {line}: node number {found} where {expected} was expected")]
    Numbering {
        /// 1-based line number.
        line: usize,
        /// Number found.
        found: u32,
        /// Number expected.
        expected: u32,
    },
}

impl SolomonInstance {
    /// Parses the original Solomon text format.
    pub fn parse(text: &str) -> Result<Self, SolomonError> {
        let lines: Vec<&str> = text.lines().collect();
        let name = lines.first().map_or("", |l| l.trim()).to_owned();
        let vehicle_header = lines
            .iter()
            .position(|l| l.trim() == "VEHICLE")
            .ok_or(SolomonError::Vehicles { line: 1 })?;
        // The numbers follow the "NUMBER CAPACITY" line.
        let numbers_at = vehicle_header + 2;
        let fields: Vec<&str> = lines
            .get(numbers_at)
            .map_or(Vec::new(), |l| l.split_whitespace().collect());
        let (vehicles, capacity) = match fields.as_slice() {
            [n, q] => match (n.parse::<usize>(), q.parse::<u32>()) {
                (Ok(n), Ok(q)) => (n, q),
                _ => {
                    return Err(SolomonError::Vehicles {
                        line: numbers_at + 1,
                    })
                }
            },
            _ => {
                return Err(SolomonError::Vehicles {
                    line: numbers_at + 1,
                })
            }
        };
        let customer_header = lines
            .iter()
            .position(|l| l.trim() == "CUSTOMER")
            .ok_or(SolomonError::Empty)?;
        let mut nodes = Vec::new();
        // Skip the column titles line after "CUSTOMER".
        for (i, line) in lines.iter().enumerate().skip(customer_header + 2) {
            let trimmed = line.trim();
            if trimmed.is_empty() {
                continue;
            }
            let bad = || SolomonError::Customer {
                line: i + 1,
                found: trimmed.to_owned(),
            };
            let values: Vec<f64> = trimmed
                .split_whitespace()
                .map(|f| f.parse::<f64>().ok().filter(|v| v.is_finite()))
                .collect::<Option<_>>()
                .ok_or_else(bad)?;
            let [number, x, y, demand, ready, due, service] = values[..] else {
                return Err(bad());
            };
            if number < 0.0 || demand < 0.0 || number.fract() != 0.0 || demand.fract() != 0.0 {
                return Err(bad());
            }
            let expected = nodes.len() as u32;
            if number as u32 != expected {
                return Err(SolomonError::Numbering {
                    line: i + 1,
                    found: number as u32,
                    expected,
                });
            }
            nodes.push(SolomonNode {
                number: number as u32,
                x,
                y,
                demand: demand as u32,
                ready,
                due,
                service,
            });
        }
        if nodes.len() < 2 {
            return Err(SolomonError::Empty);
        }
        Ok(Self {
            name,
            vehicles,
            capacity,
            nodes,
        })
    }

    fn distance(&self, a: usize, b: usize) -> f64 {
        let (p, q) = (&self.nodes[a], &self.nodes[b]);
        (p.x - q.x).hypot(p.y - q.y)
    }

    pub(crate) fn to_engine(&self) -> Instance {
        let n = self.nodes.len();
        let mut dist = vec![0.0; n * n];
        for a in 0..n {
            for b in 0..n {
                dist[a * n + b] = self.distance(a, b);
            }
        }
        let depot = &self.nodes[0];
        Instance {
            nodes: n,
            time: dist.clone(),
            dist,
            customers: self.nodes[1..]
                .iter()
                .enumerate()
                .map(|(i, c)| Customer {
                    node: i + 1,
                    demand: c.demand,
                    service: c.service,
                    early: c.ready,
                    late: c.due,
                    max_ride: f64::INFINITY,
                })
                .collect(),
            vehicles: (0..self.vehicles)
                .map(|_| VehicleSpec {
                    start: 0,
                    end: 0,
                    capacity: self.capacity,
                    earliest_start: depot.ready,
                    latest_start: f64::INFINITY,
                    start_service: 0.0,
                    latest_end: depot.due,
                    fixed_distance: 0.0,
                })
                .collect(),
            ride: Ride::None,
        }
    }

    /// Solves with the hierarchical objective. Routes list Solomon customer numbers.
    pub fn solve(&self, seed: u64, limits: &Limits) -> SolomonSolution {
        let inst = self.to_engine();
        let (outcome, _) = engine::solve(&inst, seed, limits);
        SolomonSolution {
            routes: outcome
                .best
                .routes
                .iter()
                .map(|r| r.stops.iter().map(|&c| c as u32 + 1).collect())
                .collect(),
            unassigned: outcome
                .best
                .unassigned
                .iter()
                .map(|&c| c as u32 + 1)
                .collect(),
            iterations: outcome.iterations,
        }
    }

    /// Checks `routes` independently of the solver (capacity, windows, horizon, each customer
    /// exactly once) and returns the vehicle count and distance.
    pub fn verify(&self, routes: &[Vec<u32>]) -> Result<(usize, f64), String> {
        let n = self.nodes.len();
        let mut seen = vec![0u32; n];
        let depot = &self.nodes[0];
        let mut total = 0.0;
        let used: Vec<&Vec<u32>> = routes.iter().filter(|r| !r.is_empty()).collect();
        if used.len() > self.vehicles {
            return Err(format!(
                "{} routes for {} vehicles",
                used.len(),
                self.vehicles
            ));
        }
        for (ri, route) in used.iter().enumerate() {
            let mut load = 0u32;
            let (mut time, mut prev) = (depot.ready, 0usize);
            for &c in route.iter() {
                let c = c as usize;
                if c == 0 || c >= n {
                    return Err(format!("route {ri}: no customer {c}"));
                }
                seen[c] += 1;
                let node = &self.nodes[c];
                load += node.demand;
                let d = self.distance(prev, c);
                total += d;
                time = (time + d).max(node.ready);
                if time > node.due + EPS {
                    return Err(format!(
                        "route {ri}: customer {c} served at {time:.3} after due {}",
                        node.due
                    ));
                }
                time += node.service;
                prev = c;
            }
            let d = self.distance(prev, 0);
            total += d;
            if time + d > depot.due + EPS {
                return Err(format!(
                    "route {ri}: back at the depot at {:.3} after {}",
                    time + d,
                    depot.due
                ));
            }
            if load > self.capacity {
                return Err(format!(
                    "route {ri}: load {load} over capacity {}",
                    self.capacity
                ));
            }
        }
        if let Some(c) = (1..n).find(|&c| seen[c] != 1) {
            return Err(format!("customer {c} served {} times", seen[c]));
        }
        Ok((used.len(), total))
    }
}

/// A solver's answer for a Solomon instance.
#[derive(Debug, Clone)]
pub struct SolomonSolution {
    /// Customer numbers per route.
    pub routes: Vec<Vec<u32>>,
    /// Customers not served (non-empty only if the fleet is too small).
    pub unassigned: Vec<u32>,
    /// Ruin-and-recreate iterations done.
    pub iterations: u64,
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::AtomicBool;
    use std::time::Duration;

    const TINY: &str = "TINY\n\nVEHICLE\nNUMBER     CAPACITY\n  3         10\n\nCUSTOMER\nCUST NO.  XCOORD.   YCOORD.    DEMAND   READY TIME  DUE DATE   SERVICE   TIME\n \n    0      0         0          0          0       100          0\n    1      3         4          5          0        50          1\n    2      6         8          5          0        50          1\n    3      0        10          6          0        50          1\n";

    #[test]
    fn parses_the_solomon_layout() {
        let inst = SolomonInstance::parse(TINY).expect("parses");
        assert_eq!(inst.name, "TINY");
        assert_eq!((inst.vehicles, inst.capacity, inst.nodes.len()), (3, 10, 4));
        assert_eq!(inst.nodes[1].x, 3.0);
        assert_eq!(inst.nodes[3].demand, 6);
        assert!((inst.distance(0, 1) - 5.0).abs() < 1e-12);
    }

    #[test]
    fn rejects_malformed_lines_with_their_number() {
        let broken = TINY.replace(
            "    2      6         8          5",
            "    2      6         x          5",
        );
        assert!(matches!(
            SolomonInstance::parse(&broken),
            Err(SolomonError::Customer { line: 12, .. })
        ));
        let renumbered = TINY.replace("    3      0        10", "    7      0        10");
        assert_eq!(
            SolomonInstance::parse(&renumbered),
            Err(SolomonError::Numbering {
                line: 13,
                found: 7,
                expected: 3
            })
        );
        assert_eq!(
            SolomonInstance::parse("X\n"),
            Err(SolomonError::Vehicles { line: 1 })
        );
    }

    #[test]
    fn solves_and_the_checker_agrees() {
        let inst = SolomonInstance::parse(TINY).expect("parses");
        let cancel = AtomicBool::new(false);
        let elapsed = || Duration::ZERO;
        let limits = Limits {
            time: Duration::from_secs(60),
            max_iterations: Some(300),
            elapsed: &elapsed,
            cancel: &cancel,
        };
        let sol = inst.solve(1, &limits);
        assert!(sol.unassigned.is_empty());
        let (vehicles, distance) = inst.verify(&sol.routes).expect("feasible");
        // Demand 16 with capacity 10: two vehicles; best is {1,2} out and back (20) + {3} (20).
        assert_eq!(vehicles, 2);
        assert!((distance - 40.0).abs() < 1e-9, "{distance}");
    }

    #[test]
    fn checker_rejects_each_broken_rule() {
        let inst = SolomonInstance::parse(TINY).expect("parses");
        assert!(inst.verify(&[vec![1, 2], vec![3]]).is_ok());
        assert!(inst
            .verify(&[vec![1, 2, 3]])
            .unwrap_err()
            .contains("capacity"));
        assert!(inst
            .verify(&[vec![1, 2]])
            .unwrap_err()
            .contains("customer 3 served 0"));
        assert!(inst
            .verify(&[vec![1, 2], vec![3], vec![1]])
            .unwrap_err()
            .contains("customer 1 served 2"));
        let mut late = inst.clone();
        late.nodes[3].due = 5.0;
        assert!(late
            .verify(&[vec![1, 2], vec![3]])
            .unwrap_err()
            .contains("after due"));
        assert!(inst.verify(&[vec![1], vec![2], vec![3], vec![]]).is_ok());
        let mut few = inst.clone();
        few.vehicles = 1;
        assert!(few
            .verify(&[vec![1, 2], vec![3]])
            .unwrap_err()
            .contains("routes for 1"));
    }
}
