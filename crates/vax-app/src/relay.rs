//! Syncing with the venue relay (issue 17, docs/venue-resilience.md): a kiosk joins its
//! venue's relay by the join code the manager's kiosk shows as a QR, then syncs with it every
//! few seconds, besides (not instead of) its sync with the centre. The kiosk keeps the
//! identity and token it got from the centre: the relay knows them from the centre's
//! registry, and every op keeps its author's signature whatever path it takes.
//!
//! Two lights on every kiosk: does this kiosk reach the relay, and does the relay reach the
//! centre. The manager sees every device of the venue with its last contact.

use std::sync::{Mutex, PoisonError};
use std::time::Duration as StdDuration;

use chrono::{DateTime, Duration, FixedOffset};
use serde::Serialize;
use thiserror::Error;
use vax_domain::clock::Clock;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_ledger::{Ledger, LedgerError};
use vax_sync::http::RelayStatus;
use vax_sync_client::lan::{BadJoinCode, JoinCode};
use vax_sync_client::{sync_session, ClientError, SessionError};

use crate::sync::{LedgerAccess, LedgerReplica, KEY_TOKEN};

const KEY_JOIN: &str = "relay.join";
const KEY_LAST_SUCCESS: &str = "relay.last_success_at";
const KEY_LAST_ATTEMPT: &str = "relay.last_attempt_at";
const KEY_LAST_ERROR: &str = "relay.last_error";
const KEY_CENTRE_LAST_SUCCESS: &str = "relay.centre_last_success_at";
const KEY_CENTRE_LAST_ERROR: &str = "relay.centre_last_error";

/// How long one call to the relay may take: it is on the LAN, and a kiosk that waits longer
/// is better told the relay is gone.
pub const RELAY_TIMEOUT: StdDuration = StdDuration::from_secs(3);
/// A kiosk's first light stays green this long after its last sync with the relay.
pub const RELAY_GREEN_SECONDS: i64 = 30;
/// The second light stays green this long after the relay's last sync with the centre.
pub const CENTRE_GREEN_SECONDS: i64 = 120;

/// Why a relay step did not happen.
#[derive(Debug, Error)]
pub enum RelayAppError {
    /// The join code was not read.
    #[error(transparent)]
    BadCode(#[from] BadJoinCode),
    /// This kiosk is not enrolled with the centre (it joins a relay with that identity).
    #[error("this device is not enrolled with a sync server; enroll it before joining a relay")]
    NotEnrolled,
    /// This kiosk has not joined a relay.
    #[error("this device has not joined a venue relay")]
    NotJoined,
    /// The relay could not be reached or refused.
    #[error(transparent)]
    Relay(#[from] ClientError),
    /// The session stopped; what was exchanged before is kept on both sides.
    #[error("sync with the relay stopped: {0}")]
    Session(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for RelayAppError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::BadCode(_) => ErrorCode::InvalidInput,
            Self::NotEnrolled | Self::NotJoined => ErrorCode::SyncNotConfigured,
            Self::Relay(e) if e.is_retryable() => ErrorCode::SyncOffline,
            Self::Relay(_) => ErrorCode::SyncRefused,
            Self::Session(_) => ErrorCode::SyncStopped,
            Self::Ledger(_) => ErrorCode::Ledger,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::BadCode(_) => "会場中継機のQRコードではありません".into(),
            Self::NotEnrolled => {
                "この端末は同期サーバーに登録されていません。先に登録してください".into()
            }
            Self::NotJoined => "この端末は会場中継機に接続設定されていません".into(),
            Self::Relay(e) => e.message_ja(),
            Self::Session(_) => {
                "中継機との同期が途中で止まりました。次回の同期で続きから再開します".into()
            }
            Self::Ledger(_) => "台帳の読み書きに失敗しました".into(),
        }
    }
}

/// Joins the venue relay whose join code (the QR's text) is given; a later join replaces it
/// (another kiosk took over). Nothing is contacted yet: the next sync checks the certificate.
pub fn join_relay(ledger: &mut Ledger, code_text: &str) -> Result<JoinCode, RelayAppError> {
    let code = JoinCode::parse(code_text)?;
    if ledger.replica_identity().is_none() || ledger.reader().setting(KEY_TOKEN)?.is_none() {
        return Err(RelayAppError::NotEnrolled);
    }
    let tx = ledger.transaction()?;
    tx.set_setting(KEY_JOIN, &code.to_text())?;
    for key in [
        KEY_LAST_SUCCESS,
        KEY_LAST_ERROR,
        KEY_CENTRE_LAST_SUCCESS,
        KEY_CENTRE_LAST_ERROR,
    ] {
        tx.set_setting(key, "")?;
    }
    tx.commit()?;
    Ok(code)
}

fn setting(ledger: &Ledger, key: &str) -> Result<Option<String>, LedgerError> {
    Ok(ledger.reader().setting(key)?.filter(|v| !v.is_empty()))
}

/// The relay this kiosk joined, if any.
pub fn joined_relay(ledger: &Ledger) -> Result<Option<JoinCode>, RelayAppError> {
    match setting(ledger, KEY_JOIN)? {
        Some(text) => Ok(Some(JoinCode::parse(&text)?)),
        None => Ok(None),
    }
}

/// What one sync with the relay did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelaySyncRun {
    /// Ops sent to the relay.
    pub sent_ops: usize,
    /// Ops received from it.
    pub received_ops: usize,
    /// Whether the relay has reached the centre lately.
    pub relay_reaches_centre: bool,
}

