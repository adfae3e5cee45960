//! The environment a program runs in, read once at start, and where it writes its documents.
//!
//! The desktop app and `vaxhq` read their `VAXLEDGER_*` variables here and nowhere else, and
//! get their one time source from [`AppConfig::clock`]: a pinned `VAXLEDGER_NOW` pins the
//! desk's warnings and the ops' timestamps alike.

use std::path::{Path, PathBuf};
use std::sync::Arc;
use std::time::Duration;

use chrono::{DateTime, FixedOffset, NaiveDate};
use thiserror::Error;
use vax_domain::clock::{Clock, ManualClock, SystemClock};
use vax_domain::error::{ErrorCode, UserFacing};

use crate::desk::camera::CameraChoice;
use crate::relay_host::RelayHostSettings;

/// The variables read.
const KNOWN: [&str; 9] = [
    "VAXLEDGER_DB",
    "VAXLEDGER_FAKE_CAMERA",
    "VAXLEDGER_PRINT_OPEN",
    "VAXLEDGER_NOW",
    "VAXLEDGER_SYNC_SECONDS",
    "VAXLEDGER_STAFF_IDLE_MINUTES",
    "VAXLEDGER_RELAY_LISTEN",
    "VAXLEDGER_RELAY_ADVERTISE",
    "VAXLEDGER_MDNS_PORT",
];

/// Seconds between background syncs when `VAXLEDGER_SYNC_SECONDS` is not set.
pub const DEFAULT_SYNC_SECONDS: u64 = 10;

/// Minutes without an action after which a signed-in staff member is signed out, when
/// `VAXLEDGER_STAFF_IDLE_MINUTES` is not set (docs/audit.md).
pub const DEFAULT_STAFF_IDLE_MINUTES: u32 = 5;

/// Minutes without an op from any of a venue's devices after which the dashboard shows the
/// venue as silent (warning colour): venues sync every few seconds while online, so half an
/// hour of silence means a venue offline or a device switched off (docs/call-centre.md).
pub const VENUE_SILENT_MINUTES: i64 = 30;

/// What the environment says.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct AppConfig {
    /// `VAXLEDGER_DB`: the ledger file (else the app's data folder decides).
    pub ledger_path: Option<PathBuf>,
    /// `VAXLEDGER_FAKE_CAMERA=<folder>`: the camera button loops over the folder's images
    /// instead of opening the webcam (demonstrations, end-to-end tests).
    pub fake_camera: Option<PathBuf>,
    /// `VAXLEDGER_PRINT_OPEN=0` writes PDFs and folders without opening them.
    pub open_documents: bool,
    /// `VAXLEDGER_NOW` (RFC 3339) pins the clock, for demonstrations and tests.
    pub pinned_now: Option<DateTime<FixedOffset>>,
    /// `VAXLEDGER_SYNC_SECONDS`: seconds between background syncs.
    pub sync_interval: Duration,
    /// `VAXLEDGER_STAFF_IDLE_MINUTES`: minutes without an action before the kiosk signs its
    /// staff member out.
    pub staff_idle_minutes: u32,
    /// `VAXLEDGER_RELAY_LISTEN` (`0.0.0.0:8788` by default) and `VAXLEDGER_RELAY_ADVERTISE`
    /// (found by itself when unset): the venue relay this kiosk may run (issue 17).
    pub relay_host: RelayHostSettings,
}

/// A variable that is set but cannot be used.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("{variable}={value:?}: {expected}")]
pub struct ConfigError {
    /// The variable.
    pub variable: &'static str,
    /// What it holds.
    pub value: String,
    /// What it should hold.
    pub expected: &'static str,
}

impl UserFacing for ConfigError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidInput
    }

    fn message_ja(&self) -> String {
        format!(
            "環境変数 {} の値 {:?} は使えません（{}）",
            self.variable, self.value, self.expected
        )
    }
}

