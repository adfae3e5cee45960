//! Replication end to end: real ledgers, the real client, and the sync server serving HTTP on
//! a loopback port from its SQLite file (killed abruptly and restarted on the same file).

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_app::demo::load_demo_city;
use vax_app::desk::{self, open_lot, record_dose, RecordDose};
use vax_app::progress::NoProgress;
use vax_app::sync::{
    alerts, choose_booking, create_enrollment_code, describe, enroll_device, sync_now, sync_status,
    void_dose_record, Freshness, SyncAppError,
};
use vax_demo::DemoParams;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::Ledger;
use vax_sync::Role as SyncRole;
use vax_sync_server::loopback::LoopbackServer;

use crate::at;

const DAY: &str = "2021-05-17";

fn time(hm: &str) -> DateTime<FixedOffset> {
    at(&format!("{DAY}T{hm}:00+09:00"))
}

fn maizuru() -> MunicipalityCode {
    MunicipalityCode::parse("262021").unwrap()
}

fn resident_count(ledger: &Ledger) -> u64 {
    ledger.reader().resident_count().unwrap()
}

fn dose_rows(ledger: &Ledger, resident_id: i64) -> usize {
    ledger.reader().doses_of(resident_id).unwrap().len()
}

/// The booth opens today's lot (again: idempotent) and records dose 1 at `hm`.
/// The row id of the resident holding `voucher` in this ledger.
fn resident_id(ledger: &Ledger, voucher: &str) -> i64 {
    ledger
        .reader()
        .residents_by_voucher(
            None,
            &vax_domain::voucher::VoucherNumber::parse(voucher).unwrap(),
        )
        .unwrap()[0]
        .id
}

