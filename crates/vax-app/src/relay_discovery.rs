//! Finding the venue relay on the LAN by mDNS (issue 17, docs/venue-resilience.md "Finding
//! the relay without its QR"). The relay in the manager's kiosk advertises itself as a
//! `_vaxrelay._tcp` service; a kiosk joining lists the relays of its venue and picks one
//! instead of typing its address.
//!
//! **Discovery is not trust.** Anyone on the venue's Wi-Fi can advertise anything, so the
//! advertisement carries no fingerprint: picking a relay from the list gives its address and
//! replica id, and the kiosk still needs the **pairing code** the manager's screen shows (the
//! first 16 hex digits of the relay certificate's SHA-256, `3F2A-9C41-77D0-12BE`). The kiosk
//! then fetches the certificate from the picked address, accepts it only if its fingerprint
//! begins with that code (and the handshake is signed by its key), and pins the whole
//! fingerprint from then on, exactly as a scanned join code does. 64 bits cannot be matched by
//! a certificate made to order.

use std::collections::HashMap;
use std::net::IpAddr;
use std::time::{Duration, Instant};

use mdns_sd::{ServiceDaemon, ServiceEvent, ServiceInfo};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_ledger::Ledger;
use vax_sync::ReplicaId;
use vax_sync_client::lan::{fetch_certificate_by_prefix, fingerprint, JoinCode};

use crate::relay::{join_relay, RelayAppError, RELAY_TIMEOUT};
use crate::relay_host::RelayHostSettings;

/// The DNS-SD service type of a venue relay.
pub const SERVICE_TYPE: &str = "_vaxrelay._tcp.local.";
/// The mDNS port (RFC 6762); tests use another (`VAXLEDGER_MDNS_PORT`).
pub const MDNS_PORT: u16 = 5353;
/// Hex digits of the fingerprint in a pairing code: 64 bits.
pub const PAIRING_DIGITS: usize = 16;
/// The version of the advertisement's TXT record.
const TXT_VERSION: &str = "1";

/// Why discovery or a join by discovery did not happen.
#[derive(Debug, Error)]
pub enum DiscoveryError {
    /// The mDNS daemon could not start or answer (no multicast on this network).
    #[error("mDNS is not available here: {0}")]
    Mdns(String),
    /// The pairing code is not 16 hex digits.
    #[error("the pairing code is 16 letters and digits (0-9, A-F), as the manager's screen shows")]
    BadPairingCode,
    /// The relay found shows a certificate that does not match the pairing code.
    #[error("the relay at {url} does not match the pairing code: it is not the venue's relay")]
    NotTheRelay {
        /// Where it was found.
        url: String,
    },
    /// The relay could not be reached or joined.
    #[error(transparent)]
    Relay(#[from] RelayAppError),
}

impl From<mdns_sd::Error> for DiscoveryError {
    fn from(e: mdns_sd::Error) -> Self {
        Self::Mdns(e.to_string())
    }
}

impl UserFacing for DiscoveryError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::Mdns(_) => ErrorCode::SyncOffline,
            Self::BadPairingCode => ErrorCode::InvalidInput,
            Self::NotTheRelay { .. } => ErrorCode::SyncRefused,
            Self::Relay(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Mdns(_) => {
                "このネットワークでは中継機の自動検出（mDNS）が使えません。QRコードで接続してください"
                    .into()
            }
            Self::BadPairingCode => {
                "確認コードは責任者端末に表示される16文字（0〜9、A〜F）です".into()
            }
            Self::NotTheRelay { url } => format!(
                "{url} の中継機は確認コードと一致しません。会場の中継機ではありません"
            ),
            Self::Relay(e) => e.message_ja(),
        }
    }
}

/// What a relay advertises: where it listens and who it is, never its fingerprint.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayAdvert {
    /// The instance name, e.g. `V01 relay`.
    pub name: String,
    /// The venue it serves.
    pub venue_code: String,
    /// Its replica id (the peer of every session).
    pub relay_id: ReplicaId,
    /// The address it is reached at.
    pub address: IpAddr,
    /// Its port.
    pub port: u16,
    /// `https` (pinned TLS), or `http` on loopback in tests.
    pub scheme: String,
}

