//! Dose stock at a venue: the events that change it, the clocks that limit it, and the state
//! of each lot and vial at an instant.
//!
//! Every clock and per-vial figure comes from the dated product data
//! (`data/products.toml`, [`crate::product`]): the thawed-storage limit, the in-use limit after
//! dilution or first puncture, and the doses drawn from a vial with each kind of syringe.
//!
//! Stock is counted in two units, as staff count it: **sealed vials** (frozen, or in the fridge
//! with a thawed clock) and **doses** once a vial is opened. A vial leaves the sealed count when
//! it is opened, and from then on its doses are given, wasted, or left in the vial.
//!
//! [`lot_states`] is a pure fold of the events and the doses tied to vials; the ledger, the
//! booth, the manager's screen and the close-out all read stock through it, so there is one
//! definition of "how many are left".

use std::collections::{BTreeMap, HashMap};

use chrono::{Duration, NaiveDate, NaiveDateTime, NaiveTime};
use serde::{Deserialize, Serialize};
use thiserror::Error;

use crate::product::{Catalogue, DosingRules, NoRulesInForce, SyringeKind, UnknownProduct};

/// Where sealed vials are kept.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum SealedState {
    /// In the freezer (frozen products only); no clock but the expiry date.
    Frozen,
    /// In the fridge: thawed (with the product's thawed-storage clock) or, for products kept
    /// cold rather than frozen, as delivered.
    Fridge,
}

/// Why stock was thrown away.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum WasteReason {
    /// The thawed or in-use clock ran out, or the lot expired.
    ClockExpired,
    /// A vial broke or was dropped.
    Broken,
    /// A dose drawn into a syringe was not given.
    DrawnNotGiven,
    /// Doses left in an open vial when the day closed.
    LeftAtClose,
    /// A temperature excursion (cold chain broken).
    ColdChain,
}

impl WasteReason {
    /// Every reason, in report order.
    pub const ALL: [WasteReason; 5] = [
        Self::ClockExpired,
        Self::Broken,
        Self::DrawnNotGiven,
        Self::LeftAtClose,
        Self::ColdChain,
    ];

    /// The stable code used in files and reports.
    pub fn code(self) -> &'static str {
        match self {
            Self::ClockExpired => "clock_expired",
            Self::Broken => "broken",
            Self::DrawnNotGiven => "drawn_not_given",
            Self::LeftAtClose => "left_at_close",
            Self::ColdChain => "cold_chain",
        }
    }
}

/// What happened to a lot's stock at a venue. The clocks an event starts are computed when it
/// is recorded (from the product data in force that day) and carried in the event, so every
/// replica judges a dose against the same instant whatever catalogue it ships.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "change", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum StockChange {
    /// Vials delivered (from the wholesaler, or transferred in from another venue).
    Received {
        /// How many vials.
        vials: u32,
        /// The manufacturer's last day of use.
        expires_on: NaiveDate,
        /// Where they came from (a wholesaler, or the sending venue's code).
        from: String,
        /// Set when the vials arrive already thawed (a transfer in a cool box): the end of
        /// the thawed clock they started at the sender.
        #[serde(default, skip_serializing_if = "Option::is_none")]
        thawed_use_by: Option<NaiveDateTime>,
    },
    /// Frozen vials moved to the fridge: the thawed-storage clock starts.
    Thawed {
        /// How many vials.
        vials: u32,
        /// End of the thawed clock.
        use_by: NaiveDateTime,
    },
    /// One vial diluted or first punctured: the in-use clock starts. The event's id names the
    /// vial; doses given from it carry that id.
    Opened {
        /// End of the in-use clock (capped by the thawed clock and the expiry date).
        use_by: NaiveDateTime,
        /// Doses this vial gives with the syringes in use.
        doses: u32,
        /// The syringes in use.
        syringe: SyringeKind,
    },
    /// Sealed vials thrown away.
    VialsWasted {
        /// How many.
        vials: u32,
        /// From the freezer or the fridge.
        from: SealedState,
        /// Why.
        reason: WasteReason,
    },
    /// Doses of an open vial thrown away.
    DosesWasted {
        /// The vial (the id of its `opened` event).
        vial: String,
        /// How many doses.
        doses: u32,
        /// Why.
        reason: WasteReason,
    },
    /// Sealed vials sent to another venue (which records them as `received`).
    TransferredOut {
        /// How many.
        vials: u32,
        /// From the freezer or the fridge.
        from: SealedState,
        /// The receiving venue's code.
        to: String,
    },
    /// A physical count differed from the ledger: the difference, with the reason.
    Corrected {
        /// Vials to add (positive) or remove (negative).
        vials: i32,
        /// Which sealed count.
        state: SealedState,
        /// Why, for the audit trail.
        reason: String,
    },
    /// A temperature excursion or recall: no dose may be given from the lot anywhere.
    Quarantined {
        /// What happened (e.g. "logger: 12.5 °C for 40 min").
        reason: String,
    },
    /// The venue's day was closed with balanced counts.
    DayClosed {
        /// The day.
        date: NaiveDate,
    },
}

