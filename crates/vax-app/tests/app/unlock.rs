//! The start-of-day unlock of an encrypted ledger (`vax_app::unlock`).

use vax_app::unlock::{is_locked, unlock, UnlockError};
use vax_domain::error::{ErrorCode, UserFacing};
use vax_ledger::Ledger;

const PASSPHRASE: &str = "舞鶴 東会場 朝の合言葉";

/// The bytes of the ledger and its key file, to show a refusal changed nothing.
fn files(path: &std::path::Path) -> (Vec<u8>, Vec<u8>) {
    let keys = vax_ledger::at_rest::key_file_path(path);
    (
        std::fs::read(path).expect("ledger"),
        std::fs::read(keys).expect("key file"),
    )
}

#[test]
fn an_encrypted_ledger_opens_with_its_passphrase_or_recovery_code_and_nothing_else() {
    let dir = tempfile::tempdir().expect("tempdir");
    let path = dir.path().join("kiosk.sqlite3");
    drop(Ledger::open(&path).expect("a plain ledger"));
    assert!(!is_locked(&path));
    assert!(matches!(
        unlock(&path, PASSPHRASE),
        Err(UnlockError::NotLocked)
    ));

    let recovery = Ledger::encrypt(&path, PASSPHRASE).expect("encrypt");
    assert!(is_locked(&path), "the app must ask before it opens");
    let before = files(&path);

    assert!(matches!(unlock(&path, "  "), Err(UnlockError::Empty)));
    let Err(wrong) = unlock(&path, "舞鶴 西会場 朝の合言葉") else {
        panic!("another venue's phrase opened the ledger");
    };
    assert!(matches!(wrong, UnlockError::Wrong), "{wrong}");
    assert_eq!(wrong.code(), ErrorCode::InvalidInput);
    assert!(wrong.message_ja().contains("台帳は変更されていません"));
    assert!(wrong.to_string().contains("try again"));
    let not_this_code = "0".repeat(64);
    assert!(matches!(
        unlock(&path, &not_this_code),
        Err(UnlockError::Wrong)
    ));
    assert_eq!(files(&path), before, "a wrong try changed nothing");

    drop(unlock(&path, PASSPHRASE).expect("the venue's passphrase opens it"));
    // HQ's recovery code as printed, or typed in lower case without its dashes.
    drop(unlock(&path, &recovery.to_string()).expect("the recovery code opens it"));
    let typed = recovery.to_string().replace('-', "").to_lowercase();
    drop(unlock(&path, &typed).expect("the code however it is typed"));
}
