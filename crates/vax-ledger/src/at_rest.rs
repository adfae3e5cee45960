//! Encryption at rest (issue 15, docs/encryption.md): the ledger file is a SQLCipher database
//! under a random 256-bit data key. The data key never touches the disk in the clear: the
//! key file beside the ledger (`<ledger>.keys.json`) holds it sealed twice, with
//! ChaCha20-Poly1305,
//!
//! - under a key derived from the venue's passphrase with Argon2id (entered at the start of
//!   the day: a stolen, switched-off laptop yields only ciphertext), and
//! - under a recovery code made at encryption time, shown once for HQ to keep (a forgotten
//!   passphrase costs a phone call, not the day's records).
//!
//! Everything in the ledger, the sync token and the device's signing key included, is
//! therefore encrypted. A ledger without a key file is a plain SQLite file and opens as before.

use std::path::{Path, PathBuf};

use argon2::{Algorithm, Argon2, Params, Version};
use ring::aead::{Aad, LessSafeKey, Nonce, UnboundKey, CHACHA20_POLY1305};
use ring::rand::{SecureRandom, SystemRandom};
use rusqlite::Connection;
use serde::{Deserialize, Serialize};

use crate::{Ledger, LedgerError};

/// The key file's format tag.
const FORMAT: &str = "vaxledger-keys/1";
/// Bound into every seal, so a sealed key cannot be replayed as something else.
const AAD: &[u8] = b"vaxledger ledger data key v1";
/// Argon2id at 64 MiB, 3 passes: about half a second on a venue laptop, once a day.
const MEMORY_KIB: u32 = 64 * 1024;
const ITERATIONS: u32 = 3;
const PARALLELISM: u32 = 1;
/// What every SQLite file that is not encrypted begins with.
const PLAIN_HEADER: &[u8; 16] = b"SQLite format 3\0";

/// A ledger's data key (256 bits). Never printed.
#[derive(Clone, PartialEq, Eq)]
pub struct LedgerKey([u8; 32]);

impl std::fmt::Debug for LedgerKey {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("LedgerKey(…)")
    }
}

impl LedgerKey {
    fn random() -> Result<Self, LedgerError> {
        Ok(Self(random_bytes()?))
    }

    /// SQLCipher's raw-key form: the key is used as is, with no key derivation of its own.
    fn pragma(&self) -> String {
        format!("x'{}'", hex::encode(self.0))
    }
}

/// The recovery code HQ keeps for a ledger: 64 hex digits in groups of eight.
#[derive(Clone, PartialEq, Eq)]
pub struct RecoveryCode([u8; 32]);

impl std::fmt::Display for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        let digits = hex::encode_upper(self.0);
        let groups: Vec<&str> = (0..8).map(|i| &digits[i * 8..i * 8 + 8]).collect();
        f.write_str(&groups.join("-"))
    }
}

impl std::fmt::Debug for RecoveryCode {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str("RecoveryCode(…)")
    }
}

impl std::str::FromStr for RecoveryCode {
    type Err = LedgerError;

    /// Reads the code as printed, with or without its dashes and blanks, in either case.
    fn from_str(s: &str) -> Result<Self, LedgerError> {
        let digits: String = s
            .chars()
            .filter(|c| !c.is_whitespace() && *c != '-')
            .collect();
        let mut bytes = [0u8; 32];
        hex::decode_to_slice(&digits, &mut bytes).map_err(|_| LedgerError::WrongPassphrase)?;
        Ok(Self(bytes))
    }
}

