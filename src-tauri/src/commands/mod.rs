//! The commands, grouped by screen. Each is named `<screen>_<verb>` and is a thin adapter.

pub mod booth;
pub mod hq;
pub mod reception;
pub mod setup;
pub mod sync;

use vax_app::desk::{enrollment, Enrollment};
use vax_ledger::Ledger;

use crate::IpcError;

/// The enrollment every venue command needs.
fn enrolled(ledger: &Ledger) -> Result<Enrollment, IpcError> {
    enrollment(ledger)?.ok_or_else(|| vax_app::desk::DeskError::NotEnrolled.into())
}
