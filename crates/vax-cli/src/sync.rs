//! `vaxhq sync …`: enroll this ledger with the sync server, sync, status and alerts.

use std::path::{Path, PathBuf};
use std::time::Duration;
use vax_domain::error::UserFacing;

use chrono::{DateTime, FixedOffset};
use clap::{Args, Subcommand};
use vax_app::sync::{self as app_sync, SyncAppError};
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::Ledger;

use crate::exit;

#[derive(Subcommand)]
pub enum SyncCommand {
    /// Exchange a one-time enrollment code for this ledger's identity. HQ then publishes what
    /// its ledger already holds (a city imported or loaded before enrollment).
    Enroll(EnrollArgs),
    /// Sync with the server now; with --every, keep syncing until interrupted.
    Run {
        /// Seconds between syncs (runs once without it).
        #[arg(long)]
        every: Option<u64>,
    },
    /// Last sync, ops waiting, alerts.
    Status,
    /// Conflicts for HQ to resolve, with the records side by side (from this ledger's merged
    /// state: works offline).
    Alerts,
    /// HQ: create a one-time enrollment code for a new device.
    Code(CodeArgs),
    /// HQ: make the snapshot of everything this ledger holds (its municipalities) and file it
    /// with the server, replacing the one before: a new device of that scope then takes it
    /// in one download instead of op by op. Run it after publishing, and again nightly.
    Snapshot,
    /// What this ledger trusts when it talks to the server: the city's private CA (pinned:
    /// the public roots are then not used) and whether plain HTTP off this machine is
    /// allowed. Without options, shows the current policy.
    Trust(TrustArgs),
    /// Resolve a duplicate dose: void the record with this uid (shown by `alerts`), with a reason.
    VoidDose {
        /// The record's uid (`<replica>#<counter>`).
        uid: String,
        /// Why (kept with the record and sent to VRS as the correction reason).
        #[arg(long)]
        reason: String,
    },
    /// Resolve concurrent rebookings: keep the booking written by this uid (shown by `alerts`).
    ChooseBooking {
        /// The booking value's uid (`<replica>#<counter>`).
        uid: String,
        /// The resident's 10-digit voucher number.
        #[arg(long)]
        voucher: String,
        /// Which dose.
        #[arg(long, default_value_t = 1)]
        dose: u8,
    },
}

#[derive(Args)]
pub struct EnrollArgs {
    /// The server, e.g. https://sync.city.example:8787
    #[arg(long)]
    server: String,
    /// The code HQ gave (ABCD-EFGH-JKMN).
    #[arg(long)]
    code: String,
    /// A name for this device, shown to HQ.
    #[arg(long, default_value = "vaxhq")]
    name: String,
    /// The campaign's municipality code.
    #[arg(long, default_value = vax_demo::MUNICIPALITY)]
    municipality: String,
    /// The city's private CA (PEM file) that signed the server's certificate; pinned.
    #[arg(long)]
    ca: Option<PathBuf>,
}

#[derive(Args)]
pub struct TrustArgs {
    /// Pin this CA (PEM file): the server's certificate must be signed by it.
    #[arg(long, conflicts_with = "public_roots")]
    ca: Option<PathBuf>,
    /// Forget the pinned CA and trust the public web roots again.
    #[arg(long)]
    public_roots: bool,
    /// HQ's decision: allow plain http:// to a server that is not on this machine.
    #[arg(long, conflicts_with = "refuse_plain_http")]
    allow_plain_http: bool,
    /// Refuse plain http:// off this machine again (the default).
    #[arg(long)]
    refuse_plain_http: bool,
}

#[derive(Args)]
pub struct CodeArgs {
    /// reception, booth, venue_manager, headquarters or call_centre.
    #[arg(long, value_parser = crate::parse_role)]
    role: Role,
    /// The venue, for reception, booth and venue manager.
    #[arg(long)]
    venue: Option<String>,
    /// A municipality (6-digit code) the new device will hold, for a partial replica of a
    /// prefecture's ledger; repeat for several. Without it: this HQ's own scope (the whole
    /// ledger for the prefecture's HQ).
    #[arg(long = "municipality", value_parser = parse_municipality)]
    municipalities: Vec<MunicipalityCode>,
    /// Hours the code stays valid.
    #[arg(long, default_value_t = 24)]
    expires_in_hours: u32,
}

fn parse_municipality(code: &str) -> Result<MunicipalityCode, String> {
    MunicipalityCode::parse(code).map_err(|e| format!("{e} / {}", e.message_ja()))
}

