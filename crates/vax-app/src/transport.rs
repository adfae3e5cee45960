//! Bus transport on HQ's ledger (issue 13; docs/transport.md, "On the ledger"): the fleet,
//! pick-up points and riders' needs from CSV, a venue day's buses planned with vax-routing
//! and stored, re-plans that keep announced times, the day's view for the screens and the
//! manifests.
//!
//! A venue day is planned as legs: for each band, one trip to the venue (everyone off the
//! bus by the band's start) and one return trip per observation period (riders ready at the
//! band's end plus their 15 or 30 minutes). Legs are solved in the order they start, and a
//! vehicle a leg uses is free again for later legs only once it is back at the garage, so
//! no vehicle is on two routes at once.

use std::collections::{BTreeMap, HashMap};
use std::sync::atomic::AtomicBool;
use std::time::{Duration, Instant};

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime, Timelike};
use serde::Serialize;
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::product::Catalogue;
use vax_domain::resident::{parse_coordinate, parse_yes_no, required_text};
use vax_domain::role::Role;
use vax_domain::venue::Coordinates;
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};
use vax_ledger::{
    FleetVehicle, Ledger, LedgerError, LegDirection, LegRider, LegRow, NewLeg, PickupPoint, Reader,
    ResidentRow, Ride, RiderNeeds, RowId,
};
use vax_routing::{
    replan, solve, verify, Change, ClockTime, Limits, Plan, ProblemError, ReplanOptions, Rider,
    TransportProblem, Travel, Trip, Vehicle, DEFAULT_BOARDING_MINUTES, DEFAULT_MAX_RIDE_MINUTES,
    DEFAULT_MAX_WAIT_MINUTES, DEFAULT_VENUE_SERVICE_MINUTES, PROBLEM_FORMAT,
};

use crate::import::{
    decode, problem, read_rows, rejected_all, Column, ImportError, ImportProblem, TextEncoding,
};
use crate::progress::NoProgress;

/// Seats a wheelchair takes on a bus (docs/transport.md).
pub const WHEELCHAIR_SEATS: u32 = 2;
/// Minutes to board (or get off) in a wheelchair.
pub const WHEELCHAIR_BOARDING_MINUTES: f64 = 5.0;

/// Why a transport use case failed. Nothing was written.
#[derive(Debug, Error)]
pub enum TransportError {
    /// Only headquarters plans buses.
    #[error("the {0:?} role may not plan transport; only headquarters may")]
    RoleMayNot(Role),
    /// A request that cannot be served as asked.
    #[error("{en}")]
    Invalid {
        /// In English.
        en: String,
        /// In Japanese.
        ja: String,
    },
    /// A CSV file with problems; nothing imported.
    #[error(transparent)]
    Import(#[from] ImportError),
    /// The role may not mark bus riders (only the venue's desk and HQ).
    #[error("the {0:?} role may not mark bus riders; the reception, the venue manager and headquarters may")]
    MayNotMarkRides(Role),
    /// The solver's plan failed the independent check (a bug): nothing stored.
    #[error("the transport plan failed its check: {0}")]
    Check(String),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
    /// The manifests could not be written (font, disk).
    #[error(transparent)]
    Print(#[from] vax_print::PrintError),
}

impl UserFacing for TransportError {
    fn code(&self) -> ErrorCode {
        match self {
            Self::RoleMayNot(_) | Self::MayNotMarkRides(_) => ErrorCode::RoleMayNot,
            Self::Invalid { .. } | Self::Import(_) => ErrorCode::InvalidInput,
            Self::Check(_) => ErrorCode::PlanFailed,
            Self::Ledger(e) => e.code(),
            Self::Print(vax_print::PrintError::Font(_)) => ErrorCode::FontMissing,
            Self::Print(_) => ErrorCode::PrintFailed,
        }
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Print(vax_print::PrintError::Font(e)) => {
                format!("日本語フォントがありません: {e}")
            }
            Self::Print(vax_print::PrintError::Io { path, source }) => {
                format!("{}に書き込めません: {source}", path.display())
            }
            Self::RoleMayNot(_) => "送迎の計画は本部の端末でのみ行えます".into(),
            Self::MayNotMarkRides(_) => {
                "送迎の乗車記録は受付・会場責任者・本部の端末でのみ行えます".into()
            }
            Self::Invalid { ja, .. } => ja.clone(),
            Self::Import(e) => e.to_string(),
            Self::Check(m) => format!("送迎計画が検査に通りませんでした（保存していません）: {m}"),
            Self::Ledger(e) => e.message_ja(),
        }
    }
}

pub(crate) fn invalid(en: impl Into<String>, ja: impl Into<String>) -> TransportError {
    TransportError::Invalid {
        en: en.into(),
        ja: ja.into(),
    }
}

pub(crate) fn headquarters_only(role: Role) -> Result<(), TransportError> {
    if role.runs_the_campaign() {
        Ok(())
    } else {
        Err(TransportError::RoleMayNot(role))
    }
}

// ---------------------------------------------------------------------------------------
// CSV files: fleet, pick-up points, riders (docs/transport.md).

const FLEET_COLUMNS: &[Column] = &[
    Column::required("車両", &["車両名", "vehicle"]),
    Column::required("座席", &["座席数", "seats"]),
    Column::required("始業", &["運行開始", "shift_start"]),
    Column::required("終業", &["運行終了", "shift_end"]),
    Column::required("車庫緯度", &["garage_lat"]),
    Column::required("車庫経度", &["garage_lon"]),
    Column::optional("運転手", &["運転者", "driver"]),
];

const POINT_COLUMNS: &[Column] = &[
    Column::required("乗降場所コード", &["コード", "code"]),
    Column::required("名称", &["乗降場所", "name"]),
    Column::required("緯度", &["lat"]),
    Column::required("経度", &["lon"]),
];

const RIDER_COLUMNS: &[Column] = &[
    Column::required("市町村コード", &["自治体コード", "市区町村コード"]),
    Column::required("券番号", &["接種券番号"]),
    Column::optional("乗降場所コード", &["乗降場所"]),
    Column::optional("車いす", &["車椅子", "wheelchair"]),
];

fn parse_clock(v: &str) -> Result<NaiveTime, (String, String)> {
    NaiveTime::parse_from_str(v.trim(), "%H:%M").map_err(|_| {
        (
            format!("{v:?} is not a time of day HH:MM"),
            format!("「{v}」は時刻（HH:MM）として読めません"),
        )
    })
}

fn parse_seats(v: &str) -> Result<u32, (String, String)> {
    v.trim()
        .parse::<u32>()
        .ok()
        .filter(|n| (1..=100).contains(n))
        .ok_or_else(|| {
            (
                format!("{v:?} is not a number of seats from 1 to 100"),
                format!("「{v}」は座席数（1〜100）として読めません"),
            )
        })
}

fn field_error(e: vax_domain::resident::FieldError) -> (String, String) {
    (e.to_string(), e.message_ja())
}

/// What an import stored.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct TransportImport {
    /// Rows stored.
    pub rows: usize,
    /// `UTF-8` or `CP932`.
    pub encoding: &'static str,
}

