//! The transport problem as the city has it, its JSON format and its validation.
//!
//! Times of day are `"HH:MM"` strings in the JSON and minutes after midnight inside.
//! A ride is the time **on the bus**: to the venue from the start of boarding at the door to
//! the bus's arrival at the venue; home from the bus's departure from the venue (everyone has
//! boarded) to the end of getting off at the door. The search measures it on each route
//! ([`crate::engine::Ride`]), so a bus that comes to the venue after the riders are ready
//! does not spend their ride limit while they wait; how long they may wait is a limit of its
//! own (`max_wait_minutes`). Other solvers get the limit folded into time windows
//! ([`TransportProblem::to_vrptw_json`]), which is the same problem only when every bus can
//! be at the venue at the deadline or the ready time (it says when).

use std::collections::HashSet;
use std::fmt;

use serde::{Deserialize, Deserializer, Serialize, Serializer};
use thiserror::Error;
use vax_domain::error::{ErrorCode, UserFacing};
use vax_domain::venue::Coordinates;

use crate::engine::{Customer, Instance, Ride, VehicleSpec};

/// The `format` value of a problem file.
pub const PROBLEM_FORMAT: &str = "vaxledger-transport-problem/1";

/// Default road distance over straight-line distance (town streets; documented in
/// docs/transport.md).
pub const DEFAULT_DETOUR_FACTOR: f64 = 1.3;
/// Default average speed of a bus in town, stops excluded (km/h).
pub const DEFAULT_SPEED_KMH: f64 = 30.0;
/// Default maximum ride time (minutes), the campaign's rule for elderly riders.
pub const DEFAULT_MAX_RIDE_MINUTES: f64 = 45.0;
/// Default boarding (or alighting) minutes of a rider.
pub const DEFAULT_BOARDING_MINUTES: f64 = 2.0;
/// Default minutes at the venue to unload (or load) the bus.
pub const DEFAULT_VENUE_SERVICE_MINUTES: f64 = 5.0;
/// Default longest wait of a rider at the venue for the bus home (minutes from `ready_at`
/// to the bus being there to load): as long as a second run home may take to come.
pub const DEFAULT_MAX_WAIT_MINUTES: f64 = 60.0;

/// A time of day in whole minutes after midnight, written `"HH:MM"`.
#[derive(Debug, Clone, Copy, PartialEq, Eq, PartialOrd, Ord)]
pub struct ClockTime(pub u32);

impl ClockTime {
    /// Minutes after midnight.
    pub fn minutes(self) -> f64 {
        f64::from(self.0)
    }

    /// Parses `"HH:MM"` (00:00 to 23:59).
    pub fn parse(text: &str) -> Option<Self> {
        let (h, m) = text.split_once(':')?;
        if h.len() != 2 || m.len() != 2 {
            return None;
        }
        let (h, m) = (h.parse::<u32>().ok()?, m.parse::<u32>().ok()?);
        (h < 24 && m < 60).then_some(Self(h * 60 + m))
    }
}

impl fmt::Display for ClockTime {
    fn fmt(&self, f: &mut fmt::Formatter<'_>) -> fmt::Result {
        write!(f, "{:02}:{:02}", self.0 / 60, self.0 % 60)
    }
}

impl Serialize for ClockTime {
    fn serialize<S: Serializer>(&self, s: S) -> Result<S::Ok, S::Error> {
        s.collect_str(self)
    }
}

impl<'de> Deserialize<'de> for ClockTime {
    fn deserialize<D: Deserializer<'de>>(d: D) -> Result<Self, D::Error> {
        let text = String::deserialize(d)?;
        Self::parse(&text).ok_or_else(|| {
            serde::de::Error::custom(format!("time of day {text:?} is not HH:MM (00:00-23:59)"))
        })
    }
}

/// Which way the riders travel.
#[derive(Debug, Clone, Copy, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Trip {
    /// Homes to the venue, everyone off the bus by `arrive_by` (the band start).
    ToVenue {
        /// Riders must be off the bus by then.
        arrive_by: ClockTime,
    },
    /// The venue to homes after the observation period.
    FromVenue {
        /// Riders are ready to board at the venue from then.
        ready_at: ClockTime,
    },
}

/// How long and how far it is between two places.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case", deny_unknown_fields)]
pub enum Travel {
    /// Great-circle distance × `detour_factor`, driven at `speed_kmh`.
    StraightLine {
        /// Road over straight-line distance (≥ 1).
        detour_factor: f64,
        /// Average speed (km/h, > 0).
        speed_kmh: f64,
    },
    /// HQ's own figures from its GIS.
    Matrix(TravelMatrix),
}

