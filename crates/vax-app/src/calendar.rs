//! The campaign calendar, owned by headquarters: venues and their time bands (コマ) imported
//! from a calendar CSV file, one row per band (`docs/import-formats.md`).
//!
//! The file is read by the register import's machinery ([`crate::import`]): UTF-8 or CP932,
//! headers in any order with aliases, every problem of the file at once with the line a text
//! editor shows, and all or nothing. On top of the per-field checks the calendar checks the
//! file as a whole and against the ledger: a venue's name, address, coordinates and kind agree
//! on all its rows; a band is named once; no two bands of a venue overlap on a day (bands
//! already in the ledger included); and a day that has passed is not changed.
//!
//! Only headquarters imports a calendar ([`Role::runs_the_campaign`]). Each venue and band
//! that is new or changed is written in one transaction together with its replication op
//! (`define_venue`, `define_time_band`), so on an enrolled HQ ledger every venue sees its own
//! calendar after sync. A row for a band the ledger has updates its end and capacity (a lower
//! capacity is allowed and counted in the report, with the bands it leaves over-booked); a
//! band in the ledger that the file does not name is kept. Re-importing the same file changes
//! nothing and writes no op.

use std::collections::{HashMap, HashSet};
use std::path::Path;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::Serialize;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::product::{NoRulesInForce, UnknownProduct};
use vax_domain::resident::{parse_coordinate, parse_date, required_text};
use vax_domain::role::Role;
use vax_domain::venue::{Coordinates, TimeBand, Venue, VenueKind};
use vax_ledger::{Ledger, LedgerError, RegisterOutcome, WriteTx};
use vax_sync::{OpKind, TimeBandDef, VenueDef};

use crate::import::{
    decode, problem, read_file, read_rows, rejected_all, Column, ImportError, ImportProblem,
    ParsedRows, Row, TextEncoding,
};
use crate::progress::NoProgress;

/// The most residents one band may take.
pub const MAX_BAND_CAPACITY: u32 = 500;

/// Why a calendar import did not happen.
#[derive(Debug, Error)]
pub enum CalendarError {
    /// Only headquarters plans the campaign.
    #[error("the {0:?} role may not change the campaign calendar; only headquarters may")]
    RoleMayNot(Role),
    /// The file cannot be read, has problems (nothing was imported), or the ledger failed.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// A day that has passed is not changed.
    #[error("{0} has passed: its bands and deliveries can no longer be added or changed")]
    DayPassed(NaiveDate),
    /// A value of the form is missing or malformed.
    #[error("{field}: {en}")]
    Invalid {
        /// Which field.
        field: &'static str,
        /// What is wrong, in English.
        en: String,
        /// The same in Japanese.
        ja: String,
    },
    /// Two bands of a venue day overlap.
    #[error("{en}")]
    Overlap {
        /// Which bands, in English.
        en: String,
        /// The same in Japanese.
        ja: String,
    },
}

impl From<LedgerError> for CalendarError {
    fn from(e: LedgerError) -> Self {
        Self::Import(ImportError::Ledger(e))
    }
}

/// A delivery of a product the catalogue does not know cannot be counted in doses.
impl From<UnknownProduct> for CalendarError {
    fn from(e: UnknownProduct) -> Self {
        Self::Invalid {
            field: "製品",
            ja: format!("ワクチン製品が見つかりません: {}", e.0),
            en: e.to_string(),
        }
    }
}

/// Nor one of a product with no dosing rules on the day.
impl From<NoRulesInForce> for CalendarError {
    fn from(e: NoRulesInForce) -> Self {
        Self::Invalid {
            field: "製品",
            ja: format!(
                "{} には {} に適用される接種ルールがありません（{} から）",
                e.code, e.date, e.first
            ),
            en: e.to_string(),
        }
    }
}

impl UserFacing for CalendarError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::DayPassed(_) => ErrorCode::DayPassed,
            Self::Invalid { .. } => ErrorCode::InvalidInput,
            Self::Overlap { .. } => ErrorCode::BandsOverlap,
            Self::Import(ImportError::Ledger(e)) => e.code(),
            Self::Import(ImportError::Rejected { .. } | ImportError::Read { .. }) => {
                ErrorCode::InvalidInput
            }
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot(_) => "接種日程（会場とコマ）は本部の端末でのみ変更できます".into(),
            Self::DayPassed(date) => {
                format!("{date} は過ぎた日のため、コマや納品数の追加・変更はできません")
            }
            Self::Invalid { field, ja, .. } => format!("{field}: {ja}"),
            Self::Overlap { ja, .. } => ja.clone(),
            Self::Import(ImportError::Read { path, source }) => {
                format!("{path} を読めません: {source}")
            }
            Self::Import(ImportError::Rejected { problems }) => format!(
                "ファイルに{}件の問題があるため、何も取り込んでいません",
                problems.len()
            ),
            Self::Import(ImportError::Ledger(e)) => e.message_ja(),
        }
    }
}

impl CalendarError {
    /// Every problem of a rejected file, in line order; empty for other errors.
    pub fn problems(&self) -> &[ImportProblem] {
        match self {
            Self::Import(ImportError::Rejected { problems }) => problems,
            _ => &[],
        }
    }
}

