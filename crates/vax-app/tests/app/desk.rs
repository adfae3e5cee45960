//! The venue kiosk's rules, through the use cases the Tauri commands call.

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_app::demo::load_demo_city;
use vax_app::desk::{
    booth_queue, cancel_check_in, check_in, desk_find, enroll, enroll_here, enrollment,
    observations, open_lot, record_dose, venue_day_summary, DeskError, DoseOverride, Enrollment,
    RecordDose, Warning,
};
use vax_app::lookup::Query;
use vax_app::progress::NoProgress;
use vax_demo::DemoParams;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::Ledger;

use crate::at;

const DAY: &str = "2021-05-17";

fn day() -> NaiveDate {
    DAY.parse().unwrap()
}

pub(crate) fn time(hm: &str) -> DateTime<FixedOffset> {
    at(&format!("{DAY}T{hm}:00+09:00"))
}

/// A small demo city, enrolled as the manager of venue V03.
pub(crate) fn venue() -> (Ledger, Enrollment) {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let params = DemoParams {
        residents: 1_500,
        start: day(),
        ..DemoParams::default()
    };
    load_demo_city(&mut ledger, &params, time("07:00"), &mut NoProgress).unwrap();
    let e = enroll(
        &mut ledger,
        "V03",
        Role::VenueManager,
        &MunicipalityCode::parse("262021").unwrap(),
    )
    .unwrap();
    (ledger, e)
}

/// The voucher line of someone booked at V03 in the 9:00 band today, and their row id.
pub(crate) fn booked_at_nine(ledger: &Ledger) -> (String, i64) {
    let d = vax_app::roster::venue_day(ledger, "V03", day()).unwrap();
    let r = &d.bands[0].residents[0];
    (format!("11262021{}", r.voucher), r.resident_id)
}

/// Dose `dose_number` for `resident_id` from `lot_id`, given by 舞鶴 太郎 in the left arm,
/// with no override.
fn dose_by_taro(resident_id: i64, dose_number: u8, lot_id: i64) -> RecordDose {
    RecordDose {
        resident_id,
        dose_number,
        lot_id,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        override_: None,
    }
}

#[test]
fn enrollment_is_kept_in_the_ledger() {
    let (ledger, e) = venue();
    assert_eq!(
        enrollment(&ledger).unwrap(),
        Some(e),
        "the enrollment reads back"
    );
    let mut other = Ledger::open_in_memory().unwrap();
    assert_eq!(
        enrollment(&other).unwrap(),
        None,
        "a new ledger is not enrolled"
    );
    assert!(
        enroll(
            &mut other,
            "V03",
            Role::Reception,
            &MunicipalityCode::parse("262021").unwrap()
        )
        .is_err(),
        "enrolling to an unknown venue is refused"
    );
}

#[test]
fn an_enrolled_kiosk_cannot_make_itself_headquarters_from_its_setup_screen() {
    let (mut ledger, e) = venue();
    ledger
        .start_replicating(
            vax_sync::ReplicaId::from_u128(7),
            vax_sync::Role::Booth,
            &vax_sync::DeviceKey::from_bytes(&[7; 32]),
        )
        .unwrap();
    let err = enroll_here(&mut ledger, &e.venue_code, Role::Headquarters)
        .expect_err("a replicating kiosk's role is HQ's to set");
    assert_eq!(err.code(), "ROLE_MAY_NOT");
    assert!(err.message_ja().contains("本部"), "{}", err.message_ja());
    assert_eq!(
        enrollment(&ledger).unwrap(),
        Some(e),
        "the enrollment is unchanged"
    );
}

