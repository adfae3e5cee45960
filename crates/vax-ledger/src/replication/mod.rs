//! Replication in the ledger (docs/sync-spec.md §8): the op log lives in the same SQLite file
//! as the tables, every local change stores its op in the transaction that writes its rows,
//! and a received batch stores its ops and the rows they imply in one transaction. So a crash
//! at any instant leaves rows and ops in step, and nothing committed is lost.
//!
//! A ledger replicates once it is given an identity ([`Ledger::start_replicating`], done by
//! enrollment with the sync server). Before that it is a standalone ledger and writes no ops.

mod oplog;
mod project;
mod snapshot;

pub use snapshot::{Snapshot, SnapshotRefusal, MAX_SNAPSHOT_OPS};

pub(crate) use oplog::parse_op;

use rusqlite::{params, Connection};
use serde::Serialize;
use std::sync::Arc;
use uuid::Uuid;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

use vax_domain::error::ErrorCode;
use vax_sync::{
    Alert, Applied, BookingCause, Clock, DeviceKey, EncodedOp, HlcClock, Message, Op, OpId, OpKind,
    OpLog, PublicKey, ReplicaId, Role as SyncRole, SyncNode, SyncState,
};

use crate::{Ledger, LedgerError, RowId, WriteTx};
use oplog::SqlOpLog;
pub(crate) use project::local as local_time;
use project::Outcome;

pub(crate) const KEY_REPLICA_ID: &str = "sync.replica_id";
pub(crate) const KEY_REPLICA_ROLE: &str = "sync.role";
/// The device's private signing key (64 hex digits), made at enrollment. It never leaves the
/// ledger; SQLCipher encryption at rest is the next step (docs/sync-spec.md §3a).
pub(crate) const KEY_SIGNING_KEY: &str = "sync.signing_key";
/// The municipalities of a partial replica (codes separated by spaces; absent: the whole
/// ledger), as the server's enrollment said: its frontier then runs ahead of the ops it holds,
/// over the counters outside its scope (docs/sync-spec.md §7b).
pub const KEY_SCOPE: &str = "sync.scope";

/// This ledger's replica: its identity and, once loaded, its merged state.
pub(crate) struct Replication {
    id: ReplicaId,
    role: SyncRole,
    /// Signs this replica's ops. `None` only in a ledger that replicated before ops were
    /// signed (protocol 2): it can still read and receive, but its writes are refused
    /// (`WriteError::NoSigningKey`) until the device is enrolled again on a new ledger.
    key: Option<DeviceKey>,
    /// Rebuilt from the op log on first use; dropped again (`None`) whenever a transaction
    /// that changed it may not have committed.
    node: Option<SyncNode>,
    /// The open alerts of `node`, computed on first request: the status on every screen asks
    /// every few seconds, and a full invariant check is a scan of the whole merged state.
    /// Dropped whenever the state may change (every mutable access to the node).
    alerts: Option<Vec<Alert>>,
    /// Stamps this replica's ops: the ledger's clock, so a pinned clock pins them too.
    clock: Arc<dyn Clock>,
}

impl Replication {
    pub(crate) fn load(
        conn: &Connection,
        clock: &Arc<dyn Clock>,
    ) -> Result<Option<Self>, LedgerError> {
        let reader = crate::Reader::new(conn);
        let (Some(id), Some(role)) = (
            reader.setting(KEY_REPLICA_ID)?,
            reader.setting(KEY_REPLICA_ROLE)?,
        ) else {
            return Ok(None);
        };
        let id = Uuid::parse_str(&id).map_err(|e| corrupt_setting(KEY_REPLICA_ID, e))?;
        let role: SyncRole = serde_json::from_value(serde_json::Value::String(role))
            .map_err(|e| corrupt_setting(KEY_REPLICA_ROLE, e))?;
        let key = reader
            .setting(KEY_SIGNING_KEY)?
            .map(|hex| DeviceKey::from_hex(&hex).map_err(|e| corrupt_setting(KEY_SIGNING_KEY, e)))
            .transpose()?;
        Ok(Some(Self {
            id: ReplicaId(id),
            role,
            key,
            node: None,
            alerts: None,
            clock: Arc::clone(clock),
        }))
    }

    pub(crate) fn forget_state(&mut self) {
        self.node = None;
        self.alerts = None;
    }