/// One sync session with the relay, then its status (for the second light). The ledger is
/// held only for each local step.
pub fn sync_with_relay<A: LedgerAccess>(
    mut ledger: A,
    now: DateTime<FixedOffset>,
) -> Result<RelaySyncRun, RelayAppError> {
    let (code, token) = ledger.with_ledger(|l| -> Result<_, RelayAppError> {
        let code = joined_relay(l)?.ok_or(RelayAppError::NotJoined)?;
        let token = setting(l, KEY_TOKEN)?.ok_or(RelayAppError::NotEnrolled)?;
        Ok((code, token))
    })?;
    let mut local = LedgerReplica(ledger, now);
    let result = code
        .client(&token, RELAY_TIMEOUT)
        .map_err(RelayAppError::from)
        .and_then(|client| {
            let report = sync_session(&mut local, &client, code.relay_id).map_err(|e| match e {
                SessionError::Transport(c) => RelayAppError::Relay(c),
                SessionError::Local(l) => RelayAppError::Ledger(l),
                other => RelayAppError::Session(other.to_string()),
            })?;
            Ok((report, client.relay_status()?))
        });
    let LedgerReplica(mut ledger, _) = local;
    ledger.with_ledger(|l| record_outcome(l, result, now))
}

fn record_outcome(
    ledger: &mut Ledger,
    result: Result<(vax_sync_client::SessionReport, RelayStatus), RelayAppError>,
    now: DateTime<FixedOffset>,
) -> Result<RelaySyncRun, RelayAppError> {
    let tx = ledger.transaction()?;
    tx.set_setting(KEY_LAST_ATTEMPT, &now.to_rfc3339())?;
    match result {
        Ok((report, status)) => {
            tx.set_setting(KEY_LAST_SUCCESS, &now.to_rfc3339())?;
            tx.set_setting(KEY_LAST_ERROR, "")?;
            let centre = status.centre_last_success_at.unwrap_or_default();
            tx.set_setting(KEY_CENTRE_LAST_SUCCESS, &centre)?;
            let centre_error = status.centre_last_error.unwrap_or_default();
            tx.set_setting(KEY_CENTRE_LAST_ERROR, &centre_error)?;
            tx.commit()?;
            Ok(RelaySyncRun {
                sent_ops: report.sent_ops,
                received_ops: report.received_ops,
                relay_reaches_centre: centre_error.is_empty()
                    && is_recent(Some(&centre), now, CENTRE_GREEN_SECONDS),
            })
        }
        Err(e) => {
            tx.set_setting(KEY_LAST_ERROR, &e.to_string())?;
            tx.commit()?;
            Err(e)
        }
    }
}

fn is_recent(at: Option<&str>, now: DateTime<FixedOffset>, seconds: i64) -> bool {
    at.and_then(|t| DateTime::parse_from_rfc3339(t).ok())
        .is_some_and(|t| now - t <= Duration::seconds(seconds))
}

/// One light.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Light {
    /// No relay joined: the light is not shown.
    Off,
    /// Reached lately.
    Green,
    /// Not reached lately.
    Red,
}

/// The two lights of a kiosk.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RelayLights {
    /// The relay's address, when joined.
    pub relay_url: Option<String>,
    /// This kiosk reaches the relay (synced within [`RELAY_GREEN_SECONDS`]).
    pub reaches_relay: Light,
    /// The relay reaches the centre (it synced within [`CENTRE_GREEN_SECONDS`] and its last
    /// attempt did not fail, as it said at this kiosk's last sync).
    pub relay_reaches_centre: Light,
    /// Last sync with the relay (RFC 3339).
    pub last_relay_sync_at: Option<String>,
    /// The relay's last sync with the centre (RFC 3339).
    pub relay_centre_sync_at: Option<String>,
    /// Why the last sync with the relay failed, if it did.
    pub last_error: Option<String>,
    /// Why the relay's last attempt to reach the centre failed, if it did (as it said at this
    /// kiosk's last sync): the centre light is red at once, not 2 minutes later.
    pub relay_centre_error: Option<String>,
}

