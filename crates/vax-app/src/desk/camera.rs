//! Reception with a webcam: the decode thread of `vax-scan` feeding the same scan path as the
//! USB scanner's keystrokes.
//!
//! [`DeskCamera::start`] opens the frame source chosen by a [`CameraChoice`] on a background
//! thread, where frames are decoded and debounced (one read per card presentation). The desk
//! polls [`DeskCamera::poll`] a few times a second: it gets the latest preview picture and
//! every new read, each already looked up through [`camera_scan`], which is
//! [`desk_find_online`] with a voucher query — exactly what the scan field runs for a typed
//! or USB-scanned line.
//! Dropping the `DeskCamera` stops the thread and releases the camera.

use std::sync::Arc;
use std::time::{Duration, Instant};

use base64::Engine;
use chrono::{DateTime, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserError, UserFacing};
use vax_ledger::Ledger;
use vax_scan::{voucher_from_qr_text, FrameSource, Pipeline, ScanEvent, ScanWorker};
pub use vax_scan::{CameraChoice, Lang, Preview, PreviewConfig, SourceError, WorkerConfig};

use super::{desk_find_online, DeskCard, DeskError, Enrollment};
use crate::lookup::Query;

/// How long [`DeskCamera::start`] waits for the source to open before giving up.
pub const OPEN_TIMEOUT: Duration = Duration::from_secs(10);

/// Why the camera could not be started or stopped working.
#[derive(Debug, Error)]
pub enum CameraError {
    /// The frame source failed: no camera (the usual kiosk), a busy camera, a bad fake folder.
    #[error("{}", .0.message(Lang::En))]
    Source(#[from] SourceError),
    /// The decode thread could not be started.
    #[error("the camera's decode thread could not start: {0}")]
    Thread(std::io::Error),
    /// The source did not open in time.
    #[error("the camera did not start within {} s — use the USB scanner", .0.as_secs())]
    Timeout(Duration),
}

impl UserFacing for CameraError {
    /// `NO_CAMERA` when there is no usable camera (the desk keeps working with the USB
    /// scanner), `CAMERA_FAILED` otherwise.
    fn code(&self) -> ErrorCode {
        match self {
            Self::Source(e) if e.is_camera_missing() => ErrorCode::NoCamera,
            _ => ErrorCode::CameraFailed,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Source(e) => e.message(Lang::Ja),
            Self::Thread(e) => format!(
                "カメラの読み取り処理を開始できません（{e}）。USBスキャナーで読み取ってください。"
            ),
            Self::Timeout(d) => format!(
                "カメラが{}秒以内に起動しませんでした。USBスキャナーで読み取ってください。",
                d.as_secs()
            ),
        }
    }
}

/// One code read by the camera, as the desk shows it.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CameraRead {
    /// A voucher: the cards the scan field would show for it (empty: nobody found).
    Voucher {
        /// The 18-digit line read.
        line: String,
        /// The desk cards, with their warnings.
        cards: Vec<DeskCard>,
    },
    /// A QR code that is not a voucher (a URL, another municipality's bad check digit, ...).
    NotAVoucher {
        /// What the code held (shortened).
        text: String,
        /// English.
        message: String,
        /// Japanese.
        message_ja: String,
    },
    /// The lookup failed (not enrolled, ledger error).
    Failed {
        /// The desk error's code.
        code: ErrorCode,
        /// English.
        message: String,
        /// Japanese.
        message_ja: String,
    },
}

