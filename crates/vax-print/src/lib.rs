//! Japanese PDFs for the vaccination campaign, with an embedded, subset Japanese font.
//!
//! - [`yoshinhyo_pdf`] / [`write_yoshinhyo`]: the 予診票 (pre-screening questionnaire)
//!   reissued at the desk, A4, with the resident's data, the voucher QR code and the
//!   questions of the national form. The layout revision is printed in a corner
//!   ([`YOSHINHYO_TEMPLATE`]) because the national form was revised several times.
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

mod draw;
mod font;
mod voucher;
mod yoshinhyo;

use std::io::Write;
use std::path::{Path, PathBuf};

use printpdf::{FontId, Mm, PdfDocument, PdfPage, PdfSaveOptions};
use thiserror::Error;

pub use font::{FontConfig, FontError, JapaneseFont, IPAEX_GOTHIC_PATH, NOTO_SANS_CJK_PATH};
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