fn give_first_dose(booth: &mut Ledger, resident_id: i64, hm: &str) {
    let e = desk::enrollment(booth).unwrap().expect("enrolled desk");
    let lot = open_lot(booth, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let dose = RecordDose {
        resident_id,
        dose_number: 1,
        lot_id: lot.id,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        override_: None,
    };
    record_dose(booth, &e, &dose, time(hm)).unwrap();
}

fn first_booked(day: &vax_app::roster::VenueDay) -> &vax_app::roster::BookedResident {
    day.bands
        .iter()
        .find_map(|b| b.residents.first())
        .expect("someone is booked at the venue that day")
}

/// HQ loads a small city, enrolls and publishes it; a new booth at V03 enrolls with a code HQ
/// asked the server for and receives the city by its first sync.
fn hq_and_a_new_booth(server: &LoopbackServer, dir: &std::path::Path) -> (Ledger, Ledger) {
    let mut hq = Ledger::open(&dir.join("hq.sqlite3")).unwrap();
    let params = DemoParams {
        residents: 1_500,
        start: DAY.parse::<NaiveDate>().unwrap(),
        ..DemoParams::default()
    };
    load_demo_city(&mut hq, &params, time("07:00"), &mut NoProgress).unwrap();
    let code = server.enrollment_code(SyncRole::Hq, None).unwrap();
    let enrolled = enroll_device(
        &mut hq,
        &server.url(),
        &code,
        "本部",
        maizuru().as_str(),
        time("07:10"),
    )
    .unwrap();
    assert_eq!(enrolled.role, SyncRole::Hq);
    assert!(
        enrolled.published_ops > 1_500,
        "venues, bands, residents and bookings: {enrolled:?}"
    );
    sync_now(&mut hq, time("07:11")).unwrap();

    let code = create_enrollment_code(&hq, Role::Booth, Some("V03"), &[], 24).unwrap();
    let mut booth = Ledger::open(&dir.join("booth.sqlite3")).unwrap();
    enroll_device(
        &mut booth,
        &server.url(),
        &code,
        "V03 接種1",
        maizuru().as_str(),
        time("07:20"),
    )
    .unwrap();
    assert_eq!(resident_count(&booth), 0, "a new device starts empty");
    let first = sync_now(&mut booth, time("07:21")).unwrap();
    assert_eq!(first.received_ops, enrolled.published_ops);
    (hq, booth)
}

#[test]
fn a_new_booth_receives_the_city_records_doses_offline_and_hq_gets_each_exactly_once_across_a_server_crash(
) {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = LoopbackServer::start(&db, 0).unwrap();
    let (mut hq, mut booth) = hq_and_a_new_booth(&server, dir.path());

    // The booth has the city as rows its desk reads, and its desk is enrolled to V03.
    assert_eq!(resident_count(&booth), resident_count(&hq));
    let e = desk::enrollment(&booth)
        .unwrap()
        .expect("desk enrolled after the first sync");
    assert_eq!((e.venue_code.as_str(), e.role), ("V03", Role::Booth));
    let day = vax_app::roster::venue_day(&booth, "V03", DAY.parse().unwrap()).unwrap();
    assert_eq!(
        day,
        vax_app::roster::venue_day(&hq, "V03", DAY.parse().unwrap()).unwrap(),
        "the booth sees the venue day HQ planned, band by band"
    );
    let booked = first_booked(&day);
    assert_eq!(booth.sync_log_summary().unwrap().unprojected, 0);

    // The network (here: the server) goes away; the booth keeps working.
    let port = server.port();
    server.kill();
    give_first_dose(&mut booth, booked.resident_id, "09:10");
    let failed = sync_now(&mut booth, time("09:11")).unwrap_err();
    assert!(
        matches!(failed, SyncAppError::Server(ref c) if c.is_retryable()),
        "{failed:?}"
    );
    assert_eq!(failed.code(), "SYNC_OFFLINE");
    let status = sync_status(&mut booth, time("09:50")).unwrap();
    assert_eq!(
        status.ops_waiting, 2,
        "the dose and its audit entry: {status:?}"
    );
    assert_eq!(
        status.freshness,
        Freshness::Red,
        "waited since the last sync at 07:21"
    );
    assert!(status.last_error.is_some());

    // The server comes back on the same file: nothing it committed was lost.
    let server = LoopbackServer::start(&db, port).unwrap();
    sync_now(&mut booth, time("09:51")).unwrap();
    sync_now(&mut booth, time("09:52")).unwrap();
    let status = sync_status(&mut booth, time("09:52")).unwrap();
    assert_eq!(
        (status.ops_waiting, status.freshness),
        (0, Freshness::Green)
    );
    sync_now(&mut hq, time("09:53")).unwrap();
    sync_now(&mut hq, time("09:54")).unwrap();

    let hq_id = resident_id(&hq, &booked.voucher);
    assert_eq!(dose_rows(&hq, hq_id), 1, "the dose reached HQ exactly once");
    let trail = vax_app::audit::search(
        &hq,
        Role::Headquarters,
        &vax_app::audit::AuditSearch {
            resident: Some(booked.voucher.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    assert_eq!(
        trail.iter().map(|r| r.action.as_str()).collect::<Vec<_>>(),
        ["dose"],
        "and HQ knows which device recorded it"
    );
    assert_eq!(
        Some(trail[0].device.clone()),
        booth.replica_identity().map(|(id, _)| id.to_string())
    );
    assert_eq!(dose_rows(&booth, booked.resident_id), 1);
    assert!(alerts(&mut hq).unwrap().is_empty());
    drop(server);
}

#[test]
fn the_same_dose_at_two_venues_while_offline_reaches_hq_as_an_alert_with_both_records() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (mut hq, mut v03) = hq_and_a_new_booth(&server, dir.path());
    let code = create_enrollment_code(&hq, Role::Booth, Some("V04"), &[], 24).unwrap();
    let mut v04 = Ledger::open(&dir.path().join("v04.sqlite3")).unwrap();
    enroll_device(
        &mut v04,
        &server.url(),
        &code,
        "V04 接種1",
        maizuru().as_str(),
        time("07:30"),
    )
    .unwrap();
    sync_now(&mut v04, time("07:31")).unwrap();

    let voucher = {
        let day = vax_app::roster::venue_day(&v03, "V03", DAY.parse().unwrap()).unwrap();
        first_booked(&day).voucher.clone()
    };
    for (ledger, hm) in [(&mut v03, "09:10"), (&mut v04, "10:40")] {
        let id = resident_id(ledger, &voucher);
        give_first_dose(ledger, id, hm);
    }
    sync_now(&mut v03, time("11:00")).unwrap();
    sync_now(&mut v04, time("11:00")).unwrap();
    sync_now(&mut hq, time("11:01")).unwrap();

    let found = alerts(&mut hq).unwrap();
    assert_eq!(found.len(), 1, "{found:?}");
    match &found[0] {
        vax_sync::Alert::DuplicateDose { doses, .. } => {
            let venues: Vec<_> = doses.iter().map(|d| d.event.venue.0.as_str()).collect();
            assert_eq!(venues.len(), 2);
            assert!(
                venues.contains(&"V03") && venues.contains(&"V04"),
                "{venues:?}"
            );
        }
        other => panic!("expected a duplicate dose, got {other:?}"),
    }
    assert_eq!(sync_status(&mut hq, time("11:02")).unwrap().alerts, 1);

    // HQ resolves it: the V04 record was the mistake. The void travels like any change.
    let view = describe(&found[0]);
    assert_eq!(view.records.len(), 2);
    let mistaken = view
        .record_ids
        .iter()
        .zip(&view.records)
        .find(|(_, line)| line.contains("V04"))
        .map(|(id, _)| id.clone())
        .unwrap();
    void_dose_record(
        &mut hq,
        &mistaken,
        "二重登録（V03で接種済み）",
        time("11:05"),
    )
    .unwrap();
    assert!(alerts(&mut hq).unwrap().is_empty(), "resolved at HQ");
    sync_now(&mut hq, time("11:06")).unwrap();
    sync_now(&mut v04, time("11:07")).unwrap();
    assert!(
        alerts(&mut v04).unwrap().is_empty(),
        "and at the venue, once the void arrives"
    );
    let id = resident_id(&v04, &voucher);
    let doses = v04.reader().doses_of(id).unwrap();
    let voided: Vec<_> = doses
        .iter()
        .filter(|d| d.voided.is_some())
        .map(|d| d.venue_code.as_str())
        .collect();
    assert_eq!(
        voided,
        ["V04"],
        "the V04 record is kept, marked void: {doses:?}"
    );
}

#[test]
fn a_used_enrollment_code_is_refused_and_the_ledger_stays_standalone() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let code = server
        .enrollment_code(SyncRole::Booth, Some("V01"))
        .unwrap();
    let mut first = Ledger::open_in_memory().unwrap();
    enroll_device(
        &mut first,
        &server.url(),
        &code,
        "一台目",
        maizuru().as_str(),
        time("07:00"),
    )
    .unwrap();
    let mut second = Ledger::open_in_memory().unwrap();
    let refused = enroll_device(
        &mut second,
        &server.url(),
        &code,
        "二台目",
        maizuru().as_str(),
        time("07:01"),
    )
    .unwrap_err();
    assert_eq!(refused.code(), "SYNC_REFUSED", "{refused:?}");
    assert!(second.replica_identity().is_none());
    assert!(matches!(
        sync_now(&mut second, time("07:02")),
        Err(SyncAppError::NotConfigured)
    ));
}

#[test]
fn choosing_a_booking_takes_a_record_id_from_the_alert_and_a_valid_voucher() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let bad_id = choose_booking(&mut ledger, "0000000001", 1, "not-an-id").unwrap_err();
    assert_eq!(bad_id.code(), "INVALID_INPUT", "{bad_id:?}");
    let some_id = format!("{}#1", vax_sync::ReplicaId::from_u128(1));
    let bad_voucher = choose_booking(&mut ledger, "12", 1, &some_id).unwrap_err();
    assert_eq!(bad_voucher.code(), "BAD_VOUCHER", "{bad_voucher:?}");
    let standalone = choose_booking(&mut ledger, "0000000001", 1, &some_id).unwrap_err();
    assert!(
        matches!(
            standalone,
            SyncAppError::Ledger(vax_ledger::LedgerError::NotReplicating)
        ),
        "{standalone:?}"
    );
}

#[test]
fn a_change_the_server_refuses_is_quarantined_shown_in_the_status_and_the_rest_still_syncs() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (mut hq, mut booth) = hq_and_a_new_booth(&server, dir.path());
    let day = vax_app::roster::venue_day(&booth, "V03", DAY.parse().unwrap()).unwrap();
    let booked = first_booked(&day);

    // A change the server refuses for good (a dose for another venue than the booth's), then a
    // real dose after it.
    let mut tx = booth.transaction().unwrap();
    let refused = tx
        .record_event(vax_sync::OpKind::RecordDose(vax_sync::Dose {
            resident: vax_domain::voucher::VoucherNumber::parse(&booked.voucher).unwrap(),
            dose_number: 2,
            venue: vax_sync::VenueCode::new("V01"),
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            vaccinator: "舞鶴 太郎".into(),
            administered_at: time("09:05").naive_local(),
            vial: None,
            overridden: None,
            injection_site: None,
            back_entered: false,
        }))
        .unwrap();
    tx.commit().unwrap();
    give_first_dose(&mut booth, booked.resident_id, "09:10");

    let run = sync_now(&mut booth, time("09:11")).expect("one bad op does not stop the sync");
    assert_eq!(run.quarantined, 1, "{run:?}");
    let status = sync_status(&mut booth, time("09:12")).unwrap();
    assert_eq!(status.quarantined.len(), 1, "{status:?}");
    assert!(status.quarantined[0].contains(&refused), "{status:?}");
    assert!(status.quarantined[0].contains("WRONG_VENUE"), "{status:?}");
    assert!(status.last_error.is_none());

    // The dose after it reached HQ; the next sync neither resends nor fails on the bad one.
    sync_now(&mut hq, time("09:13")).unwrap();
    let hq_id = resident_id(&hq, &booked.voucher);
    assert_eq!(dose_rows(&hq, hq_id), 1, "the real dose reached HQ");
    let again = sync_now(&mut booth, time("09:14")).unwrap();
    assert_eq!((again.quarantined, again.sent_ops), (0, 0));
    drop(server);
}

