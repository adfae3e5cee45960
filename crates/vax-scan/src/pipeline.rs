//! The decoder pipeline: cheap decode first, then preprocessed retries within a time budget.

use std::time::{Duration, Instant};

use image::{GrayImage, Luma};

use crate::decode::{
    decode_guarded, DecodeError, Decoder, Quad, RqrrDecoder, RxingBinarizer, RxingDecoder,
};
use crate::frame::Frame;

/// A transformation of the frame tried when the plain frame did not decode.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash)]
pub enum Step {
    /// The frame as captured.
    Original,
    /// Crops around places that looked like a code but did not decode, enlarged: small
    /// codes in a large frame have too few pixels per module for the finders.
    FinderCrops,
    /// Linear contrast stretch between the 1st and 99th percentile: low-contrast prints and
    /// dim desks.
    ContrastStretch,
    /// Local (adaptive) threshold: shadows and uneven light, where one global threshold cannot
    /// separate modules everywhere.
    AdaptiveThreshold,
    /// Half size by 2x2 averaging: blur and sensor noise average out, and big codes fit the
    /// finder search better.
    Downscale,
    /// Double size: codes with modules of 1-2 pixels.
    Upscale,
    /// Dark and light swapped: codes shown on a phone in dark mode.
    Inverted,
    /// Rotated by 45 degrees: some finders lose codes near 45 degrees.
    Rotate45,
}

impl Step {
    /// Every step, cheap and most often useful first: the default for [`Pipeline::new`].
    /// [`Pipeline::standard`] uses its own measured plan instead.
    pub const STANDARD: [Step; 8] = [
        Step::Original,
        Step::FinderCrops,
        Step::ContrastStretch,
        Step::Downscale,
        Step::AdaptiveThreshold,
        Step::Upscale,
        Step::Inverted,
        Step::Rotate45,
    ];
}

/// When the pipeline may stop.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum ScanGoal {
    /// Stop at the first code read: a desk frame shows one voucher.
    FirstCode,
    /// Read as many distinct codes as the steps and budget allow (benchmarks, sheets of codes).
    AllCodes,
}

/// One code read by the pipeline.
#[derive(Debug, Clone, PartialEq)]
pub struct Read {
    /// The decoded text.
    pub text: String,
    /// Which decoder read it.
    pub decoder: &'static str,
    /// On which version of the frame.
    pub step: Step,
}

/// Outcome of scanning one frame.
#[derive(Debug, Clone, Default, PartialEq)]
pub struct ScanReport {
    /// Distinct codes read, in the order found.
    pub reads: Vec<Read>,
    /// Decoder panics caught while scanning this frame. The frame's other attempts went on.
    pub errors: Vec<DecodeError>,
    /// Decoder calls made.
    pub attempts: usize,
    /// True when steps were left untried because the time budget ran out.
    pub budget_exhausted: bool,
}

impl ScanReport {
    fn add(&mut self, text: String, decoder: &'static str, step: Step) {
        if !self.reads.iter().any(|r| r.text == text) {
            self.reads.push(Read {
                text,
                decoder,
                step,
            });
        }
    }
}

/// One planned decoder call: which version of the frame, which decoder (an index into the
/// pipeline's decoder list).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Attempt {
    /// The version of the frame.
    pub step: Step,
    /// Index into the decoders given to [`Pipeline::new`].
    pub decoder: usize,
}

/// Decoders and preprocessing steps, tried in the order of a plan until a code is read or
/// the time budget runs out.
pub struct Pipeline {
    decoders: Vec<Box<dyn Decoder>>,
    plan: Vec<Attempt>,
    goal: ScanGoal,
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("decoders", &self.decoder_names())
            .field("plan", &self.plan)
            .field("goal", &self.goal)
            .finish()
    }
}

