//! The VRS file layout, in this one place: column names, widths, value formats, file names,
//! encodings and line ends.
//!
//! The real VRS *import* layout is not public (DOMAIN.md §1.3). What follows is the stand-in
//! built on the vocabulary of the published 「予防接種台帳向け出力」 export (DOMAIN.md §1.2):
//! the same item names, widths and formats. Everything a real spec might change is an
//! option of [`Layout`]; a change of column order or format must bump [`LAYOUT_VERSION`],
//! because past batches are regenerated from their stored fields with this code.

use std::borrow::Cow;

use chrono::{DateTime, Datelike, FixedOffset, Timelike};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_ledger::{VrsCorrection, VrsRecord};

/// The version of the layout this build writes. Stored with every batch; regeneration of a
/// batch written by another version is refused rather than silently different.
pub const LAYOUT_VERSION: u32 = 1;

/// 接種会場名: at most 30 characters.
pub const VENUE_NAME_MAX_CHARS: usize = 30;
/// 接種医師名: at most 20 characters.
pub const VACCINATOR_MAX_CHARS: usize = 20;
/// ワクチンメーカー: at most 20 characters.
pub const MAKER_LABEL_MAX_CHARS: usize = vax_domain::product::VRS_MAKER_LABEL_MAX_CHARS;
/// ワクチンロット番号: at most 20 characters.
pub const LOT_NUMBER_MAX_CHARS: usize = 20;
/// The most dose groups a 台帳形式 row can carry (dose numbers are 1 to 9 in the ledger).
pub const MAX_DOSE_GROUPS: u8 = 9;

/// Text encoding of the files.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum Encoding {
    /// UTF-8 without a byte-order mark (the default, DOMAIN.md §1.3).
    #[default]
    Utf8,
    /// UTF-8 starting with the byte-order mark EF BB BF (what Excel needs to open it).
    Utf8Bom,
    /// CP932 (Windows Shift_JIS), as encoding_rs's `Shift_JIS` encodes it. A character it
    /// cannot represent is a validation problem; it is never replaced.
    Cp932,
}

impl Encoding {
    /// Whether every character of `text` can be written in this encoding.
    pub fn first_unrepresentable(self, text: &str) -> Option<char> {
        match self {
            Self::Utf8 | Self::Utf8Bom => None,
            Self::Cp932 => {
                if text.is_ascii() {
                    return None;
                }
                let mut buf = [0u8; 4];
                text.chars().find(|c| {
                    let (_, _, had_errors) = encoding_rs::SHIFT_JIS.encode(c.encode_utf8(&mut buf));
                    had_errors
                })
            }
        }
    }

    /// The bytes of `text` in this encoding, or the first character it cannot represent.
    pub(crate) fn encode(self, text: String) -> Result<Vec<u8>, char> {
        match self {
            Self::Utf8 => Ok(text.into_bytes()),
            Self::Utf8Bom => {
                let mut out = Vec::with_capacity(text.len() + 3);
                out.extend_from_slice(b"\xEF\xBB\xBF");
                out.extend_from_slice(text.as_bytes());
                Ok(out)
            }
            Self::Cp932 => {
                let (bytes, _, had_errors) = encoding_rs::SHIFT_JIS.encode(&text);
                if had_errors {
                    return Err(self.first_unrepresentable(&text).unwrap_or('\u{FFFD}'));
                }
                Ok(match bytes {
                    Cow::Borrowed(b) => b.to_vec(),
                    Cow::Owned(b) => b,
                })
            }
        }
    }
}

/// How lines end.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum LineEnding {
    /// CR LF (the default: RFC 4180 and Windows tools).
    #[default]
    Crlf,
    /// LF only.
    Lf,
}

/// The configurable part of the layout.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Layout {
    /// Text encoding.
    pub encoding: Encoding,
    /// Whether each file starts with a row of the Japanese item names.
    pub header: bool,
    /// Line ends.
    pub line_ending: LineEnding,
    /// How many 8-column dose groups a 台帳形式 row has (1 to [`MAX_DOSE_GROUPS`]).
    pub dose_groups: u8,
}

impl Default for Layout {
    /// UTF-8 without BOM, header on, CRLF, two dose groups (DOMAIN.md §1.3 defaults and the
    /// two groups of the confirmed §1.2 layout).
    fn default() -> Self {
        Self {
            encoding: Encoding::Utf8,
            header: true,
            line_ending: LineEnding::Crlf,
            dose_groups: 2,
        }
    }
}

