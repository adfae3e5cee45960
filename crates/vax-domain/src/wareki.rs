//! 和暦: the Japanese era calendar, read and written. The one era table of the workspace:
//! the imports read era dates with [`parse_date`], the PDFs print them with
//! [`format_wareki`].
//!
//! - Eras ([`ERAS`]): 明治, 大正, 昭和, 平成, 令和, each from its first day in the Gregorian
//!   calendar to the day before the next one's. The first year of an era is 元年 (year 1) and
//!   lasts from the era's first day to 31 December; every later year is a whole Gregorian
//!   year. So 昭和64年 is 1989-01-01 … 1989-01-07 and 平成元年 starts on 1989-01-08.
//! - A date written in an era it is not in (昭和65年1月1日, 平成元年1月7日) is refused, naming
//!   the era's first or last day and what the day is called in its own era; it is never
//!   moved into the right era silently.
//! - Japan adopted the Gregorian calendar on 明治6年1月1日 (1873-01-01). Earlier era dates are
//!   dates of the lunisolar calendar, so they are refused rather than converted wrongly, and
//!   earlier days print with their Western year.
//! - Written forms ([`parse_date`]): Gregorian `1941-04-01`, `1941/4/1`, `1941.4.1`,
//!   `19410401`, `1941年4月1日`; era `昭和16年4月1日`, `昭和元年12月25日`, `昭16.4.1`,
//!   `S16.04.01`, `S16/4/1`, `S16-4-1`, `S160401`, `H元.1.8`; with full-width digits, letters
//!   and punctuation (`Ｓ１６．４．１`), the one-character era signs (`㍼`, `㋿`) and blanks
//!   between the parts. The era letters are M, T, S, H and R, in either case.

use std::borrow::Cow;
use std::fmt;

use chrono::{Datelike, NaiveDate};
use thiserror::Error;
use unicode_normalization::{is_nfkc_quick, IsNormalized, UnicodeNormalization};

/// One era (元号).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Era {
    /// 昭和.
    pub name: &'static str,
    /// 昭, as in 昭16.4.1.
    pub kanji: char,
    /// S, as in S16.4.1.
    pub letter: char,
    /// The era's first day in the Gregorian calendar (its 元年's first day).
    pub first_day: NaiveDate,
}

const fn day(y: i32, m: u32, d: u32) -> NaiveDate {
    match NaiveDate::from_ymd_opt(y, m, d) {
        Some(date) => date,
        None => panic!("a day of the era table does not exist"),
    }
}

/// The eras, oldest first. An era lasts until the day before the next one's first day;
/// the last one has no end.
pub const ERAS: [Era; 5] = [
    // 明治: proclaimed on 慶応4年9月8日 (lunisolar) = 1868-10-23, and counted from the start
    // of that year; only its days from GREGORIAN_ADOPTED on are converted.
    Era {
        name: "明治",
        kanji: '明',
        letter: 'M',
        first_day: day(1868, 10, 23),
    },
    Era {
        name: "大正",
        kanji: '大',
        letter: 'T',
        first_day: day(1912, 7, 30),
    },
    Era {
        name: "昭和",
        kanji: '昭',
        letter: 'S',
        first_day: day(1926, 12, 25),
    },
    Era {
        name: "平成",
        kanji: '平',
        letter: 'H',
        first_day: day(1989, 1, 8),
    },
    Era {
        name: "令和",
        kanji: '令',
        letter: 'R',
        first_day: day(2019, 5, 1),
    },
];

/// 明治6年1月1日: the first day of the Gregorian calendar in Japan.
pub const GREGORIAN_ADOPTED: NaiveDate = day(1873, 1, 1);

impl Era {
    /// The era's last day, or `None` for the current era.
    pub fn last_day(&self) -> Option<NaiveDate> {
        let i = ERAS.iter().position(|e| e.name == self.name)?;
        ERAS.get(i + 1).and_then(|next| next.first_day.pred_opt())
    }

    /// The Gregorian year of the era's year `year` (1 = 元年).
    pub fn gregorian_year(&self, year: u32) -> i32 {
        self.first_day.year() + i32::try_from(year).unwrap_or(i32::MAX - 1) - 1
    }
}

impl fmt::Display for Era {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(self.name)
    }
}

