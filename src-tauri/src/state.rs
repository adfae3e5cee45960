//! The app's state: the ledger behind a lock, or why it could not be opened.

use std::path::PathBuf;
use std::sync::{Mutex, MutexGuard};

use chrono::{DateTime, FixedOffset, Utc};
use vax_ledger::Ledger;

use crate::IpcError;

/// Held by Tauri for the app's lifetime.
pub struct AppState {
    /// Where the ledger lives.
    pub path: PathBuf,
    ledger: Result<Mutex<Ledger>, String>,
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
        Self { path, ledger }
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
