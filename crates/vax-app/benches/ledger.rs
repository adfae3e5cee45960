//! Ledger benchmarks for issue 2, run with `cargo bench -p vax-app --bench ledger`.
//!
//! - import of the register: 65,000 residents (goal < 2 s) and 1,000,000 (goal < 30 s),
//!   each a fresh file-backed ledger, the whole use case (decode, check, write, commit);
//! - lookup by voucher payload on the 65,000-resident demo ledger (goal p99 < 1 ms), and
//!   the full resident card behind a scan (find + bookings + doses + due dose);
//! - the reception scan as the desktop app's `reception_find` command runs it: payload to
//!   desk cards with their warnings for the enrolled venue (goal p99 < 50 ms).
//!
//! Set `VAX_BENCH_QUICK=1` to skip the 1,000,000-resident run.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_app::demo::{demo_csv, load_demo_city};
use vax_app::desk::{desk_find, enroll};
use vax_app::import::{import_register_bytes, TextEncoding};
use vax_app::lookup::{find, scan, Query};
use vax_app::progress::NoProgress;
use vax_demo::{generate, DemoParams};
use vax_domain::role::Role;
use vax_ledger::Ledger;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2021-05-01T09:00:00+09:00").expect("valid")
}

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn bench_import(residents: usize, runs: usize) {
    let city = generate(&DemoParams {
        residents,
        ..DemoParams::default()
    });
    let (csv, _) = demo_csv(&city);
    let mut times = Vec::new();
    for _ in 0..runs {
        let dir = tempfile::tempdir().expect("temp dir");
        let mut ledger = Ledger::open(&dir.path().join("bench.sqlite3")).expect("ledger");
        let t = Instant::now();
        let report = import_register_bytes(
            &mut ledger,
            csv.as_bytes(),
            TextEncoding::Auto,
            now(),
            &mut NoProgress,
        )
        .expect("import");
        times.push(t.elapsed());
        assert_eq!(report.inserted as usize, residents, "every row imported");
    }
    println!(
        "import register {residents:>9} residents ({:.1} MB CSV): median {:>8.3} s over {runs} runs (min {:.3}, max {:.3})",
        csv.len() as f64 / 1e6,
        median(times.clone()).as_secs_f64(),
        times.iter().min().expect("runs").as_secs_f64(),
        times.iter().max().expect("runs").as_secs_f64(),
    );
}

fn bench_lookup() {
    let dir = tempfile::tempdir().expect("temp dir");
    let mut ledger = Ledger::open(&dir.path().join("bench.sqlite3")).expect("ledger");
    let params = DemoParams {
        start: NaiveDate::from_ymd_opt(2021, 5, 17).expect("date"),
        ..DemoParams::default()
    };
    load_demo_city(&mut ledger, &params, now(), &mut NoProgress).expect("demo city");
    let city = generate(&params);
    let payloads: Vec<String> = city
        .residents
        .iter()
        .step_by(7)
        .map(|(r, _)| format!("11{}{}", r.municipality, r.voucher))
        .collect();
    let today = params.start;
    let enrollment =
        enroll(&mut ledger, "V01", Role::Reception, &city.municipality).expect("enroll");
    let at_nine = DateTime::parse_from_rfc3339("2021-05-17T09:00:00+09:00").expect("valid");
    let paths = [
        "find by voucher payload ",
        "scan to resident card   ",
        "reception scan (command)",
    ];
    for (path, label) in paths.iter().enumerate() {
        let mut times = Vec::with_capacity(payloads.len());
        for p in &payloads {
            let t = Instant::now();
            let n = match path {
                0 => find(&ledger, &Query::Voucher(p.clone()))
                    .expect("find")
                    .len(),
                1 => scan(&ledger, p, today).expect("scan").len(),
                _ => desk_find(
                    &mut ledger,
                    &enrollment,
                    &Query::Voucher(p.clone()),
                    at_nine,
                )
                .expect("desk")
                .len(),
            };
            times.push(t.elapsed());
            assert_eq!(n, 1, "every payload finds its resident");
        }
        times.sort();
        println!(
            "{label} on 65,000 residents, {} lookups: p50 {:>6.1} µs  p99 {:>6.1} µs  max {:>7.1} µs",
            times.len(),
            percentile(&times, 0.50).as_secs_f64() * 1e6,
            percentile(&times, 0.99).as_secs_f64() * 1e6,
            times.last().expect("lookups").as_secs_f64() * 1e6,
        );
    }
}

fn main() {
    // `cargo test --benches` runs bench binaries with --bench absent; keep that fast.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    bench_import(65_000, 5);
    if std::env::var_os("VAX_BENCH_QUICK").is_none() {
        bench_import(1_000_000, 3);
    }
    bench_lookup();
}
