#!/usr/bin/env bash
# The main job: set up, build, and run vaxledger on an embedded SQLite ledger holding the
# demo city (65,000 residents, 6 venues, both doses booked from today). Until the desktop
# app lands, this is the HQ command line's demo.
#
#   scripts/run-demo.sh            # ledger in ./demo/vaxledger.sqlite3 (kept between runs)
#   VAXLEDGER_DB=/tmp/x.sqlite3 scripts/run-demo.sh
set -euo pipefail
cd "$(dirname "$0")/.."

bash scripts/setup.sh
cargo build --release --locked -p vax-cli
vaxhq=target/release/vaxhq
export VAXLEDGER_DB="${VAXLEDGER_DB:-demo/vaxledger.sqlite3}"
mkdir -p "$(dirname "$VAXLEDGER_DB")"

if [ "$("$vaxhq" --json lookup --voucher 0000100001 >/dev/null 2>&1; echo $?)" = 0 ]; then
  echo "== demo city already in $VAXLEDGER_DB"
else
  echo "== loading the demo city into $VAXLEDGER_DB"
  "$vaxhq" demo
fi
today=$(TZ=Asia/Tokyo date +%F)

echo; echo "== venues"
"$vaxhq" venues
echo; echo "== today's day at venue V01 ($today)"
"$vaxhq" venue-day V01 --date "$today"
echo; echo "== a reception scan: the QR line 112620210000100001"
"$vaxhq" lookup --voucher 112620210000100001
echo "== search by kana (hiragana works too): やまだ はな"
"$vaxhq" lookup --kana "やまだ はな" | head -20
echo
echo "Try: $vaxhq --help   (ledger: $VAXLEDGER_DB)"
