#!/usr/bin/env python3
"""Turns a JMH JSON result of FernetBenchmark/FernetThreadsBenchmark into the tables and goal
verdicts of docs/benchmarks.md.

Usage: python3 benchmarks/verdicts.py RESULT.json [MORE.json ...]

Iteration samples of the same benchmark and parameters are pooled across all files (each file holds
whole forks), and the 99.9% confidence interval of the mean is computed as JMH does: Student's t with
n-1 degrees of freedom over all iteration samples of all forks. For a single JMH file this reproduces
JMH's own score and error. A ratio's interval is taken from the extremes of the two intervals
(conservative). A goal is "met" only if the whole ratio interval satisfies it, "missed" if none of it
does, else "unresolved".
"""
import json
import math
import statistics
import sys

try:
    from scipy.stats import t as student_t

    def t_quantile(p, df):
        return student_t.ppf(p, df)
except ImportError:  # two-sided 99.9% quantiles for the sample counts this project uses
    TABLE = {14: 4.140, 29: 3.659, 44: 3.526}

    def t_quantile(p, df):
        return TABLE[df]

samples = {}
for path in sys.argv[1:]:
    for r in json.load(open(path)):
        key = (r["benchmark"], tuple(sorted(r["params"].items())))
        forks = samples.setdefault(key, [])
        forks.extend(r["primaryMetric"]["rawData"])

scores = {}
threads = {}
for (benchmark, params), forks in samples.items():
    values = [v for fork in forks for v in fork]
    n = len(values)
    mean = statistics.fmean(values)
    error = t_quantile(0.9995, n - 1) * statistics.stdev(values) / math.sqrt(n) if n > 1 else float("nan")
    entry = (mean, error, max(mean - error, 0.0), mean + error, len(forks), n)
    params = dict(params)
    name = benchmark.rsplit(".", 1)[1]
    if "FernetThreadsBenchmark" in benchmark:
        threads[(params["impl"], params["threads"])] = entry
    else:
        scores[(name, int(params["size"]))] = entry


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

forks = {(e[4], e[5]) for e in list(scores.values()) + list(threads.values())}
print()
print(f"(forks, samples) per benchmark: {sorted(forks)}")
