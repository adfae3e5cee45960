//! The commands, grouped by screen. Each is named `<screen>_<verb>` and is a thin adapter.

pub mod booth;
pub mod camera;
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

/// Opens `path` (a PDF or a folder) with the desktop's default application, unless
/// `VAXLEDGER_PRINT_OPEN=0` (unattended kiosks, tests). Returns whether a viewer was started.
fn open_on_desktop(path: &std::path::Path) -> bool {
    let open = std::env::var("VAXLEDGER_PRINT_OPEN").map_or(true, |v| v != "0");
    open && std::process::Command::new("xdg-open")
        .arg(path)
        .stdout(std::process::Stdio::null())
        .stderr(std::process::Stdio::null())
        .spawn()
        .is_ok()
}
