use std::time::{Duration, Instant};

use image::GrayImage;
use vax_scan::{
    CameraChoice, Decoder, Detections, Frame, FrameSource, LoopingSource, MemorySource, Pipeline,
    PreviewConfig, RxingDecoder, ScanEvent, ScanWorker, SourceError, Step, WorkerConfig,
};

use crate::support::{camera_frame, empty_frame, Shot, VOUCHER};

fn config() -> WorkerConfig {
    WorkerConfig {
        frame_budget: Duration::from_millis(200),
        debounce_gap: Duration::from_millis(1000),
        preview: None,
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
        matches!(left.as_slice(), [ScanEvent::Opened]),
        "an empty desk produces no event but Opened: {left:?}"
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

#[test]
fn worker_says_when_the_source_is_open_and_keeps_a_downscaled_preview() {
    let card = camera_frame(VOUCHER, Shot::CLEAN);
    // Cameras deliver RGB.
    let rgb = image::DynamicImage::ImageLuma8(card.clone()).into_rgb8();
    let frames: Vec<Frame> = (0..6)
        .map(|i| Frame::rgb(rgb.clone(), at(i * 100)))
        .collect();
    let worker = ScanWorker::spawn(
        move || Ok(MemorySource::new(frames)),
        Pipeline::standard(),
        WorkerConfig {
            preview: Some(PreviewConfig {
                max_width: 160,
                interval: Duration::from_millis(250),
                quality: 60,
            }),
            ..config()
        },
    )
    .expect("spawn worker");
    let first = worker
        .events()
        .recv_timeout(Duration::from_secs(30))
        .expect("an event");
    assert!(
        matches!(first, ScanEvent::Opened),
        "first comes Opened: {first:?}"
    );
    let deadline = Instant::now() + Duration::from_secs(60);
    while Instant::now() < deadline {
        if matches!(
            worker.events().recv_timeout(Duration::from_millis(100)),
            Ok(ScanEvent::Ended)
        ) {
            break;
        }
    }
    let preview = worker.preview().expect("a preview was made");
    assert_eq!(preview.width, 160, "scaled down to the preview width");
    let (w, h) = card.dimensions();
    assert_eq!(preview.height, h * 160 / w, "aspect ratio kept");
    assert_eq!(&preview.jpeg[..2], &[0xFF, 0xD8], "a JPEG file");
    // Frames at 0, 100, ..., 500 ms and one preview per 250 ms of frame time: previews of the
    // frames at 0 and 300 ms. The count depends only on the timestamps, not on the clock.
    assert_eq!(preview.seq, 2, "previews are rate-limited by frame time");
    let decoded = image::load_from_memory(&preview.jpeg)
        .expect("the JPEG decodes")
        .into_luma8();
    assert_eq!(decoded.width(), 160);
    let mean = decoded.pixels().map(|p| u64::from(p.0[0])).sum::<u64>()
        / u64::from(decoded.width() * decoded.height());
    let source_mean = card.pixels().map(|p| u64::from(p.0[0])).sum::<u64>()
        / u64::from(card.width() * card.height());
    assert!(
        mean.abs_diff(source_mean) < 20,
        "the preview shows the frame (mean grey {mean}, frame {source_mean})"
    );
}

#[test]
fn a_looping_fake_camera_reads_a_card_once_however_long_it_is_shown() {
    let card = camera_frame(VOUCHER, Shot::CLEAN);
    let source = LoopingSource::new(
        vec![Frame::luma(card, Duration::ZERO)],
        Duration::from_millis(20),
    );
    let worker = ScanWorker::spawn(move || Ok(source), Pipeline::standard(), config())
        .expect("spawn worker");
    let mut reads = 0;
    let mut frames_seen_for = Duration::ZERO;
    let start = Instant::now();
    while start.elapsed() < Duration::from_millis(1500) {
        if let Ok(ScanEvent::Read { text, at }) =
            worker.events().recv_timeout(Duration::from_millis(50))
        {
            assert_eq!(text, VOUCHER);
            reads += 1;
            frames_seen_for = at;
        }
    }
    let rest = worker.stop();
    assert_eq!(
        reads, 1,
        "one card held up for 1.5 s is one read (rest: {rest:?})"
    );
    assert!(
        frames_seen_for < Duration::from_millis(1500),
        "stamped with real time since opening"
    );
}

#[test]
fn the_fake_camera_folder_loops_and_stamps_real_time() {
    let dir = tempfile::tempdir().expect("temp dir");
    empty_frame()
        .save(dir.path().join("a.png"))
        .expect("write frame");
    let mut source = CameraChoice::Folder(dir.path().to_path_buf())
        .open()
        .expect("a folder with one image opens");
    let mut stamps = Vec::new();
    for _ in 0..3 {
        stamps.push(
            source
                .next_frame()
                .expect("frame")
                .expect("never ends")
                .timestamp,
        );
    }
    assert!(
        stamps[2] >= stamps[0] + Duration::from_millis(150),
        "paced at the fake camera's rate (100 ms): {stamps:?}"
    );
    let empty = tempfile::tempdir().expect("temp dir");
    assert!(
        matches!(
            CameraChoice::Folder(empty.path().to_path_buf()).open(),
            Err(SourceError::EmptyDirectory { .. })
        ),
        "an empty folder is an error, not a silent black camera"
    );
}

#[cfg(not(feature = "camera"))]
#[test]
fn without_the_camera_feature_a_device_is_missing_like_no_camera() {
    let err = match CameraChoice::Device(0).open() {
        Ok(_) => panic!("no camera support in this build"),
        Err(e) => e,
    };
    assert!(matches!(err, SourceError::CameraSupportMissing), "{err:?}");
    assert!(err.is_camera_missing(), "the desk treats it as no camera");
    assert!(err
        .message(vax_scan::Lang::Ja)
        .contains("カメラが見つかりません。USBスキャナーで読み取ってください"));
}
