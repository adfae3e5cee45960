//! Call-centre and dashboard benchmarks for issue 16, run with
//! `cargo bench -p vax-app --bench callcentre`.
//!
//! On the 65,000-resident demo city with a full campaign — both doses of every booking given
//! on its booked day, a check-in for each, and 20,000 logged calls:
//! - the resident history page (`callcentre::history`, goal < 100 ms), beside the reception's
//!   resident card (`lookup::card`, its peer: the history is the card plus check-ins, notices,
//!   standby calls and follow-ups) measured in the same run;
//! - the HQ dashboard (`reports::dashboard`, every venue, goal < 100 ms) and a venue
//!   manager's (one venue).

use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate};
use vax_app::callcentre::history;
use vax_app::demo::load_demo_city;
use vax_app::lookup::card;
use vax_app::progress::NoProgress;
use vax_app::reports::dashboard;
use vax_demo::DemoParams;
use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
use vax_ledger::{Ledger, NewDose, NewInquiry};

fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).expect("valid")
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn report(name: &str, mut times: Vec<Duration>) {
    times.sort();
    println!(
        "{name:<44} p50 {:>8.2} ms  p99 {:>8.2} ms  max {:>8.2} ms  ({} runs)",
        percentile(&times, 0.5).as_secs_f64() * 1e3,
        percentile(&times, 0.99).as_secs_f64() * 1e3,
        times.last().expect("runs").as_secs_f64() * 1e3,
        times.len()
    );
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    let mut ledger = Ledger::open(&dir.path().join("bench.sqlite3"))?;
    let start: NaiveDate = "2021-05-17".parse()?;
    let t = Instant::now();
    load_demo_city(
        &mut ledger,
        &DemoParams {
            residents: 65_000,
            start,
            ..DemoParams::default()
        },
        at("2021-05-01T09:00:00+09:00"),
        &mut NoProgress,
    )?;
    println!("demo city loaded in {:.1} s", t.elapsed().as_secs_f64());

    // A full campaign: every booking's dose given on its day, each after a check-in.
    let t = Instant::now();
    let rows: Vec<(i64, u8, String, i64)> = {
        let reader = ledger.reader();
        let venues = reader.venues()?;
        let bands: std::collections::HashMap<i64, (String, i64)> = reader
            .band_loads()?
            .into_iter()
            .map(|l| {
                let venue_id = venues
                    .iter()
                    .find(|v| v.venue.code == l.band.venue_code)
                    .expect("venue")
                    .id;
                (l.band.id, (l.band.date.to_string(), venue_id))
            })
            .collect();
        reader
            .all_bookings()?
            .into_iter()
            .map(|b| {
                let (date, venue_id) = bands[&b.band_id].clone();
                (b.resident_id, b.dose_number, date, venue_id)
            })
            .collect()
    };
    let tx = ledger.transaction()?;
    let lot = tx.lot("comirnaty", "FA5765", None)?;
    for (i, (resident_id, dose, date, venue_id)) in rows.iter().enumerate() {
        let when = at(&format!("{date}T10:00:00+09:00"));
        tx.insert_check_in(&format!("c{i}"), *resident_id, *venue_id, *dose, &when)?;
        tx.insert_dose(&NewDose {
            uid: None,
            resident_id: *resident_id,
            dose_number: *dose,
            administered_at: when,
            venue_id: *venue_id,
            lot_id: lot,
            vaccinator: "舞鶴 太郎".into(),
            injection_site: "左上腕".into(),
            recorded_at: when,
        })?;
    }
    for i in 0..20_000i64 {
        let (resident_id, _, date, _) = &rows[(i as usize * 7) % rows.len()];
        tx.insert_inquiry(&NewInquiry {
            uid: None,
            resident_id: Some(*resident_id),
            received_at: at(&format!("{date}T08:00:00+09:00")),
            channel: InquiryChannel::Phone,
            topic: InquiryTopic::ALL[i as usize % InquiryTopic::ALL.len()],
            note: "予約の確認".into(),
            operator: "コール".into(),
            follow_up_needed: i % 10 == 0,
            follow_up_by: String::new(),
            closes: None,
        })?;
    }
    tx.commit()?;
    println!(
        "campaign recorded in {:.1} s: {} doses and check-ins, 20,000 calls",
        t.elapsed().as_secs_f64(),
        rows.len()
    );

    // ISO dates order as text.
    let last_day: NaiveDate = rows
        .iter()
        .map(|r| r.2.as_str())
        .max()
        .expect("days")
        .parse()?;
    let residents: Vec<i64> = rows.iter().step_by(rows.len() / 300).map(|r| r.0).collect();
    let (mut cards, mut histories) = (Vec::new(), Vec::new());
    for id in &residents {
        let t = Instant::now();
        std::hint::black_box(card(&ledger, *id, last_day)?);
        cards.push(t.elapsed());
        let t = Instant::now();
        let h = history(&ledger, *id, last_day)?;
        histories.push(t.elapsed());
        assert_eq!(h.check_ins.len(), h.card.doses.len());
    }
    report("resident card (reception, the peer)", cards);
    report("resident history page (call centre)", histories);

    let (mut hq, mut venue) = (Vec::new(), Vec::new());
    for _ in 0..10 {
        let t = Instant::now();
        let d = dashboard(&ledger, None, last_day)?;
        hq.push(t.elapsed());
        assert_eq!(d.campaign_totals.doses as usize, rows.len());
        let t = Instant::now();
        std::hint::black_box(dashboard(&ledger, Some("V03"), last_day)?);
        venue.push(t.elapsed());
    }
    report("HQ dashboard (every venue)", hq);
    report("venue manager's dashboard (V03)", venue);

    // Where the time goes: each of the dashboard's counts alone.
    let reader = ledger.reader();
    let each = |name: &str, f: &mut dyn FnMut() -> Result<(), vax_ledger::LedgerError>| {
        let mut times = Vec::new();
        for _ in 0..10 {
            let t = Instant::now();
            f()?;
            times.push(t.elapsed());
        }
        report(name, times);
        Ok::<(), vax_ledger::LedgerError>(())
    };
    each("  day × venue counts (every venue)", &mut || {
        std::hint::black_box(reader.day_venue_counts(last_day, None)?);
        Ok(())
    })?;
    each("  day × venue counts (V03)", &mut || {
        std::hint::black_box(reader.day_venue_counts(last_day, Some("V03"))?);
        Ok(())
    })?;
    each("  coverage cells", &mut || {
        std::hint::black_box(reader.coverage_cells()?);
        Ok(())
    })?;
    let year_before = last_day - chrono::Days::new(366);
    each("  inquiry counts", &mut || {
        std::hint::black_box(reader.inquiry_counts(year_before, last_day)?);
        Ok(())
    })?;

    // The baseline in the same run: the queries before migration 0013, on a copy of this
    // ledger without 0013's indexes.
    let copy = dir.path().join("baseline.sqlite3");
    let conn = rusqlite::Connection::open(dir.path().join("bench.sqlite3"))?;
    conn.execute("VACUUM INTO ?1", [copy.to_str().expect("utf-8 path")])?;
    let old = rusqlite::Connection::open(&copy)?;
    for index in [
        "dose_records_valid",
        "dose_records_valid_venue_day",
        "check_ins_valid_venue_day",
        "residents_birth_district",
        "inquiries_day_topic",
    ] {
        old.execute(&format!("DROP INDEX {index}"), [])?;
    }
    // The plans of the new queries, by the bundled SQLite the app runs.
    let version: String = conn.query_row("SELECT sqlite_version()", [], |r| r.get(0))?;
    println!("SQLite {version}; query plans after 0013:");
    for sql in PLANS {
        let mut stmt = conn.prepare(&format!("EXPLAIN QUERY PLAN {sql}"))?;
        let mut rows = stmt.query([])?;
        while let Some(row) = rows.next()? {
            println!("    {}", row.get::<_, String>(3)?);
        }
    }
    let today = last_day.to_string();
    let baseline = |name: &str, queries: &[(&str, bool)]| -> rusqlite::Result<()> {
        let mut times = Vec::new();
        for _ in 0..5 {
            let t = Instant::now();
            for (sql, with_today) in queries {
                let mut stmt = old.prepare_cached(sql)?;
                let mut rows = if *with_today {
                    stmt.query([&today])?
                } else {
                    stmt.query([])?
                };
                while let Some(row) = rows.next()? {
                    std::hint::black_box(row.get::<_, i64>(2)?);
                }
            }
            times.push(t.elapsed());
        }
        report(name, times);
        Ok(())
    };
    baseline("baseline: day × venue counts (before 0013)", &OLD_DAY_VENUE)?;
    baseline(
        "baseline: coverage cells (before 0013)",
        &[(OLD_COVERAGE, false)],
    )?;
    Ok(())
}

