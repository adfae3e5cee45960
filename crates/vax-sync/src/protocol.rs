//! The sync protocol's messages, per-peer state and errors. The functions that drive it live
//! on [`crate::SyncNode`]; nothing here does I/O.

use std::collections::{BTreeMap, BTreeSet};

use crdts::{CvRDT, VClock};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::ids::{OpId, ReplicaId};
use crate::invariants::Alert;
use crate::log::EncodedOp;
use crate::op::{InvalidOp, Op};
use crate::signing::{KeyError, PublicKey};

/// The protocol version this crate speaks. 3: ops are signed and messages carry their
/// authors' public keys (docs/sync-spec.md §3a);
/// stock events carry the venue manager's vial records (§ stock). 4: bus rides reach the
/// venues and their marks come back (`define_rides`, `mark_ride`, §11).
pub const PROTOCOL_VERSION: u16 = 4;
/// How far beyond the highest counter held from an author a received op of that author may
/// be numbered. A message carries at most [`MAX_OPS_PER_MESSAGE`] ops, and an author's gaps
/// are its quarantined ops (a handful); a counter far beyond would make the author's frontier
/// meaningless, or burn its counter space.
pub const MAX_COUNTER_JUMP: u64 = 2 * MAX_OPS_PER_MESSAGE as u64;
/// Ops per message when the caller does not choose.
pub const DEFAULT_BATCH_SIZE: usize = 1_000;
/// The most ops a message may carry; more is refused as oversized.
pub const MAX_OPS_PER_MESSAGE: usize = 5_000;
/// The most bytes [`Message::decode`] reads (8 MiB).
pub const MAX_MESSAGE_BYTES: usize = 8 * 1024 * 1024;

/// One message from one replica to another.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
pub struct Message {
    /// [`PROTOCOL_VERSION`] of the sender.
    pub protocol: u16,
    /// The sender.
    pub from: ReplicaId,
    /// What the sender holds: for each author, the counter up to which it holds every op.
    /// It also acknowledges everything the receiver sent before.
    pub seen: VClock<ReplicaId>,
    /// Ops the sender holds beyond the receiver's last known `seen`.
    pub ops: Vec<Op>,
    /// Whether the sender has more ops queued for the receiver.
    pub more: bool,
    /// The public keys of the authors of `ops`, as the sender knows them. A receiver takes
    /// them only from a peer it trusts for keys ([`SyncState::trusting_peer_keys`]: a device
    /// trusts the server that enrolled it); the server uses the keys registered at enrollment.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<ReplicaId, PublicKey>,
    /// For authors with a gap above `seen` (an op its author quarantined never arrives), the
    /// ranges `(first, last)` of counters the sender holds beyond its `seen`: the receiver
    /// does not send those again.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub beyond: BTreeMap<ReplicaId, Vec<(u64, u64)>>,
    /// For a partial replica (docs/sync-spec.md §7b), from the server only: for each author,
    /// the counter through which the receiver now holds every op of its scope (this message's
    /// ops and those it held). The receiver's `seen` moves there, over the counters outside
    /// its scope that it will never hold. Absent for a whole replica.
    #[serde(default, skip_serializing_if = "BTreeMap::is_empty")]
    pub covered: BTreeMap<ReplicaId, u64>,
}

impl Message {
    /// JSON bytes for the wire.
    pub fn encode(&self) -> Vec<u8> {
        // Serialising these plain data types cannot fail (no maps with non-string keys, no
        // failing Serialize impls), so an empty fallback is unreachable in practice.
        serde_json::to_vec(self).unwrap_or_default()
    }

