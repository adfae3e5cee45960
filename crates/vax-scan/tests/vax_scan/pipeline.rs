use std::time::Duration;

use image::GrayImage;
use rstest::rstest;
use vax_scan::{
    decode_guarded, voucher_from_qr_text, Attempt, DecodeError, Decoder, Detections, Frame,
    FrameSource, MemorySource, Pipeline, RqrrDecoder, RxingDecoder, ScanGoal, Step, Symbol,
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

/// A decoder that "reads" a fixed text on every frame, after taking `delay`.
struct Fixed {
    name: &'static str,
    text: Option<&'static str>,
    delay: Duration,
}

impl Decoder for Fixed {
    fn name(&self) -> &'static str {
        self.name
    }
    fn decode(&self, _image: &GrayImage) -> Detections {
        std::thread::sleep(self.delay);
        Detections {
            symbols: self
                .text
                .map(|text| Symbol {
                    text: text.to_owned(),
                    corners: None,
                })
                .into_iter()
                .collect(),
            unread: Vec::new(),
        }
    }
}

fn fixed(name: &'static str, text: Option<&'static str>, delay_ms: u64) -> Box<dyn Decoder> {
    Box::new(Fixed {
        name,
        text,
        delay: Duration::from_millis(delay_ms),
    })
}

#[test]
fn all_codes_goal_runs_the_sweep_on_every_frame_and_retries_only_for_unread_frames() {
    // A sheet with a dark and a light code: each decoder setting reads one of them.
    let pipeline = Pipeline::new(vec![
        fixed("dark", Some("dark code"), 0),
        fixed("light", Some("light code"), 0),
        fixed("retry", Some("retry code"), 0),
    ])
    .with_plan([0, 1, 2].map(|decoder| Attempt {
        step: Step::Original,
        decoder,
    }))
    .with_sweep(2)
    .with_goal(ScanGoal::AllCodes);
    let report = pipeline.scan(&empty_frame(), BUDGET);
    let texts: Vec<&str> = report.reads.iter().map(|r| r.text.as_str()).collect();
    assert_eq!(
        texts,
        ["dark code", "light code"],
        "both sweep attempts run although the first read a code; the retry does not"
    );
    assert_eq!(
        report.attempts, 2,
        "the retry after the sweep was not started"
    );
}

#[test]
fn a_decoder_too_slow_for_the_budget_is_skipped_once_its_cost_is_known() {
    let pipeline = Pipeline::new(vec![fixed("quick", None, 0), fixed("slow", None, 80)])
        .with_steps([Step::Original]);
    let budget = Duration::from_millis(20);
    let first = pipeline.scan(&empty_frame(), budget);
    assert_eq!(
        first.attempts, 2,
        "the first frame cannot know the slow decoder's cost and tries it"
    );
    let second = pipeline.scan(&empty_frame(), budget);
    assert_eq!(
        (second.attempts, second.budget_exhausted),
        (1, true),
        "from the second frame on, an attempt expected to take 80 ms is not started on a \
         20 ms budget: the desk stays responsive"
    );
}

/// A decoder that is slow on its first call only, like rqrr on one pathological frame or a
/// decoder caught by a load spike.
struct SlowOnce {
    calls: std::sync::atomic::AtomicUsize,
}

impl Decoder for SlowOnce {
    fn name(&self) -> &'static str {
        "slow-once"
    }
    fn decode(&self, _image: &GrayImage) -> Detections {
        if self
            .calls
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            == 0
        {
            std::thread::sleep(Duration::from_millis(80));
        }
        Detections::default()
    }
}

#[test]
fn a_decoder_skipped_after_one_slow_frame_is_tried_again_later() {
    let pipeline = Pipeline::new(vec![
        fixed("quick", None, 0),
        Box::new(SlowOnce {
            calls: std::sync::atomic::AtomicUsize::new(0),
        }),
    ])
    .with_steps([Step::Original]);
    let budget = Duration::from_millis(20);
    assert_eq!(
        pipeline.scan(&empty_frame(), budget).attempts,
        2,
        "first frame: slow"
    );
    assert_eq!(
        pipeline.scan(&empty_frame(), budget).attempts,
        1,
        "right after the slow frame, the decoder is skipped"
    );
    let back = (0..60).position(|_| pipeline.scan(&empty_frame(), budget).attempts == 2);
    assert!(
        back.is_some(),
        "within 60 frames the skipped decoder must be timed again, or one slow frame would \
         switch it off for the rest of the day"
    );
}
