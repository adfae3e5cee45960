//! The central ledger on PostgreSQL, for a city or prefecture whose IT department runs the
//! database (backups, replication) — selected by a `postgres://` URL. Schema: the numbered
//! SQL files in `sync-server/migrations/postgres/`.
//!
//! Several `vaxsync` processes may share one database. What each keeps in memory (the op
//! frontier here, the merged replica and the device cache in [`crate::core::Core`]) is
//! *rebuilt from the store*: appends take one transaction-scoped advisory lock, so the
//! identity column `ops.seq` grows in commit order, and a process catches up with the others
//! by reading the rows above the last `seq` it has seen ([`ServerStore::take_foreign_ops`]).

use std::collections::{BTreeMap, BTreeSet, HashMap};
use std::sync::mpsc;
use std::thread::JoinHandle;

use chrono::{DateTime, Utc};
use crdts::{CmRDT, Dot, VClock};
use postgres::{Client, NoTls, Transaction};
use uuid::Uuid;
use vax_sync::{EncodedOp, Op, OpId, OpLog, PublicKey, ReplicaId, VenueCode};

use crate::sqlite::{parse_role, role_name};
use crate::store::{
    scope_from_stored, scope_to_stored, Device, DeviceRecord, EnrollmentCodeRecord, OpClass,
    ScopeIndex, ServerStore, StoreError,
};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

/// Every migration, in order. Append only: a landed file is never edited or removed.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_init",
        include_str!("../migrations/postgres/0001_init.sql"),
    ),
    (
        "0002_scopes",
        include_str!("../migrations/postgres/0002_scopes.sql"),
    ),
    (
        "0003_resident_records",
        include_str!("../migrations/postgres/0003_resident_records.sql"),
    ),
    (
        "0004_snapshots",
        include_str!("../migrations/postgres/0004_snapshots.sql"),
    ),
];

/// Advisory lock keys (one namespace of this application: "vaxl" + a number).
const MIGRATION_LOCK: i64 = 0x7661_786c_0000_0001;
const APPEND_LOCK: i64 = 0x7661_786c_0000_0002;

/// Whether `location` names a PostgreSQL database rather than a SQLite file.
pub fn is_postgres_url(location: &str) -> bool {
    location.starts_with("postgres://") || location.starts_with("postgresql://")
}

/// A connection owned by a thread of its own. The synchronous `postgres` client drives a
/// private tokio runtime and must never be used — nor dropped — on a thread that runs async
/// tasks (it would panic); the server calls its store from blocking threads, but tests and
/// shutdown paths drop it anywhere. So every call is handed to this thread and waited for.
struct Connection {
    jobs: Option<mpsc::Sender<Job>>,
    thread: Option<JoinHandle<()>>,
}

type Job = Box<dyn FnOnce(&mut Client) + Send>;

impl Connection {
    fn open(url: &str) -> Result<Self, StoreError> {
        let (jobs, inbox) = mpsc::channel::<Job>();
        let (ready, connected) = mpsc::channel();
        let url = url.to_owned();
        let thread = std::thread::Builder::new()
            .name("postgres".into())
            .spawn(move || match Client::connect(&url, NoTls) {
                Ok(mut client) => {
                    let _ = ready.send(Ok(()));
                    for job in inbox {
                        job(&mut client);
                    }
                }
                Err(e) => {
                    let _ = ready.send(Err(e));
                }
            })
            .map_err(StoreError::backend)?;
        connected
            .recv()
            .map_err(|_| StoreError::Migration("the connection thread stopped".into()))?
            .map_err(db)?;
        Ok(Self {
            jobs: Some(jobs),
            thread: Some(thread),
        })
    }

    /// Runs `f` on the connection's thread and waits for its answer.
    fn run<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Client) -> Result<T, StoreError> + Send + 'static,
    ) -> Result<T, StoreError> {
        let (answer, answered) = mpsc::sync_channel(1);
        let job: Job = Box::new(move |client| {
            let _ = answer.send(f(client));
        });
        let gone = || StoreError::Corrupt("the PostgreSQL connection thread stopped".into());
        self.jobs
            .as_ref()
            .ok_or_else(gone)?
            .send(job)
            .map_err(|_| gone())?;
        answered.recv().map_err(|_| gone())?
    }
}

