//! The campaign calendar: venues and bands from a calendar CSV, all or nothing, HQ only,
//! each change a replicated op.

use chrono::NaiveDate;
use vax_app::calendar::{
    import_calendar, import_calendar_file, preview_calendar, CalendarError, CalendarPreview,
    CalendarReport,
};
use vax_app::import::TextEncoding;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_sync::{ReplicaId, Role as SyncRole, SyncState};

use crate::{at, now, sample};

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

pub(crate) fn replica(n: u128, role: SyncRole) -> Ledger {
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
pub(crate) fn sync(a: &mut Ledger, b: &mut Ledger) -> Vec<&'static str> {
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

// --- editing the calendar one change at a time -----------------------------------------

use vax_app::calendar::{
    add_day, calendar_view, edit_bands, edit_impact, save_venue, BandEdit, BandForm, VenueForm,
};
use vax_domain::venue::VenueKind;

fn may18() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 5, 18).unwrap()
}

/// The sample calendar, with `booked` residents of the register booked into V01's first
/// band of 17 May (dose 1).
fn calendar_with_bookings(ledger: &mut Ledger, booked: usize) -> i64 {
    import(ledger, &sample_text()).unwrap();
    vax_app::import::import_register(
        ledger,
        &sample("register.csv"),
        TextEncoding::Auto,
        now(),
        &mut vax_app::progress::NoProgress,
    )
    .unwrap();
    let band = ledger.reader().venue_day("V01", may17()).unwrap()[0]
        .band
        .id;
    let tx = ledger.transaction().unwrap();
    for id in 1..=booked as i64 {
        tx.book(id, 1, band, "comirnaty", &now()).unwrap();
    }
    tx.commit().unwrap();
    band
}

fn band_state(ledger: &Ledger, venue: &str, date: NaiveDate) -> Vec<(u32, bool)> {
    ledger
        .reader()
        .venue_day(venue, date)
        .unwrap()
        .into_iter()
        .map(|l| (l.band.capacity, l.closed))
        .collect()
}

#[test]
fn a_venue_is_created_then_edited_and_its_kind_is_kept() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let mut form = VenueForm {
        code: "Ｖ０９".into(),
        name: "中筋公民館".into(),
        address: "京都府デモ市字中筋1番地".into(),
        lat: 35.45,
        lon: 135.35,
        kind: Some(VenueKind::MassSite),
    };
    let created = save_venue(&mut ledger, Role::Headquarters, &form).unwrap();
    assert_eq!(created.changed, 1);
    let again = save_venue(&mut ledger, Role::Headquarters, &form).unwrap();
    assert_eq!(again.changed, 0, "saving the same venue changes nothing");
    form.name = "中筋地区公民館".into();
    form.kind = None;
    assert_eq!(
        save_venue(&mut ledger, Role::Headquarters, &form)
            .unwrap()
            .changed,
        1
    );
    let v = ledger.reader().venue("V09").unwrap();
    assert_eq!(v.venue.name, "中筋地区公民館");
    assert_eq!(v.kind, Some(VenueKind::MassSite), "no kind given keeps it");

    form.name = String::new();
    let err = save_venue(&mut ledger, Role::Headquarters, &form).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");
    assert!(err.message_ja().contains("会場名"), "{}", err.message_ja());
    let err = save_venue(&mut ledger, Role::Reception, &form).unwrap_err();
    assert_eq!(err.code(), "ROLE_MAY_NOT");
}

#[test]
fn the_calendar_import_stores_the_venue_kind() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    import(&mut ledger, &sample_text()).unwrap();
    let kinds: Vec<_> = ledger
        .reader()
        .venues()
        .unwrap()
        .into_iter()
        .map(|v| (v.venue.code, v.kind))
        .collect();
    assert_eq!(
        kinds,
        [
            ("C01".to_owned(), Some(VenueKind::Clinic)),
            ("V01".to_owned(), Some(VenueKind::MassSite))
        ]
    );
}