impl Default for AppConfig {
    fn default() -> Self {
        Self {
            ledger_path: None,
            fake_camera: None,
            open_documents: true,
            pinned_now: None,
            sync_interval: Duration::from_secs(DEFAULT_SYNC_SECONDS),
            staff_idle_minutes: DEFAULT_STAFF_IDLE_MINUTES,
            relay_host: RelayHostSettings::default(),
        }
    }
}

impl AppConfig {
    /// Reads the process environment. A value that is not valid Unicode is refused, never
    /// taken as unset (a ledger path would silently fall back to the default).
    pub fn from_env() -> Result<Self, ConfigError> {
        for (name, value) in std::env::vars_os() {
            let name = name.to_string_lossy();
            if name.starts_with("VAXLEDGER_") && value.to_str().is_none() {
                return Err(ConfigError {
                    variable: KNOWN
                        .iter()
                        .find(|known| **known == name)
                        .copied()
                        .unwrap_or("VAXLEDGER_*"),
                    value: value.to_string_lossy().into_owned(),
                    expected: "text in UTF-8",
                });
            }
        }
        Self::from_vars(|name| std::env::var(name).ok())
    }

    /// Reads the variables from `get` (tests pass a map). Unset and empty are alike.
    pub fn from_vars(get: impl Fn(&str) -> Option<String>) -> Result<Self, ConfigError> {
        let var = |name: &str| get(name).filter(|v| !v.trim().is_empty());
        let pinned_now = match var("VAXLEDGER_NOW") {
            None => None,
            Some(v) => Some(
                DateTime::parse_from_rfc3339(v.trim()).map_err(|_| ConfigError {
                    variable: "VAXLEDGER_NOW",
                    value: v.clone(),
                    expected: "an RFC 3339 instant such as 2026-06-01T09:30:00+09:00",
                })?,
            ),
        };
        let sync_interval = match var("VAXLEDGER_SYNC_SECONDS") {
            None => Duration::from_secs(DEFAULT_SYNC_SECONDS),
            Some(v) => match v.trim().parse::<u64>() {
                Ok(seconds) if seconds > 0 => Duration::from_secs(seconds),
                _ => {
                    return Err(ConfigError {
                        variable: "VAXLEDGER_SYNC_SECONDS",
                        value: v,
                        expected: "a whole number of seconds, 1 or more",
                    })
                }
            },
        };
        let staff_idle_minutes = match var("VAXLEDGER_STAFF_IDLE_MINUTES") {
            None => DEFAULT_STAFF_IDLE_MINUTES,
            Some(v) => match v.trim().parse::<u32>() {
                Ok(minutes) if (1..=24 * 60).contains(&minutes) => minutes,
                _ => {
                    return Err(ConfigError {
                        variable: "VAXLEDGER_STAFF_IDLE_MINUTES",
                        value: v,
                        expected: "a whole number of minutes from 1 to 1440",
                    })
                }
            },
        };
        let mut relay_host = RelayHostSettings::default();
        if let Some(v) = var("VAXLEDGER_RELAY_LISTEN") {
            relay_host.listen = v.trim().parse().map_err(|_| ConfigError {
                variable: "VAXLEDGER_RELAY_LISTEN",
                value: v.clone(),
                expected: "an address and port such as 0.0.0.0:8788",
            })?;
        }
        relay_host.advertise = var("VAXLEDGER_RELAY_ADVERTISE").map(|v| v.trim().to_owned());
        if let Some(v) = var("VAXLEDGER_MDNS_PORT") {
            relay_host.mdns_port = match v.trim() {
                "off" | "0" => None,
                port => Some(port.parse().map_err(|_| ConfigError {
                    variable: "VAXLEDGER_MDNS_PORT",
                    value: v.clone(),
                    expected: "a UDP port such as 5353, or off",
                })?),
            };
        }
        Ok(Self {
            ledger_path: var("VAXLEDGER_DB").map(PathBuf::from),
            fake_camera: var("VAXLEDGER_FAKE_CAMERA").map(PathBuf::from),
            open_documents: var("VAXLEDGER_PRINT_OPEN").is_none_or(|v| v.trim() != "0"),
            pinned_now,
            sync_interval,
            staff_idle_minutes,
            relay_host,
        })
    }

