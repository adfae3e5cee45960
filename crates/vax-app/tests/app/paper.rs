//! The paper fallback (issue 17): day sheets from the ledger, and back-entry of the
//! handwritten rows through the booth's own rules.

use vax_app::audit::{search, AuditSearch};
use vax_app::desk::paper::{back_enter, day_sheets, write_day_sheets, BackEntry, WALK_IN_ROWS};
use vax_app::desk::{check_in, open_lot, record_dose, DeskError, RecordDose};
use vax_app::staff::{register_staff, sign_in, Credential, NewStaff};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;

use crate::desk::{booked_at_nine, time, venue};

fn row(line: &str, given_at: &str) -> BackEntry {
    BackEntry {
        voucher: line.into(),
        date: time("00:00").date_naive(),
        given_at: given_at.into(),
        lot_number: "fa5765".into(),
        vaccinator: "舞鶴 太郎".into(),
        injection_site: "左上腕".into(),
        observed_until: "09:27".into(),
    }
}

/// Everything a back-entry could write, to prove a refusal wrote nothing.
fn written(ledger: &Ledger, resident_id: i64) -> (usize, usize, usize) {
    let reader = ledger.reader();
    let day = time("00:00");
    let audit = search(ledger, Role::Headquarters, &AuditSearch::default())
        .unwrap()
        .len();
    (
        reader.doses_of(resident_id).unwrap().len(),
        reader
            .check_ins_of(resident_id, day.date_naive(), *day.offset())
            .unwrap()
            .len(),
        audit,
    )
}

#[test]
fn the_day_sheets_list_each_band_with_its_booked_residents_and_their_row_qr() {
    let (ledger, _) = venue();
    let (line, _) = booked_at_nine(&ledger);
    let sheets = day_sheets(&ledger, "V03", time("00:00").date_naive()).unwrap();
    assert!(!sheets.is_empty(), "the demo books V03 that day");
    assert!(sheets[0].band.starts_with("09:00〜"), "{}", sheets[0].band);
    assert!(
        sheets[0].rows.iter().any(|r| r.line.to_digits() == line),
        "the 9:00 resident's row QR is their voucher line for the dose booked"
    );
    let booked: usize = sheets.iter().map(|s| s.rows.len()).sum();
    let roster = vax_app::roster::venue_day(&ledger, "V03", time("00:00").date_naive()).unwrap();
    let on_roster: usize = roster.bands.iter().map(|b| b.residents.len()).sum();
    assert_eq!(booked, on_roster, "every booked resident is on a sheet");
    assert!(sheets.iter().all(|s| s.blank_rows == WALK_IN_ROWS));

    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("sheets.pdf");
    let font = vax_print::JapaneseFont::system_default().expect("install fonts-noto-cjk");
    let written = write_day_sheets(&ledger, &font, "V03", time("00:00").date_naive(), &pdf)
        .expect("the PDF is written");
    assert_eq!(written.residents, booked);
    assert!(written.pages >= written.bands);
    assert!(std::fs::metadata(&pdf).unwrap().len() > 1_000);

    assert!(
        day_sheets(&ledger, "V99", time("00:00").date_naive()).is_err(),
        "an unknown venue is an error, not an empty sheet"
    );
}