/// The era a day belongs to and its year in that era (1 = 元年); `None` before
/// [`GREGORIAN_ADOPTED`].
pub fn era_of(date: NaiveDate) -> Option<(&'static Era, u32)> {
    if date < GREGORIAN_ADOPTED {
        return None;
    }
    let era = ERAS.iter().rev().find(|e| date >= e.first_day)?;
    let year = u32::try_from(date.year() - era.first_day.year() + 1).ok()?;
    Some((era, year))
}

/// `令和8年11月22日`, `令和元年5月1日`; days before [`GREGORIAN_ADOPTED`] are written with their
/// Western year, as [`format_seireki`] does.
pub fn format_wareki(date: NaiveDate) -> String {
    match era_of(date) {
        Some((era, 1)) => format!("{era}元年{}月{}日", date.month(), date.day()),
        Some((era, year)) => format!("{era}{year}年{}月{}日", date.month(), date.day()),
        None => format_seireki(date),
    }
}

/// `2026年11月22日`.
pub fn format_seireki(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

/// Why a written date was refused. Each message quotes the value as it was written.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum DateError {
    /// Not in any form a date is read in.
    #[error(
        "{0:?} is not a date (write 1941-04-01, 1941/4/1, 19410401, 昭和16年4月1日 or S16.4.1)"
    )]
    Unreadable(String),
    /// A month or day that does not exist (2月30日, 13月).
    #[error("{0:?} is not a day of the calendar (check the month and the day)")]
    NoSuchDay(String),
    /// 平成0年.
    #[error("{0:?}: an era has no year 0; its first year is 元年 (year 1)")]
    EraYearZero(String),
    /// An era date before 明治6年1月1日, in the lunisolar calendar.
    #[error("{0:?} is before 明治6年1月1日 (1873-01-01), when Japan adopted the Gregorian calendar; earlier era dates are not converted")]
    BeforeGregorianCalendar(String),
    /// An era date before its era began (平成元年1月7日).
    #[error("{written:?} is not in {era}, which began on {} ({}); that day is {}", era.first_day, format_wareki(era.first_day), format_wareki(*date))]
    BeforeEra {
        /// The value as written.
        written: String,
        /// The era it names.
        era: &'static Era,
        /// The day it would be.
        date: NaiveDate,
    },
    /// An era date after its era ended (昭和65年1月1日, 平成31年5月1日).
    #[error("{written:?} is not in {era}, which ended on {last_day} ({}); that day is {}", format_wareki(*last_day), format_wareki(*date))]
    AfterEra {
        /// The value as written.
        written: String,
        /// The era it names.
        era: &'static Era,
        /// The era's last day.
        last_day: NaiveDate,
        /// The day it would be.
        date: NaiveDate,
    },
}

impl DateError {
    /// The same message in Japanese, for staff screens and import reports.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Unreadable(v) => format!(
                "「{v}」は日付として読めません（1941-04-01、1941/4/1、19410401、昭和16年4月1日、S16.4.1 の形式）"
            ),
            Self::NoSuchDay(v) => format!("「{v}」は存在しない日付です（月と日を確かめてください）"),
            Self::EraYearZero(v) => {
                format!("「{v}」：元号に0年はありません（最初の年は元年です）")
            }
            Self::BeforeGregorianCalendar(v) => format!(
                "「{v}」は明治6年1月1日（1873-01-01、太陽暦の採用）より前の日付です。それより前の和暦は換算しません"
            ),
            Self::BeforeEra {
                written,
                era,
                date,
            } => format!(
                "「{written}」は{era}の期間外です（{era}は{}（{}）から）。この日は{}です",
                format_wareki(era.first_day),
                era.first_day,
                format_wareki(*date)
            ),
            Self::AfterEra {
                written,
                era,
                last_day,
                date,
            } => format!(
                "「{written}」は{era}の期間外です（{era}は{}（{}）まで）。この日は{}です",
                format_wareki(*last_day),
                last_day,
                format_wareki(*date)
            ),
        }
    }
}

