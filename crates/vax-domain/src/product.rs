//! Vaccine products and their dated dosing rules.
//!
//! The figures live in `data/products.toml` (versioned with the code, each rule set dated
//! and sourced) because they changed during the real campaign: Pfizer's fridge limit went
//! from 5 days to 1 month and its vial from 5 to 6 doses within months.

use std::sync::OnceLock;

use chrono::{Days, NaiveDate};
use serde::{Deserialize, Serialize};
use thiserror::Error;

/// The widest maker label VRS accepts (ワクチンメーカー, 20 characters).
pub const VRS_MAKER_LABEL_MAX_CHARS: usize = 20;

/// A problem in a product catalogue file.
#[derive(Debug, Error)]
pub enum CatalogueError {
    /// The file is not valid TOML of the expected shape.
    #[error("product catalogue is not readable: {0}")]
    Syntax(#[from] toml::de::Error),
    /// The same product code twice.
    #[error("product {0:?} is defined twice")]
    DuplicateProduct(String),
    /// A product with no rule set.
    #[error("product {0:?} has no dosing rules")]
    NoRules(String),
    /// Rule sets out of date order, or two on one date.
    #[error("product {code:?}: rule set of {date} is not after the one before it")]
    RulesOutOfOrder {
        /// The product.
        code: String,
        /// The offending effective_from date.
        date: NaiveDate,
    },
    /// A figure that cannot be right.
    #[error("product {code:?}, rules of {date}: {problem}")]
    ImpossibleFigure {
        /// The product.
        code: String,
        /// The rule set's effective_from date.
        date: NaiveDate,
        /// What is wrong.
        problem: &'static str,
    },
    /// The VRS maker label is empty or longer than VRS accepts.
    #[error("product {0:?}: VRS maker label must be 1 to 20 characters")]
    MakerLabelWidth(String),
}

/// A product has no rule set in force on the day asked about.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("product {code:?} has no dosing rules in force on {date} (first rules from {first})")]
pub struct NoRulesInForce {
    /// The product.
    pub code: String,
    /// The day asked about.
    pub date: NaiveDate,
    /// The first day any rule set applies.
    pub first: NaiveDate,
}

/// An unknown product code.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
#[error("unknown vaccine product {0:?}")]
pub struct UnknownProduct(pub String);

/// One dated set of dosing figures.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct DosingRules {
    /// First day these figures apply.
    pub effective_from: NaiveDate,
    /// Where the figures come from.
    pub source: String,
    /// Doses drawn from one vial with ordinary syringes.
    pub doses_per_vial_ordinary_syringe: u32,
    /// Doses drawn from one vial with low-dead-space syringes.
    pub doses_per_vial_low_dead_space_syringe: u32,
    /// Whether vials arrive frozen and must be thawed.
    pub stored_frozen: bool,
    /// Hours a thawed vial keeps in the fridge (frozen products only).
    #[serde(default)]
    pub thawed_limit_hours: Option<u32>,
    /// Hours a vial keeps after dilution or first puncture.
    pub open_limit_hours: u32,
    /// Standard days from dose 1 to dose 2 (the day after a shot is day 1).
    pub standard_interval_days: u32,
    /// Earliest permitted days from dose 1 to dose 2.
    pub earliest_interval_days: u32,
    /// Observation after the shot, in minutes.
    pub observation_minutes: u32,
    /// Observation for people with a history of anaphylaxis or severe allergy.
    pub observation_minutes_allergy_history: u32,
    /// The youngest age approved from this day on, when the approval changed it; absent: as
    /// the block before (the product's `min_age_years` at first).
    #[serde(default, skip_serializing_if = "Option::is_none")]
    pub min_age_years: Option<u32>,
}

/// Which syringes a venue draws with; decides the doses per vial.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SyringeKind {
    /// Ordinary syringes.
    Ordinary,
    /// Low-dead-space syringes (one more Pfizer dose per vial).
    LowDeadSpace,
}

impl DosingRules {
    /// Doses per vial for the syringes in use.
    pub fn doses_per_vial(&self, syringe: SyringeKind) -> u32 {
        match syringe {
            SyringeKind::Ordinary => self.doses_per_vial_ordinary_syringe,
            SyringeKind::LowDeadSpace => self.doses_per_vial_low_dead_space_syringe,
        }
    }

