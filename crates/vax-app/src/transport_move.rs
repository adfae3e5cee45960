//! Moving a rider by hand on HQ's transport screen (issue 13; docs/transport.md "Moving a
//! rider by hand"): HQ takes a rider off their bus and puts them on another trip of the same
//! day with a free seat, or marks them as coming on their own (自力で来場). The move is
//! refused, with the reason in English and Japanese, when the seats or the rider's band
//! would break, or when no stop order on that trip passes vax-routing's checker. The day is
//! stored again and its venue share re-published (`define_rides`) in one transaction, so
//! the venue sees the move and the rider's notice tells the new ride (migration 0018's
//! tracking compares what was told with the current plan).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::{Ledger, LegDirection, LegRider, LegRow, NewLeg, RowId};
use vax_routing::{
    plan_from_order, replan, verify, Change, Plan, ReplanOptions, RouteOrder, TransportProblem,
    Trip,
};

use crate::transport::{
    day_riders, headquarters_only, invalid, keep_unserved, leg_riders, minutes_of, rider_id,
    routing_rider, stored_leg, AnnouncedChange, TransportError, OWN_WAY,
};

/// One vehicle's run of a venue day, as [`crate::transport::BusRun::trip`] names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct TripRef {
    /// Which way.
    pub direction: LegDirection,
    /// The band's start (HH:MM).
    pub band_start: String,
    /// The return trip's observation period (0 to the venue).
    pub observation_minutes: u32,
    /// The vehicle's run within the leg (1 or 2).
    pub run: u32,
    /// The vehicle.
    pub vehicle: String,
}

/// Where HQ moves a rider.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(rename_all = "snake_case")]
pub enum MoveTo {
    /// Onto this trip (same direction, same day).
    Trip(TripRef),
    /// Off the buses: the rider comes (or goes home) on their own.
    OwnWay,
}

/// A move HQ asks for.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RiderMove {
    /// The rider.
    pub resident_id: RowId,
    /// Which of their trips.
    pub direction: LegDirection,
    /// Where to.
    pub to: MoveTo,
}

/// What a move did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RiderMoved {
    /// 氏名.
    pub name: String,
    /// The vehicle before (`None`: was not on a bus).
    pub vehicle_before: Option<String>,
    /// The time at the door before.
    pub before: Option<String>,
    /// The vehicle now (`None`: on their own).
    pub vehicle_after: Option<String>,
    /// The time at the door now.
    pub after: Option<String>,
    /// Other riders whose time at the door moved with it (tell them).
    pub changed: Vec<AnnouncedChange>,
}

/// A stored leg with its parsed problem and plan, changed in memory until the move is
/// stored.
struct Leg {
    row: LegRow,
    problem: TransportProblem,
    plan: Plan,
}

fn refused(en: String, ja: String) -> TransportError {
    invalid(en, ja)
}

