//! `vaxhq desk …` and `vaxhq relay …`: a kiosk without its window (issue 17). The same
//! vax-app calls as the desktop app's reception and booth screens, and the venue relay's
//! join and sync, so scripts and the venue tests drive real kiosk ledgers from the shell.

use std::time::Duration;

use chrono::{DateTime, FixedOffset};
use clap::Subcommand;
use vax_app::desk::{
    booth_queue, check_in, enrolled, open_lot, open_lots, record_dose, DeskError, RecordDose,
};
use vax_app::relay::{join_relay, relay_lights, sync_with_relay, RelayAppError};
use vax_app::relay_discovery::{discover, join_discovered, DiscoveryError, MDNS_PORT};
use vax_app::relay_host::{
    enroll_relay_host, start_relay_host, RelayHost, RelayHostError, RelayHostSettings,
};
use vax_domain::error::UserFacing;
use vax_domain::voucher::VoucherNumber;
use vax_ledger::Ledger;

/// A desk refusal (a duplicate dose, a role that may not): exit code 5.
#[derive(Debug)]
pub struct Refused(pub String);

impl std::fmt::Display for Refused {
    fn fmt(&self, f: &mut std::fmt::Formatter<'_>) -> std::fmt::Result {
        f.write_str(&self.0)
    }
}

impl std::error::Error for Refused {}

#[derive(Subcommand)]
pub enum DeskCommand {
    /// Check a resident in (reception, venue manager).
    CheckIn {
        /// The resident's 10-digit voucher number.
        voucher: String,
    },
    /// The booth queue: residents checked in today and not dosed yet.
    Queue,
    /// Open a lot for today (booth, venue manager).
    OpenLot {
        /// Product code (see the product list), e.g. comirnaty.
        #[arg(long)]
        product: String,
        /// ロット番号.
        #[arg(long)]
        lot: String,
    },
    /// Record a dose given now (booth, venue manager). Refused (exit 5) when the resident has
    /// this dose already, wherever it was recorded.
    Dose {
        /// The resident's 10-digit voucher number.
        voucher: String,
        /// Which dose.
        #[arg(long, default_value_t = 1)]
        dose: u8,
        /// ロット番号 of a lot open today.
        #[arg(long)]
        lot: String,
        /// 接種医師.
        #[arg(long)]
        vaccinator: String,
        /// 接種部位.
        #[arg(long, default_value = "左上腕")]
        site: String,
    },
}

#[derive(Subcommand)]
pub enum RelayCommand {
    /// Join the venue relay by the join code its QR shows (`vaxrelay:?url=…`).
    Join {
        /// The join code's text.
        code: String,
    },
    /// Sync with the venue relay now; with --every-ms, keep syncing until interrupted.
    Sync {
        /// Milliseconds between syncs (runs once without it).
        #[arg(long)]
        every_ms: Option<u64>,
    },
    /// The two lights: this kiosk reaches the relay, the relay reaches the centre.
    Lights,
    /// Enroll the venue relay on this kiosk (the venue manager's) with HQ's relay code; it
    /// lives in `relay/` beside the ledger. Then `vaxhq relay host` runs it.
    HostEnroll {
        /// The relay enrollment code (`vaxsync enrollment create --role relay --venue V01`).
        #[arg(long)]
        code: String,
        /// Its name at the centre.
        #[arg(long, default_value = "venue relay")]
        name: String,
    },
    /// Run the venue relay in this process (the app's own relay code) until interrupted, and
    /// join this kiosk to it. Prints `listening on <url>` then `join <code>`.
    Host {
        /// Address to listen on.
        #[arg(long, default_value = "0.0.0.0:8788")]
        listen: std::net::SocketAddr,
        /// The address the other kiosks reach this one at (found by itself when unset).
        #[arg(long)]
        advertise: Option<String>,
        /// The mDNS port the relay is advertised on (docs/venue-resilience.md).
        #[arg(long, default_value_t = MDNS_PORT)]
        mdns_port: u16,
        /// Do not advertise the relay by mDNS (kiosks join by its QR only).
        #[arg(long)]
        no_mdns: bool,
    },
    /// List the venue relays advertised on this LAN by mDNS (this kiosk's venue only unless
    /// --all-venues). Prints JSON: name, venue, relay id, url.
    Discover {
        /// How long to listen for answers, in milliseconds.
        #[arg(long, default_value_t = 3000)]
        wait_ms: u64,
        /// The mDNS port.
        #[arg(long, default_value_t = MDNS_PORT)]
        mdns_port: u16,
        /// List the relays of every venue.
        #[arg(long)]
        all_venues: bool,
    },
    /// Join a relay found by mDNS, by its relay id, with the pairing code the manager's
    /// screen shows (discovery is not trust: the relay's certificate must match the code).
    JoinDiscovered {
        /// The relay id `relay discover` lists.
        #[arg(long)]
        id: String,
        /// The pairing code (`3F2A-9C41-77D0-12BE`).
        #[arg(long, default_value = "")]
        pairing: String,
        /// How long to listen for the relay, in milliseconds.
        #[arg(long, default_value_t = 3000)]
        wait_ms: u64,
        /// The mDNS port.
        #[arg(long, default_value_t = MDNS_PORT)]
        mdns_port: u16,
    },
}