    /// Observation minutes for a person with or without an anaphylaxis history.
    pub fn observation_for(&self, anaphylaxis_history: bool) -> u32 {
        if anaphylaxis_history {
            self.observation_minutes_allergy_history
        } else {
            self.observation_minutes
        }
    }

    /// The standard day for the next dose after a dose on `previous`.
    pub fn standard_next_dose(&self, previous: NaiveDate) -> NaiveDate {
        previous + Days::new(u64::from(self.standard_interval_days))
    }

    /// The earliest permitted day for the next dose after a dose on `previous`.
    pub fn earliest_next_dose(&self, previous: NaiveDate) -> NaiveDate {
        previous + Days::new(u64::from(self.earliest_interval_days))
    }
}

/// The youngest age a product is approved for, day by day: the approvals changed during the
/// campaign (Comirnaty 16 and over, 12 and over from 2021-06-01). The booth refuses a younger
/// resident and the planner never books one; both judge by [`MinimumAges::admits`], which
/// counts the age as the booth does ([`crate::resident::age_on`]) on the day of the dose.
#[derive(Debug, Clone, PartialEq, Eq, Default)]
pub struct MinimumAges {
    /// The youngest age before the first change (0: no limit).
    pub at_approval: u32,
    /// From this day on, this youngest age; in date order.
    pub changes: Vec<(NaiveDate, u32)>,
}

impl MinimumAges {
    /// No age limit at all.
    pub fn none() -> Self {
        Self::default()
    }

    /// Whether no one is ever too young.
    pub fn is_none(&self) -> bool {
        self.at_approval == 0 && self.changes.iter().all(|&(_, years)| years == 0)
    }

    /// The youngest age approved on `date`: the latest change on or before it, else the age
    /// at approval.
    pub fn on(&self, date: NaiveDate) -> u32 {
        self.changes
            .iter()
            .rev()
            .find(|&&(from, _)| from <= date)
            .map_or(self.at_approval, |&(_, years)| years)
    }

    /// Whether someone born on `birth` is old enough for the product on `date`.
    pub fn admits(&self, birth: NaiveDate, date: NaiveDate) -> bool {
        self.is_none() || crate::resident::age_on(birth, date) >= self.on(date)
    }

    /// The first day on or after `from` on which someone born on `birth` is old enough
    /// (`None` only past the end of the calendar).
    pub fn first_admitted(&self, birth: NaiveDate, from: NaiveDate) -> Option<NaiveDate> {
        // Within one stretch of an unchanged age limit, the age only grows: the first day
        // of the stretch the resident reaches it is the answer, if it is inside the stretch.
        let mut starts: Vec<(NaiveDate, u32)> = vec![(NaiveDate::MIN, self.at_approval)];
        starts.extend(self.changes.iter().copied());
        for (k, &(start, years)) in starts.iter().enumerate() {
            let end = starts.get(k + 1).map(|&(next, _)| next);
            if end.is_some_and(|e| e <= from) {
                continue;
            }
            let day = start.max(from).max(reaches_age(birth, years)?);
            if end.is_none_or(|e| day < e) {
                return Some(day);
            }
        }
        None
    }
}

/// The first day on which someone born on `birth` is `years` old, as
/// [`crate::resident::age_on`] counts (so a 29 February birthday as that function does).
fn reaches_age(birth: NaiveDate, years: u32) -> Option<NaiveDate> {
    if years == 0 {
        return Some(NaiveDate::MIN);
    }
    let mut day = birth.checked_add_months(chrono::Months::new(years.checked_mul(12)?))?;
    while crate::resident::age_on(birth, day) < years {
        day = day.succ_opt()?;
    }
    Some(day)
}

/// A vaccine product.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Product {
    /// Stable code stored in the ledger.
    pub code: String,
    /// Japanese name shown to staff.
    pub name_ja: String,
    /// English name.
    pub name_en: String,
    /// ワクチンメーカー label written to VRS files.
    pub vrs_maker_label: String,
    /// Volume of one dose.
    pub dose_volume_ml: f64,
    /// Youngest age the product was first approved for; a rule block may lower it from its
    /// day on (`Product::min_age_on`).
    pub min_age_years: u32,
    /// Doses in the primary series.
    pub primary_series_doses: u8,
    /// Dated rule sets, oldest first.
    pub rules: Vec<DosingRules>,
    /// The temperatures the product may be kept at, by place (a reading outside every range
    /// of its place is a cold-chain excursion). Empty for a product without label data.
    #[serde(default)]
    pub storage: Vec<StorageRange>,
}

