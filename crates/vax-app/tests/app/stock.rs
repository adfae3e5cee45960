//! Dose stock at the venue through the use cases: the manager's stock events, the booth
//! drawing from vials, refusals, the manager's screen and the close-out.

use chrono::NaiveDate;
use vax_app::desk::{open_lot, record_dose, DeskError, DoseOverride, Enrollment, RecordDose};
use vax_app::stock::{
    close_day, daily_stock_report, log_standby_call, manager_view, record_stock, report_bytes,
    report_csv, standby_list, venue_lots, LotCount, StockAction, StockError,
};
use vax_domain::error::UserFacing;
use vax_domain::product::SyringeKind;
use vax_domain::role::Role;
use vax_domain::stock::{CallOutcome, ClockColour, SealedState, WasteReason};
use vax_ledger::Ledger;

use crate::desk::{time, venue};

const LOT: &str = "FA5765";

fn receive(vials: u32) -> StockAction {
    StockAction::Receive {
        product: "comirnaty".into(),
        lot: LOT.into(),
        vials,
        expires_on: NaiveDate::from_ymd_opt(2021, 8, 31).unwrap(),
        from: "卸A".into(),
        thawed_use_by: None,
    }
}

fn thaw(vials: u32) -> StockAction {
    StockAction::Thaw {
        product: "comirnaty".into(),
        lot: LOT.into(),
        vials,
    }
}

/// Residents booked at V03 today (all due dose 1 in the demo city's first week).
fn booked_today(ledger: &Ledger) -> Vec<i64> {
    let d = vax_app::roster::venue_day(ledger, "V03", "2021-05-17".parse().unwrap()).unwrap();
    d.bands
        .iter()
        .flat_map(|b| b.residents.iter().map(|r| r.resident_id))
        .collect()
}

fn booth(e: &Enrollment) -> Enrollment {
    Enrollment {
        role: Role::Booth,
        ..e.clone()
    }
}

fn dose(resident_id: i64, lot_id: i64) -> RecordDose {
    RecordDose {
        resident_id,
        dose_number: 1,
        lot_id,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        override_: None,
    }
}

/// A venue with 10 frozen vials received at 07:30 and `thawed` of them thawed at 07:45, and
/// the lot opened for the booth.
fn stocked(thawed: u32) -> (Ledger, Enrollment, i64) {
    let (mut ledger, e) = venue();
    record_stock(&mut ledger, &e, &receive(10), time("07:30")).unwrap();
    if thawed > 0 {
        record_stock(&mut ledger, &e, &thaw(thawed), time("07:45")).unwrap();
    }
    let lot = open_lot(&mut ledger, &booth(&e), "comirnaty", LOT, time("08:00")).unwrap();
    (ledger, e, lot.id)
}

#[test]
fn the_booth_opens_a_vial_with_the_first_dose_and_the_next_when_it_is_empty() {
    let (mut ledger, e, lot_id) = stocked(2);
    let people = booked_today(&ledger);
    assert!(people.len() >= 7, "the demo books enough people at V03");
    for (i, id) in people.iter().take(7).enumerate() {
        let at = time(&format!("09:{:02}", i * 5));
        record_dose(&mut ledger, &booth(&e), &dose(*id, lot_id), at).unwrap();
    }
    let lots = venue_lots(&ledger, "V03", time("09:40")).unwrap();
    let lot = &lots[0];
    assert_eq!(
        lot.vials.len(),
        2,
        "six doses per vial with low-dead-space syringes"
    );
    assert_eq!((lot.vials[0].given, lot.vials[0].left()), (6, 0));
    assert_eq!((lot.vials[1].given, lot.vials[1].left()), (1, 5));
    assert_eq!(
        lot.vials[0].use_by,
        time("15:00").naive_local(),
        "6 h from 09:00"
    );
    assert_eq!((lot.frozen, lot.fridge_vials()), (8, 0));
    assert_eq!(lot.imbalance(), None);
}

