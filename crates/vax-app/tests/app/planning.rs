//! HQ planning on the ledger: plan both doses, preview and apply a reshuffle.

use chrono::NaiveDate;
use vax_app::calendar::{add_day, edit_bands, import_calendar, BandEdit, BandForm};
use vax_app::import::{import_register, import_survey, TextEncoding};
use vax_app::planning::{
    apply_reshuffle, parse_phases, planning_settings, preview_reshuffle, run_plan,
    save_planning_settings, PlanningError, PlanningSettings, ReshuffleRequest,
};
use vax_app::progress::NoProgress;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_planner::PlanOptions;
use vax_sync::{ReplicaId, Role as SyncRole, SyncState};

use crate::{at, now, sample};

fn day(m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, m, d).unwrap()
}

fn bands(capacity: u32) -> Vec<BandForm> {
    ["09:00", "13:00"]
        .iter()
        .map(|start| BandForm {
            start: (*start).into(),
            end: start.replace(":00", ":30"),
            capacity,
        })
        .collect()
}

/// The sample venues with two bands a day on 17–18 May and 7–8 June (dose 2, 21 days on),
/// the sample register, and the survey with preferences: two residents want the vaccine.
fn city(ledger: &mut Ledger, capacity: u32) {
    let header = "会場コード,会場名,住所,緯度,経度,種別,日付,開始,終了,定員\n";
    let venues = "V01,デモ市総合文化会館,京都府デモ市字浜2021番地,35.4741,135.3882,集団接種会場,2021-06-30,09:00,09:30,1\n\
                  C01,デモ内科クリニック,京都府デモ市字南田辺1番地,35.4431,135.3325,医療機関,2021-06-30,09:00,09:30,1\n";
    import_calendar(
        ledger,
        format!("{header}{venues}").as_bytes(),
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
    .unwrap();
    for venue in ["V01", "C01"] {
        for d in [day(5, 17), day(5, 18), day(6, 7), day(6, 8)] {
            add_day(
                ledger,
                Role::Headquarters,
                now(),
                venue,
                d,
                &bands(capacity),
            )
            .unwrap();
        }
    }
    for (file, survey) in [("register.csv", false), ("survey-preferences.csv", true)] {
        let path = sample(file);
        if survey {
            import_survey(ledger, &path, TextEncoding::Auto, now(), &mut NoProgress).unwrap();
        } else {
            import_register(ledger, &path, TextEncoding::Auto, now(), &mut NoProgress).unwrap();
        }
    }
}

/// (voucher, dose, venue, date, start) of every booking.
fn bookings(ledger: &Ledger) -> Vec<(String, u8, String, NaiveDate, String)> {
    let reader = ledger.reader();
    let mut out = Vec::new();
    for r in reader.residents_after(None, 100).unwrap() {
        for b in reader.bookings_of(r.id).unwrap() {
            out.push((
                r.resident.voucher.as_str().to_owned(),
                b.dose_number,
                b.band.venue_code.clone(),
                b.band.date,
                b.band.start.format("%H:%M").to_string(),
            ));
        }
    }
    out
}

#[test]
fn a_plan_books_both_doses_of_everyone_willing_honouring_the_survey() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger, 5);
    let report = run_plan(
        &mut ledger,
        Role::Headquarters,
        now(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(report.candidates, 2, "the two who want it");
    assert_eq!((report.residents_booked, report.doses_booked), (2, 4));
    assert!(report.unplaced.is_empty(), "{report:?}");
    let booked = bookings(&ledger);
    // 花子 asked for C01, no weekends and no evenings; 17 May 2021 is a Monday.
    let hanako: Vec<_> = booked.iter().filter(|b| b.0 == "0000100001").collect();
    assert_eq!(hanako.len(), 2);
    assert!(hanako.iter().all(|b| b.2 == "C01"), "{hanako:?}");
    let gap = hanako[1].3 - hanako[0].3;
    assert!((18..=42).contains(&gap.num_days()), "{gap}");
    assert_eq!(report.preferred_venue_share, 1.0);

    let again = run_plan(
        &mut ledger,
        Role::Headquarters,
        now(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(again.doses_booked, 0, "nobody lacks a dose any more");
    let err = run_plan(&mut ledger, Role::Reception, now(), &PlanOptions::default()).unwrap_err();
    assert_eq!(err.code(), "ROLE_MAY_NOT");
}

#[test]
fn priority_phases_are_read_checked_and_kept() {
    assert_eq!(parse_phases("65+, 基礎疾患, 全員").unwrap().len(), 3);
    assert!(parse_phases("").unwrap().is_empty());
    let err = parse_phases("65+,old").unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(err.message_ja().contains("old"));

    let mut ledger = Ledger::open_in_memory().unwrap();
    assert_eq!(
        planning_settings(&ledger).unwrap(),
        PlanningSettings::default()
    );
    let settings = PlanningSettings {
        phases: "65+,underlying,everyone".into(),
        reference_date: Some(day(4, 1)),
        max_interval_days: Some(35),
        product: "comirnaty".into(),
    };
    save_planning_settings(&mut ledger, Role::Headquarters, &settings).unwrap();
    assert_eq!(planning_settings(&ledger).unwrap(), settings);
    let bad = PlanningSettings {
        product: "nope".into(),
        ..settings.clone()
    };
    assert!(save_planning_settings(&mut ledger, Role::Headquarters, &bad).is_err());
    assert_eq!(
        planning_settings(&ledger).unwrap(),
        settings,
        "nothing stored"
    );
}

fn cut_c01_on_17_may() -> ReshuffleRequest {
    ReshuffleRequest::CutDay {
        venue: "C01".into(),
        date: day(5, 17),
    }
}

#[test]
fn a_cut_day_is_previewed_then_applied_with_the_cut_and_every_move_in_one_go() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger, 5);
    run_plan(
        &mut ledger,
        Role::Headquarters,
        now(),
        &PlanOptions::default(),
    )
    .unwrap();
    let before = bookings(&ledger);
    let on_c01_17: Vec<_> = before
        .iter()
        .filter(|b| b.2 == "C01" && b.3 == day(5, 17))
        .collect();
    assert_eq!(on_c01_17.len(), 1, "{before:?}");

    let preview = preview_reshuffle(
        &ledger,
        now(),
        &cut_c01_on_17_may(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(preview.affected, 1);
    assert!(preview.unplaced.is_empty(), "{preview:?}");
    let m = preview
        .moves
        .iter()
        .find(|m| m.dose == 1)
        .expect("dose 1 moves");
    assert_eq!(m.voucher, "0000100001");
    let from = m.from.as_ref().unwrap();
    let to = m.to.as_ref().unwrap();
    assert_eq!((from.venue_code.as_str(), from.date), ("C01", day(5, 17)));
    assert_ne!(to.date, day(5, 17), "not into the cut day");
    assert_eq!(m.shift_days, Some((to.date - from.date).num_days()));
    assert_eq!(bookings(&ledger), before, "a preview writes nothing");

    let applied = apply_reshuffle(
        &mut ledger,
        Role::Headquarters,
        now(),
        &preview,
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(
        applied.calendar.changed, 2,
        "the cut is written with the moves"
    );
    assert_eq!(applied.moved as usize, preview.moves.len());
    let after = bookings(&ledger);
    assert!(after.iter().all(|b| !(b.2 == "C01" && b.3 == day(5, 17))));
    assert_eq!(after.len(), before.len(), "nobody lost a booking");
    assert!(ledger
        .reader()
        .venue_day("C01", day(5, 17))
        .unwrap()
        .iter()
        .all(|l| l.closed));
}

#[test]
fn a_stale_preview_is_refused_and_writes_nothing() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger, 5);
    run_plan(
        &mut ledger,
        Role::Headquarters,
        now(),
        &PlanOptions::default(),
    )
    .unwrap();
    let preview = preview_reshuffle(
        &ledger,
        now(),
        &cut_c01_on_17_may(),
        &PlanOptions::default(),
    )
    .unwrap();
    // Someone else changes a capacity in between.
    let band = ledger.reader().venue_day("V01", day(6, 8)).unwrap()[0]
        .band
        .id;
    edit_bands(
        &mut ledger,
        Role::Headquarters,
        now(),
        &BandEdit::SetCapacity { band, capacity: 4 },
    )
    .unwrap();
    let before = bookings(&ledger);
    let err = apply_reshuffle(
        &mut ledger,
        Role::Headquarters,
        now(),
        &preview,
        &PlanOptions::default(),
    )
    .unwrap_err();
    assert!(matches!(err, PlanningError::StalePreview), "{err}");
    assert_eq!(err.code(), "STALE_PREVIEW");
    assert!(err.message_ja().contains("プレビュー"));
    assert_eq!(bookings(&ledger), before);
    assert!(
        ledger
            .reader()
            .venue_day("C01", day(5, 17))
            .unwrap()
            .iter()
            .all(|l| !l.closed),
        "the cut was not written either"
    );
}

#[test]
fn a_cut_already_in_the_ledger_is_reshuffled_from_the_calendar_as_it_stands() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger, 5);
    run_plan(
        &mut ledger,
        Role::Headquarters,
        now(),
        &PlanOptions::default(),
    )
    .unwrap();
    edit_bands(
        &mut ledger,
        Role::Headquarters,
        now(),
        &BandEdit::CutDay {
            venue: "C01".into(),
            date: day(5, 17),
        },
    )
    .unwrap();
    let preview = preview_reshuffle(
        &ledger,
        now(),
        &ReshuffleRequest::Calendar,
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(preview.affected, 1, "{preview:?}");
    let applied = apply_reshuffle(
        &mut ledger,
        Role::Headquarters,
        now(),
        &preview,
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(applied.calendar.changed, 0);
    assert!(applied.moved >= 1);
    assert!(bookings(&ledger)
        .iter()
        .all(|b| !(b.2 == "C01" && b.3 == day(5, 17))));
    let past = at("2021-05-18T09:00:00+09:00");
    let err = preview_reshuffle(&ledger, past, &cut_c01_on_17_may(), &PlanOptions::default())
        .unwrap_err();
    assert_eq!(err.code(), "DAY_PASSED");
}

#[test]
fn a_reshuffle_replicates_as_reshuffle_bookings_a_venue_receives() {
    let mut hq = Ledger::open_in_memory().unwrap();
    hq.start_replicating(
        ReplicaId::from_u128(1),
        SyncRole::Hq,
        &vax_sync::DeviceKey::from_bytes(&[1; 32]),
    )
    .unwrap();
    let mut venue = Ledger::open_in_memory().unwrap();
    venue
        .start_replicating(
            ReplicaId::from_u128(2),
            SyncRole::VenueManager,
            &vax_sync::DeviceKey::from_bytes(&[2; 32]),
        )
        .unwrap();
    city(&mut hq, 5);
    run_plan(&mut hq, Role::Headquarters, now(), &PlanOptions::default()).unwrap();
    let preview =
        preview_reshuffle(&hq, now(), &cut_c01_on_17_may(), &PlanOptions::default()).unwrap();
    let applied = apply_reshuffle(
        &mut hq,
        Role::Headquarters,
        now(),
        &preview,
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(
        applied.ops,
        2 + applied.moved,
        "two closed bands and the moves"
    );
    let (mut to_venue, mut to_hq) = (
        SyncState::for_peer(ReplicaId::from_u128(2)).trusting_peer_keys(),
        SyncState::for_peer(ReplicaId::from_u128(1)).trusting_peer_keys(),
    );
    for _ in 0..50 {
        let m1 = hq.sync_generate(&mut to_venue).unwrap();
        if let Some(m) = &m1 {
            venue.sync_receive(&mut to_hq, m.clone()).unwrap();
        }
        let m2 = venue.sync_generate(&mut to_hq).unwrap();
        if let Some(m) = &m2 {
            hq.sync_receive(&mut to_venue, m.clone()).unwrap();
        }
        if m1.is_none() && m2.is_none() {
            break;
        }
    }
    assert_eq!(bookings(&venue), bookings(&hq));
    assert!(venue
        .reader()
        .venue_day("C01", day(5, 17))
        .unwrap()
        .iter()
        .all(|l| l.closed));
}

/// 鈴木 陽菜 of the sample register, born 2008-05-20, made willing: 12 in May 2021, when
/// Comirnaty was approved from 16; from 1 June from 12.
fn with_a_twelve_year_old(ledger: &mut Ledger) -> i64 {
    let survey = "市町村コード,券番号,接種意向,送迎,アナフィラキシー歴,回答日,希望会場,希望地区,避けたい曜日,避けたい時間帯,基礎疾患\n\
                  262021,0000100015,希望する,なし,なし,2021-04-22,,,,,なし\n";
    vax_app::import::import_survey_bytes(
        ledger,
        survey.as_bytes(),
        TextEncoding::Auto,
        now(),
        &mut NoProgress,
    )
    .unwrap();
    let reader = ledger.reader();
    reader
        .residents_after(None, 100)
        .unwrap()
        .into_iter()
        .find(|r| r.resident.voucher.as_str() == "0000100015")
        .unwrap()
        .id
}

#[test]
fn a_plan_books_a_twelve_year_old_no_earlier_than_the_product_allows_and_so_do_the_offers() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger, 5);
    let hina = with_a_twelve_year_old(&mut ledger);
    let report = run_plan(
        &mut ledger,
        Role::Headquarters,
        now(),
        &PlanOptions::default(),
    )
    .unwrap();
    assert_eq!(report.candidates, 3);
    assert!(report.unplaced.is_empty(), "{report:?}");
    let booked = bookings(&ledger);
    let theirs: Vec<_> = booked.iter().filter(|b| b.0 == "0000100015").collect();
    assert_eq!(theirs.len(), 2, "{booked:?}");
    // 17 and 18 May have room, but she is below 16 then: dose 1 on 7 or 8 June, dose 2 on
    // 30 June (the only band within the interval window).
    assert!(theirs[0].3 >= day(6, 1), "{theirs:?}");
    assert_eq!(theirs[1].3, day(6, 30));
    // The others still take 17 May.
    assert!(booked.iter().any(|b| b.1 == 1 && b.3 == day(5, 17)));

    // The call centre is offered no day before 1 June for her either.
    let offers = vax_app::callcentre::rebook_offers(&ledger, hina, day(5, 10)).unwrap();
    assert!(!offers.is_empty());
    assert!(offers.iter().all(|o| o.date >= day(6, 1)), "{offers:?}");
}

#[test]
fn a_resident_too_young_on_every_day_with_room_is_reported_in_words() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    city(&mut ledger, 5);
    with_a_twelve_year_old(&mut ledger);
    // Spikevax: 18 and over until 3 August 2021; every band here is earlier.
    let settings = PlanningSettings {
        product: "spikevax".into(),
        ..planning_settings(&ledger).unwrap()
    };
    save_planning_settings(&mut ledger, Role::Headquarters, &settings).unwrap();
    // Spikevax's rules start on 21 May 2021.
    let report = run_plan(
        &mut ledger,
        Role::Headquarters,
        at("2021-05-21T09:00:00+09:00"),
        &PlanOptions::default(),
    )
    .unwrap();
    let reason = report
        .unplaced
        .iter()
        .find(|r| r.code == "below_minimum_age")
        .unwrap_or_else(|| panic!("{report:?}"));
    assert_eq!(reason.residents, 1);
    assert!(reason.ja.contains("接種対象年齢"), "{}", reason.ja);
    assert!(reason.en.contains("too young"), "{}", reason.en);
}
