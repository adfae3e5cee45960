//! The server under load, tried as an attacker with one enrolled device would (issue 15):
//! a device flooding sync requests is held to its rate without slowing the others, a client
//! trickling a body is cut off, and bodies are bounded before authentication.

use std::time::{Duration, Instant};

use axum::body::Body;
use axum::http::{header, Request, StatusCode};
use axum::Router;
use http_body_util::BodyExt;
use serde_json::json;
use tempfile::TempDir;
use tower::ServiceExt;
use vax_sync::{Message, ReplicaId, Role, PROTOCOL_VERSION};
use vax_sync_client::new_device_key;
use vax_sync_server::core::create_code_expiring;
use vax_sync_server::{open_state_with_limits, Enrolled, ErrorBody, Limits, SqliteStore};

struct Server {
    app: Router,
    dir: TempDir,
}

impl Server {
    fn new(limits: Limits) -> Self {
        let dir = tempfile::tempdir().expect("tempdir");
        let state = open_state_with_limits(&dir.path().join("sync.db"), limits).expect("open");
        Self {
            app: vax_sync_server::router(state),
            dir,
        }
    }

    async fn call(&self, request: Request<Body>) -> (StatusCode, header::HeaderMap, Vec<u8>) {
        let response = self.app.clone().oneshot(request).await.expect("infallible");
        let status = response.status();
        let headers = response.headers().clone();
        let bytes = response
            .into_body()
            .collect()
            .await
            .expect("body")
            .to_bytes();
        (status, headers, bytes.to_vec())
    }

    /// A device enrolled with a code made on the database.
    async fn device(&self, role: Role, venue: Option<&str>) -> Enrolled {
        let mut store = SqliteStore::open(&self.dir.path().join("sync.db")).expect("open");
        let now = chrono::Utc::now();
        let (code, _) = create_code_expiring(
            &mut store,
            role,
            venue.map(vax_sync::VenueCode::new),
            now,
            now + chrono::Duration::hours(1),
        )
        .expect("code");
        let body =
            json!({"code": code, "device_name": "端末", "public_key": new_device_key().public()});
        let (status, _, bytes) = self
            .call(
                Request::post("/v1/enroll")
                    .body(Body::from(body.to_string()))
                    .expect("request"),
            )
            .await;
        assert_eq!(status, StatusCode::OK);
        serde_json::from_slice(&bytes).expect("enrolled")
    }

    async fn sync(&self, token: &str, from: ReplicaId) -> (StatusCode, header::HeaderMap, Vec<u8>) {
        self.call(sync_request(token, Body::from(hello(from).encode())))
            .await
    }
}

fn sync_request(token: &str, body: Body) -> Request<Body> {
    Request::post("/v1/sync")
        .header(header::AUTHORIZATION, format!("Bearer {token}"))
        .body(body)
        .expect("request")
}