/// Replaces the fleet with a fleet CSV (車両, 座席, 始業, 終業, 車庫緯度, 車庫経度), all or
/// nothing. Every vehicle must share one garage (the solver plans from one).
pub fn import_fleet(
    ledger: &mut Ledger,
    role: Role,
    bytes: &[u8],
) -> Result<TransportImport, TransportError> {
    headquarters_only(role)?;
    let (text, encoding) = decode(bytes, TextEncoding::Auto)?;
    let parsed = read_rows(&text, FLEET_COLUMNS, &mut NoProgress, |row| {
        let id = row.field_with(0, |v| required_text(v, 20).map_err(field_error));
        let seats = row.field_with(1, parse_seats);
        let start = row.field_with(2, parse_clock);
        let end = row.field_with(3, parse_clock);
        let lat = row.field(4, |v| parse_coordinate(v, true));
        let lon = row.field(5, |v| parse_coordinate(v, false));
        let driver = row.field_with(6, |v| {
            let v = v.trim();
            if v.chars().count() > 40 {
                Err((
                    "the driver's name is longer than 40 characters".to_owned(),
                    "運転手名は40文字以内にしてください".to_owned(),
                ))
            } else {
                Ok(v.to_owned())
            }
        });
        let (start, end) = (start?, end?);
        if end <= start {
            let line = row.line;
            row.problems.push(problem(
                line,
                Some("終業"),
                "the shift ends before it starts",
                "終業が始業より前です",
            ));
            return None;
        }
        Some(FleetVehicle {
            id: id?,
            seats: seats?,
            shift_start: start,
            shift_end: end,
            garage: Coordinates {
                lat: lat?,
                lon: lon?,
            },
            driver: driver?,
        })
    })?;
    let mut problems = parsed.problems;
    let mut seen: HashMap<&str, u64> = HashMap::new();
    let first_garage = parsed.rows.first().map(|(_, v)| v.garage);
    for (line, v) in &parsed.rows {
        if let Some(first) = seen.insert(&v.id, *line) {
            problems.push(problem(
                *line,
                Some("車両"),
                format!("vehicle {} already appears on line {first}", v.id),
                format!("車両「{}」は{first}行目にもあります", v.id),
            ));
        }
        if first_garage.is_some_and(|g| g != v.garage) {
            problems.push(problem(
                *line,
                Some("車庫緯度"),
                "every vehicle must start from the same garage as the first one",
                "すべての車両の車庫は1行目の車両と同じにしてください",
            ));
        }
    }
    if parsed.rows.is_empty() && problems.is_empty() {
        problems.push(problem(
            2,
            None,
            "the file lists no vehicle",
            "車両が1台もありません",
        ));
    }
    if !problems.is_empty() {
        return Err(rejected_all(problems).into());
    }
    let fleet: Vec<FleetVehicle> = parsed.rows.into_iter().map(|(_, v)| v).collect();
    let tx = ledger.transaction()?;
    tx.replace_fleet(&fleet)?;
    tx.commit()?;
    Ok(TransportImport {
        rows: fleet.len(),
        encoding,
    })
}

/// Adds or replaces pick-up points from a CSV (乗降場所コード, 名称, 緯度, 経度), all or
/// nothing.
pub fn import_pickup_points(
    ledger: &mut Ledger,
    role: Role,
    bytes: &[u8],
) -> Result<TransportImport, TransportError> {
    headquarters_only(role)?;
    let (text, encoding) = decode(bytes, TextEncoding::Auto)?;
    let parsed = read_rows(&text, POINT_COLUMNS, &mut NoProgress, |row| {
        let code = row.field_with(0, |v| required_text(v, 10).map_err(field_error));
        let name = row.field_with(1, |v| required_text(v, 40).map_err(field_error));
        let lat = row.field(2, |v| parse_coordinate(v, true));
        let lon = row.field(3, |v| parse_coordinate(v, false));
        Some(PickupPoint {
            code: code?,
            name: name?,
            location: Coordinates {
                lat: lat?,
                lon: lon?,
            },
        })
    })?;
    let mut problems = parsed.problems;
    let mut seen: HashMap<&str, u64> = HashMap::new();
    for (line, p) in &parsed.rows {
        if let Some(first) = seen.insert(&p.code, *line) {
            problems.push(problem(
                *line,
                Some("乗降場所コード"),
                format!("pick-up point {} already appears on line {first}", p.code),
                format!("乗降場所「{}」は{first}行目にもあります", p.code),
            ));
        }
    }
    if !problems.is_empty() {
        return Err(rejected_all(problems).into());
    }
    let points: Vec<PickupPoint> = parsed.rows.into_iter().map(|(_, p)| p).collect();
    let tx = ledger.transaction()?;
    tx.upsert_pickup_points(&points)?;
    tx.commit()?;
    Ok(TransportImport {
        rows: points.len(),
        encoding,
    })
}

/// Records riders' needs from a CSV (市町村コード, 券番号, 乗降場所コード, 車いす), all or
/// nothing: an empty pick-up point means at home; every voucher and point must be known.
pub fn import_riders(
    ledger: &mut Ledger,
    role: Role,
    bytes: &[u8],
) -> Result<TransportImport, TransportError> {
    headquarters_only(role)?;
    let (text, encoding) = decode(bytes, TextEncoding::Auto)?;
    let parsed = read_rows(&text, RIDER_COLUMNS, &mut NoProgress, |row| {
        let muni = row.field_with(0, |v| {
            MunicipalityCode::parse(v).map_err(|e| (e.to_string(), e.message_ja()))
        });
        let voucher = row.field_with(1, |v| {
            VoucherNumber::parse(v).map_err(|e| (e.to_string(), e.message_ja()))
        });
        let point = row.field_with(2, |v| {
            Ok(Some(v.trim().to_owned()).filter(|s| !s.is_empty()))
        });
        let wheelchair = row.field(3, |v| {
            if v.trim().is_empty() {
                Ok(false)
            } else {
                parse_yes_no(v)
            }
        });
        Some((muni?, voucher?, point?, wheelchair?))
    })?;
    let mut problems: Vec<ImportProblem> = parsed.problems;
    let reader = ledger.reader();
    let points: Vec<String> = reader
        .pickup_points()?
        .into_iter()
        .map(|p| p.code)
        .collect();
    let mut needs = Vec::with_capacity(parsed.rows.len());
    for (line, (muni, voucher, point, wheelchair)) in &parsed.rows {
        let found = reader.residents_by_voucher(Some(muni), voucher)?;
        let Some(resident) = found.first() else {
            problems.push(problem(
                *line,
                Some("券番号"),
                format!("no resident with voucher {muni}-{voucher}"),
                format!("券番号 {muni}-{voucher} の住民がいません"),
            ));
            continue;
        };
        if let Some(p) = point.as_ref().filter(|p| !points.contains(p)) {
            problems.push(problem(
                *line,
                Some("乗降場所コード"),
                format!("no pick-up point {p}; import the pick-up points first"),
                format!("乗降場所「{p}」が登録されていません。先に乗降場所を取り込んでください"),
            ));
            continue;
        }
        needs.push((
            resident.id,
            RiderNeeds {
                pickup_point: point.clone(),
                wheelchair: *wheelchair,
            },
        ));
    }
    if !problems.is_empty() {
        return Err(rejected_all(problems).into());
    }
    let tx = ledger.transaction()?;
    for (resident, n) in &needs {
        tx.set_rider_needs(*resident, n)?;
    }
    tx.commit()?;
    Ok(TransportImport {
        rows: needs.len(),
        encoding,
    })
}

// ---------------------------------------------------------------------------------------
// Planning a venue day.

/// How long and how the solver searches.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct SearchBudget {
    /// Wall-clock time for the whole day (shared by its legs).
    pub seconds: f64,
    /// Stop each leg after this many iterations (tests: the same plan on any machine).
    pub max_iterations: Option<u64>,
    /// The solver's seed.
    pub seed: u64,
}

impl Default for SearchBudget {
    fn default() -> Self {
        Self {
            seconds: 5.0,
            max_iterations: None,
            seed: 1,
        }
    }
}

/// A rider booked on the day who could not be put into any leg, and why.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct NotPlanned {
    /// The resident.
    pub resident_id: RowId,
    /// 氏名.
    pub name: String,
    /// Why, in English.
    pub reason: String,
    /// Why, in Japanese.
    pub reason_ja: String,
}

/// What planning a day did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayPlanReport {
    /// Riders (bookings with 送迎) of the day.
    pub riders: usize,
    /// Legs stored (a leg with a second run counts twice).
    pub legs: usize,
    /// Distinct vehicles used over the day.
    pub vehicles: usize,
    /// Kilometres of every route.
    pub km: f64,
    /// Riders on a route, counted once per leg.
    pub rides: usize,
    /// Riders of a leg the solver could not serve (by leg), with the reason.
    pub unserved: Vec<NotPlanned>,
    /// Riders with no home coordinates and no pick-up point.
    pub not_planned: Vec<NotPlanned>,
    /// Return runs made by a vehicle straight from the venue, where its previous run
    /// brought riders ([`FleetSharing::LegAware`]).
    pub runs_from_venue: usize,
    /// Vehicles' second runs within a leg's window ([`FleetSharing::TwoRuns`]).
    pub second_runs: usize,
}

/// A rider as a leg needs them.
#[derive(Debug, Clone)]
pub(crate) struct DayRider {
    pub(crate) resident: ResidentRow,
    pub(crate) band_start: NaiveTime,
    pub(crate) band_end: NaiveTime,
    pub(crate) observation: u32,
    pub(crate) at: Option<Coordinates>,
    pub(crate) wheelchair: bool,
}

pub(crate) fn rider_id(r: &ResidentRow) -> String {
    format!("{}-{}", r.resident.municipality, r.resident.voucher)
}

pub(crate) fn minutes_of(t: NaiveTime) -> u32 {
    t.hour() * 60 + t.minute()
}

fn clock_time(t: NaiveTime) -> ClockTime {
    ClockTime(minutes_of(t))
}

