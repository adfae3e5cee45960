//! Scores the scanning pipeline on `shared/data/qr-blackbox` the way
//! `shared/docs/PERF-ANCHORS.md` §2 scores rqrr, zxing-cpp and zbar, so the figures compare.
//!
//! - zxing set (179 images): an image passes when one decoded text equals the expected text
//!   (CRLF normalised to LF on both sides).
//! - BoofCV subset (69 photos, 157 codes): codes read = distinct decoded texts, capped at the
//!   labelled count.
//! - Every image is converted to 8-bit grayscale and scaled to at most 1280 px on its long side
//!   (Lanczos3) before timing; the timed call is the pipeline on that buffer: one warm-up call,
//!   then the median of `VAX_SCAN_REPEATS` (default 3) calls, single thread. Each image gets a
//!   fresh pipeline, so the costs it learns come from that image's warm-up call only (like a
//!   camera's earlier frames of the same card); the first, cold calls are summarised too.
//! - Panics = decoder panics caught by the pipeline (they would have crashed the desk).
//!
//! Run: `cargo bench -p vax-scan --bench blackbox [-- DATA_DIR]`.
//! Environment:
//! - `VAX_SCAN_BLACKBOX`: data directory (default `<repo>/../shared/data/qr-blackbox`);
//! - `VAX_SCAN_CONFIGS`: comma list of `rqrr`, `rxing`, `ours`, `ours-desk`, `ours-rqrr-first` (default `rqrr,ours`);
//! - `VAX_SCAN_BUDGET_MS`: per-frame budget of the pipeline (default 20, as `WorkerConfig::default`);
//! - `VAX_SCAN_SUMMARY`: append one TSV line per configuration to this file;
//! - `VAX_SCAN_DETAIL`: write per-image results (TSV) to this file.

use std::collections::{BTreeMap, HashSet};
use std::fmt::Write as _;
use std::path::{Path, PathBuf};
use std::time::{Duration, Instant};

use anyhow_free::{Context, Result};
use image::GrayImage;
use vax_scan::{Pipeline, RqrrDecoder, RxingDecoder, ScanGoal, Step};

/// Minimal error plumbing so the benchmark needs no extra dependency.
mod anyhow_free {
    pub type Result<T> = std::result::Result<T, String>;
    pub trait Context<T> {
        fn context(self, what: impl std::fmt::Display) -> Result<T>;
    }
    impl<T, E: std::fmt::Display> Context<T> for std::result::Result<T, E> {
        fn context(self, what: impl std::fmt::Display) -> Result<T> {
            self.map_err(|e| format!("{what}: {e}"))
        }
    }
}

const MAX_SIDE: u32 = 1280;

struct Entry {
    image: String,
    category: String,
    n_codes: usize,
    expected: Option<String>,
    gray: GrayImage,
}

fn normalise(text: &str) -> String {
    text.replace("\r\n", "\n")
}

fn data_dir() -> PathBuf {
    if let Some(arg) = std::env::args().skip(1).find(|a| !a.starts_with("--")) {
        return PathBuf::from(arg);
    }
    if let Ok(dir) = std::env::var("VAX_SCAN_BLACKBOX") {
        return PathBuf::from(dir);
    }
    // crates/vax-scan -> repo root -> its sibling shared/
    Path::new(env!("CARGO_MANIFEST_DIR")).join("../../../shared/data/qr-blackbox")
}

fn load(dir: &Path) -> Result<Vec<Entry>> {
    let manifest = std::fs::read_to_string(dir.join("manifest.csv")).context(format!(
        "reading {}/manifest.csv (set VAX_SCAN_BLACKBOX)",
        dir.display()
    ))?;
    let mut entries = Vec::new();
    for line in manifest.lines().skip(1).filter(|l| !l.trim().is_empty()) {
        // image,source,category,n_codes,expected_text_file; only `source` may hold commas,
        // so the fields are taken from both ends.
        let fields: Vec<&str> = line.split(',').collect();
        if fields.len() < 5 {
            return Err(format!("malformed manifest line: {line}"));
        }
        let image = fields[0].to_owned();
        let n = fields.len();
        let category = fields[n - 3].to_owned();
        let n_codes: usize = fields[n - 2]
            .parse()
            .context(format!("n_codes in {line}"))?;
        let expected = match fields[n - 1] {
            "" => None,
            file => Some(normalise(
                &std::fs::read_to_string(dir.join(file)).context(format!("reading {file}"))?,
            )),
        };
        let gray = image::open(dir.join(&image))
            .context(format!("decoding {image}"))?
            .into_luma8();
        let (w, h) = gray.dimensions();
        let gray = if w.max(h) > MAX_SIDE {
            let scale = f64::from(MAX_SIDE) / f64::from(w.max(h));
            let (nw, nh) = (
                ((f64::from(w) * scale).round() as u32).max(1),
                ((f64::from(h) * scale).round() as u32).max(1),
            );
            image::imageops::resize(&gray, nw, nh, image::imageops::FilterType::Lanczos3)
        } else {
            gray
        };
        entries.push(Entry {
            image,
            category,
            n_codes,
            expected,
            gray,
        });
    }
    Ok(entries)
}