/// A stock event as the state fold reads it.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct StockRecord {
    /// The event's global id (the op id, `<replica>#<counter>`).
    pub id: String,
    /// When, in venue local time.
    pub at: NaiveDateTime,
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// What happened.
    pub change: StockChange,
    /// Whether a later event voided it.
    pub voided: bool,
}

/// Valid doses as the stock fold reads them (voided doses are left out by the caller): one
/// dose, or a count of doses from one vial up to an instant (a ledger sums them in SQL).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DoseUse {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// The vial it was drawn from, when known (doses recorded before vials were tracked
    /// have none).
    pub vial: Option<String>,
    /// When it was given (the last of them, for a count).
    pub at: NaiveDateTime,
    /// How many doses this line stands for.
    pub count: u32,
}

/// A problem computing a clock from the product data.
#[derive(Debug, Clone, PartialEq, Eq, Error)]
pub enum ClockError {
    /// Unknown product code.
    #[error(transparent)]
    UnknownProduct(#[from] UnknownProduct),
    /// No rules in force on that day.
    #[error(transparent)]
    NoRules(#[from] NoRulesInForce),
    /// Only frozen products are thawed.
    #[error("product {0:?} is not stored frozen, so it is not thawed")]
    NotFrozen(String),
}

fn rules_at<'c>(
    catalogue: &'c Catalogue,
    product: &str,
    at: NaiveDateTime,
) -> Result<&'c DosingRules, ClockError> {
    Ok(catalogue.product(product)?.rules_on(at.date())?)
}

/// The last instant of an expiry date (the lot is usable through that day).
pub fn end_of_day(date: NaiveDate) -> NaiveDateTime {
    date.and_time(NaiveTime::MIN) + Duration::days(1) - Duration::seconds(1)
}

/// End of the thawed-storage clock of vials taken out of the freezer at `at`, from the
/// product's rules in force that day, capped by the lot's expiry date.
pub fn thawed_use_by(
    catalogue: &Catalogue,
    product: &str,
    at: NaiveDateTime,
    expires_on: NaiveDate,
) -> Result<NaiveDateTime, ClockError> {
    let rules = rules_at(catalogue, product, at)?;
    let hours = rules
        .thawed_limit_hours
        .ok_or_else(|| ClockError::NotFrozen(product.to_owned()))?;
    Ok((at + Duration::hours(i64::from(hours))).min(end_of_day(expires_on)))
}

/// A vial opened at `at`: the end of its in-use clock (capped by the thawed clock of the vial
/// it was, and the expiry date) and the doses it gives with `syringe`.
pub fn opened_vial(
    catalogue: &Catalogue,
    product: &str,
    at: NaiveDateTime,
    syringe: SyringeKind,
    thawed_until: Option<NaiveDateTime>,
    expires_on: NaiveDate,
) -> Result<(NaiveDateTime, u32), ClockError> {
    let rules = rules_at(catalogue, product, at)?;
    let mut use_by = at + Duration::hours(i64::from(rules.open_limit_hours));
    if let Some(t) = thawed_until {
        use_by = use_by.min(t);
    }
    use_by = use_by.min(end_of_day(expires_on));
    Ok((use_by, rules.doses_per_vial(syringe)))
}

/// Vials in the fridge that share one thawed clock.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct FridgeBatch {
    /// How many sealed vials.
    pub vials: i64,
    /// End of their thawed clock; `None` for a product kept cold rather than frozen (its only
    /// limit is the expiry date).
    pub use_by: Option<NaiveDateTime>,
}