impl Drop for Connection {
    fn drop(&mut self) {
        // Closing the channel ends the thread's loop; the client is dropped there.
        self.jobs.take();
        if let Some(thread) = self.thread.take() {
            let _ = thread.join();
        }
    }
}

/// The PostgreSQL store. The frontier (`seen`, `last_counter`, `authors`) is read from memory,
/// kept complete by reading every row this process has not seen yet.
pub struct PgStore {
    conn: Connection,
    server_id: ReplicaId,
    frontier: Frontier,
    /// Rows of other processes read while appending, not yet handed to the core.
    foreign: Vec<Op>,
    /// The classes of the ops the next append stores ([`ServerStore::stage_op_scopes`]).
    staged_scopes: HashMap<OpId, OpClass>,
    /// The last op of each author in each scope ([`ScopeIndex`]).
    scope_index: ScopeIndex,
}

impl std::fmt::Debug for PgStore {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("PgStore")
            .field("server_id", &self.server_id)
            .field("ops", &self.frontier.count)
            .field("last_seq", &self.frontier.last_seq)
            .finish_non_exhaustive()
    }
}

/// What this process knows of the op log: everything up to `last_seq`.
#[derive(Debug, Default)]
struct Frontier {
    seen: VClock<ReplicaId>,
    last: BTreeMap<ReplicaId, u64>,
    /// Counters held above an author's contiguous frontier (after a gap; rare).
    beyond: BTreeMap<ReplicaId, BTreeSet<u64>>,
    count: u64,
    last_seq: i64,
}

impl Frontier {
    /// Moves `author`'s frontier to `through` if further, then over the counters held above.
    fn advance(&mut self, author: ReplicaId, through: u64) {
        let mut contiguous = self.seen.get(&author).max(through);
        if let Some(beyond) = self.beyond.get_mut(&author) {
            beyond.retain(|&c| c > contiguous);
            while beyond.remove(&(contiguous + 1)) {
                contiguous += 1;
            }
            if beyond.is_empty() {
                self.beyond.remove(&author);
            }
        }
        self.seen.apply(Dot::new(author, contiguous));
    }

    fn add(&mut self, author: ReplicaId, counter: u64, seq: i64) {
        self.count += 1;
        self.last_seq = self.last_seq.max(seq);
        let last = self.last.entry(author).or_insert(0);
        *last = (*last).max(counter);
        let mut contiguous = self.seen.get(&author);
        if counter != contiguous + 1 {
            self.beyond.entry(author).or_default().insert(counter);
            return;
        }
        contiguous = counter;
        if let Some(beyond) = self.beyond.get_mut(&author) {
            while beyond.remove(&(contiguous + 1)) {
                contiguous += 1;
            }
            if beyond.is_empty() {
                self.beyond.remove(&author);
            }
        }
        self.seen.apply(Dot::new(author, contiguous));
    }
}

fn db(e: postgres::Error) -> StoreError {
    StoreError::backend(e)
}

fn corrupt(what: impl std::fmt::Display) -> StoreError {
    StoreError::Corrupt(what.to_string())
}

fn replica_from_row(s: &str) -> Result<ReplicaId, StoreError> {
    Uuid::parse_str(s)
        .map(ReplicaId)
        .map_err(|e| corrupt(format!("replica id {s:?}: {e}")))
}

fn counter_from_row(counter: i64) -> Result<u64, StoreError> {
    u64::try_from(counter).map_err(|_| corrupt(format!("counter {counter}")))
}

fn counter_sql(counter: u64) -> i64 {
    i64::try_from(counter).unwrap_or(i64::MAX)
}

fn parse_op(body: &str) -> Result<Op, StoreError> {
    serde_json::from_str(body).map_err(corrupt)
}

fn hash_from_row(v: Vec<u8>) -> Result<[u8; 32], StoreError> {
    v.try_into().map_err(|_| corrupt("hash is not 32 bytes"))
}