fn pipeline(name: &str) -> Option<Pipeline> {
    Some(match name {
        "rqrr" => Pipeline::new(vec![Box::new(RqrrDecoder)])
            .with_steps([Step::Original])
            .with_goal(ScanGoal::AllCodes),
        "rxing" => Pipeline::new(vec![Box::new(RxingDecoder::default())])
            .with_steps([Step::Original])
            .with_goal(ScanGoal::AllCodes),
        "ours" => Pipeline::standard().with_goal(ScanGoal::AllCodes),
        // The order the issue started from: rqrr first, then rxing, every step.
        "ours-rqrr-first" => Pipeline::new(vec![
            Box::new(RqrrDecoder),
            Box::new(RxingDecoder::default()),
        ])
        .with_goal(ScanGoal::AllCodes),
        "ours-desk" => Pipeline::standard().with_goal(ScanGoal::FirstCode),
        _ => return None,
    })
}

struct Outcome {
    texts: Vec<String>,
    millis: f64,
    /// The first call, which learns the decoders' and steps' costs.
    cold_millis: f64,
    panics: usize,
}

fn run_one(pipeline: &Pipeline, img: &GrayImage, budget: Duration, repeats: usize) -> Outcome {
    let t0 = Instant::now();
    let warm = pipeline.scan(img, budget);
    let cold_millis = t0.elapsed().as_secs_f64() * 1000.0;
    let mut times = Vec::with_capacity(repeats);
    let mut panics = warm.errors.len();
    let mut texts: Vec<String> = warm.reads.iter().map(|r| r.text.clone()).collect();
    for _ in 0..repeats {
        let t0 = Instant::now();
        let report = pipeline.scan(img, budget);
        times.push(t0.elapsed().as_secs_f64() * 1000.0);
        panics = panics.max(report.errors.len());
        // Score the timed runs, not the warm-up: a budget cut can differ between runs.
        texts = report.reads.into_iter().map(|r| r.text).collect();
    }
    times.sort_by(f64::total_cmp);
    Outcome {
        texts,
        millis: times[times.len() / 2],
        cold_millis,
        panics,
    }
}

fn percentile(sorted: &[f64], p: f64) -> f64 {
    if sorted.is_empty() {
        return 0.0;
    }
    // Nearest-rank, the same as numpy's "higher" is close enough at n = 248.
    let rank = ((p * sorted.len() as f64).ceil() as usize).clamp(1, sorted.len());
    sorted[rank - 1]
}