#[test]
fn a_resident_booked_here_now_shows_no_warning_and_checks_in_once() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let cards = desk_find(
        &mut ledger,
        &e,
        &Query::Voucher(line.clone()),
        time("09:05"),
    )
    .unwrap();
    assert_eq!(cards.len(), 1);
    let due_warnings: Vec<_> = cards[0]
        .warnings
        .iter()
        .filter(|w| !matches!(w, Warning::AnaphylaxisHistory | Warning::NeedsTransport))
        .collect();
    assert!(
        due_warnings.is_empty(),
        "booked here today: {due_warnings:?}"
    );
    assert_eq!(cards[0].due_dose, Some(1));

    let done = check_in(&mut ledger, &e, id, time("09:06")).unwrap();
    assert_eq!(done.dose_number, 1);
    match check_in(&mut ledger, &e, id, time("09:07")) {
        Err(DeskError::AlreadyCheckedIn { at }) => assert_eq!(at, time("09:06")),
        other => panic!("a second check-in must be refused, got {other:?}"),
    }
    let again = desk_find(&mut ledger, &e, &Query::Voucher(line), time("09:08")).unwrap();
    assert!(
        again[0]
            .warnings
            .iter()
            .any(|w| matches!(w, Warning::AlreadyCheckedIn { .. })),
        "the card says so"
    );
    assert_eq!(
        booth_queue(&ledger, &e, time("09:08")).unwrap().len(),
        1,
        "they wait at the booth"
    );

    cancel_check_in(&mut ledger, &e, &done.uid, "本人の体調不良", time("09:10")).unwrap();
    assert!(
        booth_queue(&ledger, &e, time("09:11")).unwrap().is_empty(),
        "a cancelled check-in leaves the queue"
    );
    assert!(
        matches!(
            cancel_check_in(&mut ledger, &e, &done.uid, "again", time("09:12")),
            Err(DeskError::Ledger(_))
        ),
        "a cancelled check-in cannot be cancelled twice"
    );
    check_in(&mut ledger, &e, id, time("09:20"))
        .expect("after a cancellation they may check in again");
}

#[test]
fn a_cancellation_needs_a_reason() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let done = check_in(&mut ledger, &e, id, time("09:06")).unwrap();
    assert!(matches!(
        cancel_check_in(&mut ledger, &e, &done.uid, "  ", time("09:07")),
        Err(DeskError::Invalid { .. })
    ));
}

#[test]
fn the_desk_is_warned_of_the_wrong_venue_the_wrong_day_and_a_different_printed_dose() {
    let (mut ledger, _) = venue();
    let (line, _) = booked_at_nine(&ledger);
    let elsewhere = Enrollment {
        venue_code: "V01".into(),
        role: Role::Reception,
        municipality: MunicipalityCode::parse("262021").unwrap(),
    };
    let w = &desk_find(
        &mut ledger,
        &elsewhere,
        &Query::Voucher(line.clone()),
        time("09:05"),
    )
    .unwrap()[0]
        .warnings;
    assert!(
        w.iter().any(|w| matches!(w, Warning::WrongVenue { .. })),
        "booked at V03, scanned at V01: {w:?}"
    );

    let (_, e) = venue();
    let tomorrow = at("2021-05-18T09:05:00+09:00");
    let w =
        &desk_find(&mut ledger, &e, &Query::Voucher(line.clone()), tomorrow).unwrap()[0].warnings;
    assert!(
        w.iter().any(|w| matches!(w, Warning::WrongDay { .. })),
        "booked yesterday: {w:?}"
    );

    let dose_two_voucher = format!("12{}", &line[2..]);
    let w = &desk_find(
        &mut ledger,
        &e,
        &Query::Voucher(dose_two_voucher),
        time("09:05"),
    )
    .unwrap()[0]
        .warnings;
    assert!(
        w.contains(&Warning::PrintedDoseDiffers { printed: 2, due: 1 }),
        "a dose-2 voucher for someone due dose 1: {w:?}"
    );

    let sapporo = Enrollment {
        municipality: MunicipalityCode::parse("011002").unwrap(),
        ..e
    };
    let w = &desk_find(&mut ledger, &sapporo, &Query::Voucher(line), time("09:05")).unwrap()[0]
        .warnings;
    assert!(
        w.iter()
            .any(|w| matches!(w, Warning::MunicipalityDiffers { .. })),
        "{w:?}"
    );
}