#[test]
fn a_rotated_token_is_kept_and_the_old_one_is_refused() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (_hq, mut booth) = hq_and_a_new_booth(&server, dir.path());
    let old = booth
        .reader()
        .setting("sync.token")
        .unwrap()
        .expect("a token");
    vax_app::sync::rotate_token(&mut booth).unwrap();
    let new = booth
        .reader()
        .setting("sync.token")
        .unwrap()
        .expect("a token");
    assert_ne!(new, old);
    sync_now(&mut booth, time("09:00")).expect("the new token works");
    let refused = vax_sync_client::Client::new(&server.url(), &old)
        .status()
        .expect_err("the old token is refused");
    assert_eq!(
        refused.code(),
        Some(vax_domain::error::ErrorCode::UnknownToken)
    );
}

/// HQ ran the venue V03 on its own ledger before it joined (stock received, thawed and a vial
/// opened, a check-in, a dose from that vial, a second resident's dose voided, a call whose
/// follow-up was done, all standalone). Enrolment publishes every one of them under HQ's
/// replica; a new booth at V03 receives them, names them alike, and refuses the first
/// resident's dose 1 a second time. Before, only the city's setup was published and the
/// booth would have given the dose again.
#[test]
fn what_hq_recorded_before_it_joined_reaches_a_new_booth_which_refuses_the_dose_again() {
    use vax_app::callcentre::{complete_follow_up, log_call, NewCall};
    use vax_app::desk::{check_in, DeskError};
    use vax_app::stock::{record_stock, StockAction};
    use vax_domain::inquiry::{InquiryChannel, InquiryTopic};

    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (mut hq, e) = crate::desk::venue();
    let lot = |action: &str| match action {
        "receive" => StockAction::Receive {
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            vials: 10,
            expires_on: NaiveDate::from_ymd_opt(2021, 8, 31).unwrap(),
            from: "卸A".into(),
            thawed_use_by: None,
        },
        "thaw" => StockAction::Thaw {
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            vials: 2,
        },
        _ => StockAction::Open {
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            syringe: vax_domain::product::SyringeKind::LowDeadSpace,
        },
    };
    for (action, hm) in [("receive", "07:30"), ("thaw", "07:45"), ("open", "08:00")] {
        record_stock(&mut hq, &e, &lot(action), time(hm)).unwrap();
    }
    let (_, first) = crate::desk::booked_at_nine(&hq);
    let second = {
        let d = vax_app::roster::venue_day(&hq, "V03", DAY.parse().unwrap()).unwrap();
        d.bands[0].residents[1].resident_id
    };
    check_in(&mut hq, &e, first, time("09:01")).unwrap();
    let lot_id = open_lot(&mut hq, &e, "comirnaty", "FA5765", time("08:30"))
        .unwrap()
        .id;
    let dose = |resident_id| RecordDose {
        resident_id,
        dose_number: 1,
        lot_id,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        override_: None,
    };
    record_dose(&mut hq, &e, &dose(first), time("09:05")).unwrap();
    record_dose(&mut hq, &e, &dose(second), time("09:10")).unwrap();
    let mistaken = hq.reader().doses_of(second).unwrap()[0].uid.clone();
    void_dose_record(&mut hq, &mistaken, "別の方の記録", time("09:12")).unwrap();
    let call = NewCall {
        channel: InquiryChannel::Phone,
        topic: InquiryTopic::SideEffects,
        note: "腕が腫れている".into(),
        operator: "本部 一郎".into(),
        follow_up_needed: true,
        follow_up_by: "保健師".into(),
    };
    let asked = log_call(&mut hq, Role::Headquarters, first, &call, time("15:00")).unwrap();
    complete_follow_up(
        &mut hq,
        Role::Headquarters,
        &asked,
        "折り返し済み",
        "保健師",
        time("15:30"),
    )
    .unwrap();
    assert!(
        asked.parse::<vax_sync::OpId>().is_err(),
        "standalone: a UUID"
    );

    let code = server.enrollment_code(SyncRole::Hq, None).unwrap();
    enroll_device(
        &mut hq,
        &server.url(),
        &code,
        "本部",
        maizuru().as_str(),
        time("16:00"),
    )
    .unwrap();
    assert!(hq.unpublished_events().unwrap().is_empty());
    // Every renamed row has its op, every op its row; the tallies still match the rows.
    let report = hq.check_consistency().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);
    sync_now(&mut hq, time("16:01")).unwrap();

    let code = create_enrollment_code(&hq, Role::Booth, Some("V03"), &[], 24).unwrap();
    let mut booth = Ledger::open(&dir.path().join("booth.sqlite3")).unwrap();
    enroll_device(
        &mut booth,
        &server.url(),
        &code,
        "V03 接種1",
        maizuru().as_str(),
        time("16:10"),
    )
    .unwrap();
    sync_now(&mut booth, time("16:11")).unwrap();
    let voucher = hq.reader().resident(first).unwrap().resident.voucher;
    let at_booth = resident_id(&booth, voucher.as_str());

    // The dose, under the same op id on both ledgers, drawn from the same vial.
    let (hq_doses, booth_doses) = (
        hq.reader().doses_of(first).unwrap(),
        booth.reader().doses_of(at_booth).unwrap(),
    );
    assert_eq!(booth_doses.len(), 1);
    assert_eq!(booth_doses[0].uid, hq_doses[0].uid);
    assert!(
        hq_doses[0].uid.parse::<vax_sync::OpId>().is_ok(),
        "renamed to its op"
    );
    assert_eq!(booth_doses[0].administered_at, time("09:05"));
    // Drawn from the same vial (named by the op that opened it) on both ledgers.
    let vials = |l: &Ledger| -> Vec<Option<String>> {
        let v03 = l.reader().venue("V03").unwrap();
        let stock = l
            .reader()
            .live_venue_stock(v03.id, "V03", &time("16:30"))
            .unwrap();
        stock.doses.iter().map(|d| d.vial.clone()).collect()
    };
    let at_hq = vials(&hq);
    assert!(!at_hq.is_empty());
    assert!(
        at_hq.iter().all(|v| v
            .as_deref()
            .is_some_and(|v| v.parse::<vax_sync::OpId>().is_ok())),
        "{at_hq:?}"
    );
    assert_eq!(vials(&booth), at_hq);
    // The voided dose arrives voided.
    let second_at_booth = resident_id(
        &booth,
        hq.reader()
            .resident(second)
            .unwrap()
            .resident
            .voucher
            .as_str(),
    );
    let voided = booth.reader().doses_of(second_at_booth).unwrap();
    assert_eq!(voided.len(), 1);
    assert!(voided[0].voided.is_some(), "{voided:?}");
    // The check-in and the calls, at the times they happened, the follow-up closed.
    let check_ins = booth
        .reader()
        .check_ins_on(
            booth.reader().venue("V03").unwrap().id,
            DAY.parse().unwrap(),
            *time("09:00").offset(),
        )
        .unwrap();
    assert!(check_ins
        .iter()
        .any(|c| c.resident_id == at_booth && c.cancelled.is_none()));
    let calls = booth.reader().inquiries_of(at_booth).unwrap();
    assert_eq!(calls.len(), 2, "{calls:?}");
    let asked_there = calls.iter().find(|c| c.follow_up_needed).unwrap();
    assert_eq!(asked_there.received_at, time("15:00"));
    assert!(!asked_there.follow_up_open(), "{asked_there:?}");

    let report = booth.check_consistency().unwrap();
    assert!(report.is_sound(), "{:?}", report.problems);

    // The booth knows dose 1 was given: a second one is refused.
    let be = desk::enrollment(&booth).unwrap().expect("the booth's desk");
    let booth_lot = open_lot(&mut booth, &be, "comirnaty", "FA5765", time("16:20")).unwrap();
    let again = record_dose(
        &mut booth,
        &be,
        &RecordDose {
            lot_id: booth_lot.id,
            ..dose(at_booth)
        },
        time("16:21"),
    )
    .unwrap_err();
    assert!(
        matches!(again, DeskError::DuplicateDose { .. }),
        "{again:?}"
    );
}

