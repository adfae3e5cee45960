//! Reception's camera: switch it on, poll it for the preview and the reads, switch it off.
//!
//! The decoding runs on vax-scan's thread; each read is looked up by vax-app's
//! `camera_scan`, the same `desk_find` the scan field calls.

use tauri::State;
use vax_app::desk::camera::CameraUpdate;
use vax_app::desk::enrolled;

use crate::state::lock;
use crate::{AppState, IpcError};

/// Switches the camera on (nothing happens if it is on already). Fails with `NO_CAMERA` on
/// a kiosk without a camera.
#[tauri::command]
pub async fn reception_camera_start(state: State<'_, AppState>) -> Result<(), IpcError> {
    enrolled(&*state.ledger()?)?;
    Ok(lock(&state.camera).start(&state.config.camera_choice())?)
}

/// The newest preview and the reads since the last poll.
#[tauri::command]
pub async fn reception_camera_poll(state: State<'_, AppState>) -> Result<CameraUpdate, IpcError> {
    Ok(lock(&state.camera).poll(state.shared_ledger()?, state.now())?)
}

/// Switches the camera off and releases it.
#[tauri::command]
pub async fn reception_camera_stop(state: State<'_, AppState>) -> Result<(), IpcError> {
    lock(&state.camera).stop();
    Ok(())
}
