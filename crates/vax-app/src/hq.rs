//! Headquarters' batch work: the nightly VRS export, for the HQ command line and the
//! desktop app's HQ view alike.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use thiserror::Error;
use vax_domain::product::Catalogue;
use vax_domain::role::Role;
use vax_ledger::{Ledger, VrsBatch};
pub use vax_vrs::{
    BatchReport, Encoding, ExportOptions, Layout, LineEnding, OnInvalid, VrsError, WrittenFile,
};

/// Why an HQ action did not happen.
#[derive(Debug, Error)]
pub enum HqError {
    /// Only headquarters sends records to VRS.
    #[error("the {0:?} role may not export to VRS")]
    RoleMayNot(Role),
    /// The export refused or failed.
    #[error(transparent)]
    Vrs(#[from] VrsError),
    /// The output folder cannot be created.
    #[error("cannot create the folder {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
}

/// Exports every dose not yet sent to VRS (and corrections of voided ones) as a new batch
/// into `out_dir` (created if missing). See `docs/vrs-export.md`.
pub fn export_vrs(
    ledger: &mut Ledger,
    role: Role,
    options: &ExportOptions,
    out_dir: &Path,
    now: DateTime<FixedOffset>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BatchReport, HqError> {
    if !role.may_export_vrs() {
        return Err(HqError::RoleMayNot(role));
    }
    create_folder(out_dir)?;
    Ok(vax_vrs::export_batch(
        ledger,
        Catalogue::builtin(),
        options,
        out_dir,
        now,
        progress,
    )?)
}

/// Past VRS batches, oldest first.
pub fn vrs_batches(ledger: &Ledger) -> Result<Vec<VrsBatch>, HqError> {
    Ok(vax_vrs::batches(ledger)?)
}

/// Writes a past batch's files again into `out_dir`, byte for byte.
pub fn regenerate_vrs(
    ledger: &Ledger,
    batch: i64,
    out_dir: &Path,
) -> Result<Vec<WrittenFile>, HqError> {
    create_folder(out_dir)?;
    Ok(vax_vrs::regenerate_batch(ledger, batch, out_dir)?)
}

fn create_folder(dir: &Path) -> Result<(), HqError> {
    std::fs::create_dir_all(dir).map_err(|source| HqError::Folder {
        path: dir.display().to_string(),
        source,
    })
}
