use std::time::Duration;

use image::GrayImage;
use rstest::rstest;
use vax_scan::{
    decode_guarded, voucher_from_qr_text, DecodeError, Decoder, Detections, Frame, FrameSource,
    MemorySource, Pipeline, RqrrDecoder, RxingDecoder, ScanGoal, Step,
};

use crate::support::{camera_frame, empty_frame, Shot, VOUCHER};

/// Generous budget: the tests check what is read, the benchmark checks speed, and debug
/// builds on a shared 2-core machine are slow.
const BUDGET: Duration = Duration::from_secs(2);

#[rstest]
#[case::head_on(Shot::CLEAN)]
#[case::rotated_30_degrees(Shot { rotate_deg: 30.0, ..Shot::CLEAN })]
#[case::upside_down(Shot { rotate_deg: 180.0, ..Shot::CLEAN })]
#[case::perspective_tilt(Shot { tilt: 0.25, ..Shot::CLEAN })]
#[case::blurred(Shot { blur: 1.5, ..Shot::CLEAN })]
#[case::low_contrast(Shot { levels: (95, 150), ..Shot::CLEAN })]
#[case::small_modules(Shot { module_px: 3, ..Shot::CLEAN })]
#[case::everything_at_once(Shot { rotate_deg: -20.0, tilt: 0.2, blur: 1.0, levels: (80, 170), module_px: 5 })]
fn voucher_in_a_synthetic_camera_frame_is_read_back(#[case] shot: Shot) {
    let frame = Frame::luma(camera_frame(VOUCHER, shot), Duration::ZERO);
    let mut source = MemorySource::new([frame]);
    let frame = source
        .next_frame()
        .expect("a memory source cannot fail")
        .expect("one frame was queued");
    let report = Pipeline::standard().scan_frame(&frame, BUDGET);
    let texts: Vec<&str> = report.reads.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        [VOUCHER],
        "the pipeline must read exactly the voucher in {shot:?}"
    );
    let line = voucher_from_qr_text(texts[0]).expect("the decoded text is a valid voucher line");
    assert_eq!(
        line.to_digits(),
        VOUCHER,
        "the voucher round-trips through the domain type"
    );
    assert!(
        report.errors.is_empty(),
        "no decoder may panic on a clean synthetic frame: {:?}",
        report.errors
    );
}

#[rstest]
#[case::rqrr(Box::new(RqrrDecoder) as Box<dyn Decoder>)]
#[case::rxing(Box::new(RxingDecoder::default()) as Box<dyn Decoder>)]
fn each_decoder_reads_a_clean_frame_on_its_own(#[case] decoder: Box<dyn Decoder>) {
    let name = decoder.name();
    let found = decode_guarded(decoder.as_ref(), &camera_frame(VOUCHER, Shot::CLEAN))
        .expect("no decoder panics on a clean frame");
    let texts: Vec<&str> = found.symbols.iter().map(|s| s.text.as_str()).collect();
    assert_eq!(
        texts,
        [VOUCHER],
        "{name} alone must read a sharp, head-on code"
    );
}

#[test]
fn an_empty_desk_yields_no_read_and_stays_within_budget_plus_one_attempt() {
    let pipeline = Pipeline::standard();
    let report = pipeline.scan(&empty_frame(), Duration::ZERO);
    assert!(
        report.reads.is_empty(),
        "nothing to read on an empty desk, got {:?}",
        report.reads
    );
    assert_eq!(
        report.attempts, 1,
        "a zero budget allows exactly the first attempt"
    );
    assert!(
        report.budget_exhausted,
        "the remaining steps were cut by the budget"
    );
}

#[test]
fn first_code_goal_stops_after_the_first_successful_decoder() {
    let report = Pipeline::standard().scan(&camera_frame(VOUCHER, Shot::CLEAN), BUDGET);
    assert_eq!(
        report.attempts, 1,
        "a clean code is read by the first attempt and nothing else runs"
    );
    assert_eq!(
        report.reads[0].step,
        Step::Original,
        "no preprocessing was needed"
    );
}

/// A decoder that panics on every frame, like rqrr 0.11 does on `qrcode-6/7.png`.
struct Exploding;

impl Decoder for Exploding {
    fn name(&self) -> &'static str {
        "exploding"
    }
    fn decode(&self, _image: &GrayImage) -> Detections {
        panic!("geometry overflow in a test decoder")
    }
}

#[test]
fn a_panicking_decoder_is_reported_and_the_next_decoder_still_reads_the_code() {
    let pipeline = Pipeline::new(vec![Box::new(Exploding), Box::new(RxingDecoder::default())])
        .with_steps([Step::Original])
        .with_goal(ScanGoal::AllCodes);
    // A generous budget: this is about panics, not speed. The first panic of a debug test
    // binary symbolises its backtrace, which took over 2 s on a loaded CI machine.
    let report = pipeline.scan(&camera_frame(VOUCHER, Shot::CLEAN), Duration::from_secs(30));
    assert_eq!(
        report.errors,
        [DecodeError::Panicked {
            decoder: "exploding",
            message: "geometry overflow in a test decoder".to_owned()
        }],
        "the panic is caught and attributed to its decoder"
    );
    assert_eq!(
        report.reads.len(),
        1,
        "the second decoder still runs after the first one panicked"
    );
    assert_eq!(report.reads[0].text, VOUCHER, "and reads the voucher");
}

#[test]
fn decode_guarded_turns_a_panic_into_an_error() {
    let result = decode_guarded(&Exploding, &empty_frame());
    assert!(
        matches!(
            result,
            Err(DecodeError::Panicked {
                decoder: "exploding",
                ..
            })
        ),
        "a panic must come back as DecodeError::Panicked, got {result:?}"
    );
}
