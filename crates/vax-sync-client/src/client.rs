//! [`Client`]: one enrolled device talking to the sync server.

use std::sync::Arc;
use std::time::Duration;

use serde::de::DeserializeOwned;
use ureq::http::Response;
use ureq::tls::{Certificate, RootCerts, TlsConfig};
use ureq::{Agent, Body};
use vax_domain::error::ErrorCode;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_sync::http::{
    CreateEnrollmentRequest, CreateEnrollmentResponse, DeviceInfo, EnrollRequest, Enrolled,
    ErrorBody, Health, RotatedToken, Status, MAX_SNAPSHOT_BYTES, SNAPSHOT_KEY_HEADER,
    SNAPSHOT_PATH, SNAPSHOT_SEAL_HEADER,
};
use vax_sync::{
    Alert, DeviceKey, EncodedOp, Message, PublicKey, ReplicaId, Role, SnapshotSeal, VenueCode,
    MAX_MESSAGE_BYTES,
};

use crate::error::ClientError;

/// How long connecting may take.
pub const DEFAULT_CONNECT_TIMEOUT: Duration = Duration::from_secs(10);
/// How long one call may take in all (a full 8 MiB batch on a slow venue line included).
pub const DEFAULT_CALL_TIMEOUT: Duration = Duration::from_secs(120);

/// Error bodies and JSON replies are small; this bounds what we read of them.
const JSON_REPLY_LIMIT: u64 = 4 * 1024 * 1024;

/// A connection to the sync server for one device (or none, to enroll and check health).
/// Cheap to clone; keeps connections alive between calls.
#[derive(Debug, Clone)]
pub struct Client {
    base_url: String,
    token: Option<String>,
    roots: Option<Arc<Vec<Certificate<'static>>>>,
    connect_timeout: Duration,
    call_timeout: Duration,
    agent: Agent,
}

fn build_agent(
    roots: Option<&Arc<Vec<Certificate<'static>>>>,
    connect: Duration,
    call: Duration,
) -> Agent {
    let mut config = Agent::config_builder()
        .http_status_as_error(false)
        .timeout_connect(Some(connect))
        .timeout_global(Some(call))
        .user_agent(concat!("vax-sync-client/", env!("CARGO_PKG_VERSION")));
    if let Some(roots) = roots {
        config = config.tls_config(
            TlsConfig::builder()
                .root_certs(RootCerts::Specific(Arc::clone(roots)))
                .build(),
        );
    }
    Agent::new_with_config(config.build())
}

impl Client {
    /// A client for an enrolled device. `base_url` is like `https://sync.example.jp` (no
    /// trailing `/v1`).
    pub fn new(base_url: &str, token: &str) -> Self {
        let mut client = Self::anonymous(base_url);
        client.token = Some(token.to_owned());
        client
    }

    /// A client without credentials: for [`Client::enroll`] and [`Client::health`].
    pub fn anonymous(base_url: &str) -> Self {
        Self {
            base_url: base_url.trim_end_matches('/').to_owned(),
            token: None,
            roots: None,
            connect_timeout: DEFAULT_CONNECT_TIMEOUT,
            call_timeout: DEFAULT_CALL_TIMEOUT,
            agent: build_agent(None, DEFAULT_CONNECT_TIMEOUT, DEFAULT_CALL_TIMEOUT),
        }
    }

    /// Trusts only the CA certificate(s) in this PEM (a city's private CA) instead of the
    /// public web roots.
    pub fn with_root_cert(mut self, pem: &[u8]) -> Result<Self, ClientError> {
        let certs: Vec<Certificate<'static>> = ureq::tls::parse_pem(pem)
            .filter_map(|item| match item {
                Ok(ureq::tls::PemItem::Certificate(c)) => Some(Ok(c)),
                Ok(_) => None,
                Err(e) => Some(Err(e)),
            })
            .collect::<Result<_, _>>()
            .map_err(|e| ClientError::Certificate(e.to_string()))?;
        if certs.is_empty() {
            return Err(ClientError::Certificate(
                "no certificate in the PEM data".into(),
            ));
        }
        self.roots = Some(Arc::new(certs));
        self.agent = build_agent(self.roots.as_ref(), self.connect_timeout, self.call_timeout);
        Ok(self)
    }

