//! The HTTP API (axum). Every handler does its work under the one mutex, on a blocking
//! thread, through [`crate::core::Core`]; a sync request decodes and verifies its message
//! before it takes the mutex, which it then holds only for the merge.

use std::sync::{Arc, Mutex};

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::{DefaultBodyLimit, Path, State};
use axum::http::{header, HeaderMap, StatusCode};
use axum::response::{IntoResponse, Response};
use axum::routing::{get, post};
use axum::{Json, Router};
use serde::de::DeserializeOwned;
use vax_domain::error::ErrorCode;
use vax_sync::{ReplicaId, MAX_MESSAGE_BYTES, PROTOCOL_VERSION};

use vax_sync::http::{
    CreateEnrollmentRequest, CreateEnrollmentResponse, DeviceInfo, EnrollRequest, Enrolled, Health,
    RotatedToken,
};

use crate::core::Core;
use crate::error::ApiError;
use crate::intake::{intake, Intake};
use crate::limits::{Limits, OpsBudget, RateLimiter};

/// Body limit of the JSON endpoints.
pub const JSON_BODY_LIMIT: usize = 16 * 1024;

/// Shared state of the router.
#[derive(Clone, Debug)]
pub struct AppState {
    core: Arc<Mutex<Core>>,
    server_id: ReplicaId,
    limits: Limits,
    pub(crate) limiter: Arc<RateLimiter>,
    pub(crate) ops_budget: Arc<OpsBudget>,
    /// Online lookups of residents, per device (`RateLimiter::for_lookups`).
    pub(crate) lookup_limiter: Arc<RateLimiter>,
}

impl AppState {
    /// Wraps a core, with the default [`Limits`].
    pub fn new(core: Core) -> Self {
        Self::with_limits(core, Limits::default())
    }

    /// Wraps a core with the given limits.
    pub fn with_limits(mut core: Core, limits: Limits) -> Self {
        core.set_reply_pace(limits.paced_ops_per_author);
        let server_id = core.server_id();
        Self {
            core: Arc::new(Mutex::new(core)),
            server_id,
            limits,
            limiter: Arc::new(RateLimiter::new(&limits)),
            ops_budget: Arc::new(OpsBudget::new(&limits)),
            lookup_limiter: Arc::new(RateLimiter::for_lookups(&limits)),
        }
    }

    /// The limits requests are held to.
    pub fn limits(&self) -> Limits {
        self.limits
    }

    /// The server's replica id.
    pub fn server_id(&self) -> ReplicaId {
        self.server_id
    }

    /// The core behind the router, for work beside the requests (a venue relay's sync with
    /// the centre, `crate::relay`): lock it only for one local step at a time.
    pub fn core(&self) -> Arc<Mutex<Core>> {
        Arc::clone(&self.core)
    }

    /// Runs `f` on the core on a blocking thread (SQLite calls block).
    pub(crate) async fn with_core<T: Send + 'static>(
        &self,
        f: impl FnOnce(&mut Core) -> Result<T, ApiError> + Send + 'static,
    ) -> Result<T, ApiError> {
        let core = Arc::clone(&self.core);
        tokio::task::spawn_blocking(move || {
            // A panic under the lock cannot leave a half-applied message: the store commits
            // before the in-memory replica is touched, and the replica is rebuilt on restart.
            let mut core = core
                .lock()
                .unwrap_or_else(std::sync::PoisonError::into_inner);
            f(&mut core)
        })
        .await
        .map_err(|e| internal_error(&e))?
    }
}

