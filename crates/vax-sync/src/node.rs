//! [`SyncNode`]: one replica's identity, clock and merged state, and the protocol steps that
//! tie them to an [`OpLog`].

use std::collections::{BTreeMap, HashMap};

use thiserror::Error;

use crate::hlc::{Clock, HlcClock};
use crate::ids::{OpId, ReplicaId};
use crate::invariants::Touched;
use crate::log::{EncodedOp, OpLog};
use crate::op::{InvalidOp, Op, OpKind};
use crate::protocol::{
    Applied, EncodedMessage, Message, SyncError, SyncState, MAX_COUNTER_JUMP, MAX_MESSAGE_BYTES,
    MAX_OPS_PER_MESSAGE, PROTOCOL_VERSION,
};
use crate::replica::Replica;
use crate::roles::{may_emit, Role};
use crate::signing::{DeviceKey, KeyError, KeyRing, PublicKey};
use crate::verification::{first_unverified, VerifiedMessage};

/// Why a local write was refused. A refused write stores nothing.
#[derive(Debug, Error)]
pub enum WriteError {
    /// This replica's role may not make this change.
    #[error("a {role:?} replica may not write {kind}")]
    NotPermitted {
        /// Our role.
        role: Role,
        /// The op kind's name.
        kind: &'static str,
    },
    /// The op is malformed.
    #[error("invalid op: {0}")]
    Invalid(#[from] InvalidOp),
    /// This replica has no signing key, so it cannot write an op anyone would accept.
    #[error("this replica has no signing key (enroll it again)")]
    NoSigningKey,
    /// The op log failed.
    #[error("op log: {0}")]
    Storage(#[source] Box<dyn std::error::Error + Send + Sync>),
}

/// One replica: who it is, its clock, its merged state, its signing key and the public keys
/// of the authors it accepts ops from.
///
/// The op log is passed to each call rather than owned, so the ledger can hand in a log bound
/// to the SQLite transaction that also holds the local write.
#[derive(Debug, Clone)]
pub struct SyncNode {
    id: ReplicaId,
    role: Role,
    clock: HlcClock,
    replica: Replica,
    signer: Option<DeviceKey>,
    keys: KeyRing,
}

impl SyncNode {
    /// A fresh replica with an empty state and the default drift bound.
    pub fn new(id: ReplicaId, role: Role) -> Self {
        Self::with_clock(id, role, HlcClock::default())
    }

    /// A fresh replica with the given clock (to set the drift bound).
    pub fn with_clock(id: ReplicaId, role: Role, clock: HlcClock) -> Self {
        Self {
            id,
            role,
            clock,
            replica: Replica::new(),
            signer: None,
            keys: KeyRing::new(),
        }
    }

    /// The same replica signing its ops with `key` (a device; the server signs nothing).
    /// Its own public key joins the ring.
    pub fn with_signing_key(mut self, key: DeviceKey) -> Result<Self, KeyError> {
        self.keys.insert(self.id, key.public())?;
        self.signer = Some(key);
        Ok(self)
    }

    /// Accepts ops signed by `key` as `replica`'s. A replica's key never changes: another key
    /// for a known replica is refused.
    pub fn add_key(&mut self, replica: ReplicaId, key: PublicKey) -> Result<(), KeyError> {
        self.keys.insert(replica, key)
    }

    /// The public keys this replica verifies ops with.
    pub fn keys(&self) -> &KeyRing {
        &self.keys
    }

    /// Rebuilds a replica from its log, e.g. at start-up or after a failed transaction.
    pub fn restore<L: OpLog + ?Sized>(
        id: ReplicaId,
        role: Role,
        clock: HlcClock,
        log: &L,
    ) -> Result<Self, L::Error> {
        let mut node = Self::with_clock(id, role, clock);
        for author in log.authors()? {
            for op in log.ops_after(author, 0, usize::MAX)? {
                node.replica.apply(&op);
                node.clock.observe(op.hlc);
            }
        }
        Ok(node)
    }

    /// Merges an op the log already holds, stored by another process sharing the log (a
    /// second server in front of one database) after that process verified it.
    pub fn absorb_stored(&mut self, op: &Op) {
        self.replica.apply(op);
        self.clock.observe(op.hlc);
    }

    /// Our id.
    pub fn id(&self) -> ReplicaId {
        self.id
    }

    /// Our role.
    pub fn role(&self) -> Role {
        self.role
    }

    /// The merged state.
    pub fn replica(&self) -> &Replica {
        &self.replica
    }

    /// Our clock.
    pub fn clock(&self) -> &HlcClock {
        &self.clock
    }

    /// Makes a local change: checks the role, numbers the op after the last one in the log,
    /// stamps it, stores it and applies it.
    ///
    /// For a [`OpKind::Book`], the booking's causal context is filled in here from what this
    /// replica holds, whatever the caller put there.
    pub fn write<L: OpLog + ?Sized>(
        &mut self,
        log: &mut L,
        mut kind: OpKind,
        time: &dyn Clock,
    ) -> Result<Op, WriteError> {
        if !may_emit(self.role, &kind) {
            return Err(WriteError::NotPermitted {
                role: self.role,
                kind: kind.name(),
            });
        }
        if let OpKind::Book(b) = &mut kind {
            b.clock = self
                .replica
                .booking_write_clock(&b.resident, b.dose_number, self.id);
        }
        // Numbering from the log (not from a counter in memory) means a write whose transaction
        // rolled back leaves no gap: the next write takes the same number.
        let signer = self.signer.as_ref().ok_or(WriteError::NoSigningKey)?;
        let counter = log.last_counter(self.id).map_err(storage_w)? + 1;
        let id = OpId {
            replica: self.id,
            counter,
        };
        let op = Op::signed(id, self.clock.now(time), kind, signer);
        op.validate()?;
        log.append(std::slice::from_ref(&op)).map_err(storage_w)?;
        self.replica.apply(&op);
        Ok(op)
    }

    /// The next message for a peer, or `None` when we have nothing it lacks and nothing new to
    /// tell it. Call it until it returns `None`, sending each message.
    pub fn generate_message<L: OpLog + ?Sized>(
        &self,
        log: &L,
        sync: &mut SyncState,
    ) -> Result<Option<Message>, SyncError> {
        let next = self.generate_with(
            log,
            sync,
            |author, after, limit| log.ops_after(author, after, limit),
            |op: &Op| op.id,
            encoded_len,
        )?;
        Ok(next.map(|next| Message {
            protocol: PROTOCOL_VERSION,
            from: self.id,
            seen: next.seen,
            ops: next.ops,
            more: next.more,
            keys: next.keys,
            beyond: next.beyond,
            covered: next.covered,
        }))
    }

    /// [`SyncNode::generate_message`] with the ops as the JSON text the log stores
    /// ([`OpLog::encoded_ops_after`]): the same message, same bytes on the wire, without
    /// parsing and encoding every op again (a server's reply to a new device carries the
    /// whole ledger).
    pub fn generate_encoded<L: OpLog + ?Sized>(
        &self,
        log: &L,
        sync: &mut SyncState,
    ) -> Result<Option<EncodedMessage>, SyncError> {
        self.generate_encoded_from(log, sync, |author, after, limit| {
            log.encoded_ops_after(author, after, limit)
        })
    }

    /// [`SyncNode::generate_encoded`] reading the ops through `fetch` (as
    /// [`OpLog::encoded_ops_after`]): the server's reply to a partial replica passes one that
    /// returns only the ops of its scope, with [`SyncState::reporting_covered`].
    pub fn generate_encoded_from<L: OpLog + ?Sized>(
        &self,
        log: &L,
        sync: &mut SyncState,
        fetch: impl Fn(ReplicaId, u64, usize) -> Result<Vec<EncodedOp>, L::Error>,
    ) -> Result<Option<EncodedMessage>, SyncError> {
        let next = self.generate_with(
            log,
            sync,
            fetch,
            |op: &EncodedOp| op.id,
            |op: &EncodedOp| op.json().len(),
        )?;
        Ok(next.map(|next| EncodedMessage {
            protocol: PROTOCOL_VERSION,
            from: self.id,
            seen: next.seen,
            ops: next.ops,
            more: next.more,
            keys: next.keys,
            beyond: next.beyond,
            covered: next.covered,
        }))
    }

    /// The message logic of both encodings: which ops the peer lacks, in batches bounded by
    /// count and bytes; `fetch` reads them, `id_of` and `size_of` look at one.
    fn generate_with<L, T, E>(
        &self,
        log: &L,
        sync: &mut SyncState,
        fetch: impl Fn(ReplicaId, u64, usize) -> Result<Vec<T>, E>,
        id_of: impl Fn(&T) -> OpId,
        size_of: impl Fn(&T) -> usize,
    ) -> Result<Option<Next<T>>, SyncError>
    where
        L: OpLog<Error = E> + ?Sized,
        E: std::error::Error + Send + Sync + 'static,
    {
        let seen = log.seen().map_err(storage)?;
        let beyond = held_beyond(log, &seen)?;
        let mut ops: Vec<T> = Vec::new();
        let mut more = false;
        let mut covered = BTreeMap::new();
        // Until the peer has told us what it holds we only introduce ourselves: sending
        // everything blind could resend the whole log.
        if let Some(theirs) = &sync.their_seen {
            // Bytes as well as ops are bounded: a batch of long inquiry notes must still decode
            // under MAX_MESSAGE_BYTES on the other side. A quarter is left for the envelope
            // (the `seen` vector grows with the number of replicas).
            let mut budget = MAX_MESSAGE_BYTES / 4 * 3;
            'authors: for author in log.authors().map_err(storage)? {
                let peer_holds = sync.their_beyond.get(&author);
                let start = theirs.get(&author).max(sync.sent.get(&author));
                let mut cursor = start;
                // Nothing of this author's beyond what the peer holds: no read of the log (a
                // query per author and exchange on a database server).
                let last = log.last_counter(author).map_err(storage)?;
                if last <= cursor {
                    continue;
                }
                // For a partial replica: the counter through which every op `fetch` returns
                // (those of its scope) is in this message or held by the peer.
                let mut through = start;
                let author_limit = match &sync.pace {
                    Some((per_author, unpaced)) if !unpaced.contains(&author) => *per_author,
                    _ => usize::MAX,
                };
                let mut of_author = 0usize;
                let cut = 'chunks: loop {
                    if of_author >= author_limit {
                        // Paced: the rest of this author's ops go in later messages.
                        more = true;
                        break 'chunks Cut::Author;
                    }
                    let room = (sync.batch_size - ops.len()).min(author_limit - of_author);
                    // One op beyond the room tells us whether more remain without a second
                    // query.
                    let batch = fetch(author, cursor, room + 1).map_err(storage)?;
                    let exhausted = batch.len() <= room;
                    for op in batch {
                        let id = id_of(&op);
                        cursor = id.counter;
                        // Above a gap the peer may hold ranges already: jump over them.
                        if let Some(&(_, end)) = peer_holds.and_then(|ranges| {
                            ranges
                                .iter()
                                .find(|(lo, hi)| (*lo..=*hi).contains(&id.counter))
                        }) {
                            cursor = end;
                            through = end;
                            continue 'chunks;
                        }
                        if sync.skip.contains(&id) {
                            sync.sent.apply_dot(author, id.counter);
                            through = id.counter;
                            continue;
                        }
                        if of_author == author_limit {
                            more = true;
                            break 'chunks Cut::Author;
                        }
                        let size = size_of(&op);
                        if ops.len() == sync.batch_size || (size > budget && !ops.is_empty()) {
                            more = true;
                            break 'chunks Cut::Message;
                        }
                        budget = budget.saturating_sub(size);
                        sync.sent.apply_dot(author, id.counter);
                        ops.push(op);
                        through = id.counter;
                        of_author += 1;
                    }
                    if exhausted {
                        through = last;
                        break 'chunks Cut::Done;
                    }
                };
                if sync.reports_covered {
                    // Up to the author's last op held here, over any gap: an author's gap is an
                    // op the server refused and the author quarantined, which never comes (an
                    // author sends its ops in order from the server's frontier). Stopping at the
                    // gap would leave the peer asking above it for ever, one range per op.
                    if through > theirs.get(&author) {
                        covered.insert(author, through);
                    }
                }
                if cut == Cut::Message {
                    break 'authors;
                }
            }
        }
        let telling = (seen.clone(), beyond.clone());
        if ops.is_empty() && covered.is_empty() && sync.told.as_ref() == Some(&telling) {
            return Ok(None);
        }
        sync.told = Some(telling);
        let keys: BTreeMap<ReplicaId, PublicKey> = ops
            .iter()
            .filter_map(|op| {
                let author = id_of(op).replica;
                Some((author, *self.keys.get(&author)?))
            })
            .collect();
        Ok(Some(Next {
            seen,
            ops,
            more,
            keys,
            beyond,
            covered,
        }))
    }

