//! The decoder pipeline: cheap decode first, then preprocessed retries within a time budget.

use std::sync::atomic::{AtomicU64, Ordering};
use std::time::{Duration, Instant};

use image::{GrayImage, Luma};

use crate::decode::{
    decode_guarded, DecodeError, Decoder, Quad, RqrrDecoder, RxingBinarizer, RxingDecoder,
};
use crate::frame::Frame;

/// A version of the frame a decoder reads: the frame itself or a transformation of it.
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
    /// Half size, averaged: blur and sensor noise average out, and big codes fit the
    /// finder search better.
    Downscale,
    /// One third of the size: very close or very blurred codes, whose modules are a dozen
    /// pixels or more.
    DownscaleThird,
    /// One and a half times the size (frames up to 1000 px): small codes in a small frame.
    UpscaleOneAndHalf,
    /// Double size (frames up to 1000 px): codes with modules of 1-2 pixels.
    Upscale,
    /// Dark and light swapped: codes shown on a phone in dark mode.
    Inverted,
    /// Rotated by 45 degrees: some finders lose codes near 45 degrees.
    Rotate45,
}

impl Step {
    /// Number of steps, for per-step tables.
    const COUNT: usize = 10;

    /// A dense index for per-step tables.
    fn index(self) -> usize {
        match self {
            Step::Original => 0,
            Step::FinderCrops => 1,
            Step::ContrastStretch => 2,
            Step::AdaptiveThreshold => 3,
            Step::Downscale => 4,
            Step::DownscaleThird => 5,
            Step::UpscaleOneAndHalf => 6,
            Step::Upscale => 7,
            Step::Inverted => 8,
            Step::Rotate45 => 9,
        }
    }

    /// Whether the step makes sense for a frame of this size: shrinking a small frame or
    /// enlarging a large one only costs time. (Crops also need candidates, see
    /// [`build_variants`].)
    fn applies(self, width: u32, height: u32) -> bool {
        match self {
            Step::Downscale => width >= 200 && height >= 200,
            Step::DownscaleThird => width >= 300 && height >= 300,
            Step::UpscaleOneAndHalf | Step::Upscale => width.max(height) <= 1000,
            Step::Original
            | Step::FinderCrops
            | Step::ContrastStretch
            | Step::AdaptiveThreshold
            | Step::Inverted
            | Step::Rotate45 => true,
        }
    }

    /// Every step, cheap and most often useful first: the default for [`Pipeline::new`].
    /// [`Pipeline::standard`] uses its own measured plan instead.
    pub const STANDARD: [Step; Step::COUNT] = [
        Step::Original,
        Step::FinderCrops,
        Step::ContrastStretch,
        Step::Downscale,
        Step::AdaptiveThreshold,
        Step::DownscaleThird,
        Step::UpscaleOneAndHalf,
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
    /// In [`ScanGoal::AllCodes`] mode, how many leading attempts of the plan run on every
    /// frame, even after codes were read (see [`Pipeline::with_sweep`]).
    sweep: usize,
    /// Each decoder's cost per pixel of the image it reads, learnt over the frames scanned
    /// so far.
    learnt: Vec<LearntCost>,
    /// Each step's cost of building its images, per pixel of the frame, by [`Step::index`].
    learnt_builds: [LearntCost; Step::COUNT],
}

/// A cost in seconds per pixel, averaged over past frames (exponentially, so it follows the
/// machine's load). An attempt skipped because of it lowers it a little ([`LearntCost::decay`]):
/// otherwise one slow frame (a load spike, a pathological image) would keep a decoder off for
/// the rest of the day, since a skipped attempt is never timed again. Shared by the scans of
/// one pipeline; a lost update under a race only delays the average.
#[derive(Debug, Default)]
struct LearntCost(AtomicU64);

impl LearntCost {
    const UNKNOWN: u64 = 0;

    fn get(&self) -> Option<f64> {
        match self.0.load(Ordering::Relaxed) {
            Self::UNKNOWN => None,
            bits => Some(f64::from_bits(bits)),
        }
    }

    fn record(&self, seconds_per_pixel: f64) {
        let next = match self.get() {
            Some(old) => 0.75 * old + 0.25 * seconds_per_pixel,
            None => seconds_per_pixel,
        };
        self.store(next);
    }

    /// Lowers the estimate by a fifth: after a dozen skipped frames an estimate ten times too
    /// high is back within reach, and the attempt is timed afresh.
    fn decay(&self) {
        if let Some(old) = self.get() {
            self.store(old * 0.8);
        }
    }

