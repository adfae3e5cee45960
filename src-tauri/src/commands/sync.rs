//! Replication: the status every screen shows, a manual sync, enrollment with the sync server,
//! HQ's alerts. Syncing itself runs on a background thread ([`start_background_sync`]) that
//! holds the ledger only for each local step, so desks keep working while bytes travel.

use std::sync::atomic::{AtomicBool, Ordering};
use std::time::Duration;

use tauri::{AppHandle, Manager, Runtime, State};
use vax_app::sync::{
    self as app_sync, describe, AlertView, Enrolled, SyncAppError, SyncRun, SyncStatus,
};
use vax_domain::voucher::MunicipalityCode;

use crate::state::now_jst;
use crate::{AppState, IpcError};

impl From<SyncAppError> for IpcError {
    fn from(e: SyncAppError) -> Self {
        Self::new(e.code(), e.to_string(), e.message_ja())
    }
}

static BACKGROUND_STARTED: AtomicBool = AtomicBool::new(false);

/// Seconds between background syncs: `VAXLEDGER_SYNC_SECONDS`, default 10.
fn interval() -> Duration {
    let seconds = std::env::var("VAXLEDGER_SYNC_SECONDS")
        .ok()
        .and_then(|s| s.parse().ok())
        .filter(|s: &u64| *s > 0)
        .unwrap_or(10);
    Duration::from_secs(seconds)
}

/// Starts the background sync thread once per process. It syncs whenever a server is
/// configured and records each outcome for the status; failures are retried next round.
fn start_background_sync<R: Runtime>(app: &AppHandle<R>) {
    if BACKGROUND_STARTED.swap(true, Ordering::SeqCst) {
        return;
    }
    let app = app.clone();
    std::thread::spawn(move || loop {
        let state = app.state::<AppState>();
        if let Ok(ledger) = state.ledger_lock() {
            let configured = {
                let guard = ledger
                    .lock()
                    .unwrap_or_else(std::sync::PoisonError::into_inner);
                app_sync::is_configured(&guard).unwrap_or(false)
            };
            if configured {
                // The outcome (and any error) is recorded in the ledger for the status.
                let _ = app_sync::sync_now(ledger, now_jst());
            }
        }
        std::thread::sleep(interval());
    });
}

/// The sync status; the first call starts the background sync.
#[tauri::command]
pub async fn sync_status<R: Runtime>(
    app: AppHandle<R>,
    state: State<'_, AppState>,
) -> Result<SyncStatus, IpcError> {
    start_background_sync(&app);
    let mut ledger = state.ledger()?;
    Ok(app_sync::sync_status(&mut ledger, now_jst())?)
}

/// Syncs now (the "今すぐ同期" button), without waiting for the next round.
#[tauri::command]
pub async fn sync_run(state: State<'_, AppState>) -> Result<SyncRun, IpcError> {
    let ledger = state.ledger_lock()?;
    Ok(app_sync::sync_now(ledger, now_jst())?)
}

/// Enrolls this device with the sync server using the code HQ gave.
#[tauri::command]
pub async fn sync_enroll(
    state: State<'_, AppState>,
    server_url: String,
    code: String,
    device_name: String,
    municipality: String,
) -> Result<Enrolled, IpcError> {
    let municipality = MunicipalityCode::parse(municipality.trim()).map_err(|e| {
        IpcError::invalid(
            &format!("municipality code: {e}"),
            &format!("市町村コード: {}", e.message_ja()),
        )
    })?;
    let mut ledger = state.ledger()?;
    Ok(app_sync::enroll_device(
        &mut ledger,
        &server_url,
        &code,
        &device_name,
        &municipality,
        now_jst(),
    )?)
}

/// Open conflicts for HQ, from this device's merged state (works offline).
#[tauri::command]
pub async fn hq_sync_alerts(state: State<'_, AppState>) -> Result<Vec<AlertView>, IpcError> {
    let mut ledger = state.ledger()?;
    Ok(app_sync::alerts(&mut ledger)?
        .iter()
        .map(describe)
        .collect())
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
        now_jst(),
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