    /// Reads a message from the wire, refusing oversized input before parsing it.
    pub fn decode(bytes: &[u8]) -> Result<Self, SyncError> {
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(SyncError::TooLarge {
                bytes: bytes.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        serde_json::from_slice(bytes).map_err(|e| SyncError::Malformed(e.to_string()))
    }

    /// [`Message::decode`], also keeping each op's JSON text as it came, so that a receiver
    /// stores it without encoding the parsed op again ([`EncodedOp`], in the order of `ops`).
    /// The same input is accepted and refused as by [`Message::decode`].
    pub fn decode_with_texts(bytes: &[u8]) -> Result<(Self, Vec<EncodedOp>), SyncError> {
        /// [`Message`] with its ops left as text.
        #[derive(Deserialize)]
        struct Wire<'a> {
            protocol: u16,
            from: ReplicaId,
            seen: VClock<ReplicaId>,
            #[serde(borrow)]
            ops: Vec<&'a serde_json::value::RawValue>,
            more: bool,
            #[serde(default)]
            keys: BTreeMap<ReplicaId, PublicKey>,
            #[serde(default)]
            beyond: BTreeMap<ReplicaId, Vec<(u64, u64)>>,
            #[serde(default)]
            covered: BTreeMap<ReplicaId, u64>,
        }
        if bytes.len() > MAX_MESSAGE_BYTES {
            return Err(SyncError::TooLarge {
                bytes: bytes.len(),
                limit: MAX_MESSAGE_BYTES,
            });
        }
        let malformed = |e: serde_json::Error| SyncError::Malformed(e.to_string());
        let wire: Wire<'_> = serde_json::from_slice(bytes).map_err(malformed)?;
        let mut ops = Vec::with_capacity(wire.ops.len());
        let mut texts = Vec::with_capacity(wire.ops.len());
        for text in wire.ops {
            let op: Op = serde_json::from_str(text.get()).map_err(malformed)?;
            texts.push(EncodedOp::from_raw(op.id, text.to_owned()));
            ops.push(op);
        }
        let message = Self {
            protocol: wire.protocol,
            from: wire.from,
            seen: wire.seen,
            ops,
            more: wire.more,
            keys: wire.keys,
            beyond: wire.beyond,
            covered: wire.covered,
        };
        Ok((message, texts))
    }
}

/// A [`Message`] whose ops are the JSON text their log stores ([`EncodedOp`]): what a server
/// replies with, so that an op read from the store is written to the wire without being
/// parsed and encoded again. It encodes to exactly the bytes the same [`Message`] encodes to
/// (same fields, same order), so the receiver reads it with [`Message::decode`]: the wire
/// format and protocol version do not change.
#[derive(Debug, Clone, Serialize)]
pub struct EncodedMessage {
    /// As [`Message::protocol`].
    pub protocol: u16,
    /// As [`Message::from`].
    pub from: ReplicaId,
    /// As [`Message::seen`].
    pub seen: VClock<ReplicaId>,
    /// As [`Message::ops`], as text.
    pub ops: Vec<EncodedOp>,
    /// As [`Message::more`].
    pub more: bool,
    /// As [`Message::keys`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub keys: BTreeMap<ReplicaId, PublicKey>,
    /// As [`Message::beyond`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub beyond: BTreeMap<ReplicaId, Vec<(u64, u64)>>,
    /// As [`Message::covered`].
    #[serde(skip_serializing_if = "BTreeMap::is_empty")]
    pub covered: BTreeMap<ReplicaId, u64>,
}

impl EncodedMessage {
    /// JSON bytes for the wire, the stored op texts copied in.
    pub fn encode(&self) -> Vec<u8> {
        // As Message::encode: plain data, and every op text is one JSON value already.
        serde_json::to_vec(self).unwrap_or_default()
    }
}

/// What one side knows about one peer during a session.
///
/// Start a fresh one for each connection: it then begins by both sides telling each other what
/// they hold, so it can be dropped at any time without losing anything. Keeping one across
/// sessions saves that round trip, but only while the peer's storage is durable: what the peer
/// acknowledged is never asked again.
#[derive(Debug, Clone, PartialEq)]
pub struct SyncState {
    pub(crate) peer: Option<ReplicaId>,
    pub(crate) their_seen: Option<VClock<ReplicaId>>,
    /// How far our sends have gone: ops up to here are assumed on their way.
    pub(crate) sent: VClock<ReplicaId>,
    /// The `seen` and `beyond` we last told the peer, so we do not repeat ourselves.
    #[allow(clippy::type_complexity)]
    pub(crate) told: Option<(VClock<ReplicaId>, BTreeMap<ReplicaId, Vec<(u64, u64)>>)>,
    /// The ranges the peer last said it holds beyond its `seen`.
    pub(crate) their_beyond: BTreeMap<ReplicaId, Vec<(u64, u64)>>,
    pub(crate) batch_size: usize,
    /// Whether the peer's `keys` are taken as the authors' keys.
    pub(crate) trusts_peer_keys: bool,
    /// Ops never to send to this peer: the ones it refused (quarantined on this device).
    pub(crate) skip: BTreeSet<OpId>,
    /// At most this many ops of any one author per message, except the authors listed
    /// ([`SyncState::pacing_authors`]); `None`: no per-author bound.
    pub(crate) pace: Option<(usize, BTreeSet<ReplicaId>)>,
    /// Whether messages to this peer say what they cover ([`SyncState::reporting_covered`]).
    pub(crate) reports_covered: bool,
    /// Whether the message taken is a lookup's reply ([`SyncState::taking_a_lookup`]).
    pub(crate) lookup: bool,
}

impl Default for SyncState {
    fn default() -> Self {
        Self::new()
    }
}

impl SyncState {
    /// A state for a peer we know nothing about yet; the first message fixes who it is.
    pub fn new() -> Self {
        Self {
            peer: None,
            their_seen: None,
            sent: VClock::new(),
            told: None,
            their_beyond: BTreeMap::new(),
            batch_size: DEFAULT_BATCH_SIZE,
            trusts_peer_keys: false,
            skip: BTreeSet::new(),
            pace: None,
            reports_covered: false,
            lookup: false,
        }
    }

