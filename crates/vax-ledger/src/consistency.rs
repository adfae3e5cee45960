//! [`Ledger::check_consistency`]: is this ledger file whole? SQLite's own checks, then the
//! ledger's rule that an op and the rows it implies commit together (crate docs): every op
//! has its rows, no replicated row lacks its op, and every author's ops are held without a
//! gap up to the frontier the log records. Run after a crash (the crash campaign,
//! `vaxhq check`) and by anyone who doubts a file.

use std::collections::{BTreeMap, HashSet};

use chrono::NaiveDate;
use rusqlite::{params, Connection, OptionalExtension};
use serde::Serialize;
use vax_sync::{OpId, OpKind};

use crate::replication::parse_op;
use crate::{Ledger, LedgerError};

/// The tables holding one row per replicated event, keyed by the event's uid (its op id when
/// the ledger replicates, a UUIDv7 before).
const EVENT_TABLES: [&str; 5] = [
    "dose_records",
    "check_ins",
    "stock_events",
    "inquiries",
    "standby_calls",
];

/// What [`Ledger::check_consistency`] found.
#[derive(Debug, Clone, Default, PartialEq, Eq, Serialize)]
pub struct ConsistencyReport {
    /// Ops in the log.
    pub ops: u64,
    /// Event rows checked against the log.
    pub event_rows: u64,
    /// Residents.
    pub residents: u64,
    /// Every problem, one sentence each; empty when the file is sound.
    pub problems: Vec<String>,
}

impl ConsistencyReport {
    /// Whether nothing is wrong.
    pub fn is_sound(&self) -> bool {
        self.problems.is_empty()
    }
}

impl Ledger {
    /// Checks the whole file: `PRAGMA integrity_check` and `foreign_key_check`; each
    /// author's ops held without a gap up to `sync_frontier`; every event op (dose,
    /// check-in, stock, inquiry, standby call), venue and resident op that is not waiting to
    /// be projected has its row; every event row whose uid is an op id, and (on a ledger that
    /// replicates) every resident, has its op. Reads only; a full scan (seconds for a city).
    pub fn check_consistency(&self) -> Result<ConsistencyReport, LedgerError> {
        let mut report = ConsistencyReport::default();
        match self.run_checks(&mut report) {
            Ok(()) => Ok(report),
            // A damaged file is a finding, not a failure of the check.
            Err(LedgerError::Sqlite(e))
                if e.sqlite_error_code() == Some(rusqlite::ErrorCode::DatabaseCorrupt) =>
            {
                report.problems.push(format!("the file is damaged: {e}"));
                Ok(report)
            }
            Err(e) => Err(e),
        }
    }

    fn run_checks(&self, report: &mut ConsistencyReport) -> Result<(), LedgerError> {
        sqlite_checks(&self.conn, &mut report.problems)?;
        if !report.problems.is_empty() {
            // The rows of a damaged file cannot be trusted for the checks below.
            return Ok(());
        }
        let ops = op_log_checks(&self.conn, report)?;
        event_rows_have_ops(&self.conn, &ops, report)?;
        let residents: i64 = self
            .conn
            .query_row("SELECT COUNT(*) FROM residents", [], |r| r.get(0))?;
        report.residents = residents.unsigned_abs();
        if self.replica_identity().is_some() {
            residents_have_ops(&self.conn, &ops.vouchers, &mut report.problems)?;
        }
        self.tallies_match_rows(&mut report.problems)?;
        Ok(())
    }

    /// The dashboard's tallies (kept by the triggers of migration 0017) against the counts
    /// of the rows themselves: a trigger that missed a path would show here first.
    fn tallies_match_rows(&self, problems: &mut Vec<String>) -> Result<(), LedgerError> {
        let reader = self.reader();
        // Every day counts as past, so the no-shows are compared too.
        let after_every_day = NaiveDate::from_ymd_opt(9999, 12, 31).unwrap_or(NaiveDate::MAX);
        let (kept, counted) = (
            reader.day_venue_counts(after_every_day, None)?,
            reader.day_venue_counts_by_scan(after_every_day, None)?,
        );
        if kept != counted {
            problems.push(format!(
                "the dashboard's day × venue tally differs from the rows ({} cells kept, {} counted; first difference: {:?})",
                kept.len(),
                counted.len(),
                first_difference(&kept, &counted)
            ));
        }
        let (kept, counted) = (reader.coverage_cells()?, reader.coverage_cells_by_scan()?);
        if kept != counted {
            problems.push(format!(
                "the dashboard's coverage tally differs from the rows (first difference: {:?})",
                first_difference(&kept, &counted)
            ));
        }
        let (from, to) = (
            NaiveDate::from_ymd_opt(1, 1, 1).unwrap_or(NaiveDate::MIN),
            after_every_day,
        );
        let (kept, counted) = (
            reader.inquiry_counts(from, to)?,
            reader.inquiry_counts_by_scan(from, to)?,
        );
        if kept != counted {
            problems.push(format!(
                "the dashboard's call tally differs from the rows (first difference: {:?})",
                first_difference(&kept, &counted)
            ));
        }
        Ok(())
    }
}

