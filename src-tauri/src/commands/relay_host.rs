//! This kiosk as the venue's relay (issue 17): the manager enrolls it with HQ's relay code,
//! starts and stops it; the relay runs in the app's process (vax_app::relay_host).

use tauri::State;
use vax_app::relay_host::{
    enroll_relay_host, relay_host_status as status_of, start_relay_host, stop_relay_host,
    RelayHostStatus,
};

use crate::state::lock;
use crate::{AppState, IpcError};

/// Whether this kiosk runs the relay, and its join code (text and QR) when it does.
#[tauri::command]
pub async fn relay_host_status(state: State<'_, AppState>) -> Result<RelayHostStatus, IpcError> {
    let host = lock(&state.relay_host);
    Ok(status_of(&host, &*state.ledger()?)?)
}

/// Enrolls the venue relay on this kiosk with the relay code HQ made for the venue.
#[tauri::command]
pub async fn relay_host_enroll(
    state: State<'_, AppState>,
    code: String,
    name: String,
) -> Result<RelayHostStatus, IpcError> {
    let host = lock(&state.relay_host);
    Ok(enroll_relay_host(&host, &*state.ledger()?, &code, &name)?)
}

/// Makes this kiosk the venue's relay now and at every start of the app.
#[tauri::command]
pub async fn relay_host_start(state: State<'_, AppState>) -> Result<RelayHostStatus, IpcError> {
    let mut host = lock(&state.relay_host);
    let settings = &state.config.relay_host;
    Ok(start_relay_host(
        &mut host,
        &mut *state.ledger()?,
        settings,
    )?)
}

/// Stops the relay on this kiosk (and at the next start of the app).
#[tauri::command]
pub async fn relay_host_stop(state: State<'_, AppState>) -> Result<RelayHostStatus, IpcError> {
    let mut host = lock(&state.relay_host);
    Ok(stop_relay_host(&mut host, &mut *state.ledger()?)?)
}
