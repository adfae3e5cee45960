//! Encryption at rest of the server's SQLite store (docs/encryption.md, "The sync server's
//! store"), with the real `vaxsync` binary: a plain store encrypted in place keeps every op
//! and device and holds no resident's name in its bytes (WAL included); without its key or
//! with another one it is refused by every command and nothing changes; an encryption cut
//! short is refused without the key and finished with it. SQLite only, whatever store the
//! suite runs on: PostgreSQL's encryption at rest is the cluster's.

use std::path::{Path, PathBuf};
use std::process::{Command, Output, Stdio};

use vax_sync::{OpKind, ResidentField, Role, VenueCode};
use vax_sync_client::{enroll, new_device_key, sync_session, Client, MemoryReplica};

use crate::process::ServerProcess;
use crate::support::{dose, resident};

/// `vaxsync ARGS` with none of the store's settings from the environment. A command that
/// does not end within 30 s (a `serve` that should have been refused and serves instead) is
/// killed and fails the test.
fn vaxsync(args: &[&str]) -> Output {
    let mut child = Command::new(env!("CARGO_BIN_EXE_vaxsync"))
        .args(args)
        .env("RUST_LOG", "warn")
        .env_remove("VAXSYNC_DB")
        .env_remove("VAXSYNC_KEY_FILE")
        .stdin(Stdio::null())
        .stdout(Stdio::piped())
        .stderr(Stdio::piped())
        .spawn()
        .expect("run vaxsync");
    for _ in 0..300 {
        if child.try_wait().expect("try_wait").is_some() {
            return child.wait_with_output().expect("output");
        }
        std::thread::sleep(std::time::Duration::from_millis(100));
    }
    let _ = child.kill();
    let out = child.wait_with_output().expect("output");
    panic!("vaxsync {args:?} did not end: {}", text(&out));
}

fn text(out: &Output) -> String {
    format!(
        "{}{}",
        String::from_utf8_lossy(&out.stdout),
        String::from_utf8_lossy(&out.stderr)
    )
}

fn ok(args: &[&str]) -> String {
    let out = vaxsync(args);
    assert!(out.status.success(), "vaxsync {args:?}: {}", text(&out));
    String::from_utf8(out.stdout).expect("utf-8")
}

fn s(path: &Path) -> &str {
    path.to_str().expect("utf-8 path")
}

/// The store's files as raw bytes: the main file, then its WAL.
fn raw_bytes(db: &Path) -> Vec<u8> {
    let mut bytes = std::fs::read(db).expect("read the store");
    if let Ok(wal) = std::fs::read(format!("{}-wal", db.display())) {
        bytes.extend(wal);
    }
    bytes
}

fn contains(haystack: &[u8], needle: &str) -> bool {
    haystack
        .windows(needle.len())
        .any(|w| w == needle.as_bytes())
}

fn set_name(n: u32, name: &str) -> OpKind {
    OpKind::SetResidentFields {
        resident: resident(n),
        fields: vec![ResidentField::Name(name.into())],
    }
}

/// A server on `db` (with `--key-file key` when given), HQ enrolled with a code made by the
/// CLI.
struct Running {
    server: ServerProcess,
    hq: Client,
}

fn start(db: &Path, key: Option<&Path>) -> ServerProcess {
    let flags: Vec<&str> = match key {
        Some(k) => vec!["--key-file", s(k)],
        None => vec![],
    };
    ServerProcess::start_with(db, None, "warn", Stdio::null(), &flags)
}

fn start_with_hq(db: &Path) -> (Running, MemoryReplica, vax_sync::ReplicaId) {
    let code = ok(&["enrollment", "create", "--db", s(db), "--role", "hq"]);
    let server = start(db, None);
    let key = new_device_key();
    let e = enroll(&server.url, code.trim(), "本部1", &key).expect("enroll HQ");
    let hq = Client::new(&server.url, &e.token);
    let replica = MemoryReplica::new(e.replica_id, Role::Hq, key).expect("key");
    (Running { server, hq }, replica, e.server_replica_id)
}

/// A plain store holding HQ, a booth of V01 and their ops (a resident named `name`), with
/// the server stopped; returns the booth's client, replica and key.
fn plain_store_with(db: &Path, name: &str) -> (String, vax_sync::DeviceKey, vax_sync::ReplicaId) {
    let (running, mut hq, server_id) = start_with_hq(db);
    hq.write(set_name(1, name)).expect("write");
    sync_session(&mut hq, &running.hq, server_id).expect("hq syncs");
    let code = running
        .hq
        .create_enrollment_code(Role::Booth, Some(&VenueCode::new("V01")), &[], 24)
        .expect("code");
    let key = new_device_key();
    let booth = enroll(&running.server.url, &code, "接種1", &key).expect("enroll booth");
    let mut replica = MemoryReplica::new(booth.replica_id, Role::Booth, key.clone()).expect("key");
    replica.write(dose(1, "V01")).expect("write");
    let client = Client::new(&running.server.url, &booth.token);
    let report = sync_session(&mut replica, &client, server_id).expect("booth syncs");
    assert_eq!((report.sent_ops, report.received_ops), (1, 1));
    drop(running);
    (booth.token, key, booth.replica_id)
}

