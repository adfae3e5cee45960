//! Bus riders' notices (issue 13): the pick-up time and point and the bus home in the letter,
//! the SMS and the call list; told again after a re-plan moves them or takes the bus away;
//! a resident who does not ride gets nothing new. SMS and call lists against golden files.

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use vax_app::notices::{make_notice_batch, pending_notices, NoticeError, NoticeOptions};
use vax_app::print::{set_mailing_details, JapaneseFont, MailingDetails};
use vax_app::transport::{
    import_fleet, import_pickup_points, import_riders, plan_day, SearchBudget,
};
use vax_domain::resident::{Intention, Phone, Resident, Sex, SurveyAnswer};
use vax_domain::role::Role;
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::Ledger;

use crate::at;

const FLEET: &str = "車両,座席,始業,終業,車庫緯度,車庫経度\n\
    1号車,8,07:30,18:00,35.4600,135.3700\n";

fn font() -> JapaneseFont {
    JapaneseFont::system_default().expect("the Japanese font is installed by scripts/setup.sh")
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    at("2026-11-30T10:15:00+09:00")
}

fn budget() -> SearchBudget {
    SearchBudget {
        seconds: 30.0,
        max_iterations: Some(200),
        seed: 1,
    }
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/app/golden")
        .join(name)
}

/// The file of a batch, compared with its golden copy (`UPDATE_GOLDEN=1` rewrites it).
fn assert_golden(folder: &Path, file: &str, golden_name: &str) -> String {
    let bytes = std::fs::read(folder.join(file)).unwrap();
    let path = golden(golden_name);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &bytes).unwrap();
    }
    assert_eq!(
        String::from_utf8_lossy(&bytes),
        std::fs::read_to_string(&path).unwrap(),
        "{golden_name}"
    );
    String::from_utf8(bytes).unwrap()
}

fn letters_text(folder: &Path) -> String {
    let mut text = String::new();
    for entry in std::fs::read_dir(folder).unwrap() {
        let path = entry.unwrap().path();
        if path.extension().is_some_and(|e| e == "pdf") {
            let out = std::process::Command::new("pdftotext")
                .args(["-layout", path.to_str().unwrap(), "-"])
                .output()
                .expect("pdftotext (poppler-utils) is installed");
            text.push_str(&String::from_utf8(out.stdout).unwrap());
        }
    }
    text
}

struct City {
    _dir: tempfile::TempDir,
    out: PathBuf,
    ledger: Ledger,
}

const DAY: (i32, u32, u32) = (2026, 12, 5);

fn day() -> NaiveDate {
    NaiveDate::from_ymd_opt(DAY.0, DAY.1, DAY.2).unwrap()
}