impl Pipeline {
    /// Pipeline with the given decoders, every decoder tried on every [`Step::STANDARD`] step
    /// (step by step, decoders in the given order), stopping at the first code.
    pub fn new(decoders: Vec<Box<dyn Decoder>>) -> Self {
        let plan = Step::STANDARD
            .iter()
            .flat_map(|&step| (0..decoders.len()).map(move |decoder| Attempt { step, decoder }))
            .collect();
        Self {
            decoders,
            plan,
            goal: ScanGoal::FirstCode,
        }
    }

    /// The measured best order on `shared/data/qr-blackbox` (see `docs/BENCHMARKS.md`):
    /// rxing first, because it is both the fastest (about 1 ms per 1280 px frame) and the
    /// best single decoder there (165/179 zxing images alone); then cheap rxing retries on
    /// preprocessed versions; rqrr on a half-size frame, which catches very close codes and
    /// screens that rxing misses, at a quarter of rqrr's full-frame cost; then rqrr on the full
    /// frame and crops around the finder patterns it saw but could not decode.
    ///
    /// The issue planned rqrr as the cheap first path, but measured it is ten times slower
    /// than rxing and reads fewer codes, so it runs only when rxing failed.
    pub fn standard() -> Self {
        const RXING: usize = 0;
        const RQRR: usize = 1;
        const RXING_GLOBAL: usize = 2;
        let plan = [
            (Step::Original, RXING),
            (Step::ContrastStretch, RXING),
            (Step::Downscale, RQRR),
            (Step::Inverted, RXING),
            (Step::Downscale, RXING),
            (Step::Original, RQRR),
            (Step::FinderCrops, RXING),
            (Step::FinderCrops, RQRR),
            (Step::Original, RXING_GLOBAL),
            (Step::AdaptiveThreshold, RXING),
            (Step::Upscale, RXING),
            (Step::Rotate45, RXING),
        ];
        let decoders: Vec<Box<dyn Decoder>> = vec![
            Box::new(RxingDecoder::default()),
            Box::new(RqrrDecoder),
            Box::new(RxingDecoder {
                binarizer: RxingBinarizer::GlobalHistogram,
                ..RxingDecoder::default()
            }),
        ];
        Self::new(decoders).with_plan(plan.map(|(step, decoder)| Attempt { step, decoder }))
    }

    /// Replaces the plan. Attempts naming a decoder index that does not exist are skipped.
    #[must_use]
    pub fn with_plan(mut self, plan: impl IntoIterator<Item = Attempt>) -> Self {
        self.plan = plan.into_iter().collect();
        self
    }

    /// Keeps the decoders but tries them only on `steps` (each step with every decoder).
    #[must_use]
    pub fn with_steps(self, steps: impl IntoIterator<Item = Step>) -> Self {
        let n = self.decoders.len();
        let plan: Vec<Attempt> = steps
            .into_iter()
            .flat_map(|step| (0..n).map(move |decoder| Attempt { step, decoder }))
            .collect();
        self.with_plan(plan)
    }

    /// Replaces the stop rule.
    #[must_use]
    pub fn with_goal(mut self, goal: ScanGoal) -> Self {
        self.goal = goal;
        self
    }

