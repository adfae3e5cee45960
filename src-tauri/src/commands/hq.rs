//! Headquarters: the nightly VRS export and the city-wide voucher batch.

use tauri::State;
use vax_app::desk::enrolled;
use vax_app::print::{mailing_details, MailingDetails, VoucherPrintStatus};
use vax_app::vrs::{
    export_vrs_requested, vrs_batch_summaries, VrsBatchSummary, VrsExportRequest, VrsExportSummary,
};

use crate::state::lock;
use crate::{AppState, IpcError};

/// The sender and contact lines saved for the voucher sheets (none until HQ sets them; the
/// demo city brings its own).
#[tauri::command]
pub async fn hq_mailing_details(
    state: State<'_, AppState>,
) -> Result<Option<MailingDetails>, IpcError> {
    Ok(mailing_details(&*state.ledger()?)?)
}

/// Saves the sender and contact lines as typed on the screen, then starts printing every
/// resident's voucher sheet with them into a dated folder beside the ledger
/// (`print/vouchers-YYYY-MM-DD`). Headquarters only (vax-app checks the role).
#[tauri::command]
pub async fn hq_voucher_print_start(
    state: State<'_, AppState>,
    mailing: MailingDetails,
) -> Result<VoucherPrintStatus, IpcError> {
    let role = enrolled(&*state.ledger()?)?.role;
    let (ledger, now) = (state.shared_ledger()?, state.now());
    let mut batch = lock(&state.voucher_batch);
    Ok(batch.start(ledger, &state.path, role, &mailing, now)?)
}

/// Where the voucher batch stands (none if it was never started). Once it is done, the
/// folder is opened in the file manager, once (not with `VAXLEDGER_PRINT_OPEN=0`).
#[tauri::command]
pub async fn hq_voucher_print_status(
    state: State<'_, AppState>,
) -> Result<Option<VoucherPrintStatus>, IpcError> {
    Ok(lock(&state.voucher_batch).status(&state.config))
}

/// Stops the voucher batch after the page in hand; the pages printed so far are kept.
#[tauri::command]
pub async fn hq_voucher_print_cancel(state: State<'_, AppState>) -> Result<(), IpcError> {
    lock(&state.voucher_batch).cancel();
    Ok(())
}

/// The default export folder: `vrs-export` beside the ledger.
#[tauri::command]
pub async fn hq_default_export_dir(state: State<'_, AppState>) -> Result<String, IpcError> {
    Ok(state.folders.vrs_export().display().to_string())
}

#[tauri::command]
pub async fn hq_vrs_export(
    state: State<'_, AppState>,
    request: VrsExportRequest,
) -> Result<VrsExportSummary, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(export_vrs_requested(
        &mut ledger,
        role,
        &request,
        state.now(),
    )?)
}

#[tauri::command]
pub async fn hq_vrs_batches(state: State<'_, AppState>) -> Result<Vec<VrsBatchSummary>, IpcError> {
    Ok(vrs_batch_summaries(&*state.ledger()?)?)
}