impl PgStore {
    /// Connects to `url` (`postgres://user:password@host:port/db`; a Unix socket folder as a
    /// percent-encoded host: `postgresql://user@%2Frun%2Fpostgresql/db`) and brings the
    /// schema up to date.
    pub fn open(url: &str) -> Result<Self, StoreError> {
        let conn = Connection::open(url)?;
        let proposed = ReplicaId(Uuid::now_v7()).to_string();
        let id = conn.run(move |client| {
            migrate(client)?;
            // The first process to start mints the id; every later one reads it: all the
            // processes in front of one database are one server to the devices.
            client
                .execute(
                    "INSERT INTO meta (key, value) VALUES ('server_replica_id', $1)
                     ON CONFLICT (key) DO NOTHING",
                    &[&proposed],
                )
                .map_err(db)?;
            let row = client
                .query_one(
                    "SELECT value FROM meta WHERE key = 'server_replica_id'",
                    &[],
                )
                .map_err(db)?;
            Ok(row.get::<_, String>(0))
        })?;
        let mut store = Self {
            conn,
            server_id: replica_from_row(&id)?,
            frontier: Frontier::default(),
            staged_scopes: HashMap::new(),
            scope_index: ScopeIndex::new(),
            foreign: Vec::new(),
        };
        store.frontier = store.conn.run(load_frontier)?;
        store.scope_index = store.conn.run(load_scope_index)?;
        Ok(store)
    }

    fn absorb(&mut self, rows: Vec<ForeignRow>) {
        for (seq, op, scope) in rows {
            self.frontier.add(op.author(), op.id.counter, seq);
            match scope {
                Some(scope) => self.scope_index.note(op.author(), op.id.counter, &scope),
                // Stored by a process of an earlier version: the index may lack its scope for
                // good (another process may classify it), so it is no longer trusted.
                None => self.scope_index.mark_incomplete(),
            }
            self.foreign.push(op);
        }
    }
}

fn load_scope_index(client: &mut Client) -> Result<ScopeIndex, StoreError> {
    let mut index = ScopeIndex::new();
    let rows = client
        .query(
            "SELECT author, scope, MAX(counter) FROM ops WHERE scope IS NOT NULL
             GROUP BY author, scope",
            &[],
        )
        .map_err(db)?;
    for row in rows {
        let author = replica_from_row(row.get(0))?;
        let scope: String = row.get(1);
        index.note(author, counter_from_row(row.get(2))?, &scope);
    }
    Ok(index)
}

fn load_frontier(client: &mut Client) -> Result<Frontier, StoreError> {
    let mut frontier = Frontier::default();
    let rows = client
        .query("SELECT seq, author, counter FROM ops ORDER BY seq", &[])
        .map_err(db)?;
    let mut ids: BTreeMap<String, ReplicaId> = BTreeMap::new();
    for row in rows {
        let author: String = row.get(1);
        let id = match ids.get(&author) {
            Some(id) => *id,
            None => {
                let id = replica_from_row(&author)?;
                ids.insert(author, id);
                id
            }
        };
        frontier.add(id, counter_from_row(row.get(2))?, row.get(0));
    }
    Ok(frontier)
}

/// The rows committed after `after_seq` (by other processes), in commit order.
/// A row another process stored: its `seq`, the op and its scope.
type ForeignRow = (i64, Op, Option<String>);

fn read_new_rows(
    client: &mut impl postgres::GenericClient,
    after_seq: i64,
) -> Result<Vec<ForeignRow>, StoreError> {
    let rows = client
        .query(
            "SELECT seq, body, scope FROM ops WHERE seq > $1 ORDER BY seq",
            &[&after_seq],
        )
        .map_err(db)?;
    rows.iter()
        .map(|row| Ok((row.get(0), parse_op(row.get(1))?, row.get(2))))
        .collect()
}

/// Applies the migrations not applied yet, one process at a time (session advisory lock).
fn migrate(client: &mut Client) -> Result<(), StoreError> {
    let fail = |e: postgres::Error| StoreError::Migration(e.to_string());
    client
        .execute("SELECT pg_advisory_lock($1)", &[&MIGRATION_LOCK])
        .map_err(fail)?;
    let result = (|| {
        client
            .batch_execute(
                "CREATE TABLE IF NOT EXISTS schema_migrations (
                     version    TEXT PRIMARY KEY,
                     applied_at TIMESTAMPTZ NOT NULL DEFAULT now()
                 )",
            )
            .map_err(fail)?;
        for (version, sql) in MIGRATIONS {
            let mut tx = client.transaction().map_err(fail)?;
            let applied = tx
                .query_opt(
                    "SELECT 1 FROM schema_migrations WHERE version = $1",
                    &[version],
                )
                .map_err(fail)?
                .is_some();
            if !applied {
                tx.batch_execute(sql).map_err(fail)?;
                tx.execute(
                    "INSERT INTO schema_migrations (version) VALUES ($1)",
                    &[version],
                )
                .map_err(fail)?;
            }
            tx.commit().map_err(fail)?;
        }
        Ok(())
    })();
    client
        .execute("SELECT pg_advisory_unlock($1)", &[&MIGRATION_LOCK])
        .map_err(fail)?;
    result
}

