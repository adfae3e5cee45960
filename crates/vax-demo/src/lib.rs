//! A deterministic demo city for trying vaxledger out and for benchmarks: about 65,000
//! residents of a small Japanese city modelled on 舞鶴市, six venues, and eight weeks of
//! time bands from a chosen start day.
//!
//! The same [`DemoParams`] always give the same city, to the byte. Everything is labelled
//! as demo data where a person sees it (the city is called 「デモ市」 in addresses of the
//! municipality 262021); none of it is a real person.
//!
//! ```
//! let params = vax_demo::DemoParams { residents: 500, ..vax_demo::DemoParams::default() };
//! let city = vax_demo::generate(&params);
//! assert_eq!(city.residents.len(), 500);
//! assert_eq!(city.venues.len(), 6);
//! ```
#![deny(missing_docs)]

mod names;

use chrono::{Datelike, Days, NaiveDate, NaiveTime};
use rand::distr::weighted::WeightedIndex;
use rand::distr::Distribution;
use rand::{RngExt, SeedableRng};
use rand_chacha::ChaCha8Rng;
use vax_domain::resident::{Intention, Phone, Resident, Sex, SurveyAnswer};
use vax_domain::venue::{Coordinates, TimeBand, Venue};
use vax_domain::voucher::{MunicipalityCode, VoucherNumber};

/// What to generate.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DemoParams {
    /// Seed of the random generator.
    pub seed: u64,
    /// Number of residents (aged 12 and over: those the campaign invites).
    pub residents: usize,
    /// First campaign day; ages are counted on it.
    pub start: NaiveDate,
    /// Campaign length in weeks.
    pub weeks: u32,
}

impl Default for DemoParams {
    fn default() -> Self {
        Self {
            seed: 2021,
            residents: 65_000,
            start: NaiveDate::from_ymd_opt(2021, 5, 17).expect("valid date"),
            weeks: 8,
        }
    }
}

impl DemoParams {
    /// The default city, with its campaign starting on `start` (the demo a kiosk loads from
    /// its setup screen starts today).
    pub fn starting(start: NaiveDate) -> Self {
        Self {
            start,
            ..Self::default()
        }
    }
}

/// A generated city.
#[derive(Debug, Clone, PartialEq)]
pub struct DemoCity {
    /// The municipality every voucher belongs to.
    pub municipality: MunicipalityCode,
    /// Residents with their survey answers.
    pub residents: Vec<(Resident, SurveyAnswer)>,
    /// Venues.
    pub venues: Vec<Venue>,
    /// Every time band of every venue over the campaign.
    pub bands: Vec<TimeBand>,
}

/// The demo municipality's code (舞鶴市's, with its check digit).
pub const MUNICIPALITY: &str = "262021";

/// The demo city's name, as printed wherever a person sees it.
pub const CITY_NAME: &str = "デモ市";

struct District {
    name: &'static str,
    centre: Coordinates,
    /// Spread of homes around the centre, in degrees.
    spread: f64,
    share: u32,
    postal_prefix: &'static str,
    areas: &'static [&'static str],
    landline_prefix: &'static str,
}

const DISTRICTS: &[District] = &[
    District {
        name: "西舞鶴",
        centre: Coordinates {
            lat: 35.4430,
            lon: 135.3320,
        },
        spread: 0.012,
        share: 40,
        postal_prefix: "624-0",
        areas: &[
            "字円満寺",
            "字北田辺",
            "字南田辺",
            "字引土",
            "字京田",
            "字伊佐津",
            "字上安",
            "字七日市",
            "字女布",
            "字高野由里",
        ],
        landline_prefix: "0773-7",
    },
    District {
        name: "東舞鶴",
        centre: Coordinates {
            lat: 35.4740,
            lon: 135.3880,
        },
        spread: 0.012,
        share: 38,
        postal_prefix: "625-0",
        areas: &[
            "字浜",
            "字北吸",
            "字溝尻",
            "字森",
            "字倉谷",
            "字行永",
            "字公文名",
            "字泉源寺",
            "字田中町",
            "字大波下",
        ],
        landline_prefix: "0773-6",
    },
    District {
        name: "中舞鶴",
        centre: Coordinates {
            lat: 35.4830,
            lon: 135.3560,
        },
        spread: 0.006,
        share: 10,
        postal_prefix: "625-0",
        areas: &["字余部下", "字余部上", "字和泉", "字長浜"],
        landline_prefix: "0773-6",
    },
    District {
        name: "加佐",
        centre: Coordinates {
            lat: 35.4900,
            lon: 135.2420,
        },
        spread: 0.020,
        share: 4,
        postal_prefix: "624-0",
        areas: &["字地頭", "字岡田由里", "字大川", "字三日市", "字西方寺"],
        landline_prefix: "0773-8",
    },
    District {
        name: "大浦",
        centre: Coordinates {
            lat: 35.5200,
            lon: 135.4300,
        },
        spread: 0.015,
        share: 5,
        postal_prefix: "625-0",
        areas: &["字千歳", "字瀬崎", "字野原", "字田井", "字平"],
        landline_prefix: "0773-6",
    },
    District {
        name: "池内",
        centre: Coordinates {
            lat: 35.4200,
            lon: 135.3500,
        },
        spread: 0.010,
        share: 3,
        postal_prefix: "624-0",
        areas: &["字堀", "字上根", "字今田", "字布敷"],
        landline_prefix: "0773-7",
    },
];

