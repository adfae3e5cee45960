//! Headquarters: the nightly VRS export.

use std::path::PathBuf;

use serde::{Deserialize, Serialize};
use tauri::State;
use vax_app::hq::{
    export_vrs, vrs_batches, Encoding, ExportOptions, Layout, LineEnding, OnInvalid,
};
use vax_app::print::MailingDetails;
use vax_domain::voucher::MunicipalityCode;

use super::enrolled;
use crate::state::{lock, now_jst, VoucherPrint};
use crate::{AppState, IpcError};

/// Text encoding of the VRS files, as the HQ screen offers it.
#[derive(Debug, Clone, Copy, Deserialize, ts_rs::TS)]
#[serde(rename_all = "snake_case")]
pub enum VrsEncoding {
    /// UTF-8 without BOM.
    Utf8,
    /// UTF-8 with BOM.
    Utf8Bom,
    /// CP932 / Shift_JIS.
    Cp932,
}

/// The HQ screen's export form.
#[derive(Debug, Clone, Deserialize, ts_rs::TS)]
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
    /// 接種自治体コード to write, when not the residents' own.
    pub site_municipality: Option<String>,
}

/// What an export did, for the screen.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
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

/// A past batch, for the screen.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct VrsBatchSummary {
    /// Batch number.
    pub id: i64,
    /// When.
    pub created_at: String,
    /// Records exported.
    pub exports: u64,
    /// Corrections listed.
    pub corrections: u64,
    /// File names.
    pub files: Vec<String>,
}

/// How many problems an error message lists; the command line lists them all.
const PROBLEMS_LISTED: usize = 20;

impl From<vax_app::hq::HqError> for IpcError {
    fn from(e: vax_app::hq::HqError) -> Self {
        use vax_app::hq::{HqError, VrsError};
        match e {
            HqError::RoleMayNot(_) => IpcError::new(
                "ROLE_MAY_NOT",
                e.to_string(),
                "VRS出力は本部の端末でのみ行えます".into(),
            ),
            HqError::Vrs(VrsError::Invalid(report)) => {
                let n = report.problems.len();
                let list: Vec<String> = report
                    .problems
                    .iter()
                    .take(PROBLEMS_LISTED)
                    .map(ToString::to_string)
                    .collect();
                let more = if n > PROBLEMS_LISTED {
                    format!("\n… {} more", n - PROBLEMS_LISTED)
                } else {
                    String::new()
                };
                IpcError::new(
                    "VRS_INVALID",
                    format!(
                        "{n} problem(s); nothing was exported:\n{}{more}",
                        list.join("\n")
                    ),
                    format!(
                        "{n}件の問題があるため、何も出力していません:\n{}{more}",
                        list.join("\n")
                    ),
                )
            }
            other => IpcError::new(
                "VRS_FAILED",
                other.to_string(),
                format!("VRS出力に失敗しました: {other}"),
            ),
        }
    }
}

impl From<vax_app::print::PrintJobError> for IpcError {
    fn from(e: vax_app::print::PrintJobError) -> Self {
        IpcError::new(e.code(), e.to_string(), e.message_ja())
    }
}

/// The HQ screen's view of the city-wide voucher batch.
#[derive(Debug, Clone, Serialize, ts_rs::TS)]
pub struct VoucherPrintStatus {
    /// Progress, files, error.
    pub job: vax_app::print::VoucherJobStatus,
    /// Whether the folder was opened in the file manager.
    pub opened: bool,
}

/// The sender and contact lines saved for the voucher sheets (none until HQ sets them; the
/// demo city brings its own).
#[tauri::command]
pub async fn hq_mailing_details(
    state: State<'_, AppState>,
) -> Result<Option<MailingDetails>, IpcError> {
    Ok(vax_app::print::mailing_details(&*state.ledger()?)?)
}

