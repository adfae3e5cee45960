//! Encryption at rest (docs/encryption.md): a plain ledger encrypted in place keeps
//! everything; its bytes hold no resident's name; a wrong passphrase changes nothing; the
//! recovery code replaces a forgotten passphrase.

use std::path::Path;

use vax_ledger::{at_rest, Ledger, LedgerError, RecoveryCode, Unlock};

use crate::{at, resident};

const PASSPHRASE: &str = "舞鶴の朝 blue harbour";

/// A plain ledger file holding two residents, one of them named `name`.
fn plain_ledger(path: &Path, name: &str) {
    let mut ledger = Ledger::open(path).unwrap();
    let now = at("2021-05-01T09:00:00+09:00");
    let tx = ledger.transaction().unwrap();
    tx.upsert_resident(&resident("0000000001", name, "ヤマダ ハナコ"), &now)
        .unwrap();
    tx.upsert_resident(
        &resident("0000000002", "山本 一郎", "ヤマモト イチロウ"),
        &now,
    )
    .unwrap();
    tx.commit().unwrap();
}

/// The ledger's files (main, WAL) as raw bytes.
fn raw_bytes(path: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(path).unwrap();
    if let Ok(wal) = std::fs::read(format!("{}-wal", path.display())) {
        bytes.extend(wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &[u8]) -> bool {
    haystack.windows(needle.len()).any(|w| w == needle)
}

#[test]
fn a_plain_ledger_is_encrypted_in_place_and_keeps_everything_with_no_plaintext_left() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.sqlite3");
    let name = "暗号 試験子";
    plain_ledger(&path, name);
    assert!(
        contains(&raw_bytes(&path), name.as_bytes()),
        "the check can fail: the plain file shows the name"
    );

    let code = Ledger::encrypt(&path, PASSPHRASE).unwrap();
    assert!(at_rest::is_encrypted(&path));
    assert!(!contains(&raw_bytes(&path), name.as_bytes()));
    assert!(!contains(&raw_bytes(&path), b"SQLite format 3"));
    let key_file = std::fs::read(at_rest::key_file_path(&path)).unwrap();
    assert!(!contains(&key_file, name.as_bytes()));

    // Everything is there, and new writes are encrypted too (WAL included).
    let mut ledger = Ledger::open_encrypted(&path, Unlock::Passphrase(PASSPHRASE)).unwrap();
    assert_eq!(ledger.reader().resident_count().unwrap(), 2);
    assert!(ledger.check_consistency().unwrap().is_sound());
    let later = "後日 追加子";
    let tx = ledger.transaction().unwrap();
    tx.upsert_resident(
        &resident("0000000003", later, "ゴジツ ツイカコ"),
        &at("2021-05-02T09:00:00+09:00"),
    )
    .unwrap();
    tx.commit().unwrap();
    assert!(!contains(&raw_bytes(&path), later.as_bytes()));
    drop(ledger);

    // The recovery code opens it as well, as printed or without its dashes.
    let parsed: RecoveryCode = code
        .to_string()
        .replace('-', "")
        .to_lowercase()
        .parse()
        .unwrap();
    let ledger = Ledger::open_encrypted(&path, Unlock::Recovery(&parsed)).unwrap();
    assert_eq!(ledger.reader().resident_count().unwrap(), 3);
}

#[test]
fn a_wrong_passphrase_or_none_is_refused_clearly_and_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.sqlite3");
    plain_ledger(&path, "山田 花子");
    Ledger::encrypt(&path, PASSPHRASE).unwrap();
    let before = (
        std::fs::read(&path).unwrap(),
        std::fs::read(at_rest::key_file_path(&path)).unwrap(),
    );

    let wrong = Ledger::open_encrypted(&path, Unlock::Passphrase("not the passphrase")).err();
    assert!(
        matches!(wrong, Some(LedgerError::WrongPassphrase)),
        "{wrong:?}"
    );
    let e = wrong.unwrap();
    assert_eq!(
        e.to_string(),
        "wrong passphrase or recovery code for this ledger"
    );
    use vax_domain::error::UserFacing;
    assert!(e
        .message_ja()
        .contains("パスフレーズまたは復旧コードが違います"));

    let locked = Ledger::open(&path).err();
    assert!(
        matches!(locked, Some(LedgerError::Locked { .. })),
        "{locked:?}"
    );
    let wrong_code: RecoveryCode = "00".repeat(32).parse().unwrap();
    assert!(matches!(
        Ledger::change_passphrase(&path, Unlock::Recovery(&wrong_code), "another passphrase"),
        Err(LedgerError::WrongPassphrase)
    ));
    assert!(matches!(
        Ledger::encrypt(&path, PASSPHRASE),
        Err(LedgerError::AlreadyEncrypted)
    ));
    let after = (
        std::fs::read(&path).unwrap(),
        std::fs::read(at_rest::key_file_path(&path)).unwrap(),
    );
    assert!(before == after, "nothing changed on disk");

    // A passphrase for a plain ledger is refused, not taken as a new key.
    let plain = dir.path().join("plain.sqlite3");
    plain_ledger(&plain, "山田 花子");
    assert!(matches!(
        Ledger::open_with(&plain, Some(PASSPHRASE)),
        Err(LedgerError::NotEncrypted { .. })
    ));
    assert!(Ledger::open_with(&plain, None).is_ok());
    assert!(matches!(
        Ledger::encrypt(&plain, "short"),
        Err(LedgerError::PassphraseTooShort)
    ));
}

#[test]
fn the_recovery_code_replaces_a_forgotten_passphrase_without_rewriting_the_ledger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.sqlite3");
    plain_ledger(&path, "山田 花子");
    let code = Ledger::encrypt(&path, PASSPHRASE).unwrap();
    let ledger_bytes = std::fs::read(&path).unwrap();
    Ledger::change_passphrase(&path, Unlock::Recovery(&code), "a new day at the venue").unwrap();
    assert_eq!(std::fs::read(&path).unwrap(), ledger_bytes);
    assert!(matches!(
        Ledger::open_encrypted(&path, Unlock::Passphrase(PASSPHRASE)),
        Err(LedgerError::WrongPassphrase)
    ));
    let ledger =
        Ledger::open_encrypted(&path, Unlock::Passphrase("a new day at the venue")).unwrap();
    assert_eq!(ledger.reader().resident_count().unwrap(), 2);
}

#[test]
fn an_encryption_cut_short_after_the_key_file_is_finished_at_the_next_open() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.sqlite3");
    plain_ledger(&path, "山田 花子");
    let plain_copy = dir.path().join("plain-copy");
    std::fs::copy(&path, &plain_copy).unwrap();
    Ledger::encrypt(&path, PASSPHRASE).unwrap();
    // As if the program died between writing the key file and replacing the ledger.
    std::fs::copy(&plain_copy, &path).unwrap();
    let ledger = Ledger::open_encrypted(&path, Unlock::Passphrase(PASSPHRASE)).unwrap();
    assert_eq!(ledger.reader().resident_count().unwrap(), 2);
    drop(ledger);
    assert!(!contains(&raw_bytes(&path), "山田 花子".as_bytes()));
}