/// One opened vial.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct VialState {
    /// The id of its `opened` event.
    pub id: String,
    /// When it was opened.
    pub opened_at: NaiveDateTime,
    /// End of its in-use clock.
    pub use_by: NaiveDateTime,
    /// Doses it gives.
    pub doses: u32,
    /// Doses given from it.
    pub given: u32,
    /// Doses thrown away from it.
    pub wasted: u32,
}

impl VialState {
    /// Doses still in the vial (never below zero; an over-drawn vial shows in the balance).
    pub fn left(&self) -> u32 {
        self.doses.saturating_sub(self.given + self.wasted)
    }

    /// Whether its clock has run out at `now`.
    pub fn expired_at(&self, now: NaiveDateTime) -> bool {
        now > self.use_by
    }

    /// Whether a dose may be drawn from it at `now`: doses left and the clock running.
    pub fn usable_at(&self, now: NaiveDateTime) -> bool {
        self.left() > 0 && !self.expired_at(now)
    }
}

/// Running totals of a lot at a venue, for the balance and the reports.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LotTotals {
    /// Vials received (deliveries and transfers in).
    pub vials_received: i64,
    /// Vials sent to other venues.
    pub vials_transferred_out: i64,
    /// Net vials added by count corrections.
    pub vials_corrected: i64,
    /// Vials opened.
    pub vials_opened: i64,
    /// Sealed vials thrown away.
    pub vials_wasted: i64,
    /// Doses the opened vials give.
    pub doses_opened: i64,
    /// Doses given.
    pub doses_given: i64,
    /// Doses thrown away from open vials.
    pub doses_wasted: i64,
    /// Doses given with no vial named (before vial tracking, or another lot bookkeeping).
    pub doses_without_vial: i64,
}

/// The state of one lot at one venue at an instant.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LotState {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// The earliest expiry date among its deliveries.
    pub expires_on: Option<NaiveDate>,
    /// Why the lot is quarantined, when it is.
    pub quarantined: Option<String>,
    /// Sealed vials in the freezer.
    pub frozen: i64,
    /// Sealed vials in the fridge, by clock, earliest first.
    pub fridge: Vec<FridgeBatch>,
    /// Opened vials, oldest first (including empty and expired ones of the period).
    pub vials: Vec<VialState>,
    /// Running totals.
    pub totals: LotTotals,
    /// Last day closed, if any.
    pub closed_through: Option<NaiveDate>,
}

impl LotState {
    fn new(product: &str, lot: &str) -> Self {
        Self {
            product: product.to_owned(),
            lot: lot.to_owned(),
            expires_on: None,
            quarantined: None,
            frozen: 0,
            fridge: Vec::new(),
            vials: Vec::new(),
            totals: LotTotals::default(),
            closed_through: None,
        }
    }

    /// Sealed vials in the fridge.
    pub fn fridge_vials(&self) -> i64 {
        self.fridge.iter().map(|b| b.vials).sum()
    }

    /// Sealed vials on hand (freezer and fridge).
    pub fn sealed_vials(&self) -> i64 {
        self.frozen + self.fridge_vials()
    }

    /// Doses still in open vials whose clock runs at `now`.
    pub fn doses_in_open_vials(&self, now: NaiveDateTime) -> u32 {
        self.vials
            .iter()
            .filter(|v| !v.expired_at(now))
            .map(VialState::left)
            .sum()
    }

    /// The vial a dose is drawn from at `now`: the open one with the earliest clock that
    /// still has doses.
    pub fn vial_to_draw(&self, now: NaiveDateTime) -> Option<&VialState> {
        self.vials
            .iter()
            .filter(|v| v.usable_at(now))
            .min_by_key(|v| (v.use_by, v.opened_at, v.id.clone()))
    }

    /// The thawed clock of the fridge vial that would be opened next (earliest clock first,
    /// skipping batches whose clock has run out at `now`), and whether there is one.
    pub fn next_fridge_vial(&self, now: NaiveDateTime) -> Option<&FridgeBatch> {
        self.fridge
            .iter()
            .find(|b| b.vials > 0 && b.use_by.is_none_or(|t| t >= now))
    }

