//! Bus transport sheets (issue 13): the driver's manifest of one bus run (送迎運行表), and
//! the venue reception's list of who arrives and leaves on which bus (送迎者一覧). A4
//! portrait, tables that continue on further pages.

use chrono::{Datelike, NaiveDate};
use printpdf::{Mm, PdfPage};
use vax_domain::notice::weekday_ja;
use vax_domain::wareki::format_wareki;

use crate::draw::{self, Align, Canvas};
use crate::font::JapaneseFont;
use crate::{new_document, save_pages, PrintError};

/// The layout revision printed in the footer.
pub const MANIFEST_TEMPLATE: &str = "manifest-1";

/// Which way a bus run goes.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RunDirection {
    /// 往路: homes to the venue.
    ToVenue,
    /// 復路: the venue to homes.
    FromVenue,
}

/// One stop of a driver's manifest.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ManifestStop {
    /// Stop number, from 1.
    pub order: u32,
    /// At the door (pick-up, or drop-off on the return run), HH:MM.
    pub time: String,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 住所, or the pick-up point's name.
    pub place: String,
    /// 電話番号 (empty when unknown).
    pub phone: String,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
    /// On the way to the venue: when the return bus leaves the venue, HH:MM (empty when
    /// not planned).
    pub return_time: String,
}

/// One bus run: a driver's manifest.
#[derive(Debug, Clone, PartialEq)]
pub struct Manifest {
    /// The vehicle.
    pub vehicle: String,
    /// Which way.
    pub direction: RunDirection,
    /// 会場名.
    pub venue_name: String,
    /// The day.
    pub date: NaiveDate,
    /// The band served, `09:00〜10:00`.
    pub band: String,
    /// Leaves the garage, HH:MM.
    pub leave_garage: String,
    /// At the venue (arrival, or departure on the return run), HH:MM.
    pub at_venue: String,
    /// Back at the garage, HH:MM.
    pub back_at_garage: String,
    /// `5 / 8` seats.
    pub seats: String,
    /// Kilometres, garage to garage.
    pub km: f64,
    /// Stops in order.
    pub stops: Vec<ManifestStop>,
}

/// One rider on the reception's list.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceptionRow {
    /// The band booked, `09:00`.
    pub band: String,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// Arriving on (bus, HH:MM), or a note (e.g. 送迎不可: the reason).
    pub arrives: String,
    /// Leaving on (bus, HH:MM), or a note.
    pub leaves: String,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
}

/// The reception's list of a venue day.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct ReceptionList {
    /// 会場名.
    pub venue_name: String,
    /// The day.
    pub date: NaiveDate,
    /// Riders, by band then kana.
    pub rows: Vec<ReceptionRow>,
}

const LEFT: f32 = 12.0;
const RIGHT: f32 = 198.0;
const TABLE_TOP: f32 = 62.0;
const ROW_H: f32 = 11.0;
const HEAD_H: f32 = 7.0;
const ROWS_PER_PAGE: usize = 19;

fn day_ja(date: NaiveDate) -> String {
    format!("{}（{}）", format_wareki(date), weekday_ja(date.weekday()))
}

/// Text shrunk until it fits `w` mm (down to 6 pt).
fn fitted(c: &mut Canvas<'_>, x: f32, y: f32, w: f32, size: f32, align: Align, text: &str) {
    let mut size = size;
    while size > 6.0 && c.width(text, size) > w {
        size -= 0.5;
    }
    c.text(x, y, size, align, text);
}

