//! The notices of new and changed bookings: what is pending, the batch's files read back
//! and compared with golden files, the letters' text, and what is recorded (or not).

use std::path::{Path, PathBuf};

use chrono::{NaiveDate, NaiveTime};
use vax_app::notices::{
    contact_phone, make_notice_batch, notice_batches, pending_notices, resident_notices,
    CallReason, NoticeError, NoticeOptions, OverLimit, CALLS_FILE, SMS_FILE, SUMMARY_LINES,
};
use vax_app::print::{set_mailing_details, JapaneseFont, MailingDetails};
use vax_domain::error::UserFacing;
use vax_domain::notice::{CancelReason, Channel, NoticeKind};
use vax_domain::resident::{Intention, Phone, Resident, Sex, SurveyAnswer};
use vax_domain::role::Role;
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::{Ledger, RowId};
use vax_sync::BookingCause;

use crate::at;

fn font() -> JapaneseFont {
    JapaneseFont::system_default().expect("the Japanese font is installed by scripts/setup.sh")
}

fn day(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2026, 12, d).unwrap()
}

fn resident(voucher: &str, name: &str, kana: &str, phone: Option<&str>) -> Resident {
    Resident {
        municipality: MunicipalityCode::parse("262021").unwrap(),
        voucher: VoucherNumber::parse(voucher).unwrap(),
        name: name.into(),
        name_kana: kana.into(),
        birth_date: NaiveDate::from_ymd_opt(1950, 4, 1).unwrap(),
        sex: Sex::Female,
        postal_code: "6240853".into(),
        address: "京都府舞鶴市字南田辺1番地".into(),
        district: "西舞鶴".into(),
        home: None,
        phone: phone.map(|p| Phone::parse(p).unwrap()),
        atena_number: None,
    }
}

fn band(venue: &str, date: NaiveDate, hour: u32) -> TimeBand {
    TimeBand {
        venue_code: venue.into(),
        date,
        start: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(hour, 30, 0).unwrap(),
        capacity: 20,
    }
}

struct City {
    _dir: tempfile::TempDir,
    out: PathBuf,
    ledger: Ledger,
    /// Resident ids: mobile, landline, no phone, mobile at the long-named venue.
    ids: [RowId; 4],
    /// Bands: V01 5 Dec 10:00, V01 26 Dec 10:00, V01 26 Dec 14:00, V02 6 Dec 9:00.
    bands: [RowId; 4],
}

/// Four residents booked at two venues, the second with a name too long for one SMS.
fn city() -> City {
    let dir = tempfile::tempdir().unwrap();
    let out = dir.path().join("notices");
    let mut ledger = Ledger::open(&dir.path().join("hq.sqlite3")).unwrap();
    let now = at("2026-11-30T09:00:00+09:00");
    let tx = ledger.transaction().unwrap();
    let mut ids = [0; 4];
    for (k, (v, name, kana, phone)) in [
        (
            "0000000001",
            "舞鶴 花子",
            "マイヅル ハナコ",
            Some("090-1234-5678"),
        ),
        (
            "0000000002",
            "舞鶴 一郎",
            "マイヅル イチロウ",
            Some("0773-62-2300"),
        ),
        ("0000000003", "舞鶴 次郎", "マイヅル ジロウ", None),
        (
            "0000000004",
            "舞鶴 三郎",
            "マイヅル サブロウ",
            Some("080-2222-3333"),
        ),
    ]
    .into_iter()
    .enumerate()
    {
        tx.upsert_resident(&resident(v, name, kana, phone), &now)
            .unwrap();
        ids[k] = tx.reader().residents_after(None, 10).unwrap()[k].id;
    }
    let v1 = tx
        .insert_venue(&Venue {
            code: "V01".into(),
            name: "中総合会館".into(),
            address: "京都府舞鶴市字浜2021番地".into(),
            location: Coordinates {
                lat: 35.47,
                lon: 135.39,
            },
        })
        .unwrap();
    let v2 = tx
        .insert_venue(&Venue {
            code: "V02".into(),
            name: "舞鶴市西駅交流センター多目的ホール第二会議室".into(),
            address: "京都府舞鶴市字伊佐津213番地".into(),
            location: Coordinates {
                lat: 35.44,
                lon: 135.33,
            },
        })
        .unwrap();
    let bands = [
        tx.insert_time_band(v1, &band("V01", day(5), 10)).unwrap(),
        tx.insert_time_band(v1, &band("V01", day(26), 10)).unwrap(),
        tx.insert_time_band(v1, &band("V01", day(26), 14)).unwrap(),
        tx.insert_time_band(v2, &band("V02", day(6), 9)).unwrap(),
    ];
    for id in &ids[..3] {
        tx.book(*id, 1, bands[0], "pfizer", &now).unwrap();
        tx.book(*id, 2, bands[1], "pfizer", &now).unwrap();
    }
    tx.book(ids[3], 1, bands[3], "pfizer", &now).unwrap();
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
    City {
        _dir: dir,
        out,
        ledger,
        ids,
        bands,
    }
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/app/golden")
        .join(name)
}

