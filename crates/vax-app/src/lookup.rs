//! Finding residents and building the resident card that reception, the call centre and
//! HQ look at.

use chrono::NaiveDate;
use serde::Serialize;
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;
use vax_domain::eligibility::{due_status, DueStatus, EligibilityError, GivenDose};
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::kana;
use vax_domain::product::Catalogue;
use vax_domain::resident::{age_on, phone_digits};
use vax_domain::voucher::{VoucherError, VoucherPayload};
use vax_ledger::{
    BookingView, DoseView, InquiryView, Ledger, LedgerError, Reader, ResidentRow, RowId,
};

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

impl UserFacing for LookupError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Voucher(_) => ErrorCode::BadVoucher,
            Self::NotKana | Self::PhoneTooShort => ErrorCode::InvalidInput,
            Self::Eligibility(_) => ErrorCode::Eligibility,
            Self::Ledger(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Voucher(e) => e.message_ja(),
            Self::Ledger(e) => e.message_ja(),
            other => other.to_string(),
        }
    }
}

/// Why the text typed or scanned at the desk is not something to search by.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum QueryError {
    /// Nothing but blanks.
    #[error("type or scan something to search for")]
    Empty,
    /// A name in kanji: the register is searched by its reading.
    #[error("names are searched in kana, not kanji")]
    Kanji,
    /// Neither a voucher, a birth date, a phone number nor a reading.
    #[error("cannot tell what this is: scan the voucher, or type a voucher number, a reading in kana, a birth date or a phone number")]
    Unrecognised,
}

impl UserFacing for QueryError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty => ErrorCode::InvalidInput,
            Self::Kanji => ErrorCode::KanjiQuery,
            Self::Unrecognised => ErrorCode::QueryUnrecognised,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Empty => "検索する内容を入力するか、接種券を読み取ってください",
            Self::Kanji => "漢字では検索できません。カナで入力してください",
            Self::Unrecognised => "読み取れません。接種券を読み取るか、券番号・カナ・生年月日・電話番号を入力してください",
        }
        .to_owned()
    }
}

impl Query {
    /// Decides what the desk's one search field holds: a USB scanner types 18 or 10 digits;
    /// a person types a voucher number, a reading in any kana, a birth date (`1941-04-01`,
    /// `1941/4/1`, `19410401`) or a phone number (or its last four digits or more). Full-width
    /// digits and half-width kana are folded first (NFKC), as the ledger folds readings.
    pub fn parse(input: &str) -> Result<Self, QueryError> {
        let text: String = input.nfkc().collect();
        let text = text.trim();
        if text.is_empty() {
            return Err(QueryError::Empty);
        }
        if let Some(date) = Self::typed_date(text) {
            return date.map(Self::BirthDate).ok_or(QueryError::Unrecognised);
        }
        if text
            .chars()
            .all(|c| c.is_ascii_digit() || c == '-' || c.is_whitespace())
        {
            return Self::digits(text);
        }
        // Era dates as registers and people write them (昭和16年4月1日, S16.4.1): the domain's
        // one date rule, the one the imports use.
        if let Ok(date) = vax_domain::wareki::parse_date(text) {
            return Ok(Self::BirthDate(date));
        }
        if kana::is_reading(text) {
            return Ok(Self::Kana(text.to_owned()));
        }
        if text.chars().any(is_han) {
            return Err(QueryError::Kanji);
        }
        Err(QueryError::Unrecognised)
    }

    /// `YYYY-M-D` or `YYYY/M/D`: `Some(None)` when it has that shape but is no calendar day.
    fn typed_date(text: &str) -> Option<Option<NaiveDate>> {
        let parts: Vec<&str> = text.split(['-', '/']).collect();
        let shaped = parts.len() == 3
            && parts[0].len() == 4
            && (1..=2).contains(&parts[1].len())
            && (1..=2).contains(&parts[2].len())
            && parts.iter().all(|p| p.bytes().all(|b| b.is_ascii_digit()))
            && !(text.contains('-') && text.contains('/'));
        if !shaped {
            return None;
        }
        let number = |p: &str| p.parse::<u32>().ok();
        let (y, m, d) = (number(parts[0])?, number(parts[1])?, number(parts[2])?);
        Some(calendar_day(y, m, d))
    }

