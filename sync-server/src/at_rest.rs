//! Encryption at rest of the SQLite store (docs/encryption.md, "The sync server's store").
//!
//! The server runs unattended, so its data key is not sealed under a passphrase: it is a
//! random 256-bit key in a key file (`--key-file`, `VAXSYNC_KEY_FILE`; in production a systemd
//! credential, `LoadCredentialEncrypted=`, so that the key on disk is itself sealed to the
//! machine). The store is a SQLCipher file under that key ([`vax_at_rest`], as the ledger is).
//! `vaxsync store encrypt` ([`encrypt_store`]) encrypts a plain store in place; it records
//! the key's check value in the plain store before rewriting it, so that a crash half-way is
//! finished by the next run with the key, and refused by a run without it.
//!
//! `vaxsync store rekey` ([`rekey_store`]) replaces a stolen or leaked key: the store is
//! exported under a new key beside itself and renamed over, after the new key file is synced
//! and a marker beside the store (`<store>.rekey`, the new key's check value) says the change
//! has begun. While the marker is there every open is refused but the one that finishes the
//! change; once it is gone only the new key opens the store.

use std::path::{Path, PathBuf};

use vax_at_rest::{AtRestError, DataKey};
use vax_domain::error::{ErrorCode, UserFacing};

use crate::sqlite::SqliteStore;
use crate::store::StoreError;

/// The store's data key.
pub type StoreKey = DataKey;

/// Where a store records that its encryption has begun, and under which key.
pub(crate) const KEY_CHECK: &str = "at_rest_key_check";

/// Why an encrypted store, or its key, was refused. Nothing was changed.
#[derive(Debug, thiserror::Error)]
pub enum KeyError {
    /// An encrypted store opened without its key.
    #[error("the store {path} is encrypted: give its key file (--key-file or VAXSYNC_KEY_FILE)")]
    Locked {
        /// The store.
        path: PathBuf,
    },
    /// A plain store whose encryption was begun, opened without the key.
    #[error(
        "the encryption of the store {path} was begun and not finished: give its key file \
         (--key-file or VAXSYNC_KEY_FILE) to finish it"
    )]
    Unfinished {
        /// The store.
        path: PathBuf,
    },
    /// The key does not open the store (or is not the one its encryption began with).
    #[error(
        "the key does not open the store {path} (another store's key file?); nothing was changed"
    )]
    WrongKey {
        /// The store.
        path: PathBuf,
    },
    /// A key given for a store that is not encrypted, or does not exist.
    #[error(
        "the store {path} is not encrypted (or does not exist); encrypt it first \
         (vaxsync store encrypt --db … --key-file …)"
    )]
    NotEncrypted {
        /// The store.
        path: PathBuf,
    },
    /// `vaxsync store encrypt` for an encrypted store without a key file of its own.
    #[error("the store {path} is encrypted already, under another key than a new one")]
    AlreadyEncrypted {
        /// The store.
        path: PathBuf,
    },
    /// A change of the store's key was begun and not finished (`<store>.rekey` is there):
    /// refused with either key until `vaxsync store rekey` is run again.
    #[error(
        "the key of the store {path} is being changed and the change is not finished: run the \
         same vaxsync store rekey again (the store is not served under either key until then)"
    )]
    RekeyUnfinished {
        /// The store.
        path: PathBuf,
    },
    /// `vaxsync store rekey` to the key the store has now.
    #[error(
        "the new key file {new} holds the old key: a new key must be another; nothing was changed"
    )]
    SameKey {
        /// The new key file.
        new: PathBuf,
    },
    /// `vaxsync store rekey` to a key file that exists and is not the one this store's change
    /// of key began with (another store's key, a file at the wrong path).
    #[error(
        "the new key file {new} exists already with another key than the one a change of the \
         store {path} began with: give a path where no file is (it is made) or the file that \
         change made; nothing was changed"
    )]
    NewKeyFileExists {
        /// The store.
        path: PathBuf,
        /// The new key file.
        new: PathBuf,
    },
    /// A venue relay whose token and TLS key are sealed under its log's key, opened without
    /// the key.
    #[error(
        "the venue relay's token and TLS key in {path} are sealed under its log's key: give its \
         key file (--key-file or VAXSYNC_KEY_FILE)"
    )]
    Sealed {
        /// The relay's directory.
        path: PathBuf,
    },
    /// A key that does not open a venue relay's sealed token or TLS key (another key, or an
    /// altered file).
    #[error(
        "the key does not open the venue relay's sealed {path} (another key file, or the file \
         was altered; a `relay rekey` cut short is finished by running it again); nothing was \
         changed"
    )]
    SealedWrongKey {
        /// The sealed file.
        path: PathBuf,
    },
    /// A key given for a PostgreSQL store.
    #[error(
        "a key file is for the SQLite store; a PostgreSQL database is encrypted at rest by its \
         cluster (disk encryption or TDE), not by vaxsync"
    )]
    Postgres,
    /// The key file cannot be read, written or used.
    #[error("key file {path}: {problem}")]
    KeyFile {
        /// The key file.
        path: PathBuf,
        /// What is wrong.
        problem: String,
    },
    /// Encrypting or opening failed otherwise.
    #[error(transparent)]
    AtRest(AtRestError),
}