fn pdf_text(path: &Path) -> String {
    let out = std::process::Command::new("pdftotext")
        .args(["-layout", path.to_str().unwrap(), "-"])
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    assert!(out.status.success());
    String::from_utf8(out.stdout).unwrap()
}

/// Every record of a CSV file, the header first.
fn read_back(path: &Path) -> Vec<Vec<String>> {
    let bytes = std::fs::read(path).unwrap();
    let text = String::from_utf8(bytes).expect("UTF-8");
    let text = text.strip_prefix('\u{feff}').unwrap_or(&text);
    csv::ReaderBuilder::new()
        .has_headers(false)
        .from_reader(text.as_bytes())
        .records()
        .map(|r| r.unwrap().iter().map(str::to_owned).collect())
        .collect()
}

fn now() -> chrono::DateTime<chrono::FixedOffset> {
    at("2026-11-30T10:15:00+09:00")
}

#[test]
fn pending_counts_every_booking_by_kind_and_channel() {
    let c = city();
    let p = pending_notices(&c.ledger, &NoticeOptions::default(), day(1)).unwrap();
    assert_eq!((p.bookings, p.first, p.change), (7, 7, 0));
    assert_eq!(p.letters, 4, "one letter per resident");
    assert_eq!(p.sms, 2, "the mobile's two doses");
    assert_eq!(p.letter_only, 2, "no phone: letter only");
    assert_eq!(
        p.calls, 3,
        "the landline's two doses and the SMS over the limit"
    );
    assert_eq!((p.over_limit_total, p.over_limit.len()), (1, 1));
    assert_eq!(p.over_limit[0].name, "舞鶴 三郎");
    assert!(p.over_limit[0].length > 70);
    let reasons: Vec<CallReason> = p.call_list.iter().map(|l| l.reason).collect();
    assert_eq!(
        reasons,
        [
            CallReason::Landline,
            CallReason::Landline,
            CallReason::SmsTooLong
        ]
    );
    let wider = NoticeOptions {
        sms_limit: 100,
        ..NoticeOptions::default()
    };
    let p = pending_notices(&c.ledger, &wider, day(1)).unwrap();
    assert_eq!(
        (p.sms, p.calls),
        (3, 2),
        "a higher limit lets the long one go by SMS"
    );
}

