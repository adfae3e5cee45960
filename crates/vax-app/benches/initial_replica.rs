//! Initial replica of the 65,000-resident demo city to a new venue (issue 5, goal < 10 s),
//! run with `cargo bench -p vax-app --bench initial_replica`.
//!
//! HQ loads the demo city into a file ledger, enrolls with a sync server on a loopback port
//! (real HTTP, SQLite file) and publishes the city as ops; then a new booth enrolls with an
//! empty ledger and runs its first sync. Timed: that first sync, from the empty ledger to every
//! resident, band and booking written as rows the desk reads (ops stored, merged and projected
//! in the booth's SQLite file). Also printed: HQ's publish and push.
//!
//! Each run also prints the CPU seconds it cost (the process, which includes the server's
//! replies, and the applying thread alone): the figure that says what a 2-core machine can
//! reach at best, whatever else it runs.
//!
//! The first half of the runs sync op by op (the default session, with prefetch); then HQ
//! makes its snapshot and files it with the server (timed), and the second half take it
//! (docs/sync-spec.md §7c): download, seal checked, tables copied, then the exchange from the
//! snapshot's frontier. Then, the server stopped, the replies of a whole first sync
//! are built from its file both ways: parsing and encoding each op (the old reply) and
//! shipping the stored op texts (`SyncNode::generate_encoded`, what the server does now).
//!
//! Under `scripts/with-postgres.sh` (`VAXSYNC_TEST_POSTGRES` set) the server's store is that
//! PostgreSQL, and the last part (which reads the SQLite file) is skipped.

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset};
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::sync::{
    create_enrollment_code, enroll_device, publish_snapshot, sync_now, sync_now_with,
};
use vax_demo::DemoParams;
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::Ledger;
use vax_sync::{
    HlcClock, Message, ReplicaId, Role as SyncRole, SyncNode, SyncState, MAX_OPS_PER_MESSAGE,
    PROTOCOL_VERSION,
};
use vax_sync_client::SessionOptions;
use vax_sync_server::loopback::LoopbackServer;
use vax_sync_server::{ServerStore, SqliteStore};

