//! The campaign calendar: venues and bands from a calendar CSV, all or nothing, HQ only,
//! each change a replicated op.

use chrono::NaiveDate;
use vax_app::calendar::{import_calendar, import_calendar_file, CalendarError, CalendarReport};
use vax_app::import::TextEncoding;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_sync::{ReplicaId, Role as SyncRole, SyncState};

use crate::{now, sample};

const HEADER: &str = "会場コード,会場名,住所,緯度,経度,種別,日付,開始,終了,定員";
const V01: &str = "V01,デモ市総合文化会館,京都府デモ市字浜2021番地,35.4741,135.3882,集団接種会場";
const C01: &str = "C01,デモ内科クリニック,京都府デモ市字南田辺1番地,35.4431,135.3325,医療機関";

fn sample_text() -> String {
    std::fs::read_to_string(sample("calendar.csv")).unwrap()
}

fn import(ledger: &mut Ledger, text: &str) -> Result<CalendarReport, CalendarError> {
    import_calendar(
        ledger,
        text.as_bytes(),
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
}

fn may17() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 5, 17).unwrap()
}

/// (start, end, capacity) of each band of a venue day.
fn day(ledger: &Ledger, venue: &str, date: NaiveDate) -> Vec<(String, String, u32)> {
    ledger
        .reader()
        .venue_day(venue, date)
        .unwrap()
        .into_iter()
        .map(|l| {
            (
                l.band.start.format("%H:%M").to_string(),
                l.band.end.format("%H:%M").to_string(),
                l.band.capacity,
            )
        })
        .collect()
}

fn lines_of(err: CalendarError) -> Vec<(u64, Option<String>)> {
    assert_eq!(err.code(), "INVALID_INPUT", "{err}");
    err.problems()
        .iter()
        .map(|p| (p.line, p.column.clone()))
        .collect()
}

fn replica(n: u128, role: SyncRole) -> Ledger {
    let mut ledger = Ledger::open_in_memory().unwrap();
    ledger
        .start_replicating(
            ReplicaId::from_u128(n),
            role,
            &vax_sync::DeviceKey::from_bytes(&[n as u8; 32]),
        )
        .unwrap();
    ledger
}

/// Both sides exchange until neither has anything to say; returns the op kinds `a` sent.
fn sync(a: &mut Ledger, b: &mut Ledger) -> Vec<&'static str> {
    let (ida, _) = a.replica_identity().unwrap();
    let (idb, _) = b.replica_identity().unwrap();
    let (mut to_b, mut to_a) = (
        SyncState::for_peer(idb).trusting_peer_keys(),
        SyncState::for_peer(ida).trusting_peer_keys(),
    );
    let mut sent = Vec::new();
    for _ in 0..100 {
        let m1 = a.sync_generate(&mut to_b).unwrap();
        if let Some(m) = &m1 {
            sent.extend(m.ops.iter().map(|op| op.kind.name()));
            b.sync_receive(&mut to_a, m.clone()).unwrap();
        }
        let m2 = b.sync_generate(&mut to_a).unwrap();
        if let Some(m) = &m2 {
            a.sync_receive(&mut to_b, m.clone()).unwrap();
        }
        if m1.is_none() && m2.is_none() {
            return sent;
        }
    }
    panic!("the exchange did not end");
}

#[test]
fn the_documented_sample_imports_venues_and_bands() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let report = import_calendar_file(
        &mut ledger,
        &sample("calendar.csv"),
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
    .unwrap();
    assert_eq!(
        (
            report.rows,
            report.venues_added,
            report.bands_added,
            report.encoding
        ),
        (4, 2, 4, "UTF-8")
    );
    assert_eq!(report.ops, 0, "a standalone ledger writes no op");
    let venues = ledger.reader().venues().unwrap();
    let codes: Vec<_> = venues.iter().map(|v| v.venue.code.as_str()).collect();
    assert_eq!(codes, ["C01", "V01"]);
    assert_eq!(
        day(&ledger, "V01", may17()),
        [
            ("09:00".into(), "09:30".into(), 40),
            ("09:30".into(), "10:00".into(), 40)
        ]
    );
    assert_eq!(
        day(&ledger, "V01", may17().succ_opt().unwrap()),
        [("13:00".into(), "13:30".into(), 40)],
        "an era date and full-width times are read"
    );
    assert_eq!(
        day(&ledger, "C01", may17()),
        [("14:00".into(), "15:00".into(), 6)]
    );
}

