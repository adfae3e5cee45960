//! Counts for the dashboards and the reports (各種集計): bookings, check-ins, doses and
//! no-shows per day and venue, and dose coverage per birth date and district. One grouped
//! query each, so a 65,000-resident campaign is counted in milliseconds.

use std::collections::BTreeMap;

use chrono::NaiveDate;
use rusqlite::params;
use serde::Serialize;

use crate::read::{corrupt, parse_day, query_rows};
use crate::{LedgerError, Reader};

/// What happened at one venue on one day.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
#[cfg_attr(feature = "ts", derive(ts_rs::TS))]
pub struct DayVenueCount {
    /// The day.
    #[cfg_attr(feature = "ts", ts(type = "string"))]
    pub date: NaiveDate,
    /// 会場コード.
    pub venue_code: String,
    /// Bookings (any dose) in the venue's bands that day.
    pub booked: u32,
    /// Check-ins that day, cancelled ones left out.
    pub checked_in: u32,
    /// Valid doses given that day.
    pub doses: u32,
    /// Bookings of a day before `today` whose dose was never given (anywhere, any day).
    pub no_shows: u32,
}

/// Residents born on one day in one district, and how many of them have each dose.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageCell {
    /// Birth date.
    pub birth_date: NaiveDate,
    /// 地区.
    pub district: String,
    /// Residents.
    pub residents: u32,
    /// With a valid dose 1.
    pub first: u32,
    /// With a valid dose 2.
    pub second: u32,
}

impl Reader<'_> {
    /// Bookings, check-ins, doses and no-shows per (day, venue), days in order; `today`
    /// decides which bookings are past (a booking of today is no no-show yet).
    pub fn day_venue_counts(&self, today: NaiveDate) -> Result<Vec<DayVenueCount>, LedgerError> {
        let mut cells: BTreeMap<(String, String), DayVenueCount> = BTreeMap::new();
        let mut add = |sql: &str, param: Option<String>, set: fn(&mut DayVenueCount, u32)| {
            let rows = match &param {
                Some(p) => query_rows(self.conn, sql, params![p], triple)?,
                None => query_rows(self.conn, sql, [], triple)?,
            };
            for (day, venue, n) in rows {
                let cell = cells.entry((day.clone(), venue.clone())).or_default();
                cell.venue_code = venue;
                set(cell, n);
            }
            Ok::<(), LedgerError>(())
        };
        add(
            "SELECT tb.date, v.code, COUNT(*) FROM bookings b
             JOIN time_bands tb ON tb.id = b.time_band_id JOIN venues v ON v.id = tb.venue_id
             GROUP BY tb.date, v.code",
            None,
            |c, n| c.booked = n,
        )?;
        add(
            "SELECT substr(c.checked_in_at, 1, 10), v.code, COUNT(*) FROM check_ins c
             JOIN venues v ON v.id = c.venue_id WHERE c.cancelled_at IS NULL
             GROUP BY 1, v.code",
            None,
            |c, n| c.checked_in = n,
        )?;
        add(
            "SELECT substr(d.administered_at, 1, 10), v.code, COUNT(*) FROM dose_records d
             JOIN venues v ON v.id = d.venue_id WHERE d.voided_at IS NULL
             GROUP BY 1, v.code",
            None,
            |c, n| c.doses = n,
        )?;
        add(
            "SELECT tb.date, v.code, COUNT(*) FROM bookings b
             JOIN time_bands tb ON tb.id = b.time_band_id JOIN venues v ON v.id = tb.venue_id
             WHERE tb.date < ?1 AND NOT EXISTS (
                 SELECT 1 FROM dose_records d WHERE d.resident_id = b.resident_id
                   AND d.dose_number = b.dose_number AND d.voided_at IS NULL)
             GROUP BY tb.date, v.code",
            Some(today.to_string()),
            |c, n| c.no_shows = n,
        )?;
        cells
            .into_iter()
            .map(|((day, _), mut cell)| {
                cell.date = parse_day(&day).map_err(|e| corrupt("time_bands", 0)("date", e))?;
                Ok(cell)
            })
            .collect()
    }

    /// Residents per (birth date, district) with how many have a valid dose 1 and dose 2.
    pub fn coverage_cells(&self) -> Result<Vec<CoverageCell>, LedgerError> {
        let rows = query_rows(
            self.conn,
            "SELECT r.birth_date, r.district, COUNT(*),
                    SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                                  AND d.dose_number = 1 AND d.voided_at IS NULL)),
                    SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                                  AND d.dose_number = 2 AND d.voided_at IS NULL))
             FROM residents r GROUP BY r.birth_date, r.district",
            [],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, String>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, u32>(3)?,
                    r.get::<_, u32>(4)?,
                ))
            },
        )?;
        rows.into_iter()
            .map(|(birth, district, residents, first, second)| {
                Ok(CoverageCell {
                    birth_date: parse_day(&birth)
                        .map_err(|e| corrupt("residents", 0)("birth_date", e))?,
                    district,
                    residents,
                    first,
                    second,
                })
            })
            .collect()
    }
}

fn triple(r: &rusqlite::Row<'_>) -> rusqlite::Result<(String, String, u32)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}
