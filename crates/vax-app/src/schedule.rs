//! Booking both doses of willing residents into time bands.

use std::collections::HashMap;

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use thiserror::Error;
use vax_domain::product::{Catalogue, NoRulesInForce, UnknownProduct};
use vax_domain::venue::Coordinates;
use vax_ledger::{LedgerError, WriteTx};
use vax_planner::{check, first_fit, Band, Candidate};
use vax_sync::BookingCause;

use crate::progress::{Progress, Stage};

/// Why an assignment run did not happen.
#[derive(Debug, Error)]
pub enum AssignError {
    /// The product is not in the catalogue.
    #[error(transparent)]
    UnknownProduct(#[from] UnknownProduct),
    /// The product has no rules for the campaign start.
    #[error(transparent)]
    NoRules(#[from] NoRulesInForce),
    /// There are no venues to book into.
    #[error("no venues with time bands in the ledger / 会場とコマが登録されていません")]
    NoVenues,
    /// The plan broke a rule; nothing was written. A bug, never expected.
    #[error("the plan failed its independent check ({0} violations); nothing was booked")]
    PlanRejected(usize),
    /// The ledger failed.
    #[error(transparent)]
    Ledger(#[from] LedgerError),
}

/// What an assignment run did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
pub struct AssignReport {
    /// Willing residents without a dose-1 booking before the run.
    pub candidates: u64,
    /// Residents who got both doses booked.
    pub booked: u64,
    /// Residents left without bookings (no pair of bands had room).
    pub unplaced: u64,
    /// Days between the doses.
    pub interval_days: u32,
}

/// Books dose 1 and dose 2 (the product's standard interval apart, same venue and start
/// time) for every willing resident who has no dose-1 booking yet, oldest first, nearest
/// venue first, into the room the bands have left. Runs inside the caller's transaction.
pub fn assign_first_fit(
    tx: &mut WriteTx<'_>,
    product_code: &str,
    campaign_start: NaiveDate,
    now: DateTime<FixedOffset>,
    progress: &mut dyn Progress,
) -> Result<AssignReport, AssignError> {
    let rules = Catalogue::builtin()
        .product(product_code)?
        .rules_on(campaign_start)?;
    let interval_days = rules.standard_interval_days;
    let reader = tx.reader();
    let venues = reader.venues()?;
    let loads = reader.band_loads()?;
    if venues.is_empty() || loads.is_empty() {
        return Err(AssignError::NoVenues);
    }
    let venue_index: HashMap<&str, usize> = venues
        .iter()
        .enumerate()
        .map(|(i, v)| (v.venue.code.as_str(), i))
        .collect();
    let bands: Vec<Band> = loads
        .iter()
        .map(|l| Band {
            venue: venue_index[l.band.venue_code.as_str()],
            date: l.band.date,
            start: l.band.start,
            capacity: l.band.capacity.saturating_sub(l.booked),
        })
        .collect();
    let venue_points: Vec<Coordinates> = venues.iter().map(|v| v.venue.location).collect();

    let people = reader.unbooked_willing(1)?;
    let homes = homes_with_fallback(
        people.iter().map(|p| (p.home, p.district.as_str())),
        &venue_points,
    );
    let candidates: Vec<Candidate> = people
        .iter()
        .zip(homes)
        .map(|(p, home)| Candidate {
            birth_date: p.birth_date,
            home,
        })
        .collect();
    progress.update(Stage::Planning, 0, 1);
    let plan = first_fit(&candidates, &venue_points, &bands, interval_days);
    let violations = check(&bands, &plan, interval_days);
    if !violations.is_empty() {
        return Err(AssignError::PlanRejected(violations.len()));
    }
    progress.update(Stage::Planning, 1, 1);

    let total = plan.placements.len() as u64;
    let mut booked = 0;
    for (i, (person, placement)) in people.iter().zip(&plan.placements).enumerate() {
        if let Some(p) = placement {
            tx.book(person.id, 1, loads[p.first].band.id, product_code, &now)?;
            tx.book(person.id, 2, loads[p.second].band.id, product_code, &now)?;
            tx.replicate_booking(person.id, 1, BookingCause::Assign)?;
            tx.replicate_booking(person.id, 2, BookingCause::Assign)?;
            booked += 1;
        }
        if i.is_multiple_of(4096) {
            progress.update(Stage::Writing, i as u64, total);
        }
    }
    progress.update(Stage::Writing, total, total);
    Ok(AssignReport {
        candidates: total,
        booked,
        unplaced: total - booked,
        interval_days,
    })
}

/// Residents without coordinates are placed at the centre of their district's geocoded
/// residents, or at the centre of all venues when nobody in the district is geocoded.
/// `people` gives each resident's home (if geocoded) and district.
pub(crate) fn homes_with_fallback<'a>(
    people: impl Iterator<Item = (Option<Coordinates>, &'a str)> + Clone,
    venues: &[Coordinates],
) -> Vec<Coordinates> {
    let mut sums: HashMap<&str, (f64, f64, u32)> = HashMap::new();
    for (home, district) in people.clone() {
        if let Some(h) = home {
            let e = sums.entry(district).or_default();
            e.0 += h.lat;
            e.1 += h.lon;
            e.2 += 1;
        }
    }
    let n = venues.len().max(1) as f64;
    let venues_centre = Coordinates {
        lat: venues.iter().map(|v| v.lat).sum::<f64>() / n,
        lon: venues.iter().map(|v| v.lon).sum::<f64>() / n,
    };
    people
        .map(|(home, district)| {
            home.unwrap_or_else(|| match sums.get(district) {
                Some(&(lat, lon, count)) => Coordinates {
                    lat: lat / f64::from(count),
                    lon: lon / f64::from(count),
                },
                None => venues_centre,
            })
        })
        .collect()
}
