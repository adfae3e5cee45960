//! The online lookup of a walk-in from another municipality (docs/sync-spec.md §7b): a
//! venue's desk holding a partial replica asks for one resident's record, and the server
//! answers with the stored, signed ops of it, as a sync reply carries them (the device
//! verifies every signature: the server is not trusted for content). Kept out of the HTTP
//! handler (`api.rs`) like the sync request's intake.

use std::time::Instant;

use axum::http::header;
use axum::response::{IntoResponse, Response};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

use crate::api::AppState;
use crate::error::ApiError;

/// `GET /v1/residents/{municipality}/{voucher}`: authentication, who may ask
/// (`scope::may_look_up`), the device's lookup rate (`RateLimiter::for_lookups`: every
/// lookup, found or not, takes a token), then the record, or 404 `UNKNOWN_RESIDENT`.
pub(crate) async fn resident(
    state: &AppState,
    token: &str,
    municipality: &str,
    voucher: &str,
) -> Result<Response, ApiError> {
    let sender = token.to_owned();
    let device = state
        .with_core(move |core| core.authenticate(&sender))
        .await?;
    let municipality = MunicipalityCode::parse(municipality)
        .map_err(|e| ApiError::bad_request(format!("municipality code {municipality:?}: {e}")))?;
    let voucher = VoucherNumber::parse(voucher)
        .map_err(|e| ApiError::bad_request(format!("voucher number {voucher:?}: {e}")))?;
    crate::scope::may_look_up(&device, &municipality)?;
    // The limiter's own monotonic clock, like the sync rate's.
    if let Err(wait) = state.lookup_limiter.take(device.replica_id, Instant::now()) {
        tracing::warn!(replica = %device.replica_id, "resident lookup rate limit reached");
        return Ok(crate::intake::refusal(ApiError::lookups_limited, wait));
    }
    let reply = state
        .with_core(move |core| core.resident_record(&device, &municipality, &voucher))
        .await?;
    Ok(([(header::CONTENT_TYPE, "application/json")], reply).into_response())
}
