//! `vaxsync`: run the sync server and administer its database.

use std::io::Write;
use std::net::{SocketAddr, TcpListener};
use std::path::PathBuf;

use anyhow::{Context, Result};
use clap::{Parser, Subcommand};
use vax_domain::clock::{Clock, SystemClock};
use vax_domain::error::UserFacing;
use vax_domain::voucher::MunicipalityCode;
use vax_sync::{Alert, Role, VenueCode};
use vax_sync_server::at_rest::{encrypt_store, read_key_file, rekey_store, Encrypted, Rekeyed};
use vax_sync_server::core::{create_scoped_enrollment_code, Core, DEFAULT_CODE_HOURS};
use vax_sync_server::relay;
use vax_sync_server::serve::{serve, shutdown_signal, tls_config};
use vax_sync_server::sqlite::{parse_role, role_name};
use vax_sync_server::{
    open_store_keyed, redacted_location, AppState, Limits, ServerStore, StoreError, StoreKey,
};

#[derive(Parser)]
#[command(name = "vaxsync", version, about = "vaxledger sync server")]
struct Cli {
    #[command(subcommand)]
    command: Command,
}

/// The store every database command opens.
#[derive(clap::Args)]
struct StoreArgs {
    /// The database: a SQLite file (created if missing) or a postgres:// URL.
    #[arg(long, env = "VAXSYNC_DB")]
    db: PathBuf,
    /// The key file of a SQLite store encrypted at rest (`vaxsync store encrypt`); e.g. a
    /// systemd credential. Never needed for a plain store.
    #[arg(long, env = "VAXSYNC_KEY_FILE")]
    key_file: Option<PathBuf>,
}

impl StoreArgs {
    fn key(&self) -> Result<Option<StoreKey>> {
        Ok(match &self.key_file {
            Some(path) => Some(read_key_file(path).map_err(StoreError::from)?),
            None => None,
        })
    }

    fn open(&self) -> Result<Box<dyn ServerStore>> {
        open_store_keyed(&self.db, self.key()?.as_ref())
            .with_context(|| format!("opening {}", redacted_location(&self.db)))
    }
}

