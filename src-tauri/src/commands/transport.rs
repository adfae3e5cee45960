//! Bus transport: HQ's day plan per vehicle (plan, re-plan, manifests) and the venue's bus
//! list, where the reception marks riders boarded or not at the pick-up.

use chrono::NaiveDate;
use tauri::State;
use vax_app::desk::enrolled;
use vax_app::print::Printed;
use vax_app::rides::{bus_list, mark_ride, print_day_sheets, BusDirection, BusList, BusMark};
use vax_app::transport::{
    day_transport, plan_day, replan_day, DayPlanReport, DayReplanReport, DayTransport, SearchBudget,
};
use vax_app::transport_move::{move_rider, RiderMove, RiderMoved};

use crate::{AppState, IpcError};

/// A venue day's buses as HQ planned them (empty when never planned).
#[tauri::command]
pub async fn transport_day(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
) -> Result<DayTransport, IpcError> {
    Ok(day_transport(&state.ledger()?.reader(), &venue_code, date)?)
}

/// HQ plans the day's buses (5 s of search) and sends the venue its share.
#[tauri::command]
pub async fn transport_plan(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
) -> Result<DayPlanReport, IpcError> {
    let (mut ledger, now, v) = (state.ledger()?, state.now(), &venue_code);
    let role = enrolled(&ledger)?.role;
    let budget = SearchBudget::default();
    Ok(plan_day(&mut ledger, role, v, date, now, &budget)?)
}

/// HQ re-plans the day after bookings changed, keeping announced times where it can.
#[tauri::command]
pub async fn transport_replan(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
) -> Result<DayReplanReport, IpcError> {
    let (mut ledger, now) = (state.ledger()?, state.now());
    let role = enrolled(&ledger)?.role;
    Ok(replan_day(&mut ledger, role, &venue_code, date, now)?)
}

/// HQ writes the drivers' manifests and the reception's list, and opens the manifests.
#[tauri::command]
pub async fn transport_manifests(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
) -> Result<Printed, IpcError> {
    let ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    let (config, dirs, v) = (&state.config, &state.folders, &venue_code);
    Ok(print_day_sheets(&ledger, role, config, dirs, v, date)?)
}

/// The venue's bus list of a day, with the reception's marks.
#[tauri::command]
pub async fn transport_bus_list(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
) -> Result<BusList, IpcError> {
    Ok(bus_list(&state.ledger()?.reader(), &venue_code, date)?)
}

/// The reception marks a rider boarded, not at the pick-up, or clears the mark.
#[tauri::command]
pub async fn transport_mark_ride(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
    resident_id: i64,
    direction: BusDirection,
    mark: BusMark,
) -> Result<BusList, IpcError> {
    let (mut ledger, now, v) = (state.ledger()?, state.now(), &venue_code);
    let role = enrolled(&ledger)?.role;
    let (id, way) = (resident_id, direction);
    Ok(mark_ride(&mut ledger, role, v, date, id, way, mark, now)?)
}

/// HQ moves a rider to another trip of the day with a free seat, or marks them as coming on
/// their own; refused with the reason when seats or times would break.
#[tauri::command]
pub async fn transport_move_rider(
    state: State<'_, AppState>,
    venue_code: String,
    date: NaiveDate,
    request: RiderMove,
) -> Result<RiderMoved, IpcError> {
    let (mut ledger, now) = (state.ledger()?, state.now());
    let role = enrolled(&ledger)?.role;
    Ok(move_rider(
        &mut ledger,
        role,
        &venue_code,
        date,
        &request,
        now,
    )?)
}
