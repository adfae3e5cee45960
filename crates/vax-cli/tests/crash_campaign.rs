//! The crash campaign (issue 15): `kill -9` at random instants of real processes, each on a
//! ledger file, then the file is checked as the next start of the program would find it.
//!
//! - **import**: `vaxhq import register` of a city's register into an HQ ledger that
//!   replicates (residents and their ops in one transaction), a fresh copy each time;
//! - **doses**: `vaxhq desk dose` on one venue manager's kiosk, dose after dose, the same
//!   ledger throughout (every kill lands on what the kills before it left);
//! - **sync**: a newly enrolled booth receiving the city from a real `vaxsync` on loopback
//!   (`vaxhq sync run`), then syncing again unkilled to prove it resumes.
//!
//! After every kill: [`vax_ledger::Ledger::check_consistency`] finds nothing (integrity_check
//! ok, every op with its rows, no row without its op, no gap in the op log); every record a
//! process acknowledged (printed after its commit) is present; an import is all or nothing.
//!
//! `VAXLEDGER_CRASH_KILLS` sets the number of kills (default 30, about a minute; the full
//! campaign of 1,000 is `scripts/crash-campaign.sh`, outside the test command),
//! `VAXLEDGER_CRASH_SEED` replays a run (printed at the start). The kill
//! instants are drawn from the seed; the program's own timing is not, so a replay lands near,
//! not exactly on, the same instruction.

use std::io::Read;
use std::path::{Path, PathBuf};
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};

use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vax_ledger::Ledger;

mod support;
use support::{text, vaxhq_bin, vaxsync_bin, Running};

fn vaxhq(ledger: &Path, args: &[&str]) -> Command {
    let mut cmd = Command::new(vaxhq_bin());
    cmd.arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env_remove("VAXLEDGER_NOW");
    cmd
}

