//! A scope's snapshot (docs/sync-spec.md §7c) through the real server on either store: HQ
//! files the snapshot of exactly its own municipalities, sealed by its own key; a device gets
//! the one of its scope with the key of the HQ that sealed it; nobody else files one, and a
//! revoked HQ's snapshot is served no more.

use vax_sync::{ReplicaId, Role, SnapshotHeader, SnapshotSeal};
use vax_sync_client::{Client, ClientError};

use crate::process::Fixture;
use crate::scope::{enrolled_replica, maizuru, scoped_code};

fn sealed(
    author: ReplicaId,
    scope: &[&str],
    data: &[u8],
    key: &vax_sync::DeviceKey,
) -> SnapshotSeal {
    SnapshotHeader::describe(
        author,
        21,
        scope.iter().map(|s| (*s).to_owned()).collect(),
        "2021-05-01T09:00:00+09:00".into(),
        3,
        data,
    )
    .seal(key)
}

fn refusal(e: ClientError) -> (u16, String) {
    (
        e.status().unwrap_or(0),
        e.code().map(|c| c.as_str().to_owned()).unwrap_or_default(),
    )
}

fn booth(f: &Fixture, scope: &[vax_domain::voucher::MunicipalityCode]) -> Client {
    let code = scoped_code(f, Role::Booth, Some("V01"), scope);
    enrolled_replica(f, &code, "V01 接種").1
}

#[test]
fn hq_files_its_snapshot_and_a_device_of_that_scope_gets_it_with_hqs_key() {
    let f = Fixture::new();
    let hq_id = f.hq_enrollment.replica_id;
    let whole = booth(&f, &[]);
    assert!(whole.snapshot().expect("asked").is_none(), "none filed yet");

    let data = b"the city as a ledger file".repeat(1_000);
    let seal = sealed(hq_id, &[], &data, &f.hq_key);
    f.hq.put_snapshot(&seal, &data).expect("HQ files it");
    let (got_seal, key, got_data) = whole.snapshot().expect("asked").expect("filed");
    assert_eq!(got_seal, seal);
    assert_eq!(key, f.hq_key.public());
    assert_eq!(got_data, data);
    assert_eq!(got_seal.verify(&key, &got_data), Ok(()));

    // A device of one municipality is not given the whole ledger.
    let maizuru_booth = booth(&f, &[maizuru()]);
    assert!(maizuru_booth.snapshot().expect("asked").is_none());

    // A newer snapshot replaces the one before.
    let newer = b"the city a day later".to_vec();
    let newer_seal = sealed(hq_id, &[], &newer, &f.hq_key);
    f.hq.put_snapshot(&newer_seal, &newer)
        .expect("HQ files again");
    let (_, _, got) = whole.snapshot().expect("asked").expect("filed");
    assert_eq!(got, newer);
}

