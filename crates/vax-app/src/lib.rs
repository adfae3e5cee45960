//! The use cases of vaxledger: the single API that the HQ command line, the desktop app and
//! the tests call. Adapters (clap, Tauri, HTTP) only translate arguments and errors.
//!
//! Nothing here reads the clock: every use case that stamps a record takes `now`.
//!
//! - [`config`]: the environment read once at start (`VAXLEDGER_*`), the clock it gives, and
//!   the folders beside the ledger where documents go.
//! - [`import`]: resident register and intention survey from CSV (UTF-8 or CP932),
//!   all-or-nothing with every bad line reported.
//! - [`callcentre`]: the call centre — a resident's whole history, calls logged and
//!   replicated, open follow-ups, and the actions taken on a call (rebook offers, transport,
//!   standby list, contact corrections).
//! - [`calendar`]: HQ's campaign calendar — venues and time bands from a calendar CSV
//!   (UTF-8 or CP932), all-or-nothing, each change a replicated op.
//! - [`supply`]: the vials HQ delivers to each venue day, which the planner and the
//!   reshuffle never book beyond.
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
//! - [`reports`]: the dashboards (HQ, venue manager) and the reports — doses by day and
//!   venue, coverage by age band and district, inquiries by topic — as CSV Excel opens.
//! - [`roster`]: a venue's day, band by band, with everyone booked.
//! - [`stock`]: dose stock at the venue — stock events, the manager's screen (stock by
//!   vial clock, progress, leftover forecast) and the day's close-out.
//! - [`staff`]: HQ registers staff; staff sign in at the kiosk with a PIN or their card.
//! - [`audit`]: the audit trail — who did what to whose record, where and when; the one
//!   call every audited action makes ([`audit::record`]) and HQ's search.
//! - [`transport`]: bus transport — fleet, pick-up points, riders' needs, a venue day's
//!   buses planned and re-planned with vax-routing, the day's view and manifests.
//! - [`sync`]: enroll this device with the sync server, sync, and the sync status.
#![deny(missing_docs)]

pub mod audit;
pub mod calendar;
pub mod callcentre;
pub mod config;
pub mod daily_report;
pub mod demo;
pub mod desk;
pub mod import;
pub mod lookup;
pub mod notices;
pub mod planning;
pub mod print;
pub mod progress;
pub mod relay;
pub mod relay_discovery;
pub mod relay_host;
pub mod reports;
pub mod rides;
pub mod roster;
pub mod schedule;
pub mod staff;
pub mod stock;
pub mod supply;
pub mod sync;
pub mod transport;
pub mod transport_move;
pub mod unlock;
pub mod vrs;

pub use progress::{Progress, Stage};
