//! The voucher (接種券) as a scanner or a keyboard delivers it.
//!
//! The OCR line and the QR code carry the same 18 digits: 券種 (1) + 回数 (1) +
//! 市町村コード (6, with check digit) + 券番号 (10). The optional NW-7 barcode carries only the
//! 10-digit 券番号, so the municipality then comes from the venue's configuration.
//! Leading zeros are significant everywhere: these are digit strings, never integers.

use std::fmt;

use serde::{Deserialize, Serialize};
use thiserror::Error;

/// Why a typed or scanned voucher payload was rejected. Positions are 1-based, as a person
/// counts digits on the printed voucher.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum VoucherError {
    /// Nothing but blanks was entered.
    #[error("the voucher field is empty")]
    Empty,
    /// A character that is not a digit.
    #[error("character {position} is {found:?}, not a digit")]
    NotADigit {
        /// 1-based position in the cleaned input.
        position: usize,
        /// The offending character.
        found: char,
    },
    /// Neither 18 (OCR/QR line) nor 10 (券番号) digits.
    #[error("{found} digits: a voucher has 18 (OCR/QR line) or 10 (voucher number)")]
    WrongLength {
        /// How many digits there were.
        found: usize,
    },
    /// A municipality code that is not 6 digits.
    #[error("municipality code must be 6 digits, got {found:?}")]
    MunicipalityLength {
        /// The rejected text.
        found: String,
    },
    /// The 6th digit of the municipality code does not match digits 1–5.
    #[error("municipality code {code}: check digit is {found}, expected {expected}")]
    MunicipalityCheckDigit {
        /// The code as given.
        code: String,
        /// The digit computed from the first five.
        expected: u8,
        /// The digit found in position 6.
        found: u8,
    },
    /// A voucher number that is not 10 digits.
    #[error("voucher number must be 10 digits (leading zeros included), got {found:?}")]
    NumberLength {
        /// The rejected text.
        found: String,
    },
    /// 回数 (digit 2 of the line) is 0.
    #[error("digit 2 (回数, dose) is 0; a voucher is issued for dose 1 to 9")]
    DoseZero,
}

impl VoucherError {
    /// The same message in Japanese, for the reception screen and import reports.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "接種券番号が入力されていません".into(),
            Self::NotADigit { position, found } => {
                format!("{position}文字目の「{found}」は数字ではありません")
            }
            Self::WrongLength { found } => {
                format!("{found}桁です。接種券は18桁（OCR・QR）または10桁（券番号）です")
            }
            Self::MunicipalityLength { found } => {
                format!("市町村コード「{found}」は6桁ではありません")
            }
            Self::MunicipalityCheckDigit {
                code,
                expected,
                found,
            } => {
                format!("市町村コード{code}の検査数字が{found}です（正しくは{expected}）")
            }
            Self::NumberLength { found } => {
                format!("券番号「{found}」は10桁ではありません（先頭の0も含めて10桁）")
            }
            Self::DoseZero => "2桁目（回数）が0です".into(),
        }
    }
}

/// Folds what a person or a scanner may type into plain ASCII digits: every leading and
/// trailing whitespace is dropped alike (blanks, tabs, and the CR/LF a scanner in keyboard
/// mode sends after the payload), full-width digits (IME input) become ASCII, and blanks and
/// hyphens used to group digits are dropped.
fn clean(input: &str) -> String {
    input
        .trim()
        .chars()
        .filter_map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            ' ' | '\t' | '\u{3000}' | '-' | 'ー' | '－' => None,
            _ => Some(c),
        })
        .collect()
}

fn digits_only(s: &str) -> Result<(), VoucherError> {
    match s.chars().enumerate().find(|(_, c)| !c.is_ascii_digit()) {
        Some((i, found)) => Err(VoucherError::NotADigit {
            position: i + 1,
            found,
        }),
        None => Ok(()),
    }
}

