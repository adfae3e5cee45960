//! The server/protocol side of the initial replica: an HQ device pushes N ops (default
//! 175,000 `set_resident_fields` (one field each), env `INITIAL_OPS`) to the server, then a fresh venue device
//! pulls them all. Prints seconds for each step.
//!
//! `cargo bench -p vax-sync-server --bench initial`

mod common;

use std::time::Instant;

use common::{bench_store, env_or, is_bench_run, BenchServer};
use vax_domain::voucher::VoucherNumber;
use vax_sync::{OpKind, ResidentField, Role};
use vax_sync_client::{sync_session, Client};

const FIELDS: usize = 3;

fn main() {
    if !is_bench_run() {
        return;
    }
    let n: usize = env_or("INITIAL_OPS", 175_000);
    let dir = tempfile::tempdir().expect("tempdir");
    let mut server = BenchServer::start(&bench_store(dir.path(), "initial.db"));

    let t = Instant::now();
    let mut hq = server.hq_replica.take().expect("HQ's key");
    for i in 0..n {
        let resident = VoucherNumber::parse(&format!("{:010}", 2_000_000_000 + i / FIELDS))
            .expect("10 digits");
        let field = match i % FIELDS {
            0 => ResidentField::Name(format!("住民 {}", i / FIELDS)),
            1 => ResidentField::Address(format!("東京都千代田区{}丁目", i % 97)),
            _ => ResidentField::PostalCode("100-0001".into()),
        };
        hq.write(OpKind::SetResidentFields {
            resident,
            fields: vec![field],
        })
        .expect("write");
    }
    println!(
        "initial: {n} ops written on HQ in {:.2} s",
        t.elapsed().as_secs_f64()
    );

    let t = Instant::now();
    let push = sync_session(&mut hq, &server.hq, server.server_id).expect("push");
    let push_s = t.elapsed().as_secs_f64();
    assert_eq!(push.sent_ops, n);
    assert_eq!(server.hq.status().expect("status").ops, n as u64);
    println!(
        "initial: pushed {n} ops to the server in {push_s:.2} s ({} round trips, {:.0} ops/s)",
        push.round_trips,
        n as f64 / push_s
    );

    let (e, mut booth) = server.enroll(Role::Booth, Some("V01"), "接種1");
    let client = Client::new(&server.url, &e.token);
    let t = Instant::now();
    let pull = sync_session(&mut booth, &client, server.server_id).expect("pull");
    let pull_s = t.elapsed().as_secs_f64();
    assert_eq!(pull.received_ops, n);
    assert_eq!(booth.log, hq.log);
    assert_eq!(booth.node.replica(), hq.node.replica());
    println!(
        "initial: a fresh venue device pulled {n} ops in {pull_s:.2} s ({} round trips, {:.0} ops/s)",
        pull.round_trips,
        n as f64 / pull_s
    );
}