/// The reception scan of a code read by the camera: checks that it is an 18-digit voucher
/// line, then runs [`desk_find_online`] with it, as the scan field does for a USB scanner's
/// digits (a walk-in from another municipality is looked up online).
pub fn camera_scan(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    text: &str,
    now: DateTime<FixedOffset>,
) -> CameraRead {
    let line = match voucher_from_qr_text(text) {
        Ok(line) => line.to_digits(),
        Err(e) => {
            let shown: String = text.chars().take(40).collect();
            let (message, message_ja) = match &e {
                vax_scan::VoucherReadError::NotEighteenDigits { .. } => (
                    format!("This QR code is not a vaccination voucher ({shown})."),
                    format!("接種券のQRコードではありません（{shown}）。"),
                ),
                vax_scan::VoucherReadError::Invalid(v) => (
                    format!("This QR code is not a valid voucher: {v}."),
                    format!("接種券のQRコードとして正しくありません: {}", v.message_ja()),
                ),
            };
            return CameraRead::NotAVoucher {
                text: shown,
                message,
                message_ja,
            };
        }
    };
    match desk_find_online(&mut *ledger, enrollment, &Query::Voucher(line.clone()), now) {
        Ok(cards) => CameraRead::Voucher { line, cards },
        Err(e) => CameraRead::Failed {
            code: e.code(),
            message: e.to_string(),
            message_ja: e.message_ja(),
        },
    }
}

/// What one poll of the camera brings.
#[derive(Debug, Clone, Default)]
pub struct CameraPoll {
    /// A preview picture newer than the one the last poll returned.
    pub preview: Option<Arc<Preview>>,
    /// New reads, in order, already looked up.
    pub reads: Vec<CameraRead>,
    /// Set when the camera stopped by itself (unplugged, end of a recording); the desk falls
    /// back to the USB scanner.
    pub stopped: Option<UserError>,
}

/// The running camera at a reception desk.
#[derive(Debug)]
pub struct DeskCamera {
    worker: ScanWorker,
    seen_preview: u64,
    /// Events that arrived while waiting for the source to open.
    pending: Vec<ScanEvent>,
}

impl DeskCamera {
    /// The worker settings of the desk: the standard pipeline's budget, a preview 320 px wide
    /// about 7 times a second.
    pub fn config() -> WorkerConfig {
        WorkerConfig {
            preview: Some(PreviewConfig::default()),
            ..WorkerConfig::default()
        }
    }

    /// Opens the chosen source on the decode thread and waits until it delivers (or fails).
    ///
    /// # Errors
    /// [`CameraError::Source`] when the source cannot open — code `NO_CAMERA` on a kiosk
    /// without a camera; [`CameraError::Timeout`] when it does not answer in [`OPEN_TIMEOUT`].
    pub fn start(choice: CameraChoice) -> Result<Self, CameraError> {
        Self::start_with(move || choice.open(), Self::config())
    }

    /// As [`DeskCamera::start`], with any frame source (tests feed recorded frames).
    ///
    /// # Errors
    /// As [`DeskCamera::start`].
    pub fn start_with<S, F>(open: F, config: WorkerConfig) -> Result<Self, CameraError>
    where
        S: FrameSource,
        F: FnOnce() -> Result<S, SourceError> + Send + 'static,
    {
        let worker =
            ScanWorker::spawn(open, Pipeline::standard(), config).map_err(CameraError::Thread)?;
        let deadline = Instant::now() + OPEN_TIMEOUT;
        let mut pending = Vec::new();
        loop {
            let left = deadline.saturating_duration_since(Instant::now());
            match worker.events().recv_timeout(left) {
                Ok(ScanEvent::Opened) => break,
                Ok(ScanEvent::SourceFailed(e)) => return Err(CameraError::Source(e)),
                Ok(other) => pending.push(other),
                Err(_) => return Err(CameraError::Timeout(OPEN_TIMEOUT)),
            }
        }
        Ok(Self {
            worker,
            seen_preview: 0,
            pending,
        })
    }

