//! The planner's figures (docs/BENCHMARKS.md, "Planner"):
//! 1. plan both doses for the 65,000-resident demo city (vax-demo's generator; survey
//!    preferences, bus days, supply and phases added with a fixed seed), against first-fit on
//!    the same city: time, unplaced, share at a preferred venue, mean distance, objective,
//!    and what the independent checker finds in each plan;
//! 2. reshuffle the busiest venue day (cut), preview included;
//! 3. plan quality against the proven optimum of an exact solver (microlp) on small
//!    instances.
//!
//! `cargo bench -p vax-planner --bench planner` (add `-- --quick`, or set VAX_BENCH_QUICK=1,
//! for a run of a few seconds: one timing run each and three exact instances;
//! `-- --greedy-profile` runs the construction alone once, with the unplaced reasons, for a
//! profiler; VAX_BENCH_EXACT_ONLY=1 runs part 3 alone).

#[path = "../tests/common/mod.rs"]
mod common;

use std::collections::HashMap;
use std::time::{Duration, Instant};

use chrono::{Datelike, Days, Weekday};
use vax_demo::{generate, DemoParams};
use vax_planner::model::{
    Band, IntervalWindow, Phase, PhaseRule, Preferences, Priority, Problem, Resident, Seats,
    Supply, TimeOfDay, Venue, Weights,
};
use vax_planner::schedule::Deadline;
use vax_planner::{
    first_fit, objective, plan, reshuffle, verify, Candidate, Change, PlanOptions, Schedule,
    Unplaced, UnplacedReason,
};

/// xorshift64*: the bench's own fixed-seed choices.
struct Rng(u64);

impl Rng {
    fn next(&mut self) -> u64 {
        self.0 ^= self.0 >> 12;
        self.0 ^= self.0 << 25;
        self.0 ^= self.0 >> 27;
        self.0.wrapping_mul(0x2545_F491_4F6C_DD1D)
    }

    fn chance(&mut self, percent: u64) -> bool {
        self.next() % 100 < percent
    }
}

