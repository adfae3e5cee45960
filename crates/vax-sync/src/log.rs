//! The op log: where a replica keeps every op it holds. The source of truth; the merged
//! [`crate::Replica`] can always be rebuilt from it.
//!
//! The ledger implements [`OpLog`] over SQLite so that a local write and its op are stored in
//! one transaction; [`MemoryOpLog`] is the in-memory implementation for tests and tools.

use std::collections::BTreeMap;
use std::convert::Infallible;

use crdts::{CmRDT, Dot, VClock};
use serde::{Serialize, Serializer};
use serde_json::value::RawValue;

use crate::ids::{OpId, ReplicaId};
use crate::op::Op;

/// An op as JSON text, the way a log stores it and a message carries it: exactly what
/// `serde_json::to_string(&op)` writes (ops re-serialise byte for byte, so the text a store
/// wrote once is the text every later encoding would write). A store that keeps op bodies as
/// text hands them on to a reply through [`OpLog::encoded_ops_after`] without parsing and
/// writing each op again.
#[derive(Debug, Clone)]
pub struct EncodedOp {
    /// The op's id (from the store's key columns, not from the text).
    pub id: OpId,
    json: Box<RawValue>,
}

impl EncodedOp {
    /// The text of an op in memory.
    pub fn of(op: &Op) -> Self {
        // Serialising an op cannot fail (see Message::encode): the fallback is unreachable.
        let json = serde_json::value::to_raw_value(op)
            .unwrap_or_else(|_| RawValue::from_string("null".to_owned()).expect("valid JSON"));
        Self { id: op.id, json }
    }

    /// The text a store holds for the op `id`, checked to be one JSON value (not parsed into
    /// an op: the receiver parses, verifies and refuses what is not an op).
    pub fn from_stored(id: OpId, text: String) -> Result<Self, serde_json::Error> {
        Ok(Self {
            id,
            json: RawValue::from_string(text)?,
        })
    }

    /// An op's text checked already (parsed into the op `id` names).
    pub(crate) fn from_raw(id: OpId, json: Box<RawValue>) -> Self {
        Self { id, json }
    }

    /// The JSON text.
    pub fn json(&self) -> &str {
        self.json.get()
    }

    /// Parses the text into the op.
    pub fn decode(&self) -> Result<Op, serde_json::Error> {
        serde_json::from_str(self.json.get())
    }
}

impl Serialize for EncodedOp {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        self.json.serialize(s)
    }
}

/// The narrow storage interface the protocol needs.
///
/// Implementations must keep each op exactly once, keyed by its id.
pub trait OpLog {
    /// A storage failure. The protocol reports it as retryable.
    type Error: std::error::Error + Send + Sync + 'static;

    /// The op with this id, if held.
    fn get(&self, id: &OpId) -> Result<Option<Op>, Self::Error>;

    /// Stores ops not held yet, all or none (one transaction). The caller has validated them
    /// and removed the ones already held.
    fn append(&mut self, ops: &[Op]) -> Result<(), Self::Error>;

    /// The highest counter held from `author` (0 if none): a local write takes the next one.
    fn last_counter(&self, author: ReplicaId) -> Result<u64, Self::Error>;

    /// For each author, the counter up to which every op is held (gaps stop it).
    fn seen(&self) -> Result<VClock<ReplicaId>, Self::Error>;

    /// Every author with at least one op held.
    fn authors(&self) -> Result<Vec<ReplicaId>, Self::Error>;

