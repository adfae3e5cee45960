//! `vaxhq calendar …` (editing, deliveries), `vaxhq plan …` and `vaxhq reshuffle …`: HQ's
//! planning from the command line, over the same use cases as the HQ Planning screen.

use std::path::PathBuf;

use anyhow::Context;
use chrono::{DateTime, FixedOffset, NaiveDate};
use clap::{Args, Subcommand, ValueEnum};
use vax_app::calendar::{
    add_day, calendar_view, edit_bands, edit_impact, save_venue, BandEdit, BandForm, EditReport,
    VenueForm,
};
use vax_app::planning::{
    apply_reshuffle, planning_settings, preview_reshuffle, run_plan, save_planning_settings,
    PlanningError, ReshufflePreview, ReshuffleRequest,
};
use vax_app::supply::{set_supply, supply_reshuffle, SupplyReport};
use vax_domain::error::UserFacing;
use vax_domain::role::Role;
use vax_domain::venue::VenueKind;
use vax_ledger::Ledger;
use vax_planner::PlanOptions;

/// Editing the calendar one change at a time (HQ).
#[derive(Subcommand)]
pub enum CalendarEdit {
    /// Create a venue, or edit the one with this code.
    Venue(VenueArgs),
    /// Add a day's bands to a venue: `--band 09:00-09:30/40` once per band.
    AddDay(AddDayArgs),
    /// Cut a venue day: close all its bands (bookings stay until `vaxhq reshuffle`).
    CutDay(DayArgs),
    /// Open a cut venue day again.
    ReopenDay(DayArgs),
    /// Close one band (its id from `vaxhq calendar show`).
    CloseBand(BandArgs),
    /// Open a closed band again.
    ReopenBand(BandArgs),
    /// Lower or raise a band's capacity.
    Capacity(CapacityArgs),
    /// The calendar from a day on: every band with its id, bookings and capacity, and every
    /// delivery.
    Show(ShowArgs),
    /// Enter the vials of the campaign product a venue receives for a day (0: nothing that
    /// day), or `--clear` the entry (the day is not limited).
    Supply(SupplyArgs),
}

/// 種別 on the command line.
#[derive(Clone, Copy, ValueEnum)]
pub enum KindArg {
    /// 集団接種会場.
    MassSite,
    /// 医療機関.
    Clinic,
}

#[derive(Args)]
pub struct VenueArgs {
    /// 会場コード.
    code: String,
    /// 会場名.
    #[arg(long)]
    name: String,
    /// 住所.
    #[arg(long)]
    address: String,
    /// 緯度.
    #[arg(long)]
    lat: f64,
    /// 経度.
    #[arg(long)]
    lon: f64,
    /// 種別 (kept as it is when not given).
    #[arg(long, value_enum)]
    kind: Option<KindArg>,
}

#[derive(Args)]
pub struct AddDayArgs {
    /// 会場コード.
    venue: String,
    /// The day.
    date: NaiveDate,
    /// A band, `START-END/CAPACITY` (e.g. `09:00-09:30/40`); repeat for each.
    #[arg(long = "band", required = true, value_parser = parse_band)]
    bands: Vec<BandForm>,
}

fn parse_band(s: &str) -> Result<BandForm, String> {
    let bad = || format!("{s:?} is not START-END/CAPACITY (e.g. 09:00-09:30/40)");
    let (times, capacity) = s.split_once('/').ok_or_else(bad)?;
    let (start, end) = times.split_once('-').ok_or_else(bad)?;
    Ok(BandForm {
        start: start.trim().into(),
        end: end.trim().into(),
        capacity: capacity.trim().parse().map_err(|_| bad())?,
    })
}