#[test]
fn a_second_dose_one_is_refused_and_a_doctor_override_is_logged_not_silent() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let lot = open_lot(&mut ledger, &e, "comirnaty", "fa5765", time("08:30")).unwrap();
    assert_eq!(
        lot.lot_number, "FA5765",
        "lot numbers are stored upper-case"
    );
    check_in(&mut ledger, &e, id, time("09:06")).unwrap();
    let dose = dose_by_taro(id, 1, lot.id);
    let first = record_dose(&mut ledger, &e, &dose, time("09:10")).unwrap();
    assert!(first.observation_minutes == 15 || first.observation_minutes == 30);
    assert!(
        booth_queue(&ledger, &e, time("09:11")).unwrap().is_empty(),
        "the vaccinated leave the queue"
    );

    match record_dose(&mut ledger, &e, &dose, time("09:12")) {
        Err(err @ DeskError::DuplicateDose { dose_number: 1, .. }) => {
            assert_eq!(err.code(), "DUPLICATE_DOSE");
            assert!(
                err.message_ja().contains("接種済み"),
                "the refusal is explained: {}",
                err.message_ja()
            );
        }
        other => panic!("a second dose 1 must be refused, got {other:?}"),
    }
    let no_reason = RecordDose {
        override_: Some(DoseOverride {
            doctor: "医師 花子".into(),
            reason: " ".into(),
        }),
        ..dose.clone()
    };
    assert!(
        matches!(
            record_dose(&mut ledger, &e, &no_reason, time("09:13")),
            Err(DeskError::Invalid { .. })
        ),
        "an override without a reason is refused"
    );
    let overridden = RecordDose {
        override_: Some(DoseOverride {
            doctor: "医師 花子".into(),
            reason: "初回の薬液漏れのため再接種".into(),
        }),
        ..dose
    };
    let second = record_dose(&mut ledger, &e, &overridden, time("09:14")).unwrap();
    assert_eq!(second.overridden, ["duplicate_dose"]);
    let logged = ledger.reader().overrides_of(&second.uid).unwrap();
    assert_eq!(
        logged,
        [(
            "duplicate_dose".to_string(),
            "医師 花子".to_string(),
            "初回の薬液漏れのため再接種".to_string()
        )],
        "the override is in the ledger beside the dose"
    );
}

#[test]
fn dose_two_before_its_interval_or_out_of_order_is_refused() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let lot = open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let dose = |n| dose_by_taro(id, n, lot.id);
    assert!(matches!(
        record_dose(&mut ledger, &e, &dose(2), time("09:10")),
        Err(DeskError::DoseOutOfOrder {
            requested: 2,
            due: 1
        })
    ));
    record_dose(&mut ledger, &e, &dose(1), time("09:10")).unwrap();
    assert!(matches!(
        record_dose(&mut ledger, &e, &dose(2), time("09:30")),
        Err(DeskError::IntervalNotReached { dose_number: 2, .. })
    ));
}

#[test]
fn a_lot_not_opened_here_today_is_refused() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let lot = open_lot(
        &mut ledger,
        &e,
        "comirnaty",
        "FA5765",
        at("2021-05-16T08:30:00+09:00"),
    )
    .unwrap();
    let dose = dose_by_taro(id, 1, lot.id);
    assert!(
        matches!(
            record_dose(&mut ledger, &e, &dose, time("09:10")),
            Err(DeskError::LotNotOpen)
        ),
        "yesterday's lot"
    );
    assert!(
        matches!(
            open_lot(&mut ledger, &e, "comirnaty", "FA 5765!", time("08:30")),
            Err(DeskError::Invalid { .. })
        ),
        "a malformed lot number is refused"
    );
}

