//! The router in process (`tower::ServiceExt::oneshot`) over a temporary SQLite file.

use std::path::PathBuf;

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::{json, Value};
use tempfile::TempDir;
use tower::ServiceExt;
use vax_sync::{
    Alert, DeviceKey, EventKind, Message, OpId, OpKind, ReplicaId, Role, SyncState, VenueCode,
    Void, PROTOCOL_VERSION,
};
use vax_sync_client::{new_device_key, LocalReplica, MemoryReplica};
use vax_sync_server::core::create_code_expiring;
use vax_sync_server::{open_state, open_store, AppState, Enrolled, ErrorBody};

use crate::support::{check_in, dose, rogue, store_location};

struct Server {
    app: Router,
    state: AppState,
    location: PathBuf,
    _dir: TempDir,
}

struct Device {
    creds: Enrolled,
    key: DeviceKey,
    replica: MemoryReplica,
}

type Refusal = (StatusCode, ErrorBody);

impl Server {
    fn new() -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let location = store_location(dir.path());
        let state = open_state(&location).expect("open");
        Self {
            app: vax_sync_server::router(state.clone()),
            state,
            location,
            _dir: dir,
        }
    }

    /// A server with HQ enrolled on it.
    async fn with_hq() -> (Self, Device) {
        let server = Self::new();
        let hq = server.hq().await;
        (server, hq)
    }

    /// A code made on the database directly, as `vaxsync enrollment create` does.
    fn code_on_db(&self, role: Role, venue: Option<&str>, hours_from_now: i64) -> String {
        let mut store = open_store(&self.location).expect("open");
        let now = chrono::Utc::now();
        create_code_expiring(
            &mut *store,
            role,
            venue.map(VenueCode::new),
            now,
            now + chrono::Duration::hours(hours_from_now),
        )
        .expect("code")
        .0
    }

    async fn call(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, Vec<u8>) {
        let mut req = Request::builder().method(method).uri(path);
        if let Some(t) = token {
            req = req.header("authorization", format!("Bearer {t}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(req.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, bytes.to_vec())
    }

    /// The status and the error code of a request the server refuses.
    async fn refusal(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Vec<u8>,
    ) -> (StatusCode, &'static str) {
        let (status, bytes) = self.call(method, path, token, body).await;
        let body: ErrorBody = serde_json::from_slice(&bytes).expect("json error");
        (status, body.code.as_str())
    }

    async fn get(&self, path: &str, token: Option<&str>) -> (StatusCode, Value) {
        self.json("GET", path, token, Value::Null).await
    }

    async fn json(
        &self,
        method: &str,
        path: &str,
        token: Option<&str>,
        body: Value,
    ) -> (StatusCode, Value) {
        let (status, bytes) = self
            .call(
                method,
                path,
                token,
                serde_json::to_vec(&body).expect("json"),
            )
            .await;
        (
            status,
            serde_json::from_slice(&bytes).expect("every reply is JSON"),
        )
    }

    async fn enroll(&self, code: &str, name: &str) -> Result<Enrolled, Refusal> {
        self.enroll_with_key(code, name, &new_device_key()).await
    }

    async fn enroll_with_key(
        &self,
        code: &str,
        name: &str,
        key: &DeviceKey,
    ) -> Result<Enrolled, Refusal> {
        let (status, bytes) = self
            .call(
                "POST",
                "/v1/enroll",
                None,
                json!({"code": code, "device_name": name, "public_key": key.public()})
                    .to_string()
                    .into_bytes(),
            )
            .await;
        if status == StatusCode::OK {
            Ok(serde_json::from_slice(&bytes).expect("enrolled"))
        } else {
            Err((status, serde_json::from_slice(&bytes).expect("error body")))
        }
    }

    async fn hq(&self) -> Device {
        let code = self.code_on_db(Role::Hq, None, 24);
        self.device(&code, "本部1").await
    }

    async fn device(&self, code: &str, name: &str) -> Device {
        let key = new_device_key();
        let creds = self
            .enroll_with_key(code, name, &key)
            .await
            .expect("enroll");
        let replica = MemoryReplica::new(creds.replica_id, creds.role, key.clone()).expect("key");
        Device {
            creds,
            key,
            replica,
        }
    }

    /// A device enrolled with a fresh code HQ made for `role` at `venue`.
    async fn enrolled(&self, hq: &Device, role: &str, venue: &str, name: &str) -> Device {
        let code = self.new_code(hq, role, Some(venue)).await;
        self.device(&code, name).await
    }

    async fn new_code(&self, hq: &Device, role: &str, venue: Option<&str>) -> String {
        let (status, body) = self
            .json(
                "POST",
                "/v1/enrollments",
                Some(&hq.creds.token),
                json!({"role": role, "venue": venue, "expires_in_hours": 24}),
            )
            .await;
        assert_eq!(status, StatusCode::OK, "{body}");
        body["code"].as_str().expect("code").to_owned()
    }

    async fn post_sync(&self, token: &str, message: &Message) -> Result<Message, Refusal> {
        let (status, bytes) = self
            .call("POST", "/v1/sync", Some(token), message.encode())
            .await;
        if status == StatusCode::OK {
            Ok(Message::decode(&bytes).expect("reply"))
        } else {
            Err((status, serde_json::from_slice(&bytes).expect("error body")))
        }
    }

    /// A whole session for `replica` with `token`, as the client's `sync_session` runs it.
    async fn sync_as(&self, token: &str, replica: &mut MemoryReplica) -> Result<(), Refusal> {
        let mut state = SyncState::for_peer(self.state.server_id()).trusting_peer_keys();
        let mut news = false;
        for _ in 0..1000 {
            let message = match replica.generate(&mut state).expect("generate") {
                Some(m) => m,
                None if news => {
                    state.reset_in_flight();
                    match replica.generate(&mut state).expect("generate") {
                        Some(m) => m,
                        None => return Ok(()),
                    }
                }
                None => return Ok(()),
            };
            let reply = self.post_sync(token, &message).await?;
            news = !reply.ops.is_empty() || reply.more;
            replica.receive(&mut state, reply).expect("receive");
        }
        panic!("no convergence");
    }

    async fn sync(&self, device: &mut Device) -> Result<(), Refusal> {
        let token = device.creds.token.clone();
        self.sync_as(&token, &mut device.replica).await
    }

    async fn op_count(&self, token: &str) -> u64 {
        let (status, body) = self.get("/v1/status", Some(token)).await;
        assert_eq!(status, StatusCode::OK);
        body["ops"].as_u64().expect("ops")
    }
}

/// The server refused with this status and error code.
fn assert_refused(err: &Refusal, status: StatusCode, code: &str) {
    assert_eq!((err.0, err.1.code.as_str()), (status, code), "{err:?}");
}

fn intro(from: ReplicaId) -> Message {
    Message {
        protocol: PROTOCOL_VERSION,
        from,
        seen: Default::default(),
        ops: vec![],
        more: false,
        keys: Default::default(),
        beyond: Default::default(),
        covered: Default::default(),
    }
}

/// A message from `from` relaying every op `author` wrote.
fn relay(from: ReplicaId, author: &MemoryReplica) -> Message {
    let mut message = intro(from);
    message.ops = author.log.iter().cloned().collect();
    message
}

#[tokio::test]
async fn health_answers_without_a_token() {
    let server = Server::new();
    let (status, body) = server.get("/v1/health", None).await;
    assert_eq!(status, StatusCode::OK);
    assert_eq!(body["status"], "ok");
    assert_eq!(body["protocol"], vax_sync::PROTOCOL_VERSION);
    assert_eq!(
        body["server_replica_id"],
        server.state.server_id().to_string()
    );
}

#[tokio::test]
async fn two_devices_converge_through_the_server() {
    let (server, hq) = Server::with_hq().await;
    let mut booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let mut reception = server.enrolled(&hq, "reception", "V01", "受付1").await;
    assert_eq!(booth.creds.role, Role::Booth);
    assert_eq!(booth.creds.venue, Some(VenueCode::new("V01")));
    assert_eq!(booth.creds.server_replica_id, server.state.server_id());
    assert_ne!(booth.creds.replica_id, reception.creds.replica_id);

    for r in 1..=30 {
        reception
            .replica
            .write(check_in(r, "V01"))
            .expect("check-in");
        booth.replica.write(dose(r, "V01")).expect("dose");
    }
    server.sync(&mut booth).await.expect("booth sync");
    server.sync(&mut reception).await.expect("reception sync");
    server.sync(&mut booth).await.expect("booth sync again");

    assert_eq!(booth.replica.log.len(), 60);
    assert_eq!(reception.replica.log, booth.replica.log);
    assert_eq!(
        reception.replica.node.replica(),
        booth.replica.node.replica()
    );
    assert_eq!(server.op_count(&hq.creds.token).await, 60);
}

#[tokio::test]
async fn an_enrollment_code_works_once_and_not_after_it_expires() {
    let server = Server::new();
    let code = server.code_on_db(Role::Booth, Some("V01"), 24);
    server
        .enroll(&code.to_lowercase(), "接種1")
        .await
        .expect("first use, typed in lower case");
    let (status, body) = server.enroll(&code, "接種2").await.expect_err("second use");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body.code, "ENROLLMENT_CODE_INVALID");
    assert!(!body.retryable);
    assert!(!body.message_ja.is_empty());

    let expired = server.code_on_db(Role::Booth, Some("V01"), -1);
    let (status, expired_body) = server.enroll(&expired, "接種3").await.expect_err("expired");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(
        expired_body, body,
        "expired and used codes are not told apart"
    );

    let (status, unknown) = server
        .enroll("ZZZZ-ZZZZ-ZZZZ", "接種4")
        .await
        .expect_err("unknown");
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(unknown, body);
}

#[tokio::test]
async fn venue_rules_of_enrollment_codes_are_enforced() {
    let (server, hq) = Server::with_hq().await;
    for (role, venue) in [
        ("booth", None),
        ("hq", Some("V01")),
        ("call_centre", Some("V01")),
        ("server", None),
    ] {
        let (status, body) = server
            .json(
                "POST",
                "/v1/enrollments",
                Some(&hq.creds.token),
                json!({"role": role, "venue": venue}),
            )
            .await;
        assert_eq!(status, StatusCode::BAD_REQUEST, "{role} {venue:?}");
        assert_eq!(body["code"], "INVALID_ENROLLMENT");
    }
}

#[tokio::test]
async fn missing_or_unknown_tokens_are_refused_with_401() {
    let (server, hq) = Server::with_hq().await;
    let msg = intro(hq.creds.replica_id).encode();
    let (status, code) = server.refusal("POST", "/v1/sync", None, msg.clone()).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code, "MISSING_TOKEN");
    let (status, code) = server
        .refusal("POST", "/v1/sync", Some("not-a-token"), msg)
        .await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
    assert_eq!(code, "UNKNOWN_TOKEN");
    let (status, _) = server.get("/v1/status", Some("not-a-token")).await;
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[tokio::test]
async fn an_out_of_role_op_is_refused_with_403_and_nothing_is_stored() {
    let (server, hq) = Server::with_hq().await;
    let mut reception = server.enrolled(&hq, "reception", "V01", "受付1").await;
    // A valid check-in followed by a dose the reception role may not record, in one message.
    let mut forged = rogue(reception.creds.replica_id, &reception.key);
    forged.write(check_in(1, "V01")).expect("write");
    forged.write(dose(1, "V01")).expect("write");
    let err = server
        .sync_as(&reception.creds.token, &mut forged)
        .await
        .expect_err("refused");
    assert_refused(&err, StatusCode::FORBIDDEN, "NOT_PERMITTED");
    assert!(!err.1.retryable);
    assert_eq!(
        server.op_count(&hq.creds.token).await,
        0,
        "not even the valid check-in"
    );

    // The device's honest log still syncs.
    reception.replica.write(check_in(1, "V01")).expect("write");
    server.sync(&mut reception).await.expect("valid ops sync");
    assert_eq!(server.op_count(&hq.creds.token).await, 1);
}

#[tokio::test]
async fn an_op_for_another_venue_is_refused_with_403() {
    let (server, hq) = Server::with_hq().await;
    let mut booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    booth.replica.write(dose(1, "V02")).expect("write");
    let err = server.sync(&mut booth).await.expect_err("refused");
    assert_refused(&err, StatusCode::FORBIDDEN, "WRONG_VENUE");
    assert_eq!(server.op_count(&hq.creds.token).await, 0);
}

#[tokio::test]
async fn a_message_from_another_replica_than_the_token_is_refused_with_403() {
    let (server, hq) = Server::with_hq().await;
    let booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    // The booth's token, HQ's replica id.
    let err = server
        .post_sync(&booth.creds.token, &intro(hq.creds.replica_id))
        .await
        .expect_err("refused");
    assert_refused(&err, StatusCode::FORBIDDEN, "WRONG_SENDER");
}

#[tokio::test]
async fn ops_authored_by_the_server_or_an_unknown_replica_are_refused() {
    let (server, hq) = Server::with_hq().await;
    for author in [server.state.server_id(), ReplicaId::from_u128(77)] {
        // HQ relays an op written under another id.
        let mut forged = rogue(author, &hq.key);
        forged.write(check_in(1, "V01")).expect("write");
        let err = server
            .post_sync(&hq.creds.token, &relay(hq.creds.replica_id, &forged))
            .await
            .expect_err("refused");
        assert_refused(&err, StatusCode::FORBIDDEN, "UNKNOWN_AUTHOR");
    }
    assert_eq!(server.op_count(&hq.creds.token).await, 0);
}

#[tokio::test]
async fn an_op_a_booth_token_sends_in_hqs_name_is_refused_and_never_stored_nor_relayed() {
    let server = Server::new();
    let hq = server.hq().await;
    let code = server.new_code(&hq, "booth", Some("V01")).await;
    let mut booth = server.device(&code, "接種1").await;
    let code = server.new_code(&hq, "reception", Some("V01")).await;
    let mut reception = server.device(&code, "受付1").await;
    // The attacker holds a booth's token and key and writes an op under HQ's id, which HQ's
    // role could write (a check-in here; a void or a resident edit alike), beside an honest
    // dose. It can sign only with the booth's key.
    let mut forged = rogue(hq.creds.replica_id, &booth.key);
    forged.write(check_in(1, "V01")).expect("write");
    booth.replica.write(dose(2, "V01")).expect("write");
    let mut message = intro(booth.creds.replica_id);
    message.ops = forged.log.iter().cloned().collect();
    message.ops.extend(booth.replica.log.iter().cloned());
    let err = server
        .post_sync(&booth.creds.token, &message)
        .await
        .expect_err("an op in HQ's name that HQ's key did not sign is refused");
    assert_refused(&err, StatusCode::FORBIDDEN, "BAD_SIGNATURE");
    assert_eq!(err.1.op, Some(forged.log.iter().next().expect("op").id));
    assert_eq!(server.op_count(&hq.creds.token).await, 0, "nothing stored");
    // Signed as the booth itself, the op is the booth's, not HQ's: the signature check at
    // every replica and the author check at the server are the same rule.
    server.sync(&mut booth).await.expect("the honest log syncs");
    server.sync(&mut reception).await.expect("synced");
    assert!(
        reception
            .replica
            .log
            .iter()
            .all(|op| op.author() != hq.creds.replica_id),
        "the forged op reached no other device"
    );
    assert_eq!(server.op_count(&hq.creds.token).await, 1);
}

#[tokio::test]
async fn a_booth_voids_only_its_own_venues_records() {
    let (server, hq) = Server::with_hq().await;
    let mut v01 = server.enrolled(&hq, "booth", "V01", "V01 接種1").await;
    let mut v02 = server.enrolled(&hq, "booth", "V02", "V02 接種1").await;
    v02.replica.write(dose(1, "V02")).expect("write");
    server.sync(&mut v02).await.expect("synced");
    server
        .sync(&mut v01)
        .await
        .expect("V01 receives V02's dose");
    let target = v02.replica.log.iter().next().expect("the dose").id;
    let void = |target| {
        OpKind::Void(Void {
            target,
            target_kind: EventKind::Dose,
            reason: "入力誤り".into(),
        })
    };

    v01.replica
        .write(void(target))
        .expect("the booth's role may void doses");
    let err = server.sync(&mut v01).await.expect_err("refused");
    assert_eq!(err.0, StatusCode::FORBIDDEN);
    assert_eq!(err.1.code, "WRONG_VENUE");

    // A record the server never saw (a future op id guessed ahead) cannot be voided either.
    let mut guesser = server.enrolled(&hq, "booth", "V01", "V01 接種2").await;
    let guessed = OpId {
        replica: v02.creds.replica_id,
        counter: 99,
    };
    guesser.replica.write(void(guessed)).expect("write");
    let err = server.sync(&mut guesser).await.expect_err("refused");
    assert_eq!(err.1.code, "NOT_PERMITTED");

    // Its own venue's dose, voided in the same message as it is recorded, is fine.
    let mut own = server.enrolled(&hq, "booth", "V01", "V01 接種3").await;
    own.replica.write(dose(3, "V01")).expect("write");
    let mine = own.replica.log.iter().next().expect("the dose").id;
    own.replica.write(void(mine)).expect("write");
    server
        .sync(&mut own)
        .await
        .expect("a booth voids its own venue's dose");
    assert_eq!(server.op_count(&hq.creds.token).await, 3);
}

#[tokio::test]
async fn a_device_may_hand_back_an_op_it_received_but_not_alter_it() {
    let server = Server::new();
    let hq = server.hq().await;
    let code = server.new_code(&hq, "reception", Some("V01")).await;
    let mut reception = server.device(&code, "受付1").await;
    let code = server.new_code(&hq, "booth", Some("V01")).await;
    let mut booth = server.device(&code, "接種1").await;
    reception.replica.write(check_in(1, "V01")).expect("write");
    server.sync(&mut reception).await.expect("synced");
    server
        .sync(&mut booth)
        .await
        .expect("the booth receives the check-in");
    let received: Vec<_> = booth
        .replica
        .log
        .iter()
        .filter(|op| op.author() == reception.creds.replica_id)
        .cloned()
        .collect();
    assert_eq!(received.len(), 1);

    let mut message = intro(booth.creds.replica_id);
    message.ops = received.clone();
    server
        .post_sync(&booth.creds.token, &message)
        .await
        .expect("an op the server holds, handed back as it is");

    let mut altered = received[0].clone();
    altered.hlc.wall_ms += 1;
    message.ops = vec![altered];
    let err = server
        .post_sync(&booth.creds.token, &message)
        .await
        .expect_err("an altered op in another's name is refused");
    assert_refused(&err, StatusCode::FORBIDDEN, "BAD_SIGNATURE");
    assert_eq!(server.op_count(&hq.creds.token).await, 1);
}

#[tokio::test]
async fn oversized_and_malformed_bodies_are_refused() {
    let (server, hq) = Server::with_hq().await;
    let big = vec![b' '; vax_sync::MAX_MESSAGE_BYTES + 1];
    let sync_refusal =
        |body: Vec<u8>| server.refusal("POST", "/v1/sync", Some(&hq.creds.token), body);
    let (status, code) = sync_refusal(big).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code, "TOO_LARGE");

    let (status, code) = sync_refusal(b"{not json".to_vec()).await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    assert_eq!(code, "MALFORMED_MESSAGE");

    let mut wrong_version = intro(hq.creds.replica_id);
    wrong_version.protocol = 99;
    let err = server
        .post_sync(&hq.creds.token, &wrong_version)
        .await
        .expect_err("refused");
    assert_refused(&err, StatusCode::BAD_REQUEST, "UNSUPPORTED_PROTOCOL");

    let (status, code) = server
        .refusal("POST", "/v1/enroll", None, vec![b'x'; 64 * 1024])
        .await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code, "TOO_LARGE");
    let (status, _) = server
        .call("POST", "/v1/enroll", None, b"[]".to_vec())
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
}

