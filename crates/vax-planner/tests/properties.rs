//! Properties of the planner and the reshuffle engine on random problems: capacity and
//! supply never exceeded, intervals always inside the window, no dose below the product's
//! minimum age on its day, every resident placed or reported with a reason, and the
//! independent checker agrees with the solvers.

mod common;

use chrono::Weekday;
use common::*;
use proptest::prelude::*;
use vax_planner::model::{
    Dose, GivenDose, MinimumAges, Phase, PhaseRule, Problem, Seats, Supply, TimeOfDay,
};
use vax_planner::verify::Violation;
use vax_planner::{objective, plan, reshuffle, verify, Change, PlanOptions};

#[derive(Debug, Clone)]
struct Shape {
    venues: usize,
    days: u64,
    hours: Vec<u32>,
    caps: Vec<u32>,
    bus: Vec<bool>,
    closed: Vec<bool>,
    supply: Vec<Option<u32>>,
    window: (u32, u32, u32),
    /// Minimum age at approval, the age from the change on, and the change's day.
    ages: Option<(u32, u32, u64)>,
    phases: bool,
    allow_other_venue: bool,
    people: Vec<(i32, u8, u8, u8, u8, bool)>,
    seed: u64,
}

fn shape() -> impl Strategy<Value = Shape> {
    (
        1usize..4,
        25u64..40,
        prop::sample::subsequence(vec![9u32, 11, 14, 18], 1..4),
        prop::collection::vec(0u32..4, 480),
        prop::collection::vec(any::<bool>(), 480),
        prop::collection::vec(prop::bool::weighted(0.05), 480),
        prop::collection::vec(prop::option::weighted(0.2, 0u32..6), 160),
        (
            (15u32..20, 0u32..4, 0u32..8),
            prop::option::of((10u32..70, 10u32..70, 0u64..40)),
        ),
        any::<bool>(),
        any::<bool>(),
        prop::collection::vec(
            (
                1930i32..2008,
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                any::<u8>(),
                prop::bool::weighted(0.2),
            ),
            0..50,
        ),
        any::<u64>(),
    )
        .prop_map(
            |(
                venues,
                days,
                hours,
                caps,
                bus,
                closed,
                supply,
                (w, ages),
                phases,
                other,
                people,
                seed,
            )| {
                Shape {
                    venues,
                    days,
                    hours,
                    caps,
                    bus,
                    closed,
                    supply,
                    window: (w.0, w.0 + w.1, w.0 + w.1 + w.2),
                    ages,
                    phases,
                    allow_other_venue: other,
                    people,
                    seed,
                }
            },
        )
}

fn problem(s: &Shape) -> Problem {
    let mut p = city(s.venues, 0, 0);
    let mut k = 0;
    for v in 0..s.venues {
        for d in 0..s.days {
            for &h in &s.hours {
                let mut b = band(v, day(d), h, s.caps[k % s.caps.len()]);
                b.bus_served = s.bus[k % s.bus.len()];
                b.closed = s.closed[k % s.closed.len()];
                p.bands.push(b);
                k += 1;
            }
            if let Some(doses) = s.supply[(v * 40 + d as usize) % s.supply.len()] {
                p.supply.push(Supply {
                    venue: v,
                    date: day(d),
                    doses,
                });
            }
        }
    }
    p.window.min_days = s.window.0;
    p.window.standard_days = s.window.1;
    p.window.max_days = s.window.2;
    p.allow_other_venue = s.allow_other_venue;
    if let Some((at_approval, later, from)) = s.ages {
        p.minimum_age = MinimumAges {
            at_approval,
            changes: vec![(day(from), later)],
        };
    }
    if s.phases {
        p.priority.phases = vec![
            Phase {
                name: "65+".into(),
                rule: PhaseRule::AgedAtLeast { years: 65 },
                earliest: None,
            },
            Phase {
                name: "underlying".into(),
                rule: PhaseRule::UnderlyingCondition,
                earliest: Some(day(2)),
            },
            Phase {
                name: "everyone".into(),
                rule: PhaseRule::Everyone,
                earliest: Some(day(4)),
            },
        ];
    }
    let weekdays = [Weekday::Mon, Weekday::Sat, Weekday::Sun];
    let times = [TimeOfDay::Morning, TimeOfDay::Afternoon, TimeOfDay::Evening];
    p.residents = s
        .people
        .iter()
        .enumerate()
        .map(|(i, &(year, home, pref, avoid, flags, rider))| {
            let mut r = resident(i as i64, year, f64::from(home % 40) * 0.01);
            // Birthdays from May to August: some fall inside the campaign (minimum ages).
            r.birth_date = chrono::NaiveDate::from_ymd_opt(
                year,
                5 + u32::from(avoid % 4),
                1 + u32::from(pref % 28),
            )
            .unwrap();
            r.needs_transport = rider;
            r.underlying_condition = flags % 3 == 0;
            if pref % 4 == 0 {
                r.preferences.venues = vec![usize::from(pref / 4) % s.venues];
            }
            if avoid % 3 == 0 {
                r.preferences.avoid_weekdays = vec![weekdays[usize::from(avoid / 3) % 3]];
            }
            if avoid % 5 == 0 {
                r.preferences.avoid_times = vec![times[usize::from(avoid / 5) % 3]];
            }
            if flags % 11 == 0 {
                r.first_given = Some(GivenDose {
                    date: day(u64::from(flags % 5)),
                    venue: Some(usize::from(flags) % s.venues),
                });
            }
            r
        })
        .collect();
    p
}