#[test]
fn a_plain_store_encrypted_in_place_keeps_every_op_and_device_with_no_name_left_in_its_bytes() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sync.db");
    let key_file = dir.path().join("store.key");
    let name = "暗号 試験子";
    let (token, booth_key, booth_id) = plain_store_with(&db, name);
    assert!(
        contains(&raw_bytes(&db), name),
        "the check can fail: the plain store shows the name"
    );
    let status = ok(&["status", "--db", s(&db)]);
    let devices = ok(&["devices", "list", "--db", s(&db)]);

    let out = ok(&[
        "store",
        "encrypt",
        "--db",
        s(&db),
        "--key-file",
        s(&key_file),
    ]);
    assert!(out.starts_with("encrypted: "), "{out}");
    assert!(out.contains("(2 ops, 2 devices)"), "{out}");
    let key_text = std::fs::read_to_string(&key_file).expect("key file");
    assert_eq!(key_text.len(), 65, "64 hex digits and a newline");
    assert!(key_text.trim().chars().all(|c| c.is_ascii_hexdigit()));
    use std::os::unix::fs::PermissionsExt;
    let mode = std::fs::metadata(&key_file).unwrap().permissions().mode() & 0o777;
    assert_eq!(mode, 0o600, "the key file is its owner's only");
    let bytes = raw_bytes(&db);
    assert!(!contains(&bytes, name));
    assert!(!contains(&bytes, "SQLite format 3"));
    assert!(
        !contains(&bytes, key_text.trim()),
        "the key is not in the store"
    );

    // Every op and device is there, as the commands that read the store show them.
    let k = s(&key_file);
    assert_eq!(ok(&["status", "--db", s(&db), "--key-file", k]), status);
    assert_eq!(
        ok(&["devices", "list", "--db", s(&db), "--key-file", k]),
        devices
    );

    // The server serves it with the key: the booth syncs on, a new replica of it gets
    // everything back, and HQ writes a name that lands encrypted (WAL included).
    let server = start(&db, Some(&key_file));
    let client = Client::new(&server.url, &token);
    let server_id = client.health().expect("health").server_replica_id;
    let mut again = MemoryReplica::new(booth_id, Role::Booth, booth_key).expect("key");
    let report = sync_session(&mut again, &client, server_id).expect("booth syncs");
    assert_eq!(report.received_ops, 2, "its own dose and HQ's name");
    assert_eq!(again.log.len(), 2);
    let code = ok(&[
        "enrollment",
        "create",
        "--db",
        s(&db),
        "--key-file",
        k,
        "--role",
        "hq",
    ]);
    let hq_key = new_device_key();
    let hq2 =
        enroll(&server.url, code.trim(), "本部2", &hq_key).expect("enroll on the encrypted store");
    let mut hq2_replica = MemoryReplica::new(hq2.replica_id, Role::Hq, hq_key).expect("key");
    let later = "後日 追加子";
    hq2_replica.write(set_name(2, later)).expect("write");
    let hq2_client = Client::new(&server.url, &hq2.token);
    let report = sync_session(&mut hq2_replica, &hq2_client, server_id).expect("hq2 syncs");
    assert_eq!((report.sent_ops, report.received_ops), (1, 2));
    drop(server); // SIGKILL: the new op may still be in the WAL only
    assert!(!contains(&raw_bytes(&db), later));
    assert!(ok(&["status", "--db", s(&db), "--key-file", k]).contains("ops             3"));
}

/// The refusal of a command on `db`: the exit status, the stable code and both languages.
fn refused(args: &[&str], status: i32, code: &str, en: &str, ja: &str) {
    let out = vaxsync(args);
    let all = text(&out);
    assert_eq!(out.status.code(), Some(status), "vaxsync {args:?}: {all}");
    assert!(all.contains(&format!("[{code}]")), "{all}");
    assert!(all.contains(en), "{en:?} in {all}");
    assert!(all.contains(ja), "{ja:?} in {all}");
    assert!(!all.contains("listening on"), "nothing served: {all}");
}

/// Every file in `dir` with its bytes.
fn snapshot(dir: &Path) -> Vec<(PathBuf, Vec<u8>)> {
    let mut files: Vec<_> = std::fs::read_dir(dir)
        .unwrap()
        .map(|e| e.unwrap().path())
        .filter(|p| p.is_file())
        .map(|p| {
            let bytes = std::fs::read(&p).unwrap();
            (p, bytes)
        })
        .collect();
    files.sort();
    files
}