/// The demo city as a planning problem: every one of its 65,000 residents treated as willing.
fn city() -> Problem {
    let params = DemoParams::default();
    let demo = generate(&params);
    let mut rng = Rng(0x5EED_2021);
    let venue_index: HashMap<&str, usize> = demo
        .venues
        .iter()
        .enumerate()
        .map(|(i, v)| (v.code.as_str(), i))
        .collect();
    // A venue's district: that of the resident living nearest to it.
    let venues: Vec<Venue> = demo
        .venues
        .iter()
        .map(|v| {
            let nearest = demo
                .residents
                .iter()
                .filter_map(|(r, _)| r.home.map(|h| (h.distance_km(v.location), &r.district)))
                .min_by(|a, b| a.0.total_cmp(&b.0))
                .expect("geocoded residents");
            Venue {
                location: v.location,
                district: nearest.1.clone(),
            }
        })
        .collect();
    let bands: Vec<Band> = demo
        .bands
        .iter()
        .map(|b| Band {
            venue: venue_index[b.venue_code.as_str()],
            date: b.date,
            start: b.start,
            end: b.end,
            capacity: b.capacity,
            // The bus plan runs on Tuesdays and Thursdays.
            bus_served: matches!(b.date.weekday(), Weekday::Tue | Weekday::Thu),
            closed: false,
        })
        .collect();
    // Deliveries are known for the first two weeks: 90 % of each venue day's places.
    let mut day_places: HashMap<(usize, chrono::NaiveDate), u32> = HashMap::new();
    for b in &bands {
        *day_places.entry((b.venue, b.date)).or_default() += b.capacity;
    }
    let mut supply: Vec<Supply> = day_places
        .into_iter()
        .filter(|&((_, date), _)| date < params.start + Days::new(14))
        .map(|((venue, date), places)| Supply {
            venue,
            date,
            doses: places * 9 / 10,
        })
        .collect();
    supply.sort_by_key(|s| (s.venue, s.date));
    let centre = venues[0].location;
    let residents = demo
        .residents
        .iter()
        .enumerate()
        .map(|(i, (r, answer))| {
            let mut preferences = Preferences::default();
            if rng.chance(25) {
                preferences.venues = vec![(rng.next() % venues.len() as u64) as usize];
            } else if rng.chance(10) {
                preferences.districts = vec![r.district.clone()];
            }
            if rng.chance(15) {
                preferences.avoid_weekdays =
                    vec![[Weekday::Sat, Weekday::Sun, Weekday::Mon][(rng.next() % 3) as usize]];
            }
            if rng.chance(20) {
                preferences.avoid_times =
                    vec![[TimeOfDay::Morning, TimeOfDay::Afternoon][(rng.next() % 2) as usize]];
            }
            Resident {
                id: i as i64,
                birth_date: r.birth_date,
                home: r.home.unwrap_or(centre),
                district: r.district.clone(),
                underlying_condition: rng.chance(12),
                needs_transport: answer.needs_transport,
                preferences,
                booked: Seats::default(),
                first_given: None,
            }
        })
        .collect();
    Problem {
        venues,
        bands,
        residents,
        window: IntervalWindow {
            min_days: 19,
            standard_days: 21,
            max_days: 42,
        },
        priority: Priority {
            reference_date: params.start,
            phases: vec![
                Phase {
                    name: "65歳以上".into(),
                    rule: PhaseRule::AgedAtLeast { years: 65 },
                    earliest: None,
                },
                Phase {
                    name: "基礎疾患".into(),
                    rule: PhaseRule::UnderlyingCondition,
                    earliest: None,
                },
                Phase {
                    name: "一般".into(),
                    rule: PhaseRule::Everyone,
                    earliest: Some(params.start + Days::new(14)),
                },
            ],
        },
        supply,
        allow_other_venue: false,
        riders_need_bus: true,
        rider_limits: Vec::new(),
        // Comirnaty's dated ages: the campaign starts on 17 May 2021, 12-15 year-olds may
        // be booked from 1 June.
        minimum_age: vax_domain::product::Catalogue::builtin()
            .product("comirnaty")
            .expect("in the catalogue")
            .minimum_ages(),
        weights: Weights::default(),
    }
}

/// Today's first-fit on the same city, as a whole plan the checker can read.
fn first_fit_schedule(p: &Problem) -> Schedule {
    let candidates: Vec<Candidate> = p
        .residents
        .iter()
        .map(|r| Candidate {
            birth_date: r.birth_date,
            home: r.home,
        })
        .collect();
    let venues: Vec<_> = p.venues.iter().map(|v| v.location).collect();
    let bands: Vec<vax_planner::Band> = p
        .bands
        .iter()
        .map(|b| vax_planner::Band {
            venue: b.venue,
            date: b.date,
            start: b.start,
            capacity: b.capacity,
        })
        .collect();
    let ff = first_fit(&candidates, &venues, &bands, p.window.standard_days);
    let mut unplaced = Vec::new();
    let seats = ff
        .placements
        .iter()
        .enumerate()
        .map(|(i, pl)| match pl {
            Some(pl) => Seats {
                first: Some(pl.first),
                second: Some(pl.second),
            },
            None => {
                unplaced.push(Unplaced {
                    resident: i,
                    dose: vax_planner::model::Dose::First,
                    reason: UnplacedReason::NoRoom,
                });
                Seats::default()
            }
        })
        .collect();
    Schedule { seats, unplaced }
}

struct Quality {
    preferred_share: f64,
    mean_km: f64,
    unplaced: usize,
    objective: f64,
    violations: usize,
}

