//! This kiosk as the venue's relay (issue 17, docs/venue-resilience.md): the venue manager
//! makes the kiosk the relay from the app instead of running `vaxsync relay serve` beside it.
//! The relay is the sync server's own code ([`vax_sync_server::relay`]), run on threads of
//! this process: it listens on the venue LAN, serves the venue's kiosks, and syncs with the
//! centre whenever the internet is there.
//!
//! - [`enroll_relay_host`]: the relay is a device of its own at the centre (role `relay`), so
//!   HQ gives the manager a relay enrollment code for the venue; the relay's identity,
//!   registry, log and certificate live in a folder beside the ledger ([`Folders::relay`]).
//! - [`start_relay_host`] / [`stop_relay_host`]: start and stop serving. Starting also joins
//!   this kiosk to its own relay (its work reaches the others through it) and remembers the
//!   choice, so that [`resume_relay_host`] starts it again when the app starts. Under an
//!   encrypted ledger the relay's log is encrypted at rest too, with a key derived from the
//!   unlocked ledger's data key (no second passphrase; docs/encryption.md).
//! - [`relay_host_status`]: what the manager's screen shows: running or not, the address and
//!   the join code (text, fingerprint, QR) the other kiosks scan.
//!
//! [`Folders::relay`]: crate::config::Folders::relay

use std::net::{IpAddr, SocketAddr, UdpSocket};
use std::path::{Path, PathBuf};
use std::time::Duration;

use serde::Serialize;
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::role::Role;
use vax_ledger::{Ledger, LedgerError};
use vax_sync_client::ClientError;
use vax_sync_server::relay::{self, RelayError, RelayOptions, RunningRelay};

use crate::desk::{self, DeskError};
use crate::relay::{join_relay, qr_svg, RelayAppError};
use crate::relay_discovery::{advertise, pairing_code, Advertiser, RelayAdvert, MDNS_PORT};
use crate::sync::{trust_policy, SyncAppError, KEY_SERVER_URL, KEY_TOKEN};

const KEY_AUTOSTART: &str = "relay.host.autostart";

/// The purpose the relay log's key is derived for from an encrypted ledger's data key.
const RELAY_LOG_KEY: &str = "venue relay log";

/// The port a kiosk's relay listens on when `VAXLEDGER_RELAY_LISTEN` is not set.
pub const DEFAULT_RELAY_PORT: u16 = 8788;
/// The pause between two of the relay's rounds with the centre.
pub const CENTRE_ROUND_EVERY: Duration = Duration::from_secs(3);

