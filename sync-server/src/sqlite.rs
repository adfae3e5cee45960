//! The embedded default store: one SQLite file in WAL mode with `synchronous=FULL`, its schema
//! made by the numbered SQL files in `sync-server/migrations/`.

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::path::Path;

use chrono::{DateTime, SecondsFormat, Utc};
use crdts::{CmRDT, Dot, VClock};
use rusqlite::{params, Connection, OptionalExtension};
use rusqlite_migration::{Migrations, M};
use uuid::Uuid;
use vax_sync::{EncodedOp, Op, OpId, OpLog, PublicKey, ReplicaId, Role, VenueCode};

use crate::at_rest::{self, KeyError, StoreKey};
use crate::store::{
    scope_from_stored, scope_to_stored, Device, DeviceRecord, EnrollmentCodeRecord, OpClass,
    ScopeIndex, ServerStore, StoreError,
};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

/// Every migration, in order. Append only: a landed file is never edited or removed.
pub const MIGRATIONS: &[(&str, &str)] = &[
    ("0001_init", include_str!("../migrations/0001_init.sql")),
    (
        "0002_device_keys",
        include_str!("../migrations/0002_device_keys.sql"),
    ),
    ("0003_scopes", include_str!("../migrations/0003_scopes.sql")),
    (
        "0004_resident_records",
        include_str!("../migrations/0004_resident_records.sql"),
    ),
    (
        "0005_op_log_rows",
        include_str!("../migrations/0005_op_log_rows.sql"),
    ),
    (
        "0006_snapshots",
        include_str!("../migrations/0006_snapshots.sql"),
    ),
];

/// The SQLite store. Reads of the frontier (`seen`, `last_counter`, `authors`) come from
/// memory, rebuilt from the ops table when the file is opened.
pub struct SqliteStore {
    conn: Connection,
    /// The classes of the ops the next append stores ([`ServerStore::stage_op_scopes`]).
    staged_scopes: HashMap<OpId, OpClass>,
    /// The last op of each author in each scope ([`ScopeIndex`]).
    scope_index: ScopeIndex,
    server_id: ReplicaId,
    seen: VClock<ReplicaId>,
    last: BTreeMap<ReplicaId, u64>,
    count: u64,
}

impl std::fmt::Debug for SqliteStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("SqliteStore")
            .field("server_id", &self.server_id)
            .field("ops", &self.count)
            .finish_non_exhaustive()
    }
}

fn db<E: std::error::Error + Send + Sync + 'static>(e: E) -> StoreError {
    StoreError::backend(e)
}

fn time_str(t: DateTime<Utc>) -> String {
    t.to_rfc3339_opts(SecondsFormat::Millis, true)
}

fn parse_time(s: &str) -> Result<DateTime<Utc>, StoreError> {
    DateTime::parse_from_rfc3339(s)
        .map(|t| t.with_timezone(&Utc))
        .map_err(|e| StoreError::Corrupt(format!("time {s:?}: {e}")))
}

/// The stable snake_case name of a role (`venue_manager`), as in the wire format.
pub fn role_name(role: Role) -> &'static str {
    match role {
        Role::Reception => "reception",
        Role::Booth => "booth",
        Role::VenueManager => "venue_manager",
        Role::CallCentre => "call_centre",
        Role::Hq => "hq",
        Role::Server => "server",
        Role::Relay => "relay",
    }
}

/// Parses a role from its snake_case name.
pub fn parse_role(s: &str) -> Option<Role> {
    serde_json::from_value(serde_json::Value::String(s.to_owned())).ok()
}

fn role_from_row(s: &str) -> Result<Role, StoreError> {
    parse_role(s).ok_or_else(|| StoreError::Corrupt(format!("role {s:?}")))
}

fn replica_from_row(s: &str) -> Result<ReplicaId, StoreError> {
    Uuid::parse_str(s)
        .map(ReplicaId)
        .map_err(|e| StoreError::Corrupt(format!("replica id {s:?}: {e}")))
}

fn hash_from_row(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into()
        .map_err(|_| StoreError::Corrupt("hash is not 32 bytes".into()))
}