/// The riders of a venue day: bookings with 送迎, with where to fetch them.
pub(crate) fn day_riders(
    reader: &Reader<'_>,
    venue_code: &str,
    date: NaiveDate,
) -> Result<Vec<DayRider>, TransportError> {
    let points: HashMap<String, Coordinates> = reader
        .pickup_points()?
        .into_iter()
        .map(|p| (p.code, p.location))
        .collect();
    let mut riders = Vec::new();
    for load in reader.venue_day(venue_code, date)? {
        for (dose, resident) in reader.bookings_in_band(load.band.id)? {
            let survey = match &resident.survey {
                Some(s) if s.needs_transport => s.clone(),
                _ => continue,
            };
            let needs = reader.rider_needs(resident.id)?.unwrap_or(RiderNeeds {
                pickup_point: None,
                wheelchair: false,
            });
            let at = match &needs.pickup_point {
                Some(code) => points.get(code).copied(),
                None => resident.resident.home,
            };
            let product = reader
                .bookings_of(resident.id)?
                .into_iter()
                .find(|b| b.dose_number == dose)
                .map(|b| b.product_code);
            let catalogue = Catalogue::builtin();
            let rules = product.and_then(|p| {
                catalogue
                    .product(&p)
                    .ok()
                    .and_then(|p| p.rules_on(date).ok())
                    .map(|r| r.observation_for(survey.anaphylaxis_history))
            });
            // A booking without a known product: the catalogue's usual 15 / 30 minutes.
            let observation = rules.unwrap_or(if survey.anaphylaxis_history { 30 } else { 15 });
            riders.push(DayRider {
                resident,
                band_start: load.band.start,
                band_end: load.band.end,
                observation,
                at,
                wheelchair: needs.wheelchair,
            });
        }
    }
    Ok(riders)
}

/// One leg before it is solved.
struct LegSpec {
    band_start: NaiveTime,
    band_end: NaiveTime,
    direction: LegDirection,
    observation: u32,
    trip: Trip,
    riders: Vec<DayRider>,
}

impl LegSpec {
    /// When the leg starts, roughly: the order legs take vehicles in.
    fn starts_at(&self) -> u32 {
        match self.trip {
            Trip::ToVenue { arrive_by } => arrive_by
                .0
                .saturating_sub((DEFAULT_MAX_RIDE_MINUTES + DEFAULT_VENUE_SERVICE_MINUTES) as u32),
            Trip::FromVenue { ready_at } => ready_at.0,
        }
    }
}

/// For each leg (in `specs`' order), the vehicles it may use when it is a trip to the venue
/// that overlaps another: trips to the venue whose arrival times are closer than one trip
/// (the ride limit, unloading and the garage–venue drive both ways) cannot share a vehicle,
/// so the fleet is dealt between them, largest vehicle first, each to the trip with the most
/// seats still uncovered. `None`: the whole fleet.
fn fleet_shares(
    specs: &[LegSpec],
    fleet: &[FleetVehicle],
    link_minutes: u32,
) -> Vec<Option<Vec<String>>> {
    let one_trip =
        (DEFAULT_MAX_RIDE_MINUTES + DEFAULT_VENUE_SERVICE_MINUTES) as u32 + 2 * link_minutes;
    let arrive = |s: &LegSpec| match s.trip {
        Trip::ToVenue { arrive_by } => Some(arrive_by.0),
        Trip::FromVenue { .. } => None,
    };
    let mut to_venue: Vec<usize> = (0..specs.len())
        .filter(|&i| arrive(&specs[i]).is_some())
        .collect();
    to_venue.sort_by_key(|&i| arrive(&specs[i]));
    // Groups of trips each closer than one trip to the previous one.
    let mut groups: Vec<Vec<usize>> = Vec::new();
    for i in to_venue {
        let joins = groups.last().and_then(|g| g.last()).is_some_and(|&last| {
            arrive(&specs[i]).unwrap_or(0) < arrive(&specs[last]).unwrap_or(0) + one_trip
        });
        match groups.last_mut() {
            Some(g) if joins => g.push(i),
            _ => groups.push(vec![i]),
        }
    }
    let mut shares = vec![None; specs.len()];
    let mut by_seats: Vec<&FleetVehicle> = fleet.iter().collect();
    by_seats.sort_by(|a, b| b.seats.cmp(&a.seats).then(a.id.cmp(&b.id)));
    for group in groups.into_iter().filter(|g| g.len() > 1) {
        let mut uncovered: Vec<i64> = group
            .iter()
            .map(|&i| {
                specs[i]
                    .riders
                    .iter()
                    .map(|r| if r.wheelchair { WHEELCHAIR_SEATS } else { 1 } as i64)
                    .sum()
            })
            .collect();
        let mut dealt: Vec<Vec<String>> = vec![Vec::new(); group.len()];
        for v in &by_seats {
            // The trip with the most seats uncovered (the earliest on a tie).
            let k = (0..group.len())
                .max_by_key(|&k| (uncovered[k], std::cmp::Reverse(k)))
                .unwrap_or(0);
            uncovered[k] -= i64::from(v.seats);
            dealt[k].push(v.id.clone());
        }
        // A trip dealt nothing (more trips than vehicles) may still use the vehicles of the
        // trips before it once they are free (a leg's problem always has vehicles).
        let mut before: Vec<String> = Vec::new();
        for (k, ids) in group.into_iter().zip(dealt) {
            let share = if ids.is_empty() { before.clone() } else { ids };
            before.extend(share.iter().cloned());
            // Nothing dealt and nothing before it: the whole fleet, as without sharing.
            shares[k] = (!share.is_empty()).then_some(share);
        }
    }
    shares
}

fn leg_specs(riders: &[DayRider]) -> Vec<LegSpec> {
    let mut groups: BTreeMap<(NaiveTime, LegDirection, u32), LegSpec> = BTreeMap::new();
    for r in riders.iter().filter(|r| r.at.is_some()) {
        let to = groups
            .entry((r.band_start, LegDirection::ToVenue, 0))
            .or_insert_with(|| LegSpec {
                band_start: r.band_start,
                band_end: r.band_end,
                direction: LegDirection::ToVenue,
                observation: 0,
                trip: Trip::ToVenue {
                    arrive_by: clock_time(r.band_start),
                },
                riders: Vec::new(),
            });
        to.riders.push(r.clone());
        let ready = (minutes_of(r.band_end) + r.observation).min(23 * 60 + 59);
        let back = groups
            .entry((r.band_start, LegDirection::FromVenue, r.observation))
            .or_insert_with(|| LegSpec {
                band_start: r.band_start,
                band_end: r.band_end,
                direction: LegDirection::FromVenue,
                observation: r.observation,
                trip: Trip::FromVenue {
                    ready_at: ClockTime(ready),
                },
                riders: Vec::new(),
            });
        back.riders.push(r.clone());
    }
    let mut legs: Vec<LegSpec> = groups.into_values().collect();
    legs.sort_by_key(LegSpec::starts_at);
    legs
}

pub(crate) fn routing_rider(r: &DayRider) -> Option<Rider> {
    Some(Rider {
        id: rider_id(&r.resident),
        at: r.at?,
        seats: if r.wheelchair { WHEELCHAIR_SEATS } else { 1 },
        boarding_minutes: if r.wheelchair {
            WHEELCHAIR_BOARDING_MINUTES
        } else {
            DEFAULT_BOARDING_MINUTES
        },
        earliest_pickup: None,
        max_ride_minutes: None,
    })
}

/// The outcome of every rider of a solved leg.
pub(crate) fn leg_riders(
    problem: &TransportProblem,
    plan: &Plan,
    ids: &HashMap<String, RowId>,
) -> Vec<LegRider> {
    let mut out = Vec::with_capacity(problem.riders.len());
    for route in &plan.routes {
        let at_venue = match problem.trip {
            Trip::ToVenue { .. } => route.venue_arrival_minute,
            Trip::FromVenue { .. } => route.venue_departure_minute,
        };
        for (i, stop) in route.stops.iter().enumerate() {
            out.push(LegRider {
                rider: stop.rider.clone(),
                resident_id: ids[&stop.rider],
                ride: Some(Ride {
                    vehicle: route.vehicle.clone(),
                    stop_order: u32::try_from(i + 1).unwrap_or(u32::MAX),
                    at_door: stop.clock.clone(),
                    at_venue: vax_routing::clock(at_venue),
                }),
                unserved: None,
            });
        }
    }
    for u in &plan.unserved {
        let code = if problem.vehicles.is_empty() {
            NO_VEHICLE.to_owned()
        } else {
            reason_code(u.reason)
        };
        out.push(LegRider {
            rider: u.rider.clone(),
            resident_id: ids[&u.rider],
            ride: None,
            unserved: Some(code),
        });
    }
    out
}

