//! A resident as the register and the intention survey describe them, and the parsing
//! rules for each field as municipal CSV files write them.

use chrono::{Datelike, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

use crate::kana;
use crate::venue::Coordinates;
use crate::voucher::{MunicipalityCode, VoucherNumber};
use crate::wareki::{self, DateError};

/// Why a field value was refused. Messages are for the person who fixes the file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum FieldError {
    /// A required value is empty.
    #[error("is empty")]
    Empty,
    /// The reading (フリガナ) has characters that are not kana.
    #[error("{0:?} is not written in kana")]
    NotKana(String),
    /// A date that cannot be read, or an era date outside its era (see [`crate::wareki`]).
    #[error("{0}")]
    BadDate(DateError),
    /// A date in the future or before 1900.
    #[error("{0} is not a plausible birth date")]
    ImplausibleBirthDate(NaiveDate),
    /// Sex written some other way.
    #[error("{0:?} is not a sex (男/女, 1/2 or M/F)")]
    BadSex(String),
    /// Intention written some other way.
    #[error("{0:?} is not an intention (希望する/希望しない/未定)")]
    BadIntention(String),
    /// Yes/no written some other way.
    #[error("{0:?} is not yes or no (あり/なし, 要/不要, はい/いいえ, 1/0)")]
    BadYesNo(String),
    /// A phone number of the wrong shape.
    #[error("{0:?} is not a Japanese phone number (10 or 11 digits starting with 0)")]
    BadPhone(String),
    /// A coordinate outside Japan or not a number.
    #[error("{0:?} is not a latitude/longitude in Japan")]
    BadCoordinate(String),
    /// A postal code that is not 7 digits.
    #[error("{0:?} is not a postal code (7 digits, e.g. 624-0853)")]
    BadPostalCode(String),
    /// A 宛名番号 of the wrong shape.
    #[error("{0:?} is not an addressee number (宛名番号: up to 20 letters, digits or hyphens)")]
    BadAtenaNumber(String),
    /// A value longer than the ledger keeps.
    #[error("is longer than {max} characters")]
    TooLong {
        /// The limit.
        max: usize,
    },
}

impl FieldError {
    /// The same message in Japanese, for staff screens and import reports.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "空欄です".into(),
            Self::NotKana(v) => format!("「{v}」はカナではありません"),
            Self::BadDate(e) => e.message_ja(),
            Self::ImplausibleBirthDate(d) => format!("{d} は生年月日としてありえません"),
            Self::BadSex(v) => format!("「{v}」は性別として読めません（男/女、1/2、M/F）"),
            Self::BadIntention(v) => {
                format!("「{v}」は接種意向として読めません（希望する/希望しない/未定）")
            }
            Self::BadYesNo(v) => format!("「{v}」は あり/なし として読めません"),
            Self::BadPhone(v) => {
                format!("「{v}」は電話番号として読めません（0から始まる10桁または11桁）")
            }
            Self::BadCoordinate(v) => format!("「{v}」は日本国内の緯度・経度ではありません"),
            Self::BadPostalCode(v) => {
                format!("「{v}」は郵便番号として読めません（7桁、例 624-0853）")
            }
            Self::BadAtenaNumber(v) => {
                format!("「{v}」は宛名番号として読めません（英数字とハイフン、20文字まで）")
            }
            Self::TooLong { max } => format!("{max}文字を超えています"),
        }
    }
}

/// Sex as recorded in the 住民基本台帳.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Sex {
    /// 男
    Male,
    /// 女
    Female,
}

impl Sex {
    /// Reads 男/女, the register's 1/2 codes, or M/F; full-width digits and letters too.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match fold(value).as_str() {
            "男" | "男性" | "1" | "M" | "m" => Ok(Self::Male),
            "女" | "女性" | "2" | "F" | "f" => Ok(Self::Female),
            "" => Err(FieldError::Empty),
            other => Err(FieldError::BadSex(other.to_owned())),
        }
    }

    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Male => "male",
            Self::Female => "female",
        }
    }

    /// Reads the ledger code back.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "male" => Some(Self::Male),
            "female" => Some(Self::Female),
            _ => None,
        }
    }

    /// 男 / 女.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Male => "男",
            Self::Female => "女",
        }
    }
}

