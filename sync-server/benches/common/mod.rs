//! An in-process sync server on loopback for the benchmarks, and small statistics helpers.
#![allow(dead_code)] // shared by both benches; each uses a part

use std::path::Path;

use vax_sync::{ReplicaId, Role, VenueCode};
use vax_sync_client::{enroll, Client, Enrolled};
use vax_sync_server::loopback::LoopbackServer;

/// The server on loopback (two runtime threads), with HQ enrolled.
pub struct BenchServer {
    pub url: String,
    pub server_id: ReplicaId,
    pub hq: Client,
    pub hq_enrollment: Enrolled,
    _server: LoopbackServer,
}

impl BenchServer {
    pub fn start(db: &Path) -> Self {
        let server = LoopbackServer::start_with_workers(db, 0, 2).expect("start the server");
        let url = server.url();
        let code = server.enrollment_code(Role::Hq, None).expect("hq code");
        let hq_enrollment = enroll(&url, &code, "本部").expect("enroll hq");
        let hq = Client::new(&url, &hq_enrollment.token);
        Self {
            url,
            server_id: hq_enrollment.server_replica_id,
            hq,
            hq_enrollment,
            _server: server,
        }
    }

    pub fn enroll(&self, role: Role, venue: Option<&str>, name: &str) -> Enrolled {
        let venue = venue.map(VenueCode::new);
        let code = self
            .hq
            .create_enrollment_code(role, venue.as_ref(), 24)
            .expect("code");
        enroll(&self.url, &code, name).expect("enroll")
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