impl SqliteStore {
    /// Opens (or creates) the plain database file and brings its schema up to date. An
    /// encrypted store is refused ([`KeyError::Locked`]): open it with
    /// [`SqliteStore::open_keyed`].
    pub fn open(path: &Path) -> Result<Self, StoreError> {
        Self::open_keyed(path, None)
    }

    /// Opens the store at `path` with its key when it is encrypted (docs/encryption.md), as
    /// a plain file when no key is given. Refused, with nothing changed: an encrypted store
    /// without its key or with another, a key for a plain or missing store (a mistyped path
    /// never makes a new plain store), and a store whose encryption was begun without its
    /// key. A store whose encryption was cut short is finished here, with the key.
    ///
    /// A store whose key is being changed (`vaxsync store rekey` cut short) is refused with
    /// either key, but for the new one once the store is under it: that open ends the change.
    pub fn open_keyed(path: &Path, key: Option<&StoreKey>) -> Result<Self, StoreError> {
        let locked = at_rest::has_content(path) && !vax_at_rest::is_plain(path);
        if let Some(check) = at_rest::rekey_begun(path)? {
            let renamed = key.is_some_and(|key| {
                locked
                    && key.check_value() == check
                    && vax_at_rest::keyed_connection(path, key).is_ok()
            });
            if !renamed {
                return Err(KeyError::RekeyUnfinished { path: path.into() }.into());
            }
            at_rest::end_rekey(path)?;
        }
        let Some(key) = key else {
            if locked {
                return Err(KeyError::Locked { path: path.into() }.into());
            }
            if at_rest::has_content(path) && at_rest::recorded_key_check(path)?.is_some() {
                return Err(KeyError::Unfinished { path: path.into() }.into());
            }
            return Self::with_connection(Connection::open(path).map_err(db)?);
        };
        if !at_rest::has_content(path) {
            return Err(KeyError::NotEncrypted { path: path.into() }.into());
        }
        if !locked {
            match at_rest::recorded_key_check(path)? {
                None => return Err(KeyError::NotEncrypted { path: path.into() }.into()),
                Some(check) if check != key.check_value() => {
                    return Err(KeyError::WrongKey { path: path.into() }.into())
                }
                // `vaxsync store encrypt` stopped after recording the key: finish its work.
                Some(_) => vax_at_rest::export_encrypted(path, key).map_err(KeyError::AtRest)?,
            }
        }
        let conn = vax_at_rest::keyed_connection(path, key)
            .map_err(|e| crate::at_rest::refused_key(path, e))?;
        Self::with_connection(conn)
    }

    /// Creates or migrates the plain store at `path` and records that its encryption under
    /// `key` has begun (the key's check value, never the key), in a committed transaction.
    pub(crate) fn begin_encryption(path: &Path, key: &StoreKey) -> Result<(), StoreError> {
        let store = Self::with_connection(Connection::open(path).map_err(db)?)?;
        store
            .conn
            .execute(
                "INSERT INTO meta (key, value) VALUES (?1, ?2) \
                 ON CONFLICT (key) DO UPDATE SET value = excluded.value",
                [at_rest::KEY_CHECK, &key.check_value()],
            )
            .map_err(db)?;
        Ok(())
    }

    /// Opens the database of a replica whose id was minted elsewhere (a venue relay's: the
    /// centre minted it at enrollment). A new database takes the id; one holding another id
    /// is refused.
    pub fn open_as(path: &Path, id: ReplicaId) -> Result<Self, StoreError> {
        Self::open_as_keyed(path, id, None)
    }

    /// [`SqliteStore::open_as`] for a log encrypted at rest under `key`
    /// ([`SqliteStore::open_keyed`]).
    pub fn open_as_keyed(
        path: &Path,
        id: ReplicaId,
        key: Option<&StoreKey>,
    ) -> Result<Self, StoreError> {
        let mut store = Self::open_keyed(path, key)?;
        if store.server_id != id {
            if store.count > 0 {
                return Err(StoreError::Corrupt(format!(
                    "{} is the log of replica {}, not {id}",
                    path.display(),
                    store.server_id
                )));
            }
            store
                .conn
                .execute(
                    "UPDATE meta SET value = ?1 WHERE key = 'server_replica_id'",
                    [id.to_string()],
                )
                .map_err(db)?;
            store.server_id = id;
        }
        Ok(store)
    }

