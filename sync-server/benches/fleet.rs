//! 50 venue devices against one sync server on loopback.
//!
//! `cargo bench -p vax-sync-server --bench fleet` (env: `FLEET_SECONDS` = 60, `FLEET_DEVICES`
//! = 50, `FLEET_INTERVAL_SECONDS` = 10, `FLEET_OPS_PER_SECOND` = 2 per device). Each device is a
//! thread with its own enrolled identity (booths and receptions across 25 venues), writes doses
//! or check-ins for its own residents and syncs every interval; then every device runs a final
//! full exchange. Asserts that the server holds exactly the ops written and that every device
//! converged; prints per-exchange latency and throughput.
//!
//! `FLEET_FLOOD=1` adds one more booth (venue V99) that floods the server: it writes 200 ops at
//! a time and sends them in a tight loop, resending at once when refused (429 `RATE_LIMITED`),
//! as a broken or hostile device would. Its own exchanges are not in the latency figures; the
//! question is whether the other venues' p99 stays under 1 s.
//!
//! `BENCH_ENCRYPTED=1` runs the same on a SQLite store encrypted at rest (docs/encryption.md).
//!
//! A prefecture (issue 18): `FLEET_MUNICIPALITIES=N` makes every device a partial replica of
//! one of N municipalities (the two devices of a venue share one; docs/sync-spec.md §7b). HQ
//! first registers the residents the devices will write about, each in its municipality; the
//! bench then asserts that every device holds exactly its municipality's ops.
//! `FLEET_SERVERS=2` puts a second server in front of the same store (a PostgreSQL database,
//! `scripts/with-postgres.sh`): a `vaxsync serve` process of this build, with its own core,
//! lock, connections and port; the devices alternate between it and this process's server. `FLEET_OPS_PER_SECOND` may be a fraction
//! (0.1: a dose every 10 s).
//!
//! `FLEET_PACE` sets the server's ops per budgeted author per reply (`--paced-ops-per-author`,
//! default 250; 0 = not paced), so one build measures both. The figures split the exchanges
//! whose reply carried ops of the flooder from the others, and show the server's lock.

mod common;

use std::sync::{Arc, Barrier, Mutex};
use std::time::{Duration, Instant};

use chrono::NaiveDate;
use common::{bench_store, env_or, is_bench_run, quantile, BenchServer};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{
    Applied, CheckIn, Dose, Message, OpKind, ReplicaId, ResidentField, Role, SyncError, SyncState,
    VenueCode,
};
use vax_sync_client::{sync_session, Client, LocalReplica, MemoryReplica};

/// Times each exchange: from the message leaving `generate` to its reply reaching `receive`.
struct Timed<'a> {
    inner: &'a mut MemoryReplica,
    sent_at: Option<Instant>,
    samples: Vec<f64>,
    /// Per sample: how many ops of the reply were the flooder's (venue V99's).
    flooded: Vec<usize>,
}

impl LocalReplica for Timed<'_> {
    type Error = SyncError;
    fn generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, SyncError> {
        let m = self.inner.generate(state)?;
        self.sent_at = Some(Instant::now());
        Ok(m)
    }
    fn receive(&mut self, state: &mut SyncState, message: Message) -> Result<Applied, SyncError> {
        if let Some(t) = self.sent_at.take() {
            self.samples.push(t.elapsed().as_secs_f64() * 1000.0);
            let flooder = VenueCode::new("V99");
            let of_flooder = message
                .ops
                .iter()
                .filter(|op| op.kind.venue() == Some(&flooder))
                .count();
            self.flooded.push(of_flooder);
        }
        self.inner.receive(state, message)
    }
    fn quarantined(&mut self) -> Result<Vec<vax_sync::OpId>, SyncError> {
        self.inner.quarantined()
    }
    fn quarantine(
        &mut self,
        op: vax_sync::OpId,
        code: vax_domain::error::ErrorCode,
        reason: &str,
    ) -> Result<(), SyncError> {
        self.inner.quarantine(op, code, reason)
    }
}

/// One round trip: its time in ms and how many of the flooder's ops its reply carried.
type Sample = (f64, usize);

/// One sync session of `replica` with the server; returns its round trips.
fn timed_session(
    replica: &mut MemoryReplica,
    client: &Client,
    server_id: ReplicaId,
    what: &str,
) -> Vec<Sample> {
    let mut t = Timed {
        inner: replica,
        sent_at: None,
        samples: Vec::new(),
        flooded: Vec::new(),
    };
    sync_session(&mut t, client, server_id).expect(what);
    t.samples.into_iter().zip(t.flooded).collect()
}