impl Default for Travel {
    fn default() -> Self {
        Self::StraightLine {
            detour_factor: DEFAULT_DETOUR_FACTOR,
            speed_kmh: DEFAULT_SPEED_KMH,
        }
    }
}

/// A distance and time matrix: `ids` name the rows and columns (`"garage"`, `"venue"` and
/// every rider id, in any order); `km[i][j]` and `minutes[i][j]` go from `ids[i]` to `ids[j]`.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TravelMatrix {
    /// Row and column names.
    pub ids: Vec<String>,
    /// Road kilometres.
    pub km: Vec<Vec<f64>>,
    /// Driving minutes.
    pub minutes: Vec<Vec<f64>>,
}

impl TravelMatrix {
    /// Reads the matrix from two CSV files as a spreadsheet or a GIS exports them: the first
    /// row is an empty cell then the ids; every other row is an id then one value per
    /// column, in the same order as the header (`km` and `minutes` must share the ids).
    /// The square, non-negative and id rules are checked with the problem
    /// ([`TransportProblem::validate`]); here, the layout, with line numbers.
    pub fn from_csv(km: &str, minutes: &str) -> Result<Self, ProblemError> {
        let (ids, km) = read_csv_matrix("km", km)?;
        let (minute_ids, minutes) = read_csv_matrix("minutes", minutes)?;
        if minute_ids != ids {
            return Err(field(
                "matrix",
                "minutes",
                "CSV has other ids (or another order) than the km CSV",
            ));
        }
        Ok(Self { ids, km, minutes })
    }
}

fn read_csv_matrix(
    name: &'static str,
    text: &str,
) -> Result<(Vec<String>, Vec<Vec<f64>>), ProblemError> {
    let mut reader = csv::ReaderBuilder::new()
        .has_headers(false)
        .flexible(true)
        .from_reader(text.as_bytes());
    let mut ids: Vec<String> = Vec::new();
    let mut rows = Vec::new();
    for (i, record) in reader.records().enumerate() {
        let line = i + 1;
        let record = record.map_err(|e| field("matrix", name, format!("CSV line {line}: {e}")))?;
        if i == 0 {
            ids = record.iter().skip(1).map(|c| c.trim().to_owned()).collect();
            continue;
        }
        let row_id = record.get(0).unwrap_or("").trim();
        if ids.get(i - 1).map(String::as_str) != Some(row_id) {
            return Err(field(
                "matrix",
                name,
                format!(
                    "CSV line {line}: row {row_id:?} where the header has {:?}",
                    ids.get(i - 1)
                ),
            ));
        }
        let values = record
            .iter()
            .skip(1)
            .enumerate()
            .map(|(j, cell)| {
                cell.trim().parse::<f64>().map_err(|_| {
                    field(
                        "matrix",
                        name,
                        format!(
                            "CSV line {line}, column {}: {cell:?} is not a number",
                            j + 2
                        ),
                    )
                })
            })
            .collect::<Result<Vec<f64>, _>>()?;
        rows.push(values);
    }
    if ids.is_empty() {
        return Err(field("matrix", name, "CSV has no header row of ids"));
    }
    Ok((ids, rows))
}

/// A vehicle of the fleet (all start and end at the garage).
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Vehicle {
    /// Name shown to HQ and on the manifest.
    pub id: String,
    /// Seats for riders.
    pub seats: u32,
    /// Earliest departure from the garage.
    pub shift_start: ClockTime,
    /// Latest return to the garage.
    pub shift_end: ClockTime,
}

/// A resident who needs a ride.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Rider {
    /// Stable id (unique in the problem; `garage` and `venue` are reserved).
    pub id: String,
    /// Home or named pick-up point.
    pub at: Coordinates,
    /// Seats taken (a wheelchair user takes more).
    #[serde(default = "one_seat")]
    pub seats: u32,
    /// Minutes to board at home (to the venue) or to get off there (return trip).
    #[serde(default = "default_boarding")]
    pub boarding_minutes: f64,
    /// Not to be picked up before this (to the venue only).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub earliest_pickup: Option<ClockTime>,
    /// This rider's own limit instead of the problem's `max_ride_minutes`.
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub max_ride_minutes: Option<f64>,
}

