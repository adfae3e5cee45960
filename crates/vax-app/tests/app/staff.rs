//! Staff sign-in and the audit trail at the kiosk (docs/audit.md), through the use cases the
//! Tauri commands call.

use std::time::Instant;

use vax_app::audit::{search, AuditSearch};
use vax_app::desk::{cancel_check_in, check_in, desk_find, open_lot, record_dose, DeskError};
use vax_app::desk::{DoseOverride, RecordDose};
use vax_app::lookup::Query;
use vax_app::staff::{
    register_staff, sign_in, sign_out, staff_status, Credential, NewStaff, StaffError,
};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::desk::{booked_at_nine, time, venue};

const IDLE: u32 = 5;

fn new_staff(code: &str, venue: Option<&str>, pin: Option<&str>, card: bool) -> NewStaff {
    NewStaff {
        code: code.into(),
        name: format!("職員 {code}"),
        venue_code: venue.map(Into::into),
        role: Role::Booth,
        pin: pin.map(Into::into),
        card,
    }
}

fn pin(code: &str, pin: &str) -> Credential {
    Credential::Pin {
        code: code.into(),
        pin: pin.into(),
    }
}

fn trail(ledger: &Ledger, voucher: &str) -> Vec<(String, Option<String>)> {
    search(
        ledger,
        Role::Headquarters,
        &AuditSearch {
            resident: Some(voucher.into()),
            ..AuditSearch::default()
        },
    )
    .unwrap()
    .into_iter()
    .rev()
    .map(|r| (r.action, r.staff_code))
    .collect()
}

#[test]
fn a_venue_without_staff_works_as_before_and_the_device_is_the_actor() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let voucher = line[8..].to_owned();
    let status = staff_status(&ledger, &e, IDLE, time("09:00")).unwrap();
    assert!(!status.required && status.signed_in.is_none());
    desk_find(&mut ledger, &e, &Query::Voucher(line), time("09:05")).unwrap();
    check_in(&mut ledger, &e, id, time("09:06")).unwrap();
    assert_eq!(
        trail(&ledger, &voucher),
        [("lookup".into(), None), ("check_in".into(), None)]
    );
}

#[test]
fn once_staff_are_registered_every_desk_action_needs_a_signed_in_staff_member() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &new_staff("S01", Some("V03"), Some("4821"), false),
    )
    .unwrap();
    assert!(
        staff_status(&ledger, &e, IDLE, time("09:00"))
            .unwrap()
            .required
    );
    let refused = check_in(&mut ledger, &e, id, time("09:06")).expect_err("nobody signed in");
    assert!(
        matches!(refused, DeskError::Staff(StaffError::SignInRequired { .. })),
        "{refused:?}"
    );
    assert_eq!(refused.code(), "STAFF_SIGN_IN_REQUIRED");
    assert!(refused.message_ja().contains("サインイン"));
    assert!(desk_find(&mut ledger, &e, &Query::Voucher(line), time("09:06")).is_err());
    assert!(
        trail(&ledger, &booked_at_nine(&ledger).0[8..]).is_empty(),
        "a refused action leaves no entry"
    );
}

#[test]
fn each_desk_action_leaves_its_entry_with_the_signed_in_staff_member() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let voucher = line[8..].to_owned();
    for (code, p) in [("S01", "4821"), ("S02", "1234")] {
        register_staff(
            &mut ledger,
            Role::Headquarters,
            &new_staff(code, Some("V03"), Some(p), false),
        )
        .unwrap();
    }
    let lot = {
        sign_in(&mut ledger, &e, &pin("S02", "1234"), IDLE, time("08:29")).unwrap();
        open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap()
    };
    // Reception: S01 looks the resident up, checks them in, cancels and checks in again.
    sign_in(&mut ledger, &e, &pin("S01", "4821"), IDLE, time("09:04")).unwrap();
    desk_find(&mut ledger, &e, &Query::Voucher(line), time("09:05")).unwrap();
    let first = check_in(&mut ledger, &e, id, time("09:06")).unwrap();
    cancel_check_in(&mut ledger, &e, &first.uid, "取り違え", time("09:07")).unwrap();
    check_in(&mut ledger, &e, id, time("09:08")).unwrap();
    // The booth: S02 takes over without S01 signing out, and records the dose twice, the
    // second time on a doctor's override.
    sign_in(&mut ledger, &e, &pin("S02", "1234"), IDLE, time("09:09")).unwrap();
    let dose = RecordDose {
        resident_id: id,
        dose_number: 1,
        lot_id: lot.id,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        override_: None,
    };
    record_dose(&mut ledger, &e, &dose, time("09:10")).unwrap();
    let overridden = RecordDose {
        override_: Some(DoseOverride {
            doctor: "医師 花子".into(),
            reason: "薬液漏れ".into(),
        }),
        ..dose
    };
    record_dose(&mut ledger, &e, &overridden, time("09:12")).unwrap();
    let s1 = Some("S01".to_owned());
    let s2 = Some("S02".to_owned());
    assert_eq!(
        trail(&ledger, &voucher),
        [
            ("lookup".into(), s1.clone()),
            ("check_in".into(), s1.clone()),
            ("void".into(), s1.clone()),
            ("check_in".into(), s1),
            ("dose".into(), s2.clone()),
            ("dose".into(), s2.clone()),
            ("override".into(), s2),
        ]
    );
    let by_staff = search(
        &ledger,
        Role::Headquarters,
        &AuditSearch {
            staff: Some("S02".into()),
            ..AuditSearch::default()
        },
    )
    .unwrap();
    let actions: Vec<&str> = by_staff.iter().rev().map(|r| r.action.as_str()).collect();
    assert_eq!(
        actions,
        ["sign_in", "sign_in", "dose", "dose", "override"],
        "S02's own trail, sign-ins included"
    );
    assert_eq!(by_staff[0].staff_name.as_deref(), Some("職員 S02"));
    assert!(by_staff[0].detail.contains("duplicate_dose"));
}

