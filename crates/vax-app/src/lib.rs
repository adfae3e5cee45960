//! The use cases of vaxledger: the single API that the HQ command line, the desktop app and
//! the tests call. Adapters (clap, Tauri, HTTP) only translate arguments and errors.
//!
//! Nothing here reads the clock: every use case that stamps a record takes `now`.
//!
//! - [`config`]: the environment read once at start (`VAXLEDGER_*`), the clock it gives, and
//!   the folders beside the ledger where documents go.
//! - [`import`]: resident register and intention survey from CSV (UTF-8 or CP932),
//!   all-or-nothing with every bad line reported.
//! - [`calendar`]: HQ's campaign calendar — venues and time bands from a calendar CSV
//!   (UTF-8 or CP932), all-or-nothing, each change a replicated op.
//! - [`desk`]: the venue kiosk — enrollment, reception warnings and check-in, the booth
//!   (duplicate doses refused, doctor overrides logged, observation), the venue's day, and
//!   the reception's camera ([`desk::camera`]: decoded off the UI thread, each read looked up
//!   like a scanned line).
//! - [`print`]: the 予診票 reissue and the city-wide voucher sheets as PDFs, the latter also
//!   as a cancellable background job for HQ ([`print::VoucherJob`]).
//! - [`notices`]: the notices of new and changed bookings — letters, SMS list, call list —
//!   and the record of what was sent.
//! - [`vrs`]: the nightly VRS export, and the form a person fills to ask for it.
//! - [`demo`]: load the demo city and book both doses of everyone who wants them.
//! - [`lookup`]: find residents by voucher payload, kana, birth date or phone, and build the
//!   resident card.
//! - [`schedule`]: book both doses of willing residents (first-fit; the demo's).
//! - [`planning`]: HQ's planner on the ledger — plan both doses, and preview and apply a
//!   reshuffle after a venue day is cut, a band closed, a capacity lowered, a lot
//!   quarantined or a resident asks to move.
//! - [`roster`]: a venue's day, band by band, with everyone booked.
//! - [`stock`]: dose stock at the venue — stock events, the manager's screen (stock by
//!   vial clock, progress, leftover forecast) and the day's close-out.
//! - [`sync`]: enroll this device with the sync server, sync, and the sync status.
#![deny(missing_docs)]

pub mod calendar;
pub mod config;
pub mod demo;
pub mod desk;
pub mod import;
pub mod lookup;
pub mod notices;
pub mod planning;
pub mod print;
pub mod progress;
pub mod relay;
pub mod roster;
pub mod schedule;
pub mod stock;
pub mod sync;
pub mod vrs;

pub use progress::{Progress, Stage};
