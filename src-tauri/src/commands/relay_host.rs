//! This kiosk as the venue's relay (issue 17): the manager enrolls it with HQ's relay code,
//! starts and stops it; the relay runs in the app's process (vax_app::relay_host).

use tauri::State;
use vax_app::relay_host::{
    enroll_relay_host, relay_host_status as status_of, start_relay_host, stop_relay_host,
    RelayHostStatus,
};

use vax_app::desk::enrolled;
use vax_app::relay::join_relay;
use vax_app::relay_discovery::{discover_venue_relays, discovered_join_code, DiscoveredRelay};

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

/// The venue relays advertised on this LAN by mDNS (this kiosk's venue), for a joining kiosk.
#[tauri::command]
pub async fn relay_discover(state: State<'_, AppState>) -> Result<Vec<DiscoveredRelay>, IpcError> {
    // The venue first: the ledger is not held while listening on the LAN.
    let venue = enrolled(&*state.ledger()?).ok().map(|e| e.venue_code);
    Ok(discover_venue_relays(
        venue.as_deref(),
        &state.config.relay_host,
    )?)
}

/// Joins a relay picked from the list, with the pairing code the manager's screen shows.
#[tauri::command]
pub async fn relay_join_discovered(
    state: State<'_, AppState>,
    relay: DiscoveredRelay,
    pairing: String,
) -> Result<String, IpcError> {
    let code = discovered_join_code(&relay, &pairing)?;
    Ok(join_relay(&mut *state.ledger()?, &code.to_text())?.url)
}