    /// Takes a message from a peer: checks all of it, stores the new ops in one
    /// [`OpLog::append`], applies them, and returns what changed with the alerts after the
    /// merge. A refused message changes nothing.
    pub fn receive_message<L: OpLog + ?Sized>(
        &mut self,
        log: &mut L,
        sync: &mut SyncState,
        message: Message,
        time: &dyn Clock,
    ) -> Result<Applied, SyncError> {
        self.receive_verified(log, sync, VerifiedMessage::unverified(message), time)
    }

    /// [`SyncNode::receive_message`] of a message whose signatures were verified before
    /// ([`VerifiedMessage::verify`], away from whatever lock guards the node): the ops marked
    /// verified are not verified again, the others are. Same checks, same answer.
    pub fn receive_verified<L: OpLog + ?Sized>(
        &mut self,
        log: &mut L,
        sync: &mut SyncState,
        message: VerifiedMessage,
        time: &dyn Clock,
    ) -> Result<Applied, SyncError> {
        let (mut message, verified) = message.into_parts();
        // What a partial replica's server says it covers is taken from that server only.
        let covered = if sync.trusts_peer_keys && !sync.lookup {
            std::mem::take(&mut message.covered)
        } else {
            BTreeMap::new()
        };
        // A lookup's reply from the trusted server: its ops may lie far beyond what is held.
        let unbounded = sync.trusts_peer_keys && sync.lookup;
        if message.protocol != PROTOCOL_VERSION {
            return Err(SyncError::UnsupportedProtocol {
                got: message.protocol,
                supported: PROTOCOL_VERSION,
            });
        }
        let expected = sync.peer.unwrap_or(message.from);
        if message.from != expected || message.from == self.id {
            return Err(SyncError::WrongPeer {
                expected: if message.from == self.id {
                    self.id
                } else {
                    expected
                },
                got: message.from,
            });
        }
        if message.ops.len() > MAX_OPS_PER_MESSAGE {
            return Err(SyncError::TooManyOps {
                count: message.ops.len(),
                limit: MAX_OPS_PER_MESSAGE,
            });
        }

        // Keys come from the registry (the server's) or from a peer trusted for them (the
        // server, for a device); a refused message teaches nothing.
        let mut learned: Vec<(ReplicaId, PublicKey)> = Vec::new();
        if sync.trusts_peer_keys {
            for (&replica, &key) in &message.keys {
                match self.keys.get(&replica) {
                    Some(held) if *held != key => return Err(KeyError::Changed { replica }.into()),
                    Some(_) => {}
                    None => learned.push((replica, key)),
                }
            }
        }
        let key_of = |replica: ReplicaId| {
            self.keys
                .get(&replica)
                .copied()
                .or_else(|| learned.iter().find(|(r, _)| *r == replica).map(|(_, k)| *k))
        };

        // Every check but the signature runs op by op; the signatures of the new ops are then
        // verified together (in batches, on every core). The error reported is the one the
        // first faulty op in the message deserves, as if each op were checked in turn.
        let mut fresh: Vec<Op> = Vec::new();
        let mut keys: Vec<PublicKey> = Vec::new();
        let mut in_message: HashMap<OpId, usize> = HashMap::new();
        let mut last_held: HashMap<ReplicaId, u64> = HashMap::new();
        let mut duplicates = 0;
        // The first refusal other than a signature, and whether its op's signature comes first.
        let mut refused: Option<(SyncError, Option<(Op, PublicKey)>)> = None;
        let mut fresh_verified: Vec<bool> = Vec::new();
        for (op, was_verified) in message.ops.into_iter().zip(verified) {
            if let Err(source) = op.validate() {
                refused = Some((SyncError::InvalidOp { op: op.id, source }, None));
                break;
            }
            if let Some(&index) = in_message.get(&op.id) {
                if fresh[index] != op {
                    refused = Some((SyncError::ConflictingOp { op: op.id }, None));
                    break;
                }
                duplicates += 1;
                continue;
            }
            let held = match last_held.get(&op.author()) {
                Some(&held) => held,
                None => {
                    let held = log.last_counter(op.author()).map_err(storage)?;
                    last_held.insert(op.author(), held);
                    held
                }
            };
            // Nothing is held above the author's last counter: no read of the log for the new
            // ops of a catching-up device (one query per op was a tenth of a first sync).
            let held_op = if op.id.counter > held {
                None
            } else {
                log.get(&op.id).map_err(storage)?
            };
            match held_op {
                Some(held) if held != op => {
                    refused = Some((SyncError::ConflictingOp { op: op.id }, None));
                    break;
                }
                // Held: verified when it was stored.
                Some(_) => {
                    duplicates += 1;
                    continue;
                }
                None => {}
            }
            // A new op: authentic, numbered within reach, and not from the future.
            let Some(key) = key_of(op.author()) else {
                refused = Some((SyncError::UnknownSigner { op: op.id }, None));
                break;
            };
            // A partial replica holds none of the author's ops outside its scope: its server
            // vouches for the counters up to what the message covers.
            let reach = if unbounded {
                u64::MAX
            } else {
                held.saturating_add(MAX_COUNTER_JUMP)
                    .max(covered.get(&op.author()).copied().unwrap_or(0))
            };
            let refusal = if op.id.counter > reach {
                Some(SyncError::CounterJump { op: op.id, held })
            } else {
                self.clock
                    .excess_drift(op.hlc, time)
                    .map(|ahead_ms| SyncError::ClockAhead {
                        op: op.id,
                        ahead_ms,
                        limit_ms: self.clock.max_drift_ms(),
                    })
            };
            if let Some(error) = refusal {
                let unverified = (!was_verified).then_some((op, key));
                refused = Some((error, unverified));
                break;
            }
            in_message.insert(op.id, fresh.len());
            fresh.push(op);
            keys.push(key);
            fresh_verified.push(was_verified);
        }
        let mut to_verify: Vec<(&Op, PublicKey)> = fresh
            .iter()
            .zip(keys.iter().copied())
            .zip(&fresh_verified)
            .filter(|(_, &done)| !done)
            .map(|(pair, _)| pair)
            .collect();
        if let Some((_, Some((op, key)))) = &refused {
            to_verify.push((op, *key));
        }
        if let Some(first) = first_unverified(&to_verify) {
            return Err(SyncError::BadSignature {
                op: to_verify[first].0.id,
            });
        }
        drop(to_verify);
        if let Some((error, _)) = refused {
            return Err(error);
        }

        log.append(&fresh).map_err(storage)?;
        for (&author, &through) in &covered {
            log.advance_seen(author, through).map_err(storage)?;
        }
        // Stored: from here nothing may fail, or the merged state would fall behind the log.
        for (replica, key) in &learned {
            self.keys.learn(*replica, *key);
        }
        let mut touched = Touched::default();
        for op in &fresh {
            self.replica.apply_noting(op, Some(&mut touched));
            self.clock.observe(op.hlc);
        }
        sync.peer = Some(message.from);
        sync.note_their_seen(&message.seen);
        sync.their_beyond = message.beyond;

        // Only what this message touched is checked again, so a merge costs in proportion to
        // the message, not to the whole ledger.
        let alerts = if touched.is_empty() {
            Vec::new()
        } else {
            self.replica.invariants_in(&touched)
        };
        Ok(Applied {
            new_ops: fresh.len(),
            duplicates,
            alerts,
            learned_keys: learned,
        })
    }
}

