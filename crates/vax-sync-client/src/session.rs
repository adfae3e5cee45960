//! One sync session between a local replica and the server.

use std::sync::Arc;

use thiserror::Error;
use vax_domain::error::ErrorCode;
use vax_sync::{
    Alert, Applied, Clock, DeviceKey, EncodedOp, KeyError, MemoryOpLog, Message, Op, OpId, OpKind,
    ReplicaId, Role, SyncError, SyncNode, SyncState, SystemClock, WriteError, DEFAULT_BATCH_SIZE,
};

use crate::client::Client;
use crate::error::ClientError;

/// The local side of a sync session. The ledger implements it over its own SQLite
/// transactions; tests and benchmarks use [`MemoryReplica`].
pub trait LocalReplica {
    /// A local failure (storage).
    type Error: std::error::Error + Send + Sync + 'static;
    /// [`SyncNode::generate_message`] on the local log.
    fn generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, Self::Error>;
    /// [`SyncNode::receive_message`] on the local log.
    fn receive(&mut self, state: &mut SyncState, message: Message) -> Result<Applied, Self::Error>;
    /// [`LocalReplica::receive`] of a reply whose ops also came as text (in order): a log that
    /// stores op texts may store these instead of encoding each op again. By default the
    /// texts are dropped.
    fn receive_with_texts(
        &mut self,
        state: &mut SyncState,
        message: Message,
        texts: Vec<EncodedOp>,
    ) -> Result<Applied, Self::Error> {
        drop(texts);
        self.receive(state, message)
    }
    /// The own ops quarantined earlier: never sent again.
    fn quarantined(&mut self) -> Result<Vec<OpId>, Self::Error>;
    /// Quarantines one of our own ops the server refused for good, with the server's code and
    /// reason, so that people see it and the rest of the log keeps syncing.
    fn quarantine(&mut self, op: OpId, code: ErrorCode, reason: &str) -> Result<(), Self::Error>;
}

/// One quarantined op of a [`MemoryReplica`].
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Quarantined {
    /// The op.
    pub op: OpId,
    /// The server's code.
    pub code: ErrorCode,
    /// The server's message.
    pub reason: String,
}

/// A replica held in memory: a [`SyncNode`], a [`MemoryOpLog`] and a time source.
pub struct MemoryReplica {
    /// The node.
    pub node: SyncNode,
    /// Its log.
    pub log: MemoryOpLog,
    /// Where its physical time comes from.
    pub time: Arc<dyn Clock>,
    /// Its own ops the server refused.
    pub quarantine: Vec<Quarantined>,
}

impl std::fmt::Debug for MemoryReplica {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("MemoryReplica")
            .field("id", &self.node.id())
            .field("ops", &self.log.len())
            .finish_non_exhaustive()
    }
}

impl MemoryReplica {
    /// An empty replica on the system clock, signing with `key`.
    pub fn new(id: ReplicaId, role: Role, key: DeviceKey) -> Result<Self, KeyError> {
        Self::with_time(id, role, key, Arc::new(SystemClock))
    }

    /// An empty replica on the given clock, signing with `key`.
    pub fn with_time(
        id: ReplicaId,
        role: Role,
        key: DeviceKey,
        time: Arc<dyn Clock>,
    ) -> Result<Self, KeyError> {
        Ok(Self {
            node: SyncNode::new(id, role).with_signing_key(key)?,
            log: MemoryOpLog::new(),
            time,
            quarantine: Vec::new(),
        })
    }

    /// A local write.
    pub fn write(&mut self, kind: OpKind) -> Result<Op, WriteError> {
        self.node.write(&mut self.log, kind, &*self.time)
    }
}

impl LocalReplica for MemoryReplica {
    type Error = SyncError;

    fn generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, SyncError> {
        self.node.generate_message(&self.log, state)
    }

    fn receive(&mut self, state: &mut SyncState, message: Message) -> Result<Applied, SyncError> {
        self.node
            .receive_message(&mut self.log, state, message, &*self.time)
    }

    fn quarantined(&mut self) -> Result<Vec<OpId>, SyncError> {
        Ok(self.quarantine.iter().map(|q| q.op).collect())
    }

