//! Where frames come from: the [`FrameSource`] trait and the sources that need no hardware.

use std::collections::VecDeque;
use std::path::{Path, PathBuf};
use std::time::Duration;

use image::DynamicImage;

use crate::error::SourceError;
use crate::frame::Frame;

/// A stream of frames: a camera, a folder of recorded frames, or frames built in a test.
///
/// `next_frame` blocks until a frame is available (a camera waits for the sensor) and returns
/// `Ok(None)` when a finite source is exhausted. A camera never ends on its own.
pub trait FrameSource {
    /// The next frame, `Ok(None)` at the end of a finite source.
    ///
    /// # Errors
    /// A [`SourceError`] when the underlying device or file fails. The source may be retried
    /// after a frame error; a camera that is missing stays missing.
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError>;
}

impl<S: FrameSource + ?Sized> FrameSource for Box<S> {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        (**self).next_frame()
    }
}

/// Frames held in memory, handed out in order. For tests and for replaying a recording.
#[derive(Debug, Clone, Default)]
pub struct MemorySource {
    frames: VecDeque<Frame>,
}

impl MemorySource {
    /// A source that yields `frames` in order, then ends.
    pub fn new(frames: impl IntoIterator<Item = Frame>) -> Self {
        Self {
            frames: frames.into_iter().collect(),
        }
    }

    /// Frames not yet handed out.
    pub fn remaining(&self) -> usize {
        self.frames.len()
    }
}

impl FrameSource for MemorySource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        Ok(self.frames.pop_front())
    }
}

/// File extensions the directory source picks up (lower case).
const IMAGE_EXTENSIONS: [&str; 4] = ["png", "jpg", "jpeg", "bmp"];

/// Image files read one per frame, as if a camera had captured them at a fixed rate.
///
/// Used by benchmarks, by tests, and by a kiosk started with a recorded "fake camera" folder so
/// that an end-to-end test can show a QR code to the real app.
#[derive(Debug, Clone)]
pub struct ImageFileSource {
    paths: Vec<PathBuf>,
    next: usize,
    frame_interval: Duration,
}

impl ImageFileSource {
    /// Default spacing of the synthetic timestamps: a 30 fps camera.
    pub const DEFAULT_FRAME_INTERVAL: Duration = Duration::from_nanos(33_333_333);

    /// The given files, in the given order.
    pub fn from_paths(paths: impl IntoIterator<Item = PathBuf>) -> Self {
        Self {
            paths: paths.into_iter().collect(),
            next: 0,
            frame_interval: Self::DEFAULT_FRAME_INTERVAL,
        }
    }

    /// Every PNG, JPEG or BMP file directly in `dir`, sorted by file name so that recordings
    /// named `frame-0001.png`, `frame-0002.png`, ... replay in capture order.
    ///
    /// # Errors
    /// [`SourceError::Io`] when the directory cannot be listed, [`SourceError::EmptyDirectory`]
    /// when it holds no image file.
    pub fn from_dir(dir: impl AsRef<Path>) -> Result<Self, SourceError> {
        let dir = dir.as_ref();
        let io_err = |source| SourceError::Io {
            path: dir.to_path_buf(),
            source,
        };
        let mut paths = Vec::new();
        for entry in std::fs::read_dir(dir).map_err(io_err)? {
            let path = entry.map_err(io_err)?.path();
            let is_image = path
                .extension()
                .and_then(|e| e.to_str())
                .is_some_and(|e| IMAGE_EXTENSIONS.contains(&e.to_ascii_lowercase().as_str()));
            if is_image && path.is_file() {
                paths.push(path);
            }
        }
        if paths.is_empty() {
            return Err(SourceError::EmptyDirectory {
                path: dir.to_path_buf(),
            });
        }
        paths.sort();
        Ok(Self::from_paths(paths))
    }

    /// Changes the spacing of the synthetic timestamps (frame `i` is stamped `i * interval`).
    #[must_use]
    pub fn with_frame_interval(mut self, interval: Duration) -> Self {
        self.frame_interval = interval;
        self
    }

    /// The files this source reads, in order.
    pub fn paths(&self) -> &[PathBuf] {
        &self.paths
    }
}

