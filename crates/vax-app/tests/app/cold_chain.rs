//! Cold chain: logger files read (golden samples in docs/samples, malformed files refused
//! with their lines), excursions quarantining the lot at the booth, and HQ's hand-off of the
//! bookings it leaves without doses to the reshuffle engine.

use chrono::NaiveDateTime;
use vax_app::desk::{open_lot, record_dose, DeskError, Enrollment, RecordDose};
use vax_app::import::{ImportError, TextEncoding};
use vax_app::planning::{preview_reshuffle, ReshuffleRequest};
use vax_app::stock::{
    import_logger, parse_logger_csv, quarantine_impacts, record_stock, venue_lots, ColdChainError,
    StockAction,
};
use vax_domain::error::UserFacing;
use vax_domain::product::StoragePlace;
use vax_domain::role::Role;
use vax_planner::PlanOptions;

use crate::desk::{time, venue};
use crate::sample;

const LOT: &str = "FA5765";

fn read(name: &str) -> Vec<u8> {
    std::fs::read(sample(name)).unwrap()
}

fn at(s: &str) -> NaiveDateTime {
    NaiveDateTime::parse_from_str(s, "%Y-%m-%d %H:%M:%S").unwrap()
}

#[test]
fn a_td_style_export_in_cp932_reads_with_its_unit_row_and_local_time_column() {
    let log = parse_logger_csv(&read("logger-td.csv"), TextEncoding::Auto).unwrap();
    assert_eq!(log.encoding, "CP932");
    assert_eq!(log.time_column, "記録日時");
    assert_eq!(log.temperature_column, "No.1");
    assert_eq!(log.header_line, 1);
    assert_eq!(log.readings.len(), 12);
    let first = log.readings[0];
    assert_eq!(
        (first.at, first.celsius, first.line),
        (at("2021-05-17 02:00:00"), 4.8, 3)
    );
    let last = log.readings[11];
    assert_eq!(
        (last.at, last.celsius, last.line),
        (at("2021-05-17 03:50:00"), 5.0, 14)
    );
}

#[test]
fn an_elitech_style_export_reads_below_its_device_lines() {
    let log = parse_logger_csv(&read("logger-elitech.csv"), TextEncoding::Auto).unwrap();
    assert_eq!(log.encoding, "UTF-8");
    assert_eq!(log.header_line, 7);
    assert_eq!(log.time_column, "Time");
    assert_eq!(log.temperature_column, "Temperature(°C)");
    let values: Vec<f64> = log.readings.iter().map(|r| r.celsius).collect();
    assert_eq!(values, [4.1, 4.0, 3.9, 3.9, 4.2, 4.4, 4.3, 4.1]);
    assert_eq!(log.readings[0].at, at("2021-05-17 08:00:00"));
    assert_eq!(log.readings[0].line, 8);
}

#[test]
fn separate_date_and_time_columns_tabs_and_a_utc_only_column_are_read() {
    let tabs = "日付\t時刻\t温度(℃)\r\n2021/05/17\t09:00\t5.5\r\n2021/5/17\t9:10:00\t−1.5\r\n";
    let log = parse_logger_csv(tabs.as_bytes(), TextEncoding::Utf8).unwrap();
    assert_eq!(log.time_column, "日付+時刻");
    assert_eq!(log.readings[1].at, at("2021-05-17 09:10:00"));
    assert_eq!(log.readings[1].celsius, -1.5);

    let utc = "Timestamp (UTC);Temp °C\n2021-05-17T00:00:00Z;4.0\n";
    let log = parse_logger_csv(utc.as_bytes(), TextEncoding::Utf8).unwrap();
    assert_eq!(
        log.readings[0].at,
        at("2021-05-17 09:00:00"),
        "moved to Japan time"
    );
}

#[test]
fn a_broken_file_is_refused_whole_with_every_bad_line() {
    let Err(ImportError::Rejected { problems }) =
        parse_logger_csv(&read("logger-broken.csv"), TextEncoding::Auto)
    else {
        panic!("the broken sample is refused")
    };
    let lines: Vec<u64> = problems.iter().map(|p| p.line).collect();
    assert_eq!(lines, [4, 5, 7]);
    assert_eq!(problems[0].column.as_deref(), Some("Time"));
    assert!(problems[0].message_ja.contains("8:10:00 PM"));
    assert_eq!(problems[1].column.as_deref(), Some("Temperature(°C)"));
    assert!(problems[2].message_en.contains("150"));
}

