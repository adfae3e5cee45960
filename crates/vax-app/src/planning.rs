//! HQ planning on the ledger: load it into the planner's problem ([`vax_planner::model`]),
//! book both doses of everyone who lacks them ([`run_plan`]), and re-seat the residents a
//! change displaces ([`preview_reshuffle`], then [`apply_reshuffle`]).
//!
//! Every run is checked by the planner's independent checker before anything is written;
//! writing is one transaction with its `book` ops (cause `assign` for a plan, `reshuffle`
//! for a reshuffle). A preview carries the fingerprint of the bands and bookings it was
//! computed from: applying it after either changed is refused ([`PlanningError::StalePreview`]).
//!
//! What the planner is given (`docs/planning.md`): every band from today on (a band of a day
//! that has passed takes nobody new; a closed band takes nobody), every resident who wants
//! the vaccine or holds a booking, with their bookings, a valid dose 1 already given, the
//! survey's preferences, the priority phases HQ configured ([`PlanningSettings`]) and the
//! product's dated minimum ages (no dose on a day the resident is too young for it). A
//! venue's district is that of the geocoded resident living nearest to it. Every band counts
//! as bus-served; the fleet limits the riders per band time. The doses of a venue day are
//! HQ's delivery of that day ([`crate::supply`]; a day without one is not limited), lowered
//! further for a lot quarantine ([`ReshuffleRequest::SupplyDrop`]).

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::preference::TimesOfDay;
use vax_domain::product::{Catalogue, NoRulesInForce, UnknownProduct};
use vax_domain::role::Role;
use vax_domain::venue::Coordinates;
use vax_ledger::{Ledger, LedgerError, PlanFingerprint, Reader, RowId, WriteTx};
use vax_planner::model::{
    self, Dose, GivenDose, IntervalWindow, Phase, PhaseRule, Priority, Problem, Seats, TimeOfDay,
    Weights,
};
use vax_planner::{reshuffle, verify, Change, PlanOptions, Schedule, UnplacedReason};
use vax_sync::BookingCause;

use crate::calendar::{self, BandEdit, CalendarError};

/// Device setting: the priority phases, as [`parse_phases`] reads them.
pub const SETTING_PHASES: &str = "planning.phases";
/// Device setting: the day ages are counted on (`YYYY-MM-DD`).
pub const SETTING_REFERENCE_DATE: &str = "planning.reference_date";
/// Device setting: the latest day for dose 2, in days after dose 1.
pub const SETTING_MAX_INTERVAL: &str = "planning.max_interval_days";
/// Device setting: the product the campaign books.
pub const SETTING_PRODUCT: &str = "planning.product";

/// The product booked when HQ has not said.
pub const DEFAULT_PRODUCT: &str = "comirnaty";
/// Days dose 2 may lie after the standard interval when HQ has not said.
pub const DEFAULT_EXTRA_DAYS: u32 = 21;

/// Why a planning use case did not happen.
#[derive(Debug, Error)]
pub enum PlanningError {
    /// Only headquarters plans.
    #[error("the {0:?} role may not plan bookings; only headquarters may")]
    RoleMayNot(Role),
    /// A setting or request that cannot be read.
    #[error("{en}")]
    Invalid {
        /// What is wrong, in English.
        en: String,
        /// The same in Japanese.
        ja: String,
    },
    /// The ledger changed since the preview: nothing was applied.
    #[error("the bookings, bands or deliveries changed since this reshuffle was previewed; preview it again")]
    StalePreview,
    /// The planner refused the problem or the change, or its plan failed the independent
    /// check. Nothing was written.
    #[error("{0}")]
    Planner(String),
    /// The product is not in the catalogue.
    #[error(transparent)]
    UnknownProduct(#[from] UnknownProduct),
    /// The product has no rules for the day.
    #[error(transparent)]
    NoRules(#[from] NoRulesInForce),
    /// A calendar change of the reshuffle was refused.
    #[error(transparent)]
    Calendar(#[from] CalendarError),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

impl UserFacing for PlanningError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) => ErrorCode::RoleMayNot,
            Self::Invalid { .. } => ErrorCode::InvalidInput,
            Self::StalePreview => ErrorCode::StalePreview,
            Self::Planner(_) | Self::UnknownProduct(_) | Self::NoRules(_) => ErrorCode::PlanFailed,
            Self::Calendar(e) => e.code(),
            Self::Ledger(e) => e.code(),
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::RoleMayNot(_) => "予約の割り当ては本部の端末でのみ行えます".into(),
            Self::Invalid { ja, .. } => ja.clone(),
            Self::StalePreview => {
                "プレビューの後に予約・日程または納品数が変わりました。もう一度プレビューしてください"
                    .into()
            }
            Self::Planner(m) => format!("割り当てできませんでした（何も書き込んでいません）: {m}"),
            Self::UnknownProduct(e) => format!("ワクチン製品が見つかりません: {e}"),
            Self::NoRules(e) => format!("この日に適用される接種ルールがありません: {e}"),
            Self::Calendar(e) => e.message_ja(),
            Self::Ledger(e) => e.message_ja(),
        }
    }
}

fn invalid(en: impl Into<String>, ja: impl Into<String>) -> PlanningError {
    PlanningError::Invalid {
        en: en.into(),
        ja: ja.into(),
    }
}

fn headquarters_only(role: Role) -> Result<(), PlanningError> {
    if role.runs_the_campaign() {
        Ok(())
    } else {
        Err(PlanningError::RoleMayNot(role))
    }
}

