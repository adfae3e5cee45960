//! Moving a rider by hand (issue 13): HQ puts a rider on another trip of the day with a
//! free seat, or marks them as coming on their own; a full trip, a trip arriving after the
//! rider's band and a trip of the other direction are refused with the reason in English and
//! Japanese, writing nothing. The move reaches the venue's share (`transport_rides`), every
//! leg still passes the checker, and re-plans keep a rider sent their own way.

use chrono::NaiveDate;
use vax_app::demo::load_demo_city;
use vax_app::progress::NoProgress;
use vax_app::transport::{
    day_transport, import_fleet, plan_day, replan_day, BusRun, SearchBudget, TransportError,
    OWN_WAY,
};
use vax_app::transport_move::{move_rider, MoveTo, RiderMove, TripRef};
use vax_demo::DemoParams;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::{Ledger, LegDirection};
use vax_routing::{verify, Plan, TransportProblem};
use vax_sync::RideDirection;

use crate::now;

const FLEET: &str = "車両,座席,始業,終業,車庫緯度,車庫経度\n\
    1号車,8,07:30,18:00,35.4747,135.3859\n\
    2号車,8,07:30,18:00,35.4747,135.3859\n\
    福祉タクシー,4,07:30,18:00,35.4747,135.3859\n";

const VENUE: &str = "V03";

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 5, 17).unwrap()
}

fn planned_city() -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let params = DemoParams {
        residents: 3_000,
        start: day(),
        ..DemoParams::default()
    };
    load_demo_city(&mut ledger, &params, now(), &mut NoProgress).unwrap();
    import_fleet(&mut ledger, Role::Headquarters, FLEET.as_bytes()).unwrap();
    let budget = SearchBudget {
        seconds: 60.0,
        max_iterations: Some(200),
        seed: 1,
    };
    plan_day(
        &mut ledger,
        Role::Headquarters,
        VENUE,
        day(),
        now(),
        &budget,
    )
    .unwrap();
    ledger
}

fn trip(run: &BusRun) -> TripRef {
    TripRef {
        direction: run.direction,
        band_start: run.band_start.clone(),
        observation_minutes: run.observation_minutes,
        run: run.run,
        vehicle: run.vehicle.clone(),
    }
}

fn every_leg_passes_the_checker(ledger: &Ledger) {
    for leg in ledger.reader().transport_legs(VENUE, day()).unwrap() {
        let problem = TransportProblem::from_json(&leg.problem_json).unwrap();
        verify(&problem, &Plan::from_json(&leg.plan_json).unwrap()).unwrap();
    }
}

/// HQ's move of `resident`'s trip to the venue onto `to`, which must be refused: the reason
/// in English and Japanese.
fn refused_to_venue(
    ledger: &mut Ledger,
    resident: vax_ledger::RowId,
    to: &BusRun,
) -> (String, String) {
    let request = RiderMove {
        resident_id: resident,
        direction: LegDirection::ToVenue,
        to: MoveTo::Trip(trip(to)),
    };
    refusal(move_rider(ledger, Role::Headquarters, VENUE, day(), &request, now()).unwrap_err())
}

fn refusal(e: TransportError) -> (String, String) {
    assert!(matches!(e, TransportError::Invalid { .. }), "{e:?}");
    (e.to_string(), e.message_ja())
}