/// Reads 種別: 集団接種会場 or 医療機関 (and the ways people write them), or none when empty.
fn parse_kind(value: &str) -> Result<Option<VenueKind>, (String, String)> {
    match fold(value).as_str() {
        "" => Ok(None),
        "集団接種会場" | "集団接種" | "集団" => Ok(Some(VenueKind::MassSite)),
        "医療機関" | "個別接種" | "個別" | "病院" | "診療所" | "クリニック" => {
            Ok(Some(VenueKind::Clinic))
        }
        other => Err((
            format!("{other:?} is not a venue kind (集団接種会場 or 医療機関)"),
            format!("「{other}」は種別として読めません（集団接種会場 または 医療機関）"),
        )),
    }
}

/// What a calendar import did.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct CalendarReport {
    /// Data rows (bands) in the file.
    pub rows: u64,
    /// Venues added.
    pub venues_added: u64,
    /// Venues whose name, address, coordinates or kind changed.
    pub venues_changed: u64,
    /// Bands added.
    pub bands_added: u64,
    /// Bands whose end or capacity changed.
    pub bands_changed: u64,
    /// Bands already as the file says.
    pub bands_unchanged: u64,
    /// Bands that now hold more bookings than their capacity (after a lowered capacity):
    /// the reshuffle's work; nobody was moved.
    pub bands_over_capacity: u64,
    /// Replication ops written (0 when the ledger does not replicate).
    pub ops: u64,
    /// Columns the importer does not know, ignored.
    pub ignored_columns: Vec<String>,
    /// Which encoding was used.
    pub encoding: &'static str,
}

const COLUMNS: &[Column] = &[
    Column::required("会場コード", &["会場番号", "会場ID"]),
    Column::required("会場名", &["会場名称", "名称"]),
    Column::required("住所", &["所在地", "会場住所"]),
    Column::required("緯度", &[]),
    Column::required("経度", &[]),
    Column::optional("種別", &["会場種別"]),
    Column::required("日付", &["接種日", "実施日"]),
    Column::required("開始", &["開始時刻", "開始時間"]),
    Column::required("終了", &["終了時刻", "終了時間"]),
    Column::required("定員", &["人数", "枠数"]),
];

const C_CODE: usize = 0;
const C_NAME: usize = 1;
const C_ADDRESS: usize = 2;
const C_LAT: usize = 3;
const C_LON: usize = 4;
const C_KIND: usize = 5;
const C_START: usize = 7;
const C_END: usize = 8;

/// NFKC (full-width digits, letters, colons become ASCII), trimmed.
fn fold(value: &str) -> String {
    value.nfkc().collect::<String>().trim().to_owned()
}

/// [`fold`]ed, or the error for an empty cell.
fn fold_filled(value: &str) -> Result<String, (String, String)> {
    let v = fold(value);
    if v.is_empty() {
        return Err(("is empty".into(), "空欄です".into()));
    }
    Ok(v)
}

/// A venue code: 1 to 10 letters, digits, hyphens or underscores (full width folded).
fn parse_venue_code(value: &str) -> Result<String, (String, String)> {
    let v = fold_filled(value)?;
    let ok = v.len() <= 10
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(v)
    } else {
        Err((
            format!("{v:?} is not a venue code (1 to 10 letters, digits, - or _)"),
            format!("「{v}」は会場コードとして読めません（英数字・-・_ の10文字まで）"),
        ))
    }
}

/// A time of day written HH:MM or H:MM (full-width digits and colon folded; `:00` seconds,
/// as Excel may add, allowed).
fn parse_time(value: &str) -> Result<NaiveTime, (String, String)> {
    let v = fold_filled(value)?;
    let hm = v
        .strip_suffix(":00")
        .filter(|s| s.len() > 3 && s.matches(':').count() == 1);
    let hm = hm.unwrap_or(&v);
    let parsed = hm.split_once(':').and_then(|(h, m)| {
        let digits = |s: &str| !s.is_empty() && s.chars().all(|c| c.is_ascii_digit());
        if !(digits(h) && h.len() <= 2 && digits(m) && m.len() == 2) {
            return None;
        }
        NaiveTime::from_hms_opt(h.parse().ok()?, m.parse().ok()?, 0)
    });
    parsed.ok_or_else(|| {
        (
            format!("{v:?} is not a time (HH:MM, e.g. 09:30)"),
            format!("「{v}」は時刻として読めません（HH:MM、例 09:30）"),
        )
    })
}

/// A band's capacity: a whole number from 1 to [`MAX_BAND_CAPACITY`].
fn parse_capacity(value: &str) -> Result<u32, (String, String)> {
    let v = fold_filled(value)?;
    match v.parse::<u32>() {
        Ok(n) if (1..=MAX_BAND_CAPACITY).contains(&n) => Ok(n),
        _ => Err((
            format!("{v:?} is not a capacity (a whole number from 1 to {MAX_BAND_CAPACITY})"),
            format!("「{v}」は定員として読めません（1から{MAX_BAND_CAPACITY}までの整数）"),
        )),
    }
}

