//! The dashboards and reports, checked against a ledger small enough to count by hand.

use chrono::{NaiveDate, NaiveTime};
use vax_app::reports::{
    coverage, coverage_table, csv_bytes, dashboard, dashboard_table, doses_by_day_and_venue,
    doses_table, inquiries_table, CsvEncoding,
};
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_domain::report::AgeBand;
use vax_domain::resident::{Resident, Sex};
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::{Ledger, NewDose, NewInquiry, RowId};

use crate::at;

fn june(d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 6, d).unwrap()
}

fn person(n: u32, born: (i32, u32, u32), district: &str) -> Resident {
    Resident {
        municipality: MunicipalityCode::parse("262021").unwrap(),
        voucher: VoucherNumber::parse(&format!("{n:010}")).unwrap(),
        name: format!("住民 {n}"),
        name_kana: "ジュウミン".into(),
        birth_date: NaiveDate::from_ymd_opt(born.0, born.1, born.2).unwrap(),
        sex: Sex::Female,
        postal_code: String::new(),
        address: "舞鶴市".into(),
        district: district.into(),
        home: None,
        phone: None,
        atena_number: None,
    }
}

/// The hand-counted ledger, as of 3 June 2021:
///
/// | resident | born | district | dose 1 booked | dose 1 given | dose 2 |
/// |---|---|---|---|---|---|
/// | 1 | 1940 (81) | 東 | V01 1 Jun | V01 1 Jun, checked in | booked V01 3 Jun, given 3 Jun |
/// | 2 | 1950 (71) | 東 | V01 1 Jun | — (no-show) | — |
/// | 3 | 1952 (69) | 西 | V02 2 Jun | V02 2 Jun | — |
/// | 4 | 1990 (31) | 西 | V02 3 Jun | — (today: not a no-show) | — |
/// | 5 | 2015 (6)  | 西 | — | — | — |
///
/// A dose voided on 2 Jun (resident 4, V02) counts nowhere. Inquiries: two about rebooking
/// on 1 Jun, one about transport on 3 Jun.
struct Small {
    ledger: Ledger,
}

fn small() -> Small {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let now = at("2021-05-20T09:00:00+09:00");
    let mut tx = ledger.transaction().unwrap();
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
                        end: NaiveTime::from_hms_opt(10, 0, 0).unwrap(),
                        capacity: 10,
                    },
                )
                .unwrap();
            bands.insert((code, d), band);
        }
    }
    let born = [
        (1940, 4, 1, "東"),
        (1950, 4, 1, "東"),
        (1952, 4, 1, "西"),
        (1990, 4, 1, "西"),
        (2015, 4, 1, "西"),
    ];
    for (i, (y, m, d, district)) in born.iter().enumerate() {
        tx.upsert_resident(&person(i as u32 + 1, (*y, *m, *d), district), &now)
            .unwrap();
    }
    let ids: Vec<RowId> = (1..=5u32)
        .map(|n| {
            tx.reader()
                .residents_by_voucher(None, &VoucherNumber::parse(&format!("{n:010}")).unwrap())
                .unwrap()[0]
                .id
        })
        .collect();
    let id = |n: u32| ids[n as usize - 1];
    for (n, dose, code, d) in [
        (1, 1, "V01", 1),
        (1, 2, "V01", 3),
        (2, 1, "V01", 1),
        (3, 1, "V02", 2),
        (4, 1, "V02", 3),
    ] {
        tx.book(id(n), dose, bands[&(code, d)], "comirnaty", &now)
            .unwrap();
    }
    let lot = tx.lot("comirnaty", "FA5765", None).unwrap();
    let give = |n: u32, dose: u8, code: &str, d: u32| {
        let when = at(&format!("2021-06-0{d}T09:30:00+09:00"));
        tx.insert_dose(&NewDose {
            uid: None,
            resident_id: id(n),
            dose_number: dose,
            administered_at: when,
            venue_id: venues[code],
            lot_id: lot,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            recorded_at: when,
        })
        .unwrap()
    };
    give(1, 1, "V01", 1);
    give(1, 2, "V01", 3);
    give(3, 1, "V02", 2);
    let mistaken = give(4, 1, "V02", 2);
    tx.void_event(
        vax_ledger::EventKind::Dose,
        &mistaken,
        "誤登録",
        &at("2021-06-02T10:00:00+09:00"),
    )
    .unwrap();
    tx.insert_check_in(
        "c1",
        id(1),
        venues["V01"],
        1,
        &at("2021-06-01T09:10:00+09:00"),
    )
    .unwrap();
    for (topic, when) in [
        (InquiryTopic::Rebooking, "2021-06-01T10:00:00+09:00"),
        (InquiryTopic::Rebooking, "2021-06-01T11:00:00+09:00"),
        (InquiryTopic::Transport, "2021-06-03T08:00:00+09:00"),
    ] {
        tx.insert_inquiry(&NewInquiry {
            uid: None,
            resident_id: Some(id(2)),
            received_at: at(when),
            channel: InquiryChannel::Phone,
            topic,
            note: "n".into(),
            operator: "op".into(),
            follow_up_needed: false,
            follow_up_by: String::new(),
            closes: None,
        })
        .unwrap();
    }
    tx.commit().unwrap();
    Small { ledger }
}

