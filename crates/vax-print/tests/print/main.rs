//! Renders the produced PDFs with poppler (pdftoppm, pdfinfo, pdffonts) and reads the QR
//! code back from the rendered page with vax-scan, as the desk would from a printed sheet.

mod daysheet;
mod letter;
mod ride_letter;

use std::path::{Path, PathBuf};
use std::process::Command;
use std::time::Duration;

use chrono::NaiveDate;
use vax_domain::resident::Sex;
use vax_domain::voucher::{OcrLine, VoucherPayload};
use vax_print::{
    needs_guardian, write_voucher_batches, write_yoshinhyo, BatchOptions, FontConfig, FontError,
    JapaneseFont, VoucherSheet, YoshinhyoInput, GUARDIAN_BELOW_AGE,
};
use vax_scan::{Frame, Pipeline};

fn line(digits: &str) -> OcrLine {
    match VoucherPayload::parse(digits) {
        Ok(VoucherPayload::Line(line)) => line,
        other => panic!("{digits}: {other:?}"),
    }
}

fn date(y: i32, m: u32, d: u32) -> NaiveDate {
    NaiveDate::from_ymd_opt(y, m, d).unwrap()
}

fn font() -> JapaneseFont {
    JapaneseFont::system_default().expect("install fonts-noto-cjk")
}

fn yoshinhyo_input() -> YoshinhyoInput {
    YoshinhyoInput {
        postal_code: "6240853".into(),
        address: "京都府舞鶴市字南田辺1番地 南田辺ハイツ203号".into(),
        name: "舞鶴 花子".into(),
        name_kana: "マイヅル ハナコ".into(),
        birth_date: date(1950, 4, 1),
        sex: Sex::Female,
        phone: "0773-62-2300".into(),
        voucher: line("112620210000123456"),
        print_date: date(2026, 11, 22),
    }
}

fn sheet(i: usize) -> VoucherSheet {
    VoucherSheet {
        postal_code: format!("62408{i:02}"),
        address: format!("京都府舞鶴市字浜{}番地の{}", 100 + i, i + 1),
        name: format!("試験 太郎{i}"),
        voucher: line(&format!("11262021{:010}", 4_000_000 + i)),
    }
}

fn run(cmd: &str, args: &[&str]) -> String {
    let out = Command::new(cmd)
        .args(args)
        .output()
        .unwrap_or_else(|e| panic!("{cmd}: {e}"));
    assert!(
        out.status.success(),
        "{cmd} {args:?}: {}",
        String::from_utf8_lossy(&out.stderr)
    );
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn page_count(pdf: &Path) -> usize {
    let info = run("pdfinfo", &[pdf.to_str().unwrap()]);
    let pages = info
        .lines()
        .find_map(|l| l.strip_prefix("Pages:"))
        .expect("Pages: line");
    pages.trim().parse().unwrap()
}

/// Renders `pdf` at `dpi` into `dir`; returns the PNGs in page order.
fn render(pdf: &Path, dir: &Path, dpi: u32) -> Vec<PathBuf> {
    let stem = pdf.file_stem().unwrap().to_str().unwrap();
    let prefix = dir.join(format!("{stem}-page"));
    run(
        "pdftoppm",
        &[
            "-r",
            &dpi.to_string(),
            "-png",
            pdf.to_str().unwrap(),
            prefix.to_str().unwrap(),
        ],
    );
    let mut pngs: Vec<PathBuf> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| {
            let name = p.file_name().unwrap().to_str().unwrap();
            name.starts_with(&format!("{stem}-page")) && name.ends_with(".png")
        })
        .collect();
    pngs.sort();
    pngs
}

/// Every QR text vax-scan finds on a rendered page.
fn decode(png: &Path) -> Vec<String> {
    let img = image::open(png).unwrap().to_luma8();
    let report =
        Pipeline::standard().scan_frame(&Frame::luma(img, Duration::ZERO), Duration::from_secs(5));
    report.reads.into_iter().map(|r| r.text).collect()
}

fn assert_font_embedded_and_subset(pdf: &Path) {
    let fonts = run("pdffonts", &[pdf.to_str().unwrap()]);
    let rows: Vec<&str> = fonts.lines().skip(2).collect();
    assert!(!rows.is_empty(), "no font in {}", pdf.display());
    for row in rows {
        let cols: Vec<&str> = row.split_whitespace().collect();
        // ... emb sub uni object ID: the three yes/no columns come before the object number.
        let n = cols.len();
        assert_eq!(
            &cols[n - 5..n - 2],
            ["yes", "yes", "yes"],
            "pdffonts: {row}"
        );
    }
}

