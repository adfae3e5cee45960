#!/usr/bin/env bash
# Scores zxing-cpp and zbar (pyzbar) on shared/data/qr-blackbox exactly as
# crates/vax-scan/benches/blackbox.rs scores our pipeline (shared/docs/PERF-ANCHORS.md §2),
# then runs that benchmark too and prints one comparable table.
#
#   scripts/bench-qr-peers.sh [DATA_DIR]
#
# Environment: VAX_SCAN_BLACKBOX (data dir, default <repo>/../shared/data/qr-blackbox),
# QR_PEERS_VENV (virtual environment, default /tmp/vaxledger-qr-peers-venv),
# SKIP_RUST=1 (peers only), CARGO_TARGET_DIR (default <repo>/target-scan),
# VAX_SCAN_CONFIGS / VAX_SCAN_BUDGET_MS / VAX_SCAN_REPEATS (passed to the Rust benchmark).
# Needs: python3 with venv, network access to PyPI, Debian package libzbar0 (installed here
# with apt-get when missing and running as root).
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
DATA="${1:-${VAX_SCAN_BLACKBOX:-$ROOT/../shared/data/qr-blackbox}}"
DATA="$(cd "$DATA" && pwd)"
VENV="${QR_PEERS_VENV:-/tmp/vaxledger-qr-peers-venv}"
SUMMARY="$(mktemp)"
RUST_OUT="$(mktemp)"
trap 'rm -f "$SUMMARY" "$RUST_OUT"' EXIT

if ! ldconfig -p | grep -q 'libzbar\.so'; then
    if [ "$(id -u)" = 0 ]; then
        apt-get update -qq && apt-get install -y -qq libzbar0 >/dev/null
    else
        echo "libzbar0 is missing: sudo apt-get install libzbar0" >&2
        exit 1
    fi
fi

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check zxing-cpp pyzbar pillow numpy

"$VENV/bin/python" - "$DATA" "$SUMMARY" <<'PY'
import csv, statistics, sys, time
from pathlib import Path

import numpy as np
import zxingcpp
from PIL import Image
from pyzbar import pyzbar
from pyzbar.pyzbar import ZBarSymbol

data, summary = Path(sys.argv[1]), sys.argv[2]
MAX_SIDE = 1280
REPEATS = 3

def norm(t):
    return t.replace("\r\n", "\n")

entries = []
with open(data / "manifest.csv", newline="") as f:
    for row in csv.DictReader(f):
        img = Image.open(data / row["image"]).convert("L")
        w, h = img.size
        if max(w, h) > MAX_SIDE:
            s = MAX_SIDE / max(w, h)
            img = img.resize((max(1, round(w * s)), max(1, round(h * s))), Image.LANCZOS)
        exp = row["expected_text_file"]
        expected = norm((data / exp).read_text(encoding="utf-8")) if exp else None
        entries.append((row["image"], int(row["n_codes"]), expected, np.asarray(img)))

def zxing(gray):
    return [r.text for r in zxingcpp.read_barcodes(gray, formats=zxingcpp.BarcodeFormat.QRCode)]

def zbar(gray):
    return [s.data.decode("utf-8", errors="replace") for s in pyzbar.decode(gray, symbols=[ZBarSymbol.QRCODE])]

def version(mod):
    try:
        from importlib.metadata import version as v
        return v(mod)
    except Exception:
        return "?"

rows = []
for name, fn, label in [("zxing-cpp", zxing, f"zxing-cpp {version('zxing-cpp')}"),
                        ("zbar", zbar, f"pyzbar {version('pyzbar')} + libzbar0")]:
    zx_pass = zx_total = boof = boof_total = boof_full = 0
    times = []
    for image, n_codes, expected, gray in entries:
        fn(gray)  # warm-up
        ts, texts = [], []
        for _ in range(REPEATS):
            t0 = time.perf_counter()
            texts = fn(gray)
            ts.append((time.perf_counter() - t0) * 1000)
        times.append(statistics.median(ts))
        distinct = {norm(t) for t in texts}
        if expected is not None:
            zx_total += 1
            zx_pass += expected in distinct
        else:
            boof_total += n_codes
            got = min(len(distinct), n_codes)
            boof += got
            boof_full += got == n_codes
    times.sort()
    p95 = times[min(len(times), max(1, -(-95 * len(times) // 100))) - 1]
    rows.append(f"{label}\t{zx_pass}\t{zx_total}\t{boof}\t{boof_total}\t{boof_full}\t"
                f"{statistics.mean(times):.2f}\t{times[len(times)//2]:.2f}\t{p95:.1f}\t{times[-1]:.0f}\t0")
with open(summary, "a") as f:
    f.write("\n".join(rows) + "\n")
PY

if [ "${SKIP_RUST:-0}" != 1 ]; then
    (cd "$ROOT" && CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target-scan}" \
        VAX_SCAN_BLACKBOX="$DATA" VAX_SCAN_SUMMARY="$SUMMARY" \
        cargo bench -q -p vax-scan --bench blackbox >"$RUST_OUT")
fi

echo "QR decoding on $DATA (frames <= 1280 px, grayscale; median of 3 timed calls per image; $(nproc) cores, load $(cut -d' ' -f1-3 /proc/loadavg))"
echo
echo "| decoder | zxing set: exact text | BoofCV: codes read | BoofCV images fully read | mean ms | median ms | p95 ms | max ms | panics |"
echo "| --- | --- | --- | --- | --- | --- | --- | --- | --- |"
awk -F'\t' '{ printf "| %s | %d/%d (%.1f %%) | %d/%d (%.1f %%) | %d | %s | %s | %s | %s | %s |\n",
    $1, $2, $3, 100*$2/$3, $4, $5, 100*$4/$5, $6, $7, $8, $9, $10, $11 }' "$SUMMARY"
if [ -s "$RUST_OUT" ]; then
    echo
    grep 'first call' "$RUST_OUT" || true
fi