/// What one append did: the rows other processes committed before it, and the `seq` of each
/// op it inserted (by author and counter).
struct Appended {
    foreign: Vec<ForeignRow>,
    inserted: BTreeMap<(String, i64), i64>,
}

/// The columns of the ops one append stores, one vector a column.
struct Rows {
    ids: Vec<OpId>,
    authors: Vec<String>,
    counters: Vec<i64>,
    kinds: Vec<String>,
    bodies: Vec<String>,
    scopes: Vec<Option<String>>,
    residents: Vec<Option<String>>,
}

fn append_rows(client: &mut Client, after_seq: i64, rows: Rows) -> Result<Appended, StoreError> {
    let Rows {
        ids,
        authors,
        counters,
        kinds,
        bodies,
        scopes,
        residents,
    } = rows;
    let mut tx: Transaction<'_> = client.transaction().map_err(db)?;
    // One appender at a time across processes: `seq` then grows in commit order, and the
    // rows read next are every row committed before ours.
    tx.execute("SELECT pg_advisory_xact_lock($1)", &[&APPEND_LOCK])
        .map_err(db)?;
    let foreign = read_new_rows(&mut tx, after_seq)?;
    let rows = tx
        .query(
            "INSERT INTO ops (author, counter, kind, body, scope, resident)
             SELECT * FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[], $5::text[],
                                  $6::text[])
             ON CONFLICT (author, counter) DO NOTHING
             RETURNING seq, author, counter",
            &[&authors, &counters, &kinds, &bodies, &scopes, &residents],
        )
        .map_err(db)?;
    let inserted: BTreeMap<(String, i64), i64> = rows
        .iter()
        .map(|r| ((r.get::<_, String>(1), r.get::<_, i64>(2)), r.get(0)))
        .collect();
    // An id already held is fine only with the same op: another body under it is an error,
    // never a silent drop (the transaction rolls back).
    let held: Vec<usize> = (0..ids.len())
        .filter(|&i| !inserted.contains_key(&(authors[i].clone(), counters[i])))
        .collect();
    if !held.is_empty() {
        let held_authors: Vec<&String> = held.iter().map(|&i| &authors[i]).collect();
        let held_counters: Vec<i64> = held.iter().map(|&i| counters[i]).collect();
        let rows = tx
            .query(
                "SELECT o.author, o.counter, o.body FROM ops o
                 JOIN UNNEST($1::text[], $2::bigint[]) AS k(author, counter)
                   ON o.author = k.author AND o.counter = k.counter",
                &[&held_authors, &held_counters],
            )
            .map_err(db)?;
        let bodies_held: BTreeMap<(String, i64), String> = rows
            .iter()
            .map(|r| ((r.get(0), r.get(1)), r.get(2)))
            .collect();
        for &i in &held {
            if bodies_held.get(&(authors[i].clone(), counters[i])) != Some(&bodies[i]) {
                return Err(StoreError::ConflictingOp(ids[i]));
            }
        }
    }
    tx.commit().map_err(db)?;
    Ok(Appended { foreign, inserted })
}

impl OpLog for PgStore {
    type Error = StoreError;

    fn get(&self, id: &OpId) -> Result<Option<Op>, StoreError> {
        // Above the author's highest counter this process knows of, the op is new to it: no
        // round trip. (Should another process have stored it meanwhile, the append finds it
        // held and compares the bodies.)
        if id.counter > self.frontier.last.get(&id.replica).copied().unwrap_or(0) {
            return Ok(None);
        }
        let (author, counter) = (id.replica.to_string(), counter_sql(id.counter));
        self.conn.run(move |client| {
            let row = client
                .query_opt(
                    "SELECT body FROM ops WHERE author = $1 AND counter = $2",
                    &[&author, &counter],
                )
                .map_err(db)?;
            row.map(|r| parse_op(r.get(0))).transpose()
        })
    }