    /// Whether the counts hold: sealed vials in = sealed out + on hand, and each vial's doses
    /// = given + wasted + left. Returns the two sides of the first identity that fails.
    pub fn imbalance(&self) -> Option<Imbalance> {
        let t = &self.totals;
        let vials_in = t.vials_received + t.vials_corrected;
        let vials_out = t.vials_transferred_out + t.vials_opened + t.vials_wasted;
        if self.frozen < 0 || self.fridge.iter().any(|b| b.vials < 0) {
            return Some(Imbalance::NegativeSealed {
                frozen: self.frozen,
                fridge: self.fridge_vials(),
            });
        }
        debug_assert_eq!(vials_in - vials_out, self.sealed_vials());
        if let Some(v) = self.vials.iter().find(|v| v.given + v.wasted > v.doses) {
            return Some(Imbalance::OverdrawnVial {
                vial: v.id.clone(),
                doses: v.doses,
                given: v.given,
                wasted: v.wasted,
            });
        }
        None
    }
}

/// A count that does not balance.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[serde(tag = "kind", rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum Imbalance {
    /// More sealed vials left the freezer or fridge than were in it.
    NegativeSealed {
        /// The freezer count.
        frozen: i64,
        /// The fridge count.
        fridge: i64,
    },
    /// More doses given and wasted from a vial than it holds.
    OverdrawnVial {
        /// The vial.
        vial: String,
        /// Doses it gives.
        doses: u32,
        /// Doses given.
        given: u32,
        /// Doses wasted.
        wasted: u32,
    },
}

/// Takes `n` vials from the fridge, earliest clock first (the order staff are told to use
/// them); what cannot be taken leaves a negative batch so the balance shows it.
fn take_from_fridge(fridge: &mut Vec<FridgeBatch>, mut n: i64) {
    for b in fridge.iter_mut() {
        let taken = n.min(b.vials.max(0));
        b.vials -= taken;
        n -= taken;
        if n == 0 {
            break;
        }
    }
    if n > 0 {
        match fridge.last_mut() {
            Some(b) => b.vials -= n,
            None => fridge.push(FridgeBatch {
                vials: -n,
                use_by: None,
            }),
        }
    }
    fridge.retain(|b| b.vials != 0);
}

fn add_to_fridge(fridge: &mut Vec<FridgeBatch>, vials: i64, use_by: Option<NaiveDateTime>) {
    match fridge.iter_mut().find(|b| b.use_by == use_by) {
        Some(b) => b.vials += vials,
        None => fridge.push(FridgeBatch { vials, use_by }),
    }
    // Earliest clock first; vials with no thawed clock last.
    fridge.sort_by_key(|b| (b.use_by.is_none(), b.use_by));
    fridge.retain(|b| b.vials != 0);
}

/// What came of a call to a standby resident (someone who agreed to come at short notice to
/// use a leftover dose).
#[derive(Debug, Clone, Copy, PartialEq, Eq, Hash, PartialOrd, Ord, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum CallOutcome {
    /// No answer, or a message left.
    NotReached,
    /// Reached; cannot come.
    Declined,
    /// Reached; on the way.
    Coming,
}

impl CallOutcome {
    /// The stable code stored in the ledger.
    pub fn code(self) -> &'static str {
        match self {
            Self::NotReached => "not_reached",
            Self::Declined => "declined",
            Self::Coming => "coming",
        }
    }

    /// Reads the code back.
    pub fn from_code(code: &str) -> Option<Self> {
        [Self::NotReached, Self::Declined, Self::Coming]
            .into_iter()
            .find(|o| o.code() == code)
    }
}