    /// The program's one time source: pinned at `VAXLEDGER_NOW` when set, else the system's.
    pub fn clock(&self) -> Arc<dyn Clock> {
        match &self.pinned_now {
            Some(at) => Arc::new(ManualClock::at(at)),
            None => Arc::new(SystemClock),
        }
    }

    /// What the reception's camera button opens: the fake folder, else the first webcam.
    pub fn camera_choice(&self) -> CameraChoice {
        match &self.fake_camera {
            Some(dir) => CameraChoice::Folder(dir.clone()),
            None => CameraChoice::Device(0),
        }
    }

    /// Opens `path` (a PDF or a folder) with the desktop's default application, unless
    /// `VAXLEDGER_PRINT_OPEN=0` (unattended kiosks, tests). Returns whether a viewer started;
    /// the document is written either way.
    pub fn open_on_desktop(&self, path: &Path) -> bool {
        self.open_documents
            && std::process::Command::new("xdg-open")
                .arg(path)
                .stdout(std::process::Stdio::null())
                .stderr(std::process::Stdio::null())
                .spawn()
                .is_ok()
    }
}

/// Where an installation writes its documents: folders beside its ledger.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Folders {
    base: PathBuf,
}

impl Folders {
    /// The folders beside the ledger file at `ledger_path`.
    pub fn beside(ledger_path: &Path) -> Self {
        Self {
            base: ledger_path
                .parent()
                .map(Path::to_path_buf)
                .unwrap_or_default(),
        }
    }

    /// `print/`: PDFs printed at the desk.
    pub fn print(&self) -> PathBuf {
        self.base.join("print")
    }

    /// `print/yoshinhyo-<resident>-<day>.pdf`: a reissued 予診票.
    pub fn yoshinhyo(&self, resident_id: i64, today: NaiveDate) -> PathBuf {
        self.print()
            .join(format!("yoshinhyo-{resident_id}-{today}.pdf"))
    }

    /// `print/vouchers-<day>/`: the city's voucher sheets printed that day.
    pub fn voucher_batch(&self, today: NaiveDate) -> PathBuf {
        self.print().join(format!("vouchers-{today}"))
    }

    /// `notices/`: the batches of booking notices (letters, SMS and call lists).
    pub fn notices(&self) -> PathBuf {
        self.base.join("notices")
    }

    /// `vrs-export/`: the default folder of the nightly VRS export.
    pub fn vrs_export(&self) -> PathBuf {
        self.base.join("vrs-export")
    }

    /// `stock-reports/`: HQ's daily stock reports saved from the stock screen.
    pub fn stock_reports(&self) -> PathBuf {
        self.base.join("stock-reports")
    }

    /// `relay/`: the venue relay this kiosk runs (its identity, log and certificate).
    pub fn relay(&self) -> PathBuf {
        self.base.join("relay")
    }

    /// `reports/`: tables exported from the dashboards as CSV, and the daily report PDF.
    pub fn reports(&self) -> PathBuf {
        self.base.join("reports")
    }
}

#[cfg(test)]
mod tests {
    use std::collections::HashMap;

    use super::*;

    fn config(vars: &[(&str, &str)]) -> Result<AppConfig, ConfigError> {
        let map: HashMap<String, String> = vars
            .iter()
            .map(|(k, v)| ((*k).to_owned(), (*v).to_owned()))
            .collect();
        AppConfig::from_vars(|name| map.get(name).cloned())
    }

    #[test]
    fn nothing_set_means_the_defaults() {
        assert_eq!(config(&[]).expect("valid"), AppConfig::default());
    }