fn resident_id(ledger: &Ledger, voucher: &str) -> anyhow::Result<i64> {
    let number = VoucherNumber::parse(voucher.trim())
        .map_err(|e| anyhow::anyhow!("voucher {voucher:?}: {e} / {}", e.message_ja()))?;
    let rows = ledger.reader().residents_by_voucher(None, &number)?;
    match rows.as_slice() {
        [one] => Ok(one.id),
        [] => Err(anyhow::anyhow!("no resident has voucher {voucher}")),
        _ => Err(anyhow::anyhow!("several residents have voucher {voucher}")),
    }
}

fn desk_error(e: DeskError) -> anyhow::Error {
    anyhow::Error::new(Refused(format!("{e} / {}", e.message_ja())))
}

pub fn run_desk(
    ledger: &mut Ledger,
    command: &DeskCommand,
    now: DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    let enrollment = enrolled(ledger).map_err(desk_error)?;
    match command {
        DeskCommand::CheckIn { voucher } => {
            let id = resident_id(ledger, voucher)?;
            let done = check_in(ledger, &enrollment, id, now).map_err(desk_error)?;
            println!(
                "checked in {voucher} for dose {} ({})",
                done.dose_number, done.uid
            );
        }
        DeskCommand::Queue => {
            let queue = booth_queue(ledger, &enrollment, now).map_err(desk_error)?;
            let reader = ledger.reader();
            let mut rows = Vec::new();
            for entry in &queue {
                let voucher = reader
                    .resident(entry.check_in.resident_id)?
                    .resident
                    .voucher;
                rows.push(serde_json::json!({
                    "voucher": voucher.to_string(),
                    "dose_number": entry.check_in.dose_number,
                    "checked_in_at": entry.check_in.checked_in_at.to_rfc3339(),
                    "name": entry.name,
                }));
            }
            if as_json {
                println!("{}", serde_json::to_string(&rows)?);
            } else {
                for r in &rows {
                    println!(
                        "{}  {}  dose {}  {}",
                        r["checked_in_at"].as_str().unwrap_or_default(),
                        r["voucher"].as_str().unwrap_or_default(),
                        r["dose_number"],
                        r["name"].as_str().unwrap_or_default()
                    );
                }
            }
        }
        DeskCommand::OpenLot { product, lot } => {
            let opened = open_lot(ledger, &enrollment, product, lot, now).map_err(desk_error)?;
            println!("lot {} open ({})", opened.lot_number, opened.product_code);
        }
        DeskCommand::Dose {
            voucher,
            dose,
            lot,
            vaccinator,
            site,
        } => {
            let id = resident_id(ledger, voucher)?;
            let lot_id = open_lots(ledger, &enrollment, now.date_naive())
                .map_err(desk_error)?
                .into_iter()
                .find(|l| l.lot_number.eq_ignore_ascii_case(lot))
                .map(|l| l.id)
                .ok_or_else(|| desk_error(DeskError::LotNotOpen))?;
            let request = RecordDose {
                resident_id: id,
                dose_number: *dose,
                lot_id,
                vaccinator: vaccinator.clone(),
                injection_site: site.clone(),
                override_: None,
            };
            let done = record_dose(ledger, &enrollment, &request, now).map_err(desk_error)?;
            println!("dose {dose} recorded for {voucher} ({})", done.uid);
        }
    }
    Ok(0)
}