/// (code, name, address, location, places per band).
const VENUES: &[(&str, &str, &str, Coordinates, u32)] = &[
    (
        "V01",
        "デモ市総合文化会館",
        "デモ市字浜2021",
        Coordinates {
            lat: 35.4760,
            lon: 135.3880,
        },
        60,
    ),
    (
        "V02",
        "デモ市商工観光センター",
        "デモ市字浜66",
        Coordinates {
            lat: 35.4725,
            lon: 135.3845,
        },
        40,
    ),
    (
        "V03",
        "デモ市西総合会館",
        "デモ市字南田辺1",
        Coordinates {
            lat: 35.4440,
            lon: 135.3290,
        },
        60,
    ),
    (
        "V04",
        "デモ市中総合会館",
        "デモ市字余部下1167",
        Coordinates {
            lat: 35.4830,
            lon: 135.3580,
        },
        30,
    ),
    (
        "V05",
        "デモ市加佐公民館",
        "デモ市字地頭1",
        Coordinates {
            lat: 35.4905,
            lon: 135.2450,
        },
        12,
    ),
    (
        "V06",
        "デモ市大浦会館",
        "デモ市字平1",
        Coordinates {
            lat: 35.5200,
            lon: 135.4300,
        },
        12,
    ),
];

/// Age bands of residents aged 12+ in a small, ageing Japanese city: (from, to, weight).
const AGE_BANDS: &[(u32, u32, u32)] = &[
    (12, 19, 7),
    (20, 29, 8),
    (30, 39, 9),
    (40, 49, 12),
    (50, 59, 12),
    (60, 64, 7),
    (65, 74, 20),
    (75, 84, 16),
    (85, 100, 9),
];

/// Time bands of a venue day: every half hour 9:00–12:00 and 13:00–17:00.
fn band_starts() -> impl Iterator<Item = (NaiveTime, NaiveTime)> {
    let half_hours = (18..24).chain(26..34);
    half_hours.map(|h| {
        let t = |n: u32| NaiveTime::from_hms_opt(n / 2, (n % 2) * 30, 0).expect("valid time");
        (t(h), t(h + 1))
    })
}

/// Builds the city.
pub fn generate(params: &DemoParams) -> DemoCity {
    let mut rng = ChaCha8Rng::seed_from_u64(params.seed);
    let municipality = MunicipalityCode::parse(MUNICIPALITY).expect("valid demo code");
    let family = WeightedIndex::new(names::FAMILY.iter().map(|f| f.2)).expect("weights");
    let district_pick = WeightedIndex::new(DISTRICTS.iter().map(|d| d.share)).expect("weights");
    let age_pick = WeightedIndex::new(AGE_BANDS.iter().map(|a| a.2)).expect("weights");

    let mut residents = Vec::with_capacity(params.residents);
    for i in 0..params.residents {
        let d = &DISTRICTS[district_pick.sample(&mut rng)];
        let (lo, hi, _) = AGE_BANDS[age_pick.sample(&mut rng)];
        let age = rng.random_range(lo..=hi);
        let birth_date = birth_date_for_age(&mut rng, params.start, age);
        let sex = if rng.random_bool(if age >= 75 { 0.6 } else { 0.5 }) {
            Sex::Female
        } else {
            Sex::Male
        };
        let (fam, fam_kana, _) = names::FAMILY[family.sample(&mut rng)];
        let older = birth_date.year() < 1960;
        let given_list = match (sex, older) {
            (Sex::Female, true) => names::FEMALE_OLDER,
            (Sex::Female, false) => names::FEMALE_YOUNGER,
            (Sex::Male, true) => names::MALE_OLDER,
            (Sex::Male, false) => names::MALE_YOUNGER,
        };
        let (given, given_kana) = given_list[rng.random_range(0..given_list.len())];
        let area = d.areas[rng.random_range(0..d.areas.len())];
        let home = Coordinates {
            lat: d.centre.lat + (rng.random::<f64>() - 0.5) * 2.0 * d.spread,
            lon: d.centre.lon + (rng.random::<f64>() - 0.5) * 2.0 * d.spread,
        };
        let phone = if rng.random_bool(0.92) {
            let text = if age < 70 && rng.random_bool(0.7) {
                let prefix = ["090", "080", "070"][rng.random_range(0..3)];
                format!(
                    "{prefix}-{:04}-{:04}",
                    rng.random_range(0..10_000),
                    rng.random_range(0..10_000)
                )
            } else {
                format!(
                    "{}{}-{:04}",
                    d.landline_prefix,
                    rng.random_range(0..10),
                    rng.random_range(0..10_000)
                )
            };
            Some(Phone::parse(&text).expect("generated phones are well formed"))
        } else {
            None
        };
        let voucher =
            VoucherNumber::parse(&format!("{:010}", 100_001 + i * 7)).expect("ten digits");
        let resident = Resident {
            municipality: municipality.clone(),
            voucher: voucher.clone(),
            name: format!("{fam} {given}"),
            name_kana: format!("{fam_kana} {given_kana}"),
            birth_date,
            sex,
            postal_code: format!("{}{:03}", d.postal_prefix, rng.random_range(0..1000)),
            address: format!(
                "京都府デモ市{area}{}番地{}",
                rng.random_range(1..2000),
                rng.random_range(1..30)
            ),
            district: d.name.to_owned(),
            home: Some(home),
            phone,
            atena_number: None,
        };
        let wants = match age {
            65.. => 0.91,
            40..=64 => 0.86,
            _ => 0.76,
        };
        let roll: f64 = rng.random();
        let intention = if roll < wants {
            Intention::Wants
        } else if roll < wants + (1.0 - wants) * 0.65 {
            Intention::Declines
        } else {
            Intention::Undecided
        };
        let transport = match age {
            85.. => 0.22,
            75..=84 => 0.08,
            _ => 0.006,
        };
        let answer = SurveyAnswer {
            municipality: municipality.clone(),
            voucher,
            intention,
            needs_transport: rng.random_bool(transport),
            anaphylaxis_history: rng.random_bool(0.012),
        };
        residents.push((resident, answer));
    }

    let venues: Vec<Venue> = VENUES
        .iter()
        .map(|(code, name, address, location, _)| Venue {
            code: (*code).to_owned(),
            name: (*name).to_owned(),
            address: format!("京都府{address}"),
            location: *location,
        })
        .collect();
    let mut bands = Vec::new();
    for (code, _, _, _, capacity) in VENUES {
        for day in 0..params.weeks * 7 {
            let date = params.start + Days::new(u64::from(day));
            for (start, end) in band_starts() {
                bands.push(TimeBand {
                    venue_code: (*code).to_owned(),
                    date,
                    start,
                    end,
                    capacity: *capacity,
                });
            }
        }
    }
    DemoCity {
        municipality,
        residents,
        venues,
        bands,
    }
}

