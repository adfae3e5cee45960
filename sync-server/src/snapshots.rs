//! `PUT` and `GET /v1/snapshot` (docs/sync-spec.md §7c): HQ files the snapshot of its scope,
//! a new device fetches the one of its own. The body is the ledger file as it is; the seal
//! travels in a header. The rules are the core's (`Core::store_snapshot`,
//! `Core::snapshot_for`); the device verifies the seal again before it takes anything.

use axum::body::Bytes;
use axum::extract::rejection::BytesRejection;
use axum::extract::State;
use axum::http::{header, HeaderMap, HeaderValue, StatusCode};
use axum::response::{IntoResponse, Response};
use vax_sync::http::{MAX_SNAPSHOT_BYTES, SNAPSHOT_KEY_HEADER, SNAPSHOT_SEAL_HEADER};

use crate::api::{bearer, body_bytes, AppState};
use crate::error::ApiError;

/// `PUT /v1/snapshot`: 204 once stored.
pub(crate) async fn put(
    State(state): State<AppState>,
    headers: HeaderMap,
    body: Result<Bytes, BytesRejection>,
) -> Result<StatusCode, ApiError> {
    let token = bearer(&headers)?;
    let seal = headers
        .get(SNAPSHOT_SEAL_HEADER)
        .and_then(|v| v.to_str().ok())
        .ok_or_else(|| ApiError::bad_request(format!("header {SNAPSHOT_SEAL_HEADER} missing")))?
        .to_owned();
    let data = body_bytes(body, MAX_SNAPSHOT_BYTES)?;
    state
        .with_core(move |core| core.store_snapshot(&token, &seal, &data))
        .await?;
    Ok(StatusCode::NO_CONTENT)
}

/// `GET /v1/snapshot`: the data, its seal and its author's key; 404 `NO_SNAPSHOT`.
pub(crate) async fn get(
    State(state): State<AppState>,
    headers: HeaderMap,
) -> Result<Response, ApiError> {
    let token = bearer(&headers)?;
    let found = state
        .with_core(move |core| core.snapshot_for(&token))
        .await?;
    let (seal, key, data) = found.ok_or_else(ApiError::no_snapshot)?;
    let seal = HeaderValue::from_str(&seal)
        .map_err(|e| ApiError::bad_request(format!("stored seal is not a header value: {e}")))?;
    let key = HeaderValue::from_str(&key.to_string())
        .map_err(|e| ApiError::bad_request(format!("key is not a header value: {e}")))?;
    Ok((
        [
            (
                header::CONTENT_TYPE,
                HeaderValue::from_static("application/octet-stream"),
            ),
            (header::HeaderName::from_static(SNAPSHOT_SEAL_HEADER), seal),
            (header::HeaderName::from_static(SNAPSHOT_KEY_HEADER), key),
        ],
        // The file kept in memory, sent without a copy.
        Bytes::from_owner(ArcBytes(data)),
    )
        .into_response())
}

/// A snapshot's bytes shared with the core's copy, as a response body.
struct ArcBytes(std::sync::Arc<Vec<u8>>);

impl AsRef<[u8]> for ArcBytes {
    fn as_ref(&self) -> &[u8] {
        self.0.as_slice()
    }
}