fn op_for(role: Role, venue: &VenueCode, resident: u64) -> OpKind {
    let resident = VoucherNumber::parse(&format!("{resident:010}")).expect("10 digits");
    let at = NaiveDate::from_ymd_opt(2021, 6, 1)
        .and_then(|d| d.and_hms_opt(10, 0, 0))
        .expect("time");
    match role {
        Role::Booth => OpKind::RecordDose(Dose {
            resident,
            dose_number: 1,
            venue: venue.clone(),
            product: "comirnaty".into(),
            lot: "FF1234".into(),
            vaccinator: "山田".into(),
            administered_at: at,
            vial: None,
            overridden: None,
            injection_site: None,
            back_entered: false,
        }),
        _ => OpKind::CheckIn(CheckIn {
            resident,
            dose_number: 1,
            venue: venue.clone(),
            band: None,
            at,
            back_entered: false,
        }),
    }
}

fn main() {
    if !is_bench_run() {
        return;
    }
    let seconds: u64 = env_or("FLEET_SECONDS", 60);
    let devices: usize = env_or("FLEET_DEVICES", 50);
    let interval: u64 = env_or("FLEET_INTERVAL_SECONDS", 10);
    let rate: f64 = env_or("FLEET_OPS_PER_SECOND", 2.0);
    let flood: bool = env_or("FLEET_FLOOD", 0u8) == 1;
    let municipalities: usize = env_or("FLEET_MUNICIPALITIES", 0);
    let servers: usize = env_or("FLEET_SERVERS", 1).max(1);
    let limits = vax_sync_server::Limits {
        paced_ops_per_author: env_or(
            "FLEET_PACE",
            vax_sync_server::Limits::default().paced_ops_per_author,
        ),
        ..vax_sync_server::Limits::default()
    };
    let dir = tempfile::tempdir().expect("tempdir");
    let db = bench_store(dir.path(), "fleet.db");
    let mut server = BenchServer::start_with_limits(&db, limits);
    let mut urls = vec![server.url.clone()];
    for _ in 1..servers {
        urls.push(server.add_instance(&db, limits));
    }
    // Each device's residents: `resident_of(i, w)` for its w-th write.
    let writes_per_device = (seconds as f64 * rate).ceil() as u64 + 1;
    let municipality_of =
        |i: usize| (municipalities > 0).then(|| municipality(i / 2 % municipalities));
    let registered = if municipalities > 0 {
        register_residents(&mut server, devices, writes_per_device, &municipality_of)
    } else {
        0
    };
    println!(
        "fleet: {devices} devices{}, {seconds} s, sync every {interval} s, {rate} ops/s each, {} server instance(s) {}{}, {} ops of one author per reply",
        if municipalities > 0 {
            format!(" (partial replicas of {municipalities} municipalities, {registered} residents registered first)")
        } else {
            String::new()
        },
        urls.len(),
        urls.join(" "),
        if flood { ", one more device flooding" } else { "" },
        match limits.paced_ops_per_author {
            0 => "any number of".to_owned(),
            n => format!("at most {n}"),
        }
    );

    // (periodic exchanges, final full exchanges)
    let samples = Arc::new(Mutex::new((Vec::<Sample>::new(), Vec::<Sample>::new())));
    let barrier = Arc::new(Barrier::new(devices));
    // Every device enrolls before the clock starts (500 enrollments take a while).
    let setup = Instant::now();
    let enrolled: Vec<_> = (0..devices)
        .map(|i| {
            let role = if i % 2 == 0 {
                Role::Booth
            } else {
                Role::Reception
            };
            let venue = VenueCode::new(format!("V{:02}", i / 2 + 1));
            let name = format!("device {i}");
            let (e, mut replica) = match municipality_of(i) {
                Some(m) => server.enroll_scoped(&server.url, role, &venue.0, vec![m], &name),
                None => server.enroll(role, Some(&venue.0), &name),
            };
            // Its first sync (HQ's register of its scope), one device at a time: the run
            // measures the fleet at work, not 500 first syncs at once.
            let client = Client::new(&urls[i % urls.len()], &e.token);
            sync_session(&mut replica, &client, server.server_id).expect("first sync");
            (role, venue, e, replica)
        })
        .collect();
    println!(
        "fleet: {devices} devices enrolled and synced once in {:.1} s",
        setup.elapsed().as_secs_f64()
    );
    let start = Instant::now();
    let deadline = start + Duration::from_secs(seconds);
    let mut threads = Vec::new();
    for (i, (role, venue, e, mut replica)) in enrolled.into_iter().enumerate() {
        let client = Client::new(&urls[i % urls.len()], &e.token);
        let server_id = server.server_id;
        let (samples, barrier) = (Arc::clone(&samples), Arc::clone(&barrier));
        threads.push(std::thread::spawn(move || {
            let mut written = 0u64;
            let mut timed = Vec::new();
            let mut final_timed = Vec::new();
            // Stagger the devices across the interval, as real venues would be.
            let offset = Duration::from_millis(interval * 1000 * i as u64 / devices as u64);
            let mut next_sync = start + offset;
            let tick = Duration::from_secs_f64(1.0 / rate.max(0.001));
            let mut next_write = start;
            while Instant::now() < deadline {
                let now = Instant::now();
                if now >= next_write && written < writes_per_device {
                    written += 1;
                    replica
                        .write(op_for(role, &venue, resident_of(i, written)))
                        .expect("write");
                    next_write += tick;
                }
                if now >= next_sync {
                    timed.extend(timed_session(&mut replica, &client, server_id, "sync"));
                    next_sync += Duration::from_secs(interval);
                }
                let wake = next_write.min(next_sync).min(deadline);
                std::thread::sleep(wake.saturating_duration_since(Instant::now()));
            }
            // Final full exchange: everyone pushes, then everyone pulls.
            final_timed.extend(timed_session(
                &mut replica,
                &client,
                server_id,
                "final push",
            ));
            barrier.wait();
            final_timed.extend(timed_session(
                &mut replica,
                &client,
                server_id,
                "final pull",
            ));
            let mut all = samples.lock().expect("samples");
            all.0.extend(timed);
            all.1.extend(final_timed);
            (written, replica, i)
        }));
    }
    let flooder = flood.then(|| {
        let (e, replica) = server.enroll(Role::Booth, Some("V99"), "flooder");
        let client = Client::new(&server.url, &e.token);
        let server_id = server.server_id;
        std::thread::spawn(move || flood_until(deadline, replica, &client, server_id))
    });
    let mut total_written = 0u64;
    let mut replicas = Vec::new();
    let flooded = flooder.map(|t| t.join().expect("flooder"));
    if let Some(f) = &flooded {
        println!(
            "fleet: the flooder sent {} requests ({:.0}/s): {} accepted ({} ops), {} refused 429 RATE_LIMITED, {} other errors",
            f.requests,
            f.requests as f64 / seconds as f64,
            f.accepted,
            f.ops_accepted,
            f.rate_limited,
            f.other_errors
        );
        for (kind, n) in &f.other_kinds {
            println!("fleet:   {n} × {kind}");
        }
        total_written += f.ops_accepted;
    }
    let mut written_in = std::collections::HashMap::new();
    for t in threads {
        let (written, replica, i) = t.join().expect("device thread");
        total_written += written;
        *written_in.entry(municipality_of(i)).or_insert(0u64) += written;
        replicas.push((municipality_of(i), replica));
    }
    let elapsed = start.elapsed().as_secs_f64();

    let status = server.hq.status().expect("status");
    assert_eq!(
        status.ops,
        total_written + registered,
        "the server holds exactly the ops written"
    );
    // Whole replicas hold every op; a partial replica its municipality's: the residents HQ
    // registered there and the ops of its devices (the flooder runs with whole replicas only).
    let mut reference: std::collections::HashMap<_, &MemoryReplica> =
        std::collections::HashMap::new();
    for (m, r) in &replicas {
        let expected = match m {
            None => total_written,
            Some(_) => {
                let devices_in = (0..devices).filter(|&i| municipality_of(i) == *m).count();
                written_in[m] + writes_per_device * devices_in as u64
            }
        };
        assert_eq!(
            r.log.len() as u64,
            expected,
            "every device holds every op of its scope once (the flooder's accepted ones included)"
        );
        let same = reference.entry(m.clone()).or_insert(r);
        assert_eq!(r.log, same.log);
        assert_eq!(
            r.node.replica(),
            same.node.replica(),
            "every device of a scope converged"
        );
    }
    let held: usize = replicas.iter().map(|(_, r)| r.log.len()).sum();

    println!(
        "fleet: {total_written} ops written, all {devices} devices converged, server holds {} ops",
        status.ops
    );
    let (periodic, last) = samples.lock().expect("samples").clone();
    for (name, all) in [
        ("periodic", &periodic),
        ("final (all devices at once)", &last),
    ] {
        let carrying = |flooded: bool| -> Vec<f64> {
            all.iter()
                .filter(|(_, n)| (*n > 0) == flooded)
                .map(|(ms, _)| *ms)
                .collect()
        };
        for (part, mut ms) in [
            ("", all.iter().map(|(ms, _)| *ms).collect::<Vec<_>>()),
            (", replies without the flooder's ops", carrying(false)),
            (", replies with the flooder's ops", carrying(true)),
        ] {
            if ms.is_empty() {
                continue;
            }
            ms.sort_by(f64::total_cmp);
            println!(
                "fleet: {name}{part}: {} exchanges, latency ms p50 {:.1} p95 {:.1} p99 {:.1} max {:.1}",
                ms.len(),
                quantile(&ms, 0.50),
                quantile(&ms, 0.95),
                quantile(&ms, 0.99),
                ms.last().copied().unwrap_or(0.0)
            );
        }
    }
    let pages: Vec<usize> = periodic
        .iter()
        .chain(&last)
        .map(|(_, n)| *n)
        .filter(|n| *n > 0)
        .collect();
    println!(
        "fleet: the flooder's ops reached the others in {} replies, at most {} in one",
        pages.len(),
        pages.iter().max().copied().unwrap_or(0)
    );
    println!(
        "fleet: {:.0} ops/s written over {elapsed:.1} s; {:.0} ops held by the devices at the end ({:.0}/s)",
        total_written as f64 / elapsed,
        held as f64,
        held as f64 / elapsed
    );
}

