use std::path::PathBuf;

use thiserror::Error;

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
    /// Any other SQLite failure.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}
