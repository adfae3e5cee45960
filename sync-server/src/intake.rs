//! What a sync request goes through before the core's lock, kept out of the HTTP handlers
//! (`api.rs`, adapters of ten lines or fewer): authentication and the device's rate before
//! the body is read, then decoding and signature verification on threads of their own.

use axum::body::Bytes;
use vax_sync::{Message, VerifiedMessage, MAX_MESSAGE_BYTES};

use crate::api::{body_bytes, internal_error, AppState};
use crate::error::ApiError;

/// Decodes a sync body and verifies its signatures on a blocking thread of its own, outside
/// the core's lock: only the merge is serialised, so one device's large message does not hold
/// every other device behind its JSON and ed25519 work. The lock is taken only for a moment,
/// to read the authors' keys. A body that does not decode is refused by the core afterwards
/// (with the same error and log line as before).
pub(crate) async fn decode_and_verify(
    state: &AppState,
    body: Bytes,
) -> Result<Result<VerifiedMessage, ApiError>, ApiError> {
    let decoded = tokio::task::spawn_blocking(move || Message::decode(&body))
        .await
        .map_err(|e| internal_error(&e))?;
    let message = match decoded {
        Ok(message) => message,
        Err(e) => return Ok(Err(e.into())),
    };
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
pub(crate) async fn authenticated_body(
    state: &AppState,
    token: &str,
    request: axum::extract::Request,
) -> Result<Result<Bytes, std::time::Duration>, ApiError> {
    let sender = token.to_owned();
    let device = state
        .with_core(move |core| core.authenticate(&sender))
        .await?;
    // The limiter's own monotonic clock: how often a device asks is not ledger time.
    if let Err(wait) = state
        .limiter
        .take(device.replica_id, std::time::Instant::now())
    {
        tracing::warn!(replica = %device.replica_id, "sync rate limit reached");
        return Ok(Err(wait));
    }
    body_bytes(
        <Bytes as axum::extract::FromRequest<AppState>>::from_request(request, state).await,
        MAX_MESSAGE_BYTES,
    )
    .map(Ok)
}