/// What the intention survey (意向調査) answered.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Intention {
    /// 希望する
    Wants,
    /// 希望しない
    Declines,
    /// 未定
    Undecided,
}

impl Intention {
    /// Reads the survey's wording or its 1/2/3 codes (full-width digits too).
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        match fold(value).as_str() {
            "希望する" | "希望" | "1" => Ok(Self::Wants),
            "希望しない" | "不要" | "2" => Ok(Self::Declines),
            "未定" | "わからない" | "3" => Ok(Self::Undecided),
            "" => Err(FieldError::Empty),
            other => Err(FieldError::BadIntention(other.to_owned())),
        }
    }

    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Wants => "wants",
            Self::Declines => "declines",
            Self::Undecided => "undecided",
        }
    }

    /// Reads the ledger code back.
    pub fn from_code(code: &str) -> Option<Self> {
        match code {
            "wants" => Some(Self::Wants),
            "declines" => Some(Self::Declines),
            "undecided" => Some(Self::Undecided),
            _ => None,
        }
    }

    /// The survey's wording.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Wants => "希望する",
            Self::Declines => "希望しない",
            Self::Undecided => "未定",
        }
    }
}

/// Reads a yes/no column as the survey and the register write it (full-width too).
pub fn parse_yes_no(value: &str) -> Result<bool, FieldError> {
    match fold(value).as_str() {
        "あり" | "有" | "要" | "必要" | "はい" | "1" | "○" | "Y" | "y" | "yes" => {
            Ok(true)
        }
        "なし" | "無" | "不要" | "いいえ" | "0" | "×" | "N" | "n" | "no" => Ok(false),
        "" => Err(FieldError::Empty),
        other => Err(FieldError::BadYesNo(other.to_owned())),
    }
}

/// Folds what an IME or a municipal system may write in a coded column to its plain form:
/// NFKC (full-width digits, letters and signs become ASCII), then trimmed.
fn fold(value: &str) -> String {
    let value = value.trim();
    if is_nfkc_quick(value.chars()) == IsNormalized::Yes {
        return value.to_owned();
    }
    let folded: String = value.nfkc().collect();
    folded.trim().to_owned()
}

/// Reads a date as Excel and municipal systems write it: Gregorian (`1941-04-01`, `1941/4/1`,
/// `19410401`) or Japanese era (`昭和16年4月1日`, `S16.04.01`, `H3/4/1`), full-width digits
/// included. The forms and the era rules are those of [`crate::wareki`].
pub fn parse_date(value: &str) -> Result<NaiveDate, FieldError> {
    if value.trim().is_empty() {
        return Err(FieldError::Empty);
    }
    wareki::parse_date(value).map_err(FieldError::BadDate)
}

/// A birth date that is plausible for a living resident on `today`.
pub fn parse_birth_date(value: &str, today: NaiveDate) -> Result<NaiveDate, FieldError> {
    let date = parse_date(value)?;
    if date > today || date.year() < 1900 {
        return Err(FieldError::ImplausibleBirthDate(date));
    }
    Ok(date)
}

/// A phone number kept as typed (half-width, hyphens allowed) and searchable by digits.
#[derive(Debug, Clone, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Phone {
    /// As it is printed: digits and hyphens.
    pub display: String,
    /// Digits only, the search key.
    pub digits: String,
}

/// Folds what an IME types into a number field: full-width digits become ASCII digits and
/// the dashes people use (長音符, full-width hyphen, minus) become '-'.
fn fold_digits_and_dashes(value: &str) -> String {
    value
        .chars()
        .map(|c| match c {
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32).unwrap_or(c),
            'ー' | '－' | '‐' | '−' => '-',
            other => other,
        })
        .collect()
}

/// Writes the parentheses of `0773(62)1234` or `(0773)62-1234` as hyphens.
fn parentheses_as_hyphens(value: &str) -> String {
    let mut out = String::with_capacity(value.len());
    for c in value.chars() {
        match c {
            '(' | '（' | ')' | '）' => {
                if !out.is_empty() && !out.ends_with('-') {
                    out.push('-');
                }
            }
            '-' if out.ends_with('-') => {}
            other => out.push(other),
        }
    }
    out
}

