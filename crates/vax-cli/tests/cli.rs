//! The HQ command line as a script or a person uses it: the real binary, a real ledger file.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::text;

fn vaxhq(ledger: &Path, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaxhq"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .output()
        .expect("vaxhq runs")
}

fn sample(name: &str) -> PathBuf {
    Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/samples")
        .join(name)
}

#[test]
fn demo_then_lookup_and_venue_day_with_script_friendly_exit_codes() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("city.sqlite3");
    let demo = vaxhq(
        &ledger,
        &["demo", "--residents", "2000", "--start", "2021-05-17"],
    );
    assert!(demo.status.success(), "demo loads: {}", text(&demo));
    assert!(
        text(&demo).contains("residents         2000"),
        "the report counts residents: {}",
        text(&demo)
    );

    let found = vaxhq(
        &ledger,
        &[
            "lookup",
            "--voucher",
            "112620210000100001",
            "--today",
            "2021-05-17",
        ],
    );
    assert_eq!(found.status.code(), Some(0), "{}", text(&found));
    assert!(
        text(&found).contains("予約 1回目"),
        "the card shows the booking: {}",
        text(&found)
    );

    let json = vaxhq(&ledger, &["--json", "lookup", "--voucher", "0000100001"]);
    let cards: serde_json::Value =
        serde_json::from_slice(&json.stdout).expect("--json prints JSON");
    assert_eq!(cards[0]["resident"]["resident"]["voucher"], "0000100001");

    let bad = vaxhq(&ledger, &["lookup", "--voucher", "112620220000100001"]);
    assert_eq!(
        bad.status.code(),
        Some(4),
        "a malformed voucher is rejected input"
    );
    assert!(
        text(&bad).contains("検査数字"),
        "the error is in Japanese too: {}",
        text(&bad)
    );

    let missing = vaxhq(&ledger, &["lookup", "--voucher", "9999999999"]);
    assert_eq!(missing.status.code(), Some(3), "nobody found is exit 3");

    let day = vaxhq(
        &ledger,
        &["venue-day", "V03", "--date", "2021-05-17", "--list"],
    );
    assert_eq!(day.status.code(), Some(0), "{}", text(&day));
    assert!(
        text(&day).contains("09:00–09:30"),
        "bands are listed: {}",
        text(&day)
    );

    let unknown = vaxhq(&ledger, &["venue-day", "V99"]);
    assert_eq!(
        unknown.status.code(),
        Some(3),
        "an unknown venue is not found: {}",
        text(&unknown)
    );

    let enrolled = vaxhq(
        &ledger,
        &["enroll", "--venue", "V02", "--role", "reception"],
    );
    assert!(
        text(&enrolled).contains("enrolled: venue V02 as reception"),
        "{}",
        text(&enrolled)
    );
    let nowhere = vaxhq(
        &ledger,
        &["enroll", "--venue", "V99", "--role", "reception"],
    );
    assert_eq!(
        nowhere.status.code(),
        Some(3),
        "an unknown venue is not found: {}",
        text(&nowhere)
    );
    let bad_role = vaxhq(&ledger, &["enroll", "--venue", "V02", "--role", "nurse"]);
    assert_eq!(
        bad_role.status.code(),
        Some(2),
        "an unknown role is a usage error"
    );

    let again = vaxhq(&ledger, &["demo", "--residents", "10"]);
    assert_eq!(
        again.status.code(),
        Some(5),
        "the demo refuses a ledger with residents: {}",
        text(&again)
    );
}