impl KeyError {
    /// The exit status `vaxsync` ends with, as `vaxhq`'s: 4 for a key that does not fit, 5 for
    /// a store refused as it is.
    pub fn exit_status(&self) -> u8 {
        match self {
            Self::WrongKey { .. } | Self::SealedWrongKey { .. } => 4,
            Self::KeyFile { .. } | Self::AtRest(_) => 1,
            _ => 5,
        }
    }
}

impl UserFacing for KeyError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::WrongKey { .. }
            | Self::SealedWrongKey { .. }
            | Self::Postgres
            | Self::SameKey { .. }
            | Self::NewKeyFileExists { .. } => ErrorCode::InvalidInput,
            Self::Locked { .. }
            | Self::Sealed { .. }
            | Self::Unfinished { .. }
            | Self::RekeyUnfinished { .. }
            | Self::KeyFile { .. } => ErrorCode::LedgerUnavailable,
            _ => ErrorCode::Ledger,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Locked { path } => format!(
                "保存先 {} は暗号化されています。鍵ファイルを指定してください (--key-file または VAXSYNC_KEY_FILE)",
                path.display()
            ),
            Self::Unfinished { path } => format!(
                "保存先 {} の暗号化が途中で止まっています。鍵ファイルを指定すると完了します",
                path.display()
            ),
            Self::WrongKey { path } => format!(
                "鍵が保存先 {} に合いません (別の保存先の鍵ファイルではありませんか)。何も変更されていません",
                path.display()
            ),
            Self::NotEncrypted { path } => format!(
                "保存先 {} は暗号化されていない (または存在しない) ため鍵は使えません。先に暗号化してください (vaxsync store encrypt)",
                path.display()
            ),
            Self::AlreadyEncrypted { path } => format!(
                "保存先 {} はすでに別の鍵で暗号化されています",
                path.display()
            ),
            Self::RekeyUnfinished { path } => format!(
                "保存先 {} の鍵の変更が途中で止まっています。同じ vaxsync store rekey をもう一度実行してください (完了するまでどちらの鍵でも開けません)",
                path.display()
            ),
            Self::SameKey { new } => format!(
                "新しい鍵ファイル {} は古い鍵と同じです。別の鍵にしてください。何も変更されていません",
                new.display()
            ),
            Self::NewKeyFileExists { path, new } => format!(
                "新しい鍵ファイル {} はすでにあり、保存先 {} の鍵の変更で作られたものではありません。ファイルのない場所を指定してください。何も変更されていません",
                new.display(),
                path.display()
            ),
            Self::Sealed { path } => format!(
                "中継器 {} のトークンと TLS 鍵は記録の鍵で封印されています。鍵ファイルを指定してください (--key-file または VAXSYNC_KEY_FILE)",
                path.display()
            ),
            Self::SealedWrongKey { path } => format!(
                "鍵が中継器の封印されたファイル {} に合いません (別の鍵ファイルか、ファイルが改変されています。途中で止まった relay rekey はもう一度実行すると完了します)。何も変更されていません",
                path.display()
            ),
            Self::Postgres => "鍵ファイルは SQLite の保存先のためのものです。PostgreSQL の暗号化はデータベース側 (ディスク暗号化・TDE) と TLS で行います".into(),
            Self::KeyFile { path, problem } => {
                format!("鍵ファイル {} を使えません: {problem}", path.display())
            }
            Self::AtRest(e) => format!("暗号化の処理に失敗しました: {e}"),
        }
    }
}

