//! Each clock and count rule against the dated product data (`data/products.toml`).

use super::*;

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M").unwrap()
}

fn day(s: &str) -> NaiveDate {
    s.parse().unwrap()
}

fn cat() -> &'static Catalogue {
    Catalogue::builtin()
}

fn event(id: &str, when: &str, change: StockChange) -> StockRecord {
    StockRecord {
        id: id.into(),
        at: at(when),
        product: "comirnaty".into(),
        lot: "FA1234".into(),
        change,
        voided: false,
    }
}

fn dose(vial: &str, when: &str) -> DoseUse {
    DoseUse {
        product: "comirnaty".into(),
        lot: "FA1234".into(),
        vial: Some(vial.into()),
        at: at(when),
        count: 1,
    }
}

#[test]
fn pfizer_thawed_clock_is_5_days_in_spring_2021_and_30_days_after_the_extension() {
    let spring = thawed_use_by(
        cat(),
        "comirnaty",
        at("2021-04-01 10:00"),
        day("2021-12-31"),
    );
    assert_eq!(spring, Ok(at("2021-04-06 10:00")));
    let summer = thawed_use_by(
        cat(),
        "comirnaty",
        at("2021-07-01 10:00"),
        day("2021-12-31"),
    );
    assert_eq!(summer, Ok(at("2021-07-31 10:00")));
}

#[test]
fn a_thawed_clock_never_runs_past_the_lot_expiry_date() {
    let capped = thawed_use_by(
        cat(),
        "comirnaty",
        at("2021-07-01 10:00"),
        day("2021-07-10"),
    );
    assert_eq!(capped, Ok(at("2021-07-10 23:59") + Duration::seconds(59)));
}

#[test]
fn only_frozen_products_are_thawed() {
    assert_eq!(
        thawed_use_by(
            cat(),
            "vaxzevria",
            at("2021-09-01 10:00"),
            day("2022-01-01")
        ),
        Err(ClockError::NotFrozen("vaxzevria".into()))
    );
}

#[test]
fn an_opened_pfizer_vial_keeps_6_hours_and_gives_6_doses_with_low_dead_space_syringes() {
    let open = |syringe| {
        opened_vial(
            cat(),
            "comirnaty",
            at("2021-07-01 09:00"),
            syringe,
            Some(at("2021-07-20 09:00")),
            day("2021-12-31"),
        )
    };
    assert_eq!(
        open(SyringeKind::LowDeadSpace),
        Ok((at("2021-07-01 15:00"), 6))
    );
    assert_eq!(open(SyringeKind::Ordinary), Ok((at("2021-07-01 15:00"), 5)));
}

#[test]
fn an_opened_vial_keeps_no_longer_than_its_thawed_clock() {
    let opened = opened_vial(
        cat(),
        "comirnaty",
        at("2021-07-01 09:00"),
        SyringeKind::LowDeadSpace,
        Some(at("2021-07-01 11:30")),
        day("2021-12-31"),
    );
    assert_eq!(opened, Ok((at("2021-07-01 11:30"), 6)));
}

#[test]
fn an_opened_moderna_vial_keeps_12_hours_and_gives_10_doses() {
    let opened = opened_vial(
        cat(),
        "spikevax",
        at("2021-06-01 08:00"),
        SyringeKind::Ordinary,
        None,
        day("2021-12-31"),
    );
    assert_eq!(opened, Ok((at("2021-06-01 20:00"), 10)));
}

#[test]
fn a_product_before_its_first_rules_has_no_clock() {
    let err = opened_vial(
        cat(),
        "spikevax",
        at("2021-05-01 08:00"),
        SyringeKind::Ordinary,
        None,
        day("2021-12-31"),
    );
    assert!(matches!(err, Err(ClockError::NoRules(_))), "{err:?}");
}

