//! Finding residents and building the resident card that reception, the call centre and
//! HQ look at.

use chrono::NaiveDate;
use serde::Serialize;
use thiserror::Error;
use vax_domain::eligibility::{due_status, DueStatus, EligibilityError, GivenDose};
use vax_domain::kana;
use vax_domain::product::Catalogue;
use vax_domain::resident::{age_on, phone_digits};
use vax_domain::voucher::{VoucherError, VoucherPayload};
use vax_ledger::{BookingView, DoseView, InquiryView, Ledger, LedgerError, ResidentRow, RowId};

/// How many matches a search returns at most.
pub const SEARCH_LIMIT: u32 = 50;

/// What a person typed or scanned to find a resident.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum Query {
    /// The 18-digit OCR/QR line or the 10-digit voucher number.
    Voucher(String),
    /// The reading, or its beginning, in any kana.
    Kana(String),
    /// Birth date.
    BirthDate(NaiveDate),
    /// Phone number, or its last four or more digits.
    Phone(String),
}

/// Why a search could not run.
#[derive(Debug, Error)]
pub enum LookupError {
    /// The voucher input is malformed.
    #[error("voucher: {0}")]
    Voucher(#[from] VoucherError),
    /// The kana query has no kana in it.
    #[error("kana search needs a reading in kana / カナで入力してください")]
    NotKana,
    /// The phone query has too few digits.
    #[error("phone search needs at least 4 digits / 電話番号は4桁以上入力してください")]
    PhoneTooShort,
    /// The dose history cannot be evaluated.
    #[error(transparent)]
    Eligibility(#[from] EligibilityError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl LookupError {
    /// The message in Japanese, for screens.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Voucher(e) => e.message_ja(),
            other => other.to_string(),
        }
    }
}

/// Residents matching a query, at most [`SEARCH_LIMIT`].
pub fn find(ledger: &Ledger, query: &Query) -> Result<Vec<ResidentRow>, LookupError> {
    let reader = ledger.reader();
    Ok(match query {
        Query::Voucher(text) => {
            let payload = VoucherPayload::parse(text)?;
            reader.residents_by_voucher(payload.municipality(), payload.number())?
        }
        Query::Kana(text) => {
            if !kana::is_reading(text) {
                return Err(LookupError::NotKana);
            }
            reader.residents_by_kana_prefix(&kana::search_key(text), SEARCH_LIMIT)?
        }
        Query::BirthDate(date) => reader.residents_by_birth_date(*date, SEARCH_LIMIT)?,
        Query::Phone(text) => {
            let digits = phone_digits(text);
            if digits.len() < 4 {
                return Err(LookupError::PhoneTooShort);
            }
            reader.residents_by_phone(&digits, SEARCH_LIMIT)?
        }
    })
}

/// Everything a desk needs to see about one resident.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ResidentCard {
    /// The resident.
    pub resident: ResidentRow,
    /// Age on the day asked about.
    pub age: u32,
    /// Bookings, dose 1 first.
    pub bookings: Vec<BookingView>,
    /// Dose records, voided ones included.
    pub doses: Vec<DoseView>,
    /// Inquiries, newest first.
    pub inquiries: Vec<InquiryView>,
    /// Which dose is due on the day asked about.
    pub due: DueStatus,
}

/// The card of the resident with row id `id`, as of `today`.
pub fn card(ledger: &Ledger, id: RowId, today: NaiveDate) -> Result<ResidentCard, LookupError> {
    let reader = ledger.reader();
    let resident = reader.resident(id)?;
    let doses = reader.doses_of(id)?;
    let given: Vec<GivenDose> = doses
        .iter()
        .filter(|d| d.voided.is_none())
        .map(|d| GivenDose {
            dose_number: d.dose_number,
            date: d.administered_at.date_naive(),
            product: d.product_code.clone(),
        })
        .collect();
    Ok(ResidentCard {
        age: age_on(resident.resident.birth_date, today),
        bookings: reader.bookings_of(id)?,
        inquiries: reader.inquiries_of(id)?,
        due: due_status(&given, today, Catalogue::builtin())?,
        doses,
        resident,
    })
}

/// A scan at the desk: the cards of the residents a voucher payload names (normally one).
pub fn scan(
    ledger: &Ledger,
    payload: &str,
    today: NaiveDate,
) -> Result<Vec<ResidentCard>, LookupError> {
    find(ledger, &Query::Voucher(payload.to_owned()))?
        .into_iter()
        .map(|r| card(ledger, r.id, today))
        .collect()
}
