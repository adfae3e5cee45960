//! Headquarters: the notices of new and changed bookings (letters, SMS list, call list).

use tauri::State;
use vax_app::desk::enrolled;
use vax_app::notices::{
    make_notices_beside_ledger, notice_batches, pending_notices, NoticeBatchReport, NoticeOptions,
    PendingSummary,
};
use vax_ledger::NoticeBatchRow;

use crate::{AppState, IpcError};

/// How many past batches the HQ screen lists.
const BATCHES_LISTED: u32 = 10;

/// What a batch made now would hold (counts by kind and channel, the call list, every SMS
/// over the limit).
#[tauri::command]
pub async fn hq_notices_pending(
    state: State<'_, AppState>,
    options: NoticeOptions,
) -> Result<PendingSummary, IpcError> {
    let today = state.now().date_naive();
    Ok(pending_notices(&*state.ledger()?, &options, today)?)
}

/// Makes the batch into `notices/` beside the ledger and records it. Headquarters only
/// (vax-app checks the role).
#[tauri::command]
pub async fn hq_notices_make(
    state: State<'_, AppState>,
    options: NoticeOptions,
) -> Result<NoticeBatchReport, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    let folders = &state.folders;
    Ok(make_notices_beside_ledger(
        &mut ledger,
        folders,
        role,
        &options,
        state.now(),
    )?)
}

/// The latest notice batches, newest first.
#[tauri::command]
pub async fn hq_notice_batches(
    state: State<'_, AppState>,
) -> Result<Vec<NoticeBatchRow>, IpcError> {
    Ok(notice_batches(&*state.ledger()?, BATCHES_LISTED)?)
}

/// The default options (SMS limit, over-limit handling, templates), for the screen to edit.
#[tauri::command]
pub async fn hq_notice_defaults() -> Result<NoticeOptions, IpcError> {
    Ok(NoticeOptions::default())
}