#[test]
fn a_bad_import_exits_4_lists_every_problem_and_imports_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let bad = dir.path().join("bad.csv");
    let good = std::fs::read_to_string(sample("register.csv")).unwrap();
    std::fs::write(
        &bad,
        good.replace("1941-04-01", "1941-13-01")
            .replace("0000100008", "000010000X"),
    )
    .unwrap();
    let errors = dir.path().join("problems.csv");
    let out = vaxhq(
        &ledger,
        &[
            "import",
            "register",
            bad.to_str().unwrap(),
            "--errors-out",
            errors.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("line 2 [生年月日]"), "{}", text(&out));
    assert!(text(&out).contains("line 3 [券番号]"), "{}", text(&out));
    let listed = std::fs::read_to_string(&errors).unwrap();
    assert_eq!(
        listed.lines().count(),
        3,
        "header and two problems in the errors file: {listed}"
    );

    let init = vaxhq(&ledger, &["init"]);
    assert!(
        text(&init).contains("0 residents"),
        "nothing was imported: {}",
        text(&init)
    );

    let ok = vaxhq(
        &ledger,
        &[
            "import",
            "register",
            sample("register.csv").to_str().unwrap(),
        ],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("new 3"), "{}", text(&ok));
    let survey = vaxhq(
        &ledger,
        &["import", "survey", sample("survey.csv").to_str().unwrap()],
    );
    assert_eq!(survey.status.code(), Some(0), "{}", text(&survey));
}

#[test]
fn a_cp932_crlf_register_with_era_dates_reports_its_lines_then_imports_and_is_found_by_era_birth_date(
) {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let register = |text: &str| {
        let path = dir.path().join("register.csv");
        let crlf = text.replace('\n', "\r\n");
        std::fs::write(&path, encoding_rs::SHIFT_JIS.encode(&crlf).0).unwrap();
        path
    };
    let good = "個別宛名番号,市町村コード,券番号,氏名,氏名カナ,生年月日,性別,住所,地区\n\
                000012345678901,262021,0000100001,山田 花子,ﾔﾏﾀﾞ ﾊﾅｺ,昭和16年4月1日,２,京都府デモ市1,西舞鶴\n\
                000012345678902,262021,0000100008,佐藤 清,ｻﾄｳ ｷﾖｼ,S11.11.3,１,京都府デモ市2,東舞鶴\n\
                ,262021,0000100015,鈴木 陽菜,ｽｽﾞｷ ﾋﾅ,Ｈ２０．５．２０,２,京都府デモ市3,中舞鶴\n";
    let bad = good
        .replace("S11.11.3", "昭和65年1月1日")
        .replace("0000100015", "0000100001");
    let errors = dir.path().join("problems.csv");
    let out = vaxhq(
        &ledger,
        &[
            "import",
            "register",
            register(&bad).to_str().unwrap(),
            "--errors-out",
            errors.to_str().unwrap(),
        ],
    );
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    assert!(text(&out).contains("line 3 [生年月日]"), "{}", text(&out));
    assert!(
        text(&out).contains("line 4 [券番号]") && text(&out).contains("line 2"),
        "the repeated voucher on line 4 names line 2: {}",
        text(&out)
    );
    let listed = std::fs::read_to_string(&errors).unwrap();
    assert_eq!(listed.lines().count(), 3, "{listed}");

    let ok = vaxhq(
        &ledger,
        &["import", "register", register(good).to_str().unwrap()],
    );
    assert_eq!(ok.status.code(), Some(0), "{}", text(&ok));
    assert!(text(&ok).contains("new 3"), "{}", text(&ok));
    let found = vaxhq(&ledger, &["lookup", "--birth", "昭和16年4月1日"]);
    assert_eq!(found.status.code(), Some(0), "{}", text(&found));
    assert!(text(&found).contains("山田 花子"), "{}", text(&found));
    let outside = vaxhq(&ledger, &["lookup", "--birth", "平成元年1月7日"]);
    assert_eq!(outside.status.code(), Some(2), "{}", text(&outside));
    assert!(
        text(&outside).contains("昭和64年1月7日"),
        "the refusal says which day it would be: {}",
        text(&outside)
    );
}