#[test]
fn full_and_late_trips_and_the_other_direction_are_refused_writing_nothing() {
    let mut ledger = planned_city();
    let before = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let stored_before = ledger.reader().transport_legs(VENUE, day()).unwrap();

    // A full trip refuses a rider from another trip of the same band: the seat count.
    let full = before
        .runs
        .iter()
        .find(|r| r.direction == LegDirection::ToVenue && r.seats_used == r.seats)
        .expect("a full trip to the venue");
    let other = before
        .runs
        .iter()
        .find(|r| {
            r.direction == LegDirection::ToVenue
                && r.band_start >= full.band_start
                && trip(r) != trip(full)
                && !r.stops.is_empty()
        })
        .expect("another trip of that band or a later one");
    let (en, ja) = refused_to_venue(&mut ledger, other.stops[0].resident_id, full);
    assert!(en.contains("seat count would break"), "{en}");
    assert!(ja.contains("座席数を超えます"), "{ja}");

    // A trip of a later band arrives after the rider's band starts: the arrival time.
    let early = before
        .runs
        .iter()
        .filter(|r| r.direction == LegDirection::ToVenue)
        .min_by_key(|r| r.band_start.clone())
        .unwrap();
    let late = before
        .runs
        .iter()
        .find(|r| r.direction == LegDirection::ToVenue && r.at_venue > early.band_start)
        .expect("a bus arriving after the earliest band starts");
    let (en, ja) = refused_to_venue(&mut ledger, early.stops[0].resident_id, late);
    assert!(en.contains("arrival time would break"), "{en}");
    assert!(ja.contains("間に合いません"), "{ja}");

    // The other direction is refused too; nothing was written by any refusal.
    let home = before
        .runs
        .iter()
        .find(|r| r.direction == LegDirection::FromVenue)
        .unwrap();
    refused_to_venue(&mut ledger, early.stops[0].resident_id, home);
    assert_eq!(
        ledger.reader().transport_legs(VENUE, day()).unwrap(),
        stored_before
    );
}

type Moved = (
    vax_app::transport::RiderLine,
    BusRun,
    BusRun,
    vax_app::transport_move::RiderMoved,
);

/// Checks a move: the rider is on the target trip and on no other, every leg passes the
/// checker, and the venue's share (`transport_rides`) follows.
fn moved_as_shown(ledger: &Ledger, direction: LegDirection, (stop, source, target, done): Moved) {
    assert_eq!(
        done.vehicle_before.as_deref(),
        Some(source.vehicle.as_str())
    );
    assert_eq!(done.vehicle_after.as_deref(), Some(target.vehicle.as_str()));
    assert!(done.after.is_some());
    every_leg_passes_the_checker(ledger);
    let after = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let on = |run: &BusRun| run.stops.iter().any(|s| s.resident_id == stop.resident_id);
    let now_on: Vec<&BusRun> = after
        .runs
        .iter()
        .filter(|r| r.direction == direction && on(r))
        .collect();
    assert_eq!(now_on.len(), 1);
    assert_eq!(trip(now_on[0]), trip(&target));
    let way = match direction {
        LegDirection::ToVenue => RideDirection::ToVenue,
        LegDirection::FromVenue => RideDirection::FromVenue,
    };
    let share = ledger.reader().rides_of_day(VENUE, day()).unwrap();
    let ride = share
        .iter()
        .find(|r| r.resident_id == stop.resident_id && r.direction == way)
        .unwrap();
    assert_eq!(ride.vehicle, target.vehicle);
    assert_eq!(Some(&ride.at_door), done.after.as_ref());
}

/// A rider of a full-up trip (every bus is filled up to its riders' ride limit before its
/// seats, docs/transport.md) says she will come with her son; HQ marks her as coming on her
/// own, and gives the time freed to a rider of another bus who lives with someone still on
/// the trip: the bus already stops at their door, so the move costs only the boarding
/// minutes. The two moves the office makes most. (The way home:
/// `a_rider_moves_home_onto_a_free_seat_of_another_bus`.)
#[test]
fn a_place_freed_on_a_bus_goes_to_a_housemate_of_one_of_its_riders_and_the_venue_sees_it() {
    let mut ledger = planned_city();
    let moved = first_move_beside_a_housemate(&mut ledger, LegDirection::ToVenue)
        .expect("a rider can join a housemate's bus to the venue");
    moved_as_shown(&ledger, LegDirection::ToVenue, moved);
}

