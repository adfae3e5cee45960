//! The real `vaxsync` binary on loopback, driven by the real `vax-sync-client`.

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};
use vax_domain::error::ErrorCode;

use tempfile::TempDir;
use vax_sync::{Alert, Applied, Message, Role, SyncError, SyncState, VenueCode};
use vax_sync_client::{
    enroll, new_device_key, sync_session, sync_session_with, Client, ClientError, Enrolled,
    LocalReplica, MemoryReplica, SessionError, SessionOptions,
};

use crate::support::{check_in, dose, rogue, store_location};

pub struct ServerProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
    pub url: String,
}

impl ServerProcess {
    pub fn start(db: &Path, tls: Option<(&Path, &Path)>) -> Self {
        Self::start_logging(db, tls, "warn", Stdio::null())
    }

    /// [`ServerProcess::start`] at log level `level` (RUST_LOG), its log written to `stderr`.
    pub fn start_logging(
        db: &Path,
        tls: Option<(&Path, &Path)>,
        level: &str,
        stderr: Stdio,
    ) -> Self {
        Self::start_with(db, tls, level, stderr, &[])
    }

    /// [`ServerProcess::start_logging`] with more `vaxsync serve` flags.
    pub fn start_with(
        db: &Path,
        tls: Option<(&Path, &Path)>,
        level: &str,
        stderr: Stdio,
        flags: &[&str],
    ) -> Self {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxsync"));
        cmd.arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .env("RUST_LOG", level)
            .stdout(Stdio::piped())
            .stderr(stderr);
        if let Some((cert, key)) = tls {
            cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
        }
        cmd.args(flags);
        let mut child = cmd.spawn().expect("start vaxsync");
        let mut stdout = BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("read first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        Self {
            child,
            _stdout: stdout,
            url,
        }
    }

    /// SIGKILL: no shutdown, no flush, as a power cut or the OOM killer would.
    pub fn kill(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }

    fn terminate(&mut self) -> std::process::ExitStatus {
        let status = Command::new("kill")
            .arg("-TERM")
            .arg(self.child.id().to_string())
            .status()
            .expect("kill -TERM");
        assert!(status.success());
        for _ in 0..100 {
            if let Some(exit) = self.child.try_wait().expect("try_wait") {
                return exit;
            }
            std::thread::sleep(std::time::Duration::from_millis(50));
        }
        panic!("the server did not stop within 5 s of SIGTERM");
    }
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        self.kill();
    }
}

pub fn cli(args: &[&str]) -> String {
    let out = Command::new(env!("CARGO_BIN_EXE_vaxsync"))
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("run vaxsync");
    assert!(
        out.status.success(),
        "vaxsync {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8(out.stdout).expect("utf-8")
}

/// A real server with an enrolled HQ (`scope.rs` uses it too).
pub(crate) struct Fixture {
    _dir: TempDir,
    location: PathBuf,
    pub(crate) server: ServerProcess,
    pub(crate) hq: Client,
    pub(crate) hq_enrollment: Enrolled,
    pub(crate) hq_key: vax_sync::DeviceKey,
}

impl Fixture {
    pub(crate) fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let db = store_location(dir.path());
        let code = cli(&[
            "enrollment",
            "create",
            "--db",
            db.to_str().expect("utf-8"),
            "--role",
            "hq",
        ]);
        let server = ServerProcess::start(&db, None);
        let hq_key = new_device_key();
        let hq_enrollment = enroll(&server.url, code.trim(), "本部1", &hq_key).expect("enroll HQ");
        assert_eq!(hq_enrollment.role, Role::Hq);
        let hq = Client::new(&server.url, &hq_enrollment.token);
        Self {
            _dir: dir,
            location: db,
            server,
            hq,
            hq_enrollment,
            hq_key,
        }
    }

    pub(crate) fn db(&self) -> PathBuf {
        self.location.clone()
    }

    fn device(&self, role: Role, venue: &str, name: &str) -> (Enrolled, Client, MemoryReplica) {
        let (e, client, replica, _) = self.device_with_key(role, venue, name);
        (e, client, replica)
    }

    fn device_with_key(
        &self,
        role: Role,
        venue: &str,
        name: &str,
    ) -> (Enrolled, Client, MemoryReplica, vax_sync::DeviceKey) {
        let code = self
            .hq
            .create_enrollment_code(role, Some(&VenueCode::new(venue)), &[], 24)
            .expect("code");
        let key = new_device_key();
        let e = enroll(&self.server.url, &code, name, &key).expect("enroll");
        let client = Client::new(&self.server.url, &e.token);
        let replica = MemoryReplica::new(e.replica_id, e.role, key.clone()).expect("key");
        (e, client, replica, key)
    }

    fn restart(&mut self) {
        self.server.kill();
        self.server = ServerProcess::start(&self.db(), None);
        self.hq = Client::new(&self.server.url, &self.hq_enrollment.token);
    }
}

