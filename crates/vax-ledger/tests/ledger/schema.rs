use std::path::PathBuf;

use tempfile::TempDir;
use vax_ledger::{schema, Ledger, LedgerError};

/// A path for a ledger file in a fresh directory, which lives as long as the `TempDir`.
fn ledger_file() -> (TempDir, PathBuf) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    (dir, path)
}

#[test]
fn migrated_schema_matches_the_reviewed_snapshot() {
    let (_dir, path) = ledger_file();
    drop(Ledger::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    insta::assert_snapshot!(schema::dump(&conn).unwrap());
}

#[test]
fn reopening_a_ledger_keeps_its_data_and_does_not_migrate_twice() {
    let (_dir, path) = ledger_file();
    {
        let mut ledger = Ledger::open(&path).unwrap();
        let tx = ledger.transaction().unwrap();
        tx.upsert_resident(
            &crate::resident("0000000001", "山田 花子", "ヤマダ ハナコ"),
            &crate::at("2021-05-01T09:00:00+09:00"),
        )
        .unwrap();
        tx.commit().unwrap();
    }
    let ledger = Ledger::open(&path).unwrap();
    assert_eq!(
        ledger.reader().resident_count().unwrap(),
        1,
        "a committed resident must survive closing and reopening the file"
    );
}

#[test]
fn a_ledger_from_a_newer_build_is_refused_rather_than_damaged() {
    let (_dir, path) = ledger_file();
    drop(Ledger::open(&path).unwrap());
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.pragma_update(None, "user_version", 999).unwrap();
    drop(conn);
    match Ledger::open(&path) {
        Err(LedgerError::TooNew { found: 999, .. }) => {}
        Err(other) => panic!("expected TooNew, got {other}"),
        Ok(_) => panic!("a newer schema must not be opened"),
    }
}

#[test]
fn an_uncommitted_transaction_leaves_nothing_behind() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    {
        let tx = ledger.transaction().unwrap();
        tx.upsert_resident(
            &crate::resident("0000000001", "山田 花子", "ヤマダ ハナコ"),
            &crate::at("2021-05-01T09:00:00+09:00"),
        )
        .unwrap();
        // dropped without commit
    }
    assert_eq!(
        ledger.reader().resident_count().unwrap(),
        0,
        "a dropped transaction must roll back"
    );
}
