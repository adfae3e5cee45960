#!/usr/bin/env bash
# The main job: set up, build, and open the vaxledger desktop app on an embedded SQLite
# ledger holding the demo city (65,000 residents, 6 venues, both doses booked from today),
# enrolled as the manager of venue V01 with a demo lot open.
#
#   scripts/run-demo.sh              # opens the window (ledger: demo/vaxledger.sqlite3)
#   scripts/run-demo.sh --headless   # no screen: runs under Xvfb, saves artifacts/demo.png
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --locked -p vaxledger-desktop -p vax-cli

export VAXLEDGER_DB="${VAXLEDGER_DB:-$PWD/demo/vaxledger.sqlite3}"
mkdir -p "$(dirname "$VAXLEDGER_DB")"
if ! target/debug/vaxhq lookup --voucher 0000100001 >/dev/null 2>&1; then
  echo "== loading the demo city into $VAXLEDGER_DB"
  target/debug/vaxhq demo --kiosk V01
fi

if [ "${1:-}" = "--headless" ] || [ -z "${DISPLAY:-}" ]; then
  mkdir -p artifacts
  echo "== no display: running the app under Xvfb for a screenshot"
  xvfb-run -a -s "-screen 0 1280x800x24" sh -c '
    target/debug/vaxledger & app=$!
    sleep 8
    import -window root artifacts/demo.png
    kill $app'
  echo "screenshot: artifacts/demo.png (ledger: $VAXLEDGER_DB)"
else
  echo "== opening vaxledger (ledger: $VAXLEDGER_DB)"
  exec target/debug/vaxledger
fi