impl Phone {
    /// Reads a phone number: full-width digits and hyphens are folded, and the parentheses
    /// of `0773(62)1234` become hyphens; 10 or 11 digits starting with 0 are required.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let display = parentheses_as_hyphens(&fold_digits_and_dashes(value.trim()));
        if display.is_empty() {
            return Err(FieldError::Empty);
        }
        let digits = phone_digits(&display);
        let shape_ok = display.chars().all(|c| c.is_ascii_digit() || c == '-')
            && (digits.len() == 10 || digits.len() == 11)
            && digits.starts_with('0');
        if !shape_ok {
            return Err(FieldError::BadPhone(value.trim().to_owned()));
        }
        Ok(Self { display, digits })
    }
}

/// The digits of a phone number or of a partial one typed into a search box.
pub fn phone_digits(value: &str) -> String {
    value
        .chars()
        .filter_map(|c| match c {
            '0'..='9' => Some(c),
            '０'..='９' => char::from_u32(c as u32 - '０' as u32 + '0' as u32),
            _ => None,
        })
        .collect()
}

/// Reads a postal code as NNN-NNNN (full-width digits, a missing hyphen and a leading 〒 are
/// fine); empty stays empty.
pub fn parse_postal_code(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Ok(String::new());
    }
    let folded = fold_digits_and_dashes(v.trim_start_matches('〒').trim_start());
    let digits: String = folded.chars().filter(char::is_ascii_digit).collect();
    let shape_ok = folded.chars().all(|c| c.is_ascii_digit() || c == '-') && digits.len() == 7;
    if !shape_ok {
        return Err(FieldError::BadPostalCode(v.to_owned()));
    }
    Ok(format!("{}-{}", &digits[..3], &digits[3..]))
}

/// Reads one coordinate (full-width digits too) and checks it lies within Japan's extent.
pub fn parse_coordinate(value: &str, is_latitude: bool) -> Result<f64, FieldError> {
    let v = value.trim();
    let n: f64 = fold(v)
        .parse()
        .map_err(|_| FieldError::BadCoordinate(v.to_owned()))?;
    let (lo, hi) = if is_latitude {
        (20.0, 46.0)
    } else {
        (122.0, 154.0)
    };
    if !(lo..=hi).contains(&n) {
        return Err(FieldError::BadCoordinate(v.to_owned()));
    }
    Ok(n)
}

/// Checks a required text field: trimmed, not empty, at most `max` characters.
pub fn required_text(value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::Empty);
    }
    optional_text(v, max)
}

/// Checks an optional text field: trimmed, at most `max` characters.
pub fn optional_text(value: &str, max: usize) -> Result<String, FieldError> {
    let v = value.trim();
    if v.chars().count() > max {
        return Err(FieldError::TooLong { max });
    }
    Ok(v.to_owned())
}

/// A reading (フリガナ) checked to be kana, stored as full-width katakana.
pub fn parse_reading(value: &str) -> Result<String, FieldError> {
    let v = value.trim();
    if v.is_empty() {
        return Err(FieldError::Empty);
    }
    if !kana::is_reading(v) {
        return Err(FieldError::NotKana(v.to_owned()));
    }
    Ok(kana::display_reading(v))
}

/// The municipality's own number for a resident (宛名番号, 個別宛名番号): what its
/// 住民記録 and 予防接種台帳 systems file the resident under, and the first column of VRS's
/// 予防接種台帳向け file. Kept as written (leading zeros are significant), after folding
/// full-width characters: 1 to 20 ASCII letters, digits or hyphens.
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(try_from = "String", into = "String")]
pub struct AtenaNumber(String);

impl AtenaNumber {
    /// The longest number kept.
    pub const MAX_LEN: usize = 20;

    /// Reads a 宛名番号; full-width digits and letters are folded, blanks around it trimmed.
    pub fn parse(value: &str) -> Result<Self, FieldError> {
        let v = fold_digits_and_dashes(&fold(value));
        if v.is_empty() {
            return Err(FieldError::Empty);
        }
        let shape_ok =
            v.len() <= Self::MAX_LEN && v.bytes().all(|b| b.is_ascii_alphanumeric() || b == b'-');
        if !shape_ok {
            return Err(FieldError::BadAtenaNumber(value.trim().to_owned()));
        }
        Ok(Self(v))
    }