/// One row of the file: a band and the venue it belongs to.
#[derive(Debug, Clone)]
struct CalendarRow {
    venue: Venue,
    kind: Option<VenueKind>,
    band: TimeBand,
}

fn parse_row(row: &mut Row<'_>) -> Option<CalendarRow> {
    let code = row.field_with(C_CODE, parse_venue_code);
    let name = row.field(C_NAME, |v| required_text(v, 30));
    let address = row.field(C_ADDRESS, |v| required_text(v, 100));
    let lat = row.field(C_LAT, |v| parse_coordinate(v, true));
    let lon = row.field(C_LON, |v| parse_coordinate(v, false));
    let kind = row.field_with(C_KIND, parse_kind);
    let date = row.field(6, parse_date);
    let start = row.field_with(C_START, parse_time);
    let end = row.field_with(C_END, parse_time);
    let capacity = row.field_with(9, parse_capacity);
    let (start, end) = (start?, end?);
    if end <= start {
        row.problems.push(problem(
            row.line,
            Some(COLUMNS[C_END].name),
            format!(
                "the band ends at {} but starts at {}: it must end after it starts",
                end.format("%H:%M"),
                start.format("%H:%M")
            ),
            format!(
                "終了{}が開始{}より後になっていません",
                end.format("%H:%M"),
                start.format("%H:%M")
            ),
        ));
        return None;
    }
    let code = code?;
    Some(CalendarRow {
        venue: Venue {
            code: code.clone(),
            name: name?,
            address: address?,
            location: Coordinates {
                lat: lat?,
                lon: lon?,
            },
        },
        kind: kind?,
        band: TimeBand {
            venue_code: code,
            date: date?,
            start,
            end,
            capacity: capacity?,
        },
    })
}

fn hm(t: NaiveTime) -> String {
    t.format("%H:%M").to_string()
}

/// Checks that a venue's rows agree on its name, address, coordinates and kind.
fn check_venues_agree(rows: &[(u64, CalendarRow)], problems: &mut Vec<ImportProblem>) {
    let mut first: HashMap<&str, (u64, &CalendarRow)> = HashMap::new();
    for (line, row) in rows {
        let Some(&(first_line, f)) = first.get(row.venue.code.as_str()) else {
            first.insert(&row.venue.code, (*line, row));
            continue;
        };
        let code = &row.venue.code;
        let mut differs = |column: usize, what_en: &str, what_ja: &str, was: String| {
            problems.push(problem(
                *line,
                Some(COLUMNS[column].name),
                format!("venue {code} has another {what_en} on line {first_line} ({was})"),
                format!("会場 {code} の{what_ja}が{first_line}行目（{was}）と違います"),
            ));
        };
        if row.venue.name != f.venue.name {
            differs(C_NAME, "name", "会場名", f.venue.name.clone());
        }
        if row.venue.address != f.venue.address {
            differs(C_ADDRESS, "address", "住所", f.venue.address.clone());
        }
        if row.venue.location.lat != f.venue.location.lat {
            differs(C_LAT, "latitude", "緯度", f.venue.location.lat.to_string());
        }
        if row.venue.location.lon != f.venue.location.lon {
            differs(C_LON, "longitude", "経度", f.venue.location.lon.to_string());
        }
        if row.kind != f.kind {
            let was = f.kind.map_or("空欄", VenueKind::label_ja);
            differs(C_KIND, "kind", "種別", was.to_owned());
        }
    }
}

/// A band of one venue day as the import will leave it: from the file (with its line) or
/// already in the ledger and not named by the file.
struct DayBand {
    line: Option<u64>,
    start: NaiveTime,
    end: NaiveTime,
}

/// What the import is to write, decided before any write.
#[derive(Default)]
struct Plan {
    venues: Vec<(Venue, Option<VenueKind>, RegisterOutcome)>,
    /// Each band with whether the ledger has it closed (an import does not reopen it).
    bands: Vec<(TimeBand, bool, RegisterOutcome)>,
    over_capacity: u64,
}