#[test]
fn devices_sync_both_ways_through_the_real_server_and_hq_sees_the_duplicate() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    assert_eq!(f.hq.health().expect("health").server_replica_id, server_id);
    let (_, c1, mut booth1) = f.device(Role::Booth, "V01", "接種1");
    let (_, c2, mut booth2) = f.device(Role::Booth, "V02", "接種2");
    let (_, c3, mut reception) = f.device(Role::Reception, "V01", "受付1");

    // Offline: each writes; both booths record the same dose of resident 7.
    for r in 1..=20 {
        reception.write(check_in(r, "V01")).expect("write");
        booth1.write(dose(r, "V01")).expect("write");
        booth2.write(dose(100 + r, "V02")).expect("write");
    }
    booth2.write(dose(7, "V02")).expect("write");

    let first = sync_session(&mut booth1, &c1, server_id).expect("booth1");
    assert_eq!((first.sent_ops, first.received_ops), (20, 0));
    sync_session(&mut reception, &c3, server_id).expect("reception");
    let second = sync_session(&mut booth2, &c2, server_id).expect("booth2");
    assert_eq!((second.sent_ops, second.received_ops), (21, 40));
    assert!(
        second
            .alerts
            .iter()
            .any(|a| matches!(a, Alert::DuplicateDose { .. })),
        "the booth that merged the duplicate is told: {:?}",
        second.alerts
    );
    sync_session(&mut booth1, &c1, server_id).expect("booth1 again");
    sync_session(&mut reception, &c3, server_id).expect("reception again");

    assert_eq!(booth1.log.len(), 61);
    assert_eq!(booth1.log, booth2.log);
    assert_eq!(booth1.log, reception.log);
    assert_eq!(booth1.node.replica(), reception.node.replica());
    assert_eq!(f.hq.status().expect("status").ops, 61);

    // A session with nothing new on either side is one round trip and moves nothing.
    let idle = sync_session(&mut booth1, &c1, server_id).expect("idle");
    assert_eq!(
        (idle.round_trips, idle.sent_ops, idle.received_ops),
        (1, 0, 0)
    );

    let alerts = f.hq.alerts().expect("alerts");
    assert!(matches!(alerts.as_slice(), [Alert::DuplicateDose { doses, .. }] if doses.len() == 2));

    // The CLI reads the same database while the server runs.
    let db = f.db();
    let db = db.to_str().expect("utf-8");
    let text = cli(&["alerts", "--db", db]);
    assert!(
        text.contains("DUPLICATE DOSE") && text.contains("V01") && text.contains("V02"),
        "{text}"
    );
    let json: Vec<Alert> =
        serde_json::from_str(&cli(&["alerts", "--db", db, "--json"])).expect("json");
    assert_eq!(json, alerts);
    let devices = cli(&["devices", "list", "--db", db]);
    for name in ["本部1", "接種1", "接種2", "受付1"] {
        assert!(devices.contains(name), "{devices}");
    }
    assert!(cli(&["status", "--db", db]).contains("61"));
}

/// Kills the server right after the n-th reply has been merged.
struct KillAfter<'a> {
    inner: &'a mut MemoryReplica,
    receives: usize,
    kill_at: usize,
    server: &'a mut ServerProcess,
}

