//! HQ's deliveries per venue day (docs/planning.md "Dose supply (deliveries)"): entered,
//! shown on the calendar, honoured by the planner, re-seated by the reshuffle when lowered,
//! HQ only, replicated to the venue.

use chrono::NaiveDate;
use vax_app::calendar::{calendar_view, import_calendar};
use vax_app::import::{import_register_bytes, import_survey_bytes, TextEncoding};
use vax_app::planning::{
    apply_reshuffle, preview_reshuffle, run_plan, PlanningError, ReshuffleRequest,
};
use vax_app::progress::NoProgress;
use vax_app::supply::{set_supply, supply_reshuffle};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_planner::PlanOptions;
use vax_sync::Role as SyncRole;

use crate::calendar::{replica, sync};
use crate::{at, now};

/// Comirnaty with the venues' low-dead-space syringes.
const DOSES_PER_VIAL: u32 = 6;
const RESIDENTS: u32 = 12;

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, m, d).unwrap()
}

/// One venue, V01, with two bands of 10 places on 17–18 May (dose 1) and 7–8 June (dose 2,
/// 21 days on), and twelve residents living beside it who all want the vaccine: with no
/// delivery entered, everyone would take dose 1 on 17 May.
fn city(ledger: &mut Ledger) {
    let mut calendar = String::from("会場コード,会場名,住所,緯度,経度,種別,日付,開始,終了,定員\n");
    for d in [day(5, 17), day(5, 18), day(6, 7), day(6, 8)] {
        for (start, end) in [("09:00", "09:30"), ("13:00", "13:30")] {
            calendar.push_str(&format!(
                "V01,デモ市総合文化会館,京都府デモ市字浜2021番地,35.4741,135.3882,集団接種会場,{d},{start},{end},10\n"
            ));
        }
    }
    import_calendar(
        ledger,
        calendar.as_bytes(),
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
    .unwrap();
    let mut register =
        String::from("市町村コード,券番号,氏名,氏名カナ,生年月日,性別,住所,地区,緯度,経度\n");
    let mut survey = String::from("市町村コード,券番号,接種意向\n");
    for n in 1..=RESIDENTS {
        register.push_str(&format!(
            "262021,{:010},浜 太郎{n},ハマ タロウ,1950-01-{n:02},男,京都府デモ市字浜{n}番地,東舞鶴,35.4741,135.3882\n",
            200_000 + n
        ));
        survey.push_str(&format!("262021,{:010},希望する\n", 200_000 + n));
    }
    import_register_bytes(
        ledger,
        register.as_bytes(),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    import_survey_bytes(
        ledger,
        survey.as_bytes(),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
}

/// Bookings per (day, dose).
fn booked_on(ledger: &Ledger, date: NaiveDate) -> u32 {
    ledger
        .reader()
        .venue_day("V01", date)
        .unwrap()
        .iter()
        .map(|l| l.booked)
        .sum()
}

/// Residents holding both doses.
fn fully_booked(ledger: &Ledger) -> usize {
    let reader = ledger.reader();
    reader
        .residents_after(None, 100)
        .unwrap()
        .iter()
        .filter(|r| reader.bookings_of(r.id).unwrap().len() == 2)
        .count()
}

fn plan(ledger: &mut Ledger) -> vax_app::planning::PlanReport {
    run_plan(ledger, Role::Headquarters, now(), &PlanOptions::default()).unwrap()
}

#[test]
fn the_planner_never_books_more_than_a_days_delivered_doses() {
    // Without a delivery the first day takes everyone: the limit below is what binds.
    let mut unlimited = Ledger::open_in_memory().unwrap();
    city(&mut unlimited);
    plan(&mut unlimited);
    assert!(
        booked_on(&unlimited, day(5, 17)) > DOSES_PER_VIAL,
        "{}",
        booked_on(&unlimited, day(5, 17))
    );

    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger);
    let report = set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 17),
        Some(1),
    )
    .unwrap();
    assert!(report.changed);
    assert_eq!(report.reshuffle, None, "nothing booked yet");
    // Nothing at all on 18 May: no booking possible that day.
    set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 18),
        Some(0),
    )
    .unwrap();
    let r = plan(&mut ledger);
    assert_eq!(
        booked_on(&ledger, day(5, 17)),
        DOSES_PER_VIAL,
        "one vial's doses"
    );
    assert_eq!(booked_on(&ledger, day(5, 18)), 0, "nothing delivered");
    assert_eq!(r.residents_booked as u32, DOSES_PER_VIAL);
    let reason = r.unplaced.iter().map(|u| u.residents).sum::<u64>();
    assert_eq!(reason as u32, RESIDENTS - DOSES_PER_VIAL, "{r:?}");

    // Removing an entry lifts the limit: the rest take 18 May.
    let cleared = set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 18),
        None,
    )
    .unwrap();
    assert_eq!(cleared.supply, None);
    plan(&mut ledger);
    assert_eq!(booked_on(&ledger, day(5, 17)), DOSES_PER_VIAL);
    assert_eq!(booked_on(&ledger, day(5, 18)), RESIDENTS - DOSES_PER_VIAL);
    assert_eq!(fully_booked(&ledger), RESIDENTS as usize);
}