#[derive(Subcommand)]
enum Command {
    /// Serve the sync API. Prints `listening on <url>` as its first line.
    Serve {
        #[command(flatten)]
        store: StoreArgs,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "127.0.0.1:8787")]
        listen: SocketAddr,
        /// PEM certificate chain: serve HTTPS (with --tls-key).
        #[arg(long, requires = "tls_key")]
        tls_cert: Option<PathBuf>,
        /// PEM private key for --tls-cert.
        #[arg(long, requires = "tls_cert")]
        tls_key: Option<PathBuf>,
        /// Sync requests a device may make back to back before --rate-per-second applies.
        #[arg(long, default_value_t = Limits::default().burst)]
        rate_burst: u32,
        /// Sync requests per second a device may sustain (429 RATE_LIMITED beyond).
        #[arg(long, default_value_t = Limits::default().per_second)]
        rate_per_second: f64,
        /// Longest a request may take, its upload included (503 REQUEST_TIMEOUT beyond).
        #[arg(long, default_value_t = Limits::default().request_timeout.as_secs())]
        request_timeout_seconds: u64,
        /// Ops a device may send at once before --ops-per-second applies (a day's backlog of
        /// the busiest desk; HQ devices are not limited).
        #[arg(long, default_value_t = Limits::default().ops_burst)]
        ops_burst: u32,
        /// Ops per second a device may sustain (429 OPS_BUDGET_EXCEEDED beyond).
        #[arg(long, default_value_t = Limits::default().ops_per_second)]
        ops_per_second: f64,
        /// Ops of any one device per pull reply (HQ's not counted; 0: no bound): a device's
        /// burst of ops reaches the others a page at a time, between their own exchanges.
        #[arg(long, default_value_t = Limits::default().paced_ops_per_author)]
        paced_ops_per_author: usize,
        /// Online lookups of residents (a walk-in from another municipality) a device may make
        /// back to back before --lookups-per-hour applies.
        #[arg(long, default_value_t = Limits::default().lookup_burst)]
        lookup_burst: u32,
        /// Online lookups of residents per hour a device may sustain (429 RATE_LIMITED beyond).
        #[arg(long, default_value_t = Limits::default().lookups_per_hour)]
        lookups_per_hour: f64,
    },
    /// Enrollment codes.
    Enrollment {
        #[command(subcommand)]
        command: EnrollmentCommand,
    },
    /// List or revoke enrolled devices.
    Devices {
        #[command(subcommand)]
        command: DevicesCommand,
    },
    Alerts {
        #[command(flatten)]
        store: StoreArgs,
        /// Print JSON instead of text.
        #[arg(long)]
        json: bool,
    },
    /// The venue relay: this server at one venue, on its LAN (docs/venue-resilience.md).
    Relay {
        #[command(subcommand)]
        command: RelayCommand,
    },
    /// Encryption at rest of the SQLite store (docs/encryption.md).
    Store {
        #[command(subcommand)]
        command: StoreCommand,
    },
    /// Ops, devices and the frontier per author.
    Status {
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum StoreCommand {
    /// Encrypts the SQLite store in place under the key in --key-file, made (256 random
    /// bits, owner-only) when the file does not exist; a missing store is created encrypted.
    /// Run it with the server stopped. A run cut short is finished by the next one.
    Encrypt {
        /// The SQLite store.
        #[arg(long, env = "VAXSYNC_DB")]
        db: PathBuf,
        /// The key file to make (or whose key to use).
        #[arg(long, env = "VAXSYNC_KEY_FILE")]
        key_file: PathBuf,
    },
    /// Replaces the key of the encrypted SQLite store (a stolen or leaked key file): the store
    /// is rewritten under the key in --new-key-file, made (256 random bits, owner-only) when
    /// no file is there. Run it with the server stopped. A run cut short is finished by the
    /// same command; until then the store is served under neither key.
    Rekey {
        #[command(flatten)]
        keys: RekeyArgs,
        /// The SQLite store.
        #[arg(long, env = "VAXSYNC_DB")]
        db: PathBuf,
    },
}

/// The two key files of a change of key.
#[derive(clap::Args)]
struct RekeyArgs {
    /// The key file the store is encrypted under now.
    #[arg(long, env = "VAXSYNC_KEY_FILE")]
    key_file: PathBuf,
    /// The new key file: made when no file is there (a file there is taken only when a change
    /// cut short made it).
    #[arg(long)]
    new_key_file: PathBuf,
}

#[derive(Subcommand)]
enum RelayCommand {
    /// Enroll this relay at the central server with a code HQ made for role `relay` and the
    /// venue (`vaxsync enrollment create --role relay --venue V`).
    Enroll {
        /// The relay's directory (its identity, log, registry and certificate).
        #[arg(long, env = "VAXRELAY_DIR")]
        dir: PathBuf,
        /// The central server, e.g. https://sync.city.example:8787
        #[arg(long)]
        centre: String,
        /// The one-time code.
        #[arg(long)]
        code: String,
        /// A name shown to HQ.
        #[arg(long, default_value = "venue relay")]
        name: String,
        /// The city's private CA (PEM file) that signed the centre's certificate: pinned (the
        /// public web roots are then not used) and kept in the directory for `relay serve`.
        #[arg(long)]
        ca: Option<PathBuf>,
        /// Allow plain http:// to a centre that is not on this machine (HQ's decision, for a
        /// closed network without TLS yet); kept in the directory for `relay serve`.
        #[arg(long)]
        allow_plain_http: bool,
    },
    /// Serve the venue's kiosks on the LAN and sync with the centre whenever it answers.
    /// Prints `listening on <url>` then `join <code>` (the text of the QR kiosks scan).
    Serve {
        /// The relay's directory.
        #[arg(long, env = "VAXRELAY_DIR")]
        dir: PathBuf,
        /// Address to listen on (port 0 picks a free port).
        #[arg(long, default_value = "0.0.0.0:8788")]
        listen: SocketAddr,
        /// The address kiosks reach the relay at (an IP or a host name), put in the
        /// certificate and the join code. Defaults to the listen address.
        #[arg(long)]
        advertise: Option<String>,
        /// Seconds between syncs with the centre.
        #[arg(long, default_value_t = 5)]
        every: u64,
        /// Serve plain HTTP (loopback tests only; refused on another address).
        #[arg(long)]
        plain_http: bool,
        /// For this run, pin this CA (PEM file) for the centre instead of the one kept at
        /// enrollment (a city that renewed its CA).
        #[arg(long)]
        ca: Option<PathBuf>,
        /// For this run, allow plain http:// to a centre that is not on this machine.
        #[arg(long)]
        allow_plain_http: bool,
        /// The key file of the relay's log when it is encrypted at rest (`vaxsync relay
        /// encrypt`). Never needed for a plain log.
        #[arg(long, env = "VAXSYNC_KEY_FILE")]
        key_file: Option<PathBuf>,
    },
    /// Encrypts the relay's log (the venue's ops) in place under the key in --key-file, as
    /// `vaxsync store encrypt` does the server's store. Run it with the relay stopped.
    Encrypt {
        /// The relay's directory (enrolled).
        #[arg(long, env = "VAXRELAY_DIR")]
        dir: PathBuf,
        /// The key file to make (or whose key to use).
        #[arg(long, env = "VAXSYNC_KEY_FILE")]
        key_file: PathBuf,
    },
    /// Replaces the key of the relay's encrypted log, as `vaxsync store rekey` does the
    /// server's store. Run it with the relay stopped.
    Rekey {
        /// The relay's directory.
        #[arg(long, env = "VAXRELAY_DIR")]
        dir: PathBuf,
        #[command(flatten)]
        keys: RekeyArgs,
    },
}

#[derive(Subcommand)]
enum DevicesCommand {
    /// Lists the enrolled devices, revoked ones marked.
    List {
        #[command(flatten)]
        store: StoreArgs,
    },
    /// Revokes a device (a lost laptop): its token and its new ops are refused at once, by a
    /// running server too (it reads the revocation from the database on every request).
    Revoke {
        /// The device's replica id (from `vaxsync devices list`).
        replica: String,
        #[command(flatten)]
        store: StoreArgs,
    },
}

#[derive(Subcommand)]
enum EnrollmentCommand {
    /// Create a one-time enrollment code (bootstraps the first HQ device).
    Create {
        #[command(flatten)]
        store: StoreArgs,
        /// reception, booth, venue_manager, call_centre, hq or relay.
        #[arg(long, value_parser = parse_role_arg)]
        role: Role,
        /// The venue code, for reception, booth and venue_manager.
        #[arg(long)]
        venue: Option<String>,
        /// Hours until the code expires.
        #[arg(long, default_value_t = DEFAULT_CODE_HOURS)]
        expires_in_hours: u32,
        /// A municipality code (6 digits, 市町村コード) whose residents the device holds; repeat
        /// for several. None: the whole ledger (docs/sync-spec.md §7b, partial replicas).
        #[arg(long = "municipality", value_parser = parse_municipality_arg)]
        scope: Vec<MunicipalityCode>,
    },
}

fn parse_municipality_arg(s: &str) -> Result<MunicipalityCode, String> {
    MunicipalityCode::parse(s).map_err(|e| e.to_string())
}

fn parse_role_arg(s: &str) -> Result<Role, String> {
    parse_role(s).ok_or_else(|| {
        "expected reception, booth, venue_manager, call_centre, hq or relay".to_owned()
    })
}

fn main() -> std::process::ExitCode {
    match run() {
        Ok(()) => std::process::ExitCode::SUCCESS,
        Err(err) => {
            // A refused store or key: both languages and the stable code, and vaxhq's exit
            // status (4 wrong key, 5 refused as it is).
            let refused =
                err.chain()
                    .find_map(|cause| match (cause.downcast_ref(), cause.downcast_ref()) {
                        (Some(StoreError::Key(e)), _)
                        | (_, Some(relay::RelayError::Store(StoreError::Key(e)))) => Some(e),
                        _ => None,
                    });
            match refused {
                Some(e) => {
                    eprintln!(
                        "error [{}]: {err:#}\nエラー: {}",
                        e.code().as_str(),
                        e.message_ja()
                    );
                    std::process::ExitCode::from(e.exit_status())
                }
                None => {
                    eprintln!("Error: {err:?}");
                    std::process::ExitCode::FAILURE
                }
            }
        }
    }
}

fn run() -> Result<()> {
    tracing_subscriber::fmt()
        .with_env_filter(
            tracing_subscriber::EnvFilter::try_from_default_env()
                .unwrap_or_else(|_| {
                    tracing_subscriber::EnvFilter::new("info,rusqlite_migration=warn")
                })
                // The PostgreSQL driver logs query parameters (op bodies: residents' names and
                // phones) at debug: never below info, whatever RUST_LOG asks (APPI).
                .add_directive("tokio_postgres=info".parse()?),
        )
        .with_writer(std::io::stderr)
        .init();
    let cli = Cli::parse();
    match cli.command {
        Command::Serve {
            store,
            listen,
            tls_cert,
            tls_key,
            rate_burst,
            rate_per_second,
            request_timeout_seconds,
            ops_burst,
            ops_per_second,
            paced_ops_per_author,
            lookup_burst,
            lookups_per_hour,
        } => {
            let limits = Limits {
                burst: rate_burst,
                per_second: rate_per_second,
                request_timeout: std::time::Duration::from_secs(request_timeout_seconds.max(1)),
                ops_burst,
                ops_per_second,
                paced_ops_per_author,
                lookup_burst,
                lookups_per_hour,
            };
            run_server(&store, listen, tls_cert.zip(tls_key), limits)
        }
        Command::Enrollment {
            command:
                EnrollmentCommand::Create {
                    store,
                    role,
                    venue,
                    expires_in_hours,
                    scope,
                },
        } => {
            let mut store = store.open()?;
            let (code, expires_at) = create_scoped_enrollment_code(
                &mut *store,
                role,
                venue.map(VenueCode::new),
                scope,
                expires_in_hours,
                SystemClock.now_utc(),
            )
            .map_err(|e| anyhow::anyhow!("{}", e.body.message))?;
            println!("{code}");
            eprintln!(
                "one-time code for a {} device, expires {}",
                role_name(role),
                expires_at.to_rfc3339_opts(chrono::SecondsFormat::Secs, true)
            );
            Ok(())
        }
        Command::Devices {
            command: DevicesCommand::List { store },
        } => {
            let store = store.open()?;
            let mut out = std::io::stdout().lock();
            writeln!(
                out,
                "{:<36}  {:<13}  {:<6}  {:<20}  {:<20}  name",
                "replica", "role", "venue", "enrolled", "revoked"
            )?;
            for record in store.devices()? {
                let d = record.device;
                writeln!(
                    out,
                    "{:<36}  {:<13}  {:<6}  {:<20}  {:<20}  {}",
                    d.replica_id,
                    role_name(d.role),
                    d.venue.as_ref().map(|v| v.0.as_str()).unwrap_or("-"),
                    d.enrolled_at.format("%Y-%m-%d %H:%M:%S"),
                    d.revoked_at
                        .map(|t| t.format("%Y-%m-%d %H:%M:%S").to_string())
                        .unwrap_or_else(|| "-".into()),
                    d.name
                )?;
            }
            Ok(())
        }
        Command::Devices {
            command: DevicesCommand::Revoke { replica, store },
        } => {
            let replica = uuid::Uuid::parse_str(&replica)
                .map(vax_sync::ReplicaId)
                .with_context(|| format!("{replica:?} is not a replica id"))?;
            let mut core = Core::open(store.open()?)?;
            let revoked = core
                .revoke(replica)
                .map_err(|e| anyhow::anyhow!("{}", e.body.message))?;
            println!(
                "revoked {} ({}) at {}",
                revoked.replica_id,
                revoked.name,
                revoked.revoked_at.unwrap_or_default()
            );
            Ok(())
        }
        Command::Alerts { store, json } => {
            let core = Core::open(store.open()?)?;
            let alerts = core.alerts();
            let mut out = std::io::stdout().lock();
            if json {
                serde_json::to_writer_pretty(&mut out, &alerts)?;
                writeln!(out)?;
            } else if alerts.is_empty() {
                writeln!(out, "no open alerts")?;
            } else {
                for alert in &alerts {
                    write!(out, "{}", render_alert(alert))?;
                }
            }
            Ok(())
        }
        Command::Relay {
            command:
                RelayCommand::Enroll {
                    dir,
                    centre,
                    code,
                    name,
                    ca,
                    allow_plain_http,
                },
        } => {
            let policy = centre_trust(ca.as_deref(), vax_sync_client::TrustPolicy::default())?
                .allowing_plain_http(allow_plain_http);
            let identity = relay::enroll_trusting(&dir, &policy, &centre, &code, &name)
                .with_context(|| format!("enrolling the relay at {centre}"))?;
            println!(
                "enrolled relay {} for venue {} at {}",
                identity.relay_id, identity.venue.0, identity.centre_url
            );
            Ok(())
        }
        Command::Relay {
            command:
                RelayCommand::Serve {
                    dir,
                    listen,
                    advertise,
                    every,
                    plain_http,
                    ca,
                    allow_plain_http,
                    key_file,
                },
        } => {
            let key = match &key_file {
                Some(path) => Some(read_key_file(path).map_err(StoreError::from)?),
                None => None,
            };
            let kept = relay::trust_policy(&dir)?;
            let allowed = allow_plain_http || kept.allows_plain_http();
            let policy = centre_trust(ca.as_deref(), kept)?.allowing_plain_http(allowed);
            let options = relay::RelayOptions {
                listen,
                advertise,
                every: std::time::Duration::from_secs(every),
                plain_http,
                key,
            };
            run_relay(&dir, &options, &policy)
        }
        Command::Store {
            command: StoreCommand::Encrypt { db, key_file },
        } => encrypt(&db, &key_file),
        Command::Store {
            command: StoreCommand::Rekey { db, keys },
        } => rekey(&db, &keys),
        Command::Relay {
            command: RelayCommand::Encrypt { dir, key_file },
        } => {
            // An enrolled relay's only: a mistyped directory gets no new log.
            relay::enrolled(&dir).with_context(|| format!("opening {}", dir.display()))?;
            encrypt(&relay::log_path(&dir), &key_file)?;
            // Its token and TLS key under the same key (the key now opens the log).
            let key = read_key_file(&key_file).map_err(StoreError::from)?;
            relay::seal_secrets(&dir, &key, None)
                .with_context(|| format!("sealing the secrets of {}", dir.display()))?;
            println!("sealed: the relay's token and TLS key in {}", dir.display());
            Ok(())
        }
        Command::Relay {
            command: RelayCommand::Rekey { dir, keys },
        } => {
            relay::enrolled(&dir).with_context(|| format!("opening {}", dir.display()))?;
            rekey(&relay::log_path(&dir), &keys)?;
            // Its token and TLS key sealed again under the new key (a run cut short between
            // the log and them is finished by the same command).
            let old = read_key_file(&keys.key_file).map_err(StoreError::from)?;
            let new = read_key_file(&keys.new_key_file).map_err(StoreError::from)?;
            relay::seal_secrets(&dir, &new, Some(&old))
                .with_context(|| format!("sealing the secrets of {}", dir.display()))?;
            println!("sealed: the relay's token and TLS key in {}", dir.display());
            Ok(())
        }
        Command::Status { store } => {
            let store = store.open()?;
            println!("server replica  {}", store.server_replica_id()?);
            println!("ops             {}", store.op_count()?);
            println!("devices         {}", store.devices()?.len());
            for (author, counter) in store.seen()?.dots {
                println!("  {author}  {counter}");
            }
            Ok(())
        }
    }
}

/// `vaxsync store encrypt` (and `relay encrypt`, on the relay's log).
fn encrypt(db: &std::path::Path, key_file: &std::path::Path) -> Result<()> {
    let done =
        encrypt_store(db, key_file).with_context(|| format!("encrypting {}", db.display()))?;
    let what = match done {
        Encrypted::Now => "encrypted",
        Encrypted::Already => "already encrypted",
    };
    print_keyed(what, db, key_file)
}

/// `vaxsync store rekey` (and `relay rekey`, on the relay's log).
fn rekey(db: &std::path::Path, keys: &RekeyArgs) -> Result<()> {
    let done = rekey_store(db, &keys.key_file, &keys.new_key_file)
        .with_context(|| format!("changing the key of {}", db.display()))?;
    let what = match done {
        Rekeyed::Now => "rekeyed",
        Rekeyed::Already => "already rekeyed",
    };
    print_keyed(what, db, &keys.new_key_file)
}

/// What a store holds once encrypted or rekeyed, opened with the key in `key_file`.
fn print_keyed(what: &str, db: &std::path::Path, key_file: &std::path::Path) -> Result<()> {
    let key = read_key_file(key_file).map_err(StoreError::from)?;
    let store = open_store_keyed(db, Some(&key))?;
    println!(
        "{what}: {} ({} ops, {} devices) under the key in {}",
        db.display(),
        store.op_count()?,
        store.devices()?.len(),
        key_file.display()
    );
    Ok(())
}

fn run_server(
    store: &StoreArgs,
    listen: SocketAddr,
    tls: Option<(PathBuf, PathBuf)>,
    limits: Limits,
) -> Result<()> {
    let tls = match &tls {
        Some((cert, key)) => Some(tls_config(cert, key)?),
        None => None,
    };
    let db = &store.db;
    let state: AppState = vax_sync_server::open_state_keyed(db, store.key()?.as_ref(), limits)
        .with_context(|| format!("opening {}", redacted_location(db)))?;
    let listener = TcpListener::bind(listen).with_context(|| format!("binding {listen}"))?;
    let addr = listener.local_addr()?;
    let scheme = if tls.is_some() { "https" } else { "http" };
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {scheme}://{addr}")?;
        out.flush()?;
    }
    if tls.is_none() {
        if addr.ip().is_loopback() {
            tracing::info!("serving plain HTTP on loopback (development); use --tls-cert/--tls-key in production");
        } else {
            tracing::warn!("serving plain HTTP on a non-loopback address: tokens travel in clear; use --tls-cert/--tls-key");
        }
    }
    tracing::info!(server = %state.server_id(), db = %redacted_location(db), encrypted = store.key_file.is_some(), %addr, "sync server started");
    let runtime = tokio::runtime::Builder::new_multi_thread()
        .enable_all()
        .build()?;
    runtime.block_on(serve(listener, state, tls, shutdown_signal()))?;
    tracing::info!("stopped");
    Ok(())
}

