use std::path::PathBuf;

use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};

/// What can go wrong in the ledger.
#[derive(Debug, Error)]
pub enum LedgerError {
    /// The file cannot be opened or created.
    #[error("cannot open ledger {path}")]
    Open {
        /// The ledger file.
        path: PathBuf,
        /// Why.
        #[source]
        source: rusqlite::Error,
    },
    /// The schema could not be brought up to date.
    #[error("cannot migrate the ledger schema")]
    Migrate(#[from] rusqlite_migration::Error),
    /// The ledger was written by a newer vaxledger.
    #[error("the ledger is at schema version {found}, newer than this program's {supported}; upgrade vaxledger")]
    TooNew {
        /// The file's schema version.
        found: usize,
        /// The newest this build knows.
        supported: usize,
    },
    /// A stored value that does not parse as its domain type.
    #[error("ledger row {table}#{id} holds an invalid {field}: {problem}")]
    Corrupt {
        /// The table.
        table: &'static str,
        /// The row id.
        id: i64,
        /// The column.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// A referenced row does not exist.
    #[error("no {what} {key:?} in the ledger")]
    Missing {
        /// What kind of thing.
        what: &'static str,
        /// Its key.
        key: String,
    },
    /// A replication call on a ledger that does not replicate (not enrolled with a server).
    #[error("this ledger does not replicate: enroll it with the sync server first")]
    NotReplicating,
    /// The ledger already replicates under another identity.
    #[error("this ledger already replicates as {replica}; a re-enrolled device starts from a new ledger")]
    AlreadyReplicating {
        /// The identity it has.
        replica: String,
    },
    /// An op to store has an id the log holds with other content: never dropped silently.
    #[error("op {op} is already held with other content")]
    ConflictingOp {
        /// The op id.
        op: String,
    },
    /// A sync message was refused; nothing changed.
    #[error("sync message refused: {0}")]
    Sync(#[from] vax_sync::SyncError),
    /// A local change could not be replicated (e.g. the role may not make it); nothing changed.
    #[error("change not replicated: {0}")]
    Replicate(#[from] vax_sync::WriteError),
    /// Any other SQLite failure.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl UserFacing for LedgerError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Missing { .. } => ErrorCode::NotFound,
            _ => ErrorCode::Ledger,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Missing { .. } => "対象が見つかりません".into(),
            other => format!("台帳エラー: {other}"),
        }
    }
}