/// The stored reason of a rider HQ took off the buses by hand: they come on their own
/// (`crate::transport_move`). Kept by re-plans and by planning the day again.
pub const OWN_WAY: &str = "own_way";

/// The stored reason of a rider whose leg was dealt no vehicle at all (every vehicle's shift
/// over or taken): the leg is stored with an empty fleet and every rider unserved.
pub const NO_VEHICLE: &str = "no_vehicle";

/// A stored leg's problem and plan. A leg dealt no vehicle is stored with an empty fleet,
/// which vax-routing refuses to solve; it reads back as it is (every rider unserved), and
/// any other fault in the stored JSON is an error.
pub(crate) fn stored_leg(leg: &LegRow) -> Result<(TransportProblem, Plan), TransportError> {
    let problem = match TransportProblem::from_json(&leg.problem_json) {
        Ok(p) => p,
        Err(ProblemError::NoVehicles) => serde_json::from_str(&leg.problem_json)
            .map_err(|e| TransportError::Check(e.to_string()))?,
        Err(e) => return Err(invalid(e.to_string(), e.message_ja())),
    };
    let plan =
        Plan::from_json(&leg.plan_json).map_err(|e| invalid(e.to_string(), e.message_ja()))?;
    Ok((problem, plan))
}

fn reason_code(reason: vax_routing::UnservedReason) -> String {
    serde_json::to_value(reason)
        .ok()
        .and_then(|v| v.as_str().map(str::to_owned))
        .unwrap_or_else(|| format!("{reason:?}"))
}

/// The English and Japanese words for a stored unserved reason.
pub fn unserved_reason(code: &str) -> (String, String) {
    if code == OWN_WAY {
        return (
            "comes on their own (HQ took them off the buses)".to_owned(),
            "自力で来場（本部が送迎から外しました）".to_owned(),
        );
    }
    if code == NO_VEHICLE {
        return (
            "no vehicle for this trip (every vehicle's shift is over or taken): these riders are not served".to_owned(),
            "この便に使える車両がありません（全車両の運行時間外か使用中）。この方々は送迎されません".to_owned(),
        );
    }
    let reason: Option<vax_routing::UnservedReason> =
        serde_json::from_value(serde_json::Value::String(code.to_owned())).ok();
    match reason {
        Some(r) => (code.replace('_', " "), r.message_ja().to_owned()),
        None => (code.to_owned(), code.to_owned()),
    }
}

/// How a vehicle is handed from one leg of the day to the next.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub enum FleetSharing {
    /// [`FleetSharing::LegAware`], and a vehicle may make two runs within one leg's window
    /// when the first leaves riders without a seat (the default; docs/transport.md "Two runs
    /// per band"): to the venue, a first run arriving early enough for the vehicle to fetch a
    /// second load before the band starts; home, a second run once the vehicle is back.
    #[default]
    TwoRuns,
    /// Trips to the venue whose times overlap (no vehicle can make both) share the fleet in
    /// proportion to their riders' seats, instead of the first taking every vehicle; and a
    /// vehicle that brought riders to the venue may take an earlier band's riders home
    /// straight from there, if it is there in time. One run per vehicle and leg (kept to
    /// measure against).
    LegAware,
    /// Every vehicle goes back to the garage after each run (the rule before leg-aware
    /// sharing; kept to measure against).
    GarageOnly,
}

/// The riders of a leg HQ sent their own way (by hand), as stored before.
fn own_way_in<'a>(
    own_way: &'a [(LegDirection, LegRider)],
    spec: &'a LegSpec,
) -> impl Iterator<Item = &'a LegRider> + 'a {
    own_way
        .iter()
        .filter(move |(d, r)| {
            *d == spec.direction && spec.riders.iter().any(|x| x.resident.id == r.resident_id)
        })
        .map(|(_, r)| r)
}

/// How much earlier than the band a first run to the venue may arrive so that its vehicles
/// fetch a second load in time: each is tried and the one serving most riders (then fewest
/// km) is kept. Riders of a first run wait at the venue that much longer at most.
const FIRST_RUN_EARLIER_MINUTES: [u32; 3] = [30, 45, 60];
/// A second run home is at the venue at most this long after its riders are ready (they
/// wait at the venue meanwhile): the problems' longest wait at the venue, which every run
/// home keeps (vax-routing's `max_wait_minutes`).
pub const SECOND_RUN_MAX_WAIT_MINUTES: u32 = DEFAULT_MAX_WAIT_MINUTES as u32;

/// Solves one leg's problems with a share of the day's search budget; every plan passes the
/// checker before it is returned.
struct LegSolver<'a> {
    seed: u64,
    max_iterations: Option<u64>,
    /// Wall-clock seconds for the whole leg (shared by its tries).
    seconds: f64,
    cancel: &'a AtomicBool,
}

/// One run of a leg: the problem and its checked plan.
type Run = (TransportProblem, Plan);

impl LegSolver<'_> {
    fn solve(&self, problem: &TransportProblem, seconds: f64) -> Result<Plan, TransportError> {
        if problem.vehicles.is_empty() {
            // Every vehicle is out: everyone is unserved for the fleet's size.
            return Ok(Plan {
                format: vax_routing::PLAN_FORMAT.to_owned(),
                vehicles_used: 0,
                total_km: 0.0,
                routes: Vec::new(),
                unserved: problem
                    .riders
                    .iter()
                    .map(|r| vax_routing::Unserved {
                        rider: r.id.clone(),
                        reason: vax_routing::UnservedReason::FleetTooSmall,
                    })
                    .collect(),
            });
        }
        problem
            .validate()
            .map_err(|e| invalid(e.to_string(), e.message_ja()))?;
        let started = Instant::now();
        let elapsed = move || started.elapsed();
        let limits = Limits {
            time: Duration::from_secs_f64(seconds),
            max_iterations: self.max_iterations,
            elapsed: &elapsed,
            cancel: self.cancel,
        };
        let plan = solve(problem, self.seed, &limits);
        verify(problem, &plan).map_err(|v| TransportError::Check(format!("{v:?}")))?;
        Ok(plan)
    }

    /// The leg in one run: every vehicle once.
    fn one_run(&self, problem: TransportProblem) -> Result<Run, TransportError> {
        let plan = self.solve(&problem, self.seconds)?;
        Ok((problem, plan))
    }

    /// The leg in one run, or in two when the first leaves riders for want of a vehicle:
    /// the riders the first run cannot seat go to a second run by the vehicles free again
    /// after it (back at the garage: the checker re-walks each run from there). To the venue
    /// the first run is tried arriving 30, 45 and 60 minutes early, so that the second still
    /// arrives before the band; home, the second run leaves within
    /// [`SECOND_RUN_MAX_WAIT_MINUTES`] of the riders being ready. The best of one run and
    /// the splits is kept: most riders served, then fewest km.
    fn two_runs(
        &self,
        problem: TransportProblem,
        link_minutes: u32,
    ) -> Result<Vec<Run>, TransportError> {
        let tries = 1 + FIRST_RUN_EARLIER_MINUTES.len();
        let share = self.seconds / (2 * tries) as f64;
        let single = self.solve(&problem, share)?;
        let waiting = |plan: &Plan| {
            plan.unserved
                .iter()
                .any(|u| u.reason == vax_routing::UnservedReason::FleetTooSmall)
        };
        if !waiting(&single) {
            return Ok(vec![(problem, single)]);
        }
        let served = |runs: &[Run]| -> (usize, f64) {
            runs.iter().fold((0, 0.0), |(n, km), (p, plan)| {
                (n + p.riders.len() - plan.unserved.len(), km + plan.total_km)
            })
        };
        // Home, the first run is the single one; to the venue, it arrives earlier.
        let firsts: Vec<Run> = match problem.trip {
            Trip::FromVenue { .. } => vec![(problem.clone(), single.clone())],
            Trip::ToVenue { arrive_by } => {
                let mut firsts = Vec::new();
                for m in FIRST_RUN_EARLIER_MINUTES
                    .iter()
                    .filter(|&&m| arrive_by.0 >= m)
                {
                    let first_problem = TransportProblem {
                        trip: Trip::ToVenue {
                            arrive_by: ClockTime(arrive_by.0 - m),
                        },
                        ..problem.clone()
                    };
                    let first = self.solve(&first_problem, share)?;
                    firsts.push((first_problem, first));
                }
                firsts
            }
        };
        let mut best = vec![(problem.clone(), single)];
        for (mut first_problem, mut first) in firsts {
            if first.routes.is_empty() {
                continue;
            }
            let Some(second_problem) = second_run(&problem, &first, link_minutes) else {
                continue;
            };
            let second = self.solve(&second_problem, share)?;
            // The riders the second run takes leave the first; a vehicle of the second run
            // that the first did not use leaves the first's fleet (no re-plan may use it
            // twice).
            let taken = |id: &str| second_problem.riders.iter().any(|r| r.id == id);
            first.unserved.retain(|u| !taken(&u.rider));
            first_problem.riders.retain(|r| !taken(&r.id));
            first_problem.vehicles.retain(|v| {
                first.routes.iter().any(|r| r.vehicle == v.id)
                    || second.routes.iter().all(|r| r.vehicle != v.id)
            });
            verify(&first_problem, &first).map_err(|v| TransportError::Check(format!("{v:?}")))?;
            let candidate = vec![(first_problem, first), (second_problem, second)];
            let (n, km) = served(&candidate);
            let (best_n, best_km) = served(&best);
            if n > best_n || (n == best_n && km < best_km - 1e-9) {
                best = candidate;
            }
        }
        Ok(best)
    }
}

