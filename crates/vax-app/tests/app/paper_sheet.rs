//! A whole paper day sheet back-entered from one CSV file (issue 17): the format (golden,
//! encodings, malformed input with line numbers) and the all-or-nothing run against the
//! ledger — every bad line listed, the ledger file byte for byte unchanged by a refusal.

use std::path::{Path, PathBuf};

use vax_app::audit::{search, AuditSearch};
use vax_app::demo::load_demo_city;
use vax_app::desk::paper_sheet::{
    back_enter_sheet, back_enter_sheet_file, parse_sheet, preview_sheet, ParsedSheet, SheetError,
};
use vax_app::desk::{check_in, enroll, open_lot, record_dose, Enrollment, RecordDose};
use vax_app::import::TextEncoding;
use vax_app::progress::NoProgress;
use vax_demo::DemoParams;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::Ledger;

use crate::desk::time;

fn sample() -> Vec<u8> {
    std::fs::read(Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/samples/paper-sheet.csv"))
        .unwrap()
}

fn golden(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/app/golden")
        .join(name)
}

/// The parsed rows as text, one line each, to compare with a golden file.
fn render(parsed: &ParsedSheet) -> String {
    let mut out = format!(
        "encoding\t{}\nignored\t{}\n",
        parsed.encoding,
        parsed.ignored_columns.join(",")
    );
    for r in &parsed.rows {
        let e = &r.entry;
        out.push_str(&format!(
            "{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\t{}\n",
            r.line,
            e.voucher,
            e.date,
            e.given_at,
            e.lot_number,
            e.vaccinator,
            e.injection_site,
            e.observed_until,
            r.name.as_deref().unwrap_or("-")
        ));
    }
    for p in &parsed.problems {
        out.push_str(&format!("problem\t{p}\n"));
    }
    out
}

#[test]
fn the_documented_sample_reads_as_its_golden_rows_in_utf8_with_or_without_bom_and_cp932() {
    let bytes = sample();
    assert!(
        bytes.starts_with(b"\xEF\xBB\xBF"),
        "Excel's CSV UTF-8 has a BOM"
    );
    let parsed = parse_sheet(&bytes, TextEncoding::Auto);
    let text = render(&parsed);
    let path = golden("paper-sheet.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&path, &text).unwrap();
    }
    assert_eq!(text, std::fs::read_to_string(&path).unwrap());
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.rows.len(), 3, "the trailing blank row is skipped");

    let without_bom = parse_sheet(&bytes[3..], TextEncoding::Auto);
    assert_eq!(without_bom.rows, parsed.rows);
    let utf8 = String::from_utf8(bytes[3..].to_vec()).unwrap();
    let (cp932, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&utf8);
    assert!(!unmappable, "every character of the sample is in CP932");
    let from_cp932 = parse_sheet(&cp932, TextEncoding::Auto);
    assert_eq!(from_cp932.encoding, "CP932");
    assert_eq!(from_cp932.rows, parsed.rows);
    // LF line ends give the same lines.
    let lf = parse_sheet(utf8.replace("\r\n", "\n").as_bytes(), TextEncoding::Auto);
    assert_eq!(lf.rows, parsed.rows);
}

const HEADER: &str = "接種券番号,接種日,接種時刻,ロット番号,接種者,接種部位,観察終了,氏名\r\n";
const GOOD: &str = "112620210010597005,2021-06-01,09:12,FA5765,舞鶴 太郎,左上腕,09:27,\r\n";

/// (line, column) of every problem of `text`.
fn problems(text: &[u8]) -> Vec<(u64, Option<String>)> {
    let parsed = parse_sheet(text, TextEncoding::Auto);
    for p in &parsed.problems {
        assert!(!p.message_en.is_empty() && !p.message_ja.is_empty(), "{p}");
        assert_eq!(p.code, ErrorCode::InvalidInput);
    }
    parsed
        .problems
        .iter()
        .map(|p| (p.line, p.column.clone()))
        .collect()
}

fn at(line: u64, column: &str) -> (u64, Option<String>) {
    (line, Some(column.to_owned()))
}