#[test]
fn an_encrypted_store_is_refused_by_every_command_without_its_key_or_with_another_and_nothing_changes(
) {
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    std::fs::create_dir(&store_dir).unwrap();
    let db = store_dir.join("sync.db");
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let key_file = keys.join("store.key");
    ok(&["enrollment", "create", "--db", s(&db), "--role", "hq"]);
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&db),
        "--key-file",
        s(&key_file),
    ]);
    // Another store's key: a key file that is right in every way but this one.
    let other_db = dir.path().join("other.db");
    let other_key = keys.join("other.key");
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&other_db),
        "--key-file",
        s(&other_key),
    ]);
    let before = snapshot(&store_dir);
    let d = s(&db);
    let replica = uuid::Uuid::now_v7().to_string();
    let commands: Vec<Vec<&str>> = vec![
        vec!["serve", "--db", d, "--listen", "127.0.0.1:0"],
        vec!["enrollment", "create", "--db", d, "--role", "hq"],
        vec!["devices", "list", "--db", d],
        vec!["devices", "revoke", &replica, "--db", d],
        vec!["alerts", "--db", d],
        vec!["status", "--db", d],
    ];
    for command in &commands {
        refused(
            command,
            5,
            "LEDGER_UNAVAILABLE",
            "is encrypted: give its key file",
            "は暗号化されています",
        );
        let mut wrong = command.clone();
        wrong.extend(["--key-file", s(&other_key)]);
        refused(
            &wrong,
            4,
            "INVALID_INPUT",
            "the key does not open the store",
            "鍵が保存先",
        );
        assert_eq!(snapshot(&store_dir), before, "{command:?} changed nothing");
    }
    // The key from the environment, as systemd's credential would give it, is refused too.
    let out = Command::new(env!("CARGO_BIN_EXE_vaxsync"))
        .args(["status", "--db", d])
        .env("VAXSYNC_KEY_FILE", &other_key)
        .output()
        .unwrap();
    assert_eq!(out.status.code(), Some(4), "{}", text(&out));

    // A key file others may read is refused, though its key is right.
    let loose = keys.join("loose.key");
    std::fs::copy(&key_file, &loose).unwrap();
    use std::os::unix::fs::PermissionsExt;
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o644)).unwrap();
    refused(
        &["status", "--db", d, "--key-file", s(&loose)],
        1,
        "LEDGER_UNAVAILABLE",
        "others may read it (mode 644)",
        "鍵ファイル",
    );
    // A key file that is not a key (one digit short) is refused.
    let short = keys.join("short.key");
    let text_key = std::fs::read_to_string(&key_file).unwrap();
    std::fs::write(&short, &text_key.trim()[1..]).unwrap();
    std::fs::set_permissions(&short, std::fs::Permissions::from_mode(0o600)).unwrap();
    refused(
        &["status", "--db", d, "--key-file", s(&short)],
        1,
        "LEDGER_UNAVAILABLE",
        "not a store key",
        "鍵ファイル",
    );

    // Encrypting again: with another existing key file, refused; with none, refused without
    // making one (the store's key is never replaced); with its own key, nothing to do.
    refused(
        &["store", "encrypt", "--db", d, "--key-file", s(&other_key)],
        4,
        "INVALID_INPUT",
        "the key does not open the store",
        "鍵が保存先",
    );
    let new_key = keys.join("new.key");
    refused(
        &["store", "encrypt", "--db", d, "--key-file", s(&new_key)],
        5,
        "LEDGER",
        "is encrypted already",
        "すでに別の鍵で暗号化されています",
    );
    assert!(!new_key.exists(), "no key file made for an encrypted store");
    assert_eq!(snapshot(&store_dir), before);
    let again = ok(&["store", "encrypt", "--db", d, "--key-file", s(&key_file)]);
    assert!(again.starts_with("already encrypted: "), "{again}");
    assert!(ok(&["status", "--db", d, "--key-file", s(&key_file)]).contains("ops             0"));

    // A key for a plain store, or for none: refused, nothing made or changed.
    let plain = dir.path().join("plain.db");
    ok(&["status", "--db", s(&plain)]);
    let plain_bytes = std::fs::read(&plain).unwrap();
    refused(
        &["status", "--db", s(&plain), "--key-file", s(&key_file)],
        5,
        "LEDGER",
        "is not encrypted (or does not exist)",
        "暗号化されていない",
    );
    assert_eq!(std::fs::read(&plain).unwrap(), plain_bytes);
    let missing = dir.path().join("missing.db");
    refused(
        &["serve", "--db", s(&missing), "--key-file", s(&key_file)],
        5,
        "LEDGER",
        "is not encrypted (or does not exist)",
        "暗号化されていない",
    );
    assert!(!missing.exists(), "a mistyped path makes no new store");

    // PostgreSQL: refused before any connection is tried.
    refused(
        &[
            "status",
            "--db",
            "postgres://vaxsync@127.0.0.1:1/vax",
            "--key-file",
            s(&key_file),
        ],
        5,
        "INVALID_INPUT",
        "encrypted at rest by its cluster",
        "PostgreSQL",
    );
    let pg_key = keys.join("pg.key");
    refused(
        &[
            "store",
            "encrypt",
            "--db",
            "postgres://vaxsync@127.0.0.1:1/vax",
            "--key-file",
            s(&pg_key),
        ],
        5,
        "INVALID_INPUT",
        "encrypted at rest by its cluster",
        "PostgreSQL",
    );
    assert!(!pg_key.exists(), "no key file made for PostgreSQL");
}

