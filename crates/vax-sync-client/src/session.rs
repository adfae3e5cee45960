//! One sync session between a local replica and the server.

use std::sync::Arc;

use thiserror::Error;
use vax_sync::{
    Alert, Applied, Clock, MemoryOpLog, Message, Op, OpKind, ReplicaId, Role, SyncError, SyncNode,
    SyncState, SystemClock, WriteError, DEFAULT_BATCH_SIZE,
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
}

/// A replica held in memory: a [`SyncNode`], a [`MemoryOpLog`] and a time source.
pub struct MemoryReplica {
    /// The node.
    pub node: SyncNode,
    /// Its log.
    pub log: MemoryOpLog,
    /// Where its physical time comes from.
    pub time: Arc<dyn Clock>,
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
    /// An empty replica on the system clock.
    pub fn new(id: ReplicaId, role: Role) -> Self {
        Self::with_time(id, role, Arc::new(SystemClock))
    }

    /// An empty replica on the given clock.
    pub fn with_time(id: ReplicaId, role: Role, time: Arc<dyn Clock>) -> Self {
        Self {
            node: SyncNode::new(id, role),
            log: MemoryOpLog::new(),
            time,
        }
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
}

/// Knobs of [`sync_session_with`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct SessionOptions {
    /// Ops per message we send (the server's replies use its own default).
    pub batch_size: usize,
    /// A session that has not converged after this many round trips stops with
    /// [`SessionError::TooManyRoundTrips`] (and can simply be run again).
    pub max_round_trips: usize,
}

impl Default for SessionOptions {
    fn default() -> Self {
        Self {
            batch_size: DEFAULT_BATCH_SIZE,
            max_round_trips: 10_000,
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
}

impl<E: std::error::Error + Send + Sync + 'static> SessionError<E> {
    /// Whether running the session again later may succeed.
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport(e) => e.is_retryable(),
            Self::Local(_) | Self::TooManyRoundTrips(_) => true,
        }
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
pub fn sync_session_with<L: LocalReplica>(
    local: &mut L,
    client: &Client,
    server_replica_id: ReplicaId,
    options: SessionOptions,
) -> Result<SessionReport, SessionError<L::Error>> {
    let mut state = SyncState::for_peer(server_replica_id).with_batch_size(options.batch_size);
    let mut report = SessionReport::default();
    // Whether the last reply brought something: then we must answer (acknowledge, or ask for
    // the rest) even if we have nothing of our own.
    let mut reply_had_news = false;
    loop {
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
        let sent = message.ops.len();
        let reply = match client.exchange(&message) {
            Ok(reply) => reply,
            Err(e) => {
                state.reset_in_flight();
                return Err(e.into());
            }
        };
        report.round_trips += 1;
        report.sent_ops += sent;
        report.received_ops += reply.ops.len();
        reply_had_news = !reply.ops.is_empty() || reply.more;
        let applied = local
            .receive(&mut state, reply)
            .map_err(SessionError::Local)?;
        for alert in applied.alerts {
            if !report.alerts.contains(&alert) {
                report.alerts.push(alert);
            }
        }
    }
    Ok(report)
}