#[test]
fn a_missing_file_is_a_failure_with_the_path_in_the_message() {
    let dir = tempfile::tempdir().unwrap();
    let out = vaxhq(
        &dir.path().join("l.sqlite3"),
        &["import", "register", "/nonexistent/register.csv"],
    );
    assert_eq!(out.status.code(), Some(1));
    assert!(
        text(&out).contains("/nonexistent/register.csv"),
        "{}",
        text(&out)
    );
}

/// Records dose 1 for the first `n` residents booked at V01 on the demo's first day.
fn give_doses(ledger_path: &Path, day: &str, n: usize) {
    use vax_app::desk::{check_in, enrollment, record_dose, RecordDose};
    let mut ledger = vax_ledger::Ledger::open(ledger_path).unwrap();
    let e = enrollment(&ledger)
        .unwrap()
        .expect("the demo kiosk is enrolled");
    let date: chrono::NaiveDate = day.parse().unwrap();
    let lot = ledger
        .reader()
        .lots_open(ledger.reader().venue("V01").unwrap().id, date)
        .unwrap()[0]
        .id;
    let listed = vax_app::roster::venue_day(&ledger, "V01", date).unwrap();
    let now = chrono::DateTime::parse_from_rfc3339(&format!("{day}T10:00:00+09:00")).unwrap();
    for r in listed.bands.iter().flat_map(|b| &b.residents).take(n) {
        check_in(&mut ledger, &e, r.resident_id, now).unwrap();
        let dose = RecordDose {
            resident_id: r.resident_id,
            dose_number: 1,
            lot_id: lot,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            override_: None,
        };
        record_dose(&mut ledger, &e, &dose, now).unwrap();
    }
}

#[test]
fn the_nightly_vrs_export_writes_a_batch_once_and_regenerates_it_byte_for_byte() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let day = "2021-05-17";
    let demo = vaxhq(
        &ledger,
        &[
            "demo",
            "--residents",
            "500",
            "--start",
            day,
            "--kiosk",
            "V01",
        ],
    );
    assert!(demo.status.success(), "{}", text(&demo));
    give_doses(&ledger, day, 5);

    let out = dir.path().join("vrs");
    let first = vaxhq(&ledger, &["vrs", "export", "--out", out.to_str().unwrap()]);
    assert_eq!(first.status.code(), Some(0), "{}", text(&first));
    assert!(
        text(&first).contains("batch 1: 5 records"),
        "{}",
        text(&first)
    );
    let mut files: Vec<_> = std::fs::read_dir(&out)
        .unwrap()
        .map(|e| e.unwrap().path())
        .collect();
    files.sort();
    assert_eq!(
        files.len(),
        2,
        "the 台帳形式 and the one-row-per-dose files: {files:?}"
    );

    let again = vaxhq(&ledger, &["vrs", "export", "--out", out.to_str().unwrap()]);
    assert!(
        text(&again).contains("nothing new"),
        "a second run exports nothing: {}",
        text(&again)
    );

    let listed = vaxhq(&ledger, &["vrs", "batches"]);
    assert!(text(&listed).contains("batch    1"), "{}", text(&listed));

    let copy = dir.path().join("again");
    let regen = vaxhq(
        &ledger,
        &["vrs", "regenerate", "1", "--out", copy.to_str().unwrap()],
    );
    assert_eq!(regen.status.code(), Some(0), "{}", text(&regen));
    for f in &files {
        let twin = copy.join(f.file_name().unwrap());
        assert_eq!(
            std::fs::read(f).unwrap(),
            std::fs::read(&twin).unwrap(),
            "{} regenerates byte for byte",
            twin.display()
        );
    }
}

#[test]
fn a_malformed_site_municipality_is_refused_before_anything_is_written() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let out = dir.path().join("vrs");
    let run = vaxhq(
        &ledger,
        &[
            "vrs",
            "export",
            "--out",
            out.to_str().unwrap(),
            "--site-municipality",
            "262022",
        ],
    );
    assert_eq!(run.status.code(), Some(1), "{}", text(&run));
    assert!(text(&run).contains("検査数字"), "{}", text(&run));
    assert!(!out.exists(), "no folder, no file");
}

