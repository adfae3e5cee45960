//! Notices that tell residents their booking: which phone can take an SMS, the SMS text made
//! from a template, and its length as the bulk-SMS services count it.
//!
//! - [`classify_phone`]: a number as people write it (full-width digits, hyphens, blanks,
//!   parentheses, `+81`) is a [`PhoneClass::Mobile`] when it is 11 digits starting with
//!   070, 080 or 090 (the mobile prefixes; only these receive an SMS from the bulk services
//!   the city uses; with another length they lost or gained a digit and are refused), any
//!   other 10 or 11 digits starting with 0 are a
//!   [`PhoneClass::Landline`] (fixed lines, 050 IP phones, 0120 numbers: a person calls
//!   them), and anything else is refused ([`PhoneError`]).
//! - [`SmsTemplate`]: the message text with the fields `{dose}`, `{date}`, `{time}` and
//!   `{venue}`; an unknown field, an unclosed brace, a line break or a template without the
//!   date, time or venue is refused.
//! - [`sms_length`]: Japanese SMS are sent in UCS-2, 70 units per message. Each character of
//!   the Basic Multilingual Plane (kana, kanji, ASCII, full-width forms) counts as one,
//!   whatever its UTF-8 byte length; a character outside it (an emoji, 𠮷) takes a
//!   surrogate pair and counts as two. That is the UTF-16 length of the text, which is
//!   what the services' character counters show. [`SmsLimit`] defaults to 70.

use std::fmt;

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// What kind of number a resident gave.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(tag = "class", content = "digits", rename_all = "snake_case")]
pub enum PhoneClass {
    /// 070/080/090 and 8 more digits: can receive an SMS. Holds the 11 digits.
    Mobile(String),
    /// Any other 10 or 11 digits starting with 0: can only be called. Holds the digits.
    Landline(String),
}

impl PhoneClass {
    /// The digits, without separators.
    pub fn digits(&self) -> &str {
        match self {
            Self::Mobile(d) | Self::Landline(d) => d,
        }
    }
}

/// Why a phone number cannot be classified.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PhoneError {
    /// Nothing was given.
    #[error("no phone number")]
    Empty,
    /// A character that is neither a digit nor a separator.
    #[error(
        "phone number {0:?} holds a character that is not a digit, hyphen, blank or parenthesis"
    )]
    BadCharacter(String),
    /// Not 10 or 11 digits starting with 0.
    #[error("phone number {0:?} is not 10 or 11 digits starting with 0")]
    BadLength(String),
}

impl PhoneError {
    /// The message in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "電話番号がありません".to_owned(),
            Self::BadCharacter(v) => {
                format!("電話番号「{v}」に数字・ハイフン・空白・括弧以外の文字があります")
            }
            Self::BadLength(v) => format!("電話番号「{v}」は0で始まる10桁または11桁ではありません"),
        }
    }
}

/// Reads a phone number as people write it and tells whether it can take an SMS.
///
/// Full-width digits, the dashes an IME types (ー, －, ‐, −, –), blanks, dots and
/// parentheses are folded away; a leading `+81` (or `81` after `+`) is read as the
/// domestic `0`.
///
/// ```
/// use vax_domain::notice::{classify_phone, PhoneClass};
/// assert_eq!(classify_phone("０９０－１２３４－５６７８").unwrap(), PhoneClass::Mobile("09012345678".into()));
/// assert_eq!(classify_phone("0773(62)2300").unwrap(), PhoneClass::Landline("0773622300".into()));
/// assert!(classify_phone("090-1234-567").is_err());
/// ```
pub fn classify_phone(raw: &str) -> Result<PhoneClass, PhoneError> {
    let trimmed = raw.trim();
    if trimmed.is_empty() {
        return Err(PhoneError::Empty);
    }
    let mut digits = String::with_capacity(trimmed.len());
    let mut international = false;
    for (i, c) in trimmed.chars().enumerate() {
        match c {
            '0'..='9' => digits.push(c),
            '０'..='９' => digits.push(char::from(b'0' + (c as u32 - '０' as u32) as u8)),
            '+' | '＋' if i == 0 => international = true,
            '-' | 'ー' | '－' | '‐' | '−' | '–' | '―' | ' ' | '　' | '.' | '(' | ')' | '（'
            | '）' => {}
            _ => return Err(PhoneError::BadCharacter(trimmed.to_owned())),
        }
    }
    if international {
        match digits.strip_prefix("81") {
            Some(rest) => digits = format!("0{rest}"),
            None => return Err(PhoneError::BadLength(trimmed.to_owned())),
        }
    }
    if !(digits.len() == 10 || digits.len() == 11) || !digits.starts_with('0') {
        return Err(PhoneError::BadLength(trimmed.to_owned()));
    }
    // A mobile number always has 11 digits: 090-123-4567 lost a digit, it is no landline.
    if ["070", "080", "090"].iter().any(|p| digits.starts_with(p)) {
        return if digits.len() == 11 {
            Ok(PhoneClass::Mobile(digits))
        } else {
            Err(PhoneError::BadLength(trimmed.to_owned()))
        };
    }
    Ok(PhoneClass::Landline(digits))
}