    /// The merged state, for a change: forgets the cached alerts.
    fn node(&mut self, conn: &Connection) -> Result<&mut SyncNode, LedgerError> {
        self.alerts = None;
        self.loaded(conn)
    }

    /// The merged state, loaded from the op log on first use.
    fn loaded(&mut self, conn: &Connection) -> Result<&mut SyncNode, LedgerError> {
        if self.node.is_none() {
            let node = restore_node(self.id, self.role, conn)?;
            self.node = Some(self.keyed(node, conn)?);
        }
        // Just filled when it was empty.
        self.node.as_mut().ok_or(LedgerError::NotReplicating)
    }

    /// `node` with this replica's signing key and the keys `conn`'s ledger learned.
    fn keyed(&self, mut node: SyncNode, conn: &Connection) -> Result<SyncNode, LedgerError> {
        if let Some(key) = &self.key {
            node = node
                .with_signing_key(key.clone())
                .map_err(|e| corrupt_setting(KEY_SIGNING_KEY, e))?;
        }
        for (replica, key) in stored_keys(conn)? {
            node.add_key(replica, key)
                .map_err(|e| corrupt_setting("sync_keys", e))?;
        }
        Ok(node)
    }
}

/// The merged state of every op in the log of `conn` (any connection holding a ledger's
/// tables), for the replica `id`, without keys.
fn restore_node(id: ReplicaId, role: SyncRole, conn: &Connection) -> Result<SyncNode, LedgerError> {
    SyncNode::restore(id, role, HlcClock::default(), &SqlOpLog::new(conn))
}

fn corrupt_setting(key: &'static str, e: impl std::fmt::Display) -> LedgerError {
    LedgerError::Corrupt {
        table: "device_settings",
        id: 0,
        field: key,
        problem: e.to_string(),
    }
}

/// The public keys this ledger learned from the server.
fn stored_keys(conn: &Connection) -> Result<Vec<(ReplicaId, PublicKey)>, LedgerError> {
    let mut stmt = conn.prepare("SELECT replica, public_key FROM sync_keys")?;
    let rows = stmt.query_map([], |r| Ok((r.get::<_, String>(0)?, r.get::<_, String>(1)?)))?;
    let mut keys = Vec::new();
    for row in rows {
        let (replica, key) = row?;
        let replica = Uuid::parse_str(&replica).map_err(|e| corrupt_setting("sync_keys", e))?;
        let key = PublicKey::from_hex(&key).map_err(|e| corrupt_setting("sync_keys", e))?;
        keys.push((ReplicaId(replica), key));
    }
    Ok(keys)
}

/// One of this device's own ops the sync server refused for good.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct QuarantinedOp {
    /// The op (`<replica>#<counter>`, the uid of the record it made).
    pub op: String,
    /// What kind of change it is (`record_dose`).
    pub kind: String,
    /// The server's error code.
    pub code: ErrorCode,
    /// The server's reason.
    pub reason: String,
    /// When it was quarantined (RFC 3339).
    pub quarantined_at: String,
}

/// The op log at a glance, for the sync status.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct LogSummary {
    /// Ops held, from every replica.
    pub ops: u64,
    /// Ops this replica wrote.
    pub own_ops: u64,
    /// Received ops whose rows are not written yet or cannot be.
    pub unprojected: u64,
    /// Why, for the first few of those.
    pub unprojected_reasons: Vec<String>,
    /// Own ops the server refused for good (quarantined, never sent again).
    pub quarantined: u64,
}

impl Ledger {
    /// This ledger's replica id and role, once it replicates.
    pub fn replica_identity(&self) -> Option<(ReplicaId, SyncRole)> {
        self.replication.as_ref().map(|r| (r.id, r.role))
    }

