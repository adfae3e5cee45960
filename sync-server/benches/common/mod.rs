//! An in-process sync server on loopback for the benchmarks, and small statistics helpers.
#![allow(dead_code)] // shared by both benches; each uses a part

use std::net::TcpListener;
use std::path::Path;
use std::thread::JoinHandle;

use tokio::sync::oneshot;
use vax_sync::{ReplicaId, Role, VenueCode};
use vax_sync_client::{enroll, Client, Enrollment};
use vax_sync_server::core::create_enrollment_code;
use vax_sync_server::serve::serve;
use vax_sync_server::{open_sqlite, SqliteStore};

pub struct BenchServer {
    pub url: String,
    pub server_id: ReplicaId,
    pub hq: Client,
    pub hq_enrollment: Enrollment,
    stop: Option<oneshot::Sender<()>>,
    thread: Option<JoinHandle<()>>,
}

impl BenchServer {
    pub fn start(db: &Path) -> Self {
        let mut store = SqliteStore::open(db).expect("open db");
        let (code, _) = create_enrollment_code(&mut store, Role::Hq, None, 24, chrono::Utc::now())
            .expect("hq code");
        drop(store);
        let state = open_sqlite(db).expect("open state");
        let server_id = state.server_id();
        let listener = TcpListener::bind("127.0.0.1:0").expect("bind");
        let url = format!("http://{}", listener.local_addr().expect("addr"));
        let (stop, stopped) = oneshot::channel::<()>();
        let thread = std::thread::spawn(move || {
            let runtime = tokio::runtime::Builder::new_multi_thread()
                .worker_threads(2)
                .enable_all()
                .build()
                .expect("runtime");
            runtime
                .block_on(serve(listener, state, None, async {
                    let _ = stopped.await;
                }))
                .expect("serve");
        });
        let hq_enrollment = enroll(&url, &code, "本部").expect("enroll hq");
        let hq = Client::new(&url, &hq_enrollment.token);
        Self {
            url,
            server_id,
            hq,
            hq_enrollment,
            stop: Some(stop),
            thread: Some(thread),
        }
    }

    pub fn enroll(&self, role: Role, venue: Option<&str>, name: &str) -> Enrollment {
        let venue = venue.map(VenueCode::new);
        let code = self
            .hq
            .create_enrollment_code(role, venue.as_ref(), 24)
            .expect("code");
        enroll(&self.url, &code, name).expect("enroll")
    }
}

impl Drop for BenchServer {
    fn drop(&mut self) {
        if let Some(stop) = self.stop.take() {
            let _ = stop.send(());
        }
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
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