#[test]
fn a_dose_from_a_vial_past_its_clock_is_refused_and_a_doctor_may_override_it() {
    let (mut ledger, e, lot_id) = stocked(1);
    let people = booked_today(&ledger);
    record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[0], lot_id),
        time("09:00"),
    )
    .unwrap();
    let err = record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[1], lot_id),
        time("15:01"),
    )
    .expect_err("the vial opened at 09:00 ran out at 15:00");
    assert!(matches!(err, DeskError::VialPastClock { .. }), "{err:?}");
    assert_eq!(err.code(), "VIAL_PAST_CLOCK");
    assert!(
        err.message_ja().contains("使用期限"),
        "{}",
        err.message_ja()
    );
    assert!(err.code().doctor_may_override());

    let mut overridden = dose(people[1], lot_id);
    overridden.override_ = Some(DoseOverride {
        doctor: "舞鶴 花子".into(),
        reason: "冷蔵庫の記録を確認済み".into(),
    });
    let done = record_dose(&mut ledger, &booth(&e), &overridden, time("15:01")).unwrap();
    assert_eq!(done.overridden, ["vial_past_clock"]);
    let lot = &venue_lots(&ledger, "V03", time("15:02")).unwrap()[0];
    assert_eq!(
        lot.vials[0].given, 2,
        "the overridden dose is tied to the vial it came from"
    );
}

#[test]
fn a_quarantined_lot_is_refused_at_the_booth() {
    let (mut ledger, e, lot_id) = stocked(2);
    record_stock(
        &mut ledger,
        &e,
        &StockAction::Quarantine {
            product: "comirnaty".into(),
            lot: LOT.into(),
            reason: "冷蔵庫 12℃ 40分".into(),
        },
        time("08:30"),
    )
    .unwrap();
    let people = booked_today(&ledger);
    let err = record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[0], lot_id),
        time("09:00"),
    )
    .expect_err("quarantined");
    assert!(matches!(err, DeskError::LotQuarantined { .. }), "{err:?}");
    assert!(err.message_ja().contains("12℃"), "{}", err.message_ja());
}

#[test]
fn with_nothing_thawed_the_booth_is_told_there_is_no_vial() {
    let (mut ledger, e, lot_id) = stocked(0);
    let people = booked_today(&ledger);
    let err = record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[0], lot_id),
        time("09:00"),
    )
    .expect_err("only frozen vials");
    assert!(matches!(err, DeskError::NoVialLeft), "{err:?}");
}

#[test]
fn stock_actions_that_take_more_than_is_on_hand_are_refused_with_the_numbers() {
    let (mut ledger, e, _) = stocked(2);
    let err = record_stock(&mut ledger, &e, &thaw(9), time("09:00")).unwrap_err();
    match &err {
        StockError::NotEnoughStock {
            wanted, on_hand, ..
        } => assert_eq!((*wanted, *on_hand), (9, 8)),
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "NOT_ENOUGH_STOCK");
    assert!(err.message_ja().contains("8本"), "{}", err.message_ja());
    let booth_err = record_stock(&mut ledger, &booth(&e), &thaw(1), time("09:00")).unwrap_err();
    assert_eq!(booth_err.code(), "ROLE_MAY_NOT");
}

#[test]
fn only_frozen_products_are_thawed() {
    let (mut ledger, e) = venue();
    let mut az = receive(4);
    if let StockAction::Receive { product, .. } = &mut az {
        *product = "vaxzevria".into();
    }
    // AstraZeneca's rules start on 2021-08-03.
    let september = |hm: &str| crate::at(&format!("2021-09-01T{hm}:00+09:00"));
    record_stock(&mut ledger, &e, &az, september("07:30")).unwrap();
    let err = record_stock(
        &mut ledger,
        &e,
        &StockAction::Thaw {
            product: "vaxzevria".into(),
            lot: LOT.into(),
            vials: 1,
        },
        september("07:40"),
    )
    .unwrap_err();
    assert!(
        err.message_ja().contains("解凍できません"),
        "{}",
        err.message_ja()
    );
}

#[test]
fn the_managers_screen_shows_vials_counting_down_and_the_forecast() {
    let (mut ledger, e, lot_id) = stocked(2);
    let people = booked_today(&ledger);
    record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[0], lot_id),
        time("09:00"),
    )
    .unwrap();
    let view = manager_view(&ledger, &e, time("14:00")).unwrap();
    let lot = &view.lots[0];
    assert_eq!(lot.frozen, 8);
    assert_eq!(lot.fridge[0].vials, 1);
    assert_eq!(lot.fridge[0].days_left, Some(29));
    let vial = &lot.vials[0];
    assert_eq!((vial.left, vial.seconds_left), (5, 3_600));
    assert_eq!(vial.colour, ClockColour::Amber, "an hour of six left");
    assert_eq!(view.forecast.doses_open, 5);
    assert_eq!(view.forecast.doses_per_next_vial, 6);
    assert_eq!(
        view.forecast.open_next_if_at_least,
        Some(5 + 6 - 2),
        "the open doses plus four people for a new vial"
    );
    assert!(!view.day.bands.is_empty());

    // The forecast counts the day band by band in SQL (`band_attendance`, what HQ's
    // dashboard reads for every venue); it must agree with the screen's own day summary.
    let venue = ledger.reader().venue(&e.venue_code).unwrap();
    let counted = ledger
        .reader()
        .band_attendance(venue.id, time("14:00").date_naive())
        .unwrap();
    let shown: Vec<_> = view
        .day
        .bands
        .iter()
        .map(|b| (b.end, b.booked, b.checked_in, b.dosed))
        .collect();
    let counted: Vec<_> = counted
        .iter()
        .map(|b| (b.end, b.booked, b.checked_in, b.dosed))
        .collect();
    assert_eq!(counted, shown);
    assert!(
        counted.iter().any(|b| b.3 == 1),
        "the dose at 09:00 is counted"
    );
}