    /// Makes this ledger a replica with the identity enrollment gave it and the signing key
    /// the device made for it (its public half registered with the server). From now on every
    /// local change also stores its op, signed. Refuses a second, different identity: a
    /// re-enrolled device is a new replica and starts from a new ledger.
    pub fn start_replicating(
        &mut self,
        id: ReplicaId,
        role: SyncRole,
        key: &DeviceKey,
    ) -> Result<(), LedgerError> {
        if let Some((held, held_role)) = self.replica_identity() {
            if held == id && held_role == role {
                return Ok(());
            }
            return Err(LedgerError::AlreadyReplicating {
                replica: held.to_string(),
            });
        }
        let role_code = serde_json::to_value(role)
            .ok()
            .and_then(|v| v.as_str().map(str::to_owned))
            .unwrap_or_default();
        let tx = crate::begin_write(&mut self.conn)?;
        for (key, value) in [
            (KEY_REPLICA_ID, id.to_string()),
            (KEY_REPLICA_ROLE, role_code),
            (KEY_SIGNING_KEY, key.to_hex()),
        ] {
            tx.execute(
                "INSERT INTO device_settings (key, value) VALUES (?1, ?2)
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                params![key, value],
            )?;
        }
        tx.commit()?;
        self.replication = Replication::load(&self.conn, &self.clock)?;
        Ok(())
    }

    /// The next sync message for a peer, or `None` when there is nothing new to tell it.
    pub fn sync_generate(&mut self, state: &mut SyncState) -> Result<Option<Message>, LedgerError> {
        let replication = self
            .replication
            .as_mut()
            .ok_or(LedgerError::NotReplicating)?;
        let node = replication.loaded(&self.conn)?;
        let log = SqlOpLog::new(&self.conn);
        Ok(node.generate_message(&log, state)?)
    }

    /// Takes a sync message: stores the new ops, merges them, and writes the rows they imply,
    /// all in one transaction. A refused message changes nothing. Rows that wait for
    /// something still in flight are written when a later message brings it.
    pub fn sync_receive(
        &mut self,
        state: &mut SyncState,
        message: Message,
    ) -> Result<Applied, LedgerError> {
        self.sync_receive_with_texts(state, message, Vec::new())
    }

    /// [`Ledger::sync_receive`] of a message decoded with its ops' texts
    /// ([`Message::decode_with_texts`]): the new ops are stored as the texts that came,
    /// not encoded again.
    pub fn sync_receive_with_texts(
        &mut self,
        state: &mut SyncState,
        message: Message,
        texts: Vec<EncodedOp>,
    ) -> Result<Applied, LedgerError> {
        let replication = self
            .replication
            .as_mut()
            .ok_or(LedgerError::NotReplicating)?;
        replication.node(&self.conn)?;
        let finished_exchange = !message.more;
        let tx = WriteTx::new(crate::begin_write(&mut self.conn)?, None);
        // Until the commit below succeeds the merged state may be ahead of the file.
        let mut node = replication.node.take().ok_or(LedgerError::NotReplicating)?;
        let mut log = SqlOpLog::with_texts(&tx.tx, texts);
        let applied = node.receive_message(&mut log, state, message, &*replication.clock)?;
        for (replica, key) in &applied.learned_keys {
            tx.tx
                .prepare_cached(
                    "INSERT INTO sync_keys (replica, public_key) VALUES (?1, ?2)
                     ON CONFLICT (replica) DO NOTHING",
                )?
                .execute(params![replica.to_string(), key.to_string()])?;
        }
        let mut fresh = log.take_appended();
        fresh.sort_by_key(project::rank);
        for op in &fresh {
            let outcome = project::project(&tx, node.replica(), &log, op)?;
            note_outcome(&tx.tx, op.id, &outcome)?;
        }
        if finished_exchange {
            retry_unprojected(&tx, &node, &log)?;
        }
        tx.commit()?;
        replication.node = Some(node);
        Ok(applied)
    }

    /// Takes one resident's record from the server that enrolled this device (`server`): the
    /// online lookup of a walk-in from another municipality on a partial replica
    /// (docs/sync-spec.md §7b). Its ops are verified, stored, merged and made rows in one
    /// transaction, as a sync reply's, although they lie below this replica's frontier for
    /// their authors (which `covered` moved past them) or far beyond what it holds of them:
    /// an op counts as held only when the log holds it, never by the frontier, and the
    /// counter-jump bound does not apply ([`SyncState::taking_a_lookup`]). The frontier moves
    /// only over ops held without a gap (the reply covers nothing), so the next sync neither
    /// asks for them again (they lie below it, or are told as held beyond it) nor sends them
    /// (the server holds them). A one-off snapshot: the resident's later ops are of another
    /// municipality's scope and never come; looking them up again brings what is new.
    pub fn merge_lookup(
        &mut self,
        server: ReplicaId,
        mut message: Message,
        texts: Vec<EncodedOp>,
    ) -> Result<Applied, LedgerError> {
        message.covered.clear();
        message.more = false;
        let mut state = SyncState::for_peer(server)
            .trusting_peer_keys()
            .taking_a_lookup();
        self.sync_receive_with_texts(&mut state, message, texts)
    }