    /// Sets the connect timeout and the overall timeout of one call.
    pub fn with_timeouts(mut self, connect: Duration, call: Duration) -> Self {
        self.connect_timeout = connect;
        self.call_timeout = call;
        self.agent = build_agent(self.roots.as_ref(), connect, call);
        self
    }

    /// The same client with a device's token (after [`Client::enroll`]).
    pub fn with_token(mut self, token: &str) -> Self {
        self.token = Some(token.to_owned());
        self
    }

    /// The server's base URL.
    pub fn base_url(&self) -> &str {
        &self.base_url
    }

    fn url(&self, path: &str) -> String {
        format!("{}{}", self.base_url, path)
    }

    fn auth(&self) -> String {
        format!("Bearer {}", self.token.as_deref().unwrap_or_default())
    }

    fn check(url: &str, mut response: Response<Body>) -> Result<Response<Body>, ClientError> {
        let status = response.status().as_u16();
        if (200..300).contains(&status) {
            return Ok(response);
        }
        let body = response
            .body_mut()
            .with_config()
            .limit(JSON_REPLY_LIMIT)
            .read_to_vec()
            .map_err(|e| ClientError::transport(url, e))?;
        let transient = status >= 500 || status == 408 || status == 429;
        Err(match serde_json::from_slice::<ErrorBody>(&body) {
            Ok(e) => ClientError::Server {
                status,
                code: e.code,
                message: e.message,
                message_ja: e.message_ja,
                retryable: e.retryable || transient,
                op: e.op,
            },
            Err(_) => ClientError::Server {
                status,
                code: ErrorCode::UnexpectedReply,
                message: String::from_utf8_lossy(&body).chars().take(500).collect(),
                message_ja: format!("同期サーバーがエラー {status} を返しました。"),
                retryable: transient,
                op: None,
            },
        })
    }

    fn read_json<T: DeserializeOwned>(
        url: &str,
        response: Result<Response<Body>, ureq::Error>,
    ) -> Result<T, ClientError> {
        let mut response = Self::check(url, response.map_err(|e| ClientError::transport(url, e))?)?;
        let bytes = response
            .body_mut()
            .with_config()
            .limit(JSON_REPLY_LIMIT)
            .read_to_vec()
            .map_err(|e| ClientError::transport(url, e))?;
        serde_json::from_slice(&bytes).map_err(|e| ClientError::BadReply(e.to_string()))
    }

    /// `GET /v1/health`.
    pub fn health(&self) -> Result<Health, ClientError> {
        let url = self.url("/v1/health");
        Self::read_json(&url, self.agent.get(&url).call())
    }

    /// `POST /v1/enroll`: exchanges a one-time code for this device's credentials and
    /// registers the public key of the key pair the device made for it.
    pub fn enroll(
        &self,
        code: &str,
        device_name: &str,
        public_key: PublicKey,
    ) -> Result<Enrolled, ClientError> {
        let url = self.url("/v1/enroll");
        Self::read_json(
            &url,
            self.agent.post(&url).send_json(EnrollRequest {
                code: code.to_owned(),
                device_name: device_name.to_owned(),
                public_key,
            }),
        )
    }

    /// `POST /v1/token`: a new token for this device. The old one (this client's) is refused
    /// from now on: store the new one before anything else.
    pub fn rotate_token(&self) -> Result<String, ClientError> {
        let url = self.url("/v1/token");
        let rotated: RotatedToken = Self::read_json(
            &url,
            self.agent
                .post(&url)
                .header("Authorization", self.auth())
                .send_empty(),
        )?;
        Ok(rotated.token)
    }

    /// `GET /v1/devices` (HQ devices): every enrolled device, revoked ones with the instant.
    pub fn devices(&self) -> Result<Vec<DeviceInfo>, ClientError> {
        self.get_authorized("/v1/devices")
    }

    /// `POST /v1/devices/{id}/revoke` (HQ devices): revokes a device (a lost laptop).
    pub fn revoke_device(&self, replica: ReplicaId) -> Result<DeviceInfo, ClientError> {
        let url = self.url(&format!("/v1/devices/{replica}/revoke"));
        Self::read_json(
            &url,
            self.agent
                .post(&url)
                .header("Authorization", self.auth())
                .send_empty(),
        )
    }

    /// `POST /v1/sync`: sends one message, returns the server's reply.
    pub fn exchange(&self, message: &Message) -> Result<Message, ClientError> {
        let bytes = self.exchange_bytes(message)?;
        Message::decode(&bytes).map_err(|e| ClientError::BadReply(e.to_string()))
    }

