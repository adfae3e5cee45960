//! What a sync request goes through before the core's lock, kept out of the HTTP handlers
//! (`api.rs`, adapters of ten lines or fewer): authentication and the device's rate before
//! the body is read, then decoding, the authors' ops budgets (`limits::OpsBudget`) and
//! signature verification on threads of their own.

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use vax_sync::{Message, ReplicaId, Role, VerifiedMessage, MAX_MESSAGE_BYTES};

use crate::api::{body_bytes, http_status, internal_error, AppState};
use crate::error::ApiError;
use crate::store::Device;

/// What a sync request's intake gives the handler: the verified message for the core, or the
/// reply refusing it before the core's lock (429 with its `Retry-After`).
pub(crate) enum Intake {
    /// Decoded and verified (or the decoding's error, which the core reports and logs).
    Message(Result<VerifiedMessage, ApiError>),
    /// Refused: the device's request rate or its ops budget is spent.
    Refused(Response),
}

/// Everything a sync request goes through before the core: its token, its device's rate,
/// its body, decoding, its authors' ops budgets, signature verification.
pub(crate) async fn intake(
    state: &AppState,
    token: &str,
    request: axum::extract::Request,
) -> Result<Intake, ApiError> {
    let (device, body) = match authenticated_body(state, token, request).await? {
        Ok(accepted) => accepted,
        Err(wait) => return Ok(Intake::Refused(refusal(ApiError::rate_limited, wait))),
    };
    let decoded = tokio::task::spawn_blocking(move || Message::decode(&body))
        .await
        .map_err(|e| internal_error(&e))?;
    let message = match decoded {
        Ok(message) => message,
        Err(e) => return Ok(Intake::Message(Err(e.into()))),
    };
    if let Err(wait) = charge_ops(state, &device, &message).await? {
        tracing::warn!(replica = %device.replica_id, ops = message.ops.len(), "ops budget reached");
        return Ok(Intake::Refused(refusal(
            ApiError::ops_budget_exceeded,
            wait,
        )));
    }
    verify(state, message).await.map(Intake::Message)
}

/// Charges each author of the message's ops its budget. HQ's ops are not limited, whoever
/// carries them: HQ publishes a whole city when it enrolls, and a kiosk hands that city on to
/// a fresh standby relay (HQ is a handful of revocable devices).
async fn charge_ops(
    state: &AppState,
    sender: &Device,
    message: &Message,
) -> Result<Result<(), Duration>, ApiError> {
    if matches!(sender.role, Role::Hq | Role::Server) || message.ops.is_empty() {
        return Ok(Ok(()));
    }
    let mut charges: Vec<(ReplicaId, usize)> = Vec::new();
    for op in &message.ops {
        match charges.iter_mut().find(|(r, _)| *r == op.id.replica) {
            Some((_, n)) => *n += 1,
            None => charges.push((op.id.replica, 1)),
        }
    }
    let charges = state
        .with_core(move |core| {
            let unlimited = |replica: &ReplicaId| {
                core.devices()
                    .any(|d| d.replica_id == *replica && matches!(d.role, Role::Hq | Role::Server))
            };
            Ok(charges
                .into_iter()
                .filter(|(replica, _)| !unlimited(replica))
                .collect::<Vec<_>>())
        })
        .await?;
    // The budget's own monotonic clock, like the rate's.
    Ok(state.ops_budget.take_all(&charges, Instant::now()))
}

/// A 429 with `Retry-After` in whole seconds (at least one).
fn refusal(error: fn(u64) -> ApiError, wait: Duration) -> Response {
    let seconds = wait.as_secs_f64().ceil().max(1.0) as u64;
    let error = error(seconds);
    (
        http_status(error.code()),
        [(header::RETRY_AFTER, seconds.to_string())],
        Json(error.body),
    )
        .into_response()
}

/// Verifies a decoded message's signatures on a blocking thread of its own, outside the
/// core's lock: only the merge is serialised, so one device's large message does not hold
/// every other device behind its JSON and ed25519 work. The lock is taken only for a moment,
/// to read the authors' keys.
async fn verify(
    state: &AppState,
    message: Message,
) -> Result<Result<VerifiedMessage, ApiError>, ApiError> {
    let (message, keys) = state
        .with_core(move |core| {
            let keys = core.keys_for(&message);
            Ok((message, keys))
        })
        .await?;
    tokio::task::spawn_blocking(move || {
        Ok(VerifiedMessage::verify(message, |replica| {
            keys.iter().find(|(r, _)| *r == replica).map(|(_, k)| *k)
        }))
    })
    .await
    .map_err(|e| internal_error(&e))
}

/// The request's body, read only once its bearer token is known (a client without a valid
/// token cannot make the server take in 8 MiB) and the device is within its rate; otherwise
/// how long the device must wait.
async fn authenticated_body(
    state: &AppState,
    token: &str,
    request: axum::extract::Request,
) -> Result<Result<(Device, Bytes), Duration>, ApiError> {
    let sender = token.to_owned();
    let device = state
        .with_core(move |core| core.authenticate(&sender))
        .await?;
    // The limiter's own monotonic clock: how often a device asks is not ledger time.
    if let Err(wait) = state.limiter.take(device.replica_id, Instant::now()) {
        tracing::warn!(replica = %device.replica_id, "sync rate limit reached");
        return Ok(Err(wait));
    }
    let body = body_bytes(
        <Bytes as axum::extract::FromRequest<AppState>>::from_request(request, state).await,
        MAX_MESSAGE_BYTES,
    )?;
    Ok(Ok((device, body)))
}
