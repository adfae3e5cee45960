//! Replication for vaxledger: every venue keeps working offline, and when replicas meet they
//! exchange ops until they hold the same data. Nothing is lost, doubled or silently
//! overwritten. The rules are written down in `docs/sync-spec.md`; this crate implements them.
//!
//! No I/O happens here: no network, no SQLite, no clock reads. The app and the sync server run
//! the same code and move the bytes themselves (the sans-IO shape of Automerge's sync).
//!
//! # Key concepts
//!
//! - A **replica** ([`ReplicaId`]) is one installed app, or the server, enrolled with a
//!   [`Role`]. [`may_emit`] says which op kinds a role may write.
//! - An **op** ([`Op`]) is one immutable change: author, per-author counter, [`Hlc`] timestamp,
//!   an [`OpKind`] and the author's ed25519 signature ([`signing`]). Ops are applied
//!   idempotently and in any order; a received op is stored only if its signature verifies.
//! - The **hybrid logical clock** ([`HlcClock`]) takes physical time from a [`Clock`] the
//!   caller passes in ([`ManualClock`] in tests).
//! - The **merged state** ([`Replica`]) is a pure function of the set of ops applied: resident
//!   fields are last-writer-wins registers, bookings multi-value registers, events grow-only
//!   sets voided by other events (all from the `crdts` crate where one fits).
//! - **Invariants** ([`Replica::invariants`]) are checked after every merge and reported as
//!   [`Alert`]s with the records side by side; HQ resolves them with ordinary ops.
//! - The **op log** ([`OpLog`]) stores every op once; the ledger implements it over SQLite,
//!   [`MemoryOpLog`] is the in-memory one.
//! - The **protocol**: a [`SyncNode`] keeps a [`SyncState`] per peer and calls
//!   [`SyncNode::generate_message`] / [`SyncNode::receive_message`]. Each [`Message`] carries
//!   what the sender has seen (a version vector, which also acknowledges) and a bounded batch
//!   of ops the peer lacks.
//!
//! # Two replicas
//!
//! ```
//! use chrono::NaiveDate;
//! use vax_domain::voucher::VoucherNumber;
//! use vax_sync::*;
//!
//! # fn main() -> Result<(), Box<dyn std::error::Error>> {
//! let time = ManualClock::new(1_718_000_000_000);
//! // Enrollment gives the booth a key pair (32 random bytes in real life); the server
//! // registers its public key.
//! let booth_key = DeviceKey::from_bytes(&[7; 32]);
//! let booth_id = ReplicaId::from_u128(1);
//! let mut booth = SyncNode::new(booth_id, Role::Booth).with_signing_key(booth_key.clone())?;
//! let mut server = SyncNode::new(ReplicaId::from_u128(9), Role::Server);
//! server.add_key(booth_id, booth_key.public())?;
//! let (mut booth_log, mut server_log) = (MemoryOpLog::new(), MemoryOpLog::new());
//!
//! // The booth records a dose while offline.
//! let resident = VoucherNumber::parse("0000123456")?;
//! booth.write(&mut booth_log, OpKind::RecordDose(Dose {
//!     resident: resident.clone(),
//!     dose_number: 1,
//!     venue: VenueCode::new("V01"),
//!     product: "comirnaty".into(),
//!     lot: "FF1234".into(),
//!     vaccinator: "山田".into(),
//!     administered_at: NaiveDate::from_ymd_opt(2021, 6, 1).unwrap().and_hms_opt(9, 30, 0).unwrap(),
//!     vial: None,
//!     overridden: None,
//!     injection_site: None,
//!     back_entered: false,
//! }), &time)?;
//!
//! // Back online: each side keeps a SyncState for the other and the caller moves the bytes.
//! let (mut to_server, mut to_booth) = (SyncState::for_peer(server.id()), SyncState::for_peer(booth.id()));
//! loop {
//!     let a = booth.generate_message(&booth_log, &mut to_server)?;
//!     if let Some(m) = &a {
//!         server.receive_message(&mut server_log, &mut to_booth, Message::decode(&m.encode())?, &time)?;
//!     }
//!     let b = server.generate_message(&server_log, &mut to_booth)?;
//!     if let Some(m) = &b {
//!         booth.receive_message(&mut booth_log, &mut to_server, Message::decode(&m.encode())?, &time)?;
//!     }
//!     if a.is_none() && b.is_none() {
//!         break;
//!     }
//! }
//! assert_eq!(server.replica(), booth.replica());
//! assert_eq!(server.replica().valid_doses(&resident, 1).len(), 1);
//! assert!(server.replica().invariants().is_empty());
//! # Ok(())
//! # }
//! ```
#![deny(missing_docs)]

pub mod hlc;
pub mod http;
pub mod ids;
pub mod invariants;
pub mod log;
pub mod node;
pub mod op;
pub mod protocol;
pub mod replica;
pub mod rides;
pub mod roles;
pub mod signing;
pub mod snapshot;
pub mod verification;

pub use hlc::{Clock, Hlc, HlcClock, ManualClock, SystemClock};
pub use ids::{NotAnOpId, OpId, ReplicaId, TimeBandId, VenueCode};
pub use invariants::{Alert, AlertKey, LotLimit};
pub use log::{EncodedOp, MemoryOpLog, OpLog};
pub use node::{SyncNode, WriteError};
pub use op::{
    AuditAction, AuditEntry, Booking, BookingCause, CallOutcome, CheckIn, DoctorOverride, Dose,
    EventKind, FieldName, Inquiry, InvalidOp, Op, OpKind, ResidentField, StaffDef, Stamp,
    StandbyCall, StockChange, StockEvent, SupplyDef, TimeBandDef, VenueDef, Void,
};
pub use op::{MAX_LONG_TEXT, MAX_SHORT_TEXT, MAX_VIALS_PER_DAY};
pub use protocol::{
    Applied, EncodedMessage, Message, SyncError, SyncState, DEFAULT_BATCH_SIZE, MAX_COUNTER_JUMP,
    MAX_MESSAGE_BYTES, MAX_OPS_PER_MESSAGE, PROTOCOL_VERSION,
};
pub use replica::{BookingKey, BookingValue, LotKey, Recorded, Replica};
pub use rides::{RideDirection, RideMark, RideMarkKey, RideMarkKind, RidePlan, Trip, TripRider};
pub use roles::{check_roles, may_emit, Role, RoleError};
pub use signing::{DeviceKey, KeyError, KeyRing, OpSignature, PublicKey};
pub use snapshot::{SnapshotError, SnapshotHeader, SnapshotSeal};
pub use vax_domain::inquiry::{InquiryChannel, InquiryTopic};
pub use verification::VerifiedMessage;
