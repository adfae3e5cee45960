//! The integration tests of `vax-sync`, one module per part of `docs/sync-spec.md`.

mod audit;
mod back_entry;
mod convergence;
mod fuzz;
mod invariants;
mod merge_rules;
mod node;
mod protocol;
mod rides;
mod roles;
mod signing;
mod stock;
mod supply;
mod support;
mod verification;
