//! The blocking HTTP(S) client of the vaxledger sync server, and the sync-session loop.
//!
//! The desktop app and the HQ CLI call it from a background thread: [`enroll`] once with the
//! code HQ gave, then [`sync_session`] whenever the network is there. The session is
//! stateless on the server side: each call to [`sync_session`] starts with both sides telling
//! each other what they hold, so it can be interrupted at any point and simply run again.
//!
//! Errors are classified: [`ClientError::is_retryable`] is true for connection failures,
//! timeouts, 5xx and replies the server marks retryable; anything else will fail the same way
//! again and carries the server's `code`, `message` and `message_ja`.
#![deny(missing_docs)]

mod client;
mod error;
pub mod lan;
mod session;
pub mod trust;

pub use client::{enroll, new_device_key, Client, DEFAULT_CALL_TIMEOUT, DEFAULT_CONNECT_TIMEOUT};
pub use error::ClientError;
pub use session::{
    sync_session, sync_session_with, LocalReplica, MemoryReplica, SessionError, SessionOptions,
    SessionReport,
};
pub use trust::TrustPolicy;
pub use vax_sync::http::{DeviceInfo, Enrolled, Health, Status};
pub use vax_sync::SystemClock;
