//! The one error shape that crosses the IPC boundary.

use serde::Serialize;
use vax_domain::error::{UserError, UserFacing};

/// `{code, message, message_ja, overridable}` ([`UserError`], `IpcError` in TypeScript): the
/// UI branches on `code` and shows the message in the chosen language. Every error of
/// vax-app converts into it through [`UserFacing`]: the one `From` of the adapter.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[serde(transparent)]
pub struct IpcError(pub UserError);

impl<E: UserFacing> From<E> for IpcError {
    fn from(e: E) -> Self {
        Self(e.to_user_error())
    }
}

impl IpcError {
    /// A failure of the machine rather than of the input (a thread that could not start).
    pub fn internal(e: impl std::fmt::Display) -> Self {
        Self(UserError::new(
            vax_domain::error::ErrorCode::Internal,
            format!("internal error: {e}"),
            format!("内部エラー: {e}"),
        ))
    }
}
