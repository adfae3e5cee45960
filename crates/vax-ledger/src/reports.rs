//! Counts for the dashboards and the reports (各種集計): bookings, check-ins, doses and
//! no-shows per day and venue, and dose coverage per birth date and district. Read from the
//! tallies that migration 0017's triggers keep as rows are written (replicated ops
//! included), so a 65,000-resident campaign is counted in a few milliseconds. The grouped
//! scans they replace remain (`*_by_scan`): the bench's baseline and the tests' reference.

use std::collections::{BTreeMap, HashMap};

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

/// Residents in one age group (and district), and how many hold a valid dose 1 and dose 2.
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct CoverageGroup {
    /// How many of the asked birth-date edges the residents were born on or before: 0 for
    /// the youngest group, `edges.len()` for the oldest.
    pub group: usize,
    /// 地区; empty when not asked by district.
    pub district: String,
    /// Residents.
    pub residents: u32,
    /// With a valid dose 1.
    pub first: u32,
    /// With a valid dose 2.
    pub second: u32,
}

/// The last op this ledger holds from one device (sync freshness).
#[derive(Debug, Clone, PartialEq, Eq)]
pub struct DeviceHeard {
    /// The device (its replica id).
    pub author: String,
    /// The venue its latest check-in, dose or stock op named; `None` for a device that
    /// never wrote one (HQ, the call centre).
    pub venue_code: Option<String>,
    /// When it wrote its latest op, by its own clock (ms since the Unix epoch).
    pub last_ms: i64,
}

