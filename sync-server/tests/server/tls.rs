//! HTTPS with a private CA: the server on rustls (ring), the client trusting only that CA.

use vax_sync::Role;
use vax_sync_client::{sync_session, Client, MemoryReplica};

use crate::process::ServerProcess;
use crate::support::dose;

#[test]
fn the_server_speaks_tls_to_a_client_that_trusts_its_ca_and_only_to_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let cert =
        rcgen::generate_simple_self_signed(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
            .expect("certificate");
    let cert_pem = cert.cert.pem();
    let (cert_path, key_path) = (dir.path().join("cert.pem"), dir.path().join("key.pem"));
    std::fs::write(&cert_path, &cert_pem).expect("write cert");
    std::fs::write(&key_path, cert.signing_key.serialize_pem()).expect("write key");
    let db = dir.path().join("sync.db");

    let out = std::process::Command::new(env!("CARGO_BIN_EXE_vaxsync"))
        .args([
            "enrollment",
            "create",
            "--role",
            "booth",
            "--venue",
            "V01",
            "--db",
        ])
        .arg(&db)
        .output()
        .expect("vaxsync");
    assert!(out.status.success());
    let code = String::from_utf8(out.stdout).expect("utf-8");

    let server = ServerProcess::start(&db, Some((&cert_path, &key_path)));
    assert!(
        server.url.starts_with("https://127.0.0.1:"),
        "{}",
        server.url
    );

    let trusting = Client::anonymous(&server.url)
        .with_root_cert(cert_pem.as_bytes())
        .expect("root cert");
    let health = trusting.health().expect("health over https");
    assert_eq!(health.status, "ok");

    // The public web roots do not vouch for a city's private CA: refused, and not retryable.
    let err = Client::anonymous(&server.url)
        .health()
        .expect_err("untrusted");
    assert!(err.is_permanent(), "{err}");
    // Plain HTTP to the TLS port does not work either.
    let plain = server.url.replace("https://", "http://");
    assert!(Client::anonymous(&plain).health().is_err());

    let key = vax_sync_client::new_device_key();
    let enrollment = trusting
        .enroll(code.trim(), "接種1", key.public())
        .expect("enroll over https");
    let client = trusting.clone().with_token(&enrollment.token);
    let mut booth = MemoryReplica::new(enrollment.replica_id, Role::Booth, key).expect("key");
    booth.write(dose(1, "V01")).expect("write");
    let report =
        sync_session(&mut booth, &client, health.server_replica_id).expect("sync over https");
    assert_eq!(report.sent_ops, 1);
    assert_eq!(client.status().expect("status").ops, 1);
}