#[test]
fn an_enrollment_code_for_a_malformed_municipality_is_refused_in_both_languages() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    // 262022: the check digit of Maizuru's 26202 is 1.
    let run = vaxhq(
        &ledger,
        &[
            "sync",
            "code",
            "--role",
            "booth",
            "--venue",
            "V01",
            "--municipality",
            "262022",
        ],
    );
    assert_eq!(run.status.code(), Some(2), "{}", text(&run));
    assert!(text(&run).contains("--municipality"), "{}", text(&run));
    assert!(text(&run).contains("検査数字"), "{}", text(&run));
}

#[test]
fn vouchers_and_a_yoshinhyo_print_as_pdf_files() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let demo = vaxhq(
        &ledger,
        &["demo", "--residents", "5", "--start", "2021-05-17"],
    );
    assert!(demo.status.success(), "{}", text(&demo));

    let out = dir.path().join("vouchers");
    let printed = vaxhq(
        &ledger,
        &[
            "print",
            "vouchers",
            "--out",
            out.to_str().unwrap(),
            "--chunk",
            "2",
        ],
    );
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed));
    assert!(
        text(&printed).contains("5 pages in 3 files"),
        "{}",
        text(&printed)
    );

    let pdf = dir.path().join("yoshinhyo.pdf");
    let one = vaxhq(
        &ledger,
        &[
            "print",
            "yoshinhyo",
            "--voucher",
            "112620210000100001",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(one.status.code(), Some(0), "{}", text(&one));
    let bytes = std::fs::read(&pdf).unwrap();
    assert!(bytes.starts_with(b"%PDF"), "a PDF file is written");

    let nobody = vaxhq(
        &ledger,
        &[
            "print",
            "yoshinhyo",
            "--voucher",
            "9999999999",
            "--out",
            pdf.to_str().unwrap(),
        ],
    );
    assert_eq!(nobody.status.code(), Some(3), "{}", text(&nobody));
}

#[test]
fn the_sender_on_the_vouchers_is_set_once_and_printed_on_every_batch() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let out = dir.path().join("vouchers");
    let print = |ledger: &std::path::Path| {
        vaxhq(
            ledger,
            &["print", "vouchers", "--out", out.to_str().unwrap()],
        )
    };

    // A new ledger has no sender: nothing goes out, and the message says what to do.
    let refused = print(&ledger);
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    assert!(text(&refused).contains("差出人"), "{}", text(&refused));
    assert!(
        text(&refused).contains("print mailing --sender"),
        "{}",
        text(&refused)
    );
    assert!(!out.exists(), "no folder, no file");
    let none = vaxhq(&ledger, &["print", "mailing"]);
    assert_eq!(none.status.code(), Some(3), "{}", text(&none));

    let demo = vaxhq(
        &ledger,
        &["demo", "--residents", "2", "--start", "2021-05-17"],
    );
    assert!(demo.status.success(), "{}", text(&demo));
    let set = vaxhq(
        &ledger,
        &[
            "print",
            "mailing",
            "--sender",
            "舞鶴市 健康づくり課",
            "--contact",
            "接種コールセンター 0773-00-0000",
        ],
    );
    assert_eq!(set.status.code(), Some(0), "{}", text(&set));
    let shown = vaxhq(&ledger, &["print", "mailing"]);
    assert!(
        text(&shown).contains("舞鶴市 健康づくり課")
            && text(&shown).contains("接種コールセンター 0773-00-0000"),
        "{}",
        text(&shown)
    );

    let printed = print(&ledger);
    assert_eq!(printed.status.code(), Some(0), "{}", text(&printed));
    let pdf = std::process::Command::new("pdftotext")
        .arg(out.join("vouchers-0001.pdf"))
        .arg("-")
        .output()
        .expect("pdftotext (poppler-utils) is installed by scripts/setup.sh");
    let sheet = String::from_utf8_lossy(&pdf.stdout);
    assert!(sheet.contains("舞鶴市 健康づくり課"), "{sheet}");
    assert!(sheet.contains("接種コールセンター 0773-00-0000"), "{sheet}");

    let too_long = vaxhq(&ledger, &["print", "mailing", "--sender", &"健".repeat(41)]);
    assert_eq!(too_long.status.code(), Some(4), "{}", text(&too_long));
    assert!(
        text(&too_long).contains("差出人が長すぎて"),
        "{}",
        text(&too_long)
    );

    // Options change only what they name.
    let contact_only = vaxhq(
        &ledger,
        &["print", "mailing", "--contact", "電話 0773-11-1111"],
    );
    assert_eq!(
        contact_only.status.code(),
        Some(0),
        "{}",
        text(&contact_only)
    );
    let shown = text(&vaxhq(&ledger, &["print", "mailing"]));
    assert!(
        shown.contains("舞鶴市 健康づくり課") && shown.contains("電話 0773-11-1111"),
        "the refused sender changed nothing and the contact alone was replaced: {shown}"
    );
    assert!(!shown.contains("0773-00-0000"), "{shown}");
    let cleared = vaxhq(&ledger, &["print", "mailing", "--no-contact"]);
    assert_eq!(cleared.status.code(), Some(0), "{}", text(&cleared));
    assert!(
        !text(&vaxhq(&ledger, &["print", "mailing"])).contains("お問い合わせ先"),
        "no contact lines left"
    );
}

