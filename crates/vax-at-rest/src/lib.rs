//! Encryption at rest for SQLite files (issue 15, docs/encryption.md): a SQLCipher database
//! under a random 256-bit data key, used as SQLCipher's raw key (no key derivation of its
//! own). One implementation for the kiosk's ledger (`vax-ledger`, which seals the key under a
//! passphrase) and the sync server's store (`vax-sync-server`, which reads it from a key file):
//!
//! - [`DataKey`]: the key, never printed;
//! - [`keyed_connection`]: opens an encrypted file, a wrong key refused before anything is
//!   written;
//! - [`export_encrypted`]: rewrites a plain file as an encrypted one in place, whole or not at
//!   all (a crash leaves the plain file or the encrypted one);
//! - [`export_rekeyed`]: rewrites an encrypted file under another key in place, the same way;
//! - [`is_plain`]: whether a file is still a plain SQLite file;
//! - [`DataKey::seal`] / [`DataKey::open_sealed`]: a small secret kept beside such a file (a
//!   bearer token, a TLS private key) sealed under the same key, authenticated (AEAD).

use std::path::{Path, PathBuf};

use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::Connection;

/// What every SQLite file that is not encrypted begins with.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// Why an encrypted file could not be opened or made.
#[derive(Debug, thiserror::Error)]
pub enum AtRestError {
    /// The key does not open the file (SQLCipher's per-page HMAC fails); nothing was written.
    #[error("the key does not open this database")]
    WrongKey,
    /// The system gave no randomness.
    #[error("no randomness from the system")]
    NoRandomness,
    /// The file could not be opened.
    #[error("cannot open {path}: {source}")]
    Open {
        /// The file.
        path: PathBuf,
        /// Why.
        source: rusqlite::Error,
    },
    /// Replacing the plain file by the encrypted one failed (the plain file is still whole).
    #[error("replacing {path} by its encrypted copy: {source}")]
    Replace {
        /// The file.
        path: PathBuf,
        /// Why.
        source: std::io::Error,
    },
    /// A sealed value the key does not open: sealed under another key, cut short or altered
    /// (the AEAD tag does not match; which of these cannot be told apart).
    #[error("the key does not open this sealed value (another key's, or altered)")]
    NotOpened,
    /// Any other SQLite failure.
    #[error(transparent)]
    Sqlite(#[from] rusqlite::Error),
}

/// What a sealed value begins with: its format's version.
const SEALED_V1: u8 = 1;

/// A data key (256 bits). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct DataKey([u8; 32]);

impl std::fmt::Debug for DataKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("DataKey(…)")
    }
}

impl DataKey {
    /// A new random key.
    pub fn random() -> Result<Self, AtRestError> {
        Ok(Self(random_bytes()?))
    }

    /// The key with these bytes.
    pub fn from_bytes(bytes: [u8; 32]) -> Self {
        Self(bytes)
    }

    /// Its bytes (to seal it, or to write it to a key file).
    pub fn as_bytes(&self) -> &[u8; 32] {
        &self.0
    }

