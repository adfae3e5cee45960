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

/// Why a text is not an op id.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("{0:?} is not an op id (<replica uuid>#<counter>)")]
pub struct NotAnOpId(pub String);

impl std::str::FromStr for OpId {
    type Err = NotAnOpId;

    /// Reads the `Display` form back: the uid under which the ledger stores an event.
    fn from_str(s: &str) -> Result<Self, NotAnOpId> {
        let bad = || NotAnOpId(s.to_owned());
        let (replica, counter) = s.split_once('#').ok_or_else(bad)?;
        let counter: u64 = counter.parse().map_err(|_| bad())?;
        if counter == 0 {
            return Err(bad());
        }
        Ok(Self {
            replica: ReplicaId(Uuid::parse_str(replica).map_err(|_| bad())?),
            counter,
        })
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

    /// The id of the band that starts at `start` on `date` at `venue`: a band is that slot,
    /// so every replica derives the same id for it without asking anyone (UUIDv5).
    pub fn for_slot(venue: &VenueCode, date: chrono::NaiveDate, start: chrono::NaiveTime) -> Self {
        let name = format!("{}/{}/{}", venue.0, date, start.format("%H:%M"));
        Self(Uuid::new_v5(&BAND_NAMESPACE, name.as_bytes()))
    }
}

/// The UUIDv5 namespace of band ids (fixed forever: changing it renames every band).
const BAND_NAMESPACE: Uuid = Uuid::from_u128(0x6a1e_3f0c_8d2b_4c55_9e47_b1d0_2f6a_7c31);

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

#[cfg(test)]
mod tests {
    use super::*;
    use chrono::{NaiveDate, NaiveTime};

    #[test]
    fn an_op_id_reads_back_from_its_text_and_nothing_else_does() {
        let id = OpId {
            replica: ReplicaId::from_u128(7),
            counter: 42,
        };
        assert_eq!(id.to_string().parse::<OpId>(), Ok(id));
        for bad in [
            "",
            "#1",
            "0190-xyz#1",
            "00000000-0000-0000-0000-000000000007#0",
            "00000000-0000-0000-0000-000000000007",
        ] {
            assert!(bad.parse::<OpId>().is_err(), "{bad}");
        }
    }

    #[test]
    fn a_band_id_is_derived_from_its_slot_alone() {
        let day = NaiveDate::from_ymd_opt(2021, 6, 1).expect("date");
        let nine = NaiveTime::from_hms_opt(9, 0, 0).expect("time");
        let v01 = VenueCode::new("V01");
        assert_eq!(
            TimeBandId::for_slot(&v01, day, nine),
            TimeBandId::for_slot(&v01, day, nine)
        );
        assert_ne!(
            TimeBandId::for_slot(&v01, day, nine),
            TimeBandId::for_slot(&VenueCode::new("V02"), day, nine)
        );
        assert_ne!(
            TimeBandId::for_slot(&v01, day, nine),
            TimeBandId::for_slot(&v01, day, NaiveTime::from_hms_opt(9, 30, 0).expect("time"))
        );
    }
}