/// `policy` with the CA in the PEM file `ca` pinned instead, when one is given.
fn centre_trust(
    ca: Option<&std::path::Path>,
    policy: vax_sync_client::TrustPolicy,
) -> Result<vax_sync_client::TrustPolicy> {
    let Some(path) = ca else {
        return Ok(policy);
    };
    let pem = std::fs::read_to_string(path)
        .with_context(|| format!("reading the CA certificate {}", path.display()))?;
    Ok(vax_sync_client::TrustPolicy::with_private_ca(&pem)
        .with_context(|| format!("{} is not a CA certificate", path.display()))?
        .allowing_plain_http(policy.allows_plain_http()))
}

fn run_relay(
    dir: &std::path::Path,
    options: &relay::RelayOptions,
    policy: &vax_sync_client::TrustPolicy,
) -> Result<()> {
    // The token sealed under the log's key is opened with it (refused without it, or with
    // another, as the log is).
    let identity = relay::identity_keyed(dir, options.key.as_ref())
        .with_context(|| format!("opening {}", dir.display()))?;
    // Under the relay's trust policy: a plain-HTTP centre off this machine is refused here,
    // before the relay serves anything, and the pinned CA is the only one trusted.
    let centre = relay::centre_client(&identity, policy)
        .context("the relay's link to the centre")?
        .with_timeouts(
            std::time::Duration::from_secs(5),
            std::time::Duration::from_secs(60),
        );
    let running = relay::start(dir, options, centre)
        .with_context(|| format!("starting {}", dir.display()))?;
    {
        let mut out = std::io::stdout().lock();
        writeln!(out, "listening on {}", running.join_code().url)?;
        writeln!(out, "join {}", running.join_code().to_text())?;
        out.flush()?;
    }
    running.serve_until(shutdown_signal())?;
    tracing::info!("stopped");
    Ok(())
}

