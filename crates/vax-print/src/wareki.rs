//! Dates as Japanese forms print them: 和暦 (era years) first, as municipal forms do.

use chrono::{Datelike, NaiveDate};

/// `令和8年11月22日`; dates before 1912-07-30 fall back to the Western year.
pub(crate) fn wareki(date: NaiveDate) -> String {
    let ymd = |y: i32, m: u32, d: u32| NaiveDate::from_ymd_opt(y, m, d).unwrap_or(NaiveDate::MIN);
    // Era start dates (the first day of each era).
    let eras = [
        ("令和", ymd(2019, 5, 1)),
        ("平成", ymd(1989, 1, 8)),
        ("昭和", ymd(1926, 12, 25)),
        ("大正", ymd(1912, 7, 30)),
    ];
    for (name, start) in eras {
        if date >= start {
            let year = date.year() - start.year() + 1;
            let year = if year == 1 {
                "元".to_owned()
            } else {
                year.to_string()
            };
            return format!("{name}{year}年{}月{}日", date.month(), date.day());
        }
    }
    seireki(date)
}

/// `2026年11月22日`.
pub(crate) fn seireki(date: NaiveDate) -> String {
    format!("{}年{}月{}日", date.year(), date.month(), date.day())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn eras() {
        let d = |y, m, dd| NaiveDate::from_ymd_opt(y, m, dd).unwrap();
        assert_eq!(wareki(d(2026, 11, 22)), "令和8年11月22日");
        assert_eq!(wareki(d(2019, 5, 1)), "令和元年5月1日");
        assert_eq!(wareki(d(2019, 4, 30)), "平成31年4月30日");
        assert_eq!(wareki(d(1950, 4, 1)), "昭和25年4月1日");
        assert_eq!(wareki(d(1926, 12, 25)), "昭和元年12月25日");
    }
}