#[path = "common/cpu.rs"]
mod cpu;
#[path = "common/snapshot_steps.rs"]
mod snapshot_steps;

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
    // `scripts/with-postgres.sh` sets this: the server's store on PostgreSQL.
    let postgres = std::env::var("VAXSYNC_TEST_POSTGRES")
        .ok()
        .filter(|url| !url.is_empty());
    let server_db = match &postgres {
        Some(url) => {
            println!("server store: PostgreSQL ({url})");
            std::path::PathBuf::from(url)
        }
        None => {
            println!("server store: SQLite");
            dir.path().join("server.sqlite3")
        }
    };
    let server = LoopbackServer::start(&server_db, 0)?;
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
    // First the runs op by op (no snapshot filed yet), then HQ files its snapshot and the same
    // number of new devices take it.
    let mut times: [Vec<Duration>; 2] = [Vec::new(), Vec::new()];
    for run in 0..runs * 2 {
        let with_snapshot = run >= runs;
        if run == runs {
            let t = Instant::now();
            let published = publish_snapshot(&mut hq, now())?;
            println!(
                "HQ's snapshot: {} ops, {:.1} MB, made and filed in {}",
                published.ops,
                published.bytes as f64 / 1e6,
                secs(t.elapsed())
            );
        }
        let code = create_enrollment_code(&hq, Role::Booth, Some("V03"), &[], 24)?;
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
        let (t, cpu, main_cpu) = (
            Instant::now(),
            cpu::cpu_seconds("self"),
            cpu::cpu_seconds("thread-self"),
        );
        let first = sync_now_with(&mut booth, now(), SessionOptions::default())?;
        let elapsed = t.elapsed();
        let (cpu, main_cpu) = (
            cpu::cpu_seconds("self") - cpu,
            cpu::cpu_seconds("thread-self") - main_cpu,
        );
        let held = booth.reader().resident_count()?;
        let unprojected = booth.sync_log_summary()?.unprojected;
        assert_eq!(held, residents, "every resident arrived as a row");
        assert_eq!(unprojected, 0, "every op became rows");
        assert_eq!(first.snapshot_ops > 0, with_snapshot, "{first:?}");
        println!(
            "run {run}: new venue's first sync {} ({} ops from the snapshot, {} op by op, {} round trips, {held} residents); CPU {cpu:.2} s in all, {main_cpu:.2} s on the applying thread",
            secs(elapsed),
            first.snapshot_ops,
            first.received_ops,
            first.round_trips
        );
        times[usize::from(with_snapshot)].push(elapsed);
        if run == 0 || run == runs {
            drop(booth);
            let size = std::fs::metadata(&path)?.len();
            let t = Instant::now();
            let mut reopened = Ledger::open(&path)?;
            let alerts = reopened.sync_alerts()?.len();
            println!(
                "  its ledger file: {:.1} MB; reopened and its merged state restored from the log ({alerts} alerts) in {}",
                size as f64 / 1e6,
                secs(t.elapsed())
            );
        }
    }
    for (with_snapshot, times) in times.iter_mut().enumerate() {
        times.sort();
        println!(
            "initial replica of {residents} residents, {}: median {}, min {}, max {} (goal < 3 s)",
            if with_snapshot == 1 {
                "from HQ's snapshot"
            } else {
                "op by op"
            },
            secs(times[times.len() / 2]),
            secs(times[0]),
            secs(times[times.len() - 1])
        );
    }

    // Where a first sync from the snapshot goes, step by step, for one more new device.
    let code = server.enrollment_code(SyncRole::Booth, Some("V03"))?;
    let steps = snapshot_steps::timed_steps(
        &server.url(),
        &code,
        None,
        &dir.path().join("booth-steps.sqlite3"),
    )?;
    println!(
        "steps of a first sync from the snapshot ({} ops, {:.1} MB): download {}, seal checked {}, installed {} (its own check included)",
        steps.ops,
        steps.snapshot.data.len() as f64 / 1e6,
        secs(steps.download),
        secs(steps.check),
        secs(steps.install)
    );

    // The same into a venue laptop's encrypted ledger (SQLCipher): a connection holding the
    // snapshot attaches the ledger's file under its key and copies each table.
    let path = dir.path().join("booth-encrypted.sqlite3");
    drop(Ledger::open(&path)?);
    Ledger::encrypt(&path, "舞鶴の会場パスフレーズ")?;
    let mut encrypted = Ledger::open_encrypted(
        &path,
        vax_ledger::Unlock::Passphrase("舞鶴の会場パスフレーズ"),
    )?;
    let code = server.enrollment_code(SyncRole::Booth, Some("V03"))?;
    let key = vax_sync_client::new_device_key();
    let enrolled = vax_sync_client::enroll(&server.url(), &code, "V03 接種", &key)?;
    encrypted.start_replicating(enrolled.replica_id, enrolled.role, &key)?;
    let t = Instant::now();
    encrypted.install_snapshot(&steps.snapshot, &steps.author_key)?;
    println!(
        "the same snapshot into an encrypted ledger: installed {}",
        secs(t.elapsed())
    );

    // The server's side alone: every reply of a first sync, built from its file both ways.
    server.kill();
    if postgres.is_some() {
        return Ok(());
    }
    let mut store = SqliteStore::open(&dir.path().join("server.sqlite3"))?;
    let server_id = store.server_replica_id()?;
    let node = SyncNode::restore(server_id, SyncRole::Server, HlcClock::default(), &store)?;
    for round in 0..2 {
        let (mut parsed_ops, mut encoded_ops) = (0, 0);
        let t = Instant::now();
        let mut state = fresh_peer(&node, &mut store)?;
        while let Some(reply) = node.generate_message(&store, &mut state)? {
            parsed_ops += reply.ops.len();
            std::hint::black_box(reply.encode());
        }
        let parsed = t.elapsed();
        let t = Instant::now();
        let mut state = fresh_peer(&node, &mut store)?;
        while let Some(reply) = node.generate_encoded(&store, &mut state)? {
            encoded_ops += reply.ops.len();
            std::hint::black_box(reply.encode());
        }
        let encoded = t.elapsed();
        assert_eq!(parsed_ops, encoded_ops, "both send every op");
        println!(
            "round {round}: the server's replies for a first sync ({parsed_ops} ops): parsed and encoded {}, stored texts {}",
            secs(parsed),
            secs(encoded)
        );
    }
    Ok(())
}

/// The server's state for a new device that said it holds nothing, replying in the server's
/// batches of 4,000 (`REPLY_BATCH_SIZE`).
fn fresh_peer(
    node: &SyncNode,
    store: &mut SqliteStore,
) -> Result<SyncState, Box<dyn std::error::Error>> {
    let peer = ReplicaId::from_u128(0x5ca1e);
    let mut state = SyncState::for_peer(peer).with_batch_size(4_000.min(MAX_OPS_PER_MESSAGE));
    let hello = Message {
        protocol: PROTOCOL_VERSION,
        from: peer,
        seen: Default::default(),
        ops: Vec::new(),
        more: false,
        keys: Default::default(),
        beyond: Default::default(),
        covered: Default::default(),
    };
    // A message without ops stores nothing: the node is cloned only to take it.
    let mut scratch = node.clone();
    scratch.receive_message(store, &mut state, hello, &vax_sync::SystemClock)?;
    Ok(state)
}