impl Reader<'_> {
    /// Every device this ledger holds ops from, with the latest one's time, kept as ops are
    /// stored (migration 0017); devices in author order.
    pub fn devices_heard(&self) -> Result<Vec<DeviceHeard>, LedgerError> {
        query_rows(
            self.conn,
            "SELECT author, venue_code, last_ms FROM dash_device_heard ORDER BY author",
            [],
            |r| {
                Ok(DeviceHeard {
                    author: r.get(0)?,
                    venue_code: r.get(1)?,
                    last_ms: r.get(2)?,
                })
            },
        )
    }

    /// Bookings, check-ins, doses and no-shows per (day, venue), days in order, then venues
    /// by code; `today` decides which bookings are past (a booking of today is no no-show
    /// yet). Only `venue`'s when given (a venue manager's dashboard). Read from the tally of
    /// migration 0017: one row per venue and day.
    pub fn day_venue_counts(
        &self,
        today: NaiveDate,
        venue: Option<&str>,
    ) -> Result<Vec<DayVenueCount>, LedgerError> {
        let rows = query_rows(
            self.conn,
            "SELECT t.day, v.code, t.booked,
                    CASE WHEN t.day < ?1 THEN t.booked - t.booked_dosed ELSE 0 END,
                    t.checked_in, t.doses
             FROM dash_day_venue t JOIN venues v ON v.id = t.venue_id
             WHERE (?2 IS NULL OR v.code = ?2)
               AND (t.booked != 0 OR t.checked_in != 0 OR t.doses != 0)
             ORDER BY t.day, v.code",
            params![today.to_string(), venue],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    DayVenueCount {
                        date: NaiveDate::MIN,
                        venue_code: r.get(1)?,
                        booked: r.get(2)?,
                        no_shows: r.get(3)?,
                        checked_in: r.get(4)?,
                        doses: r.get(5)?,
                    },
                ))
            },
        )?;
        rows.into_iter()
            .map(|(day, mut c)| {
                c.date = parse_day(&day).map_err(|e| corrupt("dash_day_venue", 0)("day", e))?;
                Ok(c)
            })
            .collect()
    }

    /// [`Self::day_venue_counts`] counted from the rows themselves (the queries of migration
    /// 0013, before the tallies): the bench's baseline and the tests' reference.
    ///
    /// Each count is one grouped scan of an index (migration 0013): bookings per band with
    /// each past booking's dose probed in the covering index of valid doses, and doses and
    /// check-ins per venue and day from their expression indexes, in index order (no sort).
    pub fn day_venue_counts_by_scan(
        &self,
        today: NaiveDate,
        venue: Option<&str>,
    ) -> Result<Vec<DayVenueCount>, LedgerError> {
        let codes: HashMap<i64, String> = query_rows(
            self.conn,
            "SELECT id, code FROM venues WHERE ?1 IS NULL OR code = ?1",
            params![venue],
            |r| Ok((r.get(0)?, r.get(1)?)),
        )?
        .into_iter()
        .collect();
        // One venue: every query seeks to it. A venue code no venue has: nothing to count.
        let only: Option<i64> = match venue {
            Some(_) => match codes.keys().next() {
                Some(id) => Some(*id),
                None => return Ok(Vec::new()),
            },
            None => None,
        };
        let mut cells: BTreeMap<(String, i64), DayVenueCount> = BTreeMap::new();
        fn cell(
            cells: &mut BTreeMap<(String, i64), DayVenueCount>,
            day: String,
            venue_id: i64,
        ) -> &mut DayVenueCount {
            cells.entry((day, venue_id)).or_default()
        }
        // Bands are few (thousands) and read in rowid order, so grouping by band streams.
        let bookings = query_rows(
            self.conn,
            "SELECT tb.date, tb.venue_id, COUNT(*),
                    SUM(CASE WHEN tb.date < ?1 THEN NOT EXISTS (
                        SELECT 1 FROM dose_records d WHERE d.resident_id = b.resident_id
                          AND d.dose_number = b.dose_number AND d.voided_at IS NULL)
                        ELSE 0 END)
             FROM time_bands tb JOIN bookings b ON b.time_band_id = tb.id
             WHERE ?2 IS NULL OR tb.venue_id = ?2
             GROUP BY tb.id",
            params![today.to_string(), only],
            |r| {
                Ok((
                    r.get::<_, String>(0)?,
                    r.get::<_, i64>(1)?,
                    r.get::<_, u32>(2)?,
                    r.get::<_, u32>(3)?,
                ))
            },
        )?;
        for (day, venue_id, booked, no_shows) in bookings {
            let c = cell(&mut cells, day, venue_id);
            c.booked += booked;
            c.no_shows += no_shows;
        }
        let per_venue_day = |sql: &str| match only {
            Some(id) => query_rows(
                self.conn,
                &format!("{sql} AND venue_id = ?1 GROUP BY 1, 2"),
                params![id],
                triple,
            ),
            None => query_rows(self.conn, &format!("{sql} GROUP BY 1, 2"), [], triple),
        };
        for (venue_id, day, n) in per_venue_day(
            "SELECT venue_id, substr(checked_in_at, 1, 10), COUNT(*) FROM check_ins
             WHERE cancelled_at IS NULL",
        )? {
            cell(&mut cells, day, venue_id).checked_in = n;
        }
        for (venue_id, day, n) in per_venue_day(
            "SELECT venue_id, substr(administered_at, 1, 10), COUNT(*) FROM dose_records
             WHERE voided_at IS NULL",
        )? {
            cell(&mut cells, day, venue_id).doses = n;
        }
        let mut counts: Vec<DayVenueCount> = Vec::with_capacity(cells.len());
        for ((day, venue_id), mut c) in cells {
            let Some(code) = codes.get(&venue_id) else {
                continue;
            };
            c.date = parse_day(&day).map_err(|e| corrupt("time_bands", 0)("date", e))?;
            c.venue_code = code.clone();
            counts.push(c);
        }
        // Days in order, then venues by code (as the report lists them).
        counts.sort_by(|a, b| (a.date, &a.venue_code).cmp(&(b.date, &b.venue_code)));
        Ok(counts)
    }

    /// Residents per (birth date, district) with how many have a valid dose 1 and dose 2,
    /// in that order; read from the tally of migration 0017.
    pub fn coverage_cells(&self) -> Result<Vec<CoverageCell>, LedgerError> {
        self.coverage_from(
            "SELECT birth_date, district, residents, first, second FROM dash_coverage
             WHERE residents != 0 ORDER BY birth_date, district",
        )
    }

    /// Coverage summed into groups by birth date in SQLite: a resident belongs to group `g`
    /// when born on or before exactly `g` of `edges` (the latest birth date of each age
    /// band's lowest age, ascending in age, so descending in date), and by district when
    /// `by_district`. Read from the tally of migration 0017, one range of its primary key per
    /// group (summed in order, no sort).
    pub fn coverage_groups(
        &self,
        edges: &[NaiveDate],
        by_district: bool,
    ) -> Result<Vec<CoverageGroup>, LedgerError> {
        let sql = if by_district {
            "SELECT district, SUM(residents), SUM(first), SUM(second) FROM dash_coverage
             WHERE birth_date > ?1 AND birth_date <= ?2 GROUP BY district ORDER BY district"
        } else {
            "SELECT '', coalesce(SUM(residents), 0), coalesce(SUM(first), 0),
                    coalesce(SUM(second), 0)
             FROM dash_coverage WHERE birth_date > ?1 AND birth_date <= ?2"
        };
        let mut groups = Vec::new();
        for group in 0..=edges.len() {
            // Later than the next edge, on or before this group's own (ISO dates order as text).
            let after = edges
                .get(group)
                .map_or_else(String::new, NaiveDate::to_string);
            let until = match group.checked_sub(1) {
                Some(i) => edges[i].to_string(),
                None => "9999-12-31".to_owned(),
            };
            for (district, residents, first, second) in
                query_rows(self.conn, sql, params![after, until], |r| {
                    Ok((
                        r.get::<_, String>(0)?,
                        r.get::<_, u32>(1)?,
                        r.get::<_, u32>(2)?,
                        r.get::<_, u32>(3)?,
                    ))
                })?
            {
                if residents != 0 {
                    groups.push(CoverageGroup {
                        group,
                        district,
                        residents,
                        first,
                        second,
                    });
                }
            }
        }
        Ok(groups)
    }

    /// [`Self::coverage_cells`] counted from the rows themselves (the query of migration
    /// 0013): the bench's baseline and the tests' reference.
    pub fn coverage_cells_by_scan(&self) -> Result<Vec<CoverageCell>, LedgerError> {
        // The (birth_date, district) index gives the groups in order; each probe is answered
        // by the covering index of valid doses (migration 0013).
        self.coverage_from(
            "SELECT r.birth_date, r.district, COUNT(*),
                    SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                                  AND d.dose_number = 1 AND d.voided_at IS NULL)),
                    SUM(EXISTS (SELECT 1 FROM dose_records d WHERE d.resident_id = r.id
                                  AND d.dose_number = 2 AND d.voided_at IS NULL))
             FROM residents r GROUP BY r.birth_date, r.district",
        )
    }

    fn coverage_from(&self, sql: &str) -> Result<Vec<CoverageCell>, LedgerError> {
        let rows = query_rows(self.conn, sql, [], |r| {
            Ok((
                r.get::<_, String>(0)?,
                r.get::<_, String>(1)?,
                r.get::<_, u32>(2)?,
                r.get::<_, u32>(3)?,
                r.get::<_, u32>(4)?,
            ))
        })?;
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

fn triple(r: &rusqlite::Row<'_>) -> rusqlite::Result<(i64, String, u32)> {
    Ok((r.get(0)?, r.get(1)?, r.get(2)?))
}
