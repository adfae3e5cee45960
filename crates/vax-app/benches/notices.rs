//! Times `make_notice_batch` (letters, SMS and call lists) on the demo city, with the font's
//! glyph memo and without it (`JapaneseFont::uncached`, the behaviour before it), in the same
//! run, and checks that both batches read back as the same letters.
//!
//! `cargo bench -p vax-app --bench notices` (65,000 residents; `VAX_BENCH_RESIDENTS=6500` for
//! fewer; `VAX_BENCH_SKIP_BASELINE=1` makes the batch once, with the memo). Without `--bench` it returns at once (`cargo test --all-targets` runs it too).

use std::path::Path;
use std::process::Command;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate, TimeZone};
use vax_app::demo::load_demo_city;
use vax_app::notices::{make_notice_batch, NoticeBatchReport, NoticeOptions};
use vax_app::print::JapaneseFont;
use vax_app::progress::NoProgress;
use vax_demo::DemoParams;
use vax_domain::clock::jst;
use vax_domain::role::Role;
use vax_ledger::Ledger;

fn at(y: i32, m: u32, d: u32, h: u32) -> DateTime<FixedOffset> {
    jst()
        .with_ymd_and_hms(y, m, d, h, 0, 0)
        .single()
        .expect("a valid instant")
}

/// User CPU time of this process so far (getrusage), so that a loaded machine's wall time
/// does not hide the comparison.
fn cpu() -> Duration {
    let stat = std::fs::read_to_string("/proc/self/stat").unwrap_or_default();
    // Fields after the command's closing parenthesis: utime is the 14th field overall.
    let fields: Vec<&str> = stat
        .rsplit_once(')')
        .map_or(vec![], |(_, rest)| rest.split_whitespace().collect());
    let ticks: u64 = fields.get(11).and_then(|v| v.parse().ok()).unwrap_or(0);
    Duration::from_millis(ticks * 10) // USER_HZ is 100 on Linux
}

fn pdftotext(path: &str) -> String {
    let out = Command::new("pdftotext")
        .args([path, "-"])
        .output()
        .expect("pdftotext (poppler-utils)");
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn batch(
    dir: &Path,
    name: &str,
    params: &DemoParams,
    font: &JapaneseFont,
) -> Result<(NoticeBatchReport, Duration, Duration), Box<dyn std::error::Error>> {
    let mut ledger = Ledger::open(&dir.join(format!("{name}.sqlite3")))?;
    load_demo_city(&mut ledger, params, at(2026, 11, 30, 7), &mut NoProgress)?;
    let (wall, user) = (Instant::now(), cpu());
    let report = make_notice_batch(
        &mut ledger,
        Role::Headquarters,
        font,
        &dir.join(name),
        &NoticeOptions::default(),
        at(2026, 11, 30, 9),
    )?;
    Ok((report, wall.elapsed(), cpu() - user))
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let residents = std::env::var("VAX_BENCH_RESIDENTS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(65_000);
    let params = DemoParams {
        residents,
        start: NaiveDate::from_ymd_opt(2026, 12, 1).expect("a date"),
        ..DemoParams::default()
    };
    let dir = tempfile::tempdir()?;
    let font = JapaneseFont::system_default()?;
    if std::env::var_os("VAX_BENCH_SKIP_BASELINE").is_some() {
        // The whole city once, as HQ makes it (the baseline without the memo takes twice
        // as long again).
        let (after, wall, user) = batch(dir.path(), "cached", &params, &font)?;
        let s = &after.summary;
        let bytes: u64 = after
            .files
            .iter()
            .filter_map(|f| std::fs::metadata(f).ok())
            .map(|m| m.len())
            .sum();
        println!(
            "demo city of {residents}: {} letters, {} SMS, {} calls, {} letter files, {:.0} MB; make_notice_batch {:.1} s wall, {:.1} s user CPU (load average {})",
            s.letters,
            s.sms,
            s.calls,
            after.files.len() - 2,
            bytes as f64 / 1e6,
            wall.as_secs_f64(),
            user.as_secs_f64(),
            std::fs::read_to_string("/proc/loadavg").unwrap_or_default().trim()
        );
        return Ok(());
    }
    let (before, wall_before, cpu_before) =
        batch(dir.path(), "uncached", &params, &font.uncached())?;
    let (after, wall_after, cpu_after) = batch(dir.path(), "cached", &params, &font)?;
    let s = &after.summary;
    println!(
        "demo city of {residents}: {} letters, {} SMS, {} calls, {} letter files",
        s.letters,
        s.sms,
        s.calls,
        after.files.len() - 2
    );
    println!(
        "| make_notice_batch | wall | user CPU |\n|---|---:|---:|\n| without the glyph memo (before) | {:.1} s | {:.1} s |\n| with the glyph memo (after) | {:.1} s | {:.1} s |",
        wall_before.as_secs_f64(),
        cpu_before.as_secs_f64(),
        wall_after.as_secs_f64(),
        cpu_after.as_secs_f64()
    );
    assert_eq!(before.summary, after.summary);
    let pdfs = |r: &NoticeBatchReport| -> Vec<String> {
        r.files
            .iter()
            .filter(|f| f.ends_with(".pdf"))
            .cloned()
            .collect()
    };
    let (b, a) = (pdfs(&before), pdfs(&after));
    assert_eq!(b.len(), a.len());
    // The first and the last file of letters read back alike (the vax-print test compares
    // rendered pixels too).
    for (x, y) in [(b.first(), a.first()), (b.last(), a.last())] {
        if let (Some(x), Some(y)) = (x, y) {
            assert_eq!(pdftotext(x), pdftotext(y), "{x} and {y} differ");
        }
    }
    println!("letters of both runs read back the same (pdftotext, first and last file)");
    Ok(())
}
