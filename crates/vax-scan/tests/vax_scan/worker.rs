use std::time::{Duration, Instant};

use image::GrayImage;
use vax_scan::{
    Decoder, Detections, Frame, FrameSource, MemorySource, Pipeline, RxingDecoder, ScanEvent,
    ScanWorker, SourceError, Step, WorkerConfig,
};

use crate::support::{camera_frame, empty_frame, Shot, VOUCHER};

fn config() -> WorkerConfig {
    WorkerConfig {
        frame_budget: Duration::from_millis(200),
        debounce_gap: Duration::from_millis(1000),
    }
}

fn at(ms: u64) -> Duration {
    Duration::from_millis(ms)
}

fn collect(worker: ScanWorker) -> Vec<ScanEvent> {
    let deadline = Instant::now() + Duration::from_secs(60);
    let mut events = Vec::new();
    while Instant::now() < deadline {
        match worker.events().recv_timeout(Duration::from_millis(100)) {
            Ok(ScanEvent::Ended) => {
                events.push(ScanEvent::Ended);
                break;
            }
            Ok(e) => events.push(e),
            Err(std::sync::mpsc::RecvTimeoutError::Timeout) => {}
            Err(std::sync::mpsc::RecvTimeoutError::Disconnected) => break,
        }
    }
    events.extend(worker.stop());
    events
}

#[test]
fn worker_reports_one_read_per_presentation_then_ends() {
    let card = camera_frame(VOUCHER, Shot::CLEAN);
    let blank = empty_frame();
    // Card shown for 4 frames, a short dropout, shown again (same presentation), taken away
    // for 1.5 s, shown again (a new presentation).
    let frames = [
        (0, &card),
        (33, &card),
        (66, &blank),
        (100, &card),
        (133, &card),
        (1000, &blank),
        (1633, &card),
        (1666, &card),
    ]
    .map(|(t, img)| Frame::luma(img.clone(), at(t)));
    let worker = ScanWorker::spawn(
        move || Ok(MemorySource::new(frames)),
        Pipeline::standard(),
        config(),
    )
    .expect("spawn worker");
    let events = collect(worker);
    let reads: Vec<(String, Duration)> = events
        .iter()
        .filter_map(|e| match e {
            ScanEvent::Read { text, at } => Some((text.clone(), *at)),
            _ => None,
        })
        .collect();
    assert_eq!(
        reads,
        [(VOUCHER.to_owned(), at(0)), (VOUCHER.to_owned(), at(1633))],
        "one read per presentation; events: {events:?}"
    );
    assert!(
        matches!(events.last(), Some(ScanEvent::Ended)),
        "a finite source ends the worker: {events:?}"
    );
}

#[test]
fn a_source_that_cannot_open_is_reported_as_an_event() {
    let worker = ScanWorker::spawn(
        || Err::<MemorySource, _>(SourceError::NoCamera),
        Pipeline::standard(),
        config(),
    )
    .expect("spawn worker");
    let events = collect(worker);
    assert!(
        matches!(
            events.as_slice(),
            [ScanEvent::SourceFailed(SourceError::NoCamera)]
        ),
        "the desk learns there is no camera and nothing else happens: {events:?}"
    );
}

/// Blank frames forever, like a camera pointed at an empty desk.
struct EndlessDesk(u64);

impl FrameSource for EndlessDesk {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        self.0 += 1;
        std::thread::sleep(Duration::from_millis(5));
        Ok(Some(Frame::luma(GrayImage::new(320, 240), at(self.0 * 33))))
    }
}

#[test]
fn stop_ends_an_endless_source_promptly() {
    let worker = ScanWorker::spawn(|| Ok(EndlessDesk(0)), Pipeline::standard(), config())
        .expect("spawn worker");
    std::thread::sleep(Duration::from_millis(100));
    let t0 = Instant::now();
    let left = worker.stop();
    assert!(
        t0.elapsed() < Duration::from_secs(5),
        "stop returns after the frame in hand, took {:?}",
        t0.elapsed()
    );
    assert!(
        left.is_empty(),
        "an empty desk produces no events: {left:?}"
    );
}

/// Panics on every other call: the worker must survive and keep reading.
struct Flaky(std::sync::atomic::AtomicUsize);

impl Decoder for Flaky {
    fn name(&self) -> &'static str {
        "flaky"
    }
    fn decode(&self, _image: &GrayImage) -> Detections {
        if self
            .0
            .fetch_add(1, std::sync::atomic::Ordering::Relaxed)
            .is_multiple_of(2)
        {
            panic!("flaky decoder panic");
        }
        Detections::default()
    }
}

#[test]
fn decoder_panics_in_the_worker_are_events_not_crashes() {
    let card = camera_frame(VOUCHER, Shot::CLEAN);
    let frames = [0, 33].map(|t| Frame::luma(card.clone(), at(t)));
    let pipeline = Pipeline::new(vec![
        Box::new(Flaky(0.into())),
        Box::new(RxingDecoder::default()),
    ])
    .with_steps([Step::Original]);
    let worker = ScanWorker::spawn(move || Ok(MemorySource::new(frames)), pipeline, config())
        .expect("spawn worker");
    let events = collect(worker);
    let panics = events
        .iter()
        .filter(|e| matches!(e, ScanEvent::DecoderPanicked(_)))
        .count();
    let reads = events
        .iter()
        .filter(|e| matches!(e, ScanEvent::Read { .. }))
        .count();
    assert_eq!(
        panics, 1,
        "the first frame's panic is reported once: {events:?}"
    );
    assert_eq!(
        reads, 1,
        "the card is still read (once, debounced): {events:?}"
    );
    assert!(
        matches!(events.last(), Some(ScanEvent::Ended)),
        "the worker ran to the end: {events:?}"
    );
}
