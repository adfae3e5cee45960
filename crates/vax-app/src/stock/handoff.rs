//! HQ's hand-off from a quarantine to the reshuffle engine: for every lot quarantined at a
//! venue (after sync), the doses it took away, the doses the venue still has in other lots,
//! and a [`ReshuffleRequest::SupplyDrop`] that seats at most what is left — spread evenly
//! over the venue's days with bands until the replacement delivery — so HQ can preview and
//! apply it as any other reshuffle (`vaxhq stock reshuffle`, the HQ stock screen).

use chrono::{DateTime, Days, FixedOffset, NaiveDate, NaiveDateTime};
use serde::Serialize;
use vax_domain::product::Catalogue;
use vax_domain::stock::{lot_states, LotState, StockChange};
use vax_ledger::Ledger;

use super::{StockError, DEFAULT_SYRINGE};
use crate::planning::ReshuffleRequest;

/// Days HQ expects a replacement delivery to take, unless it says otherwise.
pub const DEFAULT_DAYS_TO_REPLACE: u32 = 7;

/// A lot quarantined at a venue and what it leaves the venue's bookings.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct QuarantineImpact {
    /// 会場コード.
    pub venue: String,
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Why it was quarantined.
    pub reason: String,
    /// When the quarantine was recorded (venue time).
    pub quarantined_at: NaiveDateTime,
    /// Doses the lot held at the venue (sealed vials and open vials) that cannot be given.
    pub doses_lost: i64,
    /// Doses the venue still has in lots that are not quarantined.
    pub doses_usable: i64,
    /// First day of the period (today).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub from: NaiveDate,
    /// Last day (the replacement is expected the day after).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub to: NaiveDate,
    /// The venue's days with open bands in the period.
    pub days: u32,
    /// Bookings at the venue in the period.
    pub booked: u64,
    /// Bookings above the doses left: the ones the reshuffle moves.
    pub short: u64,
    /// The reshuffle to preview: the venue's daily doses capped at what is left.
    pub request: ReshuffleRequest,
}

fn doses_held(l: &LotState, now: NaiveDateTime) -> i64 {
    let per_vial = Catalogue::builtin()
        .product(&l.product)
        .ok()
        .and_then(|p| p.rules_on(now.date()).ok())
        .map_or(0, |r| i64::from(r.doses_per_vial(DEFAULT_SYRINGE)));
    l.sealed_vials() * per_vial + i64::from(l.doses_in_open_vials(now))
}

/// Every quarantined lot with doses at a venue, newest quarantine first, with the
/// reshuffle that re-seats the bookings it leaves without doses from today for
/// `days_to_replace` days.
pub fn quarantine_impacts(
    ledger: &Ledger,
    now: DateTime<FixedOffset>,
    days_to_replace: u32,
) -> Result<Vec<QuarantineImpact>, StockError> {
    let reader = ledger.reader();
    let at = now.naive_local();
    let from = now.date_naive();
    let to = from + Days::new(u64::from(days_to_replace.max(1)) - 1);
    let loads = reader.band_loads()?;
    let mut out = Vec::new();
    for code in reader.stock_venues()? {
        let Ok(venue) = reader.venue(&code) else {
            continue;
        };
        let records = reader.stock_records(&code)?;
        let doses = reader.dose_uses(venue.id, &now)?;
        let lots = lot_states(Catalogue::builtin(), &records, &doses, at);
        let usable: i64 = lots
            .iter()
            .filter(|l| l.quarantined.is_none())
            .map(|l| doses_held(l, at))
            .sum();
        let in_period: Vec<_> = loads
            .iter()
            .filter(|b| b.band.venue_code == code && (from..=to).contains(&b.band.date))
            .collect();
        let mut days: Vec<NaiveDate> = in_period
            .iter()
            .filter(|b| !b.closed)
            .map(|b| b.band.date)
            .collect();
        days.dedup();
        let booked: u64 = in_period.iter().map(|b| u64::from(b.booked)).sum();
        for l in lots.iter().filter(|l| l.quarantined.is_some()) {
            let lost = doses_held(l, at);
            if lost == 0 {
                continue;
            }
            let quarantined_at = records
                .iter()
                .filter(|r| !r.voided && r.product == l.product && r.lot == l.lot)
                .filter(|r| matches!(r.change, StockChange::Quarantined { .. }))
                .map(|r| r.at)
                .max()
                .unwrap_or(at);
            let per_day = if days.is_empty() {
                0
            } else {
                u32::try_from(usable.max(0) / days.len() as i64).unwrap_or(u32::MAX)
            };
            out.push(QuarantineImpact {
                venue: code.clone(),
                product: l.product.clone(),
                lot: l.lot.clone(),
                reason: l.quarantined.clone().unwrap_or_default(),
                quarantined_at,
                doses_lost: lost,
                doses_usable: usable,
                from,
                to,
                days: days.len() as u32,
                booked,
                short: booked.saturating_sub(u64::try_from(usable.max(0)).unwrap_or(0)),
                request: ReshuffleRequest::SupplyDrop {
                    venue: code.clone(),
                    from,
                    to,
                    doses_per_day: per_day,
                },
            });
        }
    }
    out.sort_by_key(|i| std::cmp::Reverse(i.quarantined_at));
    Ok(out)
}