#[test]
fn a_batch_writes_letters_sms_and_call_lists_and_records_every_notice() {
    let mut c = city();
    // What a crash half-way through an earlier batch left behind.
    let stale = c.out.join(".notices-0001-20261129-170000.part");
    std::fs::create_dir_all(&stale).unwrap();
    std::fs::write(stale.join("sms.csv"), "phone,mess").unwrap();
    let report = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &NoticeOptions::default(),
        now(),
    )
    .unwrap();
    assert_eq!(report.batch_id, 1);
    let folder = c.out.join("notices-0001-20261130-101500");
    assert_eq!(report.folder, folder.display().to_string());
    let names: Vec<&str> = report
        .files
        .iter()
        .map(|f| Path::new(f).file_name().unwrap().to_str().unwrap())
        .collect();
    assert_eq!(names, ["letters-0001.pdf", SMS_FILE, CALLS_FILE]);
    let leftovers: Vec<_> = std::fs::read_dir(&c.out)
        .unwrap()
        .map(|e| e.unwrap().file_name())
        .collect();
    assert_eq!(
        leftovers.len(),
        1,
        "no .part folder is left, the stale one is gone: {leftovers:?}"
    );

    // The lists, byte for byte, and read back.
    for (file, gold) in [
        (SMS_FILE, "notices-sms.csv"),
        (CALLS_FILE, "notices-calls.csv"),
    ] {
        let written = std::fs::read(folder.join(file)).unwrap();
        // `UPDATE_GOLDEN=1` rewrites the golden files (then review the diff).
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden(gold), &written).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&std::fs::read(golden(gold)).unwrap()),
            "{file}"
        );
    }
    let sms = read_back(&folder.join(SMS_FILE));
    assert_eq!(sms[0], ["phone", "message"]);
    assert_eq!(sms.len(), 3);
    assert_eq!(sms[1][0], "09012345678");
    assert!(sms[1][1].contains("12月5日(土)10:00〜10:30 中総合会館"));
    assert!(sms.iter().skip(1).all(|r| r[1].chars().count() <= 70));
    let calls = read_back(&folder.join(CALLS_FILE));
    assert_eq!(calls.len(), 4);
    assert_eq!(calls[1][1], "舞鶴 一郎");
    assert_eq!(calls[1][3], "0773-62-2300");
    assert_eq!(calls[3][9], "SMS文字数超過");

    // The letters: one page per resident, with each resident's venue and date.
    let text = pdf_text(&folder.join("letters-0001.pdf"));
    assert_eq!(
        text.matches("接種日時が次のとおり決まりました").count(),
        4,
        "{text}"
    );
    for needle in [
        "舞鶴 花子",
        "舞鶴 次郎",
        "中総合会館",
        "令和8年12月5日（土）",
        "2026年12月26日",
        "舞鶴市西駅交流センター多目的ホール第二会議室",
        "令和8年12月6日（日）",
        "09:00〜09:30",
        "舞鶴市 健康づくり課",
        "接種コールセンター 0773-00-0000",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }

    // Recorded: nothing pending any more, and the resident's history shows what was sent.
    let p = pending_notices(&c.ledger, &NoticeOptions::default(), day(1)).unwrap();
    assert_eq!(p.bookings, 0);
    let sent = resident_notices(&c.ledger, c.ids[0]).unwrap();
    let channels: Vec<Channel> = sent.iter().map(|n| n.channel).collect();
    assert_eq!(channels.len(), 4);
    assert_eq!(
        channels.iter().filter(|c| **c == Channel::Sms).count(),
        2,
        "{channels:?}"
    );
    assert!(sent.iter().all(|n| n.sent_at == now()));
    let batches = notice_batches(&c.ledger, 10).unwrap();
    assert_eq!(batches.len(), 1);
    assert_eq!(
        (batches[0].letters, batches[0].sms, batches[0].calls),
        (4, 2, 3)
    );
    assert_eq!(
        make_notice_batch(
            &mut c.ledger,
            Role::Headquarters,
            &font(),
            &c.out,
            &NoticeOptions::default(),
            now(),
        )
        .unwrap_err()
        .code(),
        "NOTHING_PENDING"
    );
}

