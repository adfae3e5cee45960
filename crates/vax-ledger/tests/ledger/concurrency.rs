//! Two programs writing one ledger file at once: the app (its background sync, a desk) and
//! `vaxhq` on the same machine. Every write must wait its turn, never fail with "database is
//! locked" while the other's short transactions come and go.

use std::sync::{Arc, Barrier};
use std::thread;

use vax_domain::voucher::VoucherNumber;
use vax_ledger::{AuditQuery, Ledger};
use vax_sync::{AuditAction, AuditEntry, ReplicaId, Role, VenueCode};

use crate::at;
use crate::replication::key;

const WRITES: usize = 150;

fn entry(n: usize) -> AuditEntry {
    AuditEntry {
        action: AuditAction::Lookup,
        staff: None,
        venue: Some(VenueCode::new("V01")),
        resident: Some(VoucherNumber::parse(&format!("{:010}", n + 1)).unwrap()),
        record: None,
        at: at("2021-06-01T09:31:00+09:00").naive_local(),
        detail: String::new(),
    }
}

/// Each write reads before it writes (the op counter, the clock): a transaction that starts
/// as a reader and upgrades is refused at once when the other program committed in between,
/// without waiting; a write transaction must take the lock first.
#[test]
fn two_programs_writing_one_ledger_file_both_finish_every_write() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    Ledger::open(&path)
        .unwrap()
        .start_replicating(ReplicaId::from_u128(7), Role::Hq, &key(7))
        .unwrap();
    let start = Arc::new(Barrier::new(2));
    let writer = |offset: usize| {
        let path = path.clone();
        let start = Arc::clone(&start);
        thread::spawn(move || -> Result<(), String> {
            let mut ledger = Ledger::open(&path).map_err(|e| e.to_string())?;
            start.wait();
            for n in 0..WRITES {
                let mut tx = ledger.transaction().map_err(|e| e.to_string())?;
                tx.record_audit(&entry(offset + n))
                    .map_err(|e| format!("write {n}: {e}"))?;
                tx.commit().map_err(|e| format!("commit {n}: {e}"))?;
            }
            Ok(())
        })
    };
    let (app, cli) = (writer(0), writer(WRITES));
    app.join().unwrap().expect("the app's writes all land");
    cli.join()
        .unwrap()
        .expect("the command line's writes all land");

    let ledger = Ledger::open(&path).unwrap();
    let rows = ledger
        .reader()
        .audit_search(&AuditQuery {
            limit: 10 * WRITES as u32,
            ..AuditQuery::default()
        })
        .unwrap();
    assert_eq!(rows.len(), 2 * WRITES);
}
