//! The webcam, through nokhwa (cargo feature `camera`).

use std::time::Instant;

use nokhwa::pixel_format::RgbFormat;
use nokhwa::utils::{ApiBackend, CameraIndex, RequestedFormat, RequestedFormatType};
use nokhwa::Camera;

use crate::error::SourceError;
use crate::frame::Frame;
use crate::source::FrameSource;

/// A webcam streaming RGB frames, stamped with the time since it was opened.
pub struct CameraSource {
    camera: Camera,
    index: u32,
    opened: Instant,
}

impl std::fmt::Debug for CameraSource {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("CameraSource")
            .field("index", &self.index)
            .finish_non_exhaustive()
    }
}

impl CameraSource {
    /// Opens camera `index` (0 = the first the OS lists) at its highest frame rate and starts
    /// streaming.
    ///
    /// # Errors
    /// [`SourceError::NoCamera`] when the OS lists no camera at all (the usual kiosk without a
    /// webcam, or a machine without video drivers), [`SourceError::CameraUnavailable`] when
    /// the camera is not listed or cannot be opened.
    pub fn open(index: u32) -> Result<Self, SourceError> {
        let unavailable = |reason: String| SourceError::CameraUnavailable { index, reason };
        // An enumeration failure (no video subsystem at all) means the same to the desk as an
        // empty list: there is no camera to use.
        let devices = nokhwa::query(ApiBackend::Auto).unwrap_or_default();
        if devices.is_empty() {
            return Err(SourceError::NoCamera);
        }
        if !devices
            .iter()
            .any(|d| d.index() == &CameraIndex::Index(index))
        {
            return Err(unavailable(format!(
                "no camera with this index; {} camera(s) found",
                devices.len()
            )));
        }
        let requested =
            RequestedFormat::new::<RgbFormat>(RequestedFormatType::AbsoluteHighestFrameRate);
        let mut camera = Camera::new(CameraIndex::Index(index), requested)
            .map_err(|e| unavailable(e.to_string()))?;
        camera
            .open_stream()
            .map_err(|e| unavailable(e.to_string()))?;
        Ok(Self {
            camera,
            index,
            opened: Instant::now(),
        })
    }
}

impl FrameSource for CameraSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let failed = |reason: String| SourceError::CameraFrame {
            index: self.index,
            reason,
        };
        let buffer = self.camera.frame().map_err(|e| failed(e.to_string()))?;
        // Stamp on arrival; nokhwa exposes no capture timestamp on every backend.
        let timestamp = self.opened.elapsed();
        let rgb = buffer
            .decode_image::<RgbFormat>()
            .map_err(|e| failed(e.to_string()))?;
        let (width, height) = (rgb.width(), rgb.height());
        let image = image::RgbImage::from_raw(width, height, rgb.into_raw())
            .ok_or_else(|| failed("frame buffer shorter than its size".to_owned()))?;
        Ok(Some(Frame::rgb(image, timestamp)))
    }
}

impl Drop for CameraSource {
    fn drop(&mut self) {
        // Release the device so the next open (or another app) can use it; a failure here
        // leaves nothing to recover.
        let _ = self.camera.stop_stream();
    }
}
