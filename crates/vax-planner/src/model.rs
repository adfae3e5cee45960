//! The planning problem: venues, bands, residents, existing bookings, the interval window,
//! priority phases, supply and the weights of the objective. Validated before any solving
//! ([`Problem::validate`]), so the solver and the checker may index without fear.
//!
//! Everything refers to other things by index into the problem's lists (a band's venue is an
//! index into [`Problem::venues`], a booking is an index into [`Problem::bands`]); the caller
//! keeps its own ids beside them ([`Resident::id`] is opaque to the planner).

use std::collections::{HashMap, HashSet};

use chrono::{Datelike, NaiveDate, NaiveTime, Weekday};
use thiserror::Error;
use vax_domain::venue::Coordinates;

/// Index into [`Problem::venues`].
pub type VenueIdx = usize;
/// Index into [`Problem::bands`].
pub type BandIdx = usize;
/// Index into [`Problem::residents`].
pub type ResidentIdx = usize;

/// Which dose of the two-dose series.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord)]
pub enum Dose {
    /// Dose 1.
    First,
    /// Dose 2.
    Second,
}

/// A venue as the planner sees it.
#[derive(Debug, Clone, PartialEq)]
pub struct Venue {
    /// Where it is.
    pub location: Coordinates,
    /// The planning district it stands in (matches [`Resident::district`]).
    pub district: String,
}

/// One time band (コマ) of one venue day.
#[derive(Debug, Clone, PartialEq)]
pub struct Band {
    /// The venue.
    pub venue: VenueIdx,
    /// The day.
    pub date: NaiveDate,
    /// Start time.
    pub start: NaiveTime,
    /// End time (after `start`).
    pub end: NaiveTime,
    /// Places for the residents of this problem: the band's capacity less bookings the
    /// problem does not list (other products, residents left out).
    pub capacity: u32,
    /// The bus plan serves this band: transport riders may be booked here.
    pub bus_served: bool,
    /// Closed (cut day, closed band): takes no booking at all.
    pub closed: bool,
}

/// The product's dated minimum ages: the domain's own type and rule, so the planner and the
/// booth judge a resident's age alike.
pub use vax_domain::product::MinimumAges;

/// Part of the day, for "avoid mornings" and the like: the survey's own type, so the survey and
/// the planner judge a band's part of the day by one rule.
pub use vax_domain::preference::TimeOfDay;

/// What the survey says a resident would like. Empty lists mean "no preference".
#[derive(Debug, Clone, PartialEq, Default)]
pub struct Preferences {
    /// Venues the resident would like (any of them).
    pub venues: Vec<VenueIdx>,
    /// Districts whose venues the resident would like (any of them).
    pub districts: Vec<String>,
    /// Weekdays the resident cannot come.
    pub avoid_weekdays: Vec<Weekday>,
    /// Parts of the day the resident cannot come.
    pub avoid_times: Vec<TimeOfDay>,
}

/// The bands a resident holds (existing bookings in a [`Problem`], the outcome in a
/// [`crate::Schedule`]).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Default)]
pub struct Seats {
    /// Band of dose 1.
    pub first: Option<BandIdx>,
    /// Band of dose 2.
    pub second: Option<BandIdx>,
}

impl Seats {
    /// The band of `dose`.
    pub fn get(&self, dose: Dose) -> Option<BandIdx> {
        match dose {
            Dose::First => self.first,
            Dose::Second => self.second,
        }
    }

    /// Sets the band of `dose`.
    pub fn set(&mut self, dose: Dose, band: Option<BandIdx>) {
        match dose {
            Dose::First => self.first = band,
            Dose::Second => self.second = band,
        }
    }
}

/// Dose 1 already given (outside any band of this problem): dose 2 is planned from it.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct GivenDose {
    /// Day it was given.
    pub date: NaiveDate,
    /// Venue it was given at, when it is one of the problem's.
    pub venue: Option<VenueIdx>,
}

/// A willing resident.
#[derive(Debug, Clone, PartialEq)]
pub struct Resident {
    /// The caller's id; the planner never interprets it.
    pub id: i64,
    /// Birth date (phases by age; older first within a phase).
    pub birth_date: NaiveDate,
    /// Where they live.
    pub home: Coordinates,
    /// Planning district of the home.
    pub district: String,
    /// Has an underlying condition (基礎疾患).
    pub underlying_condition: bool,
    /// Needs the bus (送迎).
    pub needs_transport: bool,
    /// Survey preferences.
    pub preferences: Preferences,
    /// Bookings the resident already holds.
    pub booked: Seats,
    /// Dose 1 already given outside the problem's bands.
    pub first_given: Option<GivenDose>,
}

