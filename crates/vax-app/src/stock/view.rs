//! The venue manager's screen: stock by lot and state, the day's progress and the leftover
//! forecast, in one serialisable value.

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveDateTime};
use serde::Serialize;
use vax_domain::product::Catalogue;
use vax_domain::stock::{lot_states, ClockColour, LeftoverForecast, LotState};
use vax_ledger::{Ledger, VenueStock};

use super::{colour_of, forecast, StockError};
use crate::desk::{venue_day_summary, DaySummary, Enrollment};

/// Sealed vials in the fridge sharing one clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FridgeRow {
    /// How many.
    pub vials: i64,
    /// End of their thawed clock (none for products kept cold).
    pub use_by: Option<NaiveDateTime>,
    /// Whole days left on the clock.
    pub days_left: Option<i64>,
    /// Green, amber or red.
    pub colour: ClockColour,
}

/// An open vial with doses left or a clock that ran out today.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VialRow {
    /// The vial's id (its `opened` event).
    pub id: String,
    /// When it was opened.
    pub opened_at: NaiveDateTime,
    /// End of its in-use clock.
    pub use_by: NaiveDateTime,
    /// Seconds left on the clock (0 once it ran out): the screen counts down from it.
    pub seconds_left: i64,
    /// Doses it gives, given, wasted, left.
    pub doses: u32,
    /// Given.
    pub given: u32,
    /// Wasted.
    pub wasted: u32,
    /// Left.
    pub left: u32,
    /// Green, amber or red.
    pub colour: ClockColour,
}

/// One lot at the venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LotRow {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Expiry date.
    pub expires_on: Option<NaiveDate>,
    /// Why it is quarantined, if it is.
    pub quarantined: Option<String>,
    /// Sealed vials in the freezer.
    pub frozen: i64,
    /// Sealed vials in the fridge, by clock.
    pub fridge: Vec<FridgeRow>,
    /// Open vials worth showing: doses left, or opened today.
    pub vials: Vec<VialRow>,
    /// Vials received so far.
    pub vials_received: i64,
    /// Doses given so far.
    pub doses_given: i64,
    /// Doses wasted so far (open vials).
    pub doses_wasted: i64,
    /// Sealed vials wasted so far.
    pub vials_wasted: i64,
}

/// Everything the manager's screen shows.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ManagerView {
    /// When it was computed.
    pub now: DateTime<FixedOffset>,
    /// Lots with stock on hand or activity today, by product and lot.
    pub lots: Vec<LotRow>,
    /// Today's progress against bookings, band by band.
    pub day: DaySummary,
    /// The leftover forecast.
    pub forecast: LeftoverForecast,
}

fn lot_row(l: &LotState, now: NaiveDateTime) -> LotRow {
    let today = now.date();
    LotRow {
        product: l.product.clone(),
        lot: l.lot.clone(),
        expires_on: l.expires_on,
        quarantined: l.quarantined.clone(),
        frozen: l.frozen,
        fridge: l
            .fridge
            .iter()
            .map(|b| FridgeRow {
                vials: b.vials,
                use_by: b.use_by,
                days_left: b.use_by.map(|t| (t - now).num_days()),
                colour: b.use_by.map_or(ClockColour::Green, |t| {
                    colour_of(&l.product, |r| r.thawed_limit_hours, t, now)
                }),
            })
            .collect(),
        vials: l
            .vials
            .iter()
            .filter(|v| v.left() > 0 && (v.use_by >= now || v.opened_at.date() == today))
            .map(|v| VialRow {
                id: v.id.clone(),
                opened_at: v.opened_at,
                use_by: v.use_by,
                seconds_left: (v.use_by - now).num_seconds().max(0),
                doses: v.doses,
                given: v.given,
                wasted: v.wasted,
                left: v.left(),
                colour: colour_of(&l.product, |r| Some(r.open_limit_hours), v.use_by, now),
            })
            .collect(),
        vials_received: l.totals.vials_received,
        doses_given: l.totals.doses_given,
        doses_wasted: l.totals.doses_wasted,
        vials_wasted: l.totals.vials_wasted,
    }
}

/// The manager's screen at the enrolled venue at `now`. Lots with nothing on hand and no
/// open vial are left out (their history stays in the reports).
pub fn manager_view(
    ledger: &Ledger,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<ManagerView, StockError> {
    // Only the lots that still matter today are read and folded: the screen shows nothing of
    // a lot used up and closed, and eight weeks of history cost 5× the goal (BENCHMARKS.md).
    let reader = ledger.reader();
    let venue = reader.venue(&enrollment.venue_code)?;
    let VenueStock { records, doses } =
        reader.live_venue_stock(venue.id, &enrollment.venue_code, &now)?;
    let lots = lot_states(Catalogue::builtin(), &records, &doses, now.naive_local());
    let day = venue_day_summary(ledger, enrollment, now.date_naive(), now)?;
    let forecast = forecast(ledger, venue.id, &lots, now)?;
    let at = now.naive_local();
    let rows = lots
        .iter()
        .map(|l| lot_row(l, at))
        .filter(|r| r.frozen != 0 || !r.fridge.is_empty() || !r.vials.is_empty())
        .collect();
    Ok(ManagerView {
        now,
        lots: rows,
        day,
        forecast,
    })
}