    /// An in-memory database, for tests.
    pub fn open_in_memory() -> Result<Self, StoreError> {
        let conn = Connection::open_in_memory().map_err(db)?;
        Self::with_connection(conn)
    }

    fn with_connection(mut conn: Connection) -> Result<Self, StoreError> {
        conn.busy_timeout(std::time::Duration::from_secs(10))
            .map_err(db)?;
        // WAL lets the CLI read (and create enrollment codes) while the server runs; FULL
        // makes an acknowledged batch survive a power cut.
        let _mode: String = conn
            .query_row("PRAGMA journal_mode=WAL", [], |r| r.get(0))
            .map_err(db)?;
        conn.execute_batch("PRAGMA synchronous=FULL; PRAGMA foreign_keys=ON;")
            .map_err(db)?;
        Migrations::new(MIGRATIONS.iter().map(|(_, sql)| M::up(sql)).collect())
            .to_latest(&mut conn)
            .map_err(|e| StoreError::Migration(e.to_string()))?;

        let existing: Option<String> = conn
            .query_row(
                "SELECT value FROM meta WHERE key = 'server_replica_id'",
                [],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        let server_id = match existing {
            Some(s) => replica_from_row(&s)?,
            None => {
                let id = ReplicaId(Uuid::now_v7());
                conn.execute(
                    "INSERT INTO meta (key, value) VALUES ('server_replica_id', ?1)",
                    [id.to_string()],
                )
                .map_err(db)?;
                id
            }
        };

        let mut store = Self {
            conn,
            staged_scopes: HashMap::new(),
            scope_index: ScopeIndex::new(),
            server_id,
            seen: VClock::new(),
            last: BTreeMap::new(),
            count: 0,
        };
        store.load_frontier()?;
        Ok(store)
    }

    fn load_frontier(&mut self) -> Result<(), StoreError> {
        let mut stmt = self
            .conn
            .prepare("SELECT author, counter FROM ops ORDER BY author, counter")
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        let mut seen = VClock::new();
        let mut last = BTreeMap::new();
        let mut count = 0;
        let mut current: Option<(String, ReplicaId, u64)> = None;
        while let Some(row) = rows.next().map_err(db)? {
            let author: String = row.get(0).map_err(db)?;
            let counter: i64 = row.get(1).map_err(db)?;
            let counter = u64::try_from(counter)
                .map_err(|_| StoreError::Corrupt(format!("counter {counter}")))?;
            count += 1;
            let same = matches!(&current, Some((a, _, _)) if *a == author);
            if !same {
                let id = replica_from_row(&author)?;
                current = Some((author, id, 0));
            }
            if let Some((_, id, contiguous)) = &mut current {
                if counter == *contiguous + 1 {
                    *contiguous = counter;
                    seen.apply(Dot::new(*id, counter));
                }
                last.insert(*id, counter);
            }
        }
        self.seen = seen;
        self.last = last;
        self.count = count;
        drop(rows);
        drop(stmt);
        self.load_scope_index()
    }

    fn load_scope_index(&mut self) -> Result<(), StoreError> {
        let mut index = ScopeIndex::new();
        let mut stmt = self
            .conn
            .prepare(
                "SELECT author, scope, MAX(counter) FROM ops WHERE scope IS NOT NULL
                 GROUP BY author, scope",
            )
            .map_err(db)?;
        let mut rows = stmt.query([]).map_err(db)?;
        while let Some(row) = rows.next().map_err(db)? {
            let author = replica_from_row(&row.get::<_, String>(0).map_err(db)?)?;
            let scope: String = row.get(1).map_err(db)?;
            index.note(author, counter_u64(row.get(2).map_err(db)?)?, &scope);
        }
        drop(rows);
        drop(stmt);
        self.scope_index = index;
        Ok(())
    }
}

/// The ops of stored bodies, read by a query.
fn parse_bodies(
    rows: impl Iterator<Item = rusqlite::Result<String>>,
) -> Result<Vec<Op>, StoreError> {
    rows.map(|body| {
        serde_json::from_str(&body.map_err(db)?).map_err(|e| StoreError::Corrupt(e.to_string()))
    })
    .collect()
}

fn counter_u64(counter: i64) -> Result<u64, StoreError> {
    u64::try_from(counter).map_err(|_| StoreError::Corrupt(format!("counter {counter}")))
}

fn counter_sql(counter: u64) -> i64 {
    i64::try_from(counter).unwrap_or(i64::MAX)
}

impl OpLog for SqliteStore {
    type Error = StoreError;