/// Checks the bands against each other and against the ledger, and decides what changes.
fn plan(
    tx: &WriteTx<'_>,
    rows: &[(u64, CalendarRow)],
    today: NaiveDate,
    problems: &mut Vec<ImportProblem>,
) -> Result<Plan, LedgerError> {
    let reader = tx.reader();
    let mut plan = Plan::default();
    let in_ledger: HashMap<String, (Venue, Option<VenueKind>)> = reader
        .venues()?
        .into_iter()
        .map(|v| (v.venue.code.clone(), (v.venue, v.kind)))
        .collect();
    let mut venue_seen = HashSet::new();
    let mut days: Vec<(String, NaiveDate)> = Vec::new();
    let mut file_bands: HashMap<(String, NaiveDate), Vec<(u64, &TimeBand)>> = HashMap::new();
    let mut first_line_of: HashMap<(String, NaiveDate, NaiveTime), u64> = HashMap::new();
    for (line, row) in rows {
        let v = &row.venue;
        if venue_seen.insert(v.code.clone()) {
            // A file without 種別 keeps the kind the ledger has.
            let known_kind = in_ledger.get(&v.code).and_then(|(_, k)| *k);
            let kind = row.kind.or(known_kind);
            let outcome = match in_ledger.get(&v.code) {
                None => RegisterOutcome::Inserted,
                Some((known, k)) if known == v && *k == kind => RegisterOutcome::Unchanged,
                Some(_) => RegisterOutcome::Updated,
            };
            plan.venues.push((v.clone(), kind, outcome));
        }
        let b = &row.band;
        let key = (b.venue_code.clone(), b.date, b.start);
        if let Some(first) = first_line_of.get(&key) {
            problems.push(problem(
                *line,
                Some(COLUMNS[C_START].name),
                format!(
                    "the band of {} on {} at {} already appears on line {first}",
                    b.venue_code,
                    b.date,
                    hm(b.start)
                ),
                format!(
                    "{} の{} {}開始のコマは{first}行目にもあります",
                    b.venue_code,
                    b.date,
                    hm(b.start)
                ),
            ));
            continue;
        }
        first_line_of.insert(key, *line);
        let day = (b.venue_code.clone(), b.date);
        let list = file_bands.entry(day.clone()).or_default();
        if list.is_empty() {
            days.push(day);
        }
        list.push((*line, b));
    }

    for (code, date) in days {
        let existing = if in_ledger.contains_key(&code) {
            reader.venue_day(&code, date)?
        } else {
            Vec::new()
        };
        let from_file = &file_bands[&(code.clone(), date)];
        let mut day: Vec<DayBand> = Vec::new();
        for load in &existing {
            if !from_file.iter().any(|(_, b)| b.start == load.band.start) {
                day.push(DayBand {
                    line: None,
                    start: load.band.start,
                    end: load.band.end,
                });
            }
        }
        for &(line, b) in from_file {
            day.push(DayBand {
                line: Some(line),
                start: b.start,
                end: b.end,
            });
            let known = existing.iter().find(|l| l.band.start == b.start);
            let outcome = match known {
                None => RegisterOutcome::Inserted,
                Some(l) if l.band.end == b.end && l.band.capacity == b.capacity => {
                    RegisterOutcome::Unchanged
                }
                Some(_) => RegisterOutcome::Updated,
            };
            if let Some(l) = known {
                if l.booked > b.capacity {
                    plan.over_capacity += 1;
                }
            }
            if outcome != RegisterOutcome::Unchanged && date < today {
                problems.push(problem(
                    line,
                    Some(COLUMNS[6].name),
                    format!("{date} has passed: its bands can no longer be added or changed"),
                    format!("{date} は過ぎた日のため、コマや納品数の追加・変更はできません"),
                ));
            }
            plan.bands
                .push((b.clone(), known.is_some_and(|l| l.closed), outcome));
        }
        check_overlaps(&code, date, &mut day, problems);
    }
    Ok(plan)
}

/// Reports each pair of bands of one venue day that overlap, on the file line of the later
/// one (a band already in the ledger is named by its times).
fn check_overlaps(
    code: &str,
    date: NaiveDate,
    day: &mut [DayBand],
    problems: &mut Vec<ImportProblem>,
) {
    day.sort_by_key(|b| b.start);
    for (i, a) in day.iter().enumerate() {
        for b in &day[i + 1..] {
            if b.start >= a.end {
                continue;
            }
            // Both in the ledger cannot happen: the ledger's days were checked when written.
            let (report, other, line) = match (a.line, b.line) {
                (Some(la), Some(lb)) if la > lb => (a, b, la),
                (_, Some(lb)) => (b, a, lb),
                (Some(la), None) => (a, b, la),
                (None, None) => continue,
            };
            let times = format!("{}–{}", hm(other.start), hm(other.end));
            let (where_en, where_ja) = match other.line {
                Some(l) => (format!("on line {l}"), format!("{l}行目")),
                None => ("already in the ledger".to_owned(), "登録済み".to_owned()),
            };
            problems.push(problem(
                line,
                Some(COLUMNS[C_START].name),
                format!(
                    "the band {}–{} of {code} on {date} overlaps the band {times} {where_en}",
                    hm(report.start),
                    hm(report.end)
                ),
                format!(
                    "{code} の{date} {}–{}のコマが、{where_ja}のコマ {times} と重なっています",
                    hm(report.start),
                    hm(report.end)
                ),
            ));
        }
    }
}

/// Refuses every role but the one that runs the campaign.
pub(crate) fn headquarters_only(role: Role) -> Result<(), CalendarError> {
    if role.runs_the_campaign() {
        Ok(())
    } else {
        Err(CalendarError::RoleMayNot(role))
    }
}

/// Imports a calendar file. All or nothing; headquarters only.
pub fn import_calendar_file(
    ledger: &mut Ledger,
    path: &Path,
    encoding: TextEncoding,
    role: Role,
    now: DateTime<FixedOffset>,
) -> Result<CalendarReport, CalendarError> {
    headquarters_only(role)?;
    import_calendar(ledger, &read_file(path)?, encoding, role, now)
}