#[test]
fn a_changed_band_makes_a_change_notice_showing_the_old_and_the_new() {
    let mut c = city();
    let options = NoticeOptions::default();
    make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        now(),
    )
    .unwrap();
    let tx = c.ledger.transaction().unwrap();
    tx.book(c.ids[0], 2, c.bands[2], "pfizer", &now()).unwrap();
    tx.commit().unwrap();
    let p = pending_notices(&c.ledger, &options, day(1)).unwrap();
    assert_eq!((p.bookings, p.first, p.change, p.sms), (1, 0, 1, 1));
    let later = at("2026-12-01T08:00:00+09:00");
    let report = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        later,
    )
    .unwrap();
    assert_eq!(report.batch_id, 2);
    let folder = Path::new(&report.folder);
    let sms = read_back(&folder.join(SMS_FILE));
    assert_eq!(
        sms[1],
        [
            "09012345678",
            "【接種日時変更】2回目:12月26日(土)14:00〜14:30 中総合会館。接種券と予診票をご持参ください"
        ]
    );
    let text = pdf_text(&folder.join("letters-0001.pdf"));
    for needle in [
        "接種日時変更のお知らせ",
        "変更前",
        "10:00〜10:30",
        "14:00〜14:30",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let sent = resident_notices(&c.ledger, c.ids[0]).unwrap();
    assert_eq!(sent[0].kind, NoticeKind::Change);
    assert_eq!(sent[0].batch_id, 2);
}

#[test]
fn a_cancelled_booking_is_told_once_with_the_reason_and_the_call_centre() {
    let mut c = city();
    let options = NoticeOptions::default();
    make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        now(),
    )
    .unwrap();
    // The mobile's day of dose 1 is cut (its band closed) and a reshuffle found no place for
    // either dose; the landline withdrew (the survey now says 希望しない) and both doses go.
    let mut tx = c.ledger.transaction().unwrap();
    tx.set_band_state(c.bands[0], 20, true).unwrap();
    let landline = tx.reader().resident(c.ids[1]).unwrap().resident;
    tx.apply_survey(
        &SurveyAnswer {
            municipality: landline.municipality.clone(),
            voucher: landline.voucher.clone(),
            intention: Intention::Declines,
            needs_transport: false,
            anaphylaxis_history: false,
        },
        &now(),
    )
    .unwrap();
    for id in [c.ids[0], c.ids[1]] {
        for dose in [1, 2] {
            assert!(tx
                .cancel_booking(id, dose, BookingCause::Reshuffle)
                .unwrap());
        }
    }
    tx.commit().unwrap();

    let p = pending_notices(&c.ledger, &options, day(1)).unwrap();
    assert_eq!(
        (p.bookings, p.cancel, p.letters, p.sms, p.calls),
        (0, 4, 2, 2, 2)
    );
    let later = at("2026-12-01T08:00:00+09:00");
    let report = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        later,
    )
    .unwrap();
    let folder = Path::new(&report.folder);
    for (file, gold) in [
        (SMS_FILE, "notices-cancel-sms.csv"),
        (CALLS_FILE, "notices-cancel-calls.csv"),
    ] {
        let written = std::fs::read(folder.join(file)).unwrap();
        if std::env::var_os("UPDATE_GOLDEN").is_some() {
            std::fs::write(golden(gold), &written).unwrap();
        }
        assert_eq!(
            String::from_utf8_lossy(&written),
            String::from_utf8_lossy(&std::fs::read(golden(gold)).unwrap()),
            "{file}"
        );
    }
    let sms = read_back(&folder.join(SMS_FILE));
    assert_eq!(
        sms[1],
        [
            "09012345678",
            "【予約取消】1回目 12月5日(土)中総合会館の予約は会場日程の中止のため取り消しました。問合せ0773-00-0000"
        ]
    );
    assert!(sms[2][1].contains("定員の変更のため"), "{:?}", sms[2]);
    let calls = read_back(&folder.join(CALLS_FILE));
    assert_eq!(calls[0][10], "取消理由");
    assert_eq!(calls[1][0], "取消");
    assert_eq!(calls[1][10], "接種希望の取下げ");
    let text = pdf_text(&folder.join("letters-0001.pdf"));
    assert_eq!(text.matches("接種予約取消のお知らせ").count(), 2, "{text}");
    for needle in [
        "会場の都合によりこの日の接種を中止しました",
        "接種を希望しないとのお申し出により",
        "接種コールセンター 0773-00-0000",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    let sent = resident_notices(&c.ledger, c.ids[0]).unwrap();
    assert_eq!(sent[0].kind, NoticeKind::Cancel);
    assert_eq!(sent[0].reason, Some(CancelReason::NoPlace));

    // Told once: nothing is pending any more.
    let p = pending_notices(&c.ledger, &options, day(1)).unwrap();
    assert_eq!((p.bookings, p.cancel), (0, 0));
    // Booked again later: a first notice, not a change from the cancelled booking.
    let tx = c.ledger.transaction().unwrap();
    tx.book(c.ids[0], 1, c.bands[0], "pfizer", &later).unwrap();
    tx.commit().unwrap();
    let p = pending_notices(&c.ledger, &options, day(1)).unwrap();
    assert_eq!((p.bookings, p.first, p.change, p.cancel), (1, 1, 0, 0));
}