/// How HQ plans: kept in the ledger's settings, changed from `vaxhq plan settings` or the
/// HQ Planning screen.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanningSettings {
    /// Priority phases, earliest first, comma separated: `65+` (aged 65 or over; any age),
    /// `underlying` (基礎疾患), `everyone`. Empty: one phase for everyone.
    pub phases: String,
    /// The day ages are counted on (`YYYY-MM-DD`); today when empty.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub reference_date: Option<NaiveDate>,
    /// The latest day for dose 2, in days after dose 1; the product's standard interval
    /// plus [`DEFAULT_EXTRA_DAYS`] when empty.
    pub max_interval_days: Option<u32>,
    /// The product booked (catalogue code).
    pub product: String,
}

impl Default for PlanningSettings {
    fn default() -> Self {
        Self {
            phases: String::new(),
            reference_date: None,
            max_interval_days: None,
            product: DEFAULT_PRODUCT.to_owned(),
        }
    }
}

/// Reads the phases: tokens separated by `,` or `、`; `65+` or `65歳以上` (aged at least),
/// `underlying` or `基礎疾患`, `everyone` or `全員`.
pub fn parse_phases(spec: &str) -> Result<Vec<Phase>, PlanningError> {
    let mut phases = Vec::new();
    for token in spec
        .split([',', '、'])
        .map(str::trim)
        .filter(|t| !t.is_empty())
    {
        let aged = token
            .strip_suffix('+')
            .or_else(|| token.strip_suffix("歳以上"))
            .and_then(|n| n.parse::<u32>().ok())
            .filter(|n| *n <= 120);
        let (name, rule) = match (token, aged) {
            (_, Some(years)) => (format!("{years}歳以上"), PhaseRule::AgedAtLeast { years }),
            ("underlying" | "基礎疾患", None) => (
                "基礎疾患のある方".to_owned(),
                PhaseRule::UnderlyingCondition,
            ),
            ("everyone" | "all" | "全員", None) => ("全員".to_owned(), PhaseRule::Everyone),
            _ => {
                return Err(invalid(
                    format!("{token:?} is not a priority phase (e.g. 65+, underlying, everyone)"),
                    format!("「{token}」は優先順位として読めません（例: 65+, 基礎疾患, 全員）"),
                ))
            }
        };
        phases.push(Phase {
            name,
            rule,
            earliest: None,
        });
    }
    Ok(phases)
}

/// The planning settings the ledger holds (the defaults where it holds none).
pub fn planning_settings(ledger: &Ledger) -> Result<PlanningSettings, PlanningError> {
    read_settings(&ledger.reader())
}

fn read_settings(reader: &Reader<'_>) -> Result<PlanningSettings, PlanningError> {
    let mut s = PlanningSettings::default();
    if let Some(p) = reader.setting(SETTING_PHASES)? {
        s.phases = p;
    }
    s.reference_date = reader
        .setting(SETTING_REFERENCE_DATE)?
        .and_then(|d| d.parse().ok());
    s.max_interval_days = reader
        .setting(SETTING_MAX_INTERVAL)?
        .and_then(|d| d.parse().ok());
    if let Some(p) = reader.setting(SETTING_PRODUCT)? {
        s.product = p;
    }
    Ok(s)
}

/// Checks and stores the planning settings. HQ only.
pub fn save_planning_settings(
    ledger: &mut Ledger,
    role: Role,
    settings: &PlanningSettings,
) -> Result<(), PlanningError> {
    headquarters_only(role)?;
    parse_phases(&settings.phases)?;
    Catalogue::builtin().product(&settings.product)?;
    if settings.max_interval_days == Some(0) {
        return Err(invalid(
            "the latest day for dose 2 must be at least 1 day after dose 1",
            "2回目の最長間隔は1日以上にしてください",
        ));
    }
    let tx = ledger.transaction()?;
    tx.set_setting(SETTING_PHASES, settings.phases.trim())?;
    tx.set_setting(
        SETTING_REFERENCE_DATE,
        &settings
            .reference_date
            .map(|d| d.to_string())
            .unwrap_or_default(),
    )?;
    tx.set_setting(
        SETTING_MAX_INTERVAL,
        &settings
            .max_interval_days
            .map(|d| d.to_string())
            .unwrap_or_default(),
    )?;
    tx.set_setting(SETTING_PRODUCT, &settings.product)?;
    tx.commit()?;
    Ok(())
}

// --- the ledger as a planning problem ---------------------------------------------------

/// A resident of the problem, with what the screens show of them.
struct Person {
    id: RowId,
    name: String,
    voucher: String,
}

/// The problem and the ledger ids beside its indices.
struct Loaded {
    problem: Problem,
    people: Vec<Person>,
    /// Band index → the ledger's band.
    bands: Vec<vax_ledger::BandLoad>,
    venue_names: Vec<(String, String)>,
    /// (resident id, dose) → product booked.
    products: HashMap<(RowId, u8), String>,
    product: String,
    fingerprint: PlanFingerprint,
}

fn dose_number(d: Dose) -> u8 {
    match d {
        Dose::First => 1,
        Dose::Second => 2,
    }
}

fn to_planner_times(t: TimesOfDay) -> Vec<TimeOfDay> {
    TimeOfDay::ALL
        .into_iter()
        .filter(|p| t.contains(*p))
        .collect()
}