    /// Tells the peer, with each message, how far it now holds every op of its scope
    /// ([`Message::covered`]): the server's state for a partial replica, whose ops are read
    /// through a fetch that returns only the ops in its scope.
    pub fn reporting_covered(mut self) -> Self {
        self.reports_covered = true;
        self
    }

    /// Takes the authors' public keys from this peer's messages: for a device's state for the
    /// server that enrolled it (the server registered every key at enrollment). A key already
    /// known is never replaced.
    pub fn trusting_peer_keys(mut self) -> Self {
        self.trusts_peer_keys = true;
        self
    }

    /// Takes one resident's record from the server trusted for keys (the online lookup of a
    /// walk-in from another municipality, docs/sync-spec.md §7b): its ops lie anywhere in
    /// their authors' numbering — a partial replica's frontier has passed most of them and it
    /// may hold no op of their authors — so the counter-jump bound does not apply to them
    /// (the server held and checked them; their signatures are verified as always). It covers
    /// nothing: the frontier moves only over ops held without a gap.
    pub fn taking_a_lookup(mut self) -> Self {
        self.lookup = true;
        self
    }

    /// Never sends this op to the peer again (it refused it; the device quarantined it).
    pub fn skip(&mut self, op: OpId) {
        self.skip.insert(op);
    }

    /// A state for a known peer: messages from anyone else are refused.
    pub fn for_peer(peer: ReplicaId) -> Self {
        Self {
            peer: Some(peer),
            ..Self::new()
        }
    }

    /// Sets how many ops one message carries at most (clamped to 1..=[`MAX_OPS_PER_MESSAGE`]).
    pub fn with_batch_size(mut self, batch_size: usize) -> Self {
        self.batch_size = batch_size.clamp(1, MAX_OPS_PER_MESSAGE);
        self
    }

    /// Carries at most `per_author` ops of any one author per message, except those of the
    /// `unpaced` authors (the sync server's replies: a flooding device's thousands of valid
    /// ops reach every other device a page at a time, between their other exchanges, while
    /// HQ's city still travels in full batches). The message says `more` when an author was
    /// cut short, so the peer comes back for the rest.
    pub fn pacing_authors(
        mut self,
        per_author: usize,
        unpaced: impl IntoIterator<Item = ReplicaId>,
    ) -> Self {
        self.pace = Some((per_author.max(1), unpaced.into_iter().collect()));
        self
    }

    /// The peer, once known.
    pub fn peer(&self) -> Option<ReplicaId> {
        self.peer
    }

    /// What the peer last said it holds.
    pub fn their_seen(&self) -> Option<&VClock<ReplicaId>> {
        self.their_seen.as_ref()
    }

    /// Forget what was sent but not acknowledged, and what we told: call it when a transport
    /// call failed or timed out, so the next message resends from the peer's last ack.
    pub fn reset_in_flight(&mut self) {
        self.sent = self.their_seen.clone().unwrap_or_default();
        self.told = None;
    }

    pub(crate) fn note_their_seen(&mut self, seen: &VClock<ReplicaId>) {
        // Messages may arrive reordered: an older `seen` must not move our knowledge back.
        match &mut self.their_seen {
            Some(theirs) => theirs.merge(seen.clone()),
            None => self.their_seen = Some(seen.clone()),
        }
        self.sent.merge(seen.clone());
    }
}

/// What [`crate::SyncNode::receive_message`] did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Applied {
    /// Ops new to us, stored and applied.
    pub new_ops: usize,
    /// Ops we already held (duplicate or overlapping deliveries).
    pub duplicates: usize,
    /// The alerts that involve a record this message brought or changed, checked after the
    /// merge (open ones too, not only new ones). [`crate::Replica::invariants`] gives them all.
    pub alerts: Vec<Alert>,
    /// Public keys this message taught us (from a peer trusted for keys): the caller stores
    /// them with the ops, so that a restarted replica knows them.
    pub learned_keys: Vec<(ReplicaId, PublicKey)>,
}