/// The second run of a leg after `first` (solved on a problem like `leg`, perhaps with an
/// earlier arrival): `leg`'s trip, every rider `first` left (each keeps its own reason if
/// the second run cannot take them either), and every
/// vehicle of `first`'s problem from when it is back at the garage. `None` when nobody is
/// waiting or no vehicle is free in time.
fn second_run(leg: &TransportProblem, first: &Plan, link_minutes: u32) -> Option<TransportProblem> {
    let waiting: Vec<&str> = first.unserved.iter().map(|u| u.rider.as_str()).collect();
    // Home: the vehicle must reach the venue within the longest wait.
    let latest_start = match leg.trip {
        Trip::FromVenue { ready_at } => {
            Some((ready_at.0 + SECOND_RUN_MAX_WAIT_MINUTES).saturating_sub(link_minutes))
        }
        Trip::ToVenue { .. } => None,
    };
    let vehicles: Vec<Vehicle> = leg
        .vehicles
        .iter()
        .filter_map(|v| {
            let back = first
                .routes
                .iter()
                .find(|r| r.vehicle == v.id)
                .map_or(0, |r| r.back_at_garage_minute.ceil() as u32);
            let start = v.shift_start.0.max(back);
            (start < v.shift_end.0 && latest_start.is_none_or(|l| start <= l)).then(|| Vehicle {
                shift_start: ClockTime(start),
                ..v.clone()
            })
        })
        .collect();
    if waiting.is_empty() || vehicles.is_empty() {
        return None;
    }
    Some(TransportProblem {
        vehicles,
        riders: leg
            .riders
            .iter()
            .filter(|r| waiting.contains(&r.id.as_str()))
            .cloned()
            .collect(),
        ..leg.clone()
    })
}

/// Plans the buses of `venue_code` on `date` from its bookings with 送迎 and stores the
/// plan (replacing the day's previous one). Every leg's plan passes vax-routing's checker
/// before anything is stored. Vehicles are shared between legs as [`FleetSharing::TwoRuns`].
pub fn plan_day(
    ledger: &mut Ledger,
    role: Role,
    venue_code: &str,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
    budget: &SearchBudget,
) -> Result<DayPlanReport, TransportError> {
    plan_day_sharing(
        ledger,
        role,
        venue_code,
        date,
        now,
        budget,
        FleetSharing::TwoRuns,
    )
}

/// [`plan_day`] with the way vehicles are handed between legs chosen.
///
/// A leg's problem has every vehicle start and end at the garage. A vehicle that is empty at
/// the venue at minute `t` (it brought a band's riders) is offered to a later return leg as if
/// it left the garage at `t − (garage → venue)`: it is at the venue from `t` exactly as it
/// really is, so every time the checker verifies holds. The two garage ↔ venue drives that
/// did not happen are taken off the day's kilometres.
pub fn plan_day_sharing(
    ledger: &mut Ledger,
    role: Role,
    venue_code: &str,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
    budget: &SearchBudget,
    sharing: FleetSharing,
) -> Result<DayPlanReport, TransportError> {
    headquarters_only(role)?;
    if date < now.date_naive() {
        return Err(invalid(
            format!("{date} has passed: its buses cannot be planned"),
            format!("{date} は過ぎた日のため送迎を計画できません"),
        ));
    }
    let reader = ledger.reader();
    let venue = reader.venue(venue_code)?;
    let fleet = reader.fleet()?;
    let Some(garage) = fleet.first().map(|v| v.garage) else {
        return Err(invalid(
            "no fleet: import the vehicles first (vaxhq transport fleet)",
            "車両が登録されていません。先に車両を取り込んでください",
        ));
    };
    let riders = day_riders(&reader, venue_code, date)?;
    let not_planned: Vec<NotPlanned> = riders
        .iter()
        .filter(|r| r.at.is_none())
        .map(|r| NotPlanned {
            resident_id: r.resident.id,
            name: r.resident.resident.name.clone(),
            reason: "no home coordinates and no pick-up point".into(),
            reason_ja: "自宅の座標も乗降場所もありません".into(),
        })
        .collect();
    let specs = leg_specs(&riders);
    // Riders HQ sent their own way (by hand) stay so: they are left out of the problems.
    let own_way: Vec<(LegDirection, LegRider)> = reader
        .transport_legs(venue_code, date)?
        .into_iter()
        .flat_map(|l| {
            let direction = l.direction;
            l.riders
                .into_iter()
                .filter(|r| r.unserved.as_deref() == Some(OWN_WAY))
                .map(move |r| (direction, r))
        })
        .collect();
    let cancel = AtomicBool::new(false);
    let per_leg = budget.seconds.max(0.0) / specs.len().max(1) as f64;
    // Minute from which each vehicle is free again at the garage.
    let mut free_from: HashMap<String, u32> = HashMap::new();
    // Minute from which a vehicle stands empty at the venue (its last run brought riders).
    let mut at_venue_from: HashMap<String, u32> = HashMap::new();
    // The garage–venue drive (the default travel model every leg uses).
    let link_km = garage.distance_km(venue.venue.location) * vax_routing::DEFAULT_DETOUR_FACTOR;
    let link_minutes = (link_km / vax_routing::DEFAULT_SPEED_KMH * 60.0).floor() as u32;
    let mut legs = Vec::with_capacity(specs.len());
    let mut report = DayPlanReport {
        riders: riders.len(),
        legs: specs.len(),
        vehicles: 0,
        km: 0.0,
        rides: 0,
        unserved: Vec::new(),
        not_planned,
        runs_from_venue: 0,
        second_runs: 0,
    };
    let mut used = std::collections::BTreeSet::new();
    let shares = match sharing {
        FleetSharing::TwoRuns | FleetSharing::LegAware => {
            fleet_shares(&specs, &fleet, link_minutes)
        }
        FleetSharing::GarageOnly => vec![None; specs.len()],
    };
    for (spec, share) in specs.into_iter().zip(shares) {
        let vehicles: Vec<Vehicle> = fleet
            .iter()
            .filter(|v| share.as_ref().is_none_or(|ids| ids.contains(&v.id)))
            .filter_map(|v| {
                let mut free = free_from.get(&v.id).copied().unwrap_or(0);
                if sharing != FleetSharing::GarageOnly && spec.direction == LegDirection::FromVenue
                {
                    if let Some(t) = at_venue_from.get(&v.id) {
                        free = free.min(t.saturating_sub(link_minutes));
                    }
                }
                let start = minutes_of(v.shift_start).max(free);
                let end = minutes_of(v.shift_end);
                (start < end).then(|| Vehicle {
                    id: v.id.clone(),
                    seats: v.seats,
                    shift_start: ClockTime(start),
                    shift_end: ClockTime(end),
                })
            })
            .collect();
        let problem = TransportProblem {
            format: PROBLEM_FORMAT.to_owned(),
            trip: spec.trip,
            garage,
            venue: venue.venue.location,
            venue_service_minutes: DEFAULT_VENUE_SERVICE_MINUTES,
            max_ride_minutes: DEFAULT_MAX_RIDE_MINUTES,
            max_wait_minutes: DEFAULT_MAX_WAIT_MINUTES,
            travel: Travel::default(),
            vehicles,
            riders: spec
                .riders
                .iter()
                .filter(|r| own_way_in(&own_way, &spec).all(|o| o.resident_id != r.resident.id))
                .filter_map(routing_rider)
                .collect(),
        };
        let ids: HashMap<String, RowId> = spec
            .riders
            .iter()
            .map(|r| (rider_id(&r.resident), r.resident.id))
            .collect();
        let solver = LegSolver {
            seed: budget.seed,
            max_iterations: budget.max_iterations,
            seconds: per_leg,
            cancel: &cancel,
        };
        let runs = if sharing == FleetSharing::TwoRuns {
            solver.two_runs(problem, link_minutes)?
        } else {
            vec![solver.one_run(problem)?]
        };
        let first_leg = legs.len();
        for (run, (problem, plan)) in (1u32..).zip(runs) {
            for route in &plan.routes {
                let back_before = free_from.insert(
                    route.vehicle.clone(),
                    route.back_at_garage_minute.ceil() as u32,
                );
                // Left "the garage" before it was back there: it came from the venue.
                if back_before.is_some_and(|b| route.leave_garage_minute < f64::from(b)) {
                    report.km -= 2.0 * link_km;
                    report.runs_from_venue += 1;
                }
                if spec.direction == LegDirection::ToVenue {
                    at_venue_from.insert(
                        route.vehicle.clone(),
                        route.venue_departure_minute.ceil() as u32,
                    );
                } else {
                    at_venue_from.remove(&route.vehicle);
                }
                used.insert(route.vehicle.clone());
            }
            if run > 1 {
                report.second_runs += plan.routes.len();
            }
            report.km += plan.total_km;
            let outcome = leg_riders(&problem, &plan, &ids);
            report.rides += outcome.iter().filter(|r| r.ride.is_some()).count();
            for r in outcome.iter().filter(|r| r.unserved.is_some()) {
                let (en, ja) = unserved_reason(r.unserved.as_deref().unwrap_or_default());
                let name = spec
                    .riders
                    .iter()
                    .find(|d| d.resident.id == r.resident_id)
                    .map(|d| d.resident.resident.name.clone())
                    .unwrap_or_default();
                report.unserved.push(NotPlanned {
                    resident_id: r.resident_id,
                    name,
                    reason: format!("{} trip: {en}", spec.direction.code()),
                    reason_ja: ja,
                });
            }
            legs.push(NewLeg {
                band_start: spec.band_start,
                band_end: spec.band_end,
                direction: spec.direction,
                observation_minutes: spec.observation,
                run,
                problem_json: problem.to_json(),
                plan_json: plan.to_json(),
                riders: outcome,
            });
        }
        if let Some(leg) = legs.get_mut(first_leg) {
            leg.riders.extend(own_way_in(&own_way, &spec).cloned());
        }
    }
    report.vehicles = used.len();
    report.legs = legs.len();
    let mut tx = ledger.transaction()?;
    tx.replace_transport_day(venue_code, date, &now, &legs)?;
    // The venue's share goes with the plan, in the same transaction.
    let rides = crate::rides::ride_plan_of(&tx.reader(), venue_code, date, &legs)?;
    tx.publish_ride_plan(rides)?;
    tx.commit()?;
    Ok(report)
}

