//! Decoders behind one trait, and the guard that keeps their panics away from the desk.

use std::panic::{self, AssertUnwindSafe};

use image::GrayImage;

/// A QR decoder working on one grayscale image.
///
/// Implementations return every code they can read; an empty list means "nothing found".
/// They may panic (rqrr 0.11 does on some real photos, see `shared/docs/PERF-ANCHORS.md`
/// §2.3); callers go through [`decode_guarded`], which turns a panic into a [`DecodeError`].
pub trait Decoder: Send + Sync {
    /// A short name for reports and benchmarks, e.g. `"rqrr"`.
    fn name(&self) -> &'static str;

    /// Every QR code found in `image`, plus the places that looked like a code but did not
    /// decode (the pipeline crops around those and retries).
    fn decode(&self, image: &GrayImage) -> Detections;
}

/// What one decoder call found.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct Detections {
    /// Codes read.
    pub symbols: Vec<Symbol>,
    /// Quadrilaterals (in image coordinates) that look like QR codes but did not decode.
    /// Decoders that cannot tell leave this empty.
    pub unread: Vec<Quad>,
}

/// Four corners of a code in image coordinates (any order).
pub type Quad = [(f32, f32); 4];

/// One decoded QR code.
#[derive(Debug, Clone, PartialEq)]
pub struct Symbol {
    /// The payload as text (UTF-8, or Shift_JIS / ISO-8859-1 converted to UTF-8).
    pub text: String,
    /// Corners of the code in the coordinates of the image passed to the decoder, when the
    /// decoder reports them.
    pub corners: Option<Quad>,
}

/// A decoder failed in a way that is not "no code in this image".
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
pub enum DecodeError {
    /// The decoder panicked; the panic was caught and the frame skipped.
    #[error("decoder {decoder} panicked: {message}")]
    Panicked {
        /// [`Decoder::name`] of the decoder.
        decoder: &'static str,
        /// The panic message, when it was a string.
        message: String,
    },
}

/// Runs `decoder` on `image`, catching any panic.
///
/// The default panic hook still prints the panic to stderr, which is what we want in the log;
/// installing a quieter hook is the application's business, not a library's.
///
/// # Errors
/// [`DecodeError::Panicked`] when the decoder panicked.
pub fn decode_guarded(decoder: &dyn Decoder, image: &GrayImage) -> Result<Detections, DecodeError> {
    guard(decoder.name(), || decoder.decode(image))
}

/// Runs `f`, turning a panic into [`DecodeError::Panicked`] attributed to `decoder`.
///
/// # Errors
/// [`DecodeError::Panicked`] when `f` panicked.
pub fn guard<T>(decoder: &'static str, f: impl FnOnce() -> T) -> Result<T, DecodeError> {
    // AssertUnwindSafe: decoders only read the image and build fresh values, so no state
    // observed after the panic can be half-updated.
    panic::catch_unwind(AssertUnwindSafe(f)).map_err(|payload| DecodeError::Panicked {
        decoder,
        message: panic_message(payload.as_ref()),
    })
}

fn panic_message(payload: &(dyn std::any::Any + Send)) -> String {
    if let Some(s) = payload.downcast_ref::<&str>() {
        (*s).to_owned()
    } else if let Some(s) = payload.downcast_ref::<String>() {
        s.clone()
    } else {
        "non-string panic payload".to_owned()
    }
}

/// Turns a byte-mode payload into text the way zxing does when no ECI is given: UTF-8 if it
/// is valid UTF-8, else Shift_JIS if it decodes cleanly (Japanese codes are usually SJIS),
/// else ISO-8859-1, which the QR standard names as the default and which never fails.
pub fn bytes_to_text(bytes: &[u8]) -> String {
    if let Ok(s) = std::str::from_utf8(bytes) {
        return s.to_owned();
    }
    let (sjis, _, had_errors) = encoding_rs::SHIFT_JIS.decode(bytes);
    if !had_errors {
        return sjis.into_owned();
    }
    bytes.iter().map(|&b| char::from(b)).collect()
}

/// rqrr 0.11: fast on sharp, evenly lit codes; the first decoder of the pipeline.
#[derive(Debug, Clone, Copy, Default)]
pub struct RqrrDecoder;

