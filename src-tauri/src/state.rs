//! The app's state: the ledger behind a lock, or why it could not be opened.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, Utc};
use vax_app::desk::camera::{CameraChoice, DeskCamera};
use vax_app::print::VoucherJob;
use vax_ledger::Ledger;

use crate::IpcError;

/// Held by Tauri for the app's lifetime.
pub struct AppState {
    /// Where the ledger lives.
    pub path: PathBuf,
    ledger: Result<Mutex<Ledger>, String>,
    /// What the reception's camera button opens (see [`camera_choice_from_env`]).
    pub camera_choice: CameraChoice,
    /// The running camera, if the desk switched it on.
    pub camera: Mutex<Option<DeskCamera>>,
    /// HQ's city-wide voucher batch, running or finished.
    pub voucher_print: Mutex<Option<VoucherPrint>>,
}

/// A voucher batch started from the HQ screen.
pub struct VoucherPrint {
    /// The job.
    pub job: VoucherJob,
    /// Whether the folder was opened in the file manager once the job finished.
    pub opened: bool,
}

/// `VAXLEDGER_FAKE_CAMERA=<folder of images>` makes the camera button open a fake camera
/// looping over those images (end-to-end tests, demonstrations); otherwise the first webcam.
pub fn camera_choice_from_env() -> CameraChoice {
    match std::env::var_os("VAXLEDGER_FAKE_CAMERA") {
        Some(dir) if !dir.is_empty() => CameraChoice::Folder(PathBuf::from(dir)),
        _ => CameraChoice::Device(0),
    }
}

/// Locks a mutex, ignoring poisoning (a panicked command leaves the data usable).
pub fn lock<T>(m: &Mutex<T>) -> MutexGuard<'_, T> {
    m.lock().unwrap_or_else(std::sync::PoisonError::into_inner)
}

impl AppState {
    /// Opens (creating and migrating as needed) the ledger at `path`. A failure is kept and
    /// reported by every command, so the window can show it instead of vanishing.
    pub fn open(path: PathBuf) -> Self {
        let ledger = Ledger::open(&path).map(Mutex::new).map_err(|e| {
            let mut message = e.to_string();
            let mut source = std::error::Error::source(&e);
            while let Some(s) = source {
                message.push_str(&format!(": {s}"));
                source = s.source();
            }
            message
        });
        Self {
            path,
            ledger,
            camera_choice: camera_choice_from_env(),
            camera: Mutex::new(None),
            voucher_print: Mutex::new(None),
        }
    }

    /// The ledger's lock itself, for work that takes it step by step (a sync session).
    pub fn ledger_lock(&self) -> Result<&Mutex<Ledger>, IpcError> {
        self.ledger
            .as_ref()
            .map_err(|message| IpcError::ledger_unavailable(message))
    }

    /// The ledger, locked for one command.
    pub fn ledger(&self) -> Result<MutexGuard<'_, Ledger>, IpcError> {
        match &self.ledger {
            Ok(m) => Ok(m.lock().unwrap_or_else(|poisoned| poisoned.into_inner())),
            Err(message) => Err(IpcError::ledger_unavailable(message)),
        }
    }
}

/// Now, in Japan time: the campaign's clock. `VAXLEDGER_NOW` (RFC 3339) pins it for
/// demonstrations and tests.
pub fn now_jst() -> DateTime<FixedOffset> {
    if let Some(fixed) = std::env::var("VAXLEDGER_NOW")
        .ok()
        .and_then(|s| DateTime::parse_from_rfc3339(&s).ok())
    {
        return fixed;
    }
    let jst = FixedOffset::east_opt(9 * 3600).expect("valid offset");
    Utc::now().with_timezone(&jst)
}
