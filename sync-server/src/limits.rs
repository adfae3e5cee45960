//! The server under load: how much one device may ask, and how long a request may take.
//!
//! Bodies are bounded before authentication (`api::authenticated_body`: no valid token, no
//! body read) and sync messages are decoded and verified outside the core's lock; these
//! limits add the rest. A device that syncs too often gets 429 `RATE_LIMITED` with a
//! `Retry-After`, which the client treats as a transient failure and retries later; a request
//! that takes longer than the timeout gets 503 `REQUEST_TIMEOUT` (a slow upload included).

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vax_sync::ReplicaId;

/// The limits of one server (command-line flags of `vaxsync serve`).
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Limits {
    /// Requests a device may make at once before the rate applies (a first sync of a
    /// 65,000-resident city is about 50 round trips back to back).
    pub burst: u32,
    /// Requests per second a device may sustain.
    pub per_second: f64,
    /// Longest time a request may take, from its headers to its reply (its body's upload
    /// included: a client that trickles a body is cut off).
    pub request_timeout: Duration,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            burst: 60,
            per_second: 10.0,
            request_timeout: Duration::from_secs(30),
        }
    }
}

/// One token bucket per device: `burst` tokens, refilled at `per_second`; a request takes one.
#[derive(Debug)]
pub struct RateLimiter {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<ReplicaId, Bucket>>,
}

#[derive(Debug, Clone, Copy)]
struct Bucket {
    tokens: f64,
    at: Instant,
}

impl RateLimiter {
    /// A limiter with the given burst and rate.
    pub fn new(limits: &Limits) -> Self {
        Self {
            burst: f64::from(limits.burst.max(1)),
            per_second: limits.per_second.max(0.001),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Takes a token for `device` at `now`, or says how long until one is free.
    pub fn take(&self, device: ReplicaId, now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let bucket = buckets.entry(device).or_insert(Bucket {
            tokens: self.burst,
            at: now,
        });
        let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
        bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
        bucket.at = now;
        if bucket.tokens >= 1.0 {
            bucket.tokens -= 1.0;
            Ok(())
        } else {
            Err(Duration::from_secs_f64(
                (1.0 - bucket.tokens) / self.per_second,
            ))
        }
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn limiter(burst: u32, per_second: f64) -> RateLimiter {
        RateLimiter::new(&Limits {
            burst,
            per_second,
            ..Limits::default()
        })
    }

    #[test]
    fn a_device_gets_its_burst_then_the_rate() {
        let limiter = limiter(3, 2.0);
        let device = ReplicaId::from_u128(1);
        let t0 = Instant::now();
        for _ in 0..3 {
            assert_eq!(limiter.take(device, t0), Ok(()));
        }
        let wait = limiter.take(device, t0).expect_err("the burst is spent");
        assert_eq!(wait, Duration::from_millis(500));
        // Half a second later one token is back, and only one.
        let later = t0 + Duration::from_millis(500);
        assert_eq!(limiter.take(device, later), Ok(()));
        assert!(limiter.take(device, later).is_err());
    }

    #[test]
    fn one_device_flooding_leaves_the_others_their_own_buckets() {
        let limiter = limiter(2, 1.0);
        let t0 = Instant::now();
        let flooder = ReplicaId::from_u128(1);
        while limiter.take(flooder, t0).is_ok() {}
        assert_eq!(limiter.take(ReplicaId::from_u128(2), t0), Ok(()));
    }

    #[test]
    fn a_bucket_never_holds_more_than_the_burst() {
        let limiter = limiter(2, 100.0);
        let device = ReplicaId::from_u128(1);
        let t0 = Instant::now();
        limiter.take(device, t0).expect("first");
        let much_later = t0 + Duration::from_secs(3_600);
        assert!(limiter.take(device, much_later).is_ok());
        assert!(limiter.take(device, much_later).is_ok());
        assert!(limiter.take(device, much_later).is_err());
    }
}
