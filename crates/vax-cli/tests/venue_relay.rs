//! The venue relay with real processes on loopback (issue 17, docs/venue-resilience.md):
//! a central `vaxsync`, two relays (`vaxsync relay serve`, the second a standby on another
//! kiosk) and three kiosk ledgers driven by `vaxhq` (a venue manager at reception, two
//! booths), each syncing with the relay every second in a process of its own.
//!
//! With the centre stopped: a check-in on one kiosk reaches the booth queue on the others
//! within 5 s; a second dose of the same resident at the other booth is refused; the relay
//! killed with `kill -9`, the standby takes over and loses nothing; when the centre comes
//! back it holds every op exactly once (a kiosk's own direct sync then has nothing to send).

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};
use std::time::{Duration, Instant};

mod support;
use support::{text, vaxhq_bin, vaxsync_bin, Running};

fn vaxhq(ledger: &Path, args: &[&str]) -> Output {
    Command::new(vaxhq_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env_remove("VAXLEDGER_NOW")
        .output()
        .expect("vaxhq runs")
}

fn vaxhq_retrying(ledger: &Path, args: &[&str]) -> Output {
    let mut out = vaxhq(ledger, args);
    // Here two processes share a kiosk's ledger (the desk command and the relay sync loop),
    // which the app never does (one process, one lock): SQLite may then refuse a write
    // outright instead of waiting. Such a refusal changed nothing, so the desk simply retries.
    for _ in 0..100 {
        if out.status.success() || !text(&out).contains("database is locked") {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
        out = vaxhq(ledger, args);
    }
    out
}

fn ok(ledger: &Path, args: &[&str]) -> String {
    let out = vaxhq_retrying(ledger, args);
    assert!(out.status.success(), "vaxhq {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn vaxsync(args: &[&str]) -> String {
    let out = Command::new(vaxsync_bin())
        .args(args)
        .output()
        .expect("vaxsync runs");
    assert!(out.status.success(), "vaxsync {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// Starts a long-running process and returns it with the first stdout lines it prints.
fn start(bin: &Path, args: &[&str], lines: usize) -> (Running, Vec<String>) {
    let mut child = Command::new(bin)
        .args(args)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut got = Vec::new();
    for _ in 0..lines {
        let mut line = String::new();
        out.read_line(&mut line).expect("reads a line");
        got.push(line.trim().to_owned());
    }
    // Keep draining stdout so the process never blocks on a full pipe.
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    (Running(child), got)
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_centre(db: &Path, port: u16) -> Running {
    let listen = format!("127.0.0.1:{port}");
    let (centre, lines) = start(
        &vaxsync_bin(),
        &["serve", "--db", db.to_str().unwrap(), "--listen", &listen],
        1,
    );
    assert_eq!(lines[0], format!("listening on http://{listen}"));
    centre
}

/// Starts a relay (TLS on loopback) and returns it with its join code.
fn start_relay(dir: &Path) -> (Running, String) {
    let (relay, lines) = start(
        &vaxsync_bin(),
        &[
            "relay",
            "serve",
            "--dir",
            dir.to_str().unwrap(),
            "--listen",
            "127.0.0.1:0",
            "--every",
            "1",
        ],
        2,
    );
    assert!(
        lines[0].starts_with("listening on https://127.0.0.1:"),
        "{lines:?}"
    );
    let join = lines[1]
        .strip_prefix("join ")
        .expect("a join line")
        .to_owned();
    assert!(
        join.contains("&fp="),
        "the join code pins the certificate: {join}"
    );
    (relay, join)
}

fn wait_for(what: &str, limit: Duration, mut done: impl FnMut() -> bool) -> Duration {
    let started = Instant::now();
    while !done() {
        assert!(started.elapsed() < limit, "{what}: not within {limit:?}");
        std::thread::sleep(Duration::from_millis(100));
    }
    started.elapsed()
}

fn queue_has(ledger: &Path, voucher: &str) -> bool {
    ok(ledger, &["--json", "desk", "queue"]).contains(&format!("\"voucher\":\"{voucher}\""))
}

/// Per author, the counter up to which a server's database holds every op.
fn seen(db: &Path) -> std::collections::HashMap<String, u64> {
    vaxsync(&["status", "--db", db.to_str().unwrap()])
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| {
            let mut parts = l.split_whitespace();
            Some((parts.next()?.to_owned(), parts.next()?.parse().ok()?))
        })
        .collect()
}

fn keep_syncing(ledger: &Path) -> Running {
    let child = Command::new(vaxhq_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(["relay", "sync", "--every-ms", "1000"])
        .env_remove("VAXLEDGER_NOW")
        .stdout(Stdio::null())
        .stderr(Stdio::null())
        .spawn()
        .expect("relay sync loop starts");
    Running(child)
}

#[test]
fn a_venue_keeps_going_through_its_relay_with_the_centre_down_and_the_relay_killed() {
    let dir = tempfile::tempdir().unwrap();
    let centre_db = dir.path().join("centre.db");
    let db = centre_db.to_str().unwrap();
    let code = |role: &str, venue: Option<&str>| {
        let mut args = vec!["enrollment", "create", "--db", db, "--role", role];
        if let Some(v) = venue {
            args.extend(["--venue", v]);
        }
        vaxsync(&args)
    };

    // The centre, HQ with a small demo city, published.
    let port = free_port();
    let centre_url = format!("http://127.0.0.1:{port}");
    let hq_code = code("hq", None);
    let centre = start_centre(&centre_db, port);
    let hq = dir.path().join("hq.sqlite3");
    let today = chrono::Local::now().date_naive().to_string();
    ok(&hq, &["demo", "--residents", "300", "--start", &today]);
    ok(
        &hq,
        &[
            "sync",
            "enroll",
            "--server",
            &centre_url,
            "--code",
            &hq_code,
            "--name",
            "HQ",
        ],
    );
    ok(&hq, &["sync", "run"]);
    let venues = ok(&hq, &["venues"]);
    assert!(
        venues.starts_with("V01 "),
        "the demo city's first venue: {venues}"
    );
    let venue = "V01".to_owned();

    // Three kiosks of the venue, enrolled and synced with the centre before the day.
    let kiosks: Vec<PathBuf> = ["manager", "booth1", "booth2"]
        .iter()
        .map(|name| dir.path().join(format!("{name}.sqlite3")))
        .collect();
    for (ledger, role) in kiosks.iter().zip(["venue_manager", "booth", "booth"]) {
        let c = code(role, Some(&venue));
        let name = ledger.file_stem().unwrap().to_str().unwrap();
        ok(
            ledger,
            &[
                "sync",
                "enroll",
                "--server",
                &centre_url,
                "--code",
                &c,
                "--name",
                name,
            ],
        );
        ok(ledger, &["sync", "run"]);
    }
    let (manager, booth1, booth2) = (&kiosks[0], &kiosks[1], &kiosks[2]);
    for booth in [booth1, booth2] {
        ok(
            booth,
            &[
                "desk",
                "open-lot",
                "--product",
                "comirnaty",
                "--lot",
                "FA5765",
            ],
        );
    }

    // The relay on the manager's kiosk and a standby on booth 1, enrolled while online.
    let (relay_dir, standby_dir) = (dir.path().join("relay"), dir.path().join("standby"));
    for (d, name) in [
        (&relay_dir, "relay (manager)"),
        (&standby_dir, "relay (booth 1)"),
    ] {
        let c = code("relay", Some(&venue));
        vaxsync(&[
            "relay",
            "enroll",
            "--dir",
            d.to_str().unwrap(),
            "--centre",
            &centre_url,
            "--code",
            &c,
            "--name",
            name,
        ]);
    }
    let (relay, join) = start_relay(&relay_dir);
    {
        // The standby fetches the registry once while the centre answers, then stops.
        let (_standby, _) = start_relay(&standby_dir);
        wait_for("the standby's registry", Duration::from_secs(20), || {
            standby_dir.join("registry.json").exists()
        });
    }
    wait_for("the relay's registry", Duration::from_secs(20), || {
        relay_dir.join("registry.json").exists()
    });
    for k in &kiosks {
        ok(k, &["relay", "join", &join]);
    }
    // Both lights turn green once the relay has finished a sync with the centre.
    wait_for("both lights green", Duration::from_secs(60), || {
        ok(manager, &["relay", "sync"]);
        let lights = ok(manager, &["relay", "lights"]);
        lights.contains("\"reaches_relay\": \"green\"")
            && lights.contains("\"relay_reaches_centre\": \"green\"")
    });
    for k in &kiosks {
        ok(k, &["relay", "sync"]);
    }

    // The internet goes: the centre stops. Every kiosk keeps syncing with the relay.
    drop(centre);
    let _loops: Vec<Running> = kiosks.iter().map(|k| keep_syncing(k)).collect();

    // A check-in at the manager's desk reaches both booths' queues within 5 s.
    let first = "0000100001";
    ok(manager, &["desk", "check-in", first]);
    for booth in [booth1, booth2] {
        let took = wait_for("the check-in at the booth", Duration::from_secs(5), || {
            queue_has(booth, first)
        });
        eprintln!("check-in reached {} in {took:?}", booth.display());
    }

    // Booth 1 gives the dose; once booth 2 has it, booth 2 refuses a second one.
    ok(
        booth1,
        &[
            "desk",
            "dose",
            first,
            "--lot",
            "FA5765",
            "--vaccinator",
            "医師 一郎",
        ],
    );
    wait_for(
        "the dose at the other booth",
        Duration::from_secs(5),
        || !queue_has(booth2, first),
    );
    let twice = vaxhq_retrying(
        booth2,
        &[
            "desk",
            "dose",
            first,
            "--lot",
            "FA5765",
            "--vaccinator",
            "医師 二郎",
        ],
    );
    assert_eq!(
        twice.status.code(),
        Some(5),
        "duplicate refused: {}",
        text(&twice)
    );

    // The relay's kiosk dies (kill -9). The standby takes over; the kiosks join it.
    let mut relay = relay;
    relay.0.kill().expect("kill -9 the relay");
    let _ = relay.0.wait();
    let (_standby, standby_join) = start_relay(&standby_dir);
    for k in &kiosks {
        ok(k, &["relay", "join", &standby_join]);
    }
    let second = "0000100008";
    ok(manager, &["desk", "check-in", second]);
    wait_for(
        "a check-in through the standby",
        // The first sessions with a fresh standby carry the venue's whole log to it (every
        // kiosk hands back what it holds), so this first one may take longer than 5 s.
        Duration::from_secs(30),
        || queue_has(booth2, second),
    );
    ok(
        booth2,
        &[
            "desk",
            "dose",
            second,
            "--lot",
            "FA5765",
            "--vaccinator",
            "医師 二郎",
        ],
    );
    wait_for(
        "the dose through the standby",
        Duration::from_secs(5),
        || !queue_has(booth1, second),
    );

    // The centre comes back on the same address; the standby carries everything to it.
    let _centre = start_centre(&centre_db, port);
    let ids: Vec<String> = kiosks
        .iter()
        .map(|k| {
            let s = ok(k, &["--json", "sync", "status"]);
            s.split("\"replica_id\": \"")
                .nth(1)
                .and_then(|r| r.split('"').next())
                .expect("an id")
                .to_owned()
        })
        .collect();
    let standby_db = standby_dir.join("relay.db");
    wait_for(
        "the centre to hold what the relay holds",
        Duration::from_secs(20),
        || {
            let (at_centre, at_relay) = (seen(&centre_db), seen(&standby_db));
            ids.iter()
                .all(|id| at_relay.contains_key(id) && at_centre.get(id) == at_relay.get(id))
        },
    );
    // Nothing was lost on the way: a kiosk's own direct sync has nothing left to send.
    for k in &kiosks {
        let run = ok(k, &["--json", "sync", "run"]);
        assert!(
            run.contains("\"sent_ops\":0"),
            "the centre already held it all: {run}"
        );
    }
    // Exactly once: the centre holds each author's ops 1..=n with no gap and no double.
    let status = vaxsync(&["status", "--db", db]);
    let ops: u64 = status
        .lines()
        .find_map(|l| l.strip_prefix("ops"))
        .and_then(|v| v.trim().parse().ok())
        .expect("an op count");
    let counters: u64 = status
        .lines()
        .filter(|l| l.starts_with("  "))
        .filter_map(|l| l.split_whitespace().nth(1)?.parse::<u64>().ok())
        .sum();
    assert_eq!(ops, counters, "every op once, no gap: {status}");
    for k in &kiosks {
        let s = ok(k, &["--json", "sync", "status"]);
        assert!(s.contains("\"ops_waiting\": 0"), "nothing waits: {s}");
    }
    let alerts = vaxsync(&["alerts", "--db", db]);
    assert_eq!(
        alerts, "no open alerts",
        "no duplicate dose reached the centre"
    );
}

/// The relay run by the manager's kiosk itself (`vaxhq relay host`: vax-app's relay host, the
/// code the desktop app runs in its own process) instead of a `vaxsync relay serve` beside it.
#[test]
fn the_managers_kiosk_runs_the_relay_in_its_own_process_and_survives_a_restart() {
    let dir = tempfile::tempdir().unwrap();
    let centre_db = dir.path().join("centre.db");
    let db = centre_db.to_str().unwrap();
    let code = |role: &str, venue: Option<&str>| {
        let mut args = vec!["enrollment", "create", "--db", db, "--role", role];
        if let Some(v) = venue {
            args.extend(["--venue", v]);
        }
        vaxsync(&args)
    };
    let port = free_port();
    let centre_url = format!("http://127.0.0.1:{port}");
    let hq_code = code("hq", None);
    let centre = start_centre(&centre_db, port);
    let hq = dir.path().join("hq.sqlite3");
    let today = chrono::Local::now().date_naive().to_string();
    ok(&hq, &["demo", "--residents", "300", "--start", &today]);
    let enroll = |ledger: &Path, code: &str, name: &str| {
        ok(
            ledger,
            &[
                "sync",
                "enroll",
                "--server",
                &centre_url,
                "--code",
                code,
                "--name",
                name,
            ],
        );
        ok(ledger, &["sync", "run"]);
    };
    enroll(&hq, &hq_code, "HQ");
    // Each kiosk in a folder of its own, as on its own machine: the relay lives beside the
    // manager's ledger.
    let manager = dir.path().join("manager/kiosk.sqlite3");
    let booth = dir.path().join("booth/kiosk.sqlite3");
    std::fs::create_dir_all(manager.parent().unwrap()).unwrap();
    std::fs::create_dir_all(booth.parent().unwrap()).unwrap();
    enroll(&manager, &code("venue_manager", Some("V01")), "manager");
    enroll(&booth, &code("booth", Some("V01")), "booth");
    ok(
        &booth,
        &[
            "desk",
            "open-lot",
            "--product",
            "comirnaty",
            "--lot",
            "FA5765",
        ],
    );

    // A booth cannot run the relay; the manager's kiosk enrolls it with HQ's relay code.
    let relay_code = code("relay", Some("V01"));
    let refused = vaxhq(&booth, &["relay", "host-enroll", "--code", &relay_code]);
    assert!(!refused.status.success());
    assert!(
        text(&refused).contains("会場責任者"),
        "refused in both languages: {}",
        text(&refused)
    );
    ok(
        &manager,
        &[
            "relay",
            "host-enroll",
            "--code",
            &relay_code,
            "--name",
            "V01 relay",
        ],
    );
    let relay_port = free_port();
    let listen = format!("127.0.0.1:{relay_port}");
    let host = |ledger: &Path| {
        let (running, lines) = start(
            &vaxhq_bin(),
            &[
                "--ledger",
                ledger.to_str().unwrap(),
                "relay",
                "host",
                "--listen",
                &listen,
            ],
            2,
        );
        assert_eq!(
            lines[0],
            format!("listening on https://{listen}"),
            "{lines:?}"
        );
        let join = lines[1]
            .strip_prefix("join ")
            .expect("a join line")
            .to_owned();
        assert!(
            join.contains("&fp="),
            "the join code pins the certificate: {join}"
        );
        (running, join)
    };
    let (relay, join) = host(&manager);
    let relay_dir = dir.path().join("manager/relay");
    wait_for("the relay's registry", Duration::from_secs(20), || {
        relay_dir.join("registry.json").exists()
    });
    let lights = ok(&manager, &["relay", "lights"]);
    assert!(
        lights.contains(&format!("https://{listen}")),
        "the manager's kiosk joined its own relay: {lights}"
    );
    ok(&booth, &["relay", "join", &join]);
    // Each kiosk hands the fresh relay what it holds (the city: the longest session), before
    // the day starts.
    for k in [&manager, &booth] {
        ok(k, &["relay", "sync"]);
    }

    // The internet goes. Both kiosks keep syncing with the relay on the manager's kiosk.
    drop(centre);
    let _loops: Vec<Running> = [&manager, &booth].iter().map(|k| keep_syncing(k)).collect();
    let first = "0000100001";
    ok(&manager, &["desk", "check-in", first]);
    let took = wait_for("the check-in at the booth", Duration::from_secs(5), || {
        queue_has(&booth, first)
    });
    eprintln!("check-in reached the booth through the kiosk's relay in {took:?}");
    ok(
        &booth,
        &[
            "desk",
            "dose",
            first,
            "--lot",
            "FA5765",
            "--vaccinator",
            "医師 一郎",
        ],
    );

    // The manager's kiosk is killed and started again: same relay, same join code, and the
    // booth carries on without scanning anything.
    let mut relay = relay;
    relay.0.kill().expect("kill -9 the kiosk");
    let _ = relay.0.wait();
    let (_relay, join_again) = host(&manager);
    assert_eq!(
        join_again, join,
        "the same address and certificate after a restart"
    );
    let second = "0000100008";
    ok(&manager, &["desk", "check-in", second]);
    wait_for(
        "a check-in after the restart",
        Duration::from_secs(15),
        || queue_has(&booth, second),
    );

    // The centre comes back: the relay carries the venue's work to it.
    let _centre = start_centre(&centre_db, port);
    let booth_id = {
        let s = ok(&booth, &["--json", "sync", "status"]);
        s.split("\"replica_id\": \"")
            .nth(1)
            .and_then(|r| r.split('"').next())
            .expect("an id")
            .to_owned()
    };
    wait_for(
        "the booth's dose at the centre",
        Duration::from_secs(30),
        || {
            seen(&centre_db).get(&booth_id) == seen(&relay_dir.join("relay.db")).get(&booth_id)
                && seen(&centre_db).contains_key(&booth_id)
        },
    );
}
