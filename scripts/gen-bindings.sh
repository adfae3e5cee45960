#!/usr/bin/env bash
# Regenerates ui/src/lib/ipc/generated/types.ts from the Rust types (ts-rs). The test
# `generated_typescript_is_current` fails until this has been run after such a change.
set -euo pipefail
cd "$(dirname "$0")/.."
[ -f ui/dist/index.html ] || (cd ui && npm ci --no-audit --no-fund && npm run build)
UPDATE_BINDINGS=1 cargo test -p vaxledger-desktop --lib bindings
