//! The app's state: the configuration read once, the clock, the ledger behind a lock (or why
//! it is not open: encrypted and waiting for its passphrase, or failed), the camera and the
//! voucher batch.

use std::path::PathBuf;
use std::sync::{Arc, Mutex, MutexGuard, OnceLock};

use chrono::{DateTime, FixedOffset};
use vax_app::config::{AppConfig, Folders};
use vax_app::desk::camera::DeskCameraSlot;
use vax_app::print::VoucherBatch;
use vax_app::relay_host::RelayHost;
use vax_domain::clock::Clock;
use vax_domain::error::{ErrorCode, UserError, UserFacing};
use vax_ledger::{Ledger, LedgerError};

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
    /// Set once open: at start for a plain ledger, at [`AppState::unlock`] for an encrypted one.
    ledger: OnceLock<Arc<Mutex<Ledger>>>,
    /// Why the ledger is not open (yet).
    closed: UserError,
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
    /// the configured clock. An encrypted ledger waits for [`AppState::unlock`]. A failure is
    /// kept and reported by every command, so the window can show it instead of vanishing.
    pub fn open(config: AppConfig, path: PathBuf) -> Self {
        let clock = config.clock();
        let ledger = OnceLock::new();
        // Reported while the ledger is not open: locked until unlocked, or why it failed.
        let mut closed = LedgerError::Locked { path: path.clone() }.to_user_error();
        if !vax_app::unlock::is_locked(&path) {
            if let Err(e) = Ledger::open(&path).and_then(|l| Self::keep(&ledger, l, &clock)) {
                closed = unavailable(&e);
            }
        }
        let folders = Folders::beside(&path);
        Self {
            folders: folders.clone(),
            config,
            clock,
            path,
            ledger,
            closed,
            camera: Mutex::new(DeskCameraSlot::default()),
            voucher_batch: Mutex::new(VoucherBatch::default()),
            relay_host: Mutex::new(RelayHost::new(folders.relay())),
        }
    }

    /// Whether the ledger is encrypted and not unlocked yet: the window asks for the venue's
    /// passphrase before anything else.
    pub fn is_locked(&self) -> bool {
        self.ledger.get().is_none() && vax_app::unlock::is_locked(&self.path)
    }

    /// Opens the encrypted ledger with the venue's passphrase or HQ's recovery code; true
    /// when this call opened it. A wrong one changes nothing; once open, a call does nothing.
    pub fn unlock(&self, typed: &str) -> Result<bool, IpcError> {
        if self.ledger.get().is_some() {
            return Ok(false);
        }
        let opened = vax_app::unlock::unlock(&self.path, typed)?;
        Self::keep(&self.ledger, opened, &self.clock).map_err(|e| IpcError(unavailable(&e)))
    }

    /// Keeps the opened ledger; false when another unlock kept one first (this connection
    /// is closed then).
    fn keep(
        slot: &OnceLock<Arc<Mutex<Ledger>>>,
        mut ledger: Ledger,
        clock: &Arc<dyn Clock>,
    ) -> Result<bool, LedgerError> {
        ledger.set_clock(Arc::clone(clock))?;
        Ok(slot.set(Arc::new(Mutex::new(ledger))).is_ok())
    }

    /// Now, in Japan time.
    pub fn now(&self) -> DateTime<FixedOffset> {
        self.clock.now()
    }

    /// The ledger shared with the background sync, which locks it only for each local step.
    pub fn shared_ledger(&self) -> Result<&Arc<Mutex<Ledger>>, IpcError> {
        self.ledger
            .get()
            .ok_or_else(|| IpcError(self.closed.clone()))
    }

    /// The ledger, locked for one command.
    pub fn ledger(&self) -> Result<MutexGuard<'_, Ledger>, IpcError> {
        Ok(lock(self.shared_ledger()?))
    }
}

/// The ledger cannot be opened, and why.
fn unavailable(e: &LedgerError) -> UserError {
    let why = error_chain(e);
    UserError::new(
        ErrorCode::LedgerUnavailable,
        format!("the ledger cannot be opened: {why}"),
        format!("台帳を開けません: {why}"),
    )
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
