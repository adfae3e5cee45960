//! Encryption at rest: what SQLCipher costs the ledger's heavy write and its hot read, plain
//! and encrypted files measured in the same run (docs/encryption.md, docs/BENCHMARKS.md).
//! `cargo bench -p vax-ledger --bench at_rest`.
//!
//! - write: 65,000 residents of the demo city in one transaction (the register import's
//!   write path), a fresh file each run, with the commit;
//! - open: opening the ledger (with the key; the passphrase's Argon2id apart, timed alone);
//! - lookup: residents by voucher number, every 7th resident, p50/p99.

use std::time::{Duration, Instant};

use chrono::DateTime;
use vax_demo::{generate, DemoParams};
use vax_ledger::{Ledger, Unlock};

const PASSPHRASE: &str = "bench passphrase";

fn median(mut v: Vec<Duration>) -> Duration {
    v.sort();
    v[v.len() / 2]
}

fn percentile(sorted: &[Duration], p: f64) -> Duration {
    sorted[((sorted.len() as f64 - 1.0) * p).round() as usize]
}

fn open(path: &std::path::Path, encrypted: bool) -> Ledger {
    if encrypted {
        Ledger::open_encrypted(path, Unlock::Passphrase(PASSPHRASE)).expect("opens")
    } else {
        Ledger::open(path).expect("opens")
    }
}

fn main() {
    if !std::env::args().any(|a| a == "--bench") {
        return;
    }
    let city = generate(&DemoParams::default());
    let now = DateTime::parse_from_rfc3339("2021-05-01T09:00:00+09:00").expect("valid");
    let runs = 3;
    let mut write = [Vec::new(), Vec::new()];
    let mut opening = [Vec::new(), Vec::new()];
    let mut lookups = [Vec::new(), Vec::new()];
    let mut unlock = Vec::new();
    for run in 0..runs {
        for encrypted in [false, true] {
            let dir = tempfile::tempdir().expect("temp dir");
            let path = dir.path().join("bench.sqlite3");
            if encrypted {
                Ledger::encrypt(&path, PASSPHRASE).expect("encrypts");
            }
            let mut ledger = open(&path, encrypted);
            let t = Instant::now();
            let tx = ledger.transaction().expect("tx");
            for (resident, _) in &city.residents {
                tx.upsert_resident(resident, &now).expect("writes");
            }
            tx.commit().expect("commits");
            write[usize::from(encrypted)].push(t.elapsed());
            drop(ledger);

            let t = Instant::now();
            let ledger = open(&path, encrypted);
            opening[usize::from(encrypted)].push(t.elapsed());
            if encrypted {
                // The passphrase's share of an open: changing the passphrase runs Argon2id
                // twice (unlock, re-seal) and little else, so half of it is one unlock.
                let t = Instant::now();
                Ledger::change_passphrase(&path, Unlock::Passphrase(PASSPHRASE), PASSPHRASE)
                    .expect("re-seals");
                unlock.push(t.elapsed() / 2);
            }
            if run == runs - 1 {
                let reader = ledger.reader();
                for (resident, _) in city.residents.iter().step_by(7) {
                    let t = Instant::now();
                    let found = reader
                        .residents_by_voucher(None, &resident.voucher)
                        .expect("finds");
                    lookups[usize::from(encrypted)].push(t.elapsed());
                    assert_eq!(found.len(), 1);
                }
            }
        }
    }
    let n = city.residents.len();
    for (i, label) in ["plain    ", "encrypted"].iter().enumerate() {
        let mut l = lookups[i].clone();
        l.sort();
        println!(
            "{label}: write {n} residents median {:.3} s over {runs} runs; open {:.1} ms; lookup by voucher ({} lookups) p50 {:.1} µs p99 {:.1} µs",
            median(write[i].clone()).as_secs_f64(),
            median(opening[i].clone()).as_secs_f64() * 1e3,
            l.len(),
            percentile(&l, 0.50).as_secs_f64() * 1e6,
            percentile(&l, 0.99).as_secs_f64() * 1e6,
        );
    }
    println!(
        "Argon2id (64 MiB, 3 passes) per passphrase unlock: median {:.0} ms",
        median(unlock).as_secs_f64() * 1e3
    );
}
