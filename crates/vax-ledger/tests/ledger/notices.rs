//! The notices tables: which bookings need a notice, recording a batch, and a change found
//! by comparing with what was told.

use chrono::{NaiveDate, NaiveTime};
use vax_domain::notice::{Channel, NoticeKind};
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_ledger::{Ledger, NewNotice, NewNoticeBatch, PendingBooking};

use crate::{at, resident};

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn band(date: NaiveDate, hour: u32) -> TimeBand {
    TimeBand {
        venue_code: "V01".into(),
        date,
        start: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(hour, 30, 0).unwrap(),
        capacity: 10,
    }
}

fn record(ledger: &mut Ledger, pending: &[PendingBooking], when: &str) -> i64 {
    let tx = ledger.notice_tx().unwrap();
    let id = tx.next_batch_id().unwrap();
    let now = at(when);
    tx.insert_batch(
        id,
        &NewNoticeBatch {
            created_at: &now,
            folder: "/tmp/notices",
            files: &["letters-0001.pdf".to_owned()],
            options_json: "{}",
            letters: pending.len(),
            sms: 0,
            calls: 0,
        },
    )
    .unwrap();
    let notices: Vec<NewNotice> = pending
        .iter()
        .map(|p| NewNotice {
            resident_id: p.resident_id,
            kind: p.kind(),
            channel: Channel::Letter,
            appointment: p.appointment.clone(),
            phone: None,
            message: None,
        })
        .collect();
    tx.add_notices(id, &now, &notices).unwrap();
    tx.commit().unwrap();
    id
}

#[test]
fn a_booking_is_pending_until_told_and_again_once_its_band_changes() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let now = at("2026-11-30T09:00:00+09:00");
    let tx = ledger.transaction().unwrap();
    let hanako = tx
        .upsert_resident(&resident("0000000001", "山田 花子", "ヤマダ ハナコ"), &now)
        .map(|_| tx.reader().resident_count().unwrap())
        .unwrap();
    assert_eq!(hanako, 1);
    let venue = tx
        .insert_venue(&Venue {
            code: "V01".into(),
            name: "中総合会館".into(),
            address: "京都府舞鶴市字浜1".into(),
            location: Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
        })
        .unwrap();
    let first = tx.insert_time_band(venue, &band(day(5), 10)).unwrap();
    let second = tx.insert_time_band(venue, &band(day(26), 10)).unwrap();
    let later = tx.insert_time_band(venue, &band(day(26), 14)).unwrap();
    let past = tx.insert_time_band(venue, &band(day(1), 10)).unwrap();
    let id = tx.reader().residents_after(None, 1).unwrap()[0].id;
    tx.book(id, 1, first, "pfizer", &now).unwrap();
    tx.book(id, 2, second, "pfizer", &now).unwrap();
    tx.commit().unwrap();

    let pending = ledger.reader().pending_notices(day(1)).unwrap();
    assert_eq!(pending.len(), 2);
    assert!(pending.iter().all(|p| p.kind() == NoticeKind::First));
    assert_eq!(pending[0].appointment.dose_number, 1);
    assert_eq!(pending[0].appointment.venue_name, "中総合会館");
    assert_eq!(pending[0].appointment.date, day(5));
    assert_eq!(
        ledger.reader().pending_notices(day(6)).unwrap().len(),
        1,
        "a booking before the day asked for needs no notice any more"
    );

    let batch = record(&mut ledger, &pending, "2026-11-30T10:00:00+09:00");
    assert!(ledger.reader().pending_notices(day(1)).unwrap().is_empty());

    // Dose 2 moves to the afternoon: a change, showing what was told before.
    let tx = ledger.transaction().unwrap();
    tx.book(id, 2, later, "pfizer", &now).unwrap();
    tx.commit().unwrap();
    let pending = ledger.reader().pending_notices(day(1)).unwrap();
    assert_eq!(pending.len(), 1);
    assert_eq!(pending[0].kind(), NoticeKind::Change);
    assert_eq!(
        pending[0].previous.as_ref().unwrap().start,
        NaiveTime::from_hms_opt(10, 0, 0).unwrap()
    );
    assert_eq!(
        pending[0].appointment.start,
        NaiveTime::from_hms_opt(14, 0, 0).unwrap()
    );
    let second_batch = record(&mut ledger, &pending, "2026-12-01T10:00:00+09:00");
    assert_eq!(second_batch, batch + 1);

    // Moved back to the past band's day: before `from`, so nothing pending.
    let tx = ledger.transaction().unwrap();
    tx.book(id, 1, past, "pfizer", &now).unwrap();
    tx.commit().unwrap();
    assert!(ledger.reader().pending_notices(day(2)).unwrap().is_empty());

    let sent = ledger.reader().notices_of(id).unwrap();
    assert_eq!(sent.len(), 3);
    assert_eq!(sent[0].kind, NoticeKind::Change, "newest first");
    assert_eq!(sent[0].batch_id, second_batch);
    assert_eq!(sent[0].sent_at, at("2026-12-01T10:00:00+09:00"));
    let batches = ledger.reader().notice_batches(10).unwrap();
    assert_eq!(batches.len(), 2);
    assert_eq!(batches[0].id, second_batch);
    assert_eq!(batches[1].files, ["letters-0001.pdf"]);
    assert_eq!(batches[1].letters, 2);
}

#[test]
fn a_batch_dropped_before_commit_records_nothing() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    {
        let tx = ledger.notice_tx().unwrap();
        let now = at("2026-11-30T10:00:00+09:00");
        tx.insert_batch(
            1,
            &NewNoticeBatch {
                created_at: &now,
                folder: "x",
                files: &[],
                options_json: "{}",
                letters: 0,
                sms: 0,
                calls: 0,
            },
        )
        .unwrap();
    }
    assert!(ledger.reader().notice_batches(10).unwrap().is_empty());
}
