#!/usr/bin/env bash
# Runs the set of measurements behind bench/RESULTS.md, each against a fresh parleyd on a fresh
# database (bench/with-node.sh), and leaves one JSON report per run in OUT_DIR.
#
#   bench/figures.sh PG_URL [BUILD_DIR] [OUT_DIR] [STEP...]
#
# STEP is any of: ingest open e2e batch micro (default: all). `open` runs at 50% and 90% of the
# median closed-loop ingest figure (32 connections) found in OUT_DIR (run `ingest` first).
# REPEAT=N runs each load N times (reports NAME-rK.json) to show the spread on a shared
# machine. Before each run the script waits (up to 2 min) for the machine to be idle, since the
# figures are only comparable on an otherwise quiet machine; it prints the load it started under.
# bench/summarize.py OUT_DIR turns the reports into the tables of RESULTS.md.
source "$(dirname "$0")/../scripts/lib.sh"

pg_url="${1:-}"; [ -n "$pg_url" ] || die "usage: bench/figures.sh PG_URL [BUILD_DIR] [OUT_DIR] [STEP...]"
build="${2:-$PARLEY_ROOT/build}"
out="${3:-$PARLEY_ROOT/var/bench-results}"
shift $(( $# < 3 ? $# : 3 ))
steps="${*:-ingest open e2e batch micro}"
mkdir -p "$out"
repeat="${REPEAT:-1}"
node() { "$PARLEY_ROOT/bench/with-node.sh" "$pg_url" "$build" -- --quiet "$@"; }

# Percentage of CPU idle over one second.
idle_pct() {
  local a b
  a=($(head -1 /proc/stat)); sleep 1; b=($(head -1 /proc/stat))
  local idle=$(( b[4] - a[4] )) total=0 i
  for i in 1 2 3 4 5 6 7 8; do total=$(( total + b[i] - a[i] )); done
  echo $(( total > 0 ? 100 * idle / total : 100 ))
}
wait_idle() {
  local i p
  for i in $(seq 1 120); do p="$(idle_pct)"; [ "$p" -ge 90 ] && break; done
  say "$1 (cpu idle ${p}%, load $(cut -d' ' -f1-3 /proc/loadavg))"
}

for step in $steps; do
  case "$step" in
    ingest)
      for r in $(seq 1 "$repeat"); do
        for c in 32 64; do
          wait_idle "ingest, closed loop, $c connections, with baseline (run $r)"
          node --scenario ingest --connections "$c" --duration 10 --warmup 2 --baseline \
            --report "$out/ingest-c$c-r$r.json"
        done
      done ;;
    open)
      peak="$(python3 -c "
import glob, json, statistics
xs = [json.load(open(f))['results']['parley']['throughput']['acked_msgs_per_s']
      for f in glob.glob('$out/ingest-c32-r*.json')]
print(int(statistics.median(xs)) if xs else 0)")"
      [ "$peak" -gt 0 ] || die "no ingest figures in $out: run the ingest step first"
      for r in $(seq 1 "$repeat"); do
        for pct in 50 90; do
          rate=$(( peak * pct / 100 ))
          wait_idle "ingest, open loop at $pct% of $peak msg/s = $rate msg/s (run $r)"
          node --scenario ingest --rate "$rate" --connections 64 --duration 20 --warmup 3 \
            --report "$out/open-$pct-r$r.json"
        done
      done ;;
    e2e)
      for r in $(seq 1 "$repeat"); do
        for rate in 300 1000; do
          wait_idle "e2e, open loop at $rate msg/s (run $r)"
          node --scenario e2e --rate "$rate" --connections 64 --duration 10 --warmup 2 \
            --drain-timeout 60 --report "$out/e2e-$rate-r$r.json"
        done
      done ;;
    batch)
      for r in $(seq 1 "$repeat"); do
        wait_idle "ingest, closed loop, 32 connections, 10 messages per webhook (run $r)"
        node --scenario ingest --connections 32 --messages-per-request 10 --duration 10 \
          --warmup 2 --report "$out/batch10-r$r.json"
      done ;;
    micro)
      db="bench_micro_$RANDOM"
      psql -q "$pg_url" -c "CREATE DATABASE $db" >/dev/null
      wait_idle "micro benchmarks"
      PARLEY_BENCH_DATABASE_URL="${pg_url%/*}/$db" "$build/bin/parley-micro" \
        --benchmark_repetitions=3 --benchmark_report_aggregates_only=true \
        --benchmark_out="$out/micro.json" --benchmark_out_format=json || true
      psql -q "$pg_url" -c "DROP DATABASE IF EXISTS $db WITH (FORCE)" >/dev/null ;;
    *) die "unknown step $step" ;;
  esac
done
say "reports in $out"