#[test]
fn the_day_closes_only_when_the_counts_balance() {
    let (mut ledger, e, lot_id) = stocked(2);
    let people = booked_today(&ledger);
    record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[0], lot_id),
        time("09:00"),
    )
    .unwrap();
    record_stock(
        &mut ledger,
        &e,
        &StockAction::WasteVials {
            product: "comirnaty".into(),
            lot: LOT.into(),
            vials: 1,
            from: SealedState::Frozen,
            reason: WasteReason::Broken,
        },
        time("10:00"),
    )
    .unwrap();
    let count = |frozen, fridge| {
        vec![LotCount {
            product: "comirnaty".into(),
            lot: LOT.into(),
            frozen,
            fridge,
        }]
    };
    let before = venue_lots(&ledger, "V03", time("17:00")).unwrap();
    let err = close_day(&mut ledger, &e, &count(8, 1), time("17:00")).unwrap_err();
    match &err {
        StockError::Unbalanced { lots } => {
            assert_eq!(lots.len(), 1);
            let l = &lots[0];
            assert_eq!((l.expected_frozen, l.counted_frozen), (7, 8));
            assert_eq!((l.expected_fridge, l.counted_fridge), (1, 1));
        }
        other => panic!("{other:?}"),
    }
    assert_eq!(err.code(), "STOCK_UNBALANCED");
    assert!(err.message_ja().contains("冷凍7本"), "{}", err.message_ja());
    assert_eq!(
        venue_lots(&ledger, "V03", time("17:00")).unwrap(),
        before,
        "a refused close writes nothing"
    );

    let closed = close_day(&mut ledger, &e, &count(7, 1), time("17:00")).unwrap();
    let lot = &closed.lots[0];
    assert_eq!(
        lot.doses_left_at_close, 5,
        "the open vial's five doses are wasted"
    );
    assert_eq!(lot.sealed_on_hand, 8);
    let t = &lot.totals;
    // Delivered = administered + wasted + on hand, in vials and in doses.
    assert_eq!(
        t.vials_received,
        t.vials_opened + t.vials_wasted + lot.sealed_on_hand
    );
    assert_eq!(t.doses_opened, t.doses_given + t.doses_wasted);
    let after = &venue_lots(&ledger, "V03", time("17:01")).unwrap()[0];
    assert_eq!(after.doses_in_open_vials(time("17:01").naive_local()), 0);
    assert_eq!(after.closed_through, Some(time("17:00").date_naive()));
}

#[test]
fn a_mistaken_stock_record_is_voided_and_no_longer_counts() {
    let (mut ledger, e, _) = stocked(2);
    let wasted = record_stock(
        &mut ledger,
        &e,
        &StockAction::WasteVials {
            product: "comirnaty".into(),
            lot: LOT.into(),
            vials: 2,
            from: SealedState::Frozen,
            reason: WasteReason::Broken,
        },
        time("10:00"),
    )
    .unwrap();
    assert_eq!(
        venue_lots(&ledger, "V03", time("10:01")).unwrap()[0].frozen,
        6
    );
    record_stock(
        &mut ledger,
        &e,
        &StockAction::Void {
            uid: wasted.uid,
            reason: "入力ミス".into(),
        },
        time("10:02"),
    )
    .unwrap();
    assert_eq!(
        venue_lots(&ledger, "V03", time("10:03")).unwrap()[0].frozen,
        8
    );
}

