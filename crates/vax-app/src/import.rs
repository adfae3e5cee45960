//! Import of the resident register (住民基本台帳 extract) and of the intention survey
//! (意向調査) from CSV files, as municipal systems and Excel write them.
//!
//! - Encoding: UTF-8 (with or without BOM) or CP932 (Shift_JIS as Excel writes it);
//!   [`TextEncoding::Auto`] takes UTF-8 when the bytes are valid UTF-8, else CP932.
//! - Headers are the Japanese column names of `docs/import-formats.md`, in any order;
//!   unknown columns are ignored and listed in the report.
//! - All or nothing: every row is checked first, and a file with any bad row imports
//!   nothing; the error lists every problem of the file at once (bad fields, repeated
//!   vouchers, survey answers for unknown vouchers), in line order, each on the line where
//!   its record starts, whether lines end in CRLF or LF. The writes then happen in one
//!   transaction.
//! - Re-importing a changed register updates residents by (市町村コード, 券番号); it never
//!   duplicates them, and residents missing from the new file are kept (records must be
//!   kept for 5 years) and counted in the report.

use std::collections::hash_map::Entry;
use std::collections::HashMap;
use std::path::Path;

use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use vax_domain::preference::{self, PreferenceError, Preferences, TimesOfDay, WeekdaySet};
use vax_domain::resident::{
    parse_birth_date, parse_coordinate, parse_date, parse_postal_code, parse_reading, parse_yes_no,
    required_text, AtenaNumber, FieldError, Intention, Phone, Resident, Sex, SurveyAnswer,
};
use vax_domain::venue::Coordinates;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::{Ledger, LedgerError, RegisterOutcome};

use crate::progress::{Progress, Stage};

/// How the file's bytes are to be read.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum TextEncoding {
    /// UTF-8 if the bytes are valid UTF-8, else CP932.
    #[default]
    Auto,
    /// UTF-8, with or without BOM.
    Utf8,
    /// CP932 (Windows Shift_JIS), as Excel saves "CSV (コンマ区切り)".
    Cp932,
}

/// One problem in an import file.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct ImportProblem {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column, when the problem is in one field.
    pub column: Option<String>,
    /// What is wrong, in English.
    pub message_en: String,
    /// What is wrong, in Japanese.
    pub message_ja: String,
}

impl std::fmt::Display for ImportProblem {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        match &self.column {
            Some(c) => write!(
                f,
                "line {} [{c}]: {} / {}",
                self.line, self.message_en, self.message_ja
            ),
            None => write!(
                f,
                "line {}: {} / {}",
                self.line, self.message_en, self.message_ja
            ),
        }
    }
}

/// Why an import did not happen.
#[derive(Debug, Error)]
pub enum ImportError {
    /// The file cannot be read.
    #[error("cannot read {path}: {source}")]
    Read {
        /// The file.
        path: String,
        /// Why.
        source: std::io::Error,
    },
    /// The file has problems; nothing was imported.
    #[error("{} problem(s) in the file; nothing was imported / ファイルに{}件の問題があるため、何も取り込んでいません", problems.len(), problems.len())]
    Rejected {
        /// Every problem found, in line order.
        problems: Vec<ImportProblem>,
    },
    /// The ledger failed; the transaction was rolled back.
    #[error("the ledger refused the import")]
    Ledger(#[from] LedgerError),
}

/// What an import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ImportReport {
    /// Data rows in the file.
    pub rows: u64,
    /// Residents added.
    pub inserted: u64,
    /// Residents whose data changed.
    pub updated: u64,
    /// Residents already up to date.
    pub unchanged: u64,
    /// Residents in the ledger but not in this register file (kept, not deleted).
    pub not_in_file: u64,
    /// Columns the importer does not know, ignored.
    pub ignored_columns: Vec<String>,
    /// Which encoding was used.
    pub encoding: &'static str,
}

/// A column the importer reads (the calendar import in [`crate::calendar`] shares them).
pub(crate) struct Column {
    pub(crate) name: &'static str,
    pub(crate) aliases: &'static [&'static str],
    pub(crate) required: bool,
}