fn one_seat() -> u32 {
    1
}
fn default_boarding() -> f64 {
    DEFAULT_BOARDING_MINUTES
}
fn default_max_ride() -> f64 {
    DEFAULT_MAX_RIDE_MINUTES
}
fn default_venue_service() -> f64 {
    DEFAULT_VENUE_SERVICE_MINUTES
}
fn default_max_wait() -> f64 {
    DEFAULT_MAX_WAIT_MINUTES
}

/// One venue's transport for one band and one direction.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct TransportProblem {
    /// Always [`PROBLEM_FORMAT`].
    pub format: String,
    /// Direction and the time at the venue.
    pub trip: Trip,
    /// Where every vehicle starts and ends.
    pub garage: Coordinates,
    /// The vaccination venue.
    pub venue: Coordinates,
    /// Minutes at the venue to unload (to) or load (from) a vehicle.
    #[serde(default = "default_venue_service")]
    pub venue_service_minutes: f64,
    /// Longest ride of any rider without an own limit: minutes on the bus (home: from the
    /// departure from the venue to getting off; to the venue: from boarding to the arrival).
    #[serde(default = "default_max_ride")]
    pub max_ride_minutes: f64,
    /// Return trip: the longest a rider waits at the venue for the bus, from `ready_at` to the
    /// bus being there to load (ignored to the venue).
    #[serde(default = "default_max_wait")]
    pub max_wait_minutes: f64,
    /// Distances and times.
    #[serde(default)]
    pub travel: Travel,
    /// The fleet.
    pub vehicles: Vec<Vehicle>,
    /// Who rides.
    pub riders: Vec<Rider>,
}

/// A place of the problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub enum Place {
    /// The garage.
    Garage,
    /// The venue.
    Venue,
    /// Rider number `i` (index into `riders`).
    Rider(usize),
}

/// Why a problem file is not usable. Nothing is solved from a problem with an error.
#[derive(Debug, Error, PartialEq)]
pub enum ProblemError {
    /// Not JSON of the expected shape.
    #[error("problem JSON, line {line} column {column}: {message}")]
    Json {
        /// 1-based line.
        line: usize,
        /// 1-based column.
        column: usize,
        /// What serde found.
        message: String,
    },
    /// Wrong `format` value.
    #[error("format {found:?} is not {PROBLEM_FORMAT:?}")]
    Format {
        /// The value in the file.
        found: String,
    },
    /// A field has an unusable value.
    #[error("{owner}: {field} {problem}")]
    Field {
        /// `rider R001`, `vehicle bus-1`, `problem`, `matrix`.
        owner: String,
        /// The field name as in the JSON.
        field: &'static str,
        /// What is wrong.
        problem: String,
    },
    /// Two riders or two vehicles share an id, or a rider uses a reserved id.
    #[error("{kind} id {id:?} is used twice or reserved")]
    DuplicateId {
        /// `rider` or `vehicle`.
        kind: &'static str,
        /// The id.
        id: String,
    },
    /// No vehicle at all.
    #[error("the fleet is empty")]
    NoVehicles,
}

impl UserFacing for ProblemError {
    fn code(&self) -> ErrorCode {
        ErrorCode::InvalidInput
    }

    fn message_ja(&self) -> String {
        match self {
            Self::Json {
                line,
                column,
                message,
            } => format!("送迎問題のJSONが読めません（{line}行{column}列）: {message}"),
            Self::Format { found } => {
                format!("形式 {found:?} は {PROBLEM_FORMAT:?} ではありません")
            }
            Self::Field {
                owner,
                field,
                problem,
            } => format!("{owner} の {field} が不正です: {problem}"),
            Self::DuplicateId { kind, id } => {
                let kind = if *kind == "rider" {
                    "利用者"
                } else {
                    "車両"
                };
                format!("{kind}ID {id:?} が重複しているか予約語です")
            }
            Self::NoVehicles => "車両が1台もありません".to_owned(),
        }
    }
}

fn field(
    owner: impl Into<String>,
    field: &'static str,
    problem: impl Into<String>,
) -> ProblemError {
    ProblemError::Field {
        owner: owner.into(),
        field,
        problem: problem.into(),
    }
}

fn check_coordinates(owner: &str, name: &'static str, c: Coordinates) -> Result<(), ProblemError> {
    if !(c.lat.is_finite() && c.lon.is_finite() && c.lat.abs() <= 90.0 && c.lon.abs() <= 180.0) {
        return Err(field(
            owner,
            name,
            format!("({}, {}) is not a WGS 84 point", c.lat, c.lon),
        ));
    }
    Ok(())
}

