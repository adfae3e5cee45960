//! `vaxhq`: the headquarters command line for batch work on a vaxledger ledger.
//!
//! Exit codes, for scripts: 0 done; 1 failure (ledger, I/O); 2 usage error; 3 nothing
//! found; 4 input rejected (import file, voucher, query); 5 the ledger refuses the
//! operation (not empty, newer schema).

mod audit;
mod kiosk;
mod notices;
mod paper;
mod planning;
mod print;
mod progress;
mod report;
mod show;
mod stock;
mod sync;
mod transport;
mod vrs;

use std::path::PathBuf;
use std::process::ExitCode;
use std::sync::Arc;

use anyhow::Context;
use chrono::NaiveDate;
use clap::{Args, Parser, Subcommand, ValueEnum};
use vax_app::audit::{record_here, About, AuditAction};
use vax_app::calendar::{import_calendar_file, CalendarError};
use vax_app::config::AppConfig;
use vax_app::demo::{load_demo_city, load_demo_kiosk, DemoError};
use vax_app::desk::{enroll, DeskError};
use vax_app::import::{import_register, import_survey, ImportError, TextEncoding};
use vax_app::lookup::{card, find, LookupError, Query};
use vax_app::roster::venue_day;
use vax_domain::clock::Clock;
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_domain::voucher::MunicipalityCode;
use vax_ledger::{Ledger, LedgerError, RecoveryCode, Unlock};

#[derive(Parser)]
#[command(
    name = "vaxhq",
    version,
    about = "vaxledger HQ command line / 本部用コマンド"
)]
struct Cli {
    /// Ledger file (created if missing).
    #[arg(
        long,
        global = true,
        env = "VAXLEDGER_DB",
        default_value = "vaxledger.sqlite3"
    )]
    ledger: PathBuf,
    /// Print results as JSON for scripts.
    #[arg(long, global = true)]
    json: bool,
    /// The encrypted ledger's passphrase, from the first line of this file
    /// (docs/encryption.md). `VAXLEDGER_PASSPHRASE` gives it directly, for scripts.
    #[arg(long, global = true, env = "VAXLEDGER_PASSPHRASE_FILE")]
    passphrase_file: Option<PathBuf>,
    #[command(subcommand)]
    command: Command,
}

#[derive(Subcommand)]
enum Command {
    /// Create the ledger, or bring an existing one's schema up to date.
    Init,
    /// Encrypt the ledger in place (or create it encrypted) under the passphrase; prints the
    /// recovery code once, for HQ to keep (docs/encryption.md).
    Encrypt,
    /// Seal an encrypted ledger's key under a new passphrase, unlocking with the current one
    /// (`--passphrase-file`) or with HQ's recovery code.
    ChangePassphrase(ChangePassphraseArgs),
    /// Check the ledger file is whole (after a crash or a copy): SQLite's integrity check,
    /// every op with its rows, no row without its op. Exit 1 when anything is wrong.
    Check,
    /// Load the deterministic demo city into an empty ledger and book both doses.
    Demo(DemoArgs),
    /// Import a CSV file (all or nothing).
    #[command(subcommand)]
    Import(ImportCommand),
    /// The campaign calendar: venues and time bands (HQ).
    #[command(subcommand)]
    Calendar(CalendarCommand),
    /// Find residents and show their cards.
    Lookup(LookupArgs),
    /// List the venues.
    Venues,
    /// Enroll this ledger's installation to a venue and a role (what the desktop app shows).
    Enroll(EnrollArgs),
    /// Show a venue's day, band by band.
    VenueDay(VenueDayArgs),
    /// Print PDFs: voucher sheets for mailing, a resident's 予診票.
    #[command(subcommand)]
    Print(print::PrintCommand),
    /// The venue's paper fallback: day sheets to print the day before, back-entry of a row.
    #[command(subcommand)]
    Paper(paper::PaperCommand),
    /// Notices of new and changed bookings: letters, SMS list, call list (docs/notices.md).
    #[command(subcommand)]
    Notices(notices::NoticesCommand),
    /// Nightly VRS export: the doses as VRS import files (docs/vrs-export.md).
    #[command(subcommand)]
    Vrs(vrs::VrsCommand),
    /// Replication: enroll with the sync server, sync, status, alerts, enrollment codes.
    #[command(subcommand)]
    Sync(sync::SyncCommand),
    /// A kiosk's desk without its window: check in, booth queue, lots, doses (issue 17).
    #[command(subcommand)]
    Desk(kiosk::DeskCommand),
    /// The venue relay from a kiosk: join by its QR code, sync, the two lights (issue 17).
    #[command(subcommand)]
    Relay(kiosk::RelayCommand),
    /// Bus transport for residents who need a ride (docs/transport.md).
    #[command(subcommand)]
    Transport(transport::TransportCommand),
    /// Plan both doses of every willing resident (the planner), and its settings (HQ).
    #[command(subcommand)]
    Plan(planning::PlanCommand),
    /// Re-seat the residents a calendar change or a move request displaces (HQ).
    #[command(subcommand)]
    Reshuffle(planning::ReshuffleCommand),
    /// Dose stock across venues: the daily stock report (HQ).
    #[command(subcommand)]
    Stock(stock::StockCommand),
    /// The audit trail: who looked at or changed a resident's record, where and when (HQ).
    Audit(audit::AuditArgs),
    /// Staff who sign in at the venues' kiosks (HQ registers them).
    #[command(subcommand)]
    Staff(audit::StaffCommand),
    /// Campaign counts as CSV: doses by day and venue, coverage, inquiries by topic.
    #[command(subcommand)]
    Report(report::ReportCommand),
}