fn quality(p: &Problem, s: &Schedule) -> Quality {
    let (mut with_pref, mut at_pref, mut km, mut doses) = (0u64, 0u64, 0.0, 0u64);
    for (r, seats) in p.residents.iter().zip(&s.seats) {
        for b in [seats.first, seats.second].into_iter().flatten() {
            let band = &p.bands[b];
            km += r.home.distance_km(p.venues[band.venue].location);
            doses += 1;
            let prefs = &r.preferences;
            if !prefs.venues.is_empty() || !prefs.districts.is_empty() {
                with_pref += 1;
                at_pref += u64::from(
                    prefs.venues.contains(&band.venue)
                        || prefs.districts.contains(&p.venues[band.venue].district),
                );
            }
        }
    }
    Quality {
        preferred_share: at_pref as f64 / with_pref.max(1) as f64,
        mean_km: km / doses.max(1) as f64,
        unplaced: s.unplaced.len(),
        objective: objective(p, s).total,
        violations: verify(p, s).len(),
    }
}

/// CPU time this thread has run (Linux: /proc/thread-self/schedstat, nanoseconds): on the
/// shared build machine the wall time mostly measures the other engineers' load.
fn thread_cpu() -> Duration {
    std::fs::read_to_string("/proc/thread-self/schedstat")
        .ok()
        .and_then(|s| s.split_whitespace().next()?.parse().ok())
        .map(Duration::from_nanos)
        .unwrap_or_default()
}

/// The one-minute load average, to read the wall times by.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|s| s.split_whitespace().next().map(str::to_owned))
        .unwrap_or_else(|| "?".into())
}

fn median(mut times: Vec<Duration>) -> Duration {
    times.sort();
    times[times.len() / 2]
}

fn ms(d: Duration) -> f64 {
    d.as_secs_f64() * 1e3
}

fn bench_plan(runs: usize) -> (Problem, Schedule) {
    let t = Instant::now();
    let p = city();
    println!(
        "city: {} residents, {} venues, {} bands ({} bus-served), built in {:.0} ms",
        p.residents.len(),
        p.venues.len(),
        p.bands.len(),
        p.bands.iter().filter(|b| b.bus_served).count(),
        ms(t.elapsed())
    );
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    let mut greedy_times = Vec::new();
    let mut greedy_cpu = Vec::new();
    let mut result = None;
    for _ in 0..runs {
        let cpu = thread_cpu();
        let t = Instant::now();
        // The improvement gets what is left of a 1.8 s budget.
        let deadline = Deadline(t + Duration::from_millis(1_800));
        let options = PlanOptions {
            improve_stop: &deadline,
            ..PlanOptions::default()
        };
        let s = plan(&p, &options).expect("valid city");
        times.push(t.elapsed());
        cpu_times.push(thread_cpu() - cpu);
        result = Some(s);
        let cpu = thread_cpu();
        let t = Instant::now();
        let greedy = PlanOptions {
            improvement_steps_per_resident: 0,
            ..PlanOptions::default()
        };
        plan(&p, &greedy).expect("valid city");
        greedy_times.push(t.elapsed());
        greedy_cpu.push(thread_cpu() - cpu);
    }
    let ours = result.expect("one run");
    // The demo's plan: the same fixed steps without a time budget (one run).
    let cpu = thread_cpu();
    let t = Instant::now();
    plan(&p, &PlanOptions::default()).expect("valid city");
    let (unbudgeted, unbudgeted_cpu) = (t.elapsed(), thread_cpu() - cpu);
    let t = Instant::now();
    let violations = verify(&p, &ours);
    let verify_time = t.elapsed();
    assert_eq!(violations, vec![], "the checker finds no violation");
    let mut ff_times = Vec::new();
    let mut ff = None;
    for _ in 0..runs {
        let t = Instant::now();
        ff = Some(first_fit_schedule(&p));
        ff_times.push(t.elapsed());
    }
    let ff = ff.expect("one run");
    let (q, f) = (quality(&p, &ours), quality(&p, &ff));
    println!("\n| 65,000 residents, both doses ({runs} runs) | planner | first-fit |");
    println!("|---|---:|---:|");
    println!(
        "| time, median (goal < 2 s) | {:.0} ms (without improvement {:.0} ms) | {:.0} ms |",
        ms(median(times)),
        ms(median(greedy_times)),
        ms(median(ff_times))
    );
    println!(
        "| CPU time, median (load average {}) | {:.0} ms (without improvement {:.0} ms) | — |",
        load_average(),
        ms(median(cpu_times)),
        ms(median(greedy_cpu)),
    );
    println!(
        "| whole plan without a time budget (as the demo plans), one run: wall / CPU | {:.0} ms / {:.0} ms | — |",
        ms(unbudgeted),
        ms(unbudgeted_cpu)
    );
    println!(
        "| independent check of the plan | {:.0} ms | — |",
        ms(verify_time)
    );
    println!("| residents unplaced | {} | {} |", q.unplaced, f.unplaced);
    println!(
        "| doses at a preferred venue (residents with a venue or district preference) | {:.1} % | {:.1} % |",
        q.preferred_share * 100.0,
        f.preferred_share * 100.0
    );
    println!(
        "| mean distance home to venue, per dose | {:.2} km | {:.2} km |",
        q.mean_km, f.mean_km
    );
    let (oq, of) = (objective(&p, &ours), objective(&p, &ff));
    println!(
        "| objective (lower is better) | {:.0} | {:.0} |",
        q.objective, f.objective
    );
    println!(
        "| preference breaks / rider venue days / weighted wait days | {} / {} / {:.0} | {} / {} / {:.0} |",
        oq.preference_breaks, oq.rider_stops, oq.weighted_wait_days,
        of.preference_breaks, of.rider_stops, of.weighted_wait_days
    );
    println!(
        "| rules broken (checker: riders off the bus, supply, phases) | {} | {} |",
        q.violations, f.violations
    );
    (p, ours)
}