/// Why this kiosk could not become (or stop being) the venue's relay.
#[derive(Debug, Error)]
pub enum RelayHostError {
    /// The kiosk itself is not enrolled with the centre (the relay's code is sent there).
    #[error(
        "this kiosk is not enrolled with a sync server; enroll it before making it the venue relay"
    )]
    NotEnrolled,
    /// Only the venue manager's kiosk runs the relay.
    #[error("a {0:?} kiosk does not run the venue relay (the venue manager's does)")]
    RoleMayNot(Role),
    /// No relay was enrolled on this kiosk yet.
    #[error(
        "no venue relay is enrolled on this kiosk yet: enter the relay enrollment code from HQ"
    )]
    NoRelayEnrolled,
    /// The relay code was for another venue than this kiosk's.
    #[error("the relay enrollment code is for venue {relay}, this kiosk is at {kiosk}")]
    WrongVenue {
        /// The relay's venue.
        relay: String,
        /// This kiosk's venue.
        kiosk: String,
    },
    /// No LAN address to put in the join code.
    #[error("no LAN address found for the relay's join code: set VAXLEDGER_RELAY_ADVERTISE to this kiosk's address on the venue LAN")]
    NoLanAddress,
    /// The relay itself (its folder, port, certificate, the centre at enrollment).
    #[error(transparent)]
    Relay(#[from] RelayError),
    /// The centre's client under this kiosk's trust policy.
    #[error(transparent)]
    Trust(#[from] SyncAppError),
    /// Joining this kiosk to its own relay.
    #[error(transparent)]
    Join(#[from] RelayAppError),
    /// The kiosk's enrollment.
    #[error(transparent)]
    Desk(#[from] DeskError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for RelayHostError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::NotEnrolled => ErrorCode::SyncNotConfigured,
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::NoRelayEnrolled => ErrorCode::SyncNotConfigured,
            Self::WrongVenue { .. } => ErrorCode::WrongVenue,
            Self::Relay(RelayError::Centre(e)) => centre_code(e),
            Self::Relay(RelayError::NotARelayCode(_)) => ErrorCode::EnrollmentCodeInvalid,
            Self::NoLanAddress | Self::Relay(_) => ErrorCode::RelayCannotStart,
            Self::Trust(e) => e.code(),
            Self::Join(e) => e.code(),
            Self::Desk(e) => e.code(),
            Self::Ledger(_) => ErrorCode::Ledger,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::NotEnrolled => "この端末は同期サーバーに登録されていません。先に登録してから会場中継機にしてください".into(),
            Self::RoleMayNot(_) => "会場中継機になれるのは会場責任者の端末だけです".into(),
            Self::NoRelayEnrolled => "この端末にはまだ会場中継機が登録されていません。本部から受け取った中継機用の登録コードを入力してください".into(),
            Self::WrongVenue { relay, kiosk } => format!(
                "この中継機用登録コードは会場 {relay} 用です（この端末の会場は {kiosk}）"
            ),
            Self::NoLanAddress => "会場LANでのこの端末のアドレスが見つかりません。VAXLEDGER_RELAY_ADVERTISE に設定してください".into(),
            Self::Relay(RelayError::Centre(e)) => e.message_ja(),
            Self::Relay(RelayError::NotARelayCode(_)) => {
                "会場中継機用の登録コードではありません（本部で役割「中継機」のコードを作成してください）".into()
            }
            Self::Relay(RelayError::Listen { addr, .. }) => format!(
                "中継機を {addr} で待ち受けできません（ポートが使用中か、この端末のアドレスではありません）"
            ),
            Self::Relay(e) => format!("会場中継機を開始できません: {e}"),
            Self::Trust(e) => e.message_ja(),
            Self::Join(e) => e.message_ja(),
            Self::Desk(e) => e.message_ja(),
            Self::Ledger(_) => "台帳の読み書きに失敗しました".into(),
        }
    }
}

fn centre_code(e: &ClientError) -> ErrorCode {
    match e.code() {
        _ if e.is_retryable() => ErrorCode::SyncOffline,
        Some(code) => code,
        None => ErrorCode::SyncRefused,
    }
}

/// Where the relay listens and what address it announces (`VAXLEDGER_RELAY_LISTEN`,
/// `VAXLEDGER_RELAY_ADVERTISE`; [`crate::config::AppConfig::relay_host_settings`]).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RelayHostSettings {
    /// The listening address (all interfaces, port [`DEFAULT_RELAY_PORT`], by default).
    pub listen: SocketAddr,
    /// The address the other kiosks reach this one at; found by itself when unset.
    pub advertise: Option<String>,
    /// The mDNS port the relay is advertised on (`VAXLEDGER_MDNS_PORT`, 5353 by default);
    /// `None` does not advertise it ([`crate::relay_discovery`]).
    pub mdns_port: Option<u16>,
}

impl Default for RelayHostSettings {
    fn default() -> Self {
        Self {
            listen: SocketAddr::from(([0, 0, 0, 0], DEFAULT_RELAY_PORT)),
            advertise: None,
            mdns_port: Some(MDNS_PORT),
        }
    }
}

/// The relay this kiosk runs, if it runs one: held by the app for its lifetime.
#[derive(Debug)]
pub struct RelayHost {
    dir: PathBuf,
    running: Option<RunningRelay>,
    /// The relay's mDNS advertisement while it runs (none where multicast is not available).
    advertiser: Option<Advertiser>,
}

impl RelayHost {
    /// The relay kept in `dir` (nothing is read or started yet).
    pub fn new(dir: PathBuf) -> Self {
        Self {
            dir,
            running: None,
            advertiser: None,
        }
    }

    /// The relay's folder.
    pub fn dir(&self) -> &Path {
        &self.dir
    }

    /// Whether the relay is serving.
    pub fn is_running(&self) -> bool {
        self.running.is_some()
    }
}

