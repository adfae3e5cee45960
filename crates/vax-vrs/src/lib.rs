//! The nightly VRS export: dose records from the ledger to import files for the national
//! Vaccination Record System (VRS, ワクチン接種記録システム).
//!
//! **The real VRS import layout is not public** (shared/docs/DOMAIN.md §1.3). The files
//! here are a stand-in built on the vocabulary of the published 「予防接種台帳向け出力」
//! export (DOMAIN.md §1.2): the same item names, widths and formats, kept in one place
//! ([`layout`]) and configurable (encoding, header, line ends, dose groups). See
//! `docs/vrs-export.md`.
//!
//! Key concepts:
//! - A **batch** is one run: a 台帳形式 file (one row per voucher, one 8-column group per
//!   dose), a one-row-per-dose file and, when records exported before have been voided
//!   since, a correction list. Every record of a batch is marked in the ledger, so the next
//!   run exports only what is new, and lists each voided record once.
//! - **Validation first** ([`Rule`]): a batch with any invalid record writes nothing, unless
//!   [`OnInvalid::ExportValid`] is chosen; the [`ValidationReport`] names the voucher and
//!   the record uid of every problem.
//! - **Regeneration**: the ledger keeps each record's fields as written and each file's
//!   SHA-256, so [`regenerate_batch`] writes any past batch again byte for byte.
//!
//! ```
//! use vax_ledger::Ledger;
//! use vax_vrs::{export_batch, ExportOptions};
//! use vax_domain::product::Catalogue;
//!
//! let mut ledger = Ledger::open_in_memory().unwrap();
//! let out = tempfile::tempdir().unwrap();
//! let now = chrono::DateTime::parse_from_rfc3339("2021-06-01T23:00:00+09:00").unwrap();
//! let report = export_batch(
//!     &mut ledger,
//!     Catalogue::builtin(),
//!     &ExportOptions::default(),
//!     out.path(),
//!     now,
//!     &mut |_done, _total| {},
//! )
//! .unwrap();
//! assert_eq!(report.batch, None, "an empty ledger has nothing to export");
//! ```
#![deny(missing_docs)]

mod error;
mod export;
mod files;
pub mod layout;
mod validate;

use serde::{Deserialize, Serialize};
use vax_domain::voucher::MunicipalityCode;

pub use error::VrsError;
pub use export::{batches, export_batch, regenerate_batch, BatchReport, WrittenFile};
pub use files::sha256_hex;
pub use layout::{Encoding, FileKind, Layout, LineEnding};
pub use validate::{Problem, Rule, ValidationReport};

/// What to do when some records of a batch are invalid.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum OnInvalid {
    /// Export nothing and report every problem (the default).
    #[default]
    RejectBatch,
    /// Export the valid records and list the others; they stay pending.
    ExportValid,
}

/// The options of an export run. They are stored with each batch (as JSON), so a past
/// batch is regenerated with the options it was made with.
#[derive(Debug, Clone, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct ExportOptions {
    /// Encoding, header, line ends, dose groups.
    pub layout: Layout,
    /// 接種自治体コード: the municipality where the shots were given, i.e. the campaign's.
    /// `None` writes each resident's voucher municipality, which is the same for residents
    /// vaccinated in their own city; set it when the campaign vaccinates residents of
    /// other municipalities.
    pub site_municipality: Option<MunicipalityCode>,
    /// Whether invalid records stop the batch.
    pub on_invalid: OnInvalid,
}