/// A rider whose announced time moved in a re-plan.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct AnnouncedChange {
    /// The resident.
    pub resident_id: RowId,
    /// 氏名.
    pub name: String,
    /// Which trip.
    pub direction: LegDirection,
    /// Announced time at the door (HH:MM).
    pub before: String,
    /// New time at the door (HH:MM), or `None` when no longer served.
    pub after: Option<String>,
}

/// What a re-plan did.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayReplanReport {
    /// Riders taken off (booking cancelled or moved away, or 送迎 no longer asked).
    pub cancelled: Vec<String>,
    /// Riders added to an existing leg.
    pub added: Vec<String>,
    /// Riders whose announced time moved (beyond the re-planner's tolerance, or unserved).
    pub changed: Vec<AnnouncedChange>,
    /// Riders who need a leg the stored plan does not have, or whose place is unknown:
    /// plan the day again for them.
    pub needs_full_plan: Vec<String>,
}

/// vax-routing's `replan` returns the routes it touched and the riders it reports itself;
/// riders the leg already left unserved (for their own reason) stay in the plan as they were.
pub(crate) fn keep_unserved(before: &Plan, next: &mut Plan, problem: &TransportProblem) {
    for r in &problem.riders {
        let placed = next
            .routes
            .iter()
            .any(|x| x.stops.iter().any(|s| s.rider == r.id))
            || next.unserved.iter().any(|u| u.rider == r.id);
        if !placed {
            if let Some(u) = before.unserved.iter().find(|u| u.rider == r.id) {
                next.unserved.push(u.clone());
            }
        }
    }
}

/// A change to a leg that has no vehicle: a cancelled rider leaves it, a new rider joins
/// its unserved riders.
fn without_vehicle(problem: &mut TransportProblem, plan: &mut Plan, change: &Change) {
    match change {
        Change::Cancel { rider } => {
            problem.riders.retain(|r| &r.id != rider);
            plan.unserved.retain(|u| &u.rider != rider);
        }
        Change::Add { rider } => {
            problem.riders.push(rider.clone());
            plan.unserved.push(vax_routing::Unserved {
                rider: rider.id.clone(),
                reason: vax_routing::UnservedReason::FleetTooSmall,
            });
        }
    }
}