/// What the manager's screen shows of the relay this kiosk runs.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelayHostStatus {
    /// A relay is enrolled on this kiosk (it can be started).
    pub enrolled: bool,
    /// Its name at the centre.
    pub name: Option<String>,
    /// Its venue.
    pub venue: Option<String>,
    /// It is serving now.
    pub running: bool,
    /// It starts with the app (it was running when last left).
    pub starts_with_app: bool,
    /// The address it listens on (`0.0.0.0:8788`).
    pub listening_on: Option<String>,
    /// The URL the other kiosks reach it at.
    pub url: Option<String>,
    /// The SHA-256 fingerprint of its certificate, which the kiosks pin.
    pub fingerprint: Option<String>,
    /// The join code the other kiosks scan or type.
    pub join_code: Option<String>,
    /// The join code as a QR code (SVG).
    pub join_qr_svg: Option<String>,
    /// The pairing code a kiosk that found the relay by mDNS types (`3F2A-9C41-77D0-12BE`).
    pub pairing_code: Option<String>,
    /// The relay is advertised on the LAN by mDNS.
    pub advertised: bool,
}

/// The kiosk's centre URL and token, its venue and role; the relay is only for the venue
/// manager's kiosk.
fn manager_kiosk(ledger: &Ledger) -> Result<(String, String, String), RelayHostError> {
    let reader = ledger.reader();
    let url = reader.setting(KEY_SERVER_URL)?.filter(|v| !v.is_empty());
    let token = reader.setting(KEY_TOKEN)?.filter(|v| !v.is_empty());
    let (Some(url), Some(token)) = (url, token) else {
        return Err(RelayHostError::NotEnrolled);
    };
    let enrollment = desk::enrolled(ledger)?;
    if !enrollment.role.may_host_relay() {
        return Err(RelayHostError::RoleMayNot(enrollment.role));
    }
    Ok((url, token, enrollment.venue_code))
}

fn check_venue(relay_venue: &str, kiosk_venue: &str) -> Result<(), RelayHostError> {
    if relay_venue == kiosk_venue {
        Ok(())
    } else {
        Err(RelayHostError::WrongVenue {
            relay: relay_venue.to_owned(),
            kiosk: kiosk_venue.to_owned(),
        })
    }
}

/// Enrolls the venue relay on this kiosk with a relay enrollment code HQ made for the venue
/// (`vaxsync enrollment create --role relay --venue V01`), at the centre this kiosk is
/// enrolled with and under its trust policy. A code for another venue is refused and its
/// relay forgotten here.
pub fn enroll_relay_host(
    host: &RelayHost,
    ledger: &Ledger,
    code: &str,
    name: &str,
) -> Result<RelayHostStatus, RelayHostError> {
    let (url, _, venue) = manager_kiosk(ledger)?;
    let centre = trust_policy(ledger)?
        .anonymous_client(&url)
        .map_err(SyncAppError::from)?;
    let identity = relay::enroll(&host.dir, &centre, code.trim(), name.trim())?;
    if let Err(e) = check_venue(&identity.venue.0, &venue) {
        // The centre keeps the device (HQ revokes it); this kiosk will not run it.
        let _ = std::fs::remove_file(host.dir.join("identity.json"));
        return Err(e);
    }
    // Under an encrypted ledger the relay's token is sealed at once (and its log made
    // encrypted), not left in the clear until the relay first starts.
    if let Some(key) = ledger.derived_key(RELAY_LOG_KEY) {
        relay::encrypt_log(&host.dir, &key)?;
    }
    relay_host_status(host, ledger)
}

/// The address this machine uses on its LAN: the source address the system would pick to
/// reach a far address. Connecting a UDP socket sends nothing; it only picks the route.
pub fn lan_address() -> Option<IpAddr> {
    let socket = UdpSocket::bind("0.0.0.0:0").ok()?;
    socket.connect("192.0.2.1:9").ok()?; // TEST-NET-1 (RFC 5737): never reached
    let ip = socket.local_addr().ok()?.ip();
    (!ip.is_unspecified() && !ip.is_loopback()).then_some(ip)
}

fn advertised(settings: &RelayHostSettings) -> Result<String, RelayHostError> {
    if let Some(address) = settings.advertise.as_deref().map(str::trim) {
        if !address.is_empty() {
            return Ok(address.to_owned());
        }
    }
    let ip = settings.listen.ip();
    if !ip.is_unspecified() {
        return Ok(ip.to_string());
    }
    lan_address()
        .map(|ip| ip.to_string())
        .ok_or(RelayHostError::NoLanAddress)
}