fn check_minutes(
    owner: &str,
    name: &'static str,
    v: f64,
    positive: bool,
) -> Result<(), ProblemError> {
    if !v.is_finite() || v < 0.0 || (positive && v == 0.0) || v > 24.0 * 60.0 {
        let need = if positive {
            "a positive"
        } else {
            "a non-negative"
        };
        return Err(field(
            owner,
            name,
            format!("{v} is not {need} number of minutes"),
        ));
    }
    Ok(())
}

impl TransportProblem {
    /// Parses and validates a problem file.
    pub fn from_json(text: &str) -> Result<Self, ProblemError> {
        let problem: Self = serde_json::from_str(text).map_err(|e| ProblemError::Json {
            line: e.line(),
            column: e.column(),
            message: e.to_string(),
        })?;
        problem.validate()?;
        Ok(problem)
    }

    /// The problem as pretty JSON.
    pub fn to_json(&self) -> String {
        serde_json::to_string_pretty(self).unwrap_or_default()
    }

    /// Checks every rule a usable problem follows.
    pub fn validate(&self) -> Result<(), ProblemError> {
        if self.format != PROBLEM_FORMAT {
            return Err(ProblemError::Format {
                found: self.format.clone(),
            });
        }
        check_coordinates("problem", "garage", self.garage)?;
        check_coordinates("problem", "venue", self.venue)?;
        check_minutes(
            "problem",
            "venue_service_minutes",
            self.venue_service_minutes,
            false,
        )?;
        check_minutes("problem", "max_ride_minutes", self.max_ride_minutes, true)?;
        check_minutes("problem", "max_wait_minutes", self.max_wait_minutes, false)?;
        if self.vehicles.is_empty() {
            return Err(ProblemError::NoVehicles);
        }
        let mut ids = HashSet::new();
        for v in &self.vehicles {
            let owner = format!("vehicle {}", v.id);
            if v.id.trim().is_empty() {
                return Err(field("vehicle", "id", "is empty"));
            }
            if !ids.insert(v.id.as_str()) {
                return Err(ProblemError::DuplicateId {
                    kind: "vehicle",
                    id: v.id.clone(),
                });
            }
            if v.seats == 0 {
                return Err(field(owner, "seats", "must be at least 1"));
            }
            if v.shift_end <= v.shift_start {
                return Err(field(
                    owner,
                    "shift_end",
                    format!("{} is not after shift_start {}", v.shift_end, v.shift_start),
                ));
            }
        }
        let mut ids: HashSet<&str> = ["garage", "venue"].into_iter().collect();
        for r in &self.riders {
            let owner = format!("rider {}", r.id);
            if r.id.trim().is_empty() {
                return Err(field("rider", "id", "is empty"));
            }
            if !ids.insert(r.id.as_str()) {
                return Err(ProblemError::DuplicateId {
                    kind: "rider",
                    id: r.id.clone(),
                });
            }
            check_coordinates(&owner, "at", r.at)?;
            if r.seats == 0 {
                return Err(field(owner, "seats", "must be at least 1"));
            }
            check_minutes(&owner, "boarding_minutes", r.boarding_minutes, false)?;
            if let Some(limit) = r.max_ride_minutes {
                check_minutes(&owner, "max_ride_minutes", limit, true)?;
            }
            if r.earliest_pickup.is_some() && matches!(self.trip, Trip::FromVenue { .. }) {
                return Err(field(
                    owner,
                    "earliest_pickup",
                    "applies to trips to the venue only",
                ));
            }
        }
        match &self.travel {
            Travel::StraightLine {
                detour_factor,
                speed_kmh,
            } => {
                if !(detour_factor.is_finite() && *detour_factor >= 1.0) {
                    return Err(field(
                        "travel",
                        "detour_factor",
                        format!("{detour_factor} is not a number ≥ 1"),
                    ));
                }
                if !(speed_kmh.is_finite() && *speed_kmh > 0.0) {
                    return Err(field(
                        "travel",
                        "speed_kmh",
                        format!("{speed_kmh} is not a positive speed"),
                    ));
                }
            }
            Travel::Matrix(m) => self.validate_matrix(m)?,
        }
        Ok(())
    }

