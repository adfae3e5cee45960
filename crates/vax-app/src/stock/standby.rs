//! The standby list: residents who agreed to come at short notice, whom the manager calls to
//! use leftover doses, nearest first; each call logged and replicated.

use chrono::{DateTime, FixedOffset, NaiveDateTime};
use serde::Serialize;
use vax_domain::stock::CallOutcome;
use vax_domain::voucher::VoucherNumber;
use vax_ledger::Ledger;
use vax_sync::{OpKind, StandbyCall, VenueCode};

use super::{check_role, StockError};
use crate::desk::Enrollment;

/// Someone on the standby list, as the manager's screen shows them.
#[derive(Debug, Clone, PartialEq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StandbyEntry {
    /// Local row id.
    pub resident_id: i64,
    /// 氏名.
    pub name: String,
    /// 氏名カナ.
    pub name_kana: String,
    /// 電話番号.
    pub phone: Option<String>,
    /// Straight-line distance from the venue, when their home is geocoded.
    pub distance_km: Option<f64>,
    /// The dose they would get.
    pub dose_number: u8,
    /// Today's calls to them from this venue, in order.
    pub calls: Vec<StandbyCallView>,
}

/// One logged call.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct StandbyCallView {
    /// When.
    pub at: NaiveDateTime,
    /// What came of it.
    pub outcome: CallOutcome,
}

/// Residents on the standby list who have not had a dose today, nearest the enrolled venue
/// first (those without a geocoded home last), with today's calls. Residents whose primary
/// series is complete (2 doses) are left out.
pub fn standby_list(
    ledger: &Ledger,
    enrollment: &Enrollment,
    now: DateTime<FixedOffset>,
) -> Result<Vec<StandbyEntry>, StockError> {
    check_role(enrollment, enrollment.role.may_record_stock())?;
    let reader = ledger.reader();
    let venue = reader.venue(&enrollment.venue_code)?;
    let today = now.date_naive();
    let calls = reader.standby_calls_on(&enrollment.venue_code, today)?;
    let mut list: Vec<StandbyEntry> = reader
        .standby_residents(today)?
        .into_iter()
        .filter(|r| !r.dosed_that_day && r.doses_given < 2)
        .map(|r| StandbyEntry {
            resident_id: r.resident_id,
            distance_km: r.home.map(|h| venue.venue.location.distance_km(h)),
            dose_number: (r.doses_given + 1) as u8,
            calls: calls
                .iter()
                .filter(|c| c.resident_id == r.resident_id)
                .map(|c| StandbyCallView {
                    at: c.at,
                    outcome: c.outcome,
                })
                .collect(),
            name: r.name,
            name_kana: r.name_kana,
            phone: r.phone,
        })
        .collect();
    list.sort_by(|a, b| {
        let key = |e: &StandbyEntry| e.distance_km.unwrap_or(f64::INFINITY);
        key(a)
            .total_cmp(&key(b))
            .then(a.resident_id.cmp(&b.resident_id))
    });
    Ok(list)
}

/// Logs a call to a standby resident (replicated). The dose, if they come, is recorded at
/// the booth as usual.
pub fn log_standby_call(
    ledger: &mut Ledger,
    enrollment: &Enrollment,
    resident_id: i64,
    outcome: CallOutcome,
    now: DateTime<FixedOffset>,
) -> Result<(), StockError> {
    check_role(enrollment, enrollment.role.may_record_stock())?;
    let resident = ledger.reader().resident(resident_id)?;
    let voucher: VoucherNumber = resident.resident.voucher;
    let at = now.naive_local();
    let mut tx = ledger.transaction()?;
    let uid = tx.record_event(OpKind::StandbyCall(StandbyCall {
        resident: voucher,
        venue: VenueCode::new(&enrollment.venue_code),
        at,
        outcome,
    }))?;
    tx.insert_standby_call(&uid, resident_id, &enrollment.venue_code, at, outcome)?;
    tx.commit()?;
    Ok(())
}