#[derive(Args)]
struct ChangePassphraseArgs {
    /// HQ's recovery code for this ledger, instead of the current passphrase.
    #[arg(long)]
    recovery_code: Option<String>,
    /// The new passphrase, from the first line of this file.
    #[arg(long)]
    new_passphrase_file: PathBuf,
}

#[derive(Args)]
struct DemoArgs {
    /// Seed: the same seed and start give the same city.
    #[arg(long, default_value_t = 2021)]
    seed: u64,
    /// Number of residents aged 12 and over.
    #[arg(long, default_value_t = 65_000)]
    residents: usize,
    /// First campaign day (default: today).
    #[arg(long)]
    start: Option<NaiveDate>,
    /// Campaign length in weeks.
    #[arg(long, default_value_t = 8)]
    weeks: u32,
    /// Also make this ledger a demo kiosk of that venue (enrolled as venue manager, with a
    /// demo lot open), ready for the desktop app.
    #[arg(long, value_name = "VENUE")]
    kiosk: Option<String>,
}

#[derive(Subcommand)]
enum ImportCommand {
    /// The resident register (住民台帳): see docs/import-formats.md.
    Register(ImportArgs),
    /// The intention survey (意向調査): see docs/import-formats.md.
    Survey(ImportArgs),
}

#[derive(Subcommand)]
enum CalendarCommand {
    /// Venues and bands from a calendar CSV (all or nothing): see docs/import-formats.md.
    Import(ImportArgs),
    #[command(flatten)]
    Edit(planning::CalendarEdit),
}

#[derive(Args)]
struct ImportArgs {
    /// The CSV file.
    file: PathBuf,
    /// Text encoding of the file.
    #[arg(long, value_enum, default_value_t = EncodingArg::Auto)]
    encoding: EncodingArg,
    /// Write every problem to this CSV file too (line, column, English, Japanese).
    #[arg(long)]
    errors_out: Option<PathBuf>,
}

#[derive(Clone, Copy, ValueEnum)]
enum EncodingArg {
    /// UTF-8 when valid, else CP932.
    Auto,
    /// UTF-8 (BOM optional).
    Utf8,
    /// CP932 / Shift_JIS as Excel writes it.
    Cp932,
}

impl From<EncodingArg> for TextEncoding {
    fn from(e: EncodingArg) -> Self {
        match e {
            EncodingArg::Auto => TextEncoding::Auto,
            EncodingArg::Utf8 => TextEncoding::Utf8,
            EncodingArg::Cp932 => TextEncoding::Cp932,
        }
    }
}

#[derive(Args)]
#[group(required = true, multiple = false)]
struct LookupTarget {
    /// The 18-digit QR/OCR line or the 10-digit voucher number.
    #[arg(long)]
    voucher: Option<String>,
    /// The reading in kana (hiragana, katakana or half-width), or its beginning.
    #[arg(long)]
    kana: Option<String>,
    /// Birth date: 1941-04-01, 1941/4/1, 昭和16年4月1日, S16.4.1 ...
    #[arg(long, value_parser = parse_birth)]
    birth: Option<NaiveDate>,
    /// Phone number, or its last 4+ digits.
    #[arg(long)]
    phone: Option<String>,
}

#[derive(Args)]
struct LookupArgs {
    #[command(flatten)]
    target: LookupTarget,
    /// The day to judge the due dose on (default: today).
    #[arg(long)]
    today: Option<NaiveDate>,
}

