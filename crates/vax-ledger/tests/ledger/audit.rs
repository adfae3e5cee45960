//! Staff and the audit trail in the ledger (migration 0011): HQ's staff reach the venue, the
//! venue's entries reach HQ, and nothing rewrites an entry.

use vax_domain::role::Role as AppRole;
use vax_domain::voucher::VoucherNumber;
use vax_ledger::{AuditQuery, Ledger};
use vax_sync::{AuditAction, AuditEntry, Role, StaffDef, VenueCode};

use crate::at;
use crate::replication::{hq_with_a_small_city, replica, sync};

fn staff(code: &str, venue: &str) -> StaffDef {
    StaffDef {
        code: code.into(),
        name: format!("職員{code}"),
        venue: Some(VenueCode::new(venue)),
        role: AppRole::Booth,
        pin_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdA$aGFzaA".into()),
        card_hash: None,
        active: true,
    }
}

fn entry(action: AuditAction, staff: Option<&str>, venue: &str, voucher: &str) -> AuditEntry {
    AuditEntry {
        action,
        staff: staff.map(Into::into),
        venue: Some(VenueCode::new(venue)),
        resident: Some(VoucherNumber::parse(voucher).unwrap()),
        record: None,
        at: at("2021-06-01T09:31:00+09:00").naive_local(),
        detail: String::new(),
    }
}

fn record(ledger: &mut Ledger, e: &AuditEntry) -> String {
    let mut tx = ledger.transaction().unwrap();
    let uid = tx.record_audit(e).unwrap();
    tx.commit().unwrap();
    uid
}

fn by_resident(ledger: &Ledger, voucher: &str) -> Vec<vax_ledger::AuditRow> {
    ledger
        .reader()
        .audit_search(&AuditQuery {
            resident: Some(voucher.into()),
            ..AuditQuery::default()
        })
        .unwrap()
}

#[test]
fn staff_registered_at_hq_reach_the_venue_and_its_entries_reach_hq_with_who_and_where() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(2, Role::Booth);
    {
        let mut tx = hq.transaction().unwrap();
        tx.define_staff(&staff("S01", "V01")).unwrap();
        tx.commit().unwrap();
    }
    assert!(!booth.reader().venue_has_staff("V01").unwrap());
    sync(&mut hq, &mut booth);
    assert!(booth.reader().venue_has_staff("V01").unwrap());
    assert!(!booth.reader().venue_has_staff("V02").unwrap());
    let known = booth.reader().staff("S01").unwrap().expect("synced");
    assert_eq!(
        (known.name.as_str(), known.role, known.has_pin),
        ("職員S01", AppRole::Booth, true)
    );

    let uid = record(
        &mut booth,
        &entry(AuditAction::Dose, Some("S01"), "V01", "0000000001"),
    );
    sync(&mut booth, &mut hq);
    let found = by_resident(&hq, "0000000001");
    assert_eq!(found.len(), 1, "{found:?}");
    let row = &found[0];
    assert_eq!(row.uid, uid);
    assert_eq!(row.device, vax_sync::ReplicaId::from_u128(2).to_string());
    assert_eq!(row.staff_name.as_deref(), Some("職員S01"));
    assert_eq!(
        (row.action.as_str(), row.venue_code.as_deref()),
        ("dose", Some("V01"))
    );
    assert_eq!(row.at, at("2021-06-01T09:31:00+09:00"));
    // Converged: the booth holds the same entry under the same id.
    assert_eq!(by_resident(&booth, "0000000001"), found);
}

#[test]
fn an_entry_naming_another_venues_staff_is_not_kept_at_hq() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(2, Role::Booth);
    {
        let mut tx = hq.transaction().unwrap();
        tx.define_staff(&staff("S02", "V02")).unwrap();
        tx.commit().unwrap();
    }
    sync(&mut hq, &mut booth);
    record(
        &mut booth,
        &entry(AuditAction::Lookup, Some("S02"), "V01", "0000000001"),
    );
    sync(&mut booth, &mut hq);
    assert!(by_resident(&hq, "0000000001").is_empty());
}