#[test]
fn an_encryption_cut_short_is_refused_without_its_key_and_finished_with_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sync.db");
    let key_file = dir.path().join("store.key");
    let name = "中断 試験子";
    let (token, booth_key, booth_id) = plain_store_with(&db, name);
    let status = ok(&["status", "--db", s(&db)]);

    // The export's file cannot be made (a directory stands in its way): the run stops after
    // the key file is written and the store has recorded its key, as a crash there would.
    let obstacle = PathBuf::from(format!("{}.encrypting", db.display()));
    std::fs::create_dir(&obstacle).unwrap();
    let cut = vaxsync(&[
        "store",
        "encrypt",
        "--db",
        s(&db),
        "--key-file",
        s(&key_file),
    ]);
    assert!(!cut.status.success(), "{}", text(&cut));
    std::fs::remove_dir(&obstacle).unwrap();
    assert!(key_file.exists());
    assert!(contains(&raw_bytes(&db), name), "still plain");
    // A torn export left behind is not trusted.
    std::fs::write(&obstacle, b"torn").unwrap();
    let half = std::fs::read(&db).unwrap();

    // Without the key, the half-encrypted store is not served plain.
    refused(
        &["serve", "--db", s(&db), "--listen", "127.0.0.1:0"],
        5,
        "LEDGER_UNAVAILABLE",
        "was begun and not finished",
        "暗号化が途中で止まっています",
    );
    // Nor finished under another key than the one it recorded.
    let other_key = dir.path().join("other.key");
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&dir.path().join("other.db")),
        "--key-file",
        s(&other_key),
    ]);
    refused(
        &["status", "--db", s(&db), "--key-file", s(&other_key)],
        4,
        "INVALID_INPUT",
        "the key does not open the store",
        "鍵が保存先",
    );
    refused(
        &[
            "store",
            "encrypt",
            "--db",
            s(&db),
            "--key-file",
            s(&other_key),
        ],
        4,
        "INVALID_INPUT",
        "the key does not open the store",
        "鍵が保存先",
    );
    assert_eq!(std::fs::read(&db).unwrap(), half, "nothing changed");

    // The server started with the key finishes the job and serves everything.
    let server = start(&db, Some(&key_file));
    assert!(!contains(&raw_bytes(&db), name));
    assert!(!contains(&raw_bytes(&db), "SQLite format 3"));
    assert!(
        !obstacle.exists(),
        "the torn export was replaced, then renamed over the store"
    );
    let client = Client::new(&server.url, &token);
    let server_id = client.health().expect("health").server_replica_id;
    let mut again = MemoryReplica::new(booth_id, Role::Booth, booth_key).expect("key");
    let report = sync_session(&mut again, &client, server_id).expect("booth syncs");
    assert_eq!(report.received_ops, 2, "its own dose and HQ's name");
    drop(server);
    let k = s(&key_file);
    assert_eq!(ok(&["status", "--db", s(&db), "--key-file", k]), status);
    let again = ok(&["store", "encrypt", "--db", s(&db), "--key-file", k]);
    assert!(again.starts_with("already encrypted: "), "{again}");
}

// ----- Changing the store's key (`vaxsync store rekey`) -----

/// A store made by [`plain_store_with`] and encrypted under a new key file `old.key` in
/// `keys`; returns the booth's token, key and id.
fn encrypted_store_with(
    db: &Path,
    old_key: &Path,
    name: &str,
) -> (String, vax_sync::DeviceKey, vax_sync::ReplicaId) {
    let booth = plain_store_with(db, name);
    ok(&["store", "encrypt", "--db", s(db), "--key-file", s(old_key)]);
    booth
}

type Files = Vec<(PathBuf, Vec<u8>)>;

/// `now` is `before`, file for file and byte for byte (the names of the files that differ
/// are shown, not their bytes).
fn assert_same(now: &Files, before: &Files) {
    let names = |files: &Files| files.iter().map(|(p, _)| p.clone()).collect::<Vec<_>>();
    assert_eq!(names(now), names(before), "the same files");
    let changed: Vec<_> = now
        .iter()
        .zip(before)
        .filter(|(a, b)| a.1 != b.1)
        .map(|(a, _)| a.0.display().to_string())
        .collect();
    assert!(changed.is_empty(), "changed: {changed:?}");
}

fn assert_same_pair(now: &(Files, Files), before: &(Files, Files)) {
    assert_same(&now.0, &before.0);
    assert_same(&now.1, &before.1);
}

fn mode(path: &Path) -> u32 {
    use std::os::unix::fs::PermissionsExt;
    std::fs::metadata(path).unwrap().permissions().mode() & 0o777
}

/// Every read-only command and `serve` on `db` with the key in `key`, refused with the wrong
/// key's refusal.
fn old_key_refused_everywhere(db: &Path, key: &Path) {
    let (d, k) = (s(db), s(key));
    for command in [
        vec![
            "serve",
            "--db",
            d,
            "--listen",
            "127.0.0.1:0",
            "--key-file",
            k,
        ],
        vec!["status", "--db", d, "--key-file", k],
        vec!["devices", "list", "--db", d, "--key-file", k],
        vec!["alerts", "--db", d, "--key-file", k],
    ] {
        refused(
            &command,
            4,
            "INVALID_INPUT",
            "the key does not open the store",
            "鍵が保存先",
        );
    }
}