#[test]
fn the_calendar_shows_each_delivery_with_its_doses_and_bookings() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger);
    set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(6, 7),
        Some(2),
    )
    .unwrap();
    plan(&mut ledger);
    let view = calendar_view(&ledger, day(6, 7), 2, now()).unwrap();
    assert_eq!(view.supply.len(), 1, "{:?}", view.supply);
    let s = &view.supply[0];
    assert_eq!(
        (s.venue_code.as_str(), s.date, s.product.as_str(), s.vials),
        ("V01", day(6, 7), "comirnaty", 2)
    );
    assert_eq!(s.doses, 2 * DOSES_PER_VIAL);
    assert_eq!(s.booked, booked_on(&ledger, day(6, 7)));
    assert!(s.booked <= s.doses && s.over == 0 && !s.past);
    assert!(
        calendar_view(&ledger, day(5, 17), 2, now())
            .unwrap()
            .supply
            .is_empty(),
        "only the days shown"
    );
    let later = calendar_view(&ledger, day(6, 7), 1, at("2021-06-08T09:00:00+09:00")).unwrap();
    assert!(later.supply[0].past);
}

#[test]
fn a_delivery_lowered_below_its_bookings_says_so_and_the_reshuffle_re_seats_the_overflow() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger);
    plan(&mut ledger);
    let held = booked_on(&ledger, day(5, 17));
    assert!(held > DOSES_PER_VIAL, "{held}");

    let report = set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 17),
        Some(1),
    )
    .unwrap();
    assert_eq!(report.booked, held);
    assert_eq!(report.over, held - DOSES_PER_VIAL);
    assert_eq!(booked_on(&ledger, day(5, 17)), held, "nobody moved yet");
    let request = report.reshuffle.expect("the reshuffle to run");
    assert_eq!(
        request,
        ReshuffleRequest::SupplyDrop {
            venue: "V01".into(),
            from: day(5, 17),
            to: day(5, 17),
            doses_per_day: DOSES_PER_VIAL,
        }
    );
    assert_eq!(
        supply_reshuffle(&ledger, "V01", day(5, 17)).unwrap(),
        request,
        "the same request from the ledger (`vaxhq reshuffle preview supply`)"
    );

    let options = PlanOptions::default();
    let preview = preview_reshuffle(&ledger, now(), &request, &options).unwrap();
    let off_the_day = preview
        .moves
        .iter()
        .filter(|m| m.from.as_ref().is_some_and(|f| f.date == day(5, 17)))
        .count();
    assert_eq!(off_the_day as u32, held - DOSES_PER_VIAL, "{preview:?}");
    assert!(preview.unplaced.is_empty(), "18 May has room: {preview:?}");
    assert!(preview
        .moves
        .iter()
        .all(|m| m.to.as_ref().is_some_and(|t| t.date != day(5, 17))));

    // A delivery changed after the preview makes it stale.
    set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(6, 8),
        Some(3),
    )
    .unwrap();
    let err =
        apply_reshuffle(&mut ledger, Role::Headquarters, now(), &preview, &options).unwrap_err();
    assert!(matches!(err, PlanningError::StalePreview), "{err}");
    set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(6, 8),
        None,
    )
    .unwrap();

    let preview = preview_reshuffle(&ledger, now(), &request, &options).unwrap();
    let applied =
        apply_reshuffle(&mut ledger, Role::Headquarters, now(), &preview, &options).unwrap();
    assert_eq!(applied.cancelled, 0);
    assert_eq!(booked_on(&ledger, day(5, 17)), DOSES_PER_VIAL);
    assert_eq!(
        fully_booked(&ledger),
        RESIDENTS as usize,
        "everyone re-seated"
    );
    let view = calendar_view(&ledger, day(5, 17), 1, now()).unwrap();
    assert_eq!((view.supply[0].booked, view.supply[0].over), (6, 0));

    // Raising it again needs no reshuffle.
    let raised = set_supply(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 17),
        Some(3),
    )
    .unwrap();
    assert_eq!((raised.over, raised.reshuffle), (0, None));
}