#[test]
fn opening_a_vial_by_hand_starts_its_clock_from_the_product_data() {
    let (mut ledger, e, _) = stocked(1);
    let opened = record_stock(
        &mut ledger,
        &e,
        &StockAction::Open {
            product: "comirnaty".into(),
            lot: LOT.into(),
            syringe: SyringeKind::Ordinary,
        },
        time("09:00"),
    )
    .unwrap();
    assert_eq!(opened.use_by, Some(time("15:00").naive_local()));
    let lot = &venue_lots(&ledger, "V03", time("09:01")).unwrap()[0];
    assert_eq!(lot.vials[0].doses, 5, "five doses with ordinary syringes");
}

#[test]
fn hqs_daily_stock_report_gives_received_used_wasted_and_on_hand_per_venue_and_day() {
    let (mut ledger, e, lot_id) = stocked(2);
    let people = booked_today(&ledger);
    record_dose(
        &mut ledger,
        &booth(&e),
        &dose(people[0], lot_id),
        time("09:00"),
    )
    .unwrap();
    close_day(
        &mut ledger,
        &e,
        &[LotCount {
            product: "comirnaty".into(),
            lot: LOT.into(),
            frozen: 8,
            fridge: 1,
        }],
        time("17:00"),
    )
    .unwrap();
    let day: NaiveDate = "2021-05-17".parse().unwrap();
    let rows = daily_stock_report(&ledger, day, day + chrono::Days::new(1)).unwrap();
    // Golden: the day of the delivery, then a quiet day that carries the stock over.
    assert_eq!(
        report_csv(&rows),
        "日付,会場コード,ワクチン,入庫バイアル,接種回数,廃棄回数,廃棄バイアル,在庫バイアル,開封済み残回数\r\n\
         2021-05-17,V03,comirnaty,10,1,5,0,9,0\r\n\
         2021-05-18,V03,comirnaty,0,0,0,0,9,0\r\n"
    );
    let cp932 = report_bytes(&rows, true);
    let (text, _, bad) = encoding_rs::SHIFT_JIS.decode(&cp932);
    assert!(!bad);
    assert_eq!(text, report_csv(&rows), "CP932 carries the same text");
}

#[test]
fn standby_residents_are_listed_nearest_first_and_each_call_is_logged() {
    let (mut ledger, e) = venue();
    // Three residents agree to come at short notice (the survey's 直前連絡可 column).
    let ids: Vec<i64> = booked_today(&ledger).into_iter().take(3).collect();
    let tx = ledger.transaction().unwrap();
    for id in &ids {
        let r = tx.reader().resident(*id).unwrap().resident;
        tx.set_standby(&r.municipality, &r.voucher, true).unwrap();
    }
    tx.commit().unwrap();
    let list = standby_list(&ledger, &e, time("16:00")).unwrap();
    assert_eq!(list.len(), 3);
    let distances: Vec<f64> = list.iter().map(|s| s.distance_km.unwrap()).collect();
    assert!(
        distances.windows(2).all(|w| w[0] <= w[1]),
        "nearest first: {distances:?}"
    );
    assert!(list.iter().all(|s| s.dose_number == 1));

    log_standby_call(
        &mut ledger,
        &e,
        list[0].resident_id,
        CallOutcome::NotReached,
        time("16:01"),
    )
    .unwrap();
    log_standby_call(
        &mut ledger,
        &e,
        list[0].resident_id,
        CallOutcome::Coming,
        time("16:05"),
    )
    .unwrap();
    let list = standby_list(&ledger, &e, time("16:06")).unwrap();
    let outcomes: Vec<_> = list[0].calls.iter().map(|c| c.outcome).collect();
    assert_eq!(outcomes, [CallOutcome::NotReached, CallOutcome::Coming]);
    let reception = Enrollment {
        role: Role::Reception,
        ..e.clone()
    };
    assert_eq!(
        standby_list(&ledger, &reception, time("16:06"))
            .unwrap_err()
            .code(),
        "ROLE_MAY_NOT"
    );
}