#[test]
fn a_rekeyed_store_is_refused_under_its_old_key_and_opens_under_the_new_one_with_everything() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sync.db");
    let old_key = dir.path().join("old.key");
    let new_key = dir.path().join("new.key");
    let name = "鍵替 試験子";
    let (token, booth_key, booth_id) = encrypted_store_with(&db, &old_key, name);
    let (d, old, new) = (s(&db), s(&old_key), s(&new_key));
    let status = ok(&["status", "--db", d, "--key-file", old]);
    let devices = ok(&["devices", "list", "--db", d, "--key-file", old]);

    let out = ok(&[
        "store",
        "rekey",
        "--db",
        d,
        "--key-file",
        old,
        "--new-key-file",
        new,
    ]);
    assert!(out.starts_with("rekeyed: "), "{out}");
    assert!(out.contains("(2 ops, 2 devices)"), "{out}");
    let new_text = std::fs::read_to_string(&new_key).expect("the new key file");
    assert_eq!(new_text.len(), 65, "64 hex digits and a newline");
    assert_ne!(new_text, std::fs::read_to_string(&old_key).unwrap());
    assert_eq!(
        mode(&new_key),
        0o600,
        "the new key file is its owner's only"
    );
    for leftover in [".rekey", ".rekeying", "-wal", "-shm"] {
        let path = PathBuf::from(format!("{}{leftover}", db.display()));
        assert!(!path.exists(), "{} left behind", path.display());
    }
    let bytes = raw_bytes(&db);
    assert!(!contains(&bytes, name));
    assert!(!contains(&bytes, "SQLite format 3"));

    // The old key opens nothing any more, whatever the command; the new one opens it all.
    old_key_refused_everywhere(&db, &old_key);
    assert_eq!(ok(&["status", "--db", d, "--key-file", new]), status);
    assert_eq!(
        ok(&["devices", "list", "--db", d, "--key-file", new]),
        devices
    );
    assert!(ok(&["alerts", "--db", d, "--key-file", new]).contains("no open alerts"));
    let code = ok(&[
        "enrollment",
        "create",
        "--db",
        d,
        "--key-file",
        new,
        "--role",
        "hq",
    ]);

    // The server serves it under the new key: the booth syncs on, a new HQ enrolls and
    // writes a name that lands encrypted.
    let server = start(&db, Some(&new_key));
    let client = Client::new(&server.url, &token);
    let server_id = client.health().expect("health").server_replica_id;
    let mut again = MemoryReplica::new(booth_id, Role::Booth, booth_key).expect("key");
    let report = sync_session(&mut again, &client, server_id).expect("booth syncs");
    assert_eq!(report.received_ops, 2, "its own dose and HQ's name");
    let hq_key = new_device_key();
    let hq2 = enroll(&server.url, code.trim(), "本部2", &hq_key).expect("enroll");
    let mut hq2_replica = MemoryReplica::new(hq2.replica_id, Role::Hq, hq_key).expect("key");
    let later = "鍵替後 追加子";
    hq2_replica.write(set_name(2, later)).expect("write");
    let hq2_client = Client::new(&server.url, &hq2.token);
    sync_session(&mut hq2_replica, &hq2_client, server_id).expect("hq2 syncs");
    drop(server);
    assert!(!contains(&raw_bytes(&db), later));

    // The same command again: done already, nothing changed (the killed server's WAL
    // checkpointed first by one more open).
    ok(&["status", "--db", d, "--key-file", new]);
    let before = snapshot(dir.path());
    let again = ok(&[
        "store",
        "rekey",
        "--db",
        d,
        "--key-file",
        old,
        "--new-key-file",
        new,
    ]);
    assert!(again.starts_with("already rekeyed: "), "{again}");
    assert!(again.contains("(3 ops, 3 devices)"), "{again}");
    assert_same(&snapshot(dir.path()), &before);
}

#[test]
fn a_rekey_with_the_wrong_keys_or_a_loose_key_file_or_postgres_is_refused_and_changes_nothing() {
    let dir = tempfile::tempdir().expect("tempdir");
    let store_dir = dir.path().join("store");
    let keys = dir.path().join("keys");
    std::fs::create_dir(&store_dir).unwrap();
    std::fs::create_dir(&keys).unwrap();
    let db = store_dir.join("sync.db");
    let old_key = keys.join("old.key");
    ok(&["enrollment", "create", "--db", s(&db), "--role", "hq"]);
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&db),
        "--key-file",
        s(&old_key),
    ]);
    let other_key = keys.join("other.key");
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&dir.path().join("other.db")),
        "--key-file",
        s(&other_key),
    ]);
    let new_key = keys.join("new.key");
    let (d, old, new) = (s(&db), s(&old_key), s(&new_key));
    let unchanged = || (snapshot(&store_dir), snapshot(&keys));
    let before = unchanged();

    // Another store's key as the old one.
    refused(
        &[
            "store",
            "rekey",
            "--db",
            d,
            "--key-file",
            s(&other_key),
            "--new-key-file",
            new,
        ],
        4,
        "INVALID_INPUT",
        "the key does not open the store",
        "鍵が保存先",
    );
    assert!(!new_key.exists(), "no new key file for a wrong old key");
    assert_same_pair(&unchanged(), &before);

    // The old key as the new one: the same file, or a copy.
    let copy = keys.join("copy.key");
    std::fs::copy(&old_key, &copy).unwrap();
    let before = unchanged();
    for same in [old, s(&copy)] {
        refused(
            &[
                "store",
                "rekey",
                "--db",
                d,
                "--key-file",
                old,
                "--new-key-file",
                same,
            ],
            5,
            "INVALID_INPUT",
            "holds the old key",
            "古い鍵と同じです",
        );
    }
    // A new key file that is there already with another key (another store's).
    refused(
        &[
            "store",
            "rekey",
            "--db",
            d,
            "--key-file",
            old,
            "--new-key-file",
            s(&other_key),
        ],
        5,
        "INVALID_INPUT",
        "exists already with another key",
        "新しい鍵ファイル",
    );
    assert_same_pair(&unchanged(), &before);

    // Key files others may read: the old one, or the new one given.
    use std::os::unix::fs::PermissionsExt;
    let loose = keys.join("loose.key");
    std::fs::copy(&old_key, &loose).unwrap();
    std::fs::set_permissions(&loose, std::fs::Permissions::from_mode(0o640)).unwrap();
    let loose_new = keys.join("loose-new.key");
    std::fs::copy(&other_key, &loose_new).unwrap();
    std::fs::set_permissions(&loose_new, std::fs::Permissions::from_mode(0o604)).unwrap();
    let before = unchanged();
    refused(
        &[
            "store",
            "rekey",
            "--db",
            d,
            "--key-file",
            s(&loose),
            "--new-key-file",
            new,
        ],
        1,
        "LEDGER_UNAVAILABLE",
        "others may read it (mode 640)",
        "鍵ファイル",
    );
    refused(
        &[
            "store",
            "rekey",
            "--db",
            d,
            "--key-file",
            old,
            "--new-key-file",
            s(&loose_new),
        ],
        1,
        "LEDGER_UNAVAILABLE",
        "others may read it (mode 604)",
        "鍵ファイル",
    );
    assert_same_pair(&unchanged(), &before);

    // A plain store, a missing one, PostgreSQL: refused, no key file made.
    let plain = dir.path().join("plain.db");
    ok(&["status", "--db", s(&plain)]);
    let plain_bytes = std::fs::read(&plain).unwrap();
    refused(
        &[
            "store",
            "rekey",
            "--db",
            s(&plain),
            "--key-file",
            old,
            "--new-key-file",
            new,
        ],
        5,
        "LEDGER",
        "is not encrypted (or does not exist)",
        "暗号化されていない",
    );
    assert_eq!(std::fs::read(&plain).unwrap(), plain_bytes);
    let missing = dir.path().join("missing.db");
    refused(
        &[
            "store",
            "rekey",
            "--db",
            s(&missing),
            "--key-file",
            old,
            "--new-key-file",
            new,
        ],
        5,
        "LEDGER",
        "is not encrypted (or does not exist)",
        "暗号化されていない",
    );
    assert!(!missing.exists());
    refused(
        &[
            "store",
            "rekey",
            "--db",
            "postgres://vaxsync@127.0.0.1:1/vax",
            "--key-file",
            old,
            "--new-key-file",
            new,
        ],
        5,
        "INVALID_INPUT",
        "encrypted at rest by its cluster",
        "PostgreSQL",
    );
    assert!(!new_key.exists(), "no key file made by a refused rekey");
    assert_same_pair(&unchanged(), &before);
    // And the store still opens under its key.
    assert!(ok(&["status", "--db", d, "--key-file", old]).contains("devices         0"));
}

