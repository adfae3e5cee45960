#!/usr/bin/env bash
# Every test: set up, check formatting, lints and types, run all unit, integration, golden,
# property, front-end and doc tests, then the end-to-end tests of the real app under Xvfb.
# .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export CARGO_TERM_COLOR=never
# Snapshot tests must fail on a difference, never write a new snapshot.
export INSTA_UPDATE=no

echo "== ui: install, type check, unit tests, build (src-tauri embeds ui/dist)"
(cd ui && npm ci --no-audit --no-fund && npm run check && npm test && npm run build)

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
echo "== the sync server's suite again, on PostgreSQL (a throw-away cluster on a Unix socket)"
bash scripts/with-postgres.sh cargo test -p vax-sync-server --locked --test server

echo "== end to end: the desktop app in a real window"
bash scripts/e2e.sh
