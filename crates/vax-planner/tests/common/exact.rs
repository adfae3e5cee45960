//! An exact solver for small planning problems (a MILP solved by microlp through good_lp),
//! to measure how far the planner is from the proven optimum. Residents must hold no
//! bookings yet. The model is the objective of `vax_planner::objective` term for term:
//! x[r, (b1, b2)] = 1 when r gets the pair; u[r] = 1 when r is unplaced; y[s] = 1 when a
//! rider uses venue day s.

use std::collections::HashMap;

use chrono::Days;
use good_lp::{
    constraint, microlp, variable, Expression, ProblemVariables, Solution, SolverModel, Variable,
};
use vax_planner::model::{Problem, Seats};
use vax_planner::objective::Costing;
use vax_planner::{Schedule, Unplaced, UnplacedReason};

/// The optimum and a plan that reaches it.
pub struct Exact {
    pub objective: f64,
    pub schedule: Schedule,
    pub variables: usize,
}

pub fn solve_exact(p: &Problem) -> Exact {
    assert!(p
        .residents
        .iter()
        .all(|r| r.booked == Seats::default() && r.first_given.is_none()));
    let costing = Costing::new(p);
    let mut vars = ProblemVariables::new();
    let mut objective = Expression::from(0.0);
    let slot = |b: usize| (p.bands[b].venue, p.bands[b].date);
    let mut per_resident: Vec<Vec<(Variable, usize, usize)>> = Vec::new();
    let mut unplaced_vars = Vec::new();
    let mut on_band: Vec<Expression> = vec![Expression::from(0.0); p.bands.len()];
    let mut on_slot: HashMap<_, Expression> = HashMap::new();
    let mut rider_slot: HashMap<_, Variable> = HashMap::new();
    let mut rider_links: Vec<(Variable, Expression)> = Vec::new();
    let mut count = 0;
    for (r, res) in p.residents.iter().enumerate() {
        let u = vars.add(variable().binary());
        count += 1;
        objective += costing.resident(r, Seats::default()).total * u;
        unplaced_vars.push(u);
        let mut pairs = Vec::new();
        let mut touches: HashMap<_, Expression> = HashMap::new();
        if costing.phase(r).is_some() {
            for (b1, band1) in p.bands.iter().enumerate() {
                let needs_bus = p.riders_need_bus && res.needs_transport;
                let ok = |b: usize| !p.bands[b].closed && (p.bands[b].bus_served || !needs_bus);
                if !ok(b1) || costing.opens(r).is_some_and(|o| band1.date < o) {
                    continue;
                }
                for (b2, band2) in p.bands.iter().enumerate() {
                    let gap = (band2.date - band1.date).num_days();
                    if !ok(b2)
                        || !p.window.contains(gap)
                        || (!p.allow_other_venue && band2.venue != band1.venue)
                    {
                        continue;
                    }
                    let x = vars.add(variable().binary());
                    count += 1;
                    let seats = Seats {
                        first: Some(b1),
                        second: Some(b2),
                    };
                    objective += costing.resident(r, seats).total * x;
                    on_band[b1] += x;
                    on_band[b2] += x;
                    *on_slot
                        .entry(slot(b1))
                        .or_insert_with(|| Expression::from(0.0)) += x;
                    *on_slot
                        .entry(slot(b2))
                        .or_insert_with(|| Expression::from(0.0)) += x;
                    if res.needs_transport {
                        for s in [slot(b1), slot(b2)] {
                            *touches.entry(s).or_insert_with(|| Expression::from(0.0)) += x;
                        }
                    }
                    pairs.push((x, b1, b2));
                }
            }
        }
        for (s, e) in touches {
            let y = *rider_slot.entry(s).or_insert_with(|| {
                count += 1;
                vars.add(variable().binary())
            });
            rider_links.push((y, e));
        }
        per_resident.push(pairs);
    }
    for &y in rider_slot.values() {
        objective += p.weights.rider_stop * y;
    }
    let mut model = vars.minimise(objective).using(microlp);
    for (r, pairs) in per_resident.iter().enumerate() {
        let mut e = Expression::from(unplaced_vars[r]);
        for &(x, _, _) in pairs {
            e += x;
        }
        model = model.with(constraint!(e == 1.0));
    }
    for (b, e) in on_band.into_iter().enumerate() {
        model = model.with(constraint!(e <= f64::from(p.bands[b].capacity)));
    }
    for s in &p.supply {
        if let Some(e) = on_slot.remove(&(s.venue, s.date)) {
            model = model.with(constraint!(e <= f64::from(s.doses)));
        }
    }
    for (y, e) in rider_links {
        // A rider's pairs touching the day are exclusive, so their sum is 0 or 1.
        model = model.with(constraint!(e <= y));
    }
    let solution = model.solve().expect("the exact solver finds the optimum");
    let mut seats = vec![Seats::default(); p.residents.len()];
    let mut unplaced = Vec::new();
    for (r, pairs) in per_resident.iter().enumerate() {
        match pairs.iter().find(|&&(x, _, _)| solution.value(x) > 0.5) {
            Some(&(_, b1, b2)) => {
                seats[r] = Seats {
                    first: Some(b1),
                    second: Some(b2),
                }
            }
            None => unplaced.push(Unplaced {
                resident: r,
                dose: vax_planner::model::Dose::First,
                reason: UnplacedReason::NoRoom,
            }),
        }
    }
    let schedule = Schedule { seats, unplaced };
    Exact {
        objective: vax_planner::objective(p, &schedule).total,
        schedule,
        variables: count,
    }
}