#[test]
fn a_rekey_cut_short_is_served_under_neither_key_and_finished_by_the_same_command() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("sync.db");
    let old_key = dir.path().join("old.key");
    let new_key = dir.path().join("new.key");
    let name = "鍵替中断 試験子";
    let (token, booth_key, booth_id) = encrypted_store_with(&db, &old_key, name);
    let (d, old, new) = (s(&db), s(&old_key), s(&new_key));
    let status = ok(&["status", "--db", d, "--key-file", old]);
    let rekey = [
        "store",
        "rekey",
        "--db",
        d,
        "--key-file",
        old,
        "--new-key-file",
        new,
    ];

    // The export's file cannot be made (a directory stands in its way): the run stops after
    // the marker and the new key file are written, as a crash there would.
    let obstacle = PathBuf::from(format!("{d}.rekeying"));
    std::fs::create_dir(&obstacle).unwrap();
    let cut = vaxsync(&rekey);
    assert!(!cut.status.success(), "{}", text(&cut));
    std::fs::remove_dir(&obstacle).unwrap();
    assert_eq!(
        mode(&new_key),
        0o600,
        "the new key is kept before the store changes"
    );
    let marker = PathBuf::from(format!("{d}.rekey"));
    let marker_text = std::fs::read(&marker).expect("the change is marked begun");
    let half = snapshot(dir.path());

    // Neither key is served, nor none; the marker reveals no key.
    let new_text = std::fs::read_to_string(&new_key).unwrap();
    assert!(!contains(&marker_text, new_text.trim()));
    for key in [Some(old), Some(new), None] {
        let mut command = vec!["serve", "--db", d, "--listen", "127.0.0.1:0"];
        command.extend(key.map(|k| ["--key-file", k]).into_iter().flatten());
        refused(
            &command,
            5,
            "LEDGER_UNAVAILABLE",
            "is being changed and the change is not finished",
            "鍵の変更が途中で止まっています",
        );
    }
    // Nor finished towards another new key than the one it began with (another store's, in
    // a directory of its own).
    let elsewhere = dir.path().join("elsewhere");
    std::fs::create_dir(&elsewhere).unwrap();
    let other_key = elsewhere.join("other.key");
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&elsewhere.join("other.db")),
        "--key-file",
        s(&other_key),
    ]);
    refused(
        &[
            "store",
            "rekey",
            "--db",
            d,
            "--key-file",
            old,
            "--new-key-file",
            s(&other_key),
        ],
        5,
        "INVALID_INPUT",
        "exists already with another key",
        "新しい鍵ファイル",
    );
    assert_same(&snapshot(dir.path()), &half);

    // The same command finishes it.
    let out = ok(&rekey);
    assert!(out.starts_with("rekeyed: "), "{out}");
    assert_eq!(
        std::fs::read_to_string(&new_key).unwrap(),
        new_text,
        "the key it began with"
    );
    assert!(!marker.exists());
    assert!(!contains(&raw_bytes(&db), name));
    old_key_refused_everywhere(&db, &old_key);
    assert_eq!(ok(&["status", "--db", d, "--key-file", new]), status);

    // Cut short after the rename, before the marker went (put back as it was): the old key
    // is still refused, and the new one finishes the change and serves.
    std::fs::write(&marker, &marker_text).unwrap();
    refused(
        &["status", "--db", d, "--key-file", old],
        5,
        "LEDGER_UNAVAILABLE",
        "is being changed and the change is not finished",
        "鍵の変更が途中で止まっています",
    );
    let server = start(&db, Some(&new_key));
    assert!(
        !marker.exists(),
        "the open under the new key ended the change"
    );
    let client = Client::new(&server.url, &token);
    let server_id = client.health().expect("health").server_replica_id;
    let mut again = MemoryReplica::new(booth_id, Role::Booth, booth_key).expect("key");
    let report = sync_session(&mut again, &client, server_id).expect("booth syncs");
    assert_eq!(report.received_ops, 2, "its own dose and HQ's name");
    drop(server);
    old_key_refused_everywhere(&db, &old_key);
}

