//! Integration tests of the use cases, through the same API the CLI and the app call.

mod calendar;
mod callcentre;
mod camera;
mod cold_chain;
mod demo;
mod desk;
mod fuzz;
mod import;
mod lookup;
mod notice_rides;
mod notices;
mod paper;
mod paper_sheet;
mod planning;
mod print;
mod relay;
mod relay_discovery;
mod relay_host;
mod reports;
mod staff;
mod stock;
mod supply;
mod sync;
mod transport;
mod transport_move;
mod transport_no_vehicle;
mod transport_runs;
mod transport_sharing;
mod trust_audit;
mod unlock;

use chrono::{DateTime, FixedOffset};

pub fn at(s: &str) -> DateTime<FixedOffset> {
    DateTime::parse_from_rfc3339(s).unwrap()
}

pub fn now() -> DateTime<FixedOffset> {
    at("2021-05-01T09:00:00+09:00")
}

/// The sample files shipped in docs/samples.
pub fn sample(name: &str) -> std::path::PathBuf {
    std::path::Path::new(env!("CARGO_MANIFEST_DIR"))
        .join("../../docs/samples")
        .join(name)
}