impl LocalReplica for KillAfter<'_> {
    type Error = SyncError;
    fn generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, SyncError> {
        self.inner.generate(state)
    }
    fn receive(&mut self, state: &mut SyncState, message: Message) -> Result<Applied, SyncError> {
        let applied = self.inner.receive(state, message)?;
        self.receives += 1;
        if self.receives == self.kill_at {
            self.server.kill();
        }
        Ok(applied)
    }
    fn quarantined(&mut self) -> Result<Vec<vax_sync::OpId>, SyncError> {
        self.inner.quarantined()
    }
    fn quarantine(
        &mut self,
        op: vax_sync::OpId,
        code: ErrorCode,
        reason: &str,
    ) -> Result<(), SyncError> {
        self.inner.quarantine(op, code, reason)
    }
}

#[test]
fn a_server_killed_mid_sync_loses_and_doubles_nothing() {
    let mut f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let (booth_e, _, mut booth) = f.device(Role::Booth, "V01", "接種1");
    // Within the booth's ops budget (2,000 at once, the default): a day's backlog.
    for r in 1..=1_500 {
        booth.write(dose(r, "V01")).expect("write");
    }
    let options = SessionOptions {
        batch_size: 500,
        ..SessionOptions::default()
    };
    let client = Client::new(&f.server.url, &booth_e.token);
    // Reply 1 answers the introduction, reply 2 acknowledges the first batch of 500.
    let err = sync_session_with(
        &mut KillAfter {
            inner: &mut booth,
            receives: 0,
            kill_at: 2,
            server: &mut f.server,
        },
        &client,
        server_id,
        options,
    )
    .expect_err("the server died");
    assert!(
        matches!(err, SessionError::Transport(ClientError::Transport { .. })),
        "{err}"
    );
    assert!(err.is_retryable(), "a dead server is worth retrying: {err}");

    f.restart();
    assert_eq!(
        f.hq.status().expect("status").ops,
        500,
        "the acknowledged batch survived"
    );
    let client = Client::new(&f.server.url, &booth_e.token);
    let report = sync_session_with(&mut booth, &client, server_id, options).expect("resync");
    assert_eq!(
        report.sent_ops, 1_000,
        "only what the server lacked was sent again"
    );
    let status = f.hq.status().expect("status");
    assert_eq!(status.ops, 1_500);
    assert_eq!(status.seen.get(&booth_e.replica_id), Some(&1_500));

    // A fresh device pulls everything exactly once and holds the same ops as the booth.
    let mut hq =
        MemoryReplica::new(f.hq_enrollment.replica_id, Role::Hq, f.hq_key.clone()).expect("key");
    let pulled = sync_session(&mut hq, &f.hq, server_id).expect("pull");
    assert_eq!(pulled.received_ops, 1_500);
    assert_eq!(hq.log, booth.log);
    assert_eq!(hq.node.replica(), booth.node.replica());
}

#[test]
fn an_unenrolled_token_is_refused_with_401() {
    let f = Fixture::new();
    let mut stranger = MemoryReplica::new(
        vax_sync::ReplicaId::from_u128(5),
        Role::Booth,
        new_device_key(),
    )
    .expect("key");
    let client = Client::new(
        &f.server.url,
        "0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef",
    );
    let err = sync_session(&mut stranger, &client, f.hq_enrollment.server_replica_id)
        .expect_err("refused");
    match &err {
        SessionError::Transport(e) => {
            assert_eq!(e.status(), Some(401));
            assert_eq!(e.code(), Some(ErrorCode::UnknownToken));
            assert!(e.is_permanent());
            assert!(!e.message_ja().is_empty());
        }
        other => panic!("{other}"),
    }
    assert!(!err.is_retryable());
    let used = cli(&[
        "enrollment",
        "create",
        "--db",
        f.db().to_str().expect("utf-8"),
        "--role",
        "hq",
    ]);
    enroll(&f.server.url, used.trim(), "x", &new_device_key()).expect("first use");
    let again = enroll(&f.server.url, used.trim(), "y", &new_device_key()).expect_err("second use");
    assert_eq!(
        (again.status(), again.code()),
        (Some(404), Some(ErrorCode::EnrollmentCodeInvalid))
    );
}

