//! The roles matrix (docs/sync-spec.md §5).

use rstest::rstest;
use vax_sync::*;

use crate::support::*;

fn any_op_id() -> OpId {
    OpId {
        replica: rid(1),
        counter: 1,
    }
}

#[rstest]
#[case::reception_edits_a_phone(Role::Reception, set_phone(7, "0773-11-1111"), true)]
#[case::reception_cannot_rename(Role::Reception, set_name(7, "佐藤華子"), false)]
#[case::reception_cannot_slip_a_rename_in_with_a_phone(Role::Reception, phone_and_name(7), false)]
#[case::reception_checks_in(Role::Reception, check_in(7, "V01"), true)]
#[case::reception_cannot_record_a_dose(Role::Reception, dose(7, 1, "V01", "L1", at(9, 0)), false)]
#[case::reception_voids_a_check_in(Role::Reception, void(any_op_id(), EventKind::CheckIn), true)]
#[case::reception_cannot_void_a_dose(Role::Reception, void(any_op_id(), EventKind::Dose), false)]
#[case::booth_records_a_dose(Role::Booth, dose(7, 1, "V01", "L1", at(9, 0)), true)]
#[case::booth_voids_a_dose(Role::Booth, void(any_op_id(), EventKind::Dose), true)]
#[case::booth_cannot_check_in(Role::Booth, check_in(7, "V01"), false)]
#[case::booth_cannot_book(Role::Booth, book(7, 1, Some(1), BookingCause::Rebook), false)]
#[case::manager_checks_in_at_the_desk(Role::VenueManager, check_in(7, "V01"), true)]
#[case::manager_records_a_dose(Role::VenueManager, dose(7, 1, "V01", "L1", at(9, 0)), true)]
#[case::manager_voids_a_dose(Role::VenueManager, void(any_op_id(), EventKind::Dose), true)]
#[case::manager_cannot_log_an_inquiry(Role::VenueManager, inquiry(7, "called"), false)]
#[case::manager_records_stock(Role::VenueManager, opened("V01", "L1", at(15, 0)), true)]
#[case::manager_voids_stock(Role::VenueManager, void(any_op_id(), EventKind::Stock), true)]
#[case::manager_cannot_edit_bands(Role::VenueManager, band(1, "V01", 5), false)]
#[case::call_centre_logs_an_inquiry(Role::CallCentre, inquiry(7, "called"), true)]
#[case::call_centre_rebooks(Role::CallCentre, book(7, 1, Some(1), BookingCause::Rebook), true)]
#[case::call_centre_cannot_reshuffle(
    Role::CallCentre,
    book(7, 1, Some(1), BookingCause::Reshuffle),
    false
)]
#[case::call_centre_cannot_resolve(
    Role::CallCentre,
    book(7, 1, Some(1), BookingCause::Resolve),
    false
)]
#[case::call_centre_corrects_contacts_on_the_phone(
    Role::CallCentre,
    set_phone(7, "0773-11-1111"),
    true
)]
#[case::hq_reshuffles(Role::Hq, book(7, 1, Some(1), BookingCause::Reshuffle), true)]
#[case::hq_edits_bands(Role::Hq, band(1, "V01", 5), true)]
#[case::hq_voids_anything(Role::Hq, void(any_op_id(), EventKind::Stock), true)]
#[case::hq_renames(Role::Hq, set_name(7, "佐藤華子"), true)]
#[case::hq_sets_the_atena_number(Role::Hq, set_atena(7, "0001234567"), true)]
#[case::reception_cannot_set_the_atena_number(Role::Reception, set_atena(7, "0001234567"), false)]
#[case::server_writes_nothing(Role::Server, check_in(7, "V01"), false)]
#[case::server_cannot_edit_bands(Role::Server, band(1, "V01", 5), false)]
#[case::hq_enters_a_delivery(Role::Hq, supply("V01", Some(20)), true)]
#[case::manager_cannot_enter_a_delivery(Role::VenueManager, supply("V01", Some(20)), false)]
#[case::reception_cannot_remove_a_delivery(Role::Reception, supply("V01", None), false)]
#[case::server_cannot_enter_a_delivery(Role::Server, supply("V01", Some(20)), false)]
fn role_matrix(#[case] role: Role, #[case] kind: OpKind, #[case] allowed: bool) {
    assert_eq!(
        may_emit(role, &kind),
        allowed,
        "{role:?} writing {} should be {}",
        kind.name(),
        if allowed { "allowed" } else { "refused" }
    );
}