    fn store(&self, seconds_per_pixel: f64) {
        if seconds_per_pixel > 0.0 && seconds_per_pixel.is_finite() {
            self.0.store(seconds_per_pixel.to_bits(), Ordering::Relaxed);
        }
    }
}

impl std::fmt::Debug for Pipeline {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Pipeline")
            .field("decoders", &self.decoder_names())
            .field("plan", &self.plan)
            .field("goal", &self.goal)
            .field("sweep", &self.sweep)
            .finish()
    }
}

impl Pipeline {
    /// Pipeline with the given decoders, every decoder tried on every [`Step::STANDARD`] step
    /// (step by step, decoders in the given order), stopping at the first code. In
    /// [`ScanGoal::AllCodes`] mode the sweep is one attempt per decoder: with this plan, every
    /// decoder on the original frame. [`Pipeline::with_plan`] keeps the sweep's length; set
    /// it with [`Pipeline::with_sweep`].
    pub fn new(decoders: Vec<Box<dyn Decoder>>) -> Self {
        let plan = Step::STANDARD
            .iter()
            .flat_map(|&step| (0..decoders.len()).map(move |decoder| Attempt { step, decoder }))
            .collect();
        let sweep = decoders.len().max(1);
        let learnt = decoders.iter().map(|_| LearntCost::default()).collect();
        Self {
            decoders,
            plan,
            goal: ScanGoal::FirstCode,
            sweep,
            learnt,
            learnt_builds: Default::default(),
        }
    }

