//! The start of the day at a venue whose ledger is encrypted (docs/encryption.md): the app
//! starts locked and asks for the venue's passphrase, or for HQ's recovery code when the
//! passphrase is forgotten. A wrong one changes nothing and may be typed again.

use std::path::Path;

use vax_domain::error::{ErrorCode, UserFacing};
use vax_ledger::at_rest::{self, RecoveryCode, Unlock};
use vax_ledger::{Ledger, LedgerError};

/// Why a ledger could not be unlocked.
#[derive(Debug, thiserror::Error)]
pub enum UnlockError {
    /// Nothing was typed.
    #[error("type the venue's passphrase (or HQ's recovery code)")]
    Empty,
    /// Neither the passphrase nor a recovery code of this ledger; nothing changed.
    #[error("wrong passphrase or recovery code; nothing was changed, try again")]
    Wrong,
    /// The ledger at this path is not encrypted: there is nothing to unlock.
    #[error("the ledger is not encrypted: there is nothing to unlock")]
    NotLocked,
    /// The ledger or its key file failed.
    #[error(transparent)]
    Ledger(LedgerError),
}

impl UserFacing for UnlockError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Empty | Self::Wrong | Self::NotLocked => ErrorCode::InvalidInput,
            Self::Ledger(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Empty => "会場のパスフレーズ (または本部の復旧コード) を入力してください".into(),
            Self::Wrong => {
                "パスフレーズまたは復旧コードが違います。台帳は変更されていません。もう一度入力してください"
                    .into()
            }
            Self::NotLocked => "台帳は暗号化されていないため、解錠は不要です".into(),
            Self::Ledger(e) => e.message_ja(),
        }
    }
}

/// Whether the ledger at `path` is encrypted, so that the app must be unlocked before it
/// opens it.
pub fn is_locked(path: &Path) -> bool {
    at_rest::is_encrypted(path)
}

/// Opens the encrypted ledger at `path` with what was typed: HQ's recovery code when it reads
/// as one (64 hex digits, dashes and blanks ignored), else the venue's passphrase, exactly as
/// typed (`vaxhq encrypt` keeps a passphrase's blanks too).
pub fn unlock(path: &Path, typed: &str) -> Result<Ledger, UnlockError> {
    if !is_locked(path) {
        return Err(UnlockError::NotLocked);
    }
    if typed.trim().is_empty() {
        return Err(UnlockError::Empty);
    }
    let opened = match typed.parse::<RecoveryCode>() {
        Ok(code) => Ledger::open_encrypted(path, Unlock::Recovery(&code))
            .or_else(|_| Ledger::open_encrypted(path, Unlock::Passphrase(typed))),
        Err(_) => Ledger::open_encrypted(path, Unlock::Passphrase(typed)),
    };
    opened.map_err(|e| match e {
        LedgerError::WrongPassphrase => UnlockError::Wrong,
        other => UnlockError::Ledger(other),
    })
}