#[test]
fn a_back_entered_row_records_the_check_in_and_dose_at_the_paper_time_and_says_who_typed_it() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    register_staff(
        &mut ledger,
        Role::Headquarters,
        &NewStaff {
            code: "M01".into(),
            name: "会場 責任者".into(),
            venue_code: Some("V03".into()),
            role: Role::VenueManager,
            pin: Some("4821".into()),
            card: false,
        },
    )
    .unwrap();
    let pin = Credential::Pin {
        code: "M01".into(),
        pin: "4821".into(),
    };
    // The power came back in the afternoon: the manager types in the morning's sheet.
    sign_in(&mut ledger, &e, &pin, 30, time("16:55")).unwrap();
    let done = back_enter(&mut ledger, &e, &row(&line, "９：１２"), time("17:00")).unwrap();
    assert_eq!(done.dose_number, 1);
    assert!(done.checked_in, "nobody checked them in at a kiosk");
    assert_eq!(done.dose.observe_until.format("%H:%M").to_string(), {
        let end = time("09:12") + chrono::Duration::minutes(done.dose.observation_minutes.into());
        end.format("%H:%M").to_string()
    });

    let reader = ledger.reader();
    let doses = reader.doses_of(id).unwrap();
    assert_eq!(doses.len(), 1);
    assert_eq!(doses[0].administered_at, time("09:12"), "the paper's time");
    assert_eq!(doses[0].lot_number, "FA5765");
    let day = time("00:00");
    let check_ins = reader
        .check_ins_of(id, day.date_naive(), *day.offset())
        .unwrap();
    assert_eq!(check_ins.len(), 1);
    assert_eq!(check_ins[0].checked_in_at, time("09:12"));

    let voucher = line[8..].to_owned();
    let trail = search(
        &ledger,
        Role::Headquarters,
        &AuditSearch {
            resident: Some(voucher),
            ..AuditSearch::default()
        },
    )
    .unwrap();
    let back_entered: Vec<_> = trail
        .iter()
        .filter(|r| r.detail.contains("back-entered"))
        .map(|r| (r.action.as_str(), r.staff_code.as_deref(), r.at))
        .collect();
    assert_eq!(
        back_entered.len(),
        2,
        "the check-in and the dose: {trail:#?}"
    );
    for (action, staff, at) in back_entered {
        assert!(action == "check_in" || action == "dose", "{action}");
        assert_eq!(staff, Some("M01"), "who typed it in");
        assert_eq!(at, time("17:00"), "the entry is dated when it was typed");
    }
    assert!(trail.iter().any(|r| r
        .detail
        .contains("given 2021-05-17 09:12, observed until 09:27")));
}

#[test]
fn a_second_entry_of_the_same_row_or_a_dose_given_at_the_booth_is_refused_as_a_duplicate() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let lot = open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    back_enter(&mut ledger, &e, &row(&line, "09:12"), time("17:00")).unwrap();
    let before = written(&ledger, id);
    match back_enter(&mut ledger, &e, &row(&line, "09:12"), time("17:01")) {
        Err(err @ DeskError::DuplicateDose { dose_number: 1, .. }) => {
            assert_eq!(err.code(), "DUPLICATE_DOSE");
            assert!(
                err.message_ja().contains("接種済み"),
                "{}",
                err.message_ja()
            );
            assert!(err.to_string().contains("already given"), "{err}");
        }
        other => panic!("the same row typed twice must be refused, got {other:?}"),
    }
    assert_eq!(written(&ledger, id), before, "the refusal wrote nothing");

    // The booth refuses a dose the paper recorded, exactly as it refuses its own.
    let at_booth = record_dose(
        &mut ledger,
        &e,
        &RecordDose {
            resident_id: id,
            dose_number: 1,
            lot_id: lot.id,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            override_: None,
        },
        time("17:05"),
    );
    assert!(matches!(at_booth, Err(DeskError::DuplicateDose { .. })));
}

#[test]
fn a_row_given_at_a_kiosk_before_the_outage_is_refused_and_a_kiosk_check_in_is_not_doubled() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let lot = open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    check_in(&mut ledger, &e, id, time("09:02")).unwrap();
    let done = back_enter(&mut ledger, &e, &row(&line, "09:10"), time("17:00")).unwrap();
    assert!(
        !done.checked_in,
        "checked in at the kiosk before the outage"
    );
    let day = time("00:00");
    assert_eq!(
        ledger
            .reader()
            .check_ins_of(id, day.date_naive(), *day.offset())
            .unwrap()
            .len(),
        1
    );

    let (other_line, other) = {
        let d = vax_app::roster::venue_day(&ledger, "V03", day.date_naive()).unwrap();
        let r = &d.bands[0].residents[1];
        (format!("11262021{}", r.voucher), r.resident_id)
    };
    check_in(&mut ledger, &e, other, time("09:03")).unwrap();
    record_dose(
        &mut ledger,
        &e,
        &RecordDose {
            resident_id: other,
            dose_number: 1,
            lot_id: lot.id,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            override_: None,
        },
        time("09:08"),
    )
    .unwrap();
    let before = written(&ledger, other);
    let refused = back_enter(&mut ledger, &e, &row(&other_line, "09:09"), time("17:00"));
    assert!(matches!(refused, Err(DeskError::DuplicateDose { .. })));
    assert_eq!(written(&ledger, other), before);
}