/// The dashboard's per-day-and-venue queries before migration 0013 (the baseline).
const OLD_DAY_VENUE: [(&str, bool); 4] = [
    (
        "SELECT tb.date, v.code, COUNT(*) FROM bookings b
         JOIN time_bands tb ON tb.id = b.time_band_id JOIN venues v ON v.id = tb.venue_id
         GROUP BY tb.date, v.code",
        false,
    ),
    (
        "SELECT substr(c.checked_in_at, 1, 10), v.code, COUNT(*) FROM check_ins c
         JOIN venues v ON v.id = c.venue_id WHERE c.cancelled_at IS NULL
         GROUP BY 1, v.code",
        false,
    ),
    (
        "SELECT substr(d.administered_at, 1, 10), v.code, COUNT(*) FROM dose_records d
         JOIN venues v ON v.id = d.venue_id WHERE d.voided_at IS NULL
         GROUP BY 1, v.code",
        false,
    ),
    (
        "SELECT tb.date, v.code, COUNT(*) FROM bookings b
         JOIN time_bands tb ON tb.id = b.time_band_id JOIN venues v ON v.id = tb.venue_id
         WHERE tb.date < ?1 AND NOT EXISTS (
             SELECT 1 FROM dose_records d WHERE d.resident_id = b.resident_id
               AND d.dose_number = b.dose_number AND d.voided_at IS NULL)
         GROUP BY tb.date, v.code",
        true,
    ),
];

