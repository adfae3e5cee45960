//! The app's state: the configuration read once, the clock, the ledger behind a lock (or why
//! it could not be opened), the camera and the voucher batch.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset};
use vax_app::config::{AppConfig, Folders};
use vax_app::desk::camera::DeskCameraSlot;
use vax_app::print::VoucherBatch;
use vax_app::relay_host::RelayHost;
use vax_domain::clock::Clock;
use vax_domain::error::{ErrorCode, UserError};
use vax_ledger::Ledger;

use crate::IpcError;

/// Held by Tauri for the app's lifetime.
pub struct AppState {
    /// The environment, read once at start.
    pub config: AppConfig,
    /// The one time source: every command's "now" and every op's timestamp.
    pub clock: Arc<dyn Clock>,
    /// Where the ledger lives.
    pub path: PathBuf,
    /// Where documents go: beside the ledger.
    pub folders: Folders,
    ledger: Result<Arc<Mutex<Ledger>>, UserError>,
    /// The reception's camera.
    pub camera: Mutex<DeskCameraSlot>,
    /// HQ's city-wide voucher batch, running or finished.
    pub voucher_batch: Mutex<VoucherBatch>,
    /// The venue relay this kiosk runs, if the manager made it the relay (issue 17).
    pub relay_host: Mutex<RelayHost>,
}

/// Locks a mutex, ignoring poisoning (a panicked command leaves the data usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AppState {
    /// Opens (creating and migrating as needed) the ledger at `path`, stamping its ops with
    /// the configured clock. A failure is kept and reported by every command, so the window
    /// can show it instead of vanishing.
    pub fn open(config: AppConfig, path: PathBuf) -> Self {
        let clock = config.clock();
        let ledger = Ledger::open(&path)
            .and_then(|mut l| l.set_clock(Arc::clone(&clock)).map(|()| l))
            .map(|l| Arc::new(Mutex::new(l)))
            .map_err(|e| {
                let why = error_chain(&e);
                UserError::new(
                    ErrorCode::LedgerUnavailable,
                    format!("the ledger cannot be opened: {why}"),
                    format!("台帳を開けません: {why}"),
                )
            });
        let folders = Folders::beside(&path);
        Self {
            folders: folders.clone(),
            config,
            clock,
            path,
            ledger,
            camera: Mutex::new(DeskCameraSlot::default()),
            voucher_batch: Mutex::new(VoucherBatch::default()),
            relay_host: Mutex::new(RelayHost::new(folders.relay())),
        }
    }

    /// Now, in Japan time.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    /// The ledger shared with the background sync, which locks it only for each local step.
    pub fn shared_ledger(&self) -> Result<&Arc<Mutex<Ledger>>, IpcError> {
        self.ledger.as_ref().map_err(|e| IpcError(e.clone()))
    }

    /// The ledger, locked for one command.
    pub fn ledger(&self) -> Result<MutexGuard<'_, Ledger>, IpcError> {
        Ok(lock(self.shared_ledger()?))
    }
}

fn error_chain(e: &dyn std::error::Error) -> String {
    let mut message = e.to_string();
    let mut source = e.source();
    while let Some(s) = source {
        message.push_str(&format!(": {s}"));
        source = s.source();
    }
    message
}
