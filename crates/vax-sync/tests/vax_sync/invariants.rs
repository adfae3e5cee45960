//! One test per invariant and per resolution (docs/sync-spec.md §6).

use vax_sync::*;

use crate::support::*;

/// HQ (1), a server (9) and two venue replicas of the role asked for (2, 3).
fn campaign(venue_role: Role) -> Vec<Site> {
    vec![
        Site::new(1, Role::Hq),
        Site::new(9, Role::Server),
        Site::new(2, venue_role),
        Site::new(3, venue_role),
    ]
}

/// Star sync: every venue replica and HQ with the server, twice so that everything travels.
fn sync_via_server(sites: &mut [Site]) {
    for _ in 0..2 {
        for i in [0, 2, 3] {
            let (a, b) = pair_mut(sites, i, 1);
            sync(a, b);
        }
    }
}

/// HQ (site 0) writes `kind`; once it has travelled, no replica shows an alert.
fn assert_hq_op_clears_every_alert(sites: &mut [Site], kind: OpKind, why: &str) {
    sites[0].write(kind);
    sync_via_server(sites);
    assert!(assert_same_alerts_everywhere(sites).is_empty(), "{why}");
}

fn assert_same_alerts_everywhere(sites: &[Site]) -> Vec<Alert> {
    let alerts = sites[0].replica().invariants();
    for site in &sites[1..] {
        assert_eq!(
            site.replica().invariants(),
            alerts,
            "replica {} sees other alerts than replica {}",
            site.id(),
            sites[0].id()
        );
    }
    alerts
}

#[test]
fn same_dose_recorded_at_two_venues_offline_raises_a_duplicate_dose_alert_on_every_replica() {
    let mut sites = campaign(Role::Booth);
    sites[2].write(dose(7, 1, "V01", "L1", at(9, 30)));
    sites[3].write(dose(7, 1, "V02", "L9", at(10, 0)));
    sync_via_server(&mut sites);
    let alerts = assert_same_alerts_everywhere(&sites);
    match alerts.as_slice() {
        [Alert::DuplicateDose {
            resident: r,
            dose_number: 1,
            doses,
        }] => {
            assert_eq!(r, &resident(7), "the alert names the resident");
            let venues: Vec<_> = doses.iter().map(|d| d.event.venue.0.as_str()).collect();
            assert_eq!(
                venues,
                vec!["V01", "V02"],
                "both records are shown side by side"
            );
        }
        other => panic!("expected one duplicate-dose alert, got {other:?}"),
    }
}

#[test]
fn hq_voiding_one_dose_clears_the_duplicate_alert_everywhere() {
    let mut sites = campaign(Role::Booth);
    sites[2].write(dose(7, 1, "V01", "L1", at(9, 30)));
    let typo = sites[3].write(dose(7, 1, "V02", "L9", at(10, 0)));
    sync_via_server(&mut sites);
    assert_eq!(
        assert_same_alerts_everywhere(&sites).len(),
        1,
        "the duplicate is flagged before HQ acts"
    );
    assert_hq_op_clears_every_alert(
        &mut sites,
        void(typo.id, EventKind::Dose),
        "HQ's void replicates and clears the alert on every replica",
    );
    for site in &sites {
        assert_eq!(
            site.replica().valid_doses(&resident(7), 1).len(),
            1,
            "one valid dose remains on {}",
            site.id()
        );
    }
}

/// The two call-centre desks of a [`campaign`] rebook resident 7, one into band 11, the
/// other into band 12, without seeing each other; then everyone syncs.
fn rebook_resident_7_at_two_desks(sites: &mut [Site]) {
    sites[2].write(book(7, 1, Some(11), BookingCause::Rebook));
    sites[3].write(book(7, 1, Some(12), BookingCause::Rebook));
    sync_via_server(sites);
}

#[test]
fn concurrent_rebookings_raise_an_alert_with_both_values() {
    let mut sites = campaign(Role::CallCentre);
    sites[0].write(book(7, 1, Some(10), BookingCause::Assign));
    sync_via_server(&mut sites);
    rebook_resident_7_at_two_desks(&mut sites);
    let alerts = assert_same_alerts_everywhere(&sites);
    match alerts.as_slice() {
        [Alert::ConcurrentBookings { values, .. }] => {
            let mut bands: Vec<_> = values.iter().map(|v| v.band).collect();
            bands.sort();
            assert_eq!(
                bands,
                vec![Some(band_id(11)), Some(band_id(12))],
                "both rebookings are shown"
            );
        }
        other => panic!("expected one concurrent-bookings alert, got {other:?}"),
    }
}

#[test]
fn hq_choosing_a_booking_clears_the_conflict_everywhere() {
    let mut sites = campaign(Role::CallCentre);
    rebook_resident_7_at_two_desks(&mut sites);
    assert_hq_op_clears_every_alert(
        &mut sites,
        book(7, 1, Some(12), BookingCause::Resolve),
        "HQ's choice replicates and clears the conflict",
    );
    for site in &sites {
        let values = site.replica().booking(&resident(7), 1);
        assert_eq!(
            values.iter().map(|v| (v.band, v.cause)).collect::<Vec<_>>(),
            vec![(Some(band_id(12)), BookingCause::Resolve)],
            "only HQ's choice is live on {}",
            site.id()
        );
    }
}