/// The first position where two lists differ, as (kept, counted).
fn first_difference<'a, T: PartialEq>(
    kept: &'a [T],
    counted: &'a [T],
) -> (Option<&'a T>, Option<&'a T>) {
    let i = kept.iter().zip(counted).take_while(|(a, b)| a == b).count();
    (kept.get(i), counted.get(i))
}

fn sqlite_checks(conn: &Connection, problems: &mut Vec<String>) -> Result<(), LedgerError> {
    let mut stmt = conn.prepare("PRAGMA integrity_check")?;
    let verdicts: Vec<String> = stmt
        .query_map([], |r| r.get(0))?
        .collect::<Result<_, _>>()?;
    if verdicts != ["ok"] {
        problems.extend(
            verdicts
                .into_iter()
                .map(|v| format!("integrity_check: {v}")),
        );
    }
    let mut stmt = conn.prepare("PRAGMA foreign_key_check")?;
    let broken: Vec<(String, Option<i64>, String)> = stmt
        .query_map([], |r| Ok((r.get(0)?, r.get(1)?, r.get(2)?)))?
        .collect::<Result<_, _>>()?;
    for (table, rowid, parent) in broken {
        problems.push(format!(
            "foreign key: {table} row {} names a missing {parent} row",
            rowid.map_or_else(|| "?".to_owned(), |r| r.to_string())
        ));
    }
    Ok(())
}

/// What the op log holds, for the row checks.
#[derive(Default)]
struct HeldOps {
    ids: HashSet<String>,
    /// Voucher numbers some resident op names.
    vouchers: HashSet<String>,
}

fn op_log_checks(
    conn: &Connection,
    report: &mut ConsistencyReport,
) -> Result<HeldOps, LedgerError> {
    let problems = &mut report.problems;
    let waiting: HashSet<(String, i64)> = {
        let mut stmt = conn.prepare("SELECT author, counter FROM sync_unprojected")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let frontier: BTreeMap<String, i64> = {
        let mut stmt = conn.prepare("SELECT author, seen FROM sync_frontier")?;
        let rows = stmt.query_map([], |r| Ok((r.get(0)?, r.get(1)?)))?;
        rows.collect::<Result<_, _>>()?
    };
    let mut held = HeldOps::default();
    // Per author, the length of the gapless run of counters from 1.
    let mut prefix: BTreeMap<String, i64> = BTreeMap::new();
    let mut stmt =
        conn.prepare("SELECT author, counter, body FROM sync_ops ORDER BY author, counter")?;
    let mut rows = stmt.query([])?;
    let row_exists = RowLookup::new(conn);
    while let Some(r) = rows.next()? {
        let (author, counter, body): (String, i64, String) = (r.get(0)?, r.get(1)?, r.get(2)?);
        report.ops += 1;
        let run = prefix.entry(author.clone()).or_insert(0);
        if counter == *run + 1 {
            *run = counter;
        }
        let op = match parse_op(&body) {
            Ok(op) => op,
            Err(e) => {
                problems.push(format!("op {author}#{counter} does not parse: {e}"));
                continue;
            }
        };
        let id = op.id.to_string();
        if op.id.replica.to_string() != author || i64::try_from(op.id.counter) != Ok(counter) {
            problems.push(format!(
                "op {author}#{counter} is stored under another id than its own ({id})"
            ));
        }
        if let OpKind::SetResidentFields { resident, .. } = &op.kind {
            held.vouchers.insert(resident.as_str().to_owned());
        }
        if !waiting.contains(&(author.clone(), counter)) {
            if let Some((what, present)) = row_exists.for_op(&op.kind, &id)? {
                if !present {
                    problems.push(format!("op {id} ({}) has no {what} row", op.kind.name()));
                }
            }
        }
        held.ids.insert(id);
    }
    // A partial replica's frontier runs ahead of its ops, over the counters outside its scope.
    let partial = conn
        .query_row(
            "SELECT value FROM device_settings WHERE key = ?1",
            [crate::replication::KEY_SCOPE],
            |r| r.get::<_, String>(0),
        )
        .optional()?
        .is_some_and(|scope| !scope.trim().is_empty());
    for (author, run) in &prefix {
        let seen = frontier.get(author).copied().unwrap_or(0);
        if seen != *run && !(partial && seen > *run) {
            problems.push(format!(
                "author {author}: the frontier says ops 1..={seen} are held, the log holds 1..={run} without a gap"
            ));
        }
    }
    for (author, seen) in &frontier {
        if *seen > 0 && !prefix.contains_key(author) && !partial {
            problems.push(format!(
                "author {author}: the frontier says ops 1..={seen} are held, the log holds none"
            ));
        }
    }
    Ok(held)
}

/// Whether the row an op implies is present.
struct RowLookup<'c> {
    conn: &'c Connection,
}

