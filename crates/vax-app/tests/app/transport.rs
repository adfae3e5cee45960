//! Bus transport on the ledger: a demo city's venue day planned, checked, stored, re-planned
//! after a cancellation, and printed.

use chrono::NaiveDate;
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::transport::{
    day_transport, import_fleet, plan_day, replan_day, write_day_sheets, SearchBudget,
    TransportError,
};
use vax_demo::DemoParams;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_routing::{verify, Plan, TransportProblem};
use vax_sync::BookingCause;

use crate::now;

const FLEET: &str = "車両,座席,始業,終業,車庫緯度,車庫経度\n\
    1号車,8,07:30,18:00,35.4747,135.3859\n\
    2号車,8,07:30,18:00,35.4747,135.3859\n\
    3号車,10,07:30,18:00,35.4747,135.3859\n\
    4号車,10,07:30,18:00,35.4747,135.3859\n";

pub(crate) fn budget() -> SearchBudget {
    SearchBudget {
        seconds: 30.0,
        max_iterations: Some(300),
        seed: 1,
    }
}

/// A demo city and the venue day with the most riders (bookings with 送迎).
pub(crate) fn city() -> (Ledger, String, NaiveDate) {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let params = DemoParams {
        residents: 3_000,
        start: NaiveDate::from_ymd_opt(2021, 5, 17).unwrap(),
        ..DemoParams::default()
    };
    load_demo_city(&mut ledger, &params, now(), &mut NoProgress).unwrap();
    import_fleet(&mut ledger, Role::Headquarters, FLEET.as_bytes()).unwrap();
    let reader = ledger.reader();
    let mut best = (0, String::new(), params.start);
    for venue in reader.venues().unwrap() {
        let date = params.start;
        let mut riders = 0;
        for load in reader.venue_day(&venue.venue.code, date).unwrap() {
            riders += reader
                .bookings_in_band(load.band.id)
                .unwrap()
                .iter()
                .filter(|(_, r)| r.survey.as_ref().is_some_and(|s| s.needs_transport))
                .count();
        }
        if riders > best.0 {
            best = (riders, venue.venue.code.clone(), date);
        }
    }
    assert!(best.0 >= 3, "the demo day has riders: {}", best.0);
    (ledger, best.1, best.2)
}

