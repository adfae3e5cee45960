//! `vaxhq paper back-enter-sheet FILE` (issue 17): a whole day sheet typed into Excel and
//! saved as CP932 CSV, back-entered by the real binary on a real kiosk ledger. A sheet with
//! bad lines is refused (exit 4) with every bad line listed and the ledger file byte for
//! byte unchanged; the preview writes nothing; the corrected sheet is recorded in one go.

use std::path::{Path, PathBuf};
use std::process::{Command, Output};

mod support;
use support::{text, vaxhq_bin};

const DAY: &str = "2021-06-01";
const EVENING: &str = "2021-06-01T17:00:00+09:00";

fn vaxhq(ledger: &Path, args: &[&str]) -> Output {
    Command::new(vaxhq_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env("VAXLEDGER_NOW", EVENING)
        .output()
        .expect("vaxhq runs")
}

fn ok(ledger: &Path, args: &[&str]) -> String {
    let out = vaxhq(ledger, args);
    assert!(out.status.success(), "vaxhq {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

/// Every byte of the ledger's files, after the process that wrote them has ended.
fn bytes_of(ledger: &Path) -> Vec<Vec<u8>> {
    ["", "-wal"]
        .iter()
        .map(|suffix| {
            let mut p = ledger.as_os_str().to_owned();
            p.push(suffix);
            std::fs::read(PathBuf::from(p)).unwrap_or_default()
        })
        .collect()
}

/// The sheet as Excel saves "CSV (コンマ区切り)": CP932, CRLF.
fn write_cp932(path: &Path, rows: &[String]) {
    let text = format!(
        "接種券番号,接種日,接種時刻,ロット番号,接種者,接種部位,観察終了,受付\r\n{}",
        rows.concat()
    );
    let (bytes, _, unmappable) = encoding_rs::SHIFT_JIS.encode(&text);
    assert!(!unmappable);
    std::fs::write(path, bytes).unwrap();
}

fn row(voucher: &str, time: &str) -> String {
    format!("{voucher},2021/6/1,{time},FA5765,舞鶴 太郎,左上腕,,○\r\n")
}

#[test]
fn a_sheet_with_bad_lines_is_refused_whole_and_the_corrected_sheet_is_recorded_in_one_go() {
    let dir = tempfile::tempdir().unwrap();
    let ledger = dir.path().join("manager.sqlite3");
    ok(
        &ledger,
        &[
            "demo",
            "--residents",
            "800",
            "--start",
            DAY,
            "--kiosk",
            "V01",
        ],
    );
    ok(
        &ledger,
        &[
            "desk",
            "open-lot",
            "--product",
            "comirnaty",
            "--lot",
            "FA5765",
        ],
    );
    let venue_day: serde_json::Value =
        serde_json::from_str(&ok(&ledger, &["--json", "venue-day", "V01", "--date", DAY])).unwrap();
    let qr: Vec<String> = venue_day["bands"][0]["residents"]
        .as_array()
        .expect("residents booked at V01")
        .iter()
        .take(3)
        .map(|r| format!("11262021{}", r["voucher"].as_str().unwrap()))
        .collect();
    assert_eq!(qr.len(), 3);

    let sheet = dir.path().join("sheet.csv");
    write_cp932(
        &sheet,
        &[
            row(&qr[0], "9:12"),
            row(&qr[1], "25:00"), // line 3: not a time
            row(&qr[2], "9:20"),
            row(&qr[0], "9:30"), // line 5: line 2 again
        ],
    );
    let before = bytes_of(&ledger);
    let refused = vaxhq(
        &ledger,
        &["paper", "back-enter-sheet", sheet.to_str().unwrap()],
    );
    assert_eq!(refused.status.code(), Some(4), "{}", text(&refused));
    let said = text(&refused);
    assert!(said.contains("line 3 [接種時刻]"), "{said}");
    assert!(
        said.contains("line 5 [接種券番号]") && said.contains("2行目"),
        "{said}"
    );
    assert!(said.contains("nothing was recorded"), "{said}");
    assert_eq!(
        said.lines()
            .filter(|l| l.trim_start().starts_with("line "))
            .count(),
        2,
        "lines 2 and 4 are fine: {said}"
    );
    assert_eq!(
        bytes_of(&ledger),
        before,
        "the ledger is byte for byte unchanged"
    );

    // Corrected in Excel: the preview shows the three rows and writes nothing.
    write_cp932(
        &sheet,
        &[
            row(&qr[0], "9:12"),
            row(&qr[1], "9:15"),
            row(&qr[2], "9:20"),
        ],
    );
    let preview = ok(
        &ledger,
        &[
            "--json",
            "paper",
            "back-enter-sheet",
            sheet.to_str().unwrap(),
            "--preview",
        ],
    );
    let preview: serde_json::Value = serde_json::from_str(&preview).unwrap();
    assert_eq!(preview["committed"], false);
    assert_eq!(preview["encoding"], "CP932");
    assert_eq!(preview["rows"].as_array().unwrap().len(), 3);
    assert_eq!(preview["ignored_columns"][0], "受付");
    assert_eq!(bytes_of(&ledger), before, "the preview wrote nothing");

    let done = ok(
        &ledger,
        &["paper", "back-enter-sheet", sheet.to_str().unwrap()],
    );
    assert!(done.contains("back-entered 3 row(s)"), "{done}");
    for (voucher, at) in qr.iter().zip(["09:12", "09:15", "09:20"]) {
        let card = ok(&ledger, &["--json", "lookup", "--voucher", voucher]);
        assert!(card.contains(&format!("{DAY}T{at}:00+09:00")), "{card}");
    }

    // The same file again: every row is now a duplicate, and nothing more is written.
    let again = vaxhq(
        &ledger,
        &["paper", "back-enter-sheet", sheet.to_str().unwrap()],
    );
    assert_eq!(again.status.code(), Some(4), "{}", text(&again));
    assert_eq!(
        text(&again).matches("接種済み").count(),
        3,
        "{}",
        text(&again)
    );
}