/// A venue device may not publish what its ledger recorded before it joined (another venue's
/// records, or kinds its role does not write, would be refused by the server for ever): its
/// enrolment is refused in words, and the ledger stays standalone with every record.
#[test]
fn a_booth_ledger_with_records_made_before_it_joined_is_refused_and_keeps_them() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (mut ledger, e) = crate::desk::venue();
    let (_, first) = crate::desk::booked_at_nine(&ledger);
    vax_app::desk::check_in(&mut ledger, &e, first, time("09:01")).unwrap();
    let code = server
        .enrollment_code(SyncRole::Booth, Some("V03"))
        .unwrap();
    let refused = enroll_device(
        &mut ledger,
        &server.url(),
        &code,
        "V03 接種1",
        maizuru().as_str(),
        time("10:00"),
    )
    .unwrap_err();
    assert_eq!(refused.code(), "SYNC_RECORDS_BEFORE_JOINING", "{refused:?}");
    assert!(
        refused.message_ja().contains("受付1件"),
        "{}",
        refused.message_ja()
    );
    assert!(refused.to_string().contains("check-ins 1"), "{refused}");
    assert!(ledger.replica_identity().is_none());
    assert_eq!(ledger.unpublished_events().unwrap(), [("check_ins", 1)]);
}

/// Partial replicas (issue 18, docs/sync-spec.md §7b): a kiosk enrolled for Maizuru receives
/// the city as a whole kiosk does; one enrolled for another municipality receives the venues
/// and bands but no resident of Maizuru, and its next sync brings nothing again (its ledger's
/// frontier is past the city's ops it will never hold).
#[test]
fn a_kiosk_of_another_municipality_receives_the_venues_but_no_resident_of_maizuru() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (hq, whole) = hq_and_a_new_booth(&server, dir.path());
    let ayabe = MunicipalityCode::parse("262030").unwrap();
    let mut received = Vec::new();
    for (name, scope, residents) in [
        ("maizuru", maizuru(), resident_count(&hq)),
        ("ayabe", ayabe, 0),
    ] {
        // HQ's own path: `vaxhq sync code --municipality …` calls this.
        let code = create_enrollment_code(
            &hq,
            Role::Booth,
            Some("V03"),
            std::slice::from_ref(&scope),
            24,
        )
        .unwrap();
        let mut kiosk = Ledger::open(&dir.path().join(format!("{name}.sqlite3"))).unwrap();
        enroll_device(
            &mut kiosk,
            &server.url(),
            &code,
            "V03 接種2",
            scope.as_str(),
            time("07:30"),
        )
        .unwrap();
        let first = sync_now(&mut kiosk, time("07:31")).unwrap();
        assert_eq!(resident_count(&kiosk), residents, "{name}");
        let again = sync_now(&mut kiosk, time("07:32")).unwrap();
        assert_eq!(again.received_ops, 0, "{name}: nothing twice");
        // Its frontier runs ahead of its ops, and the ledger knows why.
        let report = kiosk.check_consistency().unwrap();
        assert!(report.problems.is_empty(), "{name}: {:?}", report.problems);
        received.push(first.received_ops);
    }
    assert_eq!(resident_count(&whole), resident_count(&hq));
    assert!(
        received[1] > 0 && received[1] < received[0],
        "the other municipality's kiosk gets the venues and bands only: {received:?}"
    );
}