/// The two lights, from what the last syncs recorded (no network call).
pub fn relay_lights(
    ledger: &Ledger,
    now: DateTime<FixedOffset>,
) -> Result<RelayLights, RelayAppError> {
    let Some(code) = joined_relay(ledger)? else {
        return Ok(RelayLights {
            relay_url: None,
            reaches_relay: Light::Off,
            relay_reaches_centre: Light::Off,
            last_relay_sync_at: None,
            relay_centre_sync_at: None,
            last_error: None,
            relay_centre_error: None,
        });
    };
    let last = setting(ledger, KEY_LAST_SUCCESS)?;
    let centre = setting(ledger, KEY_CENTRE_LAST_SUCCESS)?;
    let centre_error = setting(ledger, KEY_CENTRE_LAST_ERROR)?;
    let light = |green| if green { Light::Green } else { Light::Red };
    let reaches = is_recent(last.as_deref(), now, RELAY_GREEN_SECONDS);
    Ok(RelayLights {
        relay_url: Some(code.url),
        reaches_relay: light(reaches),
        // What the relay said is only news while this kiosk still reaches it; a failed last
        // attempt turns the light red at once (the relay tries every few seconds).
        relay_reaches_centre: light(
            reaches
                && centre_error.is_none()
                && is_recent(centre.as_deref(), now, CENTRE_GREEN_SECONDS),
        ),
        last_relay_sync_at: last,
        relay_centre_sync_at: centre,
        last_error: setting(ledger, KEY_LAST_ERROR)?,
        relay_centre_error: centre_error,
    })
}

/// One device of the venue, as the manager's screen lists it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueDevice {
    /// Its name (`受付1`).
    pub name: String,
    /// Its role (`reception`, `booth`, `venue_manager`, `relay`).
    pub role: String,
    /// Its replica id.
    pub replica_id: String,
    /// When it last synced with the relay (RFC 3339); none since the relay started.
    pub last_contact_at: Option<String>,
}

/// Every device of the venue with its last contact, asked of the relay now.
pub fn venue_devices(ledger: &Mutex<Ledger>) -> Result<Vec<VenueDevice>, RelayAppError> {
    let (code, token) = {
        let l = ledger.lock().unwrap_or_else(PoisonError::into_inner);
        let code = joined_relay(&l)?.ok_or(RelayAppError::NotJoined)?;
        let token = setting(&l, KEY_TOKEN)?.ok_or(RelayAppError::NotEnrolled)?;
        (code, token)
    };
    let status = code.client(&token, RELAY_TIMEOUT)?.relay_status()?;
    Ok(status
        .devices
        .into_iter()
        .map(|d| VenueDevice {
            name: d.name,
            role: serde_json::to_value(d.role)
                .ok()
                .and_then(|v| v.as_str().map(str::to_owned))
                .unwrap_or_default(),
            replica_id: d.replica_id.to_string(),
            // The relay stamps in UTC; the screens show the campaign's (Japan's) clock.
            last_contact_at: d.last_contact_at.map(|at| in_japan_time(&at)),
        })
        .collect())
}

/// An RFC 3339 instant at Japan's offset, as every instant the screens show; text that is not
/// an instant is kept as it came.
fn in_japan_time(instant: &str) -> String {
    DateTime::parse_from_rfc3339(instant).map_or_else(
        |_| instant.to_owned(),
        |at| at.with_timezone(&vax_domain::clock::jst()).to_rfc3339(),
    )
}

/// How often a kiosk syncs with its venue's relay.
pub const RELAY_SYNC_EVERY: StdDuration = StdDuration::from_millis(500);

/// Syncs with the venue relay every `every` on a thread of its own whenever this kiosk has
/// joined one, for as long as the program runs (beside `sync::spawn_background_sync`, which
/// keeps syncing with the centre). `on_change` is called after a round that received ops.
pub fn spawn_background_relay_sync(
    ledger: std::sync::Arc<Mutex<Ledger>>,
    clock: std::sync::Arc<dyn Clock>,
    every: StdDuration,
    on_change: impl Fn() + Send + 'static,
) -> std::io::Result<std::thread::JoinHandle<()>> {
    std::thread::Builder::new()
        .name("vax-relay-sync".to_owned())
        .spawn(move || loop {
            let joined = {
                let guard = ledger.lock().unwrap_or_else(PoisonError::into_inner);
                joined_relay(&guard).is_ok_and(|j| j.is_some())
            };
            if joined {
                if let Ok(run) = sync_with_relay(&*ledger, clock.now()) {
                    if run.received_ops > 0 {
                        on_change();
                    }
                }
            }
            std::thread::sleep(every);
        })
}