#[test]
fn the_hq_dashboard_matches_the_hand_count() {
    let s = small();
    let d = dashboard(&s.ledger, None, at("2021-06-03T18:00:00+09:00")).unwrap();
    // Today (3 Jun): bookings r1 dose 2 (V01), r4 (V02); doses: r1 dose 2.
    assert_eq!(
        (
            d.today_totals.booked,
            d.today_totals.checked_in,
            d.today_totals.doses,
            d.today_totals.no_shows
        ),
        (2, 0, 1, 0)
    );
    // Campaign: 5 bookings, 1 check-in, 3 valid doses, 1 no-show (r2 on 1 Jun).
    assert_eq!(
        (
            d.campaign_totals.booked,
            d.campaign_totals.checked_in,
            d.campaign_totals.doses,
            d.campaign_totals.no_shows
        ),
        (5, 1, 3, 1)
    );
    let per_day: Vec<(NaiveDate, u32)> =
        d.per_day.iter().map(|r| (r.date, r.totals.doses)).collect();
    assert_eq!(
        per_day,
        [(june(1), 1), (june(2), 1), (june(3), 1)],
        "the voided dose counts nowhere"
    );
    let v01 = &d.per_venue[0];
    assert_eq!(
        (
            v01.venue_code.as_str(),
            v01.campaign.doses,
            v01.campaign.no_shows
        ),
        ("V01", 2, 1)
    );
    let band = |b: AgeBand| d.coverage.iter().find(|r| r.band == b).unwrap();
    let over75 = band(AgeBand::SeventyFivePlus);
    assert_eq!((over75.residents, over75.first, over75.second), (1, 1, 1));
    let old = band(AgeBand::SixtyFiveToSeventyFour);
    assert_eq!((old.residents, old.first, old.second), (2, 1, 0));
    let thirties = band(AgeBand::Thirties);
    assert_eq!(
        (thirties.residents, thirties.first),
        (1, 0),
        "the voided dose is no coverage"
    );
    assert_eq!(band(AgeBand::Under12).residents, 1);
    assert_eq!(
        d.coverage.len(),
        AgeBand::ALL.len(),
        "every band, even empty ones"
    );
    let calls: Vec<(InquiryTopic, u32, u32)> = d
        .calls
        .iter()
        .map(|c| (c.topic, c.today, c.campaign))
        .collect();
    assert_eq!(calls[0], (InquiryTopic::Rebooking, 0, 2));
    assert_eq!(calls[1], (InquiryTopic::Transport, 1, 1));
    assert_eq!(calls.len(), InquiryTopic::ALL.len());
}