#[test]
fn a_refused_op_is_quarantined_and_the_devices_following_ops_still_reach_the_server() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let (e, client, _, key) = f.device_with_key(Role::Reception, "V01", "受付1");
    // The reception's own key, but a log with a dose its role may not record in the middle.
    let mut device = rogue(e.replica_id, &key);
    for r in 1..=2 {
        device.write(check_in(r, "V01")).expect("write");
    }
    let bad = device.write(dose(1, "V01")).expect("write").id;
    for r in 3..=5 {
        device.write(check_in(r, "V01")).expect("write");
    }
    let report = sync_session(&mut device, &client, server_id)
        .expect("one bad op does not stop the session");
    assert_eq!(report.quarantined, vec![bad]);
    assert_eq!(device.quarantine.len(), 1);
    assert_eq!(device.quarantine[0].code, ErrorCode::NotPermitted);
    assert!(device.quarantine[0].reason.contains("record_dose"));
    assert_eq!(
        f.hq.status().expect("status").ops,
        5,
        "every check-in, before and after the refused dose, reached the server"
    );

    // The next session neither resends the quarantined op nor fails on it.
    device.write(check_in(6, "V01")).expect("write");
    let again = sync_session(&mut device, &client, server_id).expect("syncs");
    assert!(again.quarantined.is_empty());
    assert_eq!(f.hq.status().expect("status").ops, 6);
    let hq = MemoryReplica::new(f.hq_enrollment.replica_id, Role::Hq, f.hq_key.clone());
    let mut hq = hq.expect("key");
    sync_session(&mut hq, &f.hq, server_id).expect("HQ pulls");
    assert!(
        hq.log.iter().all(|op| op.id != bad),
        "the dose went nowhere"
    );
}

#[test]
fn the_server_stops_gracefully_on_sigterm_and_a_stopped_server_is_retryable() {
    let mut f = Fixture::new();
    let exit = f.server.terminate();
    assert!(exit.success(), "{exit:?}");
    let err = f.hq.health().expect_err("nobody listening");
    assert!(err.is_retryable(), "connection refused is retryable: {err}");
}

/// APPI: a resident's name, phone, address and history stay out of the server's log, at the
/// most verbose level, whether their ops are merged or refused.
#[test]
fn personal_data_stays_out_of_the_servers_log_at_every_level() {
    let mut fx = Fixture::new();
    let log_path = fx._dir.path().join("server.log");
    let log = std::fs::File::create(&log_path).expect("log file");
    fx.server.kill();
    fx.server = ServerProcess::start_logging(&fx.db(), None, "trace", Stdio::from(log));
    fx.hq = Client::new(&fx.server.url, &fx.hq_enrollment.token);

    let name = "舞鶴花子";
    let phone = "0773629876";
    let address = "舞鶴市字北吸１０４４";
    let resident = crate::support::resident(4242);
    let fields = |name: &str| vax_sync::OpKind::SetResidentFields {
        resident: resident.clone(),
        fields: vec![
            vax_sync::ResidentField::Name(name.into()),
            vax_sync::ResidentField::Phone(Some(
                vax_domain::resident::Phone::parse(phone).expect("phone"),
            )),
            vax_sync::ResidentField::Address(address.into()),
            vax_sync::ResidentField::AnaphylaxisHistory(true),
        ],
    };
    // Merged: HQ edits the resident.
    let mut hq =
        MemoryReplica::new(fx.hq_enrollment.replica_id, Role::Hq, fx.hq_key.clone()).expect("key");
    hq.write(fields(name)).expect("HQ may edit residents");
    sync_session(&mut hq, &fx.hq, fx.hq_enrollment.server_replica_id).expect("HQ syncs");
    // Refused: a booth forges the same edit (its role may not), and sends an invalid one.
    let (booth_enrolled, booth_client, _, booth_key) =
        fx.device_with_key(Role::Booth, "V01", "接種1");
    let mut forger = rogue(booth_enrolled.replica_id, &booth_key);
    forger.write(fields(name)).expect("written locally");
    let refused = sync_session(&mut forger, &booth_client, booth_enrolled.server_replica_id);
    let message = format!("{refused:?}");
    assert!(
        !message.contains(name),
        "the refusal itself names no resident: {message}"
    );
    // Bodies that do not parse, with the name and phone where a number is expected: serde's
    // error messages quote the offending string.
    for garbage in [
        format!("{{\"protocol\":\"{name}\",\"from\":\"{phone}\"}}"),
        format!("{{\"protocol\":3,\"from\":\"{name}{phone}\"}}"),
    ] {
        let status = post_raw_sync(&fx.server.url, &booth_enrolled.token, garbage.as_bytes());
        assert!(status.contains(" 400 "), "{status}");
    }
    fx.server.kill();

    let text = std::fs::read_to_string(&log_path).expect("the log");
    assert!(text.contains("sync"), "the log was written: {text}");
    for secret in [name, phone, address, "anaphylaxis"] {
        assert!(
            !text.contains(secret),
            "{secret:?} leaked into the log:\n{text}"
        );
    }
}