impl Column {
    /// A column every file must have, under its name or one of its aliases.
    pub(crate) const fn required(name: &'static str, aliases: &'static [&'static str]) -> Self {
        Self {
            name,
            aliases,
            required: true,
        }
    }

    /// A column a file may leave out.
    pub(crate) const fn optional(name: &'static str, aliases: &'static [&'static str]) -> Self {
        Self {
            name,
            aliases,
            required: false,
        }
    }
}

const REGISTER_COLUMNS: &[Column] = &[
    Column::required("市町村コード", &["自治体コード", "市区町村コード"]),
    Column::required("券番号", &["接種券番号"]),
    Column::required("氏名", &["名前"]),
    Column::required("氏名カナ", &["フリガナ", "カナ氏名", "ふりがな"]),
    Column::required("生年月日", &[]),
    Column::required("性別", &[]),
    Column::optional("郵便番号", &[]),
    Column::required("住所", &[]),
    Column::required("地区", &[]),
    Column::optional("緯度", &[]),
    Column::optional("経度", &[]),
    Column::optional("電話番号", &["電話"]),
    // The municipality's own number for the resident, VRS's 個別宛名番号. Never 個人番号:
    // that is the My Number, which this ledger does not keep (a column so named is ignored).
    Column::optional("宛名番号", &["個別宛名番号", "宛名コード"]),
];

const SURVEY_COLUMNS: &[Column] = &[
    Column::required("市町村コード", &["自治体コード", "市区町村コード"]),
    Column::required("券番号", &["接種券番号"]),
    Column::required("接種意向", &["接種希望", "意向"]),
    Column::optional("送迎", &["送迎希望", "送迎の要否"]),
    Column::optional("アナフィラキシー歴", &["アレルギー歴"]),
    Column::optional("回答日", &[]),
    // The preferences (docs/import-formats.md); files without these columns stay valid and
    // leave the preferences the ledger has as they are.
    Column::optional("希望会場", &["希望会場コード"]),
    Column::optional("希望地区", &[]),
    Column::optional("避けたい曜日", &["都合の悪い曜日", "不可曜日"]),
    Column::optional("避けたい時間帯", &["都合の悪い時間帯", "不可時間帯"]),
    Column::optional("基礎疾患", &["基礎疾患の有無", "基礎疾患あり"]),
    Column::optional("直前連絡可", &["スタンバイ", "キャンセル待ち"]),
];

/// The survey columns from which the preferences are read.
const SURVEY_PREFERENCE_COLUMNS: std::ops::Range<usize> = 6..11;

pub(crate) fn problem(
    line: u64,
    column: Option<&str>,
    en: impl Into<String>,
    ja: impl Into<String>,
) -> ImportProblem {
    ImportProblem {
        line,
        column: column.map(str::to_owned),
        message_en: en.into(),
        message_ja: ja.into(),
    }
}

fn rejected(p: ImportProblem) -> ImportError {
    ImportError::Rejected { problems: vec![p] }
}

/// Decodes the file's bytes; a decoding error names the line it is on.
pub(crate) fn decode(
    bytes: &[u8],
    encoding: TextEncoding,
) -> Result<(String, &'static str), ImportError> {
    let utf8_body = bytes.strip_prefix(b"\xEF\xBB\xBF").unwrap_or(bytes);
    match (encoding, std::str::from_utf8(utf8_body)) {
        (TextEncoding::Utf8 | TextEncoding::Auto, Ok(text)) => Ok((text.to_owned(), "UTF-8")),
        (TextEncoding::Utf8, Err(_)) => {
            let mut lines = LineCounter::default();
            let mut at = 0;
            let mut problems = Vec::new();
            for chunk in utf8_body.utf8_chunks() {
                at += chunk.valid().len();
                if !chunk.invalid().is_empty() {
                    let line = lines.line_at(utf8_body, at);
                    if problems
                        .last()
                        .is_none_or(|p: &ImportProblem| p.line != line)
                    {
                        problems.push(problem(
                            line,
                            None,
                            "bytes that are not UTF-8; if the file was saved by Excel, import it as CP932",
                            "UTF-8として読めないバイトがあります。Excelで保存したファイルならCP932として取り込んでください",
                        ));
                    }
                }
                at += chunk.invalid().len();
            }
            Err(ImportError::Rejected { problems })
        }
        (TextEncoding::Auto, Err(_)) | (TextEncoding::Cp932, _) => decode_cp932(bytes),
    }
}

fn decode_cp932(bytes: &[u8]) -> Result<(String, &'static str), ImportError> {
    // Shift_JIS trail bytes are never 0x0A or 0x0D, so splitting on newlines is safe, and
    // the pieces are the file's lines whether they end in CRLF or LF.
    let mut text = String::with_capacity(bytes.len() + bytes.len() / 2);
    let mut problems = Vec::new();
    for (i, line) in bytes.split(|&b| b == b'\n').enumerate() {
        if i > 0 {
            text.push('\n');
        }
        match encoding_rs::SHIFT_JIS.decode_without_bom_handling_and_without_replacement(line) {
            Some(s) => text.push_str(&s),
            None => problems.push(problem(
                i as u64 + 1,
                None,
                "bytes that are neither UTF-8 nor CP932 (Shift_JIS)",
                "UTF-8でもCP932（Shift_JIS）でもない文字があります",
            )),
        }
    }
    if problems.is_empty() {
        Ok((text, "CP932"))
    } else {
        Err(ImportError::Rejected { problems })
    }
}

/// Finds the line of a byte offset, counting line breaks (CRLF, LF or a lone CR) from the
/// last offset asked: asked in increasing order, it reads the text once.
#[derive(Debug)]
struct LineCounter {
    offset: usize,
    line: u64,
}

impl Default for LineCounter {
    fn default() -> Self {
        Self { offset: 0, line: 1 }
    }
}

impl LineCounter {
    /// The 1-based line of byte `at` of `text`; `at` is never before the last one asked.
    fn line_at(&mut self, text: &[u8], at: usize) -> u64 {
        let at = at.clamp(self.offset, text.len());
        let mut bytes = text[self.offset..at].iter().peekable();
        while let Some(&b) = bytes.next() {
            match b {
                b'\n' => self.line += 1,
                b'\r' if bytes.peek() != Some(&&b'\n') => self.line += 1,
                _ => {}
            }
        }
        self.offset = at;
        self.line
    }

    /// The line where the record read from byte `at` starts. The CSV reader's own position
    /// of a record is where the previous one stopped: before the LF of a CRLF and before
    /// any blank line, which made every line of a CRLF file one too small.
    fn record_line(&mut self, text: &[u8], at: u64) -> u64 {
        let at = usize::try_from(at).unwrap_or(text.len()).min(text.len());
        let start = text[at..]
            .iter()
            .position(|&b| b != b'\r' && b != b'\n')
            .map_or(text.len(), |skip| at + skip);
        self.line_at(text, start)
    }
}

fn header_key(h: &str) -> String {
    h.nfkc().filter(|c| !c.is_whitespace()).collect()
}

/// Maps each known column to its index in the file; reports missing and repeated ones.
fn map_headers(
    headers: &csv::StringRecord,
    line: u64,
    columns: &[Column],
) -> Result<(Vec<Option<usize>>, Vec<String>), ImportError> {
    let mut index = vec![None; columns.len()];
    let mut ignored = Vec::new();
    let mut problems = Vec::new();
    for (i, h) in headers.iter().enumerate() {
        let key = header_key(h);
        match columns
            .iter()
            .position(|c| c.name == key || c.aliases.contains(&key.as_str()))
        {
            Some(c) if index[c].is_some() => problems.push(problem(
                line,
                Some(columns[c].name),
                format!("column {} appears twice", columns[c].name),
                format!("列「{}」が2回あります", columns[c].name),
            )),
            Some(c) => index[c] = Some(i),
            None if key.is_empty() => {}
            None => ignored.push(h.to_owned()),
        }
    }
    for (c, col) in columns.iter().enumerate() {
        if col.required && index[c].is_none() {
            problems.push(problem(
                line,
                Some(col.name),
                format!("required column {} is missing from the header", col.name),
                format!("必須の列「{}」が見出し行にありません", col.name),
            ));
        }
    }
    if problems.is_empty() {
        Ok((index, ignored))
    } else {
        Err(ImportError::Rejected { problems })
    }
}

/// A data row with its line number and named access to mapped columns.
pub(crate) struct Row<'a> {
    pub(crate) line: u64,
    record: &'a csv::StringRecord,
    index: &'a [Option<usize>],
    columns: &'a [Column],
    pub(crate) problems: &'a mut Vec<ImportProblem>,
    /// The row's key, once [`Row::voucher_key`] has read it, even when other fields fail:
    /// repeated and unknown vouchers are reported with the row's other problems.
    key: Option<(MunicipalityCode, VoucherNumber)>,
}

impl Row<'_> {
    /// Whether the file has column `c`.
    pub(crate) fn has(&self, c: usize) -> bool {
        self.index[c].is_some()
    }