/// Re-plans a stored day after bookings changed, keeping announced times (vax-routing's
/// `replan`, one change at a time): cancelled riders leave their routes, new riders join
/// where they cost least. Reports who must be told a new time.
pub fn replan_day(
    ledger: &mut Ledger,
    role: Role,
    venue_code: &str,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<DayReplanReport, TransportError> {
    headquarters_only(role)?;
    let reader = ledger.reader();
    let stored = reader.transport_legs(venue_code, date)?;
    if stored.is_empty() {
        return Err(invalid(
            format!("no stored plan for {venue_code} on {date}: plan the day first"),
            format!("{venue_code} の {date} の送迎計画がありません。先に計画してください"),
        ));
    }
    let riders = day_riders(&reader, venue_code, date)?;
    let mut report = DayReplanReport {
        cancelled: Vec::new(),
        added: Vec::new(),
        changed: Vec::new(),
        needs_full_plan: Vec::new(),
    };
    let names: HashMap<RowId, String> = riders
        .iter()
        .map(|r| (r.resident.id, r.resident.resident.name.clone()))
        .chain(stored.iter().flat_map(|l| l.riders.iter()).filter_map(|r| {
            reader
                .resident(r.resident_id)
                .ok()
                .map(|x| (r.resident_id, x.resident.name))
        }))
        .collect();
    let specs = leg_specs(&riders);
    // Every rider of a leg, over its runs.
    let in_leg = |leg: &LegRow| -> std::collections::HashSet<&str> {
        stored
            .iter()
            .filter(|l| {
                (l.band_start, l.direction, l.observation_minutes)
                    == (leg.band_start, leg.direction, leg.observation_minutes)
            })
            .flat_map(|l| l.riders.iter().map(|r| r.rider.as_str()))
            .collect()
    };
    let mut placed: std::collections::HashSet<(RowId, LegDirection)> = Default::default();
    let mut legs = Vec::with_capacity(stored.len());
    for leg in &stored {
        let (mut problem, mut plan) = stored_leg(leg)?;
        let announced: HashMap<String, String> = leg
            .riders
            .iter()
            .filter_map(|r| {
                r.ride
                    .as_ref()
                    .map(|x| (r.rider.clone(), x.at_door.clone()))
            })
            .collect();
        let mut ids: HashMap<String, RowId> = leg
            .riders
            .iter()
            .map(|r| (r.rider.clone(), r.resident_id))
            .collect();
        let wanted: Vec<&DayRider> = specs
            .iter()
            .find(|s| {
                s.band_start == leg.band_start
                    && s.direction == leg.direction
                    && s.observation == leg.observation_minutes
            })
            .map(|s| s.riders.iter().collect())
            .unwrap_or_default();
        let wanted_ids: HashMap<String, &DayRider> =
            wanted.iter().map(|r| (rider_id(&r.resident), *r)).collect();
        let mut changes: Vec<Change> = problem
            .riders
            .iter()
            .filter(|r| !wanted_ids.contains_key(&r.id))
            .map(|r| Change::Cancel {
                rider: r.id.clone(),
            })
            .collect();
        // A new rider joins the leg's first run; a rider of another run of the leg is no
        // newcomer.
        for (id, r) in wanted_ids.iter().filter(|_| leg.run == 1) {
            if !in_leg(leg).contains(id.as_str()) {
                if let Some(rider) = routing_rider(r) {
                    ids.insert(id.clone(), r.resident.id);
                    changes.push(Change::Add { rider });
                }
            }
        }
        for change in &changes {
            if problem.vehicles.is_empty() {
                // A leg with no vehicle: its riders stay unserved, whoever comes or goes.
                without_vehicle(&mut problem, &mut plan, change);
                match change {
                    Change::Cancel { rider } => report.cancelled.push(rider.clone()),
                    Change::Add { rider } => report.added.push(rider.id.clone()),
                }
                continue;
            }
            let mut next = replan(&problem, &plan, change, &ReplanOptions::default())
                .map_err(|e| invalid(e.to_string(), e.message_ja()))?;
            keep_unserved(&plan, &mut next.plan, &next.problem);
            verify(&next.problem, &next.plan)
                .map_err(|v| TransportError::Check(format!("{v:?}")))?;
            match change {
                Change::Cancel { rider } => report.cancelled.push(rider.clone()),
                Change::Add { rider } => report.added.push(rider.id.clone()),
            }
            problem = next.problem;
            plan = next.plan;
        }
        let mut outcome = leg_riders(&problem, &plan, &ids);
        // Riders HQ sent their own way stay so while they are still booked.
        outcome.extend(
            leg.riders
                .iter()
                .filter(|r| r.unserved.as_deref() == Some(OWN_WAY))
                .filter(|r| wanted_ids.contains_key(&r.rider))
                .cloned(),
        );
        for r in &outcome {
            placed.insert((r.resident_id, leg.direction));
            let Some(before) = announced.get(&r.rider) else {
                continue;
            };
            let after = r.ride.as_ref().map(|x| x.at_door.clone());
            if after.as_ref() != Some(before) {
                report.changed.push(AnnouncedChange {
                    resident_id: r.resident_id,
                    name: names.get(&r.resident_id).cloned().unwrap_or_default(),
                    direction: leg.direction,
                    before: before.clone(),
                    after,
                });
            }
        }
        legs.push(NewLeg {
            band_start: leg.band_start,
            band_end: leg.band_end,
            direction: leg.direction,
            observation_minutes: leg.observation_minutes,
            run: leg.run,
            problem_json: problem.to_json(),
            plan_json: plan.to_json(),
            riders: outcome,
        });
    }
    for r in &riders {
        for direction in [LegDirection::ToVenue, LegDirection::FromVenue] {
            if !placed.contains(&(r.resident.id, direction)) {
                let id = rider_id(&r.resident);
                if !report.needs_full_plan.contains(&id) {
                    report.needs_full_plan.push(id);
                }
            }
        }
    }
    let mut tx = ledger.transaction()?;
    tx.replace_transport_day(venue_code, date, &now, &legs)?;
    // The venue's share goes with the plan, in the same transaction.
    let rides = crate::rides::ride_plan_of(&tx.reader(), venue_code, date, &legs)?;
    tx.publish_ride_plan(rides)?;
    tx.commit()?;
    Ok(report)
}

// ---------------------------------------------------------------------------------------
// The day's view: screens, `vaxhq transport show`, manifests, notices.

/// A rider on a bus (or left off), with what the driver and reception need.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct RiderLine {
    /// The resident.
    pub resident_id: RowId,
    /// Rider id in the problem (`municipality-voucher`).
    pub rider: String,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 住所.
    pub address: String,
    /// 電話番号.
    pub phone: Option<String>,
    /// The pick-up point's name, when not fetched at home.
    pub pickup_point: Option<String>,
    /// Rides in a wheelchair.
    pub wheelchair: bool,
    /// Where they are fetched or set down.
    pub at: Option<Coordinates>,
    /// Stop number (1-based) on the bus.
    pub stop_order: Option<u32>,
    /// Time at the door (HH:MM).
    pub at_door: Option<String>,
    /// Why not served (Japanese), when not.
    pub unserved_ja: Option<String>,
}

/// One bus on one leg.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BusRun {
    /// The vehicle.
    pub vehicle: String,
    /// Which way.
    pub direction: LegDirection,
    /// The band served.
    pub band_start: String,
    /// Its end.
    pub band_end: String,
    /// The return trip's observation period (0 to the venue): with the direction, the band
    /// and the run, it names the leg ([`crate::transport_move::TripRef`]).
    pub observation_minutes: u32,
    /// 1: the vehicle's first run of the leg; 2: its second run within the leg's window.
    pub run: u32,
    /// Leaves the garage (HH:MM).
    pub leave_garage: String,
    /// Arrives at the venue (to) or leaves it (return), HH:MM.
    pub at_venue: String,
    /// Back at the garage (HH:MM).
    pub back_at_garage: String,
    /// Seats taken.
    pub seats_used: u32,
    /// Seats of the vehicle as stored with the plan (the figure a move by hand is checked
    /// against), not the fleet's current one.
    pub seats: u32,
    /// Kilometres, garage to garage.
    pub km: f64,
    /// Stops in order.
    pub stops: Vec<RiderLine>,
}

/// A leg of the day that was dealt no vehicle (every vehicle's shift over or taken): stored
/// as such, with every rider unserved, and shown to HQ as a warning.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LegWithoutVehicle {
    /// Which way.
    pub direction: LegDirection,
    /// The band's start (HH:MM).
    pub band_start: String,
    /// The band's end (HH:MM).
    pub band_end: String,
    /// Riders of the leg, none of them served.
    pub riders: usize,
    /// "No vehicle — these riders are not served", in English.
    pub message: String,
    /// The same in Japanese.
    pub message_ja: String,
}

/// A venue day's buses as stored.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayTransport {
    /// Venue code.
    pub venue_code: String,
    /// 会場名.
    pub venue_name: String,
    /// The venue's address.
    pub venue_address: String,
    /// The venue's place.
    pub venue_at: Coordinates,
    /// The garage.
    pub garage: Option<Coordinates>,
    /// The day.
    pub date: NaiveDate,
    /// When it was planned; `None`: never.
    pub planned_at: Option<DateTime<FixedOffset>>,
    /// Every bus run, by leg then vehicle.
    pub runs: Vec<BusRun>,
    /// Riders of a leg not served, with the reason.
    pub unserved: Vec<RiderLine>,
    /// Legs dealt no vehicle at all: their riders are not served.
    pub no_vehicle: Vec<LegWithoutVehicle>,
    /// Distinct vehicles over the day.
    pub vehicles: usize,
    /// Kilometres of every route.
    pub km: f64,
}

/// One rider's day on the reception's list.
#[derive(Debug, Clone, PartialEq, Serialize)]
pub struct ReceptionLine {
    /// The rider.
    pub rider: RiderLine,
    /// The band booked.
    pub band_start: String,
    /// Arriving on this bus at this time, when served.
    pub arrives: Option<(String, String)>,
    /// Leaving on this bus at this time, when served.
    pub leaves: Option<(String, String)>,
}

impl DayTransport {
    /// The reception's list: every rider with the bus they arrive on and leave on, by
    /// band then kana.
    pub fn reception(&self) -> Vec<ReceptionLine> {
        let mut by_rider: BTreeMap<(String, String, RowId), ReceptionLine> = BTreeMap::new();
        let runs = self.runs.iter().flat_map(|run| {
            run.stops
                .iter()
                .map(move |s| (run, s, Some((run.vehicle.clone(), run.at_venue.clone()))))
        });
        for (run, stop, bus) in runs {
            let line = by_rider
                .entry((
                    run.band_start.clone(),
                    stop.name_kana.clone(),
                    stop.resident_id,
                ))
                .or_insert_with(|| ReceptionLine {
                    rider: stop.clone(),
                    band_start: run.band_start.clone(),
                    arrives: None,
                    leaves: None,
                });
            match run.direction {
                LegDirection::ToVenue => line.arrives = bus,
                LegDirection::FromVenue => line.leaves = bus,
            }
        }
        let mut lines: Vec<ReceptionLine> = by_rider.into_values().collect();
        for s in &self.unserved {
            if lines.iter().all(|l| l.rider.resident_id != s.resident_id) {
                lines.push(ReceptionLine {
                    rider: s.clone(),
                    band_start: String::new(),
                    arrives: None,
                    leaves: None,
                });
            }
        }
        lines
    }
}

fn rider_line(
    reader: &Reader<'_>,
    r: &LegRider,
    problem: &TransportProblem,
    points: &HashMap<String, String>,
) -> Result<RiderLine, TransportError> {
    let resident = reader.resident(r.resident_id)?;
    let needs = reader.rider_needs(r.resident_id)?;
    Ok(RiderLine {
        resident_id: r.resident_id,
        rider: r.rider.clone(),
        name: resident.resident.name,
        name_kana: resident.resident.name_kana,
        address: resident.resident.address,
        phone: resident.resident.phone.map(|p| p.display),
        pickup_point: needs
            .as_ref()
            .and_then(|n| n.pickup_point.as_ref())
            .map(|c| points.get(c).cloned().unwrap_or_else(|| c.clone())),
        wheelchair: needs.is_some_and(|n| n.wheelchair),
        at: problem
            .riders
            .iter()
            .find(|x| x.id == r.rider)
            .map(|x| x.at),
        stop_order: r.ride.as_ref().map(|x| x.stop_order),
        at_door: r.ride.as_ref().map(|x| x.at_door.clone()),
        unserved_ja: r.unserved.as_deref().map(|c| unserved_reason(c).1),
    })
}