#[test]
fn a_calendar_with_bad_rows_exits_4_with_every_line_then_the_sample_imports_once() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("city.sqlite3");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vaxhq"))
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .env_remove("VAXLEDGER_DB")
            .env("VAXLEDGER_NOW", "2021-05-01T09:00:00+09:00")
            .output()
            .expect("vaxhq runs")
    };
    let good = std::fs::read_to_string(sample("calendar.csv")).unwrap();
    let mut lines: Vec<&str> = good.lines().collect();
    let overlapping = lines[1].replace("09:00,09:30", "09:10,09:40");
    lines.push(&overlapping); // line 6: overlaps line 3 (line 2 is bad itself)
    let bad = lines.join("\r\n").replacen(",40\r\n", ",0\r\n", 1); // line 2: capacity 0
    let bad_path = dir.path().join("bad.csv");
    std::fs::write(&bad_path, encoding_rs::SHIFT_JIS.encode(&bad).0).unwrap();

    let out = run(&["calendar", "import", bad_path.to_str().unwrap()]);
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));
    let t = text(&out);
    assert!(t.contains("line 2 [定員]"), "{t}");
    assert!(
        t.contains("line 6 [開始]") && t.contains("on line 3"),
        "{t}"
    );
    let venues = run(&["venues"]);
    assert!(
        !text(&venues).contains("V01"),
        "nothing imported: {}",
        text(&venues)
    );

    let path = sample("calendar.csv");
    let out = run(&["calendar", "import", path.to_str().unwrap()]);
    assert!(out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("bands: new 4"), "{}", text(&out));
    let again = run(&["calendar", "import", path.to_str().unwrap()]);
    assert!(
        text(&again).contains("new 0   changed 0   unchanged 4"),
        "{}",
        text(&again)
    );
    assert!(text(&run(&["venues"])).contains("V01"));
}

/// `vaxhq` with its clock pinned, as HQ runs it a week before the campaign starts.
fn vaxhq_on(ledger: &Path, now: &str, args: &[&str]) -> Output {
    Command::new(env!("CARGO_BIN_EXE_vaxhq"))
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env("VAXLEDGER_NOW", now)
        .output()
        .expect("vaxhq runs")
}