/// The HTTP status of each refusal: the one place codes meet HTTP.
pub fn http_status(code: ErrorCode) -> StatusCode {
    use ErrorCode as C;
    match code {
        C::MissingToken | C::UnknownToken | C::DeviceRevoked => StatusCode::UNAUTHORIZED,
        C::HqOnly
        | C::WrongVenue
        | C::WrongScope
        | C::UnknownAuthor
        | C::NotPermitted
        | C::WrongSender
        | C::BadSignature => StatusCode::FORBIDDEN,
        C::EnrollmentCodeInvalid | C::NoSuchEndpoint | C::UnknownResident | C::NoSnapshot => {
            StatusCode::NOT_FOUND
        }
        C::TooLarge => StatusCode::PAYLOAD_TOO_LARGE,
        C::RateLimited | C::OpsBudgetExceeded => StatusCode::TOO_MANY_REQUESTS,
        C::RequestTimeout => StatusCode::SERVICE_UNAVAILABLE,
        C::ConflictingOp => StatusCode::CONFLICT,
        C::StorageUnavailable | C::ClockAhead | C::Internal => StatusCode::SERVICE_UNAVAILABLE,
        _ => StatusCode::BAD_REQUEST,
    }
}

impl IntoResponse for ApiError {
    fn into_response(self) -> Response {
        (http_status(self.code()), Json(self.body)).into_response()
    }
}

/// The router with every `/v1` endpoint.
pub fn router(state: AppState) -> Router {
    Router::new()
        .route("/v1/health", get(health))
        .route(
            "/v1/enroll",
            post(enroll).layer(DefaultBodyLimit::max(JSON_BODY_LIMIT)),
        )
        .route(
            "/v1/sync",
            post(sync).layer(DefaultBodyLimit::max(MAX_MESSAGE_BYTES)),
        )
        .route(
            "/v1/enrollments",
            post(create_enrollment).layer(DefaultBodyLimit::max(JSON_BODY_LIMIT)),
        )
        .route("/v1/alerts", get(alerts))
        .route("/v1/token", post(rotate_token))
        .route("/v1/devices", get(devices))
        .route("/v1/devices/{replica}/revoke", post(revoke_device))
        .route("/v1/status", get(status))
        .route("/v1/relay/registry", get(relay_registry))
        .route("/v1/relay/status", get(relay_status))
        .route("/v1/residents/{municipality}/{voucher}", get(resident))
        .route(
            vax_sync::http::SNAPSHOT_PATH,
            get(crate::snapshots::get)
                .put(crate::snapshots::put)
                .layer(DefaultBodyLimit::max(vax_sync::http::MAX_SNAPSHOT_BYTES)),
        )
        .fallback(|| async { ApiError::no_such_endpoint() })
        .layer(axum::middleware::from_fn_with_state(
            state.clone(),
            time_limit,
        ))
        .with_state(state)
}

/// Answers 503 `REQUEST_TIMEOUT` when a request (its body upload included) takes longer than
/// the limit. Work already under the core's lock finishes there (a merge is never cut in
/// half); the client is told to retry.
async fn time_limit(
    State(state): State<AppState>,
    request: axum::extract::Request,
    next: axum::middleware::Next,
) -> Response {
    let limit = state.limits.request_timeout;
    match tokio::time::timeout(limit, next.run(request)).await {
        Ok(response) => response,
        Err(_) => ApiError::request_timeout(limit).into_response(),
    }
}

async fn health(State(state): State<AppState>) -> Json<Health> {
    Json(Health {
        status: "ok".into(),
        server_replica_id: state.server_id,
        protocol: PROTOCOL_VERSION,
    })
}

pub(crate) fn body_bytes(
    body: Result<Bytes, BytesRejection>,
    limit: usize,
) -> Result<Bytes, ApiError> {
    body.map_err(|rejection| {
        if rejection.status() == StatusCode::PAYLOAD_TOO_LARGE {
            ApiError::too_large(limit)
        } else {
            ApiError::bad_request(rejection.body_text())
        }
    })
}

fn json_body<T: DeserializeOwned>(body: Result<Bytes, BytesRejection>) -> Result<T, ApiError> {
    let bytes = body_bytes(body, JSON_BODY_LIMIT)?;
    serde_json::from_slice(&bytes)
        .map_err(|e| ApiError::bad_request(format!("invalid JSON body: {e}")))
}