/// Reads the ledger into a problem. `only_willing`: leave out residents who no longer want
/// the vaccine (a plan books nobody for them; their bookings still take room).
fn load(
    reader: &Reader<'_>,
    today: NaiveDate,
    only_willing: bool,
) -> Result<Loaded, PlanningError> {
    let settings = read_settings(reader)?;
    let product = Catalogue::builtin().product(&settings.product)?;
    let rules = product.rules_on(today)?;
    let window = IntervalWindow {
        min_days: rules.earliest_interval_days,
        standard_days: rules.standard_interval_days,
        max_days: settings
            .max_interval_days
            .unwrap_or(rules.standard_interval_days + DEFAULT_EXTRA_DAYS)
            .max(rules.standard_interval_days),
    };
    let fingerprint = reader.plan_fingerprint()?;
    let venue_rows = reader.venues()?;
    let venue_index: HashMap<&str, usize> = venue_rows
        .iter()
        .enumerate()
        .map(|(i, v)| (v.venue.code.as_str(), i))
        .collect();
    let loads = reader.band_loads()?;
    let band_index: HashMap<RowId, usize> = loads
        .iter()
        .enumerate()
        .map(|(i, l)| (l.band.id, i))
        .collect();

    // A resident whose dose 2 is given is done: their bookings only take room.
    let done: std::collections::HashSet<RowId> =
        reader.residents_with_second_dose()?.into_iter().collect();
    let rows: Vec<_> = reader
        .planning_rows()?
        .into_iter()
        .filter(|r| (r.willing || !only_willing) && !done.contains(&r.id))
        .collect();
    let venue_points: Vec<Coordinates> = venue_rows.iter().map(|v| v.venue.location).collect();
    let homes = crate::schedule::homes_with_fallback(
        rows.iter().map(|r| (r.home, r.district.as_str())),
        &venue_points,
    );
    let venues = venue_rows
        .iter()
        .map(|v| model::Venue {
            location: v.venue.location,
            district: nearest_district(v.venue.location, &rows),
        })
        .collect();

    let mut prefs: HashMap<RowId, vax_domain::preference::Preferences> =
        reader.all_preferences()?.into_iter().collect();
    let mut given: HashMap<RowId, vax_ledger::GivenFirstDose> = reader
        .given_first_doses()?
        .into_iter()
        .map(|g| (g.resident_id, g))
        .collect();
    let mut booked: HashMap<RowId, Seats> = HashMap::new();
    let mut products = HashMap::new();
    for b in reader.all_bookings()? {
        let Some(&band) = band_index.get(&b.band_id) else {
            continue;
        };
        let seats = booked.entry(b.resident_id).or_default();
        match b.dose_number {
            1 => seats.first = Some(band),
            2 => seats.second = Some(band),
            _ => continue,
        }
        products.insert((b.resident_id, b.dose_number), b.product_code);
    }

    let mut residents = Vec::with_capacity(rows.len());
    let mut people = Vec::with_capacity(rows.len());
    let mut holders = vec![0u32; loads.len()];
    for (row, home) in rows.into_iter().zip(homes) {
        let p = prefs.remove(&row.id).unwrap_or_default();
        let first_given = given.remove(&row.id).map(|g| GivenDose {
            date: g.date,
            venue: venue_index.get(g.venue_code.as_str()).copied(),
        });
        let mut seats = booked.get(&row.id).copied().unwrap_or_default();
        // A dose 1 given is no longer a booking to plan around; a dose 2 booking without
        // any dose 1 is one the planner cannot judge: both stay as room taken, untouched.
        if first_given.is_some() {
            seats.first = None;
        }
        if seats.first.is_none() && first_given.is_none() {
            seats.second = None;
        }
        for b in [seats.first, seats.second].into_iter().flatten() {
            holders[b] += 1;
        }
        residents.push(model::Resident {
            id: row.id,
            birth_date: row.birth_date,
            home,
            district: row.district,
            underlying_condition: p.underlying_condition,
            needs_transport: row.needs_transport,
            preferences: model::Preferences {
                venues: p
                    .venue
                    .as_deref()
                    .and_then(|c| venue_index.get(c).copied())
                    .into_iter()
                    .collect(),
                districts: p.district.into_iter().collect(),
                avoid_weekdays: [
                    chrono::Weekday::Mon,
                    chrono::Weekday::Tue,
                    chrono::Weekday::Wed,
                    chrono::Weekday::Thu,
                    chrono::Weekday::Fri,
                    chrono::Weekday::Sat,
                    chrono::Weekday::Sun,
                ]
                .into_iter()
                .filter(|d| p.avoid_weekdays.contains(*d))
                .collect(),
                avoid_times: to_planner_times(p.avoid_times),
            },
            booked: seats,
            first_given,
        });
        people.push(Person {
            id: row.id,
            name: row.name,
            voucher: row.voucher,
        });
    }
    let bands = loads
        .iter()
        .enumerate()
        .map(|(i, l)| {
            // Room for this problem: less what bookings it does not list take; a day that
            // has passed takes nobody new.
            let others = l.booked.saturating_sub(holders[i]);
            let capacity = if l.band.date < today {
                holders[i]
            } else {
                l.band.capacity.saturating_sub(others)
            };
            model::Band {
                venue: venue_index[l.band.venue_code.as_str()],
                date: l.band.date,
                start: l.band.start,
                end: l.band.end,
                capacity,
                bus_served: true,
                closed: l.closed,
            }
        })
        .collect();
    let supply = day_supply(reader, &loads, &holders, &venue_index, today)?;
    let rider_limits = fleet_limits(&reader.fleet()?, &loads, today);
    let phases = parse_phases(&settings.phases)?;
    let problem = Problem {
        venues,
        bands,
        residents,
        window,
        priority: Priority {
            reference_date: settings.reference_date.unwrap_or(today),
            phases,
        },
        supply,
        allow_other_venue: false,
        riders_need_bus: false,
        rider_limits,
        minimum_age: product.minimum_ages(),
        weights: Weights::default(),
    };
    Ok(Loaded {
        problem,
        people,
        venue_names: venue_rows
            .into_iter()
            .map(|v| (v.venue.code, v.venue.name))
            .collect(),
        bands: loads,
        products,
        product: settings.product,
        fingerprint,
    })
}

