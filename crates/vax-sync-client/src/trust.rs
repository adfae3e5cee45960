//! Whom a device trusts when it talks to the sync server, as a city runs it (docs/security.md).
//!
//! A city on its own network (LGWAN) signs the server's certificate with its private CA.
//! [`TrustPolicy::with_private_ca`] pins that CA: with a CA set, the public web roots are not
//! used at all, so a certificate any public CA issued for the same name is refused. Without
//! one, the public roots apply (a server with a public certificate).
//!
//! Plain HTTP sends the device's token and residents' data in clear, so it is refused unless
//! the server is on this machine (loopback: development, tests, the relay on the same kiosk)
//! or HQ allowed it explicitly ([`TrustPolicy::allowing_plain_http`], set by HQ with
//! `vaxhq sync trust --allow-plain-http`). The refusal happens before any connection.
//!
//! The LAN relay's pinning to its certificate's fingerprint is another matter ([`crate::lan`]).

use std::net::IpAddr;

use crate::client::Client;
use crate::error::ClientError;

/// What a device trusts: a private CA (pinned) or the public roots, and whether HQ allowed
/// plain HTTP to a server off this machine.
#[derive(Debug, Clone, Default, PartialEq, Eq)]
pub struct TrustPolicy {
    ca_pem: Option<String>,
    allow_plain_http: bool,
}

impl TrustPolicy {
    /// The public web roots, HTTPS required off loopback.
    pub fn public_roots() -> Self {
        Self::default()
    }

    /// Trusts only the CA certificate(s) in `pem` (a city's private CA). The PEM is checked
    /// here: it must hold at least one certificate and nothing unreadable.
    pub fn with_private_ca(pem: &str) -> Result<Self, ClientError> {
        // The same parser the client uses, so what passes here is what the client pins.
        Client::anonymous("https://ca.check").with_root_cert(pem.as_bytes())?;
        Ok(Self {
            ca_pem: Some(pem.to_owned()),
            allow_plain_http: false,
        })
    }

    /// The same policy with plain HTTP to a server off this machine allowed (or not). Only HQ
    /// decides this (a closed network where TLS cannot be set up yet).
    pub fn allowing_plain_http(mut self, allowed: bool) -> Self {
        self.allow_plain_http = allowed;
        self
    }

    /// The pinned CA's PEM, if one is set.
    pub fn ca_pem(&self) -> Option<&str> {
        self.ca_pem.as_deref()
    }

    /// Whether HQ allowed plain HTTP off loopback.
    pub fn allows_plain_http(&self) -> bool {
        self.allow_plain_http
    }

    /// Whether this policy lets the device call `base_url`: `https://` always, `http://` on
    /// loopback or when HQ allowed it; nothing else.
    pub fn check_url(&self, base_url: &str) -> Result<(), ClientError> {
        let base_url = base_url.trim();
        let (scheme, rest) = base_url
            .split_once("://")
            .ok_or_else(|| ClientError::BadUrl(base_url.to_owned()))?;
        if host_of(rest).is_empty() {
            return Err(ClientError::BadUrl(base_url.to_owned()));
        }
        match scheme.to_ascii_lowercase().as_str() {
            "https" => Ok(()),
            "http" if self.allow_plain_http || is_loopback(host_of(rest)) => Ok(()),
            "http" => Err(ClientError::PlainHttpRefused {
                url: base_url.to_owned(),
            }),
            _ => Err(ClientError::BadUrl(base_url.to_owned())),
        }
    }

    /// A client without credentials for `base_url` under this policy (for enrolling): the
    /// URL checked, the CA pinned when one is set.
    pub fn anonymous_client(&self, base_url: &str) -> Result<Client, ClientError> {
        self.check_url(base_url)?;
        let client = Client::anonymous(base_url.trim());
        match &self.ca_pem {
            Some(pem) => client.with_root_cert(pem.as_bytes()),
            None => Ok(client),
        }
    }

