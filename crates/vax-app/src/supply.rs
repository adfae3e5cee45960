//! HQ's dose supply per venue day (issue 12; docs/planning.md "Dose supply (deliveries)").
//!
//! Maizuru kept the vaccine frozen centrally and delivered each venue its vials day by day,
//! so HQ knows how many doses each venue day will have. HQ enters the vials of the campaign
//! product a venue receives for a day ([`set_supply`], `vaxhq calendar supply`, the HQ
//! calendar screen); doses are vials × the product's doses per vial on that day (drawn with
//! the venue's syringes, [`crate::stock::DEFAULT_SYRINGE`]). The last entry of a venue day
//! wins; 0 vials means nothing is delivered, so nobody can be booked there; removing the
//! entry leaves the day unlimited. Each change is one transaction with its `define_supply`
//! op, so the venue sees what HQ will send it.
//!
//! The planner and the reshuffle never book more than a day's doses
//! ([`crate::planning`] turns every delivery into the problem's supply). A delivery lowered
//! below the bookings the day holds moves nobody by itself: the report counts the bookings
//! above the doses and names the reshuffle that re-seats them, the engine's own
//! `SupplyDrop` ([`ReshuffleRequest::SupplyDrop`]).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::Serialize;
use vax_domain::product::{Catalogue, NoRulesInForce, UnknownProduct};
use vax_domain::role::Role;
use vax_ledger::{Ledger, LedgerError, Reader, SupplyRow};
use vax_sync::{SupplyDef, VenueCode, MAX_VIALS_PER_DAY};

use crate::calendar::{headquarters_only, CalendarError};
use crate::planning::{ReshuffleRequest, DEFAULT_PRODUCT, SETTING_PRODUCT};
use crate::stock::DEFAULT_SYRINGE;

/// A venue day's delivery as the HQ calendar shows it.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DaySupply {
    /// 会場コード.
    pub venue_code: String,
    /// The day (`YYYY-MM-DD`).
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// The product delivered (catalogue code).
    pub product: String,
    /// Vials delivered (0: nothing, nobody can be booked).
    pub vials: u32,
    /// Doses they hold.
    pub doses: u32,
    /// Bookings at the venue that day (dose 1 and dose 2 alike).
    pub booked: u32,
    /// Bookings above the doses: the reshuffle re-seats them.
    pub over: u32,
    /// The day has passed: it cannot be changed.
    pub past: bool,
}

/// What entering or removing a delivery did.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct SupplyReport {
    /// The ledger changed (false when the entry was already so).
    pub changed: bool,
    /// The delivery as it now stands; `None`: the day is not limited.
    pub supply: Option<DaySupply>,
    /// Bookings at the venue that day.
    pub booked: u32,
    /// Bookings above the doses now delivered (0 when not limited).
    pub over: u32,
    /// Replication ops written (0 when nothing changed or the ledger does not replicate).
    pub ops: u64,
    /// When bookings are above the doses: the reshuffle that re-seats them (preview it,
    /// then apply). Nobody is moved until then.
    pub reshuffle: Option<ReshuffleRequest>,
}

/// Doses `vials` vials of `product` hold on `date`: its doses per vial with the venues'
/// syringes.
pub fn doses_of<E>(product: &str, date: NaiveDate, vials: u32) -> Result<u32, E>
where
    E: From<UnknownProduct> + From<NoRulesInForce>,
{
    let per_vial = Catalogue::builtin()
        .product(product)?
        .rules_on(date)?
        .doses_per_vial(DEFAULT_SYRINGE);
    Ok(vials.saturating_mul(per_vial))
}

fn day_supply(row: &SupplyRow, booked: u32, today: NaiveDate) -> Result<DaySupply, CalendarError> {
    let doses = doses_of::<CalendarError>(&row.product_code, row.date, row.vials)?;
    Ok(DaySupply {
        venue_code: row.venue_code.clone(),
        date: row.date,
        product: row.product_code.clone(),
        vials: row.vials,
        doses,
        booked,
        over: booked.saturating_sub(doses),
        past: row.date < today,
    })
}

