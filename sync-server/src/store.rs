//! Storage behind a trait: enrollment codes, devices and the op log.
//!
//! [`ServerStore`] names no backend type: [`crate::sqlite::SqliteStore`] is the embedded
//! default, [`crate::postgres::PgStore`] the central ledger in a database server; the same
//! contract tests run against both (`sync-server/tests/server/contract.rs`).

use chrono::{DateTime, Utc};
use serde::{Deserialize, Serialize};
use std::collections::HashMap;
use thiserror::Error;

use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::{EncodedOp, Op, OpId, OpLog, PublicKey, ReplicaId, Role, VenueCode};

/// A storage failure. Requests that meet one are answered 503 and may be retried.
#[derive(Debug, Error)]
pub enum StoreError {
    /// The database failed (I/O, locking, a constraint we did not expect).
    #[error("storage backend: {0}")]
    Backend(#[source] Box<dyn std::error::Error + Send + Sync>),
    /// The schema could not be brought up to date.
    #[error("schema migration: {0}")]
    Migration(String),
    /// A stored row could not be read back (a bug or a hand-edited database).
    #[error("corrupt row: {0}")]
    Corrupt(String),
    /// An op to store has an id the store holds with other content.
    #[error("op {0} is held with other content")]
    ConflictingOp(vax_sync::OpId),
    /// The store's encryption at rest refused the store or its key (nothing was changed).
    #[error(transparent)]
    Key(crate::at_rest::KeyError),
}

impl StoreError {
    /// Wraps any backend error.
    pub fn backend<E: std::error::Error + Send + Sync + 'static>(e: E) -> Self {
        Self::Backend(Box::new(e))
    }
}

/// An enrolled device, as the server knows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
pub struct Device {
    /// Its replica id, minted at enrollment (UUIDv7).
    pub replica_id: ReplicaId,
    /// The name given at enrollment (`受付1`).
    pub name: String,
    /// Its role.
    pub role: Role,
    /// Its venue, for venue-bound roles.
    pub venue: Option<VenueCode>,
    /// When it enrolled.
    pub enrolled_at: DateTime<Utc>,
    /// The public key registered at enrollment (none for a device enrolled before protocol 3).
    pub public_key: Option<PublicKey>,
    /// When HQ revoked it, if it did.
    pub revoked_at: Option<DateTime<Utc>>,
    /// The municipalities whose residents it holds (a partial replica, docs/sync-spec.md
    /// §7b); empty: the whole ledger.
    #[serde(default, skip_serializing_if = "Vec::is_empty")]
    pub scope: Vec<MunicipalityCode>,
}

/// A device with the hash of its bearer token, as loaded at start-up.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceRecord {
    /// The device.
    pub device: Device,
    /// SHA-256 of its bearer token.
    pub token_hash: [u8; 32],
}

/// A one-time enrollment code as stored (only its hash).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct EnrollmentCodeRecord {
    /// SHA-256 of the normalised code.
    pub code_hash: [u8; 32],
    /// The role the device will get.
    pub role: Role,
    /// The venue the device will get.
    pub venue: Option<VenueCode>,
    /// When it was created.
    pub created_at: DateTime<Utc>,
    /// After this instant it is refused.
    pub expires_at: DateTime<Utc>,
    /// The scope the device will get ([`Device::scope`]).
    pub scope: Vec<MunicipalityCode>,
}

/// Which partial replicas an op goes to (docs/sync-spec.md §7b), kept with it in the store.
#[derive(Debug, Clone, PartialEq, Eq, Hash)]
pub enum OpScope {
    /// Every replica: an op naming no resident (venues, bands, stock, staff, bus plans).
    Everyone,
    /// The replicas whose scope holds this municipality: an op about one of its residents.
    Municipality(MunicipalityCode),
    /// Whole replicas only: an op about a resident whose municipality is not known.
    WholeLedgerOnly,
}

impl OpScope {
    /// The text the store keeps.
    pub fn as_stored(&self) -> &str {
        match self {
            Self::Everyone => "*",
            Self::Municipality(code) => code.as_str(),
            Self::WholeLedgerOnly => "",
        }
    }
}

/// What the store keeps of an op's classification (`crate::scope`), in its row.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct OpClass {
    /// Which replicas it goes to.
    pub scope: OpScope,
    /// For an op of a resident's record as a desk reads it (the register's fields, a
    /// booking, a dose, a check-in, the void of one of those): the resident, the key of the
    /// online lookup of a walk-in (docs/sync-spec.md §7b; with `scope`, their municipality).
    pub resident: Option<VoucherNumber>,
}