fn main() -> std::result::Result<(), String> {
    // `cargo test --all-targets` runs bench binaries without `--bench`: the benchmark is for
    // `cargo bench` only (it takes minutes and wants a release build).
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    // Decoder panics are caught and counted by the pipeline; the default hook would print a
    // backtrace line for each into the table.
    std::panic::set_hook(Box::new(|_| {}));
    let dir = data_dir();
    let configs = std::env::var("VAX_SCAN_CONFIGS").unwrap_or_else(|_| "rqrr,ours".to_owned());
    let budget = Duration::from_millis(
        std::env::var("VAX_SCAN_BUDGET_MS")
            .ok()
            .and_then(|v| v.parse().ok())
            .unwrap_or(20),
    );
    let repeats: usize = std::env::var("VAX_SCAN_REPEATS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(3)
        .max(1);
    let t_load = Instant::now();
    let entries = load(&dir)?;
    let zxing_total = entries.iter().filter(|e| e.expected.is_some()).count();
    let boof_total: usize = entries
        .iter()
        .filter(|e| e.expected.is_none())
        .map(|e| e.n_codes)
        .sum();
    println!(
        "qr-blackbox: {} images ({} zxing, BoofCV {} codes) from {}, loaded and scaled to <= {MAX_SIDE} px in {:.1} s; budget {} ms, median of {repeats}",
        entries.len(),
        zxing_total,
        boof_total,
        dir.display(),
        t_load.elapsed().as_secs_f64(),
        budget.as_millis()
    );
    let mut detail = String::new();
    let mut rows = Vec::new();
    let mut cold_lines = Vec::new();
    for name in configs.split(',').map(str::trim).filter(|s| !s.is_empty()) {
        let decoders = pipeline(name)
            .ok_or(format!("unknown configuration {name}"))?
            .decoder_names()
            .join("+");
        let mut zxing_pass = 0;
        let mut boof_codes = 0;
        let mut boof_full = 0;
        let mut panics = 0;
        let mut times = Vec::new();
        let mut cold_times = Vec::new();
        let mut per_cat: BTreeMap<String, (usize, usize)> = BTreeMap::new();
        for e in &entries {
            // A fresh pipeline per image: what it learns about costs comes from this image's
            // warm-up call only (a camera's earlier frames of the same card), never from the
            // images before it, so the figures do not depend on their order.
            let pipeline = pipeline(name).ok_or(format!("unknown configuration {name}"))?;
            let out = run_one(&pipeline, &e.gray, budget, repeats);
            times.push(out.millis);
            cold_times.push(out.cold_millis);
            panics += out.panics;
            let distinct: HashSet<String> = out.texts.iter().map(|t| normalise(t)).collect();
            let score = match &e.expected {
                Some(expected) => usize::from(distinct.contains(expected)),
                None => distinct.len().min(e.n_codes),
            };
            if e.expected.is_some() {
                zxing_pass += score;
            } else {
                boof_codes += score;
                boof_full += usize::from(score == e.n_codes);
            }
            let cat = per_cat.entry(e.category.clone()).or_default();
            cat.0 += score;
            cat.1 += if e.expected.is_some() { 1 } else { e.n_codes };
            let _ = writeln!(
                detail,
                "{name}\t{}\t{score}\t{:.2}\t{}",
                e.image, out.millis, out.panics
            );
        }
        let mean = times.iter().sum::<f64>() / times.len().max(1) as f64;
        times.sort_by(f64::total_cmp);
        cold_times.sort_by(f64::total_cmp);
        cold_lines.push(format!(
            "{name}: first call on each image, nothing learnt yet: mean {:.2} ms, p95 {:.1} ms, max {:.0} ms",
            cold_times.iter().sum::<f64>() / cold_times.len().max(1) as f64,
            percentile(&cold_times, 0.95),
            cold_times.last().copied().unwrap_or(0.0)
        ));
        let row = Row {
            name: name.to_owned(),
            decoders,
            zxing_pass,
            zxing_total,
            boof_codes,
            boof_total,
            boof_full,
            mean,
            median: percentile(&times, 0.5),
            p95: percentile(&times, 0.95),
            max: times.last().copied().unwrap_or(0.0),
            panics,
        };
        println!("\n{name} ({}): per category (read / total)", row.decoders);
        for (cat, (read, total)) in &per_cat {
            println!("  {cat:<14} {read:>3} / {total}");
        }
        rows.push(row);
    }
    println!("\n| decoder | zxing set: exact text | BoofCV: codes read | BoofCV images fully read | mean ms | median ms | p95 ms | max ms | panics |");
    println!("| --- | --- | --- | --- | --- | --- | --- | --- | --- |");
    let mut summary = String::new();
    for r in &rows {
        println!("{}", r.markdown());
        let _ = writeln!(summary, "{}", r.tsv());
    }
    println!();
    for line in &cold_lines {
        println!("{line}");
    }
    if let Ok(path) = std::env::var("VAX_SCAN_SUMMARY") {
        let mut old = std::fs::read_to_string(&path).unwrap_or_default();
        old.push_str(&summary);
        std::fs::write(&path, old).context(format!("writing {path}"))?;
    }
    if let Ok(path) = std::env::var("VAX_SCAN_DETAIL") {
        std::fs::write(&path, detail).context(format!("writing {path}"))?;
    }
    Ok(())
}

struct Row {
    name: String,
    decoders: String,
    zxing_pass: usize,
    zxing_total: usize,
    boof_codes: usize,
    boof_total: usize,
    boof_full: usize,
    mean: f64,
    median: f64,
    p95: f64,
    max: f64,
    panics: usize,
}

impl Row {
    fn pct(a: usize, b: usize) -> f64 {
        100.0 * a as f64 / b.max(1) as f64
    }

    fn markdown(&self) -> String {
        format!(
            "| vax-scan `{}` ({}) | {}/{} ({:.1} %) | {}/{} ({:.1} %) | {} |",
            self.name,
            self.decoders,
            self.zxing_pass,
            self.zxing_total,
            Self::pct(self.zxing_pass, self.zxing_total),
            self.boof_codes,
            self.boof_total,
            Self::pct(self.boof_codes, self.boof_total),
            self.full_and_times(" | ")
        )
    }

    /// Same columns as the peers script prints.
    fn tsv(&self) -> String {
        format!(
            "vax-scan {}\t{}\t{}\t{}\t{}\t{}",
            self.name,
            self.zxing_pass,
            self.zxing_total,
            self.boof_codes,
            self.boof_total,
            self.full_and_times("\t")
        )
    }

    /// The columns both tables end with — full boofcv files, the times (ms) and panics —
    /// joined by `sep`.
    fn full_and_times(&self, sep: &str) -> String {
        [
            self.boof_full.to_string(),
            format!("{:.2}", self.mean),
            format!("{:.2}", self.median),
            format!("{:.1}", self.p95),
            format!("{:.0}", self.max),
            self.panics.to_string(),
        ]
        .join(sep)
    }
}