fn options(seed: u64) -> PlanOptions<'static> {
    PlanOptions {
        seed,
        // Fewer improvement steps than the default: many cases in a debug build.
        improvement_steps_per_resident: 1,
        ..PlanOptions::default()
    }
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(96))]

    #[test]
    fn every_plan_keeps_every_rule(s in shape()) {
        let p = problem(&s);
        let plan = plan(&p, &options(s.seed)).unwrap();
        prop_assert_eq!(verify(&p, &plan), vec![]);
        // The same rules, counted directly here as well.
        let mut load = vec![0u32; p.bands.len()];
        for (r, seats) in p.residents.iter().zip(&plan.seats) {
            for b in [seats.first, seats.second].into_iter().flatten() {
                load[b] += 1;
                prop_assert!(!p.bands[b].closed);
            }
            let day1 = seats.first.map(|b| p.bands[b].date).or(r.first_given.map(|g| g.date));
            if let (Some(d1), Some(b2)) = (day1, seats.second) {
                prop_assert!(p.window.contains((p.bands[b2].date - d1).num_days()));
            }
            // No dose newly booked on a day the resident is too young for the product.
            for (now, before) in [(seats.first, r.booked.first), (seats.second, r.booked.second)] {
                if let Some(b) = now.filter(|&b| Some(b) != before) {
                    prop_assert!(p.minimum_age.admits(r.birth_date, p.bands[b].date));
                }
            }
            let complete = seats.second.is_some() && day1.is_some();
            let listed = plan.unplaced.iter().any(|u| p.residents[u.resident].id == r.id);
            prop_assert_eq!(complete, !listed, "placed or reported, never both");
        }
        for (b, &n) in load.iter().enumerate() {
            prop_assert!(n <= p.bands[b].capacity);
        }
        prop_assert_eq!(objective(&p, &plan).unplaced as usize, plan.unplaced.len());
    }

    #[test]
    fn the_checker_catches_a_corrupted_plan(s in shape(), pick in any::<prop::sample::Index>()) {
        let p = problem(&s);
        let mut plan = plan(&p, &options(s.seed)).unwrap();
        let placed: Vec<usize> = (0..p.residents.len())
            .filter(|&i| plan.seats[i].first.is_some() && plan.seats[i].second.is_some())
            .collect();
        prop_assume!(!placed.is_empty());
        let r = placed[pick.index(placed.len())];
        // Dose 2 on the day of dose 1: outside any window (min ≥ 15 days).
        plan.seats[r].second = plan.seats[r].first;
        let found = verify(&p, &plan);
        prop_assert!(
            found.iter().any(|v| matches!(v, Violation::OutsideWindow { resident, .. } if *resident == r)),
            "{:?}", found
        );
    }

    #[test]
    fn every_reshuffle_keeps_every_rule(s in shape(), kind in 0u8..5, at in any::<prop::sample::Index>(), to in 0u32..3) {
        let mut p = problem(&s);
        let first = plan(&p, &options(s.seed)).unwrap();
        for (r, seats) in p.residents.iter_mut().zip(&first.seats) {
            r.booked = *seats;
        }
        let booked: Vec<(usize, Seats)> = p.residents.iter().enumerate()
            .filter(|(_, r)| r.booked.first.is_some())
            .map(|(i, r)| (i, r.booked))
            .collect();
        prop_assume!(!booked.is_empty());
        let (who, seats) = booked[at.index(booked.len())];
        let b1 = seats.first.unwrap();
        let band = p.bands[b1].clone();
        let change = match kind {
            0 => Change::CutVenueDay { venue: band.venue, date: band.date },
            1 => Change::CloseBand { band: b1 },
            2 if band.capacity > to => Change::LowerCapacity { band: b1, capacity: to },
            3 => Change::SupplyDrop { venue: band.venue, from: band.date, to: band.date + chrono::Days::new(3), doses_per_day: to },
            _ => Change::MoveRequest { resident: who, dose: Dose::First, from: band.date + chrono::Days::new(1), to: band.date + chrono::Days::new(6), venue: None },
        };
        let out = reshuffle(&p, &change, &options(s.seed)).unwrap();
        prop_assert_eq!(verify(&out.problem, &out.schedule), vec![]);
        for m in &out.moves {
            if let Some(to) = m.to {
                let r = &p.residents[m.resident];
                prop_assert!(p.minimum_age.admits(r.birth_date, p.bands[to].date), "moved below the minimum age");
            }
        }
        // The moves are exactly the difference, and only the affected are unplaced.
        let mut changed = 0;
        for (i, r) in p.residents.iter().enumerate() {
            for dose in [Dose::First, Dose::Second] {
                let (a, b) = (r.booked.get(dose), out.schedule.seats[i].get(dose));
                if a != b {
                    changed += 1;
                    prop_assert!(out.moves.iter().any(|m| m.resident == i && m.dose == dose && m.from == a && m.to == b));
                }
            }
        }
        prop_assert_eq!(changed, out.moves.len());
        prop_assert!(out.unplaced.len() <= out.affected);
    }
}

proptest! {
    #[test]
    fn the_costing_counts_preference_breaks_as_the_model_defines_them(s in shape()) {
        let p = problem(&s);
        let costing = vax_planner::objective::Costing::new(&p);
        for (i, r) in p.residents.iter().enumerate() {
            for (b, band) in p.bands.iter().enumerate().step_by(7) {
                let model = f64::from(p.preference_breaks(r, band)) * p.weights.preference;
                prop_assert_eq!(costing.breaks(i, b), model);
            }
        }
    }
}
