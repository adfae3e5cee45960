//! Dose stock (issue 14), run with `cargo bench -p vax-app --bench stock`:
//!
//! 1. The venue manager's screen (`manager_view`: stock by lot and vial clock, today's
//!    progress, leftover forecast) for a venue with 8 weeks of stock and dose events — goal
//!    under 10 ms. Its parts are timed in the same run: the stock fold alone (`venue_lots`) and
//!    the day's progress alone (`venue_day_summary`, the existing venue-day screen).
//! 2. HQ merging one venue's day of stock and dose ops (check-ins, doses tied to vials, the
//!    stock events of the day) through `Ledger::sync_receive`: stored, merged, invariants
//!    checked, projected into rows — goal under 100 ms.

use std::time::{Duration, Instant};

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime, TimeZone};
use vax_app::demo::load_demo_city;
use vax_app::desk::{enroll, venue_day_summary};
use vax_app::progress::NoProgress;
use vax_app::stock::{manager_view, venue_lots};
use vax_demo::DemoParams;
use vax_domain::clock::jst;
use vax_domain::product::SyringeKind;
use vax_domain::role::Role;
use vax_domain::stock::{SealedState, StockChange, WasteReason};
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::{Ledger, NewDose};
use vax_sync::{
    CheckIn, DeviceKey, Dose, ManualClock, MemoryOpLog, OpKind, ReplicaId, Role as SyncRole,
    StockEvent, SyncNode, SyncState, VenueCode,
};

const VENUE: &str = "V03";
const DAYS: u64 = 56;
const VIALS_A_DAY: u32 = 50;
const DOSES_PER_VIAL: u32 = 6;
/// Doses given from each vial (the sixth is wasted at close now and then).
const GIVEN_PER_VIAL: u32 = 6;

fn start() -> NaiveDate {
    NaiveDate::from_ymd_opt(2021, 5, 17).expect("valid date")
}

fn local(t: NaiveDateTime) -> DateTime<FixedOffset> {
    jst()
        .from_local_datetime(&t)
        .single()
        .expect("JST has no gaps")
}

fn hm(day: NaiveDate, h: u32, m: u32) -> NaiveDateTime {
    day.and_hms_opt(h, m, 0).expect("valid time")
}

fn ms(d: Duration) -> String {
    format!("{:.2} ms", d.as_secs_f64() * 1e3)
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() - 1) as f64 * p).round() as usize]
}

fn event(product: &str, lot: &str, at: NaiveDateTime, change: StockChange) -> StockEvent {
    StockEvent {
        venue: VenueCode::new(VENUE),
        product: product.into(),
        lot: lot.into(),
        at,
        change,
    }
}

/// Writes 8 weeks of a busy venue: a delivery a week, 50 vials thawed and opened a day,
/// 300 doses a day tied to their vials, the leftovers wasted at close, the day closed.
fn eight_weeks(ledger: &mut Ledger) -> Result<(usize, usize), Box<dyn std::error::Error>> {
    let venue = ledger.reader().venue(VENUE)?;
    let residents: Vec<i64> = (1..=ledger.reader().resident_count()? as i64).collect();
    let (mut events, mut doses) = (0, 0);
    let mut next_resident = 0usize;
    for d in 0..DAYS {
        let day = start() + Days::new(d);
        let lot = format!("FA{:04}", d / 7);
        let mut tx = ledger.transaction()?;
        let lot_id = tx.lot("comirnaty", &lot, None)?;
        let at0 = local(hm(day, 7, 30));
        if d % 7 == 0 {
            tx.record_stock(
                &event(
                    "comirnaty",
                    &lot,
                    hm(day, 7, 30),
                    StockChange::Received {
                        // A week's vials and the one broken each week: each lot is used up
                        // by its week's close, as at a venue whose counts balance.
                        vials: VIALS_A_DAY * 7 + 1,
                        expires_on: day + Days::new(180),
                        from: "卸A".into(),
                        thawed_use_by: None,
                    },
                ),
                &at0,
            )?;
            events += 1;
        }
        tx.record_stock(
            &event(
                "comirnaty",
                &lot,
                hm(day, 7, 45),
                StockChange::Thawed {
                    vials: VIALS_A_DAY,
                    use_by: hm(day, 7, 45) + chrono::Duration::days(30),
                },
            ),
            &at0,
        )?;
        events += 1;
        for v in 0..VIALS_A_DAY {
            let opened = hm(day, 9, 0) + chrono::Duration::minutes(i64::from(v) * 9);
            let vial = tx.record_stock(
                &event(
                    "comirnaty",
                    &lot,
                    opened,
                    StockChange::Opened {
                        use_by: opened + chrono::Duration::hours(6),
                        doses: DOSES_PER_VIAL,
                        syringe: SyringeKind::LowDeadSpace,
                    },
                ),
                &at0,
            )?;
            events += 1;
            let given = if v % 5 == 4 {
                GIVEN_PER_VIAL - 1
            } else {
                GIVEN_PER_VIAL
            };
            for k in 0..given {
                let at = local(opened + chrono::Duration::minutes(i64::from(k)));
                let resident_id = residents[next_resident % residents.len()];
                next_resident += 1;
                let uid = tx.insert_dose(&NewDose {
                    uid: None,
                    resident_id,
                    dose_number: 1,
                    administered_at: at,
                    venue_id: venue.id,
                    lot_id,
                    vaccinator: "舞鶴 太郎".into(),
                    injection_site: "左上腕".into(),
                    recorded_at: at,
                })?;
                tx.tie_dose_to_vial(&uid, &vial)?;
                doses += 1;
            }
            if given < DOSES_PER_VIAL {
                tx.record_stock(
                    &event(
                        "comirnaty",
                        &lot,
                        hm(day, 17, 30),
                        StockChange::DosesWasted {
                            vial: vial.clone(),
                            doses: DOSES_PER_VIAL - given,
                            reason: WasteReason::LeftAtClose,
                        },
                    ),
                    &at0,
                )?;
                events += 1;
            }
        }
        if d % 7 == 3 {
            tx.record_stock(
                &event(
                    "comirnaty",
                    &lot,
                    hm(day, 12, 0),
                    StockChange::VialsWasted {
                        vials: 1,
                        from: SealedState::Frozen,
                        reason: WasteReason::Broken,
                    },
                ),
                &at0,
            )?;
            events += 1;
        }
        tx.record_stock(
            &event(
                "comirnaty",
                &lot,
                hm(day, 17, 30),
                StockChange::DayClosed { date: day },
            ),
            &at0,
        )?;
        events += 1;
        tx.commit()?;
    }
    Ok((events, doses))
}