    #[test]
    fn every_variable_is_read() {
        let c = config(&[
            ("VAXLEDGER_DB", "/srv/kiosk.sqlite3"),
            ("VAXLEDGER_FAKE_CAMERA", "/tmp/frames"),
            ("VAXLEDGER_PRINT_OPEN", "0"),
            ("VAXLEDGER_NOW", "2026-06-01T09:30:00+09:00"),
            ("VAXLEDGER_SYNC_SECONDS", "3"),
            ("VAXLEDGER_STAFF_IDLE_MINUTES", "2"),
            ("VAXLEDGER_RELAY_LISTEN", "192.168.1.10:9000"),
            ("VAXLEDGER_RELAY_ADVERTISE", "kiosk-1.venue.lan"),
        ])
        .expect("valid");
        assert_eq!(c.staff_idle_minutes, 2);
        assert_eq!(c.relay_host.listen.to_string(), "192.168.1.10:9000");
        assert_eq!(c.relay_host.advertise.as_deref(), Some("kiosk-1.venue.lan"));
        assert_eq!(c.ledger_path, Some(PathBuf::from("/srv/kiosk.sqlite3")));
        assert_eq!(
            c.camera_choice(),
            CameraChoice::Folder(PathBuf::from("/tmp/frames"))
        );
        assert!(!c.open_documents);
        assert_eq!(c.sync_interval, Duration::from_secs(3));
        assert_eq!(
            c.clock().now().to_rfc3339(),
            "2026-06-01T09:30:00+09:00",
            "a pinned clock stays where it was pinned"
        );
    }

    #[test]
    fn a_malformed_value_is_refused_with_the_variable_named() {
        let e = config(&[("VAXLEDGER_NOW", "yesterday")]).expect_err("refused");
        assert_eq!(e.variable, "VAXLEDGER_NOW");
        assert!(e.message_ja().contains("VAXLEDGER_NOW"));
        let e = config(&[("VAXLEDGER_SYNC_SECONDS", "0")]).expect_err("refused");
        assert_eq!(e.variable, "VAXLEDGER_SYNC_SECONDS");
        let e = config(&[("VAXLEDGER_STAFF_IDLE_MINUTES", "0")]).expect_err("refused");
        assert_eq!(e.variable, "VAXLEDGER_STAFF_IDLE_MINUTES");
        let e = config(&[("VAXLEDGER_RELAY_LISTEN", "8788")]).expect_err("refused");
        assert_eq!(e.variable, "VAXLEDGER_RELAY_LISTEN");
    }

    #[test]
    fn the_relay_is_advertised_on_the_mdns_port_unless_turned_off() {
        let port = |v: &str| config(&[("VAXLEDGER_MDNS_PORT", v)]).map(|c| c.relay_host.mdns_port);
        assert_eq!(config(&[]).unwrap().relay_host.mdns_port, Some(5353));
        assert_eq!(port("15353").unwrap(), Some(15353));
        assert_eq!(port("off").unwrap(), None);
        assert_eq!(port("0").unwrap(), None);
        assert_eq!(port("mdns").unwrap_err().variable, "VAXLEDGER_MDNS_PORT");
    }

    #[test]
    fn documents_go_beside_the_ledger() {
        let f = Folders::beside(Path::new("/data/vaxledger.sqlite3"));
        let day = NaiveDate::from_ymd_opt(2026, 6, 1).expect("valid");
        assert_eq!(
            f.yoshinhyo(42, day),
            PathBuf::from("/data/print/yoshinhyo-42-2026-06-01.pdf")
        );
        assert_eq!(
            f.voucher_batch(day),
            PathBuf::from("/data/print/vouchers-2026-06-01")
        );
        assert_eq!(f.vrs_export(), PathBuf::from("/data/vrs-export"));
        assert_eq!(f.notices(), PathBuf::from("/data/notices"));
        assert_eq!(f.relay(), PathBuf::from("/data/relay"));
    }
}
