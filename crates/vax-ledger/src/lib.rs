//! The local ledger: one SQLite file per installation, holding the register, venues, time
//! bands, bookings, dose records, vaccine lots and inquiries.
//!
//! - The schema is the numbered SQL files in the workspace's top-level `migrations/`,
//!   embedded at compile time and applied in order on open ([`schema`]).
//! - Reads go through a [`Reader`] (any connection or transaction); every write goes through
//!   a [`WriteTx`], one SQLite transaction that commits whole or not at all. Dropping a
//!   `WriteTx` without [`WriteTx::commit`] rolls it back, so an error half-way through an
//!   import leaves the ledger as it was.
//! - The file runs in WAL mode with `synchronous = FULL`: a committed record survives a
//!   crash or power cut at any instant.
//!
//! ```
//! use vax_ledger::Ledger;
//! let mut ledger = Ledger::open_in_memory().unwrap();
//! let tx = ledger.transaction().unwrap();
//! assert_eq!(tx.reader().resident_count().unwrap(), 0);
//! tx.commit().unwrap();
//! ```
//!
//! To add a table or a column: add `migrations/NNNN_what.sql` (never edit a landed one),
//! list it in [`schema::MIGRATIONS`], accept the new schema snapshot
//! (`cargo insta review`), and add the read/write functions next to their peers.
#![deny(missing_docs)]

pub mod at_rest;
mod audit;
mod consistency;
mod desk;
mod error;
mod history;
mod inquiries;
mod notice_rides;
mod notices;
mod planning;
mod read;
mod replication;
mod reports;
mod rides;
pub mod schema;
mod stock;
mod supply;
mod transport;
mod vrs;
mod write;

use std::path::Path;
use std::sync::Arc;

use vax_domain::clock::{Clock, SystemClock};

use rusqlite::Connection;

pub use at_rest::{RecoveryCode, Unlock};
pub use audit::{AuditQuery, AuditRow, StaffRow};
pub use consistency::ConsistencyReport;
pub use desk::{CheckInView, DayDose, LotView};
pub use error::LedgerError;
pub use history::{ResidentRideRow, StandbyCallHistoryRow};
pub use inquiries::{FollowUpRow, InquiryCount};
pub use notice_rides::{PlannedRide, ToldRide};
pub use notices::{
    NewCancellation, NewNotice, NewNoticeBatch, NoticeBatchRow, NoticeRow, NoticeTx,
    PendingBooking, PendingCancellation,
};
pub use planning::{BookingRow, GivenFirstDose, PlanFingerprint, PlanningRow};
pub use read::{
    BandLoad, BookingView, DoseView, InquiryView, PlanningResident, Reader, ResidentRow,
    SurveyState, TimeBandRow, VenueRow,
};
pub use replication::KEY_SCOPE;
pub use replication::{LogSummary, QuarantinedOp, Snapshot, SnapshotRefusal, MAX_SNAPSHOT_OPS};
pub use reports::{CoverageCell, CoverageGroup, DayVenueCount, DeviceHeard};
pub use rides::RideRow;
pub use stock::{BandAttendance, StandbyCallRow, StandbyResident, VenueStock, STOCK_RULES};
pub use supply::SupplyRow;
pub use transport::{
    FleetVehicle, LegDirection, LegRider, LegRow, NewLeg, PickupPoint, Ride, RiderNeeds,
};
/// What a void names: the kind of event it withdraws ([`WriteTx::void_event`]).
pub use vax_sync::EventKind;
pub use vrs::{
    VrsBatch, VrsBatchFile, VrsCorrection, VrsDoseRow, VrsDoseState, VrsExportTx, VrsReader,
    VrsRecord,
};
pub use write::{NewDose, NewInquiry, RegisterOutcome, WriteTx};

/// A local integer row id. It never leaves the device: other replicas identify residents by
/// (municipality code, voucher number) and events by their uid.
pub type RowId = i64;