    /// The number as kept.
    pub fn as_str(&self) -> &str {
        &self.0
    }
}

impl TryFrom<String> for AtenaNumber {
    type Error = FieldError;
    fn try_from(s: String) -> Result<Self, Self::Error> {
        Self::parse(&s)
    }
}

impl From<AtenaNumber> for String {
    fn from(n: AtenaNumber) -> Self {
        n.0
    }
}

impl std::fmt::Display for AtenaNumber {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

/// Full years of age on `on` (満年齢).
pub fn age_on(birth: NaiveDate, on: NaiveDate) -> u32 {
    on.years_since(birth).unwrap_or(0)
}

/// One resident of the register, with every field validated.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Resident {
    /// 市町村コード of the municipality that issued the voucher.
    pub municipality: MunicipalityCode,
    /// 券番号.
    pub voucher: VoucherNumber,
    /// 氏名 in kanji.
    pub name: String,
    /// 氏名 in katakana.
    pub name_kana: String,
    /// 生年月日.
    pub birth_date: NaiveDate,
    /// 性別.
    pub sex: Sex,
    /// 郵便番号, 7 digits, or empty.
    pub postal_code: String,
    /// 住所.
    pub address: String,
    /// 地区: the planning district (for venue assignment and bus routes).
    pub district: String,
    /// Home coordinates, when geocoded.
    pub home: Option<Coordinates>,
    /// 電話番号, when known.
    pub phone: Option<Phone>,
    /// 宛名番号 (個別宛名番号), when the register carries it. Not on the desks' screens, so
    /// not in the TypeScript type of the desktop app (it still travels in the JSON).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    #[cfg_attr(feature = "ts", ts(skip))]
    pub atena_number: Option<AtenaNumber>,
}

/// What the intention survey says about one resident.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct SurveyAnswer {
    /// 市町村コード.
    pub municipality: MunicipalityCode,
    /// 券番号.
    pub voucher: VoucherNumber,
    /// 接種意向.
    pub intention: Intention,
    /// 送迎 needed.
    pub needs_transport: bool,
    /// History of anaphylaxis or severe allergy (30-minute observation).
    pub anaphylaxis_history: bool,
}

#[cfg(test)]
mod tests {
    use super::*;
    use rstest::rstest;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[rstest]
    #[case("1941-04-01")]
    #[case("1941/4/1")]
    #[case("1941/04/01")]
    #[case("19410401")]
    #[case(" 1941-04-01 ")]
    #[case("昭和16年4月1日")]
    #[case("S16.04.01")]
    #[case("１９４１／４／１")]
    fn dates_are_read_in_the_forms_excel_writes(#[case] written: &str) {
        assert_eq!(parse_date(written), Ok(day("1941-04-01")), "{written:?}");
    }

    #[rstest]
    #[case("1941-02-30")]
    #[case("41/4/1")]
    #[case("昭和65年4月1日")]
    #[case("1941-04")]
    fn impossible_dates_are_refused(#[case] written: &str) {
        assert!(
            matches!(parse_date(written), Err(FieldError::BadDate(_))),
            "{written:?}"
        );
    }

    #[test]
    fn a_birth_date_in_the_future_is_refused() {
        assert_eq!(
            parse_birth_date("2030-01-01", day("2021-05-01")),
            Err(FieldError::ImplausibleBirthDate(day("2030-01-01")))
        );
    }

    #[test]
    fn age_counts_full_years() {
        assert_eq!(age_on(day("1941-04-01"), day("2021-03-31")), 79);
        assert_eq!(age_on(day("1941-04-01"), day("2021-04-01")), 80);
    }

    #[rstest]
    #[case("0773-62-1234", "0773621234")]
    #[case("０９０－１２３４－５６７８", "09012345678")]
    #[case("09012345678", "09012345678")]
    fn phones_keep_their_display_and_search_by_digits(#[case] typed: &str, #[case] digits: &str) {
        assert_eq!(Phone::parse(typed).unwrap().digits, digits);
    }

