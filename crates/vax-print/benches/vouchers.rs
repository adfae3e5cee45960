//! Times the batch voucher PDFs for the demo city and reports peak memory.
//!
//! `cargo bench -p vax-print --bench vouchers` (65,000 residents; `VAX_PRINT_BENCH_N=10000`
//! for fewer, `VAX_PRINT_BENCH_CHUNK` for the pages per file). Without `--bench` it returns
//! at once, because `cargo test --all-targets` runs bench binaries too.

use std::time::Instant;

use chrono::NaiveDate;
use vax_domain::voucher::OcrLine;
use vax_print::{write_voucher_batches, BatchOptions, JapaneseFont, VoucherSheet};

/// A field of /proc/self/status in kB (VmHWM = peak resident set size).
fn status_kb(field: &str) -> u64 {
    std::fs::read_to_string("/proc/self/status")
        .unwrap_or_default()
        .lines()
        .find_map(|l| l.strip_prefix(field))
        .and_then(|v| v.trim().trim_end_matches("kB").trim().parse().ok())
        .unwrap_or(0)
}

fn env_usize(name: &str, default: usize) -> usize {
    std::env::var(name)
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(default)
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let n = env_usize("VAX_PRINT_BENCH_N", 65_000);
    let chunk = env_usize("VAX_PRINT_BENCH_CHUNK", 500);

    let t = Instant::now();
    let font = JapaneseFont::system_default().expect("install fonts-noto-cjk");
    println!(
        "font {:?} loaded in {:.2?}",
        font.config().path,
        t.elapsed()
    );

    let city = vax_demo::generate(&vax_demo::DemoParams::default());
    let municipality = city.municipality.clone();
    let sheets = city
        .residents
        .into_iter()
        .take(n)
        .map(|(r, _)| VoucherSheet {
            postal_code: r.postal_code,
            address: r.address,
            name: r.name,
            // "11" + municipality + voucher: 券種 1, first dose.
            voucher: OcrLine {
                kind: 1,
                dose: 1,
                municipality: municipality.clone(),
                number: r.voucher,
            },
        });
    let before = (status_kb("VmHWM:"), status_kb("VmRSS:"));

    let dir = tempfile::tempdir().expect("temp dir");
    let mut opts = BatchOptions::new(
        dir.path(),
        NaiveDate::from_ymd_opt(2026, 11, 22).expect("date"),
    );
    opts.chunk_size = chunk;
    opts.issuer = "デモ市 健康づくり課".into();
    let total = n;
    let mut last_report = Instant::now();
    let start = Instant::now();
    let report = write_voucher_batches(&font, sheets, total, &opts, &mut |done, total| {
        if last_report.elapsed().as_secs() >= 10 || done == total {
            last_report = Instant::now();
            eprintln!("  {done}/{total} pages, {:.1?}", start.elapsed());
        }
    })
    .expect("batch");
    let elapsed = start.elapsed();
    let bytes: u64 = report
        .files
        .iter()
        .map(|f| std::fs::metadata(f).map_or(0, |m| m.len()))
        .sum();

    println!("pages            {}", report.pages);
    println!(
        "files            {} ({} pages each)",
        report.files.len(),
        chunk
    );
    println!(
        "time             {:.2?} ({:.2} ms/page, {:.0} pages/s)",
        elapsed,
        elapsed.as_secs_f64() * 1000.0 / report.pages.max(1) as f64,
        report.pages as f64 / elapsed.as_secs_f64()
    );
    println!(
        "output           {:.1} MB ({:.1} kB/page)",
        bytes as f64 / 1e6,
        bytes as f64 / 1e3 / report.pages.max(1) as f64
    );
    println!(
        "VmHWM before     {} kB (font + demo city in memory), VmRSS {} kB",
        before.0, before.1
    );
    println!("VmHWM after      {} kB", status_kb("VmHWM:"));
}
