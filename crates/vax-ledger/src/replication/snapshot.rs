//! A scope's snapshot: a new device's first sync as one file of rows (docs/sync-spec.md §7c).
//!
//! Op by op, a new venue's first sync of the 65,000-resident city stores, merges and projects
//! 179,312 ops on one thread, about 7–9 s of CPU whatever the cores. HQ, which holds the ops,
//! does that work once: [`Ledger::make_snapshot`] receives every op it holds into a fresh
//! in-memory ledger, exactly as a device's first sync would (the same verification, merge and
//! projection), drops that ledger's own identity and signs the resulting file with HQ's key
//! ([`vax_sync::snapshot`]). A new device takes it with [`Ledger::install_snapshot`]: one
//! signature and one SHA-256 checked, the tables copied in one transaction, and then the usual
//! sync from the frontier the snapshot holds brings whatever came after it.
//!
//! The copy is all or nothing (one transaction) and only into a ledger that holds no data
//! yet, whose schema is the snapshot's, table for table and index for index. Rows the triggers
//! keep (the dashboard's tallies, the lots' balances) come as the snapshot holds them: the
//! triggers are dropped for the copy and made again in the same transaction, so nothing is
//! counted twice.

use chrono::{DateTime, FixedOffset};
use rusqlite::Connection;
use thiserror::Error;
use uuid::Uuid;
use vax_sync::http::snapshot_scope_key;
use vax_sync::{
    DeviceKey, PublicKey, ReplicaId, SnapshotError, SnapshotHeader, SnapshotSeal, SyncState,
    MAX_OPS_PER_MESSAGE,
};

use crate::{Ledger, LedgerError};

/// The device's own table: its identity, key and settings, never in a snapshot.
const DEVICE_TABLE: &str = "device_settings";
/// Keys the device may already have learned at enrollment: merged, never replaced.
const KEYS_TABLE: &str = "sync_keys";
/// The schema a snapshot is attached as while it is copied.
const ATTACHED: &str = "snapshot";
/// The name an encrypted ledger's file is attached under, to the connection that writes a
/// snapshot's rows into it.
const ENCRYPTED_LEDGER: &str = "ledger";
/// The most ops a snapshot holds. It is made, sent and taken in memory: about 1 KB of file per
/// op (the 65,000-resident city: 179,312 ops, 189 MB), and the server takes at most 2 GiB
/// (`vax_sync::http::MAX_SNAPSHOT_BYTES`). A prefecture's whole ledger (2.6 million ops) is
/// over it: each municipality's HQ makes its own.
pub const MAX_SNAPSHOT_OPS: u64 = 1_500_000;

/// A snapshot as it travels: the seal and the ledger file it names.
#[derive(Debug, Clone)]
pub struct Snapshot {
    /// Who vouches for which bytes.
    pub seal: SnapshotSeal,
    /// The SQLite file.
    pub data: Vec<u8>,
}

/// Why a ledger did not take a snapshot. Nothing was changed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum SnapshotRefusal {
    /// The seal does not verify, or the data is not what it names.
    #[error(transparent)]
    Seal(#[from] SnapshotError),
    /// Only a ledger that holds no data takes a snapshot.
    #[error("this ledger already holds data (table {table}); it syncs op by op")]
    NotEmpty {
        /// The first table found holding rows.
        table: String,
    },
    /// Written by another version of the ledger's schema.
    #[error("the snapshot was written with ledger schema {theirs}, this program writes {ours}")]
    Schema {
        /// The snapshot's.
        theirs: u32,
        /// This build's.
        ours: u32,
    },
    /// Of other municipalities than this device's scope.
    #[error("the snapshot holds {theirs:?}; this device holds {ours:?} (empty: the whole ledger)")]
    Scope {
        /// The snapshot's codes.
        theirs: Vec<String>,
        /// This device's.
        ours: Vec<String>,
    },
    /// Its tables, indexes or triggers are not this schema's, or it is not a ledger file.
    #[error("the snapshot's file is not a ledger of this schema: {0}")]
    Layout(String),
    /// The ledger making it has no signing key.
    #[error("this ledger has no signing key to seal a snapshot with")]
    NoSigningKey,
    /// Too many ops for one snapshot ([`MAX_SNAPSHOT_OPS`]).
    #[error("this ledger holds {ops} ops, more than one snapshot holds ({limit}); make one per municipality from each municipality's HQ")]
    TooLarge {
        /// The ops held.
        ops: u64,
        /// [`MAX_SNAPSHOT_OPS`].
        limit: u64,
    },
}

