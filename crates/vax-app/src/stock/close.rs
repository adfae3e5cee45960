//! The end of the day: doses left in open vials and fridge vials past their clock are
//! recorded as waste, and the day closes only when the manager's count of sealed vials is
//! what the ledger holds (delivered = administered + wasted + on hand).

use chrono::{DateTime, FixedOffset, NaiveDate};
use serde::{Deserialize, Serialize};
use vax_domain::stock::{LotTotals, SealedState, StockChange, WasteReason};
use vax_ledger::Ledger;
use vax_sync::{StockEvent, VenueCode};

use super::{check_role, imbalance_text, venue_lots, StockError};
use crate::audit::{self, About, AuditAction};
use crate::desk::{DeskError, Enrollment};

/// The manager's count of one lot's sealed vials at close.
#[derive(Debug, Clone, PartialEq, Eq, Serialize, Deserialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct LotCount {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Vials counted in the freezer.
    pub frozen: i64,
    /// Usable vials counted in the fridge (expired ones are thrown away at close).
    pub fridge: i64,
}

/// A lot whose count differs from the ledger, with both sides.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct UnbalancedLot {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// What the ledger holds in the freezer.
    pub expected_frozen: i64,
    /// What the ledger holds usable in the fridge after the close's waste.
    pub expected_fridge: i64,
    /// What was counted in the freezer.
    pub counted_frozen: i64,
    /// What was counted in the fridge.
    pub counted_fridge: i64,
    /// A count the ledger itself cannot explain (more taken than held), if any.
    pub problem: Option<String>,
}

/// One lot as the day closed.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct ClosedLot {
    /// Product code.
    pub product: String,
    /// Lot number.
    pub lot: String,
    /// Doses left in open vials, recorded as waste at close.
    pub doses_left_at_close: u32,
    /// Fridge vials past their clock, recorded as waste at close.
    pub vials_expired_at_close: i64,
    /// Sealed vials on hand after close (freezer + fridge).
    pub sealed_on_hand: i64,
    /// The lot's running totals after close.
    pub totals: LotTotals,
}

/// The closed day.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct CloseOut {
    /// The day.
    pub date: NaiveDate,
    /// Every lot with stock or activity.
    pub lots: Vec<ClosedLot>,
}

/// Closes the enrolled venue's day at `now`: records the waste the close implies and a
/// `day_closed` event per lot, if every lot's count balances. Refused with the numbers of
/// every lot that does not ([`StockError::Unbalanced`]), and then nothing is written.
pub fn close_day(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    counts: &[LotCount],
    now: DateTime<FixedOffset>,
) -> Result<CloseOut, StockError> {
    check_role(enrollment, enrollment.role.may_record_stock())?;
    let actor = audit::actor(&ledger.reader(), enrollment, now).map_err(DeskError::from)?;
    let at = now.naive_local();
    let lots = venue_lots(ledger, &enrollment.venue_code, now)?;
    let mut events = Vec::new();
    let mut closed = Vec::new();
    let mut unbalanced = Vec::new();
    for l in &lots {
        let open_left: Vec<(&str, u32)> = l
            .vials
            .iter()
            .filter(|v| v.left() > 0)
            .map(|v| (v.id.as_str(), v.left()))
            .collect();
        let expired: i64 = l
            .fridge
            .iter()
            .filter(|b| b.use_by.is_some_and(|t| t < at))
            .map(|b| b.vials.max(0))
            .sum();
        let active = l.sealed_vials() != 0 || !open_left.is_empty();
        let count = counts
            .iter()
            .find(|c| c.product == l.product && c.lot == l.lot);
        if !active && count.is_none() {
            continue;
        }
        let expected_fridge = l.fridge_vials() - expired;
        let (counted_frozen, counted_fridge) = count.map_or((0, 0), |c| (c.frozen, c.fridge));
        let problem = l.imbalance().as_ref().map(imbalance_text);
        if problem.is_some() || counted_frozen != l.frozen || counted_fridge != expected_fridge {
            unbalanced.push(UnbalancedLot {
                product: l.product.clone(),
                lot: l.lot.clone(),
                expected_frozen: l.frozen,
                expected_fridge,
                counted_frozen,
                counted_fridge,
                problem,
            });
            continue;
        }
        let mut change = |c| events.push((l.product.clone(), l.lot.clone(), c));
        for (vial, left) in &open_left {
            change(StockChange::DosesWasted {
                vial: (*vial).to_owned(),
                doses: *left,
                reason: WasteReason::LeftAtClose,
            });
        }
        if expired > 0 {
            change(StockChange::VialsWasted {
                vials: expired as u32,
                from: SealedState::Fridge,
                reason: WasteReason::ClockExpired,
            });
        }
        change(StockChange::DayClosed {
            date: now.date_naive(),
        });
        let left: u32 = open_left.iter().map(|(_, n)| n).sum();
        let mut totals = l.totals.clone();
        totals.doses_wasted += i64::from(left);
        totals.vials_wasted += expired;
        closed.push(ClosedLot {
            product: l.product.clone(),
            lot: l.lot.clone(),
            doses_left_at_close: left,
            vials_expired_at_close: expired,
            sealed_on_hand: l.frozen + expected_fridge,
            totals,
        });
    }
    if let Some(extra) = counts.iter().find(|c| {
        !lots
            .iter()
            .any(|l| l.product == c.product && l.lot == c.lot)
    }) {
        unbalanced.push(UnbalancedLot {
            product: extra.product.clone(),
            lot: extra.lot.clone(),
            expected_frozen: 0,
            expected_fridge: 0,
            counted_frozen: extra.frozen,
            counted_fridge: extra.fridge,
            problem: Some("lot unknown at this venue".into()),
        });
    }
    if !unbalanced.is_empty() {
        return Err(StockError::Unbalanced { lots: unbalanced });
    }
    let mut tx = ledger.transaction()?;
    for (product, lot, change) in events {
        tx.record_stock(
            &StockEvent {
                venue: VenueCode::new(&enrollment.venue_code),
                product,
                lot,
                at,
                change,
            },
            &now,
        )?;
    }
    let detail = format!("close-out {} ({} lots)", now.date_naive(), closed.len());
    let about = About::default().detail(detail);
    audit::record(&mut tx, &actor, AuditAction::Stock, &about, now)?;
    tx.commit()?;
    Ok(CloseOut {
        date: now.date_naive(),
        lots: closed,
    })
}