/// Imports a calendar from bytes: venues and bands added or updated, each change with its
/// replication op. All or nothing; headquarters only. `now` decides which days have passed.
pub fn import_calendar(
    ledger: &mut Ledger,
    bytes: &[u8],
    encoding: TextEncoding,
    role: Role,
    now: DateTime<FixedOffset>,
) -> Result<CalendarReport, CalendarError> {
    run_import(ledger, bytes, encoding, role, now, true)
}

/// What importing a calendar file would do, as the HQ screen shows it before the import:
/// the counts, or every problem of the file with its line (nothing would be imported).
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarPreview {
    /// Data rows (bands) in the file.
    pub rows: u64,
    /// Venues that would be added.
    pub venues_added: u64,
    /// Venues whose name, address, coordinates or kind would change.
    pub venues_changed: u64,
    /// Bands that would be added.
    pub bands_added: u64,
    /// Bands whose end, capacity or closing would change.
    pub bands_changed: u64,
    /// Bands already as the file says.
    pub bands_unchanged: u64,
    /// Bands that would hold more bookings than their capacity (the reshuffle's work).
    pub bands_over_capacity: u64,
    /// Columns the importer does not know (ignored).
    pub ignored_columns: Vec<String>,
    /// The encoding read (`UTF-8` or `CP932`).
    pub encoding: String,
    /// Every problem of the file, in line order: when any, nothing can be imported.
    pub problems: Vec<CalendarProblem>,
}

impl From<CalendarReport> for CalendarPreview {
    /// The counts of an import done (the screen shows them as it showed the preview).
    fn from(r: CalendarReport) -> Self {
        Self {
            rows: r.rows,
            venues_added: r.venues_added,
            venues_changed: r.venues_changed,
            bands_added: r.bands_added,
            bands_changed: r.bands_changed,
            bands_unchanged: r.bands_unchanged,
            bands_over_capacity: r.bands_over_capacity,
            ignored_columns: r.ignored_columns,
            encoding: r.encoding.to_owned(),
            problems: Vec::new(),
        }
    }
}

/// One problem of a calendar file, for the screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarProblem {
    /// 1-based line of the file (the header is line 1).
    pub line: u64,
    /// The column, when the problem is in one field.
    pub column: Option<String>,
    /// What is wrong, in English.
    pub message_en: String,
    /// What is wrong, in Japanese.
    pub message_ja: String,
}

/// Reads a calendar file as [`import_calendar`] would, and writes nothing: the preview the
/// HQ screen shows before the import. A file with problems is a preview listing them all
/// (not an error); headquarters only.
///
/// # Errors
/// [`CalendarError::RoleMayNot`]; the ledger failed.
pub fn preview_calendar(
    ledger: &mut Ledger,
    bytes: &[u8],
    encoding: TextEncoding,
    role: Role,
    now: DateTime<FixedOffset>,
) -> Result<CalendarPreview, CalendarError> {
    match run_import(ledger, bytes, encoding, role, now, false) {
        Ok(r) => Ok(r.into()),
        Err(CalendarError::Import(ImportError::Rejected { problems })) => Ok(CalendarPreview {
            problems: problems
                .into_iter()
                .map(|p| CalendarProblem {
                    line: p.line,
                    column: p.column,
                    message_en: p.message_en,
                    message_ja: p.message_ja,
                })
                .collect(),
            ..CalendarPreview::default()
        }),
        Err(e) => Err(e),
    }
}

/// The import; `commit: false` rolls everything back after counting (the preview).
fn run_import(
    ledger: &mut Ledger,
    bytes: &[u8],
    encoding: TextEncoding,
    role: Role,
    now: DateTime<FixedOffset>,
    commit: bool,
) -> Result<CalendarReport, CalendarError> {
    headquarters_only(role)?;
    let (text, encoding_used) = decode(bytes, encoding)?;
    let ParsedRows {
        rows,
        mut problems,
        ignored_columns,
        ..
    } = read_rows(&text, COLUMNS, &mut NoProgress, parse_row)?;
    check_venues_agree(&rows, &mut problems);

    let mut tx = ledger.transaction()?;
    let plan = plan(&tx, &rows, now.date_naive(), &mut problems)?;
    if !problems.is_empty() {
        return Err(rejected_all(problems).into()); // the transaction rolls back on drop
    }
    let mut report = CalendarReport {
        rows: rows.len() as u64,
        bands_over_capacity: plan.over_capacity,
        ignored_columns,
        encoding: encoding_used,
        ..CalendarReport::default()
    };
    let mut venue_ids = HashMap::new();
    for (venue, kind, planned) in &plan.venues {
        let (id, mut outcome) = tx.upsert_venue(venue)?;
        if tx.set_venue_kind(id, *kind)? && outcome == RegisterOutcome::Unchanged {
            outcome = RegisterOutcome::Updated;
        }
        debug_assert_eq!(outcome, *planned);
        venue_ids.insert(venue.code.clone(), id);
        match outcome {
            RegisterOutcome::Inserted => report.venues_added += 1,
            RegisterOutcome::Updated => report.venues_changed += 1,
            RegisterOutcome::Unchanged => continue,
        }
        let def = VenueDef {
            kind: *kind,
            ..venue.into()
        };
        report.ops += u64::from(tx.replicate(OpKind::DefineVenue(def))?.is_some());
    }
    for (band, closed, planned) in &plan.bands {
        let outcome = tx.upsert_time_band(venue_ids[&band.venue_code], band)?;
        debug_assert_eq!(outcome, *planned);
        match outcome {
            RegisterOutcome::Inserted => report.bands_added += 1,
            RegisterOutcome::Updated => report.bands_changed += 1,
            RegisterOutcome::Unchanged => {
                report.bands_unchanged += 1;
                continue;
            }
        }
        let def = TimeBandDef {
            closed: *closed,
            ..band.into()
        };
        report.ops += u64::from(tx.replicate(OpKind::DefineTimeBand(def))?.is_some());
    }
    if commit {
        tx.commit()?;
    } else {
        report.ops = 0; // rolled back on drop: nothing was written
    }
    Ok(report)
}

