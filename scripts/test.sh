#!/usr/bin/env bash
# Every test: set up, check formatting, lints and types, run all unit, integration, golden,
# property, front-end and doc tests, then the end-to-end tests of the real app under Xvfb.
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
cargo test --workspace --doc --locked
echo "== [${SECONDS}s] the sync server's suite again, on PostgreSQL (a throw-away cluster on a Unix socket)"
# `--workspace` keeps the feature set of the step above, so the suite's binary is reused: with
# `-p vax-sync-server` cargo resolved features for that package alone and rebuilt 87 crates.
bash scripts/with-postgres.sh cargo test --workspace --locked --test server

echo "== [${SECONDS}s] end to end: the desktop app in a real window"
bash scripts/e2e.sh
echo "== [${SECONDS}s] every test passed"
