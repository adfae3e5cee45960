//! A leg dealt no vehicle (issue 13): when the fleet's shifts end early, a trip can be left
//! with no vehicle at all. It is stored with an empty fleet and every rider unserved, read
//! back by the day's view with a bilingual "no vehicle" warning, and re-planned with its
//! riders still unserved. (Before, `day_transport` and `replan_day` refused the stored day:
//! vax-routing's "the fleet is empty".)

use chrono::NaiveTime;
use vax_app::transport::{
    day_transport, import_fleet, plan_day, replan_day, unserved_reason, NO_VEHICLE,
};
use vax_domain::role::Role;
use vax_ledger::{LegDirection, LegRow};
use vax_routing::{Plan, TransportProblem};
use vax_sync::BookingCause;

use crate::now;
use crate::transport::{budget, city};

fn fleet_ending_at(end: &str) -> String {
    format!("車両,座席,始業,終業,車庫緯度,車庫経度\n1号車,8,07:30,{end},35.4747,135.3859\n")
}

fn has_no_vehicle(leg: &LegRow) -> bool {
    let problem: serde_json::Value = serde_json::from_str(&leg.problem_json).unwrap();
    problem["vehicles"].as_array().is_some_and(Vec::is_empty)
}

#[test]
fn a_leg_left_without_a_vehicle_is_read_back_and_replanned_as_unserved() {
    let (mut ledger, venue, date) = city();
    let hq = Role::Headquarters;
    import_fleet(&mut ledger, hq, fleet_ending_at("18:00").as_bytes()).unwrap();
    plan_day(&mut ledger, hq, &venue, date, now(), &budget()).unwrap();
    // The first band's trips to the venue bring the vehicle back to the garage at `back`
    // (pick-ups as late as possible: the band's start plus the drive, whatever the riders):
    // a shift ending on that very minute leaves the vehicle to no later trip to the venue.
    let legs = ledger.reader().transport_legs(&venue, date).unwrap();
    let first_band = legs
        .iter()
        .filter(|l| l.direction == LegDirection::ToVenue)
        .map(|l| l.band_start)
        .min()
        .unwrap();
    let back = legs
        .iter()
        .filter(|l| l.direction == LegDirection::ToVenue && l.band_start == first_band)
        .flat_map(|l| Plan::from_json(&l.plan_json).unwrap().routes)
        .map(|r| r.back_at_garage_minute)
        .fold(0.0, f64::max);
    let end = back.ceil() as u32;
    let end = NaiveTime::from_hms_opt(end / 60, end % 60, 0).unwrap();
    import_fleet(
        &mut ledger,
        hq,
        fleet_ending_at(&end.format("%H:%M").to_string()).as_bytes(),
    )
    .unwrap();
    let report = plan_day(&mut ledger, hq, &venue, date, now(), &budget()).unwrap();

    let legs = ledger.reader().transport_legs(&venue, date).unwrap();
    let empty: Vec<&LegRow> = legs.iter().filter(|l| has_no_vehicle(l)).collect();
    assert!(!empty.is_empty(), "no leg was left without a vehicle");
    for leg in &empty {
        assert!(!leg.riders.is_empty());
        for r in &leg.riders {
            assert_eq!(r.unserved.as_deref(), Some(NO_VEHICLE), "{r:?}");
        }
    }
    let (en, ja) = unserved_reason(NO_VEHICLE);
    assert!(en.contains("not served") && ja.contains("送迎されません"));
    assert!(report.unserved.iter().any(|u| u.reason_ja == ja));

    // The day reads back, with one warning per leg without a vehicle.
    let day = day_transport(&ledger.reader(), &venue, date).unwrap();
    assert_eq!(day.no_vehicle.len(), empty.len());
    for (warning, leg) in day.no_vehicle.iter().zip(&empty) {
        assert_eq!(warning.riders, leg.riders.len());
        assert_eq!(warning.direction, leg.direction);
        assert_eq!((&warning.message, &warning.message_ja), (&en, &ja));
    }
    let stranded = &empty[0].riders[0];
    assert!(day
        .unserved
        .iter()
        .any(|s| s.resident_id == stranded.resident_id && s.unserved_ja.as_deref() == Some(&ja)));

    // A cancellation in such a leg re-plans: the rider leaves it, the others stay unserved.
    let booking = ledger
        .reader()
        .bookings_of(stranded.resident_id)
        .unwrap()
        .into_iter()
        .find(|b| b.band.date == date)
        .unwrap();
    let mut tx = ledger.transaction().unwrap();
    assert!(tx
        .cancel_booking(
            stranded.resident_id,
            booking.dose_number,
            BookingCause::Rebook
        )
        .unwrap());
    tx.commit().unwrap();
    let replan = replan_day(&mut ledger, hq, &venue, date, now()).unwrap();
    assert!(replan.cancelled.contains(&stranded.rider), "{replan:?}");
    let after = ledger.reader().transport_legs(&venue, date).unwrap();
    let still: Vec<&LegRow> = after.iter().filter(|l| has_no_vehicle(l)).collect();
    assert_eq!(still.len(), empty.len());
    assert_eq!(still[0].riders.len(), empty[0].riders.len() - 1);
    assert!(still.iter().flat_map(|l| &l.riders).all(
        |r| r.resident_id != stranded.resident_id && r.unserved.as_deref() == Some(NO_VEHICLE)
    ));
    let problem: TransportProblem = serde_json::from_str(&still[0].problem_json).unwrap();
    assert_eq!(problem.riders.len(), still[0].riders.len());
    day_transport(&ledger.reader(), &venue, date).unwrap();
}
