//! A whole paper day sheet back-entered from one CSV file, all or nothing (issue 17,
//! docs/venue-resilience.md "A whole sheet from one file").
//!
//! After an outage the manager (or an officer at the town hall) types the handwritten sheet
//! into Excel, one row per line of the sheet, and saves it as CSV. Every row goes through
//! the same rules as a row typed on the back-entry screen ([`super::paper::back_enter`]), row
//! after row in **one** transaction, so a row sees the rows above it: a resident written twice
//! is a duplicate dose, and the vial a row opens is the one the next row draws from. Any bad
//! row — a malformed field, a voucher nobody holds, a duplicate (in the ledger or within the
//! file), a lot not open that day, a time in the future or outside the venue day — refuses the
//! whole file: the transaction is rolled back, the ledger is unchanged, and every bad line is
//! listed with its line number. The preview is the same run, rolled back.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::resident::parse_date;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber, VoucherPayload};
use vax_ledger::Ledger;

use super::paper::{back_enter_in, clock_time, may_back_enter, BackEntered, BackEntry};
use super::walk_in::{fetch_walk_in, walk_in_of_voucher, WalkInStep};
use super::{DeskError, Enrollment};
use crate::import::{
    decode, read_rows, Column, ImportError, ImportProblem, ParsedRows, Row, TextEncoding,
};
use crate::progress::NoProgress;
use crate::sync::LedgerAccess;

/// The columns of a sheet file, in the order of the paper sheet (docs/venue-resilience.md).
const COLUMNS: &[Column] = &[
    Column::required("接種券番号", &["券番号", "行QR", "QR", "接種券"]),
    Column::required("接種日", &["日付", "接種年月日"]),
    Column::required("接種時刻", &["時刻", "接種時間"]),
    Column::required("ロット番号", &["ロット", "ロットNo", "ロットNo."]),
    Column::required("接種者", &["接種医師", "医師名"]),
    Column::optional("接種部位", &["部位"]),
    Column::optional("観察終了", &["観察終了時刻"]),
    Column::optional("氏名", &["名前"]),
];

const VOUCHER: usize = 0;
const DATE: usize = 1;
const TIME: usize = 2;
const LOT: usize = 3;
const VACCINATOR: usize = 4;
const SITE: usize = 5;
const OBSERVED: usize = 6;
const NAME: usize = 7;

/// The injection site when the file has no 接種部位 column or leaves the cell empty.
pub const DEFAULT_SITE: &str = "左上腕";

/// A sheet file as the back-entry screen sends it.
#[derive(Debug, Clone, PartialEq, Eq, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetFile {
    /// The file's bytes: UTF-8 (with or without BOM) or CP932.
    pub bytes: Vec<u8>,
    /// The file's name as chosen (`sheet-V01-0601.csv`), named with the line in the audit
    /// trail; none when the screen does not know it.
    #[serde(default)]
    pub name: Option<String>,
}

/// One data row of a sheet file, read but not yet checked against the ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SheetRow {
    /// The line of the file (the header is line 1).
    pub line: u64,
    /// The row as the single-row back-entry takes it.
    pub entry: BackEntry,
    /// 氏名 as written, when the file has it: checked against the voucher's holder.
    pub name: Option<String>,
}

/// A sheet file read: its rows, and every problem of its format.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ParsedSheet {
    /// `UTF-8` or `CP932`.
    pub encoding: String,
    /// The rows whose every field is well formed.
    pub rows: Vec<SheetRow>,
    /// Every format problem, in line order.
    pub problems: Vec<SheetProblem>,
    /// Columns the reader does not know (ignored), e.g. 受付 or 備考.
    pub ignored_columns: Vec<String>,
}

/// Why one line of a sheet file is refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetProblem {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column, when the problem is in one field.
    pub column: Option<String>,
    /// The rule: `INVALID_INPUT` for a malformed field, `DUPLICATE_DOSE`, `LOT_NOT_OPEN`…
    pub code: ErrorCode,
    /// What is wrong, in English.
    pub message_en: String,
    /// What is wrong, in Japanese.
    pub message_ja: String,
}

impl std::fmt::Display for SheetProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(f, "line {} [{c}]: ", self.line)?,
            None => write!(f, "line {}: ", self.line)?,
        }
        write!(f, "{} / {}", self.message_en, self.message_ja)
    }
}