/// The check digit of a 全国地方公共団体コード from its first five digits
/// (weights 6,5,4,3,2; sum mod 11; last digit of 11 − r).
pub fn municipality_check_digit(first_five: [u8; 5]) -> u8 {
    let sum: u32 = first_five
        .iter()
        .zip([6u32, 5, 4, 3, 2])
        .map(|(d, w)| u32::from(*d) * w)
        .sum();
    ((11 - sum % 11) % 10) as u8
}

/// A 6-digit 全国地方公共団体コード whose check digit has been verified.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct MunicipalityCode(String);

impl MunicipalityCode {
    /// Parses and verifies a 6-digit code.
    pub fn parse(input: &str) -> Result<Self, VoucherError> {
        let s = clean(input);
        digits_only(&s)?;
        if s.len() != 6 {
            return Err(VoucherError::MunicipalityLength { found: s });
        }
        let d: Vec<u8> = s.bytes().map(|b| b - b'0').collect();
        let expected = municipality_check_digit([d[0], d[1], d[2], d[3], d[4]]);
        if d[5] != expected {
            return Err(VoucherError::MunicipalityCheckDigit {
                code: s,
                expected,
                found: d[5],
            });
        }
        Ok(Self(s))
    }

    /// The six digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

/// Both codes travel as plain digit strings; a derive would trip over their serde
/// `try_from`/`into` attributes, so the TypeScript type is given by hand.
#[cfg(feature = "ts")]
macro_rules! ts_as_string {
    ($($t:ty),*) => {$(
        impl ts_rs::TS for $t {
            type WithoutGenerics = Self;
            type OptionInnerType = Self;
            fn name(_: &ts_rs::Config) -> String {
                "string".to_owned()
            }
            fn inline(cfg: &ts_rs::Config) -> String {
                Self::name(cfg)
            }
        }
    )*};
}

#[cfg(feature = "ts")]
ts_as_string!(MunicipalityCode, VoucherNumber);

impl TryFrom<String> for MunicipalityCode {
    type Error = VoucherError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<MunicipalityCode> for String {
    fn from(c: MunicipalityCode) -> Self {
        c.0
    }
}

impl fmt::Display for MunicipalityCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// A 10-digit 接種券番号. Opaque (no check digit); unique within its municipality.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct VoucherNumber(String);

impl VoucherNumber {
    /// Parses exactly 10 digits; leading zeros are kept.
    pub fn parse(input: &str) -> Result<Self, VoucherError> {
        let s = clean(input);
        digits_only(&s)?;
        if s.len() != 10 {
            return Err(VoucherError::NumberLength { found: s });
        }
        Ok(Self(s))
    }

    /// The ten digits.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for VoucherNumber {
    type Error = VoucherError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<VoucherNumber> for String {
    fn from(n: VoucherNumber) -> Self {
        n.0
    }
}

impl fmt::Display for VoucherNumber {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}

/// The full 18-digit OCR/QR line.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
pub struct OcrLine {
    /// 券種: kept raw, its code values are not published.
    pub kind: u8,
    /// 回数: the dose this voucher was issued for (1–9).
    pub dose: u8,
    /// 市町村コード of the issuing municipality.
    pub municipality: MunicipalityCode,
    /// 券番号.
    pub number: VoucherNumber,
}

impl OcrLine {
    /// The 18 digits as printed.
    pub fn to_digits(&self) -> String {
        format!(
            "{}{}{}{}",
            self.kind, self.dose, self.municipality, self.number
        )
    }
}

/// What a reception desk can scan or type: the whole line, or the bare voucher number.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(tag = "form", rename_all = "snake_case")]
pub enum VoucherPayload {
    /// 18 digits from the QR code or the OCR line.
    Line(OcrLine),
    /// 10 digits from the NW-7 barcode or typed by hand.
    NumberOnly(VoucherNumber),
}

impl VoucherPayload {
    /// Parses a scanner's or a person's input. Full-width digits, blanks and hyphens are
    /// tolerated, and any whitespace around the payload (a scanner's trailing CR/LF too);
    /// anything else is a [`VoucherError`] naming the digit or field at fault.
    pub fn parse(input: &str) -> Result<Self, VoucherError> {
        let s = clean(input);
        if s.is_empty() {
            return Err(VoucherError::Empty);
        }
        digits_only(&s)?;
        match s.len() {
            18 => {
                let kind = s.as_bytes()[0] - b'0';
                let dose = s.as_bytes()[1] - b'0';
                if dose == 0 {
                    return Err(VoucherError::DoseZero);
                }
                Ok(Self::Line(OcrLine {
                    kind,
                    dose,
                    municipality: MunicipalityCode::parse(&s[2..8])?,
                    number: VoucherNumber::parse(&s[8..18])?,
                }))
            }
            10 => Ok(Self::NumberOnly(VoucherNumber::parse(&s)?)),
            found => Err(VoucherError::WrongLength { found }),
        }
    }