/// Days from dose 1 to dose 2 (the day after dose 1 is day 1).
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct IntervalWindow {
    /// Earliest permitted.
    pub min_days: u32,
    /// Standard (preferred).
    pub standard_days: u32,
    /// Latest HQ allows (the product may have no upper limit; HQ sets one to plan).
    pub max_days: u32,
}

impl IntervalWindow {
    /// Whether `days` is inside the window.
    pub fn contains(&self, days: i64) -> bool {
        days >= i64::from(self.min_days) && days <= i64::from(self.max_days)
    }
}

/// Who belongs to a priority phase.
#[derive(Debug, Clone, PartialEq, Eq)]
pub enum PhaseRule {
    /// Aged at least `years` on the reference date.
    AgedAtLeast {
        /// Years.
        years: u32,
    },
    /// Has an underlying condition.
    UnderlyingCondition,
    /// Everyone.
    Everyone,
}

/// One priority phase; a resident belongs to the first phase whose rule matches.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Phase {
    /// Name shown to HQ ("65歳以上").
    pub name: String,
    /// Who belongs.
    pub rule: PhaseRule,
    /// First day this phase may be booked into (dose 1), if restricted.
    pub earliest: Option<NaiveDate>,
}

/// The phases in priority order and the day ages are counted on.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct Priority {
    /// Ages are as of this day.
    pub reference_date: NaiveDate,
    /// Phases, earliest first. Empty: everyone is in one phase.
    pub phases: Vec<Phase>,
}

/// Doses that will be at a venue on a day, for the bookings of this problem.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct Supply {
    /// The venue.
    pub venue: VenueIdx,
    /// The day.
    pub date: NaiveDate,
    /// Doses (both dose numbers count).
    pub doses: u32,
}

/// At most `riders` transport riders (bookings of residents who need the bus) over `bands`:
/// what the bus fleet can carry to bands that start together (docs/planning.md, "The bus
/// fleet"). Bookings held before the plan count, and are never moved for it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct RiderLimit {
    /// The bands sharing the fleet (each band in at most one limit).
    pub bands: Vec<BandIdx>,
    /// Riders the fleet carries to them.
    pub riders: u32,
}

/// Weights of the objective ([`crate::objective`]); see docs/planning.md.
#[derive(Debug, Clone, Copy, PartialEq)]
pub struct Weights {
    /// Per kilometre from home to the venue, per dose.
    pub km: f64,
    /// Per broken preference, per dose (venue/district, weekday, time of day).
    pub preference: f64,
    /// Per day waited for dose 1 from the day the resident's phase opens, times the phase's
    /// factor (the first of n phases counts n times, the last once).
    pub wait_day: f64,
    /// Per day dose 2 lies off the standard interval.
    pub off_standard_day: f64,
    /// Dose 2 at another venue than dose 1.
    pub other_venue: f64,
    /// Per distinct (venue, day) the transport riders are spread over (pooling).
    pub rider_stop: f64,
    /// Per resident left without both doses.
    pub unplaced: f64,
}

impl Default for Weights {
    fn default() -> Self {
        Self {
            km: 1.0,
            preference: 10.0,
            wait_day: 0.5,
            off_standard_day: 2.0,
            other_venue: 10.0,
            rider_stop: 20.0,
            unplaced: 100_000.0,
        }
    }
}

/// The whole planning problem.
#[derive(Debug, Clone, PartialEq)]
pub struct Problem {
    /// Venues.
    pub venues: Vec<Venue>,
    /// Bands of all venues.
    pub bands: Vec<Band>,
    /// Willing residents, with the bookings they already hold.
    pub residents: Vec<Resident>,
    /// Dose-2 interval window.
    pub window: IntervalWindow,
    /// Priority phases.
    pub priority: Priority,
    /// Known supply per venue day; venue days not listed are not limited.
    pub supply: Vec<Supply>,
    /// Dose 2 may be at another venue than dose 1 (default: same venue only).
    pub allow_other_venue: bool,
    /// Transport riders may only be booked into bus-served bands.
    pub riders_need_bus: bool,
    /// What the bus fleet carries; bands in no limit take riders without one.
    pub rider_limits: Vec<RiderLimit>,
    /// The product's youngest approved age on each day: no dose is booked on a day the
    /// resident is younger ([`MinimumAges::none`]: no limit).
    pub minimum_age: MinimumAges,
    /// Weights of the objective.
    pub weights: Weights,
}