fn bench_reshuffle(mut p: Problem, s: &Schedule, runs: usize) {
    for (r, seats) in p.residents.iter_mut().zip(&s.seats) {
        r.booked = *seats;
    }
    let mut per_day: HashMap<(usize, chrono::NaiveDate), usize> = HashMap::new();
    for seats in &s.seats {
        for b in [seats.first, seats.second].into_iter().flatten() {
            *per_day
                .entry((p.bands[b].venue, p.bands[b].date))
                .or_default() += 1;
        }
    }
    let (&(venue, date), &bookings) = per_day
        .iter()
        .max_by_key(|&(&(v, d), &n)| (n, std::cmp::Reverse((v, d))))
        .expect("bookings");
    let change = Change::CutVenueDay { venue, date };
    let mut times = Vec::new();
    let mut cpu_times = Vec::new();
    let mut out = None;
    for _ in 0..runs {
        let cpu = thread_cpu();
        let t = Instant::now();
        out = Some(reshuffle(&p, &change, &PlanOptions::default()).expect("valid change"));
        times.push(t.elapsed());
        cpu_times.push(thread_cpu() - cpu);
    }
    let out = out.expect("one run");
    let t = Instant::now();
    let violations = verify(&out.problem, &out.schedule);
    let verify_time = t.elapsed();
    assert_eq!(violations, vec![], "the reshuffled plan keeps every rule");
    let shift: i64 = out
        .moves
        .iter()
        .filter_map(|m| {
            Some(
                (p.bands[m.to?].date - p.bands[m.from?].date)
                    .num_days()
                    .abs(),
            )
        })
        .sum();
    let other_venue = out
        .moves
        .iter()
        .filter(|m| m.to.is_some_and(|t| p.bands[t].venue != venue))
        .count();
    println!(
        "\n| reshuffle: cut venue {} on {date} ({bookings} bookings), {runs} runs | value |",
        venue
    );
    println!("|---|---:|");
    println!(
        "| time incl. preview (moves, unplaced), median (goal < 200 ms) | {:.1} ms |",
        ms(median(times))
    );
    println!(
        "| CPU time, median (load average {}) | {:.1} ms |",
        load_average(),
        ms(median(cpu_times))
    );
    println!(
        "| independent check of the whole plan after | {:.0} ms |",
        ms(verify_time)
    );
    println!("| residents affected | {} |", out.affected);
    println!(
        "| doses moved / to another venue | {} / {} |",
        out.moves.len(),
        other_venue
    );
    println!(
        "| mean shift of a moved dose | {:.2} days |",
        shift as f64 / out.moves.len().max(1) as f64
    );
    println!("| unplaced (with reason) | {} |", out.unplaced.len());
}