/// Device `i`'s resident for its `w`-th write.
fn resident_of(i: usize, w: u64) -> u64 {
    1_000_000_000 + i as u64 * 100_000 + w
}

/// The `k`-th municipality of the prefecture: 26 (Kyoto), three digits, its check digit.
fn municipality(k: usize) -> MunicipalityCode {
    (0..10)
        .find_map(|d| MunicipalityCode::parse(&format!("26{:03}{d}", 100 + k)).ok())
        .expect("one digit checks")
}

/// HQ registers every resident the devices will write about in its device's municipality and
/// pushes them: the server classifies the devices' ops by these. Returns how many.
fn register_residents(
    server: &mut BenchServer,
    devices: usize,
    writes_per_device: u64,
    municipality_of: &dyn Fn(usize) -> Option<MunicipalityCode>,
) -> u64 {
    let mut hq = server.hq_replica.take().expect("HQ's replica");
    let mut n = 0u64;
    for i in 0..devices {
        let m = municipality_of(i).expect("a municipality");
        for w in 1..=writes_per_device {
            let resident =
                VoucherNumber::parse(&format!("{:010}", resident_of(i, w))).expect("10 digits");
            hq.write(OpKind::SetResidentFields {
                resident,
                fields: vec![ResidentField::Municipality(m.clone())],
            })
            .expect("write");
            n += 1;
        }
    }
    let started = Instant::now();
    sync_session(&mut hq, &server.hq, server.server_id).expect("HQ pushes the register");
    println!(
        "fleet: HQ registered {n} residents in {:.2} s",
        started.elapsed().as_secs_f64()
    );
    server.hq_replica = Some(hq);
    n
}