    fn get(&self, id: &OpId) -> Result<Option<Op>, StoreError> {
        let body: Option<String> = self
            .conn
            .prepare_cached("SELECT body FROM ops WHERE author = ?1 AND counter = ?2")
            .map_err(db)?
            .query_row(
                params![id.replica.to_string(), counter_sql(id.counter)],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)?;
        body.map(|b| serde_json::from_str(&b).map_err(|e| StoreError::Corrupt(e.to_string())))
            .transpose()
    }

    fn append(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut inserted = 0u64;
        let scopes = std::mem::take(&mut self.staged_scopes);
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "INSERT INTO ops (author, counter, kind, body, scope, resident)
                     VALUES (?1, ?2, ?3, ?4, ?5, ?6)
                     ON CONFLICT (author, counter) DO NOTHING",
                )
                .map_err(db)?;
            let mut held = tx
                .prepare_cached("SELECT body FROM ops WHERE author = ?1 AND counter = ?2")
                .map_err(db)?;
            for op in ops {
                let body =
                    serde_json::to_string(op).map_err(|e| StoreError::Corrupt(e.to_string()))?;
                let (author, counter) = (op.author().to_string(), counter_sql(op.id.counter));
                let class = scopes.get(&op.id);
                let scope = class.map(|c| c.scope.as_stored());
                let resident = class.and_then(|c| c.resident.as_ref()).map(|r| r.as_str());
                let added = stmt
                    .execute(params![
                        author,
                        counter,
                        op.kind.name(),
                        body,
                        scope,
                        resident
                    ])
                    .map_err(db)? as u64;
                // An id already held is fine only with the same op: another body under it
                // is an error, never a silent drop (the transaction rolls back).
                if added == 0 {
                    let existing: String = held
                        .query_row(params![author, counter], |r| r.get(0))
                        .map_err(db)?;
                    if existing != body {
                        return Err(StoreError::ConflictingOp(op.id));
                    }
                }
                inserted += added;
            }
        }
        // The new frontier is read inside the transaction, so that nothing can fail between
        // the commit and the in-memory update: memory never falls behind the file.
        let mut by_author: BTreeMap<ReplicaId, BTreeSet<u64>> = BTreeMap::new();
        for op in ops {
            by_author
                .entry(op.author())
                .or_default()
                .insert(op.id.counter);
        }
        let mut frontiers = Vec::with_capacity(by_author.len());
        {
            let mut exists = tx
                .prepare_cached("SELECT 1 FROM ops WHERE author = ?1 AND counter = ?2")
                .map_err(db)?;
            for (author, counters) in &by_author {
                let name = author.to_string();
                let mut frontier = self.seen.get(author);
                while counters.contains(&(frontier + 1))
                    || exists
                        .exists(params![name, counter_sql(frontier + 1)])
                        .map_err(db)?
                {
                    frontier += 1;
                }
                let max = counters.iter().next_back().copied().unwrap_or(0);
                frontiers.push((*author, frontier, max));
            }
        }
        tx.commit().map_err(db)?;

