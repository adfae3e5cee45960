//! Reception: find, check in, cancel, reprint the 予診票.

use tauri::State;
use vax_app::desk::{cancel_check_in, check_in, desk_find_online, enrolled, CheckInDone, DeskCard};
use vax_app::lookup::Query;
use vax_app::print::{print_yoshinhyo, Printed};

use crate::state::lock;
use crate::{AppState, IpcError};

/// Searches by whatever the one field holds (a scanned or typed voucher, kana, a birth date, a
/// phone number); vax-app decides which it is, and looks a walk-in from another municipality
/// up online (the ledger is not held while the server answers).
#[tauri::command]
pub async fn reception_find(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<DeskCard>, IpcError> {
    let query = Query::parse(&text)?;
    let ledger = state.shared_ledger()?;
    let e = enrolled(&lock(ledger))?;
    Ok(desk_find_online(&**ledger, &e, &query, state.now())?)
}

#[tauri::command]
pub async fn reception_check_in(
    state: State<'_, AppState>,
    resident_id: i64,
) -> Result<CheckInDone, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(check_in(&mut ledger, &e, resident_id, state.now())?)
}

#[tauri::command]
pub async fn reception_cancel_check_in(
    state: State<'_, AppState>,
    uid: String,
    reason: String,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(cancel_check_in(
        &mut ledger,
        &e,
        &uid,
        &reason,
        state.now(),
    )?)
}

/// Writes the resident's 予診票 as a PDF beside the ledger (print/) and opens it in the
/// system's viewer, from which staff print it.
#[tauri::command]
pub async fn reception_print_yoshinhyo(
    state: State<'_, AppState>,
    resident_id: i64,
) -> Result<Printed, IpcError> {
    let mut ledger = state.ledger()?;
    enrolled(&ledger)?;
    Ok(print_yoshinhyo(
        &mut ledger,
        &state.config,
        &state.folders,
        resident_id,
        state.now(),
    )?)
}
