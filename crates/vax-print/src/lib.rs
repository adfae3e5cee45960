//! Japanese PDFs for the vaccination campaign, with an embedded, subset Japanese font.
//!
//! - [`yoshinhyo_pdf`] / [`write_yoshinhyo`]: the 予診票 (pre-screening questionnaire)
//!   reissued at the desk, A4, with the resident's data, the voucher QR code and the
//!   questions of the national form. The layout revision is printed in a corner
//!   ([`YOSHINHYO_TEMPLATE`]) because the national form was revised several times.
//! - [`write_letter_batches`]: the letters that tell residents their booking (接種日時のお知らせ
//!   / 接種日時変更のお知らせ), one A4 page per resident for a window envelope, cut into
//!   files like the voucher sheets.
//! - [`write_manifests`] / [`write_reception_list`]: bus transport sheets, the driver's
//!   manifest of each bus run and the venue reception's list of who rides which bus.
//! - [`daily_report_pdf`] / [`write_daily_report`]: the daily report (日報) for the mayor's
//!   office, one A4 page: venues' figures of the day, coverage by age band, the call centre.
//! - [`write_day_sheets`]: the venue's paper fallback (接種当日記録票), one table per time
//!   band with a row QR per booked resident, boxes to fill in by hand and blank rows for
//!   walk-ins; scanned back in afterwards (back-entry).
//! - [`write_voucher_batches`]: voucher sheets (接種券) for mailing, one A4 per resident,
//!   for the whole city. printpdf builds a document in memory until it is saved, so the batch
//!   is written as several files of [`BatchOptions::chunk_size`] pages
//!   (`vouchers-0001.pdf`, ...): memory depends on the chunk size, not on the city's size.
//!
//! The font is Noto Sans CJK JP (Debian `fonts-noto-cjk`, SIL OFL 1.1), falling back to
//! IPAex Gothic (`fonts-ipaexfont-gothic`, IPA Font License); a missing font is a
//! [`FontError`] naming the package to install. Only the glyphs used are embedded (printpdf's
//! `text_layout` feature does the subsetting), so a page weighs a few tens of kB, not 19 MB.
//!
//! QR codes are Model 2, error correction M, drawn as vector rectangles and holding exactly
//! the 18 digits of the OCR line (DOMAIN.md §2), so the desk's scanner reads them like the
//! national vouchers.
//!
//! # Example
//!
//! ```no_run
//! use chrono::NaiveDate;
//! use vax_domain::resident::Sex;
//! use vax_domain::voucher::{OcrLine, VoucherPayload};
//! use vax_print::{write_yoshinhyo, JapaneseFont, YoshinhyoInput};
//!
//! let font = JapaneseFont::system_default()?; // Noto Sans CJK JP, else IPAex Gothic
//! let VoucherPayload::Line(voucher) = VoucherPayload::parse("112620210000123456")? else {
//!     unreachable!("18 digits parse as a line")
//! };
//! let input = YoshinhyoInput {
//!     postal_code: "6240853".into(),
//!     address: "京都府舞鶴市字南田辺1番地".into(),
//!     name: "舞鶴 花子".into(),
//!     name_kana: "マイヅル ハナコ".into(),
//!     birth_date: NaiveDate::from_ymd_opt(1950, 4, 1).unwrap(),
//!     sex: Sex::Female,
//!     phone: "0773-62-2300".into(),
//!     voucher,
//!     print_date: NaiveDate::from_ymd_opt(2026, 11, 22).unwrap(),
//! };
//! write_yoshinhyo(&font, &input, "yoshinhyo.pdf".as_ref())?;
//! # Ok::<(), Box<dyn std::error::Error>>(())
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

mod daily_report;
mod daysheet;
mod draw;
mod font;
mod letter;
mod linebreak;
mod manifest;
mod voucher;
mod yoshinhyo;

use std::io::Write;
use std::path::{Path, PathBuf};

use printpdf::{FontId, Mm, PdfDocument, PdfPage, PdfSaveOptions};
use thiserror::Error;

pub use daily_report::{
    daily_report_pdf, write_daily_report, DailyCoverageLine, DailyReport, DailyVenueLine,
    DAILY_REPORT_TEMPLATE,
};
pub use daysheet::{
    write_day_sheets, DaySheet, DaySheetRow, DAY_SHEET_ROWS_PER_PAGE, DAY_SHEET_TEMPLATE,
};
pub use font::{FontConfig, FontError, JapaneseFont, IPAEX_GOTHIC_PATH, NOTO_SANS_CJK_PATH};
pub use letter::{
    write_letter_batches, Letter, LetterAppointment, LETTER_APPOINTMENTS, LETTER_TEMPLATE,
};
pub use manifest::{
    write_manifests, write_reception_list, Manifest, ManifestStop, ReceptionList, ReceptionRow,
    RunDirection, MANIFEST_TEMPLATE,
};
pub use voucher::{
    check_mailing_fits, write_voucher_batches, BatchOptions, BatchReport, MailingOverflow,
    VoucherSheet, CONTACT_MAX_LINES,
};
pub use yoshinhyo::{
    needs_guardian, write_yoshinhyo, yoshinhyo_pdf, YoshinhyoInput, GUARDIAN_BELOW_AGE, QUESTIONS,
    YOSHINHYO_TEMPLATE,
};