pub fn run(
    ledger: &mut Ledger,
    command: &SyncCommand,
    now: impl Fn() -> DateTime<FixedOffset>,
    as_json: bool,
) -> anyhow::Result<u8> {
    match command {
        SyncCommand::Enroll(args) => {
            let ca = args.ca.as_deref().map(read_pem).transpose()?;
            let enrolled = app_sync::enroll_device_trusting(
                ledger,
                &args.server,
                &args.code,
                &args.name,
                &args.municipality,
                ca.as_deref(),
                now(),
            )
            .map_err(explain)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&enrolled)?);
            } else {
                println!(
                    "enrolled as {:?} replica {}{}; {} ops published",
                    enrolled.role,
                    enrolled.replica_id,
                    enrolled
                        .venue
                        .map(|v| format!(" at {v}"))
                        .unwrap_or_default(),
                    enrolled.published_ops
                );
            }
        }
        SyncCommand::Run { every } => loop {
            match app_sync::sync_now(&mut *ledger, now()) {
                Ok(run) => {
                    if as_json {
                        println!("{}", serde_json::to_string(&run)?);
                    } else {
                        if run.snapshot_ops > 0 {
                            println!("took HQ's snapshot: {} ops", run.snapshot_ops);
                        }
                        if let Some(why) = &run.snapshot_refused {
                            println!("HQ's snapshot not taken ({why}); synced op by op");
                        }
                        println!(
                            "synced: {} ops sent, {} received in {} round trips; {} alerts",
                            run.sent_ops, run.received_ops, run.round_trips, run.alerts
                        );
                    }
                }
                Err(e) if every.is_some() => eprintln!("sync failed: {e} / {}", e.message_ja()),
                Err(e) => return Err(explain(e)),
            }
            match every {
                Some(seconds) => std::thread::sleep(Duration::from_secs(*seconds)),
                None => break,
            }
        },
        SyncCommand::Snapshot => {
            let published = app_sync::publish_snapshot(ledger, now()).map_err(explain)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&published)?);
            } else {
                let scope = if published.scope.is_empty() {
                    "the whole ledger".to_owned()
                } else {
                    published.scope.join(" ")
                };
                println!(
                    "snapshot of {scope} filed with the server: {} ops, {:.1} MB",
                    published.ops,
                    published.bytes as f64 / 1e6
                );
            }
        }
        SyncCommand::Status => {
            let status = app_sync::sync_status(ledger, now()).map_err(explain)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&status)?);
            } else if !status.configured {
                println!("not enrolled with a sync server");
            } else {
                println!("server        {}", status.server_url.unwrap_or_default());
                println!("replica       {}", status.replica_id.unwrap_or_default());
                println!(
                    "last success  {}",
                    status.last_success_at.as_deref().unwrap_or("never")
                );
                if let Some(e) = &status.last_error {
                    println!("last error    {e}");
                }
                println!(
                    "ops waiting   {} ({:?})",
                    status.ops_waiting, status.freshness
                );
                println!("ops held      {}", status.ops_held);
                println!("not yet rows  {}", status.unprojected);
                println!("alerts        {}", status.alerts);
            }
        }
        SyncCommand::Alerts => {
            let alerts = app_sync::alerts(ledger).map_err(explain)?;
            if as_json {
                println!("{}", serde_json::to_string_pretty(&alerts)?);
            } else if alerts.is_empty() {
                println!("no open alerts");
            } else {
                for alert in alerts.iter().map(app_sync::describe) {
                    println!(
                        "{}{}",
                        alert.summary,
                        alert
                            .resident
                            .map(|r| format!(" · {r}"))
                            .unwrap_or_default()
                    );
                    for (line, uid) in alert.records.iter().zip(&alert.record_ids) {
                        println!("  {uid}  {line}");
                    }
                }
            }
            if !alerts.is_empty() {
                return Ok(exit::REJECTED);
            }
        }
        SyncCommand::VoidDose { uid, reason } => {
            app_sync::void_dose_record(ledger, uid, reason, now()).map_err(explain)?;
            println!("voided {uid}; the void reaches every replica with the next sync");
        }
        SyncCommand::ChooseBooking { uid, voucher, dose } => {
            app_sync::choose_booking(ledger, voucher, *dose, uid).map_err(explain)?;
            println!("kept {uid}; the choice reaches every replica with the next sync");
        }
        SyncCommand::Trust(args) => {
            if let Some(path) = &args.ca {
                app_sync::set_private_ca(ledger, Some(&read_pem(path)?)).map_err(explain)?;
            } else if args.public_roots {
                app_sync::set_private_ca(ledger, None).map_err(explain)?;
            }
            if args.allow_plain_http || args.refuse_plain_http {
                app_sync::set_plain_http_allowed(ledger, args.allow_plain_http).map_err(explain)?;
            }
            let policy = app_sync::trust_policy(ledger).map_err(explain)?;
            let ca = if policy.ca_pem().is_some() {
                "the city's private CA (pinned; public roots not used)"
            } else {
                "the public web roots"
            };
            let plain = if policy.allows_plain_http() {
                "allowed by HQ"
            } else {
                "refused off this machine"
            };
            println!("trusts       {ca}\nplain http   {plain}");
        }
        SyncCommand::Code(args) => {
            let code = app_sync::create_enrollment_code(
                ledger,
                args.role,
                args.venue.as_deref(),
                &args.municipalities,
                args.expires_in_hours,
            )
            .map_err(explain)?;
            println!("{code}");
        }
    }
    Ok(0)
}

fn read_pem(path: &Path) -> anyhow::Result<String> {
    std::fs::read_to_string(path)
        .map_err(|e| anyhow::anyhow!("reading the CA certificate {}: {e}", path.display()))
}

fn explain(e: SyncAppError) -> anyhow::Error {
    let ja = e.message_ja();
    anyhow::Error::new(e).context(ja)
}