#[test]
fn a_venue_managers_dashboard_counts_only_their_venue() {
    let s = small();
    let d = dashboard(&s.ledger, Some("V02"), at("2021-06-03T18:00:00+09:00")).unwrap();
    assert_eq!(d.per_venue.len(), 1);
    assert_eq!(
        (
            d.campaign_totals.booked,
            d.campaign_totals.doses,
            d.campaign_totals.no_shows
        ),
        (2, 1, 0)
    );
    assert_eq!(d.today_totals.booked, 1);
}

#[test]
fn the_reports_match_the_hand_count_and_export_as_csv_excel_opens() {
    let s = small();
    let doses = doses_by_day_and_venue(&s.ledger, june(1), june(3)).unwrap();
    let (header, rows) = doses_table(&doses);
    let csv = csv_bytes(&header, &rows, CsvEncoding::Utf8Bom);
    assert_eq!(
        String::from_utf8(csv).unwrap(),
        "\u{feff}日付,会場コード,接種回数\r\n2021-06-01,V01,1\r\n2021-06-02,V02,1\r\n2021-06-03,V01,1\r\n"
    );

    let by_district = coverage(&s.ledger, june(3), true).unwrap();
    let (header, rows) = coverage_table(&by_district);
    let text = String::from_utf8(csv_bytes(&header, &rows, CsvEncoding::Utf8Bom)).unwrap();
    assert!(text.contains("\r\n65-74,東,1,0,0,0.0,0.0\r\n"), "{text}");
    assert!(text.contains("\r\n65-74,西,1,1,0,100.0,0.0\r\n"), "{text}");
    assert!(text.contains("\r\n75+,東,1,1,1,100.0,100.0\r\n"), "{text}");

    let (header, rows) = inquiries_table(&s.ledger, june(1), june(3)).unwrap();
    let cp932 = csv_bytes(&header, &rows, CsvEncoding::Cp932);
    let (decoded, _, bad) = encoding_rs::SHIFT_JIS.decode(&cp932);
    assert!(!bad);
    assert_eq!(
        decoded,
        "日付,内容,件数\r\n2021-06-01,予約変更,2\r\n2021-06-03,送迎,1\r\n"
    );

    let d = dashboard(&s.ledger, None, at("2021-06-03T18:00:00+09:00")).unwrap();
    let (header, rows) = dashboard_table(&d, "per_venue").unwrap();
    assert_eq!(header.len(), rows[0].len());
    assert!(dashboard_table(&d, "nonsense").is_none());
}

#[test]
fn a_cell_with_a_comma_or_quote_is_quoted() {
    let bytes = csv_bytes(
        &["a"],
        &[vec!["x,y".into()], vec!["say \"hi\"".into()]],
        CsvEncoding::Utf8Bom,
    );
    assert_eq!(
        String::from_utf8(bytes).unwrap(),
        "\u{feff}a\r\n\"x,y\"\r\n\"say \"\"hi\"\"\"\r\n"
    );
}

#[test]
fn a_venue_filter_in_the_query_counts_what_the_city_wide_count_says_for_that_venue() {
    let s = small();
    let every = s.ledger.reader().day_venue_counts(june(3), None).unwrap();
    for code in ["V01", "V02"] {
        let only = s
            .ledger
            .reader()
            .day_venue_counts(june(3), Some(code))
            .unwrap();
        let expected: Vec<_> = every
            .iter()
            .filter(|c| c.venue_code == code)
            .cloned()
            .collect();
        assert_eq!(only, expected, "{code}");
    }
    let v01 = dashboard(&s.ledger, Some("V01"), at("2021-06-03T18:00:00+09:00")).unwrap();
    // V01: r1 dose 1 (1 Jun, checked in, given), r2 (1 Jun, no-show), r1 dose 2 (3 Jun, given).
    assert_eq!(
        (
            v01.campaign_totals.booked,
            v01.campaign_totals.checked_in,
            v01.campaign_totals.doses,
            v01.campaign_totals.no_shows
        ),
        (3, 1, 2, 1)
    );
    assert_eq!((v01.today_totals.booked, v01.today_totals.doses), (1, 1));
    assert!(
        s.ledger
            .reader()
            .day_venue_counts(june(3), Some("V99"))
            .unwrap()
            .is_empty(),
        "a venue nobody defined counts nothing"
    );
}