impl From<ImportProblem> for SheetProblem {
    fn from(p: ImportProblem) -> Self {
        Self {
            line: p.line,
            column: p.column,
            code: ErrorCode::InvalidInput,
            message_en: p.message_en,
            message_ja: p.message_ja,
        }
    }
}

/// A row of the sheet and what it records.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetLine {
    /// The line of the file.
    pub line: u64,
    /// 券番号 (10 digits) of the row.
    pub voucher: String,
    /// The dose and check-in recorded (or, in a preview, that would be).
    pub entered: BackEntered,
}

/// A sheet checked against the ledger: what it records, or every line refused.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SheetOutcome {
    /// `UTF-8` or `CP932`.
    pub encoding: String,
    /// Every row that passes, in line order, with what it records.
    pub rows: Vec<SheetLine>,
    /// Every line refused, in line order: when any, nothing is recorded.
    pub refusals: Vec<SheetProblem>,
    /// Columns ignored.
    pub ignored_columns: Vec<String>,
    /// Whether the rows were recorded (false for a preview).
    pub committed: bool,
}

/// Why a sheet was not recorded.
#[derive(Debug, Error)]
pub enum SheetError {
    /// Not enrolled, a role other than the venue manager's, or the ledger failed.
    #[error(transparent)]
    Desk(#[from] DeskError),
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// Lines of the sheet are refused; nothing was recorded.
    #[error("{} line(s) of the sheet refused; nothing was recorded", problems.len())]
    Refused {
        /// Every line refused, in line order.
        problems: Vec<SheetProblem>,
    },
}

impl From<vax_ledger::LedgerError> for SheetError {
    fn from(e: vax_ledger::LedgerError) -> Self {
        Self::Desk(e.into())
    }
}

impl UserFacing for SheetError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Desk(e) => e.code(),
            Self::Read { .. } | Self::Refused { .. } => ErrorCode::InvalidInput,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Desk(e) => e.message_ja(),
            Self::Read { path, source } => format!("{path} を読めません: {source}"),
            Self::Refused { problems } => format!(
                "記録票の{}行に問題があるため、何も記録していません",
                problems.len()
            ),
        }
    }
}

impl SheetError {
    /// Every line refused; empty for other errors.
    pub fn problems(&self) -> &[SheetProblem] {
        match self {
            Self::Refused { problems } => problems,
            _ => &[],
        }
    }
}

fn as_problems(e: ImportError) -> Result<Vec<SheetProblem>, SheetError> {
    match e {
        ImportError::Rejected { problems } => Ok(problems.into_iter().map(Into::into).collect()),
        ImportError::Read { path, source } => Err(SheetError::Read { path, source }),
        ImportError::Ledger(e) => Err(e.into()),
    }
}

/// A time as a spreadsheet writes it: `9:12`, `09:12` or `9:12:00`, full-width digits too.
fn sheet_time(text: &str) -> Result<NaiveTime, (String, String)> {
    clock_time(text).ok_or_else(|| {
        (
            format!("{:?} is not a 24-hour time (HH:MM)", text.trim()),
            format!("「{}」は24時間制の時刻（時:分）ではありません", text.trim()),
        )
    })
}

fn sheet_date(text: &str) -> Result<NaiveDate, (String, String)> {
    parse_date(text).map_err(|e| (e.to_string(), e.message_ja()))
}

fn sheet_voucher(text: &str) -> Result<String, (String, String)> {
    VoucherPayload::parse(text)
        .map(|_| text.trim().to_owned())
        .map_err(|e| (e.to_string(), e.message_ja()))
}

fn filled(text: &str) -> Result<String, (String, String)> {
    match text.trim() {
        "" => Err(("is required".into(), "必須です".into())),
        t => Ok(t.to_owned()),
    }
}