#[test]
fn a_resolution_that_missed_a_rebooking_keeps_the_alert() {
    let mut sites = campaign(Role::CallCentre);
    rebook_resident_7_at_two_desks(&mut sites);
    // Site 3 rebooks again while HQ resolves: HQ has not seen that one.
    sites[3].write(book(7, 1, Some(13), BookingCause::Rebook));
    sites[0].write(book(7, 1, Some(11), BookingCause::Resolve));
    sync_via_server(&mut sites);
    let alerts = assert_same_alerts_everywhere(&sites);
    assert!(
        matches!(alerts.as_slice(), [Alert::ConcurrentBookings { values, .. }] if values.len() == 2),
        "the unseen rebooking stays beside HQ's choice: {alerts:?}"
    );
}

#[test]
fn band_over_capacity_after_merge_raises_an_alert() {
    let mut sites = campaign(Role::CallCentre);
    sites[0].write(band(10, "V01", 1));
    sync_via_server(&mut sites);
    // Each call-centre desk fills the last seat for another resident, offline.
    sites[2].write(book(7, 1, Some(10), BookingCause::Rebook));
    sites[3].write(book(8, 1, Some(10), BookingCause::Rebook));
    for site in &sites[2..] {
        assert!(
            site.replica().invariants().is_empty(),
            "each desk alone is within capacity"
        );
    }
    sync_via_server(&mut sites);
    let alerts = assert_same_alerts_everywhere(&sites);
    match alerts.as_slice() {
        [Alert::BandOverCapacity {
            band,
            capacity: 1,
            bookings,
        }] => {
            assert_eq!(*band, band_id(10), "the alert names the band");
            assert_eq!(bookings.len(), 2, "both bookings are shown: {bookings:?}");
        }
        other => panic!("expected one over-capacity alert, got {other:?}"),
    }
    // HQ raises the capacity: an ordinary op clears it everywhere.
    assert_hq_op_clears_every_alert(
        &mut sites,
        band(10, "V01", 2),
        "a larger band clears the alert",
    );
}

#[test]
fn dose_from_a_lot_past_its_clock_raises_an_alert() {
    let mut manager = Site::new(2, Role::VenueManager);
    let mut booth = Site::new(3, Role::Booth);
    manager.write(opened("V01", "L1", at(15, 0)));
    booth.write(dose(7, 1, "V01", "L1", at(14, 59)));
    let late = booth.write(dose(8, 1, "V01", "L1", at(15, 1)));
    booth.write(dose(9, 1, "V01", "L2", at(16, 0)));
    sync(&mut manager, &mut booth);
    let alerts = booth.replica().invariants();
    match alerts.as_slice() {
        [Alert::DoseFromExpiredLot { dose, limit }] => {
            assert_eq!(dose.op, late.id, "only the dose after 15:00 is flagged");
            assert!(
                matches!(limit, LotLimit::PastUseBy { use_by, .. } if *use_by == at(15, 0)),
                "the alert shows the clock that ran out: {limit:?}"
            );
        }
        other => panic!("expected one expired-lot alert, got {other:?}"),
    }
    assert_eq!(
        manager.replica().invariants(),
        alerts,
        "both replicas see it"
    );
}

#[test]
fn hq_acknowledging_an_expired_lot_dose_clears_that_alert_everywhere() {
    let mut sites = campaign(Role::Booth);
    sites[0].write(stock(
        "V01",
        "L1",
        StockChange::Received {
            vials: 10,
            expires_on: at(0, 0).date(),
            from: "卸A".into(),
            thawed_use_by: None,
        },
    ));
    sync_via_server(&mut sites);
    sites[2].write(dose(
        7,
        1,
        "V01",
        "L1",
        at(9, 0) + chrono::Duration::days(1),
    ));
    sync_via_server(&mut sites);
    let alerts = assert_same_alerts_everywhere(&sites);
    let key = match alerts.as_slice() {
        [alert @ Alert::DoseFromExpiredLot { .. }] => alert
            .acknowledgement_key()
            .expect("an expired-lot alert can be acknowledged"),
        other => panic!("expected one expired-lot alert, got {other:?}"),
    };
    assert_hq_op_clears_every_alert(
        &mut sites,
        OpKind::Acknowledge { alert: key },
        "HQ's acknowledgement replicates and clears the alert",
    );
}

#[test]
fn a_void_naming_the_wrong_kind_has_no_effect_and_raises_an_alert() {
    let (replica, recorded) = dose_then_void(EventKind::CheckIn);
    assert!(
        !replica.is_voided(&recorded.id),
        "a void claiming a check-in cannot void a dose"
    );
    assert!(
        matches!(
            replica.invariants().as_slice(),
            [Alert::MismatchedVoid {
                actual: EventKind::Dose,
                ..
            }]
        ),
        "the mismatch is surfaced"
    );
}