    fn raw(&self, c: usize) -> &str {
        self.index[c].and_then(|i| self.record.get(i)).unwrap_or("")
    }

    /// Parses column `c`; records a problem and returns None on failure.
    pub(crate) fn field<T>(
        &mut self,
        c: usize,
        parse: impl FnOnce(&str) -> Result<T, FieldError>,
    ) -> Option<T> {
        self.field_with(c, |v| parse(v).map_err(|e| (e.to_string(), e.message_ja())))
    }

    /// Parses column `c` with a parser whose error is its English and Japanese messages;
    /// records a problem and returns None on failure.
    pub(crate) fn field_with<T>(
        &mut self,
        c: usize,
        parse: impl FnOnce(&str) -> Result<T, (String, String)>,
    ) -> Option<T> {
        match parse(self.raw(c)) {
            Ok(v) => Some(v),
            Err((en, ja)) => {
                let name = self.columns[c].name;
                self.problems.push(problem(self.line, Some(name), en, ja));
                None
            }
        }
    }

    fn voucher_key(
        &mut self,
        muni: usize,
        number: usize,
    ) -> Option<(MunicipalityCode, VoucherNumber)> {
        let line = self.line;
        let m = match MunicipalityCode::parse(self.raw(muni)) {
            Ok(m) => Some(m),
            Err(e) => {
                self.problems.push(problem(
                    line,
                    Some(self.columns[muni].name),
                    e.to_string(),
                    e.message_ja(),
                ));
                None
            }
        };
        let n = match VoucherNumber::parse(self.raw(number)) {
            Ok(n) => Some(n),
            Err(e) => {
                self.problems.push(problem(
                    line,
                    Some(self.columns[number].name),
                    e.to_string(),
                    e.message_ja(),
                ));
                None
            }
        };
        let key = (m?, n?);
        self.key = Some(key.clone());
        Some(key)
    }
}

