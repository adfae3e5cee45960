//! Check-in to booth-queue latency through a venue relay (issue 17): 10 kiosks of one venue
//! sync with the relay over pinned TLS on loopback, with the centre out of reach.
//!
//! `cargo bench -p vax-sync-server --bench venue_relay` (env: `RELAY_KIOSKS` = 10,
//! `RELAY_CHECKINS` = 150, `RELAY_POLL_MS` = 500 — the app's `RELAY_SYNC_EVERY`,
//! `RELAY_CHECKIN_EVERY_MS` = 200). Two kiosks are receptions writing check-ins in turn; the
//! others are booths. Every kiosk runs a sync session with the relay every poll interval, as
//! the app's background thread does. A check-in's latency is the time from its write at the
//! reception to the end of the first session that brings it to a booth, for every booth. The
//! baseline in the same run is one session's time with nothing new (the LAN round trips).

mod common;

use std::collections::HashMap;
use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use common::{env_or, is_bench_run, quantile, BenchServer};
use vax_sync::{CheckIn, OpId, OpKind, Role, VenueCode};
use vax_sync_client::sync_session;
use vax_sync_server::relay;

fn main() {
    if !is_bench_run() {
        return;
    }
    let kiosks: usize = env_or("RELAY_KIOSKS", 10);
    let checkins: usize = env_or("RELAY_CHECKINS", 150);
    let poll = Duration::from_millis(env_or("RELAY_POLL_MS", 500));
    let checkin_every = Duration::from_millis(env_or("RELAY_CHECKIN_EVERY_MS", 200));
    let dir = tempfile::tempdir().expect("tempdir");
    let centre = BenchServer::start(&dir.path().join("centre.db"));

    // The relay, enrolled while the centre answers, with the registry fetched once.
    let code = centre
        .hq
        .create_enrollment_code(Role::Relay, Some(&VenueCode::new("V01")), &[], 24)
        .expect("relay code");
    let relay_dir = dir.path().join("relay");
    let anonymous = vax_sync_client::Client::anonymous(&centre.url);
    relay::enroll(&relay_dir, &anonymous, &code, "relay").expect("enroll the relay");
    let mut devices = Vec::new();
    for i in 0..kiosks {
        let role = if i < 2 { Role::Reception } else { Role::Booth };
        devices.push(centre.enroll(role, Some("V01"), &format!("kiosk {i}")));
    }
    let (identity, state) = relay::open(&relay_dir).expect("open the relay");
    let upstream = vax_sync_client::Client::new(&identity.centre_url, &identity.token);
    relay::upstream_round(&relay_dir, &state, &upstream, &identity).expect("registry");
    drop(centre); // the internet goes: the relay serves the venue alone

    let (cert, key, fingerprint) =
        relay::ensure_certificate(&relay_dir, &["127.0.0.1".to_owned()]).expect("certificate");
    let tls = vax_sync_server::serve::tls_config(&cert, &key).expect("tls");
    let listener = std::net::TcpListener::bind("127.0.0.1:0").expect("bind");
    let url = format!("https://{}", listener.local_addr().expect("addr"));
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(2)
        .enable_all()
        .build()
        .expect("runtime");
    runtime.spawn(vax_sync_server::serve::serve(
        listener,
        state,
        Some(tls),
        std::future::pending::<()>(),
    ));
    let join = relay::join_code(&identity, &url, Some(fingerprint));

    let written: Arc<Mutex<HashMap<OpId, Instant>>> = Arc::default();
    let latencies: Arc<Mutex<Vec<f64>>> = Arc::default();
    let idle_sessions: Arc<Mutex<Vec<f64>>> = Arc::default();
    let stop = Arc::new(AtomicBool::new(false));
    let mut threads = Vec::new();
    for (i, (enrolled, replica)) in devices.into_iter().enumerate() {
        let client = join
            .client(&enrolled.token, Duration::from_secs(3))
            .expect("pinned client");
        let (written, latencies, idle, stop) = (
            Arc::clone(&written),
            Arc::clone(&latencies),
            Arc::clone(&idle_sessions),
            Arc::clone(&stop),
        );
        let relay_id = join.relay_id;
        let is_reception = i < 2;
        threads.push(std::thread::spawn(move || {
            let replica = Arc::new(Mutex::new(replica));
            // A reception writes check-ins on a thread of its own, as the desk does.
            let writer = is_reception.then(|| {
                let (replica, written, stop) = (
                    Arc::clone(&replica),
                    Arc::clone(&written),
                    Arc::clone(&stop),
                );
                std::thread::spawn(move || {
                    for n in 0..checkins / 2 {
                        if stop.load(Ordering::Relaxed) {
                            break;
                        }
                        std::thread::sleep(checkin_every * 2);
                        let resident = (i * 100_000 + n + 1) as u64;
                        let op = replica
                            .lock()
                            .expect("lock")
                            .write(check_in(resident))
                            .expect("write");
                        written.lock().expect("lock").insert(op.id, Instant::now());
                    }
                })
            });
            let mut seen = std::collections::HashSet::new();
            while !stop.load(Ordering::Relaxed) {
                let mut guard = replica.lock().expect("lock");
                let before = guard.log.len();
                let started = Instant::now();
                let report = sync_session(&mut *guard, &client, relay_id);
                let took = started.elapsed().as_secs_f64() * 1000.0;
                let Ok(report) = report else {
                    drop(guard);
                    std::thread::sleep(poll);
                    continue;
                };
                if report.sent_ops + report.received_ops == 0 && before == guard.log.len() {
                    idle.lock().expect("lock").push(took);
                }
                if !is_reception {
                    let now = Instant::now();
                    let written = written.lock().expect("lock");
                    for op in guard.log.iter() {
                        if let Some(at) = written.get(&op.id) {
                            if seen.insert(op.id) {
                                let ms = now.duration_since(*at).as_secs_f64() * 1000.0;
                                latencies.lock().expect("lock").push(ms);
                            }
                        }
                    }
                }
                drop(guard);
                std::thread::sleep(poll);
            }
            if let Some(w) = writer {
                let _ = w.join();
            }
        }));
    }
    let booths = kiosks - 2;
    let expected = (checkins / 2) * 2 * booths;
    let started = Instant::now();
    while latencies.lock().expect("lock").len() < expected {
        assert!(
            started.elapsed() < Duration::from_secs(600),
            "not every check-in reached every booth"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
    stop.store(true, Ordering::Relaxed);
    for t in threads {
        t.join().expect("kiosk thread");
    }
    let mut l = latencies.lock().expect("lock").clone();
    l.sort_by(f64::total_cmp);
    let mut idle = idle_sessions.lock().expect("lock").clone();
    idle.sort_by(f64::total_cmp);
    println!(
        "venue relay: {kiosks} kiosks ({booths} booths), {} check-ins, poll {} ms, TLS pinned, centre down",
        (checkins / 2) * 2,
        poll.as_millis()
    );
    println!(
        "check-in -> booth latency ({} samples): p50 {:.0} ms  p90 {:.0} ms  p99 {:.0} ms  max {:.0} ms",
        l.len(),
        quantile(&l, 0.5),
        quantile(&l, 0.9),
        quantile(&l, 0.99),
        l.last().copied().unwrap_or_default()
    );
    println!(
        "baseline, one idle session with the relay ({} samples): p50 {:.1} ms  p99 {:.1} ms",
        idle.len(),
        quantile(&idle, 0.5),
        quantile(&idle, 0.99)
    );
    assert!(quantile(&l, 0.99) < 2000.0, "p99 under 2 s");
}

fn check_in(resident: u64) -> OpKind {
    OpKind::CheckIn(CheckIn {
        resident: vax_domain::voucher::VoucherNumber::parse(&format!("{resident:010}"))
            .expect("10 digits"),
        dose_number: 1,
        venue: VenueCode::new("V01"),
        band: None,
        at: chrono::Local::now().naive_local(),
        back_entered: false,
    })
}