/// Every delivery of the days `from..until` (every day from `from` on when `until` is
/// `None`), with the bookings of its venue day.
pub(crate) fn supplies_between(
    reader: &Reader<'_>,
    from: NaiveDate,
    until: Option<NaiveDate>,
    today: NaiveDate,
    booked: impl Fn(&str, NaiveDate) -> u32,
) -> Result<Vec<DaySupply>, CalendarError> {
    reader
        .supplies()?
        .iter()
        .filter(|s| s.date >= from && until.is_none_or(|u| s.date < u))
        .map(|s| day_supply(s, booked(&s.venue_code, s.date), today))
        .collect()
}

/// Enters the vials of the campaign product (`vaxhq plan settings --product`) a venue
/// receives for a day, or removes the entry (`vials` `None`: the day is not limited). HQ
/// only; refuses a day that has passed, an unknown venue and more than
/// [`MAX_VIALS_PER_DAY`] vials. One transaction with its `define_supply` op; nobody is moved
/// (see [`SupplyReport::reshuffle`]). Not written to the audit trail, like every other
/// calendar edit: the op log keeps who changed it.
pub fn set_supply(
    ledger: &mut Ledger,
    role: Role,
    now: DateTime<FixedOffset>,
    venue: &str,
    date: NaiveDate,
    vials: Option<u32>,
) -> Result<SupplyReport, CalendarError> {
    headquarters_only(role)?;
    let today = now.date_naive();
    if date < today {
        return Err(CalendarError::DayPassed(date));
    }
    if let Some(n) = vials.filter(|n| *n > MAX_VIALS_PER_DAY) {
        return Err(CalendarError::Invalid {
            field: "バイアル数",
            en: format!(
                "{n} vials is more than one venue day receives (at most {MAX_VIALS_PER_DAY})"
            ),
            ja: format!("{n}本は1会場1日の納品数として多すぎます（{MAX_VIALS_PER_DAY}本まで）"),
        });
    }
    let product = match vials {
        Some(_) => ledger
            .reader()
            .setting(SETTING_PRODUCT)?
            .unwrap_or_else(|| DEFAULT_PRODUCT.to_owned()),
        None => String::new(),
    };
    if let Some(n) = vials {
        // Refuse a product the catalogue cannot count before anything is written.
        doses_of::<CalendarError>(&product, date, n)?;
    }
    let mut tx = ledger.transaction()?;
    let def = SupplyDef {
        venue: VenueCode::new(venue),
        date,
        product,
        vials,
    };
    let changed = tx.define_supply(&def)?;
    let ops = u64::from(changed && tx.replicates());
    let reader = tx.reader();
    let booked: u32 = reader
        .venue_day(venue, date)?
        .iter()
        .map(|l| l.booked)
        .sum();
    let supply = reader
        .supply_of(venue, date)?
        .map(|row| day_supply(&row, booked, today))
        .transpose()?;
    tx.commit()?;
    let over = supply.as_ref().map_or(0, |s| s.over);
    let reshuffle = supply
        .as_ref()
        .filter(|s| s.over > 0)
        .map(|s| supply_drop(venue, date, s.doses));
    Ok(SupplyReport {
        changed,
        supply,
        booked,
        over,
        ops,
        reshuffle,
    })
}

/// The reshuffle that re-seats the bookings above a venue day's doses: the engine's own
/// `SupplyDrop` over that one day (the planning problem holds the delivery already, so the
/// engine displaces just the excess, the easiest to re-seat first).
fn supply_drop(venue: &str, date: NaiveDate, doses: u32) -> ReshuffleRequest {
    ReshuffleRequest::SupplyDrop {
        venue: venue.to_owned(),
        from: date,
        to: date,
        doses_per_day: doses,
    }
}

/// The reshuffle for the delivery the ledger holds for a venue day (`vaxhq reshuffle
/// preview supply`); refused when HQ entered none.
pub fn supply_reshuffle(
    ledger: &Ledger,
    venue: &str,
    date: NaiveDate,
) -> Result<ReshuffleRequest, CalendarError> {
    let row = ledger
        .reader()
        .supply_of(venue, date)?
        .ok_or_else(|| LedgerError::Missing {
            what: "delivery of venue day",
            key: format!("{venue} {date}"),
        })?;
    let doses = doses_of::<CalendarError>(&row.product_code, date, row.vials)?;
    Ok(supply_drop(venue, date, doses))
}