pub(crate) fn bearer(headers: &HeaderMap) -> Result<String, ApiError> {
    let value = headers
        .get(header::AUTHORIZATION)
        .ok_or_else(ApiError::missing_token)?
        .to_str()
        .map_err(|_| ApiError::unknown_token())?;
    let (scheme, token) = value.split_once(' ').ok_or_else(ApiError::missing_token)?;
    if !scheme.eq_ignore_ascii_case("bearer") || token.trim().is_empty() {
        return Err(ApiError::missing_token());
    }
    Ok(token.trim().to_owned())
}

async fn enroll(
    State(state): State<AppState>,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<Enrolled>, ApiError> {
    let request: EnrollRequest = json_body(body)?;
    let enrolled = state.with_core(move |core| {
        core.enroll(&request.code, &request.device_name, request.public_key)
    });
    enrolled.await.map(Json)
}

async fn sync(
    State(state): State<AppState>,
    request: axum::extract::Request,
) -> Result<Response, ApiError> {
    let token = bearer(request.headers())?;
    let (device, message) = match intake(&state, &token, request).await? {
        Intake::Message(device, message) => (device, message),
        Intake::Refused(response) => return Ok(response),
    };
    let reply = state.with_core(move |core| core.sync_verified_from(&device, message));
    Ok(([(header::CONTENT_TYPE, "application/json")], reply.await?).into_response())
}

pub(crate) fn internal_error(e: &dyn std::fmt::Display) -> ApiError {
    tracing::error!(error = %e, "request task failed");
    ApiError::new(
        ErrorCode::Internal,
        "internal error; try again later",
        "サーバー内部の問題が発生しました。しばらくしてから再度お試しください。",
    )
}

async fn create_enrollment(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<Json<CreateEnrollmentResponse>, ApiError> {
    let token = bearer(&headers)?;
    let request: CreateEnrollmentRequest = json_body(body)?;
    let created = state.with_core(move |core| core.create_enrollment_with_token(&token, request));
    created.await.map(Json)
}

async fn alerts(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<vax_sync::Alert>>, ApiError> {
    let token = bearer(&headers)?;
    let alerts = state.with_core(move |core| core.alerts_with_token(&token));
    alerts.await.map(Json)
}

async fn status(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<vax_sync::http::Status>, ApiError> {
    let token = bearer(&headers)?;
    let status = state.with_core(move |core| core.status_with_token(&token));
    status.await.map(Json)
}

async fn rotate_token(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<RotatedToken>, ApiError> {
    let token = bearer(&headers)?;
    let rotated = state.with_core(move |core| core.rotate_token_with_token(&token));
    rotated.await.map(Json)
}

async fn devices(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<Vec<DeviceInfo>>, ApiError> {
    let token = bearer(&headers)?;
    let devices = state.with_core(move |core| core.devices_with_token(&token));
    devices.await.map(Json)
}

async fn revoke_device(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path(replica): Path<String>,
) -> Result<Json<DeviceInfo>, ApiError> {
    let token = bearer(&headers)?;
    let replica = uuid::Uuid::parse_str(&replica)
        .map(ReplicaId)
        .map_err(|e| ApiError::bad_request(format!("{replica:?} is not a replica id: {e}")))?;
    let revoked = state.with_core(move |core| core.revoke_with_token(&token, replica));
    revoked.await.map(Json)
}

async fn relay_registry(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<vax_sync::http::RelayRegistry>, ApiError> {
    let token = bearer(&headers)?;
    let registry = state.with_core(move |core| core.relay_registry_with_token(&token));
    registry.await.map(Json)
}

async fn relay_status(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Json<vax_sync::http::RelayStatus>, ApiError> {
    let token = bearer(&headers)?;
    let status = state.with_core(move |core| core.relay_status_with_token(&token));
    status.await.map(Json)
}

async fn resident(
    State(state): State<AppState>,
    headers: HeaderMap,
    Path((municipality, voucher)): Path<(String, String)>,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    crate::lookup::resident(&state, &token, &municipality, &voucher).await
}
