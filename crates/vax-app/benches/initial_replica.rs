//! Initial replica of the 65,000-resident demo city to a new venue (issue 5, goal < 10 s),
//! run with `cargo bench -p vax-app --bench initial_replica`.
//!
//! HQ loads the demo city into a file ledger, enrolls with a sync server on a loopback port
//! (real HTTP, SQLite file) and publishes the city as ops; then a new booth enrolls with an
//! empty ledger and runs its first sync. Timed: that first sync, from the empty ledger to every
//! resident, band and booking written as rows the desk reads (ops stored, merged and projected
//! in the booth's SQLite file). Also printed: HQ's publish and push.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::sync::{create_enrollment_code, enroll_device, sync_now};
use vax_demo::DemoParams;
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::Ledger;
use vax_sync::Role as SyncRole;
use vax_sync_server::loopback::LoopbackServer;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2021-05-01T09:00:00+09:00").expect("valid")
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` runs bench binaries with --bench absent; keep that fast.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let runs: usize = std::env::var("VAX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3);
    let dir = tempfile::tempdir()?;
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0)?;
    let municipality = MunicipalityCode::parse(vax_demo::MUNICIPALITY)?;

    let mut hq = Ledger::open(&dir.path().join("hq.sqlite3"))?;
    let params = DemoParams {
        start: now().date_naive(),
        ..DemoParams::default()
    };
    load_demo_city(&mut hq, &params, now(), &mut NoProgress)?;
    let code = server.enrollment_code(SyncRole::Hq, None)?;
    let t = Instant::now();
    let enrolled = enroll_device(
        &mut hq,
        &server.url(),
        &code,
        "本部",
        municipality.as_str(),
        now(),
    )?;
    let publish = t.elapsed();
    let t = Instant::now();
    let pushed = sync_now(&mut hq, now())?;
    let push = t.elapsed();
    println!(
        "HQ publish: {} ops in {}; push to the server: {} ops in {} ({} round trips)",
        enrolled.published_ops,
        secs(publish),
        pushed.sent_ops,
        secs(push),
        pushed.round_trips
    );

    let residents = hq.reader().resident_count()?;
    let mut times = Vec::new();
    for run in 0..runs {
        let code = create_enrollment_code(&hq, Role::Booth, Some("V03"), 24)?;
        let path = dir.path().join(format!("booth-{run}.sqlite3"));
        let mut booth = Ledger::open(&path)?;
        enroll_device(
            &mut booth,
            &server.url(),
            &code,
            "V03 接種",
            municipality.as_str(),
            now(),
        )?;
        let t = Instant::now();
        let first = sync_now(&mut booth, now())?;
        let elapsed = t.elapsed();
        let held = booth.reader().resident_count()?;
        let unprojected = booth.sync_log_summary()?.unprojected;
        assert_eq!(held, residents, "every resident arrived as a row");
        assert_eq!(unprojected, 0, "every op became rows");
        println!(
            "run {run}: new venue's first sync {} ({} ops, {} round trips, {held} residents)",
            secs(elapsed),
            first.received_ops,
            first.round_trips
        );
        times.push(elapsed);
    }
    times.sort();
    println!(
        "initial replica of {residents} residents: median {}, min {}, max {} (goal < 10 s)",
        secs(times[times.len() / 2]),
        secs(times[0]),
        secs(times[times.len() - 1])
    );
    Ok(())
}