        // Committed: bring the in-memory frontier up to date (nothing here can fail).
        for op in ops {
            if let Some(class) = scopes.get(&op.id) {
                self.scope_index
                    .note(op.author(), op.id.counter, class.scope.as_stored());
            }
        }
        self.count += inserted;
        for (author, frontier, max) in frontiers {
            let last = self.last.entry(author).or_insert(0);
            *last = (*last).max(max);
            self.seen.apply(Dot::new(author, frontier));
        }
        Ok(())
    }

    fn last_counter(&self, author: ReplicaId) -> Result<u64, StoreError> {
        Ok(self.last.get(&author).copied().unwrap_or(0))
    }

    fn held_ranges_after(
        &self,
        author: ReplicaId,
        after: u64,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        // Counters only, from the primary key: no op body is read.
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT counter FROM ops WHERE author = ?1 AND counter > ?2 ORDER BY counter",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map(params![author.to_string(), counter_sql(after)], |r| {
                r.get::<_, i64>(0)
            })
            .map_err(db)?;
        let mut counters = Vec::new();
        for counter in rows {
            counters.push(counter.map_err(db)?.unsigned_abs());
        }
        Ok(vax_sync::log::ranges_of(counters))
    }

    fn seen(&self) -> Result<VClock<ReplicaId>, StoreError> {
        Ok(self.seen.clone())
    }

    /// For a venue relay holding a partial replica. The frontier lives in memory and is rebuilt
    /// from the ops at start, short of `through` until a reply covers it again: the ops in
    /// between come again and, held, are counted as duplicates.
    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), StoreError> {
        let name = author.to_string();
        let mut frontier = self.seen.get(&author).max(through);
        let mut exists = self
            .conn
            .prepare_cached("SELECT 1 FROM ops WHERE author = ?1 AND counter = ?2")
            .map_err(db)?;
        while exists
            .exists(params![name, counter_sql(frontier + 1)])
            .map_err(db)?
        {
            frontier += 1;
        }
        self.seen.apply(Dot::new(author, frontier));
        Ok(())
    }

    fn authors(&self) -> Result<Vec<ReplicaId>, StoreError> {
        Ok(self.last.keys().copied().collect())
    }

    fn ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Op>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT body FROM ops WHERE author = ?1 AND counter > ?2 ORDER BY counter LIMIT ?3",
            )
            .map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![author.to_string(), counter_sql(after), limit],
                |r| r.get::<_, String>(0),
            )
            .map_err(db)?;
        parse_bodies(rows)
    }

    /// The stored bodies as they are, for a reply (no parse, no re-encoding).
    fn encoded_ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<EncodedOp>, StoreError> {
        self.encoded_ops(author, after, limit, None)
    }
}

