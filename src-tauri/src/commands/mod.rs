//! The commands, grouped by screen. Each is named `<screen>_<verb>` and is an adapter of ten
//! lines or fewer over one use case of vax-app (`scripts/check-adapters.sh` counts them).

pub mod booth;
pub mod callcentre;
pub mod camera;
pub mod dashboard;
pub mod hq;
pub mod manager;
pub mod notices;
pub mod paper;
pub mod planning;
pub mod reception;
pub mod relay_host;
pub mod setup;
pub mod staff;
pub mod sync;
pub mod transport;
pub mod unlock;
