//! The vaxledger sync server: enrolls devices with one-time codes, authenticates them with
//! bearer tokens, checks every op against its author's role and venue, and relays ops
//! between replicas with the sans-IO protocol of `vax-sync`. The HTTP contract is in
//! `sync-server/README.md`; the replication rules in `docs/sync-spec.md`.
//!
//! - [`store::ServerStore`]: storage behind a trait; [`sqlite::SqliteStore`] is the default,
//!   [`postgres::PgStore`] a PostgreSQL database shared by several server processes.
//! - [`core::Core`]: the server's state and the work behind each endpoint, without HTTP.
//! - [`api::router`]: the axum router; [`serve::serve`] runs it, over TLS when configured.
#![deny(missing_docs)]

pub mod api;
pub mod at_rest;
pub mod codes;
pub mod core;
pub mod error;
mod intake;
pub mod limits;
mod lookup;
pub mod loopback;
pub mod postgres;
pub mod relay;
pub mod scope;
pub mod serve;
mod snapshots;
pub mod sqlite;
pub mod store;

pub use api::{router, AppState};
pub use at_rest::{KeyError, StoreKey};
pub use core::Core;
pub use error::ApiError;
pub use limits::Limits;
pub use postgres::PgStore;
pub use sqlite::SqliteStore;
pub use store::{Device, ServerStore, StoreError};
pub use vax_sync::http::{Enrolled, ErrorBody, Status};
pub use vax_sync::SystemClock;

/// Opens the store `location` names: a `postgres://` (or `postgresql://`) URL selects
/// PostgreSQL, anything else is the path of a SQLite file.
pub fn open_store(location: &std::path::Path) -> Result<Box<dyn ServerStore>, StoreError> {
    open_store_keyed(location, None)
}

/// [`open_store`] with the SQLite store's key when it is encrypted at rest
/// ([`SqliteStore::open_keyed`]). A key for a PostgreSQL store is refused: its encryption at
/// rest is the cluster's.
pub fn open_store_keyed(
    location: &std::path::Path,
    key: Option<&StoreKey>,
) -> Result<Box<dyn ServerStore>, StoreError> {
    match location.to_str().filter(|l| postgres::is_postgres_url(l)) {
        Some(_) if key.is_some() => Err(KeyError::Postgres.into()),
        Some(url) => Ok(Box::new(PgStore::open(url)?)),
        None => Ok(Box::new(SqliteStore::open_keyed(location, key)?)),
    }
}

/// Opens the store `location` names ([`open_store`]) and builds the server state from it,
/// with the default request limits.
pub fn open_state(location: &std::path::Path) -> Result<AppState, StoreError> {
    open_state_with_limits(location, Limits::default())
}

/// [`open_state`] with the given request limits.
pub fn open_state_with_limits(
    location: &std::path::Path,
    limits: Limits,
) -> Result<AppState, StoreError> {
    open_state_keyed(location, None, limits)
}

/// [`open_state_with_limits`] for a store encrypted at rest under `key`.
pub fn open_state_keyed(
    location: &std::path::Path,
    key: Option<&StoreKey>,
    limits: Limits,
) -> Result<AppState, StoreError> {
    Ok(AppState::with_limits(
        Core::open(open_store_keyed(location, key)?)?,
        limits,
    ))
}

/// `location` fit for a log line: a URL's password is never written out.
pub fn redacted_location(location: &std::path::Path) -> String {
    let text = location.to_string_lossy();
    match (text.find("://"), text.rfind('@')) {
        (Some(scheme), Some(at)) if postgres::is_postgres_url(&text) && at > scheme => {
            let user_info = &text[scheme + 3..at];
            let user = user_info.split(':').next().unwrap_or_default();
            format!("{}{user}:***{}", &text[..scheme + 3], &text[at..])
        }
        _ => text.into_owned(),
    }
}

#[cfg(test)]
mod tests {
    use super::redacted_location;
    use std::path::Path;

    #[test]
    fn a_database_password_never_reaches_a_log_line() {
        let shown = redacted_location(Path::new(
            "postgres://vaxsync:s3cret@db.city.lg.jp:5432/vax",
        ));
        assert_eq!(shown, "postgres://vaxsync:***@db.city.lg.jp:5432/vax");
        assert!(!shown.contains("s3cret"));
        assert_eq!(
            redacted_location(Path::new("/var/lib/vaxsync/sync.db")),
            "/var/lib/vaxsync/sync.db"
        );
    }
}
