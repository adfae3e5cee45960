#!/usr/bin/env bash
# Every test: set up, check formatting, lints and types, run all unit, integration, golden,
# property and front-end tests, the end-to-end tests of the real app under Xvfb, then doc tests.
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."
# Each step's start is stamped with the seconds since the start, so a slow CI run shows where.

bash scripts/setup.sh
export CARGO_TERM_COLOR=never
# Snapshot tests must fail on a difference, never write a new snapshot.
export INSTA_UPDATE=no

echo "== [${SECONDS}s] ui: install, type check, unit tests, build (src-tauri embeds ui/dist)"
(cd ui && npm ci --no-audit --no-fund && npm run check && npm test && npm run build)

echo "== [${SECONDS}s] cargo fmt --check"
cargo fmt --all -- --check
echo "== [${SECONDS}s] cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== [${SECONDS}s] cargo test"
cargo test --workspace --all-targets --locked
echo "== [${SECONDS}s] the sync server's suite again, on PostgreSQL (a throw-away cluster on a Unix socket)"
# The suite's binary as the step above built it: `cargo test --test server` would resolve
# features without the other packages' dev-dependencies and rebuild half the workspace
# (scripts/test-binary.sh). Run from its package folder, as cargo runs it.
server_suite="$(bash scripts/test-binary.sh server)"
(cd sync-server && bash ../scripts/with-postgres.sh "$server_suite")

echo "== [${SECONDS}s] end to end: the desktop app in a real window"
bash scripts/e2e.sh
# Last: doc tests build the libraries under another feature set (no `--all-targets` with
# `--doc`), which rebuilds vax-ledger, vax-app, vax-cli and the app and replaces vaxhq and
# vaxsync; before the steps above it cost a rebuild back and broke a crash campaign running
# beside it.
echo "== [${SECONDS}s] doc tests"
cargo test --workspace --doc --locked
echo "== [${SECONDS}s] every test passed"