impl SqliteStore {
    /// Up to `limit` stored bodies of `author` above `after`; with a scope (its codes padded
    /// with spaces: ` 262021 262030 `), only the ops a replica of that scope receives.
    fn encoded_ops(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
        padded_scope: Option<&str>,
    ) -> Result<Vec<EncodedOp>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT counter, body FROM ops WHERE author = ?1 AND counter > ?2
                   AND (?4 IS NULL OR scope = '*' OR instr(?4, ' ' || scope || ' ') > 0)
                 ORDER BY counter LIMIT ?3",
            )
            .map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![author.to_string(), counter_sql(after), limit, padded_scope],
                |r| Ok((r.get::<_, i64>(0)?, r.get::<_, String>(1)?)),
            )
            .map_err(db)?;
        let mut ops = Vec::new();
        for row in rows {
            let (counter, body) = row.map_err(db)?;
            let id = OpId {
                replica: author,
                counter: counter.unsigned_abs(),
            };
            ops.push(
                EncodedOp::from_stored(id, body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
        Ok(ops)
    }
}

impl ServerStore for SqliteStore {
    fn server_replica_id(&self) -> Result<ReplicaId, StoreError> {
        Ok(self.server_id)
    }

    fn add_enrollment_code(&mut self, code: &EnrollmentCodeRecord) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO enrollment_codes (code_hash, role, venue, created_at, expires_at, scope)
                 VALUES (?1, ?2, ?3, ?4, ?5, ?6)",
                params![
                    &code.code_hash[..],
                    role_name(code.role),
                    code.venue.as_ref().map(|v| v.0.as_str()),
                    time_str(code.created_at),
                    time_str(code.expires_at),
                    scope_to_stored(&code.scope),
                ],
            )
            .map_err(db)?;
        Ok(())
    }

    fn redeem_enrollment_code(
        &mut self,
        code_hash: &[u8; 32],
        now: DateTime<Utc>,
        mut device: Device,
        token_hash: &[u8; 32],
    ) -> Result<Option<Device>, StoreError> {
        let tx = self
            .conn
            .transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
            .map_err(db)?;
        #[allow(clippy::type_complexity)]
        let row: Option<(String, Option<String>, String, Option<String>, String)> = tx
            .query_row(
                "SELECT role, venue, expires_at, used_at, scope FROM enrollment_codes
                 WHERE code_hash = ?1",
                [&code_hash[..]],
                |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?, r.get(3)?, r.get(4)?)),
            )
            .optional()
            .map_err(db)?;
        let Some((role, venue, expires_at, used_at, scope)) = row else {
            return Ok(None);
        };
        if used_at.is_some() || parse_time(&expires_at)? <= now {
            return Ok(None);
        }
        device.role = role_from_row(&role)?;
        device.venue = venue.map(VenueCode);
        device.scope = scope_from_stored(&scope)?;
        tx.execute(
            "UPDATE enrollment_codes SET used_at = ?1, used_by = ?2 WHERE code_hash = ?3",
            params![time_str(now), device.replica_id.to_string(), &code_hash[..]],
        )
        .map_err(db)?;
        tx.execute(
            "INSERT INTO devices (replica_id, token_hash, name, role, venue, enrolled_at, public_key,
                                  scope)
             VALUES (?1, ?2, ?3, ?4, ?5, ?6, ?7, ?8)",
            params![
                device.replica_id.to_string(),
                &token_hash[..],
                device.name,
                role_name(device.role),
                device.venue.as_ref().map(|v| v.0.as_str()),
                time_str(device.enrolled_at),
                device.public_key.map(|k| k.to_string()),
                scope_to_stored(&device.scope),
            ],
        )
        .map_err(db)?;
        tx.commit().map_err(db)?;
        Ok(Some(device))
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        let mut stmt = self
            .conn
            .prepare(
                "SELECT replica_id, token_hash, name, role, venue, enrolled_at, public_key,
                        revoked_at, scope
                 FROM devices ORDER BY enrolled_at, replica_id",
            )
            .map_err(db)?;
        let rows = stmt
            .query_map([], |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, Vec<u8>>(1)?,
                    r.get::<_, String>(2)?,
                    r.get::<_, String>(3)?,
                    r.get::<_, Option<String>>(4)?,
                    r.get::<_, String>(5)?,
                    r.get::<_, Option<String>>(6)?,
                    r.get::<_, Option<String>>(7)?,
                    r.get::<_, String>(8)?,
                ))
            })
            .map_err(db)?;
        let mut out = Vec::new();
        for row in rows {
            let (id, hash, name, role, venue, enrolled_at, public_key, revoked_at, scope) =
                row.map_err(db)?;
            out.push(DeviceRecord {
                device: Device {
                    replica_id: replica_from_row(&id)?,
                    name,
                    role: role_from_row(&role)?,
                    venue: venue.map(VenueCode),
                    enrolled_at: parse_time(&enrolled_at)?,
                    public_key: public_key
                        .map(|k| {
                            PublicKey::from_hex(&k)
                                .map_err(|e| StoreError::Corrupt(format!("public key: {e}")))
                        })
                        .transpose()?,
                    revoked_at: revoked_at.as_deref().map(parse_time).transpose()?,
                    scope: scope_from_stored(&scope)?,
                },
                token_hash: hash_from_row(hash)?,
            });
        }
        Ok(out)
    }

    fn op_count(&self) -> Result<u64, StoreError> {
        Ok(self.count)
    }

    fn revoke_device(
        &mut self,
        replica: ReplicaId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let known = self
            .conn
            .execute(
                "UPDATE devices SET revoked_at = COALESCE(revoked_at, ?1) WHERE replica_id = ?2",
                params![time_str(now), replica.to_string()],
            )
            .map_err(db)?;
        Ok(known == 1)
    }

    fn revoked_at(&self, replica: ReplicaId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let at: Option<Option<String>> = self
            .conn
            .prepare_cached("SELECT revoked_at FROM devices WHERE replica_id = ?1")
            .map_err(db)?
            .query_row([replica.to_string()], |r| r.get(0))
            .optional()
            .map_err(db)?;
        at.flatten().as_deref().map(parse_time).transpose()
    }

    fn replace_token(
        &mut self,
        replica: ReplicaId,
        token_hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let known = self
            .conn
            .execute(
                "UPDATE devices SET token_hash = ?1 WHERE replica_id = ?2",
                params![&token_hash[..], replica.to_string()],
            )
            .map_err(db)?;
        Ok(known == 1)
    }

    fn stage_op_scopes(&mut self, classes: HashMap<OpId, OpClass>) {
        self.staged_scopes = classes;
    }

    fn unclassified_ops(&self, limit: usize) -> Result<Vec<Op>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached("SELECT body FROM ops WHERE scope IS NULL LIMIT ?1")
            .map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map([limit], |r| r.get::<_, String>(0))
            .map_err(db)?;
        parse_bodies(rows)
    }

    fn set_op_scopes(&mut self, classes: &[(OpId, OpClass)]) -> Result<(), StoreError> {
        let tx = self.conn.transaction().map_err(db)?;
        {
            let mut stmt = tx
                .prepare_cached(
                    "UPDATE ops SET scope = ?1, resident = ?2 WHERE author = ?3 AND counter = ?4",
                )
                .map_err(db)?;
            for (id, class) in classes {
                stmt.execute(params![
                    class.scope.as_stored(),
                    class.resident.as_ref().map(|r| r.as_str()),
                    id.replica.to_string(),
                    counter_sql(id.counter)
                ])
                .map_err(db)?;
            }
        }
        tx.commit().map_err(db)?;
        for (id, class) in classes {
            self.scope_index
                .note(id.replica, id.counter, class.scope.as_stored());
        }
        Ok(())
    }

    fn put_snapshot(&mut self, scope: &str, seal: &str, data: &[u8]) -> Result<(), StoreError> {
        self.conn
            .execute(
                "INSERT INTO snapshots (scope, seal, data) VALUES (?1, ?2, ?3)
                 ON CONFLICT (scope) DO UPDATE SET seal = excluded.seal, data = excluded.data",
                params![scope, seal, data],
            )
            .map_err(db)?;
        Ok(())
    }

    fn snapshot_seal(&self, scope: &str) -> Result<Option<String>, StoreError> {
        self.conn
            .query_row(
                "SELECT seal FROM snapshots WHERE scope = ?1",
                [scope],
                |r| r.get(0),
            )
            .optional()
            .map_err(db)
    }

    fn snapshot(&self, scope: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        self.conn
            .query_row(
                "SELECT seal, data FROM snapshots WHERE scope = ?1",
                [scope],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .optional()
            .map_err(db)
    }

    fn encoded_ops_of_resident(
        &self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
        limit: usize,
    ) -> Result<Vec<EncodedOp>, StoreError> {
        let mut stmt = self
            .conn
            .prepare_cached(
                "SELECT author, counter, body FROM ops WHERE resident = ?1 AND scope = ?2
                 ORDER BY author, counter LIMIT ?3",
            )
            .map_err(db)?;
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        let rows = stmt
            .query_map(
                params![voucher.as_str(), municipality.as_str(), limit],
                |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, i64>(1)?,
                        r.get::<_, String>(2)?,
                    ))
                },
            )
            .map_err(db)?;
        let mut ops = Vec::new();
        for row in rows {
            let (author, counter, body) = row.map_err(db)?;
            let id = OpId {
                replica: replica_from_row(&author)?,
                counter: counter_u64(counter)?,
            };
            ops.push(
                EncodedOp::from_stored(id, body).map_err(|e| StoreError::Corrupt(e.to_string()))?,
            );
        }
        Ok(ops)
    }

    fn encoded_ops_in_scope(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
        scope: &[MunicipalityCode],
    ) -> Result<Vec<EncodedOp>, StoreError> {
        if self.scope_index.nothing_after(author, after, scope) {
            return Ok(Vec::new());
        }
        let padded = format!(" {} ", scope_to_stored(scope));
        self.encoded_ops(author, after, limit, Some(&padded))
    }
}
