//! The daily report (日報) for the mayor's office (issue 16): one A4 page per day — per venue
//! the bookings, check-ins, doses, no-shows, waste and stock on hand; the city's coverage by
//! age band; the call centre's calls and open follow-ups.

use chrono::{Datelike, NaiveDate};
use vax_domain::notice::weekday_ja;
use vax_domain::wareki::format_wareki;

use crate::draw::{Align, Canvas};
use crate::font::JapaneseFont;
use crate::{single_page_pdf, PrintError};

/// The layout revision printed in the footer.
pub const DAILY_REPORT_TEMPLATE: &str = "nippo-1";

/// One venue's line of the day (or the total line).
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct DailyVenueLine {
    /// 会場コード (empty on the total line).
    pub venue_code: String,
    /// 会場名 (合計 on the total line).
    pub venue_name: String,
    /// Bookings of the day.
    pub booked: u32,
    /// Check-ins of the day.
    pub checked_in: u32,
    /// Valid doses given that day.
    pub doses: u32,
    /// Bookings of the day whose dose was not given (0 for a day not over yet).
    pub no_shows: u32,
    /// Doses thrown away that day from open vials.
    pub doses_wasted: i64,
    /// Sealed vials thrown away that day.
    pub vials_wasted: i64,
    /// Sealed vials on hand at the end of the day; `None`: the venue keeps no stock here.
    pub vials_on_hand: Option<i64>,
}

/// Coverage of one age band, city-wide.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyCoverageLine {
    /// 年齢区分, e.g. `65-74`.
    pub band: String,
    /// Residents.
    pub residents: u32,
    /// With dose 1.
    pub first: u32,
    /// With dose 2.
    pub second: u32,
}

/// Everything the day's report shows.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DailyReport {
    /// The day reported.
    pub date: NaiveDate,
    /// When it was made, `2021-06-03 18:05`.
    pub made_at: String,
    /// Each venue, by code.
    pub venues: Vec<DailyVenueLine>,
    /// The venues added up.
    pub total: DailyVenueLine,
    /// Doses given from the first day to this one.
    pub campaign_doses: u32,
    /// City-wide coverage by age band, on this day.
    pub coverage: Vec<DailyCoverageLine>,
    /// Calls received that day, by topic (Japanese label, count), topics without calls left out.
    pub calls_by_topic: Vec<(String, u32)>,
    /// Calls received that day.
    pub calls: u32,
    /// Follow-ups still open at the time of making.
    pub follow_ups_open: u32,
}

const LEFT: f32 = 14.0;
const RIGHT: f32 = 196.0;

fn rate(n: u32, of: u32) -> String {
    if of == 0 {
        "—".to_owned()
    } else {
        format!("{:.1}%", f64::from(n) * 100.0 / f64::from(of))
    }
}

/// Text shrunk until it fits `w` mm (down to 6 pt).
fn fitted(c: &mut Canvas<'_>, x: f32, y: f32, w: f32, size: f32, align: Align, text: &str) {
    let mut size = size;
    while size > 6.0 && c.width(text, size) > w {
        size -= 0.5;
    }
    c.text(x, y, size, align, text);
}

/// A ruled table from `top`; the first column left-aligned, the others right-aligned
/// (numbers). Rows in `shaded` get a grey background (the total). Returns the bottom.
fn table(
    c: &mut Canvas<'_>,
    top: f32,
    row_h: f32,
    columns: &[(&str, f32)],
    rows: &[Vec<String>],
    shaded: &[usize],
) -> f32 {
    let head_h = 7.0;
    c.fill(LEFT, top, RIGHT - LEFT, head_h, 0.88);
    let mut x = LEFT;
    for (name, w) in columns {
        fitted(c, x + w / 2.0, top + 4.8, w - 2.0, 8.5, Align::Center, name);
        x += w;
    }
    c.line_width(0.5);
    let mut y = top + head_h;
    let size = (row_h * 1.45).min(10.0);
    for (i, row) in rows.iter().enumerate() {
        if shaded.contains(&i) {
            c.fill(LEFT, y, RIGHT - LEFT, row_h, 0.94);
        }
        c.line(LEFT, y, RIGHT, y);
        let mut x = LEFT;
        for (j, (cell, (_, w))) in row.iter().zip(columns).enumerate() {
            let baseline = y + row_h / 2.0 + size * 25.4 / 72.0 * 0.35;
            if j == 0 {
                fitted(c, x + 1.5, baseline, w - 3.0, size, Align::Left, cell);
            } else {
                fitted(c, x + w - 1.5, baseline, w - 3.0, size, Align::Right, cell);
            }
            x += w;
        }
        y += row_h;
    }
    let mut x = LEFT;
    for (_, w) in &columns[..columns.len() - 1] {
        x += w;
        c.line(x, top, x, y);
    }
    c.line_width(1.0);
    c.rect(LEFT, top, RIGHT - LEFT, y - top);
    y
}

