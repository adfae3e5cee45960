use std::time::Duration;

use vax_scan::{FrameSource, ImageFileSource, Lang, Pipeline, SourceError};

use crate::support::{camera_frame, empty_frame, Shot, VOUCHER};

#[test]
fn image_directory_replays_frames_in_name_order_with_synthetic_timestamps() {
    let dir = tempfile::tempdir().expect("temp dir");
    camera_frame(VOUCHER, Shot::CLEAN)
        .save(dir.path().join("frame-002.png"))
        .expect("write frame 2");
    empty_frame()
        .save(dir.path().join("frame-001.png"))
        .expect("write frame 1");
    std::fs::write(dir.path().join("notes.txt"), "not a frame").expect("write a non-image file");
    let mut source = ImageFileSource::from_dir(dir.path())
        .expect("a directory with PNGs is a source")
        .with_frame_interval(Duration::from_millis(100));
    assert_eq!(source.paths().len(), 2, "only image files are picked up");

    let first = source
        .next_frame()
        .expect("frame 1 reads")
        .expect("frame 1 exists");
    let second = source
        .next_frame()
        .expect("frame 2 reads")
        .expect("frame 2 exists");
    assert!(
        source.next_frame().expect("end is not an error").is_none(),
        "two frames, then the end"
    );
    assert_eq!(first.timestamp, Duration::ZERO, "first frame at t = 0");
    assert_eq!(
        second.timestamp,
        Duration::from_millis(100),
        "second frame one interval later"
    );

    let pipeline = Pipeline::standard();
    let budget = Duration::from_secs(2);
    assert!(
        pipeline.scan_frame(&first, budget).reads.is_empty(),
        "frame-001 is the empty desk"
    );
    let reads = pipeline.scan_frame(&second, budget).reads;
    assert_eq!(
        reads.first().map(|r| r.text.as_str()),
        Some(VOUCHER),
        "frame-002 holds the voucher"
    );
}

#[test]
fn rgb_image_files_become_rgb_frames_that_still_decode() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("colour.png");
    image::DynamicImage::ImageLuma8(camera_frame(VOUCHER, Shot::CLEAN))
        .into_rgb8()
        .save(&path)
        .expect("write RGB frame");
    let mut source = ImageFileSource::from_paths([path]);
    let frame = source.next_frame().expect("reads").expect("exists");
    assert!(
        matches!(frame.pixels, vax_scan::FramePixels::Rgb(_)),
        "colour files stay RGB for the preview"
    );
    let reads = Pipeline::standard()
        .scan_frame(&frame, Duration::from_secs(2))
        .reads;
    assert_eq!(
        reads.first().map(|r| r.text.as_str()),
        Some(VOUCHER),
        "RGB frames are converted for decoding"
    );
}

#[test]
fn empty_directory_is_a_typed_error() {
    let dir = tempfile::tempdir().expect("temp dir");
    let err = ImageFileSource::from_dir(dir.path()).expect_err("no images, no source");
    assert!(
        matches!(err, SourceError::EmptyDirectory { .. }),
        "got {err:?}"
    );
}

#[test]
fn a_corrupt_image_file_is_a_typed_error_naming_the_file() {
    let dir = tempfile::tempdir().expect("temp dir");
    let path = dir.path().join("broken.png");
    std::fs::write(&path, b"not a png").expect("write");
    let mut source = ImageFileSource::from_paths([path.clone()]);
    let err = source.next_frame().expect_err("garbage is not an image");
    assert!(
        matches!(&err, SourceError::Image { path: p, .. } if *p == path),
        "the error names the broken file, got {err:?}"
    );
}

#[test]
fn no_camera_message_exists_in_japanese_and_english_and_points_to_the_usb_scanner() {
    let err = SourceError::NoCamera;
    let ja = err.message(Lang::Ja);
    let en = err.message(Lang::En);
    assert!(
        ja.contains("カメラが見つかりません"),
        "Japanese text says no camera was found: {ja}"
    );
    assert!(
        ja.contains("USBスキャナー"),
        "Japanese text says what still works: {ja}"
    );
    assert!(
        en.contains("USB scanner"),
        "English text says what still works: {en}"
    );
    assert!(
        err.is_camera_missing(),
        "the UI switches to scanner-only mode on this error"
    );
}
