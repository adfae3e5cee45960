//! A scope's snapshot (docs/sync-spec.md §7c): HQ's signed file of rows gives a new device
//! what a first sync op by op gives it, and nothing else is ever taken.

use std::collections::BTreeMap;
use std::path::Path;

use vax_domain::voucher::VoucherNumber;
use vax_ledger::{Ledger, LedgerError, Snapshot, SnapshotRefusal};
use vax_sync::{ReplicaId, Role, SnapshotError, SnapshotHeader};

use crate::at;
use crate::replication::{hq_with_a_small_city, key, record_dose, sync};

const HQ: u128 = 1;
const BOOTH: u128 = 2;

fn file_replica(dir: &Path, n: u128, role: Role) -> Ledger {
    let mut ledger = Ledger::open(&dir.join(format!("replica-{n}.sqlite3"))).unwrap();
    ledger
        .start_replicating(ReplicaId::from_u128(n), role, &key(n))
        .unwrap();
    ledger
}

/// Every row of every table but the device's own settings, as text, sorted per table.
fn rows(path: &Path) -> BTreeMap<String, Vec<String>> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let tables: Vec<String> = conn
        .prepare(
            "SELECT name FROM sqlite_master WHERE type = 'table'
             AND name NOT LIKE 'sqlite_%' AND name <> 'device_settings' ORDER BY name",
        )
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    tables
        .into_iter()
        .map(|table| {
            let mut stmt = conn.prepare(&format!("SELECT * FROM \"{table}\"")).unwrap();
            let columns = stmt.column_count();
            let mut rows: Vec<String> = stmt
                .query_map([], |r| {
                    (0..columns)
                        .map(|i| r.get::<_, rusqlite::types::Value>(i))
                        .collect::<Result<Vec<_>, _>>()
                        .map(|values| format!("{values:?}"))
                })
                .unwrap()
                .collect::<Result<_, _>>()
                .unwrap();
            rows.sort();
            (table, rows)
        })
        .collect()
}

/// HQ's small city with a dose a booth recorded (another author, another key), as HQ holds it.
fn hq_after_a_day() -> Ledger {
    let mut hq = hq_with_a_small_city();
    let mut venue_booth = crate::replication::replica(9, Role::Booth);
    sync(&mut hq, &mut venue_booth);
    record_dose(&mut venue_booth, "V01", "0000000001", "09:40");
    sync(&mut venue_booth, &mut hq);
    hq
}

fn made(hq: &mut Ledger) -> Snapshot {
    hq.make_snapshot(at("2021-06-01T20:00:00+09:00")).unwrap()
}

#[test]
fn a_snapshot_gives_a_new_device_the_rows_a_first_sync_op_by_op_gives() {
    let dir = tempfile::tempdir().unwrap();
    let mut hq = hq_after_a_day();
    let snapshot = made(&mut hq);
    assert_eq!(snapshot.seal.header.author, ReplicaId::from_u128(HQ));
    assert_eq!(snapshot.seal.header.ops, 8, "7 published ops and the dose");

    let mut by_ops = file_replica(dir.path(), BOOTH, Role::Booth);
    sync(&mut hq, &mut by_ops);
    let mut by_snapshot = file_replica(dir.path(), BOOTH + 1, Role::Booth);
    let taken = by_snapshot
        .install_snapshot(&snapshot, &key(HQ).public())
        .unwrap();
    assert_eq!(taken, 8);
    let (a, b) = (
        dir.path().join(format!("replica-{BOOTH}.sqlite3")),
        dir.path().join(format!("replica-{}.sqlite3", BOOTH + 1)),
    );
    assert_eq!(rows(&a), rows(&b), "the same rows, table for table");

    // Then the usual sync brings nothing twice, and what HQ does next reaches both alike.
    assert!(
        sync(&mut hq, &mut by_snapshot).is_empty(),
        "HQ sends nothing held"
    );
    let mut tx = hq.transaction().unwrap();
    let newcomer = crate::resident("0000000003", "舞鶴 三郎", "マイヅル サブロウ");
    tx.upsert_resident(&newcomer, &at("2021-06-01T21:00:00+09:00"))
        .unwrap();
    tx.replicate_resident(&newcomer.municipality, &newcomer.voucher)
        .unwrap();
    tx.commit().unwrap();
    sync(&mut hq, &mut by_ops);
    sync(&mut hq, &mut by_snapshot);
    assert_eq!(rows(&a), rows(&b));
    let reader = by_snapshot.reader();
    let saburo = &reader
        .residents_by_voucher(None, &VoucherNumber::parse("0000000003").unwrap())
        .unwrap()[0];
    assert_eq!(saburo.resident.name, "舞鶴 三郎");

    // The device writes under its own identity and key afterwards: its op reaches HQ.
    record_dose(&mut by_snapshot, "V01", "0000000002", "11:00");
    let sent = sync(&mut by_snapshot, &mut hq);
    assert_eq!(sent.len(), 1);
    assert_eq!(sent[0].id.replica, ReplicaId::from_u128(BOOTH + 1));
    assert_eq!(by_snapshot.sync_log_summary().unwrap().unprojected, 0);
}

