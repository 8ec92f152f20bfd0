#!/usr/bin/env python3
"""Turns a JMH JSON result of FernetBenchmark/FernetThreadsBenchmark into the tables and goal
verdicts of docs/benchmarks.md.

Usage: python3 benchmarks/verdicts.py benchmarks/results/fernet.json

JMH's scoreConfidence is the 99.9% confidence interval of the mean over all forks and iterations.
A ratio's interval is taken from the extremes of the two intervals (conservative). A goal is
"met" only if the whole ratio interval satisfies it, "missed" if none of it does, else "unresolved".
"""
import json
import math
import sys

results = json.load(open(sys.argv[1]))
scores = {}
threads = {}
for r in results:
    name = r["benchmark"].rsplit(".", 1)[1]
    m = r["primaryMetric"]
    lo, hi = m["scoreConfidence"]
    entry = (m["score"], m["scoreError"], max(lo, 0.0), hi, r["forks"], len(m["rawData"][0]) if m["rawData"] else 0)
    if "FernetThreadsBenchmark" in r["benchmark"]:
        threads[(r["params"]["impl"], r["params"]["threads"])] = entry
    else:
        scores[(name, int(r["params"]["size"]))] = entry


def fmt(x):
    return f"{x:,.0f}"


def ratio(num, den):
    """(point, low, high) of num/den from 99.9% intervals."""
    n, d = scores[num], scores[den]
    point = n[0] / d[0]
    low = n[2] / d[3]
    high = math.inf if d[2] == 0 else n[3] / d[2]
    return point, low, high


sizes = sorted({s for (_, s) in scores})
print("| size | op | Cachet ops/s | raw JCE floor ops/s | fernet-java8 ops/s |")
print("|---:|---|---:|---:|---:|")
for size in sizes:
    for op in ("Encrypt", "Decrypt"):
        cells = []
        for impl in ("cachet", "floor", "fernetJava8"):
            key = (impl + op, size)
            if key in scores:
                s = scores[key]
                cells.append(f"{fmt(s[0])} ± {fmt(s[1])}")
            else:
                cells.append("n/a")
        print(f"| {size:,} B | {op.lower()} | " + " | ".join(cells) + " |")

print()
print("| goal | size | op | ratio (point) | 99.9% interval | verdict |")
print("|---|---:|---|---:|---|---|")
for size in sizes:
    for op in ("Encrypt", "Decrypt"):
        if size >= 1024 and ("floor" + op, size) in scores:
            p, lo, hi = ratio(("floor" + op, size), ("cachet" + op, size))
            verdict = "met" if hi <= 1.15 else ("missed" if lo > 1.15 else "unresolved")
            print(f"| floor / Cachet ≤ 1.15 | {size:,} B | {op.lower()} | {p:.2f} | [{lo:.2f}, {hi:.2f}] | {verdict} |")
for size in sizes:
    for op in ("Encrypt", "Decrypt"):
        if size <= 1024 and ("fernetJava8" + op, size) in scores:
            p, lo, hi = ratio(("cachet" + op, size), ("fernetJava8" + op, size))
            verdict = "met" if lo >= 1.8 else ("missed" if hi < 1.8 else "unresolved")
            print(f"| Cachet / fernet-java8 ≥ 1.8 | {size:,} B | {op.lower()} | {p:.2f} | [{lo:.2f}, {hi:.2f}] | {verdict} |")

if threads:
    print()
    print("| implementation | threads | round trips/s (1 KB) |")
    print("|---|---|---:|")
    for (impl, kind), s in sorted(threads.items()):
        print(f"| {impl} | {kind} | {fmt(s[0])} ± {fmt(s[1])} |")

forks = {e[4] for e in list(scores.values()) + list(threads.values())}
print()
print(f"forks per benchmark: {sorted(forks)}")
