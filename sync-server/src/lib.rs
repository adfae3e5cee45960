//! The vaxledger sync server: enrolls devices with one-time codes, authenticates them with
//! bearer tokens, checks every op against its author's role and venue, and relays ops
//! between replicas with the sans-IO protocol of `vax-sync`. The HTTP contract is in
//! `sync-server/README.md`; the replication rules in `docs/sync-spec.md`.
//!
//! - [`store::ServerStore`]: storage behind a trait; [`sqlite::SqliteStore`] is the default.
//! - [`core::Core`]: the server's state and the work behind each endpoint, without HTTP.
//! - [`api::router`]: the axum router; [`serve::serve`] runs it, over TLS when configured.
#![deny(missing_docs)]

pub mod api;
pub mod codes;
pub mod core;
pub mod error;
pub mod loopback;
pub mod relay;
pub mod serve;
pub mod sqlite;
pub mod store;

pub use api::{router, AppState};
pub use core::Core;
pub use error::ApiError;
pub use sqlite::SqliteStore;
pub use store::{Device, ServerStore, StoreError};
pub use vax_sync::http::{Enrolled, ErrorBody, Status};
pub use vax_sync::SystemClock;

/// Opens the SQLite store at `path` and builds the server state from it.
pub fn open_sqlite(path: &std::path::Path) -> Result<AppState, StoreError> {
    let store = SqliteStore::open(path)?;
    Ok(AppState::new(Core::open(Box::new(store))?))
}
