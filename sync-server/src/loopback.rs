//! A server on a loopback port inside the calling process: for tests and benchmarks of
//! clients (the app's ledger, the fleet). Real HTTP, real SQLite file; [`LoopbackServer::kill`]
//! drops it abruptly, as a crash would, and [`LoopbackServer::start`] on the same file and
//! port brings it back.

use std::net::{SocketAddr, TcpListener};
use std::path::{Path, PathBuf};

use vax_domain::clock::{Clock, SystemClock};
use vax_sync::{Role, VenueCode};

use crate::at_rest::StoreKey;
use crate::error::ApiError;
use crate::open_store_keyed;
use crate::store::StoreError;

/// Why the loopback server did not start.
#[derive(Debug, thiserror::Error)]
pub enum LoopbackError {
    /// Binding or the runtime failed.
    #[error(transparent)]
    Io(#[from] std::io::Error),
    /// The store failed.
    #[error(transparent)]
    Store(#[from] StoreError),
    /// The enrollment code was refused.
    #[error("{0:?}")]
    Code(ApiError),
}

/// A running server.
pub struct LoopbackServer {
    addr: SocketAddr,
    db: PathBuf,
    key: Option<StoreKey>,
    runtime: Option<tokio::runtime::Runtime>,
}

impl LoopbackServer {
    /// Serves the store at `db` on `127.0.0.1:port` (0 picks a free port), on one runtime
    /// worker thread.
    pub fn start(db: &Path, port: u16) -> Result<Self, LoopbackError> {
        Self::start_with_workers(db, port, 1)
    }

    /// [`LoopbackServer::start`] with `workers` runtime threads (benchmarks of many clients).
    pub fn start_with_workers(db: &Path, port: u16, workers: usize) -> Result<Self, LoopbackError> {
        Self::start_with_limits(db, port, workers, crate::Limits::default())
    }

    /// [`LoopbackServer::start_with_workers`] with the given limits (the fleet bench compares
    /// pacing settings).
    pub fn start_with_limits(
        db: &Path,
        port: u16,
        workers: usize,
        limits: crate::Limits,
    ) -> Result<Self, LoopbackError> {
        Self::start_keyed(db, None, port, workers, limits)
    }

    /// [`LoopbackServer::start_with_limits`] on a store encrypted at rest under `key` (the
    /// fleet bench measures what encryption costs).
    pub fn start_keyed(
        db: &Path,
        key: Option<StoreKey>,
        port: u16,
        workers: usize,
        limits: crate::Limits,
    ) -> Result<Self, LoopbackError> {
        let listener = TcpListener::bind(("127.0.0.1", port))?;
        let addr = listener.local_addr()?;
        let state = crate::open_state_keyed(db, key.as_ref(), limits)?;
        let runtime = tokio::runtime::Builder::new_multi_thread()
            .worker_threads(workers.max(1))
            .enable_all()
            .build()?;
        runtime.spawn(async move {
            let _ = crate::serve::serve(listener, state, None, std::future::pending()).await;
        });
        Ok(Self {
            addr,
            db: db.to_owned(),
            key,
            runtime: Some(runtime),
        })
    }

    /// `http://127.0.0.1:PORT`.
    pub fn url(&self) -> String {
        format!("http://{}", self.addr)
    }

    /// The port, to start again on it after [`LoopbackServer::kill`].
    pub fn port(&self) -> u16 {
        self.addr.port()
    }

    /// Creates a one-time enrollment code directly in the store (as `vaxsync enrollment
    /// create` does).
    pub fn enrollment_code(
        &self,
        role: Role,
        venue: Option<&str>,
    ) -> Result<String, LoopbackError> {
        self.scoped_enrollment_code(role, venue, Vec::new())
    }

    /// [`LoopbackServer::enrollment_code`] for a partial replica of the municipalities of
    /// `scope` (docs/sync-spec.md §7b).
    pub fn scoped_enrollment_code(
        &self,
        role: Role,
        venue: Option<&str>,
        scope: Vec<vax_domain::voucher::MunicipalityCode>,
    ) -> Result<String, LoopbackError> {
        let mut store = open_store_keyed(&self.db, self.key.as_ref())?;
        let (code, _) = crate::core::create_scoped_enrollment_code(
            &mut *store,
            role,
            venue.map(VenueCode::new),
            scope,
            24,
            SystemClock.now_utc(),
        )
        .map_err(LoopbackError::Code)?;
        Ok(code)
    }

    /// Stops at once, dropping requests in flight, as a crash would.
    pub fn kill(mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}

impl Drop for LoopbackServer {
    fn drop(&mut self) {
        if let Some(rt) = self.runtime.take() {
            rt.shutdown_background();
        }
    }
}
