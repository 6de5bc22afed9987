#!/usr/bin/env bash
# Runs parley-bench against a fresh parleyd on a fresh database, then stops both (by PID):
# every figure starts from the same empty state, and an ingest run's leftover replies never
# leak into the next run.
#
#   bench/with-node.sh PG_URL [BUILD_DIR] -- parley-bench arguments...
#
# PG_URL is a running PostgreSQL (e.g. `scripts/pg start var/bench-pg`, no --fast for
# durability figures); a database bench_<random> is created there and dropped afterwards.
# BUILD_DIR defaults to build (it must hold bin/parleyd and bin/parley-bench). parleyd runs with
# the built-in defaults (no cluster.conf) and PARLEY_BUFFER_WINDOW_MS=0 (BENCH_BUFFER_WINDOW_MS
# overrides it; then pass --allow-merge); extra parleyd flags go in PARLEYD_ARGS. --target and
# --admin-token are added here.
# Memory: BENCH_MEMORY_LOG=FILE samples parleyd's resident memory and its active conversations
# every 5 s into FILE; BENCH_LINGER=SECONDS keeps the node that long after the bench (to watch
# conversations passivate, e.g. with PARLEY_CONVERSATION_IDLE_MS set).
source "$(dirname "$0")/../scripts/lib.sh"

pg_url="${1:-}"; shift || true
build="$PARLEY_ROOT/build"
if [ "${1:-}" != "--" ] && [ -n "${1:-}" ]; then build="$(cd "$1" && pwd)"; shift; fi
[ "${1:-}" = "--" ] || die "usage: bench/with-node.sh PG_URL [BUILD_DIR] -- parley-bench args..."
shift
[ -n "$pg_url" ] || die "PG_URL is required"
[ -x "$build/bin/parleyd" ] && [ -x "$build/bin/parley-bench" ] || die "no parleyd/parley-bench in $build/bin"

db="bench_$(date +%s)_$RANDOM"
base="${pg_url%/*}"
run_dir="$PARLEY_ROOT/var/bench-run"
mkdir -p "$run_dir"
pid_file="$run_dir/parleyd-$db.pid"
log="$run_dir/parleyd-$db.log"
token="bench-$RANDOM$RANDOM"
key="${PARLEY_MASTER_KEY_FILE:-$run_dir/master.key}"
[ -f "$key" ] || (umask 077; head -c 32 /dev/urandom >"$key")

cleanup() {
  stop_pid_file "$pid_file" 15
  psql -q "$pg_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null 2>&1 || true
}
trap cleanup EXIT

psql -q "$pg_url" -c "CREATE DATABASE $db" >/dev/null
# A port free a moment ago may be taken meanwhile (exit code 3): try another.
for attempt in 1 2 3 4 5; do
  port="$(free_port)"
  PARLEY_CONFIG="" PARLEY_DATABASE_URL="$base/$db" PARLEY_HTTP_PORT="$port" \
    PARLEY_MASTER_KEY_FILE="$key" PARLEY_ADMIN_TOKEN="$token" \
    PARLEY_BUFFER_WINDOW_MS="${BENCH_BUFFER_WINDOW_MS:-0}" \
    "$build/bin/parleyd" --parley.log-level=warn ${PARLEYD_ARGS:-} >"$log" 2>&1 &
  echo $! >"$pid_file"
  ready=no
  for _ in $(seq 1 300); do
    curl -fsS -o /dev/null "http://127.0.0.1:$port/ready" 2>/dev/null && { ready=yes; break; }
    pid_alive "$pid_file" || break
    sleep 0.1
  done
  [ "$ready" = yes ] && break
  pid_alive "$pid_file" && { cat "$log" >&2; die "parleyd did not get ready within 30 s"; }
  [ "$attempt" = 5 ] && { cat "$log" >&2; die "parleyd did not start"; }
done
say "parleyd pid $(cat "$pid_file") on port $port, database $db (log $log)"
# The database section of the report reads the server's statistics as its superuser (trust
# authentication on scripts/pg instances); BENCH_NO_DB_REPORT=1 leaves it out.
db_args=()
if [ -z "${BENCH_NO_DB_REPORT:-}" ]; then
  su_url="$(echo "$base/$db" | sed -E 's#^(postgres(ql)?://)[^@/]*@#\1postgres@#')"
  db_args=(--database "$su_url")
fi
if [ -n "${BENCH_MEMORY_LOG:-}" ]; then
  pid="$(cat "$pid_file")"
  (
    while kill -0 "$pid" 2>/dev/null; do
      active="$(curl -m 4 -fsS -H "Authorization: Bearer $token" "http://127.0.0.1:$port/v1/actors" \
        2>/dev/null | grep -o 'active_conversations=[0-9]*' | head -1 || true)"
      echo "$(date +%T) rss_kb=$(awk '/VmRSS/{print $2}' "/proc/$pid/status" 2>/dev/null) $active"
      sleep 5
    done
  ) >"$BENCH_MEMORY_LOG" 2>&1 &
fi
"$build/bin/parley-bench" --target "http://127.0.0.1:$port" --admin-token "$token" "${db_args[@]}" "$@"
sleep "${BENCH_LINGER:-0}"