#[test]
fn only_hq_enters_deliveries_for_a_known_venue_a_day_to_come_and_a_sane_count() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger);
    let try_set = |ledger: &mut Ledger, role, venue: &str, date, vials| {
        set_supply(ledger, role, now(), venue, date, vials).unwrap_err()
    };
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
    ] {
        let err = try_set(&mut ledger, role, "V01", day(5, 17), Some(1));
        assert_eq!(err.code(), "ROLE_MAY_NOT", "{role:?}");
        assert!(err.message_ja().contains("本部"), "{}", err.message_ja());
    }
    let err = try_set(&mut ledger, Role::Headquarters, "V01", day(4, 30), Some(1));
    assert_eq!(err.code(), "DAY_PASSED");
    assert!(err.message_ja().contains("納品数"), "{}", err.message_ja());
    let err = try_set(&mut ledger, Role::Headquarters, "V09", day(5, 17), Some(1));
    assert_eq!(err.code(), "NOT_FOUND", "{err}");
    let err = try_set(
        &mut ledger,
        Role::Headquarters,
        "V01",
        day(5, 17),
        Some(vax_sync::MAX_VIALS_PER_DAY + 1),
    );
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(err.message_ja().contains("多すぎ"), "{}", err.message_ja());
    assert!(
        ledger.reader().supplies().unwrap().is_empty(),
        "nothing was written"
    );
}

#[test]
fn a_delivery_reaches_the_venue_and_its_calendar() {
    let mut hq = replica(1, SyncRole::Hq);
    let mut venue = replica(2, SyncRole::VenueManager);
    city(&mut hq);
    let report = set_supply(
        &mut hq,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 17),
        Some(4),
    )
    .unwrap();
    assert_eq!(report.ops, 1);
    let again = set_supply(
        &mut hq,
        Role::Headquarters,
        now(),
        "V01",
        day(5, 17),
        Some(4),
    )
    .unwrap();
    assert_eq!(
        (again.changed, again.ops),
        (false, 0),
        "nothing new to send"
    );
    let sent = sync(&mut hq, &mut venue);
    assert_eq!(
        sent.iter().filter(|k| **k == "define_supply").count(),
        1,
        "{sent:?}"
    );
    let view = calendar_view(&venue, day(5, 17), 1, now()).unwrap();
    assert_eq!(view.supply.len(), 1);
    assert_eq!(
        (view.supply[0].vials, view.supply[0].doses),
        (4, 4 * DOSES_PER_VIAL)
    );

    set_supply(&mut hq, Role::Headquarters, now(), "V01", day(5, 17), None).unwrap();
    assert_eq!(sync(&mut hq, &mut venue), ["define_supply"]);
    assert!(venue.reader().supplies().unwrap().is_empty());
}
