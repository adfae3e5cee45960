#!/usr/bin/env bash
# Every test: set up, check formatting and lints, run all unit, integration, golden,
# property and doc tests, and compile the benchmarks. .ci/run calls exactly this.
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
export CARGO_TERM_COLOR=never
# Snapshot tests must fail on a difference, never write a new snapshot in CI.
export INSTA_UPDATE=no

echo "== cargo fmt --check"
cargo fmt --all -- --check
echo "== cargo clippy"
cargo clippy --workspace --all-targets --locked -- -D warnings
echo "== cargo test"
cargo test --workspace --all-targets --locked
cargo test --workspace --doc --locked
