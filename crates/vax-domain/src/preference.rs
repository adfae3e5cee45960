//! What a resident asked for in the intention survey about where and when to be vaccinated,
//! and the parsing rules for the survey's preference columns (`docs/import-formats.md`).
//!
//! These are headquarters' planning inputs: the planner honours them where it can, and a
//! plan that cannot is not wrong, only less good (`docs/planning.md`).

use chrono::{NaiveTime, Weekday};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use unicode_normalization::UnicodeNormalization;

/// The longest district name a preference may carry (as the register's 地区).
pub const MAX_DISTRICT: usize = 50;

/// Why a preference cell was refused. Messages are for the person who fixes the file.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum PreferenceError {
    /// A venue code of the wrong shape.
    #[error("{0:?} is not a venue code (1 to 10 letters, digits, - or _)")]
    BadVenueCode(String),
    /// A weekday list with something that is not a weekday.
    #[error("{0:?} is not a list of weekdays (月火水木金土日, e.g. 土日 or 月・水)")]
    BadWeekdays(String),
    /// A time-of-day list with something that is not 午前, 午後 or 夜.
    #[error("{0:?} is not a list of times of day (午前, 午後, 夜)")]
    BadTimesOfDay(String),
    /// A district longer than the register keeps.
    #[error("the district is longer than {MAX_DISTRICT} characters")]
    DistrictTooLong,
}

impl PreferenceError {
    /// The same message in Japanese, for import reports.
    pub fn message_ja(&self) -> String {
        match self {
            Self::BadVenueCode(v) => {
                format!("「{v}」は会場コードとして読めません（英数字・-・_ の10文字まで）")
            }
            Self::BadWeekdays(v) => {
                format!("「{v}」は曜日として読めません（月火水木金土日、例 土日・月・水）")
            }
            Self::BadTimesOfDay(v) => {
                format!("「{v}」は時間帯として読めません（午前・午後・夜）")
            }
            Self::DistrictTooLong => format!("地区が{MAX_DISTRICT}文字を超えています"),
        }
    }
}

/// A part of the day, as the survey asks about it and as the planner judges a band by its start
/// ([`TimeOfDay::of`]: 午前 before 12:00, 午後 to 17:00, 夜 after).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
pub enum TimeOfDay {
    /// 午前.
    Morning,
    /// 午後.
    Afternoon,
    /// 夜.
    Evening,
}

impl TimeOfDay {
    /// Every part, morning first.
    pub const ALL: [Self; 3] = [Self::Morning, Self::Afternoon, Self::Evening];

    /// The part of the day a band starting at `start` falls in.
    pub fn of(start: NaiveTime) -> Self {
        let noon = NaiveTime::from_hms_opt(12, 0, 0).expect("valid time");
        let five = NaiveTime::from_hms_opt(17, 0, 0).expect("valid time");
        if start < noon {
            Self::Morning
        } else if start < five {
            Self::Afternoon
        } else {
            Self::Evening
        }
    }

    fn bit(self) -> u8 {
        match self {
            Self::Morning => 1,
            Self::Afternoon => 2,
            Self::Evening => 4,
        }
    }

    /// 午前, 午後 or 夜.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Morning => "午前",
            Self::Afternoon => "午後",
            Self::Evening => "夜",
        }
    }
}

/// A set of weekdays, stored as a bit mask (Monday = 1 … Sunday = 64).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct WeekdaySet(u8);

impl WeekdaySet {
    /// The set stored as `mask`; bits above Sunday are dropped.
    pub fn from_mask(mask: u8) -> Self {
        Self(mask & 0x7f)
    }

    /// The stored mask.
    pub fn mask(self) -> u8 {
        self.0
    }

    /// Whether `day` is in the set.
    pub fn contains(self, day: Weekday) -> bool {
        self.0 & (1 << day.num_days_from_monday()) != 0
    }

    /// The set with `day` added.
    pub fn with(self, day: Weekday) -> Self {
        Self(self.0 | (1 << day.num_days_from_monday()))
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The days as the survey writes them, Monday first (`土日`); empty for none.
    pub fn label_ja(self) -> String {
        std::iter::successors(Some(Weekday::Mon), |d| Some(d.succ()))
            .take(7)
            .filter(|d| self.contains(*d))
            .map(crate::notice::weekday_ja)
            .collect()
    }

    /// Reads 避けたい曜日: weekday characters in any order, with or without 曜/曜日, separated
    /// by anything or nothing (`土日`, `月・水`, `土曜日、日曜日`). Empty, なし or 無 is none.
    pub fn parse(value: &str) -> Result<Self, PreferenceError> {
        let folded = fold(value);
        if is_none(&folded) {
            return Ok(Self::default());
        }
        let mut set = Self::default();
        let rest = folded.replace("曜日", "").replace('曜', "");
        for c in rest.chars().filter(|c| !is_separator(*c)) {
            let day = match c {
                '月' => Weekday::Mon,
                '火' => Weekday::Tue,
                '水' => Weekday::Wed,
                '木' => Weekday::Thu,
                '金' => Weekday::Fri,
                '土' => Weekday::Sat,
                '日' => Weekday::Sun,
                _ => return Err(PreferenceError::BadWeekdays(folded)),
            };
            set = set.with(day);
        }
        Ok(set)
    }
}

/// A set of [`TimeOfDay`], stored as a bit mask (午前 = 1, 午後 = 2, 夜 = 4).
#[derive(Debug, Clone, Copy, Default, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimesOfDay(u8);

impl TimesOfDay {
    /// The set stored as `mask`; unknown bits are dropped.
    pub fn from_mask(mask: u8) -> Self {
        Self(mask & 0x7)
    }