#[test]
fn a_cancellation_needs_the_call_centre_number_and_nothing_else_is_written() {
    let mut c = city();
    let options = NoticeOptions::default();
    make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        now(),
    )
    .unwrap();
    let mut tx = c.ledger.transaction().unwrap();
    assert!(tx
        .cancel_booking(c.ids[2], 2, BookingCause::Rebook)
        .unwrap());
    tx.commit().unwrap();
    set_mailing_details(
        &mut c.ledger,
        &font(),
        Role::Headquarters,
        &MailingDetails {
            sender: "舞鶴市 健康づくり課".into(),
            contact: vec!["接種コールセンター（平日 9:00〜17:00）".into()],
        },
    )
    .unwrap();
    let e = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        at("2026-12-01T08:00:00+09:00"),
    )
    .unwrap_err();
    assert!(matches!(e, NoticeError::NoContactPhone), "{e}");
    assert!(e.message_ja().contains("電話番号"));
    assert_eq!(notice_batches(&c.ledger, 10).unwrap().len(), 1);
    let p = pending_notices(&c.ledger, &options, day(1)).unwrap();
    assert_eq!(p.cancel, 1, "still pending");
}

#[test]
fn the_call_centre_number_is_read_from_the_contact_lines() {
    let lines = |l: &[&str]| l.iter().map(|s| s.to_string()).collect::<Vec<_>>();
    assert_eq!(
        contact_phone(&lines(&[
            "舞鶴市 新型コロナワクチン接種コールセンター",
            "電話 0773-62-2300（平日 9:00〜17:00）"
        ])),
        Some("0773-62-2300".into())
    );
    assert_eq!(
        contact_phone(&lines(&["ＴＥＬ ０１２０－１２３－４５６"])),
        Some("０１２０－１２３－４５６".into())
    );
    assert_eq!(
        contact_phone(&lines(&["受付 9:00〜17:00", "FAX 12-3456"])),
        None
    );
}

fn assert_nothing_recorded(c: &City) {
    assert!(notice_batches(&c.ledger, 10).unwrap().is_empty());
    let p = pending_notices(&c.ledger, &NoticeOptions::default(), day(1)).unwrap();
    assert_eq!(p.bookings, 7, "every booking still pending");
    let folders = std::fs::read_dir(&c.out).map_or(0, |d| {
        d.filter(|e| e.as_ref().unwrap().path().is_dir()).count()
    });
    assert_eq!(folders, 0, "no batch folder is left");
}