fn bench_exact(seeds: u64) {
    println!("\n| instance (venues × days × residents) | variables | exact (microlp) | time | planner | time | gap |");
    println!("|---|---:|---:|---:|---:|---:|---:|");
    let mut worst: f64 = 0.0;
    let mut sum = 0.0;
    // VAX_BENCH_EXACT_SEEDS=13-40 and VAX_BENCH_EXACT_SIZE=3x30 (venues × residents) run
    // other instances than the twelve of the table in docs/BENCHMARKS.md.
    let env = |name: &str| std::env::var(name).ok();
    let (from, to) = env("VAX_BENCH_EXACT_SEEDS")
        .and_then(|v| {
            let (a, b) = v.split_once('-')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or((1, seeds));
    let (venues, residents) = env("VAX_BENCH_EXACT_SIZE")
        .and_then(|v| {
            let (a, b) = v.split_once('x')?;
            Some((a.parse().ok()?, b.parse().ok()?))
        })
        .unwrap_or((2, 14));
    let seeds = to + 1 - from;
    for seed in from..=to {
        let p = common::exact::small_instance(seed, venues, 26, residents);
        let t = Instant::now();
        let exact = common::exact::solve_exact(&p);
        let exact_time = t.elapsed();
        assert_eq!(verify(&p, &exact.schedule), vec![]);
        let t = Instant::now();
        let ours = plan(&p, &PlanOptions::default()).expect("valid");
        let our_time = t.elapsed();
        assert_eq!(verify(&p, &ours), vec![]);
        let o = objective(&p, &ours).total;
        let gap = (o - exact.objective) / exact.objective * 100.0;
        worst = worst.max(gap);
        sum += gap;
        println!(
            "| seed {seed}: {venues} × 26 × {residents} | {} | {:.2} | {:.0} ms | {:.2} | {:.1} ms | {:.2} % |",
            exact.variables,
            exact.objective,
            ms(exact_time),
            o,
            ms(our_time),
            gap
        );
    }
    println!(
        "| **mean / worst gap** | | | | | | **{:.2} % / {:.2} %** |",
        sum / seeds as f64,
        worst
    );
}

fn main() {
    // `cargo test --benches` runs bench binaries without --bench; keep that fast.
    let args: Vec<String> = std::env::args().collect();
    if !args.iter().any(|a| a == "--bench") {
        return;
    }
    let quick =
        args.iter().any(|a| a == "--quick") || std::env::var_os("VAX_BENCH_QUICK").is_some();
    let runs = if quick { 1 } else { 5 };
    if args.iter().any(|a| a == "--greedy-profile") {
        let p = city();
        let greedy = PlanOptions {
            improvement_steps_per_resident: 0,
            ..PlanOptions::default()
        };
        let t = Instant::now();
        let s = plan(&p, &greedy).expect("valid city");
        println!(
            "greedy {:.0} ms, {} unplaced",
            ms(t.elapsed()),
            s.unplaced.len()
        );
        let mut reasons: HashMap<String, usize> = HashMap::new();
        for u in &s.unplaced {
            *reasons
                .entry(format!("{:?} {:?}", u.reason, u.dose))
                .or_default() += 1;
        }
        println!("{reasons:?}");
        return;
    }
    if std::env::var_os("VAX_BENCH_EXACT_ONLY").is_some() {
        bench_exact(if quick { 3 } else { 12 });
        return;
    }
    let (p, s) = bench_plan(runs);
    bench_reshuffle(p, &s, if quick { 2 } else { 5 });
    bench_exact(if quick { 3 } else { 12 });
}
