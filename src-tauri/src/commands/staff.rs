//! Staff sign-in at the kiosk, and HQ's staff register and audit search (docs/audit.md).

use tauri::State;
use vax_app::audit::{search, AuditSearch};
use vax_app::desk::enrolled;
use vax_app::staff::{
    register_staff, sign_in, sign_out, staff_list, staff_status as status, Credential, NewStaff,
    RegisteredStaff, SignedIn, StaffStatus,
};
use vax_ledger::{AuditRow, StaffRow};

use crate::{AppState, IpcError};

/// The sign-in bar: whether a staff member must sign in here, and who is.
#[tauri::command]
pub async fn staff_status(state: State<'_, AppState>) -> Result<StaffStatus, IpcError> {
    let ledger = state.ledger()?;
    let (e, idle) = (enrolled(&ledger)?, state.config.staff_idle_minutes);
    Ok(status(&ledger, &e, idle, state.now())?)
}

/// Signs a staff member in with a PIN or their card (whoever was signed in is replaced).
#[tauri::command]
pub async fn staff_sign_in(
    state: State<'_, AppState>,
    credential: Credential,
) -> Result<SignedIn, IpcError> {
    let mut ledger = state.ledger()?;
    let (e, idle) = (enrolled(&ledger)?, state.config.staff_idle_minutes);
    Ok(sign_in(&mut ledger, &e, &credential, idle, state.now())?)
}

/// Signs the staff member out (the button, or the screen's idle lock).
#[tauri::command]
pub async fn staff_sign_out(state: State<'_, AppState>) -> Result<(), IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    Ok(sign_out(&mut ledger, &e, state.now())?)
}

/// Every registered staff member (HQ's staff screen).
#[tauri::command]
pub async fn hq_staff_list(state: State<'_, AppState>) -> Result<Vec<StaffRow>, IpcError> {
    Ok(staff_list(&*state.ledger()?, None)?)
}

/// Registers or changes a staff member (HQ only; vax-app checks the role).
#[tauri::command]
pub async fn hq_staff_register(
    state: State<'_, AppState>,
    staff: NewStaff,
) -> Result<RegisteredStaff, IpcError> {
    let mut ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(register_staff(&mut ledger, role, &staff)?)
}

/// Searches the audit trail: who looked at this resident's record (HQ only).
#[tauri::command]
pub async fn hq_audit_search(
    state: State<'_, AppState>,
    query: AuditSearch,
) -> Result<Vec<AuditRow>, IpcError> {
    let ledger = state.ledger()?;
    let role = enrolled(&ledger)?.role;
    Ok(search(&ledger, role, &query)?)
}