    /// A value that tells this key from another without revealing it (HMAC-SHA256 of a fixed
    /// label under the key): recorded in a file whose encryption has begun, so that the run
    /// that finishes it can check it holds the same key.
    pub fn check_value(&self) -> String {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0);
        hex::encode(ring::hmac::sign(&key, b"vax-at-rest key check v1"))
    }

    /// Another key made from this one for `purpose` (HMAC-SHA256 of the purpose under this
    /// key): a second file keyed from the same secret without sharing its key (the app's
    /// venue relay log, keyed from the unlocked ledger). Knowing the derived key reveals
    /// nothing of this one.
    pub fn derive(&self, purpose: &str) -> DataKey {
        let key = ring::hmac::Key::new(ring::hmac::HMAC_SHA256, &self.0);
        let tag = ring::hmac::sign(&key, format!("vax-at-rest derive v1: {purpose}").as_bytes());
        let mut bytes = [0u8; 32];
        bytes.copy_from_slice(tag.as_ref());
        DataKey(bytes)
    }

    /// `plain` sealed under this key for `label` (authenticated encryption: ChaCha20-Poly1305
    /// under a key derived from this one for sealing, a random 96-bit nonce, `label` as the
    /// associated data so that a value sealed for one use is refused for another). The result
    /// is `1 ‖ nonce ‖ ciphertext ‖ tag`; [`DataKey::open_sealed`] with the same key and label
    /// gives `plain` back.
    pub fn seal(&self, label: &str, plain: &[u8]) -> Result<Vec<u8>, AtRestError> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
        let key = LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, self.derive("seal").as_bytes())
                .map_err(|_| AtRestError::NotOpened)?,
        );
        let nonce: [u8; NONCE_LEN] = random_bytes()?;
        let mut body = plain.to_vec();
        key.seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(label.as_bytes()),
            &mut body,
        )
        .map_err(|_| AtRestError::NotOpened)?;
        let mut sealed = Vec::with_capacity(1 + NONCE_LEN + body.len());
        sealed.push(SEALED_V1);
        sealed.extend_from_slice(&nonce);
        sealed.extend_from_slice(&body);
        Ok(sealed)
    }

    /// The value [`DataKey::seal`] sealed under this key for `label`. Another key, another
    /// label, or a sealed value cut short or altered in any byte is [`AtRestError::NotOpened`].
    pub fn open_sealed(&self, label: &str, sealed: &[u8]) -> Result<Vec<u8>, AtRestError> {
        use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305, NONCE_LEN};
        let (&version, rest) = sealed.split_first().ok_or(AtRestError::NotOpened)?;
        if version != SEALED_V1 || rest.len() < NONCE_LEN {
            return Err(AtRestError::NotOpened);
        }
        let (nonce, body) = rest.split_at(NONCE_LEN);
        let nonce = Nonce::try_assume_unique_for_key(nonce).map_err(|_| AtRestError::NotOpened)?;
        let key = LessSafeKey::new(
            UnboundKey::new(&CHACHA20_POLY1305, self.derive("seal").as_bytes())
                .map_err(|_| AtRestError::NotOpened)?,
        );
        let mut body = body.to_vec();
        let plain = key
            .open_in_place(nonce, Aad::from(label.as_bytes()), &mut body)
            .map_err(|_| AtRestError::NotOpened)?;
        Ok(plain.to_vec())
    }

    /// SQLCipher's raw-key form: the key is used as is, with no key derivation of its own.
    fn pragma(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }
}

/// `N` random bytes from the system.
pub fn random_bytes<const N: usize>() -> Result<[u8; N], AtRestError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| AtRestError::NoRandomness)?;
    Ok(bytes)
}

/// Whether the file at `path` begins as a plain SQLite file (false for an encrypted one, an
/// empty or missing one).
pub fn is_plain(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| &header == PLAIN_HEADER)
}

/// Opens the encrypted file at `path` with `key`. A wrong key is [`AtRestError::WrongKey`],
/// found at the first read, before anything is written.
pub fn keyed_connection(path: &Path, key: &DataKey) -> Result<Connection, AtRestError> {
    let conn = Connection::open(path).map_err(|source| AtRestError::Open {
        path: path.to_owned(),
        source,
    })?;
    // SQLCipher logs a wrong key to stderr on its own; the error returned says it all.
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    conn.pragma_update(None, "key", key.pragma())?;
    // The key is only tried at the first read.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => AtRestError::WrongKey,
            _ => AtRestError::Sqlite(e),
        })?;
    Ok(conn)
}

/// Attaches the encrypted file at `path` to `conn` as `schema`, under `key` (a plain
/// connection writing into an encrypted ledger: SQLCipher will not attach a plain database to
/// an encrypted connection's schema the other way round). A wrong key is refused as the file
/// is attached.
pub fn attach_keyed(
    conn: &Connection,
    path: &Path,
    key: &DataKey,
    schema: &str,
) -> Result<(), AtRestError> {
    conn.execute(
        &format!("ATTACH DATABASE ?1 AS \"{schema}\" KEY ?2"),
        rusqlite::params![path.to_string_lossy(), key.pragma()],
    )?;
    Ok(())
}

/// Rewrites the plain SQLite file at `path` as a SQLCipher file under `key`, in place:
/// exported to `<path>.encrypting`, synced, then renamed over it. A crash leaves one or the
/// other whole; the caller records its key before calling, so that the next run finishes the
/// job with the same key.
pub fn export_encrypted(path: &Path, key: &DataKey) -> Result<(), AtRestError> {
    let conn = Connection::open(path).map_err(|source| AtRestError::Open {
        path: path.to_owned(),
        source,
    })?;
    export_over(path, conn, key, "encrypting")
}