    /// Names of the decoders, in the order given.
    pub fn decoder_names(&self) -> Vec<&'static str> {
        self.decoders.iter().map(|d| d.name()).collect()
    }

    /// Scans one frame. See [`Pipeline::scan`].
    pub fn scan_frame(&self, frame: &Frame, budget: Duration) -> ScanReport {
        self.scan(&frame.to_luma(), budget)
    }

    /// Scans one grayscale image.
    ///
    /// The first attempt always runs; every further attempt starts only while less than
    /// `budget` has elapsed, so a frame takes at most `budget` plus one attempt. Never panics
    /// because of a decoder: panics are caught and listed in [`ScanReport::errors`].
    pub fn scan(&self, image: &GrayImage, budget: Duration) -> ScanReport {
        let started = Instant::now();
        let mut report = ScanReport::default();
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return report;
        }
        let mut unread: Vec<Quad> = Vec::new();
        // Each preprocessed version is built once, on first use, and shared by the decoders
        // that try it. Crops are built when first needed, from the candidates seen so far.
        let mut variants: Vec<(Step, Vec<GrayImage>)> = Vec::new();
        // Seconds per pixel each decoder took in this scan so far: an attempt that would
        // clearly overrun the budget is skipped instead of started (rqrr can take 40 ms on a
        // busy 1280 px frame, which would blow the p95 target).
        let mut cost: Vec<Option<f64>> = vec![None; self.decoders.len()];
        for (index, attempt) in self.plan.iter().enumerate() {
            let Some(decoder) = self.decoders.get(attempt.decoder) else {
                continue;
            };
            // In AllCodes mode the retries are for frames where something is still missing:
            // nothing read at all, or a candidate the finders saw but could not decode. The
            // first attempt always runs in full, on every decoder it names.
            if self.goal == ScanGoal::AllCodes
                && index > 0
                && attempt.step != Step::Original
                && !report.reads.is_empty()
                && unread.is_empty()
            {
                return report;
            }
            if !variants.iter().any(|(s, _)| *s == attempt.step) {
                let built = build_variants(attempt.step, image, &unread);
                variants.push((attempt.step, built));
            }
            let images: &[GrayImage] = variants
                .iter()
                .find(|(s, _)| *s == attempt.step)
                .map(|(_, imgs)| imgs.as_slice())
                .unwrap_or_default();
            let images: Vec<&GrayImage> = if attempt.step == Step::Original {
                vec![image]
            } else {
                images.iter().collect()
            };
            for img in images {
                let elapsed = started.elapsed();
                if report.attempts > 0 {
                    if elapsed >= budget {
                        report.budget_exhausted = true;
                        return report;
                    }
                    let pixels = f64::from(img.width()) * f64::from(img.height());
                    // A decoder not yet timed in this scan is assumed as slow as the slowest
                    // one timed so far.
                    let slowest = cost.iter().flatten().copied().reduce(f64::max);
                    if let Some(rate) = cost[attempt.decoder].or(slowest) {
                        if elapsed.as_secs_f64() + rate * pixels > budget.as_secs_f64() {
                            report.budget_exhausted = true;
                            continue;
                        }
                    }
                }
                report.attempts += 1;
                let t0 = Instant::now();
                let outcome = decode_guarded(decoder.as_ref(), img);
                let rate = t0.elapsed().as_secs_f64()
                    / (f64::from(img.width()) * f64::from(img.height())).max(1.0);
                let known = cost[attempt.decoder].get_or_insert(rate);
                *known = known.max(rate);
                match outcome {
                    Ok(found) => {
                        if let Some(scale) = geometry_scale(attempt.step) {
                            unread.extend(
                                found
                                    .unread
                                    .iter()
                                    .map(|q| q.map(|(x, y)| (x * scale, y * scale))),
                            );
                        }
                        for symbol in found.symbols {
                            report.add(symbol.text, decoder.name(), attempt.step);
                        }
                    }
                    Err(e) => report.errors.push(e),
                }
                if self.goal == ScanGoal::FirstCode && !report.reads.is_empty() {
                    return report;
                }
            }
        }
        report
    }
}

/// Factor from a step's image coordinates back to the frame's, for steps that keep the
/// geometry (up to scale). `None` for crops and rotations.
fn geometry_scale(step: Step) -> Option<f32> {
    match step {
        Step::Original | Step::ContrastStretch | Step::AdaptiveThreshold | Step::Inverted => {
            Some(1.0)
        }
        Step::Downscale => Some(2.0),
        Step::Upscale => Some(0.5),
        Step::FinderCrops | Step::Rotate45 => None,
    }
}

