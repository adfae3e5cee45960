//! Replication: the status every screen shows, a manual sync, enrollment with the sync server,
//! HQ's alerts. Syncing itself runs on vax-app's background thread, started with the app
//! ([`crate::build_app`]), which holds the ledger only for each local step.

use tauri::State;
use vax_app::sync::{
    self as app_sync, AlertView, Enrolled, SnapshotPublished, SyncRun, SyncStatus,
};

use crate::{AppState, IpcError};

/// The sync status.
#[tauri::command]
pub async fn sync_status(state: State<'_, AppState>) -> Result<SyncStatus, IpcError> {
    let mut ledger = state.ledger()?;
    Ok(app_sync::sync_status(&mut ledger, state.now())?)
}

/// Syncs now (the "今すぐ同期" button), without waiting for the next round.
#[tauri::command]
pub async fn sync_run(state: State<'_, AppState>) -> Result<SyncRun, IpcError> {
    Ok(app_sync::sync_now(&**state.shared_ledger()?, state.now())?)
}

/// Enrolls this device with the sync server using the code HQ gave, trusting the city's
/// private CA when one is pasted (docs/security.md).
#[tauri::command]
pub async fn sync_enroll(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
    device_name: String,
    municipality: String,
    ca_pem: Option<String>,
) -> Result<Enrolled, IpcError> {
    let (mut l, now) = (state.ledger()?, state.now());
    let (url, ca, name, city) = (&server_url, ca_pem.as_deref(), &device_name, &municipality);
    let enroll = app_sync::enroll_device_trusting;
    Ok(enroll(&mut l, url, &code, name, city, ca, now)?)
}

/// Open conflicts for HQ, from this device's merged state (works offline).
#[tauri::command]
pub async fn hq_sync_alerts(state: State<'_, AppState>) -> Result<Vec<AlertView>, IpcError> {
    Ok(app_sync::alert_views(&mut *state.ledger()?)?)
}

/// HQ resolves a duplicate dose: voids the record `uid` with a reason (it stays, marked). The
/// void replicates like any other change.
#[tauri::command]
pub async fn hq_void_dose(
    state: State<'_, AppState>,
    uid: String,
    reason: String,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    Ok(app_sync::void_dose_record(
        &mut ledger,
        &uid,
        &reason,
        state.now(),
    )?)
}

/// HQ resolves concurrent rebookings: keeps the booking written by `uid` for the resident's dose.
#[tauri::command]
pub async fn hq_choose_booking(
    state: State<'_, AppState>,
    voucher: String,
    dose_number: u8,
    uid: String,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    Ok(app_sync::choose_booking(
        &mut ledger,
        &voucher,
        dose_number,
        &uid,
    )?)
}

/// Asks the server for a new token for this device (one that may have leaked is refused from
/// then on).
#[tauri::command]
pub async fn sync_rotate_token(state: State<'_, AppState>) -> Result<(), IpcError> {
    Ok(app_sync::rotate_token(&mut *state.ledger()?)?)
}

/// HQ makes the snapshot of its municipalities and files it with the server, for new devices'
/// first sync (docs/sync-spec.md §7c).
#[tauri::command]
pub async fn hq_publish_snapshot(
    state: State<'_, AppState>,
) -> Result<SnapshotPublished, IpcError> {
    Ok(app_sync::publish_snapshot(
        &mut *state.ledger()?,
        state.now(),
    )?)
}