/// Whether a notice is the first about a booking or tells a change.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum NoticeKind {
    /// 接種日時のお知らせ: no notice was sent for this booking yet.
    First,
    /// 接種日時変更のお知らせ: the venue, day or band changed since the last notice.
    Change,
    /// 接種予約取消のお知らせ: a booking the resident was told about is cancelled.
    Cancel,
}

impl NoticeKind {
    /// The code stored in the ledger and written in the call list.
    pub fn code(self) -> &'static str {
        match self {
            Self::First => "first",
            Self::Change => "change",
            Self::Cancel => "cancel",
        }
    }

    /// Reads the code back.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::First, Self::Change, Self::Cancel]
            .into_iter()
            .find(|k| k.code() == code)
    }

    /// The letter's title.
    pub fn title_ja(self) -> &'static str {
        match self {
            Self::First => "接種日時のお知らせ",
            Self::Change => "接種日時変更のお知らせ",
            Self::Cancel => "接種予約取消のお知らせ",
        }
    }

    /// A short label for lists.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::First => "新規",
            Self::Change => "変更",
            Self::Cancel => "取消",
        }
    }
}

/// How a notice goes out.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Channel {
    /// A printed letter, mailed.
    Letter,
    /// A line of the bulk-SMS list.
    Sms,
    /// A line of the call list: the call centre phones the resident.
    Call,
}

impl Channel {
    /// Every channel.
    pub const ALL: [Channel; 3] = [Channel::Letter, Channel::Sms, Channel::Call];

    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Letter => "letter",
            Self::Sms => "sms",
            Self::Call => "call",
        }
    }

    /// Reads the code back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|c| c.code() == code)
    }

    /// The label on screens and in the call list.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Letter => "郵送",
            Self::Sms => "SMS",
            Self::Call => "電話",
        }
    }
}

/// One booked dose as a notice tells it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Appointment {
    /// Which dose.
    pub dose_number: u8,
    /// The venue's code.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// The venue's address.
    pub venue_address: String,
    /// The day.
    pub date: NaiveDate,
    /// Start of the band.
    pub start: NaiveTime,
    /// End of the band.
    pub end: NaiveTime,
}

impl Appointment {
    /// Whether `other` is the same place and time (what a change notice is about; the
    /// venue's name or address being re-spelt is not a change).
    pub fn same_slot(&self, other: &Appointment) -> bool {
        self.venue_code == other.venue_code
            && self.date == other.date
            && self.start == other.start
            && self.end == other.end
    }
}

/// Why a booking the resident was told about was cancelled, as the cancellation notice tells
/// it. Read from the ledger when the notice is made (docs/notices.md), first match wins:
/// the resident no longer wishes to be vaccinated, the band told is closed or gone (its
/// venue day was cut), else nobody could re-seat them (a capacity or supply cut).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CancelReason {
    /// The resident withdrew (the survey's intention is no longer 希望する).
    Withdrawn,
    /// The venue day (or the band) was cut and no other place was found.
    DayCut,
    /// A reshuffle (lowered capacity, fewer doses delivered) left no place.
    NoPlace,
}

impl CancelReason {
    /// Every reason.
    pub const ALL: [CancelReason; 3] = [Self::Withdrawn, Self::DayCut, Self::NoPlace];