#[tokio::test]
async fn a_conflicting_op_id_is_refused_with_409() {
    let (server, hq) = Server::with_hq().await;
    let mut booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    booth.replica.write(dose(1, "V01")).expect("write");
    server.sync(&mut booth).await.expect("sync");
    // Same id, other content (a device restored from an old backup would do this).
    let mut other =
        MemoryReplica::new(booth.creds.replica_id, Role::Booth, booth.key.clone()).expect("key");
    other.write(dose(2, "V01")).expect("write");
    let err = server
        .post_sync(&booth.creds.token, &relay(booth.creds.replica_id, &other))
        .await
        .expect_err("refused");
    assert_refused(&err, StatusCode::CONFLICT, "CONFLICTING_OP");
    assert_eq!(server.op_count(&hq.creds.token).await, 1);
}

#[tokio::test]
async fn hq_endpoints_are_refused_to_other_devices() {
    let (server, hq) = Server::with_hq().await;
    let booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let (status, body) = server
        .json(
            "POST",
            "/v1/enrollments",
            Some(&booth.creds.token),
            json!({"role": "booth", "venue": "V01"}),
        )
        .await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "HQ_ONLY");
    let (status, body) = server.get("/v1/alerts", Some(&booth.creds.token)).await;
    assert_eq!(status, StatusCode::FORBIDDEN);
    assert_eq!(body["code"], "HQ_ONLY");
    let (status, _) = server.get("/v1/status", Some(&booth.creds.token)).await;
    assert_eq!(status, StatusCode::OK, "status is for every device");
}

