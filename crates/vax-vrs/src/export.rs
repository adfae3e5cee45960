//! The export run and the regeneration of a past batch.

use std::collections::HashMap;
use std::path::{Path, PathBuf};

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use vax_domain::product::Catalogue;
use vax_ledger::{
    Ledger, RowId, VrsBatch, VrsBatchFile, VrsCorrection, VrsDoseRow, VrsDoseState, VrsRecord,
};

use crate::files::{self, sha256_hex};
use crate::layout::{self, FileKind, Layout, Renderer, LAYOUT_VERSION, MAX_DOSE_GROUPS};
use crate::validate::{self, Problem, Rule, ValidationReport};
use crate::{ExportOptions, OnInvalid, VrsError};

/// A file written by an export or a regeneration.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct WrittenFile {
    /// Which file.
    pub kind: FileKind,
    /// Where it is.
    pub path: PathBuf,
    /// Its length.
    pub bytes: u64,
    /// SHA-256 of its bytes, lower-case hex.
    pub sha256: String,
}

/// What an export run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct BatchReport {
    /// The new batch's number; `None` when nothing was new, voided or corrected since the
    /// last batch (then no file is written and no batch recorded).
    pub batch: Option<i64>,
    /// The run's time.
    pub created_at: DateTime<FixedOffset>,
    /// The files written: 台帳形式 and dose files when records were exported, the
    /// correction list when corrections were listed.
    pub files: Vec<WrittenFile>,
    /// Rows of the 台帳形式 file (vouchers).
    pub residents: u64,
    /// Dose records exported.
    pub exported: u64,
    /// Corrections listed.
    pub corrections: u64,
    /// With [`OnInvalid::ExportValid`]: the records left out and why. They stay pending and
    /// are checked again by the next run.
    pub left_out: ValidationReport,
}

/// How often the progress callback is called during validation.
const PROGRESS_STEP: usize = 4096;

fn order_key(row: &VrsDoseRow) -> (&str, &str, u8, &str) {
    (
        &row.municipality_code,
        &row.voucher_number,
        row.dose_number,
        &row.uid,
    )
}

/// The duplicate-dose problem of a pending record, if another valid record has the same
/// resident and dose number (pending too, or exported and not voided).
fn duplicate_problem(
    row: &VrsDoseRow,
    twice: &HashMap<(RowId, u8), Vec<String>>,
    exported: Option<&(String, i64)>,
    options: &ExportOptions,
) -> Option<Problem> {
    let key = (row.resident_id, row.dose_number);
    let mut others: Vec<String> = twice
        .get(&key)
        .into_iter()
        .flatten()
        .filter(|uid| **uid != row.uid)
        .map(|uid| format!("{uid} (not yet exported)"))
        .collect();
    if let Some((uid, batch)) = exported {
        others.push(format!("{uid} (exported in batch {batch})"));
    }
    if others.is_empty() {
        return None;
    }
    let mut check = validate::RecordCheck::new(row, false, options.layout.encoding);
    check.problem(
        Rule::DuplicateDose,
        format!(
            "dose {} of this resident is also recorded by {}; void the wrong record",
            row.dose_number,
            others.join(", ")
        ),
    );
    check.problems.pop()
}

fn check_options(options: &ExportOptions) -> Result<(), VrsError> {
    let groups = options.layout.dose_groups;
    if groups == 0 || groups > MAX_DOSE_GROUPS {
        return Err(VrsError::Options(format!(
            "dose_groups is {groups}; it must be 1 to {MAX_DOSE_GROUPS}"
        )));
    }
    Ok(())
}