    /// The measured best plan on `shared/data/qr-blackbox` (see `docs/BENCHMARKS.md`).
    ///
    /// rxing first, because it is both the fastest (about 1 ms per 1280 px frame) and the best
    /// single decoder there (165/179 zxing images alone). Then rxing with a global threshold on
    /// a half-size frame, which reads the codes a sheet of several holds beside the first one
    /// (different sizes, one light, one dark); in `AllCodes` mode these two make the sweep that
    /// every frame gets. The retries follow for frames where nothing was read: scale changes
    /// each decoder handles best, contrast stretch, rqrr and crops around the finder patterns it
    /// saw but could not decode, then the rarer rescues (dark-mode screens, uneven light,
    /// 45-degree rotations).
    ///
    /// The order was chosen greedily from every (step, decoder) pair measured on each image of
    /// the set, with the time each took, so it fits that set; `docs/BENCHMARKS.md` also gives
    /// the two-fold cross-validated gain. The issue planned rqrr as the cheap first path, but
    /// measured it is ten times slower than rxing and reads fewer codes, so it runs only when
    /// rxing failed.
    pub fn standard() -> Self {
        const RXING: usize = 0;
        const RQRR: usize = 1;
        const RXING_GLOBAL: usize = 2;
        let plan = [
            (Step::Original, RXING),
            (Step::Downscale, RXING_GLOBAL),
            (Step::UpscaleOneAndHalf, RXING_GLOBAL),
            (Step::Upscale, RQRR),
            (Step::DownscaleThird, RXING),
            (Step::ContrastStretch, RXING),
            (Step::Downscale, RQRR),
            (Step::FinderCrops, RXING),
            (Step::FinderCrops, RQRR),
            (Step::Inverted, RXING),
            (Step::Original, RQRR),
            (Step::AdaptiveThreshold, RXING),
            (Step::Original, RXING_GLOBAL),
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
        Self::new(decoders)
            .with_plan(plan.map(|(step, decoder)| Attempt { step, decoder }))
            .with_sweep(2)
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

    /// In [`ScanGoal::AllCodes`] mode, the first `attempts` of the plan run on every frame
    /// (budget permitting); the attempts after them only while nothing was read or a candidate
    /// is still unread. At least 1. A frame holding several codes often shows them at
    /// different sizes or contrasts, which one decoder setting does not read all of.
    #[must_use]
    pub fn with_sweep(mut self, attempts: usize) -> Self {
        self.sweep = attempts.max(1);
        self
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
    /// `budget` has elapsed, and not at all when its expected cost (building its image plus
    /// decoding, from this scan's and earlier frames' timings) would overrun the budget. A
    /// frame therefore takes about `budget` plus at most one attempt whose cost was not yet
    /// known. Never panics because of a decoder: panics are caught and listed in
    /// [`ScanReport::errors`].
    pub fn scan(&self, image: &GrayImage, budget: Duration) -> ScanReport {
        let started = Instant::now();
        let mut report = ScanReport::default();
        let (width, height) = image.dimensions();
        if width == 0 || height == 0 {
            return report;
        }
        let frame_pixels = f64::from(width) * f64::from(height);
        let mut unread: Vec<Quad> = Vec::new();
        // Each preprocessed version is built once, on first use, and shared by the decoders
        // that try it. Crops are built when first needed, from the candidates seen so far.
        let mut variants: Vec<(Step, Vec<GrayImage>)> = Vec::new();
        // Seconds per pixel each decoder took in this scan so far (else over past frames): an
        // attempt that would clearly overrun the budget is skipped instead of started (rqrr
        // can take 40 ms on a busy 1280 px frame, which would blow the p95 target).
        let mut cost: Vec<Option<f64>> = vec![None; self.decoders.len()];
        for (index, attempt) in self.plan.iter().enumerate() {
            let Some(decoder) = self.decoders.get(attempt.decoder) else {
                continue;
            };
            // In AllCodes mode the retries after the sweep are for frames where something is
            // still missing: nothing read at all, or a candidate the finders saw but could not
            // decode.
            if self.goal == ScanGoal::AllCodes
                && index >= self.sweep
                && !report.reads.is_empty()
                && unread.is_empty()
            {
                return report;
            }
            if !attempt.step.applies(width, height) {
                continue;
            }
            let built = variants.iter().any(|(s, _)| *s == attempt.step);
            if report.attempts > 0 {
                if started.elapsed() >= budget {
                    report.budget_exhausted = true;
                    return report;
                }
                // Building a version costs time too (a resize, a rotation): not for an
                // attempt that could not finish anyway.
                if let (false, Some(area)) = (built, area_factor(attempt.step)) {
                    let build = &self.learnt_builds[attempt.step.index()];
                    let build_secs = build.get().unwrap_or(0.0) * frame_pixels;
                    if !self.fits(
                        &cost,
                        attempt.decoder,
                        area * frame_pixels,
                        build_secs,
                        started,
                        budget,
                    ) {
                        build.decay();
                        report.budget_exhausted = true;
                        continue;
                    }
                }
            }
            if !variants.iter().any(|(s, _)| *s == attempt.step) {
                let t0 = Instant::now();
                let built = build_variants(attempt.step, image, &unread);
                if !built.is_empty() {
                    self.learnt_builds[attempt.step.index()]
                        .record(t0.elapsed().as_secs_f64() / frame_pixels);
                }
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
                let pixels = f64::from(img.width()) * f64::from(img.height());
                if report.attempts > 0 {
                    if started.elapsed() >= budget {
                        report.budget_exhausted = true;
                        return report;
                    }
                    if !self.fits(&cost, attempt.decoder, pixels, 0.0, started, budget) {
                        report.budget_exhausted = true;
                        continue;
                    }
                }
                report.attempts += 1;
                let t0 = Instant::now();
                let outcome = decode_guarded(decoder.as_ref(), img);
                let rate = t0.elapsed().as_secs_f64() / pixels.max(1.0);
                let known = cost[attempt.decoder].get_or_insert(rate);
                *known = known.max(rate);
                self.learnt[attempt.decoder].record(rate);
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

    /// Whether decoding `pixels` with decoder `decoder`, after `build` seconds of preparing
    /// the image, ends within the budget. The decoder's cost per pixel is the one measured in
    /// this scan (`cost`), else the one learnt over earlier frames, else that of the slowest
    /// decoder measured in this scan; with none known the attempt runs. A skip decided on the
    /// learnt cost lowers it ([`LearntCost::decay`]).
    fn fits(
        &self,
        cost: &[Option<f64>],
        decoder: usize,
        pixels: f64,
        build: f64,
        started: Instant,
        budget: Duration,
    ) -> bool {
        let learnt = &self.learnt[decoder];
        let (rate, from_learnt) = match (cost[decoder], learnt.get()) {
            (Some(measured), _) => (measured, false),
            (None, Some(learnt)) => (learnt, true),
            (None, None) => (cost.iter().flatten().copied().fold(0.0, f64::max), false),
        };
        let fits = started.elapsed().as_secs_f64() + build + rate * pixels <= budget.as_secs_f64();
        if !fits && from_learnt {
            learnt.decay();
        }
        fits
    }
}

/// The step's image size relative to the frame's, for the steps that keep the frame's geometry
/// (up to scale): 1 for those that only change pixel values, the resize factor for the scale
/// steps. `None` for crops and the rotation.
fn size_factor(step: Step) -> Option<f32> {
    match step {
        Step::Original | Step::ContrastStretch | Step::AdaptiveThreshold | Step::Inverted => {
            Some(1.0)
        }
        Step::Downscale => Some(0.5),
        Step::DownscaleThird => Some(1.0 / 3.0),
        Step::UpscaleOneAndHalf => Some(1.5),
        Step::Upscale => Some(2.0),
        Step::FinderCrops | Step::Rotate45 => None,
    }
}

/// Factor from a step's image coordinates back to the frame's. `None` for crops and the
/// rotation.
fn geometry_scale(step: Step) -> Option<f32> {
    size_factor(step).map(|f| 1.0 / f)
}

/// A step's image area relative to the frame's, for the steps whose size is known before
/// building them. `None` for crops.
fn area_factor(step: Step) -> Option<f64> {
    match step {
        // The corners grow the square by up to half again on each side.
        Step::Rotate45 => Some(2.0),
        _ => size_factor(step).map(|f| f64::from(f * f)),
    }
}

/// The images a step produces (none when the step does not apply to this frame).
fn build_variants(step: Step, image: &GrayImage, unread: &[Quad]) -> Vec<GrayImage> {
    let (width, height) = image.dimensions();
    if !step.applies(width, height) {
        return Vec::new();
    }
    match step {
        // The frame itself is used by reference, never copied.
        Step::Original => Vec::new(),
        Step::FinderCrops => unread
            .iter()
            .filter_map(|q| crop_around(image, q))
            .collect(),
        Step::ContrastStretch => vec![stretch_contrast(image)],
        Step::AdaptiveThreshold => vec![adaptive_threshold(image)],
        Step::Downscale | Step::DownscaleThird | Step::UpscaleOneAndHalf | Step::Upscale => {
            size_factor(step)
                .map(|f| scale_by(image, f))
                .into_iter()
                .collect()
        }
        Step::Inverted => vec![invert(image)],
        Step::Rotate45 => vec![rotate45(image)],
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
    Some(resize(&crop, nw, nh))
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

/// Resized by `factor`.
fn scale_by(image: &GrayImage, factor: f32) -> GrayImage {
    let scaled = |side: u32| ((side as f32 * factor) as u32).max(1);
    resize(image, scaled(image.width()), scaled(image.height()))
}

/// `image` resized to `width` x `height` with fast_image_resize (SIMD; the `image` crate's
/// resize took 70 ms to enlarge a 1000 px frame by half, three budgets' worth). Bilinear, as
/// a convolution: when shrinking it averages the pixels each output pixel covers, so blur and
/// sensor noise average out (measured slightly better than a box filter on the data set).
fn resize(image: &GrayImage, width: u32, height: u32) -> GrayImage {
    use fast_image_resize::{images, FilterType, PixelType, ResizeAlg, ResizeOptions, Resizer};

    let resized =
        images::ImageRef::new(image.width(), image.height(), image.as_raw(), PixelType::U8)
            .ok()
            .and_then(|src| {
                let mut dst = images::Image::new(width, height, PixelType::U8);
                let options =
                    ResizeOptions::new().resize_alg(ResizeAlg::Convolution(FilterType::Bilinear));
                Resizer::new().resize(&src, &mut dst, &options).ok()?;
                GrayImage::from_raw(width, height, dst.into_vec())
            });
    // Only a zero-sized target fails, which no step asks for; the frame as it is keeps the
    // scan going.
    resized.unwrap_or_else(|| image.clone())
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
    fn shrinking_averages_pixel_noise_away() {
        // A one-pixel checkerboard is sensor noise at this scale: halved, it must become an
        // even gray, not aliased stripes.
        let img = GrayImage::from_fn(64, 48, |x, y| {
            Luma([if (x + y) % 2 == 0 { 0 } else { 200 }])
        });
        let out = scale_by(&img, 0.5);
        assert_eq!(out.dimensions(), (32, 24), "64x48 halves to 32x24");
        assert!(
            out.pixels().all(|p| (80..=120).contains(&p[0])),
            "every pixel near the mean 100, got {:?}",
            (
                out.pixels().map(|p| p[0]).min(),
                out.pixels().map(|p| p[0]).max()
            )
        );
    }

    #[test]
    fn enlarging_keeps_the_picture() {
        let img = GrayImage::from_fn(40, 20, |x, _| Luma([if x < 20 { 0 } else { 255 }]));
        let out = scale_by(&img, 1.5);
        assert_eq!(out.dimensions(), (60, 30), "40x20 grows by half to 60x30");
        assert_eq!(out.get_pixel(5, 10)[0], 0, "the left half stays black");
        assert_eq!(out.get_pixel(55, 10)[0], 255, "the right half stays white");
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