    /// [`Client::exchange`], the reply's ops also as the texts that came
    /// ([`Message::decode_with_texts`]), for a local log that stores them as they are.
    pub fn exchange_with_texts(
        &self,
        message: &Message,
    ) -> Result<(Message, Vec<EncodedOp>), ClientError> {
        let bytes = self.exchange_bytes(message)?;
        Message::decode_with_texts(&bytes).map_err(|e| ClientError::BadReply(e.to_string()))
    }

    fn exchange_bytes(&self, message: &Message) -> Result<Vec<u8>, ClientError> {
        let url = self.url("/v1/sync");
        let response = self
            .agent
            .post(&url)
            .header("Authorization", self.auth())
            .content_type("application/json")
            .send(&message.encode()[..])
            .map_err(|e| ClientError::transport(&url, e))?;
        Self::message_bytes(&url, response)
    }

    /// The body of a reply that holds a sync message, checked and bounded by
    /// [`MAX_MESSAGE_BYTES`].
    fn message_bytes(url: &str, response: Response<Body>) -> Result<Vec<u8>, ClientError> {
        let mut response = Self::check(url, response)?;
        response
            .body_mut()
            .with_config()
            .limit(MAX_MESSAGE_BYTES as u64)
            .read_to_vec()
            .map_err(|e| ClientError::transport(url, e))
    }

    /// `GET /v1/residents/{municipality}/{voucher}` (a venue's desk holding a partial
    /// replica): the record of a walk-in from another municipality, as a sync reply from the
    /// server with its ops' texts ([`Message::decode_with_texts`]), for the ledger to verify
    /// and merge. 404 `UNKNOWN_RESIDENT` when the server holds none; 429 past the device's
    /// lookup rate.
    pub fn resident_record(
        &self,
        municipality: &MunicipalityCode,
        voucher: &VoucherNumber,
    ) -> Result<(Message, Vec<EncodedOp>), ClientError> {
        let url = self.url(&format!(
            "/v1/residents/{}/{}",
            municipality.as_str(),
            voucher.as_str()
        ));
        let response = self
            .agent
            .get(&url)
            .header("Authorization", self.auth())
            .call()
            .map_err(|e| ClientError::transport(&url, e))?;
        let bytes = Self::message_bytes(&url, response)?;
        Message::decode_with_texts(&bytes).map_err(|e| ClientError::BadReply(e.to_string()))
    }

    /// `PUT /v1/snapshot` (HQ devices): files the snapshot of HQ's scope, sealed by HQ's key
    /// (docs/sync-spec.md §7c). The server checks the seal, the sender and the scope.
    pub fn put_snapshot(&self, seal: &SnapshotSeal, data: &[u8]) -> Result<(), ClientError> {
        let url = self.url(SNAPSHOT_PATH);
        let seal = serde_json::to_string(seal).map_err(|e| ClientError::BadReply(e.to_string()))?;
        let response = self
            .agent
            .put(&url)
            .header("Authorization", self.auth())
            .header(SNAPSHOT_SEAL_HEADER, &seal)
            .content_type("application/octet-stream")
            .send(data)
            .map_err(|e| ClientError::transport(&url, e))?;
        Self::check(&url, response)?;
        Ok(())
    }

    /// `GET /v1/snapshot`: the snapshot of this device's scope, its seal and the key of the
    /// HQ device that sealed it, or `None` (404 `NO_SNAPSHOT`). Nothing is verified here:
    /// the ledger verifies before it takes anything.
    pub fn snapshot(&self) -> Result<Option<(SnapshotSeal, PublicKey, Vec<u8>)>, ClientError> {
        let url = self.url(SNAPSHOT_PATH);
        let response = self
            .agent
            .get(&url)
            .header("Authorization", self.auth())
            .call()
            .map_err(|e| ClientError::transport(&url, e))?;
        let mut response = match Self::check(&url, response) {
            Ok(response) => response,
            Err(ClientError::Server {
                code: ErrorCode::NoSnapshot,
                ..
            }) => return Ok(None),
            Err(e) => return Err(e),
        };
        let header = |name: &str| {
            response
                .headers()
                .get(name)
                .and_then(|v| v.to_str().ok())
                .map(str::to_owned)
                .ok_or_else(|| ClientError::BadReply(format!("header {name} missing")))
        };
        let seal: SnapshotSeal = serde_json::from_str(&header(SNAPSHOT_SEAL_HEADER)?)
            .map_err(|e| ClientError::BadReply(format!("snapshot seal: {e}")))?;
        let key = PublicKey::from_hex(&header(SNAPSHOT_KEY_HEADER)?)
            .map_err(|e| ClientError::BadReply(format!("snapshot key: {e}")))?;
        let data = response
            .body_mut()
            .with_config()
            .limit(MAX_SNAPSHOT_BYTES as u64)
            .read_to_vec()
            .map_err(|e| ClientError::transport(&url, e))?;
        Ok(Some((seal, key, data)))
    }