#[test]
fn the_daily_report_counts_the_day_and_prints_it_on_one_a4_page() {
    use vax_app::daily_report::{daily_report, write_daily_report_pdf};
    let s = small();
    // 1 Jun, made on 3 Jun: the day is over, so r2's booking is a no-show.
    let r = daily_report(&s.ledger, june(1), at("2021-06-03T18:00:00+09:00")).unwrap();
    let line = |code: &str| r.venues.iter().find(|v| v.venue_code == code).unwrap();
    assert_eq!(
        (
            line("V01").booked,
            line("V01").checked_in,
            line("V01").doses,
            line("V01").no_shows
        ),
        (2, 1, 1, 1)
    );
    assert_eq!((line("V02").booked, line("V02").doses), (0, 0));
    assert_eq!((r.total.booked, r.total.doses, r.total.no_shows), (2, 1, 1));
    assert_eq!(r.campaign_doses, 1);
    assert_eq!(r.calls, 2);
    assert_eq!(r.calls_by_topic, [("予約変更".to_owned(), 2)]);
    assert_eq!(r.follow_ups_open, 0);
    assert_eq!(
        r.total.vials_on_hand, None,
        "no venue keeps stock in this ledger"
    );
    // Today (3 Jun, made during the day): r4's booking is no no-show yet.
    let today = daily_report(&s.ledger, june(3), at("2021-06-03T12:00:00+09:00")).unwrap();
    assert_eq!(
        (today.total.booked, today.total.doses, today.total.no_shows),
        (2, 1, 0)
    );
    assert_eq!(today.campaign_doses, 3);

    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("nippo.pdf");
    let font = vax_print::JapaneseFont::system_default().expect("the Japanese font is installed");
    write_daily_report_pdf(
        &s.ledger,
        &font,
        june(1),
        at("2021-06-03T18:00:00+09:00"),
        &path,
    )
    .unwrap();
    let out = std::process::Command::new("pdftotext")
        .args(["-layout"])
        .arg(&path)
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed");
    let text = String::from_utf8(out.stdout).unwrap();
    assert_eq!(text.matches('\u{c}').count(), 1, "one page: {text}");
    assert!(text.contains("新型コロナワクチン接種 日報"), "{text}");
    assert!(text.contains("令和3年6月1日（火）"), "{text}");
    let v01 = text
        .lines()
        .find(|l| l.contains("V01 会場V01"))
        .expect("V01's line");
    let numbers: Vec<&str> = v01.split_whitespace().skip(2).collect();
    assert_eq!(numbers, ["2", "1", "1", "1", "0", "0", "—"], "{v01}");
    let total = text
        .lines()
        .find(|l| l.trim_start().starts_with("合計") && l.contains('—'))
        .expect("total line");
    assert_eq!(
        total.split_whitespace().skip(1).collect::<Vec<_>>(),
        ["2", "1", "1", "1", "0", "0", "—"]
    );
    assert!(text.contains("本日の受付 2 件"), "{text}");
    assert!(text.contains("内訳: 予約変更 2 件"), "{text}");
}

