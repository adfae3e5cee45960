//! What a sync request goes through before the core's lock, kept out of the HTTP handlers
//! (`api.rs`, adapters of ten lines or fewer): authentication and the device's rate before
//! the body is read, then decoding and signature verification on threads of their own, then
//! the verified authors' ops budgets (`limits::OpsBudget`).

use std::time::{Duration, Instant};

use axum::body::Bytes;
use axum::http::header;
use axum::response::{IntoResponse, Response};
use axum::Json;
use vax_sync::{Message, ReplicaId, VerifiedMessage, MAX_MESSAGE_BYTES};

use crate::api::{body_bytes, http_status, internal_error, AppState};
use crate::core::AuthorRecord;
use crate::error::ApiError;
use crate::store::Device;

/// What a sync request's intake gives the handler: the verified message for the core, or the
/// reply refusing it before the core's lock (429 with its `Retry-After`).
pub(crate) enum Intake {
    /// From the device authenticated: its message decoded and verified (or the decoding's
    /// error, which the core reports and logs).
    Message(Box<Device>, Result<VerifiedMessage, ApiError>),
    /// Refused: the device's request rate or its ops budget is spent.
    Refused(Response),
}

/// Everything a sync request goes through before the core: its token, its device's rate,
/// its body, decoding, signature verification, then its authors' ops budgets — charged only
/// for the ops whose signatures verified, to their verified authors.
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
        Err(e) => return Ok(Intake::Message(Box::new(device), Err(e.into()))),
    };
    let (verified, authors) = verify(state, message).await?;
    let charges = charges(&device, &verified, &authors);
    // The budget's own monotonic clock, like the rate's.
    if let Err(wait) = state.ops_budget.take_all(&charges, Instant::now()) {
        tracing::warn!(replica = %device.replica_id, ops = verified.message().ops.len(),
            "ops budget reached");
        return Ok(Intake::Refused(refusal(
            ApiError::ops_budget_exceeded,
            wait,
        )));
    }
    Ok(Intake::Message(Box::new(device), Ok(verified)))
}

/// What each author of the message pays from its ops budget: one per op whose signature
/// verified and that the server does not hold yet. So a device cannot skip its budget by
/// claiming another author (HQ) — the op does not verify, is not charged, and the merge
/// refuses the message — nor drain another device's budget, by forging its ops (they do not
/// verify) or by handing back ops of it the server holds (they are not new). HQ's ops are
/// not limited, whoever carries them: HQ publishes a whole city when it enrolls, and a kiosk
/// hands that city on to a fresh standby relay (HQ is a handful of revocable devices).
pub(crate) fn charges(
    sender: &Device,
    verified: &VerifiedMessage,
    authors: &[AuthorRecord],
) -> Vec<(ReplicaId, usize)> {
    let mut charges: Vec<(ReplicaId, usize)> = Vec::new();
    if crate::limits::is_unlimited(sender.role) {
        return charges;
    }
    for (i, op) in verified.message().ops.iter().enumerate() {
        let Some(author) = authors.iter().find(|a| a.replica == op.author()) else {
            continue;
        };
        if !verified.is_verified(i) || author.exempt_from_budget {
            continue;
        }
        if op.id.counter <= author.held_up_to {
            continue;
        }
        match charges.iter_mut().find(|(r, _)| *r == author.replica) {
            Some((_, n)) => *n += 1,
            None => charges.push((author.replica, 1)),
        }
    }
    charges
}

/// A 429 with `Retry-After` in whole seconds (at least one).
pub(crate) fn refusal(error: fn(u64) -> ApiError, wait: Duration) -> Response {
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
/// once, to read what the server knows of the authors (keys, budget exemption, held ops).
async fn verify(
    state: &AppState,
    message: Message,
) -> Result<(VerifiedMessage, Vec<AuthorRecord>), ApiError> {
    let (message, authors) = state
        .with_core(move |core| {
            let authors = core.authors_of(&message)?;
            Ok((message, authors))
        })
        .await?;
    tokio::task::spawn_blocking(move || {
        let verified = VerifiedMessage::verify(message, |replica| {
            authors
                .iter()
                .find(|a| a.replica == replica)
                .and_then(|a| a.key)
        });
        Ok((verified, authors))
    })
    .await
    .map_err(|e| internal_error(&e))?
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
    let within = match crate::limits::is_unlimited(device.role) {
        true => Ok(()),
        false => state.limiter.take(device.replica_id, Instant::now()),
    };
    if let Err(wait) = within {
        tracing::warn!(replica = %device.replica_id, "sync rate limit reached");
        drain(request.into_body()).await;
        return Ok(Err(wait));
    }
    let body = body_bytes(
        <Bytes as axum::extract::FromRequest<AppState>>::from_request(request, state).await,
        MAX_MESSAGE_BYTES,
    )?;
    Ok(Ok((device, body)))
}

/// Reads and drops what is left of a refused request's body (at most a message's worth; the
/// request timeout bounds the time), unparsed. A connection closed with bytes unread is reset
/// by the kernel, and a client still uploading its message would then get `ConnectionReset`
/// or `BrokenPipe` instead of the 429 and its `Retry-After` (the fleet bench's flooder saw
/// a dozen such errors a run).
async fn drain(mut body: axum::body::Body) {
    use http_body_util::BodyExt;
    let mut read = 0;
    while read <= MAX_MESSAGE_BYTES {
        match body.frame().await {
            Some(Ok(frame)) => read += frame.data_ref().map_or(0, |data| data.len()),
            Some(Err(_)) | None => return,
        }
    }
}