#[test]
fn the_snapshot_file_carries_no_identity_or_key_of_the_ledger_that_made_it() {
    let mut hq = hq_after_a_day();
    let snapshot = made(&mut hq);
    let conn = {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.deserialize_read_exact("main", snapshot.data.as_slice(), snapshot.data.len(), true)
            .unwrap();
        conn
    };
    let settings: i64 = conn
        .query_row("SELECT COUNT(*) FROM device_settings", [], |r| r.get(0))
        .unwrap();
    assert_eq!(settings, 0);
    // HQ's own private key is nowhere in the file, not even in a freed page.
    let hq_secret = hex_of(&key(HQ).to_bytes());
    let text = String::from_utf8_lossy(&snapshot.data);
    assert!(!text.contains(&hq_secret));
    assert!(
        !text.contains("sync.signing_key"),
        "no settings row, live or freed"
    );
}

fn hex_of(bytes: &[u8]) -> String {
    bytes.iter().map(|b| format!("{b:02x}")).collect()
}

/// What `refused` did: the refusal, and the ledger still empty and syncing op by op.
fn assert_refused(device: &mut Ledger, snapshot: &Snapshot, expected: SnapshotRefusal) {
    match device.install_snapshot(snapshot, &key(HQ).public()) {
        Err(LedgerError::Snapshot(refusal)) => assert_eq!(refusal, expected),
        other => panic!("expected {expected:?}, got {other:?}"),
    }
    assert_eq!(device.reader().resident_count().unwrap(), 0);
    assert_eq!(device.sync_log_summary().unwrap().ops, 0);
}

#[test]
fn altered_data_another_signer_or_a_forged_header_is_refused_and_changes_nothing() {
    let mut hq = hq_after_a_day();
    let snapshot = made(&mut hq);
    let mut device = crate::replication::replica(BOOTH, Role::Booth);

    // One byte of the file altered on the way (a resident's name, a dose).
    let mut altered = snapshot.clone();
    let middle = altered.data.len() / 2;
    altered.data[middle] ^= 1;
    assert_refused(
        &mut device,
        &altered,
        SnapshotRefusal::Seal(SnapshotError::WrongData),
    );
    // A server that re-points the seal at its own file cannot sign for HQ.
    let mut forged = snapshot.clone();
    forged.data = made(&mut crate::replication::replica(7, Role::Hq)).data;
    forged.seal.header.sha256 = vax_sync::snapshot::sha256_hex(&forged.data);
    forged.seal.header.bytes = forged.data.len() as u64;
    assert_refused(
        &mut device,
        &forged,
        SnapshotRefusal::Seal(SnapshotError::BadSignature),
    );
    // Sealed by a booth's key, checked against HQ's: refused.
    let by_booth = Snapshot {
        seal: snapshot.seal.header.clone().seal(&key(BOOTH)),
        data: snapshot.data.clone(),
    };
    assert_refused(
        &mut device,
        &by_booth,
        SnapshotRefusal::Seal(SnapshotError::BadSignature),
    );
    // The genuine one still goes in afterwards.
    assert_eq!(
        device
            .install_snapshot(&snapshot, &key(HQ).public())
            .unwrap(),
        8
    );
}