#[tokio::test]
async fn the_same_dose_recorded_at_two_venues_shows_a_duplicate_dose_alert_to_hq() {
    let (server, hq) = Server::with_hq().await;
    let mut b1 = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let mut b2 = server.enrolled(&hq, "booth", "V02", "接種2").await;
    let d1 = b1.replica.write(dose(42, "V01")).expect("write");
    let d2 = b2.replica.write(dose(42, "V02")).expect("write");
    server.sync(&mut b1).await.expect("sync");
    server.sync(&mut b2).await.expect("sync");

    let (status, body) = server.get("/v1/alerts", Some(&hq.creds.token)).await;
    assert_eq!(status, StatusCode::OK);
    let alerts: Vec<Alert> = serde_json::from_value(body).expect("alerts");
    match alerts.as_slice() {
        [Alert::DuplicateDose {
            doses,
            dose_number: 1,
            ..
        }] => {
            let mut ops: Vec<_> = doses.iter().map(|d| d.op).collect();
            ops.sort();
            let mut expected = vec![d1.id, d2.id];
            expected.sort();
            assert_eq!(ops, expected);
            let venues: Vec<_> = doses.iter().map(|d| d.event.venue.0.as_str()).collect();
            assert!(venues.contains(&"V01") && venues.contains(&"V02"));
        }
        other => panic!("expected one duplicate-dose alert, got {other:?}"),
    }
}