#[test]
fn bad_input_is_refused_in_both_languages_and_writes_nothing() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let before = written(&ledger, id);
    let cases: Vec<(BackEntry, &str)> = vec![
        (row(&line, "9時12分"), "INVALID_INPUT"),
        (row(&line, "25:00"), "INVALID_INPUT"),
        (row(&line, "17:30"), "INVALID_INPUT"), // after the back-entry itself
        (
            BackEntry {
                observed_until: "09:00".into(),
                ..row(&line, "09:12")
            },
            "INVALID_INPUT",
        ),
        (
            BackEntry {
                lot_number: "ZZ9999".into(),
                ..row(&line, "09:12")
            },
            "LOT_NOT_OPEN",
        ),
        (
            BackEntry {
                vaccinator: " ".into(),
                ..row(&line, "09:12")
            },
            "INVALID_INPUT",
        ),
        (
            BackEntry {
                voucher: "112620219999999999".into(),
                ..row(&line, "09:12")
            },
            "INVALID_INPUT",
        ),
        (
            BackEntry {
                voucher: "12345".into(),
                ..row(&line, "09:12")
            },
            "BAD_VOUCHER",
        ),
    ];
    for (entry, code) in cases {
        let err = back_enter(&mut ledger, &e, &entry, time("17:00"))
            .expect_err(&format!("{entry:?} must be refused"));
        assert_eq!(err.code(), code, "{entry:?}: {err}");
        assert!(
            err.to_string().chars().any(|c| c.is_ascii_alphabetic()),
            "English: {err}"
        );
        assert!(
            !err.message_ja().is_ascii(),
            "a Japanese message: {}",
            err.message_ja()
        );
    }
    assert_eq!(written(&ledger, id), before, "nothing was written");
}

#[test]
fn only_the_venue_manager_back_enters() {
    let (mut ledger, _) = venue();
    let (line, _) = booked_at_nine(&ledger);
    for role in [Role::Reception, Role::Booth] {
        let e = vax_app::desk::enroll(
            &mut ledger,
            "V03",
            role,
            &vax_domain::voucher::MunicipalityCode::parse("262021").unwrap(),
        )
        .unwrap();
        let err = back_enter(&mut ledger, &e, &row(&line, "09:12"), time("17:00")).unwrap_err();
        assert_eq!(err.code(), "ROLE_MAY_NOT", "{role:?}");
    }
}