/// The last op of each author in each scope, kept in memory by a store: a reply to a partial
/// replica skips, without a read, the authors with nothing new in its scope (500 venues' devices
/// each write; a device of one municipality would otherwise read the store once per author
/// with news, at every exchange).
#[derive(Debug, Default)]
pub struct ScopeIndex {
    last: HashMap<ReplicaId, HashMap<String, u64>>,
    /// False once an op is known to be held whose scope this index may lack (an op another
    /// process stored without one): then it answers nothing and the store reads.
    complete: bool,
}

impl ScopeIndex {
    /// An index of no op, complete.
    pub fn new() -> Self {
        Self {
            last: HashMap::new(),
            complete: true,
        }
    }

    /// Notes an op of `author` numbered `counter` in the scope stored as `scope`.
    pub fn note(&mut self, author: ReplicaId, counter: u64, scope: &str) {
        let last = self
            .last
            .entry(author)
            .or_default()
            .entry(scope.to_owned())
            .or_insert(0);
        *last = (*last).max(counter);
    }

    /// From now on the index may lack ops: it answers nothing.
    pub fn mark_incomplete(&mut self) {
        self.complete = false;
    }

    /// Whether it answers ([`ScopeIndex::mark_incomplete`]).
    pub fn is_complete(&self) -> bool {
        self.complete
    }

    /// Whether a replica of `scope` has nothing of `author` above `after`, as far as the index
    /// knows for sure (false when it does not know).
    pub fn nothing_after(&self, author: ReplicaId, after: u64, scope: &[MunicipalityCode]) -> bool {
        if !self.complete {
            return false;
        }
        let Some(of_author) = self.last.get(&author) else {
            return true;
        };
        let last = |key: &str| of_author.get(key).copied().unwrap_or(0);
        last(OpScope::Everyone.as_stored()) <= after
            && scope.iter().all(|code| last(code.as_str()) <= after)
    }
}

/// A scope as the store keeps it: the codes separated by spaces, empty for the whole ledger.
pub fn scope_to_stored(scope: &[MunicipalityCode]) -> String {
    scope
        .iter()
        .map(MunicipalityCode::as_str)
        .collect::<Vec<_>>()
        .join(" ")
}

/// [`scope_to_stored`] read back.
pub fn scope_from_stored(text: &str) -> Result<Vec<MunicipalityCode>, StoreError> {
    text.split_whitespace()
        .map(|code| {
            MunicipalityCode::parse(code)
                .map_err(|e| StoreError::Corrupt(format!("scope {code:?}: {e}")))
        })
        .collect()
}

