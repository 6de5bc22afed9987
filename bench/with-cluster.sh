#!/usr/bin/env bash
# Runs parley-bench against a fresh two-node cluster (node1, node2 of scripts/cluster; node3 is
# configured but never started, so it counts as down) on a fresh database, then stops both.
# Webhooks go to node1 only: the tenants node2 owns are forwarded. Afterwards prints which node
# ran each bench tenant and how many messages node1 forwarded (from GET /v1/cluster).
#
#   bench/with-cluster.sh PG_URL [BUILD_DIR] -- parley-bench arguments...
source "$(dirname "$0")/../scripts/lib.sh"

pg_url="${1:-}"; shift || true
build="$PARLEY_ROOT/build"
if [ "${1:-}" != "--" ] && [ -n "${1:-}" ]; then build="$(cd "$1" && pwd)"; shift; fi
[ "${1:-}" = "--" ] || die "usage: bench/with-cluster.sh PG_URL [BUILD_DIR] -- parley-bench args..."
shift
[ -n "$pg_url" ] || die "PG_URL is required"

db="bench_$(date +%s)_$RANDOM"
run_dir="$PARLEY_ROOT/var/bench-run/cluster-$db"
mkdir -p "$run_dir"
token="bench-$RANDOM$RANDOM"
key="$run_dir/master.key"
(umask 077; head -c 32 /dev/urandom >"$key")
export PARLEY_CLUSTER_DIR="$run_dir" PARLEY_BIN="$build/bin/parleyd" PARLEY_ADMIN_TOKEN="$token" \
  PARLEY_MASTER_KEY_FILE="$key" PARLEY_DATABASE_URL="${pg_url%/*}/$db" \
  PARLEY_BUFFER_WINDOW_MS="${BENCH_BUFFER_WINDOW_MS:-0}" \
  PARLEY_CLUSTER_HTTP_BASE="${PARLEY_CLUSTER_HTTP_BASE:-18481}" \
  PARLEY_CLUSTER_PORT_BASE="${PARLEY_CLUSTER_PORT_BASE:-14481}"

cleanup() {
  "$PARLEY_ROOT/scripts/cluster" stop node1 node2 >/dev/null 2>&1 || true
  psql -q "$pg_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -q "$pg_url" -c "CREATE DATABASE $db" >/dev/null
"$PARLEY_ROOT/scripts/cluster" start node1 node2 >&2
node1="http://127.0.0.1:$PARLEY_CLUSTER_HTTP_BASE"
"$build/bin/parley-bench" --target "$node1" --admin-token "$token" "$@"
curl -fsS -H "Authorization: Bearer $token" "$node1/v1/cluster" | python3 -c '
import json, sys
c = json.load(sys.stdin)
for r in c["reports"]:
    if "error" in r: continue
    running = [t["tenant_id"][:8] for t in r["tenants"] if t["phase"] == "running"]
    print("%s: runs %d tenants %s, forwarded %d, received %d, forward errors %d" % (
        r["node"], len(running), running, r["forwarded"], r["received"], r["forward_errors"]),
        file=sys.stderr)
'
