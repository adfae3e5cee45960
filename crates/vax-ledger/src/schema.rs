//! The schema: the numbered SQL files of the workspace's `migrations/` folder.

use rusqlite::Connection;
use rusqlite_migration::{Migrations, M};

use crate::LedgerError;

/// Every migration, in order. Append only: a landed file is never edited or removed.
pub const MIGRATIONS: &[(&str, &str)] = &[
    (
        "0001_initial",
        include_str!("../../../migrations/0001_initial.sql"),
    ),
    (
        "0002_vrs_export",
        include_str!("../../../migrations/0002_vrs_export.sql"),
    ),
    (
        "0003_venue_desk",
        include_str!("../../../migrations/0003_venue_desk.sql"),
    ),
    (
        "0004_replication",
        include_str!("../../../migrations/0004_replication.sql"),
    ),
    (
        "0005_atena_number",
        include_str!("../../../migrations/0005_atena_number.sql"),
    ),
    (
        "0006_stock",
        include_str!("../../../migrations/0006_stock.sql"),
    ),
    (
        "0007_planning",
        include_str!("../../../migrations/0007_planning.sql"),
    ),
    (
        "0008_notices",
        include_str!("../../../migrations/0008_notices.sql"),
    ),
    (
        "0009_trust",
        include_str!("../../../migrations/0009_trust.sql"),
    ),
    (
        "0010_transport",
        include_str!("../../../migrations/0010_transport.sql"),
    ),
    (
        "0011_audit",
        include_str!("../../../migrations/0011_audit.sql"),
    ),
    (
        "0012_inquiries",
        include_str!("../../../migrations/0012_inquiries.sql"),
    ),
    (
        "0013_dashboard",
        include_str!("../../../migrations/0013_dashboard.sql"),
    ),
    (
        "0014_stock_lot_balance",
        include_str!("../../../migrations/0014_stock_lot_balance.sql"),
    ),
    (
        "0015_cancel_notices",
        include_str!("../../../migrations/0015_cancel_notices.sql"),
    ),
    (
        "0016_rides",
        include_str!("../../../migrations/0016_rides.sql"),
    ),
    (
        "0017_dashboard_tallies",
        include_str!("../../../migrations/0017_dashboard_tallies.sql"),
    ),
    (
        "0018_notice_rides",
        include_str!("../../../migrations/0018_notice_rides.sql"),
    ),
    (
        "0019_transport_runs",
        include_str!("../../../migrations/0019_transport_runs.sql"),
    ),
    (
        "0020_supply",
        include_str!("../../../migrations/0020_supply.sql"),
    ),
    (
        "0021_op_log_rows",
        include_str!("../../../migrations/0021_op_log_rows.sql"),
    ),
];

fn migrations() -> Migrations<'static> {
    Migrations::new(MIGRATIONS.iter().map(|(_, sql)| M::up(sql)).collect())
}

/// The schema version this build writes (`PRAGMA user_version`).
pub fn latest_version() -> usize {
    MIGRATIONS.len()
}

/// Brings the schema up to date in one transaction; refuses a file from a newer build.
pub fn migrate(conn: &mut Connection) -> Result<(), LedgerError> {
    let found: i64 = conn.pragma_query_value(None, "user_version", |r| r.get(0))?;
    let found = usize::try_from(found).unwrap_or(usize::MAX);
    if found > latest_version() {
        return Err(LedgerError::TooNew {
            found,
            supported: latest_version(),
        });
    }
    migrations().to_latest(conn)?;
    Ok(())
}

/// The schema as SQL text, tables and indexes sorted by name: for the snapshot test.
pub fn dump(conn: &Connection) -> Result<String, LedgerError> {
    let mut stmt = conn.prepare(
        "SELECT sql FROM sqlite_schema WHERE sql IS NOT NULL AND name NOT LIKE 'sqlite_%' ORDER BY type DESC, name",
    )?;
    let rows = stmt.query_map([], |r| r.get::<_, String>(0))?;
    let mut out = String::new();
    for sql in rows {
        out.push_str(&sql?);
        out.push_str(";\n");
    }
    Ok(out)
}
