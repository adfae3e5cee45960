//! Reaching a venue relay on the LAN (issue 17): the join code the manager's kiosk shows as a
//! QR, and TLS pinned to the relay's self-signed certificate.
//!
//! The relay makes its own certificate (no CA on a gym's Wi-Fi), so the kiosk cannot check it
//! against roots. It checks it against the SHA-256 fingerprint in the join code instead: a
//! first handshake, verified by [`PinnedVerifier`] (the certificate's fingerprint and the
//! handshake's signature), fetches the certificate; every call after that trusts exactly that
//! certificate as its only root. A relay showing another certificate is refused for good.

use std::io::Write;
use std::net::{TcpStream, ToSocketAddrs};
use std::sync::{Arc, Mutex};
use std::time::Duration;

use rustls::client::danger::{HandshakeSignatureValid, ServerCertVerified, ServerCertVerifier};
use rustls::crypto::{verify_tls12_signature, verify_tls13_signature, CryptoProvider};
use rustls::pki_types::{CertificateDer, ServerName, UnixTime};
use rustls::{DigitallySignedStruct, SignatureScheme};
use sha2::{Digest, Sha256};
use vax_sync::ReplicaId;

use crate::client::Client;
use crate::error::ClientError;

/// The scheme of a join code's text (what the QR holds).
pub const JOIN_SCHEME: &str = "vaxrelay:";

/// What a kiosk needs to sync with its venue's relay: where it listens, who it is (the peer of
/// every session) and the fingerprint of its certificate. Its text form, the QR's content:
/// `vaxrelay:?url=https://192.168.1.10:8788&id=<replica uuid>&fp=<64 hex digits>`.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct JoinCode {
    /// The relay's base URL (`https://…`; `http://` only on loopback, for tests).
    pub url: String,
    /// The relay's replica id.
    pub relay_id: ReplicaId,
    /// SHA-256 of the relay certificate's DER, lower-case hex (none for plain loopback HTTP).
    pub fingerprint: Option<String>,
}

/// Why a join code was not read.
#[derive(Debug, Clone, PartialEq, Eq, thiserror::Error)]
#[error("not a venue relay code: {0}")]
pub struct BadJoinCode(pub String);

impl JoinCode {
    /// The text the QR holds.
    pub fn to_text(&self) -> String {
        let mut s = format!("{JOIN_SCHEME}?url={}&id={}", self.url, self.relay_id);
        if let Some(fp) = &self.fingerprint {
            s.push_str("&fp=");
            s.push_str(fp);
        }
        s
    }

    /// Reads a join code (from a QR, a USB scanner or typed).
    pub fn parse(text: &str) -> Result<Self, BadJoinCode> {
        let bad = |why: &str| BadJoinCode(why.to_owned());
        let query = text
            .trim()
            .strip_prefix(JOIN_SCHEME)
            .and_then(|rest| rest.strip_prefix('?'))
            .ok_or_else(|| bad("it does not start with vaxrelay:?"))?;
        let (mut url, mut id, mut fp) = (None, None, None);
        for pair in query.split('&') {
            match pair.split_once('=') {
                Some(("url", v)) => url = Some(v.trim_end_matches('/').to_owned()),
                Some(("id", v)) => id = Some(v),
                Some(("fp", v)) => fp = Some(v.to_ascii_lowercase()),
                _ => return Err(bad(&format!("unknown part {pair:?}"))),
            }
        }
        let url = url.ok_or_else(|| bad("no url"))?;
        let relay_id = id
            .and_then(|v| uuid::Uuid::parse_str(v).ok())
            .map(ReplicaId)
            .ok_or_else(|| bad("no valid relay id"))?;
        if let Some(fp) = &fp {
            if fp.len() != 64 || !fp.bytes().all(|b| b.is_ascii_hexdigit()) {
                return Err(bad("the fingerprint is not 64 hex digits"));
            }
        }
        match (url.split_once("://"), &fp) {
            (Some(("https", _)), Some(_)) => {}
            (Some(("http", rest)), None) if is_loopback_host(rest) => {}
            (Some(("https", _)), None) => return Err(bad("an https relay needs its fingerprint")),
            _ => return Err(bad("the url must be https:// (http:// only on loopback)")),
        }
        Ok(Self {
            url,
            relay_id,
            fingerprint: fp,
        })
    }

    /// A client for this relay with the device's `token`: over TLS pinned to the fingerprint
    /// (one handshake to fetch and check the certificate), or plain HTTP on loopback.
    pub fn client(&self, token: &str, timeout: Duration) -> Result<Client, ClientError> {
        let client = Client::new(&self.url, token).with_timeouts(timeout, timeout);
        let Some(fp) = &self.fingerprint else {
            return Ok(client);
        };
        let der = fetch_pinned_certificate(&self.url, fp, timeout)?;
        client.with_root_cert(pem(&der).as_bytes())
    }
}