/// A table: headers with their widths, then `rows` of cells (each cell one or two lines).
fn table(c: &mut Canvas<'_>, top: f32, columns: &[(&str, f32)], rows: &[Vec<(String, String)>]) {
    c.fill(LEFT, top, RIGHT - LEFT, HEAD_H, 0.88);
    let mut x = LEFT;
    for (name, w) in columns {
        c.text_mid(x + w / 2.0, top, HEAD_H, 8.5, Align::Center, name);
        x += w;
    }
    c.line_width(0.5);
    let mut y = top + HEAD_H;
    for row in rows {
        c.line(LEFT, y, RIGHT, y);
        let mut x = LEFT;
        for ((main, sub), (_, w)) in row.iter().zip(columns) {
            if sub.is_empty() {
                fitted(c, x + 1.5, y + 7.0, w - 3.0, 10.0, Align::Left, main);
            } else {
                fitted(c, x + 1.5, y + 5.0, w - 3.0, 10.0, Align::Left, main);
                fitted(c, x + 1.5, y + 9.2, w - 3.0, 7.0, Align::Left, sub);
            }
            x += w;
        }
        y += ROW_H;
    }
    let bottom = y;
    let mut x = LEFT;
    for (_, w) in &columns[..columns.len() - 1] {
        x += w;
        c.line(x, top, x, bottom);
    }
    c.line_width(1.0);
    c.rect(LEFT, top, RIGHT - LEFT, bottom - top);
}

fn footer(c: &mut Canvas<'_>, title: &str, page: usize, pages: usize) {
    c.text(
        105.0,
        290.0,
        6.5,
        Align::Center,
        &format!("vaxledger ・ {title} ・ {page} / {pages} ・ {MANIFEST_TEMPLATE}"),
    );
}

fn manifest_page(
    c: &mut Canvas<'_>,
    m: &Manifest,
    stops: &[ManifestStop],
    page: usize,
    pages: usize,
) {
    let (title, way, venue_label) = match m.direction {
        RunDirection::ToVenue => ("送迎運行表（往路）", "自宅 → 会場", "会場着"),
        RunDirection::FromVenue => ("送迎運行表（復路）", "会場 → 自宅", "会場発"),
    };
    c.text(LEFT, 20.0, 16.0, Align::Left, title);
    c.text(
        RIGHT,
        20.0,
        16.0,
        Align::Right,
        &format!("車両 {}", m.vehicle),
    );
    c.text(
        LEFT,
        30.0,
        11.0,
        Align::Left,
        &format!("{}　{}　受付 {}", m.venue_name, day_ja(m.date), m.band),
    );
    c.text(
        LEFT,
        38.0,
        10.0,
        Align::Left,
        &format!("{way}　座席 {}　走行 {:.1} km", m.seats, m.km),
    );
    c.text(
        LEFT,
        46.0,
        10.0,
        Align::Left,
        &format!(
            "車庫発 {}　→　{} {}　→　車庫着 {}",
            m.leave_garage, venue_label, m.at_venue, m.back_at_garage
        ),
    );
    let door = match m.direction {
        RunDirection::ToVenue => "迎え時刻",
        RunDirection::FromVenue => "送り時刻",
    };
    c.text(
        LEFT,
        55.0,
        8.0,
        Align::Left,
        "時刻は車両が玄関（乗降場所）に着く時刻です。車いすの方は乗降に時間がかかります。",
    );
    let columns: [(&str, f32); 6] = [
        ("順", 10.0),
        (door, 18.0),
        ("氏名", 44.0),
        ("住所・乗降場所", 66.0),
        ("電話番号", 28.0),
        (
            match m.direction {
                RunDirection::ToVenue => "車いす・帰り",
                RunDirection::FromVenue => "車いす",
            },
            20.0,
        ),
    ];
    let rows: Vec<Vec<(String, String)>> = stops
        .iter()
        .map(|s| {
            let chair = if s.wheelchair { "車いす" } else { "" };
            let last = match m.direction {
                RunDirection::ToVenue if !s.return_time.is_empty() => {
                    (chair.to_owned(), format!("帰り {}", s.return_time))
                }
                _ => (chair.to_owned(), String::new()),
            };
            vec![
                (s.order.to_string(), String::new()),
                (s.time.clone(), String::new()),
                (s.name.clone(), s.name_kana.clone()),
                (s.place.clone(), String::new()),
                (s.phone.clone(), String::new()),
                last,
            ]
        })
        .collect();
    table(c, TABLE_TOP, &columns, &rows);
    footer(c, title, page, pages);
}