#[tokio::test]
async fn unknown_paths_answer_a_json_404() {
    let server = Server::new();
    let (status, body) = server.get("/v2/nothing", None).await;
    assert_eq!(status, StatusCode::NOT_FOUND);
    assert_eq!(body["code"], "NO_SUCH_ENDPOINT");
}

#[tokio::test]
async fn enrollment_without_a_public_key_is_refused() {
    let server = Server::new();
    let code = server.code_on_db(Role::Booth, Some("V01"), 24);
    let (status, _) = server
        .call(
            "POST",
            "/v1/enroll",
            None,
            json!({"code": code, "device_name": "接種1"})
                .to_string()
                .into_bytes(),
        )
        .await;
    assert_eq!(status, StatusCode::BAD_REQUEST);
    server
        .enroll(&code, "接種1")
        .await
        .expect("the code was not used up by the refused request");
}

#[tokio::test]
async fn a_revoked_devices_token_is_refused_at_once_and_its_earlier_ops_stay() {
    let (server, hq) = Server::with_hq().await;
    let mut booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let mut reception = server.enrolled(&hq, "reception", "V01", "受付1").await;
    booth.replica.write(dose(1, "V01")).expect("write");
    server.sync(&mut booth).await.expect("synced");

    // Only HQ revokes.
    let path = format!("/v1/devices/{}/revoke", booth.creds.replica_id);
    let (status, code) = server
        .refusal("POST", &path, Some(&reception.creds.token), vec![])
        .await;
    assert_eq!((status, code), (StatusCode::FORBIDDEN, "HQ_ONLY"));
    let (status, body) = server
        .json("POST", &path, Some(&hq.creds.token), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert!(body["revoked_at"].is_string(), "{body}");

    // The lost laptop's token is refused, whatever it sends.
    booth.replica.write(dose(2, "V01")).expect("write");
    let err = server.sync(&mut booth).await.expect_err("revoked");
    assert_refused(&err, StatusCode::UNAUTHORIZED, "DEVICE_REVOKED");
    assert!(!err.1.retryable);
    let (status, code) = server
        .refusal("GET", "/v1/status", Some(&booth.creds.token), vec![])
        .await;
    assert_eq!((status, code), (StatusCode::UNAUTHORIZED, "DEVICE_REVOKED"));
    // Its new op, handed on by another device, is not taken either.
    let mut message = intro(reception.creds.replica_id);
    message.ops = booth.replica.log.iter().cloned().collect();
    server
        .post_sync(&reception.creds.token, &message)
        .await
        .expect("the reception is not stuck");
    assert_eq!(
        server.op_count(&hq.creds.token).await,
        1,
        "only the dose from before"
    );
    // Its earlier dose still reaches and verifies on other devices.
    server.sync(&mut reception).await.expect("synced");
    assert_eq!(reception.replica.log.len(), 1);

    let (status, list) = server.get("/v1/devices", Some(&hq.creds.token)).await;
    assert_eq!(status, StatusCode::OK);
    let revoked: Vec<&Value> = list
        .as_array()
        .expect("a list")
        .iter()
        .filter(|d| d["revoked_at"].is_string())
        .collect();
    assert_eq!(revoked.len(), 1);
    assert_eq!(revoked[0]["replica_id"], booth.creds.replica_id.to_string());
}

#[tokio::test]
async fn a_revocation_written_by_the_cli_reaches_the_running_server() {
    let (server, hq) = Server::with_hq().await;
    let booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let mut store = open_store(&server.location).expect("open");
    assert!(vax_sync_server::ServerStore::revoke_device(
        &mut *store,
        booth.creds.replica_id,
        chrono::Utc::now()
    )
    .expect("revoked"));
    let (status, code) = server
        .refusal("GET", "/v1/status", Some(&booth.creds.token), vec![])
        .await;
    assert_eq!((status, code), (StatusCode::UNAUTHORIZED, "DEVICE_REVOKED"));
}

#[tokio::test]
async fn a_rotated_token_replaces_the_old_one() {
    let (server, hq) = Server::with_hq().await;
    let mut booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let old = booth.creds.token.clone();
    let (status, body) = server
        .json("POST", "/v1/token", Some(&old), Value::Null)
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let new = body["token"].as_str().expect("token").to_owned();
    assert_ne!(new, old);
    let (status, code) = server
        .refusal("GET", "/v1/status", Some(&old), vec![])
        .await;
    assert_eq!((status, code), (StatusCode::UNAUTHORIZED, "UNKNOWN_TOKEN"));
    booth.creds.token = new;
    booth.replica.write(dose(1, "V01")).expect("write");
    server.sync(&mut booth).await.expect("the new token works");
    // After a restart too: the store holds the new hash, not the old.
    let reopened = open_state(&server.location).expect("reopen");
    let app = vax_sync_server::router(reopened);
    let status = app
        .oneshot(
            Request::builder()
                .uri("/v1/status")
                .header("authorization", format!("Bearer {old}"))
                .body(Body::empty())
                .expect("request"),
        )
        .await
        .expect("infallible")
        .status();
    assert_eq!(status, StatusCode::UNAUTHORIZED);
}

#[test]
fn the_store_refuses_a_conflicting_op_instead_of_ignoring_it() {
    let dir = tempfile::tempdir().expect("tempdir");
    let mut store = open_store(&store_location(dir.path())).expect("open");
    let key = new_device_key();
    let mut first =
        MemoryReplica::new(ReplicaId::from_u128(5), Role::Booth, key.clone()).expect("key");
    let mut second = MemoryReplica::new(ReplicaId::from_u128(5), Role::Booth, key).expect("key");
    let a = first.write(dose(1, "V01")).expect("write");
    let b = second.write(dose(2, "V01")).expect("write");
    assert_eq!(a.id, b.id);
    store.append(std::slice::from_ref(&a)).expect("stored");
    store
        .append(std::slice::from_ref(&a))
        .expect("the same op again is fine");
    let err = store
        .append(&[b])
        .expect_err("another op under the same id is an error, not a silent drop");
    assert!(
        matches!(err, vax_sync_server::StoreError::ConflictingOp(id) if id == a.id),
        "{err}"
    );
    assert_eq!(store.get(&a.id).expect("read"), Some(a));
}

#[tokio::test]
async fn a_body_is_not_read_before_the_sender_is_authenticated() {
    let (server, _hq) = Server::with_hq().await;
    let big = vec![b' '; vax_sync::MAX_MESSAGE_BYTES + 1];
    let (status, code) = server
        .refusal("POST", "/v1/sync", Some("not-a-token"), big.clone())
        .await;
    assert_eq!((status, code), (StatusCode::UNAUTHORIZED, "UNKNOWN_TOKEN"));
    let (status, code) = server.refusal("POST", "/v1/sync", None, big).await;
    assert_eq!((status, code), (StatusCode::UNAUTHORIZED, "MISSING_TOKEN"));
}

// ----- The venue relay (issue 17, docs/venue-resilience.md) -----

/// The centre's view of a relay's registry fetch.
async fn registry(server: &Server, token: &str) -> (StatusCode, Value) {
    server.get("/v1/relay/registry", Some(token)).await
}

#[tokio::test]
async fn a_relay_device_carries_other_devices_ops_but_cannot_forge_them() {
    let (server, hq) = Server::with_hq().await;
    let relay = server.enrolled(&hq, "relay", "V01", "会場中継").await;
    let mut booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    booth.replica.write(dose(1, "V01")).expect("write");
    // The relay hands the centre the booth's op: taken, as the booth's.
    let message = relay_message(relay.creds.replica_id, &booth.replica);
    server
        .post_sync(&relay.creds.token, &message)
        .await
        .expect("a relay carries a verified op of another device");
    assert_eq!(server.op_count(&hq.creds.token).await, 1);
    // An op in the booth's name signed with the relay's own key is a forgery.
    let mut forged = rogue(booth.creds.replica_id, &relay.key);
    forged.write(dose(2, "V01")).expect("write");
    forged.write(dose(3, "V01")).expect("write");
    let mut message = intro(relay.creds.replica_id);
    message.ops = forged.log.iter().skip(1).cloned().collect();
    let err = server
        .post_sync(&relay.creds.token, &message)
        .await
        .expect_err("a relay cannot forge");
    assert_refused(&err, StatusCode::FORBIDDEN, "BAD_SIGNATURE");
    assert_eq!(
        server.op_count(&hq.creds.token).await,
        1,
        "nothing more stored"
    );
    // And a relay writes nothing of its own.
    let mut own = rogue(relay.creds.replica_id, &relay.key);
    own.write(check_in(4, "V01")).expect("write");
    let err = server
        .post_sync(
            &relay.creds.token,
            &relay_message(relay.creds.replica_id, &own),
        )
        .await
        .expect_err("a relay authors nothing");
    assert_refused(&err, StatusCode::FORBIDDEN, "NOT_PERMITTED");
}

fn relay_message(from: ReplicaId, author: &MemoryReplica) -> Message {
    relay(from, author)
}

#[tokio::test]
async fn the_registry_is_for_relays_and_gives_token_hashes_of_their_venue_only() {
    let (server, hq) = Server::with_hq().await;
    let relay = server.enrolled(&hq, "relay", "V01", "会場中継").await;
    let booth = server.enrolled(&hq, "booth", "V01", "接種1").await;
    let other = server.enrolled(&hq, "booth", "V02", "接種2").await;
    let (status, body) = registry(&server, &booth.creds.token).await;
    assert_eq!(status, StatusCode::FORBIDDEN, "{body}");
    assert_eq!(body["code"], "NOT_PERMITTED");
    let (status, body) = registry(&server, &relay.creds.token).await;
    assert_eq!(status, StatusCode::OK, "{body}");
    assert_eq!(body["venue"], "V01");
    let devices = body["devices"].as_array().expect("devices");
    assert_eq!(devices.len(), 4, "HQ, the relay and both booths: {body}");
    let hash_of = |id: ReplicaId| {
        devices
            .iter()
            .find(|d| d["replica_id"] == id.to_string())
            .map(|d| d["token_hash"].clone())
            .expect("listed")
    };
    assert_eq!(
        hash_of(other.creds.replica_id),
        Value::Null,
        "another venue's"
    );
    assert_eq!(hash_of(hq.creds.replica_id), Value::Null, "HQ's");
    assert_eq!(
        hash_of(booth.creds.replica_id).as_str().map(str::len),
        Some(64)
    );
}

#[tokio::test]
async fn a_kiosk_syncs_with_a_relay_using_its_centre_token_and_kiosks_converge_through_it() {
    let (centre, hq) = Server::with_hq().await;
    let relay = centre.enrolled(&hq, "relay", "V01", "会場中継").await;
    let mut booth = centre.enrolled(&hq, "booth", "V01", "接種1").await;
    let mut reception = centre.enrolled(&hq, "reception", "V01", "受付1").await;
    let outsider = centre.enrolled(&hq, "booth", "V02", "接種2").await;
    let (_, body) = registry(&centre, &relay.creds.token).await;
    let registry: vax_sync::http::RelayRegistry = serde_json::from_value(body).expect("registry");

    // The relay's own server: its log under the id the centre minted, the registry adopted.
    let relay_dir = tempfile::tempdir().expect("tempdir");
    let store = vax_sync_server::SqliteStore::open_as(
        &relay_dir.path().join("relay.db"),
        relay.creds.replica_id,
    )
    .expect("open");
    let mut core = vax_sync_server::Core::open(Box::new(store))
        .expect("core")
        .into_venue_relay();
    core.adopt_registry(&registry).expect("adopt");
    let state = AppState::new(core);
    let at_relay = Server {
        app: vax_sync_server::router(state.clone()),
        state,
        location: relay_dir.path().join("relay.db"),
        _dir: relay_dir,
    };

    reception.replica.write(check_in(1, "V01")).expect("write");
    at_relay
        .sync(&mut reception)
        .await
        .expect("reception syncs with the relay");
    at_relay
        .sync(&mut booth)
        .await
        .expect("the booth syncs with the relay");
    assert_eq!(booth.replica.log.len(), 1, "the check-in reached the booth");
    // A device of another venue has no token hash at this relay.
    let mut outsider = outsider;
    let err = at_relay
        .sync(&mut outsider)
        .await
        .expect_err("not this venue's");
    assert_refused(&err, StatusCode::UNAUTHORIZED, "UNKNOWN_TOKEN");
    // The booth hands the relay back the reception's op (a new relay after a takeover).
    let fresh_dir = tempfile::tempdir().expect("tempdir");
    let store = vax_sync_server::SqliteStore::open_as(
        &fresh_dir.path().join("relay.db"),
        relay.creds.replica_id,
    )
    .expect("open");
    let mut core = vax_sync_server::Core::open(Box::new(store))
        .expect("core")
        .into_venue_relay();
    core.adopt_registry(&registry).expect("adopt");
    let state = AppState::new(core);
    let standby = Server {
        app: vax_sync_server::router(state.clone()),
        state,
        location: fresh_dir.path().join("relay.db"),
        _dir: fresh_dir,
    };
    standby
        .sync(&mut booth)
        .await
        .expect("the booth hands back what it holds");
    assert_eq!(
        standby.op_count(&booth.creds.token).await,
        1,
        "the standby holds it"
    );
    let (status, body) = standby
        .get("/v1/relay/status", Some(&booth.creds.token))
        .await;
    assert_eq!(status, StatusCode::OK, "{body}");
    let contacted: Vec<_> = body["devices"]
        .as_array()
        .expect("devices")
        .iter()
        .filter(|d| !d["last_contact_at"].is_null())
        .map(|d| d["name"].as_str().unwrap_or_default().to_owned())
        .collect();
    assert_eq!(contacted, vec!["接種1".to_owned()], "{body}");
}

/// A mark of a bus rider at V01 (issue 13).
fn ride_mark(r: u32, venue: &str) -> OpKind {
    OpKind::MarkRide(vax_sync::RideMark {
        venue: VenueCode::new(venue),
        date: chrono::NaiveDate::from_ymd_opt(2021, 6, 1).expect("date"),
        resident: crate::support::resident(r),
        direction: vax_sync::RideDirection::ToVenue,
        mark: vax_sync::RideMarkKind::Boarded,
        at: crate::support::at(9, 0),
    })
}

#[tokio::test]
async fn only_the_desk_of_the_riders_venue_marks_a_bus_ride() {
    let (server, hq) = Server::with_hq().await;
    // A booth of another venue, signing with its own key, tries both ways in.
    let booth = server.enrolled(&hq, "booth", "V02", "接種1").await;
    let mut forged = rogue(booth.creds.replica_id, &booth.key);
    forged.write(ride_mark(1, "V01")).expect("write");
    let err = server
        .sync_as(&booth.creds.token, &mut forged)
        .await
        .expect_err("a booth may not mark rides");
    assert_refused(&err, StatusCode::FORBIDDEN, "NOT_PERMITTED");
    // The reception of another venue may mark rides, but not V01's.
    let mut other = server.enrolled(&hq, "reception", "V02", "受付2").await;
    other.replica.write(ride_mark(1, "V01")).expect("write");
    let err = server
        .sync(&mut other)
        .await
        .expect_err("another venue's ride");
    assert_refused(&err, StatusCode::FORBIDDEN, "WRONG_VENUE");
    assert_eq!(server.op_count(&hq.creds.token).await, 0);
    // V01's reception marks its own rider.
    let mut reception = server.enrolled(&hq, "reception", "V01", "受付1").await;
    reception.replica.write(ride_mark(1, "V01")).expect("write");
    server
        .sync(&mut reception)
        .await
        .expect("its own venue's ride");
    assert_eq!(server.op_count(&hq.creds.token).await, 1);
}