/// Saves the sender and contact lines as typed on the screen, then starts printing every
/// resident's voucher sheet with them into a dated folder beside the ledger
/// (`print/vouchers-YYYY-MM-DD`). Headquarters only (vax-app checks the role).
#[tauri::command]
pub async fn hq_voucher_print_start(
    state: State<'_, AppState>,
    mailing: MailingDetails,
) -> Result<VoucherPrintStatus, IpcError> {
    let mut slot = lock(&state.voucher_print);
    if slot.as_ref().is_some_and(|p| !p.job.is_finished()) {
        return Err(vax_app::print::PrintJobError::Busy.into());
    }
    let font = vax_app::print::JapaneseFont::system_default()
        .map_err(|e| vax_app::print::PrintJobError::from(vax_app::print::PrintError::from(e)))?;
    let role = {
        let mut ledger = state.ledger()?;
        let role = enrolled(&ledger)?.role;
        vax_app::print::set_mailing_details(&mut ledger, &font, role, &mailing)?;
        role
    };
    let today = now_jst().date_naive();
    let out_dir = state
        .path
        .parent()
        .map(PathBuf::from)
        .unwrap_or_default()
        .join("print")
        .join(format!("vouchers-{today}"));
    let opts = vax_app::print::BatchOptions::new(out_dir, today);
    let job = vax_app::print::VoucherJob::start(&state.path, role, font, opts)?;
    let status = job.status();
    *slot = Some(VoucherPrint { job, opened: false });
    Ok(VoucherPrintStatus {
        job: status,
        opened: false,
    })
}

/// Where the voucher batch stands (none if it was never started). Once it is done, the
/// folder is opened in the file manager, once (not with `VAXLEDGER_PRINT_OPEN=0`).
#[tauri::command]
pub async fn hq_voucher_print_status(
    state: State<'_, AppState>,
) -> Result<Option<VoucherPrintStatus>, IpcError> {
    let mut slot = lock(&state.voucher_print);
    let Some(print) = slot.as_mut() else {
        return Ok(None);
    };
    let job = print.job.status();
    if job.state == vax_app::print::JobState::Done && !print.opened {
        print.opened = super::open_on_desktop(std::path::Path::new(&job.out_dir));
    }
    Ok(Some(VoucherPrintStatus {
        job,
        opened: print.opened,
    }))
}

/// Stops the voucher batch after the page in hand; the pages printed so far are kept.
#[tauri::command]
pub async fn hq_voucher_print_cancel(state: State<'_, AppState>) -> Result<(), IpcError> {
    if let Some(print) = lock(&state.voucher_print).as_ref() {
        print.job.cancel();
    }
    Ok(())
}

/// The default export folder: `vrs-export` beside the ledger.
#[tauri::command]
pub async fn hq_default_export_dir(state: State<'_, AppState>) -> Result<String, IpcError> {
    let dir = state.path.parent().map(PathBuf::from).unwrap_or_default();
    Ok(dir.join("vrs-export").display().to_string())
}

#[tauri::command]
pub async fn hq_vrs_export(
    state: State<'_, AppState>,
    request: VrsExportRequest,
) -> Result<VrsExportSummary, IpcError> {
    let mut ledger = state.ledger()?;
    let e = enrolled(&ledger)?;
    let site_municipality = match request.site_municipality.as_deref().map(str::trim) {
        None | Some("") => None,
        Some(code) => Some(
            MunicipalityCode::parse(code)
                .map_err(|err| IpcError::invalid(&err.to_string(), &err.message_ja()))?,
        ),
    };
    let options = ExportOptions {
        layout: Layout {
            encoding: match request.encoding {
                VrsEncoding::Utf8 => Encoding::Utf8,
                VrsEncoding::Utf8Bom => Encoding::Utf8Bom,
                VrsEncoding::Cp932 => Encoding::Cp932,
            },
            header: request.header,
            line_ending: if request.crlf {
                LineEnding::Crlf
            } else {
                LineEnding::Lf
            },
            ..Layout::default()
        },
        site_municipality,
        on_invalid: if request.export_valid {
            OnInvalid::ExportValid
        } else {
            OnInvalid::RejectBatch
        },
    };
    let report = export_vrs(
        &mut ledger,
        e.role,
        &options,
        &PathBuf::from(&request.out_dir),
        now_jst(),
        &mut |_, _| {},
    )?;
    Ok(VrsExportSummary {
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
    })
}

#[tauri::command]
pub async fn hq_vrs_batches(state: State<'_, AppState>) -> Result<Vec<VrsBatchSummary>, IpcError> {
    let ledger = state.ledger()?;
    Ok(vrs_batches(&ledger)?
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