/// POSTs `body` to `/v1/sync` over plain HTTP/1.1 and returns the status line.
fn post_raw_sync(url: &str, token: &str, body: &[u8]) -> String {
    use std::io::{Read, Write};
    let addr = url.strip_prefix("http://").expect("plain HTTP on loopback");
    let mut stream = std::net::TcpStream::connect(addr).expect("connect");
    let head = format!(
        "POST /v1/sync HTTP/1.1\r\nHost: {addr}\r\nAuthorization: Bearer {token}\r\nContent-Type: application/json\r\nContent-Length: {}\r\nConnection: close\r\n\r\n",
        body.len()
    );
    stream.write_all(head.as_bytes()).expect("send head");
    stream.write_all(body).expect("send body");
    let mut reply = String::new();
    let _ = stream.read_to_string(&mut reply);
    reply.lines().next().unwrap_or_default().to_owned()
}

#[test]
fn a_device_over_its_ops_budget_is_refused_with_a_retryable_429_and_quarantines_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = store_location(dir.path());
    let code = |venue: &str| {
        let db = db.to_str().expect("utf-8");
        let args = [
            "enrollment",
            "create",
            "--db",
            db,
            "--role",
            "booth",
            "--venue",
            venue,
        ];
        cli(&args).trim().to_owned()
    };
    let (flooder_code, other_code) = (code("V01"), code("V02"));
    // A budget of 10 ops at once, then one every 100 s.
    let server = ServerProcess::start_with(
        &db,
        None,
        "warn",
        Stdio::null(),
        &["--ops-burst", "10", "--ops-per-second", "0.01"],
    );
    let booth = |code: &str, name: &str| {
        let key = new_device_key();
        let e = enroll(&server.url, code, name, &key).expect("enroll");
        let replica = MemoryReplica::new(e.replica_id, Role::Booth, key).expect("key");
        (
            Client::new(&server.url, &e.token),
            e.server_replica_id,
            replica,
        )
    };
    let (client, server_id, mut flooder) = booth(&flooder_code, "接種1");
    for r in 1..=8 {
        flooder.write(dose(r, "V01")).expect("write");
    }
    let report = sync_session(&mut flooder, &client, server_id).expect("within the budget");
    assert_eq!(report.sent_ops, 8);
    for r in 9..=16 {
        flooder.write(dose(r, "V01")).expect("write");
    }
    let err = sync_session(&mut flooder, &client, server_id).expect_err("over the budget");
    match &err {
        SessionError::Transport(ClientError::Server {
            status,
            code,
            message_ja,
            ..
        }) => {
            assert_eq!(*status, 429);
            assert_eq!(*code, ErrorCode::OpsBudgetExceeded);
            assert!(message_ja.contains("自動で再送"), "{message_ja}");
        }
        other => panic!("expected 429 OPS_BUDGET_EXCEEDED, got {other}"),
    }
    assert!(err.is_retryable(), "the device tries again later: {err}");
    assert!(
        flooder.quarantined().expect("quarantine").is_empty(),
        "a budget refusal is not the op's fault"
    );

    // Another venue's booth syncs as usual, and the server holds exactly what it accepted.
    let (other_client, _, mut other) = booth(&other_code, "接種2");
    other.write(dose(101, "V02")).expect("write");
    let report = sync_session(&mut other, &other_client, server_id).expect("other venue");
    assert_eq!(report.sent_ops, 1);
    assert_eq!(other_client.status().expect("status").ops, 9);
}