    /// The open alerts of the merged state: conflicts for people to resolve.
    pub fn sync_alerts(&mut self) -> Result<Vec<Alert>, LedgerError> {
        let replication = self
            .replication
            .as_mut()
            .ok_or(LedgerError::NotReplicating)?;
        if let Some(alerts) = &replication.alerts {
            return Ok(alerts.clone());
        }
        let alerts = replication.loaded(&self.conn)?.replica().invariants();
        replication.alerts = Some(alerts.clone());
        Ok(alerts)
    }

    /// How many ops are held and how many wait to become rows.
    pub fn sync_log_summary(&self) -> Result<LogSummary, LedgerError> {
        let own = self.replica_identity().map(|(id, _)| id.to_string());
        let count = |sql: &str, p: &[&dyn rusqlite::ToSql]| -> Result<u64, LedgerError> {
            let n: i64 = self.conn.query_row(sql, p, |r| r.get(0))?;
            Ok(n.unsigned_abs())
        };
        let mut stmt = self
            .conn
            .prepare("SELECT reason FROM sync_unprojected ORDER BY author, counter LIMIT 5")?;
        let reasons = stmt
            .query_map([], |r| r.get::<_, String>(0))?
            .collect::<Result<Vec<_>, _>>()?;
        Ok(LogSummary {
            ops: count("SELECT COUNT(*) FROM sync_ops", &[])?,
            own_ops: match &own {
                Some(id) => count("SELECT COUNT(*) FROM sync_ops WHERE author = ?1", &[id])?,
                None => 0,
            },
            unprojected: count("SELECT COUNT(*) FROM sync_unprojected", &[])?,
            unprojected_reasons: reasons,
            quarantined: count("SELECT COUNT(*) FROM sync_quarantine", &[])?,
        })
    }

    /// Quarantines one of this device's own ops that the sync server refused for good: it
    /// stays in the log and its rows stay, but it is never sent again, and the sync status
    /// shows it with the server's reason. Quarantining it again changes nothing.
    pub fn quarantine_op(
        &mut self,
        op: OpId,
        code: ErrorCode,
        reason: &str,
        at: &str,
    ) -> Result<(), LedgerError> {
        let (own, _) = self.replica_identity().ok_or(LedgerError::NotReplicating)?;
        if op.replica != own {
            return Err(LedgerError::Missing {
                what: "own op",
                key: op.to_string(),
            });
        }
        self.conn.execute(
            "INSERT INTO sync_quarantine (author, counter, code, reason, quarantined_at)
             VALUES (?1, ?2, ?3, ?4, ?5) ON CONFLICT (author, counter) DO NOTHING",
            params![
                op.replica.to_string(),
                i64::try_from(op.counter).unwrap_or(i64::MAX),
                code.as_str(),
                reason,
                at
            ],
        )?;
        Ok(())
    }