/// Whether the rider is picked up at home on foot (no named pick-up point, no wheelchair).
fn at_home(ledger: &Ledger, resident: vax_ledger::RowId) -> bool {
    let needs = ledger.reader().rider_needs(resident).unwrap();
    needs.is_none_or(|n| n.pickup_point.is_none() && !n.wheelchair)
}

/// On the first trip of `direction` with a free seat and two riders at home, frees the time
/// of the rider whose ride is the longest (the first picked up to the venue, the last set
/// down on the way home) by sending them their own way; then tries at most 12 riders of the
/// other buses of that leg and run, each given the home of a rider still on the trip (they
/// live together), and moves the first one the checker accepts.
fn first_move_beside_a_housemate(ledger: &mut Ledger, direction: LegDirection) -> Option<Moved> {
    let before = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let target = before.runs.iter().find(|r| {
        r.direction == direction
            && r.seats_used < r.seats
            && r.stops
                .iter()
                .filter(|s| at_home(ledger, s.resident_id))
                .count()
                >= 2
    })?;
    let longest = match direction {
        LegDirection::ToVenue => target.stops.first(),
        LegDirection::FromVenue => target.stops.last(),
    }?;
    let own_way = RiderMove {
        resident_id: longest.resident_id,
        direction,
        to: MoveTo::OwnWay,
    };
    move_rider(ledger, Role::Headquarters, VENUE, day(), &own_way, now()).unwrap();
    let after = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let target = after.runs.iter().find(|r| trip(r) == trip(target))?;
    let housemate = target
        .stops
        .iter()
        .find(|s| at_home(ledger, s.resident_id))?;
    let home = ledger.reader().resident(housemate.resident_id).unwrap();
    let mut tries = 0;
    for source in after.runs.iter().filter(|r| {
        r.direction == direction
            && r.band_start == target.band_start
            && r.observation_minutes == target.observation_minutes
            && r.run == target.run
            && r.vehicle != target.vehicle
    }) {
        let movers: Vec<_> = source
            .stops
            .iter()
            .filter(|s| at_home(ledger, s.resident_id))
            .collect();
        for stop in movers {
            tries += 1;
            if tries > 12 {
                return None;
            }
            let mut mover = ledger.reader().resident(stop.resident_id).unwrap().resident;
            mover.address = home.resident.address.clone();
            mover.home = home.resident.home;
            let tx = ledger.transaction().unwrap();
            tx.upsert_resident(&mover, &now()).unwrap();
            tx.commit().unwrap();
            let request = RiderMove {
                resident_id: stop.resident_id,
                direction,
                to: MoveTo::Trip(trip(target)),
            };
            match move_rider(ledger, Role::Headquarters, VENUE, day(), &request, now()) {
                Ok(done) => return Some((stop.clone(), source.clone(), target.clone(), done)),
                Err(e) => eprintln!("refused: {}", refusal(e).0),
            }
        }
    }
    None
}

