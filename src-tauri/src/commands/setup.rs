//! First start: status, the demo city, enrollment; and the product list.

use tauri::State;
use vax_app::demo::load_demo_kiosk;
use vax_app::desk::{self, enroll_here, product_choices, ProductChoice, SetupStatus};
use vax_app::progress::NoProgress;
use vax_demo::DemoParams;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::{AppState, IpcError};

#[tauri::command]
pub async fn setup_status(state: State<'_, AppState>) -> Result<SetupStatus, IpcError> {
    status(&state, &*state.ledger()?)
}

/// Loads the demo city (from today) into an empty ledger, enrolls this installation as the
/// manager of venue V01 and opens a demo lot there.
#[tauri::command]
pub async fn setup_load_demo(state: State<'_, AppState>) -> Result<SetupStatus, IpcError> {
    let (mut ledger, now) = (state.ledger()?, state.now());
    let params = DemoParams::starting(now.date_naive());
    load_demo_kiosk(&mut ledger, &params, "V01", now, &mut NoProgress)?;
    status(&state, &ledger)
}

/// Enrolls this installation to a venue and a role (the campaign municipality is the
/// demo city's until HQ enrollment names it).
#[tauri::command]
pub async fn setup_enroll(
    state: State<'_, AppState>,
    venue_code: String,
    role: Role,
) -> Result<SetupStatus, IpcError> {
    let mut ledger = state.ledger()?;
    enroll_here(&mut ledger, &venue_code, role)?;
    status(&state, &ledger)
}

/// What the setup screen shows after each of its commands.
fn status(state: &AppState, ledger: &Ledger) -> Result<SetupStatus, IpcError> {
    Ok(desk::setup_status(
        ledger,
        &state.path,
        state.now().date_naive(),
    )?)
}

#[tauri::command]
pub async fn products() -> Result<Vec<ProductChoice>, IpcError> {
    Ok(product_choices())
}