    /// A partial replica's server says this log holds every op of `author` in its scope up to
    /// `through` ([`crate::Message::covered`]): the author's `seen` moves there (never back),
    /// then on over the ops held just above it.
    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), Self::Error>;

    /// Up to `limit` ops of `author` with counters above `after`, in counter order.
    fn ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Op>, Self::Error>;

    /// The ranges `(first, last)` of counters of `author` held above `after`, in order. Asked
    /// only for authors with a gap (their last counter beyond the contiguous frontier), which
    /// is rare; this default reads the ops, a store may answer from an index.
    fn held_ranges_after(
        &self,
        author: ReplicaId,
        after: u64,
    ) -> Result<Vec<(u64, u64)>, Self::Error> {
        let counters = self.ops_after(author, after, usize::MAX)?;
        Ok(ranges_of(counters.iter().map(|op| op.id.counter)))
    }

    /// [`OpLog::ops_after`] as the ops' JSON text ([`EncodedOp`]), for a reply that ships the
    /// stored bytes. This default encodes the parsed ops; a store keeping bodies as text
    /// returns them as they are.
    fn encoded_ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EncodedOp>, Self::Error> {
        let ops = self.ops_after(author, after, limit)?;
        Ok(ops.iter().map(EncodedOp::of).collect())
    }
}

/// Ascending counters grouped into ranges `(first, last)` of consecutive ones.
pub fn ranges_of(counters: impl IntoIterator<Item = u64>) -> Vec<(u64, u64)> {
    let mut ranges: Vec<(u64, u64)> = Vec::new();
    for counter in counters {
        match ranges.last_mut() {
            Some((_, last)) if *last + 1 == counter => *last = counter,
            _ => ranges.push((counter, counter)),
        }
    }
    ranges
}

/// An op log in memory.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct MemoryOpLog {
    by_author: BTreeMap<ReplicaId, BTreeMap<u64, Op>>,
    seen: VClock<ReplicaId>,
    len: usize,
}

impl MemoryOpLog {
    /// An empty log.
    pub fn new() -> Self {
        Self::default()
    }

    /// How many ops are held.
    pub fn len(&self) -> usize {
        self.len
    }

    /// Whether no op is held.
    pub fn is_empty(&self) -> bool {
        self.len == 0
    }

    /// Every op, by author then counter.
    pub fn iter(&self) -> impl Iterator<Item = &Op> {
        self.by_author.values().flat_map(BTreeMap::values)
    }

    /// Moves `author`'s frontier to `through` if that is further, then over every op held
    /// just above it (a gap an op closed).
    fn advance_over_held(&mut self, author: ReplicaId, through: u64) {
        let mut frontier = self.seen.get(&author).max(through);
        if let Some(held) = self.by_author.get(&author) {
            while held.contains_key(&(frontier + 1)) {
                frontier += 1;
            }
        }
        self.seen.apply(Dot::new(author, frontier));
    }
}

impl OpLog for MemoryOpLog {
    type Error = Infallible;

    fn get(&self, id: &OpId) -> Result<Option<Op>, Infallible> {
        Ok(self
            .by_author
            .get(&id.replica)
            .and_then(|ops| ops.get(&id.counter))
            .cloned())
    }

    fn append(&mut self, ops: &[Op]) -> Result<(), Infallible> {
        for op in ops {
            let author = op.author();
            let held = self.by_author.entry(author).or_default();
            if held.insert(op.id.counter, op.clone()).is_none() {
                self.len += 1;
            }
            self.advance_over_held(author, 0);
        }
        Ok(())
    }

    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), Infallible> {
        self.advance_over_held(author, through);
        Ok(())
    }

    fn last_counter(&self, author: ReplicaId) -> Result<u64, Infallible> {
        Ok(self
            .by_author
            .get(&author)
            .and_then(|ops| ops.keys().next_back().copied())
            .unwrap_or(0))
    }

    fn seen(&self) -> Result<VClock<ReplicaId>, Infallible> {
        Ok(self.seen.clone())
    }

    fn authors(&self) -> Result<Vec<ReplicaId>, Infallible> {
        Ok(self.by_author.keys().copied().collect())
    }

    fn ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Op>, Infallible> {
        Ok(self
            .by_author
            .get(&author)
            .map(|ops| {
                ops.range(after.saturating_add(1)..)
                    .take(limit)
                    .map(|(_, op)| op.clone())
                    .collect()
            })
            .unwrap_or_default())
    }
}
