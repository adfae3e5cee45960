//! Paper day sheets (接種当日記録票, issue 17): the venue's fallback when a kiosk or the power
//! is lost. One table per time band, printed the day before: every booked resident with a row
//! QR, and boxes the staff fill in by hand (check-in, lot, vaccinator, time given, end of
//! observation); blank rows at the end of each band for walk-ins from the standby list.
//! Afterwards each row's QR is scanned at a kiosk and the handwritten fields are typed in
//! (back-entry).
//!
//! The row QR holds the resident's 18-digit voucher line with the dose of the booking, the
//! same code as the mailed voucher: the desk's camera and USB scanner read it unchanged, and
//! the line names both the resident (券番号) and the booking (回数, at the venue and day the
//! sheet is for).

use chrono::{Datelike, NaiveDate};
use printpdf::{Mm, PdfPage};
use vax_domain::notice::weekday_ja;
use vax_domain::voucher::OcrLine;
use vax_domain::wareki::format_wareki;

use crate::draw::{self, Align, Canvas};
use crate::font::JapaneseFont;
use crate::{new_document, save_pages, PrintError};

/// The layout revision printed in the footer.
pub const DAY_SHEET_TEMPLATE: &str = "daysheet-1";

/// Rows of one page (booked and blank together).
pub const DAY_SHEET_ROWS_PER_PAGE: usize = 14;

/// One booked resident on a day sheet.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySheetRow {
    /// The row QR: the voucher line, its 回数 the dose booked.
    pub line: OcrLine,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 生年月日.
    pub birth_date: NaiveDate,
}

/// The sheet of one time band.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DaySheet {
    /// 会場コード.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// The day.
    pub date: NaiveDate,
    /// The band, `09:00〜10:00`.
    pub band: String,
    /// Booked residents, in kana order.
    pub rows: Vec<DaySheetRow>,
    /// Blank rows for walk-ins after the booked ones (the last page is filled up anyway).
    pub blank_rows: usize,
}

const LEFT: f32 = 12.0;
const RIGHT: f32 = 198.0;
const TABLE_TOP: f32 = 50.0;
const HEAD_H: f32 = 8.0;
const ROW_H: f32 = 16.0;
const QR_SIDE: f32 = 13.0;

/// Columns: header and width in mm (they add up to `RIGHT - LEFT`).
const COLUMNS: [(&str, f32); 10] = [
    ("No", 7.0),
    ("QR", 16.0),
    ("氏名・カナ", 38.0),
    ("生年月日", 22.0),
    ("回", 8.0),
    ("受付", 11.0),
    ("ロット", 22.0),
    ("接種者", 24.0),
    ("接種時刻", 19.0),
    ("観察終了", 19.0),
];

fn day_ja(date: NaiveDate) -> String {
    format!("{}（{}）", format_wareki(date), weekday_ja(date.weekday()))
}

/// Text shrunk until it fits `w` mm (down to 6 pt).
fn fitted(c: &mut Canvas<'_>, x: f32, y: f32, w: f32, size: f32, text: &str) {
    let mut size = size;
    while size > 6.0 && c.width(text, size) > w {
        size -= 0.5;
    }
    c.text(x, y, size, Align::Left, text);
}