    #[rstest]
    #[case("773-62-1234")]
    #[case("0773-62-12345678")]
    #[case("tel 0773621234")]
    fn malformed_phones_are_refused(#[case] typed: &str) {
        assert!(
            matches!(Phone::parse(typed), Err(FieldError::BadPhone(_))),
            "{typed:?}"
        );
    }

    #[test]
    fn register_codes_and_words_both_read() {
        assert_eq!(Sex::parse("1"), Ok(Sex::Male));
        assert_eq!(Sex::parse("女"), Ok(Sex::Female));
        assert!(matches!(Sex::parse("X"), Err(FieldError::BadSex(_))));
        assert_eq!(Intention::parse("希望しない"), Ok(Intention::Declines));
        assert_eq!(parse_yes_no("要"), Ok(true));
        assert_eq!(parse_yes_no("なし"), Ok(false));
        assert!(matches!(
            parse_yes_no("たぶん"),
            Err(FieldError::BadYesNo(_))
        ));
    }

    #[test]
    fn coded_columns_read_full_width_digits_and_letters() {
        assert_eq!(Sex::parse("１"), Ok(Sex::Male));
        assert_eq!(Sex::parse("２"), Ok(Sex::Female));
        assert_eq!(Sex::parse("Ｆ"), Ok(Sex::Female));
        assert_eq!(Sex::parse("\u{3000}１\u{3000}"), Ok(Sex::Male));
        assert_eq!(Intention::parse("１"), Ok(Intention::Wants));
        assert_eq!(Intention::parse("２"), Ok(Intention::Declines));
        assert_eq!(Intention::parse("３"), Ok(Intention::Undecided));
        assert_eq!(parse_yes_no("１"), Ok(true));
        assert_eq!(parse_yes_no("０"), Ok(false));
        assert_eq!(parse_coordinate("３５．４７４５", true), Ok(35.4745));
        assert!(matches!(Sex::parse("３"), Err(FieldError::BadSex(_))));
        assert!(matches!(
            Intention::parse("４"),
            Err(FieldError::BadIntention(_))
        ));
    }

    #[rstest]
    #[case("0773(62)1234", "0773-62-1234")]
    #[case("(0773)62-1234", "0773-62-1234")]
    #[case("０７７３（６２）１２３４", "0773-62-1234")]
    fn phones_with_parentheses_are_written_with_hyphens(#[case] typed: &str, #[case] shown: &str) {
        let phone = Phone::parse(typed).unwrap();
        assert_eq!(phone.display, shown);
        assert_eq!(phone.digits, "0773621234");
    }

    #[rstest]
    #[case("000123456789012", "000123456789012")]
    #[case("０００１２３４５", "00012345")]
    #[case(" A-0012 ", "A-0012")]
    #[case("ａ００１", "a001")]
    fn atena_numbers_are_kept_as_written_after_folding(#[case] typed: &str, #[case] kept: &str) {
        assert_eq!(AtenaNumber::parse(typed).unwrap().as_str(), kept);
    }

    #[rstest]
    #[case("123 456")]
    #[case("宛名1")]
    #[case("123456789012345678901")]
    fn malformed_atena_numbers_are_refused(#[case] typed: &str) {
        assert!(
            matches!(
                AtenaNumber::parse(typed),
                Err(FieldError::BadAtenaNumber(_))
            ),
            "{typed:?}"
        );
    }

    #[test]
    fn postal_codes_are_kept_with_a_hyphen() {
        assert_eq!(parse_postal_code("6240853"), Ok("624-0853".into()));
        assert_eq!(parse_postal_code("６２４－０８５３"), Ok("624-0853".into()));
        assert_eq!(parse_postal_code(""), Ok(String::new()));
        assert_eq!(parse_postal_code("〒624-0853"), Ok("624-0853".into()));
        assert!(matches!(
            parse_postal_code("624-08"),
            Err(FieldError::BadPostalCode(_))
        ));
    }

    #[test]
    fn coordinates_outside_japan_are_refused() {
        assert_eq!(parse_coordinate("35.4745", true), Ok(35.4745));
        assert!(
            parse_coordinate("135.38", true).is_err(),
            "longitude given as latitude"
        );
        assert!(parse_coordinate("north", false).is_err());
    }
}
