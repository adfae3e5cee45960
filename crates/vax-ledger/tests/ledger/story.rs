//! One realistic walk through every write and read of the ledger.

use chrono::{NaiveDate, NaiveTime};
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::resident::{Intention, Resident, SurveyAnswer};
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::EventKind;
use vax_ledger::{Ledger, NewDose, NewInquiry, RegisterOutcome};

use crate::{at, resident};

#[test]
fn register_survey_booking_dose_and_inquiry_are_read_back_as_written() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let now = at("2021-05-01T09:00:00+09:00");
    let tx = ledger.transaction().unwrap();

    let hanako = resident("0000000001", "山田 花子", "ヤマダ ハナコ");
    assert_eq!(
        tx.upsert_resident(&hanako, &now).unwrap(),
        RegisterOutcome::Inserted
    );
    assert_eq!(
        tx.upsert_resident(&hanako, &now).unwrap(),
        RegisterOutcome::Unchanged,
        "the same row again changes nothing"
    );
    tx.commit().unwrap();
    // A later import of a changed register: the floor of "new" ids is per transaction.
    let mut tx = ledger.transaction().unwrap();
    let mut moved = hanako.clone();
    moved.address = "京都府舞鶴市字浜1番地".into();
    assert_eq!(
        tx.upsert_resident(&moved, &now).unwrap(),
        RegisterOutcome::Updated,
        "a known resident with a new address is updated, not duplicated"
    );
    tx.upsert_resident(
        &resident("0000000002", "山本 一郎", "ヤマモト イチロウ"),
        &now,
    )
    .unwrap();

    let answered = tx
        .apply_survey(
            &SurveyAnswer {
                municipality: hanako.municipality.clone(),
                voucher: hanako.voucher.clone(),
                intention: Intention::Wants,
                needs_transport: true,
                anaphylaxis_history: true,
            },
            &now,
        )
        .unwrap();
    assert!(answered, "survey answer for a known voucher is applied");
    let unknown = tx
        .apply_survey(
            &SurveyAnswer {
                municipality: hanako.municipality.clone(),
                voucher: VoucherNumber::parse("9999999999").unwrap(),
                intention: Intention::Declines,
                needs_transport: false,
                anaphylaxis_history: false,
            },
            &now,
        )
        .unwrap();
    assert!(!unknown, "survey answer for an unknown voucher reports it");

    let venue_id = tx
        .insert_venue(&Venue {
            code: "V01".into(),
            name: "舞鶴市総合文化会館".into(),
            address: "京都府舞鶴市字浜2021".into(),
            location: Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
        })
        .unwrap();
    let day = NaiveDate::from_ymd_opt(2021, 6, 1).unwrap();
    let band_id = tx
        .insert_time_band(
            venue_id,
            &TimeBand {
                venue_code: "V01".into(),
                date: day,
                start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                capacity: 40,
            },
        )
        .unwrap();
    let r = tx.reader();
    let found = r
        .residents_by_voucher(
            Some(&MunicipalityCode::parse("262021").unwrap()),
            &hanako.voucher,
        )
        .unwrap();
    assert_eq!(found.len(), 1, "exactly one resident per voucher");
    let id = found[0].id;
    assert_eq!(
        found[0].resident.address, "京都府舞鶴市字浜1番地",
        "the update is visible"
    );
    let survey = found[0].survey.as_ref().expect("survey recorded");
    assert!(survey.needs_transport && survey.anaphylaxis_history);

    tx.book(id, 1, band_id, "comirnaty", &now).unwrap();
    let lot = tx.lot("comirnaty", "FF3620", None).unwrap();
    assert_eq!(
        tx.lot("comirnaty", "FF3620", None).unwrap(),
        lot,
        "a lot is registered once"
    );
    let uid = tx
        .insert_dose(&NewDose {
            uid: None,
            resident_id: id,
            dose_number: 1,
            administered_at: at("2021-06-01T09:12:00+09:00"),
            venue_id,
            lot_id: lot,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            recorded_at: at("2021-06-01T09:12:30+09:00"),
        })
        .unwrap();
    tx.insert_inquiry(&NewInquiry {
        uid: None,
        resident_id: Some(id),
        received_at: at("2021-05-20T10:00:00+09:00"),
        channel: InquiryChannel::Phone,
        topic: InquiryTopic::Rebooking,
        note: "1回目の日時を確認".into(),
        operator: "コールセンター1".into(),
        follow_up_needed: false,
        follow_up_by: String::new(),
        closes: None,
    })
    .unwrap();
    tx.void_event(
        EventKind::Dose,
        &uid,
        "誤登録",
        &at("2021-06-01T10:00:00+09:00"),
    )
    .unwrap();
    assert!(
        tx.void_event(EventKind::Dose, &uid, "again", &now).is_err(),
        "a voided dose cannot be voided twice"
    );
    tx.commit().unwrap();

    let r = ledger.reader();
    let bookings = r.bookings_of(id).unwrap();
    assert_eq!(bookings.len(), 1);
    assert_eq!(bookings[0].venue_name, "舞鶴市総合文化会館");
    let doses = r.doses_of(id).unwrap();
    assert_eq!(doses.len(), 1, "a voided dose stays in the ledger");
    assert_eq!(
        doses[0].voided.as_ref().map(|v| v.1.as_str()),
        Some("誤登録")
    );
    assert_eq!(r.inquiries_of(id).unwrap().len(), 1);
    let day_view = r.venue_day("V01", day).unwrap();
    assert_eq!(day_view.len(), 1);
    assert_eq!(day_view[0].booked, 1, "the band shows its booking");
    assert_eq!(r.bookings_in_band(band_id).unwrap()[0].1.id, id);

    assert_eq!(
        r.residents_by_kana_prefix("ヤマ", 10).unwrap().len(),
        2,
        "prefix finds both"
    );
    assert_eq!(r.residents_by_kana_prefix("ヤマダ", 10).unwrap().len(), 1);
    assert_eq!(
        r.residents_by_phone("1234", 10).unwrap().len(),
        2,
        "last digits match"
    );
    assert_eq!(
        r.residents_by_birth_date(NaiveDate::from_ymd_opt(1941, 4, 1).unwrap(), 10)
            .unwrap()
            .len(),
        2
    );
}