/// `data` sealed by HQ's key with the header `edit` makes.
fn sealed_by_hq(data: Vec<u8>, edit: impl FnOnce(&mut SnapshotHeader)) -> Snapshot {
    let mut header = SnapshotHeader::describe(
        ReplicaId::from_u128(HQ),
        vax_ledger::schema::latest_version() as u32,
        Vec::new(),
        "2021-06-01T20:00:00+09:00".into(),
        8,
        &data,
    );
    edit(&mut header);
    Snapshot {
        seal: header.seal(&key(HQ)),
        data,
    }
}

#[test]
fn another_schema_another_scope_a_device_holding_data_or_a_file_not_a_ledger_is_refused() {
    let mut hq = hq_after_a_day();
    let snapshot = made(&mut hq);

    let mut device = crate::replication::replica(BOOTH, Role::Booth);
    let newer = sealed_by_hq(snapshot.data.clone(), |h| h.schema += 1);
    assert_refused(
        &mut device,
        &newer,
        SnapshotRefusal::Schema {
            theirs: newer.seal.header.schema,
            ours: vax_ledger::schema::latest_version() as u32,
        },
    );

    // A device of one municipality does not take the whole ledger (nor the reverse).
    let mut scoped = crate::replication::replica(BOOTH + 1, Role::Booth);
    let tx = scoped.transaction().unwrap();
    tx.set_setting(vax_ledger::KEY_SCOPE, "262021").unwrap();
    tx.commit().unwrap();
    assert_refused(
        &mut scoped,
        &snapshot,
        SnapshotRefusal::Scope {
            theirs: Vec::new(),
            ours: vec!["262021".into()],
        },
    );

    // Even HQ's own key does not make bytes that are not a ledger of this schema a ledger.
    let garbage = sealed_by_hq(b"not a database at all".repeat(200), |_| {});
    let mut fresh = crate::replication::replica(BOOTH + 2, Role::Booth);
    match fresh.install_snapshot(&garbage, &key(HQ).public()) {
        Err(LedgerError::Snapshot(SnapshotRefusal::Layout(_))) => {}
        other => panic!("expected a layout refusal, got {other:?}"),
    }
    let other_schema = {
        let mut conn = rusqlite::Connection::open_in_memory().unwrap();
        conn.deserialize_read_exact("main", snapshot.data.as_slice(), snapshot.data.len(), false)
            .unwrap();
        conn.execute_batch("CREATE TABLE smuggled (x); DROP TRIGGER dash_op_stored;")
            .unwrap();
        conn.serialize("main").unwrap().to_vec()
    };
    match fresh.install_snapshot(&sealed_by_hq(other_schema, |_| {}), &key(HQ).public()) {
        Err(LedgerError::Snapshot(SnapshotRefusal::Layout(_))) => {}
        other => panic!("expected a layout refusal, got {other:?}"),
    }
    assert_eq!(fresh.sync_log_summary().unwrap().ops, 0);

    // A device that already holds data syncs op by op.
    let mut synced = crate::replication::replica(BOOTH + 3, Role::Booth);
    sync(&mut hq, &mut synced);
    match synced.install_snapshot(&snapshot, &key(HQ).public()) {
        Err(LedgerError::Snapshot(SnapshotRefusal::NotEmpty { .. })) => {}
        other => panic!("expected a not-empty refusal, got {other:?}"),
    }
}

/// The op log as 0004 made it (WITHOUT ROWID) and the schema version before 0021.
fn back_to_version_20(path: &Path) {
    let conn = rusqlite::Connection::open(path).unwrap();
    conn.execute_batch(
        "CREATE TABLE old_ops (
             author  TEXT    NOT NULL,
             counter INTEGER NOT NULL CHECK (counter >= 1),
             body    TEXT    NOT NULL,
             PRIMARY KEY (author, counter)
         ) WITHOUT ROWID;
         INSERT INTO old_ops SELECT author, counter, body FROM sync_ops;
         DROP TABLE sync_ops;
         ALTER TABLE old_ops RENAME TO sync_ops;
         PRAGMA user_version = 20;",
    )
    .unwrap();
}