#[test]
fn a_venue_day_is_planned_checked_stored_replanned_and_printed() {
    let (mut ledger, venue, date) = city();
    let report = plan_day(
        &mut ledger,
        Role::Headquarters,
        &venue,
        date,
        now(),
        &budget(),
    )
    .unwrap();
    assert!(report.rides > 0, "{report:?}");

    // Every stored leg passes the independent checker, and every rider of the day is on
    // a route or reported with a reason, on both trips.
    let legs = ledger.reader().transport_legs(&venue, date).unwrap();
    assert_eq!(legs.len(), report.legs);
    for leg in &legs {
        let problem = TransportProblem::from_json(&leg.problem_json).unwrap();
        let plan = Plan::from_json(&leg.plan_json).unwrap();
        verify(&problem, &plan).unwrap();
        assert_eq!(leg.riders.len(), problem.riders.len());
        for r in &leg.riders {
            assert_eq!(r.ride.is_some(), r.unserved.is_none(), "{r:?}");
        }
    }
    let served_or_reported: usize = legs.iter().map(|l| l.riders.len()).sum();
    assert_eq!(
        served_or_reported + 2 * report.not_planned.len(),
        2 * report.riders
    );

    let day = day_transport(&ledger.reader(), &venue, date).unwrap();
    assert_eq!(day.vehicles, report.vehicles);
    assert!(!day.runs.is_empty());
    let first = &day.runs[0].stops[0];

    // A cancellation: the rider leaves both trips; nobody else moves beyond the tolerance
    // unless reported.
    let tx_resident = first.resident_id;
    let dose = ledger.reader().bookings_of(tx_resident).unwrap()[0].dose_number;
    let booking_day = ledger.reader().bookings_of(tx_resident).unwrap();
    assert!(booking_day.iter().any(|b| b.band.date == date));
    let mut tx = ledger.transaction().unwrap();
    let dose = booking_day
        .iter()
        .find(|b| b.band.date == date)
        .map_or(dose, |b| b.dose_number);
    assert!(tx
        .cancel_booking(tx_resident, dose, BookingCause::Rebook)
        .unwrap());
    tx.commit().unwrap();
    let replan = replan_day(&mut ledger, Role::Headquarters, &venue, date, now()).unwrap();
    assert_eq!(replan.cancelled, vec![first.rider.clone(); 2], "{replan:?}");
    assert!(replan.added.is_empty());
    let after = day_transport(&ledger.reader(), &venue, date).unwrap();
    assert!(after
        .runs
        .iter()
        .flat_map(|r| &r.stops)
        .all(|s| s.resident_id != tx_resident));
    for leg in ledger.reader().transport_legs(&venue, date).unwrap() {
        let problem = TransportProblem::from_json(&leg.problem_json).unwrap();
        verify(&problem, &Plan::from_json(&leg.plan_json).unwrap()).unwrap();
    }

    // The sheets: the manifest names the rider of a run, the reception lists them.
    let dir = tempfile::tempdir().unwrap();
    let font = vax_print::JapaneseFont::system_default().expect("install fonts-noto-cjk");
    let sheets = write_day_sheets(&font, &after, dir.path()).unwrap();
    assert_eq!(sheets.runs, after.runs.len());
    let text = |p: &std::path::Path| {
        let out = std::process::Command::new("pdftotext")
            .args([p.to_str().unwrap(), "-"])
            .output()
            .expect("poppler-utils");
        String::from_utf8(out.stdout).unwrap()
    };
    let manifests = text(&sheets.manifests);
    let run = &after.runs[0];
    for needle in [
        "送迎運行表",
        run.vehicle.as_str(),
        run.stops[0].name.as_str(),
        run.stops[0].at_door.as_deref().unwrap(),
        after.venue_name.as_str(),
    ] {
        assert!(
            manifests.contains(needle),
            "{needle:?} not in:\n{manifests}"
        );
    }
    let reception = text(&sheets.reception);
    assert!(reception.contains("送迎者一覧"), "{reception}");
    assert!(
        reception.contains(run.stops[0].name.as_str()),
        "{reception}"
    );
}

#[test]
fn only_headquarters_plans_and_a_bad_fleet_file_imports_nothing() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let day = NaiveDate::from_ymd_opt(2021, 5, 17).unwrap();
    let refused = plan_day(&mut ledger, Role::Reception, "V1", day, now(), &budget());
    assert!(matches!(refused, Err(TransportError::RoleMayNot(_))));

    let bad = "車両,座席,始業,終業,車庫緯度,車庫経度\n\
        1号車,8,07:30,18:00,35.47,135.38\n\
        2号車,0,07:30,18:00,35.47,135.38\n\
        3号車,8,12:00,08:00,35.47,135.38\n\
        1号車,8,07:30,18:00,35.47,135.38\n";
    let Err(TransportError::Import(vax_app::import::ImportError::Rejected { problems })) =
        import_fleet(&mut ledger, Role::Headquarters, bad.as_bytes())
    else {
        panic!("a bad fleet file must be rejected");
    };
    let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [3, 4, 5], "{problems:?}");
    assert!(ledger.reader().fleet().unwrap().is_empty());
}

