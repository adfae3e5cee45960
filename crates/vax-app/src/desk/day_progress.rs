//! The venue's day: bookings against check-ins and doses, band by band, and no-shows.

use std::collections::HashSet;

use chrono::{DateTime, FixedOffset, NaiveDate, NaiveTime};
use serde::Serialize;

use super::{venue_of, DeskError, Enrollment};
use crate::roster::venue_day;
use vax_ledger::Ledger;

/// One time band's progress.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct BandSummary {
    /// Start.
    pub start: NaiveTime,
    /// End.
    pub end: NaiveTime,
    /// Places.
    pub capacity: u32,
    /// Bookings.
    pub booked: u32,
    /// Booked residents checked in.
    pub checked_in: u32,
    /// Booked residents vaccinated.
    pub dosed: u32,
    /// Booked residents not checked in once the band is over.
    pub no_shows: u32,
}

/// The day at the enrolled venue.
#[derive(Debug, Clone, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DaySummary {
    /// 会場名.
    pub venue_name: String,
    /// The day.
    pub date: NaiveDate,
    /// Bands in time order.
    pub bands: Vec<BandSummary>,
    /// Check-ins of residents not booked here today.
    pub walk_ins: u32,
    /// Valid doses recorded here today.
    pub doses_today: u32,
}

/// Bookings against check-ins and doses at the enrolled venue on `date`, as of `now`.
pub fn venue_day_summary(
    ledger: &Ledger,
    enrollment: &Enrollment,
    date: NaiveDate,
    now: DateTime<FixedOffset>,
) -> Result<DaySummary, DeskError> {
    let venue = venue_of(ledger, enrollment)?;
    let reader = ledger.reader();
    let offset = *now.offset();
    let checked: HashSet<i64> = reader
        .check_ins_on(venue.id, date, offset)?
        .into_iter()
        .filter(|c| c.cancelled.is_none())
        .map(|c| c.resident_id)
        .collect();
    let doses = reader.doses_on(venue.id, date, offset)?;
    let dosed: HashSet<i64> = doses
        .iter()
        .filter(|d| !d.voided)
        .map(|d| d.resident_id)
        .collect();
    let day = venue_day(ledger, &enrollment.venue_code, date)?;
    let mut booked_here = HashSet::new();
    let bands = day
        .bands
        .iter()
        .map(|b| {
            let ids: Vec<i64> = b.residents.iter().map(|r| r.resident_id).collect();
            booked_here.extend(ids.iter().copied());
            let checked_in = ids.iter().filter(|id| checked.contains(id)).count() as u32;
            let over =
                date < now.date_naive() || (date == now.date_naive() && b.band.end <= now.time());
            BandSummary {
                start: b.band.start,
                end: b.band.end,
                capacity: b.band.capacity,
                booked: ids.len() as u32,
                checked_in,
                dosed: ids.iter().filter(|id| dosed.contains(id)).count() as u32,
                no_shows: if over {
                    ids.len() as u32 - checked_in
                } else {
                    0
                },
            }
        })
        .collect();
    Ok(DaySummary {
        venue_name: venue.venue.name,
        date,
        bands,
        walk_ins: checked.difference(&booked_here).count() as u32,
        doses_today: dosed.len() as u32,
    })
}