// ----- The venue relay's log (`vaxsync relay encrypt`, `relay serve --key-file`) -----

/// `vaxsync relay serve` on loopback (TLS with its own certificate, a round with the centre
/// every second), killed (SIGKILL) when dropped.
struct RelayProcess {
    child: std::process::Child,
    join: vax_sync_client::lan::JoinCode,
}

impl RelayProcess {
    fn start(dir: &Path, key: Option<&Path>) -> Self {
        use std::io::BufRead;
        let mut cmd = Command::new(env!("CARGO_BIN_EXE_vaxsync"));
        cmd.args(["relay", "serve", "--dir", s(dir)])
            .args([
                "--listen",
                "127.0.0.1:0",
                "--advertise",
                "127.0.0.1",
                "--every",
                "1",
            ])
            .env("RUST_LOG", "warn")
            .env_remove("VAXSYNC_KEY_FILE")
            .env_remove("VAXRELAY_DIR")
            .stdout(Stdio::piped())
            .stderr(Stdio::null());
        if let Some(key) = key {
            cmd.arg("--key-file").arg(key);
        }
        let mut child = cmd.spawn().expect("start the relay");
        let mut out = std::io::BufReader::new(child.stdout.take().expect("stdout"));
        let mut line = String::new();
        out.read_line(&mut line).expect("a line");
        assert!(line.starts_with("listening on https://"), "{line:?}");
        line.clear();
        out.read_line(&mut line).expect("the join line");
        let join = line
            .trim()
            .strip_prefix("join ")
            .unwrap_or_else(|| panic!("unexpected second line {line:?}"));
        let join = vax_sync_client::lan::JoinCode::parse(join).expect("a join code");
        std::thread::spawn(move || std::io::copy(&mut out, &mut std::io::sink()));
        Self { child, join }
    }

    /// A kiosk's client for it, pinned to its certificate's fingerprint.
    fn client(&self, token: &str) -> Client {
        self.join
            .client(token, std::time::Duration::from_secs(5))
            .expect("a pinned client")
    }
}