/// Starts serving the relay enrolled on this kiosk, joins this kiosk to it, and remembers to
/// start it with the app. Already running: nothing changes.
pub fn start_relay_host(
    host: &mut RelayHost,
    ledger: &mut Ledger,
    settings: &RelayHostSettings,
) -> Result<RelayHostStatus, RelayHostError> {
    let (_, _, venue) = manager_kiosk(ledger)?;
    if host.running.is_none() {
        match relay::enrolled(&host.dir) {
            Ok(_) => {}
            Err(RelayError::NotEnrolled(_)) => return Err(RelayHostError::NoRelayEnrolled),
            Err(e) => return Err(e.into()),
        }
        // The relay's log holds the venue's ops: under an encrypted ledger it is encrypted too,
        // with a key derived from the ledger's (no second passphrase), in place the first time;
        // its token at the centre and its TLS key are sealed under the same key.
        let key = ledger.derived_key(RELAY_LOG_KEY);
        if let Some(key) = &key {
            relay::encrypt_log(&host.dir, key)?;
        }
        let identity = relay::identity_keyed(&host.dir, key.as_ref())?;
        check_venue(&identity.venue.0, &venue)?;
        let centre = trust_policy(ledger)?
            .client(&identity.centre_url, &identity.token)
            .map_err(SyncAppError::from)?
            .with_timeouts(Duration::from_secs(5), Duration::from_secs(60));
        let options = RelayOptions {
            listen: settings.listen,
            advertise: Some(advertised(settings)?),
            every: CENTRE_ROUND_EVERY,
            plain_http: false,
            key,
        };
        let running = relay::start(&host.dir, &options, centre)?;
        join_relay(ledger, &running.join_code().to_text())?;
        // Discovery is a convenience: where multicast is blocked the QR still works.
        host.advertiser = settings
            .mdns_port
            .and_then(|port| {
                RelayAdvert::of_join_code(running.join_code(), &venue, &identity.name)
                    .map(|advert| advertise(&advert, port))
            })
            .and_then(Result::ok);
        host.running = Some(running);
    }
    set_autostart(ledger, true)?;
    relay_host_status(host, ledger)
}

/// Stops the relay (the kiosks' relay light turns red; each keeps its work and syncs with the
/// centre directly) and does not start it with the app any more.
pub fn stop_relay_host(
    host: &mut RelayHost,
    ledger: &mut Ledger,
) -> Result<RelayHostStatus, RelayHostError> {
    host.advertiser = None; // withdraws the advertisement
    if let Some(running) = host.running.take() {
        running.stop()?;
    }
    set_autostart(ledger, false)?;
    relay_host_status(host, ledger)
}

/// At the app's start: starts the relay again when it was running when the app was left.
/// Returns whether it is running.
pub fn resume_relay_host(
    host: &mut RelayHost,
    ledger: &mut Ledger,
    settings: &RelayHostSettings,
) -> Result<bool, RelayHostError> {
    if starts_with_app(ledger)? {
        start_relay_host(host, ledger, settings)?;
    }
    Ok(host.is_running())
}

fn set_autostart(ledger: &mut Ledger, on: bool) -> Result<(), LedgerError> {
    let tx = ledger.transaction()?;
    tx.set_setting(KEY_AUTOSTART, if on { "true" } else { "" })?;
    tx.commit()
}

fn starts_with_app(ledger: &Ledger) -> Result<bool, LedgerError> {
    Ok(ledger.reader().setting(KEY_AUTOSTART)?.as_deref() == Some("true"))
}

/// The relay this kiosk runs, for the manager's screen.
pub fn relay_host_status(
    host: &RelayHost,
    ledger: &Ledger,
) -> Result<RelayHostStatus, RelayHostError> {
    let identity = match relay::enrolled(&host.dir) {
        Ok(identity) => Some(identity),
        Err(RelayError::NotEnrolled(_)) => None,
        Err(e) => return Err(e.into()),
    };
    let join = host.running.as_ref().map(|r| r.join_code().clone());
    let join_text = join.as_ref().map(|j| j.to_text());
    Ok(RelayHostStatus {
        enrolled: identity.is_some(),
        name: identity.as_ref().map(|i| i.name.clone()),
        venue: identity.as_ref().map(|i| i.venue.0.clone()),
        running: host.running.is_some(),
        starts_with_app: starts_with_app(ledger)?,
        listening_on: host.running.as_ref().map(|r| r.local_addr().to_string()),
        url: join.as_ref().map(|j| j.url.clone()),
        fingerprint: join.as_ref().and_then(|j| j.fingerprint.clone()),
        pairing_code: join
            .as_ref()
            .and_then(|j| j.fingerprint.as_deref())
            .map(pairing_code),
        advertised: host.advertiser.is_some(),
        join_qr_svg: join_text.as_deref().and_then(qr_svg),
        join_code: join_text,
    })
}