#[test]
fn yoshinhyo_renders_one_page_with_a_readable_qr() {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("yoshinhyo.pdf");
    write_yoshinhyo(&font(), &yoshinhyo_input(), &pdf).unwrap();

    assert_eq!(page_count(&pdf), 1);
    assert_font_embedded_and_subset(&pdf);
    let size = std::fs::metadata(&pdf).unwrap().len();
    assert!(size < 300_000, "subset font expected, PDF is {size} bytes");

    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    for needle in [
        "予診票",
        "舞鶴 花子",
        "マイヅル ハナコ",
        "0000123456",
        "医師記入欄",
        "接種記録欄",
        "満 76 歳",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }

    let pngs = render(&pdf, dir.path(), 150);
    assert_eq!(pngs.len(), 1);
    assert_eq!(decode(&pngs[0]), ["112620210000123456"]);
}

/// The text of a rendered 予診票 for `input`, and its QR as read back from the page.
fn yoshinhyo_text_and_qr(input: &YoshinhyoInput) -> (String, Vec<String>) {
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("yoshinhyo.pdf");
    write_yoshinhyo(&font(), input, &pdf).unwrap();
    assert_eq!(page_count(&pdf), 1);
    // pdftotext without -layout keeps each drawn string whole.
    let text = run("pdftotext", &[pdf.to_str().unwrap(), "-"]);
    let pngs = render(&pdf, dir.path(), 150);
    (text, decode(&pngs[0]))
}

#[test]
fn a_minor_gets_the_guardian_signature_field_and_an_adult_does_not() {
    // 15 on the print day (16 the day after): the guardian signs.
    let minor = YoshinhyoInput {
        name: "舞鶴 太一".into(),
        name_kana: "マイヅル タイチ".into(),
        birth_date: date(2010, 11, 23),
        ..yoshinhyo_input()
    };
    assert!(needs_guardian(&minor));
    let (text, qr) = yoshinhyo_text_and_qr(&minor);
    for needle in [
        "保護者の自署",
        "続柄",
        "12〜15歳の方は保護者の署名が必要です",
        "満 15 歳",
    ] {
        assert!(
            text.contains(needle),
            "{needle:?} missing for a minor:\n{text}"
        );
    }
    assert_eq!(
        qr,
        ["112620210000123456"],
        "the QR still reads with the taller block"
    );

    // 16 on the print day: an adult's form, no guardian field.
    let sixteen = YoshinhyoInput {
        birth_date: date(2010, 11, 22),
        ..minor.clone()
    };
    assert!(!needs_guardian(&sixteen));
    for adult in [sixteen, yoshinhyo_input()] {
        let (text, qr) = yoshinhyo_text_and_qr(&adult);
        assert!(text.contains("本人の自署"), "the resident signs:\n{text}");
        for absent in ["保護者の自署", "保護者の署名が必要"] {
            assert!(
                !text.contains(absent),
                "{absent:?} on an adult's form:\n{text}"
            );
        }
        assert_eq!(qr, ["112620210000123456"]);
    }
    assert_eq!(
        GUARDIAN_BELOW_AGE, 16,
        "DOMAIN.md §5: guardians sign for 12–15"
    );
}

#[test]
fn voucher_batch_is_chunked_and_every_qr_reads_back() {
    let dir = tempfile::tempdir().unwrap();
    let mut opts = BatchOptions::new(dir.path().join("out"), date(2026, 11, 22));
    opts.chunk_size = 2;
    opts.issuer = "舞鶴市 健康づくり課".into();
    opts.contact = vec!["コールセンター 0773-00-0000".into()];
    let mut calls = Vec::new();
    let report = write_voucher_batches(&font(), (0..5).map(sheet), 5, &opts, &mut |d, t| {
        calls.push((d, t))
    })
    .unwrap();

    assert_eq!(report.pages, 5);
    let names: Vec<_> = report
        .files
        .iter()
        .map(|p| p.file_name().unwrap().to_str().unwrap().to_owned())
        .collect();
    assert_eq!(
        names,
        [
            "vouchers-0001.pdf",
            "vouchers-0002.pdf",
            "vouchers-0003.pdf"
        ]
    );
    assert_eq!(calls, [(1, 5), (2, 5), (3, 5), (4, 5), (5, 5)]);
    let counts: Vec<_> = report.files.iter().map(|p| page_count(p)).collect();
    assert_eq!(counts, [2, 2, 1]);
    // No half-written files left behind.
    assert_eq!(
        std::fs::read_dir(dir.path().join("out")).unwrap().count(),
        3
    );

    let mut resident = 0;
    for pdf in &report.files {
        assert_font_embedded_and_subset(pdf);
        for png in render(pdf, dir.path(), 150) {
            assert_eq!(
                decode(&png),
                [sheet(resident).voucher.to_digits()],
                "{}",
                png.display()
            );
            resident += 1;
        }
    }
    assert_eq!(resident, 5);
    let text = run("pdftotext", &[report.files[0].to_str().unwrap(), "-"]);
    assert!(text.contains("試験 太郎0"), "{text}");
    assert!(text.contains("112620210004000000"), "{text}");
}

