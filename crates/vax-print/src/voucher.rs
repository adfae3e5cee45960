//! Voucher sheets (接種券) for mailing, in batch for the whole city.

use std::path::PathBuf;

use chrono::NaiveDate;
use vax_domain::voucher::OcrLine;

use crate::draw::{Align, Canvas};
use crate::font::JapaneseFont;
use crate::yoshinhyo::postal;
use crate::PrintError;
use vax_domain::wareki::format_wareki;

/// One resident's voucher sheet.
#[derive(Debug, Clone, PartialEq)]
pub struct VoucherSheet {
    /// 郵便番号, 7 digits.
    pub postal_code: String,
    /// 住所 (printed in the envelope window).
    pub address: String,
    /// 氏名.
    pub name: String,
    /// The 18-digit line: QR code and OCR line.
    pub voucher: OcrLine,
}

/// How a batch is written.
#[derive(Debug, Clone, PartialEq)]
pub struct BatchOptions {
    /// Directory for the files; created if missing.
    pub out_dir: PathBuf,
    /// Pages per file. printpdf keeps a whole document in memory until it is saved, so the
    /// batch is cut into files of this many pages: memory then depends on this number, not
    /// on the size of the city. 500 pages make files of a few MB that a print shop's RIP
    /// takes without trouble.
    pub chunk_size: usize,
    /// File names are `{prefix}-0001.pdf`, `{prefix}-0002.pdf`, ...
    pub file_prefix: String,
    /// Sender printed top right, e.g. `舞鶴市 健康づくり課` ([`check_mailing_fits`] tells
    /// whether it fits).
    pub issuer: String,
    /// お問い合わせ先 printed in a box at the bottom (e.g. the call centre's name and number),
    /// one line per entry, at most [`CONTACT_MAX_LINES`]; no box when empty.
    pub contact: Vec<String>,
    /// Date printed on every sheet.
    pub print_date: NaiveDate,
}

impl BatchOptions {
    /// 500 pages per file, files named `vouchers-0001.pdf`, ...
    pub fn new(out_dir: impl Into<PathBuf>, print_date: NaiveDate) -> Self {
        Self {
            out_dir: out_dir.into(),
            chunk_size: 500,
            file_prefix: "vouchers".to_owned(),
            issuer: String::new(),
            contact: Vec::new(),
            print_date,
        }
    }
}

/// What a batch produced.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct BatchReport {
    /// The files, in order.
    pub files: Vec<PathBuf>,
    /// Pages written (one per resident).
    pub pages: usize,
}

// Where the sender and the contact lines go (mm from the top left of the A4 sheet).
const ADDRESS_X: f32 = 22.0;
const ADDRESS_WIDTH: f32 = 88.0;
const SENDER_RIGHT: f32 = 192.0;
const SENDER_PT: f32 = 10.0;
/// The sender ends right-aligned at [`SENDER_RIGHT`] and must stay clear of the address
/// block (the envelope's window) with this gap.
const SENDER_GAP: f32 = 4.0;
const CONTACT_BOX_X: f32 = 30.0;
const CONTACT_BOX_WIDTH: f32 = 150.0;
const CONTACT_X: f32 = 38.0;
const CONTACT_PT: f32 = 9.5;
/// The box grows upwards with its lines; more would run into the notes above it.
pub const CONTACT_MAX_LINES: usize = 4;

/// Text that does not fit on the voucher sheet.
#[derive(Debug, Clone, Copy, PartialEq)]
pub enum MailingOverflow {
    /// The sender would run into the address block.
    Sender {
        /// Its width at the printed size.
        width_mm: f32,
        /// The room there is.
        max_mm: f32,
    },
    /// More contact lines than the box holds.
    ContactLines {
        /// Lines given.
        lines: usize,
    },
    /// A contact line would run out of the box.
    ContactLine {
        /// Which line (0-based).
        index: usize,
        /// Its width at the printed size.
        width_mm: f32,
        /// The room there is.
        max_mm: f32,
    },
}

impl MailingOverflow {
    /// About how many full-width characters fit where this text did not (for messages).
    pub fn full_width_chars_that_fit(&self) -> usize {
        let (max_mm, pt) = match *self {
            Self::Sender { max_mm, .. } => (max_mm, SENDER_PT),
            Self::ContactLine { max_mm, .. } => (max_mm, CONTACT_PT),
            Self::ContactLines { .. } => return 0,
        };
        (max_mm / (pt * 25.4 / 72.0)).floor() as usize
    }
}

