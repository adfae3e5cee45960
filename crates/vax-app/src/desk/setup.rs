//! A kiosk's first screen: what the installation holds, enrolling it to a venue and a role,
//! and the products a booth can open a lot of.

use std::path::Path;

use chrono::NaiveDate;
use serde::Serialize;
use vax_domain::product::Catalogue;
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::{Ledger, VenueRow};

use super::{enroll, enrollment, DeskError, Enrollment};

/// What the first screen needs to know.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
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
    pub today: NaiveDate,
}

/// A product the booth can open a lot of.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ProductChoice {
    /// Code.
    pub code: String,
    /// 日本語名.
    pub name_ja: String,
    /// English name.
    pub name_en: String,
}

/// The installation as its first screen shows it.
pub fn setup_status(
    ledger: &Ledger,
    ledger_path: &Path,
    today: NaiveDate,
) -> Result<SetupStatus, DeskError> {
    Ok(SetupStatus {
        ledger_path: ledger_path.display().to_string(),
        residents: ledger.reader().resident_count()?,
        enrollment: enrollment(ledger)?,
        venues: ledger.reader().venues()?,
        today,
    })
}

/// Enrolls this installation to a venue and a role from its setup screen. The campaign's
/// municipality stays the one it has; a new installation takes the demo city's until HQ
/// enrollment names it (the sync server's enrollment does).
///
/// # Errors
/// [`DeskError::EnrolledByServer`] once the ledger replicates: its venue and role are the
/// ones HQ gave it through the sync server, and a kiosk may not make itself headquarters.
pub fn enroll_here(
    ledger: &mut Ledger,
    venue_code: &str,
    role: Role,
) -> Result<Enrollment, DeskError> {
    if ledger.replica_identity().is_some() {
        return Err(DeskError::EnrolledByServer);
    }
    let municipality = match enrollment(ledger)? {
        Some(e) => e.municipality,
        None => MunicipalityCode::parse(vax_demo::MUNICIPALITY)?,
    };
    enroll(ledger, venue_code, role, &municipality)
}

/// Every product of the dated product data, for the booth's "open a lot" form.
pub fn product_choices() -> Vec<ProductChoice> {
    Catalogue::builtin()
        .products
        .iter()
        .map(|p| ProductChoice {
            code: p.code.clone(),
            name_ja: p.name_ja.clone(),
            name_en: p.name_en.clone(),
        })
        .collect()
}