fn hello(from: ReplicaId) -> Message {
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

fn code_of(bytes: &[u8]) -> String {
    let body: ErrorBody = serde_json::from_slice(bytes).expect("an error body");
    body.code.as_str().to_owned()
}

#[tokio::test]
async fn a_device_flooding_sync_requests_is_held_to_its_rate_and_the_others_are_not() {
    let server = Server::new(Limits {
        burst: 5,
        per_second: 0.01,
        ..Limits::default()
    });
    let flooder = server.device(Role::Booth, Some("V01")).await;
    let other = server.device(Role::Booth, Some("V02")).await;
    for _ in 0..5 {
        let (status, _, _) = server.sync(&flooder.token, flooder.replica_id).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, headers, body) = server.sync(&flooder.token, flooder.replica_id).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
    assert_eq!(code_of(&body), "RATE_LIMITED");
    let error: ErrorBody = serde_json::from_slice(&body).expect("error");
    assert!(error.retryable, "the client retries later by itself");
    let retry_after: u64 = headers
        .get(header::RETRY_AFTER)
        .and_then(|v| v.to_str().ok())
        .and_then(|v| v.parse().ok())
        .expect("Retry-After in seconds");
    assert!((1..=100).contains(&retry_after), "{retry_after}");
    // Another venue's device syncs as usual.
    let (status, _, _) = server.sync(&other.token, other.replica_id).await;
    assert_eq!(status, StatusCode::OK);
}

/// HQ publishing a prefecture makes thousands of requests back to back (2.5 million ops in
/// batches of 4,000): its rate is not limited, as its ops are not budgeted; a booth of the same
/// server with the same limits is refused after its burst.
#[tokio::test]
async fn hq_publishing_a_prefecture_is_not_held_to_a_devices_rate() {
    let server = Server::new(Limits {
        burst: 5,
        per_second: 0.01,
        ..Limits::default()
    });
    let hq = server.device(Role::Hq, None).await;
    for _ in 0..50 {
        let (status, _, body) = server.sync(&hq.token, hq.replica_id).await;
        assert_eq!(status, StatusCode::OK, "{}", String::from_utf8_lossy(&body));
    }
    let booth = server.device(Role::Booth, Some("V01")).await;
    for _ in 0..5 {
        let (status, _, _) = server.sync(&booth.token, booth.replica_id).await;
        assert_eq!(status, StatusCode::OK);
    }
    let (status, _, _) = server.sync(&booth.token, booth.replica_id).await;
    assert_eq!(status, StatusCode::TOO_MANY_REQUESTS);
}

#[tokio::test]
async fn an_unknown_token_cannot_spend_a_devices_rate_nor_send_a_body() {
    let server = Server::new(Limits {
        burst: 2,
        per_second: 0.01,
        ..Limits::default()
    });
    let device = server.device(Role::Booth, Some("V01")).await;
    for _ in 0..10 {
        // 9 MiB claimed, never read: refused on the token alone.
        let body = Body::from(vec![b'{'; 9 * 1024 * 1024]);
        let (status, _, bytes) = server.call(sync_request("not-a-token", body)).await;
        assert_eq!(status, StatusCode::UNAUTHORIZED);
        assert_eq!(code_of(&bytes), "UNKNOWN_TOKEN");
    }
    let (status, _, _) = server.sync(&device.token, device.replica_id).await;
    assert_eq!(status, StatusCode::OK, "the device's bucket is untouched");
}

#[tokio::test]
async fn an_enrolled_device_may_not_send_a_body_over_the_limit() {
    let server = Server::new(Limits::default());
    let device = server.device(Role::Booth, Some("V01")).await;
    let body = Body::from(vec![b' '; vax_sync::MAX_MESSAGE_BYTES + 1]);
    let (status, _, bytes) = server.call(sync_request(&device.token, body)).await;
    assert_eq!(status, StatusCode::PAYLOAD_TOO_LARGE);
    assert_eq!(code_of(&bytes), "TOO_LARGE");
}

#[tokio::test]
async fn a_body_trickled_past_the_timeout_is_cut_off_with_a_retryable_error() {
    let server = Server::new(Limits {
        request_timeout: Duration::from_millis(500),
        ..Limits::default()
    });
    let device = server.device(Role::Booth, Some("V01")).await;
    // The first bytes of a message, then nothing more: a slowloris upload.
    let stalled = futures_stream();
    let started = Instant::now();
    let (status, _, bytes) = server
        .call(sync_request(&device.token, Body::from_stream(stalled)))
        .await;
    assert_eq!(status, StatusCode::SERVICE_UNAVAILABLE);
    assert_eq!(code_of(&bytes), "REQUEST_TIMEOUT");
    let error: ErrorBody = serde_json::from_slice(&bytes).expect("error");
    assert!(error.retryable);
    assert!(started.elapsed() < Duration::from_secs(10));
    // The server still serves.
    let (status, _, _) = server.sync(&device.token, device.replica_id).await;
    assert_eq!(status, StatusCode::OK);
}

/// A body stream that yields `{"protocol":` and then never ends.
fn futures_stream(
) -> impl futures_core::Stream<Item = Result<axum::body::Bytes, std::io::Error>> + Send + 'static {
    struct Stalled(bool);
    impl futures_core::Stream for Stalled {
        type Item = Result<axum::body::Bytes, std::io::Error>;
        fn poll_next(
            mut self: std::pin::Pin<&mut Self>,
            _: &mut std::task::Context<'_>,
        ) -> std::task::Poll<Option<Self::Item>> {
            if self.0 {
                std::task::Poll::Pending
            } else {
                self.0 = true;
                std::task::Poll::Ready(Some(Ok(axum::body::Bytes::from_static(b"{\"protocol\":"))))
            }
        }
    }
    Stalled(false)
}