fn birth_date_for_age(rng: &mut ChaCha8Rng, on: NaiveDate, age: u32) -> NaiveDate {
    // Born between `age + 1` years and `age` years before `on`, so the age on `on` is `age`.
    let latest = on
        .with_year(on.year() - age as i32)
        .unwrap_or_else(|| on - Days::new(u64::from(age) * 365));
    let days_back = rng.random_range(0..365u64);
    latest - Days::new(days_back)
}

#[cfg(test)]
mod tests {
    use super::*;
    use vax_domain::resident::age_on;

    fn small() -> DemoParams {
        DemoParams {
            residents: 5_000,
            ..DemoParams::default()
        }
    }

    #[test]
    fn the_same_parameters_give_the_same_city() {
        assert_eq!(
            generate(&small()),
            generate(&small()),
            "generation must be deterministic"
        );
        let other = generate(&DemoParams { seed: 7, ..small() });
        assert_ne!(
            other.residents,
            generate(&small()).residents,
            "another seed, another city"
        );
    }

    #[test]
    fn the_city_looks_like_a_small_ageing_japanese_city() {
        let p = small();
        let city = generate(&p);
        let n = city.residents.len() as f64;
        let share = |f: &dyn Fn(&(Resident, SurveyAnswer)) -> bool| {
            city.residents.iter().filter(|r| f(r)).count() as f64 / n
        };
        let elderly = share(&|(r, _)| age_on(r.birth_date, p.start) >= 65);
        assert!((0.40..0.50).contains(&elderly), "65+ share {elderly}");
        let willing = share(&|(_, a)| a.intention == Intention::Wants);
        assert!(
            (0.82..0.89).contains(&willing),
            "about 85 % want the vaccine: {willing}"
        );
        let transport = share(&|(_, a)| a.needs_transport);
        assert!(
            (0.03..0.07).contains(&transport),
            "about 5 % need transport: {transport}"
        );
        assert!(
            city.residents
                .iter()
                .all(|(r, _)| age_on(r.birth_date, p.start) >= 12),
            "only residents of 12 and over are invited"
        );
        let mut vouchers: Vec<_> = city
            .residents
            .iter()
            .map(|(r, _)| r.voucher.clone())
            .collect();
        vouchers.sort();
        vouchers.dedup();
        assert_eq!(
            vouchers.len(),
            city.residents.len(),
            "voucher numbers are unique"
        );
        assert!(
            city.residents
                .iter()
                .all(|(r, _)| vax_domain::kana::is_reading(&r.name_kana)),
            "every reading is kana"
        );
    }

    #[test]
    fn six_venues_with_fourteen_bands_a_day_for_eight_weeks() {
        let city = generate(&small());
        assert_eq!(city.venues.len(), 6);
        assert_eq!(city.bands.len(), 6 * 56 * 14);
        assert!(
            city.venues.iter().all(|v| v.name.chars().count() <= 30),
            "VRS venue names fit 30 characters"
        );
    }
}