/// Checks that `issuer` and `contact` fit where the voucher sheet prints them, measured with
/// the font that prints them.
///
/// # Errors
/// The first [`MailingOverflow`] found.
pub fn check_mailing_fits(
    font: &JapaneseFont,
    issuer: &str,
    contact: &[String],
) -> Result<(), MailingOverflow> {
    let sender_max = SENDER_RIGHT - (ADDRESS_X + ADDRESS_WIDTH + SENDER_GAP);
    let width = font.text_width_mm(issuer, SENDER_PT);
    if width > sender_max {
        return Err(MailingOverflow::Sender {
            width_mm: width,
            max_mm: sender_max,
        });
    }
    if contact.len() > CONTACT_MAX_LINES {
        return Err(MailingOverflow::ContactLines {
            lines: contact.len(),
        });
    }
    let line_max = CONTACT_BOX_X + CONTACT_BOX_WIDTH - CONTACT_X - 4.0;
    for (index, line) in contact.iter().enumerate() {
        let width = font.text_width_mm(line, CONTACT_PT);
        if width > line_max {
            return Err(MailingOverflow::ContactLine {
                index,
                width_mm: width,
                max_mm: line_max,
            });
        }
    }
    Ok(())
}

/// Lays out one voucher sheet, for a window envelope (長形3号: the A4 sheet folded in three,
/// the address block in the window at the top left).
fn draw(c: &mut Canvas<'_>, sheet: &VoucherSheet, opts: &BatchOptions) {
    let line = sheet.voucher.to_digits();
    draw_envelope_header(c, sheet, opts);
    c.text(105.0, 80.0, 18.0, Align::Center, "新型コロナワクチン接種券");
    c.text(
        105.0,
        88.0,
        9.5,
        Align::Center,
        "予約と接種の際に必要です。切り取らずに、大切に保管してください。",
    );

    // The voucher itself.
    let (bx, by, bw, bh) = (30.0, 96.0, 150.0, 62.0);
    let label_w = 28.0;
    let rows = [
        ("氏名", 14.0),
        ("券番号", 14.0),
        ("市町村コード", 10.0),
        ("接種回数", 10.0),
        ("OCRライン", 14.0),
    ];
    // Grey label column first, then the rules over it (a later fill would hide them).
    c.fill(bx, by, label_w, bh, 0.88);
    c.line_width(0.5);
    let mut y = by;
    let vx = bx + label_w + 3.0;
    for (k, (label, h)) in rows.iter().enumerate() {
        if k + 1 < rows.len() {
            c.line(bx, y + h, bx + 100.0, y + h);
        }
        c.text_mid(bx + label_w / 2.0, y, *h, 9.0, Align::Center, label);
        match k {
            0 => c.text_mid(vx, y, *h, 14.0, Align::Left, &sheet.name),
            1 => c.text_mid(vx, y, *h, 16.0, Align::Left, sheet.voucher.number.as_str()),
            2 => c.text_mid(
                vx,
                y,
                *h,
                11.0,
                Align::Left,
                sheet.voucher.municipality.as_str(),
            ),
            3 => c.text_mid(
                vx,
                y,
                *h,
                11.0,
                Align::Left,
                &format!("{}回目", sheet.voucher.dose),
            ),
            // The same 18 digits as the QR code, as on the national voucher.
            _ => c.text_mid(vx, y, *h, 12.0, Align::Left, &line),
        }
        y += h;
    }
    c.line(bx + label_w, by, bx + label_w, y);
    c.line(bx + 100.0, by, bx + 100.0, by + bh);
    // QR: 24 mm, larger than the 10 mm of the sticker specification so that desk webcams
    // read it at arm's length.
    let side = 24.0;
    let qx = bx + 100.0 + (50.0 - side) / 2.0;
    c.qr(qx, by + 8.0, side, &line);
    c.text(
        bx + 125.0,
        by + 42.0,
        8.0,
        Align::Center,
        "受付でこのコードを",
    );
    c.text(bx + 125.0, by + 46.5, 8.0, Align::Center, "読み取ります");
    c.line_width(1.2);
    c.rect(bx, by, bw, bh);

    let notes = [
        "予約の際は、券番号（10桁）と市町村コードが必要です。",
        "接種当日は、この接種券と予診票、本人確認書類（マイナンバーカード、運転免許証など）をお持ちください。",
        "接種券を紛失した場合や、記載内容に誤りがある場合は、発行元にお問い合わせください。",
        "転出された場合、この接種券は使用できません。転出先の市町村にお問い合わせください。",
    ];
    c.text(30.0, 172.0, 11.0, Align::Left, "ご注意");
    let mut y = 179.0;
    for note in notes {
        for (k, l) in c.wrap(note, 9.0, 146.0).iter().enumerate() {
            let bullet = if k == 0 { "・" } else { "" };
            c.text(30.0, y, 9.0, Align::Left, bullet);
            c.text(34.0, y, 9.0, Align::Left, l);
            y += 4.6;
        }
        y += 1.5;
    }
    draw_contact_box(c, &opts.contact);
    c.text(105.0, 290.0, 6.5, Align::Center, "vaxledger ・ 接種券送付");
}

