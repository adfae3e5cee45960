//! Times the nightly VRS export of the demo city: 65,000 residents, 130,000 dose records
//! (both doses), in a ledger file as HQ has it. Goal (issue 6): under 1 s.
//!
//! `cargo bench -p vax-vrs --bench export` (release profile). Each run copies a freshly
//! built ledger file, so every run exports all 130,000 records; the figure is the export
//! call alone (read, validate, record the batch, render, hash, write and sync the files).
//! `VRS_BENCH_RUNS` sets the number of runs (default 5).

use std::path::Path;
use std::time::{Duration, Instant};

use chrono::{DateTime, Duration as Span, FixedOffset, NaiveDate};
use vax_domain::product::Catalogue;
use vax_domain::resident::Sex;
use vax_domain::venue::{Coordinates, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::{Ledger, NewDose};
use vax_vrs::{export_batch, regenerate_batch, ExportOptions};

#[path = "../tests/vrs/resident.rs"]
mod resident;

const RESIDENTS: u32 = 65_000;

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("a fixed instant")
}

/// Builds the demo city through the ledger's write API.
fn build(path: &Path) {
    let mut ledger = Ledger::open(path).expect("create the ledger");
    let tx = ledger.transaction().expect("transaction");
    let now = at("2021-05-01T09:00:00+09:00");
    let venues: Vec<i64> = (1..=8)
        .map(|i| {
            tx.insert_venue(&Venue {
                code: format!("V{i:02}"),
                name: format!("舞鶴市第{i}接種会場"),
                address: "京都府舞鶴市".into(),
                location: Coordinates {
                    lat: 35.47,
                    lon: 135.39,
                },
            })
            .expect("venue")
        })
        .collect();
    let lots: Vec<i64> = (0..24)
        .map(|i| {
            let product = if i % 3 == 0 { "spikevax" } else { "comirnaty" };
            tx.lot(product, &format!("FF{:04}", 3600 + i), None)
                .expect("lot")
        })
        .collect();
    let municipality = MunicipalityCode::parse("262021").expect("Maizuru");
    let first_day = at("2021-05-24T09:00:00+09:00");
    for i in 0..RESIDENTS {
        let resident = resident::at_minami_tanabe(
            municipality.clone(),
            VoucherNumber::parse(&format!("{:010}", 1_000_000 + i)).expect("voucher"),
            format!("舞鶴 住民{i}"),
            "マイヅル ジュウミン",
            NaiveDate::from_ymd_opt(1940 + (i % 40) as i32, 4, 1).expect("date"),
            if i % 2 == 0 { Sex::Female } else { Sex::Male },
        );
        tx.upsert_resident(&resident, &now).expect("resident");
        let id = i64::from(i) + 1;
        let lot = lots[(i % 24) as usize];
        let venue = venues[(i % 8) as usize];
        let given =
            first_day + Span::days(i64::from(i % 40)) + Span::minutes(i64::from((i / 40) % 480));
        for dose in 1..=2u8 {
            let given = given + Span::days(if dose == 2 { 21 } else { 0 });
            tx.insert_dose(&NewDose {
                uid: None,
                resident_id: id,
                dose_number: dose,
                administered_at: given,
                venue_id: venue,
                lot_id: lot,
                vaccinator: format!("医師{}", i % 50),
                injection_site: "左上腕".into(),
                recorded_at: given + Span::seconds(40),
            })
            .expect("dose");
        }
    }
    tx.commit().expect("commit");
}

/// One export run with the built-in catalogue and the default options into `out`.
fn export(
    ledger: &mut Ledger,
    out: &Path,
    now: DateTime<FixedOffset>,
) -> Result<vax_vrs::BatchReport, vax_vrs::VrsError> {
    export_batch(
        ledger,
        Catalogue::builtin(),
        &ExportOptions::default(),
        out,
        now,
        &mut |_, _| {},
    )
}

fn stats(mut runs: Vec<Duration>) -> (Duration, Duration, Duration) {
    runs.sort();
    (runs[0], runs[runs.len() / 2], runs[runs.len() - 1])
}

fn main() {
    // `cargo test --all-targets` runs bench binaries without `--bench`: the benchmark is for
    // `cargo bench` only.
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let runs: usize = std::env::var("VRS_BENCH_RUNS")
        .ok()
        .and_then(|s| s.parse().ok())
        .unwrap_or(5);
    let dir = tempfile::tempdir().expect("temp dir");
    let template = dir.path().join("template.sqlite3");
    let started = Instant::now();
    build(&template);
    println!(
        "built {RESIDENTS} residents / {} doses in {:.1?}",
        RESIDENTS * 2,
        started.elapsed()
    );

    let now = at("2021-08-31T23:00:00+09:00");
    let mut first = Vec::new();
    let mut rerun = Vec::new();
    let mut regenerate = Vec::new();
    for run in 0..runs {
        let path = dir.path().join(format!("run{run}.sqlite3"));
        std::fs::copy(&template, &path).expect("copy the ledger");
        let mut ledger = Ledger::open(&path).expect("open");
        let out = dir.path().join(format!("out{run}"));

        let t = Instant::now();
        let report = export(&mut ledger, &out, now).expect("export");
        first.push(t.elapsed());
        assert_eq!(
            report.exported,
            u64::from(RESIDENTS) * 2,
            "every dose is exported"
        );

        let t = Instant::now();
        let again = export(&mut ledger, &out, now).expect("re-run");
        rerun.push(t.elapsed());
        assert_eq!(again.batch, None, "the re-run has nothing new");

        let t = Instant::now();
        regenerate_batch(&ledger, 1, &dir.path().join(format!("again{run}"))).expect("regenerate");
        regenerate.push(t.elapsed());
        let bytes: u64 = report.files.iter().map(|f| f.bytes).sum();
        println!(
            "run {run}: export {:.1?} ({bytes} bytes in {} files), re-run {:.1?}, regenerate {:.1?}",
            first[run],
            report.files.len(),
            rerun[run],
            regenerate[run]
        );
    }
    for (what, d) in [
        ("export of 130,000 doses", first),
        ("re-run with nothing new", rerun),
        ("regenerate the batch", regenerate),
    ] {
        let (min, median, max) = stats(d);
        println!("{what}: median {median:.1?} (min {min:.1?}, max {max:.1?}, {runs} runs)");
    }
}
