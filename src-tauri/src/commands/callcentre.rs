//! The call centre: find, the one-page history, calls and follow-ups, and the actions taken
//! on a call. Rebooking itself goes through `hq_reshuffle_preview` / `hq_reshuffle_apply`
//! (a move request), the 予診票 through `reception_print_yoshinhyo`.

use tauri::State;
use vax_app::callcentre::{
    complete_follow_up, correct_contact, follow_ups, log_call, rebook_offers, request_transport,
    set_standby, view_history, ContactEdit, NewCall, RebookOffer, ResidentHistory,
};
use vax_app::desk::enrolled;
use vax_app::lookup::{find, Query};
use vax_ledger::{FollowUpRow, ResidentRow};

use crate::{AppState, IpcError};

/// Residents matching what was typed (voucher, kana, birth date or phone).
#[tauri::command]
pub async fn callcentre_find(
    state: State<'_, AppState>,
    text: String,
) -> Result<Vec<ResidentRow>, IpcError> {
    let ledger = state.ledger()?;
    enrolled(&ledger)?;
    Ok(find(&ledger, &Query::parse(&text)?)?)
}

#[tauri::command]
pub async fn callcentre_history(
    state: State<'_, AppState>,
    resident_id: i64,
) -> Result<ResidentHistory, IpcError> {
    let mut ledger = state.ledger()?;
    enrolled(&ledger)?;
    Ok(view_history(&mut ledger, resident_id, state.now())?)
}

#[tauri::command]
pub async fn callcentre_log_call(
    state: State<'_, AppState>,
    resident_id: i64,
    call: NewCall,
) -> Result<String, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(log_call(
        &mut ledger,
        role,
        resident_id,
        &call,
        state.now(),
    )?)
}

#[tauri::command]
pub async fn callcentre_complete_follow_up(
    state: State<'_, AppState>,
    inquiry: String,
    note: String,
    operator: String,
) -> Result<String, IpcError> {
    let mut ledger = state.ledger()?;
    let (role, now) = (enrolled(&ledger)?.role, state.now());
    Ok(complete_follow_up(
        &mut ledger,
        role,
        &inquiry,
        &note,
        &operator,
        now,
    )?)
}

#[tauri::command]
pub async fn callcentre_follow_ups(
    state: State<'_, AppState>,
) -> Result<Vec<FollowUpRow>, IpcError> {
    let ledger = state.ledger()?;
    enrolled(&ledger)?;
    Ok(follow_ups(&ledger)?)
}

#[tauri::command]
pub async fn callcentre_rebook_offers(
    state: State<'_, AppState>,
    resident_id: i64,
) -> Result<Vec<RebookOffer>, IpcError> {
    let ledger = state.ledger()?;
    enrolled(&ledger)?;
    Ok(rebook_offers(
        &ledger,
        resident_id,
        state.now().date_naive(),
    )?)
}

#[tauri::command]
pub async fn callcentre_request_transport(
    state: State<'_, AppState>,
    resident_id: i64,
    needed: bool,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(request_transport(
        &mut ledger,
        role,
        resident_id,
        needed,
        state.now(),
    )?)
}

#[tauri::command]
pub async fn callcentre_set_standby(
    state: State<'_, AppState>,
    resident_id: i64,
    on: bool,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(set_standby(&mut ledger, role, resident_id, on)?)
}

#[tauri::command]
pub async fn callcentre_correct_contact(
    state: State<'_, AppState>,
    resident_id: i64,
    edit: ContactEdit,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(correct_contact(
        &mut ledger,
        role,
        resident_id,
        &edit,
        state.now(),
    )?)
}