/// The dashboard's queries after migration 0013 whose plans the bench prints.
const PLANS: [&str; 3] = [
    "SELECT venue_id, substr(administered_at, 1, 10), COUNT(*) FROM dose_records
     WHERE voided_at IS NULL GROUP BY 1, 2",
    "SELECT tb.id, COUNT(*), SUM(NOT EXISTS (SELECT 1 FROM dose_records d
       WHERE d.resident_id = b.resident_id AND d.dose_number = b.dose_number
         AND d.voided_at IS NULL))
     FROM time_bands tb JOIN bookings b ON b.time_band_id = tb.id GROUP BY tb.id",
    "SELECT r.birth_date, r.district, COUNT(*), SUM(EXISTS (SELECT 1 FROM dose_records d
       WHERE d.resident_id = r.id AND d.dose_number = 1 AND d.voided_at IS NULL))
     FROM residents r GROUP BY 1, 2",
];

/// The coverage query before migration 0013 (the same SQL; 0013 adds its indexes).
const OLD_COVERAGE: &str = "SELECT r.birth_date, r.district, COUNT(*),
        SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                      AND d.dose_number = 1 AND d.voided_at IS NULL)),
        SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                      AND d.dose_number = 2 AND d.voided_at IS NULL))
     FROM residents r GROUP BY r.birth_date, r.district";
