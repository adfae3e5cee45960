#!/usr/bin/env bash
# Prints the path of the integration-test binary NAME (e.g. `server`, `crash_campaign`) as the
# test command builds it: `cargo test --workspace --all-targets`, the one feature set every
# step uses. Building one binary with `--test NAME` alone would resolve features without the
# other packages' dev-dependencies, rebuild vax-ledger, vax-app, vax-cli and the app (about a
# minute here), and replace target/debug/vaxhq and vaxsync under any test still running them.
#
#   scripts/test-binary.sh NAME      (builds what is missing, prints nothing else on stdout)
set -euo pipefail
cd "$(dirname "$0")/.."
name="${1:?usage: scripts/test-binary.sh NAME}"
cargo test --workspace --all-targets --locked --no-run --message-format=json-render-diagnostics |
  node -e '
    const name = process.argv[1];
    let text = "";
    process.stdin.on("data", (d) => (text += d)).on("end", () => {
      const found = text.split("\n").filter(Boolean).map((l) => JSON.parse(l)).filter(
        (m) => m.reason === "compiler-artifact" && m.target.name === name && m.target.kind.includes("test") && m.executable,
      );
      if (found.length !== 1) {
        console.error(`test-binary: ${found.length} test binaries named ${name}`);
        process.exit(1);
      }
      console.log(found[0].executable);
    });
  ' "$name"