fn parse_row(row: &mut Row<'_>) -> Option<SheetRow> {
    let voucher = row.field_with(VOUCHER, sheet_voucher);
    let date = row.field_with(DATE, sheet_date);
    let time = row.field_with(TIME, sheet_time);
    let lot = row.field_with(LOT, filled);
    let vaccinator = row.field_with(VACCINATOR, filled);
    let site = row.field_with(SITE, |v| {
        Ok::<_, (String, String)>(match v.trim() {
            "" => DEFAULT_SITE.to_owned(),
            site => site.to_owned(),
        })
    });
    let observed = row.field_with(OBSERVED, |v| match v.trim() {
        "" => Ok(None),
        t => sheet_time(t).map(Some),
    });
    let name = row.field_with(NAME, |v| {
        Ok::<_, (String, String)>(Some(v.trim().to_owned()).filter(|n| !n.is_empty()))
    });
    Some(SheetRow {
        line: row.line,
        entry: BackEntry {
            voucher: voucher?,
            date: date?,
            given_at: time?.format("%H:%M:%S").to_string(),
            lot_number: lot?,
            vaccinator: vaccinator?,
            injection_site: site?,
            observed_until: observed?
                .map_or_else(String::new, |t| t.format("%H:%M:%S").to_string()),
        },
        name: name?,
    })
}

/// Reads a sheet file's format (no ledger): the rows, and every malformed field, missing
/// column or unreadable byte with its line.
///
/// # Errors
/// None for a bad file (its problems are in [`ParsedSheet::problems`]).
pub fn parse_sheet(bytes: &[u8], encoding: TextEncoding) -> ParsedSheet {
    let (text, encoding) = match decode(bytes, encoding) {
        Ok(decoded) => decoded,
        Err(e) => {
            return ParsedSheet {
                encoding: String::new(),
                rows: Vec::new(),
                problems: as_problems(e).unwrap_or_default(),
                ignored_columns: Vec::new(),
            }
        }
    };
    match read_rows(&text, COLUMNS, &mut NoProgress, parse_row) {
        Ok(ParsedRows {
            rows,
            problems,
            ignored_columns,
            ..
        }) => {
            let mut problems: Vec<SheetProblem> = problems.into_iter().map(Into::into).collect();
            problems.sort_by_key(|p| p.line);
            ParsedSheet {
                encoding: encoding.to_owned(),
                rows: rows.into_iter().map(|(_, r)| r).collect(),
                problems,
                ignored_columns,
            }
        }
        Err(e) => ParsedSheet {
            encoding: encoding.to_owned(),
            rows: Vec::new(),
            problems: as_problems(e).unwrap_or_default(),
            ignored_columns: Vec::new(),
        },
    }
}

/// A name as compared with the register: NFKC, without blanks (全角/半角 spaces differ).
fn name_key(name: &str) -> String {
    name.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// The file's column a refusal is about, when it is about one.
fn column_of(e: &DeskError) -> Option<&'static str> {
    let column = match e {
        DeskError::Voucher(_) => VOUCHER,
        DeskError::LotNotOpen
        | DeskError::LotQuarantined { .. }
        | DeskError::LotExpired { .. }
        | DeskError::VialPastClock { .. }
        | DeskError::NoVialLeft => LOT,
        DeskError::Invalid { field, .. } => {
            // "time given / 接種時刻": the Japanese half names the column.
            let ja = field.rsplit(' ').next().unwrap_or(field);
            return COLUMNS
                .iter()
                .find(|c| c.name == ja || c.name.starts_with(ja))
                .map(|c| c.name);
        }
        _ => return None,
    };
    Some(COLUMNS[column].name)
}

fn refusal(line: u64, e: &DeskError) -> SheetProblem {
    SheetProblem {
        line,
        column: column_of(e).map(str::to_owned),
        code: e.code(),
        message_en: e.to_string(),
        message_ja: e.message_ja(),
    }
}

/// Where a row of the file came from, as the audit trail names it: `line 3 of sheet.csv`.
/// Only the file's own name is kept (no folders: they say nothing of the sheet, and may be
/// personal).
fn source_of(line: u64, file_name: Option<&str>) -> String {
    let name = file_name
        .and_then(|n| n.rsplit(['/', '\\']).next())
        .map(str::trim)
        .filter(|n| !n.is_empty());
    match name {
        Some(name) => format!("line {line} of {name}"),
        None => format!("line {line} of the sheet file"),
    }
}

