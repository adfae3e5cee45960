//! Reception: find, check in, cancel.

use serde::Deserialize;
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