/// A day at a venue: 10 frozen vials in, 3 thawed, one opened, four given, one drawn and not
/// given, one broken in the freezer.
fn a_day() -> (Vec<StockRecord>, Vec<DoseUse>) {
    let events = vec![
        event(
            "r#1",
            "2021-07-01 08:00",
            StockChange::Received {
                vials: 10,
                expires_on: day("2021-12-31"),
                from: "卸A".into(),
                thawed_use_by: None,
            },
        ),
        event(
            "r#2",
            "2021-07-01 08:10",
            StockChange::Thawed {
                vials: 3,
                use_by: at("2021-07-31 08:10"),
            },
        ),
        event(
            "r#3",
            "2021-07-01 09:00",
            StockChange::Opened {
                use_by: at("2021-07-01 15:00"),
                doses: 6,
                syringe: SyringeKind::LowDeadSpace,
            },
        ),
        event(
            "r#4",
            "2021-07-01 09:30",
            StockChange::DosesWasted {
                vial: "r#3".into(),
                doses: 1,
                reason: WasteReason::DrawnNotGiven,
            },
        ),
        event(
            "r#5",
            "2021-07-01 10:00",
            StockChange::VialsWasted {
                vials: 1,
                from: SealedState::Frozen,
                reason: WasteReason::Broken,
            },
        ),
    ];
    let doses = ["09:05", "09:10", "09:20", "09:40"]
        .iter()
        .map(|t| dose("r#3", &format!("2021-07-01 {t}")))
        .collect();
    (events, doses)
}

#[test]
fn the_state_of_a_lot_counts_sealed_vials_and_the_doses_of_each_open_vial() {
    let (events, doses) = a_day();
    let lots = lot_states(cat(), &events, &doses, at("2021-07-01 11:00"));
    assert_eq!(lots.len(), 1);
    let lot = &lots[0];
    assert_eq!(lot.frozen, 6, "10 in, 3 thawed, 1 broken");
    assert_eq!(lot.fridge_vials(), 2, "3 thawed, 1 opened");
    assert_eq!(lot.vials.len(), 1);
    let vial = &lot.vials[0];
    assert_eq!((vial.given, vial.wasted, vial.left()), (4, 1, 1));
    assert_eq!(lot.doses_in_open_vials(at("2021-07-01 11:00")), 1);
    assert_eq!(
        lot.vial_to_draw(at("2021-07-01 11:00"))
            .map(|v| v.id.as_str()),
        Some("r#3")
    );
    assert_eq!(lot.imbalance(), None);
    assert_eq!(lot.totals.vials_received, 10);
    assert_eq!(lot.totals.doses_given, 4);
    assert_eq!(lot.totals.doses_wasted, 1);
    assert_eq!(lot.expires_on, Some(day("2021-12-31")));
}

#[test]
fn a_vial_past_its_clock_gives_no_dose_and_its_doses_no_longer_count_as_open() {
    let (events, doses) = a_day();
    let now = at("2021-07-01 15:01");
    let lot = &lot_states(cat(), &events, &doses, now)[0];
    assert!(lot.vials[0].expired_at(now));
    assert_eq!(lot.vial_to_draw(now), None);
    assert_eq!(lot.doses_in_open_vials(now), 0);
}

#[test]
fn the_state_at_an_instant_leaves_out_later_and_voided_events_and_ignores_input_order() {
    let (mut events, doses) = a_day();
    let before_open = lot_states(cat(), &events, &doses, at("2021-07-01 08:30"));
    assert_eq!(before_open[0].vials.len(), 0);
    assert_eq!(before_open[0].fridge_vials(), 3);

    events.reverse();
    let mut reversed_doses = doses.clone();
    reversed_doses.reverse();
    assert_eq!(
        lot_states(cat(), &events, &reversed_doses, at("2021-07-01 11:00")),
        lot_states(cat(), &a_day().0, &doses, at("2021-07-01 11:00"))
    );

    // Voiding the broken vial puts it back in the freezer.
    for e in &mut events {
        if e.id == "r#5" {
            e.voided = true;
        }
    }
    assert_eq!(
        lot_states(cat(), &events, &doses, at("2021-07-01 11:00"))[0].frozen,
        7
    );
}

