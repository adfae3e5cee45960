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
use serde::{Deserialize, Serialize};
use vax_at_rest::{export_encrypted, is_plain, keyed_connection, replace_file, AtRestError};

use crate::{Ledger, LedgerError};

/// The key file's format tag.
const FORMAT: &str = "vaxledger-keys/1";
/// Bound into every seal, so a sealed key cannot be replayed as something else.
const AAD: &[u8] = b"vaxledger ledger data key v1";
/// Argon2id at 64 MiB, 3 passes: about half a second on a venue laptop, once a day.
const MEMORY_KIB: u32 = 64 * 1024;
const ITERATIONS: u32 = 3;
const PARALLELISM: u32 = 1;

/// A ledger's data key (256 bits): the shared [`vax_at_rest::DataKey`]. Never printed.
pub type LedgerKey = vax_at_rest::DataKey;

impl From<AtRestError> for LedgerError {
    fn from(e: AtRestError) -> Self {
        match e {
            AtRestError::WrongKey => Self::WrongPassphrase,
            AtRestError::Open { path, source } => Self::Open { path, source },
            AtRestError::Sqlite(e) => Self::Sqlite(e),
            e @ (AtRestError::NoRandomness
            | AtRestError::Replace { .. }
            | AtRestError::NotOpened) => Self::KeyFile {
                path: PathBuf::new(),
                problem: e.to_string(),
            },
        }
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
    Ok(vax_at_rest::random_bytes()?)
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
    let mut sealed = key.as_bytes().to_vec();
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
    Some(LedgerKey::from_bytes(<[u8; 32]>::try_from(&key[..]).ok()?))
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
        if is_plain(path) {
            // Encryption was cut short after the key file was written: finish it.
            export_encrypted(path, &key)?;
        }
        let mut ledger = Self::prepare(keyed_connection(path, &key)?)?;
        ledger.data_key = Some(key);
        Ok(ledger)
    }

    /// A key for another file kept beside this ledger, made from its data key for `purpose`
    /// (the app's venue relay log): the same unlock opens both, without a second passphrase,
    /// and the derived key reveals nothing of the ledger's. `None` for a plain ledger.
    pub fn derived_key(&self, purpose: &str) -> Option<LedgerKey> {
        self.data_key.as_ref().map(|key| key.derive(purpose))
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