/// An open ledger file.
pub struct Ledger {
    conn: Connection,
    replication: Option<replication::Replication>,
    /// Stamps the ops this ledger writes and receives ([`Ledger::set_clock`]).
    clock: Arc<dyn Clock>,
    /// The data key of an encrypted ledger, kept while it is open (SQLCipher holds it in this
    /// process's memory anyway) so that files the app keeps beside it can be keyed from it
    /// ([`Ledger::derived_key`]). Never printed.
    data_key: Option<at_rest::LedgerKey>,
}

impl Ledger {
    /// Opens the ledger at `path`, creating and migrating it as needed. An encrypted ledger
    /// is refused ([`LedgerError::Locked`]): open it with [`Ledger::open_encrypted`].
    pub fn open(path: &Path) -> Result<Self, LedgerError> {
        if at_rest::is_encrypted(path) {
            return Err(LedgerError::Locked {
                path: path.to_owned(),
            });
        }
        let conn = Connection::open(path).map_err(|source| LedgerError::Open {
            path: path.to_owned(),
            source,
        })?;
        Self::prepare(conn)
    }

    /// A fresh, migrated in-memory ledger (tests and benchmarks).
    pub fn open_in_memory() -> Result<Self, LedgerError> {
        Self::prepare(Connection::open_in_memory()?)
    }

    fn prepare(mut conn: Connection) -> Result<Self, LedgerError> {
        conn.pragma_update(None, "journal_mode", "WAL")?;
        conn.pragma_update(None, "synchronous", "FULL")?;
        conn.pragma_update(None, "foreign_keys", "ON")?;
        // 64 MiB of page cache: a whole-register import is one transaction, and with the
        // default 2 MiB its dirty pages spill to the WAL mid-transaction.
        conn.pragma_update(None, "cache_size", -65_536)?;
        // Checkpoint the WAL every 10,000 pages (40 MB) rather than SQLite's 1,000: a new
        // venue's first sync writes the city in dozens of transactions, and each default
        // checkpoint fsynced the database mid-way (docs/BENCHMARKS.md: 9.2 s -> 8.0 s).
        // Durability is the WAL's, synced at every commit either way.
        conn.pragma_update(None, "wal_autocheckpoint", 10_000)?;
        conn.busy_timeout(std::time::Duration::from_secs(5))?;
        schema::migrate(&mut conn)?;
        let clock: Arc<dyn Clock> = Arc::new(SystemClock);
        let replication = replication::Replication::load(&conn, &clock)?;
        Ok(Self {
            conn,
            replication,
            clock,
            data_key: None,
        })
    }

    /// The clock that stamps this ledger's ops from now on (the system clock until set): the
    /// program's one time source, so a pinned clock pins the ops too.
    pub fn set_clock(&mut self, clock: Arc<dyn Clock>) -> Result<(), LedgerError> {
        self.clock = clock;
        self.replication = replication::Replication::load(&self.conn, &self.clock)?;
        Ok(())
    }

    /// Reads outside a transaction.
    pub fn reader(&self) -> Reader<'_> {
        Reader::new(&self.conn)
    }

    /// Starts a write transaction.
    pub fn transaction(&mut self) -> Result<WriteTx<'_>, LedgerError> {
        Ok(WriteTx::new(
            begin_write(&mut self.conn)?,
            self.replication.as_mut(),
        ))
    }
}

/// The one way this ledger begins a write: `BEGIN IMMEDIATE`, taking the write lock before the
/// first read. Another program may write the same file (the app and `vaxhq` on one machine);
/// a deferred transaction that has read and then writes is refused at once ("database is
/// locked") if the other committed in between, without waiting. Taking the lock first waits
/// its turn under the busy timeout.
pub(crate) fn begin_write(conn: &mut Connection) -> rusqlite::Result<rusqlite::Transaction<'_>> {
    conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)
}