#[test]
fn the_fridge_gives_the_vial_with_the_earliest_clock_first() {
    let mut events = a_day().0;
    events.truncate(2); // received 10, thawed 3 with a clock to 07-31
    events.push(event(
        "r#6",
        "2021-07-01 08:20",
        StockChange::Received {
            vials: 2,
            expires_on: day("2021-12-31"),
            from: "V02".into(),
            thawed_use_by: Some(at("2021-07-05 12:00")),
        },
    ));
    let now = at("2021-07-01 09:00");
    let lot = &lot_states(cat(), &events, &[], now)[0];
    assert_eq!(
        lot.fridge,
        vec![
            FridgeBatch {
                vials: 2,
                use_by: Some(at("2021-07-05 12:00"))
            },
            FridgeBatch {
                vials: 3,
                use_by: Some(at("2021-07-31 08:10"))
            },
        ]
    );
    assert_eq!(
        lot.next_fridge_vial(now).and_then(|b| b.use_by),
        Some(at("2021-07-05 12:00"))
    );
    events.push(event(
        "r#7",
        "2021-07-01 09:00",
        StockChange::Opened {
            use_by: at("2021-07-01 15:00"),
            doses: 6,
            syringe: SyringeKind::LowDeadSpace,
        },
    ));
    let lot = &lot_states(cat(), &events, &[], now)[0];
    assert_eq!(
        lot.fridge[0].vials, 1,
        "the transferred, earlier-expiring vial was opened"
    );
    // Past the early batch's clock the next vial comes from the later one.
    assert_eq!(
        lot.next_fridge_vial(at("2021-07-06 09:00"))
            .and_then(|b| b.use_by),
        Some(at("2021-07-31 08:10"))
    );
}

#[test]
fn a_product_kept_cold_arrives_in_the_fridge_with_no_thawed_clock() {
    let events = vec![StockRecord {
        product: "vaxzevria".into(),
        ..event(
            "r#1",
            "2021-09-01 08:00",
            StockChange::Received {
                vials: 4,
                expires_on: day("2021-12-31"),
                from: "卸A".into(),
                thawed_use_by: None,
            },
        )
    }];
    let lot = &lot_states(cat(), &events, &[], at("2021-09-01 09:00"))[0];
    assert_eq!(lot.frozen, 0);
    assert_eq!(
        lot.fridge,
        vec![FridgeBatch {
            vials: 4,
            use_by: None
        }]
    );
}

#[test]
fn transfers_and_corrections_move_sealed_counts_and_balance() {
    let mut events = a_day().0;
    events.push(event(
        "r#8",
        "2021-07-01 12:00",
        StockChange::TransferredOut {
            vials: 2,
            from: SealedState::Frozen,
            to: "V02".into(),
        },
    ));
    events.push(event(
        "r#9",
        "2021-07-01 12:05",
        StockChange::Corrected {
            vials: -1,
            state: SealedState::Fridge,
            reason: "count at noon".into(),
        },
    ));
    let lot = &lot_states(cat(), &events, &a_day().1, at("2021-07-01 13:00"))[0];
    assert_eq!((lot.frozen, lot.fridge_vials()), (4, 1));
    assert_eq!(lot.totals.vials_transferred_out, 2);
    assert_eq!(lot.totals.vials_corrected, -1);
    assert_eq!(lot.imbalance(), None);
}

#[test]
fn taking_more_vials_than_are_on_hand_or_more_doses_than_a_vial_holds_is_an_imbalance() {
    let mut events = a_day().0;
    events.push(event(
        "r#8",
        "2021-07-01 12:00",
        StockChange::VialsWasted {
            vials: 3,
            from: SealedState::Fridge,
            reason: WasteReason::ClockExpired,
        },
    ));
    let lot = &lot_states(cat(), &events, &a_day().1, at("2021-07-01 13:00"))[0];
    assert_eq!(
        lot.imbalance(),
        Some(Imbalance::NegativeSealed {
            frozen: 6,
            fridge: -1
        })
    );

    let mut doses = a_day().1;
    doses.push(dose("r#3", "2021-07-01 10:00"));
    doses.push(dose("r#3", "2021-07-01 10:05"));
    let lot = &lot_states(cat(), &a_day().0, &doses, at("2021-07-01 13:00"))[0];
    assert_eq!(
        lot.imbalance(),
        Some(Imbalance::OverdrawnVial {
            vial: "r#3".into(),
            doses: 6,
            given: 6,
            wasted: 1
        })
    );
}

