//! The webcam source; only with `--features camera`.
#![cfg(feature = "camera")]

use vax_scan::{CameraSource, Lang, SourceError};

#[test]
fn a_camera_index_that_does_not_exist_gives_a_camera_missing_error() {
    // Index 999 exists on no machine, so this holds with and without a webcam attached.
    let err = CameraSource::open(999).expect_err("there is no camera 999");
    assert!(
        err.is_camera_missing(),
        "a missing camera must be told apart from a fault, got {err:?}"
    );
    assert!(
        !err.message(Lang::Ja).is_empty(),
        "the desk gets a Japanese message"
    );
}

#[test]
fn without_any_camera_the_error_is_no_camera() {
    // CI and this project's machines have no video devices at all (no /dev/video*; the kernel
    // has no media support). Where a webcam is attached this test has nothing to check.
    let has_video_device = std::fs::read_dir("/dev")
        .map(|d| {
            d.flatten()
                .any(|e| e.file_name().to_string_lossy().starts_with("video"))
        })
        .unwrap_or(false);
    if has_video_device {
        return;
    }
    let err = CameraSource::open(0).expect_err("no camera on this machine");
    assert!(
        matches!(err, SourceError::NoCamera),
        "expected NoCamera, got {err:?}"
    );
}
