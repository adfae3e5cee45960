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
    /// The server's certificate is not signed by a CA this device trusts (the city's CA when
    /// one is set, else the public roots), or is not for the server's name: an impostor, or
    /// a CA missing on this device.
    #[error("the sync server at {url} showed a certificate this device does not trust ({detail}); set the city's CA with `vaxhq sync trust --ca city-ca.pem` or on the setup screen")]
    UntrustedServer {
        /// The URL called.
        url: String,
        /// What the TLS layer said.
        detail: String,
    },
    /// Plain HTTP to a server that is not on this machine, which HQ has not allowed: the token
    /// and residents' data would travel in clear. Refused before connecting.
    #[error("plain http:// to {url} is refused: it is not on this machine and HQ has not allowed plain HTTP; use https:// (HQ can allow it with `vaxhq sync trust --allow-plain-http`)")]
    PlainHttpRefused {
        /// The URL refused.
        url: String,
    },
    /// The server address is not an `https://` (or `http://`) URL with a host.
    #[error("not a sync server address: {0:?} (expected https://host[:port])")]
    BadUrl(String),
}

impl ClientError {
    /// Whether the same call may succeed later: connection refused/reset, timeouts, 5xx, and
    /// replies the server marked `retryable` (storage trouble, a clock ahead of the server's).
    pub fn is_retryable(&self) -> bool {
        match self {
            Self::Transport { retryable, .. } | Self::Server { retryable, .. } => *retryable,
            Self::BadReply(_)
            | Self::Certificate(_)
            | Self::UntrustedServer { .. }
            | Self::PlainHttpRefused { .. }
            | Self::BadUrl(_) => false,
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

    /// The server's error code, when the server answered, or the trust policy's refusal.
    pub fn code(&self) -> Option<ErrorCode> {
        match self {
            Self::Server { code, .. } => Some(*code),
            Self::PlainHttpRefused { .. } => Some(ErrorCode::PlainHttpRefused),
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
            Self::UntrustedServer { .. } => {
                "同期サーバーの証明書を信頼できません（市の認証局の証明書が未設定か、なりすましの可能性があります）。本部に連絡してください。".into()
            }
            Self::PlainHttpRefused { url } => format!(
                "{url} への暗号化されていない通信（http://）は、本部が許可していないため行いません。https:// の接続先を使ってください（本部は vaxhq sync trust --allow-plain-http で許可できます）。"
            ),
            Self::BadUrl(url) => {
                format!("同期サーバーの接続先 {url:?} が正しくありません（https://ホスト名:ポート）。")
            }
        }
    }

    pub(crate) fn transport(url: &str, source: ureq::Error) -> Self {
        if let Some(detail) = untrusted_certificate(&source) {
            return Self::UntrustedServer {
                url: url.to_owned(),
                detail,
            };
        }
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

/// What rustls said, when `e` is its refusal of the server's certificate.
fn untrusted_certificate(e: &ureq::Error) -> Option<String> {
    let rustls_error = match e {
        ureq::Error::Rustls(r) => Some(r),
        ureq::Error::Io(io) => io.get_ref().and_then(|i| i.downcast_ref::<rustls::Error>()),
        _ => None,
    }?;
    matches!(rustls_error, rustls::Error::InvalidCertificate(_)).then(|| rustls_error.to_string())
}
