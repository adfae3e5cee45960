//! HQ's stock screen (after sync): every venue's stock now, the deliveries to plan for the
//! coming days' bookings, waste by reason and venue over a period, quarantined lots with
//! the reshuffle they call for, and the daily V-SYS-shaped report ([`super::report`]).

use std::collections::BTreeMap;

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime};
use serde::Serialize;
use vax_domain::product::Catalogue;
use vax_domain::stock::{lot_states, StockChange, WasteReason};
use vax_ledger::Ledger;

use super::handoff::{quarantine_impacts, QuarantineImpact};
use super::report::{daily_stock_report, StockReportRow};
use super::{StockError, DEFAULT_SYRINGE};

/// One venue's stock of one product now.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VenueStockRow {
    /// 会場コード.
    pub venue: String,
    /// 会場名.
    pub venue_name: String,
    /// Product code.
    pub product: String,
    /// Sealed vials in the freezer (lots not quarantined).
    pub frozen: i64,
    /// Sealed vials in the fridge (lots not quarantined).
    pub fridge: i64,
    /// Doses in open vials whose clock runs.
    pub open_doses: i64,
    /// Doses these give (sealed vials at the default syringe's count, and open doses).
    pub usable_doses: i64,
    /// Vials of quarantined lots still held.
    pub quarantined_vials: i64,
    /// When the venue's last stock event happened (how fresh HQ's picture is).
    pub last_event: Option<NaiveDateTime>,
}

/// A venue whose coming bookings need more doses than it holds.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DeliveryNeed {
    /// 会場コード.
    pub venue: String,
    /// 会場名.
    pub venue_name: String,
    /// Bookings from today through the horizon.
    pub booked: u64,
    /// Doses the venue holds (all products, lots not quarantined).
    pub usable_doses: i64,
    /// Doses short.
    pub short_doses: i64,
    /// Vials to send (at the default syringe's doses per vial of the venue's product).
    pub vials_to_send: i64,
    /// The first day the venue runs short.
    #[cfg_attr(feature = "ts", ts(type = "string | null"))]
    pub short_from: Option<NaiveDate>,
}

/// Waste at a venue for one reason over the period.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct WasteRow {
    /// 会場コード.
    pub venue: String,
    /// Why.
    pub reason: WasteReason,
    /// Doses thrown away from open vials.
    pub doses: i64,
    /// Sealed vials thrown away.
    pub vials: i64,
}

/// Everything HQ's stock screen shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct HqStockView {
    /// When it was computed.
    pub now: DateTime<FixedOffset>,
    /// First day of the period (waste, report).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: NaiveDate,
    /// Last day of the period.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: NaiveDate,
    /// Stock now, by venue and product.
    pub venues: Vec<VenueStockRow>,
    /// Venues short of doses for their bookings over the next `horizon_days`.
    pub deliveries: Vec<DeliveryNeed>,
    /// Days the delivery plan looks ahead.
    pub horizon_days: u32,
    /// Waste in the period by venue and reason.
    pub waste: Vec<WasteRow>,
    /// Quarantined lots with doses, and the reshuffle each calls for.
    pub quarantines: Vec<QuarantineImpact>,
    /// The daily report for the period.
    pub report: Vec<StockReportRow>,
}

pub(crate) fn doses_per_vial(product: &str, day: NaiveDate) -> i64 {
    Catalogue::builtin()
        .product(product)
        .ok()
        .and_then(|p| p.rules_on(day).ok())
        .map_or(0, |r| i64::from(r.doses_per_vial(DEFAULT_SYRINGE)))
}