#[test]
fn a_rider_sent_their_own_way_stays_so_through_replans_and_plans() {
    let mut ledger = planned_city();
    let hq = Role::Headquarters;
    let before = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let run = before
        .runs
        .iter()
        .find(|r| r.direction == LegDirection::FromVenue)
        .unwrap();
    let rider = run.stops[0].clone();
    let request = RiderMove {
        resident_id: rider.resident_id,
        direction: LegDirection::FromVenue,
        to: MoveTo::OwnWay,
    };
    let done = move_rider(&mut ledger, hq, VENUE, day(), &request, now()).unwrap();
    assert_eq!(done.vehicle_after, None);
    assert_eq!(done.vehicle_before.as_deref(), Some(run.vehicle.as_str()));
    every_leg_passes_the_checker(&ledger);
    let own_way = |ledger: &Ledger| {
        let plan = day_transport(&ledger.reader(), VENUE, day()).unwrap();
        assert!(plan
            .runs
            .iter()
            .filter(|r| r.direction == LegDirection::FromVenue)
            .all(|r| r.stops.iter().all(|s| s.resident_id != rider.resident_id)));
        plan.unserved.iter().any(|s| {
            s.resident_id == rider.resident_id
                && s.unserved_ja.as_deref() == Some("自力で来場（本部が送迎から外しました）")
        })
    };
    assert!(own_way(&ledger));
    assert!(!ledger
        .reader()
        .rides_of_day(VENUE, day())
        .unwrap()
        .iter()
        .any(|r| r.resident_id == rider.resident_id && r.direction == RideDirection::FromVenue));
    // Twice is refused.
    let (en, ja) = refusal(move_rider(&mut ledger, hq, VENUE, day(), &request, now()).unwrap_err());
    assert!(en.contains("already comes on their own") && ja.contains("自力で来場"));

    let replan = replan_day(&mut ledger, hq, VENUE, day(), now()).unwrap();
    assert!(replan.added.is_empty(), "{replan:?}");
    assert!(!replan.needs_full_plan.iter().any(|id| id == &rider.rider));
    assert!(own_way(&ledger));
    let budget = SearchBudget {
        seconds: 60.0,
        max_iterations: Some(50),
        seed: 1,
    };
    plan_day(&mut ledger, hq, VENUE, day(), now(), &budget).unwrap();
    assert!(own_way(&ledger));
    let legs = ledger.reader().transport_legs(VENUE, day()).unwrap();
    assert_eq!(
        legs.iter()
            .flat_map(|l| &l.riders)
            .filter(|r| r.resident_id == rider.resident_id && r.unserved.as_deref() == Some(OWN_WAY))
            .count(),
        1
    );

    // Back on a bus: the own-way mark goes.
    let target = day_transport(&ledger.reader(), VENUE, day())
        .unwrap()
        .runs
        .into_iter()
        .find(|r| {
            r.direction == LegDirection::FromVenue
                && r.band_start == run.band_start
                && r.seats_used < r.seats
        });
    if let Some(target) = target {
        let back = RiderMove {
            to: MoveTo::Trip(trip(&target)),
            ..request
        };
        if move_rider(&mut ledger, hq, VENUE, day(), &back, now()).is_ok() {
            assert!(!own_way(&ledger));
        }
    }
}

#[test]
fn only_headquarters_moves_riders() {
    let mut ledger = planned_city();
    let request = RiderMove {
        resident_id: 1,
        direction: LegDirection::ToVenue,
        to: MoveTo::OwnWay,
    };
    let e = move_rider(&mut ledger, Role::Reception, VENUE, day(), &request, now()).unwrap_err();
    assert!(
        matches!(e, TransportError::RoleMayNot(Role::Reception)),
        "{e:?}"
    );
}

