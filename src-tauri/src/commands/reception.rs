//! Reception: find, check in, cancel.

use serde::{Deserialize, Serialize};
use tauri::State;
use vax_app::desk::{cancel_check_in, check_in, desk_find, CheckInDone, DeskCard};
use vax_app::lookup::Query;

use super::enrolled;
use crate::state::now_jst;
use crate::{AppState, IpcError};

/// What the reception field holds, as the UI classified it.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
#[serde(tag = "kind", content = "text", rename_all = "snake_case")]
pub enum DeskQuery {
    /// 18 or 10 digits.
    Voucher(String),
    /// Kana.
    Kana(String),
    /// YYYY-MM-DD.
    BirthDate(String),
    /// Phone digits.
    Phone(String),
}

#[tauri::command]
pub async fn reception_find(
    state: State<'_, AppState>,
    query: DeskQuery,
) -> Result<Vec<DeskCard>, IpcError> {
    let ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    let query = match query {
        DeskQuery::Voucher(t) => Query::Voucher(t),
        DeskQuery::Kana(t) => Query::Kana(t),
        DeskQuery::Phone(t) => Query::Phone(t),
        DeskQuery::BirthDate(t) => {
            Query::BirthDate(vax_domain::resident::parse_date(&t).map_err(|err| {
                IpcError::invalid(
                    &format!("birth date {err}"),
                    &format!("生年月日: {}", err.message_ja()),
                )
            })?)
        }
    };
    Ok(desk_find(&ledger, &e, &query, now_jst())?)
}

#[tauri::command]
pub async fn reception_check_in(
    state: State<'_, AppState>,
    resident_id: i64,
) -> Result<CheckInDone, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(check_in(&mut ledger, &e, resident_id, now_jst())?)
}

#[tauri::command]
pub async fn reception_cancel_check_in(
    state: State<'_, AppState>,
    uid: String,
    reason: String,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(cancel_check_in(&mut ledger, &e, &uid, &reason, now_jst())?)
}

/// A printed document.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct Printed {
    /// Where the PDF was written.
    pub path: String,
    /// Whether the system's PDF viewer was started (to print from its dialog).
    pub opened: bool,
}

/// Writes the resident's 予診票 as a PDF beside the ledger (print/) and opens it in the
/// system's viewer, from which staff print it.
#[tauri::command]
pub async fn reception_print_yoshinhyo(
    state: State<'_, AppState>,
    resident_id: i64,
) -> Result<Printed, IpcError> {
    let ledger = state.ledger()?;
    enrolled(&ledger)?;
    let today = now_jst().date_naive();
    let dir = state
        .path
        .parent()
        .map(std::path::Path::to_path_buf)
        .unwrap_or_default()
        .join("print");
    std::fs::create_dir_all(&dir).map_err(|e| {
        IpcError::new(
            "PRINT_FAILED",
            format!("cannot create {}: {e}", dir.display()),
            format!("{}を作成できません: {e}", dir.display()),
        )
    })?;
    let path = dir.join(format!("yoshinhyo-{resident_id}-{today}.pdf"));
    let font = vax_app::print::JapaneseFont::system_default().map_err(|e| {
        IpcError::new(
            "PRINT_FAILED",
            e.to_string(),
            format!("日本語フォントがありません: {e}"),
        )
    })?;
    vax_app::print::reissue_yoshinhyo(&ledger, &font, resident_id, today, &path).map_err(|e| {
        IpcError::new(
            "PRINT_FAILED",
            e.to_string(),
            format!("予診票を作成できません: {e}"),
        )
    })?;
    // The desktop's default PDF viewer; its print dialog does the printing.
    let opened = super::open_on_desktop(&path);
    Ok(Printed {
        path: path.display().to_string(),
        opened,
    })
}
