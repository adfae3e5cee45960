//! Merging 100,000 incoming ops into a replica (issue 5; goal under 1 s on 2 cores).
//!
//! Five venue replicas each wrote 20,000 ops over a 65,000-resident city: a quarter
//! check-ins, a quarter doses, a quarter bookings and a quarter contact edits, plus the time
//! bands and opened-vial clocks the invariants look at. A fresh server replica receives them in
//! protocol-sized messages (1,000 ops) and runs the invariants after each one, as
//! `receive_message` does. Prints min / median / max over several runs.
//!
//! Run: `cargo bench -p vax-sync --bench merge`

use std::time::{Duration, Instant};

use chrono::{NaiveDate, NaiveTime};
use crdts::VClock;
use vax_domain::resident::Phone;
use vax_domain::voucher::VoucherNumber;
use vax_sync::*;

const VENUES: u128 = 5;
const OPS_PER_VENUE: usize = 20_000;
const RESIDENTS: u32 = 65_000;
const BANDS: u128 = 500;
const RUNS: usize = 7;
const T0: u64 = 1_622_548_800_000;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    // `cargo test --all-targets` runs bench binaries without `--bench`: the benchmark is for
    // `cargo bench` only.
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let messages = write_city()?;
    let total_ops: usize = messages.iter().map(|m| m.ops.len()).sum();
    let encoded: Vec<Vec<u8>> = messages.iter().map(Message::encode).collect();
    let bytes: usize = encoded.iter().map(Vec::len).sum();

    let mut merge_times = Vec::new();
    let mut decode_merge_times = Vec::new();
    let mut alerts_seen = 0;
    for _ in 0..RUNS {
        let (took, alerts) = merge(&messages)?;
        merge_times.push(took);
        alerts_seen = alerts;

        let start = Instant::now();
        let decoded = encoded
            .iter()
            .map(|b| Message::decode(b))
            .collect::<Result<Vec<_>, _>>()?;
        let decode = start.elapsed();
        let (took, _) = merge(&decoded)?;
        decode_merge_times.push(decode + took);
    }

    println!(
        "merge {total_ops} ops in {} messages ({:.1} MiB JSON), invariants after each; {alerts_seen} alerts open at the end",
        messages.len(),
        bytes as f64 / 1_048_576.0
    );
    report("receive_message (decoded)", &mut merge_times);
    report("decode + receive_message", &mut decode_merge_times);
    Ok(())
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let ms = |d: Duration| d.as_secs_f64() * 1000.0;
    println!(
        "{label:<28} min {:>7.1} ms   median {:>7.1} ms   max {:>7.1} ms   ({} runs)",
        ms(times[0]),
        ms(times[times.len() / 2]),
        ms(times[times.len() - 1]),
        times.len()
    );
}

/// The signing key of venue `v` (fixed bytes: the bench measures the merge, not key making).
fn venue_key(v: u128) -> DeviceKey {
    let mut secret = [0u8; 32];
    secret[..16].copy_from_slice(&v.to_be_bytes());
    DeviceKey::from_bytes(&secret)
}

/// A fresh server replica receives every message; returns the time and the open alerts after.
fn merge(messages: &[Message]) -> Result<(Duration, usize), SyncError> {
    let time = ManualClock::new(T0 + 86_400_000);
    let mut server = SyncNode::new(ReplicaId::from_u128(999), Role::Server);
    for v in 1..=VENUES {
        server
            .add_key(ReplicaId::from_u128(v), venue_key(v).public())
            .map_err(SyncError::from)?;
    }
    let mut log = MemoryOpLog::new();
    let mut states: Vec<SyncState> = (0..VENUES).map(|_| SyncState::new()).collect();
    // receive_message takes the message by value, as it arrives from decode.
    let messages = messages.to_vec();
    let start = Instant::now();
    for message in messages {
        let venue = message.from.0.as_u128() as usize - 1;
        server.receive_message(&mut log, &mut states[venue], message, &time)?;
    }
    let took = start.elapsed();
    let alerts = server.replica().invariants().len();
    assert_eq!(
        log.len(),
        VENUES as usize * OPS_PER_VENUE,
        "every op merged once"
    );
    Ok((took, alerts))
}

