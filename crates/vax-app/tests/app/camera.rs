//! Reception with a camera: the decode thread feeds the scan field's path.

use std::time::Duration;
use vax_domain::error::UserFacing;

use image::{GrayImage, Luma};
use vax_app::desk::camera::{
    camera_scan, CameraChoice, CameraError, CameraRead, DeskCamera, SourceError, WorkerConfig,
};
use vax_app::desk::{desk_find, DeskCard};
use vax_app::lookup::Query;
use vax_ledger::Ledger;
use vax_scan::{Frame, MemorySource};

use crate::desk::{booked_at_nine, time, venue};

/// A 640×480 grey frame with `payload` as a QR code, 4 px per module, like a card held up.
fn frame_with(payload: &str) -> GrayImage {
    let code = qrcode::QrCode::new(payload.as_bytes()).unwrap();
    let qr = code.render::<Luma<u8>>().module_dimensions(4, 4).build();
    let mut frame = GrayImage::from_pixel(640, 480, Luma([190]));
    image::imageops::overlay(&mut frame, &qr, 220, 120);
    frame
}

fn blank() -> GrayImage {
    GrayImage::from_pixel(640, 480, Luma([190]))
}

/// Polls until the (finite) source has ended, collecting every read.
fn run_to_end(
    mut camera: DeskCamera,
    ledger: &mut Ledger,
    e: &vax_app::desk::Enrollment,
) -> (Vec<CameraRead>, bool) {
    let mut reads = Vec::new();
    let mut previews = false;
    for _ in 0..600 {
        let poll = camera.poll(ledger, e, time("09:05"));
        previews |= poll.preview.is_some();
        reads.extend(poll.reads);
        if let Some(stopped) = poll.stopped {
            assert_eq!(stopped.code, "CAMERA_ENDED", "{stopped:?}");
            camera.stop();
            return (reads, previews);
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    panic!("the recording did not end");
}

fn cards_of(read: &CameraRead) -> &[DeskCard] {
    match read {
        CameraRead::Voucher { cards, .. } => cards,
        other => panic!("expected a voucher read, got {other:?}"),
    }
}

#[test]
fn a_card_held_up_for_many_frames_is_one_scan_through_the_scan_fields_path() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let card = frame_with(&line);
    // 40 frames (1.3 s at 30 fps) of the card, with two blurred-away frames in between.
    let frames: Vec<Frame> = (0..40_u64)
        .map(|i| {
            let img = if i == 10 || i == 25 {
                blank()
            } else {
                card.clone()
            };
            Frame::luma(img, Duration::from_millis(i * 33))
        })
        .collect();
    let camera =
        DeskCamera::start_with(move || Ok(MemorySource::new(frames)), DeskCamera::config())
            .expect("the recording opens");
    let (reads, previews) = run_to_end(camera, &mut ledger, &e);
    assert_eq!(reads.len(), 1, "one presentation, one scan: {reads:?}");
    let typed = desk_find(
        &mut ledger,
        &e,
        &Query::Voucher(line.clone()),
        time("09:05"),
    )
    .unwrap();
    assert_eq!(
        cards_of(&reads[0]),
        typed.as_slice(),
        "the camera shows exactly what the scan field shows for the same line"
    );
    assert_eq!(cards_of(&reads[0])[0].card.resident.id, id);
    assert!(previews, "the desk got a live preview");
}

#[test]
fn the_same_card_shown_again_later_is_scanned_again() {
    let (mut ledger, e) = venue();
    let (line, _) = booked_at_nine(&ledger);
    let card = frame_with(&line);
    let mut frames = Vec::new();
    for i in 0..10_u64 {
        frames.push(Frame::luma(card.clone(), Duration::from_millis(i * 33)));
    }
    // Taken away for two seconds, then shown again: a second presentation.
    for i in 0..10_u64 {
        frames.push(Frame::luma(
            card.clone(),
            Duration::from_millis(2_500 + i * 33),
        ));
    }
    let camera = DeskCamera::start_with(
        move || Ok(MemorySource::new(frames)),
        WorkerConfig::default(),
    )
    .unwrap();
    let (reads, previews) = run_to_end(camera, &mut ledger, &e);
    assert_eq!(reads.len(), 2, "{reads:?}");
    assert!(!previews, "no preview unless asked for");
}

#[test]
fn a_qr_code_that_is_not_a_voucher_gets_a_bilingual_message() {
    let (mut ledger, e) = venue();
    let frames = vec![Frame::luma(
        frame_with("https://example.org/ticket"),
        Duration::ZERO,
    )];
    let camera =
        DeskCamera::start_with(move || Ok(MemorySource::new(frames)), DeskCamera::config())
            .unwrap();
    let (reads, _) = run_to_end(camera, &mut ledger, &e);
    match reads.as_slice() {
        [CameraRead::NotAVoucher {
            message,
            message_ja,
            ..
        }] => {
            assert!(message.contains("not a vaccination voucher"), "{message}");
            assert!(
                message_ja.contains("接種券のQRコードではありません"),
                "{message_ja}"
            );
        }
        other => panic!("expected one non-voucher read, got {other:?}"),
    }
    // 18 digits with a bad municipality check digit: also not a voucher, with the reason.
    match camera_scan(&mut ledger, &e, "112620200000123456", time("09:05")) {
        CameraRead::NotAVoucher { message_ja, .. } => {
            assert!(
                message_ja.contains("接種券のQRコードとして正しくありません"),
                "{message_ja}"
            )
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn a_voucher_of_nobody_in_the_ledger_is_an_empty_result_like_the_scan_field() {
    let (mut ledger, e) = venue();
    match camera_scan(&mut ledger, &e, "112620219999999999", time("09:05")) {
        CameraRead::Voucher { cards, line } => {
            assert!(cards.is_empty());
            assert_eq!(line, "112620219999999999");
        }
        other => panic!("{other:?}"),
    }
}

#[test]
fn no_camera_is_a_typed_error_in_japanese_and_english() {
    let err = DeskCamera::start_with(
        || Err::<MemorySource, _>(SourceError::NoCamera),
        DeskCamera::config(),
    )
    .expect_err("no camera");
    assert_eq!(err.code(), "NO_CAMERA");
    assert!(
        err.message_ja()
            .contains("カメラが見つかりません。USBスキャナーで読み取ってください"),
        "{}",
        err.message_ja()
    );
    assert!(
        err.to_string()
            .contains("No camera found — use the USB scanner"),
        "{err}"
    );

    // A camera index no machine has: no camera at all, a camera but not this one, or no
    // camera support in this build — the desk gets the same code in every case.
    let err = DeskCamera::start(CameraChoice::Device(u32::MAX)).expect_err("no such camera");
    assert!(matches!(err, CameraError::Source(_)), "{err:?}");
    assert_eq!(err.code(), "NO_CAMERA", "{err:?}");

    let empty = tempfile::tempdir().unwrap();
    let err = DeskCamera::start(CameraChoice::Folder(empty.path().to_path_buf()))
        .expect_err("an empty fake camera folder");
    assert_eq!(err.code(), "CAMERA_FAILED");
    assert!(
        err.message_ja().contains("画像ファイルがありません"),
        "{}",
        err.message_ja()
    );
}

/// Polls the camera at 09:05 until something is read (five seconds at most): what it read.
fn first_reads(
    camera: &mut DeskCamera,
    ledger: &mut Ledger,
    e: &vax_app::desk::Enrollment,
) -> Vec<CameraRead> {
    let mut reads = Vec::new();
    for _ in 0..100 {
        reads.extend(camera.poll(ledger, e, time("09:05")).reads);
        if !reads.is_empty() {
            break;
        }
        std::thread::sleep(Duration::from_millis(50));
    }
    reads
}

#[test]
fn the_fake_camera_folder_shows_a_voucher_to_the_desk() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let dir = tempfile::tempdir().unwrap();
    frame_with(&line)
        .save(dir.path().join("voucher.png"))
        .unwrap();
    let mut camera = DeskCamera::start(CameraChoice::Folder(dir.path().to_path_buf())).unwrap();
    let mut reads = first_reads(&mut camera, &mut ledger, &e);
    // Keep looking for a second: the looping image is the same presentation.
    std::thread::sleep(Duration::from_millis(1000));
    reads.extend(camera.poll(&mut ledger, &e, time("09:05")).reads);
    camera.stop();
    assert_eq!(reads.len(), 1, "{reads:?}");
    assert_eq!(cards_of(&reads[0])[0].card.resident.id, id);
}

#[test]
fn a_printed_yoshinhyo_held_up_to_the_fake_camera_is_read() {
    let (mut ledger, e) = venue();
    let (line, id) = booked_at_nine(&ledger);
    let dir = tempfile::tempdir().unwrap();
    let pdf = dir.path().join("yoshinhyo.pdf");
    let font = vax_app::print::JapaneseFont::system_default().unwrap();
    vax_app::print::reissue_yoshinhyo(&ledger, &font, id, time("09:05").date_naive(), &pdf)
        .unwrap();
    // The voucher box of the page at 150 dpi, 640×480 like a webcam frame (as the E2E does).
    let frames = dir.path().join("camera");
    std::fs::create_dir(&frames).unwrap();
    let status = std::process::Command::new("pdftoppm")
        .args([
            "-png", "-r", "150", "-x", "600", "-y", "100", "-W", "640", "-H", "480",
        ])
        .arg("-singlefile")
        .arg(&pdf)
        .arg(frames.join("frame-0001"))
        .status()
        .expect("pdftoppm (poppler-utils) runs");
    assert!(status.success());
    let mut camera = DeskCamera::start(CameraChoice::Folder(frames)).unwrap();
    let reads = first_reads(&mut camera, &mut ledger, &e);
    camera.stop();
    assert_eq!(reads.len(), 1, "{reads:?}");
    match &reads[0] {
        CameraRead::Voucher { line: read, cards } => {
            assert_eq!(read, &line);
            assert_eq!(cards[0].card.resident.id, id);
        }
        other => panic!("{other:?}"),
    }
}