/// Where a temperature logger sits.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StoragePlace {
    /// A freezer (ultra-cold or ordinary).
    Frozen,
    /// A fridge at 2-8 °C.
    Fridge,
}

impl StoragePlace {
    /// The place's name in Japanese.
    pub fn label_ja(self) -> &'static str {
        match self {
            Self::Frozen => "冷凍",
            Self::Fridge => "冷蔵",
        }
    }
}

/// One temperature range of the product's label for a place, both ends allowed.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct StorageRange {
    /// Freezer or fridge.
    pub place: StoragePlace,
    /// Coldest allowed, °C.
    pub min_celsius: f64,
    /// Warmest allowed, °C.
    pub max_celsius: f64,
    /// Where the figure comes from.
    pub source: String,
}

impl StorageRange {
    /// Whether `celsius` is inside the range.
    pub fn holds(&self, celsius: f64) -> bool {
        (self.min_celsius..=self.max_celsius).contains(&celsius)
    }
}

impl Product {
    /// The rule set in force on `date`.
    pub fn rules_on(&self, date: NaiveDate) -> Result<&DosingRules, NoRulesInForce> {
        self.rules
            .iter()
            .rev()
            .find(|r| r.effective_from <= date)
            .ok_or_else(|| NoRulesInForce {
                code: self.code.clone(),
                date,
                first: self.rules[0].effective_from,
            })
    }

    /// The youngest age approved on `date`: the latest block on or before it that names an
    /// age, else the age of the first approval.
    pub fn min_age_on(&self, date: NaiveDate) -> u32 {
        self.minimum_ages().on(date)
    }

    /// The youngest approved ages over time, as data (the planner books by them without
    /// knowing the catalogue).
    pub fn minimum_ages(&self) -> MinimumAges {
        MinimumAges {
            at_approval: self.min_age_years,
            changes: self
                .rules
                .iter()
                .filter_map(|r| r.min_age_years.map(|years| (r.effective_from, years)))
                .collect(),
        }
    }

    /// The label's ranges for a place (empty when the product is never kept there).
    pub fn storage_at(&self, place: StoragePlace) -> Vec<&StorageRange> {
        self.storage.iter().filter(|r| r.place == place).collect()
    }
}

/// All known products.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[serde(deny_unknown_fields)]
pub struct Catalogue {
    /// Date of this catalogue's last change.
    pub catalogue_version: NaiveDate,
    /// The products.
    pub products: Vec<Product>,
}

impl Catalogue {
    /// The catalogue shipped in `data/products.toml`.
    pub fn builtin() -> &'static Catalogue {
        static BUILTIN: OnceLock<Catalogue> = OnceLock::new();
        BUILTIN.get_or_init(|| {
            Catalogue::from_toml(include_str!("../data/products.toml"))
                .expect("the shipped product catalogue is checked by a unit test")
        })
    }

    /// Parses and checks a catalogue.
    pub fn from_toml(text: &str) -> Result<Self, CatalogueError> {
        let catalogue: Catalogue = toml::from_str(text)?;
        catalogue.check()?;
        Ok(catalogue)
    }

    fn check(&self) -> Result<(), CatalogueError> {
        let mut seen = std::collections::HashSet::new();
        for p in &self.products {
            if !seen.insert(p.code.as_str()) {
                return Err(CatalogueError::DuplicateProduct(p.code.clone()));
            }
            let label_chars = p.vrs_maker_label.chars().count();
            if label_chars == 0 || label_chars > VRS_MAKER_LABEL_MAX_CHARS {
                return Err(CatalogueError::MakerLabelWidth(p.code.clone()));
            }
            if p.rules.is_empty() {
                return Err(CatalogueError::NoRules(p.code.clone()));
            }
            for pair in p.rules.windows(2) {
                if pair[1].effective_from <= pair[0].effective_from {
                    return Err(CatalogueError::RulesOutOfOrder {
                        code: p.code.clone(),
                        date: pair[1].effective_from,
                    });
                }
            }
            for range in &p.storage {
                // NaN fails too: a range must be two ordered numbers.
                if range.min_celsius.partial_cmp(&range.max_celsius)
                    != Some(std::cmp::Ordering::Less)
                {
                    return Err(CatalogueError::ImpossibleFigure {
                        code: p.code.clone(),
                        date: self.catalogue_version,
                        problem: "a storage range's minimum is not below its maximum",
                    });
                }
            }
            for r in &p.rules {
                let impossible = |problem| CatalogueError::ImpossibleFigure {
                    code: p.code.clone(),
                    date: r.effective_from,
                    problem,
                };
                if r.doses_per_vial_ordinary_syringe == 0
                    || r.doses_per_vial_low_dead_space_syringe == 0
                {
                    return Err(impossible("doses per vial must be at least 1"));
                }
                if r.earliest_interval_days > r.standard_interval_days {
                    return Err(impossible("earliest interval is after the standard one"));
                }
                if r.stored_frozen != r.thawed_limit_hours.is_some() {
                    return Err(impossible(
                        "a thawed limit is required for frozen products and only for them",
                    ));
                }
                if r.observation_minutes_allergy_history < r.observation_minutes {
                    return Err(impossible(
                        "observation after anaphylaxis history is shorter than the standard",
                    ));
                }
            }
        }
        Ok(())
    }

    /// The product with this code.
    pub fn product(&self, code: &str) -> Result<&Product, UnknownProduct> {
        self.products
            .iter()
            .find(|p| p.code == code)
            .ok_or_else(|| UnknownProduct(code.to_owned()))
    }
}