/// Writes one A4 voucher sheet per item of `sheets`, cut into files of
/// [`BatchOptions::chunk_size`] pages, and calls `progress(done, total)` after each page.
///
/// `total` is only used for the progress callback (the iterator may be a database cursor
/// that cannot tell its length). Memory stays bounded by one chunk: the iterator is pulled
/// one sheet at a time and each file is saved and dropped before the next one starts.
pub fn write_voucher_batches<I>(
    font: &JapaneseFont,
    sheets: I,
    total: usize,
    opts: &BatchOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BatchReport, PrintError>
where
    I: IntoIterator<Item = VoucherSheet>,
{
    crate::write_paged(font, "接種券", sheets, total, opts, draw, progress)
}

/// The top third of a mailed sheet (the part in the window of a 長形3号 envelope, the A4
/// sheet folded in three): the address block at the top left, the sender at the top right,
/// and the fold marks. Shared by the voucher sheets and the booking letters.
pub(crate) fn draw_envelope_header(c: &mut Canvas<'_>, sheet: &VoucherSheet, opts: &BatchOptions) {
    // Address block: 90 × 45 mm, where the window of a 長3 envelope falls.
    let (ax, aw) = (ADDRESS_X, ADDRESS_WIDTH);
    c.text(
        ax,
        22.0,
        11.0,
        Align::Left,
        &format!("〒{}", postal(&sheet.postal_code)),
    );
    let lines = c.wrap(&sheet.address, 11.0, aw);
    let (size, lh) = if lines.len() > 2 {
        (9.0, 4.0)
    } else {
        (11.0, 5.0)
    };
    let lines = if lines.len() > 2 {
        c.wrap(&sheet.address, 9.0, aw)
    } else {
        lines
    };
    for (k, l) in lines.iter().take(3).enumerate() {
        c.text(ax + 2.0, 29.0 + k as f32 * lh, size, Align::Left, l);
    }
    c.text(
        ax + 6.0,
        47.0,
        16.0,
        Align::Left,
        &format!("{}　様", sheet.name),
    );
    c.text(
        ax + 6.0,
        54.0,
        8.0,
        Align::Left,
        &format!("（券番号 {}）", sheet.voucher.number),
    );

    // Sender, top right.
    let r = SENDER_RIGHT;
    c.text(r, 22.0, 8.5, Align::Right, &format_wareki(opts.print_date));
    c.text(r, 28.0, SENDER_PT, Align::Right, &opts.issuer);
    c.text(
        r,
        33.5,
        8.0,
        Align::Right,
        &format!("市町村コード {}", sheet.voucher.municipality),
    );

    // Fold marks in the left margin (folded in three for the envelope).
    c.line_width(0.4);
    for y in [99.0, 198.0] {
        c.line(3.0, y, 7.0, y);
    }
}

/// The お問い合わせ先 box at the bottom of a mailed sheet; nothing when `contact` is empty.
pub(crate) fn draw_contact_box(c: &mut Canvas<'_>, contact: &[String]) {
    if contact.is_empty() {
        return;
    }
    let h = 10.0 + 5.0 * contact.len() as f32;
    let top = 262.0 - h;
    c.line_width(0.5);
    c.rect(CONTACT_BOX_X, top, CONTACT_BOX_WIDTH, h);
    c.text(34.0, top + 6.0, CONTACT_PT, Align::Left, "お問い合わせ先");
    for (k, l) in contact.iter().enumerate() {
        c.text(
            CONTACT_X,
            top + 12.0 + k as f32 * 5.0,
            CONTACT_PT,
            Align::Left,
            l,
        );
    }
}
