//! First start: status, the demo city, enrollment; and the product list.

use serde::Serialize;
use tauri::State;
use vax_app::demo::load_demo_kiosk;
use vax_app::desk::{enroll, enrollment, Enrollment};
use vax_app::progress::NoProgress;
use vax_demo::DemoParams;
use vax_domain::product::Catalogue;
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::{Ledger, VenueRow};

use crate::state::now_jst;
use crate::{AppState, IpcError};

/// What the first screen needs to know.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct SetupStatus {
    /// The ledger file.
    pub ledger_path: String,
    /// Residents in the ledger (0 on a new installation).
    pub residents: u64,
    /// The installation's venue and role, once enrolled.
    pub enrollment: Option<Enrollment>,
    /// Venues to enroll to.
    pub venues: Vec<VenueRow>,
    /// Today in Japan.
    pub today: chrono::NaiveDate,
}

/// A product the booth can open a lot of.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct ProductChoice {
    /// Code.
    pub code: String,
    /// 日本語名.
    pub name_ja: String,
    /// English name.
    pub name_en: String,
}

fn status(state: &AppState, ledger: &Ledger) -> Result<SetupStatus, IpcError> {
    Ok(SetupStatus {
        ledger_path: state.path.display().to_string(),
        residents: ledger.reader().resident_count()?,
        enrollment: enrollment(ledger)?,
        venues: ledger.reader().venues()?,
        today: now_jst().date_naive(),
    })
}

#[tauri::command]
pub async fn setup_status(state: State<'_, AppState>) -> Result<SetupStatus, IpcError> {
    let ledger = state.ledger()?;
    status(&state, &ledger)
}

/// Loads the demo city (from today) into an empty ledger, enrolls this installation as the
/// manager of venue V01 and opens a demo lot there.
#[tauri::command]
pub async fn setup_load_demo(state: State<'_, AppState>) -> Result<SetupStatus, IpcError> {
    let mut ledger = state.ledger()?;
    let now = now_jst();
    let params = DemoParams {
        start: now.date_naive(),
        ..DemoParams::default()
    };
    load_demo_kiosk(&mut ledger, &params, "V01", now, &mut NoProgress)?;
    status(&state, &ledger)
}

/// Enrolls this installation to a venue and a role (the campaign municipality is the
/// demo city's until HQ enrollment lands with replication).
#[tauri::command]
pub async fn setup_enroll(
    state: State<'_, AppState>,
    venue_code: String,
    role: Role,
) -> Result<SetupStatus, IpcError> {
    let mut ledger = state.ledger()?;
    let municipality = match enrollment(&ledger)? {
        Some(e) => e.municipality,
        None => MunicipalityCode::parse(vax_demo::MUNICIPALITY)
            .map_err(|e| IpcError::invalid(&e.to_string(), &e.message_ja()))?,
    };
    enroll(&mut ledger, &venue_code, role, &municipality)?;
    status(&state, &ledger)
}

#[tauri::command]
pub async fn products() -> Result<Vec<ProductChoice>, IpcError> {
    Ok(Catalogue::builtin()
        .products
        .iter()
        .map(|p| ProductChoice {
            code: p.code.clone(),
            name_ja: p.name_ja.clone(),
            name_en: p.name_en.clone(),
        })
        .collect())
}