    fn digits(text: &str) -> Result<Self, QueryError> {
        let digits: String = text.chars().filter(char::is_ascii_digit).collect();
        let hyphenated = text.contains('-');
        match digits.len() {
            // A scanner types bare digits: 18 is the QR/OCR line, 10 the voucher number.
            18 => return Ok(Self::Voucher(digits)),
            10 if !hyphenated => return Ok(Self::Voucher(digits)),
            8 if !hyphenated && (digits.starts_with("19") || digits.starts_with("20")) => {
                let part = |r: std::ops::Range<usize>| digits[r].parse::<u32>().ok();
                if let (Some(y), Some(m), Some(d)) = (part(0..4), part(4..6), part(6..8)) {
                    if let Some(date) = calendar_day(y, m, d) {
                        return Ok(Self::BirthDate(date));
                    }
                }
            }
            _ => {}
        }
        if (4..=11).contains(&digits.len()) {
            Ok(Self::Phone(digits))
        } else {
            Err(QueryError::Unrecognised)
        }
    }
}

/// A calendar day from 1900 on (no birth date of a living resident is earlier).
fn calendar_day(y: u32, m: u32, d: u32) -> Option<NaiveDate> {
    let y = i32::try_from(y).ok().filter(|y| *y >= 1900)?;
    NaiveDate::from_ymd_opt(y, m, d)
}

/// Whether a character is a CJK ideograph (kanji), including 々 and 〆.
fn is_han(c: char) -> bool {
    matches!(c as u32,
        0x3005 | 0x3006 | 0x3007 | 0x3400..=0x4DBF | 0x4E00..=0x9FFF | 0xF900..=0xFAFF | 0x20000..=0x3134F)
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
    card_from(&ledger.reader(), id, today)
}

/// [`card`] from a reader: inside a write transaction, it sees what the transaction wrote.
pub fn card_from(
    reader: &Reader<'_>,
    id: RowId,
    today: NaiveDate,
) -> Result<ResidentCard, LookupError> {
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

#[cfg(test)]
mod query_tests {
    //! The desk's one search field, as the reception screen classified it before the rule
    //! moved here (the same cases and expectations as the UI's former query tests).
    use super::{Query, QueryError};
    use chrono::NaiveDate;

    fn birth(y: i32, m: u32, d: u32) -> Query {
        Query::BirthDate(NaiveDate::from_ymd_opt(y, m, d).expect("valid"))
    }

    #[test]
    fn reads_a_scanner_line_of_18_digits_and_a_10_digit_number_as_vouchers() {
        let line = "112620210000100001";
        assert_eq!(Query::parse(line), Ok(Query::Voucher(line.into())));
        assert_eq!(
            Query::parse("0000100001"),
            Ok(Query::Voucher("0000100001".into()))
        );
        assert_eq!(
            Query::parse("１１２６２０２１００００１００００１"),
            Ok(Query::Voucher(line.into()))
        );
        assert_eq!(
            Query::parse(" 112620210000100001\r\n"),
            Ok(Query::Voucher(line.into())),
            "a scanner in keyboard mode ends its line with CR LF"
        );
    }

    #[test]
    fn reads_birth_dates_in_the_forms_people_type() {
        for typed in [
            "1941-04-01",
            "1941/4/1",
            "19410401",
            "１９４１/４/１",
            "昭和16年4月1日",
            "S16.4.1",
            "1941.4.1",
        ] {
            assert_eq!(Query::parse(typed), Ok(birth(1941, 4, 1)), "{typed}");
        }
        assert_eq!(Query::parse("1941-02-30"), Err(QueryError::Unrecognised));
    }

    #[test]
    fn reads_phone_numbers_and_their_last_digits() {
        assert_eq!(
            Query::parse("0773-62-1234"),
            Ok(Query::Phone("0773621234".into()))
        );
        assert_eq!(
            Query::parse("090-1234-5678"),
            Ok(Query::Phone("09012345678".into()))
        );
        assert_eq!(Query::parse("1234"), Ok(Query::Phone("1234".into())));
    }

    #[test]
    fn sends_kana_as_typed_and_refuses_kanji_with_a_reason() {
        assert_eq!(Query::parse("やまだ"), Ok(Query::Kana("やまだ".into())));
        assert_eq!(
            Query::parse("ﾔﾏﾀﾞ ﾊﾅｺ"),
            Ok(Query::Kana("ヤマダ ハナコ".into())),
            "half-width kana are folded (NFKC) as the ledger folds readings"
        );
        assert_eq!(Query::parse("山田"), Err(QueryError::Kanji));
        assert_eq!(Query::parse("   "), Err(QueryError::Empty));
        assert_eq!(Query::parse("12"), Err(QueryError::Unrecognised));
        assert_eq!(Query::parse("abc"), Err(QueryError::Unrecognised));
    }
}
