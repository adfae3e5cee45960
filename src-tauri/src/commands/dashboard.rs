//! The dashboards: HQ across venues, a venue manager for their venue; tables as CSV.

use tauri::State;
use vax_app::daily_report::print_daily_report;
use vax_app::desk::enrolled;
use vax_app::reports::{dashboard_for, export_dashboard_table, CsvEncoding, Dashboard};

use crate::{AppState, IpcError};

#[tauri::command]
pub async fn dashboard_view(state: State<'_, AppState>) -> Result<Dashboard, IpcError> {
    let ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(dashboard_for(&ledger, &e, state.now())?)
}

/// Writes one table as CSV into `reports/` beside the ledger; returns the file's path.
#[tauri::command]
pub async fn dashboard_export(
    state: State<'_, AppState>,
    table: String,
    encoding: CsvEncoding,
) -> Result<String, IpcError> {
    let ledger = state.ledger()?;
    let (e, now) = (enrolled(&ledger)?, state.now());
    Ok(export_dashboard_table(
        &ledger,
        &e,
        &state.folders,
        now,
        &table,
        encoding,
    )?)
}

/// Makes today's daily report (日報) PDF into `reports/` beside the ledger; returns its path.
#[tauri::command]
pub async fn dashboard_daily_report(state: State<'_, AppState>) -> Result<String, IpcError> {
    let ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(print_daily_report(
        &ledger,
        &e,
        &state.folders,
        state.now(),
    )?)
}