impl From<KeyError> for StoreError {
    fn from(e: KeyError) -> Self {
        Self::Key(e)
    }
}

fn key_file_error(path: &Path, problem: impl ToString) -> KeyError {
    KeyError::KeyFile {
        path: path.to_owned(),
        problem: problem.to_string(),
    }
}

/// [`read_key_file`] when a file is at `path`, `None` when none is (a key to be made there).
fn read_key_file_if_there(path: &Path) -> Result<Option<StoreKey>, KeyError> {
    path.exists().then(|| read_key_file(path)).transpose()
}

/// A URL is not a file to rewrite (nor to create): PostgreSQL is the cluster's to encrypt.
fn refuse_postgres(db: &Path) -> Result<(), KeyError> {
    match db.to_str().is_some_and(crate::postgres::is_postgres_url) {
        true => Err(KeyError::Postgres),
        false => Ok(()),
    }
}

/// SQLCipher's refusal of a key for the store at `db`, as the store's commands report it.
pub(crate) fn refused_key(db: &Path, e: AtRestError) -> KeyError {
    match e {
        AtRestError::WrongKey => KeyError::WrongKey { path: db.into() },
        e => KeyError::AtRest(e),
    }
}

/// Reads the key in the key file at `path`: one line of 64 hex digits, readable by its owner
/// only (a key file others may read is refused, as ssh refuses such a private key).
pub fn read_key_file(path: &Path) -> Result<StoreKey, KeyError> {
    let meta = std::fs::metadata(path).map_err(|e| key_file_error(path, e))?;
    #[cfg(unix)]
    {
        use std::os::unix::fs::PermissionsExt;
        let mode = meta.permissions().mode() & 0o777;
        if mode & 0o077 != 0 {
            return Err(key_file_error(
                path,
                format!(
                    "others may read it (mode {mode:03o}); make it the owner's only: chmod 600"
                ),
            ));
        }
    }
    #[cfg(not(unix))]
    let _ = meta;
    let text = std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?;
    let mut bytes = [0u8; 32];
    hex::decode_to_slice(text.trim(), &mut bytes)
        .map_err(|_| key_file_error(path, "not a store key (one line of 64 hex digits)"))?;
    Ok(StoreKey::from_bytes(bytes))
}

/// Writes a new key file at `path`, owner-only, refusing to replace any file there.
fn write_key_file(path: &Path, key: &StoreKey) -> Result<(), KeyError> {
    use std::io::Write;
    let mut options = std::fs::OpenOptions::new();
    options.write(true).create_new(true);
    #[cfg(unix)]
    {
        use std::os::unix::fs::OpenOptionsExt;
        options.mode(0o600);
    }
    let mut file = options.open(path).map_err(|e| key_file_error(path, e))?;
    file.write_all(format!("{}\n", hex::encode(key.as_bytes())).as_bytes())
        .and_then(|()| file.sync_all())
        .and_then(|()| vax_at_rest::sync_dir(path))
        .map_err(|e| key_file_error(path, e))
}

/// Whether a store file is there with something in it (SQLite makes an empty file a new
/// database).
pub(crate) fn has_content(path: &Path) -> bool {
    std::fs::metadata(path).is_ok_and(|m| m.len() > 0)
}

/// The key check recorded in the plain store at `path`, if its encryption has begun.
/// Reads only.
pub(crate) fn recorded_key_check(path: &Path) -> Result<Option<String>, StoreError> {
    let conn = rusqlite::Connection::open(path).map_err(StoreError::backend)?;
    let has_meta: bool = conn
        .query_row(
            "SELECT count(*) > 0 FROM sqlite_schema WHERE type = 'table' AND name = 'meta'",
            [],
            |r| r.get(0),
        )
        .map_err(StoreError::backend)?;
    if !has_meta {
        return Ok(None);
    }
    use rusqlite::OptionalExtension;
    conn.query_row("SELECT value FROM meta WHERE key = ?1", [KEY_CHECK], |r| {
        r.get(0)
    })
    .optional()
    .map_err(StoreError::backend)
}