/// The state of every lot at a venue at `now`, from its stock events and the valid doses
/// given there. Events and doses after `now` and voided events are left out; the result does
/// not depend on the order of the inputs. Lots are returned by (product, lot).
pub fn lot_states(
    catalogue: &Catalogue,
    records: &[StockRecord],
    doses: &[DoseUse],
    now: NaiveDateTime,
) -> Vec<LotState> {
    let mut events: Vec<&StockRecord> = records
        .iter()
        .filter(|r| !r.voided && r.at <= now)
        .collect();
    events.sort_by(|a, b| (a.at, &a.id).cmp(&(b.at, &b.id)));
    let mut lots: BTreeMap<(String, String), LotState> = BTreeMap::new();
    for r in events {
        let lot = lots
            .entry((r.product.clone(), r.lot.clone()))
            .or_insert_with(|| LotState::new(&r.product, &r.lot));
        apply(catalogue, lot, r);
    }
    // Where each vial is (lot, index), so that tying thousands of doses to hundreds of vials
    // stays linear.
    let mut lots: Vec<LotState> = lots.into_values().collect();
    let mut vial_at: HashMap<String, (usize, usize)> = HashMap::new();
    for (l, lot) in lots.iter().enumerate() {
        for (v, vial) in lot.vials.iter().enumerate() {
            vial_at.insert(vial.id.clone(), (l, v));
        }
    }
    for d in doses.iter().filter(|d| d.at <= now) {
        let l = match lots
            .iter()
            .position(|l| l.product == d.product && l.lot == d.lot)
        {
            Some(l) => l,
            None => {
                lots.push(LotState::new(&d.product, &d.lot));
                lots.len() - 1
            }
        };
        lots[l].totals.doses_given += i64::from(d.count);
        // A dose naming a vial of another lot is counted, not tied.
        match d.vial.as_ref().and_then(|id| vial_at.get(id.as_str())) {
            Some(&(vl, v)) if vl == l => lots[l].vials[v].given += d.count,
            _ => lots[l].totals.doses_without_vial += i64::from(d.count),
        }
    }
    lots.sort_by(|a, b| (&a.product, &a.lot).cmp(&(&b.product, &b.lot)));
    lots
}

fn apply(catalogue: &Catalogue, lot: &mut LotState, r: &StockRecord) {
    let t = &mut lot.totals;
    match &r.change {
        StockChange::Received {
            vials,
            expires_on,
            thawed_use_by,
            ..
        } => {
            let vials = i64::from(*vials);
            t.vials_received += vials;
            lot.expires_on = Some(lot.expires_on.map_or(*expires_on, |e| e.min(*expires_on)));
            let frozen = catalogue
                .product(&r.product)
                .ok()
                .and_then(|p| p.rules_on(r.at.date()).ok())
                .is_some_and(|rules| rules.stored_frozen);
            if frozen && thawed_use_by.is_none() {
                lot.frozen += vials;
            } else {
                add_to_fridge(&mut lot.fridge, vials, *thawed_use_by);
            }
        }
        StockChange::Thawed { vials, use_by } => {
            lot.frozen -= i64::from(*vials);
            add_to_fridge(&mut lot.fridge, i64::from(*vials), Some(*use_by));
        }
        StockChange::Opened { use_by, doses, .. } => {
            t.vials_opened += 1;
            t.doses_opened += i64::from(*doses);
            take_from_fridge(&mut lot.fridge, 1);
            lot.vials.push(VialState {
                id: r.id.clone(),
                opened_at: r.at,
                use_by: *use_by,
                doses: *doses,
                given: 0,
                wasted: 0,
            });
        }
        StockChange::VialsWasted { vials, from, .. } => {
            t.vials_wasted += i64::from(*vials);
            take_sealed(lot, *from, i64::from(*vials));
        }
        StockChange::DosesWasted { vial, doses, .. } => {
            t.doses_wasted += i64::from(*doses);
            if let Some(v) = lot.vials.iter_mut().find(|v| &v.id == vial) {
                v.wasted += doses;
            }
        }
        StockChange::TransferredOut { vials, from, .. } => {
            t.vials_transferred_out += i64::from(*vials);
            take_sealed(lot, *from, i64::from(*vials));
        }
        StockChange::Corrected { vials, state, .. } => {
            let vials = i64::from(*vials);
            t.vials_corrected += vials;
            if vials < 0 {
                take_sealed(lot, *state, -vials);
            } else {
                match state {
                    SealedState::Frozen => lot.frozen += vials,
                    SealedState::Fridge => {
                        // Found vials join the batch with the earliest clock: the count
                        // cannot say when they were thawed, and a guess must never extend
                        // a clock.
                        let use_by = lot.fridge.first().and_then(|b| b.use_by);
                        add_to_fridge(&mut lot.fridge, vials, use_by);
                    }
                }
            }
        }
        StockChange::Quarantined { reason } => {
            lot.quarantined.get_or_insert_with(|| reason.clone());
        }
        StockChange::DayClosed { date } => {
            lot.closed_through = Some(lot.closed_through.map_or(*date, |d| d.max(*date)));
        }
    }
}