fn is_loopback_host(rest: &str) -> bool {
    let host = rest.split('/').next().unwrap_or_default();
    host.starts_with("127.") || host.starts_with("[::1]") || host.starts_with("localhost:")
}

/// SHA-256 of a certificate's DER, lower-case hex: the fingerprint a join code pins.
pub fn fingerprint(der: &[u8]) -> String {
    Sha256::digest(der)
        .iter()
        .map(|b| format!("{b:02x}"))
        .collect()
}

/// One TLS handshake with the relay at `url` that accepts only a certificate with this
/// fingerprint (and a handshake signed by its key); returns the certificate's DER.
pub fn fetch_pinned_certificate(
    url: &str,
    fingerprint_hex: &str,
    timeout: Duration,
) -> Result<Vec<u8>, ClientError> {
    if fingerprint_hex.len() != 64 {
        return Err(ClientError::Certificate(
            "a pinned fingerprint is 64 hex digits".into(),
        ));
    }
    fetch_certificate(url, fingerprint_hex, timeout)
}

/// Hex digits a fingerprint prefix needs at least to be a pin (64 bits: no certificate can be
/// made to match it).
pub const MIN_PIN_PREFIX: usize = 16;

/// [`fetch_pinned_certificate`] for a relay found by mDNS: accepts only a certificate whose
/// fingerprint begins with `prefix_hex` (the pairing code the manager's screen shows, at least
/// [`MIN_PIN_PREFIX`] hex digits), with a handshake signed by its key. The caller pins the
/// whole fingerprint of the certificate returned.
pub fn fetch_certificate_by_prefix(
    url: &str,
    prefix_hex: &str,
    timeout: Duration,
) -> Result<Vec<u8>, ClientError> {
    if prefix_hex.len() < MIN_PIN_PREFIX || !prefix_hex.bytes().all(|b| b.is_ascii_hexdigit()) {
        return Err(ClientError::Certificate(format!(
            "a pairing code is at least {MIN_PIN_PREFIX} hex digits"
        )));
    }
    fetch_certificate(url, prefix_hex, timeout)
}

fn fetch_certificate(url: &str, pin: &str, timeout: Duration) -> Result<Vec<u8>, ClientError> {
    let fingerprint_hex = pin;
    let io = |e: std::io::Error| ClientError::transport(url, ureq::Error::Io(e));
    let authority = url
        .strip_prefix("https://")
        .and_then(|rest| rest.split('/').next())
        .ok_or_else(|| ClientError::Certificate(format!("{url} is not an https URL")))?;
    let host = match authority.rsplit_once(':') {
        Some((h, _)) => h.trim_start_matches('[').trim_end_matches(']'),
        None => authority,
    };
    let addr = authority
        .to_socket_addrs()
        .map_err(io)?
        .next()
        .ok_or_else(|| ClientError::Certificate(format!("{authority} does not resolve")))?;
    let provider = Arc::new(rustls::crypto::ring::default_provider());
    let verifier = Arc::new(PinnedVerifier {
        fingerprint: fingerprint_hex.to_ascii_lowercase(),
        provider: Arc::clone(&provider),
        seen: Mutex::new(None),
    });
    let config = rustls::ClientConfig::builder_with_provider(provider)
        .with_safe_default_protocol_versions()
        .map_err(|e| ClientError::Certificate(e.to_string()))?
        .dangerous()
        .with_custom_certificate_verifier(Arc::clone(&verifier) as Arc<dyn ServerCertVerifier>)
        .with_no_client_auth();
    let name = ServerName::try_from(host.to_owned())
        .map_err(|e| ClientError::Certificate(format!("{host}: {e}")))?;
    let mut conn = rustls::ClientConnection::new(Arc::new(config), name)
        .map_err(|e| ClientError::Certificate(e.to_string()))?;
    let mut sock = TcpStream::connect_timeout(&addr, timeout).map_err(io)?;
    sock.set_read_timeout(Some(timeout)).map_err(io)?;
    sock.set_write_timeout(Some(timeout)).map_err(io)?;
    while conn.is_handshaking() {
        if let Err(e) = conn.complete_io(&mut sock) {
            if let Some(seen) = verifier.seen.lock().ok().and_then(|s| s.clone()) {
                if !fingerprint(&seen).starts_with(&verifier.fingerprint) {
                    return Err(ClientError::Certificate(format!(
                        "the relay at {url} shows certificate {} instead of the pinned {}",
                        fingerprint(&seen),
                        verifier.fingerprint
                    )));
                }
            }
            return Err(io(e));
        }
    }
    conn.send_close_notify();
    let _ = conn.complete_io(&mut sock).and_then(|_| sock.flush());
    let seen = verifier.seen.lock().ok().and_then(|s| s.clone());
    seen.ok_or_else(|| ClientError::Certificate("the relay sent no certificate".into()))
}