// ---------------------------------------------------------------------------------------
// Editing the calendar from the HQ screen and `vaxhq calendar`: one change at a time, each
// in one transaction with its replication op.

/// A venue as the HQ screen's form or `vaxhq calendar venue` gives it.
#[derive(Debug, Clone, PartialEq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueForm {
    /// 会場コード (1 to 10 letters, digits, - or _); an existing code edits that venue.
    pub code: String,
    /// 会場名 (at most 30 characters).
    pub name: String,
    /// 住所 (at most 100 characters).
    pub address: String,
    /// 緯度.
    pub lat: f64,
    /// 経度.
    pub lon: f64,
    /// 種別; `None` keeps what the ledger has.
    pub kind: Option<VenueKind>,
}

/// One band of a day to add.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BandForm {
    /// 開始 (`HH:MM`).
    pub start: String,
    /// 終了 (`HH:MM`).
    pub end: String,
    /// 定員.
    pub capacity: u32,
}

/// A change to existing bands. A closed band (or a cut day) takes no new bookings; its
/// bookings stay where they are until a reshuffle moves them ([`crate::planning`]).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, serde::Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum BandEdit {
    /// Close every band of a venue day (会場日の中止).
    CutDay {
        /// 会場コード.
        venue: String,
        /// The day (`YYYY-MM-DD`).
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        date: NaiveDate,
    },
    /// Open again every band of a venue day.
    ReopenDay {
        /// 会場コード.
        venue: String,
        /// The day (`YYYY-MM-DD`).
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        date: NaiveDate,
    },
    /// Close one band.
    CloseBand {
        /// The band's row id.
        band: i64,
    },
    /// Open one band again.
    ReopenBand {
        /// The band's row id.
        band: i64,
    },
    /// Lower or raise one band's capacity.
    SetCapacity {
        /// The band's row id.
        band: i64,
        /// The new capacity (1 to [`MAX_BAND_CAPACITY`]).
        capacity: u32,
    },
}

/// What a change did, or (from [`edit_impact`]) would do.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct EditReport {
    /// Bands (or venues) the change touches whose state changes.
    pub changed: u64,
    /// Bookings in those bands that the change leaves without a place: all bookings of a
    /// closed band, those above a lowered capacity. They stay until reshuffled.
    pub affected_bookings: u64,
    /// Replication ops written (0 for a preview, or when the ledger does not replicate).
    pub ops: u64,
}

/// One band as the HQ calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarBand {
    /// The band's row id.
    pub id: i64,
    /// 会場コード.
    pub venue_code: String,
    /// The day (`YYYY-MM-DD`).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// 開始 (`HH:MM`).
    pub start: String,
    /// 終了 (`HH:MM`).
    pub end: String,
    /// 定員.
    pub capacity: u32,
    /// Bookings in it (dose 1 and dose 2 alike).
    pub booked: u32,
    /// Closed by HQ.
    pub closed: bool,
    /// The day has passed: it cannot be changed.
    pub past: bool,
}

/// The campaign calendar from a day on: venues, and every band with its load.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CalendarView {
    /// Every venue, by code.
    pub venues: Vec<vax_ledger::VenueRow>,
    /// The days shown that have at least one band, in order (`YYYY-MM-DD`).
    #[cfg_attr(feature = "ts", ts(type = "Array<string>"))]
    pub days: Vec<NaiveDate>,
    /// Their bands, by venue, day and start.
    pub bands: Vec<CalendarBand>,
    /// HQ's deliveries of the days shown, by venue and day; a venue day without one is not
    /// limited ([`crate::supply`]).
    pub supply: Vec<crate::supply::DaySupply>,
}

fn invalid(field: &'static str, (en, ja): (String, String)) -> CalendarError {
    CalendarError::Invalid { field, en, ja }
}

fn field_invalid(field: &'static str, e: vax_domain::resident::FieldError) -> CalendarError {
    CalendarError::Invalid {
        field,
        en: e.to_string(),
        ja: e.message_ja(),
    }
}

