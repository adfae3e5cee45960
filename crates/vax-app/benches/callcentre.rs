//! Call-centre and dashboard benchmarks for issue 16, run with
//! `cargo bench -p vax-app --bench callcentre`.
//!
//! On the 65,000-resident demo city with a full campaign — both doses of every booking given
//! on its booked day, a check-in for each, and 20,000 logged calls:
//! - the resident history page (`callcentre::history`, goal < 100 ms), beside the reception's
//!   resident card (`lookup::card`, its peer: the history is the card plus check-ins, notices,
//!   standby calls and follow-ups) measured in the same run;
//! - the HQ dashboard (`reports::dashboard`, every venue, goal < 100 ms) and a venue
//!   manager's (one venue), read from the tallies kept at write time (migration 0017), with
//!   each count beside its baseline by scan (the queries before 0017), both asserted equal.

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

type CampaignRow = (i64, u8, String, i64);

/// A ledger with the city and its campaign, and how long writing each took.
struct Campaign {
    ledger: Ledger,
    rows: Vec<CampaignRow>,
    load: Duration,
    campaign: Duration,
}

/// The 65,000-resident city loaded into a new ledger file, then a full campaign: every
/// booking's dose given on its day, each after a check-in, and 20,000 calls. With
/// `without_tallies`, the dashboard's triggers (migration 0017) are dropped first: the
/// baseline of what keeping the tallies costs the writes.
fn city_with_a_campaign(
    dir: &std::path::Path,
    without_tallies: bool,
) -> Result<Campaign, Box<dyn std::error::Error>> {
    let path = dir.join(if without_tallies {
        "baseline.sqlite3"
    } else {
        "bench.sqlite3"
    });
    let mut ledger = Ledger::open(&path)?;
    if without_tallies {
        let raw = rusqlite::Connection::open(&path)?;
        let triggers: Vec<String> = raw
            .prepare(
                "SELECT name FROM sqlite_master WHERE type = 'trigger' AND name LIKE 'dash_%'",
            )?
            .query_map([], |r| r.get(0))?
            .collect::<Result<_, _>>()?;
        assert!(!triggers.is_empty());
        for t in triggers {
            raw.execute_batch(&format!("DROP TRIGGER {t}"))?;
        }
    }
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
    let load = t.elapsed();

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
    Ok(Campaign {
        ledger,
        rows,
        load,
        campaign: t.elapsed(),
    })
}