#[test]
fn over_the_limit_with_refuse_writes_and_records_nothing() {
    let mut c = city();
    let options = NoticeOptions {
        over_limit: OverLimit::Refuse,
        ..NoticeOptions::default()
    };
    let e = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        now(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "SMS_TOO_LONG");
    assert!(e.to_string().contains("舞鶴 三郎"), "{e}");
    assert!(e.message_ja().contains("70文字"), "{}", e.message_ja());
    assert_nothing_recorded(&c);
}

#[test]
fn a_malformed_template_is_refused_before_anything_is_written() {
    let mut c = city();
    let options = NoticeOptions {
        change_template: "{date}{time}{place}".into(),
        ..NoticeOptions::default()
    };
    let e = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &options,
        now(),
    )
    .unwrap_err();
    assert!(
        matches!(
            e,
            NoticeError::Template {
                kind: NoticeKind::Change,
                ..
            }
        ),
        "{e}"
    );
    assert_eq!(e.code(), "INVALID_INPUT");
    assert!(e.message_ja().contains("{place}"));
    assert!(pending_notices(&c.ledger, &options, day(1)).is_err());
    assert_nothing_recorded(&c);
}

#[test]
fn only_headquarters_makes_notices() {
    let mut c = city();
    let e = make_notice_batch(
        &mut c.ledger,
        Role::CallCentre,
        &font(),
        &c.out,
        &NoticeOptions::default(),
        now(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "ROLE_MAY_NOT");
    assert_nothing_recorded(&c);
}

#[test]
fn a_batch_whose_files_cannot_be_written_records_nothing() {
    let mut c = city();
    // The output folder's place is taken by a file: the batch folder cannot be made.
    std::fs::write(&c.out, b"not a folder").unwrap();
    let e = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &NoticeOptions::default(),
        now(),
    )
    .unwrap_err();
    assert_eq!(e.code(), "PRINT_FAILED", "{e}");
    std::fs::remove_file(&c.out).unwrap();
    assert_nothing_recorded(&c);
}

#[test]
fn a_third_pending_dose_goes_on_a_second_page_rather_than_being_dropped() {
    let mut c = city();
    let tx = c.ledger.transaction().unwrap();
    tx.book(c.ids[2], 3, c.bands[2], "pfizer", &now()).unwrap();
    tx.commit().unwrap();
    let p = pending_notices(&c.ledger, &NoticeOptions::default(), day(1)).unwrap();
    assert_eq!((p.bookings, p.letters), (8, 5));
    let report = make_notice_batch(
        &mut c.ledger,
        Role::Headquarters,
        &font(),
        &c.out,
        &NoticeOptions::default(),
        now(),
    )
    .unwrap();
    let text = pdf_text(&Path::new(&report.folder).join("letters-0001.pdf"));
    assert_eq!(text.matches("舞鶴 次郎").count(), 2, "two pages for 次郎");
    assert!(text.contains("3回目の接種"), "{text}");
}

#[test]
fn the_summary_carries_the_first_lines_of_a_long_call_list_and_its_full_count() {
    let mut c = city();
    let now = now();
    let tx = c.ledger.transaction().unwrap();
    for k in 0..100 {
        let voucher = format!("{:010}", 1000 + k);
        tx.upsert_resident(
            &resident(&voucher, "試験 太郎", "シケン タロウ", Some("0773-62-0000")),
            &now,
        )
        .unwrap();
    }
    for r in tx
        .reader()
        .residents_after(None, 1000)
        .unwrap()
        .iter()
        .skip(4)
    {
        tx.book(r.id, 1, c.bands[0], "pfizer", &now).unwrap();
        tx.book(r.id, 2, c.bands[1], "pfizer", &now).unwrap();
    }
    tx.commit().unwrap();
    let p = pending_notices(&c.ledger, &NoticeOptions::default(), day(1)).unwrap();
    assert_eq!(p.calls, 203);
    assert_eq!(p.call_list.len(), SUMMARY_LINES);
}