    /// A client for an enrolled device with its `token`, under this policy.
    pub fn client(&self, base_url: &str, token: &str) -> Result<Client, ClientError> {
        Ok(self.anonymous_client(base_url)?.with_token(token))
    }
}

/// The host of `host[:port][/path]` (brackets kept off an IPv6 literal).
fn host_of(authority_and_path: &str) -> &str {
    let authority = authority_and_path
        .split(['/', '?', '#'])
        .next()
        .unwrap_or_default();
    let authority = authority.rsplit_once('@').map_or(authority, |(_, a)| a);
    if let Some(v6) = authority.strip_prefix('[') {
        return v6.split(']').next().unwrap_or_default();
    }
    authority.split(':').next().unwrap_or_default()
}

/// Whether `host` is this machine: a loopback address or `localhost`. Any other name is not,
/// even if it resolves to loopback today (a name can be re-pointed).
fn is_loopback(host: &str) -> bool {
    host.eq_ignore_ascii_case("localhost")
        || host.parse::<IpAddr>().is_ok_and(|ip| ip.is_loopback())
}

#[cfg(test)]
mod tests {
    use super::*;
    use vax_domain::error::ErrorCode;

    #[test]
    fn https_is_always_allowed_and_plain_http_only_on_loopback() {
        let policy = TrustPolicy::public_roots();
        for ok in [
            "https://sync.city.lg.jp",
            "https://10.1.2.3:8787/",
            "http://127.0.0.1:8787",
            "http://127.9.9.9",
            "http://localhost:8787",
            "HTTP://LOCALHOST",
            "http://[::1]:8787",
        ] {
            assert_eq!(
                policy.check_url(ok).map_err(|e| e.to_string()),
                Ok(()),
                "{ok}"
            );
        }
        for refused in [
            "http://sync.city.lg.jp",
            "http://10.1.2.3:8787",
            "http://[fe80::1]:8787",
            "http://127.0.0.1.evil.example",
            "http://localhost.evil.example:80",
            "http://user@10.0.0.1:8787",
            "http://10.0.0.1/127.0.0.1",
        ] {
            let err = policy.check_url(refused).expect_err(refused);
            assert!(
                matches!(err, ClientError::PlainHttpRefused { .. }),
                "{refused}: {err}"
            );
            assert!(err.is_permanent());
            assert_eq!(err.code(), Some(ErrorCode::PlainHttpRefused));
            assert!(err
                .to_string()
                .contains("vaxhq sync trust --allow-plain-http"));
            assert!(err.message_ja().contains("本部"), "{}", err.message_ja());
        }
    }

    #[test]
    fn hq_may_allow_plain_http_off_loopback_but_not_other_schemes() {
        let policy = TrustPolicy::public_roots().allowing_plain_http(true);
        assert!(policy.check_url("http://10.1.2.3:8787").is_ok());
        for bad in ["ftp://10.1.2.3", "10.1.2.3:8787", "http://", "https:///v1"] {
            let err = policy.check_url(bad).expect_err(bad);
            assert!(matches!(err, ClientError::BadUrl(_)), "{bad}: {err}");
        }
    }

    #[test]
    fn a_private_ca_must_be_a_certificate() {
        assert!(matches!(
            TrustPolicy::with_private_ca(
                "-----BEGIN PRIVATE KEY-----\nAAAA\n-----END PRIVATE KEY-----\n"
            ),
            Err(ClientError::Certificate(_))
        ));
        assert!(matches!(
            TrustPolicy::with_private_ca("hello"),
            Err(ClientError::Certificate(_))
        ));
    }

    #[test]
    fn the_policy_is_checked_before_any_connection() {
        // 192.0.2.1 is TEST-NET-1: were a connection tried, this would take the connect timeout.
        let started = std::time::Instant::now();
        let err = TrustPolicy::public_roots()
            .anonymous_client("http://192.0.2.1:8787")
            .expect_err("plain http off loopback");
        assert!(matches!(err, ClientError::PlainHttpRefused { .. }));
        assert!(started.elapsed() < std::time::Duration::from_secs(1));
    }
}
