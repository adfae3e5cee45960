//! The server under load: how much one device may ask, and how long a request may take.
//!
//! Bodies are bounded before authentication (`api::authenticated_body`: no valid token, no
//! body read) and sync messages are decoded and verified outside the core's lock; these
//! limits add the rest. A device that syncs too often gets 429 `RATE_LIMITED` with a
//! `Retry-After`, which the client treats as a transient failure and retries later; a request
//! that takes longer than the timeout gets 503 `REQUEST_TIMEOUT` (a slow upload included).
//!
//! A request rate alone does not stop a device whose every request carries thousands of
//! valid ops: the cost is the ops, which the server merges under its lock and every other
//! device then pulls and verifies. So each device also has a budget of *ops* ([`OpsBudget`]):
//! a burst large enough for a day's backlog of the busiest desk, then a sustained rate far
//! above any desk's; beyond it, 429 `OPS_BUDGET_EXCEEDED` with a `Retry-After`, and the
//! client tries again at its next round (sync-server/README.md, "Ops budget").

use std::collections::HashMap;
use std::sync::Mutex;
use std::time::{Duration, Instant};

use vax_sync::{ReplicaId, Role, SyncState};

use crate::store::Device;

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
    /// Ops a device may send at once before [`Limits::ops_per_second`] applies: a day's
    /// backlog of the busiest desk (README, "Ops budget").
    pub ops_burst: u32,
    /// Ops per second a device may sustain.
    pub ops_per_second: f64,
    /// Ops of any one budgeted author per pull reply (0: not paced; [`paced`]).
    pub paced_ops_per_author: usize,
    /// Online lookups of residents ([`RateLimiter::for_lookups`]) a device may make at once
    /// before [`Limits::lookups_per_hour`] applies.
    pub lookup_burst: u32,
    /// Online lookups of residents per hour a device may sustain.
    pub lookups_per_hour: f64,
}

impl Default for Limits {
    fn default() -> Self {
        Self {
            burst: 60,
            per_second: 10.0,
            request_timeout: Duration::from_secs(30),
            ops_burst: DEFAULT_OPS_BURST,
            ops_per_second: DEFAULT_OPS_PER_SECOND,
            paced_ops_per_author: PACED_OPS_PER_AUTHOR,
            lookup_burst: DEFAULT_LOOKUP_BURST,
            lookups_per_hour: DEFAULT_LOOKUPS_PER_HOUR,
        }
    }
}

/// The default burst of resident lookups: a queue of walk-ins from other municipalities at
/// the start of a session (a venue near a border sees a few an hour).
pub const DEFAULT_LOOKUP_BURST: u32 = 20;
/// The default sustained rate of resident lookups: one every 30 s, 2,880 a day — a device
/// cannot page through a prefecture's residents (2.5 million; a voucher number is 10 digits
/// and would have to be guessed as well).
pub const DEFAULT_LOOKUPS_PER_HOUR: f64 = 120.0;

/// The default ops burst. The busiest reception desk of a Maizuru-sized venue checks in about
/// 600 residents a day at 3 ops each (check-in, its audit entry, the lookup's): 1,800 ops;
/// a booth's day is fewer. A desk offline all day sends them in one go.
pub const DEFAULT_OPS_BURST: u32 = 2_000;
/// The default sustained ops rate: 3,600 an hour, ten times a busy desk's ~6 a minute.
pub const DEFAULT_OPS_PER_SECOND: f64 = 1.0;

/// Ops of any one budget-limited author in one pull reply, by default ([`paced`]).
pub const PACED_OPS_PER_AUTHOR: usize = 250;

/// A reply's sync state, paced: at most `per_author` ops of any one device
/// whose ops are budgeted (every author but HQ and the server) per reply, so that a device
/// that sent its whole burst reaches every other device a page at a time, each page one short
/// hold of the server's lock between the other devices' exchanges; the reply says `more`
/// and the device comes back at once for the next page. HQ's ops are not paced: a venue's
/// first sync of the city still comes in full batches.
/// `per_author` 0 leaves the state as it is.
pub fn paced<'a>(
    state: SyncState,
    devices: impl IntoIterator<Item = &'a Device>,
    per_author: usize,
) -> SyncState {
    if per_author == 0 {
        return state;
    }
    let unpaced = devices
        .into_iter()
        .filter(|d| is_unlimited(d.role))
        .map(|d| d.replica_id);
    state.pacing_authors(per_author, unpaced)
}

/// Whether a device of `role` is beyond the limits: HQ (a handful of revocable devices that
/// publish a whole prefecture when they enroll, thousands of requests back to back) and the
/// server itself. Neither its request rate, nor its ops budget, nor the pacing of its ops in
/// replies applies.
pub fn is_unlimited(role: Role) -> bool {
    matches!(role, Role::Hq | Role::Server)
}