/// One piece of a written date.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
enum Token<'a> {
    /// A run of ASCII digits.
    Number(&'a str),
    /// 元, the first year of an era.
    First,
    /// An era by name, kanji or letter.
    Era(&'static Era),
    /// `-`, `/`, `.`, 年, 月 or 日.
    Separator(char),
}

fn era_named(name: &str) -> Option<&'static Era> {
    ERAS.iter().find(|e| {
        e.name == name
            || name.chars().eq([e.kanji])
            || name.chars().eq([e.letter])
            || name.chars().eq([e.letter.to_ascii_lowercase()])
    })
}

/// Splits NFKC-folded text into tokens; blanks separate tokens and are otherwise dropped.
fn tokens(text: &str) -> Option<Vec<Token<'_>>> {
    let mut out = Vec::new();
    let mut rest = text;
    while let Some(c) = rest.chars().next() {
        let len = c.len_utf8();
        if c.is_whitespace() {
            rest = &rest[len..];
        } else if c.is_ascii_digit() {
            let end = rest
                .find(|c: char| !c.is_ascii_digit())
                .unwrap_or(rest.len());
            out.push(Token::Number(&rest[..end]));
            rest = &rest[end..];
        } else if c == '元' {
            out.push(Token::First);
            rest = &rest[len..];
        } else if matches!(c, '/' | '.' | '年' | '月' | '日') {
            out.push(Token::Separator(c));
            rest = &rest[len..];
        } else if is_dash(c) {
            out.push(Token::Separator('-'));
            rest = &rest[len..];
        } else if let Some(era) = ERAS.iter().find(|e| rest.starts_with(e.name)) {
            out.push(Token::Era(era));
            rest = &rest[era.name.len()..];
        } else {
            out.push(Token::Era(era_named(&rest[..len])?));
            rest = &rest[len..];
        }
    }
    Some(out)
}

/// The dashes people type between digits (an IME's 長音符 and full-width hyphen among them).
fn is_dash(c: char) -> bool {
    matches!(c, '-' | '‐' | '‑' | '−' | '–' | '—' | '―' | 'ー' | 'ｰ')
}

/// A number of 1 to `max_digits` digits.
fn number(token: Option<&Token<'_>>, max_digits: usize) -> Option<u32> {
    match token {
        Some(Token::Number(n)) if n.len() <= max_digits => n.parse().ok(),
        _ => None,
    }
}

/// `<sep> month <sep> day [日]` after the year: 年 月 [日], or the same one of `-`, `/`, `.`
/// twice.
fn month_and_day(rest: &[Token<'_>]) -> Option<(u32, u32)> {
    let (Token::Separator(first), Token::Separator(second)) = (rest.first()?, rest.get(2)?) else {
        return None;
    };
    let month = number(rest.get(1), 2)?;
    let day = number(rest.get(3), 2)?;
    let tail = &rest[4..];
    let shape_ok = match first {
        '年' => *second == '月' && matches!(tail, [] | [Token::Separator('日')]),
        '-' | '/' | '.' => second == first && tail.is_empty(),
        _ => false,
    };
    shape_ok.then_some((month, day))
}

/// `YYMMDD` or `YYYYMMDD` as (year, month, day).
fn compact(digits: &str) -> Option<(u32, u32, u32)> {
    let (y, md) = digits.split_at(digits.len().checked_sub(4)?);
    Some((
        y.parse().ok()?,
        md[..2].parse().ok()?,
        md[2..].parse().ok()?,
    ))
}

/// Reads a date in any of the forms of the module documentation. `value` is trimmed;
/// empty text is [`DateError::Unreadable`] (callers that allow an empty value check first).
pub fn parse_date(value: &str) -> Result<NaiveDate, DateError> {
    let written = value.trim();
    // Text already in NFKC (ASCII, most kanji) skips the normalisation: a register of a
    // million dates pays for it only where full-width characters are.
    let folded: Cow<'_, str> = if is_nfkc_quick(written.chars()) == IsNormalized::Yes {
        Cow::Borrowed(written)
    } else {
        Cow::Owned(written.nfkc().collect())
    };
    let unreadable = || DateError::Unreadable(written.to_owned());
    let tokens = tokens(&folded).ok_or_else(unreadable)?;
    match tokens.as_slice() {
        [Token::Era(era), Token::Number(n)] if n.len() == 6 => {
            let (year, month, day) = compact(n).ok_or_else(unreadable)?;
            era_date(written, era, year, month, day)
        }
        [Token::Era(era), year, rest @ ..] => {
            let year = match year {
                Token::First => 1,
                other => number(Some(other), 2).ok_or_else(unreadable)?,
            };
            let (month, day) = month_and_day(rest).ok_or_else(unreadable)?;
            era_date(written, era, year, month, day)
        }
        [Token::Number(n)] if n.len() == 8 => {
            let (year, month, day) = compact(n).ok_or_else(unreadable)?;
            gregorian(written, year, month, day)
        }
        [Token::Number(n), rest @ ..] if n.len() == 4 => {
            let year = n.parse().map_err(|_| unreadable())?;
            let (month, day) = month_and_day(rest).ok_or_else(unreadable)?;
            gregorian(written, year, month, day)
        }
        _ => Err(unreadable()),
    }
}

