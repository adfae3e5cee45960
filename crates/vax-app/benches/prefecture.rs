//! A prefecture on the central ledger (issue 18):
//! `scripts/with-postgres.sh cargo bench -p vax-app --bench prefecture` (PostgreSQL; without
//! the script, a SQLite server file). Env: `PREFECTURE_RESIDENTS` = 2,500,000,
//! `PREFECTURE_MUNICIPALITIES` = 26, `VAX_BENCH_RUNS` = 3.
//!
//! HQ's file ledger takes the demo city of 舞鶴市 (65,000 residents, venues, bands, the two
//! doses planned), then the registers of the other municipalities (demo residents under their
//! own 市町村コード, voucher numbers kept apart: ops key residents by voucher number alone,
//! docs/sync-spec.md §7b). Timed: that import; HQ's enrollment, which publishes the whole
//! ledger as ops; its push to the server. Then new booths of a 舞鶴 venue, each enrolled for
//! 舞鶴市 only (a partial replica), run their first sync: timed from the empty ledger to every
//! resident of the city as rows (goal < 3 s), asserting that no other municipality's resident
//! arrived. Then 舞鶴市's own HQ (enrolled for the city) receives the city, files its snapshot
//! (docs/sync-spec.md §7c), and as many new booths take their first sync from it.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::sync::{enroll_device, publish_snapshot, sync_now};
use vax_demo::DemoParams;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::Ledger;
use vax_sync::Role as SyncRole;
use vax_sync_server::loopback::LoopbackServer;

#[path = "common/cpu.rs"]
mod cpu;
// The encrypted install that reads the snapshot's key again is the initial_replica bench's.
#[allow(dead_code)]
#[path = "common/snapshot_steps.rs"]
mod snapshot_steps;

fn now() -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339("2021-05-01T09:00:00+09:00").expect("valid")
}

/// The machine's load average over the last minute, from /proc.
fn load_average() -> String {
    std::fs::read_to_string("/proc/loadavg")
        .ok()
        .and_then(|l| l.split_whitespace().next().map(str::to_owned))
        .unwrap_or_default()
}

fn secs(d: Duration) -> String {
    format!("{:.2} s", d.as_secs_f64())
}

fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// The `k`-th other municipality: 26 (Kyoto), three digits, its check digit.
fn municipality(k: usize) -> MunicipalityCode {
    (0..10)
        .find_map(|d| MunicipalityCode::parse(&format!("26{:03}{d}", 300 + k)).ok())
        .expect("one digit checks")
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` runs bench binaries with --bench absent; keep that fast.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let total: usize = env_or("PREFECTURE_RESIDENTS", 2_500_000);
    let municipalities: usize = env_or("PREFECTURE_MUNICIPALITIES", 26).max(2);
    let runs: usize = env_or("VAX_BENCH_RUNS", 3);
    let dir = tempfile::tempdir()?;
    let server_db = match std::env::var("VAXSYNC_TEST_POSTGRES") {
        Ok(url) if !url.is_empty() => {
            println!("server store: PostgreSQL ({url})");
            std::path::PathBuf::from(url)
        }
        _ => {
            println!("server store: SQLite");
            dir.path().join("server.sqlite3")
        }
    };
    let city = MunicipalityCode::parse(vax_demo::MUNICIPALITY)?;

    // HQ's ledger: the city with its venues and plan, then the other registers.
    let mut hq = Ledger::open(&dir.path().join("hq.sqlite3"))?;
    let t = Instant::now();
    let params = DemoParams {
        start: now().date_naive(),
        ..DemoParams::default()
    };
    load_demo_city(&mut hq, &params, now(), &mut NoProgress)?;
    let city_residents = hq.reader().resident_count()?;
    println!(
        "HQ loads {} ({city_residents} residents, venues, bands, plan): {}",
        vax_demo::CITY_NAME,
        secs(t.elapsed())
    );
    let others = municipalities - 1;
    let each = (total.saturating_sub(city_residents as usize)) / others;
    let t = Instant::now();
    let tx = hq.transaction()?;
    for k in 0..others {
        let code = municipality(k);
        let generated = vax_demo::generate(&DemoParams {
            seed: 3_000 + k as u64,
            residents: each,
            ..params.clone()
        });
        for (mut resident, mut answer) in generated.residents {
            // Apart from 舞鶴's (up to 100,001 + 7 × 65,000) and from each other's.
            let number: u64 = resident.voucher.as_str().parse()?;
            let voucher =
                VoucherNumber::parse(&format!("{:010}", number + (k as u64 + 1) * 10_000_000))?;
            resident.municipality = code.clone();
            resident.voucher = voucher.clone();
            answer.municipality = code.clone();
            answer.voucher = voucher;
            tx.upsert_resident(&resident, &now())?;
            tx.apply_survey(&answer, &now())?;
        }
    }
    tx.commit()?;
    let held = hq.reader().resident_count()?;
    println!(
        "HQ imports {others} more registers ({} residents): {}; the ledger holds {held}",
        held - city_residents,
        secs(t.elapsed())
    );

    let server = LoopbackServer::start(&server_db, 0)?;
    let code = server.enrollment_code(SyncRole::Hq, None)?;
    let t = Instant::now();
    let enrolled = enroll_device(
        &mut hq,
        &server.url(),
        &code,
        "県本部",
        city.as_str(),
        now(),
    )?;
    let publish = t.elapsed();
    let t = Instant::now();
    let pushed = sync_now(&mut hq, now())?;
    println!(
        "HQ publish: {} ops in {}; push to the server: {} ops in {} ({} round trips)",
        enrolled.published_ops,
        secs(publish),
        pushed.sent_ops,
        secs(t.elapsed()),
        pushed.round_trips
    );

    let booths = Booths {
        server: &server,
        dir: dir.path(),
        city: &city,
        city_residents,
        held,
    };
    booths.first_syncs(runs, false)?;

    // 舞鶴市's own HQ (enrolled for the city only) receives it, files the city's snapshot,
    // and new booths of the city take it (docs/sync-spec.md §7c).
    let code = server.scoped_enrollment_code(SyncRole::Hq, None, vec![city.clone()])?;
    let mut city_hq = Ledger::open(&dir.path().join("city-hq.sqlite3"))?;
    enroll_device(
        &mut city_hq,
        &server.url(),
        &code,
        "舞鶴本部",
        city.as_str(),
        now(),
    )?;
    let t = Instant::now();
    sync_now(&mut city_hq, now())?;
    let received = t.elapsed();
    let t = Instant::now();
    let published = publish_snapshot(&mut city_hq, now())?;
    println!(
        "{}'s HQ: first sync {}; snapshot of {:?} ({} ops, {:.1} MB) made and filed in {}",
        vax_demo::CITY_NAME,
        secs(received),
        published.scope,
        published.ops,
        published.bytes as f64 / 1e6,
        secs(t.elapsed())
    );
    // The HQs' ledgers run on other machines than a new venue's: their memory is let go
    // before the venues' runs (the server and its database stay, as in the field).
    drop((hq, city_hq));
    booths.first_syncs(runs, true)?;

    // Where those seconds go, for one more new booth of the city: the download, the seal's
    // check and the install, timed apart (the exchange that follows is the rest of the
    // figures above).
    let code = server.scoped_enrollment_code(SyncRole::Booth, Some("V03"), vec![city.clone()])?;
    let steps = snapshot_steps::timed_steps(
        &server.url(),
        &code,
        Some(&city),
        &dir.path().join("booth-steps.sqlite3"),
    )?;
    println!(
        "steps of a first sync from the city's snapshot ({} ops, {:.1} MB): download {}, seal checked {}, installed {} (its own check included)",
        steps.ops,
        steps.snapshot.data.len() as f64 / 1e6,
        secs(steps.download),
        secs(steps.check),
        secs(steps.install)
    );
    Ok(())
}

/// New booths of the city, each enrolled for the city only.
struct Booths<'a> {
    server: &'a LoopbackServer,
    dir: &'a std::path::Path,
    city: &'a MunicipalityCode,
    city_residents: u64,
    held: u64,
}

impl Booths<'_> {
    /// `runs` new booths' first syncs, timed: op by op, or from the city's snapshot.
    fn first_syncs(
        &self,
        runs: usize,
        from_snapshot: bool,
    ) -> Result<(), Box<dyn std::error::Error>> {
        let how = if from_snapshot {
            "from the city's snapshot"
        } else {
            "op by op"
        };
        let mut times = Vec::new();
        for run in 0..runs {
            let code = self.server.scoped_enrollment_code(
                SyncRole::Booth,
                Some("V03"),
                vec![self.city.clone()],
            )?;
            let name = format!("booth-{run}-{}.sqlite3", u8::from(from_snapshot));
            let mut booth = Ledger::open(&self.dir.join(name))?;
            enroll_device(
                &mut booth,
                &self.server.url(),
                &code,
                "V03 接種",
                self.city.as_str(),
                now(),
            )?;
            let (load, t, cpu) = (
                load_average(),
                Instant::now(),
                cpu::cpu_seconds("thread-self"),
            );
            let first = sync_now(&mut booth, now())?;
            let (elapsed, cpu) = (t.elapsed(), cpu::cpu_seconds("thread-self") - cpu);
            let residents = booth.reader().resident_count()?;
            assert_eq!(
                residents, self.city_residents,
                "the city's residents and no one else"
            );
            assert_eq!(
                booth.sync_log_summary()?.unprojected,
                0,
                "every op became rows"
            );
            assert_eq!(first.snapshot_ops > 0, from_snapshot, "{first:?}");
            println!(
                "run {run}: a {} venue's first sync, enrolled for {} only, {how}: {} ({} ops from the snapshot, {} op by op, {} round trips, {residents} residents); CPU {cpu:.2} s on the device's thread, load average {load} before",
                vax_demo::CITY_NAME,
                self.city,
                secs(elapsed),
                first.snapshot_ops,
                first.received_ops,
                first.round_trips
            );
            times.push(elapsed);
        }
        times.sort();
        if let (Some(min), Some(max)) = (times.first(), times.last()) {
            println!(
                "first sync of {} residents out of {}, {how}: median {}, min {}, max {} (goal < 3 s)",
                self.city_residents,
                self.held,
                secs(times[times.len() / 2]),
                secs(*min),
                secs(*max)
            );
        }
        Ok(())
    }
}
