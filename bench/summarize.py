#!/usr/bin/env python3
"""Turns the reports bench/figures.sh leaves in a directory into the Markdown tables of
bench/RESULTS.md: one row per measurement, the median over its repeats and the range.

    bench/summarize.py var/bench-results
"""
import glob
import json
import os
import re
import statistics
import sys


def load(pattern):
    return [json.load(open(f)) for f in sorted(glob.glob(pattern))]


def spread(values, fmt="{:.0f}"):
    if not values:
        return "-"
    med = statistics.median(values)
    if len(values) == 1:
        return fmt.format(med)
    return f"{fmt.format(med)} ({fmt.format(min(values))}–{fmt.format(max(values))})"


def ms(values):
    return spread(values, "{:.1f}")


def parley(r):
    return r["results"]["parley"]


def correctness(reports):
    errors = sum(parley(r)["errors"]["total"] for r in reports)
    lost = sum(parley(r)["replies"].get("lost", 0) for r in reports)
    dup = sum(parley(r)["replies"].get("duplicated", 0) for r in reports)
    return f"{errors} / {lost} / {dup}"


def main(out):
    print("| measurement | runs | parley msg/s | ack p50 ms | ack p99 ms | ack p99.9 ms "
          "| baseline msg/s | parley/baseline | errors / lost / dup |")
    print("|---|---|---|---|---|---|---|---|---|")
    for c in (32, 64):
        rs = load(f"{out}/ingest-c{c}-r*.json")
        if not rs:
            continue
        p = [parley(r) for r in rs]
        b = [r["results"]["baseline"] for r in rs if "baseline" in r["results"]]
        ratio = [r["results"]["parley_vs_baseline"]["throughput_ratio"] for r in rs
                 if "parley_vs_baseline" in r["results"]]
        print(f"| ingest, closed loop, {c} connections | {len(rs)} "
              f"| {spread([x['throughput']['acked_msgs_per_s'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p50'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p99'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p999'] for x in p])} "
              f"| {spread([x['throughput']['acked_msgs_per_s'] for x in b])} "
              f"| {spread(ratio, '{:.3f}')} | {correctness(rs)} |")
    rs = load(f"{out}/batch10-r*.json")
    if rs:
        p = [parley(r) for r in rs]
        print(f"| ingest, closed loop, 32 connections, 10 msgs/webhook | {len(rs)} "
              f"| {spread([x['throughput']['acked_msgs_per_s'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p50'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p99'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p999'] for x in p])} | - | - | {correctness(rs)} |")
    print()
    print("| open loop | runs | target msg/s | acked msg/s | ack p50 ms | ack p90 ms | ack p99 ms "
          "| ack p99.9 ms | ack max ms | e2e p50 ms | e2e p99 ms | errors / lost / dup |")
    print("|---|---|---|---|---|---|---|---|---|---|---|---|")
    names = sorted({re.sub(r"-r\d+\.json$", "", os.path.basename(f))
                    for f in glob.glob(f"{out}/open-*-r*.json") + glob.glob(f"{out}/e2e-*-r*.json")},
                   key=lambda n: (n.split("-")[0] != "open", int(n.split("-")[1])))
    for name in names:
        rs = load(f"{out}/{name}-r*.json")
        p = [parley(r) for r in rs]
        e2e = [x["e2e_latency_ms"] for x in p if x["e2e_latency_ms"]]
        kind = "ingest" if name.startswith("open") else "e2e"
        print(f"| {kind} | {len(rs)} | {rs[0]['settings']['rate_msgs_per_s']:.0f} "
              f"| {spread([x['throughput']['acked_msgs_per_s'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p50'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p90'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p99'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['p999'] for x in p])} "
              f"| {ms([x['ack_latency_ms']['max'] for x in p])} "
              f"| {ms([x['p50'] for x in e2e]) if e2e else '-'} "
              f"| {ms([x['p99'] for x in e2e]) if e2e else '-'} | {correctness(rs)} |")
    micro = f"{out}/micro.json"
    if os.path.exists(micro):
        print()
        print("| micro benchmark | real time (median of 3) | CPU time | throughput |")
        print("|---|---|---|---|")
        for b in json.load(open(micro))["benchmarks"]:
            if b.get("aggregate_name") != "median":
                continue
            rate = ""
            if "items_per_second" in b:
                rate = f"{b['items_per_second']:,.0f} items/s"
            elif "bytes_per_second" in b:
                rate = f"{b['bytes_per_second'] / 1e6:,.0f} MB/s"
            extra = ""
            if "per_hop" in b:
                extra = f", {b['per_hop'] * 1e6:.2f} µs/hop"
            if "msgs_per_commit" in b:
                extra = f", {b['msgs_per_commit']:.1f} msgs/commit"
            name = b["run_name"]
            unit = b.get("time_unit", "ns")
            print(f"| {name} | {b['real_time']:,.0f} {unit} | {b['cpu_time']:,.0f} {unit} "
                  f"| {rate}{extra} |")


if __name__ == "__main__":
    main(sys.argv[1] if len(sys.argv) > 1 else "var/bench-results")