fn reception_page(
    c: &mut Canvas<'_>,
    list: &ReceptionList,
    rows: &[ReceptionRow],
    page: usize,
    pages: usize,
) {
    let title = "送迎者一覧（受付用）";
    c.text(LEFT, 20.0, 16.0, Align::Left, title);
    c.text(
        LEFT,
        30.0,
        11.0,
        Align::Left,
        &format!("{}　{}", list.venue_name, day_ja(list.date)),
    );
    c.text(
        LEFT,
        38.0,
        9.0,
        Align::Left,
        &format!(
            "送迎の方 {} 人。帰りの便に乗ったら「乗車」欄に印を付けてください。",
            list.rows.len()
        ),
    );
    let columns: [(&str, f32); 6] = [
        ("受付", 14.0),
        ("氏名", 46.0),
        ("到着の便", 42.0),
        ("帰りの便", 42.0),
        ("車いす", 20.0),
        ("乗車", 22.0),
    ];
    let cells: Vec<Vec<(String, String)>> = rows
        .iter()
        .map(|r| {
            vec![
                (r.band.clone(), String::new()),
                (r.name.clone(), r.name_kana.clone()),
                (r.arrives.clone(), String::new()),
                (r.leaves.clone(), String::new()),
                (
                    if r.wheelchair { "車いす" } else { "" }.to_owned(),
                    String::new(),
                ),
                ("□".to_owned(), String::new()),
            ]
        })
        .collect();
    table(c, 46.0, &columns, &cells);
    footer(c, title, page, pages);
}

fn pages<T>(items: &[T]) -> Vec<&[T]> {
    if items.is_empty() {
        vec![&items[..0]]
    } else {
        items.chunks(ROWS_PER_PAGE).collect()
    }
}

/// Draws one page.
type PageDrawer<'a> = Box<dyn Fn(&mut Canvas<'_>) + 'a>;

fn write_pages(
    font: &JapaneseFont,
    title: &str,
    path: &std::path::Path,
    drawers: Vec<PageDrawer<'_>>,
) -> Result<(), PrintError> {
    let (doc, id) = new_document(font, title);
    let pages = drawers
        .iter()
        .map(|f| {
            let mut c = Canvas::new(font, id.clone());
            f(&mut c);
            PdfPage::new(Mm(draw::PAGE_W), Mm(draw::PAGE_H), c.ops)
        })
        .collect();
    save_pages(doc, pages, path)
}

/// Writes the driver's manifests into one PDF: each bus run starts on a new page (long runs
/// continue on the next).
pub fn write_manifests(
    font: &JapaneseFont,
    manifests: &[Manifest],
    path: &std::path::Path,
) -> Result<(), PrintError> {
    let mut drawers: Vec<PageDrawer<'_>> = Vec::new();
    for m in manifests {
        let chunks = pages(&m.stops);
        let n = chunks.len();
        for (i, stops) in chunks.into_iter().enumerate() {
            drawers.push(Box::new(move |c| manifest_page(c, m, stops, i + 1, n)));
        }
    }
    write_pages(font, "送迎運行表", path, drawers)
}

/// Writes the venue reception's list of a day.
pub fn write_reception_list(
    font: &JapaneseFont,
    list: &ReceptionList,
    path: &std::path::Path,
) -> Result<(), PrintError> {
    let chunks = pages(&list.rows);
    let n = chunks.len();
    let drawers: Vec<PageDrawer<'_>> = chunks
        .into_iter()
        .enumerate()
        .map(|(i, rows)| {
            Box::new(move |c: &mut Canvas<'_>| reception_page(c, list, rows, i + 1, n))
                as PageDrawer<'_>
        })
        .collect();
    write_pages(font, "送迎者一覧", path, drawers)
}
