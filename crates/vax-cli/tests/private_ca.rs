//! TLS as a city runs it (issue 15, docs/security.md), with real processes: `vaxsync serve`
//! with a certificate signed by a city's private CA (made here with rcgen), and `vaxhq` ledgers
//! that pin that CA, or do not.
//!
//! With the city's CA, enrollment and sync succeed; without it (public roots) or with another
//! CA they fail with a clear error before anything is sent; an impostor on the same address
//! with a certificate for the same name from another CA is refused. Plain HTTP to an address
//! off loopback is refused before connecting unless HQ allowed it.

use std::io::{BufRead, BufReader};
use std::net::IpAddr;
use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use rcgen::{BasicConstraints, CertificateParams, CertifiedIssuer, IsCa, KeyPair};

mod support;
use support::{text, vaxhq_bin, vaxsync_bin, Running};

fn vaxhq(ledger: &Path, args: &[&str]) -> Output {
    Command::new(vaxhq_bin())
        .arg("--ledger")
        .arg(ledger)
        .args(args)
        .env_remove("VAXLEDGER_DB")
        .env_remove("VAXLEDGER_NOW")
        .output()
        .expect("vaxhq runs")
}

fn ok(ledger: &Path, args: &[&str]) -> String {
    let out = vaxhq(ledger, args);
    assert!(out.status.success(), "vaxhq {args:?}: {}", text(&out));
    String::from_utf8_lossy(&out.stdout).into_owned()
}

fn refused(ledger: &Path, args: &[&str]) -> String {
    let out = vaxhq(ledger, args);
    assert!(
        !out.status.success(),
        "vaxhq {args:?} succeeded: {}",
        text(&out)
    );
    text(&out)
}

fn hq_code(db: &Path) -> String {
    let out = Command::new(vaxsync_bin())
        .args(["enrollment", "create", "--role", "hq", "--db"])
        .arg(db)
        .output()
        .expect("vaxsync runs");
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `vaxsync serve` on `listen`, over TLS with `tls` (certificate, key); returns it and its URL.
fn serve(db: &Path, listen: &str, tls: Option<(&Path, &Path)>) -> (Running, String) {
    let mut cmd = Command::new(vaxsync_bin());
    cmd.arg("serve")
        .arg("--db")
        .arg(db)
        .args(["--listen", listen])
        .env("RUST_LOG", "error")
        .stdout(Stdio::piped())
        .stderr(Stdio::null());
    if let Some((cert, key)) = tls {
        cmd.arg("--tls-cert").arg(cert).arg("--tls-key").arg(key);
    }
    let mut child = cmd.spawn().expect("vaxsync starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut line = String::new();
    out.read_line(&mut line).expect("first line");
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let url = line
        .trim()
        .strip_prefix("listening on ")
        .unwrap_or_else(|| panic!("unexpected first line {line:?}"))
        .to_owned();
    (Running(child), url)
}

/// A CA (self-signed, may sign certificates) with this common name.
fn certificate_authority(name: &str) -> CertifiedIssuer<'static, KeyPair> {
    let mut params = CertificateParams::new(Vec::<String>::new()).expect("params");
    params.is_ca = IsCa::Ca(BasicConstraints::Unconstrained);
    params
        .distinguished_name
        .push(rcgen::DnType::CommonName, name);
    CertifiedIssuer::self_signed(params, KeyPair::generate().expect("key")).expect("CA")
}

/// A server certificate for localhost and 127.0.0.1 signed by `ca`, written as PEM files.
fn server_certificate(
    ca: &CertifiedIssuer<'static, KeyPair>,
    dir: &Path,
    stem: &str,
) -> (PathBuf, PathBuf) {
    let params = CertificateParams::new(vec!["localhost".to_owned(), "127.0.0.1".to_owned()])
        .expect("params");
    let key = KeyPair::generate().expect("key");
    let cert = params.signed_by(&key, ca).expect("signed");
    let (cert_path, key_path) = (
        dir.join(format!("{stem}.crt")),
        dir.join(format!("{stem}.key")),
    );
    std::fs::write(&cert_path, cert.pem()).expect("write certificate");
    std::fs::write(&key_path, key.serialize_pem()).expect("write key");
    (cert_path, key_path)
}

fn as_refs(v: &[String]) -> Vec<&str> {
    v.iter().map(String::as_str).collect()
}

fn free_port() -> u16 {
    std::net::TcpListener::bind("127.0.0.1:0")
        .and_then(|l| l.local_addr())
        .map(|a| a.port())
        .expect("a free port")
}

#[test]
fn a_city_ca_is_pinned_enroll_and_sync_work_with_it_and_fail_clearly_without_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let city = certificate_authority("Maizuru City CA");
    let other = certificate_authority("Some Other CA");
    let city_pem = d.join("city-ca.pem");
    let other_pem = d.join("other-ca.pem");
    std::fs::write(&city_pem, city.pem()).expect("write");
    std::fs::write(&other_pem, other.pem()).expect("write");
    let (cert, key) = server_certificate(&city, d, "server");
    let db = d.join("sync.db");
    let code = hq_code(&db);
    let port = free_port();
    let listen = format!("127.0.0.1:{port}");
    let (server, url) = serve(&db, &listen, Some((&cert, &key)));
    assert_eq!(url, format!("https://{listen}"));
    let hq = d.join("hq.sqlite3");
    let enroll = |extra: &[&str]| {
        let mut args = vec!["sync", "enroll", "--server", &url, "--code", &code];
        args.extend_from_slice(extra);
        args.iter().map(|s| s.to_string()).collect::<Vec<_>>()
    };

    // Public roots only: the city's CA vouches for nothing there.
    let without = refused(&hq, &as_refs(&enroll(&[])));
    assert!(without.contains("does not trust"), "{without}");
    assert!(without.contains("vaxhq sync trust --ca"), "{without}");
    assert!(without.contains("証明書を信頼できません"), "{without}");
    // Another CA: refused the same way.
    let other_arg = other_pem.to_str().unwrap().to_owned();
    let with_other = refused(&hq, &as_refs(&enroll(&["--ca", &other_arg])));
    assert!(with_other.contains("does not trust"), "{with_other}");
    assert!(
        ok(&hq, &["sync", "trust"]).contains("public web roots"),
        "a refused enrollment stores no CA"
    );

    // The city's CA: enrolled (the code was never spent by the refused attempts), and syncs.
    let city_arg = city_pem.to_str().unwrap().to_owned();
    let enrolled = ok(&hq, &as_refs(&enroll(&["--ca", &city_arg])));
    assert!(enrolled.contains("enrolled as Hq"), "{enrolled}");
    assert!(ok(&hq, &["sync", "trust"]).contains("private CA (pinned"));
    assert!(ok(&hq, &["sync", "run"]).contains("synced"));

    // An impostor on the same address, with a certificate for the same names from another CA
    // (what an attacker on the network or a public CA's mis-issuance would show): refused.
    drop(server);
    let (evil_cert, evil_key) = server_certificate(&other, d, "impostor");
    let (_impostor, impostor_url) =
        serve(&d.join("evil.db"), &listen, Some((&evil_cert, &evil_key)));
    assert_eq!(impostor_url, url);
    let fooled = refused(&hq, &["sync", "run"]);
    assert!(fooled.contains("does not trust"), "{fooled}");
    assert!(fooled.contains("UnknownIssuer"), "{fooled}");
}