#[derive(Args)]
struct EnrollArgs {
    /// Venue code (see `vaxhq venues`).
    #[arg(long)]
    venue: String,
    /// The role: reception, booth, venue_manager or headquarters.
    #[arg(long, value_parser = parse_role)]
    role: Role,
    /// The campaign's municipality code (6 digits with check digit).
    #[arg(long, default_value = vax_demo::MUNICIPALITY)]
    municipality: String,
}

/// A date as the imports read it (Gregorian or era), with the reason in both languages.
fn parse_birth(s: &str) -> Result<NaiveDate, String> {
    vax_domain::resident::parse_date(s).map_err(|e| format!("{e} / {}", e.message_ja()))
}

fn parse_role(s: &str) -> Result<Role, String> {
    Role::from_code(s).ok_or_else(|| {
        let all: Vec<_> = Role::ALL.iter().map(|r| r.code()).collect();
        format!("unknown role {s:?}; one of {}", all.join(", "))
    })
}

#[derive(Args)]
struct VenueDayArgs {
    /// Venue code (see `vaxhq venues`).
    venue: String,
    /// The day (default: today).
    #[arg(long)]
    date: Option<NaiveDate>,
    /// List every booked resident, not only the counts.
    #[arg(long)]
    list: bool,
}

/// Exit codes, documented in the README.
pub(crate) mod exit {
    pub const FAILURE: u8 = 1;
    pub const NOT_FOUND: u8 = 3;
    pub const REJECTED: u8 = 4;
    pub const REFUSED: u8 = 5;
}

fn main() -> ExitCode {
    let cli = Cli::parse();
    match run(&cli) {
        Ok(code) => ExitCode::from(code),
        Err(err) => {
            eprintln!("error: {err:#}");
            ExitCode::from(exit_code_for(&err))
        }
    }
}

fn exit_code_for(err: &anyhow::Error) -> u8 {
    for cause in err.chain() {
        if cause.downcast_ref::<kiosk::Refused>().is_some() {
            return exit::REFUSED;
        }
        if let Some(CalendarError::RoleMayNot(_)) = cause.downcast_ref::<CalendarError>() {
            return exit::REFUSED;
        }
        if let Some(e) = cause.downcast_ref::<ImportError>() {
            return match e {
                ImportError::Rejected { .. } => exit::REJECTED,
                _ => exit::FAILURE,
            };
        }
        if let Some(DeskError::Ledger(LedgerError::Missing { .. })) =
            cause.downcast_ref::<DeskError>()
        {
            return exit::NOT_FOUND;
        }
        if let Some(vax_app::planning::PlanningError::StalePreview) =
            cause.downcast_ref::<vax_app::planning::PlanningError>()
        {
            return exit::REFUSED;
        }
        if let Some(DemoError::LedgerNotEmpty(_)) = cause.downcast_ref::<DemoError>() {
            return exit::REFUSED;
        }
        if let Some(e) = cause.downcast_ref::<LedgerError>() {
            return match e {
                LedgerError::TooNew { .. } => exit::REFUSED,
                LedgerError::WrongPassphrase | LedgerError::PassphraseTooShort => exit::REJECTED,
                LedgerError::Locked { .. }
                | LedgerError::NotEncrypted { .. }
                | LedgerError::AlreadyEncrypted => exit::REFUSED,
                LedgerError::Missing { .. } => exit::NOT_FOUND,
                _ => exit::FAILURE,
            };
        }
    }
    exit::FAILURE
}

/// The one time source: `VAXLEDGER_NOW` pins it, as it pins the desktop app's.
fn clock() -> anyhow::Result<Arc<dyn Clock>> {
    let config = AppConfig::from_env().map_err(|e| anyhow::anyhow!("{e} / {}", e.message_ja()))?;
    Ok(config.clock())
}

/// The passphrase from `--passphrase-file` or `VAXLEDGER_PASSPHRASE`, if any.
fn passphrase(cli: &Cli) -> anyhow::Result<Option<String>> {
    if let Some(file) = &cli.passphrase_file {
        return read_passphrase(file).map(Some);
    }
    Ok(std::env::var("VAXLEDGER_PASSPHRASE").ok())
}

fn read_passphrase(file: &std::path::Path) -> anyhow::Result<String> {
    let text = std::fs::read_to_string(file)
        .with_context(|| format!("reading the passphrase from {}", file.display()))?;
    Ok(text.lines().next().unwrap_or_default().to_owned())
}

fn ledger_error(e: LedgerError) -> anyhow::Error {
    let ja = e.message_ja();
    anyhow::Error::new(e).context(ja)
}

