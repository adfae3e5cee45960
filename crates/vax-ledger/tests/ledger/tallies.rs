//! The dashboard tallies of migration 0017 agree with counting the rows themselves, after
//! every kind of write: bookings made, moved and withdrawn, doses given twice and voided,
//! check-ins cancelled, a resident's register data corrected, calls logged, ops replicated
//! from other devices, and a ledger migrated with its data already in it.

use chrono::{NaiveDate, NaiveTime};
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::VoucherNumber;
use vax_ledger::{Ledger, NewDose, NewInquiry, RowId};
use vax_sync::{BookingCause, EventKind, OpKind, Role};

use crate::replication::{hq_with_a_small_city, record_dose, replica, sync};
use crate::{at, resident};

fn june(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, d).unwrap()
}

/// Every tally read equals its count by scan: per day and venue (city-wide and each venue's),
/// coverage, calls. Returns the city-wide day × venue counts for the caller's own checks.
fn assert_tallies_match(ledger: &Ledger, today: NaiveDate) -> Vec<vax_ledger::DayVenueCount> {
    let reader = ledger.reader();
    let counts = reader.day_venue_counts(today, None).unwrap();
    assert_eq!(
        counts,
        reader.day_venue_counts_by_scan(today, None).unwrap(),
        "day × venue, every venue"
    );
    for v in reader.venues().unwrap() {
        let code = Some(v.venue.code.as_str());
        assert_eq!(
            reader.day_venue_counts(today, code).unwrap(),
            reader.day_venue_counts_by_scan(today, code).unwrap(),
            "day × venue, {code:?}"
        );
    }
    assert_eq!(
        reader.coverage_cells().unwrap(),
        reader.coverage_cells_by_scan().unwrap(),
        "coverage"
    );
    let (from, to) = (june(1) - chrono::Days::new(400), june(30));
    assert_eq!(
        reader.inquiry_counts(from, to).unwrap(),
        reader.inquiry_counts_by_scan(from, to).unwrap(),
        "calls"
    );
    counts
}

fn cell(counts: &[vax_ledger::DayVenueCount], day: u32, venue: &str) -> (u32, u32, u32, u32) {
    counts
        .iter()
        .find(|c| c.date == june(day) && c.venue_code == venue)
        .map_or((0, 0, 0, 0), |c| {
            (c.booked, c.checked_in, c.doses, c.no_shows)
        })
}

struct City {
    ledger: Ledger,
    ids: Ids,
}