#[derive(Args)]
pub struct DayArgs {
    /// 会場コード.
    venue: String,
    /// The day.
    date: NaiveDate,
    /// Only say how many bookings it affects; change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
pub struct BandArgs {
    /// The band's id (`vaxhq calendar show`).
    band: i64,
    /// Only say how many bookings it affects; change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
pub struct CapacityArgs {
    /// The band's id (`vaxhq calendar show`).
    band: i64,
    /// The new capacity.
    capacity: u32,
    /// Only say how many bookings it affects; change nothing.
    #[arg(long)]
    dry_run: bool,
}

#[derive(Args)]
pub struct SupplyArgs {
    /// 会場コード.
    venue: String,
    /// The day.
    date: NaiveDate,
    /// Vials delivered.
    #[arg(required_unless_present = "clear", conflicts_with = "clear")]
    vials: Option<u32>,
    /// Remove the entry: the day is not limited.
    #[arg(long)]
    clear: bool,
}

#[derive(Args)]
pub struct ShowArgs {
    /// First day (default: today).
    #[arg(long)]
    from: Option<NaiveDate>,
    /// How many days (0: every day from `--from` on).
    #[arg(long, default_value_t = 7)]
    days: u32,
}

/// `vaxhq plan …`.
#[derive(Subcommand)]
pub enum PlanCommand {
    /// Book both doses of every willing resident who lacks them (the planner; cause assign).
    Run(RunArgs),
    /// Show the planning settings, or change those given.
    Settings(SettingsArgs),
}

#[derive(Args)]
pub struct RunArgs {
    /// Seed of the planner's tie-breaks: the same seed gives the same plan.
    #[arg(long, default_value_t = 0)]
    seed: u64,
}

#[derive(Args)]
pub struct SettingsArgs {
    /// Priority phases, earliest first: e.g. `65+,underlying,everyone` (empty: one phase).
    #[arg(long)]
    phases: Option<String>,
    /// The day ages are counted on.
    #[arg(long)]
    reference_date: Option<NaiveDate>,
    /// Latest day for dose 2, in days after dose 1.
    #[arg(long)]
    max_interval_days: Option<u32>,
    /// The product booked (catalogue code).
    #[arg(long)]
    product: Option<String>,
}

/// `vaxhq reshuffle …`.
#[derive(Subcommand)]
pub enum ReshuffleCommand {
    /// Compute who moves where, write nothing; `--out` keeps the preview for `apply`.
    #[command(subcommand)]
    Preview(RequestCommand),
    /// Apply a preview written by `preview --out` (refused when the ledger changed since).
    Apply(ApplyArgs),
}

#[derive(Args)]
pub struct OutArg {
    /// Write the preview as JSON to this file.
    #[arg(long)]
    out: Option<PathBuf>,
}

/// What the reshuffle is for.
#[derive(Subcommand)]
pub enum RequestCommand {
    /// A venue day cut (now, or with the apply).
    CutDay {
        /// 会場コード.
        venue: String,
        /// The day.
        date: NaiveDate,
        #[command(flatten)]
        out: OutArg,
    },
    /// A band closed (now, or with the apply).
    CloseBand {
        /// The band's id.
        band: i64,
        #[command(flatten)]
        out: OutArg,
    },
    /// A band's capacity lowered (now, or with the apply).
    LowerCapacity {
        /// The band's id.
        band: i64,
        /// The new capacity.
        capacity: u32,
        #[command(flatten)]
        out: OutArg,
    },
    /// Everyone the calendar as it stands leaves without a place.
    Calendar {
        #[command(flatten)]
        out: OutArg,
    },
    /// The bookings above a venue day's delivery (`vaxhq calendar supply`).
    Supply {
        /// 会場コード.
        venue: String,
        /// The day.
        date: NaiveDate,
        #[command(flatten)]
        out: OutArg,
    },
    /// A resident asks to move a dose into a date range (optionally to a venue).
    Move {
        /// 券番号.
        voucher: String,
        /// Which dose (1 or 2).
        #[arg(long, default_value_t = 1)]
        dose: u8,
        /// First acceptable day.
        #[arg(long)]
        from: NaiveDate,
        /// Last acceptable day.
        #[arg(long)]
        to: NaiveDate,
        /// 会場コード asked for.
        #[arg(long)]
        venue: Option<String>,
        #[command(flatten)]
        out: OutArg,
    },
}

#[derive(Args)]
pub struct ApplyArgs {
    /// The preview file.
    preview: PathBuf,
}

fn user(e: &impl UserFacing) -> anyhow::Error {
    anyhow::anyhow!("{e} / {}", e.message_ja())
}

fn print_json(value: &impl serde::Serialize) -> anyhow::Result<()> {
    println!("{}", serde_json::to_string_pretty(value)?);
    Ok(())
}

fn show_edit(r: &EditReport, dry_run: bool, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(r);
    }
    let verb = if dry_run { "would change" } else { "changed" };
    println!(
        "{verb} {} band(s); bookings left without a place: {} (they stay until `vaxhq reshuffle`); ops {}",
        r.changed, r.affected_bookings, r.ops
    );
    Ok(())
}

fn show_supply(r: &SupplyReport, venue: &str, date: NaiveDate, json: bool) -> anyhow::Result<()> {
    if json {
        return print_json(r);
    }
    let state = if r.changed { "set" } else { "unchanged" };
    match &r.supply {
        Some(s) => println!(
            "delivery of {venue} on {date} {state}: {} vials = {} doses of {}; {} booked; ops {}",
            s.vials, s.doses, s.product, s.booked, r.ops
        ),
        None => println!(
            "delivery of {venue} on {date} {state}: not limited; {} booked; ops {}",
            r.booked, r.ops
        ),
    }
    if r.reshuffle.is_some() {
        println!(
            "{} booking(s) above the doses: nobody was moved; re-seat them with `vaxhq reshuffle preview supply {venue} {date}` / \
             納品数を超える予約が{}件あります。振替で移してください",
            r.over, r.over
        );
    }
    Ok(())
}

/// Runs a calendar edit.
pub fn calendar(
    ledger: &mut Ledger,
    cmd: &CalendarEdit,
    now: DateTime<FixedOffset>,
    json: bool,
) -> anyhow::Result<()> {
    let hq = Role::Headquarters;
    let (edit, dry_run) = match cmd {
        CalendarEdit::Venue(a) => {
            let form = VenueForm {
                code: a.code.clone(),
                name: a.name.clone(),
                address: a.address.clone(),
                lat: a.lat,
                lon: a.lon,
                kind: a.kind.map(|k| match k {
                    KindArg::MassSite => VenueKind::MassSite,
                    KindArg::Clinic => VenueKind::Clinic,
                }),
            };
            let r = save_venue(ledger, hq, &form).map_err(|e| user(&e))?;
            return show_edit(&r, false, json);
        }
        CalendarEdit::AddDay(a) => {
            let r = add_day(ledger, hq, now, &a.venue, a.date, &a.bands).map_err(|e| user(&e))?;
            return show_edit(&r, false, json);
        }
        CalendarEdit::Show(a) => {
            let from = a.from.unwrap_or(now.date_naive());
            let view = calendar_view(ledger, from, a.days, now).map_err(|e| user(&e))?;
            if json {
                return print_json(&view);
            }
            println!(
                "{:>6}  {:<6} {:<10} {:<11}  booked/cap",
                "band", "venue", "date", "time"
            );
            for b in &view.bands {
                let state = if b.closed { "  closed" } else { "" };
                println!(
                    "{:>6}  {:<6} {:<10} {}–{}  {:>4}/{:<4}{state}",
                    b.id, b.venue_code, b.date, b.start, b.end, b.booked, b.capacity
                );
            }
            for s in &view.supply {
                println!(
                    "delivery {:<6} {:<10} {} vials = {} doses of {}, {} booked{}",
                    s.venue_code,
                    s.date,
                    s.vials,
                    s.doses,
                    s.product,
                    s.booked,
                    if s.over > 0 { "  OVER" } else { "" }
                );
            }
            return Ok(());
        }
        CalendarEdit::Supply(a) => {
            let vials = if a.clear { None } else { a.vials };
            let r = set_supply(ledger, hq, now, &a.venue, a.date, vials).map_err(|e| user(&e))?;
            return show_supply(&r, &a.venue, a.date, json);
        }
        CalendarEdit::CutDay(a) => (
            BandEdit::CutDay {
                venue: a.venue.clone(),
                date: a.date,
            },
            a.dry_run,
        ),
        CalendarEdit::ReopenDay(a) => (
            BandEdit::ReopenDay {
                venue: a.venue.clone(),
                date: a.date,
            },
            a.dry_run,
        ),
        CalendarEdit::CloseBand(a) => (BandEdit::CloseBand { band: a.band }, a.dry_run),
        CalendarEdit::ReopenBand(a) => (BandEdit::ReopenBand { band: a.band }, a.dry_run),
        CalendarEdit::Capacity(a) => (
            BandEdit::SetCapacity {
                band: a.band,
                capacity: a.capacity,
            },
            a.dry_run,
        ),
    };
    let r = if dry_run {
        edit_impact(ledger, &edit)
    } else {
        edit_bands(ledger, hq, now, &edit)
    }
    .map_err(|e| user(&e))?;
    show_edit(&r, dry_run, json)
}

/// Runs `vaxhq plan …`.
pub fn plan(
    ledger: &mut Ledger,
    cmd: &PlanCommand,
    now: DateTime<FixedOffset>,
    json: bool,
) -> anyhow::Result<()> {
    match cmd {
        PlanCommand::Run(a) => {
            let options = PlanOptions {
                seed: a.seed,
                ..PlanOptions::default()
            };
            let r = run_plan(ledger, Role::Headquarters, now, &options).map_err(|e| user(&e))?;
            if json {
                return print_json(&r);
            }
            println!("willing residents lacking a dose  {}", r.candidates);
            println!("residents booked                  {}", r.residents_booked);
            println!("doses booked                      {}", r.doses_booked);
            println!("mean distance (km)                {:.2}", r.mean_km);
            println!(
                "at a preferred venue/district     {:.1} %",
                r.preferred_venue_share * 100.0
            );
            for u in &r.unplaced {
                println!("not placed: {:>6}  {} / {}", u.residents, u.en, u.ja);
            }
            println!("ops                               {}", r.ops);
        }
        PlanCommand::Settings(a) => {
            let mut s = planning_settings(ledger).map_err(|e| user(&e))?;
            let changing = a.phases.is_some()
                || a.reference_date.is_some()
                || a.max_interval_days.is_some()
                || a.product.is_some();
            if let Some(p) = &a.phases {
                s.phases = p.clone();
            }
            if a.reference_date.is_some() {
                s.reference_date = a.reference_date;
            }
            if a.max_interval_days.is_some() {
                s.max_interval_days = a.max_interval_days;
            }
            if let Some(p) = &a.product {
                s.product = p.clone();
            }
            if changing {
                save_planning_settings(ledger, Role::Headquarters, &s).map_err(|e| user(&e))?;
            }
            if json {
                return print_json(&s);
            }
            println!(
                "phases             {}",
                if s.phases.is_empty() {
                    "(everyone at once)"
                } else {
                    &s.phases
                }
            );
            println!(
                "reference date     {}",
                s.reference_date
                    .map_or("(the day of the run)".into(), |d| d.to_string())
            );
            println!(
                "max interval days  {}",
                s.max_interval_days
                    .map_or("(standard + 21)".into(), |d| d.to_string())
            );
            println!("product            {}", s.product);
        }
    }
    Ok(())
}

/// Runs `vaxhq reshuffle …`. Returns whether it was refused as stale.
pub fn reshuffle(
    ledger: &mut Ledger,
    cmd: &ReshuffleCommand,
    now: DateTime<FixedOffset>,
    json: bool,
) -> anyhow::Result<()> {
    let options = PlanOptions::default();
    match cmd {
        ReshuffleCommand::Preview(what) => {
            let (request, out) = match what {
                RequestCommand::CutDay { venue, date, out } => (
                    ReshuffleRequest::CutDay {
                        venue: venue.clone(),
                        date: *date,
                    },
                    out,
                ),
                RequestCommand::CloseBand { band, out } => {
                    (ReshuffleRequest::CloseBand { band: *band }, out)
                }
                RequestCommand::LowerCapacity {
                    band,
                    capacity,
                    out,
                } => (
                    ReshuffleRequest::LowerCapacity {
                        band: *band,
                        capacity: *capacity,
                    },
                    out,
                ),
                RequestCommand::Calendar { out } => (ReshuffleRequest::Calendar, out),
                RequestCommand::Supply { venue, date, out } => (
                    supply_reshuffle(ledger, venue, *date).map_err(|e| user(&e))?,
                    out,
                ),
                RequestCommand::Move {
                    voucher,
                    dose,
                    from,
                    to,
                    venue,
                    out,
                } => (
                    ReshuffleRequest::MoveRequest {
                        voucher: voucher.clone(),
                        dose: *dose,
                        from: *from,
                        to: *to,
                        venue: venue.clone(),
                    },
                    out,
                ),
            };
            let preview =
                preview_reshuffle(ledger, now, &request, &options).map_err(|e| user(&e))?;
            if let Some(path) = &out.out {
                std::fs::write(path, serde_json::to_string_pretty(&preview)?)
                    .with_context(|| format!("writing {}", path.display()))?;
            }
            if json {
                return print_json(&preview);
            }
            show_preview(&preview);
        }
        ReshuffleCommand::Apply(a) => {
            let text = std::fs::read_to_string(&a.preview)
                .with_context(|| format!("reading {}", a.preview.display()))?;
            let preview: ReshufflePreview = serde_json::from_str(&text)
                .with_context(|| format!("{} is not a reshuffle preview", a.preview.display()))?;
            let r = apply_reshuffle(ledger, Role::Headquarters, now, &preview, &options).map_err(
                |e| match e {
                    PlanningError::StalePreview => anyhow::Error::new(e),
                    other => user(&other),
                },
            )?;
            if json {
                return print_json(&r);
            }
            println!(
                "calendar: {} band(s) changed; bookings moved {}, cancelled {}; ops {}",
                r.calendar.changed, r.moved, r.cancelled, r.ops
            );
        }
    }
    Ok(())
}

fn show_preview(p: &ReshufflePreview) {
    println!(
        "affected residents {}   moves {}   not placed {}",
        p.affected,
        p.moves.len(),
        p.unplaced.len()
    );
    for m in &p.moves {
        let slot = |s: &Option<vax_app::planning::Slot>| {
            s.as_ref().map_or("(cancelled)".to_owned(), |s| {
                format!("{} {} {}–{}", s.venue_code, s.date, s.start, s.end)
            })
        };
        println!(
            "{} {} dose {}: {} → {}{}",
            m.voucher,
            m.name,
            m.dose,
            slot(&m.from),
            slot(&m.to),
            m.shift_days
                .map_or(String::new(), |d| format!("  ({d:+} days)"))
        );
    }
    for u in &p.unplaced {
        println!(
            "NOT PLACED {} {} dose {}: {} / {}",
            u.voucher, u.name, u.dose, u.en, u.ja
        );
    }
}