impl<'c> RowLookup<'c> {
    fn new(conn: &'c Connection) -> Self {
        Self { conn }
    }

    fn exists(&self, sql: &str, key: &str) -> Result<bool, LedgerError> {
        Ok(self.conn.prepare_cached(sql)?.exists(params![key])?)
    }

    /// The row's table and whether it is there, for the op kinds that always write one row.
    fn for_op(&self, kind: &OpKind, id: &str) -> Result<Option<(&'static str, bool)>, LedgerError> {
        let by_uid = |table: &'static str| -> Result<Option<(&'static str, bool)>, LedgerError> {
            let sql = format!("SELECT 1 FROM {table} WHERE uid = ?1");
            Ok(Some((table, self.exists(&sql, id)?)))
        };
        match kind {
            OpKind::RecordDose(_) => by_uid("dose_records"),
            OpKind::CheckIn(_) => by_uid("check_ins"),
            OpKind::StockEvent(_) => by_uid("stock_events"),
            OpKind::Inquiry(_) => by_uid("inquiries"),
            OpKind::StandbyCall(_) => by_uid("standby_calls"),
            OpKind::SetResidentFields { resident, .. } => Ok(Some((
                "residents",
                self.exists(
                    "SELECT 1 FROM residents WHERE voucher_number = ?1",
                    resident.as_str(),
                )?,
            ))),
            OpKind::DefineVenue(v) => Ok(Some((
                "venues",
                self.exists("SELECT 1 FROM venues WHERE code = ?1", &v.code.0)?,
            ))),
            // Bookings are registers (a later op may replace the row), voids and
            // acknowledgements change or add no row of their own, staff and audit rows
            // depend on what else arrived, bus rides are registers per venue day written
            // only where the plan's venue is (HQ, that venue): none has exactly one row to
            // look for; a delivery is a register per venue day whose removal leaves no row.
            OpKind::Book(_)
            | OpKind::DefineRides(_)
            | OpKind::DefineSupply(_)
            | OpKind::MarkRide(_)
            | OpKind::Void(_)
            | OpKind::DefineTimeBand(_)
            | OpKind::Acknowledge { .. }
            | OpKind::DefineStaff(_)
            | OpKind::Audit(_) => Ok(None),
        }
    }
}

fn event_rows_have_ops(
    conn: &Connection,
    held: &HeldOps,
    report: &mut ConsistencyReport,
) -> Result<(), LedgerError> {
    for table in EVENT_TABLES {
        let mut stmt = conn.prepare(&format!("SELECT uid FROM {table}"))?;
        let mut rows = stmt.query([])?;
        while let Some(r) = rows.next()? {
            let uid: String = r.get(0)?;
            report.event_rows += 1;
            // A UUIDv7 uid was written before the ledger replicated: it has no op by design.
            if uid.parse::<OpId>().is_ok() && !held.ids.contains(&uid) {
                report
                    .problems
                    .push(format!("{table} row {uid} has no op in the log"));
            }
        }
    }
    Ok(())
}

fn residents_have_ops(
    conn: &Connection,
    vouchers: &HashSet<String>,
    problems: &mut Vec<String>,
) -> Result<(), LedgerError> {
    let mut stmt = conn.prepare("SELECT id, voucher_number FROM residents")?;
    let mut rows = stmt.query([])?;
    while let Some(r) = rows.next()? {
        let (id, voucher): (i64, String) = (r.get(0)?, r.get(1)?);
        if !vouchers.contains(&voucher) {
            problems.push(format!(
                "resident #{id} (voucher {voucher}) has no op in the log"
            ));
        }
    }
    Ok(())
}