    /// The 券番号, present in both forms.
    pub fn number(&self) -> &VoucherNumber {
        match self {
            Self::Line(line) => &line.number,
            Self::NumberOnly(n) => n,
        }
    }

    /// The issuing municipality, known only from the full line.
    pub fn municipality(&self) -> Option<&MunicipalityCode> {
        match self {
            Self::Line(line) => Some(&line.municipality),
            Self::NumberOnly(_) => None,
        }
    }

    /// The dose the voucher was printed for, known only from the full line.
    pub fn printed_dose(&self) -> Option<u8> {
        match self {
            Self::Line(line) => Some(line.dose),
            Self::NumberOnly(_) => None,
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    #[test]
    fn check_digit_matches_the_published_examples() {
        // 札幌市 011002, 千代田区 131016, 京都市 261009, 舞鶴市 262021 (DOMAIN.md §3.1)
        assert_eq!(municipality_check_digit([0, 1, 1, 0, 0]), 2, "Sapporo");
        assert_eq!(municipality_check_digit([1, 3, 1, 0, 1]), 6, "Chiyoda");
        assert_eq!(municipality_check_digit([2, 6, 1, 0, 0]), 9, "Kyoto");
        assert_eq!(municipality_check_digit([2, 6, 2, 0, 2]), 1, "Maizuru");
    }

    proptest! {
        #[test]
        fn every_computed_code_verifies_and_every_other_last_digit_fails(first in proptest::array::uniform5(0u8..10), wrong in 0u8..10) {
            let good = municipality_check_digit(first);
            let code: String = first.iter().chain(std::iter::once(&good)).map(|d| char::from(b'0' + d)).collect();
            prop_assert!(MunicipalityCode::parse(&code).is_ok(), "computed check digit must verify");
            if wrong != good {
                let bad: String = first.iter().chain(std::iter::once(&wrong)).map(|d| char::from(b'0' + d)).collect();
                let is_check_digit_error = matches!(MunicipalityCode::parse(&bad), Err(VoucherError::MunicipalityCheckDigit { .. }));
                prop_assert!(is_check_digit_error, "any other last digit must be refused");
            }
        }

        #[test]
        fn an_ocr_line_round_trips_through_its_digits(kind in 0u8..10, dose in 1u8..10, first in proptest::array::uniform5(0u8..10), number in "[0-9]{10}") {
            let cd = municipality_check_digit(first);
            let muni: String = first.iter().chain(std::iter::once(&cd)).map(|d| char::from(b'0' + d)).collect();
            let line = format!("{kind}{dose}{muni}{number}");
            let parsed = VoucherPayload::parse(&line).unwrap();
            match &parsed { VoucherPayload::Line(l) => prop_assert_eq!(l.to_digits(), line), other => prop_assert!(false, "expected a line, got {other:?}") }
        }
    }
}