    /// The code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::Withdrawn => "withdrawn",
            Self::DayCut => "day_cut",
            Self::NoPlace => "no_place",
        }
    }

    /// Reads the code back.
    pub fn from_code(code: &str) -> Option<Self> {
        Self::ALL.into_iter().find(|r| r.code() == code)
    }

    /// The short reason an SMS and the call list give (`{reason}`).
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Withdrawn => "接種希望の取下げ",
            Self::DayCut => "会場日程の中止",
            Self::NoPlace => "定員の変更",
        }
    }

    /// The sentence a letter gives.
    pub fn explanation_ja(self) -> &'static str {
        match self {
            Self::Withdrawn => "接種を希望しないとのお申し出により、予約を取り消しました。",
            Self::DayCut => "会場の都合によりこの日の接種を中止しました。他の日時に空きがなかったため、予約を取り消しました。",
            Self::NoPlace => "会場の定員またはワクチンの配送量が変わり、他の日時に空きがなかったため、予約を取り消しました。",
        }
    }

    /// In English, for logs and the command line.
    pub fn label_en(self) -> &'static str {
        match self {
            Self::Withdrawn => "the resident withdrew",
            Self::DayCut => "the venue day was cut",
            Self::NoPlace => "no place was left after a reshuffle",
        }
    }
}

/// `土` for a Saturday.
pub fn weekday_ja(day: Weekday) -> &'static str {
    match day {
        Weekday::Mon => "月",
        Weekday::Tue => "火",
        Weekday::Wed => "水",
        Weekday::Thu => "木",
        Weekday::Fri => "金",
        Weekday::Sat => "土",
        Weekday::Sun => "日",
    }
}

/// `12月5日(土)`: the day as an SMS writes it.
pub fn format_month_day(date: NaiveDate) -> String {
    format!(
        "{}月{}日({})",
        date.month(),
        date.day(),
        weekday_ja(date.weekday())
    )
}

/// `10:00〜10:30`: a band as notices write it.
pub fn format_band(start: NaiveTime, end: NaiveTime) -> String {
    format!("{}〜{}", start.format("%H:%M"), end.format("%H:%M"))
}

/// A field an SMS template may name.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum TemplateField {
    /// `{dose}`: the dose number (`1`).
    Dose,
    /// `{date}`: `12月5日(土)`.
    Date,
    /// `{time}`: `10:00〜10:30`.
    Time,
    /// `{venue}`: the venue's name.
    Venue,
    /// `{reason}`: why a booking was cancelled ([`CancelReason::label_ja`]); cancellations only.
    Reason,
    /// `{contact}`: the call centre's number; cancellations only.
    Contact,
}

impl TemplateField {
    const ALL: [TemplateField; 4] = [Self::Dose, Self::Date, Self::Time, Self::Venue];
    const CANCEL: [TemplateField; 6] = [
        Self::Dose,
        Self::Date,
        Self::Time,
        Self::Venue,
        Self::Reason,
        Self::Contact,
    ];

    fn name(self) -> &'static str {
        match self {
            Self::Dose => "dose",
            Self::Date => "date",
            Self::Time => "time",
            Self::Venue => "venue",
            Self::Reason => "reason",
            Self::Contact => "contact",
        }
    }
}

#[derive(Debug, Clone, PartialEq, Eq)]
enum Part {
    Text(String),
    Field(TemplateField),
}

/// Why an SMS template was refused.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum TemplateError {
    /// The template is blank.
    #[error("the SMS template is empty")]
    Empty,
    /// `{name}` with a name that is not a field.
    #[error("unknown field {{{0}}} in the SMS template (fields: {{dose}}, {{date}}, {{time}}, {{venue}})")]
    UnknownField(String),
    /// A `{` without its `}`, or a `}` without its `{`, at this character (1-based).
    #[error("unbalanced brace at character {0} of the SMS template")]
    UnbalancedBrace(usize),
    /// A line break or another control character.
    #[error("the SMS template must be one line without control characters")]
    ControlCharacter,
    /// A field every notice must tell is missing.
    #[error("the SMS template must contain {{{0}}}")]
    MissingField(&'static str),
}

impl TemplateError {
    /// The message in Japanese.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Empty => "SMS文面が空です".to_owned(),
            Self::UnknownField(f) => format!(
                "SMS文面に不明な差し込み項目 {{{f}}} があります（使えるのは {{dose}} {{date}} {{time}} {{venue}}）"
            ),
            Self::UnbalancedBrace(at) => format!("SMS文面の{at}文字目の括弧 {{ }} が対になっていません"),
            Self::ControlCharacter => "SMS文面は改行や制御文字を含まない1行にしてください".to_owned(),
            Self::MissingField(f) => format!("SMS文面には {{{f}}} が必要です"),
        }
    }
}