impl From<SnapshotRefusal> for LedgerError {
    fn from(refusal: SnapshotRefusal) -> Self {
        LedgerError::Snapshot(refusal)
    }
}

impl Ledger {
    /// The municipalities this replica holds (empty: the whole ledger).
    fn scope_codes(&self) -> Result<Vec<String>, LedgerError> {
        let held = self.reader().setting(super::KEY_SCOPE)?.unwrap_or_default();
        Ok(held.split_whitespace().map(str::to_owned).collect())
    }

    /// Makes and seals the snapshot of everything this replica holds (its scope): every op
    /// received into a fresh ledger as a new device's first sync would receive it, that
    /// ledger's identity removed, the file signed with this replica's key. HQ's job; the
    /// server takes snapshots from HQ only.
    pub fn make_snapshot(
        &mut self,
        made_at: DateTime<FixedOffset>,
    ) -> Result<Snapshot, LedgerError> {
        self.make_snapshot_of_at_most(made_at, MAX_SNAPSHOT_OPS)
    }

    /// [`Ledger::make_snapshot`], refused above `limit` ops before any work.
    fn make_snapshot_of_at_most(
        &mut self,
        made_at: DateTime<FixedOffset>,
        limit: u64,
    ) -> Result<Snapshot, LedgerError> {
        let (id, role) = self.replica_identity().ok_or(LedgerError::NotReplicating)?;
        let key = self
            .replication
            .as_ref()
            .and_then(|r| r.key.clone())
            .ok_or(SnapshotRefusal::NoSigningKey)?;
        let scope = self.scope_codes()?;
        let held = self.sync_log_summary()?.ops;
        if held > limit {
            return Err(SnapshotRefusal::TooLarge { ops: held, limit }.into());
        }

        let mut copy = Ledger::open_in_memory()?;
        // The copy's identity only names it to this exchange: it writes no op and its settings
        // are erased below. Its key is random and signs nothing.
        let copy_id = ReplicaId(Uuid::now_v7());
        copy.start_replicating(copy_id, role, &DeviceKey::from_bytes(&random_secret()))?;
        let mut to_copy = SyncState::for_peer(copy_id).with_batch_size(MAX_OPS_PER_MESSAGE);
        if !scope.is_empty() {
            // A partial replica's log skips the counters outside its scope: it says what it
            // covers, as its server did to it, so the copy takes an author's op far beyond
            // the last it holds and its frontier ends where ours does.
            to_copy = to_copy.reporting_covered();
        }
        let mut from_us = SyncState::for_peer(id)
            .trusting_peer_keys()
            .with_batch_size(MAX_OPS_PER_MESSAGE);
        loop {
            let theirs = copy.sync_generate(&mut from_us)?;
            if let Some(message) = &theirs {
                self.sync_receive(&mut to_copy, message.clone())?;
            }
            let ours = self.sync_generate(&mut to_copy)?;
            if let Some(message) = &ours {
                copy.sync_receive(&mut from_us, message.clone())?;
            }
            if theirs.is_none() && ours.is_none() {
                break;
            }
        }
        // The identity goes, and with secure_delete its bytes are overwritten, not left in
        // a free page of the file.
        copy.conn.pragma_update(None, "secure_delete", "ON")?;
        copy.conn
            .execute(&format!("DELETE FROM {DEVICE_TABLE}"), [])?;
        copy.replication = None;
        let ops: i64 = copy
            .conn
            .query_row("SELECT COUNT(*) FROM sync_ops", [], |r| r.get(0))?;
        let data = copy.conn.serialize("main")?.to_vec();
        let header = SnapshotHeader::describe(
            id,
            schema_version(),
            scope,
            made_at.to_rfc3339(),
            ops.unsigned_abs(),
            &data,
        );
        Ok(Snapshot {
            seal: header.seal(&key),
            data,
        })
    }