impl RqrrDecoder {
    fn prepare(image: &GrayImage) -> rqrr::PreparedImage<GrayImage> {
        // `prepare` takes ownership; the clone is a memcpy of one frame, small next to the
        // capstone search.
        rqrr::PreparedImage::prepare(image.clone())
    }
}

impl Decoder for RqrrDecoder {
    fn name(&self) -> &'static str {
        "rqrr"
    }

    fn decode(&self, image: &GrayImage) -> Detections {
        let mut prepared = Self::prepare(image);
        let mut out = Detections::default();
        for grid in prepared.detect_grids() {
            let corners = grid.bounds.map(|p| (p.x as f32, p.y as f32));
            let mut bytes = Vec::new();
            // Per grid, so that one bad grid does not lose the others in a multi-code frame.
            match guard("rqrr", || grid.decode_to(&mut bytes)) {
                Ok(Ok(_meta)) => out.symbols.push(Symbol {
                    text: bytes_to_text(&bytes),
                    corners: Some(corners),
                }),
                Ok(Err(_)) | Err(_) => out.unread.push(corners),
            }
        }
        out
    }
}

/// How rxing turns gray into black and white.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum RxingBinarizer {
    /// zxing's default: local thresholds per 8x8 block, global for small images.
    Hybrid,
    /// One threshold from the histogram: sometimes wins on blur, where local blocks are flat.
    GlobalHistogram,
}

/// rxing 0.9 (pure-Rust port of zxing), using its port of zxing-cpp's QR reader. Measured
/// here it is both faster and better than rqrr (see `docs/BENCHMARKS.md`).
#[derive(Debug, Clone, Copy)]
pub struct RxingDecoder {
    /// zxing's "try harder": denser finder-pattern search; costs time on empty frames.
    pub try_harder: bool,
    /// Binarizer.
    pub binarizer: RxingBinarizer,
}

impl Default for RxingDecoder {
    fn default() -> Self {
        Self {
            try_harder: true,
            binarizer: RxingBinarizer::Hybrid,
        }
    }
}

impl RxingDecoder {
    fn read<B: rxing::Binarizer>(&self, binarizer: B) -> Vec<Symbol> {
        use rxing::multi::MultipleBarcodeReader;

        let mut bitmap = rxing::BinaryBitmap::new(binarizer);
        let hints = rxing::DecodeHints {
            PossibleFormats: Some([rxing::BarcodeFormat::QR_CODE].into_iter().collect()),
            TryHarder: Some(self.try_harder),
            ..rxing::DecodeHints::default()
        };
        let mut reader = rxing::qrcode::cpp_port::QrReader;
        match reader.decode_multiple_with_hints(&mut bitmap, &hints) {
            Ok(results) => results
                .into_iter()
                .map(|r| {
                    let points = r.getPoints();
                    let corners = (points.len() >= 4).then(|| {
                        [
                            (points[0].x, points[0].y),
                            (points[1].x, points[1].y),
                            (points[2].x, points[2].y),
                            (points[3].x, points[3].y),
                        ]
                    });
                    Symbol {
                        text: r.getText().to_owned(),
                        corners,
                    }
                })
                .collect(),
            // rxing reports "nothing found" as an error; both mean no symbol here.
            Err(_) => Vec::new(),
        }
    }
}

impl Decoder for RxingDecoder {
    fn name(&self) -> &'static str {
        match self.binarizer {
            RxingBinarizer::Hybrid => "rxing",
            RxingBinarizer::GlobalHistogram => "rxing-global",
        }
    }

    fn decode(&self, image: &GrayImage) -> Detections {
        let (width, height) = image.dimensions();
        let Ok(source) = rxing::Luma8Source::new_with_slice(image.as_raw(), width, height) else {
            return Detections::default();
        };
        let symbols = match self.binarizer {
            RxingBinarizer::Hybrid => self.read(rxing::common::HybridBinarizer::new(source)),
            RxingBinarizer::GlobalHistogram => {
                self.read(rxing::common::GlobalHistogramBinarizer::new(source))
            }
        };
        Detections {
            symbols,
            unread: Vec::new(),
        }
    }
}
