//! The one time source: Japan time for the campaign's days, milliseconds for replication.
//!
//! Every "now" in vaxledger comes from a [`Clock`] passed in by whoever starts the program
//! (the desktop app, `vaxhq`, `vaxsync`), so a pinned clock pins everything: the desk's
//! warnings, the ops' timestamps, the server's enrollment codes. Tests drive time with
//! [`ManualClock`] and never sleep.

use std::sync::atomic::{AtomicU64, Ordering};

use chrono::{DateTime, FixedOffset, TimeZone, Utc};

/// Japan Standard Time, UTC+09:00 (no daylight saving): the campaign's calendar.
pub fn jst() -> FixedOffset {
    const NINE_HOURS: i32 = 9 * 3600;
    FixedOffset::east_opt(NINE_HOURS).expect("+09:00 is a valid offset")
}

/// Where time comes from.
pub trait Clock: Send + Sync + std::fmt::Debug {
    /// Milliseconds since 1970-01-01T00:00:00Z.
    fn now_ms(&self) -> u64;

    /// Now, in Japan time.
    fn now(&self) -> DateTime<FixedOffset> {
        from_ms(self.now_ms())
    }

    /// Now, in UTC.
    fn now_utc(&self) -> DateTime<Utc> {
        self.now().with_timezone(&Utc)
    }
}

/// An instant in milliseconds since the epoch, in Japan time.
pub fn from_ms(ms: u64) -> DateTime<FixedOffset> {
    let ms = i64::try_from(ms).unwrap_or(i64::MAX);
    jst()
        .timestamp_millis_opt(ms)
        .single()
        .unwrap_or_else(|| jst().timestamp_millis_opt(0).single().expect("epoch"))
}

/// An instant as milliseconds since the epoch (0 before 1970).
pub fn to_ms<Tz: TimeZone>(at: &DateTime<Tz>) -> u64 {
    u64::try_from(at.timestamp_millis()).unwrap_or(0)
}

/// The system clock: the one place a program reads real time.
#[derive(Debug, Clone, Copy, Default)]
pub struct SystemClock;

impl Clock for SystemClock {
    fn now_ms(&self) -> u64 {
        std::time::SystemTime::now()
            .duration_since(std::time::UNIX_EPOCH)
            .map(|d| u64::try_from(d.as_millis()).unwrap_or(u64::MAX))
            .unwrap_or(0)
    }
}

/// A clock that only moves when told to: tests, and `VAXLEDGER_NOW` demonstrations (pinned
/// at one instant). Shareable between threads.
#[derive(Debug, Default)]
pub struct ManualClock {
    now_ms: AtomicU64,
}

impl ManualClock {
    /// Starts at `now_ms`.
    pub fn new(now_ms: u64) -> Self {
        Self {
            now_ms: AtomicU64::new(now_ms),
        }
    }

    /// Starts at `at`.
    pub fn at<Tz: TimeZone>(at: &DateTime<Tz>) -> Self {
        Self::new(to_ms(at))
    }

    /// Moves time forward by `ms`.
    pub fn advance(&self, ms: u64) {
        self.now_ms.fetch_add(ms, Ordering::SeqCst);
    }

    /// Moves time forward by a chrono duration (negative durations are ignored).
    pub fn advance_by(&self, by: chrono::Duration) {
        self.advance(u64::try_from(by.num_milliseconds()).unwrap_or(0));
    }

    /// Sets the time, backwards too (to simulate a clock correction).
    pub fn set(&self, now_ms: u64) {
        self.now_ms.store(now_ms, Ordering::SeqCst);
    }
}

impl Clock for ManualClock {
    fn now_ms(&self) -> u64 {
        self.now_ms.load(Ordering::SeqCst)
    }
}

impl<C: Clock + ?Sized> Clock for std::sync::Arc<C> {
    fn now_ms(&self) -> u64 {
        (**self).now_ms()
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn japan_time_is_nine_hours_ahead_of_utc() {
        let clock = ManualClock::new(0);
        assert_eq!(clock.now().to_rfc3339(), "1970-01-01T09:00:00+09:00");
        assert_eq!(clock.now_utc().to_rfc3339(), "1970-01-01T00:00:00+00:00");
    }

    #[test]
    fn a_manual_clock_moves_only_when_told() {
        let at = DateTime::parse_from_rfc3339("2026-11-30T23:59:30+09:00").expect("valid");
        let clock = ManualClock::at(&at);
        assert_eq!(clock.now(), at);
        assert_eq!(clock.now(), at, "no time passes by itself");
        clock.advance_by(chrono::Duration::seconds(45));
        assert_eq!(
            clock.now().date_naive().to_string(),
            "2026-12-01",
            "the campaign's day turns at midnight Japan time"
        );
        clock.set(0);
        assert_eq!(clock.now_ms(), 0, "and it can be set back");
    }

    #[test]
    fn the_system_clock_is_after_the_project_started() {
        let start_of_2026 = 1_767_225_600_000;
        assert!(SystemClock.now_ms() > start_of_2026);
    }
}