#[test]
fn malformed_sheets_list_every_bad_field_on_its_line() {
    let rows = [
        GOOD,
        "11262021001059700,2021-06-01,09:12,FA5765,舞鶴 太郎,,,\r\n", // 17 digits
        "112620210010597005,2021-13-01,09:12,FA5765,舞鶴 太郎,,,\r\n", // no month 13
        "112620210010597005,2021-06-01,9時12分,FA5765,舞鶴 太郎,,,\r\n",
        "112620210010597005,2021-06-01,25:00,FA5765,舞鶴 太郎,,,\r\n",
        "112620210010597005,2021-06-01,09:12,,舞鶴 太郎,,,\r\n",
        "112620210010597005,2021-06-01,09:12,FA5765,,,,\r\n",
        "112620210010597005,2021-06-01,09:12,FA5765,舞鶴 太郎,,9:9x,\r\n",
        "112620210010597005,2021-06-01,09:12\r\n", // too few fields
    ];
    let file = format!("{HEADER}{}", rows.concat());
    assert_eq!(
        problems(file.as_bytes()),
        vec![
            at(3, "接種券番号"),
            at(4, "接種日"),
            at(5, "接種時刻"),
            at(6, "接種時刻"),
            at(7, "ロット番号"),
            at(8, "接種者"),
            at(9, "観察終了"),
            (10, None),
        ]
    );
}

#[test]
fn a_sheet_without_a_required_column_or_empty_or_not_text_is_refused_at_line_one() {
    let no_lot =
        "接種券番号,接種日,接種時刻,接種者\r\n112620210010597005,2021-06-01,09:12,舞鶴 太郎\r\n";
    assert_eq!(problems(no_lot.as_bytes()), vec![at(1, "ロット番号")]);
    assert_eq!(problems(b""), vec![(1, None)]);
    // A CP932 file with bytes that are neither UTF-8 nor CP932: the line with the bad bytes.
    let mut bad = encoding_rs::SHIFT_JIS
        .encode(&format!("{HEADER}{GOOD}"))
        .0
        .into_owned();
    bad.extend_from_slice(b"\xFF\xFF,2021-06-01,09:12,FA5765,x,,,\r\n");
    assert_eq!(problems(&bad), vec![(3, None)]);
    // An unclosed quote.
    let quote = format!("{HEADER}{GOOD}\"112620210010597005,2021-06-01,09:12,FA5765,x,,,\r\n");
    assert!(!problems(quote.as_bytes()).is_empty());
    // Header aliases, blanks and full-width header forms are read like the names.
    let aliases =
        "券番号, 日付 ,時刻,ロット,医師名\n112620210010597005,2021-06-01,09:12,FA5765,舞鶴 太郎\n";
    let parsed = parse_sheet(aliases.as_bytes(), TextEncoding::Auto);
    assert!(parsed.problems.is_empty(), "{:?}", parsed.problems);
    assert_eq!(parsed.rows[0].entry.injection_site, "左上腕");
    assert_eq!(parsed.rows[0].line, 2);
}

/// The demo venue V03 on 2021-05-17, its manager's kiosk, in a ledger file at `path`.
fn venue_file(path: &Path) -> Enrollment {
    let mut ledger = Ledger::open(path).unwrap();
    let params = DemoParams {
        residents: 1_500,
        start: "2021-05-17".parse().unwrap(),
        ..DemoParams::default()
    };
    load_demo_city(&mut ledger, &params, time("07:00"), &mut NoProgress).unwrap();
    let e = enroll(
        &mut ledger,
        "V03",
        Role::VenueManager,
        &MunicipalityCode::parse("262021").unwrap(),
    )
    .unwrap();
    open_lot(&mut ledger, &e, "comirnaty", "FA5765", time("08:30")).unwrap();
    e
}

/// Residents booked at V03 that day: (voucher line for the dose booked, row id, name).
fn booked(ledger: &Ledger, n: usize) -> Vec<(String, i64, String)> {
    let d = vax_app::roster::venue_day(ledger, "V03", time("00:00").date_naive()).unwrap();
    d.bands
        .iter()
        .flat_map(|b| &b.residents)
        .take(n)
        .map(|r| {
            (
                format!("11262021{}", r.voucher),
                r.resident_id,
                r.name.clone(),
            )
        })
        .collect()
}

fn sheet(rows: &[String]) -> Vec<u8> {
    format!("{HEADER}{}", rows.concat()).into_bytes()
}

fn line(voucher: &str, at: &str, lot: &str, name: &str) -> String {
    format!("{voucher},2021/5/17,{at},{lot},舞鶴 太郎,,,{name}\r\n")
}

/// Every byte of the ledger's files (the database and its write-ahead log).
fn bytes_of(path: &Path) -> Vec<Vec<u8>> {
    ["", "-wal"]
        .iter()
        .map(|suffix| {
            let mut p = path.as_os_str().to_owned();
            p.push(suffix);
            std::fs::read(PathBuf::from(p)).unwrap_or_default()
        })
        .collect()
}

