#!/usr/bin/env bash
# The main job: set up, build, and open the vaxledger desktop app on an embedded SQLite
# ledger holding the demo city (65,000 residents, 6 venues, both doses booked from today),
# enrolled as the manager of venue V01 with a demo lot open.
#
#   scripts/run-demo.sh              # opens the window (ledger: demo/vaxledger.sqlite3)
#   scripts/run-demo.sh --hq         # the same city seen from headquarters (demo/hq.sqlite3)
#   scripts/run-demo.sh --headless   # no screen: runs under Xvfb, saves artifacts/demo.png
set -euo pipefail
cd "$(dirname "$0")/.."

side=venue
headless=""
for arg in "$@"; do
  case "$arg" in
    --hq) side=hq ;;
    --headless) headless=1 ;;
    *) echo "usage: scripts/run-demo.sh [--hq] [--headless]" >&2; exit 2 ;;
  esac
done

bash scripts/setup.sh
(cd ui && npm ci --no-audit --no-fund && npm run build)
cargo build --locked -p vaxledger-desktop -p vax-cli

if [ "$side" = hq ]; then
  export VAXLEDGER_DB="${VAXLEDGER_DB:-$PWD/demo/hq.sqlite3}"
else
  export VAXLEDGER_DB="${VAXLEDGER_DB:-$PWD/demo/vaxledger.sqlite3}"
fi
mkdir -p "$(dirname "$VAXLEDGER_DB")"
if ! target/debug/vaxhq lookup --voucher 0000100001 >/dev/null 2>&1; then
  echo "== loading the demo city into $VAXLEDGER_DB"
  if [ "$side" = hq ]; then
    target/debug/vaxhq demo
    target/debug/vaxhq enroll --venue V01 --role headquarters
  else
    target/debug/vaxhq demo --kiosk V01
  fi
fi

if [ -n "$headless" ] || [ -z "${DISPLAY:-}" ]; then
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
