//! Two real `vaxsync` processes in front of one PostgreSQL database serve one fleet: what one
//! accepts the other serves, HQ's alerts are the same from both, enrollments and token
//! rotations made through one hold at the other, and concurrent writers through both lose
//! nothing. These need a cluster (`scripts/with-postgres.sh`); without one they say so and
//! check nothing.

use std::path::PathBuf;

use vax_sync::{Alert, ReplicaId, Role, VenueCode};
use vax_sync_client::{enroll, new_device_key, sync_session, Client, MemoryReplica};

use crate::process::{cli, ServerProcess};
use crate::support::{dose, fresh_database, postgres_cluster};

struct Pair {
    a: ServerProcess,
    b: ServerProcess,
    hq_a: Client,
    hq_b: Client,
    server_id: ReplicaId,
}

fn pair() -> Option<Pair> {
    let Some(cluster) = postgres_cluster() else {
        eprintln!("VAXSYNC_TEST_POSTGRES is not set: run under scripts/with-postgres.sh");
        return None;
    };
    let db = PathBuf::from(fresh_database(&cluster));
    let url = db.to_str().expect("utf-8");
    let code = cli(&["enrollment", "create", "--db", url, "--role", "hq"]);
    let a = ServerProcess::start(&db, None);
    let b = ServerProcess::start(&db, None);
    let hq = enroll(&a.url, code.trim(), "本部1", &new_device_key()).expect("enroll HQ at A");
    assert_eq!(
        Client::anonymous(&b.url)
            .health()
            .expect("B answers")
            .server_replica_id,
        hq.server_replica_id,
        "both processes are one server to the devices"
    );
    Some(Pair {
        hq_a: Client::new(&a.url, &hq.token),
        hq_b: Client::new(&b.url, &hq.token),
        server_id: hq.server_replica_id,
        a,
        b,
    })
}

/// A device enrolled through `server` with a code HQ made through `hq`.
fn device(hq: &Client, server: &ServerProcess, role: Role, venue: &str) -> (Client, MemoryReplica) {
    let code = hq
        .create_enrollment_code(role, Some(&VenueCode::new(venue)), &[], 24)
        .expect("code");
    let key = new_device_key();
    let e = enroll(&server.url, &code, venue, &key).expect("enroll");
    (
        Client::new(&server.url, &e.token),
        MemoryReplica::new(e.replica_id, e.role, key).expect("key"),
    )
}

#[test]
fn an_op_accepted_by_one_process_is_served_by_the_other_and_alerts_agree() {
    let Some(p) = pair() else { return };
    // A booth enrolled through B with a code HQ made through A; another booth through A.
    let (c1, mut booth1) = device(&p.hq_a, &p.b, Role::Booth, "V01");
    let (c2, mut booth2) = device(&p.hq_b, &p.a, Role::Booth, "V02");
    for r in 1..=10 {
        booth1.write(dose(r, "V01")).expect("write");
        booth2.write(dose(100 + r, "V02")).expect("write");
    }
    booth2
        .write(dose(7, "V02"))
        .expect("the same resident's dose at V02");
    sync_session(&mut booth1, &c1, p.server_id).expect("booth1 through B");
    let second = sync_session(&mut booth2, &c2, p.server_id).expect("booth2 through A");
    assert_eq!(
        second.received_ops, 10,
        "A serves what B accepted, without a restart"
    );
    sync_session(&mut booth1, &c1, p.server_id).expect("booth1 again");
    assert_eq!(booth1.log, booth2.log);
    assert_eq!(p.hq_a.status().expect("A").ops, 21);
    assert_eq!(p.hq_b.status().expect("B").ops, 21);
    assert_eq!(
        p.hq_a.status().expect("A").seen,
        p.hq_b.status().expect("B").seen
    );

    let (from_a, from_b) = (p.hq_a.alerts().expect("A"), p.hq_b.alerts().expect("B"));
    assert!(
        matches!(from_a.as_slice(), [Alert::DuplicateDose { doses, .. }] if doses.len() == 2),
        "{from_a:?}"
    );
    assert_eq!(
        from_a, from_b,
        "HQ's alerts are the same from both processes"
    );
}

#[test]
fn a_token_rotated_through_one_process_is_refused_by_the_other() {
    let Some(p) = pair() else { return };
    let code = p
        .hq_a
        .create_enrollment_code(Role::Booth, Some(&VenueCode::new("V01")), &[], 24)
        .expect("code");
    let e = enroll(&p.a.url, &code, "接種1", &new_device_key()).expect("enroll at A");
    // B learns of the device from the database on first contact.
    Client::new(&p.b.url, &e.token)
        .status()
        .expect("B knows a device enrolled at A");
    let new = Client::new(&p.a.url, &e.token)
        .rotate_token()
        .expect("rotated at A");
    let err = Client::new(&p.b.url, &e.token)
        .status()
        .expect_err("the old token is refused at B");
    assert_eq!(err.status(), Some(401), "{err}");
    Client::new(&p.b.url, &new)
        .status()
        .expect("the new token works at B");
    // And the code was used once for both processes.
    let again = enroll(&p.b.url, &code, "接種2", &new_device_key());
    assert!(
        again.is_err(),
        "a used code is refused by the other process"
    );
}

#[test]
fn concurrent_writers_through_both_processes_lose_nothing() {
    let Some(p) = pair() else { return };
    let venues = ["V01", "V02", "V03", "V04", "V05", "V06"];
    let devices: Vec<(Client, MemoryReplica)> = venues
        .iter()
        .enumerate()
        .map(|(i, v)| {
            let server = if i % 2 == 0 { &p.a } else { &p.b };
            device(&p.hq_a, server, Role::Booth, v)
        })
        .collect();
    let server_id = p.server_id;
    // Every device writes and syncs in rounds, all at once, half through each process.
    let finals: Vec<MemoryReplica> = std::thread::scope(|scope| {
        let handles: Vec<_> = devices
            .into_iter()
            .enumerate()
            .map(|(i, (client, mut replica))| {
                scope.spawn(move || {
                    for round in 0..5u32 {
                        for k in 0..20u32 {
                            let r = (i as u32) * 1_000 + round * 20 + k;
                            replica.write(dose(r, venues[i])).expect("write");
                        }
                        sync_session(&mut replica, &client, server_id).expect("sync");
                    }
                    replica
                })
            })
            .collect();
        handles
            .into_iter()
            .map(|h| h.join().expect("device thread"))
            .collect()
    });
    let expected = 6 * 5 * 20;
    assert_eq!(p.hq_a.status().expect("A").ops, expected);
    assert_eq!(p.hq_b.status().expect("B").ops, expected);
    // A device enrolled now, through B, receives every op exactly once.
    let (client, mut fresh) = device(&p.hq_b, &p.b, Role::Booth, "V08");
    let report = sync_session(&mut fresh, &client, server_id).expect("a fresh device");
    assert_eq!(report.received_ops as u64, expected);
    assert_eq!(fresh.log.len() as u64, expected);
    for replica in &finals {
        assert!(replica.log.len() as u64 <= expected);
    }
}