#[test]
fn files_without_a_table_in_fahrenheit_or_without_readings_are_refused() {
    let refused = |text: &str| match parse_logger_csv(text.as_bytes(), TextEncoding::Utf8) {
        Err(ImportError::Rejected { problems }) => problems,
        other => panic!("{text:?} was read: {other:?}"),
    };
    let p = refused("just,some,text\n1,2,3\n");
    assert_eq!(p[0].line, 1);
    assert!(p[0].message_en.contains("no header row"));
    let p = refused("Device,RC-5\nTime,Temperature(°F)\n2021-05-17 09:00:00,41.0\n");
    assert_eq!(p[0].line, 2);
    assert!(p[0].message_ja.contains("華氏"));
    let p = refused("Time,Temperature(°C)\n\n");
    assert!(p[0].message_en.contains("no readings"));
    // Not UTF-8 when UTF-8 is asked: refused with the line, not read as garbage.
    let Err(ImportError::Rejected { problems }) =
        parse_logger_csv(&read("logger-td.csv"), TextEncoding::Utf8)
    else {
        panic!("CP932 bytes are not UTF-8")
    };
    assert_eq!(problems[0].line, 1);
}

fn stocked() -> (vax_ledger::Ledger, Enrollment) {
    let (mut ledger, e) = venue();
    record_stock(
        &mut ledger,
        &e,
        &StockAction::Receive {
            product: "comirnaty".into(),
            lot: LOT.into(),
            vials: 10,
            expires_on: "2021-08-31".parse().unwrap(),
            from: "卸A".into(),
            thawed_use_by: None,
        },
        time("07:30"),
    )
    .unwrap();
    record_stock(
        &mut ledger,
        &e,
        &StockAction::Thaw {
            product: "comirnaty".into(),
            lot: LOT.into(),
            vials: 4,
        },
        time("07:45"),
    )
    .unwrap();
    (ledger, e)
}

#[test]
fn an_excursion_in_the_log_quarantines_the_lot_once_and_the_booth_refuses_it() {
    let (mut ledger, e) = stocked();
    let bytes = read("logger-td.csv");
    let check = import_logger(
        &mut ledger,
        &e,
        "comirnaty",
        LOT,
        StoragePlace::Fridge,
        &bytes,
        TextEncoding::Auto,
        time("08:00"),
    )
    .unwrap();
    assert_eq!(check.ranges, "2〜8 °C");
    assert_eq!(check.readings, 12);
    assert_eq!((check.min_celsius, check.max_celsius), (4.8, 11.2));
    assert_eq!(check.excursions.len(), 1);
    let x = &check.excursions[0];
    assert_eq!(
        (x.from, x.to, x.readings),
        (at("2021-05-17 02:40:00"), at("2021-05-17 03:00:00"), 3)
    );
    assert_eq!(x.first_line, 7);
    assert!(check.quarantine.is_some());
    assert!(!check.already_quarantined);

    let lots = venue_lots(&ledger, "V03", time("08:00")).unwrap();
    let reason = lots[0].quarantined.clone().expect("the lot is quarantined");
    assert_eq!(
        reason,
        "温度逸脱（ロガー） 2021-05-17 02:40〜03:00 11.2 °C（冷蔵 2〜8 °C）"
    );

    // The same file again records nothing more.
    let again = import_logger(
        &mut ledger,
        &e,
        "comirnaty",
        LOT,
        StoragePlace::Fridge,
        &bytes,
        TextEncoding::Auto,
        time("08:05"),
    )
    .unwrap();
    assert!(again.already_quarantined);
    assert_eq!(again.quarantine, None);

    // The booth is refused the lot, with the reason.
    let booth = Enrollment {
        role: Role::Booth,
        ..e.clone()
    };
    let lot = open_lot(&mut ledger, &booth, "comirnaty", LOT, time("08:10")).unwrap();
    let d = vax_app::roster::venue_day(&ledger, "V03", "2021-05-17".parse().unwrap()).unwrap();
    let resident = d.bands[0].residents[0].resident_id;
    vax_app::desk::check_in(&mut ledger, &e, resident, time("09:00")).unwrap();
    let refused = record_dose(
        &mut ledger,
        &booth,
        &RecordDose {
            resident_id: resident,
            dose_number: 1,
            lot_id: lot.id,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            override_: None,
        },
        time("09:05"),
    )
    .unwrap_err();
    assert!(
        matches!(refused, DeskError::LotQuarantined { ref reason } if reason.contains("温度逸脱"))
    );
}