    /// Takes what happened since the last poll: the newest preview, and every read looked up
    /// through [`camera_scan`] with `ledger`, `enrollment` and `now`.
    pub fn poll(
        &mut self,
        ledger: &mut Ledger,
        enrollment: &Enrollment,
        now: DateTime<FixedOffset>,
    ) -> CameraPoll {
        let mut poll = CameraPoll::default();
        let events: Vec<ScanEvent> = self
            .pending
            .drain(..)
            .chain(self.worker.events().try_iter())
            .collect();
        for event in events {
            match event {
                ScanEvent::Read { text, .. } => {
                    poll.reads.push(camera_scan(ledger, enrollment, &text, now));
                }
                ScanEvent::SourceFailed(e) => {
                    poll.stopped = Some(CameraError::Source(e).to_user_error());
                }
                ScanEvent::Ended => {
                    poll.stopped = Some(UserError::new(
                        ErrorCode::CameraEnded,
                        "The camera stopped — use the USB scanner.",
                        "カメラが停止しました。USBスキャナーで読み取ってください。",
                    ));
                }
                // A decoder panic skips one frame; worth a log line, not a message.
                ScanEvent::DecoderPanicked(e) => eprintln!("vaxledger camera: {e}"),
                ScanEvent::Opened => {}
            }
        }
        if let Some(p) = self.worker.preview() {
            if p.seq > self.seen_preview {
                self.seen_preview = p.seq;
                poll.preview = Some(p);
            }
        }
        poll
    }

    /// Stops the decode thread and releases the camera.
    pub fn stop(self) {
        drop(self.worker.stop());
    }
}

/// What the reception screen gets on each poll of its camera.
#[derive(Debug, Clone, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CameraUpdate {
    /// Whether the camera is on.
    pub running: bool,
    /// A newer preview picture, as a `data:image/jpeg;base64,…` URL.
    pub preview: Option<String>,
    /// Codes read since the last poll, looked up.
    pub reads: Vec<CameraRead>,
    /// Set when the camera stopped by itself; the desk goes on with the USB scanner.
    pub stopped: Option<UserError>,
}

/// The reception desk's camera switch: off, or one running camera.
#[derive(Debug, Default)]
pub struct DeskCameraSlot {
    camera: Option<DeskCamera>,
}

impl DeskCameraSlot {
    /// Switches the camera on (nothing happens if it is on already).
    ///
    /// # Errors
    /// `NO_CAMERA` on a kiosk without a camera ([`DeskCamera::start`]).
    pub fn start(&mut self, choice: &CameraChoice) -> Result<(), CameraError> {
        if self.camera.is_none() {
            self.camera = Some(DeskCamera::start(choice.clone())?);
        }
        Ok(())
    }

    /// The newest preview and the reads since the last poll, looked up as the enrolled desk.
    /// A camera that stopped by itself is switched off and released; a camera that is off
    /// answers `running: false` on any installation.
    pub fn poll(
        &mut self,
        ledger: &std::sync::Mutex<Ledger>,
        now: DateTime<FixedOffset>,
    ) -> Result<CameraUpdate, DeskError> {
        let Some(camera) = self.camera.as_mut() else {
            return Ok(CameraUpdate {
                running: false,
                preview: None,
                reads: Vec::new(),
                stopped: None,
            });
        };
        // The ledger is locked only while a camera runs, for the lookups of its reads.
        let mut ledger = ledger
            .lock()
            .unwrap_or_else(std::sync::PoisonError::into_inner);
        let enrollment = super::enrolled(&ledger)?;
        let poll = camera.poll(&mut ledger, &enrollment, now);
        drop(ledger);
        if poll.stopped.is_some() {
            self.stop();
        }
        Ok(CameraUpdate {
            running: self.camera.is_some(),
            preview: poll.preview.map(|p| {
                let jpeg = base64::engine::general_purpose::STANDARD.encode(&p.jpeg);
                format!("data:image/jpeg;base64,{jpeg}")
            }),
            reads: poll.reads,
            stopped: poll.stopped,
        })
    }

    /// Switches the camera off and releases it (nothing happens if it is off).
    pub fn stop(&mut self) {
        if let Some(camera) = self.camera.take() {
            camera.stop();
        }
    }
}