    fn validate_matrix(&self, m: &TravelMatrix) -> Result<(), ProblemError> {
        let n = m.ids.len();
        let mut seen = HashSet::new();
        for id in &m.ids {
            if !seen.insert(id.as_str()) {
                return Err(field("matrix", "ids", format!("{id:?} appears twice")));
            }
        }
        let needed = ["garage", "venue"]
            .into_iter()
            .chain(self.riders.iter().map(|r| r.id.as_str()));
        for id in needed {
            if !seen.contains(id) {
                return Err(field("matrix", "ids", format!("{id:?} is missing")));
            }
        }
        for (name, rows) in [("km", &m.km), ("minutes", &m.minutes)] {
            if rows.len() != n {
                return Err(field(
                    "matrix",
                    name,
                    format!("has {} rows for {n} ids (must be square)", rows.len()),
                ));
            }
            for (i, row) in rows.iter().enumerate() {
                if row.len() != n {
                    return Err(field(
                        "matrix",
                        name,
                        format!(
                            "row {} ({:?}) has {} values for {n} ids (must be square)",
                            i + 1,
                            m.ids[i],
                            row.len()
                        ),
                    ));
                }
                for (j, &v) in row.iter().enumerate() {
                    if !v.is_finite() || v < 0.0 {
                        return Err(field(
                            "matrix",
                            name,
                            format!(
                                "{:?} to {:?} is {v}: values must be finite and non-negative",
                                m.ids[i], m.ids[j]
                            ),
                        ));
                    }
                }
            }
        }
        Ok(())
    }

    /// The ride limit of rider `i`.
    pub fn ride_limit(&self, i: usize) -> f64 {
        self.riders[i]
            .max_ride_minutes
            .unwrap_or(self.max_ride_minutes)
    }

    fn matrix_index(m: &TravelMatrix, place: Place, riders: &[Rider]) -> usize {
        let id = match place {
            Place::Garage => "garage",
            Place::Venue => "venue",
            Place::Rider(i) => riders[i].id.as_str(),
        };
        m.ids.iter().position(|x| x == id).unwrap_or(0)
    }

    fn coordinates(&self, place: Place) -> Coordinates {
        match place {
            Place::Garage => self.garage,
            Place::Venue => self.venue,
            Place::Rider(i) => self.riders[i].at,
        }
    }

    /// Road kilometres and driving minutes from `a` to `b` (on a validated problem).
    pub fn travel(&self, a: Place, b: Place) -> (f64, f64) {
        match &self.travel {
            Travel::StraightLine {
                detour_factor,
                speed_kmh,
            } => {
                let km = self.coordinates(a).distance_km(self.coordinates(b)) * detour_factor;
                (km, km / speed_kmh * 60.0)
            }
            Travel::Matrix(m) => {
                let (i, j) = (
                    Self::matrix_index(m, a, &self.riders),
                    Self::matrix_index(m, b, &self.riders),
                );
                (m.km[i][j], m.minutes[i][j])
            }
        }
    }

    /// Minutes by which riders of a trip to the venue must have arrived there.
    pub(crate) fn latest_venue_arrival(&self) -> Option<f64> {
        match self.trip {
            Trip::ToVenue { arrive_by } => Some(arrive_by.minutes() - self.venue_service_minutes),
            Trip::FromVenue { .. } => None,
        }
    }

    /// The problem as a plain VRPTW for other solvers (the benchmark hands it to PyVRP):
    /// node 0 the garage, 1 the venue, `2 + i` rider `i`; `dist` (km) and `time` (minutes)
    /// matrices; per client its seats, boarding minutes and the window its service must
    /// start in (ride limits folded in, see [`Self::folded_windows`]); per vehicle its start
    /// and end node, the earliest service start at the start node, minutes of service there,
    /// the latest arrival at the end node and the kilometres every used route adds; and
    /// `ride_limit_exact`: whether the folded windows are the same problem as ours.
    pub fn to_vrptw_json(&self) -> serde_json::Value {
        let inst = self.to_engine();
        let n = inst.nodes;
        let matrix = |m: &[f64]| -> Vec<Vec<f64>> { m.chunks(n).map(<[f64]>::to_vec).collect() };
        let (windows, exact) = self.folded_windows();
        serde_json::json!({
            "nodes": n,
            "dist": matrix(&inst.dist),
            "time": matrix(&inst.time),
            "ride_limit_exact": exact,
            "clients": inst.customers.iter().zip(&self.riders).zip(&windows).map(|((c, r), (early, late))| serde_json::json!({
                "id": r.id, "node": c.node, "demand": c.demand, "service": c.service,
                "early": early, "late": late,
            })).collect::<Vec<_>>(),
            "vehicles": inst.vehicles.iter().zip(&self.vehicles).map(|(v, spec)| serde_json::json!({
                "id": spec.id, "start": v.start, "end": v.end, "capacity": v.capacity,
                "earliest_start": v.earliest_start, "start_service": v.start_service,
                "latest_end": v.latest_end, "fixed_distance": v.fixed_distance,
            })).collect::<Vec<_>>(),
        })
    }