fn main() -> Result<(), Box<dyn std::error::Error>> {
    let dir = tempfile::tempdir()?;
    // What the tallies cost the writes: the same city and campaign, without then with them.
    let baseline = city_with_a_campaign(dir.path(), true)?;
    let (base_load, base_campaign) = (baseline.load, baseline.campaign);
    drop(baseline);
    let Campaign {
        ledger,
        rows,
        load,
        campaign,
    } = city_with_a_campaign(dir.path(), false)?;
    println!(
        "writes without the tallies' triggers (baseline): city loaded in {:.1} s, campaign in {:.1} s",
        base_load.as_secs_f64(),
        base_campaign.as_secs_f64()
    );
    println!(
        "writes with them:                                city loaded in {:.1} s, campaign in {:.1} s \
         ({} doses and check-ins, 20,000 calls)",
        load.as_secs_f64(),
        campaign.as_secs_f64(),
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

    let evening = at(&format!("{last_day}T18:00:00+09:00"));
    let (mut hq, mut venue) = (Vec::new(), Vec::new());
    for _ in 0..30 {
        let t = Instant::now();
        let d = dashboard(&ledger, None, evening)?;
        hq.push(t.elapsed());
        assert_eq!(d.campaign_totals.doses as usize, rows.len());
        let t = Instant::now();
        std::hint::black_box(dashboard(&ledger, Some("V03"), evening)?);
        venue.push(t.elapsed());
    }
    report("HQ dashboard (every venue)", hq);
    report("venue manager's dashboard (V03)", venue);

    // At noon of the busiest day, when each venue's leftover forecast counts a full day of
    // bookings band by band (in this campaign everyone checks in at 10:00).
    let mut per_day: std::collections::HashMap<&str, usize> = std::collections::HashMap::new();
    for r in &rows {
        *per_day.entry(r.2.as_str()).or_default() += 1;
    }
    let (busiest, bookings) = per_day
        .into_iter()
        .max_by_key(|(day, n)| (*n, *day))
        .expect("days");
    let noon = at(&format!("{busiest}T12:00:00+09:00"));
    let mut busy = Vec::new();
    for _ in 0..30 {
        let t = Instant::now();
        let d = dashboard(&ledger, None, noon)?;
        busy.push(t.elapsed());
        assert_eq!(d.today_totals.booked as usize, bookings);
    }
    println!("busiest day {busiest}: {bookings} bookings");
    report("HQ dashboard at noon of the busiest day", busy);

    // Where the time goes: each of the dashboard's counts alone, read from the tallies of
    // migration 0017 — and the baseline in the same run: the same counts by scanning the
    // rows (the queries of migration 0013), which must give the same figures.
    let reader = ledger.reader();
    let each =
        |name: &str, runs: usize, f: &mut dyn FnMut() -> Result<(), vax_ledger::LedgerError>| {
            let mut times = Vec::new();
            for _ in 0..runs {
                let t = Instant::now();
                f()?;
                times.push(t.elapsed());
            }
            report(name, times);
            Ok::<(), vax_ledger::LedgerError>(())
        };
    let year_before = last_day - chrono::Days::new(366);
    assert_eq!(
        reader.day_venue_counts(last_day, None)?,
        reader.day_venue_counts_by_scan(last_day, None)?
    );
    assert_eq!(
        reader.day_venue_counts(last_day, Some("V03"))?,
        reader.day_venue_counts_by_scan(last_day, Some("V03"))?
    );
    assert_eq!(reader.coverage_cells()?, reader.coverage_cells_by_scan()?);
    assert_eq!(
        reader.inquiry_counts(year_before, last_day)?,
        reader.inquiry_counts_by_scan(year_before, last_day)?
    );
    assert_eq!(
        vax_app::reports::coverage(&ledger, last_day, false)?,
        vax_app::reports::coverage_by_cells(&ledger, last_day, false)?
    );
    println!("tallies and scans agree");
    each("  day × venue counts (every venue)", 30, &mut || {
        std::hint::black_box(reader.day_venue_counts(last_day, None)?);
        Ok(())
    })?;
    each("  day × venue counts (V03)", 30, &mut || {
        std::hint::black_box(reader.day_venue_counts(last_day, Some("V03"))?);
        Ok(())
    })?;
    each("  coverage cells", 30, &mut || {
        std::hint::black_box(reader.coverage_cells()?);
        Ok(())
    })?;
    each(
        "  coverage by age band (tally summed in SQL)",
        30,
        &mut || {
            std::hint::black_box(vax_app::reports::coverage(&ledger, last_day, false)?);
            Ok(())
        },
    )?;
    each("  inquiry counts", 30, &mut || {
        std::hint::black_box(reader.inquiry_counts(year_before, last_day)?);
        Ok(())
    })?;
    each(
        "baseline: day × venue by scan (every venue)",
        5,
        &mut || {
            std::hint::black_box(reader.day_venue_counts_by_scan(last_day, None)?);
            Ok(())
        },
    )?;
    each("baseline: day × venue by scan (V03)", 5, &mut || {
        std::hint::black_box(reader.day_venue_counts_by_scan(last_day, Some("V03"))?);
        Ok(())
    })?;
    each("baseline: coverage cells by scan", 5, &mut || {
        std::hint::black_box(reader.coverage_cells_by_scan()?);
        Ok(())
    })?;
    each("baseline: coverage by age band by scan", 5, &mut || {
        std::hint::black_box(vax_app::reports::coverage_by_cells(
            &ledger, last_day, false,
        )?);
        Ok(())
    })?;
    each("baseline: inquiry counts by scan", 5, &mut || {
        std::hint::black_box(reader.inquiry_counts_by_scan(year_before, last_day)?);
        Ok(())
    })?;
    Ok(())
}