#[cfg(test)]
mod tests {
    use super::*;

    fn day(s: &str) -> NaiveDate {
        s.parse().unwrap()
    }

    #[test]
    fn shipped_catalogue_loads_with_the_figures_of_the_domain_notes() {
        let c = Catalogue::builtin();
        let pfizer = c.product("comirnaty").unwrap();
        let early = pfizer.rules_on(day("2021-04-01")).unwrap();
        assert_eq!(
            early.thawed_limit_hours,
            Some(120),
            "5 days in the fridge in spring 2021"
        );
        let later = pfizer.rules_on(day("2021-07-01")).unwrap();
        assert_eq!(
            later.thawed_limit_hours,
            Some(720),
            "1 month after the extension"
        );
        assert_eq!(later.doses_per_vial(SyringeKind::LowDeadSpace), 6);
        assert_eq!(later.doses_per_vial(SyringeKind::Ordinary), 5);
        assert_eq!(later.open_limit_hours, 6, "6 h after dilution");
        assert_eq!(later.observation_for(true), 30);
        assert_eq!(later.observation_for(false), 15);
        assert_eq!(
            c.product("spikevax").unwrap().vrs_maker_label,
            "武田/モデルナ"
        );
    }

    #[test]
    fn dose_two_is_three_weeks_later_on_the_same_weekday_and_no_earlier_than_day_19() {
        let rules = Catalogue::builtin()
            .product("comirnaty")
            .unwrap()
            .rules_on(day("2021-06-01"))
            .unwrap();
        let first = day("2021-06-01");
        assert_eq!(rules.standard_next_dose(first), day("2021-06-22"));
        assert_eq!(rules.earliest_next_dose(first), day("2021-06-20"));
    }

    /// MHLW Q&A 0072: 「一番早くて21日後に接種を受けられますが、それより前には受けることが
    /// できません」, counted as Q&A 0036 counts Comirnaty's 19 days (dates 19 apart).
    #[test]
    fn spikevax_dose_two_is_four_weeks_later_and_no_earlier_than_day_21() {
        let rules = Catalogue::builtin()
            .product("spikevax")
            .unwrap()
            .rules_on(day("2021-06-01"))
            .unwrap();
        let first = day("2021-06-01");
        assert_eq!(rules.standard_next_dose(first), day("2021-06-29"));
        assert_eq!(rules.earliest_next_dose(first), day("2021-06-22"));
    }