/// The venues' ops, cut into protocol-sized messages as `generate_message` would.
fn write_city() -> Result<Vec<Message>, Box<dyn std::error::Error>> {
    let time = ManualClock::new(T0);
    let day = NaiveDate::from_ymd_opt(2021, 6, 1).ok_or("date")?;
    let mut messages = Vec::new();
    for v in 1..=VENUES {
        let id = ReplicaId::from_u128(v);
        // HQ role so one replica can write every kind; roles do not change the merge cost.
        let mut node = SyncNode::new(id, Role::Hq).with_signing_key(venue_key(v))?;
        let mut log = MemoryOpLog::new();
        let venue = VenueCode::new(format!("V0{v}"));
        let write = |node: &mut SyncNode, log: &mut MemoryOpLog, kind| {
            time.advance(1);
            node.write(log, kind, &time)
        };
        for b in 0..BANDS / VENUES {
            let band = (v - 1) * (BANDS / VENUES) + b;
            write(
                &mut node,
                &mut log,
                OpKind::DefineTimeBand(TimeBandDef {
                    band: TimeBandId::from_u128(band),
                    venue: venue.clone(),
                    date: day,
                    start: NaiveTime::from_hms_opt(9, 0, 0).ok_or("time")?,
                    end: NaiveTime::from_hms_opt(9, 30, 0).ok_or("time")?,
                    capacity: 400,
                    closed: false,
                }),
            )?;
        }
        for lot in 0..10 {
            write(
                &mut node,
                &mut log,
                OpKind::StockEvent(StockEvent {
                    venue: venue.clone(),
                    product: "comirnaty".into(),
                    lot: format!("L{lot}"),
                    at: day.and_hms_opt(9, 0, 0).ok_or("time")?,
                    change: StockChange::Opened {
                        use_by: day.and_hms_opt(20, 0, 0).ok_or("time")?,
                        doses: 6,
                        syringe: vax_domain::product::SyringeKind::LowDeadSpace,
                    },
                }),
            )?;
        }
        let mut i = 0u32;
        while log.len() < OPS_PER_VENUE {
            // Each group of four ops is one resident's visit; venues serve disjoint residents.
            let resident = VoucherNumber::parse(&format!(
                "{:010}",
                (v as u32 - 1) * (RESIDENTS / VENUES as u32) + i / 4
            ))?;
            let kind = match i % 4 {
                0 => OpKind::CheckIn(CheckIn {
                    resident,
                    dose_number: 1,
                    venue: venue.clone(),
                    band: None,
                    at: day.and_hms_opt(10, 0, 0).ok_or("time")?,
                    back_entered: false,
                }),
                1 => OpKind::RecordDose(Dose {
                    resident,
                    dose_number: 1,
                    venue: venue.clone(),
                    product: "comirnaty".into(),
                    lot: format!("L{}", i % 10),
                    vaccinator: "山田".into(),
                    administered_at: day.and_hms_opt(10, 5, 0).ok_or("time")?,
                    vial: None,
                    overridden: None,
                    injection_site: None,
                    back_entered: false,
                }),
                2 => OpKind::Book(Booking {
                    resident,
                    dose_number: 2,
                    band: Some(TimeBandId::from_u128(u128::from(i) % BANDS)),
                    product: "comirnaty".into(),
                    cause: BookingCause::Assign,
                    clock: VClock::new(),
                }),
                _ => OpKind::SetResidentFields {
                    resident,
                    fields: vec![ResidentField::Phone(Some(Phone::parse(&format!(
                        "0773{:06}",
                        i % 1_000_000
                    ))?))],
                },
            };
            write(&mut node, &mut log, kind)?;
            i += 1;
        }
        let mut to_server = SyncState::for_peer(ReplicaId::from_u128(999));
        // The server introduces itself with an empty `seen`, then the venue sends batches.
        let hello = Message {
            protocol: PROTOCOL_VERSION,
            from: ReplicaId::from_u128(999),
            seen: VClock::new(),
            ops: Vec::new(),
            more: false,
            keys: Default::default(),
            beyond: Default::default(),
            covered: Default::default(),
        };
        node.receive_message(&mut log, &mut to_server, hello, &time)?;
        while let Some(m) = node.generate_message(&log, &mut to_server)? {
            if !m.ops.is_empty() {
                messages.push(m);
            }
        }
    }
    Ok(messages)
}