/// Rewrites the SQLCipher file at `path` under `new` instead of `old`, in place: exported to
/// `<path>.rekeying` under `new`, synced, then renamed over it, as [`export_encrypted`] does.
/// A crash leaves the file whole under one key or the other (never half of each); the caller
/// keeps `new` safe before calling, and records that the change has begun. A wrong `old` is
/// [`AtRestError::WrongKey`], with nothing written.
pub fn export_rekeyed(path: &Path, old: &DataKey, new: &DataKey) -> Result<(), AtRestError> {
    let conn = keyed_connection(path, old)?;
    export_over(path, conn, new, "rekeying")
}

/// Exports the database open on `conn` (the file at `path`) to `<path>.<suffix>` under
/// `key`, syncs it and renames it over `path`.
fn export_over(
    path: &Path,
    conn: Connection,
    key: &DataKey,
    suffix: &str,
) -> Result<(), AtRestError> {
    let tmp = PathBuf::from(format!("{}.{suffix}", path.display()));
    let _ = std::fs::remove_file(&tmp);
    {
        // Everything committed into the main file first: the export reads through the WAL
        // anyway, but the old WAL must not outlive the file it belongs to.
        conn.query_row("PRAGMA wal_checkpoint(TRUNCATE)", [], |_| Ok(()))?;
        let version: i64 = conn.query_row("PRAGMA user_version", [], |r| r.get(0))?;
        conn.execute(
            "ATTACH DATABASE ?1 AS encrypted KEY ?2",
            rusqlite::params![tmp.to_string_lossy(), key.pragma()],
        )?;
        conn.query_row("SELECT sqlcipher_export('encrypted')", [], |_| Ok(()))?;
        // sqlcipher_export copies the schema and rows, not the schema version.
        conn.execute_batch(&format!(
            "PRAGMA encrypted.user_version = {version}; DETACH DATABASE encrypted;"
        ))?;
    }
    drop(conn);
    let replace = |source| AtRestError::Replace {
        path: path.to_owned(),
        source,
    };
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(replace)?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::rename(&tmp, path).map_err(replace)?;
    sync_dir(path).map_err(replace)
}

/// Writes `bytes` to `path` whole or not at all: a temporary file, synced, renamed over.
pub fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(path)
}

