//! The venue's paper fallback and the relay's state (issue 17): the day sheets, back-entry of
//! a handwritten row, the two lights and the venue's devices.

use chrono::NaiveDate;
use tauri::State;
use vax_app::desk::enrolled;
use vax_app::desk::paper::{back_enter, print_day_sheets, BackEntered, BackEntry};
use vax_app::desk::paper_sheet::{back_enter_sheet, preview_sheet, SheetFile, SheetOutcome};
use vax_app::print::Printed;
use vax_app::relay::{
    join_relay, relay_join_qr, relay_lights, venue_devices, JoinQr, RelayLights, VenueDevice,
};

use crate::state::lock;
use crate::{AppState, IpcError};

/// Writes this venue's day sheets for `date` (print/) and opens them for printing.
#[tauri::command]
pub async fn paper_print_day_sheets(
    state: State<'_, AppState>,
    date: NaiveDate,
) -> Result<Printed, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(print_day_sheets(
        &mut ledger,
        &state.config,
        &state.folders,
        &e,
        date,
        state.now(),
    )?)
}

/// Records one handwritten row of a day sheet at the time written on paper (a walk-in from
/// another municipality is looked up online first; the ledger is not held meanwhile).
#[tauri::command]
pub async fn paper_back_enter(
    state: State<'_, AppState>,
    entry: BackEntry,
) -> Result<BackEntered, IpcError> {
    let ledger = state.shared_ledger()?;
    let e = enrolled(&lock(ledger))?;
    Ok(back_enter(&**ledger, &e, &entry, state.now())?)
}

/// What a whole sheet file would record, and every line refused; writes nothing.
#[tauri::command]
pub async fn paper_sheet_preview(
    state: State<'_, AppState>,
    file: SheetFile,
) -> Result<SheetOutcome, IpcError> {
    let ledger = state.shared_ledger()?;
    let e = enrolled(&lock(ledger))?;
    Ok(preview_sheet(&**ledger, &e, &file.bytes, state.now())?)
}

/// Records a whole sheet file in one transaction, or nothing when any line is refused.
#[tauri::command]
pub async fn paper_sheet_commit(
    state: State<'_, AppState>,
    file: SheetFile,
) -> Result<SheetOutcome, IpcError> {
    let ledger = state.shared_ledger()?;
    let e = enrolled(&lock(ledger))?;
    Ok(back_enter_sheet(
        &**ledger,
        &e,
        &file.bytes,
        file.name.as_deref(),
        state.now(),
    )?)
}

/// The two lights: this kiosk reaches the relay, the relay reaches the centre.
#[tauri::command]
pub async fn relay_status_lights(state: State<'_, AppState>) -> Result<RelayLights, IpcError> {
    let ledger = state.ledger()?;
    Ok(relay_lights(&ledger, state.now())?)
}

/// Every kiosk of the venue with its last contact, asked of the relay.
#[tauri::command]
pub async fn relay_venue_devices(state: State<'_, AppState>) -> Result<Vec<VenueDevice>, IpcError> {
    Ok(venue_devices(state.shared_ledger()?)?)
}

/// The join code of the relay this kiosk joined, and its QR (SVG) for the others to scan.
#[tauri::command]
pub async fn relay_join_code(state: State<'_, AppState>) -> Result<Option<JoinQr>, IpcError> {
    let ledger = state.ledger()?;
    Ok(relay_join_qr(&ledger)?)
}

/// Joins the venue relay whose join code was scanned or typed.
#[tauri::command]
pub async fn relay_join(state: State<'_, AppState>, code: String) -> Result<String, IpcError> {
    let mut ledger = state.ledger()?;
    Ok(join_relay(&mut ledger, &code)?.url)
}
