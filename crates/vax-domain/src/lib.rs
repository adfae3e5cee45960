//! The vaxledger domain core: the types and rules of a municipal vaccination campaign.
//!
//! Nothing here does I/O or reads the clock (except [`clock::SystemClock`], the one place a
//! program does) or knows about SQLite, Tauri or HTTP; every
//! "today" or "now" is a parameter. The crates above (ledger, planner, app) build on it.
//!
//! - [`voucher`]: the 接種券 payload — the 18-digit OCR/QR line or the bare 10-digit number —
//!   and the 全国地方公共団体コード check digit.
//! - [`product`]: vaccine products and their dated dosing rules, loaded from versioned data.
//! - [`preference`]: what a resident asked for (venue, district, weekdays and times to avoid).
//! - [`resident`]: a resident as the register knows them, with validated fields.
//! - [`kana`]: the search key that lets hiragana, katakana and half-width katakana match.
//! - [`eligibility`]: which dose a resident is due and from which day.
//! - [`role`]: what an installation is enrolled for.
//! - [`notice`]: booking notices — mobile or landline, SMS templates and their length.
//! - [`stock`]: dose stock at a venue — stock events, vial clocks from the product data, the
//!   state of each lot at an instant, and the leftover forecast.
//! - [`report`]: report definitions (the coverage report's age bands).
//! - [`inquiry`]: how a call-centre inquiry came in and what it was about.
//! - [`clock`]: the one time source (Japan time) that every "now" comes from.
//! - [`error`]: the one vocabulary of error codes, and the [`error::UserFacing`] trait.
//! - [`wareki`]: the Japanese era calendar (和暦), read and written: the one era table.
//!
//! ```
//! use vax_domain::voucher::VoucherPayload;
//! let scanned = VoucherPayload::parse("112620210000123456").unwrap();
//! assert_eq!(scanned.number().as_str(), "0000123456");
//! assert_eq!(scanned.municipality().unwrap().as_str(), "262021");
//! ```
#![deny(missing_docs)]

pub mod clock;
pub mod eligibility;
pub mod error;
pub mod inquiry;
pub mod kana;
pub mod notice;
pub mod preference;
pub mod product;
pub mod report;
pub mod resident;
pub mod ride_notice;
pub mod role;
pub mod stock;
pub mod venue;
pub mod voucher;
pub mod wareki;