/// What `vaxsync store encrypt` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Encrypted {
    /// The store was plain (or missing, or half-way) and is encrypted now.
    Now,
    /// The store was encrypted under this key already; nothing was changed.
    Already,
}

/// Encrypts the SQLite store at `db` in place under the key in `key_file`, which is made
/// (256 random bits, owner-only) when it does not exist; an existing key file's key is used.
/// A missing store is created encrypted. A crash half-way is finished by the next run (or by
/// any open with the key). Refused, with nothing changed, when the store is encrypted or
/// half-way under another key than the key file's.
pub fn encrypt_store(db: &Path, key_file: &Path) -> Result<Encrypted, StoreError> {
    let given = read_key_file_if_there(key_file)?;
    encrypt_with(db, given, |key| write_key_file(key_file, key))
}

/// [`encrypt_store`] under a key the caller keeps itself (the app's venue relay: a key
/// derived from its unlocked ledger's), with no key file.
pub fn encrypt_store_under(db: &Path, key: &StoreKey) -> Result<Encrypted, StoreError> {
    encrypt_with(db, Some(key.clone()), |_| Ok(()))
}

/// Encrypts `db` under `given`, or under a new key that `keep` saves first when none is given.
fn encrypt_with(
    db: &Path,
    given: Option<StoreKey>,
    keep: impl FnOnce(&StoreKey) -> Result<(), KeyError>,
) -> Result<Encrypted, StoreError> {
    refuse_postgres(db)?;
    if has_content(db) && !vax_at_rest::is_plain(db) {
        let Some(key) = given else {
            return Err(KeyError::AlreadyEncrypted { path: db.into() }.into());
        };
        // Opening with the key finishes nothing here (the file is encrypted): it checks it.
        SqliteStore::open_keyed(db, Some(&key))?;
        return Ok(Encrypted::Already);
    }
    let begun = if has_content(db) {
        recorded_key_check(db)?
    } else {
        None
    };
    let key = match (given, begun) {
        (Some(key), Some(check)) if key.check_value() != check => {
            return Err(KeyError::WrongKey { path: db.into() }.into());
        }
        (Some(key), _) => key,
        (None, Some(_)) => return Err(KeyError::Unfinished { path: db.into() }.into()),
        (None, None) => {
            let key = StoreKey::random().map_err(KeyError::AtRest)?;
            // Written (and synced) before the store changes: the key is never lost.
            keep(&key)?;
            key
        }
    };
    SqliteStore::begin_encryption(db, &key)?;
    vax_at_rest::export_encrypted(db, &key).map_err(KeyError::AtRest)?;
    // Opened once with the key: proves the result before the command says it is done.
    SqliteStore::open_keyed(db, Some(&key))?;
    Ok(Encrypted::Now)
}

/// The marker beside the store at `db` that says a change of its key has begun: it holds the
/// new key's check value (which reveals nothing of the key).
pub(crate) fn rekey_marker(db: &Path) -> PathBuf {
    PathBuf::from(format!("{}.rekey", db.display()))
}

/// The check value in the marker beside `db`, if a change of its key has begun.
pub(crate) fn rekey_begun(db: &Path) -> Result<Option<String>, KeyError> {
    let marker = rekey_marker(db);
    match std::fs::read_to_string(&marker) {
        Ok(text) => Ok(Some(text.trim().to_owned())),
        Err(e) if e.kind() == std::io::ErrorKind::NotFound => Ok(None),
        Err(e) => Err(KeyError::AtRest(AtRestError::Replace {
            path: marker,
            source: e,
        })),
    }
}

/// Ends a change of key whose export is renamed over the store: the marker goes.
pub(crate) fn end_rekey(db: &Path) -> Result<(), KeyError> {
    let marker = rekey_marker(db);
    std::fs::remove_file(&marker)
        .and_then(|()| vax_at_rest::sync_dir(&marker))
        .map_err(|source| {
            KeyError::AtRest(AtRestError::Replace {
                path: marker,
                source,
            })
        })
}