/// A row of the table: `None` is a blank row for a walk-in.
fn row(c: &mut Canvas<'_>, y: f32, number: usize, entry: Option<&DaySheetRow>) {
    let x_of = |index: usize| LEFT + COLUMNS[..index].iter().map(|(_, w)| w).sum::<f32>();
    let mid = y + ROW_H / 2.0;
    c.text_mid(
        x_of(0) + 3.5,
        y,
        ROW_H,
        9.0,
        Align::Center,
        &number.to_string(),
    );
    if let Some(r) = entry {
        c.qr(
            x_of(1) + (16.0 - QR_SIDE) / 2.0,
            y + (ROW_H - QR_SIDE) / 2.0,
            QR_SIDE,
            &r.line.to_digits(),
        );
        fitted(c, x_of(2) + 1.5, y + 6.0, 35.0, 10.5, &r.name);
        fitted(c, x_of(2) + 1.5, y + 10.5, 35.0, 7.0, &r.name_kana);
        fitted(
            c,
            x_of(2) + 1.5,
            y + 14.5,
            35.0,
            6.0,
            &format!("券 {}", r.line.number),
        );
        fitted(
            c,
            x_of(3) + 1.5,
            y + 7.0,
            19.0,
            8.0,
            &format_wareki(r.birth_date),
        );
        fitted(
            c,
            x_of(3) + 1.5,
            y + 11.5,
            19.0,
            7.0,
            &r.birth_date.format("%Y-%m-%d").to_string(),
        );
        c.text_mid(
            x_of(4) + 4.0,
            y,
            ROW_H,
            10.0,
            Align::Center,
            &r.line.dose.to_string(),
        );
    } else {
        c.text(
            x_of(2) + 1.5,
            y + 5.0,
            6.5,
            Align::Left,
            "当日（予備者）：氏名",
        );
        c.text(x_of(3) + 1.5, y + 5.0, 6.5, Align::Left, "生年月日");
        c.text(x_of(1) + 1.5, y + 5.0, 6.5, Align::Left, "券番号");
    }
    // The check-in box, and the colons that tell where hours and minutes go.
    c.rect(x_of(5) + 3.3, mid - 2.2, 4.4, 4.4);
    for col in [8, 9] {
        c.text_mid(x_of(col) + 9.5, y, ROW_H, 10.0, Align::Center, ":");
    }
}

fn page(
    c: &mut Canvas<'_>,
    sheet: &DaySheet,
    rows: &[Option<&DaySheetRow>],
    first_number: usize,
    page: usize,
    pages: usize,
) {
    c.text(LEFT, 18.0, 15.0, Align::Left, "接種当日記録票（紙運用）");
    c.text(
        RIGHT,
        18.0,
        11.0,
        Align::Right,
        &format!("{} / {} 枚", page, pages),
    );
    c.text(
        LEFT,
        27.0,
        11.0,
        Align::Left,
        &format!(
            "{}（{}）　{}　受付 {}",
            sheet.venue_name,
            sheet.venue_code,
            day_ja(sheet.date),
            sheet.band
        ),
    );
    c.text(
        LEFT,
        34.0,
        8.5,
        Align::Left,
        &format!(
            "予約 {} 人。端末または電源が使えない間はこの用紙に記入し、復旧後に各行のQRを読み取って記入内容を入力（後入力）してください。",
            sheet.rows.len()
        ),
    );
    c.text(
        LEFT,
        40.0,
        8.5,
        Align::Left,
        "受付で□に✓。接種時刻・観察終了は 24時間制で 時:分。当日の予備者は空欄の行に券番号・氏名・生年月日を記入。",
    );
    c.fill(LEFT, TABLE_TOP, RIGHT - LEFT, HEAD_H, 0.88);
    let mut x = LEFT;
    for (name, w) in COLUMNS {
        c.text_mid(x + w / 2.0, TABLE_TOP, HEAD_H, 8.5, Align::Center, name);
        x += w;
    }
    c.line_width(0.5);
    let mut y = TABLE_TOP + HEAD_H;
    for (i, entry) in rows.iter().enumerate() {
        c.line(LEFT, y, RIGHT, y);
        row(c, y, first_number + i, *entry);
        y += ROW_H;
    }
    let mut x = LEFT;
    for (_, w) in &COLUMNS[..COLUMNS.len() - 1] {
        x += w;
        c.line(x, TABLE_TOP, x, y);
    }
    c.line_width(1.0);
    c.rect(LEFT, TABLE_TOP, RIGHT - LEFT, y - TABLE_TOP);
    c.text(
        105.0,
        290.0,
        6.5,
        Align::Center,
        &format!(
            "vaxledger ・ 接種当日記録票 ・ {} {} {} ・ {DAY_SHEET_TEMPLATE}",
            sheet.venue_code, sheet.date, sheet.band
        ),
    );
}

