#!/usr/bin/env bash
# with-postgres.sh COMMAND [ARGS...]
# Runs COMMAND beside a throw-away PostgreSQL cluster (Debian's package) made in a temporary
# folder, listening only on a Unix socket there, with VAXSYNC_TEST_POSTGRES set to its URL;
# the cluster is stopped and removed afterwards, whatever COMMAND's outcome. PostgreSQL
# refuses to run as root, so as root the cluster runs as the `postgres` user.
set -euo pipefail

pg_bin=$(ls -d /usr/lib/postgresql/*/bin 2>/dev/null | sort -V | tail -1)
if [ -z "$pg_bin" ]; then
  echo "with-postgres: PostgreSQL is not installed (scripts/setup.sh installs it)" >&2
  exit 1
fi
dir=$(mktemp -d /tmp/vaxpg.XXXXXX)
as_owner=()
if [ "$(id -u)" -eq 0 ]; then
  chown postgres: "$dir"
  as_owner=(runuser -u postgres --)
fi
stop() {
  "${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -m immediate -w stop >/dev/null 2>&1 || true
  rm -rf "$dir"
}
trap stop EXIT
"${as_owner[@]}" "$pg_bin/initdb" -D "$dir/data" -U vaxsync --auth=trust -E UTF8 --no-locale \
  >"$dir/initdb.log" 2>&1 || { cat "$dir/initdb.log" >&2; exit 1; }
# No TCP at all (listen_addresses empty): only this folder's socket. fsync stays on, as in
# production; max_connections leaves room for the two-process and fleet tests.
"${as_owner[@]}" "$pg_bin/pg_ctl" -D "$dir/data" -l "$dir/server.log" -w \
  -o "-k $dir -c listen_addresses= -c max_connections=200" start >/dev/null \
  || { cat "$dir/server.log" >&2; exit 1; }
socket=$(python3 -c 'import sys, urllib.parse; print(urllib.parse.quote(sys.argv[1], safe=""))' "$dir")
export VAXSYNC_TEST_POSTGRES="postgresql://vaxsync@${socket}/postgres"
echo "with-postgres: PostgreSQL $("$pg_bin/postgres" --version | awk '{print $3}') on $dir"
"$@"