/// This machine's address on its network (not loopback), if it has one: the interface a
/// datagram to TEST-NET-3 would leave by (nothing is sent).
fn own_address() -> Option<IpAddr> {
    let socket = std::net::UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("203.0.113.1:9").ok()?;
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_loopback() && !ip.is_unspecified()).then_some(ip)
}

#[test]
fn plain_http_off_this_machine_is_refused_before_connecting_unless_hq_allowed_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let kiosk = d.join("kiosk.sqlite3");

    // TEST-NET-1: nothing answers there, so only a refusal before connecting is quick.
    let started = std::time::Instant::now();
    let out = refused(
        &kiosk,
        &[
            "sync",
            "enroll",
            "--server",
            "http://192.0.2.1:8787",
            "--code",
            "AAAA-BBBB-CCCC",
        ],
    );
    assert!(started.elapsed() < std::time::Duration::from_secs(5));
    assert!(
        out.contains("plain http:// to http://192.0.2.1:8787 is refused"),
        "{out}"
    );
    assert!(out.contains("vaxhq sync trust --allow-plain-http"), "{out}");
    assert!(out.contains("本部が許可していない"), "{out}");

    // A real server on this machine's network address (not loopback), plain HTTP.
    let ip = own_address().expect("this machine has a non-loopback address");
    let db = d.join("sync.db");
    let code = hq_code(&db);
    let (_server, url) = serve(&db, &format!("{ip}:0"), None);
    assert!(url.starts_with(&format!("http://{ip}:")), "{url}");
    let enroll = ["sync", "enroll", "--server", &url, "--code", &code];
    let out = refused(&kiosk, &enroll);
    assert!(out.contains("is refused"), "{out}");

    // HQ allows it explicitly for this ledger: enrollment and sync go through.
    assert!(ok(&kiosk, &["sync", "trust", "--allow-plain-http"]).contains("allowed by HQ"));
    assert!(ok(&kiosk, &enroll).contains("enrolled as Hq"));
    assert!(ok(&kiosk, &["sync", "run"]).contains("synced"));
    // And HQ can take it back: the next sync is refused before connecting.
    ok(&kiosk, &["sync", "trust", "--refuse-plain-http"]);
    assert!(refused(&kiosk, &["sync", "run"]).contains("is refused"));
}