#[test]
fn a_cp932_crlf_file_as_excel_saves_it_imports_the_same() {
    let text = sample_text().replace('\n', "\r\n");
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    let mut ledger = Ledger::open_in_memory().unwrap();
    let report = import_calendar(
        &mut ledger,
        &bytes,
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
    .unwrap();
    assert_eq!(
        (report.venues_added, report.bands_added, report.encoding),
        (2, 4, "CP932")
    );
    assert_eq!(
        ledger.reader().venues().unwrap()[1].venue.name,
        "デモ市総合文化会館"
    );
}

fn bad_file(eol: &str) -> String {
    [
        HEADER.to_owned(),
        format!("{V01},2021-05-17,09:00,09:30,40"), // 2: fine
        "V01,別の名前,京都府デモ市字浜2021番地,35.4741,135.3882,集団接種会場,2021-05-17,10:00,10:30,40".to_owned(), // 3: another name
        format!("{V01},2021-05-17,11:00,10:30,40"), // 4: ends before it starts
        format!("{V01},2021-05-17,12:00,12:30,501"), // 5: capacity over 500
        format!("{V01},2021-05-17,09:15,09:45,40"), // 6: overlaps line 2
        String::new(),                              // 7: blank, skipped
        format!("{C01},令和3年13月1日,14:00,15:00,6"), // 8: no 13th month
        format!("{C01},2021-05-17,14:00,15:00,6"),  // 9: fine
        format!("{C01},2021-05-17,14:00,14:30,6"),  // 10: the band of line 9 again
    ]
    .join(eol)
        + eol
}

#[test]
fn a_file_with_bad_rows_writes_nothing_and_names_every_line_with_crlf_and_lf() {
    for eol in ["\n", "\r\n"] {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let err = import(&mut ledger, &bad_file(eol)).unwrap_err();
        let col = |c: &str| Some(c.to_owned());
        assert_eq!(
            lines_of(err),
            [
                (3, col("会場名")),
                (4, col("終了")),
                (5, col("定員")),
                (6, col("開始")),
                (8, col("日付")),
                (10, col("開始")),
            ],
            "line ends {eol:?}"
        );
        assert!(
            ledger.reader().venues().unwrap().is_empty(),
            "nothing written"
        );
    }
}

#[test]
fn the_report_says_which_band_overlaps_and_a_band_in_the_ledger_counts() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    import(&mut ledger, &sample_text()).unwrap();
    // A file naming only a new band that overlaps one the ledger has.
    let text = format!("{HEADER}\n{V01},2021-05-17,09:45,10:15,40\n");
    let err = import(&mut ledger, &text).unwrap_err();
    let p = &err.problems()[0];
    assert_eq!(p.line, 2);
    assert!(
        p.message_en.contains("09:30–10:00 already in the ledger"),
        "{}",
        p.message_en
    );
    assert!(p.message_ja.contains("登録済み"), "{}", p.message_ja);
    assert_eq!(day(&ledger, "V01", may17()).len(), 2, "nothing written");
}

#[test]
fn reimporting_changes_nothing_and_a_lowered_capacity_is_applied() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    import(&mut ledger, &sample_text()).unwrap();
    let again = import(&mut ledger, &sample_text()).unwrap();
    assert_eq!(
        (
            again.venues_added + again.venues_changed,
            again.bands_added + again.bands_changed,
            again.bands_unchanged
        ),
        (0, 0, 4)
    );

    let lowered = sample_text().replacen("09:00,09:30,40", "09:00,09:30,20", 1);
    let report = import(&mut ledger, &lowered).unwrap();
    assert_eq!((report.bands_changed, report.bands_unchanged), (1, 3));
    assert_eq!(day(&ledger, "V01", may17())[0].2, 20);
}

#[test]
fn a_day_that_has_passed_is_not_changed_but_may_stay_in_the_file() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    import(&mut ledger, &sample_text()).unwrap();
    let later = crate::at("2021-05-18T09:00:00+09:00");
    let run = |ledger: &mut Ledger, text: &str| {
        import_calendar(
            ledger,
            text.as_bytes(),
            TextEncoding::Auto,
            Role::Headquarters,
            later,
        )
    };
    assert!(
        run(&mut ledger, &sample_text()).is_ok(),
        "unchanged past rows are fine"
    );
    let changed = sample_text().replacen("09:00,09:30,40", "09:00,09:30,20", 1);
    let err = run(&mut ledger, &changed).unwrap_err();
    assert_eq!(lines_of(err), [(2, Some("日付".to_owned()))]);
}

#[test]
fn only_headquarters_imports_a_calendar() {
    for role in [
        Role::Reception,
        Role::Booth,
        Role::VenueManager,
        Role::CallCentre,
    ] {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let err = import_calendar(
            &mut ledger,
            sample_text().as_bytes(),
            TextEncoding::Auto,
            role,
            now(),
        )
        .unwrap_err();
        assert!(matches!(err, CalendarError::RoleMayNot(r) if r == role));
        assert_eq!(err.code(), "ROLE_MAY_NOT");
        assert!(err.message_ja().contains("本部"));
        assert!(ledger.reader().venues().unwrap().is_empty());
    }
}

#[test]
fn on_a_replicating_hq_each_change_is_an_op_a_venue_receives() {
    let mut hq = replica(1, SyncRole::Hq);
    let mut venue = replica(2, SyncRole::VenueManager);
    let report = import(&mut hq, &sample_text()).unwrap();
    assert_eq!(report.ops, 2 + 4, "one op per venue and per band");
    let sent = sync(&mut hq, &mut venue);
    assert_eq!(
        sent.iter().filter(|k| **k == "define_venue").count(),
        2,
        "{sent:?}"
    );
    assert_eq!(sent.iter().filter(|k| **k == "define_time_band").count(), 4);
    assert_eq!(day(&venue, "V01", may17()), day(&hq, "V01", may17()));
    assert_eq!(venue.reader().venues().unwrap().len(), 2);

    let again = import(&mut hq, &sample_text()).unwrap();
    assert_eq!(again.ops, 0, "re-importing writes no op");
    assert!(sync(&mut hq, &mut venue).is_empty());

    let lowered = sample_text().replacen("09:00,09:30,40", "09:00,09:30,20", 1);
    let report = import(&mut hq, &lowered).unwrap();
    assert_eq!((report.bands_changed, report.ops), (1, 1));
    assert_eq!(sync(&mut hq, &mut venue), ["define_time_band"]);
    assert_eq!(
        day(&venue, "V01", may17())[0].2,
        20,
        "the venue sees its band shrink"
    );
}
