//! The booth and the venue's day.

use tauri::State;
use vax_app::desk::{
    booth_queue as queue, enrolled, observations, open_lot, open_lots, record_dose,
    venue_day_summary, DaySummary, Observation, QueueEntry, RecordDose, RecordedDose,
};
use vax_ledger::LotView;

use crate::{AppState, IpcError};

#[tauri::command]
pub async fn booth_queue(state: State<'_, AppState>) -> Result<Vec<QueueEntry>, IpcError> {
    let ledger = state.ledger()?;
    Ok(queue(&ledger, &enrolled(&ledger)?, state.now())?)
}

#[tauri::command]
pub async fn booth_lots(state: State<'_, AppState>) -> Result<Vec<LotView>, IpcError> {
    let ledger = state.ledger()?;
    Ok(open_lots(
        &ledger,
        &enrolled(&ledger)?,
        state.now().date_naive(),
    )?)
}

#[tauri::command]
pub async fn booth_open_lot(
    state: State<'_, AppState>,
    product_code: String,
    lot_number: String,
) -> Result<LotView, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(open_lot(
        &mut ledger,
        &e,
        &product_code,
        &lot_number,
        state.now(),
    )?)
}

#[tauri::command]
pub async fn booth_record_dose(
    state: State<'_, AppState>,
    request: RecordDose,
) -> Result<RecordedDose, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(record_dose(&mut ledger, &e, &request, state.now())?)
}

#[tauri::command]
pub async fn booth_observations(state: State<'_, AppState>) -> Result<Vec<Observation>, IpcError> {
    let ledger = state.ledger()?;
    Ok(observations(&ledger, &enrolled(&ledger)?, state.now())?)
}

#[tauri::command]
pub async fn venue_day(state: State<'_, AppState>) -> Result<DaySummary, IpcError> {
    let (ledger, now) = (state.ledger()?, state.now());
    Ok(venue_day_summary(
        &ledger,
        &enrolled(&ledger)?,
        now.date_naive(),
        now,
    )?)
}