/// The join code of the relay this kiosk joined, as the manager's screen shows it: the text
/// (to type) and its QR code as an SVG picture (for the other kiosks' cameras).
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct JoinQr {
    /// The join code (`vaxrelay:?url=…&id=…&fp=…`).
    pub code: String,
    /// Its QR code (level M), one SVG unit per module with a 4-module quiet zone.
    pub svg: String,
}

/// The QR code of `text` as an SVG document: each run of dark modules of a row is one
/// rectangle, on a white square with the quiet zone of the standard.
pub fn qr_svg(text: &str) -> Option<String> {
    let code =
        qrcode::QrCode::with_error_correction_level(text.as_bytes(), qrcode::EcLevel::M).ok()?;
    let n = code.width();
    let colors = code.to_colors();
    let side = n + 8;
    let mut svg = format!(
        "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 {side} {side}\" shape-rendering=\"crispEdges\"><rect width=\"{side}\" height=\"{side}\" fill=\"#fff\"/><path fill=\"#000\" d=\""
    );
    for row in 0..n {
        let mut col = 0;
        while col < n {
            if colors[row * n + col] == qrcode::Color::Dark {
                let start = col;
                while col < n && colors[row * n + col] == qrcode::Color::Dark {
                    col += 1;
                }
                svg.push_str(&format!(
                    "M{} {}h{}v1h-{}z",
                    start + 4,
                    row + 4,
                    col - start,
                    col - start
                ));
            } else {
                col += 1;
            }
        }
    }
    svg.push_str("\"/></svg>");
    Some(svg)
}

/// The join code of the relay this kiosk joined, with its QR, or `None` before joining.
pub fn relay_join_qr(ledger: &Ledger) -> Result<Option<JoinQr>, RelayAppError> {
    Ok(joined_relay(ledger)?.and_then(|code| {
        let text = code.to_text();
        qr_svg(&text).map(|svg| JoinQr { code: text, svg })
    }))
}

#[cfg(test)]
mod time_tests {
    #[test]
    fn the_relays_utc_stamps_are_shown_in_japan_time() {
        assert_eq!(
            super::in_japan_time("2021-06-01T00:10:00+00:00"),
            "2021-06-01T09:10:00+09:00"
        );
        assert_eq!(super::in_japan_time("not a time"), "not a time");
    }
}

#[cfg(test)]
mod qr_tests {
    use std::time::Duration;

    use super::qr_svg;

    /// Paints the SVG's path (`M{x} {y}h{w}v1h-{w}z` runs) at 4 px per module.
    fn paint(svg: &str) -> image::GrayImage {
        let side: u32 = svg
            .split("viewBox=\"0 0 ")
            .nth(1)
            .and_then(|s| s.split(' ').next())
            .and_then(|s| s.parse().ok())
            .expect("a viewBox");
        let mut img = image::GrayImage::from_pixel(side * 4, side * 4, image::Luma([255]));
        let path = svg.split(" d=\"").nth(1).expect("a path");
        for run in path.split('M').skip(1) {
            let (pos, rest) = run.split_once('h').expect("a run");
            let (x, y) = pos.split_once(' ').expect("x y");
            let (x, y): (u32, u32) = (x.parse().unwrap(), y.parse().unwrap());
            let w: u32 = rest.split('v').next().unwrap().parse().unwrap();
            for px in x * 4..(x + w) * 4 {
                for py in y * 4..(y + 1) * 4 {
                    img.put_pixel(px, py, image::Luma([0]));
                }
            }
        }
        img
    }

    #[test]
    fn the_join_qr_reads_back_as_the_join_code() {
        let code = "vaxrelay:?url=https%3A%2F%2F192.168.1.10%3A8788&id=0123456789abcdef0123456789abcdef&fp=AB:CD";
        let svg = qr_svg(code).expect("a code this short fits a QR");
        let reads = vax_scan::Pipeline::standard()
            .scan(&paint(&svg), Duration::from_secs(10))
            .reads;
        assert_eq!(
            reads.first().map(|r| r.text.as_str()),
            Some(code),
            "what a kiosk's camera reads is the code"
        );
    }
}
