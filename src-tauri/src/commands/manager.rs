//! The venue manager: dose stock, the standby list and the day's close-out.

use tauri::State;
use vax_app::desk::enrolled;
use vax_app::stock::{
    close_day, log_standby_call, manager_view as view, record_stock, standby_list, CloseOut,
    LotCount, ManagerView, StandbyEntry, StockAction, StockRecorded,
};
use vax_domain::stock::CallOutcome;

use crate::{AppState, IpcError};

#[tauri::command]
pub async fn manager_view(state: State<'_, AppState>) -> Result<ManagerView, IpcError> {
    let ledger = state.ledger()?;
    Ok(view(&ledger, &enrolled(&ledger)?, state.now())?)
}

#[tauri::command]
pub async fn manager_record_stock(
    state: State<'_, AppState>,
    action: StockAction,
) -> Result<StockRecorded, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(record_stock(&mut ledger, &e, &action, state.now())?)
}

#[tauri::command]
pub async fn manager_standby(state: State<'_, AppState>) -> Result<Vec<StandbyEntry>, IpcError> {
    let ledger = state.ledger()?;
    Ok(standby_list(&ledger, &enrolled(&ledger)?, state.now())?)
}

#[tauri::command]
pub async fn manager_log_call(
    state: State<'_, AppState>,
    resident_id: i64,
    outcome: CallOutcome,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(log_standby_call(
        &mut ledger,
        &e,
        resident_id,
        outcome,
        state.now(),
    )?)
}

#[tauri::command]
pub async fn manager_close_day(
    state: State<'_, AppState>,
    counts: Vec<LotCount>,
) -> Result<CloseOut, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(close_day(&mut ledger, &e, &counts, state.now())?)
}