/// Exports every dose record that is new since the last batch, and lists every exported
/// record voided since, as a new batch in `out_dir`.
///
/// - Validation comes first, of every record ([`Rule`]). With [`OnInvalid::RejectBatch`]
///   any problem stops the run with [`VrsError::Invalid`], listing them all: no file is
///   written and nothing is recorded. With [`OnInvalid::ExportValid`] the valid records are
///   exported and the others returned in [`BatchReport::left_out`].
/// - The batch (options, every record's fields as written, the files' SHA-256) is
///   recorded in the ledger in the same transaction that read the records, so a second run
///   exports nothing twice, and [`regenerate_batch`] can write the files again.
/// - Files are written to temporary names and synced before the ledger commits, and
///   renamed into place after: a crash leaves either no batch, or a recorded batch whose
///   files [`regenerate_batch`] writes ([`VrsError::FilesNotPlaced`]).
/// - `progress(done, total)` is called as records are checked.
/// - `now` stamps the batch and names its files; doses dated after it are refused.
pub fn export_batch(
    ledger: &mut Ledger,
    catalogue: &Catalogue,
    options: &ExportOptions,
    out_dir: &Path,
    now: DateTime<FixedOffset>,
    progress: &mut dyn FnMut(u64, u64),
) -> Result<BatchReport, VrsError> {
    check_options(options)?;
    let tx = ledger.vrs_export()?;
    let reader = tx.reader();

    let mut pending: Vec<VrsDoseRow> = Vec::new();
    let mut voided: Vec<VrsDoseRow> = Vec::new();
    let mut exported_valid: HashMap<(RowId, u8), (String, i64)> = HashMap::new();
    reader.for_each_dose(|row| match row.state {
        VrsDoseState::Pending => pending.push(row),
        VrsDoseState::VoidedAfterExport { .. } => voided.push(row),
        VrsDoseState::Exported { batch } => {
            exported_valid.insert((row.resident_id, row.dose_number), (row.uid, batch));
        }
    })?;
    pending.sort_unstable_by(|a, b| order_key(a).cmp(&order_key(b)));
    voided.sort_unstable_by(|a, b| order_key(a).cmp(&order_key(b)));

    let total = (pending.len() + voided.len()) as u64;
    progress(0, total);
    // Keys of doses recorded more than once among the pending, with their uids.
    let mut pending_per_dose: HashMap<(RowId, u8), u32> = HashMap::with_capacity(pending.len());
    for row in &pending {
        *pending_per_dose
            .entry((row.resident_id, row.dose_number))
            .or_default() += 1;
    }
    let mut twice: HashMap<(RowId, u8), Vec<String>> = HashMap::new();
    for row in &pending {
        let key = (row.resident_id, row.dose_number);
        if pending_per_dose[&key] > 1 {
            twice.entry(key).or_default().push(row.uid.clone());
        }
    }

    let mut problems: Vec<Problem> = Vec::new();
    let mut exports: Vec<VrsRecord> = Vec::with_capacity(pending.len());
    for (i, row) in pending.into_iter().enumerate() {
        let key = (row.resident_id, row.dose_number);
        let duplicate = duplicate_problem(&row, &twice, exported_valid.get(&key), options);
        match validate::pending_record(row, catalogue, options, &now) {
            Ok(record) if duplicate.is_none() => exports.push(record),
            Ok(_) => {}
            Err(p) => problems.extend(p),
        }
        problems.extend(duplicate);
        if i % PROGRESS_STEP == 0 {
            progress(i as u64, total);
        }
    }

    let mut corrections: Vec<VrsCorrection> = Vec::with_capacity(voided.len());
    for row in &voided {
        let Some((exported_batch, record)) = reader.exported_record(&row.uid)? else {
            continue;
        };
        match validate::correction_fields(row, &record, options.layout.encoding) {
            Ok((voided_at, void_reason)) => corrections.push(VrsCorrection {
                record,
                exported_batch,
                voided_at,
                void_reason,
            }),
            Err(p) => problems.extend(p),
        }
    }
    progress(total, total);

    let left_out = ValidationReport { problems };
    if !left_out.problems.is_empty() && options.on_invalid == OnInvalid::RejectBatch {
        return Err(VrsError::Invalid(left_out));
    }
    let mut report = BatchReport {
        batch: None,
        created_at: now,
        files: Vec::new(),
        residents: 0,
        exported: exports.len() as u64,
        corrections: corrections.len() as u64,
        left_out,
    };
    if exports.is_empty() && corrections.is_empty() {
        return Ok(report);
    }

    let options_json =
        serde_json::to_string(options).map_err(|e| VrsError::Options(e.to_string()))?;
    let batch = tx.begin_batch(
        &now,
        LAYOUT_VERSION,
        &options_json,
        exports.len(),
        corrections.len(),
    )?;
    // Rendering and hashing the files on a second core overlaps recording the records;
    // both only read `exports` and `corrections`.
    let (recorded, rendered) = std::thread::scope(|s| {
        let files = s.spawn(|| {
            render(&options.layout, batch, &now, &exports, &corrections).map(|files| {
                files
                    .into_iter()
                    .map(|(kind, name, bytes)| {
                        let sha256 = sha256_hex(&bytes);
                        (kind, name, bytes, sha256)
                    })
                    .collect::<Vec<_>>()
            })
        });
        let recorded = tx
            .add_exports(batch, &exports)
            .and_then(|()| tx.add_corrections(batch, &corrections));
        let rendered = files
            .join()
            .unwrap_or_else(|panic| std::panic::resume_unwind(panic));
        (recorded, rendered)
    });
    recorded?;
    let mut files = Vec::new();
    for (kind, name, bytes, sha256) in rendered? {
        tx.add_file(
            batch,
            &VrsBatchFile {
                kind: kind.code().to_owned(),
                name: name.clone(),
                bytes: bytes.len() as u64,
                sha256: sha256.clone(),
            },
        )?;
        files.push((kind, name, bytes, sha256));
    }
    let rendered = files;
    report.residents = count_vouchers(&exports);
    report.batch = Some(batch);
    report.files = write_files(batch, out_dir, rendered, Tx::Commit(tx))?;
    Ok(report)
}