    /// Takes `snapshot`, sealed by the replica whose key is `author_key` (as the server that
    /// enrolled this device hands it on), into this ledger: only when it verifies, is of this
    /// device's scope and schema, and this ledger holds no data yet. All tables but the
    /// device's own are copied in one transaction; learned keys are merged. Returns the
    /// number of ops taken. A refusal ([`LedgerError::Snapshot`]) changes nothing.
    pub fn install_snapshot(
        &mut self,
        snapshot: &Snapshot,
        author_key: &PublicKey,
    ) -> Result<u64, LedgerError> {
        if self.replica_identity().is_none() {
            return Err(LedgerError::NotReplicating);
        }
        let header = &snapshot.seal.header;
        snapshot
            .seal
            .verify(author_key, &snapshot.data)
            .map_err(SnapshotRefusal::Seal)?;
        if header.schema != schema_version() {
            return Err(SnapshotRefusal::Schema {
                theirs: header.schema,
                ours: schema_version(),
            }
            .into());
        }
        let ours = self.scope_codes()?;
        if snapshot_scope_key(&header.scope) != snapshot_scope_key(&ours) {
            return Err(SnapshotRefusal::Scope {
                theirs: header.scope.clone(),
                ours,
            }
            .into());
        }
        let tables = data_tables(&self.conn, "main")?;
        for table in &tables {
            if table != KEYS_TABLE && holds_rows(&self.conn, "main", table)? {
                return Err(SnapshotRefusal::NotEmpty {
                    table: table.clone(),
                }
                .into());
            }
        }

        // Looked at on a connection of its own first: bytes that are not a ledger of this
        // schema never reach the ledger's connection, whose every statement would then fail
        // on the attached schema (even the detach).
        let (probe, theirs) = probe(&snapshot.data, ReadOnly::Yes)?;
        let ours = schema_objects(&self.conn, "main")?;
        if ours != theirs {
            let differs = ours
                .iter()
                .zip(&theirs)
                .find(|(a, b)| a != b)
                .map(|(a, _)| a.name.clone())
                .unwrap_or_else(|| format!("{} objects against {}", theirs.len(), ours.len()));
            return Err(SnapshotRefusal::Layout(format!("{differs} differs")).into());
        }
        let ops: u64 = probe
            .query_row("SELECT COUNT(*) FROM sync_ops", [], |r| r.get::<_, i64>(0))
            .map_err(|e| SnapshotRefusal::Layout(e.to_string()))?
            .unsigned_abs();
        // The merged state is rebuilt from the snapshot's log on another core while this one
        // copies the tables (about 1.5 s and 1 s for the 65,000-resident city): the exchange
        // that follows needs it at once.
        let (id, role) = self.replica_identity().ok_or(LedgerError::NotReplicating)?;
        // SQLCipher does not take a plain file attached to an encrypted ledger's connection
        // ("file is not a database"): there a probe of its own attaches the ledger's file
        // under its key and writes the tables into it.
        let writer = match self.data_key.clone() {
            // Writable: a write transaction locks its main schema too.
            Some(key) => Some((key, self::probe(&snapshot.data, ReadOnly::No)?.0)),
            None => None,
        };
        let (copied, restored) = std::thread::scope(|scope| {
            let restoring = scope.spawn(move || super::restore_node(id, role, &probe));
            let copied = match writer {
                Some((key, mut writer)) => {
                    self.copy_into_encrypted(&key, &mut writer, &tables, &theirs)
                }
                None => self.copy_attached(snapshot, &tables, &theirs),
            };
            (copied, restoring.join())
        });
        copied?;
        let node = restored.map_err(|_| {
            LedgerError::from(SnapshotRefusal::Layout(
                "its op log could not be read".into(),
            ))
        })??;
        if let Some(replication) = self.replication.as_mut() {
            replication.forget_state();
            replication.node = Some(replication.keyed(node, &self.conn)?);
        }
        Ok(ops)
    }