#[test]
fn empty_batch_writes_nothing() {
    let dir = tempfile::tempdir().unwrap();
    let opts = BatchOptions::new(dir.path(), date(2026, 11, 22));
    let report =
        write_voucher_batches(&font(), std::iter::empty(), 0, &opts, &mut |_, _| {}).unwrap();
    assert_eq!(report.pages, 0);
    assert!(report.files.is_empty());
}

#[test]
fn missing_font_names_the_debian_package() {
    let err =
        JapaneseFont::load(&FontConfig::at("/nonexistent/NotoSansCJK-Regular.ttc")).unwrap_err();
    assert!(matches!(err, FontError::Missing { .. }), "{err:?}");
    let msg = err.to_string();
    assert!(
        msg.contains("fonts-noto-cjk") && msg.contains("/nonexistent/"),
        "{msg}"
    );

    let err = JapaneseFont::load(&FontConfig::at("/nonexistent/ipaexg.ttf")).unwrap_err();
    assert!(err.to_string().contains("fonts-ipaexfont-gothic"), "{err}");
}

#[test]
fn a_file_that_is_not_a_font_is_a_parse_error() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("not-a-font.ttf");
    std::fs::write(&path, b"hello").unwrap();
    let err = JapaneseFont::load(&FontConfig::at(&path)).unwrap_err();
    assert!(matches!(err, FontError::Parse { .. }), "{err:?}");
}

#[test]
fn ipaex_fallback_font_works_too() {
    let config = FontConfig::ipaex_gothic();
    if !config.path.exists() {
        return; // fonts-ipaexfont-gothic is optional
    }
    let font = JapaneseFont::load(&config).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("ipaex.pdf");
    write_yoshinhyo(&font, &yoshinhyo_input(), &pdf).unwrap();
    assert_font_embedded_and_subset(&pdf);
    let pngs = render(&pdf, dir.path(), 150);
    assert_eq!(decode(&pngs[0]), ["112620210000123456"]);
}

/// Regenerates docs/print-samples/*.png (100 dpi):
/// `cargo test -p vax-print --test print -- --ignored write_samples`.
#[test]
#[ignore = "writes into docs/print-samples"]
fn write_samples() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/print-samples");
    std::fs::create_dir_all(&out).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("yoshinhyo.pdf");
    write_yoshinhyo(&font(), &yoshinhyo_input(), &pdf).unwrap();
    let minor = dir.path().join("yoshinhyo-minor.pdf");
    let minor_input = YoshinhyoInput {
        name: "舞鶴 太一".into(),
        name_kana: "マイヅル タイチ".into(),
        birth_date: date(2012, 6, 1),
        ..yoshinhyo_input()
    };
    write_yoshinhyo(&font(), &minor_input, &minor).unwrap();
    let mut opts = BatchOptions::new(dir.path(), date(2026, 11, 22));
    opts.issuer = "舞鶴市 健康づくり課".into();
    opts.contact = vec![
        "舞鶴市 新型コロナワクチン接種コールセンター".into(),
        "電話 0773-00-0000（平日 9:00〜17:00）".into(),
    ];
    let report = write_voucher_batches(&font(), [sheet(0)], 1, &opts, &mut |_, _| {}).unwrap();
    for (src, name) in [
        (pdf, "yoshinhyo"),
        (minor, "yoshinhyo-minor"),
        (report.files[0].clone(), "voucher"),
    ] {
        let prefix = out.join(name);
        run(
            "pdftoppm",
            &[
                "-r",
                "100",
                "-png",
                "-singlefile",
                src.to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
    }
}
