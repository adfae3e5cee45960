//! The one error shape that crosses the IPC boundary.

use serde::Serialize;
use vax_app::demo::DemoError;
use vax_app::desk::DeskError;
use vax_ledger::LedgerError;

/// `{code, message, message_ja}`: the UI branches on `code` and shows the message in the
/// chosen language.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, ts_rs::TS)]
pub struct IpcError {
    /// Stable code (e.g. `DUPLICATE_DOSE`).
    pub code: String,
    /// English.
    pub message: String,
    /// Japanese.
    pub message_ja: String,
}

impl IpcError {
    pub(crate) fn new(code: &str, message: String, message_ja: String) -> Self {
        Self {
            code: code.to_owned(),
            message,
            message_ja,
        }
    }

    pub(crate) fn ledger_unavailable(why: &str) -> Self {
        Self::new(
            "LEDGER_UNAVAILABLE",
            format!("the ledger cannot be opened: {why}"),
            format!("台帳を開けません: {why}"),
        )
    }

    pub(crate) fn invalid(en: &str, ja: &str) -> Self {
        Self::new("INVALID_INPUT", en.to_owned(), ja.to_owned())
    }
}

impl From<DeskError> for IpcError {
    fn from(e: DeskError) -> Self {
        Self::new(e.code(), e.to_string(), e.message_ja())
    }
}

impl From<LedgerError> for IpcError {
    fn from(e: LedgerError) -> Self {
        DeskError::from(e).into()
    }
}

impl From<DemoError> for IpcError {
    fn from(e: DemoError) -> Self {
        match e {
            DemoError::LedgerNotEmpty(_) => {
                Self::new("LEDGER_NOT_EMPTY", e.to_string(), e.to_string())
            }
            DemoError::Ledger(e) => e.into(),
            DemoError::Kiosk(e) => e.into(),
            other => Self::new(
                "DEMO_FAILED",
                other.to_string(),
                format!("デモ市を読み込めません: {other}"),
            ),
        }
    }
}