/// Why a message was refused. A refused message changes nothing.
#[derive(Debug, Error)]
pub enum SyncError {
    /// More bytes than [`MAX_MESSAGE_BYTES`].
    #[error("message of {bytes} bytes is over the {limit}-byte limit")]
    TooLarge {
        /// Size received.
        bytes: usize,
        /// The limit.
        limit: usize,
    },
    /// More ops than [`MAX_OPS_PER_MESSAGE`].
    #[error("message carries {count} ops, over the limit of {limit}")]
    TooManyOps {
        /// Ops received.
        count: usize,
        /// The limit.
        limit: usize,
    },
    /// Not a message (bad JSON, a field of the wrong shape, a bad voucher number).
    #[error("malformed message: {0}")]
    Malformed(String),
    /// A protocol version we do not speak.
    #[error("protocol version {got} is not supported (this replica speaks {supported})")]
    UnsupportedProtocol {
        /// The sender's version.
        got: u16,
        /// Ours.
        supported: u16,
    },
    /// The message did not come from the peer this state belongs to.
    #[error("message from {got}, expected {expected}")]
    WrongPeer {
        /// The peer of this sync state (or ourselves).
        expected: ReplicaId,
        /// The sender.
        got: ReplicaId,
    },
    /// An op failed validation.
    #[error("op {op} is invalid: {source}")]
    InvalidOp {
        /// The op.
        op: OpId,
        /// Why.
        source: InvalidOp,
    },
    /// An op id we hold already arrived with other content: a broken or malicious replica.
    #[error("op {op} arrived with different content than the op held under that id")]
    ConflictingOp {
        /// The op id.
        op: OpId,
    },
    /// An op whose author's public key this replica does not know.
    #[error("op {op}: no public key is known for its author")]
    UnknownSigner {
        /// The op.
        op: OpId,
    },
    /// An op without a signature, or whose signature its author's key did not make: forged
    /// or altered on the way.
    #[error("op {op} is not signed by its author's key")]
    BadSignature {
        /// The op.
        op: OpId,
    },
    /// The peer named another key for a replica whose key we know.
    #[error(transparent)]
    Key(#[from] KeyError),
    /// An op numbered far beyond what we hold of its author ([`MAX_COUNTER_JUMP`]).
    #[error("op {op} jumps past counter {held} held from its author (limit {MAX_COUNTER_JUMP})")]
    CounterJump {
        /// The op.
        op: OpId,
        /// The highest counter held from the author.
        held: u64,
    },
    /// An op stamped further ahead of our clock than the bound
    /// ([`crate::hlc::MAX_CLOCK_AHEAD_MS`]): refused, not observed.
    #[error("op {op} is {ahead_ms} ms ahead of this replica's clock (limit {limit_ms} ms)")]
    ClockAhead {
        /// The op.
        op: OpId,
        /// How far ahead.
        ahead_ms: u64,
        /// The bound.
        limit_ms: u64,
    },
    /// The op log failed.
    #[error("op log: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

impl SyncError {
    /// The op the refusal is about, when one op is to blame (the device quarantines it).
    pub fn op(&self) -> Option<OpId> {
        match self {
            Self::InvalidOp { op, .. }
            | Self::ConflictingOp { op }
            | Self::UnknownSigner { op }
            | Self::BadSignature { op }
            | Self::CounterJump { op, .. }
            | Self::ClockAhead { op, .. } => Some(*op),
            Self::TooLarge { .. }
            | Self::TooManyOps { .. }
            | Self::Malformed(_)
            | Self::UnsupportedProtocol { .. }
            | Self::WrongPeer { .. }
            | Self::Key(_)
            | Self::Storage(_) => None,
        }
    }
}

impl SyncError {
    /// Whether sending the same message again later may succeed: storage hiccups, and a clock
    /// that is ahead (time catches up, or the device's clock gets fixed). Everything else is
    /// wrong with the message itself and will fail the same way again.
    pub fn is_retryable(&self) -> bool {
        matches!(self, Self::Storage(_) | Self::ClockAhead { .. })
    }

    /// The opposite of [`SyncError::is_retryable`].
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }
}
