//! The background decode thread: frames in, debounced reads out.

use std::sync::atomic::{AtomicBool, Ordering};
use std::sync::mpsc::{self, Receiver, Sender};
use std::sync::{Arc, Mutex};
use std::thread::JoinHandle;
use std::time::Duration;

use crate::debounce::Debouncer;
use crate::decode::DecodeError;
use crate::error::SourceError;
use crate::frame::{Frame, FramePixels};
use crate::pipeline::Pipeline;
use crate::source::FrameSource;

/// What the worker tells the UI.
#[derive(Debug)]
pub enum ScanEvent {
    /// The source opened and frames are coming: the camera is on.
    Opened,
    /// A code was read and starts a new card presentation: beep, flash, look it up.
    Read {
        /// The decoded text (check it with [`voucher_from_qr_text`](crate::voucher_from_qr_text)).
        text: String,
        /// Timestamp of the frame it was read in.
        at: Duration,
    },
    /// A decoder panicked on a frame; the frame was skipped and scanning goes on. Worth a log
    /// line, not a dialog.
    DecoderPanicked(DecodeError),
    /// The source could not be opened or failed; the worker has stopped. For
    /// [`SourceError::is_camera_missing`] errors the desk switches to the USB scanner.
    SourceFailed(SourceError),
    /// A finite source ran out of frames; the worker has stopped.
    Ended,
}

/// Settings of a [`ScanWorker`].
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct WorkerConfig {
    /// Time budget per frame for the pipeline's retries. Keep it under the frame interval so
    /// the preview does not lag (33 ms at 30 fps).
    pub frame_budget: Duration,
    /// Absence gap of the [`Debouncer`].
    pub debounce_gap: Duration,
    /// A downscaled JPEG of the frame for the desk's live preview, if wanted.
    pub preview: Option<PreviewConfig>,
}

impl Default for WorkerConfig {
    fn default() -> Self {
        Self {
            frame_budget: Duration::from_millis(20),
            debounce_gap: Debouncer::DEFAULT_GAP,
            preview: None,
        }
    }
}

/// How the worker makes the live preview.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct PreviewConfig {
    /// Frames wider than this are scaled down (keeping the aspect ratio).
    pub max_width: u32,
    /// At most one preview per interval of frame time (100 ms = 10 previews a second).
    pub interval: Duration,
    /// JPEG quality, 1–100.
    pub quality: u8,
}

impl Default for PreviewConfig {
    fn default() -> Self {
        Self {
            max_width: 320,
            interval: Duration::from_millis(150),
            quality: 70,
        }
    }
}

/// The latest preview picture.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Preview {
    /// Increases with every new preview, so a caller can tell whether it has seen this one.
    pub seq: u64,
    /// The JPEG file's bytes.
    pub jpeg: Vec<u8>,
    /// Width in pixels.
    pub width: u32,
    /// Height in pixels.
    pub height: u32,
}

/// A thread that pulls frames from a [`FrameSource`], decodes them and sends debounced
/// [`ScanEvent`]s. Dropping it (or calling [`ScanWorker::stop`]) stops the thread after the
/// frame in hand.
#[derive(Debug)]
pub struct ScanWorker {
    stop: Arc<AtomicBool>,
    events: Receiver<ScanEvent>,
    preview: Arc<Mutex<Option<Arc<Preview>>>>,
    thread: Option<JoinHandle<()>>,
}

impl ScanWorker {
    /// Starts the worker. `open` runs on the worker thread, because camera handles are often
    /// tied to the thread that opened them; its error arrives as [`ScanEvent::SourceFailed`].
    ///
    /// # Errors
    /// The OS error when the thread cannot be spawned.
    pub fn spawn<S, F>(open: F, pipeline: Pipeline, config: WorkerConfig) -> std::io::Result<Self>
    where
        S: FrameSource,
        F: FnOnce() -> Result<S, SourceError> + Send + 'static,
    {
        let stop = Arc::new(AtomicBool::new(false));
        let (tx, events) = mpsc::channel();
        let thread_stop = Arc::clone(&stop);
        let preview = Arc::new(Mutex::new(None));
        let slot = Arc::clone(&preview);
        let thread = std::thread::Builder::new()
            .name("vax-scan".to_owned())
            .spawn(move || run(open, &pipeline, config, &thread_stop, &tx, &slot))?;
        Ok(Self {
            stop,
            events,
            preview,
            thread: Some(thread),
        })
    }