fn relay_error(e: RelayAppError) -> anyhow::Error {
    anyhow::anyhow!("{e} / {}", e.message_ja())
}

fn discovery_error(e: DiscoveryError) -> anyhow::Error {
    anyhow::anyhow!("{e} / {}", e.message_ja())
}

fn host_error(e: RelayHostError) -> anyhow::Error {
    anyhow::anyhow!("{e} / {}", e.message_ja())
}

/// `relay_dir`: the folder of the relay this kiosk may run (beside the ledger).
pub fn run_relay(
    ledger: &mut Ledger,
    relay_dir: &std::path::Path,
    command: &RelayCommand,
    now: impl Fn() -> DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    match command {
        RelayCommand::Join { code } => {
            let joined = join_relay(ledger, code).map_err(relay_error)?;
            println!(
                "joined the venue relay {} at {}",
                joined.relay_id, joined.url
            );
        }
        RelayCommand::Sync { every_ms } => loop {
            match sync_with_relay(&mut *ledger, now()) {
                Ok(run) if as_json => println!("{}", serde_json::to_string(&run)?),
                Ok(run) => println!(
                    "synced with the relay: {} ops sent, {} received; relay reaches the centre: {}",
                    run.sent_ops, run.received_ops, run.relay_reaches_centre
                ),
                Err(e) if every_ms.is_some() => {
                    eprintln!("relay sync failed: {e} / {}", e.message_ja())
                }
                Err(e) => return Err(relay_error(e)),
            }
            match every_ms {
                Some(ms) => std::thread::sleep(Duration::from_millis(*ms)),
                None => break,
            }
        },
        RelayCommand::Lights => {
            let lights = relay_lights(ledger, now()).map_err(relay_error)?;
            println!("{}", serde_json::to_string_pretty(&lights)?);
        }
        RelayCommand::Discover {
            wait_ms,
            mdns_port,
            all_venues,
        } => {
            let venue = enrolled(ledger).ok().map(|e| e.venue_code);
            let venue = venue.as_deref().filter(|_| !*all_venues);
            let found = discover(*mdns_port, Duration::from_millis(*wait_ms), venue)
                .map_err(discovery_error)?;
            println!("{}", serde_json::to_string_pretty(&found)?);
        }
        RelayCommand::JoinDiscovered {
            id,
            pairing,
            wait_ms,
            mdns_port,
        } => {
            let found = discover(*mdns_port, Duration::from_millis(*wait_ms), None)
                .map_err(discovery_error)?;
            let Some(relay) = found.iter().find(|r| r.relay_id == id.trim()) else {
                anyhow::bail!(
                    "no relay {id} answered on this LAN / 中継機 {id} がこのネットワークに見つかりません"
                );
            };
            let code = join_discovered(ledger, relay, pairing).map_err(discovery_error)?;
            println!("joined the venue relay at {}", code.url);
        }
        RelayCommand::HostEnroll { code, name } => {
            let host = RelayHost::new(relay_dir.to_owned());
            let status = enroll_relay_host(&host, ledger, code, name).map_err(host_error)?;
            println!(
                "venue relay {:?} enrolled for {} in {}",
                status.name.unwrap_or_default(),
                status.venue.unwrap_or_default(),
                relay_dir.display()
            );
        }
        RelayCommand::Host {
            listen,
            advertise,
            mdns_port,
            no_mdns,
        } => {
            let mut host = RelayHost::new(relay_dir.to_owned());
            let settings = RelayHostSettings {
                listen: *listen,
                advertise: advertise.clone(),
                mdns_port: (!*no_mdns).then_some(*mdns_port),
            };
            let status = start_relay_host(&mut host, ledger, &settings).map_err(host_error)?;
            {
                use std::io::Write as _;
                let mut out = std::io::stdout().lock();
                writeln!(out, "listening on {}", status.url.unwrap_or_default())?;
                writeln!(out, "join {}", status.join_code.unwrap_or_default())?;
                writeln!(out, "pairing {}", status.pairing_code.unwrap_or_default())?;
                writeln!(
                    out,
                    "mdns {}",
                    if status.advertised {
                        "advertised"
                    } else {
                        "off"
                    }
                )?;
                out.flush()?;
            }
            // Serves on its own threads until the process is interrupted.
            loop {
                std::thread::park();
            }
        }
    }
    Ok(0)
}
