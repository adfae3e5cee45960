#!/usr/bin/env bash
# End-to-end tests of the real desktop app in a window under Xvfb, driven through
# tauri-driver and WebKitWebDriver. Screenshots of every screen land in artifacts/e2e/.
set -euo pipefail
cd "$(dirname "$0")/.."

command -v tauri-driver >/dev/null || cargo install tauri-driver --version 2.1.0 --locked
[ -f ui/dist/index.html ] || (cd ui && npm ci --no-audit --no-fund && npm run build)
# The binaries as `cargo test --workspace --all-targets` builds them (target/debug/vaxledger,
# vaxhq, vaxsync): after the test step this builds nothing. `cargo build` would resolve features
# without the dev-dependencies (tauri's `test`, qrcode's `image`, …) and rebuild the whole
# workspace and tauri a second time, minutes on a 2-core CI machine.
cargo test --locked --workspace --all-targets --no-run
(cd tests/e2e && npm ci --no-audit --no-fund)
rm -rf artifacts/e2e
xvfb-run -a -s "-screen 0 1280x800x24" npm --prefix tests/e2e test
echo "e2e screenshots: artifacts/e2e/"
