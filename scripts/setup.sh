#!/usr/bin/env bash
# Installs what building, running and testing vaxledger needs on a fresh Debian 12 machine.
# Idempotent: packages already present are not reinstalled. Needs root (or sudo) for apt.
set -euo pipefail

APT_PACKAGES=(
  # Rust crates that build C (bundled SQLite) and find system libraries
  build-essential pkg-config libssl-dev file ca-certificates
  # Tauri 2 on Linux: WebKitGTK 4.1 and GTK 3
  libwebkit2gtk-4.1-dev libgtk-3-dev librsvg2-dev libayatana-appindicator3-dev libxdo-dev
  # a real window without a screen, the WebDriver for the end-to-end tests, screenshots
  xvfb xauth webkit2gtk-driver imagemagick x11-utils
  # the webcam at the desk: nokhwa's V4L2 bindings are generated with bindgen at build time
  libclang-dev
  # Japanese fonts for the app and PDFs; PDF rendering for tests
  fonts-noto-cjk fonts-ipaexfont poppler-utils
  # the peers' benchmarks run in Python virtual environments: QR (zbar), bus routing (PyVRP)
  python3-venv libzbar0
  # the central ledger's second store: the server tests run against a throw-away cluster
  postgresql
)

missing=()
for p in "${APT_PACKAGES[@]}"; do
  dpkg -s "$p" >/dev/null 2>&1 || missing+=("$p")
done
if [ "${#missing[@]}" -gt 0 ]; then
  SUDO=""
  [ "$(id -u)" -eq 0 ] || SUDO="sudo"
  echo "setup: installing ${missing[*]}"
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get update -qq
  $SUDO env DEBIAN_FRONTEND=noninteractive apt-get install -y -qq --no-install-recommends "${missing[@]}"
fi

if ! command -v cargo >/dev/null 2>&1; then
  echo "setup: cargo is missing; install Rust 1.95 or newer (https://rustup.rs)" >&2
  exit 1
fi
# Vite 8 needs Node.js 20.19 or newer (Debian 12's own nodejs is 18).
if ! node -e 'const [a,b]=process.versions.node.split(".").map(Number); process.exit(a>20||(a===20&&b>=19)?0:1)' 2>/dev/null; then
  echo "setup: Node.js 20.19 or newer is needed for the UI build (found: $(node --version 2>/dev/null || echo none))" >&2
  exit 1
fi