impl Drop for RelayProcess {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

/// Every file of the relay's directory, its log's WAL included, as one run of bytes.
fn dir_bytes(dir: &Path) -> Vec<u8> {
    snapshot(dir).into_iter().flat_map(|(_, b)| b).collect()
}

/// Syncs `kiosk` with the relay at `url` until it holds `ops` ops (the relay fetches its
/// registry and the centre's ops a round at a time).
fn sync_through_relay(
    kiosk: &mut MemoryReplica,
    client: &Client,
    relay: vax_sync::ReplicaId,
    ops: usize,
) {
    let started = std::time::Instant::now();
    loop {
        let synced = sync_session(kiosk, client, relay);
        if synced.is_ok() && kiosk.log.len() >= ops {
            return;
        }
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "{ops} ops through the relay: {synced:?}, {} held",
            kiosk.log.len()
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
}

#[test]
fn a_relays_log_encrypted_in_place_keeps_serving_kiosks_and_holds_no_name_in_its_files() {
    let dir = tempfile::tempdir().expect("tempdir");
    let db = dir.path().join("centre.db");
    let relay_dir = dir.path().join("relay");
    let keys = dir.path().join("keys");
    std::fs::create_dir(&keys).unwrap();
    let (key, key2) = (keys.join("relay.key"), keys.join("relay-2.key"));
    let (running, mut hq, centre_id) = start_with_hq(&db);
    let before = "中継前 試験子";
    hq.write(set_name(1, before)).expect("write");
    sync_session(&mut hq, &running.hq, centre_id).expect("hq syncs");
    let v01 = VenueCode::new("V01");
    let code = running
        .hq
        .create_enrollment_code(Role::Relay, Some(&v01), &[], 24)
        .expect("relay code");
    let r = s(&relay_dir);
    ok(&[
        "relay",
        "enroll",
        "--dir",
        r,
        "--centre",
        &running.server.url,
        "--code",
        &code,
    ]);
    let identity: serde_json::Value =
        serde_json::from_slice(&std::fs::read(relay_dir.join("identity.json")).unwrap()).unwrap();
    let relay_id = vax_sync::ReplicaId(
        uuid::Uuid::parse_str(identity["relay_id"].as_str().expect("relay_id")).unwrap(),
    );
    // The relay's bearer token at the centre: whoever holds it pulls the venue's ops.
    let relay_token = identity["token"].as_str().expect("token").to_owned();
    let code = running
        .hq
        .create_enrollment_code(Role::Booth, Some(&v01), &[], 24)
        .expect("booth code");
    let booth_key = new_device_key();
    let booth = enroll(&running.server.url, &code, "接種1", &booth_key).expect("enroll booth");
    let mut kiosk = MemoryReplica::new(booth.replica_id, Role::Booth, booth_key).expect("key");

    // A relay serving with its log in the clear, as before: the name, its token and its TLS
    // private key are in its files.
    let relay = RelayProcess::start(&relay_dir, None);
    let fingerprint = relay.join.fingerprint.clone().expect("TLS");
    kiosk.write(dose(1, "V01")).expect("write");
    sync_through_relay(&mut kiosk, &relay.client(&booth.token), relay_id, 2);
    drop(relay);
    let plain = dir_bytes(&relay_dir);
    assert!(
        contains(&plain, before),
        "the check can fail: the plain log shows the name"
    );
    assert!(
        contains(&plain, &relay_token),
        "the check can fail: the token"
    );
    assert!(
        contains(&plain, "PRIVATE KEY"),
        "the check can fail: the TLS key"
    );

    // Encrypted in place, the relay stopped: no name left in any of its files.
    let out = ok(&["relay", "encrypt", "--dir", r, "--key-file", s(&key)]);
    assert!(out.starts_with("encrypted: "), "{out}");
    let log = relay_dir.join("relay.db");
    assert!(!contains(&dir_bytes(&relay_dir), before));
    assert!(!contains(&std::fs::read(&log).unwrap(), "SQLite format 3"));
    assert_eq!(mode(&key), 0o600);
    // Nor its token at the centre, nor its TLS private key: both sealed under the log's key.
    assert!(
        out.contains("sealed: the relay's token and TLS key"),
        "{out}"
    );
    no_secret_in(&relay_dir, &relay_token);
    let kept: serde_json::Value =
        serde_json::from_slice(&std::fs::read(relay_dir.join("identity.json")).unwrap()).unwrap();
    assert_eq!(
        kept["relay_id"], identity["relay_id"],
        "readable without the key"
    );
    assert!(kept.get("token").is_none() && kept["token_sealed"].is_string());
    assert!(!relay_dir.join("key.pem").exists() && relay_dir.join("key.pem.sealed").exists());
    // A second run changes nothing (already encrypted, already sealed).
    let sealed = snapshot(&relay_dir);
    let out = ok(&["relay", "encrypt", "--dir", r, "--key-file", s(&key)]);
    assert!(out.starts_with("already encrypted: "), "{out}");
    assert_same(&snapshot(&relay_dir), &sealed);

    // Without its key, or with another, the relay is refused and its directory unchanged.
    let other_key = keys.join("other.key");
    ok(&[
        "store",
        "encrypt",
        "--db",
        s(&dir.path().join("other.db")),
        "--key-file",
        s(&other_key),
    ]);
    let unchanged = snapshot(&relay_dir);
    let serve = ["relay", "serve", "--dir", r, "--listen", "127.0.0.1:0"];
    refused(
        &serve,
        5,
        "LEDGER_UNAVAILABLE",
        "is encrypted: give its key file",
        "は暗号化されています",
    );
    let mut wrong = serve.to_vec();
    wrong.extend(["--key-file", s(&other_key)]);
    refused(
        &wrong,
        4,
        "INVALID_INPUT",
        "the key does not open the store",
        "鍵が保存先",
    );
    assert_same(&snapshot(&relay_dir), &unchanged);
    // A directory that holds no relay gets no log.
    let stray = dir.path().join("stray");
    let out = vaxsync(&[
        "relay",
        "encrypt",
        "--dir",
        s(&stray),
        "--key-file",
        s(&key2),
    ]);
    assert!(!out.status.success(), "{}", text(&out));
    assert!(!stray.exists() && !key2.exists());

    // Its key changed (a leaked key file): the old one is refused, the new one serves.
    let out = ok(&[
        "relay",
        "rekey",
        "--dir",
        r,
        "--key-file",
        s(&key),
        "--new-key-file",
        s(&key2),
    ]);
    assert!(out.starts_with("rekeyed: "), "{out}");
    no_secret_in(&relay_dir, &relay_token);
    let mut old = serve.to_vec();
    old.extend(["--key-file", s(&key)]);
    refused(
        &old,
        4,
        "INVALID_INPUT",
        "the key does not open the store",
        "鍵が保存先",
    );

    // With its key the relay keeps serving the kiosk: HQ's new name reaches it through the
    // relay, the kiosk's dose reaches the centre; the log still holds no name, WAL included.
    // Its TLS key, unsealed in memory, is the one kiosks pinned.
    let relay = RelayProcess::start(&relay_dir, Some(&key2));
    assert_eq!(
        relay.join.fingerprint.as_deref(),
        Some(fingerprint.as_str())
    );
    let after = "中継後 追加子";
    hq.write(set_name(2, after)).expect("write");
    sync_session(&mut hq, &running.hq, centre_id).expect("hq syncs");
    kiosk.write(dose(2, "V01")).expect("write");
    sync_through_relay(&mut kiosk, &relay.client(&booth.token), relay_id, 4);
    let started = std::time::Instant::now();
    while !ok(&["status", "--db", s(&db)]).contains("ops             4") {
        assert!(
            started.elapsed() < std::time::Duration::from_secs(20),
            "the kiosk's second dose reaches the centre through the relay"
        );
        std::thread::sleep(std::time::Duration::from_millis(200));
    }
    drop(relay); // SIGKILL: the newest ops may be in the WAL only
    let bytes = dir_bytes(&relay_dir);
    assert!(!contains(&bytes, before));
    assert!(!contains(&bytes, after));
    no_secret_in(&relay_dir, &relay_token);
}

/// No file of the relay's directory holds its token or a PEM private key.
fn no_secret_in(dir: &Path, token: &str) {
    for (path, bytes) in snapshot(dir) {
        assert!(!contains(&bytes, token), "the token in {}", path.display());
        assert!(
            !contains(&bytes, "PRIVATE KEY"),
            "a private key in {}",
            path.display()
        );
    }
}