#[test]
fn a_municipalitys_hq_makes_codes_for_its_own_municipality_without_naming_it() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (hq, _whole) = hq_and_a_new_booth(&server, dir.path());
    let ayabe = MunicipalityCode::parse("262030").unwrap();
    let code = create_enrollment_code(
        &hq,
        Role::Headquarters,
        None,
        std::slice::from_ref(&ayabe),
        24,
    )
    .unwrap();
    let mut ayabe_hq = Ledger::open(&dir.path().join("ayabe-hq.sqlite3")).unwrap();
    let enrolled = enroll_device(
        &mut ayabe_hq,
        &server.url(),
        &code,
        "綾部市本部",
        ayabe.as_str(),
        time("07:20"),
    )
    .unwrap();
    assert_eq!(enrolled.role, SyncRole::Hq);
    sync_now(&mut ayabe_hq, time("07:21")).unwrap();
    assert_eq!(resident_count(&ayabe_hq), 0, "no resident of Maizuru");

    // No municipality named: the code is for Ayabe's own (the server would refuse a
    // whole-ledger code from a municipality's HQ).
    let code = create_enrollment_code(&ayabe_hq, Role::Booth, Some("V03"), &[], 24).unwrap();
    let mut booth = Ledger::open(&dir.path().join("ayabe-booth.sqlite3")).unwrap();
    enroll_device(
        &mut booth,
        &server.url(),
        &code,
        "綾部 接種1",
        ayabe.as_str(),
        time("07:30"),
    )
    .unwrap();
    assert_eq!(
        vax_app::sync::own_scope(&booth).unwrap(),
        vec![ayabe.clone()],
        "the booth holds Ayabe only"
    );
    sync_now(&mut booth, time("07:31")).unwrap();
    assert_eq!(resident_count(&booth), 0);

    // Naming another municipality is refused by the server, in words.
    let refused =
        create_enrollment_code(&ayabe_hq, Role::Booth, Some("V03"), &[maizuru()], 24).unwrap_err();
    assert_eq!(refused.code(), ErrorCode::SyncRefused, "{refused}");
    assert!(refused.to_string().contains("WRONG_SCOPE"), "{refused}");
    assert!(!refused.message_ja().is_empty());
}

/// HQ and a Maizuru booth at V03 ([`hq_and_a_new_booth`]), the first four residents booked
/// there that day, the first of them given dose 1 at 08:40 and synced.
fn maizuru_with_one_dose_given(
    server: &LoopbackServer,
    dir: &std::path::Path,
) -> (Ledger, Ledger, Vec<vax_app::roster::BookedResident>) {
    let (hq, mut booth) = hq_and_a_new_booth(server, dir);
    let day = vax_app::roster::venue_day(&booth, "V03", DAY.parse().unwrap()).unwrap();
    let booked: Vec<_> = day
        .bands
        .into_iter()
        .flat_map(|b| b.residents)
        .take(4)
        .collect();
    give_first_dose(&mut booth, booked[0].resident_id, "08:40");
    sync_now(&mut booth, time("08:41")).unwrap();
    (hq, booth, booked)
}

/// A kiosk of Ayabe (262030) at venue V03 in `role`, enrolled for Ayabe only (a partial
/// replica holding no resident of Maizuru), after its first sync at 08:51.
fn ayabe_kiosk_at_v03(server: &LoopbackServer, dir: &std::path::Path, role: SyncRole) -> Ledger {
    let ayabe = MunicipalityCode::parse("262030").unwrap();
    let code = server
        .scoped_enrollment_code(role, Some("V03"), vec![ayabe.clone()])
        .unwrap();
    let mut kiosk = Ledger::open(&dir.join(format!("ayabe-{role:?}.sqlite3"))).unwrap();
    enroll_device(
        &mut kiosk,
        &server.url(),
        &code,
        &format!("V03 綾部 {role:?}"),
        ayabe.as_str(),
        time("08:50"),
    )
    .unwrap();
    sync_now(&mut kiosk, time("08:51")).unwrap();
    kiosk
}