    /// This device's quarantined ops, oldest first.
    pub fn quarantined_ops(&self) -> Result<Vec<QuarantinedOp>, LedgerError> {
        let mut stmt = self.conn.prepare(
            "SELECT q.author, q.counter, q.code, q.reason, q.quarantined_at, o.body
             FROM sync_quarantine q
             LEFT JOIN sync_ops o ON o.author = q.author AND o.counter = q.counter
             ORDER BY q.author, q.counter",
        )?;
        let rows = stmt.query_map([], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, i64>(1)?,
                r.get::<_, String>(2)?,
                r.get::<_, String>(3)?,
                r.get::<_, String>(4)?,
                r.get::<_, Option<String>>(5)?,
            ))
        })?;
        let mut out = Vec::new();
        for row in rows {
            let (author, counter, code, reason, at, body) = row?;
            let kind = match body {
                Some(body) => oplog::parse_op(&body)?.kind.name().to_owned(),
                None => String::new(),
            };
            out.push(QuarantinedOp {
                op: format!("{author}#{counter}"),
                kind,
                code: ErrorCode::from_wire(&code),
                reason,
                quarantined_at: at,
            });
        }
        Ok(out)
    }

    /// The ids of this device's quarantined ops: a sync session never sends them.
    pub fn quarantined_op_ids(&self) -> Result<Vec<OpId>, LedgerError> {
        self.quarantined_ops()?
            .iter()
            .map(|q| {
                q.op.parse()
                    .map_err(|e: vax_sync::NotAnOpId| LedgerError::Corrupt {
                        table: "sync_quarantine",
                        id: 0,
                        field: "counter",
                        problem: e.to_string(),
                    })
            })
            .collect()
    }

    /// HQ chooses between concurrent bookings of one resident's dose: writes a booking with
    /// cause `resolve` for the chosen value's band. Its causal context covers every value this
    /// replica holds, so it replaces them all wherever it arrives (a rebooking it did not see
    /// stays, and so does the alert). The desk's row follows at once.
    pub fn resolve_booking(
        &mut self,
        resident: &VoucherNumber,
        dose_number: u8,
        chosen: OpId,
    ) -> Result<(), LedgerError> {
        let (band, product) = {
            let replication = self
                .replication
                .as_mut()
                .ok_or(LedgerError::NotReplicating)?;
            let node = replication.node(&self.conn)?;
            let value = node
                .replica()
                .booking(resident, dose_number)
                .into_iter()
                .find(|v| v.op == chosen)
                .ok_or_else(|| LedgerError::Missing {
                    what: "live booking value",
                    key: chosen.to_string(),
                })?;
            let product = match SqlOpLog::new(&self.conn).get(&chosen)?.map(|op| op.kind) {
                Some(OpKind::Book(b)) => b.product,
                _ => String::new(),
            };
            (value.band, product)
        };
        let mut tx = self.transaction()?;
        let id = tx
            .replicate(OpKind::Book(vax_sync::Booking {
                resident: resident.clone(),
                dose_number,
                band,
                product,
                cause: BookingCause::Resolve,
                clock: crdts::VClock::new(),
            }))?
            .ok_or(LedgerError::NotReplicating)?;
        tx.write_rows_of_own_op(id)?;
        tx.commit()
    }

    /// HQ only: writes the ops that describe what this ledger already holds (venues, time
    /// bands, residents with their survey answers, bookings), so that a city loaded or
    /// imported before enrollment reaches every venue, then the events it recorded before
    /// (staff, stock, doses, check-ins, calls, ride marks, the audit trail; each row takes its
    /// op's id as uid). Run once, right after enrollment, in one transaction. Returns how
    /// many ops it wrote.
    pub fn publish_existing(&mut self) -> Result<usize, LedgerError> {
        let mut tx = self.transaction()?;
        let kinds = publish::existing_state(&tx)?;
        let n = kinds.len();
        for kind in kinds {
            tx.replicate(kind)?;
        }
        let events = publish_events::publish_events(&mut tx)?;
        tx.commit()?;
        Ok(n + events)
    }

    /// The events this ledger recorded before it replicated, by table (only tables with
    /// some): what `publish_existing` sends, and what a device that may not publish them
    /// must not join with.
    pub fn unpublished_events(&self) -> Result<Vec<(&'static str, u64)>, LedgerError> {
        publish_events::unpublished_counts(&self.conn)
    }
}

mod publish;
mod publish_events;

fn note_outcome(conn: &Connection, id: OpId, outcome: &Outcome) -> Result<(), LedgerError> {
    let author = id.replica.to_string();
    let counter = i64::try_from(id.counter).unwrap_or(i64::MAX);
    match outcome {
        Outcome::Written | Outcome::LogOnly => {
            conn.prepare_cached("DELETE FROM sync_unprojected WHERE author = ?1 AND counter = ?2")?
                .execute(params![author, counter])?;
        }
        Outcome::Waiting(reason) | Outcome::Refused(reason) => {
            conn.prepare_cached(
                "INSERT INTO sync_unprojected (author, counter, reason) VALUES (?1, ?2, ?3)
                 ON CONFLICT (author, counter) DO UPDATE SET reason = excluded.reason",
            )?
            .execute(params![author, counter, reason])?;
        }
    }
    Ok(())
}