#[test]
fn a_register_atena_number_is_kept_and_no_register_without_one_erases_it() {
    use vax_domain::resident::AtenaNumber;
    let mut ledger = Ledger::open_in_memory().unwrap();
    let now = at("2021-05-01T09:00:00+09:00");
    let mut hanako = resident("0000000001", "山田 花子", "ヤマダ ハナコ");
    let stored = |ledger: &Ledger| {
        ledger
            .reader()
            .residents_by_voucher(None, &VoucherNumber::parse("0000000001").unwrap())
            .unwrap()[0]
            .resident
            .atena_number
            .clone()
    };
    let upsert = |ledger: &mut Ledger, r: &vax_domain::resident::Resident| {
        let tx = ledger.transaction().unwrap();
        let outcome = tx.upsert_resident(r, &now).unwrap();
        tx.commit().unwrap();
        outcome
    };

    assert_eq!(upsert(&mut ledger, &hanako), RegisterOutcome::Inserted);
    assert_eq!(stored(&ledger), None, "an old register file carries none");

    hanako.atena_number = Some(AtenaNumber::parse("000012345678901").unwrap());
    assert_eq!(
        upsert(&mut ledger, &hanako),
        RegisterOutcome::Updated,
        "a number arriving is a change"
    );
    assert_eq!(stored(&ledger), hanako.atena_number, "leading zeros kept");

    let without = Resident {
        atena_number: None,
        ..hanako.clone()
    };
    assert_eq!(
        upsert(&mut ledger, &without),
        RegisterOutcome::Unchanged,
        "a file without the number changes nothing"
    );
    assert_eq!(stored(&ledger), hanako.atena_number, "and erases nothing");

    hanako.atena_number = Some(AtenaNumber::parse("000012345678902").unwrap());
    assert_eq!(upsert(&mut ledger, &hanako), RegisterOutcome::Updated);
    assert_eq!(
        stored(&ledger),
        hanako.atena_number,
        "a new number replaces it"
    );
}