struct Ids {
    bands: std::collections::HashMap<(&'static str, u32), RowId>,
    venues: std::collections::HashMap<&'static str, RowId>,
    residents: Vec<RowId>,
    lot: RowId,
}

/// Two venues with a band on 1–3 June each, four residents (no bookings yet).
fn city() -> City {
    city_in(Ledger::open_in_memory().unwrap())
}

fn city_in(mut ledger: Ledger) -> City {
    let now = at("2021-05-20T09:00:00+09:00");
    let tx = ledger.transaction().unwrap();
    let mut bands = std::collections::HashMap::new();
    let mut venues = std::collections::HashMap::new();
    for code in ["V01", "V02"] {
        let venue_id = tx
            .insert_venue(&Venue {
                code: code.into(),
                name: format!("会場{code}"),
                address: "舞鶴市".into(),
                location: Coordinates {
                    lat: 35.47,
                    lon: 135.39,
                },
            })
            .unwrap();
        venues.insert(code, venue_id);
        for d in 1..=3 {
            let band = tx
                .insert_time_band(
                    venue_id,
                    &TimeBand {
                        venue_code: code.into(),
                        date: june(d),
                        start: NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
                        end: NaiveTime::from_hms_opt(9, 30, 0).unwrap(),
                        capacity: 10,
                    },
                )
                .unwrap();
            bands.insert((code, d), band);
        }
    }
    let mut residents = Vec::new();
    for n in 1..=4 {
        let voucher = format!("{n:010}");
        tx.upsert_resident(
            &resident(&voucher, &format!("住民 {n}"), "ジュウミン"),
            &now,
        )
        .unwrap();
        residents.push(
            tx.reader()
                .residents_by_voucher(None, &VoucherNumber::parse(&voucher).unwrap())
                .unwrap()[0]
                .id,
        );
    }
    let lot = tx.lot("comirnaty", "FA5765", None).unwrap();
    tx.commit().unwrap();
    City {
        ledger,
        ids: Ids {
            bands,
            venues,
            residents,
            lot,
        },
    }
}

fn dose(c: &Ids, resident: usize, dose_number: u8, venue: &str, day: u32) -> NewDose {
    let when = at(&format!("2021-06-0{day}T10:00:00+09:00"));
    NewDose {
        uid: None,
        resident_id: c.residents[resident],
        dose_number,
        administered_at: when,
        venue_id: c.venues[venue],
        lot_id: c.lot,
        vaccinator: "舞鶴 太郎".into(),
        injection_site: String::new(),
        recorded_at: when,
    }
}

#[test]
fn tallies_follow_bookings_doses_check_ins_voids_moves_withdrawals_and_corrections() {
    let mut c = city();
    let now = at("2021-05-25T09:00:00+09:00");
    let (r1, r2, r3, r4) = (
        c.ids.residents[0],
        c.ids.residents[1],
        c.ids.residents[2],
        c.ids.residents[3],
    );
    let tx = c.ledger.transaction().unwrap();
    tx.book(r1, 1, c.ids.bands[&("V01", 1)], "comirnaty", &now)
        .unwrap();
    tx.book(r2, 1, c.ids.bands[&("V01", 1)], "comirnaty", &now)
        .unwrap();
    tx.book(r3, 1, c.ids.bands[&("V02", 1)], "comirnaty", &now)
        .unwrap();
    tx.book(r4, 1, c.ids.bands[&("V02", 2)], "comirnaty", &now)
        .unwrap();
    tx.commit().unwrap();
    let counts = assert_tallies_match(&c.ledger, june(3));
    assert_eq!(cell(&counts, 1, "V01"), (2, 0, 0, 2), "nobody came yet");

    // Resident 1 checks in and is vaccinated; resident 3's dose is recorded twice (two
    // desks), then one record is voided — still vaccinated.
    let mut tx = c.ledger.transaction().unwrap();
    tx.insert_check_in(
        "c1",
        r1,
        c.ids.venues["V01"],
        1,
        &at("2021-06-01T09:05:00+09:00"),
    )
    .unwrap();
    tx.insert_dose(&dose(&c.ids, 0, 1, "V01", 1)).unwrap();
    let twice = tx.insert_dose(&dose(&c.ids, 2, 1, "V02", 1)).unwrap();
    tx.insert_dose(&dose(&c.ids, 2, 1, "V02", 1)).unwrap();
    tx.void_event(EventKind::Dose, &twice, "二重登録", &now)
        .unwrap();
    tx.commit().unwrap();
    let counts = assert_tallies_match(&c.ledger, june(3));
    assert_eq!(cell(&counts, 1, "V01"), (2, 1, 1, 1));
    assert_eq!(cell(&counts, 1, "V02"), (1, 0, 1, 0), "one valid dose left");

    // Resident 1's check-in is cancelled and the dose voided: a no-show again. Resident 2
    // is moved to V02 on 3 June (today: no no-show yet); resident 4 withdraws.
    let mut tx = c.ledger.transaction().unwrap();
    tx.void_event(EventKind::CheckIn, "c1", "取消", &now)
        .unwrap();
    let r1_dose: String = tx
        .reader()
        .doses_of(r1)
        .unwrap()
        .into_iter()
        .map(|d| d.uid)
        .next()
        .unwrap();
    tx.void_event(EventKind::Dose, &r1_dose, "誤登録", &now)
        .unwrap();
    tx.book(r2, 1, c.ids.bands[&("V02", 3)], "comirnaty", &now)
        .unwrap();
    assert!(tx.cancel_booking(r4, 1, BookingCause::Rebook).unwrap());
    tx.commit().unwrap();
    let counts = assert_tallies_match(&c.ledger, june(3));
    assert_eq!(cell(&counts, 1, "V01"), (1, 0, 0, 1));
    assert_eq!(cell(&counts, 3, "V02"), (1, 0, 0, 0));
    assert_eq!(cell(&counts, 2, "V02"), (0, 0, 0, 0), "withdrawn: no row");
    assert!(counts.iter().all(|c| c.date != june(2)), "{counts:?}");

    // A dose given before its booking exists (a walk-in booked afterwards) counts as given.
    let tx = c.ledger.transaction().unwrap();
    tx.insert_dose(&dose(&c.ids, 3, 1, "V02", 2)).unwrap();
    tx.book(r4, 1, c.ids.bands[&("V02", 2)], "comirnaty", &now)
        .unwrap();
    tx.commit().unwrap();
    let counts = assert_tallies_match(&c.ledger, june(3));
    assert_eq!(cell(&counts, 2, "V02"), (1, 0, 1, 0));

    // The register corrects resident 3's birth date and district: the coverage cell moves
    // with the dose the resident holds.
    let mut corrected = resident("0000000003", "住民 3", "ジュウミン");
    corrected.birth_date = NaiveDate::from_ymd_opt(1950, 1, 2).unwrap();
    corrected.district = "東舞鶴".into();
    let tx = c.ledger.transaction().unwrap();
    tx.upsert_resident(&corrected, &now).unwrap();
    tx.insert_inquiry(&NewInquiry {
        uid: None,
        resident_id: Some(r3),
        received_at: at("2021-06-02T08:30:00+09:00"),
        channel: InquiryChannel::Phone,
        topic: InquiryTopic::Rebooking,
        note: "予約の確認".into(),
        operator: "コール".into(),
        follow_up_needed: false,
        follow_up_by: String::new(),
        closes: None,
    })
    .unwrap();
    tx.commit().unwrap();
    assert_tallies_match(&c.ledger, june(3));
    let cells = c.ledger.reader().coverage_cells().unwrap();
    let moved = cells
        .iter()
        .find(|c| c.district == "東舞鶴")
        .expect("the corrected cell");
    assert_eq!((moved.residents, moved.first), (1, 1));
}

#[test]
fn replicated_doses_voids_and_rebookings_keep_every_replicas_tallies_right() {
    use vax_sync::{Booking, TimeBandId, VenueCode};
    let mut hq = hq_with_a_small_city();
    let mut v01 = replica(2, Role::Booth);
    let mut v02 = replica(3, Role::Booth);
    let mut cc = replica(4, Role::CallCentre);
    for other in [&mut v01, &mut v02, &mut cc] {
        sync(&mut hq, other);
    }
    // The same dose recorded at both venues offline, and a call centre rebooking resident 2
    // into V02's band.
    let first = record_dose(&mut v01, "V01", "0000000001", "09:10");
    record_dose(&mut v02, "V02", "0000000001", "10:40");
    let mut tx = cc.transaction().unwrap();
    tx.replicate(OpKind::Book(Booking {
        resident: VoucherNumber::parse("0000000002").unwrap(),
        dose_number: 1,
        band: Some(TimeBandId::for_slot(
            &VenueCode::new("V02"),
            june(1),
            NaiveTime::from_hms_opt(9, 0, 0).unwrap(),
        )),
        product: "comirnaty".into(),
        cause: BookingCause::Rebook,
        clock: Default::default(),
    }))
    .unwrap();
    tx.commit().unwrap();
    for other in [&mut v01, &mut v02, &mut cc] {
        sync(other, &mut hq);
    }
    let counts = assert_tallies_match(&hq, june(2));
    assert_eq!(cell(&counts, 1, "V01"), (1, 0, 1, 0));
    assert_eq!(
        cell(&counts, 1, "V02"),
        (1, 0, 1, 1),
        "resident 2 never came"
    );

    // HQ voids V01's record: resident 1 still holds V02's dose. Everyone hears of it.
    let mut tx = hq.transaction().unwrap();
    tx.void_event(
        EventKind::Dose,
        &first,
        "二重登録",
        &at("2021-06-01T12:00:00+09:00"),
    )
    .unwrap();
    tx.commit().unwrap();
    for other in [&mut v01, &mut v02, &mut cc] {
        sync(&mut hq, other);
    }
    // HQ heard from both booths: each under the venue its dose named, at the dose op's time.
    let heard = hq.reader().devices_heard().unwrap();
    let venue_of = |code: &str| {
        heard
            .iter()
            .filter(|d| d.venue_code.as_deref() == Some(code))
            .count()
    };
    assert_eq!((venue_of("V01"), venue_of("V02")), (1, 1), "{heard:?}");
    assert_eq!(
        heard.iter().filter(|d| d.venue_code.is_none()).count(),
        2,
        "HQ itself and the call centre name no venue: {heard:?}"
    );
    let v02_op = v02
        .reader()
        .devices_heard()
        .unwrap()
        .into_iter()
        .find(|d| d.venue_code.as_deref() == Some("V02"))
        .unwrap();
    assert!(heard.contains(&v02_op), "the same op time on both sides");
    // What each replica holds is the replication rules' business; that its tallies equal its
    // rows is this test's.
    assert_tallies_match(&cc, june(2));
    for (name, ledger) in [("HQ", &hq), ("V01", &v01), ("V02", &v02)] {
        let counts = assert_tallies_match(ledger, june(2));
        assert_eq!(
            cell(&counts, 1, "V01"),
            (1, 0, 0, 0),
            "{name}: given at V02"
        );
        assert_eq!(cell(&counts, 1, "V02"), (1, 0, 1, 1), "{name}");
    }
}

#[test]
fn the_migration_counts_what_the_ledger_already_holds() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("ledger.sqlite3");
    let mut c = city_in(Ledger::open(&path).unwrap());
    let now = at("2021-05-25T09:00:00+09:00");
    let mut tx = c.ledger.transaction().unwrap();
    tx.book(
        c.ids.residents[0],
        1,
        c.ids.bands[&("V01", 1)],
        "comirnaty",
        &now,
    )
    .unwrap();
    tx.book(
        c.ids.residents[1],
        1,
        c.ids.bands[&("V02", 2)],
        "comirnaty",
        &now,
    )
    .unwrap();
    tx.insert_dose(&dose(&c.ids, 0, 1, "V01", 1)).unwrap();
    let voided = tx.insert_dose(&dose(&c.ids, 1, 1, "V02", 2)).unwrap();
    tx.void_event(EventKind::Dose, &voided, "誤登録", &now)
        .unwrap();
    tx.insert_check_in("c1", c.ids.residents[0], c.ids.venues["V01"], 1, &now)
        .unwrap();
    tx.commit().unwrap();
    drop(c.ledger);