/// The doses of every venue day HQ entered a delivery for ([`crate::supply`]), as the
/// problem's supply: the doses delivered less those the bookings the problem does not list
/// take, as a band's places are counted; a day that has passed holds what its holders hold
/// (nothing new is booked there, nobody is moved for it). A day without bands takes nobody
/// anyway and is left out.
fn day_supply(
    reader: &Reader<'_>,
    loads: &[vax_ledger::BandLoad],
    holders: &[u32],
    venue_index: &HashMap<&str, usize>,
    today: NaiveDate,
) -> Result<Vec<model::Supply>, PlanningError> {
    // (venue, day) → (bookings, bookings of this problem's residents).
    let mut days: HashMap<(usize, NaiveDate), (u32, u32)> = HashMap::new();
    for (l, held) in loads.iter().zip(holders) {
        let venue = venue_index[l.band.venue_code.as_str()];
        let day = days.entry((venue, l.band.date)).or_default();
        day.0 += l.booked;
        day.1 += held;
    }
    let mut supply = Vec::new();
    for s in reader.supplies()? {
        let Some(&venue) = venue_index.get(s.venue_code.as_str()) else {
            continue;
        };
        let Some(&(booked, held)) = days.get(&(venue, s.date)) else {
            continue;
        };
        let doses = if s.date < today {
            held
        } else {
            let delivered =
                crate::supply::doses_of::<PlanningError>(&s.product_code, s.date, s.vials)?;
            delivered.saturating_sub(booked.saturating_sub(held))
        };
        supply.push(model::Supply {
            venue,
            date: s.date,
            doses,
        });
    }
    Ok(supply)
}

/// What the bus fleet carries (docs/planning.md, "The bus fleet"): the bands of every venue
/// that start at the same time on the same day share the fleet, and each vehicle whose
/// shift covers the band makes one trip to it, so they take at most the seats of those
/// vehicles in riders. No fleet on file: no limit (as before the fleet was known). Bands
/// before `today` are left out (nothing new is booked there).
fn fleet_limits(
    fleet: &[vax_ledger::FleetVehicle],
    loads: &[vax_ledger::BandLoad],
    today: NaiveDate,
) -> Vec<model::RiderLimit> {
    if fleet.is_empty() {
        return Vec::new();
    }
    let mut groups: std::collections::BTreeMap<(NaiveDate, chrono::NaiveTime), Vec<usize>> =
        std::collections::BTreeMap::new();
    for (i, l) in loads.iter().enumerate() {
        if l.band.date >= today {
            groups
                .entry((l.band.date, l.band.start))
                .or_default()
                .push(i);
        }
    }
    groups
        .into_values()
        .map(|bands| {
            let b = &loads[bands[0]].band;
            let end = bands
                .iter()
                .map(|&i| loads[i].band.end)
                .max()
                .unwrap_or(b.end);
            let riders = fleet
                .iter()
                .filter(|v| v.shift_start <= b.start && v.shift_end >= end)
                .map(|v| v.seats)
                .sum();
            model::RiderLimit { bands, riders }
        })
        .collect()
}

/// The district of the geocoded resident living nearest to `point` (empty when nobody is
/// geocoded): venues carry no district of their own.
fn nearest_district(point: Coordinates, rows: &[vax_ledger::PlanningRow]) -> String {
    rows.iter()
        .filter_map(|r| r.home.map(|h| (h.distance_km(point), &r.district)))
        .min_by(|a, b| a.0.total_cmp(&b.0))
        .map(|(_, d)| d.clone())
        .unwrap_or_default()
}

/// The checker's verdict on what a run changed: violations the ledger's state before the
/// run did not have already (a closed band still holding its bookings, say, is the
/// reshuffle's business, not a fault of the plan).
fn new_violations(problem: &Problem, schedule: &Schedule) -> Vec<vax_planner::verify::Violation> {
    let before = Schedule {
        seats: problem.residents.iter().map(|r| r.booked).collect(),
        unplaced: schedule.unplaced.clone(),
    };
    let old = verify(problem, &before);
    verify(problem, schedule)
        .into_iter()
        .filter(|v| !old.contains(v) && !is_listed_and_unchanged(v, problem, schedule))
        .collect()
}

/// A resident the planner lists as unplaced although they hold a dose it never touched is
/// no fault of the plan's either.
fn is_listed_and_unchanged(
    v: &vax_planner::verify::Violation,
    problem: &Problem,
    schedule: &Schedule,
) -> bool {
    match v {
        vax_planner::verify::Violation::ListedButPlaced { resident } => {
            problem.residents[*resident].booked == schedule.seats[*resident]
        }
        _ => false,
    }
}

fn planner_error(e: impl std::fmt::Display) -> PlanningError {
    PlanningError::Planner(e.to_string())
}

// --- plan -----------------------------------------------------------------------------

/// Why residents were left without a band, and how many.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReasonCount {
    /// Stable code (`no_room`).
    pub code: String,
    /// In English.
    pub en: String,
    /// In Japanese.
    pub ja: String,
    /// Residents.
    pub residents: u64,
}