/// Syncs the directory holding `path`, so that a rename in it survives a power cut.
pub fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_plain_file_is_encrypted_in_place_and_only_its_key_opens_it() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (name TEXT); \
             INSERT INTO t VALUES ('平文 太郎'); PRAGMA user_version = 7;",
        )
        .unwrap();
        drop(conn);
        assert!(is_plain(&path));

        let key = DataKey::random().unwrap();
        export_encrypted(&path, &key).unwrap();
        assert!(!is_plain(&path));
        let bytes = std::fs::read(&path).unwrap();
        let name = "平文 太郎".as_bytes();
        assert!(!bytes.windows(name.len()).any(|w| w == name));

        let other = DataKey::random().unwrap();
        assert!(matches!(
            keyed_connection(&path, &other),
            Err(AtRestError::WrongKey)
        ));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            bytes,
            "a wrong key wrote nothing"
        );

        let conn = keyed_connection(&path, &key).unwrap();
        let (found, version): (String, i64) = conn
            .query_row(
                "SELECT name, (SELECT user_version FROM pragma_user_version) FROM t",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((found.as_str(), version), ("平文 太郎", 7));
    }

    /// A plain connection writes into an encrypted file attached under its key (how a
    /// snapshot's rows reach an encrypted ledger); the rows land encrypted, and another key is
    /// refused as the file is attached.
    #[test]
    fn a_plain_connection_writes_into_an_encrypted_file_attached_under_its_key() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        Connection::open(&path)
            .unwrap()
            .execute_batch("CREATE TABLE t (name TEXT);")
            .unwrap();
        let key = DataKey::random().unwrap();
        export_encrypted(&path, &key).unwrap();

        let writer = Connection::open_in_memory().unwrap();
        writer
            .execute_batch("CREATE TABLE t (name TEXT); INSERT INTO t VALUES ('平文 花子');")
            .unwrap();
        let other = DataKey::random().unwrap();
        assert!(attach_keyed(&writer, &path, &other, "wrong").is_err());

        attach_keyed(&writer, &path, &key, "ledger").unwrap();
        writer
            .execute("INSERT INTO ledger.t SELECT * FROM main.t", [])
            .unwrap();
        writer.execute_batch("DETACH DATABASE ledger").unwrap();
        let bytes = std::fs::read(&path).unwrap();
        let name = "平文 花子".as_bytes();
        assert!(!bytes.windows(name.len()).any(|w| w == name));
        let found: String = keyed_connection(&path, &key)
            .unwrap()
            .query_row("SELECT name FROM t", [], |r| r.get(0))
            .unwrap();
        assert_eq!(found, "平文 花子");
    }

    #[test]
    fn a_file_rekeyed_in_place_opens_with_the_new_key_only() {
        let dir = tempfile::tempdir().unwrap();
        let path = dir.path().join("x.sqlite3");
        let conn = Connection::open(&path).unwrap();
        conn.execute_batch(
            "PRAGMA journal_mode=WAL; CREATE TABLE t (name TEXT); \
             INSERT INTO t VALUES ('鍵替 太郎'); PRAGMA user_version = 3;",
        )
        .unwrap();
        drop(conn);
        let (old, new) = (DataKey::random().unwrap(), DataKey::random().unwrap());
        export_encrypted(&path, &old).unwrap();
        let before = std::fs::read(&path).unwrap();
        assert!(matches!(
            export_rekeyed(&path, &new, &old),
            Err(AtRestError::WrongKey)
        ));
        assert_eq!(
            std::fs::read(&path).unwrap(),
            before,
            "a wrong key wrote nothing"
        );

        export_rekeyed(&path, &old, &new).unwrap();
        assert!(matches!(
            keyed_connection(&path, &old),
            Err(AtRestError::WrongKey)
        ));
        let conn = keyed_connection(&path, &new).unwrap();
        let (found, version): (String, i64) = conn
            .query_row(
                "SELECT name, (SELECT user_version FROM pragma_user_version) FROM t",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert_eq!((found.as_str(), version), ("鍵替 太郎", 3));
        assert!(!dir.path().join("x.sqlite3.rekeying").exists());
    }

    #[test]
    fn a_derived_key_differs_by_purpose_and_from_its_parent() {
        let key = DataKey::from_bytes([7; 32]);
        assert_eq!(key.derive("a"), key.derive("a"));
        assert_ne!(key.derive("a"), key.derive("b"));
        assert_ne!(key.derive("a"), key);
        assert_ne!(key.derive("a"), DataKey::from_bytes([8; 32]).derive("a"));
    }

    #[test]
    fn a_sealed_value_opens_with_its_key_and_label_only_and_not_once_altered() {
        let key = DataKey::random().unwrap();
        let secret = b"relay-token-0123456789abcdef";
        let sealed = key.seal("token", secret).unwrap();
        assert!(!sealed.windows(secret.len()).any(|w| w == secret));
        assert_eq!(key.open_sealed("token", &sealed).unwrap(), secret);
        // A random nonce: the same value sealed twice differs.
        assert_ne!(key.seal("token", secret).unwrap(), sealed);

        let other = DataKey::random().unwrap();
        assert!(matches!(
            other.open_sealed("token", &sealed),
            Err(AtRestError::NotOpened)
        ));
        assert!(matches!(
            key.open_sealed("tls key", &sealed),
            Err(AtRestError::NotOpened)
        ));
        for i in 0..sealed.len() {
            let mut tampered = sealed.clone();
            tampered[i] ^= 0x01;
            assert!(
                matches!(
                    key.open_sealed("token", &tampered),
                    Err(AtRestError::NotOpened)
                ),
                "byte {i} altered"
            );
        }
        for len in 0..sealed.len() {
            assert!(
                key.open_sealed("token", &sealed[..len]).is_err(),
                "cut at {len}"
            );
        }
        assert_eq!(
            key.open_sealed("", &key.seal("", b"").unwrap()).unwrap(),
            b""
        );
    }

    #[test]
    fn a_key_is_never_printed() {
        let key = DataKey::from_bytes([0xab; 32]);
        assert_eq!(format!("{key:?}"), "DataKey(…)");
        let check = key.check_value();
        assert!(!check.contains(&hex::encode(key.as_bytes())));
        assert_ne!(check, DataKey::from_bytes([0xac; 32]).check_value());
    }
}
