//! Reception's camera: switch it on, poll it for the preview and the reads, switch it off.
//!
//! The decoding runs on vax-scan's thread; each read is looked up by vax-app's
//! `camera_scan`, the same `desk_find` the scan field calls.

use base64::Engine;
use serde::Serialize;
use tauri::State;
use vax_app::desk::camera::{CameraError, CameraRead, DeskCamera};

use super::enrolled;
use crate::state::{lock, now_jst};
use crate::{AppState, IpcError};

impl From<CameraError> for IpcError {
    fn from(e: CameraError) -> Self {
        IpcError::new(e.code(), e.to_string(), e.message_ja())
    }
}

/// What the reception screen gets on each poll.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct CameraUpdate {
    /// Whether the camera is on.
    pub running: bool,
    /// A newer preview picture, as a `data:image/jpeg;base64,…` URL.
    pub preview: Option<String>,
    /// Codes read since the last poll, looked up.
    pub reads: Vec<CameraRead>,
    /// Set when the camera stopped by itself; the desk goes on with the USB scanner.
    pub stopped: Option<IpcError>,
}

/// Switches the camera on (nothing happens if it is on already). Fails with `NO_CAMERA` on
/// a kiosk without a camera.
#[tauri::command]
pub async fn reception_camera_start(state: State<'_, AppState>) -> Result<(), IpcError> {
    enrolled(&*state.ledger()?)?;
    let mut camera = lock(&state.camera);
    if camera.is_none() {
        *camera = Some(DeskCamera::start(state.camera_choice.clone())?);
    }
    Ok(())
}

/// The newest preview and the reads since the last poll.
#[tauri::command]
pub async fn reception_camera_poll(state: State<'_, AppState>) -> Result<CameraUpdate, IpcError> {
    let mut slot = lock(&state.camera);
    let Some(camera) = slot.as_mut() else {
        return Ok(CameraUpdate {
            running: false,
            preview: None,
            reads: Vec::new(),
            stopped: None,
        });
    };
    let ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    let poll = camera.poll(&ledger, &e, now_jst());
    let stopped = poll
        .stopped
        .map(|s| IpcError::new(s.code, s.message, s.message_ja));
    if stopped.is_some() {
        if let Some(camera) = slot.take() {
            camera.stop();
        }
    }
    Ok(CameraUpdate {
        running: slot.is_some(),
        preview: poll.preview.map(|p| {
            format!(
                "data:image/jpeg;base64,{}",
                base64::engine::general_purpose::STANDARD.encode(&p.jpeg)
            )
        }),
        reads: poll.reads,
        stopped,
    })
}

/// Switches the camera off and releases it.
#[tauri::command]
pub async fn reception_camera_stop(state: State<'_, AppState>) -> Result<(), IpcError> {
    if let Some(camera) = lock(&state.camera).take() {
        camera.stop();
    }
    Ok(())
}
