//! Reads voucher QR codes from a webcam at the reception desk.
//!
//! The pieces, from the camera to the desk:
//!
//! - [`FrameSource`]: where frames come from. [`CameraSource`](crate::CameraSource) (cargo
//!   feature `camera`, nokhwa) in production; [`ImageFileSource`] for recorded frames and
//!   benchmarks; [`LoopingSource`], a fake camera looping over a folder's images in real
//!   time; [`MemorySource`] for tests. [`CameraChoice`] is the one place that picks between
//!   the webcam and a fake camera folder. A kiosk without a camera gets
//!   [`SourceError::NoCamera`], with a message in Japanese or English
//!   ([`SourceError::message`]), and keeps working with the USB scanner.
//! - [`Pipeline`]: rxing first (a pure-Rust zxing port: the fastest and best single decoder
//!   measured), then retries with rxing and rqrr on preprocessed versions of the frame (scaled,
//!   contrast-stretched, crops around unread finder patterns, thresholded, inverted, rotated)
//!   within a time budget per frame, skipping any attempt whose learnt cost would overrun it.
//!   Decoder panics are caught ([`decode_guarded`]) and reported, never propagated: rqrr 0.11
//!   panics on some real photos.
//! - [`Debouncer`]: one read per card presentation; time comes from frame timestamps.
//! - [`ScanWorker`]: a background thread tying the three together and sending
//!   [`ScanEvent`]s over a channel, and keeping a downscaled JPEG [`Preview`] of the latest
//!   frame for the desk's live view.
//! - [`voucher_from_qr_text`]: checks that a decoded text is an 18-digit voucher line.
//!
//! Adding a decoder: implement [`Decoder`] (return every symbol found, and the quads that
//! looked like codes but failed, if the decoder can tell) and pass it to [`Pipeline::new`];
//! run `cargo bench -p vax-scan --bench blackbox` to see whether it earns its place.
//!
//! # Example
//!
//! ```
//! use std::time::Duration;
//! use vax_scan::{Debouncer, Frame, FrameSource, MemorySource, Pipeline};
//!
//! // A voucher QR as a printer would make it, 4 pixels per module, in a grey frame.
//! let code = qrcode::QrCode::new(b"112620210000123456").unwrap();
//! let qr = code.render::<image::Luma<u8>>().module_dimensions(4, 4).build();
//! let mut frame = image::GrayImage::from_pixel(640, 480, image::Luma([200]));
//! image::imageops::overlay(&mut frame, &qr, 200, 100);
//!
//! let mut source = MemorySource::new([Frame::luma(frame, Duration::ZERO)]);
//! let pipeline = Pipeline::standard();
//! let mut debouncer = Debouncer::default();
//! while let Some(frame) = source.next_frame().unwrap() {
//!     let report = pipeline.scan_frame(&frame, Duration::from_millis(30));
//!     for text in debouncer.observe(frame.timestamp, report.reads.iter().map(|r| r.text.as_str())) {
//!         let line = vax_scan::voucher_from_qr_text(&text).unwrap();
//!         assert_eq!(line.to_digits(), "112620210000123456");
//!     }
//! }
//! ```
#![deny(missing_docs)]
#![forbid(unsafe_code)]

#[cfg(feature = "camera")]
mod camera;
mod debounce;
mod decode;
mod error;
mod frame;
mod pipeline;
mod source;
mod voucher;
mod worker;

#[cfg(feature = "camera")]
pub use camera::CameraSource;
pub use debounce::Debouncer;
pub use decode::{
    bytes_to_text, decode_guarded, guard, DecodeError, Decoder, Detections, Quad, RqrrDecoder,
    RxingBinarizer, RxingDecoder, Symbol,
};
pub use error::{Lang, SourceError};
pub use frame::{Frame, FramePixels};
pub use pipeline::{Attempt, Pipeline, Read, ScanGoal, ScanReport, Step};
pub use source::{CameraChoice, FrameSource, ImageFileSource, LoopingSource, MemorySource};
pub use voucher::{voucher_from_qr_text, VoucherReadError};
pub use worker::{Preview, PreviewConfig, ScanEvent, ScanWorker, WorkerConfig};