/// The run behind [`preview_sheet`] and [`back_enter_sheet`]: the walk-ins from other
/// municipalities looked up online (without holding a shared ledger), then every row in one
/// transaction, committed only when `commit` and no line is refused.
fn run_sheet<A: LedgerAccess>(
    mut ledger: A,
    enrollment: &Enrollment,
    bytes: &[u8],
    file_name: Option<&str>,
    now: DateTime<FixedOffset>,
    commit: bool,
) -> Result<SheetOutcome, SheetError> {
    may_back_enter(enrollment)?;
    let parsed = parse_sheet(bytes, TextEncoding::Auto);
    let unreached = fetch_walk_ins(&mut ledger, &parsed.rows)?;
    ledger.with_ledger(|l| run_rows(l, enrollment, parsed, &unreached, (file_name, now), commit))
}

/// The walk-ins from other municipalities among the rows (docs/sync-spec.md §7b), looked up
/// online and merged before the rows are entered; returned are those whose record could not
/// be had, each with why (their rows are refused). Once the server is unreachable the rest
/// are not tried: each try would wait for the network again.
fn fetch_walk_ins<A: LedgerAccess>(
    ledger: &mut A,
    rows: &[SheetRow],
) -> Result<HashMap<(MunicipalityCode, VoucherNumber), DeskError>, SheetError> {
    let mut unreached = HashMap::new();
    let mut tried = HashSet::new();
    let mut offline: Option<String> = None;
    for row in rows {
        let walk_in = match ledger.with_ledger(|l| walk_in_of_voucher(l, &row.entry.voucher)) {
            Ok(Some(walk_in)) => walk_in,
            // A malformed voucher is reported by parse_sheet.
            Ok(None) | Err(DeskError::Voucher(_)) => continue,
            Err(e) => return Err(e.into()),
        };
        if !tried.insert(walk_in.clone()) {
            continue;
        }
        let (municipality, voucher) = &walk_in;
        let fetched = match &offline {
            Some(detail) => Err(DeskError::WalkInOffline {
                municipality: municipality.to_string(),
                step: WalkInStep::BackEntry,
                refused_by_server: false,
                detail: detail.clone(),
            }),
            None => fetch_walk_in(ledger, municipality, voucher, WalkInStep::BackEntry),
        };
        match fetched {
            Ok(()) => {}
            Err(e @ DeskError::WalkInUnknown { .. }) => {
                unreached.insert(walk_in, e);
            }
            Err(e @ DeskError::WalkInOffline { .. }) => {
                // Only a server out of reach is out of reach for the next walk-in too; a
                // refusal (the lookup bucket spent, say) is this lookup's own.
                if let DeskError::WalkInOffline {
                    detail,
                    refused_by_server: false,
                    ..
                } = &e
                {
                    offline = Some(detail.clone());
                }
                unreached.insert(walk_in, e);
            }
            Err(e) => return Err(e.into()),
        }
    }
    Ok(unreached)
}