/// A walk-in from Maizuru at a booth of Ayabe (a partial replica holding no resident of
/// Maizuru): the QR's 18 digits name Maizuru, so the desk looks the resident up online and the
/// dose rules apply to the record it brought — dose 1 given at Maizuru's booth is refused as a
/// duplicate; another walk-in is given dose 1, which the server takes and HQ receives, audited
/// like any card shown. The looked-up ops are not asked for again nor sent back, the ledger
/// stays consistent. Unknown to the server, or offline: a clear refusal, nothing written.
#[test]
fn a_booth_of_another_municipality_finds_a_walk_in_online_and_the_dose_rules_apply_to_her_record() {
    use vax_app::desk::desk_find_online;
    use vax_app::lookup::Query;

    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (mut hq, mut maizuru_booth, booked) = maizuru_with_one_dose_given(&server, dir.path());
    let [dosed, walk_in, unreached, came_back, ..] = &booked[..] else {
        panic!("four booked at V03");
    };

    let mut kiosk = ayabe_kiosk_at_v03(&server, dir.path(), SyncRole::Booth);
    assert_eq!(resident_count(&kiosk), 0, "no resident of Maizuru");
    let e = desk::enrollment(&kiosk).unwrap().expect("desk enrolled");
    let qr = |voucher: &str| Query::Voucher(format!("11{}{voucher}", maizuru().as_str()));
    let lot = open_lot(&mut kiosk, &e, "comirnaty", "FA5765", time("08:52")).unwrap();
    let dose_1 = |resident_id| RecordDose {
        resident_id,
        dose_number: 1,
        lot_id: lot.id,
        vaccinator: "綾部 花子".into(),
        injection_site: "左上腕".into(),
        override_: None,
    };
    // Offline lookups and the next syncs are judged against this.
    let ops_before = kiosk.sync_log_summary().unwrap().ops;

    // She had dose 1 at Maizuru's booth: the lookup brings it, and dose 1 again is refused.
    let cards = desk_find_online(&mut kiosk, &e, &qr(&dosed.voucher), time("09:00")).unwrap();
    assert_eq!(cards.len(), 1, "found online");
    let id = cards[0].card.resident.id;
    assert_eq!(dose_rows(&kiosk, id), 1);
    assert_eq!(cards[0].due_dose, Some(2));
    let refused = record_dose(&mut kiosk, &e, &dose_1(id), time("09:01")).unwrap_err();
    assert_eq!(refused.code(), "DUPLICATE_DOSE", "{refused}");
    assert_eq!(
        resident_count(&kiosk),
        1,
        "her record only: {}",
        kiosk.sync_log_summary().unwrap().ops - ops_before
    );

    // Another walk-in with no dose yet: found online, checked in and given dose 1 by the booth.
    let cards = desk_find_online(&mut kiosk, &e, &qr(&walk_in.voucher), time("09:10")).unwrap();
    let id = cards[0].card.resident.id;
    assert_eq!(cards[0].due_dose, Some(1));
    record_dose(&mut kiosk, &e, &dose_1(id), time("09:15")).unwrap();
    let run = sync_now(&mut kiosk, time("09:20")).unwrap();
    assert_eq!(
        run.quarantined, 0,
        "the server takes a walk-in's dose: {run:?}"
    );
    assert_eq!(
        run.received_ops, 0,
        "the looked-up ops are not asked for again"
    );
    let again = sync_now(&mut kiosk, time("09:21")).unwrap();
    assert_eq!((again.sent_ops, again.received_ops), (0, 0), "{again:?}");
    let report = kiosk.check_consistency().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    sync_now(&mut hq, time("09:30")).unwrap();
    let at_hq = resident_id(&hq, &walk_in.voucher);
    assert_eq!(dose_rows(&hq, at_hq), 1, "HQ has the walk-in's dose");
    let trail = vax_app::audit::search(
        &hq,
        Role::Headquarters,
        &vax_app::audit::AuditSearch {
            resident: Some(walk_in.voucher.clone()),
            ..Default::default()
        },
    )
    .unwrap();
    let kiosk_id = kiosk.replica_identity().map(|(id, _)| id.to_string());
    let by_kiosk: Vec<&str> = trail
        .iter()
        .filter(|r| Some(&r.device) == kiosk_id.as_ref())
        .map(|r| r.action.as_str())
        .collect();
    assert!(
        by_kiosk.contains(&"lookup") && by_kiosk.contains(&"dose"),
        "who looked at her record, and who gave the dose: {by_kiosk:?}"
    );

    // Looked up once, then given dose 1 at her own municipality's booth: the next time she
    // walks in, the desk looks her up again (its copy is a snapshot) and refuses dose 1.
    let cards = desk_find_online(&mut kiosk, &e, &qr(&came_back.voucher), time("09:31")).unwrap();
    assert_eq!(cards[0].due_dose, Some(1));
    give_first_dose(&mut maizuru_booth, came_back.resident_id, "09:32");
    sync_now(&mut maizuru_booth, time("09:33")).unwrap();
    let cards = desk_find_online(&mut kiosk, &e, &qr(&came_back.voucher), time("09:34")).unwrap();
    let id = cards[0].card.resident.id;
    assert_eq!(
        dose_rows(&kiosk, id),
        1,
        "the dose given since the first lookup"
    );
    let refused = record_dose(&mut kiosk, &e, &dose_1(id), time("09:35")).unwrap_err();
    assert_eq!(refused.code(), "DUPLICATE_DOSE", "{refused}");
    let report = kiosk.check_consistency().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);

    // A voucher the server does not know: said so, nothing written.
    let ops_before = kiosk.sync_log_summary().unwrap().ops;
    let fukuchiyama = Query::Voucher(format!("11262013{}", unreached.voucher));
    let unknown = desk_find_online(&mut kiosk, &e, &fukuchiyama, time("09:40")).unwrap_err();
    assert_eq!(unknown.code(), "UNKNOWN_RESIDENT", "{unknown}");
    assert!(
        unknown.message_ja().contains("他の市町村"),
        "{}",
        unknown.message_ja()
    );

    // Offline: the clear message, and nothing written.
    server.kill();
    let offline =
        desk_find_online(&mut kiosk, &e, &qr(&unreached.voucher), time("09:45")).unwrap_err();
    assert_eq!(offline.code(), "WALK_IN_OFFLINE", "{offline}");
    assert!(
        offline
            .message_ja()
            .contains("通信がつながらないため接種履歴を確認できません"),
        "{}",
        offline.message_ja()
    );
    assert!(
        offline.to_string().contains("cannot be checked"),
        "{offline}"
    );
    assert_eq!(kiosk.sync_log_summary().unwrap().ops, ops_before);
    assert_eq!(resident_count(&kiosk), 3);
}