#[test]
fn a_day_of_bands_is_added_but_never_over_another_band_nor_in_the_past() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    import(&mut ledger, &sample_text()).unwrap();
    let band = |start: &str, end: &str| BandForm {
        start: start.into(),
        end: end.into(),
        capacity: 30,
    };
    let report = add_day(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        may18(),
        &[band("09:00", "09:30"), band("9:30", "10:00")],
    )
    .unwrap();
    assert_eq!(report.changed, 2);
    assert_eq!(
        day(&ledger, "V01", may18()).len(),
        3,
        "13:00 was there already"
    );

    let err = add_day(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        may18(),
        &[band("09:45", "10:15")],
    )
    .unwrap_err();
    assert_eq!(err.code(), "BANDS_OVERLAP");
    assert!(err.message_ja().contains("重なって"));

    let past = NaiveDate::from_ymd_opt(2021, 4, 30).unwrap();
    let err = add_day(
        &mut ledger,
        Role::Headquarters,
        now(),
        "V01",
        past,
        &[band("09:00", "09:30")],
    )
    .unwrap_err();
    assert_eq!(err.code(), "DAY_PASSED");
    let err = add_day(
        &mut ledger,
        Role::Headquarters,
        now(),
        "NOPE",
        may18(),
        &[band("09:00", "09:30")],
    )
    .unwrap_err();
    assert_eq!(err.code(), "NOT_FOUND");
    assert_eq!(
        day(&ledger, "V01", may18()).len(),
        3,
        "nothing more written"
    );
}

#[test]
fn cutting_a_day_closes_its_bands_keeps_their_bookings_and_counts_them() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    calendar_with_bookings(&mut ledger, 3);
    let cut = BandEdit::CutDay {
        venue: "V01".into(),
        date: may17(),
    };
    let impact = edit_impact(&ledger, &cut).unwrap();
    assert_eq!((impact.changed, impact.affected_bookings), (2, 3));
    assert_eq!(
        band_state(&ledger, "V01", may17()),
        [(40, false), (40, false)],
        "a preview changes nothing"
    );
    let report = edit_bands(&mut ledger, Role::Headquarters, now(), &cut).unwrap();
    assert_eq!(report.affected_bookings, 3);
    assert_eq!(
        band_state(&ledger, "V01", may17()),
        [(40, true), (40, true)]
    );
    let loads = ledger.reader().venue_day("V01", may17()).unwrap();
    assert_eq!(loads[0].booked, 3, "the bookings stay until reshuffled");
    let again = edit_bands(&mut ledger, Role::Headquarters, now(), &cut).unwrap();
    assert_eq!(again.changed, 0);

    let reopen = BandEdit::ReopenDay {
        venue: "V01".into(),
        date: may17(),
    };
    edit_bands(&mut ledger, Role::Headquarters, now(), &reopen).unwrap();
    assert_eq!(
        band_state(&ledger, "V01", may17()),
        [(40, false), (40, false)]
    );
}

#[test]
fn a_lowered_capacity_counts_the_bookings_above_it_and_a_closed_band_all_of_its() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let band = calendar_with_bookings(&mut ledger, 3);
    let lower = BandEdit::SetCapacity { band, capacity: 1 };
    let report = edit_bands(&mut ledger, Role::Headquarters, now(), &lower).unwrap();
    assert_eq!((report.changed, report.affected_bookings), (1, 2));
    assert_eq!(band_state(&ledger, "V01", may17())[0], (1, false));

    let close = BandEdit::CloseBand { band };
    assert_eq!(edit_impact(&ledger, &close).unwrap().affected_bookings, 3);
    edit_bands(&mut ledger, Role::Headquarters, now(), &close).unwrap();
    assert_eq!(band_state(&ledger, "V01", may17())[0], (1, true));

    let zero = BandEdit::SetCapacity { band, capacity: 0 };
    let err = edit_bands(&mut ledger, Role::Headquarters, now(), &zero).unwrap_err();
    assert_eq!(err.code(), "INVALID_INPUT");

    let later = at("2021-05-18T09:00:00+09:00");
    let err = edit_bands(
        &mut ledger,
        Role::Headquarters,
        later,
        &BandEdit::ReopenBand { band },
    )
    .unwrap_err();
    assert_eq!(err.code(), "DAY_PASSED");
    assert!(matches!(err, CalendarError::DayPassed(d) if d == may17()));
    let err = edit_bands(&mut ledger, Role::CallCentre, now(), &lower).unwrap_err();
    assert_eq!(err.code(), "ROLE_MAY_NOT");
}