#[test]
fn a_whole_sheet_is_recorded_in_one_go_after_a_preview_that_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manager.sqlite3");
    let e = venue_file(&path);
    let mut ledger = Ledger::open(&path).unwrap();
    let people = booked(&ledger, 3);
    // The second was checked in at a kiosk before the power went.
    check_in(&mut ledger, &e, people[1].1, time("09:05")).unwrap();
    let file = sheet(&[
        line(&people[0].0, "9:12", "FA5765", &people[0].2),
        line(&people[1].0, "9:20", "fa5765", ""),
        line(
            &people[2].0,
            "１０：０２",
            "FA5765",
            &people[2].2.replace(' ', "　"),
        ),
    ]);
    drop(ledger);
    let before = bytes_of(&path);
    let mut ledger = Ledger::open(&path).unwrap();
    let preview = preview_sheet(&mut ledger, &e, &file, time("17:00")).unwrap();
    assert!(preview.refusals.is_empty(), "{:?}", preview.refusals);
    assert!(!preview.committed);
    assert_eq!(
        preview
            .rows
            .iter()
            .map(|r| (r.line, r.entered.checked_in))
            .collect::<Vec<_>>(),
        vec![(2, true), (3, false), (4, true)],
        "a check-in is recorded with the dose unless a kiosk made one"
    );
    drop(ledger);
    assert_eq!(bytes_of(&path), before, "the preview wrote nothing");

    let mut ledger = Ledger::open(&path).unwrap();
    let done = back_enter_sheet(&mut ledger, &e, &file, None, time("17:00")).unwrap();
    assert!(done.committed);
    assert_eq!(done.rows.len(), 3);
    let reader = ledger.reader();
    for ((_, id, _), at) in people.iter().zip(["09:12", "09:20", "10:02"]) {
        let doses = reader.doses_of(*id).unwrap();
        assert_eq!(doses.len(), 1);
        assert_eq!(doses[0].administered_at, time(at), "the paper's time");
    }
}

/// The back-entry entries of the audit trail about the resident holding `line` (18 digits):
/// (action, detail), oldest first.
fn back_entry_trail(ledger: &Ledger, line: &str) -> Vec<(String, String)> {
    let mut trail = search(
        ledger,
        Role::Headquarters,
        &AuditSearch {
            resident: Some(line[8..].to_owned()),
            ..AuditSearch::default()
        },
    )
    .unwrap();
    trail.sort_by_key(|r| (r.at, r.action.as_str() != "check_in"));
    trail
        .into_iter()
        .filter(|r| r.detail.contains("back-entered"))
        .map(|r| (r.action.as_str().to_owned(), r.detail))
        .collect()
}

#[test]
fn each_rows_audit_entries_name_its_line_and_the_sheet_files_name() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manager.sqlite3");
    let e = venue_file(&path);
    let mut ledger = Ledger::open(&path).unwrap();
    let people = booked(&ledger, 4);
    // Checked in at a kiosk before the outage: the sheet records the dose only.
    check_in(&mut ledger, &e, people[1].1, time("09:05")).unwrap();
    let folder = dir.path().join("町役場 共有");
    std::fs::create_dir_all(&folder).unwrap();
    let file = folder.join("sheet-V03-0517.csv");
    std::fs::write(
        &file,
        sheet(&[
            line(&people[0].0, "9:12", "FA5765", ""),
            line(&people[1].0, "9:20", "FA5765", ""),
            line(&people[2].0, "10:02", "FA5765", ""),
        ]),
    )
    .unwrap();
    back_enter_sheet_file(&mut ledger, &e, &file, time("17:00"), false).unwrap();

    let entries = |n: u64, at: &str| {
        vec![
            (
                "check_in".to_owned(),
                format!("back-entered from paper, line {n} of sheet-V03-0517.csv: checked in 2021-05-17 {at}"),
            ),
            (
                "dose".to_owned(),
                format!("back-entered from the paper day sheet, line {n} of sheet-V03-0517.csv: given 2021-05-17 {at}"),
            ),
        ]
    };
    assert_eq!(back_entry_trail(&ledger, &people[0].0), entries(2, "09:12"));
    assert_eq!(
        back_entry_trail(&ledger, &people[1].0),
        entries(3, "09:20")[1..],
        "the kiosk's check-in is not the sheet's"
    );
    assert_eq!(back_entry_trail(&ledger, &people[2].0), entries(4, "10:02"));

    // From the screen without the file's name: the line, of "the sheet file".
    let unnamed = sheet(&[line(&people[3].0, "10:30", "FA5765", "")]);
    back_enter_sheet(&mut ledger, &e, &unnamed, None, time("17:05")).unwrap();
    let trail = back_entry_trail(&ledger, &people[3].0);
    assert_eq!(trail.len(), 2, "{trail:?}");
    assert!(
        trail
            .iter()
            .all(|(_, detail)| detail.contains(", line 2 of the sheet file: ")),
        "{trail:?}"
    );
}

