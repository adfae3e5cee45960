//! Cold chain: a temperature logger's readings against the product's storage ranges
//! (`[[products.storage]]` in `data/products.toml`). Any reading outside every range of the
//! logger's place is out; consecutive out-of-range readings make one excursion. There is no
//! grace for a short spike: the label has none, and whether a lot may still be used after
//! an excursion is the maker's call, so the lot is quarantined until someone decides.

use chrono::NaiveDateTime;
use serde::Serialize;

use crate::product::StorageRange;

/// One logged temperature.
#[derive(Debug, Clone, Copy, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Reading {
    /// When, in the logger's (Japan) time.
    pub at: NaiveDateTime,
    /// °C.
    pub celsius: f64,
    /// The file's line it came from (1-based).
    pub line: u64,
}

/// A run of consecutive readings outside the storage ranges.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct Excursion {
    /// The first reading out of range.
    pub from: NaiveDateTime,
    /// The last reading out of range.
    pub to: NaiveDateTime,
    /// How many readings were out.
    pub readings: u32,
    /// The coldest of them.
    pub min_celsius: f64,
    /// The warmest of them.
    pub max_celsius: f64,
    /// The file's line of the first.
    pub first_line: u64,
}

impl Excursion {
    /// The reading furthest from the ranges: the warmest if any was too warm, else the
    /// coldest.
    pub fn worst(&self, ranges: &[&StorageRange]) -> f64 {
        let warmest_allowed = ranges
            .iter()
            .map(|r| r.max_celsius)
            .fold(f64::NEG_INFINITY, f64::max);
        if self.max_celsius > warmest_allowed {
            self.max_celsius
        } else {
            self.min_celsius
        }
    }
}

/// The excursions in `readings` (sorted by time here) against `ranges`: every run of
/// consecutive readings outside all of them. With no range at all every reading is out (a
/// product that must never be kept at that place).
pub fn excursions(readings: &[Reading], ranges: &[&StorageRange]) -> Vec<Excursion> {
    let mut sorted = readings.to_vec();
    sorted.sort_by_key(|r| (r.at, r.line));
    let mut out: Vec<Excursion> = Vec::new();
    let mut open = false;
    for r in &sorted {
        let inside = ranges.iter().any(|range| range.holds(r.celsius));
        if inside {
            open = false;
            continue;
        }
        match out.last_mut() {
            Some(e) if open => {
                e.to = r.at;
                e.readings += 1;
                e.min_celsius = e.min_celsius.min(r.celsius);
                e.max_celsius = e.max_celsius.max(r.celsius);
            }
            _ => out.push(Excursion {
                from: r.at,
                to: r.at,
                readings: 1,
                min_celsius: r.celsius,
                max_celsius: r.celsius,
                first_line: r.line,
            }),
        }
        open = true;
    }
    out
}

/// The ranges as the label states them: `2〜8 °C`, `−90〜−60 °C・−25〜−15 °C`.
pub fn ranges_text(ranges: &[&StorageRange]) -> String {
    ranges
        .iter()
        .map(|r| format!("{}〜{} °C", r.min_celsius, r.max_celsius))
        .collect::<Vec<_>>()
        .join("・")
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::product::{Catalogue, StoragePlace};

    fn at(hm: &str) -> NaiveDateTime {
        NaiveDateTime::parse_from_str(&format!("2021-05-17 {hm}"), "%Y-%m-%d %H:%M").unwrap()
    }

    fn readings(values: &[(&str, f64)]) -> Vec<Reading> {
        values
            .iter()
            .enumerate()
            .map(|(i, (t, c))| Reading {
                at: at(t),
                celsius: *c,
                line: i as u64 + 2,
            })
            .collect()
    }

    fn fridge(product: &str) -> Vec<&'static StorageRange> {
        Catalogue::builtin()
            .product(product)
            .unwrap()
            .storage_at(StoragePlace::Fridge)
    }

    #[test]
    fn the_shipped_catalogue_gives_every_product_a_fridge_range_of_2_to_8() {
        for p in &Catalogue::builtin().products {
            let ranges = p.storage_at(StoragePlace::Fridge);
            assert_eq!(ranges.len(), 1, "{}", p.code);
            assert_eq!((ranges[0].min_celsius, ranges[0].max_celsius), (2.0, 8.0));
        }
        let frozen = Catalogue::builtin()
            .product("comirnaty")
            .unwrap()
            .storage_at(StoragePlace::Frozen);
        assert_eq!(ranges_text(&frozen), "-90〜-60 °C・-25〜-15 °C");
        assert!(Catalogue::builtin()
            .product("vaxzevria")
            .unwrap()
            .storage_at(StoragePlace::Frozen)
            .is_empty());
    }

    #[test]
    fn both_ends_of_the_range_are_allowed_and_a_run_out_of_it_is_one_excursion() {
        let log = readings(&[
            ("09:00", 2.0),
            ("09:10", 8.0),
            ("09:20", 8.1),
            ("09:30", 12.4),
            ("09:40", 9.0),
            ("09:50", 5.0),
            ("10:00", 1.9),
        ]);
        let found = excursions(&log, &fridge("comirnaty"));
        assert_eq!(found.len(), 2);
        assert_eq!(
            found[0],
            Excursion {
                from: at("09:20"),
                to: at("09:40"),
                readings: 3,
                min_celsius: 8.1,
                max_celsius: 12.4,
                first_line: 4,
            }
        );
        assert_eq!(found[0].worst(&fridge("comirnaty")), 12.4);
        assert_eq!((found[1].from, found[1].readings), (at("10:00"), 1));
        assert_eq!(found[1].worst(&fridge("comirnaty")), 1.9);
    }

    #[test]
    fn readings_out_of_order_are_taken_in_time_order() {
        let log = readings(&[("09:20", 9.0), ("09:00", 5.0), ("09:10", 9.5)]);
        let found = excursions(&log, &fridge("spikevax"));
        assert_eq!(found.len(), 1);
        assert_eq!((found[0].from, found[0].to), (at("09:10"), at("09:20")));
    }

    #[test]
    fn a_freezer_reading_between_the_two_frozen_ranges_is_out() {
        let ranges = Catalogue::builtin()
            .product("comirnaty")
            .unwrap()
            .storage_at(StoragePlace::Frozen);
        let log = readings(&[("09:00", -75.0), ("09:10", -40.0), ("09:20", -20.0)]);
        let found = excursions(&log, &ranges);
        assert_eq!(found.len(), 1);
        assert_eq!(found[0].from, at("09:10"));
    }

    #[test]
    fn a_log_inside_the_range_has_no_excursion() {
        let log = readings(&[("09:00", 4.0), ("09:10", 5.5)]);
        assert!(excursions(&log, &fridge("nuvaxovid")).is_empty());
    }
}