impl RelayAdvert {
    /// The advertisement of the relay a join code names, or `None` when the code's URL has
    /// no IP address and port (a relay announced under a name is found by that name).
    pub fn of_join_code(code: &JoinCode, venue_code: &str, name: &str) -> Option<Self> {
        let (scheme, rest) = code.url.split_once("://")?;
        let authority = rest.split('/').next()?;
        let (host, port) = authority.rsplit_once(':')?;
        let address = host
            .trim_start_matches('[')
            .trim_end_matches(']')
            .parse()
            .ok()?;
        Some(Self {
            name: name.to_owned(),
            venue_code: venue_code.to_owned(),
            relay_id: code.relay_id,
            address,
            port: port.parse().ok()?,
            scheme: scheme.to_owned(),
        })
    }

    /// The TXT record: version, venue, replica id and scheme.
    pub fn txt(&self) -> Vec<(&'static str, String)> {
        vec![
            ("v", TXT_VERSION.to_owned()),
            ("venue", self.venue_code.clone()),
            ("id", self.relay_id.to_string()),
            ("scheme", self.scheme.clone()),
        ]
    }

    /// The DNS-SD record registered with the mDNS daemon.
    ///
    /// # Errors
    /// A name the record cannot carry.
    pub fn service_info(&self) -> Result<ServiceInfo, DiscoveryError> {
        // The host name must be unique on the LAN: the relay's id makes it so.
        let host = format!("vaxrelay-{}.local.", self.relay_id);
        let txt: HashMap<String, String> = self
            .txt()
            .into_iter()
            .map(|(k, v)| (k.to_owned(), v))
            .collect();
        Ok(ServiceInfo::new(
            SERVICE_TYPE,
            &self.name,
            &host,
            self.address,
            self.port,
            Some(txt),
        )?)
    }
}

/// A relay found on the LAN, for the joining kiosk's list.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DiscoveredRelay {
    /// Its instance name (`V01 relay`).
    pub name: String,
    /// The venue it says it serves.
    pub venue_code: String,
    /// Its replica id.
    pub relay_id: String,
    /// Where it listens: `https://192.168.1.10:8788`.
    pub url: String,
}

/// Reads one resolved advertisement: the instance's full name, its addresses, port and TXT
/// properties. An advertisement of another version, without a venue or a valid id, or with
/// no usable address is not a relay this kiosk can join (`None`).
pub fn relay_of(
    fullname: &str,
    addresses: &[IpAddr],
    port: u16,
    txt: &HashMap<String, String>,
) -> Option<DiscoveredRelay> {
    if txt.get("v").map(String::as_str) != Some(TXT_VERSION) {
        return None;
    }
    let venue_code = txt.get("venue").filter(|v| !v.is_empty())?.clone();
    let relay_id = uuid::Uuid::parse_str(txt.get("id")?).ok()?.to_string();
    let scheme = match txt.get("scheme").map(String::as_str) {
        None | Some("https") => "https",
        Some("http") => "http",
        Some(_) => return None,
    };
    // IPv4 first: the venue's router hands out IPv4; a link-local IPv6 needs a zone id.
    let address = addresses
        .iter()
        .find(|a| a.is_ipv4())
        .or_else(|| addresses.first())?;
    let host = match address {
        IpAddr::V4(a) => a.to_string(),
        IpAddr::V6(a) => format!("[{a}]"),
    };
    let name = fullname
        .strip_suffix(SERVICE_TYPE)
        .map_or(fullname, |n| n.trim_end_matches('.'))
        .to_owned();
    Some(DiscoveredRelay {
        name,
        venue_code,
        relay_id,
        url: format!("{scheme}://{host}:{port}"),
    })
}

