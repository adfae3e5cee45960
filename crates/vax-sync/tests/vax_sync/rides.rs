//! Bus rides replicated to the venues (docs/sync-spec.md §11): who may write them, how they
//! merge, their wire format and that one device cannot mark in another's name.

use chrono::{NaiveDate, NaiveTime};
use vax_sync::*;

use crate::support::*;

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, 1).expect("date")
}

fn hm(h: u32, m: u32) -> NaiveTime {
    NaiveTime::from_hms_opt(h, m, 0).expect("time")
}

fn plan(venue: &str, riders: &[u32], at_door: NaiveTime) -> OpKind {
    OpKind::DefineRides(RidePlan {
        venue: VenueCode::new(venue),
        date: day(),
        trips: vec![Trip {
            vehicle: "1号車".into(),
            driver: String::new(),
            direction: RideDirection::ToVenue,
            band_start: hm(10, 0),
            at_venue: hm(9, 50),
            riders: riders
                .iter()
                .map(|r| TripRider {
                    resident: resident(*r),
                    at_door,
                    pickup_point: None,
                    wheelchair: *r == 2,
                })
                .collect(),
        }],
    })
}

fn mark(venue: &str, r: u32, kind: RideMarkKind) -> OpKind {
    OpKind::MarkRide(RideMark {
        venue: VenueCode::new(venue),
        date: day(),
        resident: resident(r),
        direction: RideDirection::ToVenue,
        mark: kind,
        at: at(9, 52),
    })
}

fn key(venue: &str, r: u32) -> RideMarkKey {
    RideMarkKey {
        venue: VenueCode::new(venue),
        date: day(),
        resident: resident(r),
        direction: RideDirection::ToVenue,
    }
}

#[test]
fn only_hq_plans_rides_and_the_desk_and_hq_mark_them() {
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
        Role::Hq,
        Role::Server,
        Role::Relay,
    ] {
        assert_eq!(
            may_emit(role, &plan("V01", &[1], hm(9, 20))),
            role == Role::Hq,
            "{role:?} plans"
        );
        assert_eq!(
            may_emit(role, &mark("V01", 1, RideMarkKind::Boarded)),
            matches!(role, Role::Reception | Role::VenueManager | Role::Hq),
            "{role:?} marks"
        );
    }
}

#[test]
fn plans_and_marks_name_their_venue_for_the_servers_venue_check() {
    assert_eq!(
        plan("V02", &[1], hm(9, 20)).venue(),
        Some(&VenueCode::new("V02"))
    );
    assert_eq!(
        mark("V02", 1, RideMarkKind::NoShow).venue(),
        Some(&VenueCode::new("V02"))
    );
}

#[test]
fn the_later_plan_of_a_venue_day_wins_in_any_order_and_other_days_stay() {
    let first = op(1, 1, T0, plan("V01", &[1, 2], hm(9, 20)));
    let replan = op(1, 2, T0 + 60_000, plan("V01", &[2], hm(9, 25)));
    let other = op(1, 3, T0 + 1, plan("V02", &[3], hm(9, 0)));
    let mut a = Replica::new();
    for o in [&first, &replan, &other] {
        a.apply(o);
    }
    let mut b = Replica::new();
    for o in [&other, &replan, &first, &replan] {
        b.apply(o);
    }
    assert_eq!(a, b);
    let current = a.ride_plan(&VenueCode::new("V01"), day()).expect("planned");
    assert_eq!(
        current.trips[0].riders.len(),
        1,
        "the re-plan replaced the day"
    );
    assert_eq!(current.trips[0].riders[0].at_door, hm(9, 25));
    assert!(a.ride_plan(&VenueCode::new("V02"), day()).is_some());
}

#[test]
fn the_later_mark_of_a_ride_wins_whoever_wrote_it_and_a_mark_can_be_cleared() {
    let boarded = op(2, 1, T0, mark("V01", 1, RideMarkKind::Boarded));
    let cleared = op(3, 1, T0 + 5_000, mark("V01", 1, RideMarkKind::Cleared));
    let other_rider = op(2, 2, T0 + 1, mark("V01", 4, RideMarkKind::NoShow));
    let mut a = Replica::new();
    for o in [&boarded, &cleared, &other_rider] {
        a.apply(o);
    }
    let mut b = Replica::new();
    for o in [&other_rider, &cleared, &boarded] {
        b.apply(o);
    }
    assert_eq!(a, b);
    assert_eq!(
        a.ride_mark(&key("V01", 1)).map(|m| m.mark),
        Some(RideMarkKind::Cleared)
    );
    assert_eq!(a.ride_mark_stamp(&key("V01", 1)), Some(cleared.stamp()));
    assert_eq!(
        a.ride_mark(&key("V01", 4)).map(|m| m.mark),
        Some(RideMarkKind::NoShow)
    );
}