    // Take 0017 out as if the file came from the build before it.
    let conn = rusqlite::Connection::open(&path).unwrap();
    let triggers: Vec<String> = conn
        .prepare("SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'dash_%'")
        .unwrap()
        .query_map([], |r| r.get(0))
        .unwrap()
        .collect::<Result<_, _>>()
        .unwrap();
    assert_eq!(triggers.len(), 11, "{triggers:?}");
    for t in triggers {
        conn.execute(&format!("DROP TRIGGER {t}"), []).unwrap();
    }
    conn.execute_batch(
        "DROP TABLE dash_day_venue; DROP TABLE dash_coverage; DROP TABLE dash_inquiry_day;
         DROP TABLE dash_device_heard; DROP INDEX transport_rides_resident;
         ALTER TABLE notices DROP COLUMN ride; -- 0018's, which runs again after 0017
         DROP TABLE venue_day_supply; -- 0020's, likewise
         PRAGMA user_version = 16;",
    )
    .unwrap();
    drop(conn);

    let ledger = Ledger::open(&path).unwrap();
    let counts = assert_tallies_match(&ledger, june(3));
    assert_eq!(cell(&counts, 1, "V01"), (1, 0, 1, 0));
    assert_eq!(cell(&counts, 2, "V02"), (1, 0, 0, 1));
    let covered: u32 = ledger
        .reader()
        .coverage_cells()
        .unwrap()
        .iter()
        .map(|c| c.first)
        .sum();
    assert_eq!(covered, 1);
}