#[test]
fn only_hq_files_a_snapshot_of_its_own_scope_sealed_by_its_own_key() {
    let f = Fixture::new();
    let hq_id = f.hq_enrollment.replica_id;
    let data = b"ledger".repeat(100);

    // A booth cannot file one, even sealed by its own key.
    let code = scoped_code(&f, Role::Booth, Some("V01"), &[]);
    let (booth_enrolled, booth_client, _, booth_key) = enrolled_replica(&f, &code, "V01 接種");
    let by_booth = sealed(booth_enrolled.replica_id, &[], &data, &booth_key);
    let e = booth_client
        .put_snapshot(&by_booth, &data)
        .expect_err("refused");
    assert_eq!(refusal(e), (403, "HQ_ONLY".into()));

    // HQ's token with a seal in HQ's name made by another key (a stolen token alone).
    let forged = sealed(hq_id, &[], &data, &booth_key);
    let e = f.hq.put_snapshot(&forged, &data).expect_err("refused");
    assert_eq!(refusal(e), (403, "BAD_SIGNATURE".into()));
    // A genuine seal over other bytes than those sent.
    let genuine = sealed(hq_id, &[], &data, &f.hq_key);
    let e =
        f.hq.put_snapshot(&genuine, b"other bytes")
            .expect_err("refused");
    assert_eq!(refusal(e), (403, "BAD_SIGNATURE".into()));
    // A seal in another device's name.
    let in_booths_name = sealed(booth_enrolled.replica_id, &[], &data, &f.hq_key);
    let e =
        f.hq.put_snapshot(&in_booths_name, &data)
            .expect_err("refused");
    assert_eq!(refusal(e), (403, "BAD_SIGNATURE".into()));
    // The prefecture's HQ files no municipality's snapshot but its whole one.
    let of_maizuru = sealed(hq_id, &["262021"], &data, &f.hq_key);
    let e = f.hq.put_snapshot(&of_maizuru, &data).expect_err("refused");
    assert_eq!(refusal(e), (403, "WRONG_SCOPE".into()));
    // Without a token.
    let anonymous = Client::new(&f.server.url, "not-a-token");
    let e = anonymous
        .put_snapshot(&genuine, &data)
        .expect_err("refused");
    assert_eq!(refusal(e).0, 401);
    let e = anonymous.snapshot().expect_err("refused");
    assert_eq!(refusal(e).0, 401);

    // Nothing of that was kept.
    assert!(booth_client.snapshot().expect("asked").is_none());
}

#[test]
fn a_municipalitys_hq_files_its_citys_snapshot_which_is_served_no_more_once_it_is_revoked() {
    let f = Fixture::new();
    let code = scoped_code(&f, Role::Hq, None, &[maizuru()]);
    let (maizuru_hq, maizuru_hq_client, _, maizuru_key) = enrolled_replica(&f, &code, "舞鶴本部");
    let data = b"maizuru".repeat(100);

    let whole = sealed(maizuru_hq.replica_id, &[], &data, &maizuru_key);
    let e = maizuru_hq_client
        .put_snapshot(&whole, &data)
        .expect_err("not the whole ledger");
    assert_eq!(refusal(e), (403, "WRONG_SCOPE".into()));
    let own = sealed(maizuru_hq.replica_id, &["262021"], &data, &maizuru_key);
    maizuru_hq_client
        .put_snapshot(&own, &data)
        .expect("its own city");

    let maizuru_booth = booth(&f, &[maizuru()]);
    let (_, key, got) = maizuru_booth.snapshot().expect("asked").expect("filed");
    assert_eq!((key, got), (maizuru_key.public(), data));
    assert!(booth(&f, &[]).snapshot().expect("asked").is_none());

    // Once the prefecture revokes Maizuru's HQ (a stolen laptop), its seal vouches for nothing.
    f.hq.revoke_device(maizuru_hq.replica_id).expect("revoked");
    assert!(maizuru_booth.snapshot().expect("asked").is_none());
}

/// The server keeps the file it filed or served in memory, but never serves it once the store
/// holds a newer one (filed through another server process sharing the store).
#[test]
fn a_snapshot_filed_through_another_process_replaces_the_one_kept_in_memory() {
    let f = Fixture::new();
    let hq_id = f.hq_enrollment.replica_id;
    let whole = booth(&f, &[]);
    let first = b"first".repeat(100);
    f.hq.put_snapshot(&sealed(hq_id, &[], &first, &f.hq_key), &first)
        .expect("filed");
    assert_eq!(whole.snapshot().expect("asked").expect("filed").2, first);

    let newer = b"newer".repeat(100);
    let seal = sealed(hq_id, &[], &newer, &f.hq_key);
    let mut other_process = vax_sync_server::open_store(&f.db()).expect("the same store");
    other_process
        .put_snapshot("", &serde_json::to_string(&seal).expect("json"), &newer)
        .expect("stored");
    drop(other_process);
    let (got_seal, _, got) = whole.snapshot().expect("asked").expect("filed");
    assert_eq!((got_seal, got), (seal, newer));
}