/// What a plan run did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct PlanReport {
    /// Willing residents who lacked a dose before the run.
    pub candidates: u64,
    /// Residents who got a new booking.
    pub residents_booked: u64,
    /// Bookings written (dose 1 and dose 2 count one each).
    pub doses_booked: u64,
    /// Residents still without both doses, by reason.
    pub unplaced: Vec<ReasonCount>,
    /// Mean kilometres from home to the venue over the residents booked in this run.
    pub mean_km: f64,
    /// Share of the residents booked in this run with a stated venue or district
    /// preference who got it (0 to 1; 1 when nobody stated one).
    pub preferred_venue_share: f64,
    /// Replication ops written.
    pub ops: u64,
}

/// Plans both doses for every willing resident who lacks them and books them (cause
/// `assign`), in one transaction; existing bookings stay. HQ only. Nothing is written when
/// the independent check finds a fault.
pub fn run_plan(
    ledger: &mut Ledger,
    role: Role,
    now: DateTime<FixedOffset>,
    options: &PlanOptions<'_>,
) -> Result<PlanReport, PlanningError> {
    headquarters_only(role)?;
    let mut tx = ledger.transaction()?;
    let report = plan_within(&mut tx, now.date_naive(), now, options)?;
    tx.commit()?;
    Ok(report)
}

/// [`run_plan`] inside the caller's transaction, without the role check: the demo city
/// (an unenrolled ledger) books with it before committing its residents and calendar.
/// `today` decides which days have passed; `now` stamps the bookings.
pub(crate) fn plan_within(
    tx: &mut WriteTx<'_>,
    today: NaiveDate,
    now: DateTime<FixedOffset>,
    options: &PlanOptions<'_>,
) -> Result<PlanReport, PlanningError> {
    let loaded = load(&tx.reader(), today, true)?;
    let problem = &loaded.problem;
    let schedule = vax_planner::plan(problem, options).map_err(planner_error)?;
    let faults = new_violations(problem, &schedule);
    if !faults.is_empty() {
        return Err(PlanningError::Planner(format!(
            "the plan failed its independent check: {faults:?}"
        )));
    }
    let candidates = problem
        .residents
        .iter()
        .filter(|r| r.booked.second.is_none())
        .count() as u64;
    let mut report = PlanReport {
        candidates,
        residents_booked: 0,
        doses_booked: 0,
        unplaced: reason_counts(&schedule.unplaced),
        mean_km: 0.0,
        preferred_venue_share: 1.0,
        ops: 0,
    };
    let (mut km, mut stated, mut honoured) = (0.0, 0u64, 0u64);
    for (i, (r, seats)) in problem.residents.iter().zip(&schedule.seats).enumerate() {
        let mut booked_any = false;
        for dose in [Dose::First, Dose::Second] {
            let Some(band) = seats.get(dose).filter(|b| Some(*b) != r.booked.get(dose)) else {
                continue;
            };
            let n = dose_number(dose);
            tx.book(
                loaded.people[i].id,
                n,
                loaded.bands[band].band.id,
                &loaded.product,
                &now,
            )?;
            report.ops += replicate(tx, loaded.people[i].id, n, BookingCause::Assign)?;
            report.doses_booked += 1;
            booked_any = true;
        }
        if booked_any {
            report.residents_booked += 1;
            let band = seats.first.or(seats.second).map(|b| &problem.bands[b]);
            if let Some(b) = band {
                km += r.home.distance_km(problem.venues[b.venue].location);
                let p = &r.preferences;
                if !p.venues.is_empty() || !p.districts.is_empty() {
                    stated += 1;
                    honoured += u64::from(
                        p.venues.contains(&b.venue)
                            || p.districts.contains(&problem.venues[b.venue].district),
                    );
                }
            }
        }
    }
    if report.residents_booked > 0 {
        report.mean_km = km / report.residents_booked as f64;
    }
    if stated > 0 {
        report.preferred_venue_share = honoured as f64 / stated as f64;
    }
    Ok(report)
}

/// The audit trail of an applied reshuffle: a resident's own move request is one `rebook`
/// entry per booking moved (the call centre acted on their record); a calendar change is one
/// entry for the whole reshuffle, each moved booking being its own `book` op already.
fn audit_reshuffle(
    tx: &mut WriteTx<'_>,
    actor: &crate::audit::Actor,
    request: &ReshuffleRequest,
    moves: &[MoveRow],
    now: DateTime<FixedOffset>,
) -> Result<(), PlanningError> {
    use crate::audit::{record, About};
    use vax_sync::AuditAction::Rebook;
    if let ReshuffleRequest::MoveRequest { .. } = request {
        for m in moves {
            let voucher = tx.reader().resident(m.resident_id)?.resident.voucher;
            let to = m.to.as_ref().map_or_else(
                || format!("dose {} cancelled", m.dose),
                |t| format!("dose {} to {} {} {}", m.dose, t.venue_code, t.date, t.start),
            );
            record(
                tx,
                actor,
                Rebook,
                &About::resident(&voucher).detail(to),
                now,
            )?;
        }
    } else if !moves.is_empty() {
        let detail = format!("reshuffle: {} bookings moved or cancelled", moves.len());
        record(tx, actor, Rebook, &About::default().detail(detail), now)?;
    }
    Ok(())
}

/// Writes the replication op of a booking just written; 1 when the ledger replicates.
fn replicate(
    tx: &mut WriteTx<'_>,
    resident: RowId,
    dose: u8,
    cause: BookingCause,
) -> Result<u64, PlanningError> {
    tx.replicate_booking(resident, dose, cause)?;
    Ok(u64::from(tx.replicates()))
}

