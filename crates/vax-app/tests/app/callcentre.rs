//! The call centre through the use cases: the resident history assembled from every source,
//! calls and follow-ups, the actions taken on a call, and a call reaching the reception desk
//! at a venue through the sync server.

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_app::callcentre::{
    complete_follow_up, correct_contact, follow_ups, history, log_call, rebook_offers,
    request_transport, set_standby, CallCentreError, ContactEdit, NewCall,
};
use vax_app::desk::{check_in, desk_find, open_lot, record_dose, Enrollment, RecordDose, Warning};
use vax_app::lookup::Query;
use vax_app::planning::{apply_reshuffle, preview_reshuffle, ReshuffleRequest};
use vax_app::stock::{log_standby_call, record_stock, StockAction};
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::notice::{Appointment, Channel, NoticeKind};
use vax_domain::role::Role;
use vax_domain::stock::CallOutcome;
use vax_ledger::{Ledger, NewNotice, NewNoticeBatch};
use vax_planner::PlanOptions;

use crate::desk::{booked_at_nine, time, venue};

fn day() -> NaiveDate {
    "2021-05-17".parse().unwrap()
}

/// The booth (the manager, here) opens the lot and gives dose 1 at `at`.
fn give(ledger: &mut Ledger, e: &Enrollment, resident_id: i64, at: DateTime<FixedOffset>) {
    record_stock(
        ledger,
        e,
        &StockAction::Receive {
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            vials: 2,
            expires_on: NaiveDate::from_ymd_opt(2021, 8, 31).unwrap(),
            from: "卸A".into(),
            thawed_use_by: None,
        },
        time("07:00"),
    )
    .unwrap();
    record_stock(
        ledger,
        e,
        &StockAction::Thaw {
            product: "comirnaty".into(),
            lot: "FA5765".into(),
            vials: 1,
        },
        time("07:10"),
    )
    .unwrap();
    let lot = open_lot(ledger, e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let dose = RecordDose {
        resident_id,
        dose_number: 1,
        lot_id: lot.id,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        override_: None,
    };
    record_dose(ledger, e, &dose, at).unwrap();
}

fn call(topic: InquiryTopic, note: &str) -> NewCall {
    NewCall {
        channel: InquiryChannel::Phone,
        topic,
        note: note.into(),
        operator: "コール 花子".into(),
        follow_up_needed: false,
        follow_up_by: String::new(),
    }
}

fn follow_up(topic: InquiryTopic, note: &str, by: &str) -> NewCall {
    NewCall {
        follow_up_needed: true,
        follow_up_by: by.into(),
        ..call(topic, note)
    }
}

/// Records a letter notice of the resident's dose-1 booking at V03 today.
fn notice_sent(ledger: &mut Ledger, resident_id: i64) {
    let tx = ledger.notice_tx().unwrap();
    let batch = tx.next_batch_id().unwrap();
    let made = time("06:00");
    tx.insert_batch(
        batch,
        &NewNoticeBatch {
            created_at: &made,
            folder: "notices-0001",
            files: &["letters-0001.pdf".to_owned()],
            options_json: "{}",
            letters: 1,
            sms: 0,
            calls: 0,
        },
    )
    .unwrap();
    tx.add_notices(
        batch,
        &made,
        &[NewNotice {
            resident_id,
            kind: NoticeKind::First,
            channel: Channel::Letter,
            appointment: Appointment {
                dose_number: 1,
                venue_code: "V03".into(),
                venue_name: "会場3".into(),
                venue_address: "舞鶴市".into(),
                date: day(),
                start: "09:00".parse().unwrap(),
                end: "10:00".parse().unwrap(),
            },
            phone: None,
            message: None,
        }],
    )
    .unwrap();
    tx.commit().unwrap();
}

#[test]
fn the_history_assembles_register_survey_bookings_check_ins_doses_notices_standby_and_calls() {
    let (mut ledger, e) = venue();
    let (_, id) = booked_at_nine(&ledger);
    notice_sent(&mut ledger, id);
    log_call(
        &mut ledger,
        Role::Headquarters,
        id,
        &call(InquiryTopic::VenueAndItems, "持ち物を確認"),
        time("07:30"),
    )
    .unwrap();
    set_standby(&mut ledger, Role::Headquarters, id, true).unwrap();
    log_standby_call(&mut ledger, &e, id, CallOutcome::NotReached, time("08:00")).unwrap();
    log_call(
        &mut ledger,
        Role::Headquarters,
        id,
        &follow_up(InquiryTopic::SideEffects, "腕の痛みについて", "保健師"),
        time("08:10"),
    )
    .unwrap();
    check_in(&mut ledger, &e, id, time("09:05")).unwrap();
    give(&mut ledger, &e, id, time("09:20"));

    let h = history(&ledger, id, day()).unwrap();
    let r = ledger.reader().resident(id).unwrap();
    assert_eq!(h.card.resident, r, "register data and the survey answer");
    assert!(
        h.card.resident.survey.is_some(),
        "the demo city answered the survey"
    );
    assert_eq!(
        h.card
            .bookings
            .iter()
            .map(|b| b.dose_number)
            .collect::<Vec<_>>(),
        [1, 2],
        "both bookings"
    );
    assert_eq!(h.check_ins.len(), 1);
    assert_eq!(h.check_ins[0].checked_in_at, time("09:05"));
    assert_eq!(h.card.doses.len(), 1);
    assert_eq!(h.card.doses[0].administered_at, time("09:20"));
    assert_eq!(h.notices.len(), 1);
    assert_eq!(h.notices[0].channel, Channel::Letter);
    assert!(h.standby);
    assert_eq!(h.standby_calls.len(), 1);
    assert_eq!(h.standby_calls[0].venue_code, "V03");
    assert_eq!(h.standby_calls[0].outcome, CallOutcome::NotReached);
    let topics: Vec<InquiryTopic> = h.card.inquiries.iter().map(|i| i.topic).collect();
    assert_eq!(
        topics,
        [InquiryTopic::SideEffects, InquiryTopic::VenueAndItems],
        "every inquiry, newest first"
    );
    assert_eq!(h.card.inquiries[1].operator, "コール 花子");
    assert_eq!(h.open_follow_ups.len(), 1);
    assert_eq!(h.open_follow_ups[0].follow_up_by, "保健師");
}

#[test]
fn a_follow_up_is_on_the_work_list_until_a_call_back_completes_it() {
    let (mut ledger, _) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let uid = log_call(
        &mut ledger,
        Role::CallCentre,
        id,
        &follow_up(InquiryTopic::Transport, "送迎の時間を折り返し連絡", ""),
        time("07:30"),
    )
    .unwrap();
    let list = follow_ups(&ledger).unwrap();
    assert_eq!(list.len(), 1);
    assert_eq!(
        (list[0].resident_id, list[0].inquiry.uid.as_str()),
        (id, uid.as_str())
    );

    let back = complete_follow_up(
        &mut ledger,
        Role::CallCentre,
        &uid,
        "8:40に迎え、と伝えた",
        "コール 次郎",
        time("10:00"),
    )
    .unwrap();
    assert!(follow_ups(&ledger).unwrap().is_empty(), "completed");
    let h = history(&ledger, id, day()).unwrap();
    assert!(h.open_follow_ups.is_empty());
    let first = h.card.inquiries.iter().find(|i| i.uid == uid).unwrap();
    assert_eq!(first.closed_by.as_deref(), Some(back.as_str()));
    assert_eq!(h.card.inquiries[0].closes.as_deref(), Some(uid.as_str()));
    assert_eq!(
        h.card.inquiries[0].topic,
        InquiryTopic::Transport,
        "the call back keeps the topic"
    );

    let again = complete_follow_up(
        &mut ledger,
        Role::CallCentre,
        &uid,
        "再度",
        "x",
        time("10:05"),
    );
    assert!(
        matches!(again, Err(CallCentreError::NoOpenFollowUp(_))),
        "{again:?}"
    );
}

#[test]
fn only_the_call_centre_and_hq_log_calls_and_an_empty_note_is_refused() {
    let (mut ledger, _) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let err = log_call(
        &mut ledger,
        Role::Reception,
        id,
        &call(InquiryTopic::Other, "x"),
        time("07:30"),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RoleMayNot);
    let err = log_call(
        &mut ledger,
        Role::CallCentre,
        id,
        &call(InquiryTopic::Other, "   "),
        time("07:30"),
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(
        err.message_ja().contains("通話メモ"),
        "{}",
        err.message_ja()
    );
    assert!(
        ledger.reader().inquiries_of(id).unwrap().is_empty(),
        "nothing logged"
    );
}

#[test]
fn the_reception_card_shows_an_open_follow_up_and_not_a_completed_one() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let uid = log_call(
        &mut ledger,
        Role::Headquarters,
        id,
        &follow_up(
            InquiryTopic::VoucherReissue,
            "接種券を再発行、受付で確認",
            "受付",
        ),
        time("07:30"),
    )
    .unwrap();
    let cards = desk_find(
        &mut ledger,
        &e,
        &Query::Voucher(line.clone()),
        time("09:00"),
    )
    .unwrap();
    let shown: Vec<&Warning> = cards[0]
        .warnings
        .iter()
        .filter(|w| matches!(w, Warning::OpenFollowUp { .. }))
        .collect();
    assert_eq!(
        shown,
        [&Warning::OpenFollowUp {
            topic: InquiryTopic::VoucherReissue,
            note: "接種券を再発行、受付で確認".into(),
            follow_up_by: "受付".into(),
            received_at: time("07:30"),
        }]
    );
    complete_follow_up(
        &mut ledger,
        Role::Headquarters,
        &uid,
        "済",
        "本部",
        time("08:00"),
    )
    .unwrap();
    let cards = desk_find(&mut ledger, &e, &Query::Voucher(line), time("09:00")).unwrap();
    assert!(!cards[0]
        .warnings
        .iter()
        .any(|w| matches!(w, Warning::OpenFollowUp { .. })));
}

#[test]
fn rebook_offers_respect_the_dose_interval_and_a_move_request_from_the_call_applies() {
    let (mut ledger, _) = venue();
    let (_, id) = booked_at_nine(&ledger);
    let offers = rebook_offers(&ledger, id, day()).unwrap();
    assert!(!offers.is_empty(), "the demo city has free places");
    assert!(offers.len() <= vax_app::callcentre::REBOOK_OFFERS);
    assert!(offers
        .iter()
        .all(|o| o.dose == 1 && o.date > day() && o.free > 0));
    assert!(
        offers.windows(2).all(|w| w[0].date <= w[1].date),
        "soonest first: {offers:?}"
    );
    let pick = &offers[0];
    let request = ReshuffleRequest::MoveRequest {
        voucher: ledger
            .reader()
            .resident(id)
            .unwrap()
            .resident
            .voucher
            .to_string(),
        dose: 1,
        from: pick.date,
        to: pick.date,
        venue: Some(pick.venue_code.clone()),
    };
    let options = PlanOptions::default();
    let preview = preview_reshuffle(&ledger, time("10:00"), &request, &options).unwrap();
    assert!(preview
        .moves
        .iter()
        .any(|m| m.resident_id == id && m.dose == 1));
    let applied = apply_reshuffle(
        &mut ledger,
        Role::CallCentre,
        time("10:00"),
        &preview,
        &options,
    )
    .unwrap();
    assert!(applied.moved >= 1);
    let h = history(&ledger, id, day()).unwrap();
    let dose1 = h.card.bookings.iter().find(|b| b.dose_number == 1).unwrap();
    assert_eq!(
        (dose1.band.date, dose1.band.venue_code.as_str()),
        (pick.date, pick.venue_code.as_str())
    );
    let dose2 = h.card.bookings.iter().find(|b| b.dose_number == 2).unwrap();
    assert!(
        dose2.band.date >= pick.date + chrono::Days::new(18),
        "dose 2 follows the interval: {} after {}",
        dose2.band.date,
        pick.date
    );

    // Dose 2 after dose 1 was given: never before the earliest interval day.
    let later: NaiveDate = pick.date;
    let offers = rebook_offers(&ledger, id, later).unwrap();
    assert!(offers.iter().all(|o| o.dose == 1), "dose 1 not given yet");

    let err = apply_reshuffle(
        &mut ledger,
        Role::Reception,
        time("10:00"),
        &preview,
        &options,
    )
    .unwrap_err();
    assert_eq!(err.code(), ErrorCode::RoleMayNot);
}

#[test]
fn transport_standby_and_contact_corrections_from_a_call() {
    let (mut ledger, _) = venue();
    let (_, id) = booked_at_nine(&ledger);
    request_transport(&mut ledger, Role::CallCentre, id, true, time("07:30")).unwrap();
    set_standby(&mut ledger, Role::CallCentre, id, true).unwrap();
    correct_contact(
        &mut ledger,
        Role::CallCentre,
        id,
        &ContactEdit {
            phone: "０７７３－６２－９９９９".into(),
            postal_code: "6240853".into(),
            address: "舞鶴市字南田辺1番地".into(),
        },
        time("07:31"),
    )
    .unwrap();
    let h = history(&ledger, id, day()).unwrap();
    assert!(h.card.resident.survey.as_ref().unwrap().needs_transport);
    assert!(h.standby);
    let r = &h.card.resident.resident;
    assert_eq!(r.phone.as_ref().unwrap().display, "0773-62-9999");
    assert_eq!(r.postal_code, "624-0853");
    assert_eq!(r.address, "舞鶴市字南田辺1番地");
    let found = vax_app::lookup::find(&ledger, &Query::Phone("9999".into())).unwrap();
    assert!(found.iter().any(|f| f.id == id), "found by the new number");

    let bad = correct_contact(
        &mut ledger,
        Role::CallCentre,
        id,
        &ContactEdit {
            phone: "12-34".into(),
            postal_code: String::new(),
            address: "x".into(),
        },
        time("07:32"),
    )
    .unwrap_err();
    assert_eq!(bad.code(), ErrorCode::InvalidInput);
    assert!(
        bad.message_ja().starts_with("電話番号"),
        "{}",
        bad.message_ja()
    );
    let still = history(&ledger, id, day()).unwrap();
    assert_eq!(
        still.card.resident.resident.address, "舞鶴市字南田辺1番地",
        "nothing written"
    );
    let booth = set_standby(&mut ledger, Role::Booth, id, false).unwrap_err();
    assert_eq!(booth.code(), ErrorCode::RoleMayNot);
}

#[test]
fn the_history_page_tells_when_and_where_the_bus_comes_and_whether_they_boarded() {
    use vax_app::rides::{mark_ride, BusDirection, BusMark};
    use vax_app::transport::plan_day;
    let (mut ledger, venue, date) = crate::transport::city();
    plan_day(
        &mut ledger,
        vax_domain::role::Role::Headquarters,
        &venue,
        date,
        crate::now(),
        &crate::transport::budget(),
    )
    .unwrap();
    let planned = ledger.reader().rides_of_day(&venue, date).unwrap();
    let pickup = planned
        .iter()
        .find(|r| r.direction == vax_sync::RideDirection::ToVenue)
        .expect("a pick-up");
    let rider = pickup.resident_id;

    let h = vax_app::callcentre::history(&ledger, rider, date).unwrap();
    let to_venue = h
        .rides
        .iter()
        .find(|r| r.direction == "to_venue")
        .expect("the pick-up on the history page");
    assert_eq!(
        (
            to_venue.venue_code.as_str(),
            to_venue.date,
            to_venue.at_door.as_str(),
            to_venue.at_venue.as_str(),
            to_venue.vehicle.as_str(),
            &to_venue.pickup_point,
            to_venue.mark.as_deref(),
        ),
        (
            venue.as_str(),
            date,
            pickup.at_door.as_str(),
            pickup.at_venue.as_str(),
            pickup.vehicle.as_str(),
            &pickup.pickup_point,
            None,
        )
    );
    assert_eq!(
        h.rides.len(),
        planned.iter().filter(|r| r.resident_id == rider).count(),
        "every ride of theirs, none of anyone else's"
    );
    assert!(h.rides[0].direction == "to_venue", "the pick-up first");

    mark_ride(
        &mut ledger,
        vax_domain::role::Role::Reception,
        &venue,
        date,
        rider,
        BusDirection::ToVenue,
        BusMark::Boarded,
        crate::now(),
    )
    .unwrap();
    let h = vax_app::callcentre::history(&ledger, rider, date).unwrap();
    assert_eq!(h.rides[0].mark.as_deref(), Some("boarded"));
    assert!(h.rides[0].marked_at.is_some());
}
