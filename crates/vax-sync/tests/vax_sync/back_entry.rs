//! Back-entry from the paper day sheet (docs/sync-spec.md §4b): the `back_entered` mark on
//! doses and check-ins, omitted when false, and merged like any other record.

use vax_sync::*;

use crate::support::*;

#[test]
fn kiosk_doses_and_check_ins_reserialise_byte_for_byte_and_back_entered_ones_carry_the_mark() {
    let old_dose = r#"{"type":"record_dose","resident":"0000000007","dose_number":1,"venue":"V01","product":"comirnaty","lot":"L1","vaccinator":"山田","administered_at":"2021-06-01T09:30:00","injection_site":"左上腕"}"#;
    let kind: OpKind = serde_json::from_str(old_dose).expect("an old dose op reads");
    assert_eq!(serde_json::to_string(&kind).expect("json"), old_dose);
    let OpKind::RecordDose(mut d) = kind else {
        unreachable!("a dose was read")
    };
    assert!(!d.back_entered, "an op without the field is a kiosk record");
    d.back_entered = true;
    let json = serde_json::to_string(&OpKind::RecordDose(d)).expect("json");
    assert!(
        json.ends_with(r#""injection_site":"左上腕","back_entered":true}"#),
        "{json}"
    );
    let again: OpKind = serde_json::from_str(&json).expect("reads back");
    assert!(matches!(
        again,
        OpKind::RecordDose(Dose {
            back_entered: true,
            ..
        })
    ));

    let old_check_in = r#"{"type":"check_in","resident":"0000000007","dose_number":1,"venue":"V01","band":null,"at":"2021-06-01T09:00:00"}"#;
    let kind: OpKind = serde_json::from_str(old_check_in).expect("an old check-in reads");
    assert_eq!(serde_json::to_string(&kind).expect("json"), old_check_in);
    let OpKind::CheckIn(mut c) = kind else {
        unreachable!("a check-in was read")
    };
    c.back_entered = true;
    let json = serde_json::to_string(&OpKind::CheckIn(c)).expect("json");
    assert!(
        json.ends_with(r#""at":"2021-06-01T09:00:00","back_entered":true}"#),
        "{json}"
    );
}

fn back_entered(kind: OpKind) -> OpKind {
    match kind {
        OpKind::RecordDose(d) => OpKind::RecordDose(Dose {
            back_entered: true,
            ..d
        }),
        other => other,
    }
}

#[test]
fn a_back_entered_dose_converges_and_meets_a_kiosk_dose_as_a_duplicate() {
    // The manager back-enters a dose from paper; a booth elsewhere recorded the same dose.
    let mut sites = vec![
        Site::new(9, Role::Server),
        Site::new(2, Role::VenueManager),
        Site::new(3, Role::Booth),
    ];
    sites[1].write(back_entered(dose(7, 1, "V01", "L1", at(9, 30))));
    sites[2].write(dose(7, 1, "V01", "L1", at(10, 0)));
    for _ in 0..2 {
        for i in [1, 2] {
            let (server, venue) = pair_mut(&mut sites, 0, i);
            sync(venue, server);
        }
    }
    let alerts = sites[0].replica().invariants();
    for site in &sites[1..] {
        assert_eq!(
            site.replica().invariants(),
            alerts,
            "same alerts everywhere"
        );
    }
    match alerts.as_slice() {
        [Alert::DuplicateDose { doses, .. }] => {
            let marks: Vec<bool> = doses.iter().map(|d| d.event.back_entered).collect();
            assert_eq!(marks, vec![true, false], "the paper record keeps its mark");
        }
        other => panic!("expected one duplicate-dose alert, got {other:?}"),
    }
}
