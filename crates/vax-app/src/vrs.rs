//! Headquarters' batch work: the nightly VRS export, for the HQ command line and the
//! desktop app's HQ view alike.

use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::product::Catalogue;
use vax_domain::role::Role;
use vax_domain::voucher::{MunicipalityCode, VoucherError};
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
    /// The 接種自治体コード asked for is not a municipality code.
    #[error("site municipality: {0}")]
    SiteMunicipality(VoucherError),
    /// The output folder cannot be created.
    #[error("cannot create the folder {path}: {source}")]
    Folder {
        /// The folder.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The export's entry in the audit trail could not be written (the files are written).
    #[error("the export is not in the audit trail: {0}")]
    Audit(#[from] vax_ledger::LedgerError),
}

/// How many problems an error message lists; the command line lists them all.
pub const PROBLEMS_LISTED: usize = 20;

impl UserFacing for HqError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::Vrs(VrsError::Invalid(_)) => ErrorCode::VrsInvalid,
            Self::SiteMunicipality(_) => ErrorCode::InvalidInput,
            Self::Vrs(_) | Self::Folder { .. } => ErrorCode::VrsFailed,
            Self::Audit(e) => e.code(),
        }
    }

    fn message_en(&self) -> String {
        match self {
            Self::Vrs(VrsError::Invalid(report)) => {
                let (n, list) = problems_listed(report);
                format!("{n} problem(s); nothing was exported:\n{list}")
            }
            other => other.to_string(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot(_) => "VRS出力は本部の端末でのみ行えます".into(),
            Self::Vrs(VrsError::Invalid(report)) => {
                let (n, list) = problems_listed(report);
                format!("{n}件の問題があるため、何も出力していません:\n{list}")
            }
            Self::SiteMunicipality(e) => format!("接種自治体コード: {}", e.message_ja()),
            other => format!("VRS出力に失敗しました: {other}"),
        }
    }
}

/// The number of problems and the first [`PROBLEMS_LISTED`] of them, one per line.
fn problems_listed(report: &vax_vrs::ValidationReport) -> (usize, String) {
    let n = report.problems.len();
    let mut list: Vec<String> = report
        .problems
        .iter()
        .take(PROBLEMS_LISTED)
        .map(ToString::to_string)
        .collect();
    if n > PROBLEMS_LISTED {
        list.push(format!("… {} more", n - PROBLEMS_LISTED));
    }
    (n, list.join("\n"))
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
    let actor = crate::audit::hq_actor(ledger, now)?;
    let report = vax_vrs::export_batch(
        ledger,
        Catalogue::builtin(),
        options,
        out_dir,
        now,
        progress,
    )?;
    if let Some(batch) = report.batch {
        let about = crate::audit::About {
            record: Some(format!("vrs batch {batch}")),
            detail: format!(
                "VRS export: {} dose records, {} corrections",
                report.exported, report.corrections
            ),
            ..Default::default()
        };
        let mut tx = ledger.transaction()?;
        crate::audit::record(&mut tx, &actor, vax_sync::AuditAction::Export, &about, now)?;
        tx.commit()?;
    }
    Ok(report)
}

/// Text encoding of the VRS files, as a person picks it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum VrsEncoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM (for Excel).
    Utf8Bom,
    /// CP932 / Shift_JIS.
    Cp932,
}

/// An export as a person asks for it: the HQ screen's form, `vaxhq vrs export`'s flags.
#[derive(Debug, Clone, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VrsExportRequest {
    /// Folder to write into (created if missing).
    pub out_dir: String,
    /// Text encoding.
    pub encoding: VrsEncoding,
    /// Header row of Japanese item names.
    pub header: bool,
    /// CRLF line ends (else LF).
    pub crlf: bool,
    /// Export the valid records and list the rest, instead of exporting nothing.
    pub export_valid: bool,
    /// 接種自治体コード to write, when not the residents' own (blank: the residents' own).
    pub site_municipality: Option<String>,
    /// Dose groups per row of the 台帳形式 file (default 2).
    #[serde(default)]
    pub dose_groups: Option<u8>,
}

impl VrsExportRequest {
    /// The export options it asks for.
    pub fn options(&self) -> Result<ExportOptions, HqError> {
        let site_municipality = match self.site_municipality.as_deref().map(str::trim) {
            None | Some("") => None,
            Some(code) => Some(MunicipalityCode::parse(code).map_err(HqError::SiteMunicipality)?),
        };
        Ok(ExportOptions {
            layout: Layout {
                encoding: match self.encoding {
                    VrsEncoding::Utf8 => Encoding::Utf8,
                    VrsEncoding::Utf8Bom => Encoding::Utf8Bom,
                    VrsEncoding::Cp932 => Encoding::Cp932,
                },
                header: self.header,
                line_ending: if self.crlf {
                    LineEnding::Crlf
                } else {
                    LineEnding::Lf
                },
                dose_groups: self.dose_groups.unwrap_or(Layout::default().dose_groups),
            },
            site_municipality,
            on_invalid: if self.export_valid {
                OnInvalid::ExportValid
            } else {
                OnInvalid::RejectBatch
            },
        })
    }
}

/// What an export did, for a screen.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VrsExportSummary {
    /// The new batch, or none when nothing was new.
    pub batch: Option<i64>,
    /// Files written.
    pub files: Vec<String>,
    /// Dose records exported.
    pub exported: u64,
    /// Residents in the 台帳形式 file.
    pub residents: u64,
    /// Corrections listed.
    pub corrections: u64,
    /// Records left out (with `export_valid`), one line each.
    pub left_out: Vec<String>,
}

impl From<&BatchReport> for VrsExportSummary {
    fn from(report: &BatchReport) -> Self {
        Self {
            batch: report.batch,
            files: report
                .files
                .iter()
                .map(|f| f.path.display().to_string())
                .collect(),
            exported: report.exported,
            residents: report.residents,
            corrections: report.corrections,
            left_out: report
                .left_out
                .problems
                .iter()
                .map(ToString::to_string)
                .collect(),
        }
    }
}

/// A past batch, for a screen.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VrsBatchSummary {
    /// Batch number.
    pub id: i64,
    /// When (`YYYY-MM-DD HH:MM`, Japan time).
    pub created_at: String,
    /// Records exported.
    pub exports: u64,
    /// Corrections listed.
    pub corrections: u64,
    /// File names.
    pub files: Vec<String>,
}

/// [`export_vrs`] as a person asks for it (the HQ screen), summarised for the screen.
pub fn export_vrs_requested(
    ledger: &mut Ledger,
    role: Role,
    request: &VrsExportRequest,
    now: DateTime<FixedOffset>,
) -> Result<VrsExportSummary, HqError> {
    let options = request.options()?;
    let out_dir = Path::new(&request.out_dir);
    let report = export_vrs(ledger, role, &options, out_dir, now, &mut |_, _| {})?;
    Ok(VrsExportSummary::from(&report))
}

/// Past VRS batches, oldest first, summarised for a screen.
pub fn vrs_batch_summaries(ledger: &Ledger) -> Result<Vec<VrsBatchSummary>, HqError> {
    Ok(vrs_batches(ledger)?
        .into_iter()
        .map(|b| VrsBatchSummary {
            id: b.id,
            created_at: b.created_at.format("%Y-%m-%d %H:%M").to_string(),
            exports: b.exports,
            corrections: b.corrections,
            files: b.files.into_iter().map(|f| f.name).collect(),
        })
        .collect())
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
