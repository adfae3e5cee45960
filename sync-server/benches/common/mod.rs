//! An in-process sync server on loopback for the benchmarks, and small statistics helpers.
#![allow(dead_code)] // shared by both benches; each uses a part

use std::io::{BufRead, BufReader};
use std::path::{Path, PathBuf};
use std::process::{Child, ChildStdout, Command, Stdio};

use vax_sync::{ReplicaId, Role, VenueCode};
use vax_sync_client::{enroll, new_device_key, Client, Enrolled, MemoryReplica};
use vax_sync_server::loopback::LoopbackServer;

/// The server on loopback (two runtime threads), with HQ enrolled.
pub struct BenchServer {
    pub url: String,
    pub server_id: ReplicaId,
    pub hq: Client,
    pub hq_enrollment: Enrolled,
    /// HQ's replica, signing with the key it enrolled with.
    pub hq_replica: Option<MemoryReplica>,
    _server: LoopbackServer,
    /// Other `vaxsync` processes in front of the same store ([`BenchServer::add_instance`]).
    more: Vec<ServerProcess>,
}

/// A `vaxsync serve` process, killed when dropped.
struct ServerProcess {
    child: Child,
    _stdout: BufReader<ChildStdout>,
}

impl Drop for ServerProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

impl BenchServer {
    pub fn start(db: &Path) -> Self {
        Self::start_with_limits(db, vax_sync_server::Limits::default())
    }

    /// [`BenchServer::start`] with the given limits.
    ///
    /// `BENCH_ENCRYPTED=1` encrypts a SQLite store at rest first (`vaxsync store encrypt`, the
    /// key file beside it), to measure what encryption costs the same run.
    pub fn start_with_limits(db: &Path, limits: vax_sync_server::Limits) -> Self {
        let key = encrypted_store(db);
        let server = LoopbackServer::start_keyed(db, key, 0, 2, limits).expect("start the server");
        let url = server.url();
        let code = server.enrollment_code(Role::Hq, None).expect("hq code");
        let hq_key = new_device_key();
        let hq_enrollment = enroll(&url, &code, "本部", &hq_key).expect("enroll hq");
        let hq_replica = MemoryReplica::new(hq_enrollment.replica_id, Role::Hq, hq_key).ok();
        let hq = Client::new(&url, &hq_enrollment.token);
        Self {
            url,
            server_id: hq_enrollment.server_replica_id,
            hq,
            hq_enrollment,
            hq_replica,
            _server: server,
            more: Vec::new(),
        }
    }

    /// Another server in front of the same store (a PostgreSQL database): a `vaxsync serve`
    /// process of this build (release under `cargo bench`), on its own loopback port, with the
    /// same pacing, sharing nothing with this one but the database. Returns its URL (and keeps
    /// it running with `self`).
    pub fn add_instance(&mut self, db: &Path, limits: vax_sync_server::Limits) -> String {
        let mut child = Command::new(env!("CARGO_BIN_EXE_vaxsync"))
            .arg("serve")
            .arg("--db")
            .arg(db)
            .args(["--listen", "127.0.0.1:0"])
            .arg("--paced-ops-per-author")
            .arg(limits.paced_ops_per_author.to_string())
            .env("RUST_LOG", "warn")
            .stdout(Stdio::piped())
            .stderr(Stdio::inherit())
            .spawn()
            .expect("start a second vaxsync");
        let mut stdout = BufReader::new(child.stdout.take().expect("its stdout"));
        let mut line = String::new();
        stdout.read_line(&mut line).expect("its first line");
        let url = line
            .trim()
            .strip_prefix("listening on ")
            .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
            .to_owned();
        self.more.push(ServerProcess {
            child,
            _stdout: stdout,
        });
        url
    }

    /// A device of a partial replica (docs/sync-spec.md §7b) holding `scope`, enrolled at `url`
    /// (this server or another instance) with a code made in the store.
    pub fn enroll_scoped(
        &self,
        url: &str,
        role: Role,
        venue: &str,
        scope: Vec<vax_domain::voucher::MunicipalityCode>,
        name: &str,
    ) -> (Enrolled, MemoryReplica) {
        let code = self
            ._server
            .scoped_enrollment_code(role, Some(venue), scope)
            .expect("code");
        let key = new_device_key();
        let e = enroll(url, &code, name, &key).expect("enroll");
        let replica = MemoryReplica::new(e.replica_id, e.role, key).expect("key");
        (e, replica)
    }

    /// A device enrolled with a fresh key, and its empty replica signing with that key.
    pub fn enroll(&self, role: Role, venue: Option<&str>, name: &str) -> (Enrolled, MemoryReplica) {
        let venue = venue.map(VenueCode::new);
        let code = self
            .hq
            .create_enrollment_code(role, venue.as_ref(), &[], 24)
            .expect("code");
        let key = new_device_key();
        let e = enroll(&self.url, &code, name, &key).expect("enroll");
        let replica = MemoryReplica::new(e.replica_id, e.role, key).expect("key");
        (e, replica)
    }
}

/// With `BENCH_ENCRYPTED=1` and a SQLite store: encrypts it and returns its key.
fn encrypted_store(db: &Path) -> Option<vax_sync_server::StoreKey> {
    let sqlite = !db.to_string_lossy().contains("://");
    if env_or("BENCH_ENCRYPTED", 0u8) != 1 || !sqlite {
        println!("store encryption: none");
        return None;
    }
    let key_file = PathBuf::from(format!("{}.key", db.display()));
    vax_sync_server::at_rest::encrypt_store(db, &key_file).expect("encrypt the store");
    println!(
        "store encryption: SQLCipher (key file {})",
        key_file.display()
    );
    Some(vax_sync_server::at_rest::read_key_file(&key_file).expect("the key"))
}

/// The value at quantile `q` of sorted samples.
pub fn quantile(sorted: &[f64], q: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    let index = ((sorted.len() - 1) as f64 * q).round() as usize;
    sorted[index.min(sorted.len() - 1)]
}

pub fn env_or<T: std::str::FromStr>(name: &str, default: T) -> T {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

/// `cargo test --all-targets` runs bench targets without `--bench`: do nothing then.
pub fn is_bench_run() -> bool {
    std::env::args().any(|a| a == "--bench")
}

/// Where a benchmark's server keeps its ledger: a fresh database of the PostgreSQL cluster in
/// `VAXSYNC_TEST_POSTGRES` (run under `scripts/with-postgres.sh`), else a SQLite file in `dir`.
pub fn bench_store(dir: &Path, file: &str) -> PathBuf {
    let Some(cluster) = std::env::var("VAXSYNC_TEST_POSTGRES")
        .ok()
        .filter(|u| !u.is_empty())
    else {
        println!("store: SQLite ({file})");
        return dir.join(file);
    };
    let name = format!("bench_{}", uuid::Uuid::now_v7().simple());
    let (admin, create) = (cluster.clone(), format!("CREATE DATABASE {name}"));
    std::thread::spawn(move || {
        let mut client =
            postgres::Client::connect(&admin, postgres::NoTls).expect("connect to the cluster");
        client.batch_execute(&create).expect("create a database");
    })
    .join()
    .expect("database created");
    let (base, _) = cluster.rsplit_once('/').expect("a database in the URL");
    println!("store: PostgreSQL (database {name})");
    PathBuf::from(format!("{base}/{name}"))
}
