#!/usr/bin/env bash
# Installs what building and testing vaxledger needs on a fresh Debian 12 machine.
# Idempotent: packages already present are not reinstalled. Needs root (or sudo) for apt.
set -euo pipefail

# Debian packages: a C toolchain for the bundled SQLite, pkg-config, and the tools the
# tests and benchmarks use (poppler-utils renders PDFs, libzbar0 is the zbar peer decoder).
APT_PACKAGES=(build-essential pkg-config ca-certificates python3-venv libzbar0 poppler-utils)

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
  echo "setup: cargo is not installed; install Rust 1.95 or newer (https://rustup.rs)" >&2
  exit 1
fi