fn reason_text(reason: UnplacedReason) -> (&'static str, &'static str, &'static str) {
    match reason {
        UnplacedReason::NotInAnyPhase => (
            "not_in_any_phase",
            "belongs to no priority phase HQ configured",
            "本部が設定した優先順位のどれにも当たりません",
        ),
        UnplacedReason::NoRoom => (
            "no_room",
            "no band with a free place is left",
            "空きのあるコマが残っていません",
        ),
        UnplacedReason::NoSupply => (
            "no_supply",
            "bands have places, but no doses on those days",
            "空きコマはありますが、その日のワクチンがありません",
        ),
        UnplacedReason::NoRoomInWindow => (
            "no_room_in_window",
            "no band for dose 2 within the interval window",
            "接種間隔の範囲内に2回目のコマがありません",
        ),
        UnplacedReason::BelowMinimumAge => (
            "below_minimum_age",
            "too young for the vaccine on every day with a free place (the booth would refuse)",
            "空きのある日はいずれも、ワクチンの接種対象年齢に達していません（接種会場で接種できません）",
        ),
        UnplacedReason::NoBusServedBand => (
            "no_bus_served_band",
            "needs transport, and no bus-served band has room",
            "送迎が必要ですが、送迎便のあるコマに空きがありません",
        ),
        UnplacedReason::NoBandAsRequested => (
            "no_band_as_requested",
            "nothing is free in the dates or venue asked for",
            "希望の日付・会場に空きがありません",
        ),
        UnplacedReason::Stopped => (
            "stopped",
            "the run was stopped before reaching this resident",
            "処理が途中で止まったため未割り当てです",
        ),
        UnplacedReason::NoBookingBefore => (
            "no_booking_before",
            "held no booking before the change",
            "変更前に予約がありませんでした",
        ),
    }
}

fn reason_counts(unplaced: &[vax_planner::Unplaced]) -> Vec<ReasonCount> {
    let mut counts: Vec<ReasonCount> = Vec::new();
    for u in unplaced {
        let (code, en, ja) = reason_text(u.reason);
        match counts.iter_mut().find(|c| c.code == code) {
            Some(c) => c.residents += 1,
            None => counts.push(ReasonCount {
                code: code.into(),
                en: en.into(),
                ja: ja.into(),
                residents: 1,
            }),
        }
    }
    counts
}

// --- reshuffle ------------------------------------------------------------------------

/// What changed, or what is asked: the residents it displaces are re-seated.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
#[serde(tag = "type", rename_all = "snake_case")]
pub enum ReshuffleRequest {
    /// Cut a venue day (applying also closes its bands, when they are not yet).
    CutDay {
        /// 会場コード.
        venue: String,
        /// The day.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        date: NaiveDate,
    },
    /// Close a band (applying also closes it, when it is not yet).
    CloseBand {
        /// The band's row id.
        band: RowId,
    },
    /// Lower a band's capacity (applying also lowers it, when it is not yet).
    LowerCapacity {
        /// The band's row id.
        band: RowId,
        /// The new capacity.
        capacity: u32,
    },
    /// Re-seat everyone the calendar as it stands leaves without a place: bookings in
    /// closed bands, above a band's capacity (after edits made with
    /// [`crate::calendar::edit_bands`] or a calendar import) and above a venue day's
    /// delivered doses ([`crate::supply`]).
    Calendar,
    /// A lot is quarantined (stock), or HQ lowered a delivery ([`crate::supply`]): from
    /// `from` to `to` the venue has `doses_per_day` doses a day; bookings above that are
    /// re-seated.
    SupplyDrop {
        /// 会場コード.
        venue: String,
        /// First day.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        from: NaiveDate,
        /// Last day.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        to: NaiveDate,
        /// Doses left each day.
        doses_per_day: u32,
    },
    /// A resident asks (call centre) to move a dose into a date range, optionally to a venue.
    MoveRequest {
        /// 券番号.
        voucher: String,
        /// Which dose (1 or 2); dose 2 follows dose 1 when the interval demands.
        dose: u8,
        /// First acceptable day.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        from: NaiveDate,
        /// Last acceptable day.
        #[cfg_attr(feature = "ts", ts(type = "string"))]
        to: NaiveDate,
        /// 会場コード asked for, if any.
        venue: Option<String>,
    },
}

/// A band as the preview names it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Slot {
    /// The band's row id.
    pub band_id: RowId,
    /// 会場コード.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// The day.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// 開始 (`HH:MM`).
    pub start: String,
    /// 終了 (`HH:MM`).
    pub end: String,
}

/// One booking that moves (or is cancelled, when `to` is empty).
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct MoveRow {
    /// The resident's row id.
    pub resident_id: RowId,
    /// 氏名.
    pub name: String,
    /// 券番号.
    pub voucher: String,
    /// Which dose.
    pub dose: u8,
    /// Where it was booked.
    pub from: Option<Slot>,
    /// Where it goes; `None`: the booking is cancelled (see the unplaced list).
    pub to: Option<Slot>,
    /// Days later (negative: earlier) than before.
    pub shift_days: Option<i64>,
}

/// A resident the reshuffle could not re-seat, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnplacedRow {
    /// The resident's row id.
    pub resident_id: RowId,
    /// 氏名.
    pub name: String,
    /// 券番号.
    pub voucher: String,
    /// The first dose without a band.
    pub dose: u8,
    /// Stable reason code (`no_room`).
    pub code: String,
    /// The reason in English.
    pub en: String,
    /// The reason in Japanese.
    pub ja: String,
}