    fn quarantine(&mut self, op: OpId, code: ErrorCode, reason: &str) -> Result<(), SyncError> {
        if !self.quarantine.iter().any(|q| q.op == op) {
            self.quarantine.push(Quarantined {
                op,
                code,
                reason: reason.to_owned(),
            });
        }
        Ok(())
    }
}

/// The most ops one session quarantines before it stops: a server refusing op after op is
/// more likely misconfigured than the device wrong that many times.
pub const MAX_QUARANTINED_PER_SESSION: usize = 100;

/// Knobs of [`sync_session_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOptions {
    /// Ops per message we send (the server's replies use its own default).
    pub batch_size: usize,
    /// A session that has not converged after this many round trips stops with
    /// [`SessionError::TooManyRoundTrips`] (and can simply be run again).
    pub max_round_trips: usize,
    /// While a reply that says `more` is applied, the next one is already asked for (on
    /// another thread), acknowledging the ops being applied: the server builds and sends a
    /// batch while the device stores the previous one. Only when we have nothing of our own
    /// to send (a device catching up, e.g. its first sync).
    pub prefetch: bool,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            max_round_trips: 10_000,
            prefetch: true,
        }
    }
}

/// What a session did.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct SessionReport {
    /// Ops we sent.
    pub sent_ops: usize,
    /// Ops the server sent us.
    pub received_ops: usize,
    /// HTTP round trips.
    pub round_trips: usize,
    /// The alerts the local replica reported while merging what it received (each once).
    pub alerts: Vec<Alert>,
    /// Own ops the server refused in this session, now quarantined.
    pub quarantined: Vec<OpId>,
}

/// Why a session stopped early. What was exchanged before the failure is kept on both sides.
#[derive(Debug, Error)]
pub enum SessionError<E: std::error::Error + Send + Sync + 'static> {
    /// Talking to the server failed.
    #[error(transparent)]
    Transport(#[from] ClientError),
    /// The local replica failed to generate or take a message.
    #[error("local replica: {0}")]
    Local(#[source] E),
    /// The session did not converge within the bound.
    #[error("no convergence after {0} round trips")]
    TooManyRoundTrips(usize),
    /// The server refused more of our ops than one session quarantines.
    #[error("the server refused {0} ops in one session; stopped")]
    TooManyRefused(usize),
}

impl<E: std::error::Error + Send + Sync + 'static> SessionError<E> {
    /// Whether running the session again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(e) => e.is_retryable(),
            Self::Local(_) | Self::TooManyRoundTrips(_) => true,
            Self::TooManyRefused(_) => false,
        }
    }
}

/// The request `sent` again, acknowledging the reply `received` too (each author's ops that
/// continue its frontier, and for a partial replica what the reply covers): what we will hold
/// once they are applied. The server keeps no acknowledgement, so one for ops that then fail
/// to apply costs nothing: the session stops with that error, and the next one says what is
/// really held.
fn acknowledging(sent: &Message, received: &Message) -> Message {
    let mut seen = sent.seen.clone();
    for op in &received.ops {
        if seen.get(&op.author()) + 1 == op.id.counter {
            crdts::CmRDT::apply(&mut seen, crdts::Dot::new(op.author(), op.id.counter));
        }
    }
    for (&author, &through) in &received.covered {
        crdts::CmRDT::apply(&mut seen, crdts::Dot::new(author, through));
    }
    Message {
        protocol: sent.protocol,
        from: sent.from,
        seen,
        ops: Vec::new(),
        more: false,
        keys: Default::default(),
        beyond: sent.beyond.clone(),
        covered: Default::default(),
    }
}

/// One sync session with default options: see [`sync_session_with`].
pub fn sync_session<L: LocalReplica>(
    local: &mut L,
    client: &Client,
    server_replica_id: ReplicaId,
) -> Result<SessionReport, SessionError<L::Error>> {
    sync_session_with(local, client, server_replica_id, SessionOptions::default())
}