#[test]
fn a_planned_day_reaches_the_bus_list_and_the_desk_marks_its_riders() {
    use vax_app::rides::{bus_list, mark_ride, BusDirection, BusMark};
    let (mut ledger, venue, date) = city();
    // Name a driver for the first vehicle (the fleet CSV's optional 運転手 column).
    let with_driver = FLEET
        .replacen("車庫経度\n", "車庫経度,運転手\n", 1)
        .replacen("135.3859\n", "135.3859,舞鶴 太郎\n", 1)
        .replace("135.3859\n", "135.3859,\n");
    import_fleet(&mut ledger, Role::Headquarters, with_driver.as_bytes()).unwrap();
    assert_eq!(ledger.reader().fleet().unwrap()[0].driver, "舞鶴 太郎");
    let report = plan_day(
        &mut ledger,
        Role::Headquarters,
        &venue,
        date,
        now(),
        &budget(),
    )
    .unwrap();
    let day = day_transport(&ledger.reader(), &venue, date).unwrap();

    // The bus list is the plan's runs, rider for rider, with names from the register.
    let list = bus_list(&ledger.reader(), &venue, date).unwrap();
    assert_eq!(list.trips.len(), day.runs.len());
    assert_eq!(
        list.trips.iter().map(|t| t.riders.len()).sum::<usize>(),
        report.rides
    );
    for run in &day.runs {
        // Trips are listed per leg by vehicle; match each run by vehicle, way, band and time
        // at the venue (a vehicle may make two runs for one band).
        let trip = list
            .trips
            .iter()
            .find(|t| {
                t.vehicle == run.vehicle
                    && t.band_start == run.band_start
                    && t.at_venue == run.at_venue
                    && (t.direction == BusDirection::ToVenue)
                        == (run.direction == vax_ledger::LegDirection::ToVenue)
            })
            .expect("every run is a trip");
        assert_eq!(trip.at_venue, run.at_venue);
        let names: Vec<&str> = trip.riders.iter().map(|r| r.name.as_str()).collect();
        let planned: Vec<&str> = run.stops.iter().map(|s| s.name.as_str()).collect();
        assert_eq!(names, planned);
        let driver = if trip.vehicle == "1号車" {
            "舞鶴 太郎"
        } else {
            ""
        };
        assert_eq!(trip.driver, driver);
    }
    let trip = &list.trips[0];
    let rider = trip.riders[0].resident_id;

    // The booth may not mark; a resident who has no such ride cannot be marked.
    let err = mark_ride(
        &mut ledger,
        Role::Booth,
        &venue,
        date,
        rider,
        trip.direction,
        BusMark::Boarded,
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(err, TransportError::MayNotMarkRides(Role::Booth)),
        "{err}"
    );
    let no_rider = -1;
    let err = mark_ride(
        &mut ledger,
        Role::Reception,
        &venue,
        date,
        no_rider,
        BusDirection::ToVenue,
        BusMark::Boarded,
        now(),
    )
    .unwrap_err();
    assert!(matches!(err, TransportError::Invalid { .. }), "{err}");

    // The reception marks, takes it back, and marks again; the counts follow.
    let list = mark_ride(
        &mut ledger,
        Role::Reception,
        &venue,
        date,
        rider,
        trip.direction,
        BusMark::NoShow,
        now(),
    )
    .unwrap();
    assert_eq!((list.boarded, list.no_show), (0, 1));
    let list = mark_ride(
        &mut ledger,
        Role::Reception,
        &venue,
        date,
        rider,
        trip.direction,
        BusMark::Cleared,
        now(),
    )
    .unwrap();
    assert_eq!((list.boarded, list.no_show), (0, 0));
    assert_eq!(list.trips[0].riders[0].mark, None);
    let list = mark_ride(
        &mut ledger,
        Role::Reception,
        &venue,
        date,
        rider,
        trip.direction,
        BusMark::Boarded,
        now(),
    )
    .unwrap();
    assert_eq!(list.trips[0].riders[0].mark, Some(BusMark::Boarded));

    // A re-plan keeps the marks of riders still on a bus.
    replan_day(&mut ledger, Role::Headquarters, &venue, date, now()).unwrap();
    let list = bus_list(&ledger.reader(), &venue, date).unwrap();
    assert_eq!(list.boarded, 1);
}