/// Why [`SyncNode::generate_with`] stopped reading an author's ops.
#[derive(Debug, PartialEq, Eq)]
enum Cut {
    /// Every op the peer lacks is in the message.
    Done,
    /// The author's share of the message is full (paced); other authors may follow.
    Author,
    /// The message is full.
    Message,
}

/// A message's content before it is wrapped as a [`Message`] or an [`EncodedMessage`].
struct Next<T> {
    seen: crdts::VClock<ReplicaId>,
    ops: Vec<T>,
    more: bool,
    keys: BTreeMap<ReplicaId, PublicKey>,
    beyond: BTreeMap<ReplicaId, Vec<(u64, u64)>>,
    covered: BTreeMap<ReplicaId, u64>,
}

/// For each author whose log has a gap (an op refused by the server and quarantined by its
/// author never arrives), the ranges of counters held above the contiguous frontier, so that
/// a peer does not send them again and again.
fn held_beyond<L: OpLog + ?Sized>(
    log: &L,
    seen: &crdts::VClock<ReplicaId>,
) -> Result<BTreeMap<ReplicaId, Vec<(u64, u64)>>, SyncError> {
    let mut beyond = BTreeMap::new();
    for author in log.authors().map_err(storage)? {
        let frontier = seen.get(&author);
        if log.last_counter(author).map_err(storage)? > frontier {
            let ranges = log.held_ranges_after(author, frontier).map_err(storage)?;
            if !ranges.is_empty() {
                beyond.insert(author, ranges);
            }
        }
    }
    Ok(beyond)
}

/// The length of an op's JSON, counted without building it.
fn encoded_len(op: &Op) -> usize {
    struct Count(usize);
    impl std::io::Write for Count {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.0 += buf.len();
            Ok(buf.len())
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }
    let mut count = Count(0);
    // Writing to a counter cannot fail, and neither can serialising an op.
    let _ = serde_json::to_writer(&mut count, op);
    count.0
}

fn storage<E: std::error::Error + Send + Sync + 'static>(e: E) -> SyncError {
    SyncError::Storage(Box::new(e))
}

fn storage_w<E: std::error::Error + Send + Sync + 'static>(e: E) -> WriteError {
    WriteError::Storage(Box::new(e))
}

/// `VClock::apply` with a plain (actor, counter) pair.
trait ApplyDot {
    fn apply_dot(&mut self, actor: ReplicaId, counter: u64);
}

impl ApplyDot for crdts::VClock<ReplicaId> {
    fn apply_dot(&mut self, actor: ReplicaId, counter: u64) {
        crdts::CmRDT::apply(self, crdts::Dot::new(actor, counter));
    }
}