    #[test]
    fn the_youngest_approved_age_follows_the_day() {
        let c = Catalogue::builtin();
        let pfizer = c.product("comirnaty").unwrap();
        assert_eq!(pfizer.min_age_on(day("2021-05-31")), 16);
        assert_eq!(pfizer.min_age_on(day("2021-06-01")), 12);
        // Every later day keeps the age the last block named.
        assert_eq!(pfizer.min_age_on(day("2026-12-01")), 12);
        let moderna = c.product("spikevax").unwrap();
        assert_eq!(moderna.min_age_on(day("2021-08-02")), 18);
        assert_eq!(moderna.min_age_on(day("2021-08-03")), 12);
        let az = c.product("vaxzevria").unwrap();
        assert_eq!(az.min_age_on(day("2021-09-01")), 18);
    }

    #[test]
    fn a_resident_is_admitted_from_the_day_age_and_approval_both_allow() {
        let pfizer = Catalogue::builtin()
            .product("comirnaty")
            .unwrap()
            .minimum_ages();
        // 13 in May 2021: too young until the approval widened on 1 June.
        let thirteen = day("2008-03-10");
        assert!(!pfizer.admits(thirteen, day("2021-05-31")));
        assert!(pfizer.admits(thirteen, day("2021-06-01")));
        assert_eq!(
            pfizer.first_admitted(thirteen, day("2021-05-17")),
            Some(day("2021-06-01"))
        );
        // 16 from their birthday in May, the day itself included.
        let sixteen = day("2005-05-20");
        assert!(!pfizer.admits(sixteen, day("2021-05-19")));
        assert!(pfizer.admits(sixteen, day("2021-05-20")));
        assert_eq!(
            pfizer.first_admitted(sixteen, day("2021-05-17")),
            Some(day("2021-05-20"))
        );
        // 11 on 1 June: from the 12th birthday.
        let eleven = day("2009-07-04");
        assert_eq!(
            pfizer.first_admitted(eleven, day("2021-05-17")),
            Some(day("2021-07-04"))
        );
        // A 29 February birthday counts from 1 March in a common year, as `age_on` does.
        let leap = day("2008-02-29");
        assert!(!pfizer.admits(leap, day("2021-02-28")));
        assert_eq!(
            MinimumAges {
                at_approval: 13,
                changes: vec![]
            }
            .first_admitted(leap, day("2021-01-01")),
            Some(day("2021-03-01"))
        );
        assert!(MinimumAges::none().admits(day("2021-01-01"), day("2021-01-01")));
    }

    #[test]
    fn a_raised_age_limit_closes_days_to_those_admitted_before() {
        // Not the 2021 products, but the rule must not assume limits only fall.
        let ages = MinimumAges {
            at_approval: 18,
            changes: vec![(day("2021-07-01"), 40), (day("2021-09-01"), 18)],
        };
        let thirty = day("1991-01-01");
        assert!(ages.admits(thirty, day("2021-06-30")));
        assert!(!ages.admits(thirty, day("2021-07-01")));
        assert_eq!(
            ages.first_admitted(thirty, day("2021-07-01")),
            Some(day("2021-09-01"))
        );
        assert_eq!(
            ages.first_admitted(thirty, day("2021-06-01")),
            Some(day("2021-06-01"))
        );
    }

    #[test]
    fn a_day_before_the_first_rules_has_none_in_force() {
        let err = Catalogue::builtin()
            .product("comirnaty")
            .unwrap()
            .rules_on(day("2020-12-31"))
            .unwrap_err();
        assert_eq!(err.first, day("2021-02-14"));
    }

    #[test]
    fn catalogue_with_rules_out_of_order_is_refused() {
        let text = include_str!("../data/products.toml").replacen(
            "effective_from = \"2021-05-10\"",
            "effective_from = \"2021-01-01\"",
            1,
        );
        assert!(
            matches!(
                Catalogue::from_toml(&text),
                Err(CatalogueError::RulesOutOfOrder { .. })
            ),
            "a rule set dated before its predecessor must be refused"
        );
    }

    #[test]
    fn catalogue_with_an_overlong_vrs_label_is_refused() {
        let text = include_str!("../data/products.toml").replacen(
            "vrs_maker_label = \"ファイザー\"",
            "vrs_maker_label = \"ファイザーファイザーファイザーファイザーファイザー\"",
            1,
        );
        assert!(matches!(
            Catalogue::from_toml(&text),
            Err(CatalogueError::MakerLabelWidth(_))
        ));
    }

    #[test]
    fn unknown_product_is_an_error() {
        assert_eq!(
            Catalogue::builtin().product("sputnik").unwrap_err(),
            UnknownProduct("sputnik".into())
        );
    }
}