/// An SMS text with fields, checked once and rendered per appointment.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct SmsTemplate {
    source: String,
    parts: Vec<Part>,
}

/// The default text of a first notice (65 characters with a 12-character venue name).
pub const DEFAULT_FIRST_TEMPLATE: &str =
    "【接種予約】{dose}回目 {date}{time} {venue}。接種券・予診票・本人確認書類をご持参ください";
/// The default text of a cancellation (66 characters with a 12-character venue name and a
/// 12-character number; `{reason}` is 5 to 8).
pub const DEFAULT_CANCEL_TEMPLATE: &str =
    "【予約取消】{dose}回目 {date}{venue}の予約は{reason}のため取り消しました。問合せ{contact}";
/// The default text of a change notice.
pub const DEFAULT_CHANGE_TEMPLATE: &str =
    "【接種日時変更】{dose}回目:{date}{time} {venue}。接種券と予診票をご持参ください";

impl SmsTemplate {
    /// Parses a template; see [`TemplateError`] for what is refused.
    pub fn parse(source: &str) -> Result<Self, TemplateError> {
        Self::parse_with(
            source,
            &TemplateField::ALL,
            &[
                TemplateField::Date,
                TemplateField::Time,
                TemplateField::Venue,
            ],
        )
    }

    /// Parses a cancellation's template: `{reason}` and `{contact}` are fields too, and the
    /// band may be left out (the day and venue identify the booking).
    pub fn parse_cancel(source: &str) -> Result<Self, TemplateError> {
        Self::parse_with(
            source,
            &TemplateField::CANCEL,
            &[TemplateField::Date, TemplateField::Venue],
        )
    }

    fn parse_with(
        source: &str,
        fields: &[TemplateField],
        required: &[TemplateField],
    ) -> Result<Self, TemplateError> {
        let source = source.trim();
        if source.is_empty() {
            return Err(TemplateError::Empty);
        }
        if source.chars().any(char::is_control) {
            return Err(TemplateError::ControlCharacter);
        }
        let mut parts = Vec::new();
        let mut text = String::new();
        let mut chars = source.chars().enumerate();
        while let Some((at, c)) = chars.next() {
            match c {
                '{' => {
                    let mut name = String::new();
                    loop {
                        match chars.next() {
                            Some((_, '}')) => break,
                            Some((_, '{')) | None => {
                                return Err(TemplateError::UnbalancedBrace(at + 1))
                            }
                            Some((_, c)) => name.push(c),
                        }
                    }
                    let field = fields
                        .iter()
                        .copied()
                        .find(|f| f.name() == name)
                        .ok_or(TemplateError::UnknownField(name))?;
                    if !text.is_empty() {
                        parts.push(Part::Text(std::mem::take(&mut text)));
                    }
                    parts.push(Part::Field(field));
                }
                '}' => return Err(TemplateError::UnbalancedBrace(at + 1)),
                c => text.push(c),
            }
        }
        if !text.is_empty() {
            parts.push(Part::Text(text));
        }
        for &required in required {
            if !parts.contains(&Part::Field(required)) {
                return Err(TemplateError::MissingField(required.name()));
            }
        }
        Ok(Self {
            source: source.to_owned(),
            parts,
        })
    }

    /// The default template of a notice kind.
    pub fn default_for(kind: NoticeKind) -> Self {
        match kind {
            NoticeKind::First => Self::parse(DEFAULT_FIRST_TEMPLATE),
            NoticeKind::Change => Self::parse(DEFAULT_CHANGE_TEMPLATE),
            NoticeKind::Cancel => Self::parse_cancel(DEFAULT_CANCEL_TEMPLATE),
        }
        .expect("the default templates parse")
    }

    /// The template as written.
    pub fn source(&self) -> &str {
        &self.source
    }

    /// The message for `appointment`.
    pub fn render(&self, appointment: &Appointment) -> String {
        self.render_cancel(appointment, "", "")
    }

    /// The message cancelling `appointment`, with the reason ([`CancelReason::label_ja`])
    /// and the call centre's number (only a [`SmsTemplate::parse_cancel`] template names
    /// them).
    pub fn render_cancel(&self, appointment: &Appointment, reason: &str, contact: &str) -> String {
        let mut out = String::new();
        for part in &self.parts {
            match part {
                Part::Text(t) => out.push_str(t),
                Part::Field(TemplateField::Dose) => {
                    out.push_str(&appointment.dose_number.to_string())
                }
                Part::Field(TemplateField::Date) => {
                    out.push_str(&format_month_day(appointment.date))
                }
                Part::Field(TemplateField::Time) => {
                    out.push_str(&format_band(appointment.start, appointment.end));
                }
                Part::Field(TemplateField::Venue) => out.push_str(&appointment.venue_name),
                Part::Field(TemplateField::Reason) => out.push_str(reason),
                Part::Field(TemplateField::Contact) => out.push_str(contact),
            }
        }
        out
    }
}