/// Who would move where, before anything is written.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReshufflePreview {
    /// What it is for.
    pub request: ReshuffleRequest,
    /// The bands and bookings it was computed from (hex): applying needs the same.
    pub fingerprint: String,
    /// Residents the change touched.
    pub affected: u64,
    /// Every booking that moves or is cancelled.
    pub moves: Vec<MoveRow>,
    /// Residents who could not be re-seated, with the reason.
    pub unplaced: Vec<UnplacedRow>,
}

/// What applying a reshuffle did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ReshuffleApplied {
    /// The calendar change written with it (none when it was there already).
    pub calendar: calendar::EditReport,
    /// Bookings moved.
    pub moved: u64,
    /// Bookings cancelled (nobody could take them).
    pub cancelled: u64,
    /// Replication ops written (calendar and bookings).
    pub ops: u64,
}

/// A reshuffle computed against the ledger, with the problem it was computed on.
struct Computed {
    loaded: Loaded,
    plan: Option<vax_planner::ReshufflePlan>,
}

fn missing(what: &'static str, key: impl ToString) -> PlanningError {
    PlanningError::Ledger(LedgerError::Missing {
        what,
        key: key.to_string(),
    })
}

fn compute(
    reader: &Reader<'_>,
    today: NaiveDate,
    request: &ReshuffleRequest,
    options: &PlanOptions<'_>,
) -> Result<Computed, PlanningError> {
    let mut loaded = load(reader, today, false)?;
    let venue_idx = |code: &str| {
        loaded
            .venue_names
            .iter()
            .position(|(c, _)| c == code)
            .ok_or_else(|| missing("venue", code))
    };
    let band_idx = |id: RowId| {
        loaded
            .bands
            .iter()
            .position(|l| l.band.id == id)
            .ok_or_else(|| missing("time band", id))
    };
    let not_past = |date: NaiveDate| {
        if date < today {
            Err(PlanningError::Calendar(CalendarError::DayPassed(date)))
        } else {
            Ok(())
        }
    };
    // The engine displaces by the state of the calendar it is given (closed bands, bands
    // over their places): a change that closes nothing re-seats what the ledger holds.
    let as_it_stands = Change::CutVenueDay {
        venue: 0,
        date: NaiveDate::MIN,
    };
    let change = match request {
        ReshuffleRequest::CutDay { venue, date } => {
            not_past(*date)?;
            Change::CutVenueDay {
                venue: venue_idx(venue)?,
                date: *date,
            }
        }
        ReshuffleRequest::CloseBand { band } => {
            let band = band_idx(*band)?;
            not_past(loaded.bands[band].band.date)?;
            Change::CloseBand { band }
        }
        ReshuffleRequest::LowerCapacity { band, capacity } => {
            let i = band_idx(*band)?;
            not_past(loaded.bands[i].band.date)?;
            if !(1..=calendar::MAX_BAND_CAPACITY).contains(capacity) {
                return Err(invalid(
                    format!(
                        "{capacity} is not a capacity (1 to {})",
                        calendar::MAX_BAND_CAPACITY
                    ),
                    format!(
                        "{capacity} は定員として使えません（1から{}）",
                        calendar::MAX_BAND_CAPACITY
                    ),
                ));
            }
            let l = &loaded.bands[i];
            let others = l.band.capacity - loaded.problem.bands[i].capacity.min(l.band.capacity);
            let room = capacity.saturating_sub(others);
            if room < loaded.problem.bands[i].capacity {
                Change::LowerCapacity {
                    band: i,
                    capacity: room,
                }
            } else {
                as_it_stands
            }
        }
        ReshuffleRequest::Calendar => as_it_stands,
        ReshuffleRequest::SupplyDrop {
            venue,
            from,
            to,
            doses_per_day,
        } => Change::SupplyDrop {
            venue: venue_idx(venue)?,
            from: (*from).max(today),
            to: *to,
            doses_per_day: *doses_per_day,
        },
        ReshuffleRequest::MoveRequest {
            voucher,
            dose,
            from,
            to,
            venue,
        } => {
            not_past(*from)?;
            let resident = loaded
                .people
                .iter()
                .position(|p| p.voucher == *voucher)
                .ok_or_else(|| missing("booking of resident", voucher))?;
            let dose = match dose {
                1 => Dose::First,
                2 => Dose::Second,
                other => {
                    return Err(invalid(
                        format!("dose {other} is not planned here (1 or 2)"),
                        format!("{other}回目は割り当ての対象外です（1回目か2回目）"),
                    ))
                }
            };
            Change::MoveRequest {
                resident,
                dose,
                from: *from,
                to: *to,
                venue: venue.as_deref().map(venue_idx).transpose()?,
            }
        }
    };
    if loaded.problem.venues.is_empty() {
        return Ok(Computed { loaded, plan: None });
    }
    // Residents in no configured phase are still re-seated: they hold bookings already.
    if !loaded.problem.priority.phases.is_empty() {
        loaded.problem.priority.phases.push(Phase {
            name: "その他".into(),
            rule: PhaseRule::Everyone,
            earliest: None,
        });
    }
    let plan = reshuffle(&loaded.problem, &change, options).map_err(planner_error)?;
    let faults = new_violations(&plan.problem, &plan.schedule);
    if !faults.is_empty() {
        return Err(PlanningError::Planner(format!(
            "the reshuffle failed its independent check: {faults:?}"
        )));
    }
    Ok(Computed {
        loaded,
        plan: Some(plan),
    })
}