    /// The copy into a plain ledger: the snapshot attached as [`ATTACHED`] (writable, a
    /// private copy in memory: a write transaction locks every attached schema) and each table
    /// filled by one `INSERT … SELECT`.
    fn copy_attached(
        &mut self,
        snapshot: &Snapshot,
        tables: &[String],
        theirs: &[SchemaObject],
    ) -> Result<(), LedgerError> {
        self.conn.execute(
            &format!("ATTACH DATABASE ':memory:' AS {ATTACHED} KEY ''"),
            [],
        )?;
        let copied = self
            .conn
            .deserialize_read_exact(
                ATTACHED,
                snapshot.data.as_slice(),
                snapshot.data.len(),
                false,
            )
            .map_err(LedgerError::from)
            .and_then(|()| {
                self.bulk_copy(tables, theirs, |tx, table, verb| {
                    tx.execute(
                        &format!(
                            "{verb} INTO main.\"{table}\" SELECT * FROM {ATTACHED}.\"{table}\""
                        ),
                        [],
                    )?;
                    Ok(())
                })
            });
        let detached = self
            .conn
            .execute(&format!("DETACH DATABASE {ATTACHED}"), []);
        copied?;
        detached?;
        Ok(())
    }

    /// The copy into an encrypted ledger: `writer`, a connection holding the snapshot as its
    /// main schema, attaches this ledger's file under its key as [`ENCRYPTED_LEDGER`] and fills
    /// each table by one `INSERT … SELECT`, in one transaction, as [`Self::copy_attached`]
    /// does through the ledger's own connection (which is idle meanwhile, and reads the rows
    /// and the remade triggers once it commits), under the rollback journal the ledger's own
    /// connection sets before the file is attached (another connection cannot take the file
    /// out of WAL mode).
    fn copy_into_encrypted(
        &mut self,
        key: &crate::at_rest::LedgerKey,
        writer: &mut Connection,
        tables: &[String],
        layout: &[SchemaObject],
    ) -> Result<(), LedgerError> {
        let path = self
            .conn
            .path()
            .filter(|p| !p.is_empty())
            .map(std::path::PathBuf::from)
            .ok_or_else(|| SnapshotRefusal::Layout("an encrypted ledger in memory".into()))?;
        self.with_rollback_journal(|_| {
            writer.busy_timeout(std::time::Duration::from_secs(5))?;
            writer.pragma_update(None, "foreign_keys", "OFF")?;
            vax_at_rest::attach_keyed(writer, &path, key, ENCRYPTED_LEDGER)?;
            let copied = copy_tables(
                writer,
                ENCRYPTED_LEDGER,
                tables,
                layout,
                |tx, table, verb| {
                    let sql = format!(
                        "{verb} INTO {ENCRYPTED_LEDGER}.\"{table}\" SELECT * FROM main.\"{table}\""
                    );
                    tx.execute(&sql, [])?;
                    Ok(())
                },
            );
            let detached = writer.execute(&format!("DETACH DATABASE {ENCRYPTED_LEDGER}"), []);
            copied?;
            detached?;
            Ok(())
        })
    }