/// A device catching up asks for the next batch while it applies one (`SessionOptions::prefetch`,
/// the default): the same ops arrive, once each, in as many round trips as without it, through
/// the real server on either store.
#[test]
fn a_first_sync_with_prefetch_brings_the_same_ops_as_without() {
    let f = Fixture::new();
    let server_id = f.hq_enrollment.server_replica_id;
    let mut hq =
        MemoryReplica::new(f.hq_enrollment.replica_id, Role::Hq, f.hq_key.clone()).expect("key");
    // More than two of the server's reply batches (4,000 ops each).
    for r in 0..9_000 {
        hq.write(dose(r, "V01")).expect("write");
    }
    let pushed = sync_session(&mut hq, &f.hq, server_id).expect("push");
    assert_eq!(pushed.sent_ops, 9_000);

    let mut reports = Vec::new();
    let mut logs = Vec::new();
    for prefetch in [true, false] {
        let (_, client, mut booth) = f.device(Role::Booth, "V01", "接種");
        let options = SessionOptions {
            prefetch,
            ..SessionOptions::default()
        };
        let report = sync_session_with(&mut booth, &client, server_id, options).expect("sync");
        assert_eq!(
            report.received_ops, 9_000,
            "prefetch {prefetch}: each op once"
        );
        assert_eq!(booth.log.len(), 9_000);
        assert_eq!(
            booth.node.replica(),
            hq.node.replica(),
            "prefetch {prefetch}"
        );
        reports.push(report.round_trips);
        logs.push(booth.log.iter().cloned().collect::<Vec<_>>());
    }
    assert_eq!(reports[0], reports[1], "no extra round trip");
    assert_eq!(logs[0], logs[1]);
}

/// The flooder of the fleet bench got a few errors per run that were not 429s (issue 15):
/// transport errors. A sync request refused for its device's rate is answered before its body
/// is read; a server that then closed the connection with the body unread made the kernel
/// reset it, and a client still sending the body saw `ConnectionReset` or `BrokenPipe`
/// instead of the 429 (and its `Retry-After`). A body larger than the socket buffers makes
/// that certain here; every refusal must arrive as a 429 all the same.
#[test]
fn a_device_over_its_rate_gets_every_refusal_as_a_429_even_mid_upload() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = store_location(dir.path());
    let db_arg = db.to_str().expect("utf-8");
    let code = cli(&[
        "enrollment",
        "create",
        "--db",
        db_arg,
        "--role",
        "booth",
        "--venue",
        "V01",
    ]);
    // One request, then none for a long while: every request after the first is refused.
    let server = ServerProcess::start_with(
        &db,
        None,
        "error",
        Stdio::null(),
        &["--rate-burst", "1", "--rate-per-second", "0.001"],
    );
    let key = new_device_key();
    let e = enroll(&server.url, code.trim(), "接種1", &key).expect("enroll");
    let client = Client::new(&server.url, &e.token);
    let mut booth = MemoryReplica::new(e.replica_id, e.role, key).expect("key");
    let server_id = e.server_replica_id;
    let mut state = SyncState::for_peer(server_id).trusting_peer_keys();
    // The first message introduces the device; it uses up the burst.
    let hello = booth
        .generate(&mut state)
        .expect("generate")
        .expect("hello");
    let reply = client
        .exchange(&hello)
        .expect("the first request is within the rate");
    booth.receive(&mut state, reply).expect("receive");
    for r in 1..=4_000 {
        booth.write(dose(r, "V01")).expect("write");
    }
    let big = booth.generate(&mut state).expect("generate").expect("ops");
    let bytes = big.encode().len();
    // A message's worth of ops (a batch is at most 4,000): several times what a loopback
    // socket buffers before the server reads.
    assert!(
        bytes > 400_000,
        "a body larger than the socket buffers: {bytes} bytes"
    );

    let mut other = std::collections::BTreeMap::<String, u32>::new();
    for _ in 0..20 {
        match client.exchange(&big) {
            Err(ClientError::Server {
                status: 429,
                code: ErrorCode::RateLimited,
                ..
            }) => {}
            Ok(_) => panic!("a request over the rate was accepted"),
            Err(e) => *other.entry(format!("{e:?}")).or_default() += 1,
        }
    }
    assert!(other.is_empty(), "refusals that were not 429s: {other:#?}");
}