fn render_alert(alert: &Alert) -> String {
    use std::fmt::Write as _;
    let mut s = String::new();
    match alert {
        Alert::DuplicateDose {
            resident,
            dose_number,
            doses,
        } => {
            let _ = writeln!(
                s,
                "DUPLICATE DOSE  resident {resident}  dose {dose_number}  ({} valid records)",
                doses.len()
            );
            let _ = writeln!(
                s,
                "  {:<44}  {:<6}  {:<16}  {:<12}  {:<12}  vaccinator",
                "op", "venue", "administered", "product", "lot"
            );
            for d in doses {
                let _ = writeln!(
                    s,
                    "  {:<44}  {:<6}  {:<16}  {:<12}  {:<12}  {}",
                    d.op.to_string(),
                    d.event.venue.0,
                    d.event.administered_at.format("%Y-%m-%d %H:%M"),
                    d.event.product,
                    d.event.lot,
                    d.event.vaccinator
                );
            }
        }
        other => {
            let name = serde_json::to_value(other)
                .ok()
                .and_then(|v| {
                    v.get("alert")
                        .and_then(|a| a.as_str())
                        .map(str::to_uppercase)
                })
                .unwrap_or_default();
            let _ = writeln!(s, "{name}");
            let body = serde_json::to_string_pretty(other).unwrap_or_default();
            for line in body.lines() {
                let _ = writeln!(s, "  {line}");
            }
        }
    }
    s.push('\n');
    s
}