fn ok(ledger: &Path, args: &[&str]) -> String {
    let out = vaxhq(ledger, args).output().expect("vaxhq runs");
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

/// What a process printed before it ended or was killed.
struct Run {
    killed: bool,
    stdout: String,
    took: Duration,
}

/// Runs `cmd` and sends it SIGKILL `after` its start unless it has ended by then.
fn run_killed_after(mut cmd: Command, after: Duration) -> Run {
    let started = Instant::now();
    let mut child = cmd
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("starts");
    let mut out = child.stdout.take().expect("stdout");
    // Reads until the pipe closes: what the process wrote before SIGKILL stays readable.
    let reader = std::thread::spawn(move || {
        let mut s = String::new();
        let _ = out.read_to_string(&mut s);
        s
    });
    let killed = loop {
        if child.try_wait().expect("waits").is_some() {
            break false;
        }
        let elapsed = started.elapsed();
        if elapsed >= after {
            // std's kill is SIGKILL on Unix: no destructor, no rollback, no flush runs.
            child.kill().expect("kill -9");
            child.wait().expect("reaped");
            break true;
        }
        std::thread::sleep((after - elapsed).min(Duration::from_micros(500)));
    };
    let took = started.elapsed();
    Run {
        killed,
        stdout: reader.join().expect("reader"),
        took,
    }
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

fn start_centre(db: &Path, port: u16) -> Running {
    use std::io::{BufRead, BufReader};
    let listen = format!("127.0.0.1:{port}");
    let mut child = Command::new(vaxsync_bin())
        .args(["serve", "--db", db.to_str().unwrap(), "--listen", &listen])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("vaxsync starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("reads a line");
    assert_eq!(line.trim(), format!("listening on http://{listen}"));
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    Running(child)
}

/// A ledger file as a program left it, with its write-ahead log (a killed program leaves its
/// committed transactions there).
fn copy_ledger(from: &Path, to: &Path) {
    remove_ledger(to);
    std::fs::copy(from, to).expect("copies the ledger");
    let wal = |p: &Path| PathBuf::from(format!("{}-wal", p.display()));
    if wal(from).exists() {
        std::fs::copy(wal(from), wal(to)).expect("copies the WAL");
    }
}

fn remove_ledger(path: &Path) {
    for suffix in ["", "-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
}

/// Opens the file as the next start of a program would (recovering the WAL), checks it
/// whole and returns it.
fn checked(path: &Path, what: &str) -> Ledger {
    let ledger = Ledger::open(path).unwrap_or_else(|e| panic!("{what}: the ledger opens: {e}"));
    let report = ledger
        .check_consistency()
        .unwrap_or_else(|e| panic!("{what}: the check runs: {e}"));
    assert!(
        report.is_sound(),
        "{what}: the ledger is not consistent: {:#?}",
        report.problems
    );
    ledger
}

/// Uncancelled dose uids on a ledger.
fn dose_uids(ledger: &Path) -> std::collections::HashSet<String> {
    let conn = rusqlite::Connection::open(ledger).expect("opens");
    let mut stmt = conn
        .prepare("SELECT uid FROM dose_records WHERE voided_at IS NULL")
        .expect("prepares");
    let uids = stmt
        .query_map([], |r| r.get(0))
        .expect("queries")
        .collect::<Result<_, _>>()
        .expect("reads");
    uids
}

fn env_number(name: &str) -> Option<u64> {
    std::env::var(name).ok().map(|v| {
        v.trim()
            .parse()
            .unwrap_or_else(|_| panic!("{name}={v:?} is not a number"))
    })
}

/// Kills per scenario: how many landed before the acknowledgement, how many after (the
/// process had finished), and the longest the check took.
#[derive(Default)]
struct Tally {
    kills: u32,
    before_ack: u32,
    finished: u32,
}

impl Tally {
    fn count(&mut self, run: &Run, acked: bool) {
        self.kills += 1;
        match (run.killed, acked) {
            (true, false) => self.before_ack += 1,
            (false, _) => self.finished += 1,
            // Killed after printing the acknowledgement: the commit is behind it.
            (true, true) => {}
        }
    }
}

#[test]
fn kill_9_at_random_instants_loses_no_acknowledged_record_and_leaves_every_ledger_whole() {
    let kills = env_number("VAXLEDGER_CRASH_KILLS").unwrap_or(30);
    let seed = env_number("VAXLEDGER_CRASH_SEED").unwrap_or_else(|| {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .expect("after 1970")
            .as_nanos() as u64
    });
    println!("crash campaign: {kills} kills, seed {seed} (replay: VAXLEDGER_CRASH_SEED={seed})");
    let mut rng = ChaCha8Rng::seed_from_u64(seed);
    let campaign_started = Instant::now();

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

    // The centre and HQ with a small demo city, published.
    let hq_code = code("hq", None);
    let port = free_port();
    let url = format!("http://127.0.0.1:{port}");
    let _centre = start_centre(&centre_db, port);
    let hq = dir.path().join("hq.sqlite3");
    let today = chrono::Local::now().date_naive().to_string();
    ok(
        &hq,
        &[
            "demo",
            "--residents",
            "600",
            "--weeks",
            "3",
            "--start",
            &today,
        ],
    );
    let enroll = |ledger: &Path, code: &str, name: &str| {
        ok(
            ledger,
            &[
                "sync", "enroll", "--server", &url, "--code", code, "--name", name,
            ],
        );
    };
    enroll(&hq, &hq_code, "HQ");
    ok(&hq, &["sync", "run"]);
    let city_residents = checked(&hq, "HQ").reader().resident_count().unwrap();

    // (a) The import: an enrolled HQ ledger with no residents yet, and a register to import.
    let import_base = dir.path().join("import-base.sqlite3");
    let import_code = code("hq", None);
    enroll(&import_base, &import_code, "HQ import");
    let register_residents = 4_000;
    let city = vax_demo::generate(&vax_demo::DemoParams {
        seed: 7,
        residents: register_residents,
        ..vax_demo::DemoParams::default()
    });
    let register = dir.path().join("register.csv");
    std::fs::write(&register, vax_app::demo::demo_csv(&city).0).unwrap();
    let import_ledger = dir.path().join("import.sqlite3");
    let import_args = ["import", "register", register.to_str().unwrap()];

    // (b) Doses: a venue manager's kiosk with the city and a lot open.
    let kiosk = dir.path().join("kiosk.sqlite3");
    enroll(&kiosk, &code("venue_manager", Some("V01")), "kiosk V01");
    ok(&kiosk, &["sync", "run"]);
    ok(
        &kiosk,
        &[
            "desk",
            "open-lot",
            "--product",
            "comirnaty",
            "--lot",
            "FA5765",
        ],
    );
    let vouchers: Vec<String> = {
        let conn = rusqlite::Connection::open(&kiosk).unwrap();
        let mut stmt = conn
            .prepare("SELECT voucher_number FROM residents ORDER BY id")
            .unwrap();
        let v = stmt
            .query_map([], |r| r.get(0))
            .unwrap()
            .collect::<Result<_, _>>()
            .unwrap();
        v
    };
    let mut next_voucher = vouchers.iter();
    let mut acked_doses: Vec<String> = Vec::new();

    // (c) Sync: a booth of V02, enrolled afresh for each kill.
    let booth = dir.path().join("booth.sqlite3");

    // How long each step takes unkilled, so that the kill instants cover it (and a little
    // after, so that some runs finish and their acknowledgement is checked too).
    let calibrate = |cmd: Command| {
        let run = run_killed_after(cmd, Duration::from_secs(600));
        assert!(!run.killed);
        run.took
    };
    copy_ledger(&import_base, &import_ledger);
    let import_time = calibrate(vaxhq(&import_ledger, &import_args));
    assert_eq!(
        checked(&import_ledger, "import calibration")
            .reader()
            .resident_count()
            .unwrap(),
        register_residents as u64
    );
    let dose_args = |voucher: &str| {
        vaxhq(
            &kiosk,
            &[
                "desk",
                "dose",
                voucher,
                "--lot",
                "FA5765",
                "--vaccinator",
                "舞鶴 太郎",
            ],
        )
    };
    let dose_time = calibrate(dose_args(next_voucher.next().expect("a voucher")));
    remove_ledger(&booth);
    enroll(&booth, &code("booth", Some("V02")), "booth calibration");
    let sync_time = calibrate(vaxhq(&booth, &["sync", "run"]));
    println!(
        "unkilled: import of {register_residents} residents {import_time:.2?}, one dose {dose_time:.2?}, a booth's first sync of {city_residents} residents {sync_time:.2?}"
    );
    let instant = |rng: &mut ChaCha8Rng, full: Duration| full.mul_f64(rng.random_range(0.0..1.25));

    let (mut imports, mut doses, mut syncs) =
        (Tally::default(), Tally::default(), Tally::default());
    for round in 0..kills {
        match round % 3 {
            0 => {
                copy_ledger(&import_base, &import_ledger);
                let at = instant(&mut rng, import_time);
                let run = run_killed_after(vaxhq(&import_ledger, &import_args), at);
                let what = format!("seed {seed} round {round}: import killed at {at:.2?}");
                let acked = run.stdout.contains("imported");
                let n = checked(&import_ledger, &what)
                    .reader()
                    .resident_count()
                    .unwrap();
                assert!(
                    n == 0 || n == register_residents as u64,
                    "{what}: all or nothing, found {n} residents"
                );
                if acked {
                    assert_eq!(n, register_residents as u64, "{what}: acknowledged");
                }
                imports.count(&run, acked);
            }
            1 => {
                let voucher = next_voucher.next().expect("vouchers enough for the doses");
                let at = instant(&mut rng, dose_time);
                let run = run_killed_after(dose_args(voucher), at);
                let what =
                    format!("seed {seed} round {round}: dose for {voucher} killed at {at:.2?}");
                let acked = run.stdout.contains("recorded for");
                if acked {
                    let uid = run
                        .stdout
                        .rsplit_once('(')
                        .and_then(|(_, rest)| rest.split_once(')'))
                        .map(|(uid, _)| uid.to_owned())
                        .expect("the acknowledgement names the uid");
                    acked_doses.push(uid);
                }
                drop(checked(&kiosk, &what));
                let held = dose_uids(&kiosk);
                for uid in &acked_doses {
                    assert!(
                        held.contains(uid),
                        "{what}: acknowledged dose {uid} is missing"
                    );
                }
                doses.count(&run, acked);
            }
            _ => {
                remove_ledger(&booth);
                enroll(
                    &booth,
                    &code("booth", Some("V02")),
                    &format!("booth {round}"),
                );
                let at = instant(&mut rng, sync_time);
                let run = run_killed_after(vaxhq(&booth, &["sync", "run"]), at);
                let what = format!("seed {seed} round {round}: first sync killed at {at:.2?}");
                let acked = run.stdout.contains("synced:");
                let n = checked(&booth, &what).reader().resident_count().unwrap();
                if acked {
                    assert_eq!(
                        n, city_residents,
                        "{what}: acknowledged sync holds the city"
                    );
                }
                // The next sync resumes where the killed one stopped and completes the city.
                ok(&booth, &["sync", "run"]);
                let n = checked(&booth, &format!("{what}, then synced again"))
                    .reader()
                    .resident_count()
                    .unwrap();
                assert_eq!(
                    n, city_residents,
                    "{what}: the next sync completes the city"
                );
                syncs.count(&run, acked);
            }
        }
        // A long campaign (scripts/crash-campaign.sh) shows where it is.
        if (round + 1) % 100 == 0 && round + 1 < kills {
            println!(
                "crash campaign: {} of {kills} kills, {:.0?}, 0 failures",
                round + 1,
                campaign_started.elapsed()
            );
        }
    }
    let total = imports.kills + doses.kills + syncs.kills;
    println!(
        "crash campaign: {total} kills in {:.1?}, 0 failures (seed {seed})",
        campaign_started.elapsed()
    );
    for (name, t) in [("import", &imports), ("doses", &doses), ("sync", &syncs)] {
        println!(
            "  {name:<7} {:>4} kills: {:>4} before the acknowledgement, {:>4} after the process had finished",
            t.kills, t.before_ack, t.finished
        );
    }
    assert_eq!(u64::from(total), kills);
}