impl FrameSource for ImageFileSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        let Some(path) = self.paths.get(self.next) else {
            return Ok(None);
        };
        let index = u32::try_from(self.next).unwrap_or(u32::MAX);
        self.next += 1;
        let timestamp = self.frame_interval.saturating_mul(index);
        let image = image::open(path).map_err(|source| match source {
            image::ImageError::IoError(source) => SourceError::Io {
                path: path.clone(),
                source,
            },
            source => SourceError::Image {
                path: path.clone(),
                source,
            },
        })?;
        Ok(Some(match image {
            DynamicImage::ImageLuma8(gray) => Frame::luma(gray, timestamp),
            // Grayscale with alpha or 16-bit gray: keep it gray, decoders only need luma.
            DynamicImage::ImageLumaA8(_)
            | DynamicImage::ImageLuma16(_)
            | DynamicImage::ImageLumaA16(_) => Frame::luma(image.into_luma8(), timestamp),
            other => Frame::rgb(other.into_rgb8(), timestamp),
        }))
    }
}

/// A "fake camera": the images of a folder, loaded once and shown in a loop at a steady frame
/// rate, stamped with real time since the source was opened, like a webcam.
///
/// The desktop app uses it when started with `VAXLEDGER_FAKE_CAMERA=<dir>`, so that an
/// end-to-end test (or a demonstration on a machine without a webcam) can hold a voucher up
/// to the real app. It sleeps between frames, so it costs what a camera costs, not a core.
#[derive(Debug, Clone)]
pub struct LoopingSource {
    frames: Vec<Frame>,
    next: usize,
    interval: Duration,
    opened: std::time::Instant,
    due: std::time::Instant,
}

impl LoopingSource {
    /// Default frame rate of the fake camera: 10 frames a second.
    pub const DEFAULT_INTERVAL: Duration = Duration::from_millis(100);

    /// Loads every image of `dir` (see [`ImageFileSource::from_dir`] for which files) and
    /// loops over them, one frame every `interval`.
    ///
    /// # Errors
    /// As [`ImageFileSource::from_dir`], and the image errors of its files.
    pub fn from_dir(dir: impl AsRef<Path>, interval: Duration) -> Result<Self, SourceError> {
        let mut files = ImageFileSource::from_dir(dir)?;
        let mut frames = Vec::new();
        while let Some(frame) = files.next_frame()? {
            frames.push(frame);
        }
        Ok(Self::new(frames, interval))
    }

    /// Loops over `frames` (at least one is needed to produce anything).
    pub fn new(frames: Vec<Frame>, interval: Duration) -> Self {
        let now = std::time::Instant::now();
        Self {
            frames,
            next: 0,
            interval,
            opened: now,
            due: now,
        }
    }
}

impl FrameSource for LoopingSource {
    fn next_frame(&mut self) -> Result<Option<Frame>, SourceError> {
        if self.frames.is_empty() {
            return Ok(None);
        }
        let now = std::time::Instant::now();
        if self.due > now {
            std::thread::sleep(self.due - now);
        }
        // Never queue up frames after a slow decode: a camera drops them too.
        self.due = self.due.max(now) + self.interval;
        let mut frame = self.frames[self.next % self.frames.len()].clone();
        self.next = self.next.wrapping_add(1);
        frame.timestamp = self.opened.elapsed();
        Ok(Some(frame))
    }
}

/// Which frame source the desk's "scan with camera" button opens. The one place where the
/// choice is made; [`CameraChoice::open`] runs on the decode thread.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum CameraChoice {
    /// The webcam with this index (0 = the first the OS lists), through nokhwa. Without the
    /// cargo feature `camera` it fails with [`SourceError::CameraSupportMissing`].
    Device(u32),
    /// A fake camera looping over the images of a folder ([`LoopingSource`]).
    Folder(PathBuf),
}

impl CameraChoice {
    /// Opens the source.
    ///
    /// # Errors
    /// [`SourceError::NoCamera`] (and the other camera errors) for a device;
    /// [`SourceError::CameraSupportMissing`] when the build has no camera support; the folder
    /// errors of [`LoopingSource::from_dir`].
    pub fn open(&self) -> Result<Box<dyn FrameSource>, SourceError> {
        match self {
            Self::Folder(dir) => Ok(Box::new(LoopingSource::from_dir(
                dir,
                LoopingSource::DEFAULT_INTERVAL,
            )?)),
            #[cfg(feature = "camera")]
            Self::Device(index) => Ok(Box::new(crate::camera::CameraSource::open(*index)?)),
            #[cfg(not(feature = "camera"))]
            Self::Device(_) => Err(SourceError::CameraSupportMissing),
        }
    }
}