/// The manager's screen reads only the lots that still matter (issue 14, speed): a lot used
/// up and closed is left out, and every lot it keeps folds to exactly what the whole
/// history gives.
#[test]
fn the_managers_screen_reads_only_live_lots_and_folds_them_as_the_whole_history_does() {
    use vax_domain::product::Catalogue;
    use vax_domain::stock::lot_states;

    let (mut ledger, e, _) = stocked(0);
    let at = |d: u32, hm: &str| super::at(&format!("2021-05-{d}T{hm}:00+09:00"));
    let action = |lot: &str, a: &str, vials: u32| -> StockAction {
        serde_json::from_value(serde_json::json!({
            "action": a, "product": "comirnaty", "lot": lot, "vials": vials,
            "expires_on": "2021-08-31", "from": "卸A", "thawed_use_by": null,
            "syringe": "low_dead_space"
        }))
        .unwrap()
    };
    // FA5765 (10 frozen): 2 thawed and opened, leftovers wasted at close: 8 frozen remain.
    record_stock(&mut ledger, &e, &action(LOT, "thaw", 2), at(17, "08:00")).unwrap();
    for _ in 0..2 {
        record_stock(&mut ledger, &e, &action(LOT, "open", 1), at(17, "09:00")).unwrap();
    }
    // EW0001: 1 vial received, opened, thrown away: used up on the 17th.
    record_stock(
        &mut ledger,
        &e,
        &action("EW0001", "receive", 1),
        at(17, "07:00"),
    )
    .unwrap();
    record_stock(
        &mut ledger,
        &e,
        &action("EW0001", "thaw", 1),
        at(17, "07:05"),
    )
    .unwrap();
    let opened = record_stock(
        &mut ledger,
        &e,
        &action("EW0001", "open", 1),
        at(17, "10:00"),
    )
    .unwrap();
    record_stock(
        &mut ledger,
        &e,
        &StockAction::WasteDoses {
            vial: opened.uid.clone(),
            doses: 6,
            reason: WasteReason::Broken,
        },
        at(17, "10:05"),
    )
    .unwrap();

    let now = at(19, "14:00");
    let reader = ledger.reader();
    let live = reader.live_stock_lots("V03", now.naive_local()).unwrap();
    assert_eq!(live, [("comirnaty".to_owned(), LOT.to_owned())]);

    let venue = reader.venue("V03").unwrap();
    let narrow = reader.live_venue_stock(venue.id, "V03", &now).unwrap();
    let full = reader.venue_stock(venue.id, "V03", &now).unwrap();
    assert!(narrow.records.len() < full.records.len());
    let catalogue = Catalogue::builtin();
    let whole = lot_states(catalogue, &full.records, &full.doses, now.naive_local());
    let kept = lot_states(catalogue, &narrow.records, &narrow.doses, now.naive_local());
    assert_eq!(kept.len(), 1);
    assert_eq!(whole.iter().find(|l| l.lot == LOT), Some(&kept[0]));
    let used_up = whole.iter().find(|l| l.lot == "EW0001").unwrap();
    assert_eq!(used_up.sealed_vials(), 0);
    assert_eq!(used_up.doses_in_open_vials(now.naive_local()), 0);

    // On the day it is opened a lot shows even once its sealed vials are gone.
    let today = at(17, "11:00");
    let live = reader.live_stock_lots("V03", today.naive_local()).unwrap();
    assert_eq!(live.len(), 2);
    let view = manager_view(&ledger, &e, now).unwrap();
    assert_eq!(view.lots.len(), 1);
    assert_eq!(view.lots[0].frozen, 8);

    // Voids take their counts back (the balance per lot follows them, migration 0014):
    // voiding EW0001's opening puts its vial back on the shelf, so the lot is live again;
    // a delivery entered by mistake and voided leaves nothing behind.
    let mistaken = record_stock(
        &mut ledger,
        &e,
        &action("MS0001", "receive", 3),
        at(18, "08:00"),
    )
    .unwrap();
    let void = |uid: String| StockAction::Void {
        uid,
        reason: "入力ミス".into(),
    };
    record_stock(&mut ledger, &e, &void(mistaken.uid), at(18, "08:01")).unwrap();
    record_stock(&mut ledger, &e, &void(opened.uid), at(18, "08:02")).unwrap();
    let live = ledger
        .reader()
        .live_stock_lots("V03", now.naive_local())
        .unwrap();
    assert_eq!(
        live,
        [
            ("comirnaty".to_owned(), "EW0001".to_owned()),
            ("comirnaty".to_owned(), LOT.to_owned())
        ]
    );
    let reader = ledger.reader();
    let narrow = reader.live_venue_stock(venue.id, "V03", &now).unwrap();
    let full = reader.venue_stock(venue.id, "V03", &now).unwrap();
    let whole = lot_states(catalogue, &full.records, &full.doses, now.naive_local());
    let kept = lot_states(catalogue, &narrow.records, &narrow.doses, now.naive_local());
    for lot in &kept {
        assert_eq!(whole.iter().find(|l| l.lot == lot.lot), Some(lot));
    }
    let left_out: Vec<_> = whole
        .iter()
        .filter(|l| !kept.iter().any(|k| k.lot == l.lot))
        .collect();
    assert!(
        left_out.iter().all(|l| l.sealed_vials() == 0),
        "{left_out:?}"
    );
}