/// Accepts exactly the certificate with the pinned fingerprint (names and expiry do not
/// matter: the pin is stronger), and checks that the handshake was signed by its key. The pin
/// is the whole fingerprint, or a pairing code's prefix of at least [`MIN_PIN_PREFIX`] digits.
#[derive(Debug)]
pub struct PinnedVerifier {
    fingerprint: String,
    provider: Arc<CryptoProvider>,
    seen: Mutex<Option<Vec<u8>>>,
}

impl ServerCertVerifier for PinnedVerifier {
    fn verify_server_cert(
        &self,
        end_entity: &CertificateDer<'_>,
        _intermediates: &[CertificateDer<'_>],
        _server_name: &ServerName<'_>,
        _ocsp: &[u8],
        _now: UnixTime,
    ) -> Result<ServerCertVerified, rustls::Error> {
        if let Ok(mut seen) = self.seen.lock() {
            *seen = Some(end_entity.to_vec());
        }
        if fingerprint(end_entity).starts_with(&self.fingerprint) {
            Ok(ServerCertVerified::assertion())
        } else {
            Err(rustls::Error::InvalidCertificate(
                rustls::CertificateError::ApplicationVerificationFailure,
            ))
        }
    }

    fn verify_tls12_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls12_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn verify_tls13_signature(
        &self,
        message: &[u8],
        cert: &CertificateDer<'_>,
        dss: &DigitallySignedStruct,
    ) -> Result<HandshakeSignatureValid, rustls::Error> {
        verify_tls13_signature(
            message,
            cert,
            dss,
            &self.provider.signature_verification_algorithms,
        )
    }

    fn supported_verify_schemes(&self) -> Vec<SignatureScheme> {
        self.provider
            .signature_verification_algorithms
            .supported_schemes()
    }
}

/// A DER certificate as PEM (what [`Client::with_root_cert`] reads).
fn pem(der: &[u8]) -> String {
    const ALPHABET: &[u8; 64] = b"ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/";
    let mut b64 = String::with_capacity(der.len() * 4 / 3 + 4);
    for chunk in der.chunks(3) {
        let n = chunk
            .iter()
            .enumerate()
            .fold(0u32, |n, (i, &b)| n | (u32::from(b) << (16 - 8 * i)));
        for i in 0..4 {
            if i <= chunk.len() {
                b64.push(ALPHABET[((n >> (18 - 6 * i)) & 63) as usize] as char);
            } else {
                b64.push('=');
            }
        }
    }
    let mut out = String::from("-----BEGIN CERTIFICATE-----\n");
    for line in b64.as_bytes().chunks(64) {
        out.push_str(std::str::from_utf8(line).unwrap_or_default());
        out.push('\n');
    }
    out.push_str("-----END CERTIFICATE-----\n");
    out
}

#[cfg(test)]
mod tests {
    use super::*;

    const ID: &str = "0190a1b2-c3d4-7e5f-8a9b-0c1d2e3f4a5b";

    #[test]
    fn a_join_code_round_trips_through_its_text() {
        let code = JoinCode {
            url: "https://192.168.1.10:8788".into(),
            relay_id: ReplicaId(uuid::Uuid::parse_str(ID).expect("uuid")),
            fingerprint: Some("ab".repeat(32)),
        };
        let text = code.to_text();
        assert_eq!(
            text,
            format!(
                "vaxrelay:?url=https://192.168.1.10:8788&id={ID}&fp={}",
                "ab".repeat(32)
            )
        );
        assert_eq!(JoinCode::parse(&text), Ok(code));
    }

    #[test]
    fn malformed_join_codes_are_refused() {
        let fp = "ab".repeat(32);
        for text in [
            String::new(),
            format!("https://x?url=https://h:1&id={ID}&fp={fp}"),
            format!("vaxrelay:?url=https://h:1&id=nope&fp={fp}"),
            format!("vaxrelay:?url=https://h:1&id={ID}"),
            format!("vaxrelay:?url=https://h:1&id={ID}&fp=abc"),
            format!("vaxrelay:?url=http://192.168.1.10:1&id={ID}"),
            format!("vaxrelay:?url=https://h:1&id={ID}&fp={fp}&x=1"),
        ] {
            assert!(JoinCode::parse(&text).is_err(), "{text:?} was accepted");
        }
        assert!(JoinCode::parse(&format!("vaxrelay:?url=http://127.0.0.1:9&id={ID}")).is_ok());
    }

    #[test]
    fn pem_encoding_matches_the_base64_alphabet_and_padding() {
        assert_eq!(
            pem(b"Man"),
            "-----BEGIN CERTIFICATE-----\nTWFu\n-----END CERTIFICATE-----\n"
        );
        assert!(pem(b"Ma").contains("\nTWE=\n"));
        assert!(pem(b"M").contains("\nTQ==\n"));
    }
}
