//! Printing from the ledger: a resident's 予診票 reissue at the desk, and the voucher sheets
//! of the whole city for mailing.

use std::path::Path;

use chrono::NaiveDate;
use thiserror::Error;
use vax_domain::voucher::OcrLine;
use vax_ledger::{Ledger, LedgerError, ResidentRow, RowId};
use vax_print::{write_voucher_batches, write_yoshinhyo, VoucherSheet, YoshinhyoInput};
pub use vax_print::{BatchOptions, BatchReport, FontError, JapaneseFont, PrintError};

use crate::lookup::{card, LookupError};

/// 券種 printed on our vouchers: the code values are not published (DOMAIN.md §2.1), so the
/// one value the campaign uses is kept in one place.
const VOUCHER_KIND: u8 = 1;

/// Why a document was not printed.
#[derive(Debug, Error)]
pub enum PrintJobError {
    /// The PDF could not be written (font, disk).
    #[error(transparent)]
    Print(#[from] PrintError),
    /// The resident's history could not be read.
    #[error(transparent)]
    Lookup(#[from] LookupError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

fn line_for(r: &ResidentRow, dose: u8) -> OcrLine {
    OcrLine {
        kind: VOUCHER_KIND,
        dose,
        municipality: r.resident.municipality.clone(),
        number: r.resident.voucher.clone(),
    }
}

/// Writes the 予診票 of resident `id` for the dose due on `today` to `path`.
pub fn reissue_yoshinhyo(
    ledger: &Ledger,
    font: &JapaneseFont,
    id: RowId,
    today: NaiveDate,
    path: &Path,
) -> Result<(), PrintJobError> {
    let c = card(ledger, id, today)?;
    let dose = match c.due {
        vax_domain::eligibility::DueStatus::FirstDoseDue => 1,
        vax_domain::eligibility::DueStatus::NextDoseDue { dose_number, .. }
        | vax_domain::eligibility::DueStatus::IntervalNotReached { dose_number, .. } => dose_number,
        vax_domain::eligibility::DueStatus::SeriesComplete { doses } => doses,
    };
    let r = &c.resident.resident;
    let input = YoshinhyoInput {
        postal_code: r.postal_code.clone(),
        address: r.address.clone(),
        name: r.name.clone(),
        name_kana: r.name_kana.clone(),
        birth_date: r.birth_date,
        sex: r.sex,
        phone: r
            .phone
            .as_ref()
            .map(|p| p.display.clone())
            .unwrap_or_default(),
        voucher: line_for(&c.resident, dose),
        print_date: today,
    };
    Ok(write_yoshinhyo(font, &input, path)?)
}

/// Writes the dose-1 voucher sheets of every resident, in voucher order, in chunks of
/// `opts.chunk_size` pages. Residents are streamed from the ledger, so memory does not grow
/// with the city.
pub fn print_vouchers(
    ledger: &Ledger,
    font: &JapaneseFont,
    opts: &BatchOptions,
    progress: &mut dyn FnMut(usize, usize),
) -> Result<BatchReport, PrintJobError> {
    let total = usize::try_from(ledger.reader().resident_count()?).unwrap_or(usize::MAX);
    let mut pages = ResidentPages {
        ledger,
        buffer: Vec::new().into_iter(),
        last: None,
        error: None,
    };
    let report = write_voucher_batches(font, pages.by_ref(), total, opts, progress)?;
    match pages.error {
        Some(e) => Err(e.into()),
        None => Ok(report),
    }
}

/// The register as an iterator of voucher sheets, read a page at a time.
struct ResidentPages<'l> {
    ledger: &'l Ledger,
    buffer: std::vec::IntoIter<ResidentRow>,
    last: Option<ResidentRow>,
    /// A read error ends the iteration and is reported after the writer returns.
    error: Option<LedgerError>,
}

const PAGE: u32 = 1_000;

impl Iterator for ResidentPages<'_> {
    type Item = VoucherSheet;

    fn next(&mut self) -> Option<VoucherSheet> {
        let r = match self.buffer.next() {
            Some(r) => r,
            None => {
                let after = self
                    .last
                    .as_ref()
                    .map(|l| (&l.resident.municipality, &l.resident.voucher));
                match self.ledger.reader().residents_after(after, PAGE) {
                    Ok(page) => self.buffer = page.into_iter(),
                    Err(e) => {
                        self.error = Some(e);
                        return None;
                    }
                }
                self.buffer.next()?
            }
        };
        let sheet = VoucherSheet {
            postal_code: r.resident.postal_code.clone(),
            address: r.resident.address.clone(),
            name: r.resident.name.clone(),
            voucher: line_for(&r, 1),
        };
        self.last = Some(r);
        Some(sheet)
    }
}
