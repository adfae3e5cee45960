//! The HQ Planning screen: the campaign calendar, its edits, the planner and the reshuffle.
//! vax-app checks the role (headquarters only) for every change.

use chrono::NaiveDate;
use tauri::State;
use vax_app::calendar::{
    self, BandEdit, BandForm, CalendarPreview, CalendarView, EditReport, VenueForm,
};
use vax_app::desk::enrolled;
use vax_app::import::TextEncoding;
use vax_app::planning::{
    self, PlanReport, PlanningSettings, ReshuffleApplied, ReshufflePreview, ReshuffleRequest,
};
use vax_app::supply::{set_supply, SupplyReport};
use vax_planner::PlanOptions;

use crate::{AppState, IpcError};

/// The calendar from `from` for `days` days (0: every day on), with each band's load.
#[tauri::command]
pub async fn hq_calendar(
    state: State<'_, AppState>,
    from: NaiveDate,
    days: u32,
) -> Result<CalendarView, IpcError> {
    let ledger = state.ledger()?;
    Ok(calendar::calendar_view(&ledger, from, days, state.now())?)
}

/// Creates or edits a venue.
#[tauri::command]
pub async fn hq_save_venue(
    state: State<'_, AppState>,
    form: VenueForm,
) -> Result<EditReport, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(calendar::save_venue(&mut ledger, role, &form)?)
}

/// Adds a day's bands to a venue.
#[tauri::command]
pub async fn hq_add_day(
    state: State<'_, AppState>,
    venue: String,
    date: NaiveDate,
    bands: Vec<BandForm>,
) -> Result<EditReport, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(calendar::add_day(
        &mut ledger,
        role,
        state.now(),
        &venue,
        date,
        &bands,
    )?)
}

/// How many bands and bookings a cut, a closure or a capacity change would touch: the
/// confirmation shows it before anything changes.
#[tauri::command]
pub async fn hq_edit_impact(
    state: State<'_, AppState>,
    edit: BandEdit,
) -> Result<EditReport, IpcError> {
    Ok(calendar::edit_impact(&*state.ledger()?, &edit)?)
}

/// Cuts or reopens a venue day, closes or reopens a band, or changes a capacity.
#[tauri::command]
pub async fn hq_edit_bands(
    state: State<'_, AppState>,
    edit: BandEdit,
) -> Result<EditReport, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(calendar::edit_bands(&mut ledger, role, state.now(), &edit)?)
}

/// Enters the vials a venue receives for a day, or removes the entry (`vials` null).
#[tauri::command]
pub async fn hq_set_supply(
    state: State<'_, AppState>,
    venue: String,
    date: NaiveDate,
    vials: Option<u32>,
) -> Result<SupplyReport, IpcError> {
    let mut ledger = state.ledger()?;
    let (role, now) = (enrolled(&ledger)?.role, state.now());
    Ok(set_supply(&mut ledger, role, now, &venue, date, vials)?)
}

/// Books both doses of every willing resident who lacks them.
#[tauri::command]
pub async fn hq_plan_run(state: State<'_, AppState>) -> Result<PlanReport, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    let options = PlanOptions::default();
    Ok(planning::run_plan(
        &mut ledger,
        role,
        state.now(),
        &options,
    )?)
}

/// The planning settings (priority phases and the rest).
#[tauri::command]
pub async fn hq_planning_settings(
    state: State<'_, AppState>,
) -> Result<PlanningSettings, IpcError> {
    Ok(planning::planning_settings(&*state.ledger()?)?)
}

/// Saves the planning settings.
#[tauri::command]
pub async fn hq_save_planning_settings(
    state: State<'_, AppState>,
    settings: PlanningSettings,
) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(planning::save_planning_settings(
        &mut ledger,
        role,
        &settings,
    )?)
}

/// Who would move where, for a change or a move request; writes nothing.
#[tauri::command]
pub async fn hq_reshuffle_preview(
    state: State<'_, AppState>,
    request: ReshuffleRequest,
) -> Result<ReshufflePreview, IpcError> {
    let (ledger, options) = (state.ledger()?, PlanOptions::default());
    Ok(planning::preview_reshuffle(
        &ledger,
        state.now(),
        &request,
        &options,
    )?)
}

/// Applies a preview (refused when the ledger changed since).
#[tauri::command]
pub async fn hq_reshuffle_apply(
    state: State<'_, AppState>,
    preview: ReshufflePreview,
) -> Result<ReshuffleApplied, IpcError> {
    let mut ledger = state.ledger()?;
    let (role, options) = (enrolled(&ledger)?.role, PlanOptions::default());
    let now = state.now();
    Ok(planning::apply_reshuffle(
        &mut ledger,
        role,
        now,
        &preview,
        &options,
    )?)
}

/// What importing a calendar file (CSV, UTF-8 or CP932) would do, or every problem of it
/// with its line; nothing is written.
#[tauri::command]
pub async fn hq_calendar_preview(
    state: State<'_, AppState>,
    bytes: Vec<u8>,
) -> Result<CalendarPreview, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    let now = state.now();
    Ok(calendar::preview_calendar(
        &mut ledger,
        &bytes,
        TextEncoding::Auto,
        role,
        now,
    )?)
}

/// Imports a calendar file, all or nothing; the counts of what it did.
#[tauri::command]
pub async fn hq_calendar_import(
    state: State<'_, AppState>,
    bytes: Vec<u8>,
) -> Result<CalendarPreview, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    let report =
        calendar::import_calendar(&mut ledger, &bytes, TextEncoding::Auto, role, state.now())?;
    Ok(report.into())
}