/// Everything the sync server stores. The op log part is [`vax_sync::OpLog`].
///
/// Implementations must make [`ServerStore::redeem_enrollment_code`] atomic (a code is used
/// at most once) and [`OpLog::append`] all-or-nothing.
pub trait ServerStore: OpLog<Error = StoreError> + Send + 'static {
    /// This server's own replica id, minted on first use and never changed.
    fn server_replica_id(&self) -> Result<ReplicaId, StoreError>;

    /// Stores a new enrollment code.
    fn add_enrollment_code(&mut self, code: &EnrollmentCodeRecord) -> Result<(), StoreError>;

    /// In one transaction: finds the code by hash, refuses it (`Ok(None)`) if unknown, used or
    /// expired at `now`, else marks it used and enrolls `device` with the code's role and venue
    /// (the `role` and `venue` fields passed in are replaced by the code's).
    fn redeem_enrollment_code(
        &mut self,
        code_hash: &[u8; 32],
        now: DateTime<Utc>,
        device: Device,
        token_hash: &[u8; 32],
    ) -> Result<Option<Device>, StoreError>;

    /// Every enrolled device with its token hash.
    fn devices(&self) -> Result<Vec<DeviceRecord>, StoreError>;

    /// Marks a device revoked at `now` (a second revocation keeps the first instant).
    /// `Ok(false)` when no such device is enrolled.
    fn revoke_device(&mut self, replica: ReplicaId, now: DateTime<Utc>)
        -> Result<bool, StoreError>;

    /// When the device was revoked, read from storage (a revocation by the CLI reaches a
    /// running server this way). `Ok(None)` when it is not revoked or not known.
    fn revoked_at(&self, replica: ReplicaId) -> Result<Option<DateTime<Utc>>, StoreError>;

    /// Replaces a device's token hash (token rotation): the old token is refused from now on.
    /// `Ok(false)` when no such device is enrolled.
    fn replace_token(
        &mut self,
        replica: ReplicaId,
        token_hash: &[u8; 32],
    ) -> Result<bool, StoreError>;

    /// How many ops are held.
    fn op_count(&self) -> Result<u64, StoreError>;

    /// What authenticating a request asks the store: whether `token_hash` is still the
    /// device's token (another server process sharing the store may have rotated it) and when
    /// the device was revoked ([`ServerStore::revoked_at`]: `vaxsync devices revoke` writes
    /// there while the server runs). A store used by one process answers the token from the
    /// core's cache (this default); a shared database answers both in one read.
    fn token_standing(
        &self,
        replica: ReplicaId,
        _token_hash: &[u8; 32],
    ) -> Result<(bool, Option<DateTime<Utc>>), StoreError> {
        Ok((true, self.revoked_at(replica)?))
    }

    /// Whether ops another process stored reached this one without a scope (a process of an
    /// earlier version during an upgrade): the core then classifies the stored ops before it
    /// replies. A store used by one process never has such ops (this default).
    fn has_unclassified_foreign_ops(&self) -> bool {
        false
    }

    /// The ops other server processes sharing this store have stored since this one last
    /// looked, in the order they were stored, each once: the core merges them into its
    /// replica (they were verified by the process that stored them). A store used by one
    /// process has none (this default).
    fn take_foreign_ops(&mut self) -> Result<Vec<vax_sync::Op>, StoreError> {
        Ok(Vec::new())
    }

    /// The classes of the ops the next [`OpLog::append`] stores, which stores each op with its
    /// own. An op stored without one is unclassified until [`ServerStore::set_op_scopes`];
    /// partial replicas receive no unclassified op.
    fn stage_op_scopes(&mut self, classes: HashMap<OpId, OpClass>);

    /// Up to `limit` unclassified ops (stored before the store kept scopes, or by a venue
    /// relay's upstream sync), in storage order.
    fn unclassified_ops(&self, limit: usize) -> Result<Vec<Op>, StoreError>;

    /// Records the classes of ops held.
    fn set_op_scopes(&mut self, classes: &[(OpId, OpClass)]) -> Result<(), StoreError>;

    /// [`OpLog::encoded_ops_after`] restricted to the ops a replica of `scope` receives: those
    /// of [`OpScope::Everyone`] and of its municipalities.
    fn encoded_ops_in_scope(
        &self,
        author: ReplicaId,
        after: u64,
        limit: usize,
        scope: &[MunicipalityCode],
    ) -> Result<Vec<EncodedOp>, StoreError>;

    /// Keeps `data`, sealed by `seal` (a [`vax_sync::SnapshotSeal`] as JSON), as the snapshot
    /// of `scope` (as [`scope_to_stored`] writes it), replacing the one before
    /// (docs/sync-spec.md §7c). The core has checked the seal.
    fn put_snapshot(&mut self, scope: &str, seal: &str, data: &[u8]) -> Result<(), StoreError>;

    /// The snapshot of `scope`: its seal (JSON) and its data.
    fn snapshot(&self, scope: &str) -> Result<Option<(String, Vec<u8>)>, StoreError>;

    /// The seal (JSON) of the snapshot of `scope`, without its data: whether a copy kept in
    /// memory is still the latest.
    fn snapshot_seal(&self, scope: &str) -> Result<Option<String>, StoreError>;

    /// The stored texts of one resident's record ([`OpClass::resident`] `voucher`, of scope
    /// `municipality`), by author and counter, at most `limit`: what the online lookup of a
    /// walk-in returns. Read through an index on the resident, never a scan of the log.
    fn encoded_ops_of_resident(
        &self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
        limit: usize,
    ) -> Result<Vec<EncodedOp>, StoreError>;
}

#[cfg(test)]
mod tests {
    use super::*;

    fn code(s: &str) -> MunicipalityCode {
        MunicipalityCode::parse(s).expect("code")
    }

    /// The index says "nothing new" only when it knows: an op of the scope or of every scope
    /// above `after` makes it say no, and so does an index that may lack ops.
    #[test]
    fn the_scope_index_says_nothing_is_new_only_when_it_knows() {
        let (a, b) = (ReplicaId::from_u128(1), ReplicaId::from_u128(2));
        let maizuru = [code("262021")];
        let mut index = ScopeIndex::new();
        assert!(index.nothing_after(a, 0, &maizuru), "an author of no op");
        index.note(a, 5, "262030");
        assert!(
            index.nothing_after(a, 0, &maizuru),
            "another municipality's op"
        );
        index.note(a, 7, "");
        assert!(index.nothing_after(a, 0, &maizuru), "whole replicas' only");
        index.note(a, 9, "262021");
        assert!(!index.nothing_after(a, 8, &maizuru));
        assert!(index.nothing_after(a, 9, &maizuru));
        index.note(b, 3, "*");
        assert!(!index.nothing_after(b, 2, &maizuru), "an op of every scope");
        index.mark_incomplete();
        assert!(!index.nothing_after(a, 9, &maizuru), "no longer trusted");
    }
}
