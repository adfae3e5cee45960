//! The start of the day at a venue whose ledger is encrypted: the unlock screen.

use tauri::{AppHandle, Runtime, State};

use crate::{AppState, IpcError};

/// Whether the ledger waits for the venue's passphrase.
#[tauri::command]
pub async fn unlock_status(state: State<'_, AppState>) -> Result<bool, IpcError> {
    Ok(state.is_locked())
}

/// Opens the encrypted ledger with the venue's passphrase or HQ's recovery code, then starts
/// its background sync (and the venue relay, when this kiosk hosts it).
#[tauri::command]
pub async fn unlock_ledger<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
    passphrase: String,
) -> Result<(), IpcError> {
    if state.unlock(&passphrase)? {
        crate::ledger_opened(&app).map_err(crate::IpcError::internal)?;
    }
    Ok(())
}
