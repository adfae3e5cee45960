//! Op signature verification, the ways it can be done, measured in one run on the same ops
//! (issue 15: merging 100,000 signed ops went from 347 ms to 6.2 s when signatures landed).
//!
//! 20,000 dose ops by five devices (a message is at most 1,000; a first sync carries 100 of
//! them). Compares ed25519-dalek's `verify_strict` op by op (the rule before, with the
//! canonical bytes built per op), the cofactored rule op by op, in batches on one thread, and
//! in batches on every core (`vax_sync::verification::first_unverified`, what the protocol
//! uses). Prints min / median / max per op over several runs.
//!
//! Run: `cargo bench -p vax-sync --bench verify`

use std::time::{Duration, Instant};

use chrono::NaiveDate;
use vax_domain::voucher::VoucherNumber;
use vax_sync::signing::signing_bytes;
use vax_sync::verification::{first_unverified, BATCH};
use vax_sync::*;

const OPS: usize = 20_000;
const AUTHORS: usize = 5;
const RUNS: usize = 5;

fn main() -> Result<(), Box<dyn std::error::Error>> {
    if !std::env::args().any(|a| a == "--bench") {
        return Ok(());
    }
    let keys: Vec<DeviceKey> = (1..=AUTHORS as u8)
        .map(|n| DeviceKey::from_bytes(&[n; 32]))
        .collect();
    let day = NaiveDate::from_ymd_opt(2021, 6, 1).ok_or("date")?;
    let ops = (0..OPS)
        .map(|i| {
            let author = i % AUTHORS;
            let kind = OpKind::RecordDose(Dose {
                resident: VoucherNumber::parse(&format!("{i:010}"))?,
                dose_number: 1,
                venue: VenueCode::new(format!("V0{author}")),
                product: "comirnaty".into(),
                lot: format!("L{}", i % 10),
                vaccinator: "山田".into(),
                administered_at: day.and_hms_opt(10, 5, 0).ok_or("time")?,
                vial: None,
                overridden: None,
                injection_site: None,
                back_entered: false,
            });
            Ok(Op::signed(
                OpId {
                    replica: ReplicaId::from_u128(author as u128 + 1),
                    counter: 1 + (i / AUTHORS) as u64,
                },
                Hlc::new(1_622_548_800_000 + i as u64, 0),
                kind,
                &keys[author],
            ))
        })
        .collect::<Result<Vec<Op>, Box<dyn std::error::Error>>>()?;
    let pairs: Vec<(&Op, PublicKey)> = ops
        .iter()
        .map(|op| (op, keys[op.author().0.as_u128() as usize - 1].public()))
        .collect();
    let one_thread = rayon::ThreadPoolBuilder::new().num_threads(1).build()?;
    let cores = rayon::current_num_threads();

    let mut strict = Vec::new();
    let mut single = Vec::new();
    let mut batch_one = Vec::new();
    let mut batch_all = Vec::new();
    for _ in 0..RUNS {
        let start = Instant::now();
        for (op, key) in &pairs {
            let vk = ed25519_dalek::VerifyingKey::from_bytes(&key.to_bytes())?;
            let sig = ed25519_dalek::Signature::from_bytes(&op.sig.ok_or("signed")?.0);
            vk.verify_strict(&signing_bytes(&op.id, op.hlc, &op.kind), &sig)?;
        }
        strict.push(start.elapsed());

        let start = Instant::now();
        assert!(pairs.iter().all(|(op, key)| op.verifies_with(key)));
        single.push(start.elapsed());

        let start = Instant::now();
        assert_eq!(one_thread.install(|| first_unverified(&pairs)), None);
        batch_one.push(start.elapsed());

        let start = Instant::now();
        assert_eq!(first_unverified(&pairs), None);
        batch_all.push(start.elapsed());
    }
    println!("verify {OPS} signed dose ops by {AUTHORS} devices, {RUNS} runs, µs per op:");
    report("ed25519-dalek verify_strict", &mut strict);
    report("cofactored rule, one by one", &mut single);
    report(&format!("batches of {BATCH}, 1 thread"), &mut batch_one);
    report(
        &format!("batches of {BATCH}, {cores} threads"),
        &mut batch_all,
    );
    Ok(())
}

fn report(label: &str, times: &mut [Duration]) {
    times.sort();
    let us = |d: Duration| d.as_secs_f64() * 1e6 / OPS as f64;
    println!(
        "{label:<30} min {:>6.2}   median {:>6.2}   max {:>6.2}   (100,000 ops at the median: {:>6.0} ms)",
        us(times[0]),
        us(times[times.len() / 2]),
        us(times[times.len() - 1]),
        us(times[times.len() / 2]) * 100_000.0 / 1000.0
    );
}