#[test]
fn a_wrong_pin_a_wrong_venue_or_a_forged_card_is_refused_and_five_failures_lock_a_minute() {
    let (mut ledger, e) = venue();
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &new_staff("S01", Some("V03"), Some("4821"), false),
    )
    .unwrap();
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &new_staff("S09", Some("V01"), Some("9999"), false),
    )
    .unwrap();
    let at = time("09:00");
    for credential in [
        pin("S01", "0000"),
        pin("S09", "9999"), // right PIN, another venue's staff member
        pin("S77", "4821"),
        Credential::Card {
            payload: "VAXSTAFF1.S01.00000000000000000000000000000000".into(),
        },
    ] {
        let err = sign_in(&mut ledger, &e, &credential, IDLE, at).expect_err("refused");
        assert!(matches!(err, StaffError::SignInFailed), "{err:?}");
        assert_eq!(err.code(), "STAFF_SIGN_IN_FAILED");
    }
    sign_in(&mut ledger, &e, &pin("S01", "0001"), IDLE, at).expect_err("fifth failure");
    let locked = sign_in(&mut ledger, &e, &pin("S01", "4821"), IDLE, time("09:00"))
        .expect_err("locked even with the right PIN");
    assert_eq!(locked.code(), "STAFF_SIGN_IN_LOCKED");
    sign_in(&mut ledger, &e, &pin("S01", "4821"), IDLE, time("09:01"))
        .expect("a minute later the right PIN signs in");
}

#[test]
fn a_staff_card_signs_in_and_staff_switch_within_two_seconds() {
    let (mut ledger, e) = venue();
    let card = register_staff(
        &mut ledger,
        Role::Headquarters,
        &new_staff("S03", Some("V03"), None, true),
    )
    .unwrap()
    .card_payload
    .expect("a card was issued");
    assert!(card.starts_with("VAXSTAFF1.S03."));
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &new_staff("S01", Some("V03"), Some("4821"), false),
    )
    .unwrap();
    let started = Instant::now();
    let who = sign_in(
        &mut ledger,
        &e,
        &Credential::Card { payload: card },
        IDLE,
        time("09:00"),
    )
    .unwrap();
    assert_eq!(who.code, "S03");
    let who = sign_in(&mut ledger, &e, &pin("S01", "4821"), IDLE, time("09:00")).unwrap();
    assert_eq!(who.code, "S01");
    let both = started.elapsed();
    assert!(
        both.as_secs_f64() < 2.0,
        "two sign-ins took {both:?}; a switch must take under two seconds"
    );
}

#[test]
fn the_kiosk_locks_after_the_idle_minutes_and_each_action_keeps_it_open() {
    let (mut ledger, e) = venue();
    let (line, _) = booked_at_nine(&ledger);
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &new_staff("S01", Some("V03"), Some("4821"), false),
    )
    .unwrap();
    sign_in(&mut ledger, &e, &pin("S01", "4821"), IDLE, time("09:00")).unwrap();
    let status = staff_status(&ledger, &e, IDLE, time("09:04")).unwrap();
    assert_eq!(status.signed_in.expect("signed in").locks_at, time("09:05"));
    desk_find(
        &mut ledger,
        &e,
        &Query::Voucher(line.clone()),
        time("09:04"),
    )
    .unwrap();
    desk_find(
        &mut ledger,
        &e,
        &Query::Voucher(line.clone()),
        time("09:08"),
    )
    .expect("the lookup at 09:04 kept the session open");
    let idle = desk_find(&mut ledger, &e, &Query::Voucher(line), time("09:13"))
        .expect_err("five idle minutes lock the kiosk");
    assert_eq!(idle.code(), "STAFF_SIGN_IN_REQUIRED");
    assert!(staff_status(&ledger, &e, IDLE, time("09:13"))
        .unwrap()
        .signed_in
        .is_none());
    sign_in(&mut ledger, &e, &pin("S01", "4821"), IDLE, time("09:14")).unwrap();
    sign_out(&mut ledger, &e, time("09:15")).unwrap();
    assert!(staff_status(&ledger, &e, IDLE, time("09:15"))
        .unwrap()
        .signed_in
        .is_none());
}

#[test]
fn only_hq_registers_staff_and_searches_the_trail_and_bad_input_is_refused() {
    let (mut ledger, _) = venue();
    let err = register_staff(
        &mut ledger,
        Role::VenueManager,
        &new_staff("S01", Some("V03"), Some("4821"), false),
    )
    .expect_err("HQ only");
    assert_eq!(err.code(), "HQ_ONLY");
    for bad in [
        new_staff("S 01", Some("V03"), Some("4821"), false),
        new_staff("S01", Some("V03"), Some("12"), false),
        new_staff("S01", Some("V03"), None, false),
        new_staff("S01", Some("V99"), Some("4821"), false),
    ] {
        let err = register_staff(&mut ledger, Role::Headquarters, &bad).expect_err("refused");
        assert!(
            !err.message_ja().is_empty() && !err.to_string().is_empty(),
            "{err:?}"
        );
    }
    let err = search(&ledger, Role::Booth, &AuditSearch::default()).expect_err("HQ only");
    assert_eq!(err.code(), "HQ_ONLY");
    let err = search(
        &ledger,
        Role::Headquarters,
        &AuditSearch {
            resident: Some("nobody".into()),
            ..AuditSearch::default()
        },
    )
    .expect_err("unknown resident");
    assert_eq!(err.code(), "NOT_FOUND");
}
