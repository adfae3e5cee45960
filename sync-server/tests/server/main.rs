//! Tests of the sync server: the router in process (`api`), the real `vaxsync` binary on
//! loopback driven by the real client (`process`), TLS (`tls`), and the server's memory
//! against its store (`memory`), and the limits a flooding or trickling client meets (`load`).

mod api;
mod load;
mod memory;
mod process;
mod support;
mod tls;