#[test]
fn a_log_inside_the_range_records_nothing() {
    let (mut ledger, e) = stocked();
    let check = import_logger(
        &mut ledger,
        &e,
        "comirnaty",
        LOT,
        StoragePlace::Fridge,
        &read("logger-elitech.csv"),
        TextEncoding::Auto,
        time("08:00"),
    )
    .unwrap();
    assert!(check.excursions.is_empty());
    assert_eq!(check.quarantine, None);
    let lots = venue_lots(&ledger, "V03", time("08:00")).unwrap();
    assert!(lots[0].quarantined.is_none());
}

#[test]
fn a_broken_file_records_nothing_and_says_which_lines_in_both_languages() {
    let (mut ledger, e) = stocked();
    let err = import_logger(
        &mut ledger,
        &e,
        "comirnaty",
        LOT,
        StoragePlace::Fridge,
        &read("logger-broken.csv"),
        TextEncoding::Auto,
        time("08:00"),
    )
    .unwrap_err();
    assert_eq!(err.problems().len(), 3);
    assert!(err.message_ja().contains("4行目"), "{}", err.message_ja());
    assert!(err.to_string().contains("line 4"), "{err}");
    assert!(matches!(err, ColdChainError::File(_)));
    let lots = venue_lots(&ledger, "V03", time("08:00")).unwrap();
    assert!(lots[0].quarantined.is_none());
}

#[test]
fn hq_hands_the_bookings_a_quarantine_leaves_without_doses_to_the_reshuffle() {
    let (mut ledger, e) = stocked();
    import_logger(
        &mut ledger,
        &e,
        "comirnaty",
        LOT,
        StoragePlace::Fridge,
        &read("logger-td.csv"),
        TextEncoding::Auto,
        time("08:00"),
    )
    .unwrap();
    let impacts = quarantine_impacts(&ledger, time("08:30"), 3).unwrap();
    assert_eq!(impacts.len(), 1);
    let i = &impacts[0];
    assert_eq!((i.venue.as_str(), i.lot.as_str()), ("V03", LOT));
    assert_eq!(i.doses_lost, 60, "10 vials of 6 doses");
    assert_eq!(i.doses_usable, 0, "the venue has no other lot");
    assert_eq!(i.from.to_string(), "2021-05-17");
    assert_eq!(i.to.to_string(), "2021-05-19");
    assert!(i.booked > 0);
    assert_eq!(i.short, i.booked);
    assert_eq!(
        i.request,
        ReshuffleRequest::SupplyDrop {
            venue: "V03".into(),
            from: i.from,
            to: i.to,
            doses_per_day: 0,
        }
    );
    let preview =
        preview_reshuffle(&ledger, time("08:30"), &i.request, &PlanOptions::default()).unwrap();
    assert!(preview.affected > 0, "the reshuffle re-seats the bookings");
    assert!(preview.moves.iter().all(|m| m
        .to
        .as_ref()
        .is_none_or(|s| s.venue_code != "V03" || !(i.from..=i.to).contains(&s.date))));
}

#[test]
fn the_screens_logger_file_detects_cp932_and_records_as_the_command_line_does() {
    let (mut ledger, e) = stocked();
    let file: vax_app::stock::LoggerFile = serde_json::from_value(serde_json::json!({
        "product": "comirnaty", "lot": "fa5765", "place": "fridge",
        "bytes": read("logger-td.csv"),
    }))
    .unwrap();
    let check = vax_app::stock::import_logger_file(&mut ledger, &e, &file, time("08:00")).unwrap();
    assert_eq!(check.encoding, "CP932");
    assert_eq!(check.lot, LOT, "the lot number is folded to upper case");
    assert!(check.quarantine.is_some());
}