#[test]
fn any_bad_row_refuses_the_whole_sheet_with_every_bad_line_and_the_ledger_file_unchanged() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("manager.sqlite3");
    let e = venue_file(&path);
    let mut ledger = Ledger::open(&path).unwrap();
    let people = booked(&ledger, 8);
    // Given at the booth before the outage: on the sheet too, it is a duplicate.
    check_in(&mut ledger, &e, people[1].1, time("09:01")).unwrap();
    let lot = vax_app::desk::open_lots(&ledger, &e, time("00:00").date_naive()).unwrap()[0].id;
    record_dose(
        &mut ledger,
        &e,
        &RecordDose {
            resident_id: people[1].1,
            dose_number: 1,
            lot_id: lot,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            override_: None,
        },
        time("09:03"),
    )
    .unwrap();
    let file = sheet(&[
        line(&people[0].0, "09:10", "FA5765", ""), // 2: fine
        line(&people[1].0, "09:30", "FA5765", ""), // 3: given at the booth
        line("112620219999999999", "09:31", "FA5765", ""), // 4: nobody holds it
        line(&people[2].0, "09:32", "EW0000", ""), // 5: lot not open
        line(&people[3].0, "17:30", "FA5765", ""), // 6: after now (17:00)
        line(&people[4].0, "06:00", "FA5765", ""), // 7: before the venue opens
        line(&people[0].0, "09:40", "FA5765", ""), // 8: line 2 again
        line(&people[5].0, "09:41", "FA5765", "別人 太郎"), // 9: not their name
        line(&people[6].0, "9時", "FA5765", ""),   // 10: malformed
        line(&people[7].0, "09:43", "FA5765", &people[7].2), // 11: fine
    ]);
    drop(ledger);
    let before = bytes_of(&path);

    let mut ledger = Ledger::open(&path).unwrap();
    let err = back_enter_sheet(&mut ledger, &e, &file, None, time("17:00")).unwrap_err();
    let SheetError::Refused { problems } = &err else {
        panic!("{err:?}")
    };
    let got: Vec<(u64, &str, Option<&str>)> = problems
        .iter()
        .map(|p| (p.line, p.code.as_str(), p.column.as_deref()))
        .collect();
    assert_eq!(
        got,
        vec![
            (3, "DUPLICATE_DOSE", None),
            (4, "INVALID_INPUT", Some("接種券番号")),
            (5, "LOT_NOT_OPEN", Some("ロット番号")),
            (6, "INVALID_INPUT", Some("接種時刻")),
            (7, "INVALID_INPUT", Some("接種時刻")),
            (8, "DUPLICATE_DOSE", Some("接種券番号")),
            (9, "INVALID_INPUT", Some("氏名")),
            (10, "INVALID_INPUT", Some("接種時刻")),
        ],
        "{problems:#?}"
    );
    assert!(problems[5].message_ja.contains("2行目"), "{}", problems[5]);
    assert!(problems[3].message_ja.contains("未来"), "{}", problems[3]);
    assert!(
        problems[4].message_ja.contains("接種時間外"),
        "{}",
        problems[4]
    );
    assert_eq!(err.code(), ErrorCode::InvalidInput);
    assert!(err.message_ja().contains("8行"), "{}", err.message_ja());

    // The preview lists the same lines, and the good rows with what they would record.
    let preview = preview_sheet(&mut ledger, &e, &file, time("17:00")).unwrap();
    assert_eq!(preview.refusals, *problems);
    assert_eq!(
        preview.rows.iter().map(|r| r.line).collect::<Vec<_>>(),
        vec![2, 11]
    );
    drop(ledger);
    assert_eq!(bytes_of(&path), before, "byte for byte unchanged");
}

#[test]
fn only_the_venue_managers_kiosk_back_enters_a_sheet() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("kiosk.sqlite3");
    venue_file(&path);
    let mut ledger = Ledger::open(&path).unwrap();
    for role in [Role::Reception, Role::Booth] {
        let e = enroll(
            &mut ledger,
            "V03",
            role,
            &MunicipalityCode::parse("262021").unwrap(),
        )
        .unwrap();
        let err = preview_sheet(&mut ledger, &e, &sample(), time("17:00")).unwrap_err();
        assert_eq!(err.code(), ErrorCode::RoleMayNot, "{role:?}");
    }
}
