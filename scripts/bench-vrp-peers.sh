#!/usr/bin/env bash
# Runs PyVRP (HGS, from PyPI) on the same instances and time budget as vax-routing's benchmark
# (Solomon C101 C201 R101 R201 RC101 RC201 and the synthetic city days the benchmark exports),
# then runs that benchmark, which re-checks every PyVRP route with the crate's independent
# checkers and prints one side-by-side table (shared/docs/PERF-ANCHORS.md §1).
#
#   scripts/bench-vrp-peers.sh [SECONDS]        # default 10 s per instance, one core each
#
# Environment: VRP_PEERS_VENV (virtual environment, default /tmp/vaxledger-vrp-peers-venv),
# PYVRP_VERSION (default 0.14.1, the version PERF-ANCHORS measured), SOLOMON_DIR (default
# <repo>/../shared/data/solomon), QUICK=1 (the benchmark's --quick subset at 2 s),
# CARGO_TARGET_DIR (default <repo>/target).
# Needs: python3 with venv, network access to PyPI, a Rust toolchain.
set -euo pipefail

ROOT="$(cd "$(dirname "${BASH_SOURCE[0]}")/.." && pwd)"
SECONDS_PER="${1:-10}"
VENV="${VRP_PEERS_VENV:-/tmp/vaxledger-vrp-peers-venv}"
SOLOMON="$(cd "${SOLOMON_DIR:-$ROOT/../shared/data/solomon}" && pwd)"
WORK="$(mktemp -d)"
trap 'rm -rf "$WORK"' EXIT
export CARGO_TARGET_DIR="${CARGO_TARGET_DIR:-$ROOT/target}"

QUICK_FLAG=()
INSTANCES=(C101 C201 R101 R201 RC101 RC201)
if [ "${QUICK:-0}" = 1 ]; then
    QUICK_FLAG=(--quick)
    SECONDS_PER=2
    INSTANCES=(C101 R101)
fi

if [ ! -x "$VENV/bin/python" ]; then
    python3 -m venv "$VENV"
fi
"$VENV/bin/pip" install -q --disable-pip-version-check "pyvrp==${PYVRP_VERSION:-0.14.1}"

(cd "$ROOT" && cargo build -q --release -p vax-routing --bin routing-bench)
BENCH="$CARGO_TARGET_DIR/release/routing-bench"
"$BENCH" "${QUICK_FLAG[@]}" --export "$WORK/city" >/dev/null

"$VENV/bin/python" - "$SECONDS_PER" "$SOLOMON" "$WORK/city" "$WORK/peer.jsonl" "${INSTANCES[@]}" <<'PY'
"""PyVRP on the benchmark's instances. Hierarchical objective as in PERF-ANCHORS: a fixed
cost of 10^8 per used vehicle; distances x1000 rounded, durations and service x1000 rounded
up, windows opening rounded up and closing rounded down, so whatever PyVRP returns is also
feasible in double precision (the Rust side re-checks it anyway)."""
import json, math, sys, time
from importlib.metadata import version
from pathlib import Path

import pyvrp
from pyvrp.stop import MaxRuntime

seconds, solomon, city_dir, out = float(sys.argv[1]), Path(sys.argv[2]), Path(sys.argv[3]), sys.argv[4]
instances = sys.argv[5:]
SCALE, FIXED = 1000, 10**8
label = f"PyVRP {version('pyvrp')}"
rows = []

def solve(model):
    t0 = time.perf_counter()
    res = model.solve(MaxRuntime(seconds), seed=1, display=False)
    return res, time.perf_counter() - t0

def clients_of(route):
    return [act.idx for act in route if act.is_client()]

for name in instances:
    lines = (solomon / "solomon_100" / f"{name}.txt").read_text().splitlines()
    k, cap = map(int, lines[4].split())
    nodes = [list(map(float, l.split())) for l in lines[9:] if l.strip()]
    m = pyvrp.Model()
    locs = [m.add_location(x=int(n[1]), y=int(n[2])) for n in nodes]
    depot = m.add_depot(locs[0], tw_late=int(nodes[0][5] * SCALE))
    m.add_vehicle_type(num_available=k, capacity=cap, start_depot=depot, end_depot=depot,
                       fixed_cost=FIXED, tw_late=int(nodes[0][5] * SCALE))
    for n, loc in zip(nodes[1:], locs[1:]):
        m.add_client(loc, delivery=int(n[3]), service_duration=int(n[6] * SCALE),
                     tw_early=int(n[4] * SCALE), tw_late=int(n[5] * SCALE))
    for a, na in zip(locs, nodes):
        for b, nb in zip(locs, nodes):
            d = math.hypot(na[1] - nb[1], na[2] - nb[2])
            m.add_edge(a, b, distance=round(SCALE * d), duration=math.ceil(SCALE * d))
    res, wall = solve(m)
    routes = [[c + 1 for c in clients_of(r)] for r in res.best.routes()]
    rows.append({"solver": label, "instance": name, "seconds": wall, "routes": routes})
    print(f"{name}: {len(routes)} routes in {wall:.1f} s", file=sys.stderr)

for path in sorted(city_dir.glob("*.vrptw.json")):
    name = path.name.removesuffix(".vrptw.json")
    p = json.loads(path.read_text())
    m = pyvrp.Model()
    locs = [m.add_location(x=i, y=0) for i in range(p["nodes"])]
    depots = {}
    types = {}
    for v in p["vehicles"]:
        for node, service in ((v["start"], v["start_service"]), (v["end"], 0.0)):
            if node not in depots:
                depots[node] = m.add_depot(locs[node], service_duration=math.ceil(service * SCALE))
        key = (v["start"], v["end"], v["capacity"], v["earliest_start"], v["latest_end"])
        types.setdefault(key, []).append(v["id"])
    order = list(types)
    for (start, end, cap, early, late) in order:
        m.add_vehicle_type(num_available=len(types[(start, end, cap, early, late)]), capacity=cap,
                           start_depot=depots[start], end_depot=depots[end], fixed_cost=FIXED,
                           tw_early=math.ceil(early * SCALE), tw_late=math.floor(late * SCALE))
    ids = []
    for c in p["clients"]:
        m.add_client(locs[c["node"]], delivery=c["demand"], service_duration=math.ceil(c["service"] * SCALE),
                     tw_early=max(0, math.ceil(c["early"] * SCALE)), tw_late=math.floor(c["late"] * SCALE))
        ids.append(c["id"])
    for i, a in enumerate(locs):
        for j, b in enumerate(locs):
            m.add_edge(a, b, distance=round(SCALE * p["dist"][i][j]),
                       duration=math.ceil(SCALE * p["time"][i][j]))
    res, wall = solve(m)
    free = {t: list(types[key]) for t, key in enumerate(order)}
    routes = [{"vehicle": free[r.vehicle_type()].pop(0), "riders": [ids[c] for c in clients_of(r)]}
              for r in res.best.routes()]
    rows.append({"solver": label, "instance": name, "seconds": wall, "routes": routes})
    print(f"{name}: {len(routes)} routes in {wall:.1f} s (feasible: {res.best.is_feasible()})", file=sys.stderr)

with open(out, "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY

"$BENCH" "${QUICK_FLAG[@]}" --seconds "$SECONDS_PER" --solomon "$SOLOMON" --peer "$WORK/peer.jsonl"