/// Moves a rider of a planned venue day as HQ asks (see the module's documentation).
pub fn move_rider(
    ledger: &mut Ledger,
    role: Role,
    venue_code: &str,
    date: NaiveDate,
    request: &RiderMove,
    now: DateTime<FixedOffset>,
) -> Result<RiderMoved, TransportError> {
    headquarters_only(role)?;
    if date < now.date_naive() {
        return Err(refused(
            format!("{date} has passed: its buses cannot be changed"),
            format!("{date} は過ぎた日のため送迎を変更できません"),
        ));
    }
    let reader = ledger.reader();
    let mut legs = Vec::new();
    for row in reader.transport_legs(venue_code, date)? {
        let (problem, plan) = stored_leg(&row)?;
        legs.push(Leg { row, problem, plan });
    }
    let direction = request.direction;
    let resident = request.resident_id;
    let Some(src) = legs
        .iter()
        .position(|l| l.row.direction == direction && on_leg(&l.row, resident).is_some())
    else {
        return Err(refused(
            format!(
                "resident {resident} has no {} trip in the plan of {venue_code} on {date}",
                direction.code()
            ),
            format!(
                "{date} の {venue_code} の送迎計画にこの方の{}はありません",
                direction_ja(direction)
            ),
        ));
    };
    let day_rider = day_riders(&reader, venue_code, date)?
        .into_iter()
        .find(|r| r.resident.id == resident)
        .ok_or_else(|| {
            refused(
                format!("resident {resident} is no longer a rider of {venue_code} on {date}: re-plan the day"),
                format!("この方は {date} の {venue_code} の送迎対象ではなくなりました。再計画してください"),
            )
        })?;
    let name = day_rider.resident.resident.name.clone();
    let rid = rider_id(&day_rider.resident);
    let was = on_leg(&legs[src].row, resident).cloned();
    let (vehicle_before, before) = was
        .as_ref()
        .and_then(|r| r.ride.as_ref())
        .map(|r| (Some(r.vehicle.clone()), Some(r.at_door.clone())))
        .unwrap_or_default();
    let announced: HashMap<(RowId, LegDirection), String> = legs
        .iter()
        .flat_map(|l| {
            l.row.riders.iter().filter_map(move |r| {
                r.ride
                    .as_ref()
                    .map(|x| ((r.resident_id, l.row.direction), x.at_door.clone()))
            })
        })
        .collect();

    // Where to, and whether the seats and the rider's band allow it, before anything moves.
    let target = match &request.to {
        MoveTo::OwnWay => {
            if was.as_ref().and_then(|r| r.unserved.as_deref()) == Some(OWN_WAY) {
                return Err(refused(
                    format!("{name} already comes on their own"),
                    format!("{name}さんはすでに自力で来場の扱いです"),
                ));
            }
            None
        }
        MoveTo::Trip(to) => {
            let Some(tgt) = legs.iter().position(|l| {
                l.row.direction == to.direction
                    && l.row.band_start.format("%H:%M").to_string() == to.band_start
                    && l.row.observation_minutes == to.observation_minutes
                    && l.row.run == to.run
                    && l.plan.routes.iter().any(|r| r.vehicle == to.vehicle)
            }) else {
                return Err(refused(
                    format!(
                        "no trip of {} at {} ({}) in this day's plan",
                        to.vehicle,
                        to.band_start,
                        to.direction.code()
                    ),
                    format!(
                        "この日の計画に {} の {} の便（{}）はありません",
                        to.vehicle,
                        to.band_start,
                        direction_ja(to.direction)
                    ),
                ));
            };
            if to.direction != direction {
                return Err(refused(
                    format!(
                        "the {} trip of {name} cannot move to a {} trip",
                        direction.code(),
                        to.direction.code()
                    ),
                    format!(
                        "{name}さんの{}を{}の便には移せません",
                        direction_ja(direction),
                        direction_ja(to.direction)
                    ),
                ));
            }
            let leg = &legs[tgt];
            let route = leg.plan.routes.iter().find(|r| r.vehicle == to.vehicle);
            if route.is_some_and(|r| r.stops.iter().any(|s| s.rider == rid)) {
                return Err(refused(
                    format!("{name} is already on this trip of {}", to.vehicle),
                    format!("{name}さんはすでに {} のこの便に乗っています", to.vehicle),
                ));
            }
            check_band(&leg.problem, &day_rider, &name)?;
            let rider = routing_rider(&day_rider).ok_or_else(|| {
                refused(
                    format!("{name} has no home coordinates and no pick-up point"),
                    format!("{name}さんは自宅の座標も乗降場所もありません"),
                )
            })?;
            let seats = leg
                .problem
                .vehicles
                .iter()
                .find(|v| v.id == to.vehicle)
                .map_or(0, |v| v.seats);
            let used = route.map_or(0, |r| r.seats_used);
            if used + rider.seats > seats {
                return Err(refused(
                    format!(
                        "{} has {used} of {seats} seats taken; {name} needs {} (the seat count would break)",
                        to.vehicle, rider.seats
                    ),
                    format!(
                        "{} は{seats}席中{used}席が埋まっています。{name}さんには{}席必要です（座席数を超えます）",
                        to.vehicle, rider.seats
                    ),
                ));
            }
            Some((tgt, to.vehicle.clone(), rider))
        }
    };

    // Off the source leg: the others on that bus keep their announced times.
    {
        let leg = &mut legs[src];
        let on_route = leg
            .plan
            .routes
            .iter()
            .any(|r| r.stops.iter().any(|s| s.rider == rid));
        if on_route {
            let mut next = replan(
                &leg.problem,
                &leg.plan,
                &Change::Cancel { rider: rid.clone() },
                &ReplanOptions::default(),
            )
            .map_err(|e| invalid(e.to_string(), e.message_ja()))?;
            keep_unserved(&leg.plan, &mut next.plan, &next.problem);
            verify(&next.problem, &next.plan)
                .map_err(|v| TransportError::Check(format!("{v:?}")))?;
            leg.problem = next.problem;
            leg.plan = next.plan;
        } else {
            leg.problem.riders.retain(|r| r.id != rid);
            leg.plan.unserved.retain(|u| u.rider != rid);
        }
        leg.row.riders.retain(|r| r.resident_id != resident);
    }

    // Onto the target trip, at the stop order the checker accepts that moves the fewest
    // announced times on that bus (then the fewest km).
    if let Some((tgt, vehicle, rider)) = &target {
        let leg = &mut legs[*tgt];
        leg.problem.riders.push(rider.clone());
        let index = leg
            .plan
            .routes
            .iter()
            .position(|r| &r.vehicle == vehicle)
            .unwrap_or_default();
        let old = leg.plan.routes[index].clone();
        let order: Vec<String> = old.stops.iter().map(|s| s.rider.clone()).collect();
        let mut best: Option<(usize, f64, vax_routing::PlannedRoute)> = None;
        for at in 0..=order.len() {
            let mut riders = order.clone();
            riders.insert(at, rider.id.clone());
            let orders = [RouteOrder {
                vehicle: vehicle.clone(),
                riders,
            }];
            let Ok(plan) = plan_from_order(&leg.problem, &orders) else {
                continue;
            };
            let Some(route) = plan.routes.into_iter().next() else {
                continue;
            };
            let moved = route
                .stops
                .iter()
                .filter(|s| {
                    old.stops
                        .iter()
                        .any(|o| o.rider == s.rider && o.clock != s.clock)
                })
                .count();
            if best
                .as_ref()
                .is_none_or(|(m, km, _)| (moved, route.km) < (*m, *km))
            {
                best = Some((moved, route.km, route));
            }
        }
        let Some((_, _, route)) = best else {
            return Err(refused(
                format!(
                    "{vehicle} cannot take {name} on this trip: in every stop order a rider would ride longer than the limit, the bus would miss the band's time or end after its shift (a trip can be full by its riders' time on the bus while seats are free). Choose a bus that passes near {name}'s home, or mark {name} as coming on their own"
                ),
                format!(
                    "{vehicle} のこの便には{name}さんを乗せられません。どの停車順でも、乗車時間の上限・コマの時刻・運行時間のいずれかを守れません（座席が空いていても、乗っている方の乗車時間の上限で便が埋まっていることがあります）。{name}さんの自宅の近くを通る便を選ぶか、自力で来場の扱いにしてください"
                ),
            ));
        };
        let direction = leg.row.direction;
        // The vehicle's other runs of the day: a longer run must not overlap the next one.
        for other in &legs {
            for r in other.plan.routes.iter().filter(|r| &r.vehicle == vehicle) {
                if r == &old {
                    continue;
                }
                let theirs = (other.row.direction, r);
                if apart((direction, &old), theirs) && !apart((direction, &route), theirs) {
                    return Err(refused(
                        format!(
                            "{vehicle} would still be out on this trip when its next run starts ({}): the times would break",
                            vax_routing::clock(r.leave_garage_minute)
                        ),
                        format!(
                            "{vehicle} は次の便（{}発）までにこの便を終えられません（時刻の条件を満たせません）",
                            vax_routing::clock(r.leave_garage_minute)
                        ),
                    ));
                }
            }
        }
        let leg = &mut legs[*tgt];
        leg.plan.routes[index] = route;
        leg.plan.unserved.retain(|u| u.rider != rider.id);
        leg.plan.total_km = leg.plan.routes.iter().map(|r| r.km).sum();
        leg.plan.vehicles_used = leg.plan.routes.len();
        verify(&leg.problem, &leg.plan).map_err(|v| {
            refused(
                format!("the checker refuses the move: {v:?}"),
                format!("検査で移動が認められません: {v:?}"),
            )
        })?;
    }

    // Store the day again: every leg's outcome, the riders sent their own way, the venue's
    // share.
    let mut stored = Vec::with_capacity(legs.len());
    let mut changed = Vec::new();
    let (mut vehicle_after, mut after) = (None, None);
    for (i, leg) in legs.iter().enumerate() {
        let mut ids: HashMap<String, RowId> = leg
            .row
            .riders
            .iter()
            .map(|r| (r.rider.clone(), r.resident_id))
            .collect();
        ids.insert(rid.clone(), resident);
        let mut riders = leg_riders(&leg.problem, &leg.plan, &ids);
        riders.extend(
            leg.row
                .riders
                .iter()
                .filter(|r| r.unserved.as_deref() == Some(OWN_WAY))
                .cloned(),
        );
        if i == src && target.is_none() {
            riders.push(LegRider {
                rider: rid.clone(),
                resident_id: resident,
                ride: None,
                unserved: Some(OWN_WAY.to_owned()),
            });
        }
        for r in &riders {
            let now_at = r.ride.as_ref().map(|x| x.at_door.clone());
            if r.resident_id == resident {
                if let Some(ride) = &r.ride {
                    vehicle_after = Some(ride.vehicle.clone());
                    after = now_at.clone();
                }
                continue;
            }
            if let Some(was_at) = announced.get(&(r.resident_id, leg.row.direction)) {
                if now_at.as_ref() != Some(was_at) {
                    changed.push(AnnouncedChange {
                        resident_id: r.resident_id,
                        name: reader.resident(r.resident_id)?.resident.name,
                        direction: leg.row.direction,
                        before: was_at.clone(),
                        after: now_at,
                    });
                }
            }
        }
        stored.push(NewLeg {
            band_start: leg.row.band_start,
            band_end: leg.row.band_end,
            direction: leg.row.direction,
            observation_minutes: leg.row.observation_minutes,
            run: leg.row.run,
            problem_json: leg.problem.to_json(),
            plan_json: leg.plan.to_json(),
            riders,
        });
    }
    let mut tx = ledger.transaction()?;
    tx.replace_transport_day(venue_code, date, &now, &stored)?;
    let rides = crate::rides::ride_plan_of(&tx.reader(), venue_code, date, &stored)?;
    tx.publish_ride_plan(rides)?;
    tx.commit()?;
    Ok(RiderMoved {
        name,
        vehicle_before,
        before,
        vehicle_after,
        after,
        changed,
    })
}