fn vaxsync(args: &[&str]) -> Output {
    Command::new(vaxsync_bin())
        .args(args)
        .env("RUST_LOG", "warn")
        .output()
        .expect("vaxsync runs")
}

fn relay_code(db: &Path) -> String {
    let out = vaxsync(&[
        "enrollment",
        "create",
        "--role",
        "relay",
        "--venue",
        "V01",
        "--db",
        db.to_str().unwrap(),
    ]);
    assert!(out.status.success(), "{}", text(&out));
    String::from_utf8_lossy(&out.stdout).trim().to_owned()
}

/// `vaxsync relay enroll` into `dir` with these extra arguments.
fn relay_enroll(dir: &Path, centre: &str, code: &str, extra: &[&str]) -> Output {
    let mut args = vec![
        "relay",
        "enroll",
        "--dir",
        dir.to_str().unwrap(),
        "--centre",
        centre,
        "--code",
        code,
    ];
    args.extend_from_slice(extra);
    vaxsync(&args)
}

/// `vaxsync relay serve` for `dir` on a free loopback port, once it says where it listens;
/// returns it and its join code. Panics with what it said if it stops instead.
fn relay_serve(dir: &Path, extra: &[&str]) -> (Running, String) {
    let mut child = Command::new(vaxsync_bin())
        .args(["relay", "serve", "--dir", dir.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--every", "1"])
        .args(extra)
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vaxsync relay serve starts");
    let mut out = BufReader::new(child.stdout.take().expect("stdout"));
    let mut lines = Vec::new();
    for _ in 0..2 {
        let mut line = String::new();
        out.read_line(&mut line).expect("reads a line");
        lines.push(line.trim().to_owned());
    }
    assert!(lines[0].starts_with("listening on https://"), "{lines:?}");
    std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
    let mut err = child.stderr.take().expect("stderr");
    std::thread::spawn(move || std::io::copy(&mut err, &mut std::io::sink()));
    let join = lines[1]
        .strip_prefix("join ")
        .expect("a join line")
        .to_owned();
    (Running(child), join)
}

/// Runs `vaxsync relay serve` expecting it to refuse to start: its exit status and what it
/// said. A relay that starts anyway is killed after 15 s and fails the test.
fn relay_serve_refused(dir: &Path) -> String {
    let mut child = Command::new(vaxsync_bin())
        .args(["relay", "serve", "--dir", dir.to_str().unwrap()])
        .args(["--listen", "127.0.0.1:0", "--every", "1"])
        .env("RUST_LOG", "warn")
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("vaxsync relay serve starts");
    let started = std::time::Instant::now();
    while child.try_wait().expect("waits").is_none() {
        if started.elapsed() > std::time::Duration::from_secs(15) {
            let _ = child.kill();
            let out = child.wait_with_output().expect("output");
            panic!("the relay started: {}", text(&out));
        }
        std::thread::sleep(std::time::Duration::from_millis(50));
    }
    let out = child.wait_with_output().expect("output");
    assert!(!out.status.success(), "{}", text(&out));
    text(&out)
}

fn wait_for(what: &str, mut done: impl FnMut() -> bool) {
    let started = std::time::Instant::now();
    while !done() {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(60),
            "{what}: not within 60 s"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_relay_pins_the_city_ca_and_refuses_a_centre_the_city_did_not_certify() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let city = certificate_authority("Maizuru City CA");
    let other = certificate_authority("Some Other CA");
    let (city_pem, other_pem) = (d.join("city-ca.pem"), d.join("other-ca.pem"));
    std::fs::write(&city_pem, city.pem()).expect("write");
    std::fs::write(&other_pem, other.pem()).expect("write");
    let (cert, key) = server_certificate(&city, d, "server");
    let db = d.join("sync.db");
    let code = relay_code(&db);
    let listen = format!("127.0.0.1:{}", free_port());
    let (centre, url) = serve(&db, &listen, Some((&cert, &key)));
    let relay_dir = d.join("relay");

    // Without the city's CA (public roots), or with another CA: refused, nothing kept.
    for extra in [vec![], vec!["--ca", other_pem.to_str().unwrap()]] {
        let out = relay_enroll(&relay_dir, &url, &code, &extra);
        assert!(!out.status.success(), "{extra:?}: {}", text(&out));
        assert!(text(&out).contains("does not trust"), "{}", text(&out));
        assert!(!relay_dir.join("identity.json").exists());
        assert!(!relay_dir.join("trust.json").exists());
    }
    // With it: enrolled (the refused attempts did not spend the code), the CA kept.
    let out = relay_enroll(
        &relay_dir,
        &url,
        &code,
        &["--ca", city_pem.to_str().unwrap()],
    );
    assert!(out.status.success(), "{}", text(&out));
    let kept = std::fs::read_to_string(relay_dir.join("trust.json")).expect("trust.json");
    assert!(kept.contains("BEGIN CERTIFICATE"), "{kept}");

    // Served, it reaches the centre under the kept CA (no --ca on the command line): a booth
    // of the venue that joined it sees both lights green.
    let (_relay, join) = relay_serve(&relay_dir, &[]);
    wait_for("the relay's registry from the centre", || {
        relay_dir.join("registry.json").exists()
    });
    let booth = d.join("booth.sqlite3");
    let booth_code = {
        let out = vaxsync(&[
            "enrollment",
            "create",
            "--role",
            "booth",
            "--venue",
            "V01",
            "--db",
            db.to_str().unwrap(),
        ]);
        String::from_utf8_lossy(&out.stdout).trim().to_owned()
    };
    let city_arg = city_pem.to_str().unwrap();
    ok(
        &booth,
        &[
            "sync",
            "enroll",
            "--server",
            &url,
            "--code",
            &booth_code,
            "--ca",
            city_arg,
        ],
    );
    ok(&booth, &["relay", "join", &join]);
    wait_for("both lights green", || {
        // The relay learns of the booth at its next round with the centre.
        let _ = vaxhq(&booth, &["relay", "sync"]);
        let lights = ok(&booth, &["relay", "lights"]);
        lights.contains("\"reaches_relay\": \"green\"")
            && lights.contains("\"relay_reaches_centre\": \"green\"")
    });

    // An impostor takes the centre's address with a certificate for the same names from
    // another CA: the relay refuses it (its token is never sent), and says why at the booth.
    drop(centre);
    let (evil_cert, evil_key) = server_certificate(&other, d, "impostor");
    let (_impostor, impostor_url) =
        serve(&d.join("evil.db"), &listen, Some((&evil_cert, &evil_key)));
    assert_eq!(impostor_url, url);
    wait_for("the booth told the relay refuses the impostor", || {
        ok(&booth, &["relay", "sync"]);
        let lights = ok(&booth, &["relay", "lights"]);
        lights.contains("\"relay_reaches_centre\": \"red\"")
            && lights.contains("does not trust")
            && lights.contains("UnknownIssuer")
    });
}

#[test]
fn a_relay_refuses_a_plain_http_centre_off_this_machine_unless_allowed() {
    let dir = tempfile::tempdir().expect("tempdir");
    let d = dir.path();
    let ip = own_address().expect("this machine has a non-loopback address");
    let db = d.join("sync.db");
    let code = relay_code(&db);
    let (_centre, url) = serve(&db, &format!("{ip}:0"), None);
    assert!(url.starts_with(&format!("http://{ip}:")), "{url}");
    let relay_dir = d.join("relay");

    let out = relay_enroll(&relay_dir, &url, &code, &[]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(text(&out).contains("is refused"), "{}", text(&out));
    assert!(!relay_dir.join("identity.json").exists());

    // Allowed explicitly at enrollment: kept, so the relay serves and reaches the centre.
    let out = relay_enroll(&relay_dir, &url, &code, &["--allow-plain-http"]);
    assert!(out.status.success(), "{}", text(&out));
    {
        let _relay = relay_serve(&relay_dir, &[]);
        wait_for("the relay's registry from the centre", || {
            relay_dir.join("registry.json").exists()
        });
    }

    // A relay directory without that decision (enrolled before the policy was kept) does not
    // start: its token would travel in clear. Allowed for the run, it does.
    std::fs::remove_file(relay_dir.join("trust.json")).expect("remove trust.json");
    std::fs::remove_file(relay_dir.join("registry.json")).expect("remove registry.json");
    let refused = relay_serve_refused(&relay_dir);
    assert!(refused.contains("is refused"), "{refused}");
    assert!(
        refused.contains("the relay's link to the centre"),
        "{refused}"
    );
    let _relay = relay_serve(&relay_dir, &["--allow-plain-http"]);
    wait_for("the relay's registry from the centre", || {
        relay_dir.join("registry.json").exists()
    });
}