    /// `GET /v1/alerts` (HQ devices).
    pub fn alerts(&self) -> Result<Vec<Alert>, ClientError> {
        self.get_authorized("/v1/alerts")
    }

    /// `GET /v1/status`.
    pub fn status(&self) -> Result<Status, ClientError> {
        self.get_authorized("/v1/status")
    }

    /// `GET /v1/relay/registry` (venue relay devices): every device, for the relay.
    pub fn relay_registry(&self) -> Result<vax_sync::http::RelayRegistry, ClientError> {
        self.get_authorized("/v1/relay/registry")
    }

    /// `GET /v1/relay/status` (a venue relay): its link to the centre, its venue's devices.
    pub fn relay_status(&self) -> Result<vax_sync::http::RelayStatus, ClientError> {
        self.get_authorized("/v1/relay/status")
    }

    fn get_authorized<T: serde::de::DeserializeOwned>(&self, path: &str) -> Result<T, ClientError> {
        let url = self.url(path);
        Self::read_json(
            &url,
            self.agent
                .get(&url)
                .header("Authorization", self.auth())
                .call(),
        )
    }

    /// `POST /v1/enrollments` (HQ devices): a one-time code for a new device.
    pub fn create_enrollment_code(
        &self,
        role: Role,
        venue: Option<&VenueCode>,
        scope: &[MunicipalityCode],
        expires_in_hours: u32,
    ) -> Result<String, ClientError> {
        let url = self.url("/v1/enrollments");
        let created: CreateEnrollmentResponse = Self::read_json(
            &url,
            self.agent
                .post(&url)
                .header("Authorization", self.auth())
                .send_json(CreateEnrollmentRequest {
                    role,
                    venue: venue.cloned(),
                    expires_in_hours: Some(expires_in_hours),
                    scope: scope.to_vec(),
                }),
        )?;
        Ok(created.code)
    }
}

/// Enrolls this device with the code HQ gave: `POST /v1/enroll` on `base_url`, registering
/// the public half of `key` (made with [`new_device_key`] and kept on the device).
pub fn enroll(
    base_url: &str,
    code: &str,
    device_name: &str,
    key: &DeviceKey,
) -> Result<Enrolled, ClientError> {
    Client::anonymous(base_url).enroll(code, device_name, key.public())
}

/// A fresh signing key for a device about to enroll, from the operating system's randomness.
pub fn new_device_key() -> DeviceKey {
    let mut secret = [0u8; 32];
    rand::fill(&mut secret[..]);
    DeviceKey::from_bytes(&secret)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_refused_connection_is_retryable() {
        // Bind, note the port, close it: nothing listens there now.
        let port = std::net::TcpListener::bind("127.0.0.1:0")
            .and_then(|l| l.local_addr())
            .map(|a| a.port())
            .expect("port");
        let err = Client::anonymous(&format!("http://127.0.0.1:{port}"))
            .health()
            .expect_err("nobody listens");
        assert!(err.is_retryable(), "{err}");
        assert!(err.status().is_none());
        assert!(!err.message_ja().is_empty());
    }

    #[test]
    fn a_root_certificate_that_is_not_pem_is_refused() {
        let err = Client::anonymous("https://example.invalid")
            .with_root_cert(b"not a certificate")
            .expect_err("no certificate");
        assert!(matches!(err, ClientError::Certificate(_)));
        assert!(err.is_permanent());
    }

    #[test]
    fn the_base_url_loses_its_trailing_slash() {
        assert_eq!(
            Client::new("http://h:1/", "t").url("/v1/sync"),
            "http://h:1/v1/sync"
        );
    }
}