/// A problem that cannot be planned as given. Nothing is solved until it is fixed.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ProblemError {
    /// A band names a venue that is not in the list.
    #[error("band {band} names venue {venue}, which does not exist / コマ{band}の会場{venue}が存在しません")]
    UnknownVenue {
        /// The band.
        band: BandIdx,
        /// The venue index it names.
        venue: VenueIdx,
    },
    /// A band ends before it starts.
    #[error("band {band} ends before it starts / コマ{band}の終了時刻が開始時刻より前です")]
    BandEndsBeforeStart {
        /// The band.
        band: BandIdx,
    },
    /// Two bands of one venue and day start at the same time.
    #[error("bands {first} and {second} are the same venue, day and start / コマ{first}とコマ{second}が重複しています")]
    DuplicateBand {
        /// The earlier band.
        first: BandIdx,
        /// The duplicate.
        second: BandIdx,
    },
    /// Interval window not min ≤ standard ≤ max, or min is zero.
    #[error("interval window {min}/{standard}/{max} days is not 1 ≤ min ≤ standard ≤ max / 接種間隔（最短{min}・標準{standard}・最長{max}日）が正しくありません")]
    BadWindow {
        /// Minimum days.
        min: u32,
        /// Standard days.
        standard: u32,
        /// Maximum days.
        max: u32,
    },
    /// Two residents share an id.
    #[error("resident id {0} appears twice / 住民ID {0} が重複しています")]
    DuplicateResident(i64),
    /// A resident's booking names a band that does not exist.
    #[error("resident {resident} is booked into band {band}, which does not exist / 住民{resident}の予約先コマ{band}が存在しません")]
    UnknownBooking {
        /// The resident.
        resident: ResidentIdx,
        /// The band index.
        band: BandIdx,
    },
    /// A resident holds a dose-2 booking with neither a dose-1 booking nor a given dose 1.
    #[error("resident {0} has a dose-2 booking without dose 1 / 住民{0}に1回目のない2回目の予約があります")]
    SecondWithoutFirst(ResidentIdx),
    /// A resident has both a dose-1 booking and a given dose 1.
    #[error(
        "resident {0} has dose 1 both given and booked / 住民{0}の1回目が接種済みかつ予約済みです"
    )]
    FirstTwice(ResidentIdx),
    /// A preference or given dose names a venue that does not exist.
    #[error("resident {resident} names venue {venue}, which does not exist / 住民{resident}が存在しない会場{venue}を指定しています")]
    UnknownPreferredVenue {
        /// The resident.
        resident: ResidentIdx,
        /// The venue index.
        venue: VenueIdx,
    },
    /// Supply names a venue that does not exist.
    #[error(
        "supply names venue {0}, which does not exist / 供給量が存在しない会場{0}を指定しています"
    )]
    UnknownSupplyVenue(VenueIdx),
    /// A rider limit names a band that does not exist, or a band is in two limits.
    #[error("rider limit {limit} names band {band}, which does not exist or is in another limit / 送迎定員{limit}のコマ{band}が存在しないか重複しています")]
    BadRiderLimit {
        /// The limit.
        limit: usize,
        /// The band.
        band: BandIdx,
    },
    /// The same venue day appears twice in the supply list.
    #[error("supply of venue {venue} on {date} is given twice / 会場{venue}の{date}の供給量が重複しています")]
    DuplicateSupply {
        /// The venue.
        venue: VenueIdx,
        /// The day.
        date: NaiveDate,
    },
    /// A weight is negative or not a number.
    #[error("objective weight {0} is negative or not a number / 目的関数の重み {0} が不正です")]
    BadWeight(&'static str),
}