/// The pairing code of a certificate fingerprint, as the manager's screen shows it:
/// `3F2A-9C41-77D0-12BE`.
pub fn pairing_code(fingerprint_hex: &str) -> String {
    let digits: Vec<char> = fingerprint_hex
        .chars()
        .take(PAIRING_DIGITS)
        .map(|c| c.to_ascii_uppercase())
        .collect();
    digits
        .chunks(4)
        .map(|g| g.iter().collect::<String>())
        .collect::<Vec<_>>()
        .join("-")
}

/// Reads a typed pairing code: 16 hex digits, hyphens, blanks and case as typed, full-width
/// forms from a Japanese input method too. Lower-case hex.
///
/// # Errors
/// [`DiscoveryError::BadPairingCode`].
pub fn parse_pairing_code(text: &str) -> Result<String, DiscoveryError> {
    use unicode_normalization::UnicodeNormalization;
    let digits: String = text
        .nfkc()
        .filter(|c| !c.is_whitespace() && *c != '-')
        .map(|c| c.to_ascii_lowercase())
        .collect();
    if digits.len() == PAIRING_DIGITS && digits.bytes().all(|b| b.is_ascii_hexdigit()) {
        Ok(digits)
    } else {
        Err(DiscoveryError::BadPairingCode)
    }
}

/// The relay's advertisement on the LAN, for as long as this is kept (dropping it withdraws
/// the advertisement and stops the daemon).
pub struct Advertiser {
    daemon: ServiceDaemon,
    fullname: String,
}

impl std::fmt::Debug for Advertiser {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.debug_struct("Advertiser")
            .field("fullname", &self.fullname)
            .finish_non_exhaustive()
    }
}

impl Advertiser {
    /// The advertised instance's full name.
    pub fn fullname(&self) -> &str {
        &self.fullname
    }
}

impl Drop for Advertiser {
    fn drop(&mut self) {
        // Goodbye packets, then the daemon's thread ends; failures only mean the LAN is gone.
        if let Ok(done) = self.daemon.unregister(&self.fullname) {
            let _ = done.recv_timeout(Duration::from_secs(1));
        }
        let _ = self.daemon.shutdown();
    }
}

/// Advertises `advert` on the LAN through an mDNS daemon on `mdns_port` ([`MDNS_PORT`]).
///
/// # Errors
/// [`DiscoveryError::Mdns`] when the daemon cannot start or register.
pub fn advertise(advert: &RelayAdvert, mdns_port: u16) -> Result<Advertiser, DiscoveryError> {
    let daemon = ServiceDaemon::new_with_port(mdns_port)?;
    let info = advert.service_info()?;
    let fullname = info.get_fullname().to_owned();
    daemon.register(info)?;
    Ok(Advertiser { daemon, fullname })
}

/// The relays of `venue_code` (all venues' when `None`) that answer within `wait`, by name.
///
/// # Errors
/// [`DiscoveryError::Mdns`] when the daemon cannot start or browse.
pub fn discover(
    mdns_port: u16,
    wait: Duration,
    venue_code: Option<&str>,
) -> Result<Vec<DiscoveredRelay>, DiscoveryError> {
    let daemon = ServiceDaemon::new_with_port(mdns_port)?;
    let events = daemon.browse(SERVICE_TYPE)?;
    let until = Instant::now() + wait;
    let mut found: HashMap<String, DiscoveredRelay> = HashMap::new();
    while let Some(left) = until.checked_duration_since(Instant::now()) {
        let Ok(event) = events.recv_timeout(left) else {
            break;
        };
        if let ServiceEvent::ServiceResolved(info) = event {
            let addresses: Vec<IpAddr> = info.addresses.iter().map(|a| a.to_ip_addr()).collect();
            let txt: HashMap<String, String> = info
                .get_properties()
                .iter()
                .map(|p| (p.key().to_owned(), p.val_str().to_owned()))
                .collect();
            if let Some(relay) = relay_of(info.get_fullname(), &addresses, info.get_port(), &txt) {
                if venue_code.is_none_or(|v| v == relay.venue_code) {
                    found.insert(relay.relay_id.clone(), relay);
                }
            }
        }
    }
    let _ = daemon.stop_browse(SERVICE_TYPE);
    let _ = daemon.shutdown();
    let mut relays: Vec<DiscoveredRelay> = found.into_values().collect();
    relays.sort_by(|a, b| a.name.cmp(&b.name).then(a.url.cmp(&b.url)));
    Ok(relays)
}