/// A venue manager's ledger at V03 (the demo city) that replicates, its clock pinned, with
/// 10 vials received and 2 thawed at 07:30–07:45 and one opened at 08:00.
#[test]
fn freshness_shows_each_venues_doses_on_hand_and_how_long_it_has_been_silent() {
    use std::sync::Arc;
    use vax_app::config::VENUE_SILENT_MINUTES;
    use vax_app::reports::freshness;
    use vax_app::stock::{record_stock, StockAction};
    use vax_domain::clock::ManualClock;

    let (mut ledger, e) = crate::desk::venue();
    let clock = Arc::new(ManualClock::at(&crate::desk::time("07:30")));
    ledger.set_clock(clock.clone()).unwrap();
    ledger
        .start_replicating(
            vax_sync::ReplicaId::from_u128(7),
            vax_sync::Role::VenueManager,
            &vax_sync::DeviceKey::from_bytes(&[7; 32]),
        )
        .unwrap();
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
        clock.set(crate::desk::time(hm).timestamp_millis() as u64);
        record_stock(&mut ledger, &e, &lot(action), crate::desk::time(hm)).unwrap();
    }

    // At 08:20: 9 sealed vials at 6 doses (the default syringe) and 6 doses in the open
    // vial; heard from 20 minutes ago. Every other venue: nothing held, never heard from.
    let rows = freshness(&ledger, None, crate::desk::time("08:20")).unwrap();
    let v03 = rows.iter().find(|r| r.venue_code == "V03").unwrap();
    assert_eq!(
        (v03.sealed_vials, v03.open_doses, v03.doses_on_hand),
        (9, 6, 9 * 6 + 6)
    );
    assert_eq!(
        (v03.devices, v03.silent_minutes, v03.silent),
        (1, Some(20), false)
    );
    assert_eq!(v03.last_heard, Some(crate::desk::time("08:00")));
    // The leftover forecast is the one the venue manager's screen shows.
    let view = vax_app::stock::manager_view(&ledger, &e, crate::desk::time("08:20")).unwrap();
    assert_eq!(v03.forecast, view.forecast);
    assert!(v03.forecast.still_booked > 0, "{:?}", v03.forecast);
    assert_eq!(v03.forecast.doses_open, 6);
    let others: Vec<_> = rows.iter().filter(|r| r.venue_code != "V03").collect();
    assert!(!others.is_empty());
    assert!(
        others
            .iter()
            .all(|r| r.silent && r.last_heard.is_none() && r.doses_on_hand == 0),
        "{others:?}"
    );

    // Past the threshold the venue turns silent; a venue manager sees only their venue.
    let later = crate::desk::time("08:00") + chrono::Duration::minutes(VENUE_SILENT_MINUTES + 1);
    let rows = freshness(&ledger, Some("V03"), later).unwrap();
    assert_eq!(rows.len(), 1);
    assert!(rows[0].silent, "{rows:?}");
    let d = dashboard(&ledger, Some("V03"), later).unwrap();
    assert_eq!(d.freshness, rows);
    let (header, table) = dashboard_table(&d, "freshness").unwrap();
    assert_eq!(header[2], "在庫(回分)");
    assert_eq!(table[0][2], "60");
    assert_eq!(table[0][6], "2021-05-17 08:00");
    assert_eq!(header[8..], ["予約の残り(人)", "閉場時の残り見込み(回分)"]);
    assert_eq!(table[0][8], rows[0].forecast.still_booked.to_string());
}

#[test]
fn coverage_summed_by_birth_date_edges_equals_counting_each_residents_age() {
    use vax_app::reports::coverage_by_cells;
    let (mut ledger, _) = crate::desk::venue();
    // A resident born on 29 February, whose birthday the edges must place exactly.
    let tx = ledger.transaction().unwrap();
    tx.upsert_resident(
        &person(99_999, (1960, 2, 29), "東"),
        &at("2021-05-20T09:00:00+09:00"),
    )
    .unwrap();
    tx.commit().unwrap();
    for today in [
        "2021-06-03",
        "2024-02-28",
        "2024-02-29",
        "2024-03-01",
        "2025-02-28",
        "2025-03-01",
    ] {
        let today: NaiveDate = today.parse().unwrap();
        for by_district in [false, true] {
            assert_eq!(
                coverage(&ledger, today, by_district).unwrap(),
                coverage_by_cells(&ledger, today, by_district).unwrap(),
                "{today} by district: {by_district}"
            );
        }
    }
}