impl fmt::Display for SmsTemplate {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.source)
    }
}

/// The length of an SMS as the bulk-SMS services count it: UCS-2 units, one per character
/// of the Basic Multilingual Plane and two for a character outside it (see the module).
pub fn sms_length(text: &str) -> usize {
    text.encode_utf16().count()
}

/// The most characters ([`sms_length`]) one SMS may have.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SmsLimit(pub u32);

impl Default for SmsLimit {
    /// 70: one UCS-2 message, the size every carrier delivers as one SMS.
    fn default() -> Self {
        Self(70)
    }
}

impl SmsLimit {
    /// Whether `text` fits.
    pub fn fits(self, text: &str) -> bool {
        sms_length(text) <= self.0 as usize
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn appointment() -> Appointment {
        Appointment {
            dose_number: 1,
            venue_code: "V01".into(),
            venue_name: "舞鶴市総合文化会館".into(),
            venue_address: "京都府舞鶴市字浜2021".into(),
            date: NaiveDate::from_ymd_opt(2026, 12, 5).unwrap(),
            start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
            end: NaiveTime::from_hms_opt(10, 30, 0).unwrap(),
        }
    }

    #[test]
    fn mobile_prefixes_with_eight_more_digits_are_mobiles() {
        for raw in [
            "090-1234-5678",
            "08012345678",
            "070 1234 5678",
            "０９０－１２３４－５６７８",
            "０８０ー１２３４ー５６７８",
            "+81 90-1234-5678",
            "(090)1234-5678",
        ] {
            let class = classify_phone(raw).unwrap_or_else(|e| panic!("{raw}: {e}"));
            assert!(matches!(class, PhoneClass::Mobile(_)), "{raw}: {class:?}");
            assert_eq!(class.digits().len(), 11, "{raw}");
        }
        assert_eq!(
            classify_phone("+81 90-1234-5678").unwrap().digits(),
            "09012345678"
        );
    }

    #[test]
    fn other_numbers_are_landlines() {
        for (raw, digits) in [
            ("0773-62-2300", "0773622300"),
            ("0773（62）2300", "0773622300"),
            ("050-1234-5678", "05012345678"),
            ("0120-123-456", "0120123456"),
            ("020-1234-5678", "02012345678"),
        ] {
            assert_eq!(
                classify_phone(raw).unwrap(),
                PhoneClass::Landline(digits.into()),
                "{raw}"
            );
        }
    }

    #[test]
    fn malformed_numbers_are_refused() {
        assert_eq!(classify_phone("  "), Err(PhoneError::Empty));
        assert!(matches!(
            classify_phone("090-1234-567"),
            Err(PhoneError::BadLength(_))
        ));
        assert!(matches!(
            classify_phone("090-1234-56789"),
            Err(PhoneError::BadLength(_))
        ));
        assert!(matches!(
            classify_phone("9012345678"),
            Err(PhoneError::BadLength(_))
        ));
        assert!(matches!(
            classify_phone("+1 555 123 4567"),
            Err(PhoneError::BadLength(_))
        ));
        assert!(matches!(
            classify_phone("090-1234-5678 内線2"),
            Err(PhoneError::BadCharacter(_))
        ));
        assert!(matches!(
            classify_phone("tel:09012345678"),
            Err(PhoneError::BadCharacter(_))
        ));
        assert!(classify_phone("abc")
            .unwrap_err()
            .message_ja()
            .contains("abc"));
    }

    #[test]
    fn the_template_renders_venue_date_with_weekday_and_band() {
        let t = SmsTemplate::parse("{dose}回目 {date} {time} {venue}").unwrap();
        assert_eq!(
            t.render(&appointment()),
            "1回目 12月5日(土) 10:00〜10:30 舞鶴市総合文化会館"
        );
    }

    #[test]
    fn the_default_templates_fit_with_a_typical_venue_name() {
        let a = appointment();
        for kind in [NoticeKind::First, NoticeKind::Change] {
            let text = SmsTemplate::default_for(kind).render(&a);
            assert!(
                SmsLimit::default().fits(&text),
                "{kind:?}: {} {text}",
                sms_length(&text)
            );
        }
        assert_eq!(
            SmsTemplate::default_for(NoticeKind::First).render(&a),
            "【接種予約】1回目 12月5日(土)10:00〜10:30 舞鶴市総合文化会館。接種券・予診票・本人確認書類をご持参ください"
        );
    }

    #[test]
    fn the_cancel_template_tells_reason_and_number_within_70() {
        let a = appointment();
        let t = SmsTemplate::default_for(NoticeKind::Cancel);
        assert_eq!(
            t.render_cancel(&a, CancelReason::DayCut.label_ja(), "0773-62-2300"),
            "【予約取消】1回目 12月5日(土)舞鶴市総合文化会館の予約は会場日程の中止のため取り消しました。問合せ0773-62-2300"
        );
        for r in CancelReason::ALL {
            let text = t.render_cancel(&a, r.label_ja(), "0773-62-2300");
            assert!(SmsLimit::default().fits(&text), "{r:?}: {text}");
        }
        // {reason} and {contact} belong to cancellations only; the band is optional there.
        assert_eq!(
            SmsTemplate::parse("{date}{time}{venue}{reason}"),
            Err(TemplateError::UnknownField("reason".into()))
        );
        assert!(SmsTemplate::parse_cancel("{date}{venue}を取消").is_ok());
        assert_eq!(
            SmsTemplate::parse_cancel("{date}を取消"),
            Err(TemplateError::MissingField("venue"))
        );
    }

    #[test]
    fn malformed_templates_are_refused() {
        assert_eq!(SmsTemplate::parse(" "), Err(TemplateError::Empty));
        assert_eq!(
            SmsTemplate::parse("{date}{time}{place}"),
            Err(TemplateError::UnknownField("place".into()))
        );
        assert_eq!(
            SmsTemplate::parse("{date}{time{venue}"),
            Err(TemplateError::UnbalancedBrace(7))
        );
        assert_eq!(
            SmsTemplate::parse("{date}{time}{venue"),
            Err(TemplateError::UnbalancedBrace(13))
        );
        assert_eq!(
            SmsTemplate::parse("{date}}{time}{venue}"),
            Err(TemplateError::UnbalancedBrace(7))
        );
        assert_eq!(
            SmsTemplate::parse("{date}\n{time}{venue}"),
            Err(TemplateError::ControlCharacter)
        );
        assert_eq!(
            SmsTemplate::parse("{date}{venue}"),
            Err(TemplateError::MissingField("time"))
        );
        assert!(TemplateError::MissingField("venue")
            .message_ja()
            .contains("{venue}"));
    }

    #[test]
    fn sms_length_counts_characters_not_bytes() {
        assert_eq!(sms_length("abc"), 3);
        assert_eq!(sms_length("接種券"), 3, "9 bytes in UTF-8, 3 characters");
        assert_eq!(sms_length("ｱｲｳ"), 3, "half-width kana count one each");
        assert_eq!(sms_length("𠮷野家"), 4, "outside the BMP: a surrogate pair");
        let limit = SmsLimit(5);
        assert!(limit.fits("あいうえお"));
        assert!(!limit.fits("あいうえおか"));
        assert_eq!(SmsLimit::default(), SmsLimit(70));
    }

    #[test]
    fn codes_read_back() {
        for c in Channel::ALL {
            assert_eq!(Channel::from_code(c.code()), Some(c));
        }
        for k in [NoticeKind::First, NoticeKind::Change, NoticeKind::Cancel] {
            assert_eq!(NoticeKind::from_code(k.code()), Some(k));
        }
        for r in CancelReason::ALL {
            assert_eq!(CancelReason::from_code(r.code()), Some(r));
        }
        assert_eq!(CancelReason::from_code("bored"), None);
        assert_eq!(Channel::from_code("fax"), None);
    }

    #[test]
    fn a_changed_slot_is_told_apart_from_a_renamed_venue() {
        let a = appointment();
        let mut renamed = a.clone();
        renamed.venue_name = "総合文化会館".into();
        assert!(a.same_slot(&renamed));
        let mut moved = a.clone();
        moved.start = NaiveTime::from_hms_opt(11, 0, 0).unwrap();
        assert!(!a.same_slot(&moved));
    }
}
