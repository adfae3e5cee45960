//! The venue relay from a kiosk's side (issue 17): join by the join code, sync over TLS pinned
//! to the relay's certificate, the two lights, the manager's list of the venue's devices.

use std::sync::Mutex;

use chrono::{DateTime, FixedOffset, Local};
use vax_app::demo::load_demo_city;
use vax_app::desk::{self, booth_queue, check_in};
use vax_app::progress::NoProgress;
use vax_app::relay::{
    join_relay, relay_lights, sync_with_relay, venue_devices, Light, RelayAppError,
};
use vax_app::sync::{create_enrollment_code, enroll_device, sync_now};
use vax_demo::DemoParams;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_ledger::Ledger;
use vax_sync::Role as SyncRole;
use vax_sync_client::lan::JoinCode;
use vax_sync_server::loopback::LoopbackServer;
use vax_sync_server::relay;

/// The kiosks' own clock: the relay stamps its links with the system's, so these tests run
/// on today's time.
pub(crate) fn now() -> DateTime<FixedOffset> {
    Local::now().fixed_offset()
}

pub(crate) fn enrolled_kiosk(
    server: &LoopbackServer,
    hq: &Ledger,
    dir: &std::path::Path,
    role: Role,
    name: &str,
) -> Ledger {
    let code = create_enrollment_code(hq, role, Some("V01"), &[], 24).unwrap();
    let mut kiosk = Ledger::open(&dir.join(format!("{name}.sqlite3"))).unwrap();
    enroll_device(&mut kiosk, &server.url(), &code, name, "262021", now()).unwrap();
    sync_now(&mut kiosk, now()).unwrap();
    kiosk
}

/// A centre on loopback with HQ enrolled and its small demo city (300 residents) published.
pub(crate) fn centre_with_hq() -> (tempfile::TempDir, LoopbackServer, Ledger) {
    let dir = tempfile::tempdir().unwrap();
    let server = LoopbackServer::start(&dir.path().join("centre.sqlite3"), 0).unwrap();
    let mut hq = Ledger::open(&dir.path().join("hq.sqlite3")).unwrap();
    let params = DemoParams {
        residents: 300,
        start: now().date_naive(),
        ..DemoParams::default()
    };
    load_demo_city(&mut hq, &params, now(), &mut NoProgress).unwrap();
    let code = server.enrollment_code(SyncRole::Hq, None).unwrap();
    enroll_device(&mut hq, &server.url(), &code, "本部", "262021", now()).unwrap();
    sync_now(&mut hq, now()).unwrap();
    (dir, server, hq)
}

/// A relay served over TLS on loopback from `dir`, on a runtime of its own.
fn serve_relay(dir: &std::path::Path) -> (tokio::runtime::Runtime, JoinCode) {
    let (identity, state) = relay::open(dir).unwrap();
    let centre = vax_sync_client::Client::new(&identity.centre_url, &identity.token);
    relay::upstream_round(dir, &state, &centre, &identity).unwrap();
    let (cert, key, fingerprint) = relay::ensure_certificate(dir, &["127.0.0.1".into()]).unwrap();
    let tls = vax_sync_server::serve::tls_config(&cert, &key).unwrap();
    let listener = std::net::TcpListener::bind("127.0.0.1:0").unwrap();
    let url = format!("https://{}", listener.local_addr().unwrap());
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .worker_threads(1)
        .enable_all()
        .build()
        .unwrap();
    runtime.spawn(vax_sync_server::serve::serve(
        listener,
        state,
        Some(tls),
        std::future::pending::<()>(),
    ));
    (
        runtime,
        relay::join_code(&identity, &url, Some(fingerprint)),
    )
}

