//! The venue manager: dose stock, the cold-chain logger, the standby list and the day's
//! close-out; and HQ's stock screen across venues.

use chrono::NaiveDate;
use tauri::State;
use vax_app::desk::enrolled;
use vax_app::stock::{
    close_day, hq_stock_view as stock_view, import_logger_file, log_standby_call,
    manager_view as view, record_stock, save_report, standby_list, CloseOut, ColdChainCheck,
    HqStockView, LoggerFile, LotCount, ManagerView, StandbyEntry, StockAction, StockRecorded,
    DEFAULT_DAYS_TO_REPLACE,
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

/// Checks a temperature logger's file for a lot; an excursion quarantines the lot.
#[tauri::command]
pub async fn manager_import_logger(
    state: State<'_, AppState>,
    file: LoggerFile,
) -> Result<ColdChainCheck, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(import_logger_file(&mut ledger, &e, &file, state.now())?)
}

/// HQ's stock screen: stock by venue, deliveries to plan, waste, quarantines, the report.
#[tauri::command]
pub async fn hq_stock_view(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
) -> Result<HqStockView, IpcError> {
    let ledger = state.ledger()?;
    Ok(stock_view(
        &ledger,
        state.now(),
        from,
        to,
        DEFAULT_DAYS_TO_REPLACE,
    )?)
}

/// Saves the daily stock report as CSV beside the ledger; returns the file's path.
#[tauri::command]
pub async fn hq_stock_report(
    state: State<'_, AppState>,
    from: NaiveDate,
    to: NaiveDate,
    cp932: bool,
) -> Result<String, IpcError> {
    let ledger = state.ledger()?;
    let path = save_report(&ledger, &state.folders.stock_reports(), from, to, cp932)?;
    Ok(path.display().to_string())
}