/// The stored buses of a venue day (empty runs when never planned).
pub fn day_transport(
    reader: &Reader<'_>,
    venue_code: &str,
    date: NaiveDate,
) -> Result<DayTransport, TransportError> {
    let venue = reader.venue(venue_code)?;
    let legs: Vec<LegRow> = reader.transport_legs(venue_code, date)?;
    let points: HashMap<String, String> = reader
        .pickup_points()?
        .into_iter()
        .map(|p| (p.code, p.name))
        .collect();
    let mut day = DayTransport {
        venue_code: venue_code.to_owned(),
        venue_name: venue.venue.name.clone(),
        venue_address: venue.venue.address.clone(),
        venue_at: venue.venue.location,
        garage: None,
        date,
        planned_at: legs.first().map(|l| l.planned_at),
        runs: Vec::new(),
        unserved: Vec::new(),
        no_vehicle: Vec::new(),
        vehicles: 0,
        km: 0.0,
    };
    let mut used = std::collections::BTreeSet::new();
    for leg in &legs {
        let (problem, plan) = stored_leg(leg)?;
        if problem.vehicles.is_empty() {
            let (message, message_ja) = unserved_reason(NO_VEHICLE);
            day.no_vehicle.push(LegWithoutVehicle {
                direction: leg.direction,
                band_start: leg.band_start.format("%H:%M").to_string(),
                band_end: leg.band_end.format("%H:%M").to_string(),
                riders: leg.riders.len(),
                message,
                message_ja,
            });
        }
        day.garage = Some(problem.garage);
        day.km += plan.total_km;
        for route in &plan.routes {
            used.insert(route.vehicle.clone());
            let mut stops = Vec::with_capacity(route.stops.len());
            for stop in &route.stops {
                if let Some(r) = leg.riders.iter().find(|r| r.rider == stop.rider) {
                    stops.push(rider_line(reader, r, &problem, &points)?);
                }
            }
            day.runs.push(BusRun {
                vehicle: route.vehicle.clone(),
                direction: leg.direction,
                band_start: leg.band_start.format("%H:%M").to_string(),
                band_end: leg.band_end.format("%H:%M").to_string(),
                observation_minutes: leg.observation_minutes,
                run: leg.run,
                leave_garage: vax_routing::clock(route.leave_garage_minute),
                at_venue: vax_routing::clock(match leg.direction {
                    LegDirection::ToVenue => route.venue_arrival_minute,
                    LegDirection::FromVenue => route.venue_departure_minute,
                }),
                back_at_garage: vax_routing::clock(route.back_at_garage_minute),
                seats_used: route.seats_used,
                // The seats the leg was planned (and a move is checked) with: a fleet
                // re-imported since, or a vehicle removed, does not change them.
                seats: problem
                    .vehicles
                    .iter()
                    .find(|v| v.id == route.vehicle)
                    .map_or(0, |v| v.seats),
                km: route.km,
                stops,
            });
        }
        for r in leg.riders.iter().filter(|r| r.ride.is_none()) {
            day.unserved.push(rider_line(reader, r, &problem, &points)?);
        }
    }
    day.vehicles = used.len();
    Ok(day)
}

/// A resident's rides on a day, for notices: (pick-up time at the door, return departure
/// from the venue), each when planned and served.
pub fn rides_of(
    reader: &Reader<'_>,
    resident: RowId,
    venue_code: &str,
    date: NaiveDate,
) -> Result<(Option<String>, Option<String>), TransportError> {
    let mut pickup = None;
    let mut back = None;
    for leg in reader.transport_legs(venue_code, date)? {
        for r in leg.riders.iter().filter(|r| r.resident_id == resident) {
            if let Some(ride) = &r.ride {
                match leg.direction {
                    LegDirection::ToVenue => pickup = Some(ride.at_door.clone()),
                    LegDirection::FromVenue => back = Some(ride.at_venue.clone()),
                }
            }
        }
    }
    Ok((pickup, back))
}

// ---------------------------------------------------------------------------------------
// Manifests.

/// The files [`write_day_sheets`] wrote.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct DaySheets {
    /// The drivers' manifests (one bus run per page or more).
    pub manifests: std::path::PathBuf,
    /// The reception's list.
    pub reception: std::path::PathBuf,
    /// Bus runs printed.
    pub runs: usize,
    /// Riders on the reception's list.
    pub riders: usize,
}

fn bus_at(bus: &Option<(String, String)>, unserved: &Option<String>) -> String {
    match (bus, unserved) {
        (Some((vehicle, at)), _) => format!("{vehicle}　{at}"),
        (None, Some(reason)) => format!("送迎不可: {reason}"),
        (None, None) => "—".to_owned(),
    }
}

/// The drivers' manifests and the reception's list of a day, as print inputs.
pub fn day_sheets(day: &DayTransport) -> (Vec<vax_print::Manifest>, vax_print::ReceptionList) {
    let reception = day.reception();
    let returns: HashMap<RowId, String> = reception
        .iter()
        .filter_map(|l| {
            l.leaves
                .as_ref()
                .map(|(v, t)| (l.rider.resident_id, format!("{t}（{v}）")))
        })
        .collect();
    let manifests = day
        .runs
        .iter()
        .map(|run| vax_print::Manifest {
            vehicle: run.vehicle.clone(),
            direction: match run.direction {
                LegDirection::ToVenue => vax_print::RunDirection::ToVenue,
                LegDirection::FromVenue => vax_print::RunDirection::FromVenue,
            },
            venue_name: day.venue_name.clone(),
            date: day.date,
            band: format!("{}〜{}", run.band_start, run.band_end),
            leave_garage: run.leave_garage.clone(),
            at_venue: run.at_venue.clone(),
            back_at_garage: run.back_at_garage.clone(),
            seats: format!("{} / {}", run.seats_used, run.seats),
            km: run.km,
            stops: run
                .stops
                .iter()
                .map(|s| vax_print::ManifestStop {
                    order: s.stop_order.unwrap_or(0),
                    time: s.at_door.clone().unwrap_or_default(),
                    name: s.name.clone(),
                    name_kana: s.name_kana.clone(),
                    place: s
                        .pickup_point
                        .as_ref()
                        .map_or_else(|| s.address.clone(), |p| format!("乗降場所: {p}")),
                    phone: s.phone.clone().unwrap_or_default(),
                    wheelchair: s.wheelchair,
                    return_time: returns.get(&s.resident_id).cloned().unwrap_or_default(),
                })
                .collect(),
        })
        .collect();
    let rows = reception
        .iter()
        .map(|l| vax_print::ReceptionRow {
            band: l.band_start.clone(),
            name: l.rider.name.clone(),
            name_kana: l.rider.name_kana.clone(),
            arrives: bus_at(&l.arrives, &l.rider.unserved_ja),
            leaves: bus_at(&l.leaves, &l.rider.unserved_ja),
            wheelchair: l.rider.wheelchair,
        })
        .collect();
    (
        manifests,
        vax_print::ReceptionList {
            venue_name: day.venue_name.clone(),
            date: day.date,
            rows,
        },
    )
}

/// Writes `transport-{venue}-{date}-manifests.pdf` and `…-reception.pdf` into `dir`.
pub fn write_day_sheets(
    font: &vax_print::JapaneseFont,
    day: &DayTransport,
    dir: &std::path::Path,
) -> Result<DaySheets, vax_print::PrintError> {
    std::fs::create_dir_all(dir).map_err(|source| vax_print::PrintError::Io {
        path: dir.to_owned(),
        source,
    })?;
    let stem = format!("transport-{}-{}", day.venue_code, day.date);
    let (manifests, reception) = day_sheets(day);
    let sheets = DaySheets {
        manifests: dir.join(format!("{stem}-manifests.pdf")),
        reception: dir.join(format!("{stem}-reception.pdf")),
        runs: manifests.len(),
        riders: reception.rows.len(),
    };
    vax_print::write_manifests(font, &manifests, &sheets.manifests)?;
    vax_print::write_reception_list(font, &reception, &sheets.reception)?;
    Ok(sheets)
}
