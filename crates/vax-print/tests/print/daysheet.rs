//! The paper day sheet: its text read back with pdftotext, and every row's QR read back from
//! the rendered page with vax-scan, as the back-entry desk reads it.

use std::collections::BTreeSet;
use std::time::Duration;

use vax_print::{write_day_sheets, DaySheet, DaySheetRow, DAY_SHEET_ROWS_PER_PAGE};
use vax_scan::{Frame, Pipeline, ScanGoal};

use super::{date, font, line, page_count, render, run};

fn resident(i: usize, dose: u8) -> DaySheetRow {
    DaySheetRow {
        line: line(&format!("1{dose}262021{:010}", 5_000_000 + i)),
        name: format!("舞鶴 花子{i}"),
        name_kana: format!("マイヅル ハナコ{i}"),
        birth_date: date(1950, 4, 1) + chrono::Days::new(i as u64),
    }
}

fn sheets() -> Vec<DaySheet> {
    vec![
        DaySheet {
            venue_code: "V01".into(),
            venue_name: "総合文化会館".into(),
            date: date(2026, 12, 1),
            band: "09:00〜10:00".into(),
            rows: (0..DAY_SHEET_ROWS_PER_PAGE + 2)
                .map(|i| resident(i, 1))
                .collect(),
            blank_rows: 5,
        },
        DaySheet {
            venue_code: "V01".into(),
            venue_name: "総合文化会館".into(),
            date: date(2026, 12, 1),
            band: "10:00〜11:00".into(),
            rows: vec![resident(40, 2)],
            blank_rows: 5,
        },
    ]
}

/// Every QR text on a rendered page.
fn all_codes(png: &std::path::Path) -> BTreeSet<String> {
    let img = image::open(png).unwrap().to_luma8();
    let report = Pipeline::standard()
        .with_goal(ScanGoal::AllCodes)
        .scan_frame(&Frame::luma(img, Duration::ZERO), Duration::from_secs(20));
    report.reads.into_iter().map(|r| r.text).collect()
}

#[test]
fn day_sheets_list_every_booking_and_every_row_qr_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("sheets.pdf");
    let sheets = sheets();
    let pages = write_day_sheets(&font(), &sheets, &pdf).unwrap();
    // Band 1: 16 booked + 5 blank rows → 2 pages; band 2: 1 + 5 → 1 page.
    assert_eq!(pages, 3);
    assert_eq!(page_count(&pdf), 3);

    let text = run("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    for needle in [
        "接種当日記録票（紙運用）",
        "総合文化会館（V01）",
        "受付 09:00〜10:00",
        "受付 10:00〜11:00",
        "予約 16 人",
        "舞鶴 花子0",
        "マイヅル ハナコ15",
        "券 0005000040",
        "昭和25年4月1日",
        "1950-04-01",
        "当日（予備者）：氏名",
        "ロット",
        "接種者",
        "観察終了",
        "1 / 2 枚",
    ] {
        // pdftotext drops some of the spaces between runs: compare without blanks.
        let squeeze = |s: &str| s.split_whitespace().collect::<String>();
        assert!(
            squeeze(&text).contains(&squeeze(needle)),
            "{needle:?} missing from:\n{text}"
        );
    }

    let pngs = render(&pdf, dir.path(), 200);
    assert_eq!(pngs.len(), 3);
    let first_page: BTreeSet<String> = (0..DAY_SHEET_ROWS_PER_PAGE)
        .map(|i| resident(i, 1).line.to_digits())
        .collect();
    assert_eq!(all_codes(&pngs[0]), first_page, "every row QR of page 1");
    let second_page: BTreeSet<String> = (DAY_SHEET_ROWS_PER_PAGE..DAY_SHEET_ROWS_PER_PAGE + 2)
        .map(|i| resident(i, 1).line.to_digits())
        .collect();
    assert_eq!(all_codes(&pngs[1]), second_page, "blank rows carry no QR");
    assert_eq!(
        all_codes(&pngs[2]),
        BTreeSet::from(["1226202100050000".to_owned() + "40"]),
        "the second band's row, its line naming dose 2"
    );
}

/// Regenerates docs/print-samples/day-sheet.png (100 dpi):
/// `cargo test -p vax-print --test print -- --ignored write_day_sheet_sample`.
#[test]
#[ignore = "writes into docs/print-samples"]
fn write_day_sheet_sample() {
    let out = std::path::Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/print-samples");
    std::fs::create_dir_all(&out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("day-sheet.pdf");
    let mut sheet = sheets().remove(0);
    sheet.rows.truncate(9);
    write_day_sheets(&font(), &[sheet], &pdf).unwrap();
    let prefix = out.join("day-sheet");
    run(
        "pdftoppm",
        &[
            "-r",
            "100",
            "-png",
            "-singlefile",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
}