/// One role authority: what an app role may do at its desk, its device may replicate.
#[test]
fn every_app_role_may_replicate_exactly_what_its_desk_may_do() {
    use vax_domain::role::Role as App;
    for app in App::ALL {
        let role = Role::from(app);
        let hq = app.runs_the_campaign();
        let cases = [
            ("check-in", check_in(7, "V01"), app.may_check_in()),
            (
                "dose",
                dose(7, 1, "V01", "L1", at(9, 0)),
                app.may_record_doses(),
            ),
            (
                "vial opened",
                opened("V01", "L1", at(15, 0)),
                app.may_open_vials(),
            ),
            (
                "delivery",
                stock(
                    "V01",
                    "L1",
                    StockChange::Received {
                        vials: 5,
                        expires_on: at(0, 0).date(),
                        from: "卸A".into(),
                        thawed_use_by: None,
                    },
                ),
                app.may_record_stock(),
            ),
            ("inquiry", inquiry(7, "called"), app.may_log_inquiries()),
            (
                "rebooking",
                book(7, 1, Some(1), BookingCause::Rebook),
                app.may_rebook(),
            ),
            (
                "phone",
                set_phone(7, "0773-11-1111"),
                app.may_edit_contact(),
            ),
            ("rename", set_name(7, "佐藤華子"), hq),
            ("band", band(1, "V01", 5), hq),
            ("delivery of a venue day", supply("V01", Some(5)), hq),
        ];
        // HQ runs the campaign: it corrects anything, so nothing it replicates is refused.
        for (what, kind, desk) in cases {
            assert_eq!(may_emit(role, &kind), desk || hq, "{app:?} {what}");
        }
        for target in [
            EventKind::CheckIn,
            EventKind::Dose,
            EventKind::Stock,
            EventKind::Inquiry,
        ] {
            let records = match target {
                EventKind::CheckIn => app.may_check_in(),
                EventKind::Dose => app.may_record_doses(),
                EventKind::Stock => app.may_record_stock(),
                EventKind::Inquiry => app.may_log_inquiries(),
            };
            assert_eq!(
                may_emit(role, &void(any_op_id(), target)),
                records || hq,
                "{app:?} voids {target:?}"
            );
        }
    }
}

#[test]
fn only_hq_may_acknowledge_alerts() {
    let ack = OpKind::Acknowledge {
        alert: AlertKey::MismatchedVoid { void: any_op_id() },
    };
    let allowed: Vec<Role> = [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
        Role::Hq,
        Role::Server,
    ]
    .into_iter()
    .filter(|r| may_emit(*r, &ack))
    .collect();
    assert_eq!(allowed, vec![Role::Hq], "acknowledging is HQ's alone");
}

#[test]
fn check_roles_refuses_unknown_authors_and_out_of_role_ops() {
    let roster = |r: ReplicaId| match r {
        r if r == rid(2) => Some(Role::Booth),
        r if r == rid(3) => Some(Role::Reception),
        _ => None,
    };
    let from_booth = op(2, 1, T0, dose(7, 1, "V01", "L1", at(9, 0)));
    let from_reception = op(3, 1, T0, check_in(7, "V01"));
    assert_eq!(
        check_roles(&[from_booth.clone(), from_reception.clone()], roster),
        Ok(()),
        "ops in role, including relayed ones, pass"
    );
    let out_of_role = op(3, 2, T0, dose(7, 1, "V01", "L1", at(9, 0)));
    assert!(
        matches!(
            check_roles(&[from_booth.clone(), out_of_role], roster),
            Err(RoleError::NotPermitted {
                role: Role::Reception,
                ..
            })
        ),
        "a dose from reception is refused"
    );
    let stranger = op(4, 1, T0, check_in(7, "V01"));
    assert!(
        matches!(
            check_roles(&[stranger], roster),
            Err(RoleError::UnknownAuthor { .. })
        ),
        "an op from a replica that was never enrolled is refused"
    );
}

#[test]
fn venue_bound_ops_name_their_venue_for_the_server_check() {
    assert_eq!(
        dose(7, 1, "V02", "L1", at(9, 0)).venue(),
        Some(&VenueCode::new("V02")),
        "a dose names where it was given"
    );
    assert_eq!(
        inquiry(7, "called").venue(),
        None,
        "an inquiry belongs to no venue"
    );
}
