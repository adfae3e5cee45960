//! Tests of the sync server: the router in process (`api`), the real `vaxsync` binary on
//! loopback driven by the real client (`process`), TLS (`tls`), and the server's memory
//! against its store (`memory`), the limits a flooding or trickling client meets (`load`), the
//! ops budget tried by an attacker (`budget`), and two processes in front of one PostgreSQL
//! database (`shared_database`), partial replicas by municipality (`scope`). Under `scripts/with-postgres.sh` every test that opens a store
//! runs on PostgreSQL instead of SQLite; the store's encryption at rest (`at_rest`) is
//! SQLite's.

mod api;
mod at_rest;
mod budget;
mod load;
mod memory;
mod process;
mod scope;
mod shared_database;
mod snapshots;
mod stored_texts;
mod support;
mod tls;