#[test]
fn notices_pending_then_make_writes_the_batch_and_nothing_is_pending_after() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("hq.sqlite3");
    let now = "2021-05-10T09:00:00+09:00";
    let demo = vaxhq_on(
        &ledger,
        now,
        &["demo", "--residents", "12", "--start", "2021-05-17"],
    );
    assert!(demo.status.success(), "{}", text(&demo));

    let pending = vaxhq_on(&ledger, now, &["--json", "notices", "pending"]);
    assert_eq!(pending.status.code(), Some(0), "{}", text(&pending));
    let summary: serde_json::Value = serde_json::from_slice(&pending.stdout).unwrap();
    let bookings = summary["bookings"].as_u64().unwrap();
    assert!(bookings > 0, "{summary}");
    assert_eq!(summary["change"], 0);
    assert_eq!(
        summary["sms"].as_u64().unwrap()
            + summary["calls"].as_u64().unwrap()
            + summary["letter_only"].as_u64().unwrap(),
        bookings,
        "every booking goes by SMS, call or letter only: {summary}"
    );

    let bad = vaxhq_on(
        &ledger,
        now,
        &["notices", "pending", "--first-template", "{date}{venue}"],
    );
    assert_eq!(bad.status.code(), Some(4), "{}", text(&bad));
    assert!(text(&bad).contains("{time}"), "{}", text(&bad));

    let out = dir.path().join("notices");
    let made = vaxhq_on(
        &ledger,
        now,
        &[
            "notices",
            "make",
            "--out",
            out.to_str().unwrap(),
            "--sms-limit",
            "100",
        ],
    );
    assert_eq!(made.status.code(), Some(0), "{}", text(&made));
    let folder = out.join("notices-0001-20210510-090000");
    for file in ["letters-0001.pdf", "sms.csv", "calls.csv"] {
        assert!(folder.join(file).is_file(), "{file}: {}", text(&made));
    }
    assert!(text(&made).contains("letters"), "{}", text(&made));

    let again = vaxhq_on(
        &ledger,
        now,
        &["notices", "make", "--out", out.to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(3), "{}", text(&again));
    assert!(text(&again).contains("お知らせが必要な予約はありません"));

    let listed = vaxhq_on(&ledger, now, &["notices", "batches"]);
    assert!(text(&listed).contains("batch    1"), "{}", text(&listed));
}