/// "Recorded either way" (docs/sync-spec.md §7b): a walk-in from Maizuru at Ayabe's venue while
/// the server is down. The desk cannot check her record and says how to give the dose on
/// paper; back-entry of that row (one row, or a whole sheet file) is refused while the server
/// is still down, writing nothing; once it is back, the row is recorded through the booth's
/// rules against the record looked up, a second row for someone Maizuru already dosed is
/// refused as a duplicate (the whole file with it), and HQ receives the walk-in's dose.
#[test]
fn a_walk_in_dosed_on_paper_while_offline_is_recorded_by_back_entry_once_the_server_is_back() {
    use vax_app::desk::desk_find_online;
    use vax_app::desk::paper::{back_enter, BackEntry};
    use vax_app::desk::paper_sheet::{back_enter_sheet, SheetError};
    use vax_app::lookup::Query;

    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = LoopbackServer::start(&db, 0).unwrap();
    let (mut hq, _maizuru_booth, booked) = maizuru_with_one_dose_given(&server, dir.path());
    let [dosed, walk_in, fresh, ..] = &booked[..] else {
        panic!("three booked at V03");
    };

    let mut kiosk = ayabe_kiosk_at_v03(&server, dir.path(), SyncRole::VenueManager);
    let e = desk::enrollment(&kiosk).unwrap().expect("desk enrolled");
    open_lot(&mut kiosk, &e, "comirnaty", "FA5765", time("08:52")).unwrap();
    let line = |voucher: &str| format!("11{}{voucher}", maizuru().as_str());
    let row = |voucher: &str, given_at: &str| BackEntry {
        voucher: line(voucher),
        date: DAY.parse().unwrap(),
        given_at: given_at.into(),
        lot_number: "FA5765".into(),
        vaccinator: "綾部 花子".into(),
        injection_site: "左上腕".into(),
        observed_until: String::new(),
    };
    let sheet = |rows: &[(&str, &str)]| {
        let mut text = "接種券番号,接種日,接種時刻,ロット番号,接種者\r\n".to_owned();
        for (voucher, at) in rows {
            text.push_str(&format!(
                "{},2021/5/17,{at},FA5765,綾部 花子\r\n",
                line(voucher)
            ));
        }
        text.into_bytes()
    };

    // The server goes down; she walks in. The desk says how to give the dose on paper.
    let port = server.port();
    server.kill();
    let at_desk = desk_find_online(
        &mut kiosk,
        &e,
        &Query::Voucher(line(&walk_in.voucher)),
        time("09:00"),
    )
    .unwrap_err();
    assert_eq!(at_desk.code(), "WALK_IN_OFFLINE", "{at_desk}");
    assert!(
        at_desk.message_ja().contains("記録票の空欄の行")
            && at_desk.message_ja().contains("紙の記録の入力"),
        "{}",
        at_desk.message_ja()
    );
    assert!(at_desk.to_string().contains("back-entry"), "{at_desk}");

    // Still down when the manager types the row in: refused, nothing written.
    let ops_before = kiosk.sync_log_summary().unwrap().ops;
    let refused = back_enter(
        &mut kiosk,
        &e,
        &row(&walk_in.voucher, "09:05"),
        time("12:00"),
    )
    .unwrap_err();
    assert_eq!(refused.code(), "WALK_IN_OFFLINE", "{refused}");
    assert!(
        refused.message_ja().contains("もう一度入力してください"),
        "{}",
        refused.message_ja()
    );
    let file = sheet(&[(&walk_in.voucher, "09:05"), (&fresh.voucher, "09:10")]);
    let Err(SheetError::Refused { problems }) =
        back_enter_sheet(&mut kiosk, &e, &file, None, time("12:01"))
    else {
        panic!("the sheet is refused while the walk-ins cannot be looked up");
    };
    let lines: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.code.as_str())).collect();
    assert_eq!(lines, [(2, "WALK_IN_OFFLINE"), (3, "WALK_IN_OFFLINE")]);
    assert_eq!(kiosk.sync_log_summary().unwrap().ops, ops_before);
    assert_eq!(resident_count(&kiosk), 0, "nobody's record was fetched");

    // The server is back: the row is recorded against the record looked up.
    let server = LoopbackServer::start(&db, port).unwrap();
    let done = back_enter(
        &mut kiosk,
        &e,
        &row(&walk_in.voucher, "09:05"),
        time("13:00"),
    )
    .expect("recorded once the record can be looked up");
    assert_eq!(done.dose_number, 1);
    assert!(done.checked_in);
    assert_eq!(done.given_at, time("09:05"), "the paper's time");

    // A sheet naming someone Maizuru dosed already: the duplicate refuses the whole file.
    let file = sheet(&[(&fresh.voucher, "09:10"), (&dosed.voucher, "09:20")]);
    let Err(SheetError::Refused { problems }) =
        back_enter_sheet(&mut kiosk, &e, &file, None, time("13:01"))
    else {
        panic!("a dose Maizuru gave is a duplicate on paper too");
    };
    let lines: Vec<(u64, &str)> = problems.iter().map(|p| (p.line, p.code.as_str())).collect();
    assert_eq!(lines, [(3, "DUPLICATE_DOSE")]);
    let fresh_here = resident_id(&kiosk, &fresh.voucher);
    assert_eq!(
        dose_rows(&kiosk, fresh_here),
        0,
        "nothing of the file written"
    );
    let file = sheet(&[(&fresh.voucher, "09:10")]);
    let outcome = back_enter_sheet(&mut kiosk, &e, &file, None, time("13:02")).unwrap();
    assert!(outcome.committed);
    assert_eq!(dose_rows(&kiosk, fresh_here), 1);

    let run = sync_now(&mut kiosk, time("13:05")).unwrap();
    assert_eq!(
        run.quarantined, 0,
        "the server takes the walk-ins' doses: {run:?}"
    );
    let report = kiosk.check_consistency().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
    sync_now(&mut hq, time("13:10")).unwrap();
    for voucher in [&walk_in.voucher, &fresh.voucher] {
        let doses = hq.reader().doses_of(resident_id(&hq, voucher)).unwrap();
        assert_eq!(doses.len(), 1, "HQ has the walk-in's dose");
        assert_eq!(doses[0].venue_code, "V03");
    }
    drop(server);
}

/// HQ with the 1,500-resident demo city, published and pushed, and a booth that synced it op
/// by op; then HQ files its snapshot and the booth records a dose after it.
fn a_city_with_a_snapshot(
    server: &LoopbackServer,
    dir: &std::path::Path,
) -> (Ledger, Ledger, vax_app::sync::SnapshotPublished) {
    let (mut hq, mut booth) = hq_and_a_new_booth(server, dir);
    let published = vax_app::sync::publish_snapshot(&mut hq, time("07:30")).unwrap();
    assert_eq!(published.ops, hq.sync_log_summary().unwrap().ops);
    assert!(published.scope.is_empty(), "HQ holds the whole ledger");
    let booked =
        first_booked(&vax_app::roster::venue_day(&booth, "V03", DAY.parse().unwrap()).unwrap())
            .resident_id;
    give_first_dose(&mut booth, booked, "09:10");
    sync_now(&mut booth, time("09:11")).unwrap();
    (hq, booth, published)
}

fn new_booth(server: &LoopbackServer, hq: &Ledger, dir: &std::path::Path, name: &str) -> Ledger {
    let code = create_enrollment_code(hq, Role::Booth, Some("V03"), &[], 24).unwrap();
    let mut booth = Ledger::open(&dir.join(format!("{name}.sqlite3"))).unwrap();
    enroll_device(
        &mut booth,
        &server.url(),
        &code,
        name,
        maizuru().as_str(),
        time("09:20"),
    )
    .unwrap();
    booth
}

#[test]
fn a_new_booth_takes_hqs_snapshot_then_what_came_after_it_and_sees_what_the_first_booth_sees() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let (hq, mut first, published) = a_city_with_a_snapshot(&server, dir.path());

    let mut second = new_booth(&server, &hq, dir.path(), "V03 接種2");
    let run = sync_now(&mut second, time("09:21")).unwrap();
    assert_eq!(run.snapshot_ops, published.ops);
    assert_eq!(run.snapshot_refused, None);
    assert_eq!(
        run.received_ops, 2,
        "only the first booth's dose and its audit entry came op by op: {run:?}"
    );
    assert_eq!(resident_count(&second), resident_count(&hq));
    assert_eq!(second.sync_log_summary().unwrap().unprojected, 0);
    let day = |l: &Ledger| vax_app::roster::venue_day(l, "V03", DAY.parse().unwrap()).unwrap();
    sync_now(&mut first, time("09:22")).unwrap();
    assert_eq!(
        day(&second),
        day(&first),
        "the same venue day, dose included"
    );
    let dosed = first_booked(&day(&first)).resident_id;
    assert_eq!(dose_rows(&second, dosed), 1);
    let e = desk::enrollment(&second)
        .unwrap()
        .expect("desk enrolled after the first sync");
    assert_eq!(e.venue_code.as_str(), "V03");

    // The duplicate-dose rule holds on the snapshot's rows, and the booth's own writes travel.
    let next = day(&second)
        .bands
        .iter()
        .flat_map(|b| &b.residents)
        .map(|r| r.resident_id)
        .find(|&id| dose_rows(&second, id) == 0)
        .expect("someone not dosed yet");
    give_first_dose(&mut second, next, "09:30");
    let sent = sync_now(&mut second, time("09:31")).unwrap();
    assert_eq!(sent.sent_ops, 2, "the dose and its audit entry: {sent:?}");
    assert_eq!(
        sent.snapshot_ops, 0,
        "a device holding ops never takes a snapshot"
    );
}