fn venue_cells(v: &DailyVenueLine) -> Vec<String> {
    let name = if v.venue_code.is_empty() {
        v.venue_name.clone()
    } else {
        format!("{} {}", v.venue_code, v.venue_name)
    };
    vec![
        name,
        v.booked.to_string(),
        v.checked_in.to_string(),
        v.doses.to_string(),
        v.no_shows.to_string(),
        v.doses_wasted.to_string(),
        v.vials_wasted.to_string(),
        v.vials_on_hand.map_or("—".to_owned(), |n| n.to_string()),
    ]
}

fn draw(c: &mut Canvas<'_>, r: &DailyReport) {
    c.text(LEFT, 20.0, 16.0, Align::Left, "新型コロナワクチン接種 日報");
    c.text(
        RIGHT,
        20.0,
        11.0,
        Align::Right,
        &format!(
            "{}（{}）",
            format_wareki(r.date),
            weekday_ja(r.date.weekday())
        ),
    );
    c.text(
        RIGHT,
        26.0,
        8.0,
        Align::Right,
        &format!("{}　作成 {}", r.date, r.made_at),
    );

    c.text(LEFT, 35.0, 11.0, Align::Left, "1. 会場別の実績（本日）");
    let columns: [(&str, f32); 8] = [
        ("会場", 54.0),
        ("予約", 18.0),
        ("受付", 18.0),
        ("接種", 18.0),
        ("無断キャンセル", 22.0),
        ("廃棄（回）", 17.0),
        ("廃棄（瓶）", 17.0),
        ("在庫（瓶）", 18.0),
    ];
    let mut rows: Vec<Vec<String>> = r.venues.iter().map(venue_cells).collect();
    rows.push(venue_cells(&r.total));
    // Many venues still fit the page: the rows get thinner (never below 4.5 mm).
    let row_h = (120.0 / rows.len().max(1) as f32).clamp(4.5, 7.0);
    let bottom = table(c, 38.0, row_h, &columns, &rows, &[rows.len() - 1]);
    c.text(
        LEFT,
        bottom + 5.0,
        7.5,
        Align::Left,
        "無断キャンセル: 予約日を過ぎても接種記録のない予約。廃棄・在庫は会場の在庫記録（瓶 = バイアル）による。",
    );

    let mut y = bottom + 14.0;
    c.text(
        LEFT,
        y,
        11.0,
        Align::Left,
        &format!(
            "2. 接種状況（市全体・本日まで累計 {} 回）",
            r.campaign_doses
        ),
    );
    let columns: [(&str, f32); 6] = [
        ("年齢区分", 42.0),
        ("対象者", 28.0),
        ("1回目", 28.0),
        ("1回目接種率", 28.0),
        ("2回目", 28.0),
        ("2回目接種率", 28.0),
    ];
    let total = DailyCoverageLine {
        band: "合計".into(),
        residents: r.coverage.iter().map(|l| l.residents).sum(),
        first: r.coverage.iter().map(|l| l.first).sum(),
        second: r.coverage.iter().map(|l| l.second).sum(),
    };
    let rows: Vec<Vec<String>> = r
        .coverage
        .iter()
        .chain(std::iter::once(&total))
        .map(|line| {
            vec![
                line.band.clone(),
                line.residents.to_string(),
                line.first.to_string(),
                rate(line.first, line.residents),
                line.second.to_string(),
                rate(line.second, line.residents),
            ]
        })
        .collect();
    y = table(c, y + 3.0, 6.0, &columns, &rows, &[rows.len() - 1]);

    y += 10.0;
    c.text(LEFT, y, 11.0, Align::Left, "3. コールセンター");
    c.text(
        LEFT + 4.0,
        y + 7.0,
        10.0,
        Align::Left,
        &format!(
            "本日の受付 {} 件　　折り返し待ち {} 件（作成時点）",
            r.calls, r.follow_ups_open
        ),
    );
    let topics = if r.calls_by_topic.is_empty() {
        "内訳: なし".to_owned()
    } else {
        let parts: Vec<String> = r
            .calls_by_topic
            .iter()
            .map(|(t, n)| format!("{t} {n} 件"))
            .collect();
        format!("内訳: {}", parts.join("、"))
    };
    for (i, line) in c.wrap(&topics, 9.0, RIGHT - LEFT - 8.0).iter().enumerate() {
        c.text(
            LEFT + 4.0,
            y + 13.0 + i as f32 * 5.0,
            9.0,
            Align::Left,
            line,
        );
    }

    c.text(
        105.0,
        290.0,
        6.5,
        Align::Center,
        &format!("vaxledger ・ 日報 ・ {DAILY_REPORT_TEMPLATE}"),
    );
}

/// The daily report as PDF bytes (one A4 page).
pub fn daily_report_pdf(font: &JapaneseFont, report: &DailyReport) -> Vec<u8> {
    single_page_pdf(font, "日報", |c| draw(c, report))
}

/// Writes the daily report to `path`.
pub fn write_daily_report(
    font: &JapaneseFont,
    report: &DailyReport,
    path: &std::path::Path,
) -> Result<(), PrintError> {
    std::fs::write(path, daily_report_pdf(font, report)).map_err(|source| PrintError::Io {
        path: path.to_owned(),
        source,
    })
}