#[test]
fn a_check_in_reaches_the_booth_through_the_relay_over_pinned_tls_with_the_centre_gone() {
    let (dir, server, hq) = centre_with_hq();
    let mut reception = enrolled_kiosk(&server, &hq, dir.path(), Role::Reception, "受付1");
    let booth = Mutex::new(enrolled_kiosk(
        &server,
        &hq,
        dir.path(),
        Role::Booth,
        "接種1",
    ));

    // Not joined yet: no lights; a code that is not a relay's is refused.
    assert_eq!(
        relay_lights(&reception, now()).unwrap().reaches_relay,
        Light::Off
    );
    let bad = join_relay(&mut reception, "https://example.invalid").unwrap_err();
    assert_eq!(bad.code(), "INVALID_INPUT");
    let unjoined = sync_with_relay(&mut reception, now()).unwrap_err();
    assert!(matches!(unjoined, RelayAppError::NotJoined), "{unjoined:?}");

    let relay_code = server
        .enrollment_code(SyncRole::Relay, Some("V01"))
        .unwrap();
    let relay_dir = dir.path().join("relay");
    relay::enroll(
        &relay_dir,
        &vax_sync_client::Client::anonymous(&server.url()),
        &relay_code,
        "V01 relay",
    )
    .unwrap();
    let (runtime, join) = serve_relay(&relay_dir);
    server.kill(); // the internet goes

    join_relay(&mut reception, &join.to_text()).unwrap();
    join_relay(&mut booth.lock().unwrap(), &join.to_text()).unwrap();
    let e = desk::enrollment(&reception).unwrap().expect("desk");
    let resident = reception
        .reader()
        .residents_by_voucher(
            None,
            &vax_domain::voucher::VoucherNumber::parse("0000100001").unwrap(),
        )
        .unwrap()[0]
        .id;
    check_in(&mut reception, &e, resident, now()).unwrap();
    let sent = sync_with_relay(&mut reception, now()).unwrap();
    // The check-in and its audit-trail entry (docs/audit.md: the device is the actor here).
    assert_eq!(sent.sent_ops, 2);
    assert!(
        sent.relay_reaches_centre,
        "the relay synced with the centre moments ago"
    );
    let got = sync_with_relay(&booth, now()).unwrap();
    assert_eq!(got.received_ops, 2);
    let booth_desk = desk::enrollment(&booth.lock().unwrap())
        .unwrap()
        .expect("desk");
    let queue = booth_queue(&booth.lock().unwrap(), &booth_desk, now()).unwrap();
    assert_eq!(queue.len(), 1, "the check-in is in the booth's queue");

    let lights = relay_lights(&reception, now()).unwrap();
    assert_eq!(
        (lights.reaches_relay, lights.relay_reaches_centre),
        (Light::Green, Light::Green)
    );
    let later = now() + chrono::Duration::minutes(5);
    let lights = relay_lights(&reception, later).unwrap();
    assert_eq!(
        (lights.reaches_relay, lights.relay_reaches_centre),
        (Light::Red, Light::Red),
        "five minutes without a sync"
    );
    let mut names: Vec<_> = venue_devices(&booth)
        .unwrap()
        .into_iter()
        .filter(|d| d.last_contact_at.is_some())
        .map(|d| d.name)
        .collect();
    names.sort();
    assert_eq!(names, vec!["受付1".to_owned(), "接種1".to_owned()]);

    // A relay showing another certificate than the pinned one is refused for good.
    let mut forged = join.clone();
    forged.fingerprint = Some("00".repeat(32));
    join_relay(&mut reception, &forged.to_text()).unwrap();
    let refused = sync_with_relay(&mut reception, now()).unwrap_err();
    assert!(
        matches!(&refused, RelayAppError::Relay(c) if !c.is_retryable()),
        "{refused:?}"
    );
    // And a relay that is gone is retryable (the light turns red, work goes on).
    join_relay(&mut reception, &join.to_text()).unwrap();
    drop(runtime);
    let gone = sync_with_relay(&mut reception, now()).unwrap_err();
    assert_eq!(gone.code(), "SYNC_OFFLINE", "{gone:?}");
}

/// A kiosk of a partial replica (issue 18) syncing through its venue's relay gets its
/// municipality's residents only, as from the centre: the relay holds the whole city (it was
/// enrolled without a scope) but answers the kiosk by the scope the centre's registry names.
#[test]
fn a_kiosk_of_another_municipality_gets_no_resident_of_the_city_through_the_relay() {
    let (dir, server, _hq) = centre_with_hq();

    let ayabe = vax_domain::voucher::MunicipalityCode::parse("262030").unwrap();
    let code = server
        .scoped_enrollment_code(SyncRole::Reception, Some("V01"), vec![ayabe.clone()])
        .unwrap();
    let mut kiosk = Ledger::open(&dir.path().join("ayabe.sqlite3")).unwrap();
    enroll_device(
        &mut kiosk,
        &server.url(),
        &code,
        "綾部 受付",
        ayabe.as_str(),
        now(),
    )
    .unwrap();

    let relay_code = server
        .enrollment_code(SyncRole::Relay, Some("V01"))
        .unwrap();
    let relay_dir = dir.path().join("relay");
    relay::enroll(
        &relay_dir,
        &vax_sync_client::Client::anonymous(&server.url()),
        &relay_code,
        "V01 relay",
    )
    .unwrap();
    let (_runtime, join) = serve_relay(&relay_dir);
    join_relay(&mut kiosk, &join.to_text()).unwrap();
    let got = sync_with_relay(&mut kiosk, now()).unwrap();
    assert!(got.received_ops > 0, "the venues and bands: {got:?}");
    assert_eq!(kiosk.reader().resident_count().unwrap(), 0);
    assert!(kiosk.check_consistency().unwrap().problems.is_empty());
}
