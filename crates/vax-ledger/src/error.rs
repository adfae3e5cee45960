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
    /// The ledger is encrypted and was opened without its passphrase.
    #[error("ledger {path} is encrypted: give its passphrase")]
    Locked {
        /// The ledger file.
        path: PathBuf,
    },
    /// A passphrase was given for a ledger that is not encrypted.
    #[error("ledger {path} is not encrypted; encrypt it first (vaxhq encrypt)")]
    NotEncrypted {
        /// The ledger file.
        path: PathBuf,
    },
    /// The ledger is encrypted already.
    #[error("the ledger is encrypted already; change its passphrase instead")]
    AlreadyEncrypted,
    /// The passphrase or recovery code does not unlock the ledger; nothing changed.
    #[error("wrong passphrase or recovery code for this ledger")]
    WrongPassphrase,
    /// A new passphrase shorter than 8 characters.
    #[error("the passphrase must have at least 8 characters")]
    PassphraseTooShort,
    /// The key file beside an encrypted ledger cannot be read or written.
    #[error("ledger key file {path}: {problem}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// A snapshot was not taken (or not made); nothing changed.
    #[error("snapshot not taken: {0}")]
    Snapshot(crate::replication::SnapshotRefusal),
    /// Any other SQLite failure.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

impl UserFacing for LedgerError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Missing { .. } => ErrorCode::NotFound,
            Self::WrongPassphrase | Self::PassphraseTooShort => ErrorCode::InvalidInput,
            Self::Locked { .. } | Self::KeyFile { .. } => ErrorCode::LedgerUnavailable,
            _ => ErrorCode::Ledger,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Missing { .. } => "対象が見つかりません".into(),
            Self::Locked { path } => {
                format!(
                    "台帳 {} は暗号化されています。パスフレーズを入力してください",
                    path.display()
                )
            }
            Self::NotEncrypted { path } => format!(
                "台帳 {} は暗号化されていません。先に暗号化してください (vaxhq encrypt)",
                path.display()
            ),
            Self::AlreadyEncrypted => {
                "台帳はすでに暗号化されています。パスフレーズの変更を使ってください".into()
            }
            Self::WrongPassphrase => {
                "パスフレーズまたは復旧コードが違います (台帳は変更されていません)".into()
            }
            Self::PassphraseTooShort => "パスフレーズは8文字以上にしてください".into(),
            Self::KeyFile { path, problem } => {
                format!(
                    "台帳の鍵ファイル {} を読み書きできません: {problem}",
                    path.display()
                )
            }
            Self::Snapshot(refusal) => format!(
                "スナップショットを取り込みませんでした (台帳は変更されていません。通常の同期で受け取ります): {refusal}"
            ),
            other => format!("台帳エラー: {other}"),
        }
    }
}