#[test]
fn hq_edits_the_calendar_plans_and_reshuffles_a_cut_day_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("city.sqlite3");
    let run = |args: &[&str]| {
        Command::new(env!("CARGO_BIN_EXE_vaxhq"))
            .arg("--ledger")
            .arg(&ledger)
            .args(args)
            .env_remove("VAXLEDGER_DB")
            .env("VAXLEDGER_NOW", "2021-05-01T09:00:00+09:00")
            .output()
            .expect("vaxhq runs")
    };
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        text(&out)
    };
    ok(&[
        "import",
        "register",
        sample("register.csv").to_str().unwrap(),
    ]);
    ok(&[
        "import",
        "survey",
        sample("survey-preferences.csv").to_str().unwrap(),
    ]);
    ok(&[
        "calendar",
        "venue",
        "V01",
        "--name",
        "デモ市総合文化会館",
        "--address",
        "京都府デモ市字浜2021番地",
        "--lat",
        "35.4741",
        "--lon",
        "135.3882",
        "--kind",
        "mass-site",
    ]);
    ok(&[
        "calendar",
        "venue",
        "C01",
        "--name",
        "デモ内科クリニック",
        "--address",
        "京都府デモ市字南田辺1番地",
        "--lat",
        "35.4431",
        "--lon",
        "135.3325",
        "--kind",
        "clinic",
    ]);
    for venue in ["V01", "C01"] {
        for date in ["2021-05-17", "2021-05-18", "2021-06-07", "2021-06-08"] {
            ok(&[
                "calendar",
                "add-day",
                venue,
                date,
                "--band",
                "09:00-09:30/5",
                "--band",
                "13:00-13:30/5",
            ]);
        }
    }
    let shown = ok(&["calendar", "show", "--from", "2021-05-17", "--days", "1"]);
    assert_eq!(shown.lines().count(), 1 + 4, "{shown}");

    let planned = ok(&["plan", "run"]);
    assert!(
        planned.contains("doses booked                      4"),
        "{planned}"
    );

    let dry = ok(&["calendar", "cut-day", "C01", "2021-05-17", "--dry-run"]);
    assert!(
        dry.contains("would change 2 band(s); bookings left without a place: 1"),
        "{dry}"
    );
    let preview_path = dir.path().join("preview.json");
    let preview = ok(&[
        "reshuffle",
        "preview",
        "cut-day",
        "C01",
        "2021-05-17",
        "--out",
        preview_path.to_str().unwrap(),
    ]);
    assert!(preview.contains("0000100001"), "{preview}");
    assert!(
        preview.contains("C01 2021-05-17 09:00–09:30 →"),
        "{preview}"
    );

    // A change in between makes the preview stale: refused with exit code 5.
    let band = shown
        .lines()
        .nth(1)
        .unwrap()
        .split_whitespace()
        .next()
        .unwrap()
        .to_owned();
    ok(&["calendar", "capacity", &band, "4"]);
    let stale = run(&["reshuffle", "apply", preview_path.to_str().unwrap()]);
    assert_eq!(stale.status.code(), Some(5), "{}", text(&stale));
    assert!(
        text(&stale).contains("preview it again"),
        "{}",
        text(&stale)
    );

    ok(&[
        "reshuffle",
        "preview",
        "cut-day",
        "C01",
        "2021-05-17",
        "--out",
        preview_path.to_str().unwrap(),
    ]);
    let applied = ok(&["reshuffle", "apply", preview_path.to_str().unwrap()]);
    assert!(applied.contains("calendar: 2 band(s) changed"), "{applied}");
    let after = ok(&["calendar", "show", "--from", "2021-05-17", "--days", "1"]);
    assert!(
        after
            .lines()
            .filter(|l| l.contains("C01") && l.contains("closed") && l.contains("   0/"))
            .count()
            == 2,
        "{after}"
    );
}

#[test]
fn hq_enters_a_delivery_and_reshuffles_the_bookings_above_it_from_the_command_line() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("city.sqlite3");
    let run = |args: &[&str]| vaxhq_on(&ledger, "2021-05-01T09:00:00+09:00", args);
    let ok = |args: &[&str]| {
        let out = run(args);
        assert!(out.status.success(), "{args:?}: {}", text(&out));
        text(&out)
    };
    for (kind, file) in [
        ("register", "register.csv"),
        ("survey", "survey-preferences.csv"),
    ] {
        ok(&["import", kind, sample(file).to_str().unwrap()]);
    }
    for (code, name, lat, lon) in [
        ("V01", "デモ市総合文化会館", "35.4741", "135.3882"),
        ("C01", "デモ内科クリニック", "35.4431", "135.3325"),
    ] {
        ok(&[
            "calendar",
            "venue",
            code,
            "--name",
            name,
            "--address",
            "京都府デモ市",
            "--lat",
            lat,
            "--lon",
            lon,
        ]);
        for date in ["2021-05-17", "2021-05-18", "2021-06-07", "2021-06-08"] {
            ok(&["calendar", "add-day", code, date, "--band", "09:00-09:30/5"]);
        }
    }
    ok(&["plan", "run"]);
    // 山田 花子 asked for C01 and holds its 17 May; nothing is delivered there that day.
    let set = ok(&["calendar", "supply", "C01", "2021-05-17", "0"]);
    assert!(
        set.contains("delivery of C01 on 2021-05-17 set: 0 vials = 0 doses of comirnaty; 1 booked"),
        "{set}"
    );
    assert!(
        set.contains("vaxhq reshuffle preview supply C01 2021-05-17"),
        "{set}"
    );
    let preview_path = dir.path().join("preview.json");
    let preview = ok(&[
        "reshuffle",
        "preview",
        "supply",
        "C01",
        "2021-05-17",
        "--out",
        preview_path.to_str().unwrap(),
    ]);
    assert!(
        preview.contains("0000100001") && preview.contains("C01 2021-05-17 09:00–09:30 →"),
        "{preview}"
    );
    ok(&["reshuffle", "apply", preview_path.to_str().unwrap()]);
    let shown = ok(&["calendar", "show", "--from", "2021-05-17", "--days", "1"]);
    assert!(
        shown.contains("delivery C01    2021-05-17 0 vials = 0 doses of comirnaty, 0 booked\n"),
        "{shown}"
    );

    let cleared = ok(&["calendar", "supply", "C01", "2021-05-17", "--clear"]);
    assert!(cleared.contains("not limited"), "{cleared}");
    assert!(!ok(&["calendar", "show", "--from", "2021-05-17", "--days", "1"]).contains("delivery"));
    let none = run(&["reshuffle", "preview", "supply", "C01", "2021-05-17"]);
    assert!(!none.status.success(), "{}", text(&none));
    let passed = run(&["calendar", "supply", "C01", "2021-04-30", "3"]);
    assert!(!passed.status.success());
    assert!(
        text(&passed).contains("has passed") && text(&passed).contains("納品数"),
        "{}",
        text(&passed)
    );
    let neither = run(&["calendar", "supply", "C01", "2021-05-18"]);
    assert_eq!(
        neither.status.code(),
        Some(2),
        "clap wants vials or --clear"
    );
}

