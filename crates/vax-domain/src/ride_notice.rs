//! What a resident who rides the bus is told about it (issue 13): the pick-up time at the
//! door and the pick-up point, and when the bus home leaves the venue. The letter, the SMS
//! and the call list all write it from here, and the ledger keeps what was told as
//! [`RideNotice::record`] so that a re-plan that moves a time tells the resident again.

use std::fmt;

use chrono::{NaiveDate, NaiveTime, Timelike};
use serde::{Deserialize, Serialize};

use crate::notice::format_month_day;

/// A resident's bus rides on one booked day, as told. Either leg may be missing (not
/// planned, or not served); a notice is only made about a ride with at least one leg.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RideNotice {
    /// When the bus is at the door (or at the pick-up point) on the way to the venue.
    pub pickup: Option<NaiveTime>,
    /// The named pick-up point; `None` means at home.
    pub point: Option<String>,
    /// When the bus home leaves the venue.
    pub back: Option<NaiveTime>,
}

/// `9:20`: a time as residents read it (no leading zero).
fn clock(t: NaiveTime) -> String {
    format!("{}:{:02}", t.hour(), t.minute())
}

impl RideNotice {
    /// Whether neither leg is planned.
    pub fn is_empty(&self) -> bool {
        self.pickup.is_none() && self.back.is_none()
    }

    /// Where the bus waits: the point's name, or 「ご自宅前」.
    pub fn place_ja(&self) -> &str {
        self.point.as_deref().unwrap_or("ご自宅前")
    }

    /// The way to the venue as the letter and call list write it: `9:20 ○○公民館前`.
    pub fn pickup_ja(&self) -> Option<String> {
        self.pickup
            .map(|t| format!("{} {}", clock(t), self.place_ja()))
    }

    /// The way home: `11:45 会場発`.
    pub fn back_ja(&self) -> Option<String> {
        self.back.map(|t| format!("{} 会場発", clock(t)))
    }

    /// The letter's row: `迎え 9:20 ○○公民館前　／　帰り 11:45 会場発` (a missing leg is left
    /// out).
    pub fn letter_line(&self) -> String {
        let mut parts = Vec::with_capacity(2);
        if let Some(p) = self.pickup_ja() {
            parts.push(format!("迎え {p}"));
        }
        if let Some(b) = self.back_ja() {
            parts.push(format!("帰り {b}"));
        }
        parts.join("　／　")
    }

    /// The SMS about the ride on `date`:
    /// `【送迎バス】12月5日(土) 迎え9:20 ○○公民館前 帰り11:45会場発`; `changed` says
    /// 【送迎バス変更】 instead (the booking is the same, the bus times moved).
    pub fn sms(&self, date: NaiveDate, changed: bool) -> String {
        let head = if changed {
            "【送迎バス変更】"
        } else {
            "【送迎バス】"
        };
        let mut text = format!("{head}{}", format_month_day(date));
        if let Some(t) = self.pickup {
            text.push_str(&format!(" 迎え{} {}", clock(t), self.place_ja()));
        }
        if let Some(t) = self.back {
            text.push_str(&format!(" 帰り{}会場発", clock(t)));
        }
        text
    }

    /// The SMS telling that the bus told before no longer runs for this booking, with the
    /// call centre's number when there is one.
    pub fn cancelled_sms(date: NaiveDate, contact: &str) -> String {
        let mut text = format!(
            "【送迎バス取消】{}の送迎バスの予定はなくなりました。",
            format_month_day(date)
        );
        if !contact.is_empty() {
            text.push_str(&format!("問合せ{contact}"));
        }
        text
    }

    /// The text the ledger keeps of what was told (`09:20|○○公民館前|11:45`, empty parts
    /// for a missing leg or home): two notices told the same when their records are equal.
    pub fn record(&self) -> String {
        let hm = |t: Option<NaiveTime>| t.map(|t| t.format("%H:%M").to_string());
        format!(
            "{}|{}|{}",
            hm(self.pickup).unwrap_or_default(),
            self.point.as_deref().unwrap_or_default(),
            hm(self.back).unwrap_or_default()
        )
    }