/// One sync session: a fresh [`SyncState`] for the server, then exchanges until neither side
/// has anything the other lacks (our `generate` has nothing to say and the last reply brought
/// no ops and no `more`).
///
/// The first message only introduces us (our `seen`); the server answers with its `seen` and
/// the first batch we lack, and from then on each request carries our next batch and
/// acknowledges what we received. On a transport failure the error is returned (classified);
/// nothing acknowledged is lost, and the next session resumes from what the server holds.
///
/// The server's keys are trusted: it registered every device's key at enrollment and hands
/// them on with the ops. One bad op never blocks the device: when the server refuses a
/// message for good naming one of our own ops, that op is quarantined
/// ([`LocalReplica::quarantine`]), never sent again, and the session goes on with the rest.
pub fn sync_session_with<L: LocalReplica>(
    local: &mut L,
    client: &Client,
    server_replica_id: ReplicaId,
    options: SessionOptions,
) -> Result<SessionReport, SessionError<L::Error>> {
    let mut state = SyncState::for_peer(server_replica_id)
        .with_batch_size(options.batch_size)
        .trusting_peer_keys();
    for op in local.quarantined().map_err(SessionError::Local)? {
        state.skip(op);
    }
    let mut report = SessionReport::default();
    // Whether the last reply brought something: then we must answer (acknowledge, or ask for
    // the rest) even if we have nothing of our own.
    let mut reply_had_news = false;
    // The next exchange, asked for while the last reply was applied.
    let mut prefetched: Option<(Message, (Message, Vec<EncodedOp>))> = None;
    loop {
        let (message, (reply, texts)) = match prefetched.take() {
            Some(exchanged) => exchanged,
            None => {
                let message = match local.generate(&mut state).map_err(SessionError::Local)? {
                    Some(m) => m,
                    None if reply_had_news => {
                        // Nothing new to say, but the server has more: say our `seen` again.
                        state.reset_in_flight();
                        match local.generate(&mut state).map_err(SessionError::Local)? {
                            Some(m) => m,
                            None => break,
                        }
                    }
                    None => break,
                };
                if report.round_trips >= options.max_round_trips {
                    return Err(SessionError::TooManyRoundTrips(report.round_trips));
                }
                match client.exchange_with_texts(&message) {
                    Ok(reply) => (message, reply),
                    Err(ClientError::Server {
                        op: Some(op),
                        retryable: false,
                        code,
                        message: reason,
                        ..
                    }) if op.replica == message.from => {
                        if report.quarantined.len() >= MAX_QUARANTINED_PER_SESSION {
                            return Err(SessionError::TooManyRefused(report.quarantined.len()));
                        }
                        local
                            .quarantine(op, code, &reason)
                            .map_err(SessionError::Local)?;
                        report.quarantined.push(op);
                        state.skip(op);
                        state.reset_in_flight();
                        report.round_trips += 1;
                        reply_had_news = true;
                        continue;
                    }
                    Err(e) => {
                        state.reset_in_flight();
                        return Err(e.into());
                    }
                }
            }
        };
        report.round_trips += 1;
        report.sent_ops += message.ops.len();
        report.received_ops += reply.ops.len();
        reply_had_news = !reply.ops.is_empty() || reply.more;
        let next = (options.prefetch
            && reply.more
            && message.ops.is_empty()
            && report.round_trips < options.max_round_trips)
            .then(|| acknowledging(&message, &reply));
        let applied = match next {
            None => local.receive_with_texts(&mut state, reply, texts),
            Some(next) => {
                let (applied, fetched) = std::thread::scope(|scope| {
                    let fetching = scope.spawn(|| client.exchange_with_texts(&next));
                    let applied = local.receive_with_texts(&mut state, reply, texts);
                    let fetched = fetching.join().unwrap_or_else(|_| {
                        Err(ClientError::BadReply("the prefetch thread panicked".into()))
                    });
                    (applied, fetched)
                });
                match (&applied, fetched) {
                    (Ok(_), Ok(fetched)) => prefetched = Some((next, fetched)),
                    // A failed prefetch is asked again the ordinary way (and reported then).
                    (Ok(_), Err(_)) => state.reset_in_flight(),
                    (Err(_), _) => {}
                }
                applied
            }
        }
        .map_err(SessionError::Local)?;
        for alert in applied.alerts {
            if !report.alerts.contains(&alert) {
                report.alerts.push(alert);
            }
        }
    }
    Ok(report)
}