fn slot(loaded: &Loaded, band: usize) -> Slot {
    let b = &loaded.bands[band].band;
    let venue_name = loaded
        .venue_names
        .iter()
        .find(|(c, _)| *c == b.venue_code)
        .map(|(_, n)| n.clone())
        .unwrap_or_default();
    Slot {
        band_id: b.id,
        venue_code: b.venue_code.clone(),
        venue_name,
        date: b.date,
        start: b.start.format("%H:%M").to_string(),
        end: b.end.format("%H:%M").to_string(),
    }
}

fn preview_of(c: &Computed, request: &ReshuffleRequest) -> ReshufflePreview {
    let loaded = &c.loaded;
    let fingerprint = format!("{:016x}", loaded.fingerprint.0);
    let Some(plan) = &c.plan else {
        return ReshufflePreview {
            request: request.clone(),
            fingerprint,
            affected: 0,
            moves: Vec::new(),
            unplaced: Vec::new(),
        };
    };
    let moves = plan
        .moves
        .iter()
        .map(|m| {
            let person = &loaded.people[m.resident];
            let from = m.from.map(|b| slot(loaded, b));
            let to = m.to.map(|b| slot(loaded, b));
            let shift_days = from
                .as_ref()
                .zip(to.as_ref())
                .map(|(f, t)| (t.date - f.date).num_days());
            MoveRow {
                resident_id: person.id,
                name: person.name.clone(),
                voucher: person.voucher.clone(),
                dose: dose_number(m.dose),
                from,
                to,
                shift_days,
            }
        })
        .collect();
    let unplaced = plan
        .unplaced
        .iter()
        .map(|u| {
            let person = &loaded.people[u.resident];
            let (code, en, ja) = reason_text(u.reason);
            UnplacedRow {
                resident_id: person.id,
                name: person.name.clone(),
                voucher: person.voucher.clone(),
                dose: dose_number(u.dose),
                code: code.into(),
                en: en.into(),
                ja: ja.into(),
            }
        })
        .collect();
    ReshufflePreview {
        request: request.clone(),
        fingerprint,
        affected: plan.affected as u64,
        moves,
        unplaced,
    }
}

/// Computes who a change displaces and where each goes, without writing anything. A
/// calendar change (cut day, closed band, lower capacity) need not be in the ledger yet:
/// [`apply_reshuffle`] writes it together with the bookings.
pub fn preview_reshuffle(
    ledger: &Ledger,
    now: DateTime<FixedOffset>,
    request: &ReshuffleRequest,
    options: &PlanOptions<'_>,
) -> Result<ReshufflePreview, PlanningError> {
    let c = compute(&ledger.reader(), now.date_naive(), request, options)?;
    Ok(preview_of(&c, request))
}

/// Applies a previewed reshuffle in one transaction: its calendar change (if the ledger
/// does not have it yet), each moved booking with its `book` op (cause `reshuffle`), each
/// booking nobody could take cancelled. HQ only. Refuses with
/// [`PlanningError::StalePreview`] when a booking or band changed since the preview; the
/// moves are computed again from the ledger (the engine is deterministic for `options`'
/// seed), never taken from the caller.
pub fn apply_reshuffle(
    ledger: &mut Ledger,
    role: Role,
    now: DateTime<FixedOffset>,
    preview: &ReshufflePreview,
    options: &PlanOptions<'_>,
) -> Result<ReshuffleApplied, PlanningError> {
    // A resident's own move request is the call centre's rebooking; every other reshuffle
    // is HQ's.
    let cause = match &preview.request {
        ReshuffleRequest::MoveRequest { .. } if role.may_rebook() => BookingCause::Rebook,
        _ => {
            headquarters_only(role)?;
            BookingCause::Reshuffle
        }
    };
    let today = now.date_naive();
    let actor = crate::audit::hq_actor(ledger, now)?;
    let mut tx = ledger.transaction()?;
    let c = compute(&tx.reader(), today, &preview.request, options)?;
    let again = preview_of(&c, &preview.request);
    if again.fingerprint != preview.fingerprint || again.moves != preview.moves {
        return Err(PlanningError::StalePreview);
    }
    let edit = match &preview.request {
        ReshuffleRequest::CutDay { venue, date } => Some(BandEdit::CutDay {
            venue: venue.clone(),
            date: *date,
        }),
        ReshuffleRequest::CloseBand { band } => Some(BandEdit::CloseBand { band: *band }),
        ReshuffleRequest::LowerCapacity { band, capacity } => {
            let current = tx.reader().band_load(*band)?.band.capacity;
            (*capacity < current).then_some(BandEdit::SetCapacity {
                band: *band,
                capacity: *capacity,
            })
        }
        _ => None,
    };
    let calendar = match &edit {
        Some(e) => calendar::edit_bands_in(&mut tx, today, e)?,
        None => calendar::EditReport::default(),
    };
    let mut applied = ReshuffleApplied {
        ops: calendar.ops,
        calendar,
        moved: 0,
        cancelled: 0,
    };
    let loaded = &c.loaded;
    for m in &again.moves {
        match &m.to {
            Some(to) => {
                let product = loaded
                    .products
                    .get(&(m.resident_id, m.dose))
                    .unwrap_or(&loaded.product);
                tx.book(m.resident_id, m.dose, to.band_id, product, &now)?;
                applied.ops += replicate(&mut tx, m.resident_id, m.dose, cause)?;
                applied.moved += 1;
            }
            None => {
                if tx.cancel_booking(m.resident_id, m.dose, cause)? {
                    applied.ops += u64::from(tx.replicates());
                    applied.cancelled += 1;
                }
            }
        }
    }
    audit_reshuffle(&mut tx, &actor, &preview.request, &again.moves, now)?;
    tx.commit()?;
    Ok(applied)
}
