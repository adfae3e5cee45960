//! The ops budget tried as an attacker with one enrolled device would (issue 15): it is
//! charged after signature verification, only for new ops, to their verified authors. A
//! device cannot skip its own budget by claiming HQ's authorship, nor drain another device's
//! by forging or replaying that device's ops; an honest relay carrying HQ's ops pays nothing.

use axum::body::Body;
use axum::http::{Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::json;
use tempfile::TempDir;
use tower::ServiceExt;
use vax_sync::{DeviceKey, Message, ReplicaId, Role, SyncState, VenueCode, PROTOCOL_VERSION};
use vax_sync_client::{new_device_key, LocalReplica, MemoryReplica};
use vax_sync_server::core::create_code_expiring;
use vax_sync_server::{open_state_with_limits, open_store, AppState, Enrolled, ErrorBody, Limits};

use crate::support::{check_in, dose, rogue, store_location};

/// A server whose devices may send `BURST` ops at once and then almost nothing more.
const BURST: u32 = 3;

struct Server {
    app: Router,
    state: AppState,
    location: std::path::PathBuf,
    _dir: TempDir,
}

struct Device {
    creds: Enrolled,
    key: DeviceKey,
    replica: MemoryReplica,
}

type Refusal = (StatusCode, String);

impl Server {
    fn new() -> Self {
        Self::with_limits(Limits {
            ops_burst: BURST,
            ops_per_second: 0.0001,
            ..Limits::default()
        })
    }

    fn with_limits(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let location = store_location(dir.path());
        let state = open_state_with_limits(&location, limits).expect("open");
        Self {
            app: vax_sync_server::router(state.clone()),
            state,
            location,
            _dir: dir,
        }
    }

    async fn call(&self, path: &str, token: Option<&str>, body: Vec<u8>) -> (StatusCode, Vec<u8>) {
        let mut request = Request::post(path);
        if let Some(t) = token {
            request = request.header("authorization", format!("Bearer {t}"));
        }
        let response = self
            .app
            .clone()
            .oneshot(request.body(Body::from(body)).expect("request"))
            .await
            .expect("infallible");
        let status = response.status();
        let bytes = response.into_body().collect().await.expect("body");
        (status, bytes.to_bytes().to_vec())
    }

    async fn device(&self, role: Role, venue: Option<&str>) -> Device {
        let code = {
            let mut store = open_store(&self.location).expect("open");
            let now = chrono::Utc::now();
            let venue = venue.map(VenueCode::new);
            let expires = now + chrono::Duration::hours(1);
            create_code_expiring(&mut *store, role, venue, now, expires)
                .expect("code")
                .0
        };
        let key = new_device_key();
        let body = json!({"code": code, "device_name": "端末", "public_key": key.public()});
        let (status, bytes) = self
            .call("/v1/enroll", None, body.to_string().into_bytes())
            .await;
        assert_eq!(status, StatusCode::OK);
        let creds: Enrolled = serde_json::from_slice(&bytes).expect("enrolled");
        let replica = MemoryReplica::new(creds.replica_id, role, key.clone()).expect("key");
        Device {
            creds,
            key,
            replica,
        }
    }

    async fn post(&self, token: &str, message: &Message) -> Result<Message, Refusal> {
        let (status, bytes) = self.call("/v1/sync", Some(token), message.encode()).await;
        if status == StatusCode::OK {
            return Ok(Message::decode(&bytes).expect("reply"));
        }
        let body: ErrorBody = serde_json::from_slice(&bytes).expect("error body");
        Err((status, body.code.as_str().to_owned()))
    }

    /// A whole session of `device` (the client's `sync_session`, in process).
    async fn sync(&self, device: &mut Device) -> Result<(), Refusal> {
        self.sync_counting(device).await.map(drop)
    }

    /// [`Server::sync`], returning the ops of each reply.
    async fn sync_counting(&self, device: &mut Device) -> Result<Vec<usize>, Refusal> {
        let mut state = SyncState::for_peer(self.state.server_id()).trusting_peer_keys();
        let mut news = false;
        let mut replies = Vec::new();
        for _ in 0..100 {
            let message = match device.replica.generate(&mut state).expect("generate") {
                Some(m) => m,
                None if news => {
                    state.reset_in_flight();
                    match device.replica.generate(&mut state).expect("generate") {
                        Some(m) => m,
                        None => return Ok(replies),
                    }
                }
                None => return Ok(replies),
            };
            let reply = self.post(&device.creds.token, &message).await?;
            news = !reply.ops.is_empty() || reply.more;
            replies.push(reply.ops.len());
            device.replica.receive(&mut state, reply).expect("receive");
        }
        panic!("no convergence");
    }

    async fn op_count(&self) -> u64 {
        let core = self.state.core();
        let core = core.lock().expect("core");
        core.status().expect("status").ops
    }
}

/// A message from `from` carrying `ops`.
fn carrying(from: ReplicaId, ops: impl IntoIterator<Item = vax_sync::Op>) -> Message {
    Message {
        protocol: PROTOCOL_VERSION,
        from,
        seen: Default::default(),
        ops: ops.into_iter().collect(),
        more: false,
        keys: Default::default(),
        beyond: Default::default(),
        covered: Default::default(),
    }
}

fn refused_for_budget(result: Result<(), Refusal>) {
    let err = result.expect_err("over the budget");
    assert_eq!(
        err,
        (
            StatusCode::TOO_MANY_REQUESTS,
            "OPS_BUDGET_EXCEEDED".to_owned()
        )
    );
}

#[tokio::test]
async fn a_device_claiming_hqs_authorship_is_refused_and_gains_no_budget() {
    let server = Server::new();
    let hq = server.device(Role::Hq, None).await;
    let mut booth = server.device(Role::Booth, Some("V01")).await;
    for r in 1..=BURST {
        booth.replica.write(dose(r, "V01")).expect("write");
    }
    server.sync(&mut booth).await.expect("within the budget");
    booth.replica.write(dose(10, "V01")).expect("write");
    refused_for_budget(server.sync(&mut booth).await);

    // Over its budget, the booth writes in HQ's name (HQ is not limited), signing with the
    // only key it has, beside its own new dose.
    let mut claimed = rogue(hq.creds.replica_id, &booth.key);
    for r in 20..25 {
        claimed.write(check_in(r, "V01")).expect("write");
    }
    let own = booth.replica.log.iter().last().cloned().expect("own op");
    let message = carrying(
        booth.creds.replica_id,
        claimed.log.iter().cloned().chain([own]),
    );
    let err = server.post(&booth.creds.token, &message).await;
    assert_eq!(
        err.expect_err("refused"),
        (StatusCode::TOO_MANY_REQUESTS, "OPS_BUDGET_EXCEEDED".into()),
        "the claimed ops do not verify, so they pay for nothing; the booth's own op is still over"
    );
    // Without its own op the message reaches the merge and is refused there as a forgery.
    let message = carrying(booth.creds.replica_id, claimed.log.iter().cloned());
    let err = server.post(&booth.creds.token, &message).await;
    assert_eq!(
        err.expect_err("refused"),
        (StatusCode::FORBIDDEN, "BAD_SIGNATURE".into())
    );
    assert_eq!(
        server.op_count().await,
        u64::from(BURST),
        "nothing more stored"
    );
    refused_for_budget(server.sync(&mut booth).await);
}

#[tokio::test]
async fn a_forger_cannot_drain_another_devices_budget() {
    let server = Server::new();
    let attacker = server.device(Role::Booth, Some("V01")).await;
    let mut victim = server.device(Role::Booth, Some("V02")).await;
    // Ops in the victim's name, signed with the attacker's key, sent again and again.
    let mut forged = rogue(victim.creds.replica_id, &attacker.key);
    for r in 1..=BURST * 2 {
        forged.write(dose(r, "V02")).expect("write");
    }
    for _ in 0..5 {
        let message = carrying(attacker.creds.replica_id, forged.log.iter().cloned());
        let err = server.post(&attacker.creds.token, &message).await;
        assert_eq!(
            err.expect_err("a forgery"),
            (StatusCode::FORBIDDEN, "BAD_SIGNATURE".into())
        );
    }
    // The victim's whole budget is still its own.
    for r in 100..100 + BURST {
        victim.replica.write(dose(r, "V02")).expect("write");
    }
    server
        .sync(&mut victim)
        .await
        .expect("the victim's budget is untouched");
    assert_eq!(server.op_count().await, u64::from(BURST));
}

#[tokio::test]
async fn a_device_replaying_another_devices_ops_does_not_drain_its_budget() {
    let server = Server::new();
    let mut attacker = server.device(Role::Booth, Some("V01")).await;
    let mut victim = server.device(Role::Booth, Some("V02")).await;
    victim.replica.write(dose(1, "V02")).expect("write");
    server.sync(&mut victim).await.expect("first op");
    // The attacker pulls the victim's genuine, signed op and hands it back many times.
    server.sync(&mut attacker).await.expect("pull");
    let genuine: Vec<_> = attacker
        .replica
        .log
        .iter()
        .filter(|op| op.author() == victim.creds.replica_id)
        .cloned()
        .collect();
    assert_eq!(genuine.len(), 1);
    for _ in 0..(BURST * 3) {
        let message = carrying(attacker.creds.replica_id, genuine.iter().cloned());
        server
            .post(&attacker.creds.token, &message)
            .await
            .expect("a held op handed back is a duplicate");
    }
    // One op of the burst was spent; the rest is the victim's.
    for r in 2..=BURST {
        victim.replica.write(dose(r, "V02")).expect("write");
    }
    server
        .sync(&mut victim)
        .await
        .expect("replays cost the victim nothing");
    assert_eq!(server.op_count().await, u64::from(BURST));
}

#[tokio::test]
async fn a_relay_carrying_hqs_ops_pays_nothing_and_a_booths_ops_are_charged_to_the_booth() {
    let server = Server::new();
    let hq = server.device(Role::Hq, None).await;
    let relay = server.device(Role::Relay, Some("V01")).await;
    let mut booth = server.device(Role::Booth, Some("V01")).await;
    // HQ's city reaches the centre through the venue's relay: many more ops than the budget.
    let mut city = MemoryReplica::new(hq.creds.replica_id, Role::Hq, hq.key.clone()).expect("key");
    for r in 1..=BURST * 10 {
        city.write(check_in(r, "V01")).expect("write");
    }
    let message = carrying(relay.creds.replica_id, city.log.iter().cloned());
    server
        .post(&relay.creds.token, &message)
        .await
        .expect("HQ's ops are not charged, whoever carries them");
    // The booth's ops, carried by the relay, are charged to the booth.
    for r in 100..100 + BURST {
        booth.replica.write(dose(r, "V01")).expect("write");
    }
    let message = carrying(relay.creds.replica_id, booth.replica.log.iter().cloned());
    server
        .post(&relay.creds.token, &message)
        .await
        .expect("within the booth's budget");
    booth.replica.write(dose(200, "V01")).expect("write");
    refused_for_budget(server.sync(&mut booth).await);
    assert_eq!(server.op_count().await, u64::from(BURST * 11));
}

#[tokio::test]
async fn honest_bursts_pass_with_the_default_limits_hqs_city_in_full_batches_a_desks_day_in_pages()
{
    let server = Server::with_limits(Limits::default());
    let hq = server.device(Role::Hq, None).await;
    let mut desk = server.device(Role::Reception, Some("V01")).await;
    // HQ's city (9,000 ops here; 181,682 for 65,000 residents, docs/BENCHMARKS.md) and a
    // reception desk's day offline (1,800 ops, within its burst), each sent at once.
    let mut city = Device {
        replica: MemoryReplica::new(hq.creds.replica_id, Role::Hq, hq.key.clone()).expect("key"),
        ..hq
    };
    for r in 1..=9_000 {
        city.replica.write(check_in(r, "V02")).expect("write");
    }
    server.sync(&mut city).await.expect("HQ is not budgeted");
    for r in 10_001..=11_800 {
        desk.replica.write(check_in(r, "V01")).expect("write");
    }
    server
        .sync(&mut desk)
        .await
        .expect("a desk's day is within its burst");
    // A new venue's first sync: HQ's ops come 4,000 to a reply, the desk's 250 beside them.
    let mut fresh = server.device(Role::Booth, Some("V03")).await;
    let replies = server.sync_counting(&mut fresh).await.expect("first sync");
    assert_eq!(fresh.replica.log.len(), 10_800, "everything arrived");
    assert_eq!(replies.iter().sum::<usize>(), 10_800);
    // The desk's 1,800 need 8 pages of 250; HQ's 9,000 ride along in them.
    assert!(
        replies.len() <= 12,
        "a handful of round trips, not one per 250 ops: {replies:?}"
    );
    assert_eq!(
        replies.iter().max(),
        Some(&4_000),
        "full batches: {replies:?}"
    );
}