    /// Fills every table in one transaction with `fill` (given the table and the verb to
    /// write it with), the triggers dropped for it and made again in it, so the tallies come
    /// as the snapshot holds them, with the foreign keys the snapshot's own ledger enforced as
    /// its rows were made not checked again row by row (a connection setting, restored
    /// whatever happens), under a rollback journal ([`Self::with_rollback_journal`]).
    fn bulk_copy(
        &mut self,
        tables: &[String],
        layout: &[SchemaObject],
        fill: impl Fn(&rusqlite::Transaction<'_>, &str, &str) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        self.with_rollback_journal(|ledger| {
            ledger.conn.pragma_update(None, "foreign_keys", "OFF")?;
            let copied = copy_tables(&mut ledger.conn, "main", tables, layout, fill);
            ledger.conn.pragma_update(None, "foreign_keys", "ON")?;
            copied
        })
    }

    /// Runs `copy` with this ledger's file under a rollback journal instead of the WAL, and
    /// then puts its journal mode back whatever happened. A new ledger's tables are empty:
    /// the snapshot's rows are written straight into the file (the WAL would write every page
    /// twice, the second time at the checkpoint). Only the ledger's own connection can switch
    /// it, before another attaches the file.
    fn with_rollback_journal(
        &mut self,
        copy: impl FnOnce(&mut Self) -> Result<(), LedgerError>,
    ) -> Result<(), LedgerError> {
        let journal: String = self
            .conn
            .query_row("PRAGMA main.journal_mode", [], |r| r.get(0))?;
        let direct = self
            .conn
            .query_row("PRAGMA main.journal_mode = DELETE", [], |r| {
                r.get::<_, String>(0)
            })
            .is_ok_and(|mode| mode.eq_ignore_ascii_case("delete"));
        let copied = copy(self);
        if direct {
            self.conn
                .query_row(&format!("PRAGMA main.journal_mode = {journal}"), [], |r| {
                    r.get::<_, String>(0)
                })?;
        }
        copied
    }
}

/// One copy transaction: triggers dropped, every table filled by `fill`, triggers made again.
fn copy_tables(
    conn: &mut Connection,
    schema: &str,
    tables: &[String],
    layout: &[SchemaObject],
    fill: impl Fn(&rusqlite::Transaction<'_>, &str, &str) -> Result<(), LedgerError>,
) -> Result<(), LedgerError> {
    let tx = crate::begin_write(conn)?;
    let triggers: Vec<&SchemaObject> = layout.iter().filter(|o| o.kind == "trigger").collect();
    for trigger in &triggers {
        tx.execute(&format!("DROP TRIGGER {schema}.\"{}\"", trigger.name), [])?;
    }
    for table in tables {
        let verb = if table == KEYS_TABLE {
            "INSERT OR IGNORE"
        } else {
            "INSERT"
        };
        fill(&tx, table, verb)?;
    }
    for trigger in &triggers {
        if let Some(sql) = &trigger.sql {
            tx.execute(&in_schema(sql, schema), [])?;
        }
    }
    tx.commit()?;
    Ok(())
}

/// A trigger's `CREATE TRIGGER` statement made in `schema` instead of the connection's main
/// one (the statements in its body then name that schema's tables, as SQLite resolves them).
fn in_schema<'a>(sql: &'a str, schema: &str) -> std::borrow::Cow<'a, str> {
    const KEYWORD: &str = "TRIGGER";
    if schema == "main" {
        return sql.into();
    }
    // ASCII upper-casing keeps every byte offset.
    let upper = sql.to_ascii_uppercase();
    let Some(at) = upper.find(KEYWORD) else {
        return sql.into();
    };
    let skip_blanks = |from: usize| from + (upper[from..].len() - upper[from..].trim_start().len());
    let mut name_at = skip_blanks(at + KEYWORD.len());
    if upper[name_at..].starts_with("IF NOT EXISTS") {
        name_at = skip_blanks(name_at + "IF NOT EXISTS".len());
    }
    format!("{}{schema}.{}", &sql[..name_at], &sql[name_at..]).into()
}

/// Whether a probe's copy of the snapshot may be written (it is private to the probe).
#[derive(Clone, Copy, PartialEq, Eq)]
enum ReadOnly {
    Yes,
    No,
}