/// Why a document could not be written.
#[derive(Debug, Error)]
pub enum PrintError {
    /// The font could not be loaded.
    #[error(transparent)]
    Font(#[from] FontError),
    /// Writing the file failed.
    #[error("cannot write {path}: {source}")]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The I/O error.
        source: std::io::Error,
    },
}

/// A new document with the font registered (each file embeds its own subset).
pub(crate) fn new_document(font: &JapaneseFont, title: &str) -> (PdfDocument, FontId) {
    let mut doc = PdfDocument::new(title);
    let id = doc.add_font(&font.parsed);
    (doc, id)
}

/// A one-page A4 document drawn by `f`.
pub(crate) fn single_page_pdf(
    font: &JapaneseFont,
    title: &str,
    f: impl FnOnce(&mut draw::Canvas<'_>),
) -> Vec<u8> {
    let (mut doc, id) = new_document(font, title);
    let mut canvas = draw::Canvas::new(font, id);
    f(&mut canvas);
    doc.with_pages(vec![PdfPage::new(
        Mm(draw::PAGE_W),
        Mm(draw::PAGE_H),
        canvas.ops,
    )]);
    let mut warnings = Vec::new();
    doc.save(&PdfSaveOptions::default(), &mut warnings)
}

/// Writes one A4 page per item, drawn by `draw`, cut into files of
/// [`BatchOptions::chunk_size`] pages named `{prefix}-0001.pdf`, ..., calling
/// `progress(done, total)` after each page. Memory stays bounded by one chunk: the items are
/// pulled one at a time and each file is saved and dropped before the next one starts.
pub(crate) fn write_paged<T>(
    font: &JapaneseFont,
    title: &str,
    items: impl IntoIterator<Item = T>,
    total: usize,
    opts: &BatchOptions,
    draw: impl Fn(&mut draw::Canvas<'_>, &T, &BatchOptions),
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BatchReport, PrintError> {
    std::fs::create_dir_all(&opts.out_dir).map_err(|source| PrintError::Io {
        path: opts.out_dir.clone(),
        source,
    })?;
    let chunk_path = |index: usize| {
        opts.out_dir
            .join(format!("{}-{:04}.pdf", opts.file_prefix, index))
    };
    let chunk_size = opts.chunk_size.max(1);
    let mut report = BatchReport::default();
    let (mut doc, mut font_id) = new_document(font, title);
    let mut pages = Vec::with_capacity(chunk_size.min(1024));
    for item in items {
        let mut c = draw::Canvas::new(font, font_id.clone());
        draw(&mut c, &item, opts);
        pages.push(PdfPage::new(Mm(draw::PAGE_W), Mm(draw::PAGE_H), c.ops));
        report.pages += 1;
        if pages.len() == chunk_size {
            let path = chunk_path(report.files.len() + 1);
            save_pages(doc, std::mem::take(&mut pages), &path)?;
            report.files.push(path);
            (doc, font_id) = new_document(font, title);
        }
        progress(report.pages, total.max(report.pages));
    }
    if !pages.is_empty() {
        let path = chunk_path(report.files.len() + 1);
        save_pages(doc, pages, &path)?;
        report.files.push(path);
    }
    Ok(report)
}

fn save_pages(mut doc: PdfDocument, pages: Vec<PdfPage>, path: &Path) -> Result<(), PrintError> {
    doc.with_pages(pages);
    let mut warnings = Vec::new();
    write_file(path, &doc.save(&PdfSaveOptions::default(), &mut warnings))
}

/// Writes through a `.part` file renamed at the end, so that a print job never picks up a
/// half-written PDF after a crash or a full disk.
pub(crate) fn write_file(path: &Path, bytes: &[u8]) -> Result<(), PrintError> {
    let io = |source| PrintError::Io {
        path: path.to_owned(),
        source,
    };
    let mut part = path.as_os_str().to_owned();
    part.push(".part");
    let part = PathBuf::from(part);
    let mut file = std::fs::File::create(&part).map_err(io)?;
    file.write_all(bytes).map_err(io)?;
    file.sync_all().map_err(io)?;
    drop(file);
    std::fs::rename(&part, path).map_err(io)
}