/// A small random instance (deterministic for `seed`): `venues` venues, `days` days with
/// bands at 9:00 and 14:00, `residents` residents with preferences, riders and phases.
pub fn small_instance(seed: u64, venues: usize, days: u64, residents: usize) -> Problem {
    let mut rng = Mix(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) | 1);
    let mut p = super::city(venues, days, 0);
    p.window.max_days = 25;
    for b in &mut p.bands {
        b.capacity = 1 + (rng.next() % 3) as u32;
        b.bus_served = rng.next().is_multiple_of(3);
    }
    for v in 0..venues {
        if rng.next().is_multiple_of(2) {
            p.supply.push(vax_planner::model::Supply {
                venue: v,
                date: super::day(0) + Days::new(rng.next() % days),
                doses: (rng.next() % 3) as u32,
            });
        }
    }
    p.supply.sort_by_key(|s| (s.venue, s.date));
    p.supply.dedup_by_key(|s| (s.venue, s.date));
    p.priority.phases = vec![
        vax_planner::model::Phase {
            name: "65+".into(),
            rule: vax_planner::model::PhaseRule::AgedAtLeast { years: 65 },
            earliest: None,
        },
        vax_planner::model::Phase {
            name: "everyone".into(),
            rule: vax_planner::model::PhaseRule::Everyone,
            earliest: Some(super::day(2)),
        },
    ];
    p.residents = (0..residents)
        .map(|i| {
            let mut r = super::resident(
                i as i64,
                1935 + (rng.next() % 70) as i32,
                (rng.next() % 30) as f64 * 0.01,
            );
            r.needs_transport = rng.next().is_multiple_of(6);
            if rng.next().is_multiple_of(3) {
                r.preferences.venues = vec![(rng.next() as usize) % venues];
            }
            if rng.next().is_multiple_of(4) {
                r.preferences.avoid_times = vec![vax_planner::model::TimeOfDay::Morning];
            }
            if rng.next().is_multiple_of(5) {
                r.preferences.avoid_weekdays = vec![chrono::Weekday::Tue];
            }
            r
        })
        .collect();
    p
}

struct Mix(u64);

impl Mix {
    fn next(&mut self) -> u64 {
        // xorshift64*: enough for test instances.
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }
}
