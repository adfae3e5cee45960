//! [`ClientError`]: what went wrong talking to the server, and whether to try again.

use thiserror::Error;
use vax_domain::error::ErrorCode;

/// A failed call to the sync server.
#[derive(Debug, Error)]
pub enum ClientError {
    /// The server could not be reached or the connection broke (refused, reset, timed out,
    /// name not resolved), or TLS failed.
    #[error("cannot reach the sync server at {url}: {source}")]
    Transport {
        /// The URL called.
        url: String,
        /// The transport error.
        #[source]
        source: ureq::Error,
        /// Whether trying again later may succeed.
        retryable: bool,
    },
    /// The server answered with an error.
    #[error("the sync server refused the request ({status} {code}): {message}")]
    Server {
        /// HTTP status.
        status: u16,
        /// The server's code (`NOT_PERMITTED`), or `UNEXPECTED_REPLY` when the reply was not
        /// the server's JSON error (a proxy in between).
        code: ErrorCode,
        /// English message.
        message: String,
        /// Japanese message, for the person at the venue.
        message_ja: String,
        /// Whether trying again later may succeed.
        retryable: bool,
        /// The one op a refused sync message was refused for, when the server named one.
        op: Option<vax_sync::OpId>,
    },
    /// The reply could not be read (not the expected JSON or message).
    #[error("unexpected reply from the sync server: {0}")]
    BadReply(String),
    /// A root certificate given to the client could not be read.
    #[error("invalid root certificate: {0}")]
    Certificate(String),
}

impl ClientError {
    /// Whether the same call may succeed later: connection refused/reset, timeouts, 5xx, and
    /// replies the server marked `retryable` (storage trouble, a clock ahead of the server's).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { retryable, .. } | Self::Server { retryable, .. } => *retryable,
            Self::BadReply(_) | Self::Certificate(_) => false,
        }
    }

    /// The opposite of [`ClientError::is_retryable`].
    pub fn is_permanent(&self) -> bool {
        !self.is_retryable()
    }

    /// The HTTP status, when the server answered.
    pub fn status(&self) -> Option<u16> {
        match self {
            Self::Server { status, .. } => Some(*status),
            _ => None,
        }
    }

    /// The server's error code, when the server answered.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { code, .. } => Some(*code),
            _ => None,
        }
    }

    /// The Japanese message for the person at the venue.
    pub fn message_ja(&self) -> String {
        match self {
            Self::Server { message_ja, .. } => message_ja.clone(),
            Self::Transport {
                retryable: true, ..
            } => "同期サーバーに接続できません。ネットワークが戻れば自動で再同期します。".into(),
            Self::Transport { .. } => {
                "同期サーバーとの安全な接続を確立できません。本部に連絡してください。".into()
            }
            Self::BadReply(_) => "同期サーバーから予期しない応答がありました。".into(),
            Self::Certificate(_) => "証明書の設定が正しくありません。".into(),
        }
    }

    pub(crate) fn transport(url: &str, source: ureq::Error) -> Self {
        let retryable = is_retryable_transport(&source);
        Self::Transport {
            url: url.to_owned(),
            source,
            retryable,
        }
    }
}

fn is_retryable_transport(e: &ureq::Error) -> bool {
    use std::io::ErrorKind;
    match e {
        ureq::Error::Io(io) => matches!(
            io.kind(),
            ErrorKind::ConnectionRefused
                | ErrorKind::ConnectionReset
                | ErrorKind::ConnectionAborted
                | ErrorKind::NotConnected
                | ErrorKind::BrokenPipe
                | ErrorKind::TimedOut
                | ErrorKind::UnexpectedEof
                | ErrorKind::Interrupted
                | ErrorKind::WouldBlock
                | ErrorKind::AddrNotAvailable
                | ErrorKind::NetworkUnreachable
                | ErrorKind::HostUnreachable
                | ErrorKind::NetworkDown
        ),
        ureq::Error::Timeout(_)
        | ureq::Error::HostNotFound
        | ureq::Error::ConnectionFailed
        | ureq::Error::Protocol(_)
        | ureq::Error::BodyStalled => true,
        _ => false,
    }
}