fn ops_of(path: &Path) -> Vec<(String, i64, String)> {
    let conn = rusqlite::Connection::open(path).unwrap();
    let mut stmt = conn
        .prepare("SELECT author, counter, body FROM sync_ops ORDER BY author, counter")
        .unwrap();
    stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap()
}

#[test]
fn migration_0021_moves_every_op_into_the_rowid_log_and_keeps_its_trigger() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join(format!("replica-{BOOTH}.sqlite3"));
    let mut hq = hq_after_a_day();
    let mut booth = file_replica(dir.path(), BOOTH, Role::Booth);
    sync(&mut hq, &mut booth);
    drop(booth);
    let before = ops_of(&path);
    assert_eq!(before.len(), 8);
    back_to_version_20(&path);

    let mut booth = Ledger::open(&path).unwrap();
    assert_eq!(ops_of(&path), before, "every op, byte for byte");
    let conn = rusqlite::Connection::open(&path).unwrap();
    let sql: String = conn
        .query_row(
            "SELECT sql FROM sqlite_master WHERE name = 'sync_ops'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert!(!sql.contains("WITHOUT ROWID"), "{sql}");
    let trigger: i64 = conn
        .query_row(
            "SELECT COUNT(*) FROM sqlite_master WHERE type = 'trigger' AND name = 'dash_op_stored'",
            [],
            |r| r.get(0),
        )
        .unwrap();
    assert_eq!(trigger, 1);
    // The migrated log still refuses a second op under a held id and keeps syncing.
    let duplicate = conn.execute(
        "INSERT INTO sync_ops (author, counter, body) SELECT author, counter, body FROM sync_ops LIMIT 1",
        [],
    );
    assert!(duplicate.is_err(), "(author, counter) stays unique");
    drop(conn);
    record_dose(&mut booth, "V01", "0000000002", "11:00");
    assert_eq!(sync(&mut booth, &mut hq).len(), 1);
}

/// A venue laptop whose ledger is encrypted (SQLCipher) takes the snapshot as a plain one does:
/// the same rows, its triggers made again (the tallies follow the next dose as a scan counts
/// it), and no plaintext of it on the disk.
#[test]
fn an_encrypted_ledger_takes_a_snapshot_and_keeps_it_encrypted() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("venue.sqlite3");
    drop(Ledger::open(&path).unwrap());
    Ledger::encrypt(&path, "舞鶴の会場パスフレーズ").unwrap();
    let unlock = vax_ledger::Unlock::Passphrase("舞鶴の会場パスフレーズ");
    let mut device = Ledger::open_encrypted(&path, unlock).unwrap();
    device
        .start_replicating(ReplicaId::from_u128(BOOTH), Role::Booth, &key(BOOTH))
        .unwrap();
    let mut hq = hq_after_a_day();
    let snapshot = made(&mut hq);
    assert_eq!(
        device
            .install_snapshot(&snapshot, &key(HQ).public())
            .unwrap(),
        8
    );
    let reader = device.reader();
    let hanako = &reader
        .residents_by_voucher(None, &VoucherNumber::parse("0000000001").unwrap())
        .unwrap()[0];
    assert_eq!(hanako.resident.name, "山田 花子");
    let dosed = |l: &Ledger| -> u32 {
        let cells = l.reader().coverage_cells().unwrap();
        assert_eq!(cells, l.reader().coverage_cells_by_scan().unwrap());
        cells.iter().map(|c| c.first).sum()
    };
    assert_eq!(dosed(&device), 1, "the tally the snapshot holds");
    record_dose(&mut device, "V01", "0000000002", "11:00");
    assert_eq!(dosed(&device), 2, "the remade triggers count the next dose");
    drop(device);
    let on_disk = std::fs::read(&path).unwrap();
    let name = "山田 花子".as_bytes();
    assert!(
        !on_disk.windows(name.len()).any(|w| w == name),
        "no plaintext on disk"
    );
    let device = Ledger::open_encrypted(&path, unlock).unwrap();
    assert_eq!(device.sync_log_summary().unwrap().ops, 9);
}