fn time_it<T>(
    runs: usize,
    mut f: impl FnMut() -> Result<T, Box<dyn std::error::Error>>,
) -> Result<Vec<Duration>, Box<dyn std::error::Error>> {
    let mut times = Vec::with_capacity(runs);
    for _ in 0..runs {
        let t = Instant::now();
        std::hint::black_box(f()?);
        times.push(t.elapsed());
    }
    times.sort();
    Ok(times)
}

fn report(what: &str, times: &[Duration], goal: &str) {
    println!(
        "| {what} | {goal} | {} | {} | {} |",
        ms(percentile(times, 0.5)),
        ms(percentile(times, 0.99)),
        ms(times[times.len() - 1])
    );
}

/// One venue's day of ops, written by a venue replica: 300 check-ins, 300 doses tied to 50
/// vials, and the day's stock events.
/// A fixed signing key per replica: the bench measures the merge, not key making.
fn bench_key(replica: u128) -> DeviceKey {
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(&replica.to_be_bytes());
    DeviceKey::from_bytes(&secret)
}

fn venue_day_ops(
    replica: u128,
    vouchers: &[vax_domain::voucher::VoucherNumber],
    day: NaiveDate,
) -> Result<(SyncNode, MemoryOpLog), Box<dyn std::error::Error>> {
    let mut node = SyncNode::new(ReplicaId::from_u128(replica), SyncRole::VenueManager)
        .with_signing_key(bench_key(replica))?;
    let mut log = MemoryOpLog::new();
    let clock = ManualClock::new(1_622_548_800_000);
    let venue = VenueCode::new(VENUE);
    let lot = format!("HQ{replica:04}");
    let stock = |at, change| {
        OpKind::StockEvent(StockEvent {
            venue: venue.clone(),
            product: "comirnaty".into(),
            lot: lot.clone(),
            at,
            change,
        })
    };
    node.write(
        &mut log,
        stock(
            hm(day, 7, 30),
            StockChange::Received {
                vials: VIALS_A_DAY,
                expires_on: day + Days::new(180),
                from: "卸A".into(),
                thawed_use_by: None,
            },
        ),
        &clock,
    )?;
    node.write(
        &mut log,
        stock(
            hm(day, 7, 45),
            StockChange::Thawed {
                vials: VIALS_A_DAY,
                use_by: hm(day, 7, 45) + chrono::Duration::days(30),
            },
        ),
        &clock,
    )?;
    let mut r = 0usize;
    for v in 0..VIALS_A_DAY {
        let opened = hm(day, 9, 0) + chrono::Duration::minutes(i64::from(v) * 9);
        let vial = node.write(
            &mut log,
            stock(
                opened,
                StockChange::Opened {
                    use_by: opened + chrono::Duration::hours(6),
                    doses: DOSES_PER_VIAL,
                    syringe: SyringeKind::LowDeadSpace,
                },
            ),
            &clock,
        )?;
        for k in 0..GIVEN_PER_VIAL {
            let at = opened + chrono::Duration::minutes(i64::from(k));
            let resident = vouchers[r % vouchers.len()].clone();
            r += 1;
            node.write(
                &mut log,
                OpKind::CheckIn(CheckIn {
                    resident: resident.clone(),
                    dose_number: 1,
                    venue: venue.clone(),
                    band: None,
                    at,
                    back_entered: false,
                }),
                &clock,
            )?;
            node.write(
                &mut log,
                OpKind::RecordDose(Dose {
                    resident,
                    dose_number: 1,
                    venue: venue.clone(),
                    product: "comirnaty".into(),
                    lot: lot.clone(),
                    vaccinator: "舞鶴 太郎".into(),
                    administered_at: at,
                    vial: Some(vial.id),
                    overridden: None,
                    injection_site: None,
                    back_entered: false,
                }),
                &clock,
            )?;
        }
    }
    node.write(
        &mut log,
        stock(hm(day, 17, 30), StockChange::DayClosed { date: day }),
        &clock,
    )?;
    Ok((node, log))
}