/// The images a step produces (none when the step does not apply to this frame).
fn build_variants(step: Step, image: &GrayImage, unread: &[Quad]) -> Vec<GrayImage> {
    let (width, height) = image.dimensions();
    match step {
        // The frame itself is used by reference, never copied.
        Step::Original => Vec::new(),
        Step::FinderCrops => unread
            .iter()
            .filter_map(|q| crop_around(image, q))
            .collect(),
        Step::ContrastStretch => vec![stretch_contrast(image)],
        Step::AdaptiveThreshold => vec![adaptive_threshold(image)],
        Step::Downscale if width >= 200 && height >= 200 => vec![downscale2(image)],
        Step::Upscale if width.max(height) <= 1000 => vec![upscale2(image)],
        Step::Inverted => vec![invert(image)],
        Step::Rotate45 => vec![rotate45(image)],
        Step::Downscale | Step::Upscale => Vec::new(),
    }
}

/// Bounding box of `quad`, grown by half its size on each side and enlarged so the crop is
/// about 600 px on its long side (at most 4x): rqrr's capstone search needs a few pixels per
/// module. `None` for degenerate or off-image quads.
fn crop_around(image: &GrayImage, quad: &Quad) -> Option<GrayImage> {
    let (w, h) = image.dimensions();
    let min_x = quad.iter().map(|p| p.0).fold(f32::INFINITY, f32::min);
    let max_x = quad.iter().map(|p| p.0).fold(f32::NEG_INFINITY, f32::max);
    let min_y = quad.iter().map(|p| p.1).fold(f32::INFINITY, f32::min);
    let max_y = quad.iter().map(|p| p.1).fold(f32::NEG_INFINITY, f32::max);
    if !(min_x.is_finite() && max_x.is_finite() && min_y.is_finite() && max_y.is_finite()) {
        return None;
    }
    let side = (max_x - min_x).max(max_y - min_y);
    if side < 8.0 {
        return None;
    }
    let margin = side * 0.5;
    let clamp = |v: f32, hi: u32| v.clamp(0.0, hi as f32) as u32;
    let (x0, y0) = (clamp(min_x - margin, w), clamp(min_y - margin, h));
    let (x1, y1) = (clamp(max_x + margin, w), clamp(max_y + margin, h));
    if x1 <= x0 + 8 || y1 <= y0 + 8 {
        return None;
    }
    let crop = image::imageops::crop_imm(image, x0, y0, x1 - x0, y1 - y0).to_image();
    let long = (x1 - x0).max(y1 - y0) as f32;
    let scale = (600.0 / long).clamp(1.0, 4.0);
    if scale <= 1.05 {
        return Some(crop);
    }
    let nw = ((x1 - x0) as f32 * scale) as u32;
    let nh = ((y1 - y0) as f32 * scale) as u32;
    Some(image::imageops::resize(
        &crop,
        nw,
        nh,
        image::imageops::FilterType::Triangle,
    ))
}

/// Maps the 1st..99th percentile of the histogram onto 0..255 (a lookup table, one pass).
fn stretch_contrast(image: &GrayImage) -> GrayImage {
    let mut hist = [0u64; 256];
    for p in image.as_raw() {
        hist[usize::from(*p)] += 1;
    }
    let total: u64 = hist.iter().sum();
    let cut = total / 100;
    let percentile = |from_low: bool| -> u8 {
        let mut acc = 0;
        let order: Box<dyn Iterator<Item = usize>> = if from_low {
            Box::new(0..256)
        } else {
            Box::new((0..256).rev())
        };
        for v in order {
            acc += hist[v];
            if acc > cut {
                return v as u8;
            }
        }
        if from_low {
            0
        } else {
            255
        }
    };
    let (lo, hi) = (percentile(true), percentile(false));
    if hi <= lo {
        return image.clone();
    }
    let span = f32::from(hi - lo);
    let lut: Vec<u8> = (0..=255u8)
        .map(|v| ((f32::from(v.saturating_sub(lo)) / span) * 255.0).clamp(0.0, 255.0) as u8)
        .collect();
    map_pixels(image, |v| lut[usize::from(v)])
}