/// The rows of a sheet, page by page: the booked residents, then at least
/// [`DaySheet::blank_rows`] blank rows, the last page filled up with blank rows.
fn paginate(sheet: &DaySheet) -> Vec<Vec<Option<&DaySheetRow>>> {
    let booked = sheet.rows.len();
    let wanted = booked + sheet.blank_rows;
    let total = wanted
        .div_ceil(DAY_SHEET_ROWS_PER_PAGE)
        .max(1)
        .saturating_mul(DAY_SHEET_ROWS_PER_PAGE);
    let cells: Vec<Option<&DaySheetRow>> = (0..total).map(|i| sheet.rows.get(i)).collect();
    cells
        .chunks(DAY_SHEET_ROWS_PER_PAGE)
        .map(<[_]>::to_vec)
        .collect()
}

/// Writes the day sheets of a venue day into one PDF, each band starting on a new page.
/// Returns the number of pages.
///
/// # Errors
/// [`PrintError::Io`] when the file cannot be written.
pub fn write_day_sheets(
    font: &JapaneseFont,
    sheets: &[DaySheet],
    path: &std::path::Path,
) -> Result<usize, PrintError> {
    let (doc, id) = new_document(font, "接種当日記録票");
    let mut pages = Vec::new();
    for sheet in sheets {
        let chunks = paginate(sheet);
        let n = chunks.len();
        for (i, rows) in chunks.iter().enumerate() {
            let mut c = Canvas::new(font, id.clone());
            page(
                &mut c,
                sheet,
                rows,
                i * DAY_SHEET_ROWS_PER_PAGE + 1,
                i + 1,
                n,
            );
            pages.push(PdfPage::new(Mm(draw::PAGE_W), Mm(draw::PAGE_H), c.ops));
        }
    }
    let count = pages.len();
    save_pages(doc, pages, path)?;
    Ok(count)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vax_domain::voucher::VoucherPayload;

    fn sheet(booked: usize, blank_rows: usize) -> DaySheet {
        let Ok(VoucherPayload::Line(line)) = VoucherPayload::parse("112620210000123456") else {
            panic!("example line")
        };
        DaySheet {
            venue_code: "V01".into(),
            venue_name: "総合文化会館".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 1).unwrap(),
            band: "09:00〜10:00".into(),
            rows: (0..booked)
                .map(|_| DaySheetRow {
                    line: line.clone(),
                    name: "舞鶴 花子".into(),
                    name_kana: "マイヅル ハナコ".into(),
                    birth_date: NaiveDate::from_ymd_opt(1950, 4, 1).unwrap(),
                })
                .collect(),
            blank_rows,
        }
    }

    #[test]
    fn booked_rows_come_first_then_at_least_the_blank_rows_asked_for() {
        let s = sheet(10, 5);
        let pages = paginate(&s);
        assert_eq!(pages.len(), 2, "10 booked + 5 blank rows need two pages");
        let flat: Vec<_> = pages.concat();
        assert_eq!(flat.len(), 2 * DAY_SHEET_ROWS_PER_PAGE);
        assert!(flat[..10].iter().all(Option::is_some));
        assert!(flat[10..].iter().all(Option::is_none));
    }

    #[test]
    fn an_empty_band_still_gets_one_page_of_blank_rows() {
        let s = sheet(0, 0);
        let pages = paginate(&s);
        assert_eq!(pages.len(), 1);
        assert!(pages[0].iter().all(Option::is_none));
        assert_eq!(pages[0].len(), DAY_SHEET_ROWS_PER_PAGE);
    }

    #[test]
    fn a_full_page_of_bookings_gets_a_second_page_for_walk_ins() {
        let s = sheet(DAY_SHEET_ROWS_PER_PAGE, 1);
        assert_eq!(paginate(&s).len(), 2);
        let s = sheet(DAY_SHEET_ROWS_PER_PAGE, 0);
        assert_eq!(paginate(&s).len(), 1, "no blank row asked, none added");
    }

    #[test]
    fn the_columns_fill_the_table_width() {
        let sum: f32 = COLUMNS.iter().map(|(_, w)| w).sum();
        assert!((sum - (RIGHT - LEFT)).abs() < 0.01, "{sum}");
    }
}