fn gregorian(written: &str, year: u32, month: u32, day: u32) -> Result<NaiveDate, DateError> {
    i32::try_from(year)
        .ok()
        .and_then(|y| NaiveDate::from_ymd_opt(y, month, day))
        .ok_or_else(|| DateError::NoSuchDay(written.to_owned()))
}

/// The day `era` `year`年 `month`月 `day`日, checked to lie within the era.
pub fn era_date(
    written: &str,
    era: &'static Era,
    year: u32,
    month: u32,
    day: u32,
) -> Result<NaiveDate, DateError> {
    if year == 0 {
        return Err(DateError::EraYearZero(written.to_owned()));
    }
    let date = NaiveDate::from_ymd_opt(era.gregorian_year(year), month, day)
        .ok_or_else(|| DateError::NoSuchDay(written.to_owned()))?;
    if date < GREGORIAN_ADOPTED {
        return Err(DateError::BeforeGregorianCalendar(written.to_owned()));
    }
    if date < era.first_day {
        return Err(DateError::BeforeEra {
            written: written.to_owned(),
            era,
            date,
        });
    }
    match era.last_day() {
        Some(last_day) if date > last_day => Err(DateError::AfterEra {
            written: written.to_owned(),
            era,
            last_day,
            date,
        }),
        _ => Ok(date),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn d(y: i32, m: u32, dd: u32) -> NaiveDate {
        NaiveDate::from_ymd_opt(y, m, dd).unwrap()
    }

    #[test]
    fn each_era_prints_from_its_first_day_with_gannen() {
        assert_eq!(format_wareki(d(2026, 11, 22)), "令和8年11月22日");
        assert_eq!(format_wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(format_wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(format_wareki(d(1989, 1, 8)), "平成元年1月8日");
        assert_eq!(format_wareki(d(1989, 1, 7)), "昭和64年1月7日");
        assert_eq!(format_wareki(d(1950, 4, 1)), "昭和25年4月1日");
        assert_eq!(format_wareki(d(1926, 12, 25)), "昭和元年12月25日");
        assert_eq!(format_wareki(d(1926, 12, 24)), "大正15年12月24日");
        assert_eq!(format_wareki(d(1912, 7, 30)), "大正元年7月30日");
        assert_eq!(format_wareki(d(1912, 7, 29)), "明治45年7月29日");
        assert_eq!(format_wareki(d(1873, 1, 1)), "明治6年1月1日");
        assert_eq!(
            format_wareki(d(1872, 12, 31)),
            "1872年12月31日",
            "before the Gregorian calendar"
        );
    }

    #[test]
    fn every_day_printed_in_its_era_reads_back_as_the_same_day() {
        let mut day = GREGORIAN_ADOPTED;
        let end = d(2100, 12, 31);
        while day <= end {
            let printed = format_wareki(day);
            assert_eq!(parse_date(&printed), Ok(day), "{printed}");
            let (era, year) = era_of(day).unwrap();
            let short = format!("{}{}.{}.{}", era.letter, year, day.month(), day.day());
            assert_eq!(parse_date(&short), Ok(day), "{short}");
            day = day.succ_opt().unwrap();
        }
    }

    #[test]
    fn each_era_ends_the_day_before_the_next_begins() {
        for pair in ERAS.windows(2) {
            assert_eq!(pair[0].last_day(), pair[1].first_day.pred_opt());
        }
        assert_eq!(ERAS[4].last_day(), None, "令和 has no end yet");
    }
}