/// How long the joining kiosk's screen listens for relays.
pub const DISCOVERY_WAIT: Duration = Duration::from_secs(3);

/// The relays of `venue_code` on this LAN, for the joining kiosk's screen, on the mDNS port
/// of `settings` (`VAXLEDGER_MDNS_PORT`).
///
/// # Errors
/// [`DiscoveryError::Mdns`] when mDNS is off (`VAXLEDGER_MDNS_PORT=off`) or unavailable.
pub fn discover_venue_relays(
    venue_code: Option<&str>,
    settings: &RelayHostSettings,
) -> Result<Vec<DiscoveredRelay>, DiscoveryError> {
    let port = settings
        .mdns_port
        .ok_or_else(|| DiscoveryError::Mdns("VAXLEDGER_MDNS_PORT=off".into()))?;
    discover(port, DISCOVERY_WAIT, venue_code)
}

/// Joins a relay picked from the list, with the pairing code the manager's screen shows
/// ([`discovered_join_code`], then [`join_relay`]).
///
/// # Errors
/// As [`discovered_join_code`], or a kiosk not enrolled with the centre.
pub fn join_discovered(
    ledger: &mut Ledger,
    relay: &DiscoveredRelay,
    pairing: &str,
) -> Result<JoinCode, DiscoveryError> {
    let code = discovered_join_code(relay, pairing)?;
    Ok(join_relay(ledger, &code.to_text())?)
}

/// The join code of a relay picked from the list: its certificate must begin with the
/// pairing code, and the whole fingerprint is pinned. A plain-HTTP relay on loopback (tests)
/// has no certificate and no pairing code.
///
/// # Errors
/// A malformed pairing code, a relay whose certificate does not match it
/// ([`DiscoveryError::NotTheRelay`]), or a relay that cannot be reached.
pub fn discovered_join_code(
    relay: &DiscoveredRelay,
    pairing: &str,
) -> Result<JoinCode, DiscoveryError> {
    let mut text = format!("vaxrelay:?url={}&id={}", relay.url, relay.relay_id);
    if relay.url.starts_with("https://") {
        let prefix = parse_pairing_code(pairing)?;
        let der =
            fetch_certificate_by_prefix(&relay.url, &prefix, RELAY_TIMEOUT).map_err(
                |e| match e {
                    vax_sync_client::ClientError::Certificate(_) => DiscoveryError::NotTheRelay {
                        url: relay.url.clone(),
                    },
                    e => DiscoveryError::Relay(e.into()),
                },
            )?;
        text.push_str("&fp=");
        text.push_str(&fingerprint(&der));
    }
    JoinCode::parse(&text).map_err(|e| DiscoveryError::Relay(e.into()))
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn a_pairing_code_is_the_fingerprints_first_16_hex_digits_in_groups() {
        let fp = "3f2a9c4177d012be".to_owned() + &"0".repeat(48);
        assert_eq!(pairing_code(&fp), "3F2A-9C41-77D0-12BE");
        for typed in [
            "3F2A-9C41-77D0-12BE",
            "3f2a9c4177d012be",
            " 3F2A 9C41 77D0 12BE ",
            "３Ｆ２Ａ－９Ｃ４１－７７Ｄ０－１２ＢＥ",
        ] {
            assert_eq!(
                parse_pairing_code(typed).unwrap(),
                "3f2a9c4177d012be",
                "{typed}"
            );
        }
        for bad in [
            "",
            "3F2A-9C41-77D0",
            "3F2A-9C41-77D0-12BG",
            "3F2A-9C41-77D0-12BE-00",
        ] {
            assert!(
                matches!(parse_pairing_code(bad), Err(DiscoveryError::BadPairingCode)),
                "{bad}"
            );
        }
    }
}