/// Tries again every op whose rows could not be written, in dependency order.
fn retry_unprojected(
    tx: &WriteTx<'_>,
    node: &SyncNode,
    log: &SqlOpLog<'_>,
) -> Result<(), LedgerError> {
    let ids: Vec<(String, i64)> = {
        let mut stmt = tx
            .tx
            .prepare("SELECT author, counter FROM sync_unprojected ORDER BY author, counter")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut ops: Vec<Op> = Vec::with_capacity(ids.len());
    for (author, counter) in ids {
        let id = OpId {
            replica: ReplicaId(
                Uuid::parse_str(&author)
                    .map_err(|e| corrupt_setting("sync_unprojected.author", e))?,
            ),
            counter: counter.unsigned_abs(),
        };
        if let Some(op) = log.get(&id)? {
            ops.push(op);
        }
    }
    ops.sort_by_key(project::rank);
    for op in &ops {
        let outcome = project::project(tx, node.replica(), log, op)?;
        note_outcome(&tx.tx, op.id, &outcome)?;
    }
    Ok(())
}

impl WriteTx<'_> {
    /// Stores the op of a local change in this transaction, when the ledger replicates, and
    /// returns its id. Refused when this replica's role may not make the change.
    pub fn replicate(&mut self, kind: OpKind) -> Result<Option<OpId>, LedgerError> {
        if self.replication.replica().is_none() {
            return Ok(None);
        }
        // From here the merged state may hold an op this transaction could still roll back:
        // the guard forgets it unless the commit succeeds.
        self.replication.wrote_ops = true;
        let Some(replication) = self.replication.replica() else {
            return Ok(None);
        };
        let clock = Arc::clone(&replication.clock);
        let node = replication.node(&self.tx)?;
        let mut log = SqlOpLog::new(&self.tx);
        let op = node.write(&mut log, kind, &*clock)?;
        Ok(Some(op.id))
    }

    /// Writes the rows of an op this transaction just wrote, as a received op's would be: for
    /// changes whose rows are the merged replica's verdict (a resolved booking).
    fn write_rows_of_own_op(&mut self, id: OpId) -> Result<(), LedgerError> {
        let op = SqlOpLog::new(&self.tx)
            .get(&id)?
            .ok_or(LedgerError::NotReplicating)?;
        let node = {
            let r = self
                .replication
                .replica()
                .ok_or(LedgerError::NotReplicating)?;
            r.node(&self.tx)?;
            r.node.take().ok_or(LedgerError::NotReplicating)?
        };
        let outcome = {
            let log = SqlOpLog::new(&self.tx);
            project::project(self, node.replica(), &log, &op)
        };
        if let Some(r) = self.replication.replica() {
            r.node = Some(node);
        }
        note_outcome(&self.tx, id, &outcome?)
    }

    /// Whether this transaction's changes are replicated (the ledger is enrolled).
    pub fn replicates(&mut self) -> bool {
        self.replication.replica().is_some()
    }

    /// Replicates a resident as the ledger now holds them (after a register or survey
    /// import): one op with every field. Nothing when the ledger does not replicate.
    pub fn replicate_resident(
        &mut self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
    ) -> Result<(), LedgerError> {
        if !self.replicates() {
            return Ok(());
        }
        let filter = "municipality_code = ?1 AND voucher_number = ?2";
        for kind in
            publish::resident_ops(self, filter, &[&municipality.as_str(), &voucher.as_str()])?
        {
            self.replicate(kind)?;
        }
        Ok(())
    }

    /// Replicates a resident's booking of one dose as the ledger now holds it.
    pub fn replicate_booking(
        &mut self,
        resident_id: RowId,
        dose_number: u8,
        cause: BookingCause,
    ) -> Result<(), LedgerError> {
        if !self.replicates() {
            return Ok(());
        }
        let kinds = publish::booking_ops(
            self,
            "b.resident_id = ?1 AND b.dose_number = ?2",
            &[&resident_id, &dose_number],
            cause,
        )?;
        for kind in kinds {
            self.replicate(kind)?;
        }
        Ok(())
    }

    /// The global uid of an event this transaction records: the id of its op when the ledger
    /// replicates (so every replica names it alike), else a fresh UUIDv7.
    pub fn record_event(&mut self, kind: OpKind) -> Result<String, LedgerError> {
        Ok(match self.replicate(kind)? {
            Some(id) => id.to_string(),
            None => Uuid::now_v7().to_string(),
        })
    }
}