    /// The stored mask.
    pub fn mask(self) -> u8 {
        self.0
    }

    /// Whether `part` is in the set.
    pub fn contains(self, part: TimeOfDay) -> bool {
        self.0 & part.bit() != 0
    }

    /// The set with `part` added.
    pub fn with(self, part: TimeOfDay) -> Self {
        Self(self.0 | part.bit())
    }

    /// Whether the set is empty.
    pub fn is_empty(self) -> bool {
        self.0 == 0
    }

    /// The parts as the survey writes them (`午前・夜`); empty for none.
    pub fn label_ja(self) -> String {
        TimeOfDay::ALL
            .into_iter()
            .filter(|p| self.contains(*p))
            .map(TimeOfDay::label_ja)
            .collect::<Vec<_>>()
            .join("・")
    }

    /// Reads 避けたい時間帯: 午前, 午後 and 夜 (夕方 and 夜間 read as 夜) separated by anything
    /// (`午前・夜`, `午後,夜`). Empty, なし or 無 is none.
    pub fn parse(value: &str) -> Result<Self, PreferenceError> {
        let folded = fold(value);
        if is_none(&folded) {
            return Ok(Self::default());
        }
        let mut set = Self::default();
        for token in folded.split(is_separator).filter(|t| !t.is_empty()) {
            let part = match token {
                "午前" | "朝" | "AM" | "am" => TimeOfDay::Morning,
                "午後" | "昼" | "PM" | "pm" => TimeOfDay::Afternoon,
                "夜" | "夜間" | "夕方" => TimeOfDay::Evening,
                _ => return Err(PreferenceError::BadTimesOfDay(folded)),
            };
            set = set.with(part);
        }
        Ok(set)
    }
}

/// A resident's stated preferences and the underlying-condition flag (基礎疾患) that puts
/// them in an earlier priority phase. Kept by headquarters only; not replicated.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
pub struct Preferences {
    /// 希望会場: the code of the venue the resident would like.
    pub venue: Option<String>,
    /// 希望地区: the district whose venues the resident would like.
    pub district: Option<String>,
    /// 避けたい曜日.
    pub avoid_weekdays: WeekdaySet,
    /// 避けたい時間帯.
    pub avoid_times: TimesOfDay,
    /// 基礎疾患あり.
    pub underlying_condition: bool,
}

/// Reads 希望会場: a venue code (full-width folded), or none when empty.
pub fn parse_venue_code(value: &str) -> Result<Option<String>, PreferenceError> {
    let v = fold(value);
    if is_none(&v) {
        return Ok(None);
    }
    let ok = v.len() <= 10
        && v.chars()
            .all(|c| c.is_ascii_alphanumeric() || c == '-' || c == '_');
    if ok {
        Ok(Some(v))
    } else {
        Err(PreferenceError::BadVenueCode(v))
    }
}

/// Reads 希望地区: a district name, or none when empty.
pub fn parse_district(value: &str) -> Result<Option<String>, PreferenceError> {
    let v = value.trim();
    if is_none(v) {
        return Ok(None);
    }
    if v.chars().count() > MAX_DISTRICT {
        return Err(PreferenceError::DistrictTooLong);
    }
    Ok(Some(v.to_owned()))
}

fn fold(value: &str) -> String {
    value.nfkc().collect::<String>().trim().to_owned()
}

fn is_none(folded: &str) -> bool {
    matches!(folded, "" | "なし" | "無" | "特になし" | "-")
}

fn is_separator(c: char) -> bool {
    c.is_whitespace() || matches!(c, ',' | '、' | '・' | '/' | ';' | '･' | '.' | '。')
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn weekdays_are_read_however_the_survey_writes_them() {
        let weekend = WeekdaySet::default().with(Weekday::Sat).with(Weekday::Sun);
        for written in [
            "土日",
            "土・日",
            "土曜日、日曜日",
            "日 土",
            "土曜,日曜",
            "土日",
        ] {
            assert_eq!(WeekdaySet::parse(written), Ok(weekend), "{written}");
        }
        for none in ["", "なし", " 無 ", "特になし"] {
            assert_eq!(WeekdaySet::parse(none), Ok(WeekdaySet::default()));
        }
        assert_eq!(weekend.label_ja(), "土日");
        assert!(matches!(
            WeekdaySet::parse("週末"),
            Err(PreferenceError::BadWeekdays(_))
        ));
    }

    #[test]
    fn times_of_day_are_read_however_the_survey_writes_them() {
        let set = TimesOfDay::parse("午前・夜").unwrap();
        assert!(set.contains(TimeOfDay::Morning) && set.contains(TimeOfDay::Evening));
        assert!(!set.contains(TimeOfDay::Afternoon));
        assert_eq!(set.label_ja(), "午前・夜");
        assert_eq!(TimesOfDay::parse("夕方"), TimesOfDay::parse("夜"));
        assert_eq!(TimesOfDay::parse("なし"), Ok(TimesOfDay::default()));
        assert!(TimesOfDay::parse("深夜").is_err());
    }

    #[test]
    fn a_venue_code_is_folded_and_checked() {
        assert_eq!(parse_venue_code("Ｖ０１"), Ok(Some("V01".to_owned())));
        assert_eq!(parse_venue_code(""), Ok(None));
        assert!(parse_venue_code("会場1").is_err());
        assert_eq!(parse_district(" 中筋 "), Ok(Some("中筋".to_owned())));
        assert_eq!(
            parse_district(&"あ".repeat(51)),
            Err(PreferenceError::DistrictTooLong)
        );
    }
}