/// The files of a batch.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum FileKind {
    /// 台帳形式: one row per person, one 8-column group per dose.
    Ledger,
    /// One row per dose.
    Doses,
    /// Records exported earlier and voided since.
    Corrections,
}

impl FileKind {
    /// The name stored in the ledger and used in file names.
    pub fn code(self) -> &'static str {
        match self {
            Self::Ledger => "ledger",
            Self::Doses => "doses",
            Self::Corrections => "corrections",
        }
    }

    /// The inverse of [`FileKind::code`].
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "ledger" => Some(Self::Ledger),
            "doses" => Some(Self::Doses),
            "corrections" => Some(Self::Corrections),
            _ => None,
        }
    }
}

/// Japan Standard Time, the zone of every date and timestamp in the files.
pub use vax_domain::clock::jst;

/// 登録日時 and 取消日時: `YYYYMMDDHHMMSS`, Gregorian, 24 h, JST.
pub fn timestamp(t: &DateTime<FixedOffset>) -> String {
    let local = t.with_timezone(&jst());
    let mut out = String::with_capacity(14);
    push_date(&mut out, &local);
    for n in [local.hour(), local.minute(), local.second()] {
        push_digits(&mut out, n, 2);
    }
    out
}

/// 接種日: `YYYYMMDD`, JST.
pub fn day(t: &DateTime<FixedOffset>) -> String {
    let mut out = String::with_capacity(8);
    push_date(&mut out, &t.with_timezone(&jst()));
    out
}

// By hand rather than with `format`: a full export formats 260,000 of these.
fn push_date(out: &mut String, t: &DateTime<FixedOffset>) {
    push_digits(out, u32::try_from(t.year()).unwrap_or(0), 4);
    push_digits(out, t.month(), 2);
    push_digits(out, t.day(), 2);
}

/// Appends the last `width` decimal digits of `n`, zero-padded.
fn push_digits(out: &mut String, n: u32, width: u32) {
    for place in (0..width).rev() {
        let digit = (n / 10u32.pow(place)) % 10;
        out.push(char::from(b'0' + digit as u8));
    }
}

/// `vrs-000042-20210601-ledger.csv`: batch number, the batch's JST day, the file kind.
pub fn file_name(batch: i64, created_at: &DateTime<FixedOffset>, kind: FileKind) -> String {
    format!("vrs-{batch:06}-{}-{}.csv", day(created_at), kind.code())
}

/// The 8 items of one dose group, without the 「N回目」 prefix (DOMAIN.md §1.2 items 2–9).
pub const DOSE_GROUP_ITEMS: [&str; 8] = [
    "接種履歴登録日時",
    "接種日",
    "券番号",
    "接種自治体コード",
    "接種会場名",
    "接種医師名",
    "ワクチンメーカー",
    "ワクチンロット番号",
];

/// The leading column of a 台帳形式 row (DOMAIN.md §1.2 item 1): the resident's 宛名番号
/// when the register gave one, else blank.
pub const LEDGER_FIRST_ITEM: &str = "個別宛名番号";

/// The one-row-per-dose file's columns (DOMAIN.md §1.3 item 2).
pub const DOSES_ITEMS: [&str; 9] = [
    "自治体コード",
    "券番号",
    "接種回数",
    "接種日",
    "ワクチンメーカー",
    "ワクチンロット番号",
    "接種会場名",
    "接種医師名",
    "登録日時",
];

/// The correction list's columns: the dose file's, then where it was given, the record's
/// uid, the batch that exported it and the void.
pub const CORRECTIONS_EXTRA_ITEMS: [&str; 5] = [
    "接種自治体コード",
    "記録ID",
    "出力バッチ",
    "取消日時",
    "取消理由",
];

/// Why a file could not be rendered.
#[derive(Debug, Error)]
pub enum RenderError {
    /// A character the encoding cannot represent (validation should have caught it).
    #[error("character {0:?} cannot be written in the chosen encoding")]
    Unrepresentable(char),
    /// The CSV writer failed.
    #[error("cannot write CSV")]
    Csv(#[from] csv::Error),
}

/// Renders the files of one batch from its stored records.
pub struct Renderer {
    layout: Layout,
}

impl Renderer {
    /// A renderer for `layout`.
    pub fn new(layout: Layout) -> Self {
        Self { layout }
    }