/// The way home on the demo day: a rider of one bus moves onto a free seat of another bus
/// of the same leg. The ride limit is the time on the bus from the departure from the
/// venue, so a bus that reaches the venue later than the riders are ready no longer counts
/// their wait as ride; before (the limit counted from the ready time) every such move on
/// this day was refused (docs/transport.md). Buses home now leave full on this day (their
/// seats bind, not the ride limit), so a seat is freed first: the last rider set down on
/// each trip home of a leg with two or more buses says she goes home with her son.
#[test]
fn a_rider_moves_home_onto_a_free_seat_of_another_bus() {
    let mut ledger = planned_city();
    let planned = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    for run in planned.runs.iter().filter(|r| {
        r.direction == LegDirection::FromVenue
            && r.seats_used == r.seats
            && planned.runs.iter().any(|o| {
                o.direction == r.direction
                    && o.band_start == r.band_start
                    && o.observation_minutes == r.observation_minutes
                    && o.run == r.run
                    && o.vehicle != r.vehicle
            })
    }) {
        let last = run.stops.last().unwrap();
        let own_way = RiderMove {
            resident_id: last.resident_id,
            direction: LegDirection::FromVenue,
            to: MoveTo::OwnWay,
        };
        move_rider(
            &mut ledger,
            Role::Headquarters,
            VENUE,
            day(),
            &own_way,
            now(),
        )
        .unwrap();
    }
    let before = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let same_leg = |a: &BusRun, b: &BusRun| {
        a.direction == b.direction
            && a.band_start == b.band_start
            && a.observation_minutes == b.observation_minutes
            && a.run == b.run
    };
    let mut refused = Vec::new();
    for target in before
        .runs
        .iter()
        .filter(|r| r.direction == LegDirection::FromVenue && r.seats_used < r.seats)
    {
        for source in before
            .runs
            .iter()
            .filter(|r| same_leg(r, target) && r.vehicle != target.vehicle)
        {
            let movers: Vec<_> = source
                .stops
                .iter()
                .filter(|s| at_home(&ledger, s.resident_id))
                .collect();
            for stop in movers {
                let request = RiderMove {
                    resident_id: stop.resident_id,
                    direction: LegDirection::FromVenue,
                    to: MoveTo::Trip(trip(target)),
                };
                match move_rider(
                    &mut ledger,
                    Role::Headquarters,
                    VENUE,
                    day(),
                    &request,
                    now(),
                ) {
                    Ok(done) => {
                        let moved = (stop.clone(), source.clone(), target.clone(), done);
                        moved_as_shown(&ledger, LegDirection::FromVenue, moved);
                        return;
                    }
                    Err(e) => refused.push(refusal(e).0),
                }
            }
        }
    }
    panic!("no move home onto a free seat was accepted: {refused:#?}");
}

/// The screen shows each trip's seats as stored with the plan, the figure the move check
/// uses: a fleet re-imported after planning (other seats, a vehicle gone) changes neither.
#[test]
fn a_trip_shows_the_seats_it_was_planned_with_after_the_fleet_changes() {
    let mut ledger = planned_city();
    let planned = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let stored: Vec<(String, u32)> = planned
        .runs
        .iter()
        .map(|r| (r.vehicle.clone(), r.seats))
        .collect();
    assert!(
        stored.iter().any(|(v, s)| v == "福祉タクシー" && *s == 4),
        "{stored:?}"
    );
    assert!(stored
        .iter()
        .all(|(v, s)| *s == if v == "福祉タクシー" { 4 } else { 8 }));
    import_fleet(
        &mut ledger,
        Role::Headquarters,
        "車両,座席,始業,終業,車庫緯度,車庫経度\n\
         1号車,12,07:30,18:00,35.4747,135.3859\n\
         2号車,6,07:30,18:00,35.4747,135.3859\n"
            .as_bytes(),
    )
    .unwrap();
    let shown = day_transport(&ledger.reader(), VENUE, day()).unwrap();
    let now_shown: Vec<(String, u32)> = shown
        .runs
        .iter()
        .map(|r| (r.vehicle.clone(), r.seats))
        .collect();
    assert_eq!(now_shown, stored);
    // The refusal on a full trip names the same seats as the screen.
    let full = shown
        .runs
        .iter()
        .find(|r| r.direction == LegDirection::ToVenue && r.seats_used == r.seats)
        .expect("a full trip to the venue");
    let other = shown
        .runs
        .iter()
        .find(|r| {
            r.direction == LegDirection::ToVenue
                && r.band_start >= full.band_start
                && trip(r) != trip(full)
                && !r.stops.is_empty()
        })
        .expect("another trip of that band or a later one");
    let request = RiderMove {
        resident_id: other.stops[0].resident_id,
        direction: full.direction,
        to: MoveTo::Trip(trip(full)),
    };
    let (en, _) = refusal(
        move_rider(
            &mut ledger,
            Role::Headquarters,
            VENUE,
            day(),
            &request,
            now(),
        )
        .unwrap_err(),
    );
    assert!(
        en.contains(&format!("{} of {} seats", full.seats_used, full.seats)),
        "{en}"
    );
}