/// Four residents booked at V01 on 5 Dec 10:00: three ride (mobile, landline, no phone),
/// the fourth (mobile) does not.
fn city() -> City {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("notices");
    let mut ledger = Ledger::open(&dir.path().join("hq.sqlite3")).unwrap();
    let when = at("2026-11-30T09:00:00+09:00");
    let tx = ledger.transaction().unwrap();
    let people = [
        (
            "0000000011",
            "舞鶴 花子",
            Some("090-1234-5678"),
            35.4420,
            135.3400,
            true,
        ),
        (
            "0000000012",
            "舞鶴 一郎",
            Some("0773-62-2300"),
            35.4550,
            135.3550,
            true,
        ),
        ("0000000013", "舞鶴 次郎", None, 35.4800, 135.4100, true),
        (
            "0000000014",
            "舞鶴 三郎",
            Some("080-2222-3333"),
            35.4610,
            135.4000,
            false,
        ),
    ];
    let v1 = tx
        .insert_venue(&Venue {
            code: "V01".into(),
            name: "中総合会館".into(),
            address: "京都府舞鶴市字浜2021番地".into(),
            location: Coordinates {
                lat: 35.47,
                lon: 135.385,
            },
        })
        .unwrap();
    let band = tx
        .insert_time_band(
            v1,
            &TimeBand {
                venue_code: "V01".into(),
                date: day(),
                start: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                end: NaiveTime::from_hms_opt(10, 30, 0).unwrap(),
                capacity: 20,
            },
        )
        .unwrap();
    for (k, (voucher, name, phone, lat, lon, rides)) in people.into_iter().enumerate() {
        let municipality = MunicipalityCode::parse("262021").unwrap();
        let voucher = VoucherNumber::parse(voucher).unwrap();
        tx.upsert_resident(
            &Resident {
                municipality: municipality.clone(),
                voucher: voucher.clone(),
                name: name.into(),
                name_kana: "マイヅル".into(),
                birth_date: NaiveDate::from_ymd_opt(1940, 4, 1).unwrap(),
                sex: Sex::Female,
                postal_code: "6240853".into(),
                address: "京都府舞鶴市字南田辺1番地".into(),
                district: "西舞鶴".into(),
                home: Some(Coordinates { lat, lon }),
                phone: phone.map(|p| Phone::parse(p).unwrap()),
                atena_number: None,
            },
            &when,
        )
        .unwrap();
        assert!(tx
            .apply_survey(
                &SurveyAnswer {
                    municipality,
                    voucher,
                    intention: Intention::Wants,
                    needs_transport: rides,
                    anaphylaxis_history: false,
                },
                &when,
            )
            .unwrap());
        let id = tx.reader().residents_after(None, 10).unwrap()[k].id;
        tx.book(id, 1, band, "pfizer", &when).unwrap();
    }
    tx.commit().unwrap();
    set_mailing_details(
        &mut ledger,
        &font(),
        Role::Headquarters,
        &MailingDetails {
            sender: "舞鶴市 健康づくり課".into(),
            contact: vec!["接種コールセンター 0773-00-0000".into()],
        },
    )
    .unwrap();
    import_fleet(&mut ledger, Role::Headquarters, FLEET.as_bytes()).unwrap();
    City {
        _dir: dir,
        out,
        ledger,
    }
}

fn batch(c: &mut City) -> PathBuf {
    let report = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &NoticeOptions::default(),
        now(),
    )
    .unwrap();
    PathBuf::from(report.folder)
}

fn nothing_pending(c: &City) {
    let pending =
        pending_notices(&c.ledger, &NoticeOptions::default(), now().date_naive()).unwrap();
    assert_eq!(
        (pending.bookings, pending.letters),
        (0, 0),
        "told already: {pending:?}"
    );
}

#[test]
fn riders_are_told_their_bus_and_told_again_when_a_replan_moves_or_drops_it() {
    let mut c = city();
    let report = plan_day(
        &mut c.ledger,
        Role::Headquarters,
        "V01",
        day(),
        now(),
        &budget(),
    )
    .unwrap();
    assert_eq!((report.riders, report.rides), (3, 6), "{report:?}");

    // The first batch: every booking, the riders' with their bus.
    let folder = batch(&mut c);
    let sms = assert_golden(&folder, "sms.csv", "notices-rides-sms.csv");
    let calls = assert_golden(&folder, "calls.csv", "notices-rides-calls.csv");
    assert!(sms.contains("【送迎バス】12月5日(土) 迎え"), "{sms}");
    assert!(
        !sms.lines()
            .any(|l| l.starts_with("08022223333") && l.contains("送迎")),
        "the resident who does not ride gets no bus: {sms}"
    );
    assert!(
        calls.contains("迎え ") && calls.contains("帰り "),
        "{calls}"
    );
    let letters = letters_text(&folder);
    assert_eq!(letters.matches("送迎バス").count(), 3, "{letters}");
    nothing_pending(&c);
    assert!(matches!(
        make_notice_batch(
            &mut c.ledger,
            Role::Headquarters,
            &font(),
            &c.out,
            &NoticeOptions::default(),
            now(),
        ),
        Err(NoticeError::NothingPending)
    ));

    // HQ moves 花子 to a pick-up point, and 一郎 no longer needs the bus; the day is planned
    // again.
    import_pickup_points(
        &mut c.ledger,
        Role::Headquarters,
        "乗降場所コード,名称,緯度,経度\nP1,朝来公民館前,35.4700,135.3600\n".as_bytes(),
    )
    .unwrap();
    import_riders(
        &mut c.ledger,
        Role::Headquarters,
        "市町村コード,券番号,乗降場所コード,車いす\n262021,0000000011,P1,いいえ\n".as_bytes(),
    )
    .unwrap();
    let tx = c.ledger.transaction().unwrap();
    tx.apply_survey(
        &SurveyAnswer {
            municipality: MunicipalityCode::parse("262021").unwrap(),
            voucher: VoucherNumber::parse("0000000012").unwrap(),
            intention: Intention::Wants,
            needs_transport: false,
            anaphylaxis_history: false,
        },
        &now(),
    )
    .unwrap();
    tx.commit().unwrap();
    plan_day(
        &mut c.ledger,
        Role::Headquarters,
        "V01",
        day(),
        now(),
        &budget(),
    )
    .unwrap();

    // Only the two whose bus changed are told again, each about the bus alone.
    let pending =
        pending_notices(&c.ledger, &NoticeOptions::default(), now().date_naive()).unwrap();
    assert_eq!(
        (pending.change, pending.first, pending.letters),
        (2, 0, 2),
        "{pending:?}"
    );
    let folder = batch(&mut c);
    let sms = assert_golden(&folder, "sms.csv", "notices-rides-change-sms.csv");
    let calls = assert_golden(&folder, "calls.csv", "notices-rides-change-calls.csv");
    assert!(sms.contains("【送迎バス変更】12月5日(土) 迎え"), "{sms}");
    assert!(sms.contains("朝来公民館前"), "{sms}");
    assert!(calls.contains("運行なし（取消）"), "{calls}");
    let letters = letters_text(&folder);
    assert!(letters.contains("送迎バス時刻変更のお知らせ"), "{letters}");
    assert!(letters.contains("運行の予定はなくなりました"), "{letters}");
    nothing_pending(&c);
}