/// How to unlock an encrypted ledger.
#[derive(Debug, Clone, Copy)]
pub enum Unlock<'a> {
    /// The venue's passphrase.
    Passphrase(&'a str),
    /// HQ's recovery code for this ledger.
    Recovery(&'a RecoveryCode),
}

#[derive(Serialize, Deserialize)]
struct KeyFile {
    format: String,
    kdf: Kdf,
    by_passphrase: Sealed,
    by_recovery: Sealed,
}

#[derive(Serialize, Deserialize)]
struct Kdf {
    algorithm: String,
    memory_kib: u32,
    iterations: u32,
    parallelism: u32,
    salt: String,
}

#[derive(Serialize, Deserialize)]
struct Sealed {
    nonce: String,
    sealed: String,
}

fn random_bytes<const N: usize>() -> Result<[u8; N], LedgerError> {
    let mut bytes = [0u8; N];
    SystemRandom::new()
        .fill(&mut bytes)
        .map_err(|_| LedgerError::KeyFile {
            path: PathBuf::new(),
            problem: "no randomness from the system".into(),
        })?;
    Ok(bytes)
}

/// The key file of the ledger at `ledger`.
pub fn key_file_path(ledger: &Path) -> PathBuf {
    let mut name = ledger.as_os_str().to_owned();
    name.push(".keys.json");
    PathBuf::from(name)
}

/// Whether the ledger at `ledger` is encrypted (has a key file).
pub fn is_encrypted(ledger: &Path) -> bool {
    key_file_path(ledger).exists()
}

fn key_file_error(path: &Path, problem: impl ToString) -> LedgerError {
    LedgerError::KeyFile {
        path: path.to_owned(),
        problem: problem.to_string(),
    }
}

fn kek_from_passphrase(passphrase: &str, kdf: &Kdf) -> Result<[u8; 32], String> {
    let salt = hex::decode(&kdf.salt).map_err(|e| e.to_string())?;
    let params = Params::new(kdf.memory_kib, kdf.iterations, kdf.parallelism, Some(32))
        .map_err(|e| e.to_string())?;
    let mut kek = [0u8; 32];
    Argon2::new(Algorithm::Argon2id, Version::V0x13, params)
        .hash_password_into(passphrase.as_bytes(), &salt, &mut kek)
        .map_err(|e| e.to_string())?;
    Ok(kek)
}

fn aead_key(kek: &[u8; 32]) -> LessSafeKey {
    LessSafeKey::new(
        UnboundKey::new(&CHACHA20_POLY1305, kek).expect("a 256-bit key fits ChaCha20-Poly1305"),
    )
}

fn seal(kek: &[u8; 32], key: &LedgerKey) -> Result<Sealed, LedgerError> {
    let nonce: [u8; 12] = random_bytes()?;
    let mut sealed = key.0.to_vec();
    // A fresh random nonce for each seal: a passphrase key or recovery code seals few keys.
    aead_key(kek)
        .seal_in_place_append_tag(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(AAD),
            &mut sealed,
        )
        .map_err(|_| key_file_error(Path::new(""), "sealing the data key failed"))?;
    Ok(Sealed {
        nonce: hex::encode(nonce),
        sealed: hex::encode(sealed),
    })
}

/// The data key, or `None` when `kek` is not the one it was sealed with.
fn open_seal(kek: &[u8; 32], sealed: &Sealed) -> Option<LedgerKey> {
    let mut nonce = [0u8; 12];
    hex::decode_to_slice(&sealed.nonce, &mut nonce).ok()?;
    let mut bytes = hex::decode(&sealed.sealed).ok()?;
    let key = aead_key(kek)
        .open_in_place(
            Nonce::assume_unique_for_key(nonce),
            Aad::from(AAD),
            &mut bytes,
        )
        .ok()?;
    Some(LedgerKey(<[u8; 32]>::try_from(&key[..]).ok()?))
}

fn new_kdf() -> Result<Kdf, LedgerError> {
    Ok(Kdf {
        algorithm: "argon2id".into(),
        memory_kib: MEMORY_KIB,
        iterations: ITERATIONS,
        parallelism: PARALLELISM,
        salt: hex::encode(random_bytes::<16>()?),
    })
}

fn check_passphrase(passphrase: &str) -> Result<(), LedgerError> {
    if passphrase.chars().count() < 8 {
        return Err(LedgerError::PassphraseTooShort);
    }
    Ok(())
}

fn read_key_file(path: &Path) -> Result<KeyFile, LedgerError> {
    let text = std::fs::read_to_string(path).map_err(|e| key_file_error(path, e))?;
    let file: KeyFile = serde_json::from_str(&text).map_err(|e| key_file_error(path, e))?;
    if file.format != FORMAT || file.kdf.algorithm != "argon2id" {
        return Err(key_file_error(
            path,
            format!("unknown format {:?}", file.format),
        ));
    }
    Ok(file)
}

/// Writes the key file whole or not at all: a temporary file, synced, renamed over.
fn write_key_file(path: &Path, file: &KeyFile) -> Result<(), LedgerError> {
    let text = serde_json::to_string_pretty(file).map_err(|e| key_file_error(path, e))?;
    replace_file(path, text.as_bytes()).map_err(|e| key_file_error(path, e))
}

fn replace_file(path: &Path, bytes: &[u8]) -> std::io::Result<()> {
    use std::io::Write;
    let tmp = PathBuf::from(format!("{}.tmp", path.display()));
    let mut f = std::fs::File::create(&tmp)?;
    f.write_all(bytes)?;
    f.sync_all()?;
    std::fs::rename(&tmp, path)?;
    sync_dir(path)
}

fn sync_dir(path: &Path) -> std::io::Result<()> {
    match path.parent().filter(|p| !p.as_os_str().is_empty()) {
        Some(dir) => std::fs::File::open(dir)?.sync_all(),
        None => Ok(()),
    }
}

fn unlock_key(ledger: &Path, unlock: Unlock<'_>) -> Result<LedgerKey, LedgerError> {
    let path = key_file_path(ledger);
    let file = read_key_file(&path)?;
    let key = match unlock {
        Unlock::Passphrase(p) => {
            let kek = kek_from_passphrase(p, &file.kdf).map_err(|e| key_file_error(&path, e))?;
            open_seal(&kek, &file.by_passphrase)
        }
        Unlock::Recovery(code) => open_seal(&code.0, &file.by_recovery),
    };
    key.ok_or(LedgerError::WrongPassphrase)
}

fn starts_plain(path: &Path) -> bool {
    use std::io::Read;
    let mut header = [0u8; 16];
    std::fs::File::open(path)
        .and_then(|mut f| f.read_exact(&mut header))
        .is_ok_and(|()| &header == PLAIN_HEADER)
}

fn keyed_connection(path: &Path, key: &LedgerKey) -> Result<Connection, LedgerError> {
    let conn = Connection::open(path).map_err(|source| LedgerError::Open {
        path: path.to_owned(),
        source,
    })?;
    // SQLCipher logs a wrong key to stderr on its own; the error returned says it all.
    conn.pragma_update(None, "cipher_log_level", "NONE")?;
    conn.pragma_update(None, "key", key.pragma())?;
    // The key is only tried at the first read.
    conn.query_row("SELECT count(*) FROM sqlite_schema", [], |_| Ok(()))
        .map_err(|e| match e.sqlite_error_code() {
            Some(rusqlite::ErrorCode::NotADatabase) => LedgerError::WrongPassphrase,
            _ => LedgerError::Sqlite(e),
        })?;
    Ok(conn)
}

/// Rewrites the plain SQLite file at `path` as a SQLCipher file under `key`, in place:
/// exported to a file beside it, synced, then renamed over it (a crash leaves one or the
/// other whole; the key file is written first, and an open that finds it with a still-plain
/// ledger finishes the job).
fn export_encrypted(path: &Path, key: &LedgerKey) -> Result<(), LedgerError> {
    let tmp = PathBuf::from(format!("{}.encrypting", path.display()));
    let _ = std::fs::remove_file(&tmp);
    {
        let conn = Connection::open(path).map_err(|source| LedgerError::Open {
            path: path.to_owned(),
            source,
        })?;
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
    let io = |e: std::io::Error| key_file_error(path, format!("replacing the plain ledger: {e}"));
    std::fs::File::open(&tmp)
        .and_then(|f| f.sync_all())
        .map_err(io)?;
    for suffix in ["-wal", "-shm"] {
        let _ = std::fs::remove_file(format!("{}{suffix}", path.display()));
    }
    std::fs::rename(&tmp, path).map_err(io)?;
    sync_dir(path).map_err(io)
}

impl Ledger {
    /// Encrypts the ledger at `path` under a new data key, sealed by `passphrase` and by a
    /// new recovery code, which is returned to be shown once and kept by HQ. A plain ledger
    /// is encrypted in place with everything it holds; a missing one is created encrypted.
    /// Refused when the ledger is encrypted already.
    pub fn encrypt(path: &Path, passphrase: &str) -> Result<RecoveryCode, LedgerError> {
        check_passphrase(passphrase)?;
        let key_path = key_file_path(path);
        if key_path.exists() {
            return Err(LedgerError::AlreadyEncrypted);
        }
        // A plain ledger is opened (and so migrated) first, to be whole before it is copied.
        drop(Self::open(path)?);
        let key = LedgerKey::random()?;
        let recovery = RecoveryCode(random_bytes()?);
        let kdf = new_kdf()?;
        let kek =
            kek_from_passphrase(passphrase, &kdf).map_err(|e| key_file_error(&key_path, e))?;
        let file = KeyFile {
            format: FORMAT.into(),
            by_passphrase: seal(&kek, &key)?,
            by_recovery: seal(&recovery.0, &key)?,
            kdf,
        };
        write_key_file(&key_path, &file)?;
        export_encrypted(path, &key)?;
        Ok(recovery)
    }

    /// Opens an encrypted ledger with its passphrase or recovery code. A wrong one is
    /// [`LedgerError::WrongPassphrase`], and nothing is changed.
    pub fn open_encrypted(path: &Path, unlock: Unlock<'_>) -> Result<Self, LedgerError> {
        if !is_encrypted(path) {
            return Err(LedgerError::NotEncrypted {
                path: path.to_owned(),
            });
        }
        let key = unlock_key(path, unlock)?;
        if starts_plain(path) {
            // Encryption was cut short after the key file was written: finish it.
            export_encrypted(path, &key)?;
        }
        Self::prepare(keyed_connection(path, &key)?)
    }

    /// Opens the ledger at `path` as its configuration says: with the passphrase when it is
    /// encrypted, as a plain file when it is not (a passphrase for a plain ledger is refused,
    /// so that a mistyped path never creates a new, plain ledger silently).
    pub fn open_with(path: &Path, passphrase: Option<&str>) -> Result<Self, LedgerError> {
        match passphrase {
            Some(p) => Self::open_encrypted(path, Unlock::Passphrase(p)),
            None => Self::open(path),
        }
    }

    /// Seals the data key under a new passphrase, unlocking with the old one or with the
    /// recovery code (a forgotten passphrase). The ledger file itself is not rewritten.
    pub fn change_passphrase(
        path: &Path,
        unlock: Unlock<'_>,
        new_passphrase: &str,
    ) -> Result<(), LedgerError> {
        check_passphrase(new_passphrase)?;
        let key = unlock_key(path, unlock)?;
        let key_path = key_file_path(path);
        let mut file = read_key_file(&key_path)?;
        file.kdf = new_kdf()?;
        let kek = kek_from_passphrase(new_passphrase, &file.kdf)
            .map_err(|e| key_file_error(&key_path, e))?;
        file.by_passphrase = seal(&kek, &key)?;
        write_key_file(&key_path, &file)
    }
}
