//! Errors of frame sources, with messages for the desk in Japanese and English.

use std::path::PathBuf;

/// Language of a message shown to desk staff.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Lang {
    /// 日本語.
    Ja,
    /// English.
    En,
}

/// Why a [`FrameSource`](crate::FrameSource) cannot deliver frames.
///
/// The `Display` text is English for logs; [`SourceError::message`] gives the text for the desk
/// in either language.
#[derive(Debug, thiserror::Error)]
#[non_exhaustive]
pub enum SourceError {
    /// No camera is attached (or the OS exposes none). The desk keeps working with the USB
    /// scanner and keyboard entry.
    #[error("no camera is connected to this kiosk")]
    NoCamera,
    /// This build was made without camera support (cargo feature `camera` off), so no camera
    /// can be opened. To the desk this is the same as having no camera.
    #[error("this build of vaxledger has no camera support (cargo feature `camera`)")]
    CameraSupportMissing,
    /// A camera exists but could not be opened (busy, permission denied, unsupported format).
    #[error("camera {index} could not be opened: {reason}")]
    CameraUnavailable {
        /// Camera index as the OS enumerates it.
        index: u32,
        /// The driver's explanation.
        reason: String,
    },
    /// An open camera stopped delivering frames (unplugged, driver error).
    #[error("camera {index} stopped delivering frames: {reason}")]
    CameraFrame {
        /// Camera index as the OS enumerates it.
        index: u32,
        /// The driver's explanation.
        reason: String,
    },
    /// A frame directory contains no readable image files.
    #[error("no image files in frame directory {}", path.display())]
    EmptyDirectory {
        /// The directory.
        path: PathBuf,
    },
    /// A file or directory could not be read.
    #[error("could not read {}", path.display())]
    Io {
        /// The file or directory.
        path: PathBuf,
        /// The OS error.
        #[source]
        source: std::io::Error,
    },
    /// A file is not an image we can decode.
    #[error("could not decode image {}", path.display())]
    Image {
        /// The file.
        path: PathBuf,
        /// The decoder's error.
        #[source]
        source: image::ImageError,
    },
}

impl SourceError {
    /// The message to show desk staff, in `lang`. It says what still works, because the usual
    /// answer to a camera problem is "use the USB scanner".
    pub fn message(&self, lang: Lang) -> String {
        match lang {
            Lang::En => match self {
                Self::NoCamera => {
                    "No camera found — use the USB scanner (or type the voucher number).".to_owned()
                }
                Self::CameraSupportMissing => {
                    "No camera found — use the USB scanner (this build has no camera support).".to_owned()
                }
                Self::CameraUnavailable { .. } | Self::CameraFrame { .. } => format!(
                    "The camera cannot be used ({self}). Scan the voucher with the USB scanner or type the number."
                ),
                other => other.to_string(),
            },
            Lang::Ja => match self {
                Self::NoCamera => {
                    "カメラが見つかりません。USBスキャナーで読み取ってください（券番号の入力もできます）。".to_owned()
                }
                Self::CameraSupportMissing => {
                    "カメラが見つかりません。USBスキャナーで読み取ってください（この版はカメラに対応していません）。".to_owned()
                }
                Self::CameraUnavailable { index, reason } => format!(
                    "カメラ{index}を開けません（{reason}）。USBスキャナーで接種券を読み取るか、券番号を入力してください。"
                ),
                Self::CameraFrame { index, reason } => format!(
                    "カメラ{index}の映像が途切れました（{reason}）。USBスキャナーで接種券を読み取るか、券番号を入力してください。"
                ),
                Self::EmptyDirectory { path } => {
                    format!("フォルダ {} に画像ファイルがありません。", path.display())
                }
                Self::Io { path, source } => {
                    format!("{} を読み込めません（{source}）。", path.display())
                }
                Self::Image { path, source } => {
                    format!("画像 {} を読み取れません（{source}）。", path.display())
                }
            },
        }
    }

    /// True when the source failed because there is no usable camera, so the UI should switch
    /// to USB-scanner-only mode instead of showing a fault.
    pub fn is_camera_missing(&self) -> bool {
        matches!(
            self,
            Self::NoCamera | Self::CameraSupportMissing | Self::CameraUnavailable { .. }
        )
    }
}
