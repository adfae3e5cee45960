//! The booking letters: rendered with poppler, their text read back and their QR decoded.

use std::path::Path;

use chrono::NaiveTime;
use vax_domain::notice::{Appointment, CancelReason, NoticeKind};
use vax_print::{write_letter_batches, BatchOptions, Letter, LetterAppointment};

use crate::{date, decode, font, line, page_count, render, run};

pub(crate) fn appointment(dose: u8, venue: &str, day: u32, hour: u32) -> Appointment {
    Appointment {
        dose_number: dose,
        venue_code: format!("V-{venue}"),
        venue_name: venue.into(),
        venue_address: "京都府舞鶴市字浜2021番地".into(),
        date: date(2026, 12, day),
        start: NaiveTime::from_hms_opt(hour, 0, 0).unwrap(),
        end: NaiveTime::from_hms_opt(hour, 30, 0).unwrap(),
    }
}

pub(crate) fn first_letter() -> Letter {
    Letter {
        kind: NoticeKind::First,
        postal_code: "6240853".into(),
        address: "京都府舞鶴市字南田辺1番地 南田辺ハイツ203号".into(),
        name: "舞鶴 花子".into(),
        voucher: line("112620210000123456"),
        appointments: vec![
            LetterAppointment {
                appointment: appointment(1, "舞鶴市総合文化会館", 5, 10),
                previous: None,
                cancelled: None,
                ride: None,
                ride_before: None,
            },
            LetterAppointment {
                appointment: appointment(2, "舞鶴市総合文化会館", 26, 10),
                previous: None,
                cancelled: None,
                ride: None,
                ride_before: None,
            },
        ],
    }
}

pub(crate) fn change_letter() -> Letter {
    Letter {
        kind: NoticeKind::Change,
        name: "舞鶴 一郎".into(),
        voucher: line("112620210000123457"),
        appointments: vec![LetterAppointment {
            appointment: appointment(2, "中総合会館", 27, 14),
            previous: Some(appointment(2, "舞鶴市総合文化会館", 26, 10)),
            cancelled: None,
            ride: None,
            ride_before: None,
        }],
        ..first_letter()
    }
}

/// Both doses cancelled: the day of dose 1 was cut, and dose 2 with it.
pub(crate) fn cancel_letter() -> Letter {
    Letter {
        kind: NoticeKind::Cancel,
        name: "舞鶴 次郎".into(),
        voucher: line("112620210000123458"),
        appointments: vec![
            LetterAppointment {
                appointment: appointment(1, "舞鶴市総合文化会館", 5, 10),
                previous: None,
                cancelled: Some(CancelReason::DayCut),
                ride: None,
                ride_before: None,
            },
            LetterAppointment {
                appointment: appointment(2, "舞鶴市総合文化会館", 26, 10),
                previous: None,
                cancelled: Some(CancelReason::DayCut),
                ride: None,
                ride_before: None,
            },
        ],
        ..first_letter()
    }
}

pub(crate) fn options(dir: &Path) -> BatchOptions {
    let mut opts = BatchOptions::new(dir, date(2026, 11, 30));
    opts.file_prefix = "letters".into();
    opts.issuer = "舞鶴市 健康づくり課".into();
    opts.contact = vec![
        "舞鶴市 新型コロナワクチン接種コールセンター".into(),
        "電話 0773-00-0000（平日 9:00〜17:00）".into(),
    ];
    opts
}

#[test]
fn letters_show_the_title_by_kind_the_venue_the_dates_and_a_readable_qr() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let report = write_letter_batches(
        &font(),
        [first_letter(), change_letter()],
        2,
        &opts,
        &mut |_, _| {},
    )
    .unwrap();
    assert_eq!(report.pages, 2);
    assert_eq!(report.files, [dir.path().join("letters-0001.pdf")]);
    let pdf = &report.files[0];
    assert_eq!(page_count(pdf), 2);

    let page = |n: &str| {
        run(
            "pdftotext",
            &["-f", n, "-l", n, "-layout", pdf.to_str().unwrap(), "-"],
        )
    };
    let first = page("1");
    for needle in [
        "接種日時のお知らせ",
        "舞鶴 花子",
        "〒624-0853",
        "舞鶴市総合文化会館",
        "京都府舞鶴市字浜2021番地",
        "令和8年12月5日（土）",
        "2026年12月5日",
        "令和8年12月26日（土）",
        "10:00〜10:30",
        "1回目の接種",
        "2回目の接種",
        "予診票",
        "本人確認書類",
        "お薬手帳",
        "コールセンター",
    ] {
        assert!(first.contains(needle), "{needle:?} missing from:\n{first}");
    }
    assert!(
        !first.contains("変更前") && !first.contains("変更のお知らせ"),
        "a first notice tells no change"
    );
    let change = page("2");
    for needle in [
        "接種日時変更のお知らせ",
        "変更前",
        "舞鶴市総合文化会館",
        "令和8年12月26日（土）",
        "中総合会館",
        "令和8年12月27日（日）",
        "14:00〜14:30",
    ] {
        assert!(
            change.contains(needle),
            "{needle:?} missing from:\n{change}"
        );
    }

    let pngs = render(pdf, dir.path(), 150);
    assert_eq!(pngs.len(), 2);
    assert_eq!(decode(&pngs[0]), ["112620210000123456"]);
    assert_eq!(decode(&pngs[1]), ["112620210000123457"]);
}

