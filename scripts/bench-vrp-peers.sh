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
# CARGO_TARGET_DIR (default <repo>/target), VRP_CLI (path to a `vrp-cli` binary, the CLI of
# reinterpretcat/vrp's vrp-core; when set it runs too, one thread: `cargo install vrp-cli
# --version 1.25.0 --locked --root DIR` builds one).
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
import json, math, os, sys, time
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

vrp_cli = os.environ.get("VRP_CLI")
if vrp_cli:
    import subprocess, tempfile
    tmp = Path(tempfile.mkdtemp())
    cli_label = "vrp-cli " + subprocess.run([vrp_cli, "--version"], capture_output=True, text=True).stdout.split()[-1]

    def run_cli(args):
        t0 = time.perf_counter()
        subprocess.run([vrp_cli, "solve", *args, "-t", str(int(seconds)), "-p", "1,1"],
                       check=True, capture_output=True)
        return time.perf_counter() - t0

    for name in instances:
        sol = tmp / f"{name}.txt"
        wall = run_cli(["solomon", str(solomon / "solomon_100" / f"{name}.txt"), "-o", str(sol)])
        routes = [list(map(int, l.split(":")[1].split())) for l in sol.read_text().splitlines()
                  if l.startswith("Route")]
        rows.append({"solver": cli_label, "instance": name, "seconds": wall, "routes": routes})
        print(f"{cli_label} {name}: {len(routes)} routes in {wall:.1f} s", file=sys.stderr)

    def stamp(minutes, rounding):
        secs = rounding(minutes * 60)
        return time.strftime("2026-01-01T%H:%M:%SZ", time.gmtime(max(0, secs)))

    for path in sorted(city_dir.glob("*.vrptw.json")):
        name = path.name.removesuffix(".vrptw.json")
        p = json.loads(path.read_text())
        n = p["nodes"]
        to_venue = p["vehicles"][0]["start"] == 0
        kind = "pickups" if to_venue else "deliveries"
        jobs = [{"id": c["id"], kind: [{"places": [{
                    "location": {"index": c["node"]},
                    "duration": math.ceil(c["service"] * 60),
                    "times": [[stamp(max(c["early"], 0), math.ceil), stamp(c["late"], math.floor)]]}],
                 "demand": [c["demand"]]}]} for c in p["clients"]]
        groups = {}
        for v in p["vehicles"]:
            key = (v["start"], v["end"], v["capacity"], v["earliest_start"] + v["start_service"], v["latest_end"])
            groups.setdefault(key, []).append(v["id"])
        vehicles = [{"typeId": f"type-{i}", "vehicleIds": ids, "profile": {"matrix": "car"},
                     "costs": {"fixed": 0, "distance": 1, "time": 0},
                     "shifts": [{"start": {"earliest": stamp(start_at, math.ceil), "location": {"index": s}},
                                 "end": {"latest": stamp(late, math.floor), "location": {"index": e}}}],
                     "capacity": [cap]}
                    for i, ((s, e, cap, start_at, late), ids) in enumerate(groups.items())]
        problem = {"plan": {"jobs": jobs},
                   "fleet": {"vehicles": vehicles, "profiles": [{"name": "car"}]}}
        matrix = {"profile": "car",
                  "travelTimes": [math.ceil(p["time"][i][j] * 60) for i in range(n) for j in range(n)],
                  "distances": [round(p["dist"][i][j] * 1000) for i in range(n) for j in range(n)]}
        (tmp / f"{name}.json").write_text(json.dumps(problem))
        (tmp / f"{name}.matrix.json").write_text(json.dumps(matrix))
        out_sol = tmp / f"{name}.solution.json"
        wall = run_cli(["pragmatic", str(tmp / f"{name}.json"), "-m", str(tmp / f"{name}.matrix.json"),
                        "-o", str(out_sol)])
        solution = json.loads(out_sol.read_text())
        routes = [{"vehicle": t["vehicleId"],
                   "riders": [a["jobId"] for stop in t["stops"] for a in stop["activities"]
                              if a["type"] in ("pickup", "delivery")]}
                  for t in solution.get("tours", [])]
        rows.append({"solver": cli_label, "instance": name, "seconds": wall, "routes": routes})
        print(f"{cli_label} {name}: {len(routes)} tours, {len(solution.get('unassigned') or [])} unassigned, {wall:.1f} s", file=sys.stderr)

with open(out, "w") as f:
    for r in rows:
        f.write(json.dumps(r) + "\n")
PY

"$BENCH" "${QUICK_FLAG[@]}" --seconds "$SECONDS_PER" --solomon "$SOLOMON" --peer "$WORK/peer.jsonl"
