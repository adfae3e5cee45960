//! One test per merge rule (docs/sync-spec.md §4).

use vax_sync::*;

use crate::support::*;

/// Resident 7's `field` holds `expected` whichever of `a` and `b` arrives first.
fn assert_field_in_either_order(
    a: &Op,
    b: &Op,
    field: FieldName,
    expected: ResidentField,
    why: &str,
) {
    for order in [[a, b], [b, a]] {
        let mut replica = Replica::new();
        for o in order {
            replica.apply(o);
        }
        assert_eq!(
            replica.resident_field(&resident(7), field),
            Some(&expected),
            "{why}"
        );
    }
}

#[test]
fn resident_field_takes_the_value_with_the_later_hlc() {
    assert_field_in_either_order(
        &op(1, 1, T0, set_phone(7, "0773-11-1111")),
        &op(2, 1, T0 + 5, set_phone(7, "0773-22-2222")),
        FieldName::Phone,
        ResidentField::Phone(Some(
            vax_domain::resident::Phone::parse("0773-22-2222").unwrap(),
        )),
        "the later edit must win whichever arrives first",
    );
}

#[test]
fn resident_field_tie_on_hlc_is_broken_by_replica_id() {
    assert_field_in_either_order(
        &op(1, 1, T0, set_name(7, "佐藤花子")),
        &op(2, 1, T0, set_name(7, "佐藤華子")),
        FieldName::Name,
        ResidentField::Name("佐藤華子".into()),
        "with equal HLCs the higher replica id wins, in any order",
    );
}

#[test]
fn resident_fields_merge_independently_per_field() {
    let mut hq = Site::new(1, Role::Hq);
    let mut reception = Site::new(2, Role::Reception);
    hq.write(set_name(7, "佐藤花子"));
    sync(&mut hq, &mut reception);
    // Offline: HQ corrects the name, reception the phone, reception later in time.
    hq.write(set_name(7, "佐藤華子"));
    reception.time.advance(60_000);
    reception.write(set_phone(7, "0773-22-2222"));
    sync(&mut hq, &mut reception);
    for site in [&hq, &reception] {
        assert_eq!(
            site.replica().resident_field(&resident(7), FieldName::Name),
            Some(&ResidentField::Name("佐藤華子".into())),
            "HQ's name edit survives a later edit of another field"
        );
        assert!(
            site.replica()
                .resident_field(&resident(7), FieldName::Phone)
                .is_some(),
            "reception's phone edit survives too"
        );
    }
}

/// HQ and a call centre that both hold HQ's booking of resident 7 into band 10.
fn hq_and_call_centre_after_an_assignment() -> (Site, Site) {
    let mut hq = Site::new(1, Role::Hq);
    let mut call_centre = Site::new(2, Role::CallCentre);
    hq.write(book(7, 1, Some(10), BookingCause::Assign));
    sync(&mut hq, &mut call_centre);
    (hq, call_centre)
}

#[test]
fn concurrent_rebookings_are_both_kept() {
    let (mut hq, mut call_centre) = hq_and_call_centre_after_an_assignment();
    hq.write(book(7, 1, Some(11), BookingCause::Reshuffle));
    call_centre.write(book(7, 1, Some(12), BookingCause::Rebook));
    sync(&mut hq, &mut call_centre);
    for site in [&hq, &call_centre] {
        let bands: Vec<_> = site
            .replica()
            .booking(&resident(7), 1)
            .iter()
            .map(|v| v.band)
            .collect();
        assert_eq!(bands.len(), 2, "both concurrent values are kept: {bands:?}");
        assert!(
            bands.contains(&Some(band_id(11))) && bands.contains(&Some(band_id(12))),
            "the two rebookings are the values, the original is replaced: {bands:?}"
        );
    }
}

#[test]
fn a_booking_written_after_seeing_another_replaces_it() {
    let (mut hq, mut call_centre) = hq_and_call_centre_after_an_assignment();
    call_centre.write(book(7, 1, Some(12), BookingCause::Rebook));
    sync(&mut hq, &mut call_centre);
    for site in [&hq, &call_centre] {
        let values = site.replica().booking(&resident(7), 1);
        assert_eq!(
            values.iter().map(|v| v.band).collect::<Vec<_>>(),
            vec![Some(band_id(12))],
            "a rebooking that saw the assignment replaces it"
        );
    }
}

#[test]
fn events_are_kept_once_however_often_delivered() {
    let recorded = op(1, 1, T0, dose(7, 1, "V01", "L1", at(9, 30)));
    let mut replica = Replica::new();
    for _ in 0..3 {
        replica.apply(&recorded);
    }
    assert_eq!(
        replica.event_count(),
        1,
        "three deliveries of one op hold one event"
    );
    assert_eq!(
        replica.valid_doses(&resident(7), 1).len(),
        1,
        "and count as one dose"
    );
    assert!(
        replica.invariants().is_empty(),
        "a redelivered dose is not a duplicate dose"
    );
}

#[test]
fn a_void_removes_an_event_from_the_valid_set_without_deleting_it() {
    let (replica, recorded) = dose_then_void(EventKind::Dose);
    assert!(
        replica.valid_doses(&resident(7), 1).is_empty(),
        "a voided dose no longer counts"
    );
    assert!(
        replica.dose(&recorded.id).is_some(),
        "the voided dose is still held for the audit trail"
    );
    assert!(replica.is_voided(&recorded.id), "and is marked voided");
}

#[test]
fn a_void_arriving_before_its_target_still_applies() {
    let recorded = op(1, 1, T0, check_in(7, "V01"));
    let voiding = op(1, 2, T0 + 1, void(recorded.id, EventKind::CheckIn));
    let mut replica = Replica::new();
    replica.apply(&voiding);
    replica.apply(&recorded);
    assert!(
        replica.is_voided(&recorded.id),
        "the void takes effect once its target arrives"
    );
    let mut in_order = Replica::new();
    in_order.apply(&recorded);
    in_order.apply(&voiding);
    assert_eq!(
        replica, in_order,
        "delivery order does not change the result"
    );
}

#[test]
fn time_band_edits_are_last_writer_wins() {
    let first = op(1, 1, T0, band(10, "V01", 20));
    let second = op(2, 1, T0 + 10, band(10, "V01", 25));
    let mut replica = Replica::new();
    replica.apply(&second);
    replica.apply(&first);
    assert_eq!(
        replica.time_band(&band_id(10)).map(|b| b.capacity),
        Some(25),
        "the later definition of the band holds"
    );
}