    fn writer(&self) -> csv::Writer<Vec<u8>> {
        csv::WriterBuilder::new()
            .has_headers(false)
            .quote_style(csv::QuoteStyle::Necessary)
            .terminator(match self.layout.line_ending {
                LineEnding::Crlf => csv::Terminator::CRLF,
                LineEnding::Lf => csv::Terminator::Any(b'\n'),
            })
            .from_writer(Vec::with_capacity(1 << 16))
    }

    fn finish(&self, w: csv::Writer<Vec<u8>>) -> Result<Vec<u8>, RenderError> {
        let bytes = w
            .into_inner()
            .map_err(|e| RenderError::Csv(e.into_error().into()))?;
        // Every field went in as &str, so the CSV text is UTF-8.
        let utf8 = String::from_utf8(bytes)
            .map_err(|e| RenderError::Csv(std::io::Error::other(e).into()))?;
        self.layout
            .encoding
            .encode(utf8)
            .map_err(RenderError::Unrepresentable)
    }

    /// The 台帳形式 header row.
    pub fn ledger_header(&self) -> Vec<String> {
        let mut row = vec![LEDGER_FIRST_ITEM.to_owned()];
        for n in 1..=self.layout.dose_groups {
            row.extend(DOSE_GROUP_ITEMS.iter().map(|item| format!("{n}回目{item}")));
        }
        row
    }

    /// The 台帳形式 file: one row per voucher, in the records' order, its 個別宛名番号 first,
    /// each dose in the group of its number. `records` must be sorted by voucher and hold at most one record
    /// per voucher and dose number, none above the layout's group count (validation
    /// guarantees both).
    pub fn ledger_file(&self, records: &[VrsRecord]) -> Result<Vec<u8>, RenderError> {
        let mut w = self.writer();
        let groups = usize::from(self.layout.dose_groups);
        let width = 1 + 8 * groups;
        if self.layout.header {
            w.write_record(self.ledger_header())?;
        }
        let mut row: Vec<&str> = Vec::with_capacity(width);
        let mut i = 0;
        while i < records.len() {
            let person = (&records[i].municipality_code, &records[i].voucher_number);
            row.clear();
            row.resize(width, "");
            // Every record of one voucher comes from the same resident: one 宛名番号.
            row[0] = &records[i].atena_number;
            while i < records.len()
                && (&records[i].municipality_code, &records[i].voucher_number) == person
            {
                let r = &records[i];
                let at = 1 + 8 * (usize::from(r.dose_number) - 1);
                if at + 8 <= width {
                    row[at..at + 8].copy_from_slice(&[
                        r.registered_at.as_str(),
                        &r.administered_on,
                        &r.voucher_number,
                        &r.site_municipality_code,
                        &r.venue_name,
                        &r.vaccinator,
                        &r.maker_label,
                        &r.lot_number,
                    ]);
                }
                i += 1;
            }
            w.write_record(&row)?;
        }
        self.finish(w)
    }

    fn dose_fields<'r>(r: &'r VrsRecord, dose: &'r str) -> [&'r str; 9] {
        [
            &r.municipality_code,
            &r.voucher_number,
            dose,
            &r.administered_on,
            &r.maker_label,
            &r.lot_number,
            &r.venue_name,
            &r.vaccinator,
            &r.registered_at,
        ]
    }

    /// The one-row-per-dose file, in the records' order.
    pub fn doses_file(&self, records: &[VrsRecord]) -> Result<Vec<u8>, RenderError> {
        let mut w = self.writer();
        if self.layout.header {
            w.write_record(DOSES_ITEMS)?;
        }
        let mut dose = String::new();
        for r in records {
            dose.clear();
            dose.push(char::from(b'0' + r.dose_number));
            w.write_record(Self::dose_fields(r, &dose))?;
        }
        self.finish(w)
    }

    /// The correction list, in the corrections' order.
    pub fn corrections_file(&self, corrections: &[VrsCorrection]) -> Result<Vec<u8>, RenderError> {
        let mut w = self.writer();
        if self.layout.header {
            w.write_record(DOSES_ITEMS.iter().chain(&CORRECTIONS_EXTRA_ITEMS))?;
        }
        for c in corrections {
            let r = &c.record;
            let dose = char::from(b'0' + r.dose_number).to_string();
            let batch = c.exported_batch.to_string();
            let mut row: Vec<&str> = Self::dose_fields(r, &dose).to_vec();
            row.extend([
                r.site_municipality_code.as_str(),
                &r.dose_uid,
                &batch,
                &c.voided_at,
                &c.void_reason,
            ]);
            w.write_record(&row)?;
        }
        self.finish(w)
    }
}