/// A snapshot's file opened (in memory) on a connection of its own, and its tables, indexes
/// and triggers.
fn probe(
    data: &[u8],
    read_only: ReadOnly,
) -> Result<(Connection, Vec<SchemaObject>), SnapshotRefusal> {
    let refused = |e: rusqlite::Error| SnapshotRefusal::Layout(e.to_string());
    let mut probe = Connection::open_in_memory().map_err(refused)?;
    probe
        .deserialize_read_exact("main", data, data.len(), read_only == ReadOnly::Yes)
        .map_err(refused)?;
    let layout = schema_objects(&probe, "main").map_err(refused)?;
    Ok((probe, layout))
}

/// The ledger schema version this build writes.
fn schema_version() -> u32 {
    u32::try_from(crate::schema::latest_version()).unwrap_or(u32::MAX)
}

/// 32 bytes for a key that never signs: the random bits of two UUIDv7s (the operating
/// system's randomness, through `uuid`), no generator of our own for a throw-away identity.
fn random_secret() -> [u8; 32] {
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(Uuid::now_v7().as_bytes());
    secret[16..].copy_from_slice(Uuid::now_v7().as_bytes());
    secret
}

/// An entry of `sqlite_master`.
#[derive(Debug, PartialEq, Eq)]
struct SchemaObject {
    kind: String,
    name: String,
    table: String,
    sql: Option<String>,
}

/// A schema's tables, indexes and triggers (SQLite's own excluded), in a fixed order.
fn schema_objects(conn: &Connection, schema: &str) -> rusqlite::Result<Vec<SchemaObject>> {
    let mut stmt = conn.prepare(&format!(
        "SELECT type, name, tbl_name, sql FROM {schema}.sqlite_master
         WHERE name NOT LIKE 'sqlite_%' ORDER BY type, name"
    ))?;
    let rows = stmt.query_map([], |r| {
        Ok(SchemaObject {
            kind: r.get(0)?,
            name: r.get(1)?,
            table: r.get(2)?,
            sql: r.get(3)?,
        })
    })?;
    rows.collect()
}

/// The tables of a schema that hold data (all but the device's own and SQLite's).
fn data_tables(conn: &Connection, schema: &str) -> Result<Vec<String>, LedgerError> {
    Ok(schema_objects(conn, schema)?
        .into_iter()
        .filter(|o| o.kind == "table" && o.name != DEVICE_TABLE)
        .map(|o| o.name)
        .collect())
}

/// Whether `table` holds any row.
fn holds_rows(conn: &Connection, schema: &str, table: &str) -> Result<bool, LedgerError> {
    Ok(conn.query_row(
        &format!("SELECT EXISTS (SELECT 1 FROM {schema}.\"{table}\")"),
        [],
        |r| r.get(0),
    )?)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vax_sync::{Inquiry, InquiryTopic, OpKind, Role};

    #[test]
    fn a_ledger_holding_more_ops_than_a_snapshot_holds_is_refused_before_any_work() {
        let mut hq = Ledger::open_in_memory().unwrap();
        hq.start_replicating(
            ReplicaId::from_u128(1),
            Role::Hq,
            &DeviceKey::from_bytes(&[1; 32]),
        )
        .unwrap();
        let mut tx = hq.transaction().unwrap();
        for _ in 0..3 {
            tx.record_event(OpKind::Inquiry(Inquiry::new(
                vax_domain::voucher::VoucherNumber::parse("0000000001").unwrap(),
                InquiryTopic::Other,
                "電話",
            )))
            .unwrap();
        }
        tx.commit().unwrap();
        let at = DateTime::parse_from_rfc3339("2021-06-01T20:00:00+09:00").unwrap();
        match hq.make_snapshot_of_at_most(at, 2) {
            Err(LedgerError::Snapshot(SnapshotRefusal::TooLarge { ops: 3, limit: 2 })) => {}
            other => panic!("expected too large, got {other:?}"),
        }
        assert_eq!(
            hq.make_snapshot_of_at_most(at, 3).unwrap().seal.header.ops,
            3
        );
    }
}