/// The calendar from `from` for `days` days (every band from `from` on when `days` is 0),
/// with the deliveries of those days.
pub fn calendar_view(
    ledger: &Ledger,
    from: NaiveDate,
    days: u32,
    now: DateTime<FixedOffset>,
) -> Result<CalendarView, CalendarError> {
    let reader = ledger.reader();
    let until = (days > 0).then(|| from + chrono::Days::new(u64::from(days)));
    let today = now.date_naive();
    let bands: Vec<CalendarBand> = reader
        .band_loads()?
        .into_iter()
        .filter(|l| l.band.date >= from && until.is_none_or(|u| l.band.date < u))
        .map(|l| CalendarBand {
            id: l.band.id,
            past: l.band.date < today,
            venue_code: l.band.venue_code,
            date: l.band.date,
            start: hm(l.band.start),
            end: hm(l.band.end),
            capacity: l.band.capacity,
            booked: l.booked,
            closed: l.closed,
        })
        .collect();
    let mut days: Vec<NaiveDate> = bands.iter().map(|b| b.date).collect();
    days.sort_unstable();
    days.dedup();
    let booked = |venue: &str, date: NaiveDate| -> u32 {
        bands
            .iter()
            .filter(|b| b.venue_code == venue && b.date == date)
            .map(|b| b.booked)
            .sum()
    };
    let supply = crate::supply::supplies_between(&reader, from, until, today, booked)?;
    Ok(CalendarView {
        venues: reader.venues()?,
        days,
        bands,
        supply,
    })
}

/// Creates a venue, or edits the one with the same code. HQ only; one op when it changed.
pub fn save_venue(
    ledger: &mut Ledger,
    role: Role,
    form: &VenueForm,
) -> Result<EditReport, CalendarError> {
    headquarters_only(role)?;
    let code = parse_venue_code(&form.code).map_err(|e| invalid("会場コード", e))?;
    let venue = Venue {
        code,
        name: required_text(&form.name, 30).map_err(|e| field_invalid("会場名", e))?,
        address: required_text(&form.address, 100).map_err(|e| field_invalid("住所", e))?,
        location: Coordinates {
            lat: parse_coordinate(&form.lat.to_string(), true)
                .map_err(|e| field_invalid("緯度", e))?,
            lon: parse_coordinate(&form.lon.to_string(), false)
                .map_err(|e| field_invalid("経度", e))?,
        },
    };
    let mut tx = ledger.transaction()?;
    let known_kind = match tx.reader().venue_kind(&venue.code) {
        Ok(kind) => kind,
        Err(LedgerError::Missing { .. }) => None,
        Err(e) => return Err(e.into()),
    };
    let kind = form.kind.or(known_kind);
    let (id, outcome) = tx.upsert_venue(&venue)?;
    let kind_changed = tx.set_venue_kind(id, kind)?;
    let mut report = EditReport::default();
    if outcome != RegisterOutcome::Unchanged || kind_changed {
        report.changed = 1;
        let def = VenueDef {
            kind,
            ..(&venue).into()
        };
        report.ops = u64::from(tx.replicate(OpKind::DefineVenue(def))?.is_some());
    }
    tx.commit()?;
    Ok(report)
}

/// Adds bands to a venue day (a new day, or more bands on a day it has). HQ only; refuses a
/// day that has passed, a band that overlaps another (new or in the ledger) and a start the
/// day has a band at already (change that band instead). One op per band.
pub fn add_day(
    ledger: &mut Ledger,
    role: Role,
    now: DateTime<FixedOffset>,
    venue_code: &str,
    date: NaiveDate,
    bands: &[BandForm],
) -> Result<EditReport, CalendarError> {
    headquarters_only(role)?;
    if date < now.date_naive() {
        return Err(CalendarError::DayPassed(date));
    }
    if bands.is_empty() {
        return Err(CalendarError::Invalid {
            field: "コマ",
            en: "no band given".into(),
            ja: "コマがありません".into(),
        });
    }
    let mut parsed = Vec::with_capacity(bands.len());
    for b in bands {
        let start = parse_time(&b.start).map_err(|e| invalid("開始", e))?;
        let end = parse_time(&b.end).map_err(|e| invalid("終了", e))?;
        let capacity = parse_capacity(&b.capacity.to_string()).map_err(|e| invalid("定員", e))?;
        if end <= start {
            return Err(CalendarError::Invalid {
                field: "終了",
                en: format!("the band {} ends before it starts", hm(start)),
                ja: format!("{}開始のコマの終了が開始より後になっていません", hm(start)),
            });
        }
        parsed.push(TimeBand {
            venue_code: venue_code.to_owned(),
            date,
            start,
            end,
            capacity,
        });
    }
    let mut tx = ledger.transaction()?;
    let venue = tx.reader().venue(venue_code)?;
    let existing = tx.reader().venue_day(venue_code, date)?;
    let mut all: Vec<(NaiveTime, NaiveTime)> = existing
        .iter()
        .map(|l| (l.band.start, l.band.end))
        .chain(parsed.iter().map(|b| (b.start, b.end)))
        .collect();
    all.sort();
    if let Some(w) = all.windows(2).find(|w| w[1].0 < w[0].1) {
        let (a, b) = (w[0], w[1]);
        return Err(CalendarError::Overlap {
            en: format!(
                "the bands {}–{} and {}–{} of {venue_code} on {date} overlap",
                hm(a.0),
                hm(a.1),
                hm(b.0),
                hm(b.1)
            ),
            ja: format!(
                "{venue_code} の{date}のコマ {}–{} と {}–{} が重なっています",
                hm(a.0),
                hm(a.1),
                hm(b.0),
                hm(b.1)
            ),
        });
    }
    let mut report = EditReport::default();
    for band in &parsed {
        let outcome = tx.upsert_time_band(venue.id, band)?;
        debug_assert_eq!(outcome, RegisterOutcome::Inserted);
        report.changed += 1;
        report.ops += u64::from(tx.replicate(OpKind::DefineTimeBand(band.into()))?.is_some());
    }
    tx.commit()?;
    Ok(report)
}

