//! The hybrid logical clock: wall-clock-like timestamps that never go backwards on one replica
//! and always move past what the replica has seen from others.
//!
//! The physical time comes from a [`Clock`] passed in by the caller, so tests drive time
//! with [`ManualClock`] and this crate never reads the system clock.

use serde::{Deserialize, Serialize};

pub use vax_domain::clock::{Clock, ManualClock, SystemClock};

/// One HLC timestamp. Ordered by wall time, then by the logical counter.
#[derive(
    Debug, Clone, Copy, Default, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize,
)]
pub struct Hlc {
    /// Milliseconds since the Unix epoch: the physical part.
    pub wall_ms: u64,
    /// Orders events that share a `wall_ms`.
    pub logical: u32,
}

impl Hlc {
    /// A timestamp from its parts.
    pub const fn new(wall_ms: u64, logical: u32) -> Self {
        Self { wall_ms, logical }
    }

    /// The next timestamp after `self` in the same millisecond, rolling over to the next
    /// millisecond if the logical counter is exhausted (four billion events in one ms would be
    /// a bug, but a rollover keeps the order strict instead of panicking).
    fn tick(self) -> Self {
        match self.logical.checked_add(1) {
            Some(logical) => Self::new(self.wall_ms, logical),
            None => Self::new(self.wall_ms + 1, 0),
        }
    }
}

/// Five minutes: how far ahead of a receiver's physical clock a received op may be stamped.
/// The one bound (docs/sync-spec.md §2): an op further ahead is refused, retryably, and not
/// observed, so one device with a wrong clock cannot push the fleet's clocks into the future.
/// Venue laptops keep NTP time within seconds; five minutes leaves room for a slow one.
pub const MAX_CLOCK_AHEAD_MS: u64 = 5 * 60 * 1000;

/// The bound a clock gets unless a test sets another ([`MAX_CLOCK_AHEAD_MS`]).
pub const DEFAULT_MAX_DRIFT_MS: u64 = MAX_CLOCK_AHEAD_MS;

/// A replica's clock: the last timestamp it issued or observed, and the drift bound.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct HlcClock {
    last: Hlc,
    max_drift_ms: u64,
}

impl Default for HlcClock {
    fn default() -> Self {
        Self::new(DEFAULT_MAX_DRIFT_MS)
    }
}

impl HlcClock {
    /// A clock that has seen nothing yet.
    pub fn new(max_drift_ms: u64) -> Self {
        Self {
            last: Hlc::default(),
            max_drift_ms,
        }
    }

    /// The last timestamp issued or observed.
    pub fn last(&self) -> Hlc {
        self.last
    }

    /// The drift bound in milliseconds.
    pub fn max_drift_ms(&self) -> u64 {
        self.max_drift_ms
    }

    /// A fresh timestamp for a local event, strictly greater than every earlier one.
    pub fn now(&mut self, time: &dyn Clock) -> Hlc {
        let physical = time.now_ms();
        // A wall clock that stepped backwards must not reorder our own events, so the wall
        // part only ever moves forward and the logical part breaks the tie.
        self.last = if physical > self.last.wall_ms {
            Hlc::new(physical, 0)
        } else {
            self.last.tick()
        };
        self.last
    }

    /// Takes note of a timestamp received from another replica, so that our next local event
    /// is ordered after it.
    pub fn observe(&mut self, remote: Hlc) {
        if remote > self.last {
            self.last = remote;
        }
    }

    /// How far `remote` is ahead of our physical time, if that is more than the drift bound.
    pub fn excess_drift(&self, remote: Hlc, time: &dyn Clock) -> Option<u64> {
        let ahead = remote.wall_ms.saturating_sub(time.now_ms());
        (ahead > self.max_drift_ms).then_some(ahead)
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn hlc_is_monotonic_when_the_wall_clock_goes_backwards() {
        let time = ManualClock::new(10_000);
        let mut clock = HlcClock::default();
        let first = clock.now(&time);
        time.set(5_000);
        let second = clock.now(&time);
        assert!(
            second > first,
            "a clock stepping back must not reorder events: {first:?} then {second:?}"
        );
        assert_eq!(
            second.wall_ms, 10_000,
            "the wall part stays at the highest time seen"
        );
    }

    #[test]
    fn logical_counter_orders_events_within_one_millisecond() {
        let time = ManualClock::new(7);
        let mut clock = HlcClock::default();
        let stamps: Vec<Hlc> = (0..3).map(|_| clock.now(&time)).collect();
        assert_eq!(
            stamps,
            vec![Hlc::new(7, 0), Hlc::new(7, 1), Hlc::new(7, 2)],
            "events in one millisecond are told apart by the logical part"
        );
        time.advance(1);
        assert_eq!(
            clock.now(&time),
            Hlc::new(8, 0),
            "a new millisecond resets the logical part"
        );
    }

    #[test]
    fn hlc_moves_past_an_observed_remote_time() {
        let time = ManualClock::new(1_000);
        let mut clock = HlcClock::default();
        let remote = Hlc::new(2_000, 5);
        clock.observe(remote);
        let next = clock.now(&time);
        assert!(
            next > remote,
            "a local edit after seeing {remote:?} must be ordered after it, got {next:?}"
        );
    }

    #[test]
    fn logical_overflow_rolls_into_the_next_millisecond() {
        let time = ManualClock::new(1);
        let mut clock = HlcClock::default();
        clock.observe(Hlc::new(1, u32::MAX));
        assert_eq!(
            clock.now(&time),
            Hlc::new(2, 0),
            "an exhausted logical counter must still give a strictly greater stamp"
        );
    }

    #[test]
    fn drift_beyond_the_bound_is_reported() {
        let time = ManualClock::new(1_000);
        let clock = HlcClock::new(100);
        assert_eq!(
            clock.excess_drift(Hlc::new(1_100, 0), &time),
            None,
            "exactly at the bound is fine"
        );
        assert_eq!(
            clock.excess_drift(Hlc::new(1_101, 0), &time),
            Some(101),
            "past the bound is reported with the amount"
        );
    }
}