/// Whether `key` opens the encrypted file at `db` (reads only).
fn opens(db: &Path, key: &StoreKey) -> bool {
    has_content(db) && !vax_at_rest::is_plain(db) && vax_at_rest::keyed_connection(db, key).is_ok()
}

/// What `vaxsync store rekey` did.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Rekeyed {
    /// The store is under the new key now (this run changed it or finished a change cut
    /// short); the old key no longer opens it.
    Now,
    /// The store was under the new key already (a second run); nothing was changed.
    Already,
}

/// Replaces the key of the encrypted SQLite store at `db` (run with the server stopped): the
/// key in `old_key_file` opens it, the new key is the one in `new_key_file`, made (256 random
/// bits, owner-only) when no file is there.
///
/// In order, each step synced before the next: the marker `<db>.rekey` records the new key's
/// check value; the new key file is written; the store is exported under the new key to
/// `<db>.rekeying` and renamed over itself; the marker goes. Which key opens the store:
/// the old one until the marker is written; neither while it is there (every open but a
/// rekey is refused, [`KeyError::RekeyUnfinished`]), except the new key once the store is
/// renamed (that open removes the marker); only the new one once the marker is gone. A run
/// cut short anywhere is finished by running the same command again.
///
/// Refused with nothing changed: a PostgreSQL store, an old key that does not open the store,
/// a new key file that holds the old key, or that exists and is not the one this store's
/// change began with, a key file others may read.
pub fn rekey_store(
    db: &Path,
    old_key_file: &Path,
    new_key_file: &Path,
) -> Result<Rekeyed, StoreError> {
    refuse_postgres(db)?;
    let old = read_key_file(old_key_file)?;
    let given = read_key_file_if_there(new_key_file)?;
    if given.as_ref() == Some(&old) {
        return Err(KeyError::SameKey {
            new: new_key_file.into(),
        }
        .into());
    }
    let begun = rekey_begun(db)?;
    // Under the new key already: a run that stopped after the rename (the marker still
    // there), or a second run of a finished one.
    if let Some(new) = &given {
        if begun.as_ref().is_none_or(|b| *b == new.check_value()) && opens(db, new) {
            if begun.is_none() {
                return Ok(Rekeyed::Already);
            }
            end_rekey(db)?;
            SqliteStore::open_keyed(db, Some(new))?;
            return Ok(Rekeyed::Now);
        }
    }
    // Otherwise the old key must open the store, before anything is written.
    if !has_content(db) || vax_at_rest::is_plain(db) {
        // A plain store (its encryption half-way under the old key is finished here), or
        // none: refused as the old key's open refuses it.
        drop(SqliteStore::open_keyed(db, Some(&old))?);
    }
    vax_at_rest::keyed_connection(db, &old).map_err(|e| refused_key(db, e))?;
    let new = match given {
        // A key file already there is taken only as the one this store's change began with.
        Some(new) if begun.as_ref() == Some(&new.check_value()) => new,
        Some(_) => {
            return Err(KeyError::NewKeyFileExists {
                path: db.into(),
                new: new_key_file.into(),
            }
            .into())
        }
        // No file yet: a new key (a marker left by a run that stopped before writing its key
        // file names a key that was never kept, and the store is still under the old key).
        None => {
            let new = StoreKey::random().map_err(KeyError::AtRest)?;
            vax_at_rest::replace_file(&rekey_marker(db), new.check_value().as_bytes()).map_err(
                |source| {
                    KeyError::AtRest(AtRestError::Replace {
                        path: rekey_marker(db),
                        source,
                    })
                },
            )?;
            // Written (and synced) before the store changes: the new key is never lost.
            write_key_file(new_key_file, &new)?;
            new
        }
    };
    vax_at_rest::export_rekeyed(db, &old, &new).map_err(|e| refused_key(db, e))?;
    end_rekey(db)?;
    // Opened once with the new key: proves the result before the command says it is done.
    SqliteStore::open_keyed(db, Some(&new))?;
    Ok(Rekeyed::Now)
}