#[test]
fn a_quarantine_marks_the_lot_with_its_reason() {
    let mut events = a_day().0;
    events.push(event(
        "r#8",
        "2021-07-01 12:00",
        StockChange::Quarantined {
            reason: "logger 12 °C for 40 min".into(),
        },
    ));
    let lot = &lot_states(cat(), &events, &[], at("2021-07-01 13:00"))[0];
    assert_eq!(lot.quarantined.as_deref(), Some("logger 12 °C for 40 min"));
}

#[test]
fn a_6_hour_vial_turns_amber_at_90_minutes_and_red_at_36_minutes() {
    let total = Duration::hours(6);
    let use_by = at("2021-07-01 15:00");
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-01 13:29")),
        ClockColour::Green
    );
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-01 13:30")),
        ClockColour::Amber
    );
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-01 14:23")),
        ClockColour::Amber
    );
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-01 14:24")),
        ClockColour::Red
    );
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-01 16:00")),
        ClockColour::Red
    );
}

#[test]
fn a_30_day_fridge_clock_turns_amber_at_7_and_a_half_days_and_red_at_3_days() {
    let total = Duration::days(30);
    let use_by = at("2021-07-31 08:00");
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-23 07:59")),
        ClockColour::Green
    );
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-23 20:00")),
        ClockColour::Amber
    );
    assert_eq!(
        clock_colour(total, use_by, at("2021-07-28 08:00")),
        ClockColour::Red
    );
}

#[test]
fn no_show_rate_is_the_share_of_past_bookings_that_did_not_come() {
    assert_eq!(no_show_rate(0, 0), None);
    assert_eq!(no_show_rate(40, 36), Some(0.1));
    assert_eq!(
        no_show_rate(10, 12),
        Some(0.0),
        "walk-ins do not make it negative"
    );
}

#[test]
fn forecast_20_still_booked_at_10_percent_no_shows_against_24_open_doses_leaves_6() {
    // 20 × 0.9 = 18 expected; 24 − 18 = 6 left at close.
    let f = leftover_forecast(20, 0.1, 24, Some(6), 2);
    assert!((f.expected - 18.0).abs() < 1e-9);
    assert_eq!(f.leftover_at_close, 6);
    // Opening a 6-dose vial is worth it only if 4 people use it (2 wasted at most), beyond
    // the 24 open doses: 28 more people.
    assert_eq!(f.open_next_if_at_least, Some(28));
}

#[test]
fn forecast_with_more_people_than_open_doses_leaves_nothing() {
    // 30 × (1 − 0.2) = 24 expected against 11 open doses.
    let f = leftover_forecast(30, 0.2, 11, Some(5), 0);
    assert_eq!(f.leftover_at_close, 0);
    assert_eq!(
        f.open_next_if_at_least,
        Some(16),
        "no waste accepted: a full vial"
    );
}

#[test]
fn forecast_rounds_to_whole_doses_and_needs_a_sealed_vial_to_advise_opening() {
    // 7 × (1 − 1/3) = 4.67 expected; 6 − 4.67 = 1.33 → 1 left.
    let f = leftover_forecast(7, 1.0 / 3.0, 6, None, 2);
    assert_eq!(f.leftover_at_close, 1);
    assert_eq!(f.open_next_if_at_least, None);
    // A policy that accepts a whole vial of waste still needs one person.
    let f = leftover_forecast(0, 0.0, 0, Some(6), 10);
    assert_eq!(f.open_next_if_at_least, Some(1));
}

#[test]
fn stock_changes_round_trip_through_json_with_stable_tags() {
    let (events, _) = a_day();
    for e in &events {
        let json = serde_json::to_string(&e.change).unwrap();
        assert_eq!(
            serde_json::from_str::<StockChange>(&json).unwrap(),
            e.change
        );
    }
    let json = serde_json::to_string(&events[3].change).unwrap();
    assert_eq!(
        json,
        r#"{"change":"doses_wasted","vial":"r#3","doses":1,"reason":"drawn_not_given"}"#
    );
}