#[test]
fn observation_runs_fifteen_minutes_and_is_done_after() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let lot = open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let recorded =
        record_dose(&mut ledger, &e, &dose_by_taro(id, 1, lot.id), time("09:10")).unwrap();
    let minutes = i64::from(recorded.observation_minutes);
    let during = observations(&ledger, &e, time("09:12")).unwrap();
    assert_eq!(during.len(), 1);
    assert!(!during[0].done, "still under observation two minutes later");
    assert_eq!((during[0].until - time("09:10")).num_minutes(), minutes);
    let after = observations(
        &ledger,
        &e,
        time("09:10") + chrono::Duration::minutes(minutes),
    )
    .unwrap();
    assert!(after[0].done, "done when the time is up");
    assert!(
        observations(&ledger, &e, time("11:00")).unwrap().is_empty(),
        "gone from the list later"
    );
}

#[test]
fn the_day_counts_bookings_check_ins_doses_and_no_shows_by_band() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    check_in(&mut ledger, &e, id, time("09:06")).unwrap();
    let s = venue_day_summary(&ledger, &e, day(), time("09:40")).unwrap();
    let nine = &s.bands[0];
    assert_eq!(nine.checked_in, 1);
    assert_eq!(
        nine.no_shows,
        nine.booked - 1,
        "the 9:00 band is over: the others did not come"
    );
    assert_eq!(s.bands[2].no_shows, 0, "the 10:00 band has not ended");
}

#[test]
fn reception_cannot_record_doses() {
    let (mut ledger, e) = venue();
    let reception = Enrollment {
        role: Role::Reception,
        ..e
    };
    assert!(matches!(
        open_lot(
            &mut ledger,
            &reception,
            "comirnaty",
            "FA5765",
            time("08:30")
        ),
        Err(DeskError::RoleMayNot { .. })
    ));
}

#[test]
fn a_resident_younger_than_the_product_allows_on_the_day_is_refused_and_a_doctor_may_override() {
    let (mut ledger, e) = venue();
    // Born 2006-01-10: 15 on 17 May 2021, when Comirnaty was for 16 and over (12 from 1 June).
    let register = "市町村コード,券番号,氏名,氏名カナ,生年月日,性別,郵便番号,住所,地区,緯度,経度,電話番号\n\
                    262021,0009900001,若葉 翔,ワカバ ショウ,2006-01-10,男,624-0853,京都府デモ市字南田辺2番地,西舞鶴,35.4431,135.3325,0773-75-9901\n";
    vax_app::import::import_register_bytes(
        &mut ledger,
        register.as_bytes(),
        vax_app::import::TextEncoding::Auto,
        time("07:30"),
        &mut NoProgress,
    )
    .unwrap();
    let cards = desk_find(
        &mut ledger,
        &e,
        &Query::Voucher("112620210009900001".into()),
        time("09:00"),
    )
    .unwrap();
    assert_eq!(cards[0].card.age, 15);
    let id = cards[0].card.resident.id;
    let lot = open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let dose = dose_by_taro(id, 1, lot.id);
    match record_dose(&mut ledger, &e, &dose, time("09:10")) {
        Err(
            err @ DeskError::BelowMinimumAge {
                age: 15,
                min_age: 16,
                ..
            },
        ) => {
            assert_eq!(err.code(), "BELOW_MINIMUM_AGE");
            assert!(
                err.to_user_error().overridable,
                "a doctor may override, with a reason"
            );
            assert!(
                err.message_ja().contains("16歳以上"),
                "{}",
                err.message_ja()
            );
        }
        other => panic!("a 15-year-old must be refused Comirnaty in May 2021, got {other:?}"),
    }
    let overridden = RecordDose {
        override_: Some(DoseOverride {
            doctor: "医師 花子".into(),
            reason: "生年月日の誤登録（住基で確認済み）".into(),
        }),
        ..dose
    };
    let recorded = record_dose(&mut ledger, &e, &overridden, time("09:12")).unwrap();
    assert_eq!(recorded.overridden, ["below_minimum_age"]);
}