#[test]
fn a_rider_moved_by_hand_is_told_again() {
    let mut c = city();
    plan_day(
        &mut c.ledger,
        Role::Headquarters,
        "V01",
        day(),
        now(),
        &budget(),
    )
    .unwrap();
    batch(&mut c);
    nothing_pending(&c);
    // HQ takes one rider off the bus home: they go home on their own.
    let rider = c.ledger.reader().transport_legs("V01", day()).unwrap()[1].riders[0].clone();
    let moved = vax_app::transport_move::move_rider(
        &mut c.ledger,
        Role::Headquarters,
        "V01",
        day(),
        &vax_app::transport_move::RiderMove {
            resident_id: rider.resident_id,
            direction: vax_ledger::LegDirection::FromVenue,
            to: vax_app::transport_move::MoveTo::OwnWay,
        },
        now(),
    )
    .unwrap();
    assert!(moved.vehicle_before.is_some());
    // The moved rider is told again. (So, today, are the two others on that bus home: the
    // re-planner's cancellation moves the bus's departure from the venue; see the report.)
    let pending =
        pending_notices(&c.ledger, &NoticeOptions::default(), now().date_naive()).unwrap();
    assert!(pending.change >= 1 && pending.first == 0, "{pending:?}");
    assert_eq!(pending.change, pending.letters, "{pending:?}");
}

#[test]
fn without_a_bus_plan_the_notices_are_as_before() {
    let mut c = city();
    let folder = batch(&mut c);
    let sms = std::fs::read_to_string(folder.join("sms.csv")).unwrap();
    let calls = std::fs::read_to_string(folder.join("calls.csv")).unwrap();
    assert!(!sms.contains("送迎バス】"), "{sms}");
    assert!(!letters_text(&folder).contains("送迎バス"));
    // The call list has the 送迎バス column, empty.
    assert!(calls.contains("送迎バス"), "{calls}");
    assert!(!calls.contains("迎え "), "{calls}");
    // A plan made after the letters went out tells the riders their bus, on its own.
    plan_day(
        &mut c.ledger,
        Role::Headquarters,
        "V01",
        day(),
        now(),
        &budget(),
    )
    .unwrap();
    let pending =
        pending_notices(&c.ledger, &NoticeOptions::default(), now().date_naive()).unwrap();
    assert_eq!((pending.change, pending.letters), (3, 3), "{pending:?}");
    let folder = batch(&mut c);
    let letters = letters_text(&folder);
    assert_eq!(
        letters.matches("送迎バスのお知らせ").count(),
        3,
        "{letters}"
    );
    let sms = std::fs::read_to_string(folder.join("sms.csv")).unwrap();
    assert!(sms.contains("【送迎バス】12月5日(土) 迎え"), "{sms}");
    nothing_pending(&c);
}