#[test]
fn calendar_edits_replicate_and_a_venue_sees_its_day_cut_and_its_capacity_lowered() {
    let mut hq = replica(1, SyncRole::Hq);
    let mut venue = replica(2, SyncRole::VenueManager);
    import(&mut hq, &sample_text()).unwrap();
    sync(&mut hq, &mut venue);
    assert_eq!(
        venue.reader().venue("V01").unwrap().kind,
        Some(VenueKind::MassSite),
        "the kind travels with the venue"
    );

    let cut = BandEdit::CutDay {
        venue: "V01".into(),
        date: may17(),
    };
    let report = edit_bands(&mut hq, Role::Headquarters, now(), &cut).unwrap();
    assert_eq!(report.ops, 2);
    assert_eq!(
        sync(&mut hq, &mut venue),
        ["define_time_band", "define_time_band"]
    );
    assert_eq!(band_state(&venue, "V01", may17()), [(40, true), (40, true)]);

    let band = hq.reader().venue_day("C01", may17()).unwrap()[0].band.id;
    edit_bands(
        &mut hq,
        Role::Headquarters,
        now(),
        &BandEdit::SetCapacity { band, capacity: 3 },
    )
    .unwrap();
    add_day(
        &mut hq,
        Role::Headquarters,
        now(),
        "C01",
        may18(),
        &[BandForm {
            start: "14:00".into(),
            end: "15:00".into(),
            capacity: 5,
        }],
    )
    .unwrap();
    sync(&mut hq, &mut venue);
    assert_eq!(band_state(&venue, "C01", may17()), [(3, false)]);
    assert_eq!(band_state(&venue, "C01", may18()), [(5, false)]);

    // A re-import of the calendar file does not reopen the cut day, here or there.
    let lowered = sample_text().replacen("09:00,09:30,40", "09:00,09:30,20", 1);
    import(&mut hq, &lowered).unwrap();
    sync(&mut hq, &mut venue);
    assert_eq!(band_state(&venue, "V01", may17()), [(20, true), (40, true)]);
}

#[test]
fn the_calendar_view_lists_bands_with_their_load_from_a_day_on() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    calendar_with_bookings(&mut ledger, 2);
    let view = calendar_view(&ledger, may17(), 1, now()).unwrap();
    assert_eq!(view.days, [may17()]);
    assert_eq!(view.bands.len(), 3, "two of V01 and one of C01 on the 17th");
    let first = &view.bands[0];
    assert_eq!(
        (
            first.venue_code.as_str(),
            first.start.as_str(),
            first.booked
        ),
        ("C01", "14:00", 0)
    );
    assert_eq!(view.bands[1].booked, 2);
    assert!(!view.bands[1].past);
    let all = calendar_view(&ledger, may17(), 0, at("2021-05-18T08:00:00+09:00")).unwrap();
    assert_eq!(all.days.len(), 2);
    assert!(all
        .bands
        .iter()
        .filter(|b| b.date == may17())
        .all(|b| b.past));
}

#[test]
fn the_preview_counts_what_the_import_would_do_and_writes_nothing() {
    let mut ledger = Ledger::open_in_memory().unwrap();
    let text = sample_text();
    let preview = preview_calendar(
        &mut ledger,
        text.as_bytes(),
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
    .unwrap();
    assert!(preview.problems.is_empty(), "{:?}", preview.problems);
    assert!(
        ledger.reader().venues().unwrap().is_empty(),
        "nothing written"
    );
    let report = import(&mut ledger, &text).unwrap();
    assert_eq!(
        CalendarPreview::from(report),
        preview,
        "the import did what the preview said"
    );
    let again = preview_calendar(
        &mut ledger,
        text.as_bytes(),
        TextEncoding::Auto,
        Role::Headquarters,
        now(),
    )
    .unwrap();
    assert_eq!(
        (again.bands_added, again.bands_unchanged),
        (0, preview.bands_added)
    );
}

#[test]
fn the_preview_of_a_bad_file_lists_every_problem_by_line_in_both_languages() {
    for eol in ["\n", "\r\n"] {
        let mut ledger = Ledger::open_in_memory().unwrap();
        let preview = preview_calendar(
            &mut ledger,
            bad_file(eol).as_bytes(),
            TextEncoding::Auto,
            Role::Headquarters,
            now(),
        )
        .unwrap();
        let lines: Vec<u64> = preview.problems.iter().map(|p| p.line).collect();
        assert_eq!(lines, [3, 4, 5, 6, 8, 10], "line ends {eol:?}");
        assert!(preview
            .problems
            .iter()
            .all(|p| !p.message_en.is_empty() && !p.message_ja.is_empty()));
        assert_eq!(preview.bands_added, 0);
        assert!(ledger.reader().venues().unwrap().is_empty());
    }
    let err = preview_calendar(
        &mut Ledger::open_in_memory().unwrap(),
        bad_file("\n").as_bytes(),
        TextEncoding::Auto,
        Role::VenueManager,
        now(),
    )
    .unwrap_err();
    assert_eq!(err.code(), "ROLE_MAY_NOT");
}