/// What the flooding device got.
struct Flooded {
    requests: u64,
    accepted: u64,
    ops_accepted: u64,
    rate_limited: u64,
    other_errors: u64,
    /// The other errors by kind (HTTP status and code, or the transport error), with counts.
    other_kinds: std::collections::BTreeMap<String, u64>,
}

/// A short name for an error the flooder got, to count them by kind.
fn error_kind(e: &vax_sync_client::ClientError) -> String {
    match e {
        vax_sync_client::ClientError::Server { status, code, .. } => format!("{status} {code:?}"),
        other => {
            let detail = match other {
                vax_sync_client::ClientError::Transport { source, .. } => format!("{source:?}"),
                _ => other.to_string(),
            };
            format!("transport: {detail}")
        }
    }
}

/// Sends 200 fresh ops at a time as fast as the server answers, until `deadline`, then stops
/// (its accepted ops reach the other devices in their final pull).
fn flood_until(
    deadline: Instant,
    mut replica: vax_sync_client::MemoryReplica,
    client: &Client,
    server_id: ReplicaId,
) -> Flooded {
    let mut f = Flooded {
        requests: 0,
        accepted: 0,
        ops_accepted: 0,
        rate_limited: 0,
        other_errors: 0,
        other_kinds: std::collections::BTreeMap::new(),
    };
    let venue = VenueCode::new("V99");
    let mut state = SyncState::for_peer(server_id).trusting_peer_keys();
    let mut written = 0u64;
    while Instant::now() < deadline {
        // The first message introduces the device (no ops); then each carries ops.
        let message = match replica.generate(&mut state).expect("generate") {
            Some(m) => m,
            None => {
                for _ in 0..200 {
                    written += 1;
                    replica
                        .write(op_for(Role::Booth, &venue, 9_000_000_000 + written))
                        .expect("write");
                }
                continue;
            }
        };
        f.requests += 1;
        match client.exchange(&message) {
            Ok(reply) => {
                f.accepted += 1;
                f.ops_accepted += message.ops.len() as u64;
                replica.receive(&mut state, reply).expect("receive");
            }
            Err(e) => {
                if matches!(e, vax_sync_client::ClientError::Server { status: 429, .. }) {
                    f.rate_limited += 1;
                } else {
                    f.other_errors += 1;
                    *f.other_kinds.entry(error_kind(&e)).or_default() += 1;
                }
                // Resend at once: the flooder does not wait.
                state.reset_in_flight();
            }
        }
    }
    f
}