#[test]
fn an_encrypted_ledger_opens_only_with_its_passphrase_and_a_wrong_one_changes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("kiosk.sqlite3");
    let with = |pass: Option<&str>, args: &[&str]| {
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxhq"));
        cmd.arg("--ledger")
            .arg(&ledger)
            .args(args)
            .env_remove("VAXLEDGER_DB")
            .env_remove("VAXLEDGER_PASSPHRASE_FILE")
            .env_remove("VAXLEDGER_PASSPHRASE");
        if let Some(p) = pass {
            cmd.env("VAXLEDGER_PASSPHRASE", p);
        }
        cmd.output().expect("vaxhq runs")
    };
    let imported = with(
        None,
        &[
            "import",
            "register",
            sample("register.csv").to_str().unwrap(),
        ],
    );
    assert!(imported.status.success(), "{}", text(&imported));

    let encrypted = with(Some("venue passphrase"), &["encrypt"]);
    assert!(encrypted.status.success(), "{}", text(&encrypted));
    assert!(text(&encrypted).contains("recovery code (shown once; HQ keeps it): "));
    let bytes = std::fs::read(&ledger).unwrap();
    assert!(!bytes.windows("山田".len()).any(|w| w == "山田".as_bytes()));

    let locked = with(None, &["venues"]);
    assert_eq!(locked.status.code(), Some(5), "{}", text(&locked));
    assert!(text(&locked).contains("is encrypted: give its passphrase"));
    let wrong = with(Some("another phrase"), &["venues"]);
    assert_eq!(wrong.status.code(), Some(4), "{}", text(&wrong));
    assert!(text(&wrong).contains("wrong passphrase or recovery code for this ledger"));
    assert!(text(&wrong).contains("パスフレーズまたは復旧コードが違います"));
    assert_eq!(std::fs::read(&ledger).unwrap(), bytes, "nothing changed");

    let found = with(Some("venue passphrase"), &["lookup", "--kana", "やまだ"]);
    assert!(found.status.success(), "{}", text(&found));
    assert!(text(&found).contains("山田 花子"), "{}", text(&found));
    let pass_file = dir.path().join("pass");
    std::fs::write(&pass_file, "venue passphrase\n").unwrap();
    let checked = with(
        None,
        &["--passphrase-file", pass_file.to_str().unwrap(), "check"],
    );
    assert!(checked.status.success(), "{}", text(&checked));
    assert!(text(&checked).starts_with("ok: "), "{}", text(&checked));
}
