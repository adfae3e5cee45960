#!/usr/bin/env bash
# The full crash campaign (issue 15, docs/BENCHMARKS.md "Crash campaign"): `kill -9` at random
# instants of a register import, of dose recording and of a booth's first sync, 1,000 times,
# each ledger checked after every kill. The test command runs the same test with 30 kills;
# this runs it outside, with progress every 100 kills, and keeps the log.
#
#   scripts/crash-campaign.sh [KILLS] [SEED]     (defaults: 1000, a fresh seed)
#
# Uses $CARGO_TARGET_DIR like every cargo command; the log goes to artifacts/crash-campaign/.
set -euo pipefail
cd "$(dirname "$0")/.."
kills="${1:-1000}"
mkdir -p artifacts/crash-campaign
log="artifacts/crash-campaign/$(date -u +%Y%m%dT%H%M%SZ)-${kills}.log"
export VAXLEDGER_CRASH_KILLS="$kills"
if [[ -n "${2:-}" ]]; then export VAXLEDGER_CRASH_SEED="$2"; fi
echo "crash campaign: $kills kills, log $log"
# The binary the test command builds (scripts/test-binary.sh): `--test crash_campaign` alone
# would rebuild half the workspace under another feature set, and replace vaxhq under a
# running test.
campaign="$(bash scripts/test-binary.sh crash_campaign)"
(cd crates/vax-cli && "$campaign" --nocapture) 2>&1 | tee "$log"