    /// The ride limits as time windows, for solvers without ride times (the benchmark's
    /// PyVRP and vrp-cli): per rider the window the service must start in, and whether the
    /// windows are exactly our problem. To the venue a pick-up at `t ≥ arrive_by −
    /// venue_service − limit` keeps the limit because the bus is at the venue by `arrive_by
    /// − venue_service`; home a drop-off finished by `ready_at + venue_service + limit` keeps
    /// it because the bus leaves at `ready_at + venue_service` at the earliest. That is the
    /// same problem when every vehicle can reach the venue at the deadline (no shift ends
    /// before it and the way back) or be there to load at `ready_at` (none comes later):
    /// then any of our routes can be shifted in time to fit the windows. Otherwise the
    /// windows are stricter than our rule (a bus that comes later to the venue leaves no
    /// minute of the limit for riding).
    pub fn folded_windows(&self) -> (Vec<(f64, f64)>, bool) {
        let svc = self.venue_service_minutes;
        let inst = self.to_engine();
        let windows = self
            .riders
            .iter()
            .enumerate()
            .map(|(i, r)| {
                let limit = self.ride_limit(i);
                match self.trip {
                    Trip::ToVenue { arrive_by } => {
                        let by_ride = arrive_by.minutes() - svc - limit;
                        let early = r
                            .earliest_pickup
                            .map_or(by_ride, |e| e.minutes().max(by_ride));
                        (early, arrive_by.minutes())
                    }
                    Trip::FromVenue { ready_at } => (
                        ready_at.minutes(),
                        ready_at.minutes() + svc + limit - r.boarding_minutes,
                    ),
                }
            })
            .collect();
        let exact = inst.vehicles.iter().all(|v| match self.trip {
            Trip::ToVenue { arrive_by } => v.latest_end >= arrive_by.minutes() - svc - 1e-9,
            Trip::FromVenue { ready_at } => v.earliest_start <= ready_at.minutes() + 1e-9,
        });
        (windows, exact)
    }

    /// The search's view: node 0 the garage, 1 the venue, `2 + i` rider `i`; ride limits
    /// and the wait at the venue as constraints of their own ([`crate::engine::Ride`]).
    pub(crate) fn to_engine(&self) -> Instance {
        let places: Vec<Place> = [Place::Garage, Place::Venue]
            .into_iter()
            .chain((0..self.riders.len()).map(Place::Rider))
            .collect();
        let n = places.len();
        let (mut dist, mut time) = (vec![0.0; n * n], vec![0.0; n * n]);
        for (a, &pa) in places.iter().enumerate() {
            for (b, &pb) in places.iter().enumerate() {
                let (km, min) = self.travel(pa, pb);
                dist[a * n + b] = km;
                time[a * n + b] = min;
            }
        }
        let (garage, venue) = (0, 1);
        let svc = self.venue_service_minutes;
        let customers = self
            .riders
            .iter()
            .enumerate()
            .map(|(i, r)| {
                // The ride limit is measured on the route; the windows keep only the band
                // (to the venue: the earliest pick-up; home: nobody leaves before being
                // ready, which the vehicle's earliest start at the venue already says).
                let (early, late) = match self.trip {
                    Trip::ToVenue { arrive_by } => (
                        r.earliest_pickup
                            .map_or(f64::NEG_INFINITY, ClockTime::minutes),
                        arrive_by.minutes(),
                    ),
                    Trip::FromVenue { ready_at } => (ready_at.minutes(), f64::INFINITY),
                };
                Customer {
                    node: 2 + i,
                    demand: r.seats,
                    service: r.boarding_minutes,
                    early,
                    late,
                    max_ride: self.ride_limit(i),
                }
            })
            .collect();
        let vehicles = self
            .vehicles
            .iter()
            .map(|v| {
                let (start, end) = (v.shift_start.minutes(), v.shift_end.minutes());
                match self.trip {
                    Trip::ToVenue { arrive_by } => VehicleSpec {
                        start: garage,
                        end: venue,
                        capacity: v.seats,
                        earliest_start: start,
                        latest_start: f64::INFINITY,
                        start_service: 0.0,
                        latest_end: (arrive_by.minutes() - svc)
                            .min(end - svc - time[venue * n + garage]),
                        fixed_distance: dist[venue * n + garage],
                    },
                    Trip::FromVenue { ready_at } => VehicleSpec {
                        start: venue,
                        end: garage,
                        capacity: v.seats,
                        earliest_start: ready_at.minutes().max(start + time[garage * n + venue]),
                        latest_start: ready_at.minutes() + self.max_wait_minutes,
                        start_service: svc,
                        latest_end: end,
                        fixed_distance: dist[garage * n + venue],
                    },
                }
            })
            .collect();
        Instance {
            nodes: n,
            dist,
            time,
            customers,
            vehicles,
            ride: match self.trip {
                Trip::ToVenue { .. } => Ride::ToEnd,
                Trip::FromVenue { .. } => Ride::FromStart,
            },
        }
    }
}