    /// The latest preview picture ([`WorkerConfig::preview`]), if one was made yet.
    pub fn preview(&self) -> Option<Arc<Preview>> {
        self.preview
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner)
            .clone()
    }

    /// The event stream. It disconnects once the worker has stopped and all events were taken.
    pub fn events(&self) -> &Receiver<ScanEvent> {
        &self.events
    }

    /// Asks the thread to stop and waits for it. Events not yet taken are returned.
    pub fn stop(mut self) -> Vec<ScanEvent> {
        self.shut_down();
        self.events.try_iter().collect()
    }

    fn shut_down(&mut self) {
        self.stop.store(true, Ordering::Relaxed);
        if let Some(thread) = self.thread.take() {
            // The loop catches decoder panics itself; a panic here would be a bug in this
            // crate, and there is nothing better to do with it while shutting down.
            let _ = thread.join();
        }
    }
}

impl Drop for ScanWorker {
    fn drop(&mut self) {
        self.shut_down();
    }
}

fn run<S, F>(
    open: F,
    pipeline: &Pipeline,
    config: WorkerConfig,
    stop: &AtomicBool,
    tx: &Sender<ScanEvent>,
    preview: &Mutex<Option<Arc<Preview>>>,
) where
    S: FrameSource,
    F: FnOnce() -> Result<S, SourceError>,
{
    let mut source = match open() {
        Ok(source) => source,
        Err(e) => {
            let _ = tx.send(ScanEvent::SourceFailed(e));
            return;
        }
    };
    if tx.send(ScanEvent::Opened).is_err() {
        return;
    }
    let mut debouncer = Debouncer::new(config.debounce_gap);
    let mut last_preview: Option<Duration> = None;
    let mut seq = 0_u64;
    while !stop.load(Ordering::Relaxed) {
        let frame = match source.next_frame() {
            Ok(Some(frame)) => frame,
            Ok(None) => {
                let _ = tx.send(ScanEvent::Ended);
                return;
            }
            Err(e) => {
                let _ = tx.send(ScanEvent::SourceFailed(e));
                return;
            }
        };
        if let Some(pc) = config.preview {
            let due = last_preview.is_none_or(|t| frame.timestamp.saturating_sub(t) >= pc.interval);
            if due {
                last_preview = Some(frame.timestamp);
                if let Some((jpeg, width, height)) = preview_jpeg(&frame, pc) {
                    seq += 1;
                    let fresh = Arc::new(Preview {
                        seq,
                        jpeg,
                        width,
                        height,
                    });
                    *preview
                        .lock()
                        .unwrap_or_else(std::sync::PoisonError::into_inner) = Some(fresh);
                }
            }
        }
        let report = pipeline.scan_frame(&frame, config.frame_budget);
        for error in report.errors {
            if tx.send(ScanEvent::DecoderPanicked(error)).is_err() {
                return;
            }
        }
        let fresh = debouncer.observe(
            frame.timestamp,
            report.reads.iter().map(|r| r.text.as_str()),
        );
        for text in fresh {
            // A dropped receiver means nobody listens any more: stop quietly.
            if tx
                .send(ScanEvent::Read {
                    text,
                    at: frame.timestamp,
                })
                .is_err()
            {
                return;
            }
        }
    }
}

/// The frame scaled down to the preview width and encoded as JPEG. `None` only if encoding
/// fails, which for an in-memory buffer means a zero-sized frame: no preview, no harm.
fn preview_jpeg(frame: &Frame, pc: PreviewConfig) -> Option<(Vec<u8>, u32, u32)> {
    let (w, h) = frame.dimensions();
    if w == 0 || h == 0 {
        return None;
    }
    let (tw, th) = if w > pc.max_width {
        let th = (u64::from(h) * u64::from(pc.max_width) / u64::from(w)).max(1);
        (pc.max_width, u32::try_from(th).unwrap_or(h))
    } else {
        (w, h)
    };
    let mut out = Vec::new();
    let mut encoder =
        image::codecs::jpeg::JpegEncoder::new_with_quality(&mut out, pc.quality.clamp(1, 100));
    let encoded = match &frame.pixels {
        FramePixels::Luma(img) => {
            let small = image::imageops::thumbnail(img, tw, th);
            encoder.encode_image(&small)
        }
        FramePixels::Rgb(img) => {
            let small = image::imageops::thumbnail(img, tw, th);
            encoder.encode_image(&small)
        }
    };
    encoded.ok().map(|()| (out, tw, th))
}