    /// Reads [`RideNotice::record`] back; `None` when it is not one.
    pub fn from_record(text: &str) -> Option<Self> {
        let mut parts = text.split('|');
        let (pickup, point, back) = (parts.next()?, parts.next()?, parts.next()?);
        if parts.next().is_some() {
            return None;
        }
        let time = |s: &str| -> Option<Option<NaiveTime>> {
            if s.is_empty() {
                Some(None)
            } else if s.len() != 5 || s.as_bytes()[2] != b':' {
                None // only the `HH:MM` that `record` writes
            } else {
                NaiveTime::parse_from_str(s, "%H:%M").ok().map(Some)
            }
        };
        Some(Self {
            pickup: time(pickup)?,
            point: (!point.is_empty()).then(|| point.to_owned()),
            back: time(back)?,
        })
    }
}

impl fmt::Display for RideNotice {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.letter_line())
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn ride() -> RideNotice {
        RideNotice {
            pickup: NaiveTime::from_hms_opt(9, 20, 0),
            point: Some("朝来公民館前".into()),
            back: NaiveTime::from_hms_opt(11, 45, 0),
        }
    }

    fn day() -> NaiveDate {
        NaiveDate::from_ymd_opt(2026, 12, 5).unwrap()
    }

    #[test]
    fn the_sms_letter_and_call_texts() {
        let r = ride();
        assert_eq!(
            r.sms(day(), false),
            "【送迎バス】12月5日(土) 迎え9:20 朝来公民館前 帰り11:45会場発"
        );
        assert_eq!(
            r.sms(day(), true),
            "【送迎バス変更】12月5日(土) 迎え9:20 朝来公民館前 帰り11:45会場発"
        );
        assert_eq!(
            r.letter_line(),
            "迎え 9:20 朝来公民館前　／　帰り 11:45 会場発"
        );
        assert_eq!(r.pickup_ja().as_deref(), Some("9:20 朝来公民館前"));
        assert_eq!(r.back_ja().as_deref(), Some("11:45 会場発"));
    }

    #[test]
    fn a_missing_leg_and_home_are_left_out_or_named() {
        let home_only_there = RideNotice {
            pickup: NaiveTime::from_hms_opt(8, 5, 0),
            point: None,
            back: None,
        };
        assert_eq!(home_only_there.letter_line(), "迎え 8:05 ご自宅前");
        assert_eq!(
            home_only_there.sms(day(), false),
            "【送迎バス】12月5日(土) 迎え8:05 ご自宅前"
        );
        assert!(!home_only_there.is_empty());
        let none = RideNotice {
            pickup: None,
            point: None,
            back: None,
        };
        assert!(none.is_empty());
        assert_eq!(
            RideNotice::cancelled_sms(day(), "0773-62-2300"),
            "【送迎バス取消】12月5日(土)の送迎バスの予定はなくなりました。問合せ0773-62-2300"
        );
        assert_eq!(
            RideNotice::cancelled_sms(day(), ""),
            "【送迎バス取消】12月5日(土)の送迎バスの予定はなくなりました。"
        );
    }

    #[test]
    fn the_record_reads_back_and_rejects_other_text() {
        for r in [
            ride(),
            RideNotice {
                pickup: None,
                point: None,
                back: NaiveTime::from_hms_opt(12, 0, 0),
            },
        ] {
            assert_eq!(RideNotice::from_record(&r.record()), Some(r.clone()));
        }
        assert_eq!(ride().record(), "09:20|朝来公民館前|11:45");
        for bad in ["", "9:2|x|", "09:20|x", "09:20|x|11:45|", "25:00||"] {
            assert_eq!(RideNotice::from_record(bad), None, "{bad}");
        }
    }
}