/// The rows of a file that passed every check, each with its line; the problems of the
/// others; and the columns that were ignored.
pub(crate) struct ParsedRows<T> {
    pub(crate) rows: Vec<(u64, T)>,
    /// Rows with a problem whose key could be read, each with its line: a survey checks
    /// them against the ledger too, so that an unknown voucher is reported with the rest.
    pub(crate) keys_of_bad_rows: Vec<(u64, MunicipalityCode, VoucherNumber)>,
    pub(crate) problems: Vec<ImportProblem>,
    pub(crate) ignored_columns: Vec<String>,
}

/// A voucher key as one number, for finding repeated ones in a file of a million rows
/// without keeping a million strings: both parts are digit strings of fixed length.
fn key_number(m: &MunicipalityCode, n: &VoucherNumber) -> u64 {
    let digits = |s: &str| {
        s.bytes()
            .fold(0u64, |acc, b| acc * 10 + u64::from(b - b'0'))
    };
    digits(m.as_str()) * 10_000_000_000 + digits(n.as_str())
}

/// Reads every data row, calling `parse_row` on each, and reports each voucher key seen on
/// an earlier row (rows without a voucher key, as the calendar's, are not compared).
/// Collects every problem; fails at once only when the header is unusable.
pub(crate) fn read_rows<T>(
    text: &str,
    columns: &[Column],
    progress: &mut dyn Progress,
    mut parse_row: impl FnMut(&mut Row<'_>) -> Option<T>,
) -> Result<ParsedRows<T>, ImportError> {
    let total = text.len() as u64;
    let bytes = text.as_bytes();
    let mut lines = LineCounter::default();
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(true)
        .flexible(true)
        .from_reader(bytes);
    let headers = reader
        .headers()
        .map_err(|e| csv_problem(&e, &mut lines, bytes))?
        .clone();
    if headers.iter().all(|h| h.trim().is_empty()) {
        return Err(rejected(problem(
            1,
            None,
            "the file is empty: no header row",
            "ファイルが空です（見出し行がありません）",
        )));
    }
    let header_line = lines.record_line(bytes, headers.position().map_or(0, |p| p.byte()));
    let (index, ignored) = map_headers(&headers, header_line, columns)?;
    let mut problems = Vec::new();
    let mut rows = Vec::new();
    let mut keys_of_bad_rows = Vec::new();
    let mut first_line_of: HashMap<u64, u64> = HashMap::new();
    let mut record = csv::StringRecord::new();
    loop {
        match reader.read_record(&mut record) {
            Ok(false) => break,
            Ok(true) => {}
            Err(e) => {
                problems.push(csv_problem(&e, &mut lines, bytes).into_problem());
                continue;
            }
        }
        let line = lines.record_line(bytes, record.position().map_or(0, |p| p.byte()));
        if record.iter().all(|f| f.trim().is_empty()) {
            continue; // blank lines, as Excel leaves at the end
        }
        if record.len() != headers.len() {
            problems.push(problem(
                line,
                None,
                format!("{} fields, the header has {}", record.len(), headers.len()),
                format!(
                    "項目数が{}です（見出し行は{}）",
                    record.len(),
                    headers.len()
                ),
            ));
            continue;
        }
        let mut row = Row {
            line,
            record: &record,
            index: &index,
            columns,
            problems: &mut problems,
            key: None,
        };
        let value = parse_row(&mut row);
        let key = row.key.take();
        if let Some((m, n)) = key {
            match first_line_of.entry(key_number(&m, &n)) {
                Entry::Occupied(first) => {
                    let first = *first.get();
                    problems.push(problem(
                        line,
                        Some(columns[1].name),
                        format!("voucher {m}-{n} already appears on line {first}"),
                        format!("券番号 {m}-{n} は{first}行目にもあります"),
                    ));
                }
                Entry::Vacant(slot) => {
                    slot.insert(line);
                    if value.is_none() {
                        keys_of_bad_rows.push((line, m, n));
                    }
                }
            }
        }
        if let Some(value) = value {
            rows.push((line, value));
        }
        if line.is_multiple_of(4096) {
            progress.update(
                Stage::Checking,
                record.position().map_or(0, |p| p.byte()),
                total,
            );
        }
    }
    progress.update(Stage::Checking, total, total);
    Ok(ParsedRows {
        rows,
        keys_of_bad_rows,
        problems,
        ignored_columns: ignored,
    })
}

/// Every problem, in line order (problems of one line in the order they were found).
pub(crate) fn rejected_all(mut problems: Vec<ImportProblem>) -> ImportError {
    problems.sort_by_key(|p| p.line);
    ImportError::Rejected { problems }
}

fn csv_problem(e: &csv::Error, lines: &mut LineCounter, text: &[u8]) -> ImportError {
    let line = e
        .position()
        .map_or(1, |p| lines.record_line(text, p.byte()));
    rejected(problem(
        line,
        None,
        format!("not readable as CSV: {e}"),
        "CSVとして読めません（引用符の対応などを確認してください）",
    ))
}

impl ImportError {
    fn into_problem(self) -> ImportProblem {
        match self {
            ImportError::Rejected { mut problems } if !problems.is_empty() => problems.remove(0),
            other => problem(0, None, other.to_string(), other.to_string()),
        }
    }
}

pub(crate) fn read_file(path: &Path) -> Result<Vec<u8>, ImportError> {
    std::fs::read(path).map_err(|source| ImportError::Read {
        path: path.display().to_string(),
        source,
    })
}

fn parse_register_row(row: &mut Row<'_>, now: &DateTime<FixedOffset>) -> Option<Resident> {
    let today = now.date_naive();
    let key = row.voucher_key(0, 1);
    let name = row.field(2, |v| required_text(v, 40));
    let name_kana = row.field(3, parse_reading);
    let birth_date = row.field(4, |v| parse_birth_date(v, today));
    let sex = row.field(5, Sex::parse);
    let postal_code = row.field(6, parse_postal_code);
    let address = row.field(7, |v| required_text(v, 100));
    let district = row.field(8, |v| required_text(v, 20));
    let lat = row.field(9, |v| optional(v, |v| parse_coordinate(v, true)));
    let lon = row.field(10, |v| optional(v, |v| parse_coordinate(v, false)));
    let phone = row.field(11, |v| optional(v, Phone::parse));
    let atena_number = row.field(12, |v| optional(v, AtenaNumber::parse));
    let home = match (lat?, lon?) {
        (Some(lat), Some(lon)) => Some(Coordinates { lat, lon }),
        (None, None) => None,
        _ => {
            row.problems.push(problem(
                row.line,
                Some("緯度"),
                "latitude and longitude must both be given or both be empty",
                "緯度と経度は両方とも記入するか、両方とも空欄にしてください",
            ));
            return None;
        }
    };
    let (municipality, voucher) = key?;
    Some(Resident {
        municipality,
        voucher,
        name: name?,
        name_kana: name_kana?,
        birth_date: birth_date?,
        sex: sex?,
        postal_code: postal_code?,
        address: address?,
        district: district?,
        home,
        phone: phone?,
        atena_number: atena_number?,
    })
}

pub(crate) fn optional<T>(
    v: &str,
    parse: impl FnOnce(&str) -> Result<T, FieldError>,
) -> Result<Option<T>, FieldError> {
    if v.trim().is_empty() {
        Ok(None)
    } else {
        parse(v).map(Some)
    }
}

/// Imports a resident register file. All or nothing.
pub fn import_register(
    ledger: &mut Ledger,
    path: &Path,
    encoding: TextEncoding,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    import_register_bytes(ledger, &read_file(path)?, encoding, now, progress)
}

/// Imports a resident register from bytes. All or nothing.
pub fn import_register_bytes(
    ledger: &mut Ledger,
    bytes: &[u8],
    encoding: TextEncoding,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    let (text, encoding_used) = decode(bytes, encoding)?;
    let ParsedRows {
        rows,
        problems,
        ignored_columns,
        ..
    } = read_rows(&text, REGISTER_COLUMNS, progress, |row| {
        parse_register_row(row, &now)
    })?;
    drop(text);
    if !problems.is_empty() {
        return Err(rejected_all(problems));
    }

    let total = rows.len() as u64;
    let mut tx = ledger.transaction()?;
    let before = tx.reader().resident_count()?;
    let mut report = ImportReport {
        rows: total,
        ignored_columns,
        encoding: encoding_used,
        ..ImportReport::default()
    };
    for (i, (_, resident)) in rows.iter().enumerate() {
        let outcome = tx.upsert_resident(resident, &now)?;
        match outcome {
            RegisterOutcome::Inserted => report.inserted += 1,
            RegisterOutcome::Updated => report.updated += 1,
            RegisterOutcome::Unchanged => report.unchanged += 1,
        }
        if outcome != RegisterOutcome::Unchanged {
            tx.replicate_resident(&resident.municipality, &resident.voucher)?;
        }
        if i.is_multiple_of(8192) {
            progress.update(Stage::Writing, i as u64, total);
        }
    }
    tx.commit()?;
    progress.update(Stage::Writing, total, total);
    report.not_in_file = before - report.updated - report.unchanged;
    Ok(report)
}

/// One survey row: the answer, the preferences when the file has any preference column,
/// when it was answered, and the standby answer (直前連絡可) when given.
type SurveyRow = (
    SurveyAnswer,
    Option<Preferences>,
    DateTime<FixedOffset>,
    Option<bool>,
);

fn preference_field<T>(
    row: &mut Row<'_>,
    c: usize,
    parse: impl FnOnce(&str) -> Result<T, PreferenceError>,
) -> Option<T> {
    row.field_with(c, |v| parse(v).map_err(|e| (e.to_string(), e.message_ja())))
}

fn parse_survey_row(row: &mut Row<'_>, now: &DateTime<FixedOffset>) -> Option<SurveyRow> {
    let key = row.voucher_key(0, 1);
    let intention = row.field(2, Intention::parse);
    let needs_transport = row.field(3, |v| optional(v, parse_yes_no));
    let anaphylaxis = row.field(4, |v| optional(v, parse_yes_no));
    let answered = row.field(5, |v| optional(v, parse_date));
    let stated = SURVEY_PREFERENCE_COLUMNS.clone().any(|c| row.has(c));
    let venue = preference_field(row, 6, preference::parse_venue_code);
    let district = preference_field(row, 7, preference::parse_district);
    let avoid_weekdays = preference_field(row, 8, WeekdaySet::parse);
    let avoid_times = preference_field(row, 9, TimesOfDay::parse);
    let underlying = row.field(10, |v| optional(v, parse_yes_no));
    let preferences = Preferences {
        venue: venue?,
        district: district?,
        avoid_weekdays: avoid_weekdays?,
        avoid_times: avoid_times?,
        underlying_condition: underlying?.unwrap_or(false),
    };
    let standby = row.field(11, |v| optional(v, parse_yes_no));
    let (municipality, voucher) = key?;
    let answered_at = match answered? {
        // The survey gives a day; record it at midnight in the campaign's zone.
        Some(day) => day
            .and_hms_opt(0, 0, 0)
            .and_then(|t| t.and_local_timezone(*now.offset()).single())
            .unwrap_or(*now),
        None => *now,
    };
    Some((
        SurveyAnswer {
            municipality,
            voucher,
            intention: intention?,
            needs_transport: needs_transport?.unwrap_or(false),
            anaphylaxis_history: anaphylaxis?.unwrap_or(false),
        },
        stated.then_some(preferences),
        answered_at,
        standby?,
    ))
}

/// Imports intention-survey answers onto residents already in the ledger. All or nothing:
/// an answer for a voucher the register does not have rejects the whole file.
pub fn import_survey(
    ledger: &mut Ledger,
    path: &Path,
    encoding: TextEncoding,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    import_survey_bytes(ledger, &read_file(path)?, encoding, now, progress)
}

/// Imports intention-survey answers from bytes. All or nothing.
pub fn import_survey_bytes(
    ledger: &mut Ledger,
    bytes: &[u8],
    encoding: TextEncoding,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<ImportReport, ImportError> {
    let (text, encoding_used) = decode(bytes, encoding)?;
    let ParsedRows {
        rows,
        keys_of_bad_rows,
        mut problems,
        ignored_columns,
    } = read_rows(&text, SURVEY_COLUMNS, progress, |row| {
        parse_survey_row(row, &now)
    })?;
    let unknown = |line: u64, m: &MunicipalityCode, n: &VoucherNumber| {
        problem(
            line,
            Some("券番号"),
            format!("no resident with voucher {m}-{n}; import the register first"),
            format!("券番号 {m}-{n} の住民が台帳にいません。先に住民台帳を取り込んでください"),
        )
    };

    let total = rows.len() as u64;
    let mut tx = ledger.transaction()?;
    // Answers for vouchers the ledger does not know are problems of the file like any other:
    // the rows with other problems are looked up too, so the report holds every one.
    for (line, m, n) in &keys_of_bad_rows {
        if tx.reader().residents_by_voucher(Some(m), n)?.is_empty() {
            problems.push(unknown(*line, m, n));
        }
    }
    for (i, (line, (answer, preferences, answered_at, standby))) in rows.iter().enumerate() {
        if !tx.apply_survey(answer, answered_at)? {
            problems.push(unknown(*line, &answer.municipality, &answer.voucher));
            continue;
        }
        if let Some(p) = preferences {
            tx.set_preferences(&answer.municipality, &answer.voucher, p)?;
        }
        if problems.is_empty() {
            // An empty 直前連絡可 leaves the list as the call centre last set it.
            if let Some(on) = standby {
                tx.set_standby(&answer.municipality, &answer.voucher, *on)?;
            }
            // Only worth writing while the import can still succeed.
            tx.replicate_resident(&answer.municipality, &answer.voucher)?;
        }
        if i.is_multiple_of(8192) {
            progress.update(Stage::Writing, i as u64, total);
        }
    }
    if !problems.is_empty() {
        return Err(rejected_all(problems)); // the transaction rolls back on drop
    }
    tx.commit()?;
    progress.update(Stage::Writing, total, total);
    Ok(ImportReport {
        rows: total,
        updated: total,
        ignored_columns,
        encoding: encoding_used,
        ..ImportReport::default()
    })
}