fn take_sealed(lot: &mut LotState, from: SealedState, vials: i64) {
    match from {
        SealedState::Frozen => lot.frozen -= vials,
        SealedState::Fridge => take_from_fridge(&mut lot.fridge, vials),
    }
}

/// How far a clock has run, for the amber and red colours of the manager's screen.
#[derive(Debug, Clone, Copy, PartialEq, Eq, Serialize, Deserialize)]
#[serde(rename_all = "snake_case")]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub enum ClockColour {
    /// Plenty of time.
    Green,
    /// A quarter of the clock (at least an hour) or less is left.
    Amber,
    /// A tenth of the clock (at least 15 minutes) or less is left, or it has run out.
    Red,
}

/// The colour of a clock of `total` length ending at `use_by`, seen at `now`.
///
/// Amber from a quarter of the clock left (at least an hour); red from a tenth (at least 15
/// minutes). A 6-hour vial turns amber at 1 h 30 min left and red at 36 min; a 30-day fridge
/// clock turns amber at 7.5 days and red at 3 days.
pub fn clock_colour(total: Duration, use_by: NaiveDateTime, now: NaiveDateTime) -> ClockColour {
    let left = use_by - now;
    if left <= Duration::zero() {
        return ClockColour::Red;
    }
    let red = (total / 10).max(Duration::minutes(15));
    let amber = (total / 4).max(Duration::hours(1));
    if left <= red {
        ClockColour::Red
    } else if left <= amber {
        ClockColour::Amber
    } else {
        ClockColour::Green
    }
}

/// The leftover forecast for the rest of a day.
#[derive(Debug, Clone, PartialEq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LeftoverForecast {
    /// People booked who have not come yet.
    pub still_booked: u32,
    /// The no-show rate used (0..=1).
    pub no_show_rate: f64,
    /// People expected: `still_booked × (1 − no_show_rate)`.
    pub expected: f64,
    /// Doses in open vials whose clock runs.
    pub doses_open: u32,
    /// Doses expected to be left in open vials at close, rounded to the nearest dose.
    pub leftover_at_close: u32,
    /// Doses a newly opened vial gives.
    pub doses_per_next_vial: u32,
    /// Open the next vial only if at least this many more people come today: the doses
    /// already open plus enough people to use the new vial within the acceptable waste.
    /// `None` when there is no sealed vial to open.
    pub open_next_if_at_least: Option<u32>,
}

/// The no-show rate seen so far: the share of bookings whose time has passed that did not
/// come. `None` before any booking's time has passed.
pub fn no_show_rate(booked_past: u32, came_past: u32) -> Option<f64> {
    (booked_past > 0)
        .then(|| f64::from(booked_past - came_past.min(booked_past)) / f64::from(booked_past))
}

/// The leftover forecast.
///
/// `acceptable_waste` is the venue's policy: how many doses of a freshly opened vial it will
/// risk throwing away. Opening the next vial for `k` people wastes `per_vial − k` doses, so
/// it is worth opening only when at least `per_vial − acceptable_waste` people will draw from
/// it, beyond the doses already open.
pub fn leftover_forecast(
    still_booked: u32,
    no_show_rate: f64,
    doses_open: u32,
    doses_per_next_vial: Option<u32>,
    acceptable_waste: u32,
) -> LeftoverForecast {
    let rate = no_show_rate.clamp(0.0, 1.0);
    let expected = f64::from(still_booked) * (1.0 - rate);
    let leftover = (f64::from(doses_open) - expected).max(0.0).round() as u32;
    let open_next_if_at_least = doses_per_next_vial
        .map(|per_vial| doses_open + per_vial.saturating_sub(acceptable_waste).max(1));
    LeftoverForecast {
        still_booked,
        no_show_rate: rate,
        expected,
        doses_open,
        leftover_at_close: leftover,
        doses_per_next_vial: doses_per_next_vial.unwrap_or(0),
        open_next_if_at_least,
    }
}

pub mod cold_chain;

#[cfg(test)]
mod tests;