    fn append(&mut self, ops: &[Op]) -> Result<(), StoreError> {
        if ops.is_empty() {
            return Ok(());
        }
        let mut ids = Vec::with_capacity(ops.len());
        let mut authors = Vec::with_capacity(ops.len());
        let mut counters = Vec::with_capacity(ops.len());
        let mut kinds = Vec::with_capacity(ops.len());
        let mut bodies = Vec::with_capacity(ops.len());
        let mut scopes: Vec<Option<String>> = Vec::with_capacity(ops.len());
        let mut residents: Vec<Option<String>> = Vec::with_capacity(ops.len());
        let staged = std::mem::take(&mut self.staged_scopes);
        for op in ops {
            ids.push(op.id);
            authors.push(op.author().to_string());
            counters.push(counter_sql(op.id.counter));
            kinds.push(op.kind.name().to_owned());
            bodies.push(serde_json::to_string(op).map_err(corrupt)?);
            let class = staged.get(&op.id);
            scopes.push(class.map(|c| c.scope.as_stored().to_owned()));
            residents.push(
                class
                    .and_then(|c| c.resident.as_ref())
                    .map(|r| r.as_str().to_owned()),
            );
        }
        let after_seq = self.frontier.last_seq;
        let rows = Rows {
            ids,
            authors,
            counters,
            kinds,
            bodies,
            scopes,
            residents,
        };
        let mut appended = self
            .conn
            .run(move |client| append_rows(client, after_seq, rows))?;
        // Committed: bring memory up to date (nothing here can fail).
        self.absorb(appended.foreign);
        for op in ops {
            if let Some(class) = staged.get(&op.id) {
                self.scope_index
                    .note(op.author(), op.id.counter, class.scope.as_stored());
            }
            let key = (op.author().to_string(), counter_sql(op.id.counter));
            if let Some(seq) = appended.inserted.remove(&key) {
                self.frontier.add(op.author(), op.id.counter, seq);
            }
        }
        Ok(())
    }

    fn last_counter(&self, author: ReplicaId) -> Result<u64, StoreError> {
        Ok(self.frontier.last.get(&author).copied().unwrap_or(0))
    }

    fn held_ranges_after(
        &self,
        author: ReplicaId,
        after: u64,
    ) -> Result<Vec<(u64, u64)>, StoreError> {
        let (author, after) = (author.to_string(), counter_sql(after));
        let counters = self.conn.run(move |client| {
            let rows = client
                .query(
                    "SELECT counter FROM ops WHERE author = $1 AND counter > $2 ORDER BY counter",
                    &[&author, &after],
                )
                .map_err(db)?;
            rows.iter()
                .map(|r| counter_from_row(r.get(0)))
                .collect::<Result<Vec<_>, _>>()
        })?;
        Ok(vax_sync::log::ranges_of(counters))
    }

    fn seen(&self) -> Result<VClock<ReplicaId>, StoreError> {
        Ok(self.frontier.seen.clone())
    }

    /// As the SQLite store's: in memory, for a relay holding a partial replica.
    fn advance_seen(&mut self, author: ReplicaId, through: u64) -> Result<(), StoreError> {
        self.frontier.advance(author, through);
        Ok(())
    }

    fn authors(&self) -> Result<Vec<ReplicaId>, StoreError> {
        Ok(self.frontier.last.keys().copied().collect())
    }