impl Problem {
    /// Checks every index and figure; the first problem found is returned.
    pub fn validate(&self) -> Result<(), ProblemError> {
        let w = &self.window;
        if w.min_days == 0 || w.min_days > w.standard_days || w.standard_days > w.max_days {
            return Err(ProblemError::BadWindow {
                min: w.min_days,
                standard: w.standard_days,
                max: w.max_days,
            });
        }
        let weights = [
            ("km", self.weights.km),
            ("preference", self.weights.preference),
            ("wait_day", self.weights.wait_day),
            ("off_standard_day", self.weights.off_standard_day),
            ("other_venue", self.weights.other_venue),
            ("rider_stop", self.weights.rider_stop),
            ("unplaced", self.weights.unplaced),
        ];
        for (name, value) in weights {
            if !(value >= 0.0 && value.is_finite()) {
                return Err(ProblemError::BadWeight(name));
            }
        }
        let mut seen_bands = HashMap::new();
        for (i, b) in self.bands.iter().enumerate() {
            if b.venue >= self.venues.len() {
                return Err(ProblemError::UnknownVenue {
                    band: i,
                    venue: b.venue,
                });
            }
            if b.end <= b.start {
                return Err(ProblemError::BandEndsBeforeStart { band: i });
            }
            if let Some(&first) = seen_bands.get(&(b.venue, b.date, b.start)) {
                return Err(ProblemError::DuplicateBand { first, second: i });
            }
            seen_bands.insert((b.venue, b.date, b.start), i);
        }
        let mut ids = HashSet::with_capacity(self.residents.len());
        for (i, r) in self.residents.iter().enumerate() {
            if !ids.insert(r.id) {
                return Err(ProblemError::DuplicateResident(r.id));
            }
            for band in [r.booked.first, r.booked.second].into_iter().flatten() {
                if band >= self.bands.len() {
                    return Err(ProblemError::UnknownBooking { resident: i, band });
                }
            }
            if r.booked.second.is_some() && r.booked.first.is_none() && r.first_given.is_none() {
                return Err(ProblemError::SecondWithoutFirst(i));
            }
            if r.booked.first.is_some() && r.first_given.is_some() {
                return Err(ProblemError::FirstTwice(i));
            }
            let given_venue = r.first_given.and_then(|g| g.venue);
            for &venue in r.preferences.venues.iter().chain(given_venue.iter()) {
                if venue >= self.venues.len() {
                    return Err(ProblemError::UnknownPreferredVenue { resident: i, venue });
                }
            }
        }
        let mut limited = HashSet::new();
        for (limit, l) in self.rider_limits.iter().enumerate() {
            for &band in &l.bands {
                if band >= self.bands.len() || !limited.insert(band) {
                    return Err(ProblemError::BadRiderLimit { limit, band });
                }
            }
        }
        let mut seen_supply = HashSet::new();
        for s in &self.supply {
            if s.venue >= self.venues.len() {
                return Err(ProblemError::UnknownSupplyVenue(s.venue));
            }
            if !seen_supply.insert((s.venue, s.date)) {
                return Err(ProblemError::DuplicateSupply {
                    venue: s.venue,
                    date: s.date,
                });
            }
        }
        Ok(())
    }

    /// The index of the phase `resident` belongs to, `None` when no phase takes them.
    pub fn phase_of(&self, resident: &Resident) -> Option<usize> {
        if self.priority.phases.is_empty() {
            return Some(0);
        }
        self.priority.phases.iter().position(|p| match p.rule {
            PhaseRule::AgedAtLeast { years } => {
                age_on(resident.birth_date, self.priority.reference_date) >= years
            }
            PhaseRule::UnderlyingCondition => resident.underlying_condition,
            PhaseRule::Everyone => true,
        })
    }

    /// How many phases there are (one when none are configured).
    pub fn phase_count(&self) -> usize {
        self.priority.phases.len().max(1)
    }

    /// The first day `phase` may take dose-1 bookings (`None`: from the first band).
    pub fn phase_opens(&self, phase: usize) -> Option<NaiveDate> {
        self.priority.phases.get(phase).and_then(|p| p.earliest)
    }

    /// The supply of a venue day, `None` when not limited.
    pub fn supply_map(&self) -> HashMap<(VenueIdx, NaiveDate), u32> {
        self.supply
            .iter()
            .map(|s| ((s.venue, s.date), s.doses))
            .collect()
    }

    /// Whether `resident` is old enough for the product on the day of `band`.
    pub fn old_enough(&self, resident: &Resident, band: &Band) -> bool {
        self.minimum_age.admits(resident.birth_date, band.date)
    }

    /// Whether `band` breaks one of `resident`'s preferences, and how many.
    pub fn preference_breaks(&self, resident: &Resident, band: &Band) -> u32 {
        let p = &resident.preferences;
        let mut breaks = 0;
        if !p.venues.is_empty() || !p.districts.is_empty() {
            let venue_ok = p.venues.contains(&band.venue)
                || p.districts.contains(&self.venues[band.venue].district);
            breaks += u32::from(!venue_ok);
        }
        breaks += u32::from(p.avoid_weekdays.contains(&band.date.weekday()));
        breaks += u32::from(p.avoid_times.contains(&TimeOfDay::of(band.start)));
        breaks
    }
}

/// Age in whole years on a day, counted as the booth counts it (one rule for the phases,
/// the minimum ages and the desk).
pub use vax_domain::resident::age_on;