/// How the live lots were found before migration 0014: every stock event of the venue, its
/// JSON decoded, summed per lot (the bench's baseline).
const LIVE_LOTS_BY_EVENTS: &str = "SELECT product_code, lot_number FROM stock_events
     WHERE venue_code = ?1 AND voided_at IS NULL
     GROUP BY product_code, lot_number
     HAVING SUM(CASE kind
                WHEN 'received' THEN json_extract(change, '$.vials')
                WHEN 'corrected' THEN json_extract(change, '$.vials')
                WHEN 'transferred_out' THEN -json_extract(change, '$.vials')
                WHEN 'vials_wasted' THEN -json_extract(change, '$.vials')
                WHEN 'opened' THEN -1
                ELSE 0 END) <> 0
         OR MAX(kind = 'opened'
                AND (substr(at, 1, 10) = ?2 OR json_extract(change, '$.use_by') >= ?3)) = 1
     ORDER BY product_code, lot_number";

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --benches` runs bench binaries with --bench absent; keep that fast.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let runs: usize = std::env::var("VAX_BENCH_RUNS")
        .ok()
        .and_then(|v| v.parse().ok())
        .unwrap_or(200);
    let dir = tempfile::tempdir()?;
    let municipality = MunicipalityCode::parse(vax_demo::MUNICIPALITY)?;

    // 1. The manager's screen after 8 weeks.
    let mut ledger = Ledger::open(&dir.path().join("venue.sqlite3"))?;
    let params = DemoParams {
        residents: 20_000,
        start: start(),
        ..DemoParams::default()
    };
    load_demo_city(
        &mut ledger,
        &params,
        local(hm(start(), 7, 0)),
        &mut NoProgress,
    )?;
    let e = enroll(&mut ledger, VENUE, Role::VenueManager, &municipality)?;
    let t = Instant::now();
    let (events, doses) = eight_weeks(&mut ledger)?;
    println!(
        "venue {VENUE}: {DAYS} days, {events} stock events and {doses} doses written in {}",
        ms(t.elapsed())
    );
    let now = local(hm(start() + Days::new(DAYS - 1), 14, 0));
    let view = manager_view(&ledger, &e, now)?;
    println!(
        "view at {now}: {} lots shown, {} open vials, forecast {:?}",
        view.lots.len(),
        view.lots.iter().map(|l| l.vials.len()).sum::<usize>(),
        view.forecast
    );
    println!("\n| measure ({runs} calls) | goal | p50 | p99 | max |\n|---|---|---:|---:|---:|");
    let whole = time_it(runs, || Ok(manager_view(&ledger, &e, now)?))?;
    report(
        "`manager_view` (stock, progress, forecast)",
        &whole,
        "< 10 ms",
    );
    let venue = ledger.reader().venue(VENUE)?;
    let live = ledger.reader().live_stock_lots(VENUE, now.naive_local())?;
    println!("<!-- live lots at {now}: {live:?} -->");
    let narrow = time_it(runs, || {
        let stock = ledger.reader().live_venue_stock(venue.id, VENUE, &now)?;
        Ok(vax_domain::stock::lot_states(
            vax_domain::product::Catalogue::builtin(),
            &stock.records,
            &stock.doses,
            now.naive_local(),
        ))
    })?;
    report(
        "its stock fold of the live lots (`Reader::live_venue_stock` + `lot_states`)",
        &narrow,
        "—",
    );
    let finding = time_it(runs, || {
        Ok(ledger.reader().live_stock_lots(VENUE, now.naive_local())?)
    })?;
    report(
        "finding the live lots (`Reader::live_stock_lots`, the running balance per lot)",
        &finding,
        "—",
    );
    // The baseline, same file and run: the same lots found by summing every event's JSON,
    // as `live_stock_lots` did before migration 0014 kept a balance per lot.
    let file = rusqlite::Connection::open_with_flags(
        dir.path().join("venue.sqlite3"),
        rusqlite::OpenFlags::SQLITE_OPEN_READ_ONLY,
    )?;
    let by_events = || -> rusqlite::Result<Vec<(String, String)>> {
        let mut stmt = file.prepare_cached(LIVE_LOTS_BY_EVENTS)?;
        let today = now.date_naive().to_string();
        let at = now.naive_local().format("%Y-%m-%dT%H:%M:%S").to_string();
        let lots = stmt
            .query_map(rusqlite::params![VENUE, today, at], |r| {
                Ok((r.get(0)?, r.get(1)?))
            })?
            .collect();
        lots
    };
    assert_eq!(
        by_events()?,
        live,
        "the balance finds the lots the events give"
    );
    let scanning = time_it(runs, || Ok(by_events()?))?;
    report(
        "baseline: finding them by summing every stock event's JSON (before 0014)",
        &scanning,
        "—",
    );
    let lots = time_it(runs, || Ok(venue_lots(&ledger, VENUE, now)?))?;
    report(
        "baseline: the whole-history fold the screen used before (`venue_lots`)",
        &lots,
        "—",
    );
    let records = time_it(runs, || Ok(ledger.reader().stock_records(VENUE)?))?;
    report(
        "reading the stock events (`Reader::stock_records`)",
        &records,
        "—",
    );
    let uses = time_it(runs, || Ok(ledger.reader().dose_uses(venue.id, &now)?))?;
    report("reading doses per vial (`Reader::dose_uses`)", &uses, "—");
    let stock = ledger.reader().venue_stock(venue.id, VENUE, &now)?;
    let fold = time_it(runs, || {
        Ok(vax_domain::stock::lot_states(
            vax_domain::product::Catalogue::builtin(),
            &stock.records,
            &stock.doses,
            now.naive_local(),
        ))
    })?;
    report("the pure fold (`lot_states`)", &fold, "—");
    let day = time_it(runs, || {
        Ok(venue_day_summary(&ledger, &e, now.date_naive(), now)?)
    })?;
    report("its day progress alone (`venue_day_summary`)", &day, "—");

    // 2. HQ merging a venue's day.
    let mut hq = Ledger::open(&dir.path().join("hq.sqlite3"))?;
    load_demo_city(&mut hq, &params, local(hm(start(), 7, 0)), &mut NoProgress)?;
    hq.start_replicating(ReplicaId::from_u128(1), SyncRole::Hq, &bench_key(1))?;
    let vouchers: Vec<_> = {
        let reader = hq.reader();
        (1..=300)
            .map(|id| reader.resident(id).map(|r| r.resident.voucher))
            .collect::<Result<_, _>>()?
    };
    let merges = runs.min(10);
    let mut times = Vec::new();
    let mut ops = 0;
    for run in 0..merges {
        let day = start() + Days::new(run as u64);
        let (mut node, mut log) = venue_day_ops(100 + run as u128, &vouchers, day)?;
        let clock = ManualClock::new(1_622_548_800_000);
        // Each side takes the other's key from its messages, as a device does from the server.
        let mut venue_to_hq = SyncState::for_peer(ReplicaId::from_u128(1)).trusting_peer_keys();
        let mut hq_to_venue = SyncState::for_peer(node.id()).trusting_peer_keys();
        let mut elapsed = Duration::ZERO;
        loop {
            let mut spoke = false;
            if let Some(message) = node.generate_message(&log, &mut venue_to_hq)? {
                spoke = true;
                ops += message.ops.len();
                let t = Instant::now();
                hq.sync_receive(&mut hq_to_venue, message)?;
                elapsed += t.elapsed();
            }
            if let Some(message) = hq.sync_generate(&mut hq_to_venue)? {
                spoke = true;
                node.receive_message(&mut log, &mut venue_to_hq, message, &clock)?;
            }
            if !spoke {
                break;
            }
        }
        times.push(elapsed);
    }
    times.sort();
    println!(
        "\nHQ merges a venue's day ({} ops a day: check-ins, doses tied to vials, stock events)",
        ops / merges
    );
    println!("\n| measure ({merges} days) | goal | p50 | p99 | max |\n|---|---|---:|---:|---:|");
    report(
        "`Ledger::sync_receive` of a venue's day",
        &times,
        "< 100 ms",
    );
    assert_eq!(
        hq.sync_log_summary()?.unprojected,
        0,
        "every op became rows"
    );
    Ok(())
}