/// The cancellation letter's text, read back with pdftotext, is the golden file
/// `tests/print/golden/letter-cancel.txt` (`UPDATE_GOLDEN=1` rewrites it): the cancelled
/// bookings, the reason, the call centre; nothing to bring and no QR, since nothing is booked.
#[test]
fn a_cancellation_letter_tells_the_booking_the_reason_and_whom_to_call() {
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let report =
        write_letter_batches(&font(), [cancel_letter()], 1, &opts, &mut |_, _| {}).unwrap();
    let pdf = &report.files[0];
    let text = run("pdftotext", &["-layout", pdf.to_str().unwrap(), "-"]);
    let golden = Path::new(env!("CARGO_MANIFEST_DIR")).join("tests/print/golden/letter-cancel.txt");
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(text, std::fs::read_to_string(&golden).unwrap());
    for needle in [
        "接種予約取消のお知らせ",
        "1回目の接種",
        "2回目の接種",
        "予約取消",
        "令和8年12月5日（土）",
        "会場の都合によりこの日の接種を中止しました",
        "0773-00-0000",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(
        !text.contains("当日お持ちいただくもの"),
        "nothing is booked"
    );
    let pngs = render(pdf, dir.path(), 150);
    assert!(
        decode(&pngs[0]).is_empty(),
        "no voucher QR on a cancellation"
    );
}

/// Regenerates docs/print-samples/letter-*.png (100 dpi):
/// `cargo test -p vax-print --test print -- --ignored write_letter_samples`.
#[test]
#[ignore = "writes into docs/print-samples"]
fn write_letter_samples() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/print-samples");
    let dir = tempfile::tempdir().unwrap();
    let opts = options(dir.path());
    let report = write_letter_batches(
        &font(),
        [first_letter(), change_letter(), cancel_letter()],
        3,
        &opts,
        &mut |_, _| {},
    )
    .unwrap();
    for (page, name) in [
        ("1", "letter-first"),
        ("2", "letter-change"),
        ("3", "letter-cancel"),
    ] {
        let prefix = out.join(name);
        run(
            "pdftoppm",
            &[
                "-r",
                "100",
                "-png",
                "-singlefile",
                "-f",
                page,
                "-l",
                page,
                report.files[0].to_str().unwrap(),
                prefix.to_str().unwrap(),
            ],
        );
    }
}

/// The glyph memo changes how text reaches printpdf (glyph ids instead of characters), not
/// the page: the same letters drawn with and without it read back as the same text and
/// render to the same pixels.
#[test]
fn the_glyph_memo_draws_the_same_pages() {
    let font = font();
    assert!(font.caches_glyphs() && !font.uncached().caches_glyphs());
    let letters = [first_letter(), change_letter(), cancel_letter()];
    let mut texts = Vec::new();
    let mut pixels = Vec::new();
    for (k, face) in [font.uncached(), font.clone()].iter().enumerate() {
        let dir = tempfile::tempdir().unwrap();
        let opts = options(dir.path());
        let report = write_letter_batches(face, letters.clone(), 3, &opts, &mut |_, _| {}).unwrap();
        let pdf = report.files[0].to_str().unwrap().to_owned();
        texts.push(run("pdftotext", &["-layout", &pdf, "-"]));
        let pngs = render(&report.files[0], dir.path(), 100);
        assert_eq!(pngs.len(), 3, "run {k}");
        pixels.push(
            pngs.iter()
                .map(|p| image::open(p).unwrap().to_luma8().into_raw())
                .collect::<Vec<_>>(),
        );
    }
    assert!(texts[0].contains("接種予約取消のお知らせ"));
    assert_eq!(texts[0], texts[1]);
    for (page, (before, after)) in pixels[0].iter().zip(&pixels[1]).enumerate() {
        assert!(before == after, "page {} differs", page + 1);
    }
}