#[test]
fn a_snapshot_altered_in_the_servers_database_is_refused_and_the_booth_syncs_op_by_op() {
    let dir = tempfile::tempdir().unwrap();
    let db = dir.path().join("server.sqlite3");
    let server = LoopbackServer::start(&db, 0).unwrap();
    let (hq, _first, _) = a_city_with_a_snapshot(&server, dir.path());

    // Someone with the database (not HQ's key) rewrites a byte of the file and the hash in
    // the seal to match.
    let conn = rusqlite::Connection::open(&db).unwrap();
    let (seal, mut data): (String, Vec<u8>) = conn
        .query_row("SELECT seal, data FROM snapshots", [], |r| {
            Ok((r.get(0)?, r.get(1)?))
        })
        .unwrap();
    let middle = data.len() / 2;
    data[middle] ^= 0x20;
    let mut seal: vax_sync::SnapshotSeal = serde_json::from_str(&seal).unwrap();
    seal.header.sha256 = vax_sync::snapshot::sha256_hex(&data);
    conn.execute(
        "UPDATE snapshots SET seal = ?1, data = ?2",
        rusqlite::params![serde_json::to_string(&seal).unwrap(), data],
    )
    .unwrap();
    drop(conn);

    let mut booth = new_booth(&server, &hq, dir.path(), "V03 接種2");
    let run = sync_now(&mut booth, time("09:21")).unwrap();
    assert_eq!(run.snapshot_ops, 0);
    let why = run.snapshot_refused.expect("refused");
    assert!(why.contains("not signed by its author"), "{why}");
    assert_eq!(
        resident_count(&booth),
        resident_count(&hq),
        "all came op by op"
    );
    assert_eq!(booth.sync_log_summary().unwrap().unprojected, 0);
}

/// A prefecture's HQ holds 舞鶴 (the 1,500-resident demo) and more of 綾部's residents than the
/// counter-jump bound, published between 舞鶴's residents and its bookings. 舞鶴's own HQ holds
/// its city only, so its log skips that whole block; it still makes and files the city's
/// snapshot, and a 舞鶴 booth's first sync takes it, with nothing of 綾部 and a frontier that
/// asks for nothing again.
#[test]
fn a_municipalitys_hq_files_its_citys_snapshot_across_a_long_block_of_another_citys_ops() {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("server.sqlite3"), 0).unwrap();
    let mut hq = Ledger::open(&dir.path().join("hq.sqlite3")).unwrap();
    let params = DemoParams {
        residents: 1_500,
        start: DAY.parse::<NaiveDate>().unwrap(),
        ..DemoParams::default()
    };
    load_demo_city(&mut hq, &params, time("07:00"), &mut NoProgress).unwrap();
    let ayabe = MunicipalityCode::parse("262030").unwrap();
    let others = vax_demo::generate(&DemoParams {
        seed: 3_000,
        residents: vax_sync::MAX_COUNTER_JUMP as usize + 100,
        ..params.clone()
    });
    let tx = hq.transaction().unwrap();
    for (mut resident, _) in others.residents {
        let number: u64 = resident.voucher.as_str().parse().unwrap();
        resident.voucher =
            vax_domain::voucher::VoucherNumber::parse(&format!("{:010}", number + 10_000_000))
                .unwrap();
        resident.municipality = ayabe.clone();
        tx.upsert_resident(&resident, &time("07:05")).unwrap();
    }
    tx.commit().unwrap();
    let code = server.enrollment_code(SyncRole::Hq, None).unwrap();
    enroll_device(
        &mut hq,
        &server.url(),
        &code,
        "県本部",
        maizuru().as_str(),
        time("07:10"),
    )
    .unwrap();
    sync_now(&mut hq, time("07:11")).unwrap();

    let code = create_enrollment_code(
        &hq,
        Role::Headquarters,
        None,
        std::slice::from_ref(&maizuru()),
        24,
    )
    .unwrap();
    let mut city_hq = Ledger::open(&dir.path().join("city-hq.sqlite3")).unwrap();
    enroll_device(
        &mut city_hq,
        &server.url(),
        &code,
        "舞鶴本部",
        maizuru().as_str(),
        time("07:20"),
    )
    .unwrap();
    sync_now(&mut city_hq, time("07:21")).unwrap();
    assert_eq!(resident_count(&city_hq), 1_500);
    let published = vax_app::sync::publish_snapshot(&mut city_hq, time("07:30")).unwrap();
    assert_eq!(published.scope, vec![maizuru().as_str().to_owned()]);

    let code = create_enrollment_code(
        &hq,
        Role::Booth,
        Some("V03"),
        std::slice::from_ref(&maizuru()),
        24,
    )
    .unwrap();
    let mut booth = Ledger::open(&dir.path().join("booth.sqlite3")).unwrap();
    enroll_device(
        &mut booth,
        &server.url(),
        &code,
        "V03 接種",
        maizuru().as_str(),
        time("07:40"),
    )
    .unwrap();
    let first = sync_now(&mut booth, time("07:41")).unwrap();
    assert_eq!(first.snapshot_ops, published.ops, "{first:?}");
    assert_eq!(
        resident_count(&booth),
        1_500,
        "舞鶴's residents and no one else"
    );
    let again = sync_now(&mut booth, time("07:42")).unwrap();
    assert_eq!(
        again.received_ops, 0,
        "its frontier asks for nothing again: {again:?}"
    );
    let report = booth.check_consistency().unwrap();
    assert!(report.problems.is_empty(), "{:?}", report.problems);
}