/// A band as an edit leaves it.
struct BandTarget {
    load: vax_ledger::BandLoad,
    capacity: u32,
    closed: bool,
}

impl BandTarget {
    fn changes(&self) -> bool {
        self.capacity != self.load.band.capacity || self.closed != self.load.closed
    }

    /// Bookings the band holds that it has no place for once changed.
    fn displaced(&self) -> u64 {
        let kept = if self.closed { 0 } else { self.capacity };
        u64::from(self.load.booked.saturating_sub(kept))
    }
}

fn targets(
    reader: &vax_ledger::Reader<'_>,
    edit: &BandEdit,
) -> Result<Vec<BandTarget>, CalendarError> {
    let one = |band: i64| reader.band_load(band);
    let each = |load: vax_ledger::BandLoad, closed: bool| BandTarget {
        capacity: load.band.capacity,
        load,
        closed,
    };
    Ok(match edit {
        BandEdit::CutDay { venue, date } | BandEdit::ReopenDay { venue, date } => {
            reader.venue(venue)?;
            let day = reader.venue_day(venue, *date)?;
            if day.is_empty() {
                return Err(LedgerError::Missing {
                    what: "venue day",
                    key: format!("{venue} {date}"),
                }
                .into());
            }
            let closed = matches!(edit, BandEdit::CutDay { .. });
            day.into_iter().map(|l| each(l, closed)).collect()
        }
        BandEdit::CloseBand { band } => vec![each(one(*band)?, true)],
        BandEdit::ReopenBand { band } => vec![each(one(*band)?, false)],
        BandEdit::SetCapacity { band, capacity } => {
            let capacity = parse_capacity(&capacity.to_string()).map_err(|e| invalid("定員", e))?;
            let load = one(*band)?;
            vec![BandTarget {
                closed: load.closed,
                load,
                capacity,
            }]
        }
    })
}

fn summarise(targets: &[BandTarget]) -> EditReport {
    EditReport {
        changed: targets.iter().filter(|t| t.changes()).count() as u64,
        affected_bookings: targets.iter().map(BandTarget::displaced).sum(),
        ops: 0,
    }
}

/// What an edit would do, without doing it: for the confirmation the HQ screen shows.
pub fn edit_impact(ledger: &Ledger, edit: &BandEdit) -> Result<EditReport, CalendarError> {
    Ok(summarise(&targets(&ledger.reader(), edit)?))
}

/// Cuts or reopens a venue day, closes or reopens a band, or changes a capacity. HQ only;
/// refuses a day that has passed. Each band that changes is written with its
/// `define_time_band` op in one transaction. Nobody is moved: the report counts the
/// bookings left without a place, which [`crate::planning::preview_reshuffle`] re-seats.
pub fn edit_bands(
    ledger: &mut Ledger,
    role: Role,
    now: DateTime<FixedOffset>,
    edit: &BandEdit,
) -> Result<EditReport, CalendarError> {
    headquarters_only(role)?;
    let mut tx = ledger.transaction()?;
    let report = edit_bands_in(&mut tx, now.date_naive(), edit)?;
    tx.commit()?;
    Ok(report)
}

/// [`edit_bands`] inside the caller's transaction (a reshuffle applies its calendar change
/// and its bookings together).
pub(crate) fn edit_bands_in(
    tx: &mut WriteTx<'_>,
    today: NaiveDate,
    edit: &BandEdit,
) -> Result<EditReport, CalendarError> {
    let targets = targets(&tx.reader(), edit)?;
    if let Some(t) = targets.iter().find(|t| t.load.band.date < today) {
        return Err(CalendarError::DayPassed(t.load.band.date));
    }
    let mut report = summarise(&targets);
    for t in targets.iter().filter(|t| t.changes()) {
        tx.set_band_state(t.load.band.id, t.capacity, t.closed)?;
        let b = &t.load.band;
        let def = TimeBandDef {
            closed: t.closed,
            ..(&TimeBand {
                venue_code: b.venue_code.clone(),
                date: b.date,
                start: b.start,
                end: b.end,
                capacity: t.capacity,
            })
                .into()
        };
        report.ops += u64::from(tx.replicate(OpKind::DefineTimeBand(def))?.is_some());
    }
    Ok(report)
}
