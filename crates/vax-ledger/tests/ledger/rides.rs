//! Bus rides reach the venue they are for, and the reception's marks reach HQ
//! (docs/sync-spec.md §11, migration 0016).

use chrono::{NaiveDate, NaiveTime};
use vax_domain::voucher::VoucherNumber;
use vax_ledger::Ledger;
use vax_sync::{RideDirection, RideMark, RideMarkKind, RidePlan, Role, Trip, TripRider, VenueCode};

use crate::replication::{hq_with_a_small_city, replica, sync};

const RECEPTION_V01: u128 = 11;
const RECEPTION_V02: u128 = 12;

fn june_first() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, 1).unwrap()
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).unwrap()
}

fn plan(venue: &str, vouchers: &[&str], at_door: NaiveTime) -> RidePlan {
    RidePlan {
        venue: VenueCode::new(venue),
        date: june_first(),
        trips: vec![Trip {
            vehicle: "1号車".into(),
            driver: "舞鶴 太郎".into(),
            direction: RideDirection::ToVenue,
            band_start: hm(9, 0),
            at_venue: hm(8, 50),
            riders: vouchers
                .iter()
                .map(|v| TripRider {
                    resident: VoucherNumber::parse(v).unwrap(),
                    at_door,
                    pickup_point: Some("北吸公民館".into()),
                    wheelchair: true,
                })
                .collect(),
        }],
    }
}

/// A venue's reception desk that knows its venue, as enrollment leaves it.
fn reception_at(n: u128, venue: &str) -> Ledger {
    let mut ledger = replica(n, Role::Reception);
    let tx = ledger.transaction().unwrap();
    tx.set_setting("sync.venue", venue).unwrap();
    tx.commit().unwrap();
    ledger
}

fn resident_id(ledger: &Ledger, voucher: &str) -> i64 {
    ledger
        .reader()
        .residents_by_voucher(None, &VoucherNumber::parse(voucher).unwrap())
        .unwrap()[0]
        .id
}

fn publish(hq: &mut Ledger, plan: RidePlan) {
    let mut tx = hq.transaction().unwrap();
    tx.publish_ride_plan(plan).unwrap();
    tx.commit().unwrap();
}

#[test]
fn a_plan_reaches_its_venue_only_and_the_receptions_mark_reaches_hq() {
    let mut hq = hq_with_a_small_city();
    publish(&mut hq, plan("V01", &["0000000001"], hm(8, 20)));
    publish(&mut hq, plan("V02", &["0000000002"], hm(8, 30)));
    let mut v01 = reception_at(RECEPTION_V01, "V01");
    let mut v02 = reception_at(RECEPTION_V02, "V02");
    sync(&mut hq, &mut v01);
    sync(&mut hq, &mut v02);

    let rides = v01.reader().rides_of_day("V01", june_first()).unwrap();
    assert_eq!(rides.len(), 1, "{rides:?}");
    let ride = &rides[0];
    assert_eq!(ride.resident_id, resident_id(&v01, "0000000001"));
    assert_eq!(
        (
            ride.vehicle.as_str(),
            ride.driver.as_str(),
            ride.at_door.as_str()
        ),
        ("1号車", "舞鶴 太郎", "08:20")
    );
    assert_eq!(ride.pickup_point.as_deref(), Some("北吸公民館"));
    assert!(ride.wheelchair && ride.mark.is_none());
    assert!(
        v01.reader()
            .rides_of_day("V02", june_first())
            .unwrap()
            .is_empty(),
        "another venue's riders are not kept as rows"
    );
    assert_eq!(
        v02.reader()
            .rides_of_day("V02", june_first())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(v01.sync_log_summary().unwrap().unprojected, 0);

    let hanako = resident_id(&v01, "0000000001");
    let mut tx = v01.transaction().unwrap();
    tx.mark_ride(
        hanako,
        RideMark {
            venue: VenueCode::new("V01"),
            date: june_first(),
            resident: VoucherNumber::parse("0000000001").unwrap(),
            direction: RideDirection::ToVenue,
            mark: RideMarkKind::Boarded,
            at: june_first().and_hms_opt(8, 51, 0).unwrap(),
        },
    )
    .unwrap();
    tx.commit().unwrap();
    assert_eq!(
        v01.reader().rides_of_day("V01", june_first()).unwrap()[0].mark,
        Some(RideMarkKind::Boarded)
    );
    sync(&mut v01, &mut hq);
    let at_hq = hq.reader().rides_of_day("V01", june_first()).unwrap();
    assert_eq!(
        at_hq[0].mark,
        Some(RideMarkKind::Boarded),
        "HQ sees the mark"
    );
    assert_eq!(at_hq[0].marked_at.as_deref(), Some("2021-06-01T08:51:00"));
}

#[test]
fn a_replan_replaces_the_venues_rows_and_keeps_marks_apart() {
    let mut hq = hq_with_a_small_city();
    publish(
        &mut hq,
        plan("V01", &["0000000001", "0000000002"], hm(8, 20)),
    );
    let mut v01 = reception_at(RECEPTION_V01, "V01");
    sync(&mut hq, &mut v01);
    assert_eq!(
        v01.reader()
            .rides_of_day("V01", june_first())
            .unwrap()
            .len(),
        2
    );
    publish(&mut hq, plan("V01", &["0000000002"], hm(8, 25)));
    sync(&mut hq, &mut v01);
    let rides = v01.reader().rides_of_day("V01", june_first()).unwrap();
    assert_eq!(rides.len(), 1);
    assert_eq!(rides[0].at_door, "08:25");
    assert_eq!(
        rides,
        hq.reader().rides_of_day("V01", june_first()).unwrap()
    );
}

#[test]
fn a_venue_device_that_does_not_know_its_venue_yet_waits_and_then_writes_its_rows() {
    let mut hq = hq_with_a_small_city();
    publish(&mut hq, plan("V01", &["0000000001"], hm(8, 20)));
    let mut v01 = replica(RECEPTION_V01, Role::Reception);
    sync(&mut hq, &mut v01);
    assert!(v01
        .reader()
        .rides_of_day("V01", june_first())
        .unwrap()
        .is_empty());
    assert_eq!(v01.sync_log_summary().unwrap().unprojected, 1);
    let tx = v01.transaction().unwrap();
    tx.set_setting("sync.venue", "V01").unwrap();
    tx.commit().unwrap();
    // The next op that arrives retries the waiting ones.
    publish(&mut hq, plan("V02", &["0000000002"], hm(8, 30)));
    sync(&mut hq, &mut v01);
    assert_eq!(
        v01.reader()
            .rides_of_day("V01", june_first())
            .unwrap()
            .len(),
        1
    );
    assert_eq!(v01.sync_log_summary().unwrap().unprojected, 0);
}

#[test]
fn hq_cannot_publish_a_plan_naming_a_resident_it_does_not_hold() {
    let mut hq = hq_with_a_small_city();
    let mut tx = hq.transaction().unwrap();
    let err = tx
        .publish_ride_plan(plan("V01", &["0000009999"], hm(8, 20)))
        .unwrap_err();
    assert!(err.to_string().contains("0000009999"), "{err}");
}