/// Two runs of one vehicle are possible one after the other: the later leaves the garage
/// after the earlier is back, or it is a trip home that reaches the venue after a trip there
/// unloaded (leg-aware sharing's run from the venue).
fn apart(
    a: (LegDirection, &vax_routing::PlannedRoute),
    b: (LegDirection, &vax_routing::PlannedRoute),
) -> bool {
    let (first, next) = if a.1.leave_garage_minute <= b.1.leave_garage_minute {
        (a, b)
    } else {
        (b, a)
    };
    next.1.leave_garage_minute >= first.1.back_at_garage_minute - 1e-6
        || (first.0 == LegDirection::ToVenue
            && next.0 == LegDirection::FromVenue
            && next.1.venue_arrival_minute >= first.1.venue_departure_minute - 1e-6)
}

/// The rider's row in a stored leg.
fn on_leg(leg: &LegRow, resident: RowId) -> Option<&LegRider> {
    leg.riders.iter().find(|r| r.resident_id == resident)
}

fn direction_ja(d: LegDirection) -> &'static str {
    match d {
        LegDirection::ToVenue => "行き（会場へ）",
        LegDirection::FromVenue => "帰り（自宅へ）",
    }
}

/// A trip to the venue must have the rider off the bus by their band's start; a trip home
/// must not leave before their observation period is over.
fn check_band(
    problem: &TransportProblem,
    rider: &crate::transport::DayRider,
    name: &str,
) -> Result<(), TransportError> {
    let hhmm = |m: u32| format!("{:02}:{:02}", m / 60, m % 60);
    match problem.trip {
        Trip::ToVenue { arrive_by } if arrive_by.0 > minutes_of(rider.band_start) => {
            Err(refused(
                format!(
                    "this trip arrives by {}, after {name}'s band starts at {} (the arrival time would break)",
                    hhmm(arrive_by.0),
                    hhmm(minutes_of(rider.band_start))
                ),
                format!(
                    "この便の到着は{}で、{name}さんの予約枠の開始{}に間に合いません",
                    hhmm(arrive_by.0),
                    hhmm(minutes_of(rider.band_start))
                ),
            ))
        }
        Trip::FromVenue { ready_at } => {
            let ready = minutes_of(rider.band_end) + rider.observation;
            if ready_at.0 < ready {
                Err(refused(
                    format!(
                        "this trip home leaves from {}, before {name} is ready at {} (band end and observation)",
                        hhmm(ready_at.0),
                        hhmm(ready)
                    ),
                    format!(
                        "この帰りの便は{}発で、{name}さんの経過観察が終わる{}より前です",
                        hhmm(ready_at.0),
                        hhmm(ready)
                    ),
                ))
            } else {
                Ok(())
            }
        }
        Trip::ToVenue { .. } => Ok(()),
    }
}
