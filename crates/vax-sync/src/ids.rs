//! Identities that travel between replicas.

use std::fmt;

use serde::{Deserialize, Serialize};
use uuid::Uuid;

/// One installed app (or the server): the author of ops and the actor in version vectors.
///
/// Minted once at enrollment (UUIDv7 there; this crate never generates ids, so it needs no
/// randomness) and never reused: a reinstalled device is a new replica.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct ReplicaId(pub Uuid);

impl ReplicaId {
    /// A replica id from a fixed number: for tests, examples and fixtures.
    pub const fn from_u128(n: u128) -> Self {
        Self(Uuid::from_u128(n))
    }
}

impl fmt::Display for ReplicaId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// The identity of one op: its author and the author's counter (1, 2, 3, …).
///
/// Events (doses, check-ins, …) are identified by the op that recorded them, so a void names
/// its target by `OpId`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
pub struct OpId {
    /// Who wrote the op.
    pub replica: ReplicaId,
    /// The author's counter, from 1, without gaps in the author's own log.
    pub counter: u64,
}

impl fmt::Display for OpId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{}#{}", self.replica, self.counter)
    }
}

/// A time band (コマ) as HQ defined it.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct TimeBandId(pub Uuid);

impl TimeBandId {
    /// A band id from a fixed number: for tests, examples and fixtures.
    pub const fn from_u128(n: u128) -> Self {
        Self(Uuid::from_u128(n))
    }
}

impl fmt::Display for TimeBandId {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        self.0.fmt(f)
    }
}

/// A venue's short stable code (`V01`), as in [`vax_domain::venue::Venue::code`].
#[derive(Debug, Clone, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(transparent)]
pub struct VenueCode(pub String);

impl VenueCode {
    /// Wraps a code.
    pub fn new(code: impl Into<String>) -> Self {
        Self(code.into())
    }
}

impl fmt::Display for VenueCode {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        f.write_str(&self.0)
    }
}