/// Every row of a parsed sheet in one transaction (see [`run_sheet`]).
fn run_rows(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    parsed: ParsedSheet,
    unreached: &HashMap<(MunicipalityCode, VoucherNumber), DeskError>,
    (file_name, now): (Option<&str>, DateTime<FixedOffset>),
    commit: bool,
) -> Result<SheetOutcome, SheetError> {
    let mut refusals = parsed.problems;
    let mut rows = Vec::new();
    let mut tx = ledger.transaction()?;
    // The first line of each 券番号 and day: a resident written twice on one sheet.
    let mut first_line_of: HashMap<(Option<MunicipalityCode>, String, NaiveDate), u64> =
        HashMap::new();
    for row in &parsed.rows {
        let Ok(payload) = VoucherPayload::parse(&row.entry.voucher) else {
            continue; // parse_sheet has reported it
        };
        let number = payload.number().as_str().to_owned();
        // Numbers are unique within one municipality only.
        let key = (
            payload.municipality().cloned(),
            number.clone(),
            row.entry.date,
        );
        if let Some(first) = first_line_of.get(&key) {
            refusals.push(SheetProblem {
                line: row.line,
                column: Some(COLUMNS[VOUCHER].name.to_owned()),
                code: ErrorCode::DuplicateDose,
                message_en: format!("voucher {number} is already on line {first} of this sheet"),
                message_ja: format!("券番号 {number} はこの記録票の{first}行目にもあります"),
            });
            continue;
        }
        first_line_of.insert(key, row.line);
        let walk_in = payload
            .municipality()
            .map(|m| (m.clone(), payload.number().clone()));
        if let Some(e) = walk_in.and_then(|w| unreached.get(&w)) {
            refusals.push(refusal(row.line, e));
            continue;
        }
        if let Some(written) = &row.name {
            let holder = tx
                .reader()
                .residents_by_voucher(payload.municipality(), payload.number())?
                .into_iter()
                .next();
            if let Some(holder) = holder.filter(|h| name_key(&h.resident.name) != name_key(written))
            {
                refusals.push(SheetProblem {
                    line: row.line,
                    column: Some(COLUMNS[NAME].name.to_owned()),
                    code: ErrorCode::InvalidInput,
                    message_en: format!(
                        "voucher {number} is {}'s, not {written}'s: check the voucher number",
                        holder.resident.name
                    ),
                    message_ja: format!(
                        "券番号 {number} は{}さんのもので、{written}さんではありません。券番号を確かめてください",
                        holder.resident.name
                    ),
                });
                continue;
            }
        }
        let source = source_of(row.line, file_name);
        match back_enter_in(&mut tx, enrollment, &row.entry, now, Some(&source)) {
            Ok(entered) => rows.push(SheetLine {
                line: row.line,
                voucher: number,
                entered,
            }),
            Err(e @ (DeskError::Ledger(_) | DeskError::Staff(_))) => return Err(e.into()),
            Err(e) => refusals.push(refusal(row.line, &e)),
        }
    }
    refusals.sort_by_key(|p| p.line);
    let outcome = SheetOutcome {
        encoding: parsed.encoding,
        rows,
        committed: commit && refusals.is_empty(),
        refusals,
        ignored_columns: parsed.ignored_columns,
    };
    if outcome.committed {
        tx.commit()?;
    } else if commit {
        return Err(SheetError::Refused {
            problems: outcome.refusals,
        }); // the transaction rolls back on drop
    }
    Ok(outcome)
}

/// What the sheet would record, and every line refused; writes none of its rows (the records
/// of walk-ins from other municipalities are looked up and merged, as at the desk). The
/// back-entry screen shows it before the manager commits.
///
/// # Errors
/// [`SheetError::Desk`]: not enrolled, not the venue manager's role, nobody signed in where
/// staff must be, or the ledger failed. A bad file is an outcome listing its refusals.
pub fn preview_sheet<A: LedgerAccess>(
    ledger: A,
    enrollment: &Enrollment,
    bytes: &[u8],
    now: DateTime<FixedOffset>,
) -> Result<SheetOutcome, SheetError> {
    run_sheet(ledger, enrollment, bytes, None, now, false)
}

/// Records every row of the sheet in one transaction, or nothing. Each row's audit entries
/// name its line, and the file by `file_name` when given (`line 3 of sheet.csv`).
///
/// # Errors
/// [`SheetError::Refused`] with every bad line when any row is refused (nothing written);
/// [`SheetError::Desk`] as [`preview_sheet`].
pub fn back_enter_sheet<A: LedgerAccess>(
    ledger: A,
    enrollment: &Enrollment,
    bytes: &[u8],
    file_name: Option<&str>,
    now: DateTime<FixedOffset>,
) -> Result<SheetOutcome, SheetError> {
    run_sheet(ledger, enrollment, bytes, file_name, now, true)
}

/// [`back_enter_sheet`] (or, with `preview`, [`preview_sheet`]) of a file on disk
/// (`vaxhq paper back-enter-sheet`).
///
/// # Errors
/// [`SheetError::Read`] when the file cannot be read, else as those.
pub fn back_enter_sheet_file<A: LedgerAccess>(
    ledger: A,
    enrollment: &Enrollment,
    path: &Path,
    now: DateTime<FixedOffset>,
    preview: bool,
) -> Result<SheetOutcome, SheetError> {
    let bytes = std::fs::read(path).map_err(|source| SheetError::Read {
        path: path.display().to_string(),
        source,
    })?;
    let name = path.file_name().map(|n| n.to_string_lossy().into_owned());
    run_sheet(ledger, enrollment, &bytes, name.as_deref(), now, !preview)
}