/// HQ's stock screen at `now`, with waste and the report over `from..=to` and the delivery
/// plan over the next `horizon_days` (today included).
pub fn hq_stock_view(
    ledger: &Ledger,
    now: DateTime<FixedOffset>,
    from: NaiveDate,
    to: NaiveDate,
    horizon_days: u32,
) -> Result<HqStockView, StockError> {
    if to < from || (to - from).num_days() > 92 {
        return Err(StockError::Invalid {
            field: "period / 期間",
            problem: "from on or before to, at most 93 days / 開始日は終了日以前、93日以内",
        });
    }
    let reader = ledger.reader();
    let at = now.naive_local();
    let today = now.date_naive();
    let horizon_end = today + Days::new(u64::from(horizon_days.max(1)) - 1);
    let loads = reader.band_loads()?;
    let mut venues = Vec::new();
    let mut deliveries = Vec::new();
    let mut waste: BTreeMap<(String, WasteReason), (i64, i64)> = BTreeMap::new();
    for code in reader.stock_venues()? {
        let Ok(venue) = reader.venue(&code) else {
            continue;
        };
        let records = reader.stock_records(&code)?;
        let doses = reader.dose_uses(venue.id, &now)?;
        let lots = lot_states(Catalogue::builtin(), &records, &doses, at);
        let last_event = records.iter().map(|r| r.at).max();
        let mut by_product: BTreeMap<&str, VenueStockRow> = BTreeMap::new();
        for l in &lots {
            let row = by_product
                .entry(l.product.as_str())
                .or_insert_with(|| VenueStockRow {
                    venue: code.clone(),
                    venue_name: venue.venue.name.clone(),
                    product: l.product.clone(),
                    frozen: 0,
                    fridge: 0,
                    open_doses: 0,
                    usable_doses: 0,
                    quarantined_vials: 0,
                    last_event,
                });
            if l.quarantined.is_some() {
                row.quarantined_vials += l.sealed_vials();
                continue;
            }
            let open = i64::from(l.doses_in_open_vials(at));
            row.frozen += l.frozen;
            row.fridge += l.fridge_vials();
            row.open_doses += open;
            row.usable_doses += l.sealed_vials() * doses_per_vial(&l.product, today) + open;
        }
        let usable: i64 = by_product.values().map(|r| r.usable_doses).sum();
        // The product the venue gives most of decides the vial size of the delivery.
        let main_product = by_product
            .values()
            .max_by_key(|r| r.usable_doses + r.quarantined_vials)
            .map(|r| r.product.clone());
        venues.extend(by_product.into_values());

        let mut booked = 0u64;
        let mut short_from = None;
        for b in loads.iter().filter(|b| {
            b.band.venue_code == code && (today..=horizon_end).contains(&b.band.date) && !b.closed
        }) {
            booked += u64::from(b.booked);
            if short_from.is_none() && i64::try_from(booked).unwrap_or(i64::MAX) > usable {
                short_from = Some(b.band.date);
            }
        }
        let short = i64::try_from(booked).unwrap_or(i64::MAX) - usable;
        if short > 0 {
            let per_vial = main_product.map_or(0, |p| doses_per_vial(&p, today)).max(1);
            deliveries.push(DeliveryNeed {
                venue: code.clone(),
                venue_name: venue.venue.name.clone(),
                booked,
                usable_doses: usable,
                short_doses: short,
                vials_to_send: (short + per_vial - 1) / per_vial,
                short_from,
            });
        }

        for r in records
            .iter()
            .filter(|r| !r.voided && (from..=to).contains(&r.at.date()))
        {
            let (reason, d, v) = match &r.change {
                StockChange::DosesWasted { doses, reason, .. } => (*reason, i64::from(*doses), 0),
                StockChange::VialsWasted { vials, reason, .. } => (*reason, 0, i64::from(*vials)),
                _ => continue,
            };
            let entry = waste.entry((code.clone(), reason)).or_default();
            entry.0 += d;
            entry.1 += v;
        }
    }
    Ok(HqStockView {
        now,
        from,
        to,
        venues,
        deliveries,
        horizon_days,
        waste: waste
            .into_iter()
            .map(|((venue, reason), (doses, vials))| WasteRow {
                venue,
                reason,
                doses,
                vials,
            })
            .collect(),
        quarantines: quarantine_impacts(ledger, now, super::DEFAULT_DAYS_TO_REPLACE)?,
        report: daily_stock_report(ledger, from, to)?,
    })
}
