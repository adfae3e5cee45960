//! `Ledger::check_consistency`: sound ledgers pass, and each kind of damage a lost write could
//! leave (an op without its row, a row without its op, a gap in the log) is named.

use std::path::Path;

use vax_ledger::Ledger;
use vax_sync::{ReplicaId, Role};

use crate::replication::{hq_with_a_small_city, key, record_dose, sync};

const BOOTH: u128 = 2;

/// A booth's ledger file that received the small city and recorded one dose.
fn booth_file(path: &Path) -> String {
    let mut hq = hq_with_a_small_city();
    let mut booth = Ledger::open(path).unwrap();
    booth
        .start_replicating(ReplicaId::from_u128(BOOTH), Role::Booth, &key(BOOTH))
        .unwrap();
    sync(&mut hq, &mut booth);
    let uid = record_dose(&mut booth, "V01", "0000000001", "09:10");
    let report = booth.check_consistency().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    assert_eq!(report.residents, 2);
    assert_eq!(report.event_rows, 1);
    uid
}

/// The same file after `sql` ran on it behind the ledger's back.
fn damaged(sql: &str) -> (vax_ledger::ConsistencyReport, String) {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booth.sqlite3");
    let uid = booth_file(&path);
    let conn = rusqlite::Connection::open(&path).unwrap();
    conn.execute_batch(&format!("PRAGMA foreign_keys = OFF; {sql}"))
        .unwrap();
    drop(conn);
    let report = Ledger::open(&path).unwrap().check_consistency().unwrap();
    (report, uid)
}

#[test]
fn a_sound_replica_and_a_standalone_ledger_have_no_problems() {
    let hq = hq_with_a_small_city();
    let report = hq.check_consistency().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    assert_eq!(report.ops, 7);
    let plain = Ledger::open_in_memory().unwrap();
    assert_eq!(
        plain.check_consistency().unwrap(),
        vax_ledger::ConsistencyReport::default()
    );
}

#[test]
fn an_op_whose_row_is_missing_is_named() {
    let (report, uid) = damaged("DELETE FROM dose_records");
    assert_eq!(
        report.problems[0],
        format!("op {uid} (record_dose) has no dose_records row")
    );
    // No trigger sees a row deleted behind the ledger's back: the dashboard still counts it
    // (doses are never deleted by the ledger itself).
    assert_eq!(report.problems.len(), 3, "{:?}", report.problems);
    assert!(report.problems[1].starts_with("the dashboard's day × venue tally differs"));
    assert!(report.problems[2].starts_with("the dashboard's coverage tally differs"));
}

#[test]
fn a_dashboard_tally_that_drifted_from_the_rows_is_named() {
    let (report, _) = damaged("UPDATE dash_day_venue SET doses = doses + 1");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].starts_with("the dashboard's day × venue tally differs from the rows"),
        "{:?}",
        report.problems
    );
    let (report, _) = damaged("UPDATE dash_inquiry_day SET calls = calls + 1");
    assert!(
        report.is_sound(),
        "no call was logged: {:?}",
        report.problems
    );
    let (report, _) = damaged("UPDATE dash_coverage SET first = first + 1");
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(report.problems[0].starts_with("the dashboard's coverage tally differs"));
}

#[test]
fn a_row_whose_op_is_missing_and_the_gap_it_leaves_are_named() {
    let (author, counter) = {
        let (r, c) = ("00000000-0000-0000-0000-000000000002", 1);
        (r, c)
    };
    let (report, uid) = damaged(&format!(
        "DELETE FROM sync_ops WHERE author = '{author}' AND counter = {counter}"
    ));
    assert_eq!(uid, format!("{author}#{counter}"));
    assert_eq!(
        report.problems,
        [
            format!("author {author}: the frontier says ops 1..=1 are held, the log holds none"),
            format!("dose_records row {uid} has no op in the log"),
        ]
    );
}

#[test]
fn a_resident_without_an_op_on_a_replica_is_named() {
    let (report, _) = damaged(
        "INSERT INTO residents (municipality_code, voucher_number, name, name_kana, kana_key, birth_date, sex,
                                address, district, created_at, updated_at)
         SELECT municipality_code, '0000000003', name, name_kana, kana_key, birth_date, sex,
                address, district, created_at, updated_at
         FROM residents LIMIT 1",
    );
    assert_eq!(report.problems.len(), 1, "{:?}", report.problems);
    assert!(
        report.problems[0].ends_with("(voucher 0000000003) has no op in the log"),
        "{:?}",
        report.problems
    );
}

#[test]
fn a_damaged_page_fails_the_integrity_check() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("booth.sqlite3");
    booth_file(&path);
    // Scribble over the cells of one of the residents' indexes (at the end of its page):
    // its entries no longer match the table.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let root: i64 = conn
        .query_row(
            "SELECT rootpage FROM sqlite_schema WHERE type = 'index' AND tbl_name = 'residents' LIMIT 1",
            [],
            |r| r.get(0),
        )
        .unwrap();
    let page_size: i64 = conn
        .query_row("PRAGMA page_size", [], |r| r.get(0))
        .unwrap();
    conn.pragma_update(None, "journal_mode", "DELETE").unwrap();
    drop(conn);
    let mut bytes = std::fs::read(&path).unwrap();
    let end = usize::try_from(root * page_size).unwrap();
    for b in &mut bytes[end - 200..end] {
        *b = 0x55;
    }
    std::fs::write(&path, bytes).unwrap();
    let report = Ledger::open(&path).unwrap().check_consistency().unwrap();
    assert!(
        report
            .problems
            .iter()
            .any(|p| p.starts_with("integrity_check: ") || p.starts_with("the file is damaged: ")),
        "{:?}",
        report.problems
    );
}
