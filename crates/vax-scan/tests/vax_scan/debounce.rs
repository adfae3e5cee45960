use std::time::Duration;

use rstest::rstest;
use vax_scan::Debouncer;

const GAP_MS: u64 = 1000;

/// Frames as (time in ms, payloads seen in that frame); expected = what is reported per frame.
#[rstest]
#[case::one_presentation_is_one_read(
    &[(0, &["A"][..]), (33, &["A"]), (66, &["A"]), (100, &["A"])],
    &[&["A"][..], &[], &[], &[]]
)]
#[case::short_dropout_does_not_repeat(
    &[(0, &["A"][..]), (33, &[]), (500, &[]), (900, &["A"])],
    &[&["A"][..], &[], &[], &[]]
)]
#[case::absent_for_the_gap_reads_again(
    &[(0, &["A"][..]), (100, &[]), (1100, &["A"])],
    &[&["A"][..], &[], &["A"]]
)]
#[case::absence_is_measured_from_the_last_sighting(
    &[(0, &["A"][..]), (800, &["A"]), (1500, &["A"]), (2600, &["A"])],
    &[&["A"][..], &[], &[], &["A"]]
)]
#[case::two_cards_are_reported_independently(
    &[(0, &["A"][..]), (33, &["A", "B"]), (66, &["B", "A"])],
    &[&["A"][..], &["B"], &[]]
)]
#[case::duplicates_in_one_frame_are_reported_once(
    &[(0, &["A", "A"][..])],
    &[&["A"][..]]
)]
#[case::clock_going_backwards_is_not_a_new_presentation(
    &[(5000, &["A"][..]), (10, &["A"])],
    &[&["A"][..], &[]]
)]
fn debouncer_reports_each_presentation_once(
    #[case] frames: &[(u64, &[&str])],
    #[case] expected: &[&[&str]],
) {
    let mut debouncer = Debouncer::new(Duration::from_millis(GAP_MS));
    for (i, ((t, seen), want)) in frames.iter().zip(expected).enumerate() {
        let got = debouncer.observe(Duration::from_millis(*t), seen.iter().copied());
        assert_eq!(got, *want, "frame {i} at {t} ms with {seen:?}");
    }
}

#[test]
fn debouncer_forgets_payloads_absent_longer_than_the_gap() {
    let mut debouncer = Debouncer::new(Duration::from_millis(GAP_MS));
    debouncer.observe(Duration::ZERO, ["A", "B"]);
    assert_eq!(debouncer.tracked(), 2, "both payloads are present");
    debouncer.observe(Duration::from_millis(GAP_MS + 1), ["C"]);
    assert_eq!(
        debouncer.tracked(),
        1,
        "A and B are forgotten once absent for the gap, so memory stays small"
    );
}