fn open(cli: &Cli) -> anyhow::Result<Ledger> {
    let mut ledger = Ledger::open_with(&cli.ledger, passphrase(cli)?.as_deref())
        .map_err(ledger_error)
        .with_context(|| format!("opening ledger {}", cli.ledger.display()))?;
    ledger.set_clock(clock()?)?;
    Ok(ledger)
}

fn run(cli: &Cli) -> anyhow::Result<u8> {
    let clock = clock()?;
    let now = clock.now();
    match &cli.command {
        Command::Init => {
            let ledger = open(cli)?;
            let residents = ledger.reader().resident_count()?;
            println!(
                "ledger {} ready (schema {}, {residents} residents)",
                cli.ledger.display(),
                vax_ledger::schema::latest_version()
            );
        }
        Command::Encrypt => {
            let passphrase = passphrase(cli)?.ok_or_else(|| {
                anyhow::anyhow!("give the passphrase with --passphrase-file or VAXLEDGER_PASSPHRASE / パスフレーズを指定してください")
            })?;
            let code = Ledger::encrypt(&cli.ledger, &passphrase).map_err(ledger_error)?;
            println!("ledger {} encrypted", cli.ledger.display());
            println!("recovery code (shown once; HQ keeps it): {code}");
        }
        Command::ChangePassphrase(args) => {
            let new = read_passphrase(&args.new_passphrase_file)?;
            let current = passphrase(cli)?;
            let code = args
                .recovery_code
                .as_deref()
                .map(str::parse::<RecoveryCode>)
                .transpose()
                .map_err(ledger_error)?;
            let unlock = match (&code, &current) {
                (Some(code), _) => Unlock::Recovery(code),
                (None, Some(p)) => Unlock::Passphrase(p),
                (None, None) => anyhow::bail!("give the current passphrase or --recovery-code / 現在のパスフレーズか復旧コードを指定してください"),
            };
            Ledger::change_passphrase(&cli.ledger, unlock, &new).map_err(ledger_error)?;
            println!("passphrase changed for {}", cli.ledger.display());
        }
        Command::Check => {
            let report = open(cli)?.check_consistency()?;
            show::consistency(&report, cli.json)?;
            if !report.is_sound() {
                return Ok(exit::FAILURE);
            }
        }
        Command::Demo(args) => {
            let mut ledger = open(cli)?;
            let params = vax_demo::DemoParams {
                seed: args.seed,
                residents: args.residents,
                start: args.start.unwrap_or(now.date_naive()),
                weeks: args.weeks,
            };
            let mut bar = progress::Bar::new("demo city");
            let report = match &args.kiosk {
                Some(venue) => load_demo_kiosk(&mut ledger, &params, venue, now, &mut bar),
                None => load_demo_city(&mut ledger, &params, now, &mut bar),
            }
            .context("loading the demo city")?;
            bar.finish();
            show::demo(&report, &params, cli.json)?;
        }
        Command::Import(which) => {
            let mut ledger = open(cli)?;
            let (args, kind) = match which {
                ImportCommand::Register(a) => (a, "register"),
                ImportCommand::Survey(a) => (a, "survey"),
            };
            let encoding = args.encoding.into();
            let mut bar = progress::Bar::new(kind);
            let result = match which {
                ImportCommand::Register(_) => {
                    import_register(&mut ledger, &args.file, encoding, now, &mut bar)
                }
                ImportCommand::Survey(_) => {
                    import_survey(&mut ledger, &args.file, encoding, now, &mut bar)
                }
            };
            bar.finish();
            match result {
                Ok(report) => show::import(&report, kind, cli.json)?,
                Err(ImportError::Rejected { problems }) => {
                    show::problems(&problems, args.errors_out.as_deref(), cli.json)?;
                    return Ok(exit::REJECTED);
                }
                Err(e) => {
                    return Err(e).with_context(|| format!("importing {}", args.file.display()))
                }
            }
        }
        Command::Calendar(CalendarCommand::Import(args)) => {
            let mut ledger = open(cli)?;
            // vaxhq is the headquarters' command line, as for the VRS export.
            let result = import_calendar_file(
                &mut ledger,
                &args.file,
                args.encoding.into(),
                Role::Headquarters,
                now,
            );
            match result {
                Ok(report) => show::calendar(&report, cli.json)?,
                Err(e) if !e.problems().is_empty() => {
                    show::problems(e.problems(), args.errors_out.as_deref(), cli.json)?;
                    return Ok(exit::REJECTED);
                }
                Err(CalendarError::Import(e)) => {
                    return Err(e).with_context(|| format!("importing {}", args.file.display()))
                }
                Err(e) => anyhow::bail!("{e} / {}", e.message_ja()),
            }
        }
        Command::Calendar(CalendarCommand::Edit(cmd)) => {
            planning::calendar(&mut open(cli)?, cmd, now, cli.json)?;
        }
        Command::Plan(cmd) => planning::plan(&mut open(cli)?, cmd, now, cli.json)?,
        Command::Reshuffle(cmd) => planning::reshuffle(&mut open(cli)?, cmd, now, cli.json)?,
        Command::Lookup(args) => {
            let mut ledger = open(cli)?;
            let t = &args.target;
            let query = if let Some(v) = &t.voucher {
                Query::Voucher(v.clone())
            } else if let Some(k) = &t.kana {
                Query::Kana(k.clone())
            } else if let Some(b) = t.birth {
                Query::BirthDate(b)
            } else if let Some(p) = &t.phone {
                Query::Phone(p.clone())
            } else {
                unreachable!("clap requires one lookup target")
            };
            let today = args.today.unwrap_or(now.date_naive());
            let found = match find(&ledger, &query) {
                Ok(found) => found,
                Err(
                    e @ (LookupError::Voucher(_)
                    | LookupError::NotKana
                    | LookupError::PhoneTooShort),
                ) => {
                    eprintln!("error: {e} / {}", e.message_ja());
                    return Ok(exit::REJECTED);
                }
                Err(e) => return Err(e).context("searching the ledger"),
            };
            if found.is_empty() {
                eprintln!("no resident found / 該当する住民はいません");
                return Ok(exit::NOT_FOUND);
            }
            let cards = found
                .iter()
                .map(|r| card(&ledger, r.id, today))
                .collect::<Result<Vec<_>, _>>()?;
            let looked_at: Vec<About> = cards
                .iter()
                .map(|c| About::resident(&c.resident.resident.voucher))
                .collect();
            record_here(&mut ledger, AuditAction::Lookup, &looked_at, now)
                .map_err(|e| anyhow::anyhow!("{e} / {}", e.message_ja()))?;
            show::cards(&cards, cli.json)?;
        }
        Command::Enroll(args) => {
            let mut ledger = open(cli)?;
            let municipality = match MunicipalityCode::parse(&args.municipality) {
                Ok(m) => m,
                Err(e) => {
                    eprintln!("error: --municipality: {e} / {}", e.message_ja());
                    return Ok(exit::REJECTED);
                }
            };
            let e = enroll(&mut ledger, &args.venue, args.role, &municipality)
                .context("enrolling the installation")?;
            println!("enrolled: venue {} as {}", e.venue_code, e.role.code());
        }
        Command::Venues => {
            let ledger = open(cli)?;
            show::venues(&ledger.reader().venues()?, cli.json)?;
        }
        Command::Print(command) => {
            let mut ledger = open(cli)?;
            return print::run(&mut ledger, command, now);
        }
        Command::Paper(command) => {
            let mut ledger = open(cli)?;
            return paper::run(&mut ledger, command, now, cli.json);
        }
        Command::Notices(command) => {
            let mut ledger = open(cli)?;
            return notices::run(&mut ledger, command, now, cli.json);
        }
        Command::Vrs(command) => {
            let mut ledger = open(cli)?;
            return vrs::run(&mut ledger, command, now, cli.json);
        }
        Command::Sync(command) => {
            let mut ledger = open(cli)?;
            return sync::run(&mut ledger, command, || clock.now(), cli.json);
        }
        Command::Desk(command) => {
            let mut ledger = open(cli)?;
            return kiosk::run_desk(&mut ledger, command, now, cli.json);
        }
        Command::Relay(command) => {
            let mut ledger = open(cli)?;
            let relay_dir = vax_app::config::Folders::beside(&cli.ledger).relay();
            return kiosk::run_relay(&mut ledger, &relay_dir, command, || clock.now(), cli.json);
        }
        Command::Transport(command) => return transport::run(command, cli.json, now, || open(cli)),
        Command::Stock(command) => {
            let mut ledger = open(cli)?;
            return stock::run(&mut ledger, command, now, cli.json);
        }
        Command::Audit(args) => return audit::audit(&open(cli)?, args, cli.json),
        Command::Staff(command) => return audit::staff(&mut open(cli)?, command, cli.json),
        Command::Report(command) => {
            let ledger = open(cli)?;
            return report::run(&ledger, command, now);
        }
        Command::VenueDay(args) => {
            let ledger = open(cli)?;
            let date = args.date.unwrap_or(now.date_naive());
            let day = venue_day(&ledger, &args.venue, date)?;
            show::venue_day(&day, args.list, cli.json)?;
        }
    }
    Ok(0)
}