#[cfg(test)]
pub(crate) mod tests {
    use super::*;

    pub(crate) fn sample_json() -> &'static str {
        include_str!("../tests/golden/problem-small.json")
    }

    #[test]
    fn clock_times_round_trip_and_reject_nonsense() {
        assert_eq!(ClockTime::parse("09:05"), Some(ClockTime(545)));
        assert_eq!(ClockTime(545).to_string(), "09:05");
        for bad in ["9:05", "24:00", "09:60", "0905", "aa:bb", ""] {
            assert_eq!(ClockTime::parse(bad), None, "{bad}");
        }
    }

    #[test]
    fn sample_parses_with_defaults() {
        let p = TransportProblem::from_json(sample_json()).expect("valid");
        assert_eq!(p.riders.len(), 6);
        assert_eq!(p.max_ride_minutes, 45.0);
        assert_eq!(p.riders[0].seats, 1);
        assert_eq!(p.riders[0].boarding_minutes, DEFAULT_BOARDING_MINUTES);
        assert_eq!(p.travel, Travel::default());
    }

    fn broken(edit: impl Fn(&mut serde_json::Value)) -> ProblemError {
        let mut v: serde_json::Value = serde_json::from_str(sample_json()).expect("json");
        edit(&mut v);
        TransportProblem::from_json(&v.to_string()).expect_err("must be rejected")
    }

    #[test]
    fn malformed_problems_name_the_offender() {
        let e = TransportProblem::from_json("{\"format\": 3}").expect_err("bad");
        assert!(matches!(e, ProblemError::Json { line: 1, .. }), "{e}");
        let e = broken(|v| v["format"] = "other/9".into());
        assert!(matches!(e, ProblemError::Format { .. }));
        let e = broken(|v| v["riders"][2]["seats"] = 0.into());
        assert_eq!(e.to_string(), "rider R003: seats must be at least 1");
        let e = broken(|v| v["riders"][1]["id"] = "R001".into());
        assert_eq!(
            e,
            ProblemError::DuplicateId {
                kind: "rider",
                id: "R001".into()
            }
        );
        let e = broken(|v| v["riders"][1]["id"] = "venue".into());
        assert!(matches!(e, ProblemError::DuplicateId { kind: "rider", .. }));
        let e = broken(|v| v["vehicles"][0]["shift_end"] = "06:00".into());
        assert!(
            e.to_string()
                .starts_with("vehicle bus-1: shift_end 06:00 is not after"),
            "{e}"
        );
        let e = broken(|v| v["vehicles"] = serde_json::json!([]));
        assert_eq!(e, ProblemError::NoVehicles);
        let e = broken(|v| v["riders"][0]["at"]["lat"] = 123.0.into());
        assert!(e.to_string().contains("rider R001: at"), "{e}");
        let e = broken(|v| v["trip"] = serde_json::json!({"to_venue": {"arrive_by": "9:30"}}));
        assert!(e.to_string().contains("not HH:MM"), "{e}");
        let e = broken(|v| v["riders"][0]["colour"] = "red".into());
        assert!(e.to_string().contains("unknown field"), "{e}");
        let e = broken(|v| {
            v["trip"] = serde_json::json!({"from_venue": {"ready_at": "11:00"}});
            v["riders"][0]["earliest_pickup"] = "08:00".into();
        });
        assert!(e.to_string().contains("earliest_pickup"), "{e}");
        let e = broken(|v| {
            v["travel"] =
                serde_json::json!({"straight_line": {"detour_factor": 0.5, "speed_kmh": 30}})
        });
        assert!(e.to_string().contains("detour_factor"), "{e}");
        assert!(!e.message_ja().is_empty());
        assert_eq!(e.code(), ErrorCode::InvalidInput);
    }

    fn with_matrix(edit: impl Fn(&mut TravelMatrix)) -> Result<TransportProblem, ProblemError> {
        let mut p = TransportProblem::from_json(sample_json()).expect("valid");
        let ids: Vec<String> = ["garage", "venue"]
            .into_iter()
            .map(String::from)
            .chain(p.riders.iter().map(|r| r.id.clone()))
            .collect();
        let n = ids.len();
        let km: Vec<Vec<f64>> = (0..n)
            .map(|i| (0..n).map(|j| (i as f64 - j as f64).abs()).collect())
            .collect();
        let mut m = TravelMatrix {
            ids,
            minutes: km
                .iter()
                .map(|r| r.iter().map(|k| k * 2.0).collect())
                .collect(),
            km,
        };
        edit(&mut m);
        p.travel = Travel::Matrix(m);
        TransportProblem::from_json(&p.to_json())
    }

    #[test]
    fn a_valid_matrix_is_used_as_given() {
        let p = with_matrix(|_| ()).expect("valid");
        assert_eq!(p.travel(Place::Garage, Place::Rider(2)), (4.0, 8.0));
        assert_eq!(p.travel(Place::Rider(2), Place::Venue), (3.0, 6.0));
    }

    #[test]
    fn a_matrix_reads_from_csv_with_line_numbers_in_errors() {
        let km = ",garage,venue,R001\ngarage,0,4.1,2.0\nvenue,4.0,0,2.6\nR001,2.1,2.5,0\n";
        let minutes = ",garage,venue,R001\ngarage,0,9,5\nvenue,9,0,6\nR001,5,6,0\n";
        let m = TravelMatrix::from_csv(km, minutes).expect("valid");
        assert_eq!(m.ids, vec!["garage", "venue", "R001"]);
        assert_eq!(m.km[1], vec![4.0, 0.0, 2.6]);
        assert_eq!(m.minutes[2][1], 6.0);
        let e = TravelMatrix::from_csv(&km.replace("2.6", "x"), minutes).expect_err("bad");
        assert_eq!(
            e.to_string(),
            "matrix: km CSV line 3, column 4: \"x\" is not a number"
        );
        let e =
            TravelMatrix::from_csv(&km.replace("\nvenue,", "\nVENUE,"), minutes).expect_err("bad");
        assert!(e.to_string().contains("CSV line 3: row \"VENUE\""), "{e}");
        let e = TravelMatrix::from_csv(km, &minutes.replace("R001", "R002")).expect_err("bad");
        assert!(e.to_string().contains("other ids"), "{e}");
        // A short row passes the layout and is caught by the square rule of `validate`.
        let short = TravelMatrix::from_csv(&km.replace("R001,2.1,2.5,0", "R001,2.1,2.5"), minutes)
            .expect("layout");
        assert_eq!(short.km[2].len(), 2);
    }

    #[test]
    fn matrix_errors_are_precise() {
        let e = with_matrix(|m| m.km[3].pop().map(|_| ()).unwrap_or(())).expect_err("bad");
        assert_eq!(
            e.to_string(),
            "matrix: km row 4 (\"R002\") has 7 values for 8 ids (must be square)"
        );
        let e = with_matrix(|m| m.minutes[1][2] = -1.0).expect_err("bad");
        assert!(e.to_string().contains("\"venue\" to \"R001\" is -1"), "{e}");
        let e = with_matrix(|m| m.ids[4] = "R999".into()).expect_err("bad");
        assert!(e.to_string().contains("\"R003\" is missing"), "{e}");
        let e = with_matrix(|m| m.ids[4] = "R001".into()).expect_err("bad");
        assert!(e.to_string().contains("appears twice"), "{e}");
        let e = with_matrix(|m| {
            m.km.pop();
        })
        .expect_err("bad");
        assert!(e.to_string().contains("7 rows for 8 ids"), "{e}");
    }
}
