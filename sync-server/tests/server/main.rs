//! Tests of the sync server: the router in process (`api`), the real `vaxsync` binary on
//! loopback driven by the real client (`process`), and TLS (`tls`).

mod api;
mod process;
mod support;
mod tls;