#[test]
fn an_entry_waits_for_its_staff_member_and_is_kept_when_they_arrive() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(2, Role::Booth);
    let mut other_hq_copy = replica(4, Role::Hq);
    // HQ defines the staff member; the booth learns of them, HQ's other copy does not yet.
    {
        let mut tx = hq.transaction().unwrap();
        tx.define_staff(&staff("S01", "V01")).unwrap();
        tx.commit().unwrap();
    }
    sync(&mut hq, &mut booth);
    record(
        &mut booth,
        &entry(AuditAction::CheckIn, Some("S01"), "V01", "0000000001"),
    );
    // Only the booth's ops reach the second copy: the entry waits, then lands with HQ's.
    sync(&mut booth, &mut other_hq_copy);
    sync(&mut hq, &mut other_hq_copy);
    assert_eq!(by_resident(&other_hq_copy, "0000000001").len(), 1);
}

#[test]
fn the_audit_log_refuses_updates_and_deletes() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite");
    let mut ledger = Ledger::open(&path).unwrap();
    record(
        &mut ledger,
        &entry(AuditAction::Print, None, "V01", "0000000001"),
    );
    drop(ledger);
    let conn = rusqlite::Connection::open(&path).unwrap();
    for sql in [
        "UPDATE audit_log SET staff_code = 'S99'",
        "DELETE FROM audit_log",
    ] {
        let err = conn.execute(sql, []).expect_err(sql);
        assert!(err.to_string().contains("append-only"), "{err}");
    }
    let rows: i64 = conn
        .query_row("SELECT COUNT(*) FROM audit_log", [], |r| r.get(0))
        .unwrap();
    assert_eq!(rows, 1);
}

#[test]
fn a_dose_recorded_with_its_injection_site_arrives_with_it() {
    let mut hq = hq_with_a_small_city();
    let mut booth = replica(2, Role::Booth);
    sync(&mut hq, &mut booth);
    let when = at("2021-06-01T09:30:00+09:00");
    {
        let mut tx = booth.transaction().unwrap();
        tx.record_event(vax_sync::OpKind::RecordDose(vax_sync::Dose {
            resident: VoucherNumber::parse("0000000001").unwrap(),
            dose_number: 1,
            venue: VenueCode::new("V01"),
            product: "comirnaty".into(),
            lot: "FF1234".into(),
            vaccinator: "山田医師".into(),
            administered_at: when.naive_local(),
            vial: None,
            overridden: None,
            injection_site: Some("左上腕".into()),
            back_entered: false,
        }))
        .unwrap();
        tx.commit().unwrap();
    }
    sync(&mut booth, &mut hq);
    let reader = hq.reader();
    let id = reader
        .residents_by_voucher(None, &VoucherNumber::parse("0000000001").unwrap())
        .unwrap()[0]
        .id;
    let doses = reader.doses_of(id).unwrap();
    assert_eq!(doses.len(), 1);
    assert_eq!(doses[0].injection_site, "左上腕");
}

/// A device's entries of the same second come newest first by their counter, also across a
/// power of ten (op ids are `author#counter`: as text, `#10` sorts before `#9`).
#[test]
fn one_devices_entries_of_the_same_second_come_newest_first_past_counter_nine() {
    let mut booth = replica(2, Role::Booth);
    let uids: Vec<String> = (0..12)
        .map(|_| {
            record(
                &mut booth,
                &entry(AuditAction::Lookup, None, "V01", "0000000001"),
            )
        })
        .collect();
    let found: Vec<String> = by_resident(&booth, "0000000001")
        .into_iter()
        .map(|r| r.uid)
        .collect();
    let newest_first: Vec<String> = uids.into_iter().rev().collect();
    assert_eq!(found, newest_first);
}