/// One bucket of ops per device. A message's ops are all charged or none; a message larger
/// than the burst passes when the bucket is full and leaves it in debt, so no honest message
/// is refused for ever.
#[derive(Debug)]
pub struct OpsBudget {
    burst: f64,
    per_second: f64,
    buckets: Mutex<HashMap<ReplicaId, Bucket>>,
}

impl OpsBudget {
    /// A budget with the limits' ops burst and rate.
    pub fn new(limits: &Limits) -> Self {
        Self {
            burst: f64::from(limits.ops_burst.max(1)),
            per_second: limits.ops_per_second.max(0.001),
            buckets: Mutex::new(HashMap::new()),
        }
    }

    /// Charges `ops` ops to `device` at `now`, or says how long until they fit. A message
    /// without ops (a pull, an introduction) costs nothing.
    pub fn take(&self, device: ReplicaId, ops: usize, now: Instant) -> Result<(), Duration> {
        self.take_all(&[(device, ops)], now)
    }

    /// Charges each author its ops at `now` — all of them, or none and the longest wait. A
    /// relay's message carries several devices' ops: each pays from its own budget.
    pub fn take_all(&self, charges: &[(ReplicaId, usize)], now: Instant) -> Result<(), Duration> {
        let mut buckets = self
            .buckets
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let mut wait = Duration::ZERO;
        for &(device, ops) in charges.iter().filter(|(_, ops)| *ops > 0) {
            let bucket = buckets.entry(device).or_insert(Bucket {
                tokens: self.burst,
                at: now,
            });
            let elapsed = now.saturating_duration_since(bucket.at).as_secs_f64();
            bucket.tokens = (bucket.tokens + elapsed * self.per_second).min(self.burst);
            bucket.at = now;
            let needed = (ops as f64).min(self.burst);
            if bucket.tokens < needed {
                let short = (needed - bucket.tokens) / self.per_second;
                wait = wait.max(Duration::from_secs_f64(short));
            }
        }
        if !wait.is_zero() {
            return Err(wait);
        }
        for &(device, ops) in charges {
            if let Some(bucket) = buckets.get_mut(&device) {
                bucket.tokens -= ops as f64;
            }
        }
        Ok(())
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
    /// A limiter of requests with the limits' burst and rate.
    pub fn new(limits: &Limits) -> Self {
        Self::with_rate(limits.burst, limits.per_second)
    }

    /// The one rule of online resident lookups (`GET /v1/residents/…`): every lookup a
    /// device makes, found or not, takes a token from its own bucket of
    /// [`Limits::lookup_burst`], refilled at [`Limits::lookups_per_hour`]. HQ and the server
    /// make none (`scope::may_look_up`), so no role is beyond it.
    pub fn for_lookups(limits: &Limits) -> Self {
        Self::with_rate(limits.lookup_burst, limits.lookups_per_hour / 3600.0)
    }

    fn with_rate(burst: u32, per_second: f64) -> Self {
        Self {
            burst: f64::from(burst.max(1)),
            per_second: per_second.max(0.000_001),
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

    fn budget(ops_burst: u32, ops_per_second: f64) -> OpsBudget {
        OpsBudget::new(&Limits {
            ops_burst,
            ops_per_second,
            ..Limits::default()
        })
    }

    #[test]
    fn a_days_backlog_of_the_busiest_desk_passes_at_once_with_the_defaults() {
        let budget = OpsBudget::new(&Limits::default());
        let desk = ReplicaId::from_u128(1);
        let t0 = Instant::now();
        // 600 check-ins of a day, 3 ops each, in the client's batches of 500.
        for batch in [500, 500, 500, 300] {
            assert_eq!(budget.take(desk, batch, t0), Ok(()));
        }
        // Pulls cost nothing, even with the budget spent.
        assert_eq!(budget.take(desk, 0, t0), Ok(()));
    }

    #[test]
    fn a_flooding_device_gets_its_burst_then_the_rate_and_the_others_keep_theirs() {
        let budget = budget(1_000, 10.0);
        let (flooder, other) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
        let t0 = Instant::now();
        for _ in 0..5 {
            assert_eq!(budget.take(flooder, 200, t0), Ok(()));
        }
        let wait = budget.take(flooder, 200, t0).expect_err("spent");
        assert_eq!(wait, Duration::from_secs(20));
        // All or nothing: the refused message took nothing.
        let later = t0 + Duration::from_secs(20);
        assert_eq!(budget.take(flooder, 200, later), Ok(()));
        assert!(budget.take(flooder, 1, later).is_err());
        assert_eq!(budget.take(other, 1_000, t0), Ok(()));
    }

    #[test]
    fn a_message_larger_than_the_burst_passes_on_a_full_bucket_and_leaves_a_debt() {
        let budget = budget(100, 10.0);
        let device = ReplicaId::from_u128(1);
        let t0 = Instant::now();
        assert_eq!(budget.take(device, 500, t0), Ok(()));
        // 400 in debt: 40 s before the next 100-op message.
        let wait = budget.take(device, 100, t0).expect_err("in debt");
        assert_eq!(wait, Duration::from_secs(50));
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