#[test]
fn a_plan_reaches_the_venue_and_the_receptions_mark_reaches_hq_through_the_server() {
    let mut hq = Site::new(1, Role::Hq);
    let mut reception = Site::new(2, Role::Reception);
    let mut other_venue = Site::new(3, Role::Reception);
    let mut server = Site::new(9, Role::Server);
    hq.write(plan("V01", &[1, 2], hm(9, 20)));
    for site in [&mut hq, &mut reception, &mut other_venue] {
        sync(site, &mut server);
    }
    assert!(reception
        .replica()
        .ride_plan(&VenueCode::new("V01"), day())
        .is_some());
    reception.write(mark("V01", 2, RideMarkKind::Boarded));
    for _ in 0..2 {
        for site in [&mut hq, &mut reception, &mut other_venue] {
            sync(site, &mut server);
        }
    }
    for site in [&hq, &reception, &other_venue] {
        assert_eq!(site.replica(), server.replica());
    }
    assert_eq!(
        hq.replica().ride_mark(&key("V01", 2)).map(|m| m.mark),
        Some(RideMarkKind::Boarded)
    );
}

#[test]
fn a_booth_cannot_mark_a_ride_in_the_receptions_name() {
    let booth = Site::new(2, Role::Booth);
    let mut server = Site::new(9, Role::Server);
    // Replica 3 is a reception desk; the booth signs a mark in its name with its own key.
    let forged = Op::signed(
        OpId {
            replica: rid(3),
            counter: 1,
        },
        Hlc::new(T0, 0),
        mark("V01", 1, RideMarkKind::Boarded),
        &crate::support::key(2),
    );
    let mut message = booth
        .next_message(&mut SyncState::new())
        .expect("a first message introduces the sender");
    message.ops = vec![forged];
    let err = server
        .receive_fresh(message)
        .expect_err("a mark in another device's name is refused");
    assert!(matches!(err, SyncError::BadSignature { .. }), "{err}");
    assert!(server.replica().ride_mark(&key("V01", 1)).is_none());
}

#[test]
fn the_wire_format_is_stable_and_leaves_out_empty_fields() {
    let golden = r#"{"type":"define_rides","venue":"V01","date":"2021-06-01","trips":[{"vehicle":"1号車","direction":"to_venue","band_start":"10:00:00","at_venue":"09:50:00","riders":[{"resident":"0000000001","at_door":"09:20:00"},{"resident":"0000000002","at_door":"09:20:00","wheelchair":true}]}]}"#;
    let kind = plan("V01", &[1, 2], hm(9, 20));
    assert_eq!(serde_json::to_string(&kind).expect("json"), golden);
    let read: OpKind = serde_json::from_str(golden).expect("reads");
    assert_eq!(read, kind);
    let golden_mark = r#"{"type":"mark_ride","venue":"V01","date":"2021-06-01","resident":"0000000001","direction":"to_venue","mark":"no_show","at":"2021-06-01T09:52:00"}"#;
    let kind = mark("V01", 1, RideMarkKind::NoShow);
    assert_eq!(serde_json::to_string(&kind).expect("json"), golden_mark);
    assert!(serde_json::from_str::<OpKind>(&golden_mark.replace("no_show", "waved")).is_err());
}

#[test]
fn malformed_plans_are_refused() {
    let twice = op(1, 1, T0, plan("V01", &[1, 1], hm(9, 20)));
    assert!(matches!(
        twice.validate(),
        Err(InvalidOp::RiderTwiceInPlan(_))
    ));
    let mut blank = op(1, 2, T0, plan("V01", &[1], hm(9, 20)));
    if let OpKind::DefineRides(p) = &mut blank.kind {
        p.trips[0].vehicle = " ".into();
    }
    assert!(matches!(blank.validate(), Err(InvalidOp::EmptyText(_))));
    let mut huge = op(1, 3, T0, plan("V01", &[1], hm(9, 20)));
    if let OpKind::DefineRides(p) = &mut huge.kind {
        let trip = p.trips[0].clone();
        p.trips = vec![trip; rides::MAX_TRIPS + 1];
    }
    assert!(matches!(huge.validate(), Err(InvalidOp::TooManyRides)));
    assert!(op(1, 4, T0, plan("V01", &[], hm(9, 20))).validate().is_ok());
}
