//! Staff definitions and the audit trail (docs/sync-spec.md §5a): who may write them, how
//! they merge, and that one device cannot write entries in another's name.

use vax_sync::*;

use crate::support::*;

fn staff(code: &str, name: &str, venue: &str) -> OpKind {
    OpKind::DefineStaff(StaffDef {
        code: code.into(),
        name: name.into(),
        venue: Some(VenueCode::new(venue)),
        role: vax_domain::role::Role::Booth,
        pin_hash: Some("$argon2id$v=19$m=19456,t=2,p=1$c2FsdHNhbHQ$aGFzaA".into()),
        card_hash: None,
        active: true,
    })
}

fn entry(action: AuditAction, staff: Option<&str>, venue: &str, r: u32) -> OpKind {
    OpKind::Audit(AuditEntry {
        action,
        staff: staff.map(Into::into),
        venue: Some(VenueCode::new(venue)),
        resident: Some(resident(r)),
        record: None,
        at: at(9, 31),
        detail: String::new(),
    })
}

#[test]
fn only_hq_defines_staff_and_every_device_keeps_its_audit_trail() {
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
        Role::Hq,
    ] {
        assert_eq!(
            may_emit(role, &staff("S1", "山田", "V01")),
            role == Role::Hq,
            "{role:?}"
        );
        assert!(may_emit(role, &entry(AuditAction::Lookup, None, "V01", 7)));
    }
    assert!(!may_emit(
        Role::Server,
        &entry(AuditAction::Lookup, None, "V01", 7)
    ));
}

#[test]
fn the_later_staff_definition_wins_in_any_order() {
    let first = op(1, 1, T0, staff("S1", "山田", "V01"));
    let second = op(1, 2, T0 + 5, staff("S1", "山田花子", "V02"));
    let mut a = Replica::new();
    a.apply(&first);
    a.apply(&second);
    let mut b = Replica::new();
    b.apply(&second);
    b.apply(&first);
    b.apply(&second);
    assert_eq!(a, b);
    let s = a.staff("S1").expect("defined");
    assert_eq!(
        (s.name.as_str(), s.venue.as_ref().map(|v| v.0.as_str())),
        ("山田花子", Some("V02"))
    );
}

#[test]
fn audit_entries_from_two_devices_converge_after_sync() {
    let mut hq = Site::new(1, Role::Hq);
    let mut booth = Site::new(2, Role::Booth);
    let mut reception = Site::new(3, Role::Reception);
    let mut server = Site::new(9, Role::Server);
    hq.write(staff("S1", "山田", "V01"));
    booth.write(entry(AuditAction::Dose, Some("S1"), "V01", 7));
    reception.write(entry(AuditAction::Lookup, None, "V01", 7));
    for _ in 0..2 {
        for site in [&mut hq, &mut booth, &mut reception] {
            sync(site, &mut server);
        }
    }
    for site in [&hq, &booth, &reception] {
        assert_eq!(site.replica(), server.replica());
        assert_eq!(site.replica().audit_entries().count(), 2);
    }
    let dose_entry = hq
        .replica()
        .audit_entries()
        .find(|e| e.event.action == AuditAction::Dose)
        .expect("the booth's entry reached HQ");
    assert_eq!(
        dose_entry.op.replica,
        booth.id(),
        "the device is the op's author"
    );
    assert_eq!(dose_entry.event.staff.as_deref(), Some("S1"));
}

#[test]
fn a_booth_cannot_write_an_audit_entry_in_another_devices_name() {
    let booth = Site::new(2, Role::Booth);
    let mut server = Site::new(9, Role::Server);
    // Replica 3 is the reception desk; the booth signs an entry in its name with its own key.
    let forged = Op::signed(
        OpId {
            replica: rid(3),
            counter: 1,
        },
        Hlc::new(T0, 0),
        entry(AuditAction::Lookup, Some("S2"), "V01", 7),
        &key(2),
    );
    let mut message = booth
        .next_message(&mut SyncState::new())
        .expect("a first message introduces the sender");
    message.ops = vec![forged];
    let err = server
        .receive_fresh(message)
        .expect_err("an entry in another device's name is refused");
    assert!(matches!(err, SyncError::BadSignature { .. }), "{err}");
    assert_eq!(server.replica().audit_entries().count(), 0);
}

#[test]
fn an_audit_entry_names_its_venue_for_the_servers_venue_check() {
    assert_eq!(
        entry(AuditAction::CheckIn, None, "V02", 7).venue(),
        Some(&VenueCode::new("V02"))
    );
}

#[test]
fn a_dose_without_injection_site_reserialises_as_before_and_one_with_it_carries_it() {
    let old = r#"{"type":"record_dose","resident":"0000000007","dose_number":1,"venue":"V01","product":"comirnaty","lot":"L1","vaccinator":"山田","administered_at":"2021-06-01T09:30:00"}"#;
    let kind: OpKind = serde_json::from_str(old).expect("an old dose op reads");
    assert_eq!(serde_json::to_string(&kind).expect("json"), old);
    let OpKind::RecordDose(mut d) = kind else {
        unreachable!("a dose was read")
    };
    d.injection_site = Some("左上腕".into());
    let json = serde_json::to_string(&OpKind::RecordDose(d)).expect("json");
    assert!(json.ends_with(r#""injection_site":"左上腕"}"#), "{json}");
}

#[test]
fn malformed_staff_and_audit_ops_are_refused() {
    let blank = op(1, 1, T0, staff("", "山田", "V01"));
    assert!(matches!(blank.validate(), Err(InvalidOp::EmptyText(_))));
    let mut long = op(2, 1, T0, entry(AuditAction::Void, None, "V01", 7));
    if let OpKind::Audit(a) = &mut long.kind {
        a.detail = "あ".repeat(vax_sync::op::MAX_SHORT_TEXT + 1);
    }
    assert!(matches!(
        long.validate(),
        Err(InvalidOp::TextTooLong { .. })
    ));
}

#[test]
fn audit_action_codes_read_back() {
    for action in AuditAction::ALL {
        assert_eq!(AuditAction::from_code(action.code()), Some(action));
        assert_eq!(
            serde_json::to_value(action).expect("json"),
            serde_json::json!(action.code())
        );
    }
    assert_eq!(AuditAction::from_code("peek"), None);
}