    fn ops_after(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
    ) -> Result<Vec<Op>, StoreError> {
        let (author, after) = (author.to_string(), counter_sql(after));
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn.run(move |client| {
            let rows = client
                .query(
                    "SELECT body FROM ops WHERE author = $1 AND counter > $2
                     ORDER BY counter LIMIT $3",
                    &[&author, &after, &limit],
                )
                .map_err(db)?;
            rows.iter().map(|r| parse_op(r.get(0))).collect()
        })
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

impl PgStore {
    /// Up to `limit` stored bodies of `author` above `after`; with a scope, only the ops a
    /// replica of that scope receives.
    fn encoded_ops(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
        scope: Option<Vec<String>>,
    ) -> Result<Vec<EncodedOp>, StoreError> {
        let (replica, after) = (author, counter_sql(after));
        let author = replica.to_string();
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn.run(move |client| {
            let rows = match &scope {
                None => client.query(
                    "SELECT counter, body FROM ops WHERE author = $1 AND counter > $2
                     ORDER BY counter LIMIT $3",
                    &[&author, &after, &limit],
                ),
                Some(codes) => client.query(
                    "SELECT counter, body FROM ops WHERE author = $1 AND counter > $2
                       AND (scope = '*' OR scope = ANY($4::text[]))
                     ORDER BY counter LIMIT $3",
                    &[&author, &after, &limit, codes],
                ),
            }
            .map_err(db)?;
            rows.iter()
                .map(|r| {
                    let counter: i64 = r.get(0);
                    let id = OpId {
                        replica,
                        counter: counter.unsigned_abs(),
                    };
                    EncodedOp::from_stored(id, r.get(1)).map_err(corrupt)
                })
                .collect()
        })
    }
}

fn device_from_row(r: &postgres::Row) -> Result<DeviceRecord, StoreError> {
    let role: String = r.get(3);
    let public_key: Option<String> = r.get(6);
    Ok(DeviceRecord {
        device: Device {
            replica_id: replica_from_row(r.get(0))?,
            name: r.get(2),
            role: parse_role(&role).ok_or_else(|| corrupt(format!("role {role:?}")))?,
            venue: r.get::<_, Option<String>>(4).map(VenueCode),
            enrolled_at: r.get(5),
            public_key: public_key
                .map(|k| PublicKey::from_hex(&k).map_err(|e| corrupt(format!("public key: {e}"))))
                .transpose()?,
            revoked_at: r.get(7),
            scope: scope_from_stored(r.get(8))?,
        },
        token_hash: hash_from_row(r.get(1))?,
    })
}

impl ServerStore for PgStore {
    fn server_replica_id(&self) -> Result<ReplicaId, StoreError> {
        Ok(self.server_id)
    }

    fn add_enrollment_code(&mut self, code: &EnrollmentCodeRecord) -> Result<(), StoreError> {
        let code = code.clone();
        self.conn.run(move |client| {
            client
                .execute(
                    "INSERT INTO enrollment_codes (code_hash, role, venue, created_at, expires_at,
                                                   scope)
                     VALUES ($1, $2, $3, $4, $5, $6)",
                    &[
                        &&code.code_hash[..],
                        &role_name(code.role),
                        &code.venue.as_ref().map(|v| v.0.as_str()),
                        &code.created_at,
                        &code.expires_at,
                        &scope_to_stored(&code.scope),
                    ],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn redeem_enrollment_code(
        &mut self,
        code_hash: &[u8; 32],
        now: DateTime<Utc>,
        mut device: Device,
        token_hash: &[u8; 32],
    ) -> Result<Option<Device>, StoreError> {
        let (code_hash, token_hash) = (*code_hash, *token_hash);
        self.conn.run(move |client| {
            let mut tx = client.transaction().map_err(db)?;
            // FOR UPDATE: two processes redeeming one code at once — the second waits, then
            // finds it used.
            let row = tx
                .query_opt(
                    "SELECT role, venue, expires_at, used_at, scope FROM enrollment_codes
                     WHERE code_hash = $1 FOR UPDATE",
                    &[&&code_hash[..]],
                )
                .map_err(db)?;
            let Some(row) = row else {
                return Ok(None);
            };
            let role: String = row.get(0);
            let venue: Option<String> = row.get(1);
            let expires_at: DateTime<Utc> = row.get(2);
            let used_at: Option<DateTime<Utc>> = row.get(3);
            if used_at.is_some() || expires_at <= now {
                return Ok(None);
            }
            device.role = parse_role(&role).ok_or_else(|| corrupt(format!("role {role:?}")))?;
            device.venue = venue.map(VenueCode);
            device.scope = scope_from_stored(row.get(4))?;
            tx.execute(
                "UPDATE enrollment_codes SET used_at = $1, used_by = $2 WHERE code_hash = $3",
                &[&now, &device.replica_id.to_string(), &&code_hash[..]],
            )
            .map_err(db)?;
            tx.execute(
                "INSERT INTO devices (replica_id, token_hash, name, role, venue, enrolled_at,
                                      public_key, scope)
                 VALUES ($1, $2, $3, $4, $5, $6, $7, $8)",
                &[
                    &device.replica_id.to_string(),
                    &&token_hash[..],
                    &device.name,
                    &role_name(device.role),
                    &device.venue.as_ref().map(|v| v.0.as_str()),
                    &device.enrolled_at,
                    &device.public_key.map(|k| k.to_string()),
                    &scope_to_stored(&device.scope),
                ],
            )
            .map_err(db)?;
            tx.commit().map_err(db)?;
            Ok(Some(device))
        })
    }

    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError> {
        self.conn.run(|client| {
            let rows = client
                .query(
                    "SELECT replica_id, token_hash, name, role, venue, enrolled_at, public_key,
                            revoked_at, scope
                     FROM devices ORDER BY enrolled_at, replica_id",
                    &[],
                )
                .map_err(db)?;
            rows.iter().map(device_from_row).collect()
        })
    }

    fn revoke_device(
        &mut self,
        replica: ReplicaId,
        now: DateTime<Utc>,
    ) -> Result<bool, StoreError> {
        let replica = replica.to_string();
        self.conn.run(move |client| {
            let known = client
                .execute(
                    "UPDATE devices SET revoked_at = COALESCE(revoked_at, $1)
                     WHERE replica_id = $2",
                    &[&now, &replica],
                )
                .map_err(db)?;
            Ok(known == 1)
        })
    }

    fn revoked_at(&self, replica: ReplicaId) -> Result<Option<DateTime<Utc>>, StoreError> {
        let replica = replica.to_string();
        self.conn.run(move |client| {
            let row = client
                .query_opt(
                    "SELECT revoked_at FROM devices WHERE replica_id = $1",
                    &[&replica],
                )
                .map_err(db)?;
            Ok(row.and_then(|r| r.get(0)))
        })
    }

    fn replace_token(
        &mut self,
        replica: ReplicaId,
        token_hash: &[u8; 32],
    ) -> Result<bool, StoreError> {
        let (replica, token_hash) = (replica.to_string(), *token_hash);
        self.conn.run(move |client| {
            let known = client
                .execute(
                    "UPDATE devices SET token_hash = $1 WHERE replica_id = $2",
                    &[&&token_hash[..], &replica],
                )
                .map_err(db)?;
            Ok(known == 1)
        })
    }

    fn op_count(&self) -> Result<u64, StoreError> {
        Ok(self.frontier.count)
    }

    fn stage_op_scopes(&mut self, classes: HashMap<OpId, OpClass>) {
        self.staged_scopes = classes;
    }

    fn unclassified_ops(&self, limit: usize) -> Result<Vec<Op>, StoreError> {
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn.run(move |client| {
            let rows = client
                .query(
                    "SELECT body FROM ops WHERE scope IS NULL ORDER BY seq LIMIT $1",
                    &[&limit],
                )
                .map_err(db)?;
            rows.iter().map(|r| parse_op(r.get(0))).collect()
        })
    }

    fn set_op_scopes(&mut self, classes: &[(OpId, OpClass)]) -> Result<(), StoreError> {
        let authors: Vec<String> = classes
            .iter()
            .map(|(id, _)| id.replica.to_string())
            .collect();
        let counters: Vec<i64> = classes
            .iter()
            .map(|(id, _)| counter_sql(id.counter))
            .collect();
        let values: Vec<String> = classes
            .iter()
            .map(|(_, c)| c.scope.as_stored().to_owned())
            .collect();
        let residents: Vec<Option<String>> = classes
            .iter()
            .map(|(_, c)| c.resident.as_ref().map(|r| r.as_str().to_owned()))
            .collect();
        self.conn.run(move |client| {
            client
                .execute(
                    "UPDATE ops SET scope = k.scope, resident = k.resident
                     FROM UNNEST($1::text[], $2::bigint[], $3::text[], $4::text[])
                       AS k(author, counter, scope, resident)
                     WHERE ops.author = k.author AND ops.counter = k.counter",
                    &[&authors, &counters, &values, &residents],
                )
                .map_err(db)?;
            Ok(())
        })?;
        for (id, class) in classes {
            self.scope_index
                .note(id.replica, id.counter, class.scope.as_stored());
        }
        Ok(())
    }

    fn put_snapshot(&mut self, scope: &str, seal: &str, data: &[u8]) -> Result<(), StoreError> {
        let (scope, seal, data) = (scope.to_owned(), seal.to_owned(), data.to_vec());
        self.conn.run(move |client| {
            client
                .execute(
                    "INSERT INTO snapshots (scope, seal, data) VALUES ($1, $2, $3)
                     ON CONFLICT (scope) DO UPDATE SET seal = excluded.seal, data = excluded.data",
                    &[&scope, &seal, &data],
                )
                .map_err(db)?;
            Ok(())
        })
    }

    fn snapshot_seal(&self, scope: &str) -> Result<Option<String>, StoreError> {
        let scope = scope.to_owned();
        self.conn.run(move |client| {
            let row = client
                .query_opt("SELECT seal FROM snapshots WHERE scope = $1", &[&scope])
                .map_err(db)?;
            Ok(row.map(|r| r.get(0)))
        })
    }

    fn snapshot(&self, scope: &str) -> Result<Option<(String, Vec<u8>)>, StoreError> {
        let scope = scope.to_owned();
        self.conn.run(move |client| {
            let row = client
                .query_opt(
                    "SELECT seal, data FROM snapshots WHERE scope = $1",
                    &[&scope],
                )
                .map_err(db)?;
            Ok(row.map(|r| (r.get(0), r.get(1))))
        })
    }

    fn encoded_ops_of_resident(
        &self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
        limit: usize,
    ) -> Result<Vec<EncodedOp>, StoreError> {
        let (voucher, municipality) = (
            voucher.as_str().to_owned(),
            municipality.as_str().to_owned(),
        );
        let limit = i64::try_from(limit).unwrap_or(i64::MAX);
        self.conn.run(move |client| {
            let rows = client
                .query(
                    "SELECT author, counter, body FROM ops WHERE resident = $1 AND scope = $2
                     ORDER BY author, counter LIMIT $3",
                    &[&voucher, &municipality, &limit],
                )
                .map_err(db)?;
            rows.iter()
                .map(|r| {
                    let counter: i64 = r.get(1);
                    let id = OpId {
                        replica: replica_from_row(r.get(0))?,
                        counter: counter.unsigned_abs(),
                    };
                    EncodedOp::from_stored(id, r.get(2)).map_err(corrupt)
                })
                .collect()
        })
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
        let codes = scope.iter().map(|c| c.as_str().to_owned()).collect();
        self.encoded_ops(author, after, limit, Some(codes))
    }

    fn token_standing(
        &self,
        replica: ReplicaId,
        token_hash: &[u8; 32],
    ) -> Result<(bool, Option<DateTime<Utc>>), StoreError> {
        let (replica, token_hash) = (replica.to_string(), *token_hash);
        self.conn.run(move |client| {
            let row = client
                .query_opt(
                    "SELECT token_hash = $2, revoked_at FROM devices WHERE replica_id = $1",
                    &[&replica, &&token_hash[..]],
                )
                .map_err(db)?;
            Ok(row.map_or((false, None), |r| (r.get(0), r.get(1))))
        })
    }

    fn has_unclassified_foreign_ops(&self) -> bool {
        !self.scope_index.is_complete()
    }

    fn take_foreign_ops(&mut self) -> Result<Vec<Op>, StoreError> {
        let after_seq = self.frontier.last_seq;
        let rows = self
            .conn
            .run(move |client| read_new_rows(client, after_seq))?;
        self.absorb(rows);
        Ok(std::mem::take(&mut self.foreign))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn author(n: u128) -> ReplicaId {
        ReplicaId(Uuid::from_u128(n))
    }

    #[test]
    fn the_frontier_stops_at_a_gap_and_moves_on_when_it_is_filled() {
        let mut f = Frontier::default();
        let a = author(1);
        for (counter, seq) in [(1, 10), (2, 11), (4, 12), (5, 13)] {
            f.add(a, counter, seq);
        }
        assert_eq!(f.seen.get(&a), 2);
        assert_eq!(f.last[&a], 5);
        assert_eq!(f.count, 4);
        f.add(a, 3, 14);
        assert_eq!(f.seen.get(&a), 5, "the gap filled, the frontier jumps");
        assert!(f.beyond.is_empty());
        assert_eq!(f.last_seq, 14);
    }

    #[test]
    fn only_postgres_urls_select_postgres() {
        assert!(is_postgres_url("postgres://vaxsync@db.city.lg.jp/vax"));
        assert!(is_postgres_url(
            "postgresql://vaxsync@%2Frun%2Fpostgresql/vax"
        ));
        assert!(!is_postgres_url("/var/lib/vaxsync/sync.db"));
        assert!(!is_postgres_url("postgres.db"));
    }
}