#[test]
fn the_vrs_export_carries_a_back_entered_dose_like_any_other() {
    let (mut ledger, e) = venue();
    let (line, _) = booked_at_nine(&ledger);
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    // Typed in the next day: VRS gets the day on paper as 接種日, the typing as 登録日時.
    let next_day = crate::at("2021-05-18T10:00:00+09:00");
    back_enter(&mut ledger, &e, &row(&line, "09:12"), next_day).unwrap();
    let out = tempfile::tempdir().unwrap();
    let batch = vax_vrs::export_batch(
        &mut ledger,
        vax_domain::product::Catalogue::builtin(),
        &vax_vrs::ExportOptions::default(),
        out.path(),
        crate::at("2021-05-18T23:00:00+09:00"),
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(batch.exported, 1);
    let ledger_file = batch
        .files
        .iter()
        .find(|f| f.kind == vax_vrs::FileKind::Ledger)
        .unwrap();
    let text = std::fs::read_to_string(&ledger_file.path).unwrap();
    let rows: Vec<&str> = text.lines().skip(1).collect();
    assert_eq!(rows.len(), 1, "{text}");
    assert!(
        rows[0].starts_with(",20210518100000,20210517,") && rows[0].contains(&line[8..]),
        "recorded on the 18th, given on the 17th, the voucher: {}",
        rows[0]
    );
}

/// A walk-in from the standby list, written on a blank row: no booking at this venue or any,
/// the voucher number typed (10 digits, no row QR). Back-entered, the dose due that day is
/// recorded with a paper check-in, both marked back-entered; typed again, it is a duplicate.
#[test]
fn a_walk_in_on_a_blank_row_is_back_entered_by_typed_voucher_number() {
    let (mut ledger, e) = venue();
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let reader = ledger.reader();
    let walk_in = (1..=1_500)
        .find(|&id| {
            reader.bookings_of(id).is_ok_and(|b| b.is_empty())
                && reader.doses_of(id).is_ok_and(|d| d.is_empty())
        })
        .expect("the demo city has someone never booked");
    let voucher = reader
        .resident(walk_in)
        .unwrap()
        .resident
        .voucher
        .to_string();

    assert_eq!(voucher.len(), 10, "typed as on the voucher card: {voucher}");
    let sheets = day_sheets(&ledger, "V03", time("00:00").date_naive()).unwrap();
    assert!(
        sheets
            .iter()
            .flat_map(|s| &s.rows)
            .all(|r| !r.line.to_digits().ends_with(&voucher)),
        "a walk-in has no printed row"
    );

    let mut blank_row = row(&voucher, "14:05");
    blank_row.observed_until = "14:20".into();
    let done = back_enter(&mut ledger, &e, &blank_row, time("17:00")).unwrap();
    assert_eq!(done.dose_number, 1, "the dose due: their first");
    assert!(
        done.checked_in,
        "the paper check-in is recorded with the dose"
    );
    let reader = ledger.reader();
    let doses = reader.doses_of(walk_in).unwrap();
    assert_eq!(doses.len(), 1);
    assert_eq!(doses[0].administered_at, time("14:05"));
    let day = time("00:00");
    let check_ins = reader
        .check_ins_of(walk_in, day.date_naive(), *day.offset())
        .unwrap();
    assert_eq!(check_ins.len(), 1);
    assert_eq!(check_ins[0].checked_in_at, time("14:05"));

    let before = written(&ledger, walk_in);
    blank_row.given_at = "14:30".into();
    blank_row.observed_until = String::new();
    let twice = back_enter(&mut ledger, &e, &blank_row, time("17:05")).unwrap_err();
    // A typed number means "the dose due": now their second, refused until its interval.
    assert!(
        matches!(twice, DeskError::IntervalNotReached { dose_number: 2, .. }),
        "the same walk-in typed again is refused: {twice:?}"
    );
    assert_eq!(written(&ledger, walk_in), before, "and nothing is written");
}

/// Voucher numbers are unique within one municipality only, and a prefecture's kiosk may hold
/// residents of two (a walk-in looked up online): a bare 10-digit number two of them hold is
/// refused with what to do instead — it never guesses whom the dose was given to — and the 18
/// digits, which name the municipality, record it for the right one.
#[test]
fn a_bare_number_held_in_two_municipalities_is_refused_and_the_18_digits_record_it() {
    let (mut ledger, e) = venue();
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let (line, id) = booked_at_nine(&ledger);
    let mut namesake = ledger.reader().resident(id).unwrap().resident;
    namesake.municipality = vax_domain::voucher::MunicipalityCode::parse("262030").unwrap();
    namesake.name = "綾部 次郎".into();
    let tx = ledger.transaction().unwrap();
    tx.upsert_resident(&namesake, &time("08:00")).unwrap();
    tx.commit().unwrap();
    let number = namesake.voucher.to_string();

    let before = written(&ledger, id);
    let refused = back_enter(&mut ledger, &e, &row(&number, "09:12"), time("17:00")).unwrap_err();
    assert!(
        refused.message_ja().contains("18桁") && refused.to_string().contains("18 digits"),
        "{refused}"
    );
    assert_eq!(written(&ledger, id), before, "nothing written");

    let done = back_enter(&mut ledger, &e, &row(&line, "09:12"), time("17:01")).unwrap();
    assert_ne!(done.name, "綾部 次郎");
    assert_eq!(ledger.reader().doses_of(id).unwrap().len(), 1);
}

/// A walk-in on a blank row whose 18-digit voucher line is typed by hand (read off the
/// mailed voucher: no row QR to scan), as a person types it — blanks, hyphens, full-width
/// digits. The line's 回数 is the dose recorded, and the booth's rules hold unchanged: the
/// same line typed again is a duplicate (not "the next dose", as a bare 券番号 would be),
/// the dose-2 line the same day is before its interval, a dose-2 line for someone never
/// vaccinated is out of order, and a slip in the municipality part or another city's line
/// is refused. No refusal writes anything.
#[test]
fn a_walk_in_typed_by_the_18_digits_of_their_voucher_meets_the_booths_rules() {
    let (mut ledger, e) = venue();
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    let reader = ledger.reader();
    let never_booked: Vec<i64> = (1..=1_500)
        .filter(|&id| {
            reader.bookings_of(id).is_ok_and(|b| b.is_empty())
                && reader.doses_of(id).is_ok_and(|d| d.is_empty())
        })
        .take(2)
        .collect();
    let [walk_in, other] = never_booked[..] else {
        panic!("the demo city has two residents never booked: {never_booked:?}")
    };
    let number = |id: i64| reader.resident(id).unwrap().resident.voucher.to_string();
    let (voucher, other_voucher) = (number(walk_in), number(other));
    // 券種 1, 回数 1, 市町村コード 262021 (Maizuru, with its check digit), 券番号: typed in
    // groups as printed, with a full-width blank and full-width digits from the IME.
    let full_width: String = voucher
        .chars()
        .map(|c| char::from_u32(c as u32 - '0' as u32 + '０' as u32).unwrap())
        .collect();
    let typed = format!("1 1-262021　{full_width}");
    // A blank row with only the time given filled in (観察終了 left empty).
    let blank = |line: &str, at: &str| BackEntry {
        observed_until: String::new(),
        ..row(line, at)
    };

    let mut blank_row = row(&typed, "14:05");
    blank_row.observed_until = "14:20".into();
    let done = back_enter(&mut ledger, &e, &blank_row, time("17:00")).unwrap();
    assert_eq!(done.dose_number, 1, "the line's 回数");
    assert!(
        done.checked_in,
        "the paper check-in is recorded with the dose"
    );
    let reader = ledger.reader();
    let doses = reader.doses_of(walk_in).unwrap();
    assert_eq!(doses.len(), 1);
    assert_eq!(doses[0].administered_at, time("14:05"), "the paper's time");

    let before = written(&ledger, walk_in);
    // The same row typed twice (or a second sheet with the same walk-in): a duplicate.
    let again = blank(&format!("11262021{voucher}"), "14:30");
    match back_enter(&mut ledger, &e, &again, time("17:05")) {
        Err(err @ DeskError::DuplicateDose { dose_number: 1, .. }) => {
            assert_eq!(err.code(), "DUPLICATE_DOSE");
            assert!(
                err.message_ja().contains("接種済み"),
                "{}",
                err.message_ja()
            );
        }
        other => panic!("the walk-in typed again must be a duplicate, got {other:?}"),
    }
    // Their dose-2 line the same day: before its interval.
    let second = blank(&format!("12262021{voucher}"), "14:30");
    assert!(
        matches!(
            back_enter(&mut ledger, &e, &second, time("17:05")),
            Err(DeskError::IntervalNotReached { dose_number: 2, .. })
        ),
        "dose 2 on the day of dose 1"
    );
    assert_eq!(
        written(&ledger, walk_in),
        before,
        "no refusal wrote anything"
    );

    let before = written(&ledger, other);
    let mut refused =
        |line: String| back_enter(&mut ledger, &e, &blank(&line, "14:40"), time("17:10"));
    // Someone never vaccinated with a dose-2 line: out of order.
    assert!(
        matches!(
            refused(format!("12262021{other_voucher}")),
            Err(DeskError::DoseOutOfOrder {
                requested: 2,
                due: 1
            })
        ),
        "dose 2 before dose 1"
    );
    // A slip in the municipality code: its check digit catches it.
    let slip = refused(format!("11262022{other_voucher}")).unwrap_err();
    assert!(matches!(slip, DeskError::Voucher(_)), "{slip:?}");
    assert_eq!(slip.code(), "BAD_VOUCHER");
    // Another city's voucher with the same 券番号 (Chiyoda, 131016): nobody here holds it.
    let elsewhere = refused(format!("11131016{other_voucher}")).unwrap_err();
    assert!(
        matches!(
            elsewhere,
            DeskError::Invalid {
                field: "voucher / 接種券",
                ..
            }
        ),
        "{elsewhere:?}"
    );
    assert_eq!(written(&ledger, other), before, "no refusal wrote anything");
}