fn count_vouchers(records: &[VrsRecord]) -> u64 {
    let mut n = 0;
    let mut last: Option<(&str, &str)> = None;
    for r in records {
        let key = (r.municipality_code.as_str(), r.voucher_number.as_str());
        if last != Some(key) {
            n += 1;
            last = Some(key);
        }
    }
    n
}

type Rendered = Vec<(FileKind, String, Vec<u8>)>;

fn render(
    layout: &Layout,
    batch: i64,
    created_at: &DateTime<FixedOffset>,
    exports: &[VrsRecord],
    corrections: &[VrsCorrection],
) -> Result<Rendered, VrsError> {
    let renderer = Renderer::new(*layout);
    let mut out = Vec::with_capacity(3);
    let err = |file| move |source| VrsError::Render { file, source };
    if !exports.is_empty() {
        out.push((
            FileKind::Ledger,
            layout::file_name(batch, created_at, FileKind::Ledger),
            renderer.ledger_file(exports).map_err(err("台帳形式"))?,
        ));
        out.push((
            FileKind::Doses,
            layout::file_name(batch, created_at, FileKind::Doses),
            renderer.doses_file(exports).map_err(err("doses"))?,
        ));
    }
    if !corrections.is_empty() {
        out.push((
            FileKind::Corrections,
            layout::file_name(batch, created_at, FileKind::Corrections),
            renderer
                .corrections_file(corrections)
                .map_err(err("corrections"))?,
        ));
    }
    Ok(out)
}

enum Tx<'c> {
    /// Commit this transaction between staging and placing the files.
    Commit(vax_ledger::VrsExportTx<'c>),
    /// Nothing to commit (regeneration).
    None,
}

/// Rendered files with their SHA-256.
type Hashed = Vec<(FileKind, String, Vec<u8>, String)>;

fn write_files(
    batch: i64,
    out_dir: &Path,
    rendered: Hashed,
    tx: Tx<'_>,
) -> Result<Vec<WrittenFile>, VrsError> {
    let named: Vec<(&str, &[u8])> = rendered
        .iter()
        .map(|(_, name, bytes, _)| (name.as_str(), bytes.as_slice()))
        .collect();
    let staged = files::stage(out_dir, &named)?;
    if let Tx::Commit(tx) = tx {
        tx.commit()?;
    }
    let placed = staged
        .place()
        .map_err(|(path, source)| VrsError::FilesNotPlaced {
            batch,
            path,
            source,
        })?;
    Ok(rendered
        .into_iter()
        .zip(placed)
        .map(|((kind, _, bytes, sha256), path)| WrittenFile {
            kind,
            path,
            bytes: bytes.len() as u64,
            sha256,
        })
        .collect())
}

/// Writes the files of past batch `batch` again into `out_dir`, byte for byte, from what
/// the ledger recorded (the options and every record's fields as written), whatever
/// changed since in the ledger or the product catalogue. Each file's SHA-256 is checked
/// against the recorded one before anything is written ([`VrsError::RegenerationMismatch`]).
pub fn regenerate_batch(
    ledger: &Ledger,
    batch: i64,
    out_dir: &Path,
) -> Result<Vec<WrittenFile>, VrsError> {
    let reader = ledger.vrs_reader();
    let recorded: VrsBatch = reader.batch(batch)?;
    if recorded.layout_version != LAYOUT_VERSION {
        return Err(VrsError::LayoutVersion {
            batch,
            found: recorded.layout_version,
            supported: LAYOUT_VERSION,
        });
    }
    let options: ExportOptions = serde_json::from_str(&recorded.options)
        .map_err(|source| VrsError::StoredOptions { batch, source })?;
    let exports = reader.batch_exports(batch)?;
    let corrections = reader.batch_corrections(batch)?;
    let rendered = render(
        &options.layout,
        batch,
        &recorded.created_at,
        &exports,
        &corrections,
    )?;
    let mut hashed: Hashed = Vec::with_capacity(rendered.len());
    for (kind, name, bytes) in rendered {
        let found = sha256_hex(&bytes);
        let expected = recorded.files.iter().find(|f| f.kind == kind.code());
        match expected {
            Some(f) if f.sha256 == found => hashed.push((kind, f.name.clone(), bytes, found)),
            _ => {
                return Err(VrsError::RegenerationMismatch {
                    batch,
                    file: name,
                    expected: expected.map(|f| f.sha256.clone()).unwrap_or_default(),
                    found,
                })
            }
        }
    }
    if hashed.len() != recorded.files.len() {
        return Err(VrsError::RegenerationMismatch {
            batch,
            file: format!("{} file(s)", recorded.files.len()),
            expected: format!("{} file(s)", recorded.files.len()),
            found: format!("{} file(s)", hashed.len()),
        });
    }
    write_files(batch, out_dir, hashed, Tx::None)
}

/// Every batch recorded in the ledger, oldest first (for the HQ view's history).
pub fn batches(ledger: &Ledger) -> Result<Vec<VrsBatch>, VrsError> {
    Ok(ledger.vrs_reader().batches()?)
}
