//! Letters to residents who ride the bus (issue 13): the pick-up time and point and the bus
//! home in the booking's box, and the letter that tells a ride alone (first planned, or
//! moved by a re-plan). Read back with pdftotext against golden files.

use std::path::Path;

use chrono::NaiveTime;
use vax_domain::notice::NoticeKind;
use vax_domain::ride_notice::RideNotice;
use vax_print::{write_letter_batches, Letter, LetterAppointment};

use crate::letter::{appointment, first_letter, options};
use crate::{font, run};

fn ride(pickup: (u32, u32), point: Option<&str>, back: (u32, u32)) -> RideNotice {
    RideNotice {
        pickup: NaiveTime::from_hms_opt(pickup.0, pickup.1, 0),
        point: point.map(str::to_owned),
        back: NaiveTime::from_hms_opt(back.0, back.1, 0),
    }
}

/// A first notice of both doses, each with its bus.
pub(crate) fn rider_first_letter() -> Letter {
    let mut letter = first_letter();
    letter.appointments[0].ride = Some(ride((9, 20), Some("朝来公民館前"), (11, 5)));
    letter.appointments[1].ride = Some(ride((9, 25), None, (11, 5)));
    letter
}

/// A re-plan moved dose 1's pick-up; the booking is the same.
pub(crate) fn ride_change_letter() -> Letter {
    let a = appointment(1, "舞鶴市総合文化会館", 5, 10);
    Letter {
        kind: NoticeKind::Change,
        appointments: vec![LetterAppointment {
            previous: Some(a.clone()),
            appointment: a,
            cancelled: None,
            ride: Some(ride((9, 5), Some("朝来公民館前"), (11, 5))),
            ride_before: Some(ride((9, 20), Some("朝来公民館前"), (11, 5))),
        }],
        ..first_letter()
    }
}

fn letter_text(letter: Letter, golden: &str) -> String {
    let dir = tempfile::tempdir().unwrap();
    let report =
        write_letter_batches(&font(), [letter], 1, &options(dir.path()), &mut |_, _| {}).unwrap();
    let text = run(
        "pdftotext",
        &["-layout", report.files[0].to_str().unwrap(), "-"],
    );
    let golden = Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("tests/print/golden")
        .join(golden);
    if std::env::var_os("UPDATE_GOLDEN").is_some() {
        std::fs::write(&golden, &text).unwrap();
    }
    assert_eq!(text, std::fs::read_to_string(&golden).unwrap());
    text
}

#[test]
fn a_riders_letter_tells_the_pickup_time_and_point_and_the_bus_home() {
    let text = letter_text(rider_first_letter(), "letter-rider.txt");
    for needle in [
        "接種日時のお知らせ",
        "送迎バス",
        "迎え 9:20 朝来公民館前",
        "迎え 9:25 ご自宅前",
        "帰り 11:05 会場発",
        "当日お持ちいただくもの",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
}

#[test]
fn a_moved_ride_is_told_with_the_time_before_and_the_booking_unchanged() {
    let text = letter_text(ride_change_letter(), "letter-ride-change.txt");
    for needle in [
        "送迎バス時刻変更のお知らせ",
        "会場は変わりません",
        "変更前",
        "迎え 9:20 朝来公民館前",
        "迎え 9:05 朝来公民館前",
        "令和8年12月5日（土）",
    ] {
        assert!(text.contains(needle), "{needle:?} missing from:\n{text}");
    }
    assert!(
        !text.contains("接種日時変更のお知らせ") && !text.contains("変更後の会場"),
        "the booking did not change:\n{text}"
    );
}

#[test]
fn a_letter_without_a_ride_prints_no_bus() {
    let text = letter_text(first_letter(), "letter-no-ride.txt");
    assert!(!text.contains("送迎"), "{text}");
}

/// Regenerates docs/print-samples/letter-rider*.png (100 dpi):
/// `cargo test -p vax-print --test print -- --ignored write_rider_letter_samples`.
#[test]
#[ignore = "writes into docs/print-samples"]
fn write_rider_letter_samples() {
    let out = Path::new(env!("CARGO_MANIFEST_DIR")).join("../../docs/print-samples");
    let dir = tempfile::tempdir().unwrap();
    let report = write_letter_batches(
        &font(),
        [rider_first_letter(), ride_change_letter()],
        2,
        &options(dir.path()),
        &mut |_, _| {},
    )
    .unwrap();
    for (page, name) in [("1", "letter-rider"), ("2", "letter-ride-change")] {
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