/// Local mean threshold with a window of about 1/16 of the short side.
fn adaptive_threshold(image: &GrayImage) -> GrayImage {
    let radius = (image.width().min(image.height()) / 32).max(4);
    imageproc::contrast::adaptive_threshold(image, radius, 3)
}

/// Half size by averaging 2x2 blocks.
fn downscale2(image: &GrayImage) -> GrayImage {
    let (w, h) = (image.width() / 2, image.height() / 2);
    let src = image.as_raw();
    let stride = image.width() as usize;
    let mut out = Vec::with_capacity((w * h) as usize);
    for y in 0..h as usize {
        let r0 = &src[2 * y * stride..];
        let r1 = &src[(2 * y + 1) * stride..];
        for x in 0..w as usize {
            let sum = u16::from(r0[2 * x])
                + u16::from(r0[2 * x + 1])
                + u16::from(r1[2 * x])
                + u16::from(r1[2 * x + 1]);
            out.push((sum / 4) as u8);
        }
    }
    GrayImage::from_raw(w, h, out).unwrap_or_else(|| image.clone())
}

/// Double size, bilinear.
fn upscale2(image: &GrayImage) -> GrayImage {
    image::imageops::resize(
        image,
        image.width() * 2,
        image.height() * 2,
        image::imageops::FilterType::Triangle,
    )
}

fn invert(image: &GrayImage) -> GrayImage {
    map_pixels(image, |v| 255 - v)
}

/// Rotation by 45 degrees without cropping the corners, white background (the quiet zone).
fn rotate45(image: &GrayImage) -> GrayImage {
    imageproc::geometric_transformations::rotate_about_center_no_crop(
        image,
        std::f32::consts::FRAC_PI_4,
        imageproc::geometric_transformations::Interpolation::Bilinear,
        imageproc::geometric_transformations::Border::Constant(Luma([255])),
    )
}

fn map_pixels(image: &GrayImage, f: impl Fn(u8) -> u8) -> GrayImage {
    let data = image.as_raw().iter().map(|&v| f(v)).collect();
    GrayImage::from_raw(image.width(), image.height(), data).unwrap_or_else(|| image.clone())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn contrast_stretch_spreads_a_narrow_histogram_to_full_range() {
        let img = GrayImage::from_fn(100, 100, |x, _| Luma([100 + (x % 2) as u8 * 20]));
        let out = stretch_contrast(&img);
        let (lo, hi) = out
            .as_raw()
            .iter()
            .fold((255u8, 0u8), |(lo, hi), &v| (lo.min(v), hi.max(v)));
        assert_eq!(
            (lo, hi),
            (0, 255),
            "a two-level image must map to black and white"
        );
    }

    #[test]
    fn downscale_averages_two_by_two_blocks() {
        let img = GrayImage::from_fn(4, 2, |x, y| Luma([(x * 10 + y * 100) as u8]));
        let out = downscale2(&img);
        assert_eq!(out.dimensions(), (2, 1), "4x2 halves to 2x1");
        assert_eq!(out.get_pixel(0, 0)[0], 55, "mean of 0, 10, 100, 110");
    }

    #[test]
    fn crop_around_enlarges_a_small_candidate() {
        let img = GrayImage::new(1280, 720);
        let quad = [
            (600.0, 300.0),
            (640.0, 300.0),
            (640.0, 340.0),
            (600.0, 340.0),
        ];
        let crop =
            crop_around(&img, &quad).expect("a 40 px candidate inside the frame is croppable");
        assert!(
            crop.width() >= 300,
            "an 80 px crop is enlarged for the finders, got {}",
            crop.width()
        );
    }

    #[test]
    fn crop_around_rejects_degenerate_quads() {
        let img = GrayImage::new(100, 100);
        let quad = [(f32::NAN, 0.0), (1.0, 1.0), (2.0, 2.0), (3.0, 3.0)];
        assert!(
            crop_around(&img, &quad).is_none(),
            "NaN corners must not produce a crop"
        );
    }
}
