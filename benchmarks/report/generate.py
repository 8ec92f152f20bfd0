#!/usr/bin/env python3
"""Generates docs/benchmarks.md (and its SVG charts) from JMH JSON results. Python 3 standard library only.

    python3 benchmarks/report/generate.py                 # docs/benchmarks.md from benchmarks/report/inputs.json
    python3 benchmarks/report/generate.py --check         # exit 1 if docs/benchmarks.md is not up to date
    python3 benchmarks/report/generate.py --set-run latest=benchmarks/results/runs/thorough-...  # override a run
    python3 benchmarks/report/generate.py --single-run DIR --out DIR/report.md   # one run.sh run alone

The page is owned by this script: edit benchmarks/report/inputs.json (runs, sections, goals) and the
Markdown notes it names, never docs/benchmarks.md itself. Other issues add their JMH JSON files as a
run and their goals as a section of inputs.json.

Statistics: iteration samples of the same benchmark, parameters and mode are pooled across all files of
a run (each JMH file holds whole forks) and the mean gets a two-sided Student-t interval at the
configured confidence (99.9 %), as JMH computes its score error; a SampleTime percentile is computed per
iteration from JMH's histograms and gets the same interval over iterations. Ratios and differences take
the extremes of the two intervals; a goal is met if the whole interval clears its bar, missed if the
whole interval lies beyond it, unresolved otherwise, and not suitable for a verdict when the run has
fewer forks than "minForks" (see verdicts.py).
"""
import argparse
import glob
import html
import json
import math
import os
import re
import sys
import tempfile

sys.path.insert(0, os.path.dirname(os.path.abspath(__file__)))
import verdicts  # noqa: E402
from verdicts import Estimate  # noqa: E402

ROOT = os.path.abspath(os.path.join(os.path.dirname(os.path.abspath(__file__)), "..", ".."))
PERCENTILES = {"p50": 0.5, "p90": 0.9, "p99": 0.99, "p99.9": 0.999}

# "local-p50": the median of a SampleTime iteration's calls faster than this many microseconds, that is
# of its local hits. No loopback Redis round trip in any recorded run took less than 15 us (raw Lettuce
# GET p0: 16 to 30 us), and no local hit is anywhere near 10 us except a rare pause.
LOCAL_HIT_BOUND_US = 10.0


# ----------------------------------------------------------------------------------------- loading

class Pooled:
    """One benchmark x parameters x mode, pooled over every fork in a run's files."""

    def __init__(self, record):
        self.benchmark = record["benchmark"]
        self.params = dict(record.get("params") or {})
        self.mode = record["mode"]
        self.threads = record.get("threads", 1)
        self.unit = record["primaryMetric"]["scoreUnit"]
        self.meta = record
        self.forks = []  # per fork: list of iteration scores
        self.histograms = []  # per fork: list of per-iteration histograms [[value, count], ...]
        self.secondary = {}  # name -> (unit, per fork: list of iteration values)

    @property
    def short(self):
        return ".".join(self.benchmark.split(".")[-2:])

    def add(self, record):
        pm = record["primaryMetric"]
        self.forks.extend(pm.get("rawData") or [])
        if "rawDataHistogram" in pm:
            self.histograms.extend(pm["rawDataHistogram"])
            if not pm.get("rawData"):
                # SampleTime has no rawData: one mean per iteration from its histogram
                for fork in pm["rawDataHistogram"]:
                    self.forks.append([_hist_mean(h) for h in fork])
        for name, metric in (record.get("secondaryMetrics") or {}).items():
            name = name.lstrip("\u00b7")
            if metric.get("rawData"):
                unit, forks = self.secondary.setdefault(name, (metric.get("scoreUnit", ""), []))
                forks.extend(metric["rawData"])

    def fork_count(self):
        return len(self.forks)

    def stat(self, stat, confidence):
        if stat == "score":
            values = [v for fork in self.forks for v in fork]
            return verdicts.estimate(values, len(self.forks), confidence), self.unit
        if stat in PERCENTILES:
            if not self.histograms:
                raise LookupError(f"{self.short} has no SampleTime histogram for {stat}")
            q = PERCENTILES[stat]
            values = [_hist_percentile(h, q) for fork in self.histograms for h in fork if h]
            return verdicts.estimate(values, len(self.histograms), confidence), self.unit
        if stat == "local-p50":
            if not self.histograms:
                raise LookupError(f"{self.short} has no SampleTime histogram for {stat}")
            if self.unit != "us/op":
                raise LookupError(f"{self.short}: {stat} needs a histogram in us/op, not {self.unit}")
            values = []
            for fork in self.histograms:
                for h in fork:
                    local = [[v, c] for v, c in h if v < LOCAL_HIT_BOUND_US]
                    if local:
                        values.append(_hist_percentile(local, 0.5))
            return verdicts.estimate(values, len(self.histograms), confidence), self.unit
        if stat in self.secondary:
            unit, forks = self.secondary[stat]
            values = [v for fork in forks for v in fork]
            return verdicts.estimate(values, len(forks), confidence), unit
        raise LookupError(f"{self.short} has no statistic {stat!r}")


def _hist_mean(hist):
    total = sum(c for _, c in hist)
    return sum(v * c for v, c in hist) / total if total else float("nan")


def _hist_percentile(hist, q):
    ordered = sorted(hist)
    total = sum(c for _, c in ordered)
    rank = q * total
    seen = 0
    for value, count in ordered:
        seen += count
        if seen >= rank:
            return value
    return ordered[-1][0]


class Run:
    def __init__(self, run_id, spec):
        self.id = run_id
        self.spec = spec
        self.label = spec.get("label", run_id)
        self.files = []
        self.info = {}
        self.counters = []
        directory = spec.get("dir")
        if directory:
            path = _abs(directory)
            if os.path.isdir(path):
                self.files.extend(sorted(glob.glob(os.path.join(path, "*.json"))))
                self.files = [f for f in self.files if os.path.basename(f) != "run.json"]
                if os.path.exists(os.path.join(path, "run.json")):
                    with open(os.path.join(path, "run.json")) as f:
                        self.info = json.load(f)
                counters = os.path.join(path, "zipf-counters.jsonl")
                if os.path.exists(counters):
                    with open(counters) as f:
                        self.counters = [json.loads(line) for line in f if line.strip()]
        for pattern in spec.get("files", []):
            self.files.extend(sorted(glob.glob(_abs(pattern))))
        self.results = {}
        for path in self.files:
            try:
                with open(path) as f:
                    records = json.load(f)
            except (OSError, ValueError) as e:  # a JMH call still running, or one that failed
                print(f"warning: skipping {path}: {e}", file=sys.stderr)
                continue
            for record in records:
                key = (record["benchmark"], tuple(sorted((record.get("params") or {}).items())), record["mode"])
                if key not in self.results:
                    self.results[key] = Pooled(record)
                self.results[key].add(record)

    @property
    def empty(self):
        return not self.results

    def min_forks(self):
        return min((p.fork_count() for p in self.results.values()), default=0)

    def select(self, selector):
        """The pooled results matching a selector: benchmark (regex, searched in the full name), params
        (a subset that must match), mode."""
        pattern = re.compile(selector.get("benchmark", ""))
        params = {k: str(v) for k, v in (selector.get("params") or {}).items()}
        mode = selector.get("mode")
        found = []
        for pooled in self.results.values():
            if not pattern.search(pooled.benchmark):
                continue
            if mode and pooled.mode != mode:
                continue
            if any(pooled.params.get(k) != v for k, v in params.items()):
                continue
            found.append(pooled)
        return sorted(found, key=lambda p: (p.benchmark, sorted(p.params.items()), p.mode))


def _abs(path):
    return path if os.path.isabs(path) else os.path.join(ROOT, path)


# ------------------------------------------------------------------------------------- quantities

class Missing(Exception):
    pass


def quantity(runs, default_run, spec, confidence):
    """Evaluates a quantity spec to (Estimate, unit, description)."""
    if "minus" in spec:
        (a, unit, da), (b, _, db) = (quantity(runs, default_run, s, confidence) for s in spec["minus"])
        return verdicts.difference(a, b), unit, f"{da} − {db}"
    run = runs[spec.get("run", default_run)]
    if run.empty:
        raise Missing(f"run {run.id} has no results")
    matches = run.select(spec)
    if not matches:
        raise Missing(f"no result for {describe(spec)} in run {run.id}")
    if len(matches) > 1:
        raise Missing(f"{describe(spec)} is ambiguous in run {run.id} ({len(matches)} results)")
    stat = spec.get("stat", "score")
    try:
        est, unit = matches[0].stat(stat, confidence)
    except LookupError as e:
        raise Missing(str(e)) from None
    return est, unit, spec.get("label") or describe(spec)


def describe(spec):
    if "label" in spec:
        return spec["label"]
    name = spec.get("benchmark", "?").replace("\\", "").strip("^$")
    parts = [f"`{name}`"]
    parts += [f"{k}={v}" for k, v in (spec.get("params") or {}).items()]
    if spec.get("mode"):
        parts.append(spec["mode"])
    if spec.get("stat", "score") != "score":
        parts.append(spec["stat"])
    return " ".join(parts)


# -------------------------------------------------------------------------------------- formatting

def num(x, digits=3):
    if x is None or (isinstance(x, float) and math.isnan(x)):
        return "n/a"
    if math.isinf(x):
        return "∞" if x > 0 else "−∞"
    if x == 0:
        return "0"
    magnitude = math.floor(math.log10(abs(x)))
    decimals = max(0, digits - 1 - magnitude)
    if abs(x) >= 1000:
        return f"{x:,.0f}"
    return f"{x:,.{decimals}f}"


def est_text(est):
    if not est.has_interval():
        return num(est.point)
    return f"{num(est.point)} ± {num(est.error, 2)}"


def interval_text(est):
    if not est.has_interval():
        return "n/a"
    return f"[{num(est.low)}, {num(est.high)}]"


def verdict_text(v, est, min_forks):
    if v == verdicts.NOT_SUITABLE:
        if est.forks < min_forks:
            return f"not suitable ({est.forks} fork{'s' if est.forks != 1 else ''}; needs {min_forks})"
        return "not suitable (no interval)"
    return f"**{v}**" if v in (verdicts.MET, verdicts.MISSED) else v


def params_text(params):
    return ", ".join(f"{k}={v}" for k, v in sorted(params.items()))


# ------------------------------------------------------------------------------------------ blocks

class Page:
    def __init__(self, inputs, runs, svg_dir, svg_prefix):
        self.inputs = inputs
        self.runs = runs
        self.confidence = inputs.get("confidence", 0.999)
        self.min_forks = inputs.get("minForks", 3)
        self.svg_dir = svg_dir
        self.svg_prefix = svg_prefix
        self.svgs = {}
        self.lines = []

    def out(self, text=""):
        self.lines.append(text)

    def block(self, block):
        kind = block["kind"]
        getattr(self, "block_" + kind)(block)

    def block_markdown(self, block):
        if "file" in block:
            with open(_abs(block["file"])) as f:
                self.out(f.read().rstrip("\n"))
        else:
            self.out(block["text"].rstrip("\n"))
        self.out()

    def block_runs(self, block):
        self.out("| run | when | forks × iterations | JVM | machine | command |")
        self.out("|---|---|---|---|---|---|")
        for run_id in block["runs"]:
            run = self.runs[run_id]
            spec = run.spec
            if run.empty:
                self.out(f"| {run.label} | — | no results yet | | | {spec.get('missing', '')} |")
                continue
            first = next(iter(run.results.values())).meta
            forks = run.min_forks()
            shape = (f"{forks} × {first.get('measurementIterations')} × {first.get('measurementTime')}"
                     f" (warm-up {first.get('warmupIterations')} × {first.get('warmupTime')})")
            if forks < self.min_forks:
                shape += f"; **not suitable for verdicts** (fewer than {self.min_forks} forks)"
            jvm = f"{first.get('vmName', '')} {first.get('jdkVersion', '')}".strip()
            when = run.info.get("started") or spec.get("date", "")
            machine = spec.get("machine", "")
            info_machine = run.info.get("machine")
            if info_machine:
                machine = (f"{info_machine.get('cpus')} CPUs ({info_machine.get('cpuModel')}), "
                           f"{info_machine.get('memoryGiB')} GiB, {info_machine.get('os')}, load "
                           f"{info_machine.get('loadAverageBefore')} → {info_machine.get('loadAverageAfter')}")
                if run.info.get("wallSeconds"):
                    when += f", {run.info['wallSeconds'] // 60} min wall"
            command = spec.get("command")
            if not command and run.info.get("commands"):
                command = "<br>".join(run.info["commands"])
            if run.info.get("commit"):
                when += f", commit `{run.info['commit'][:10]}`" + (" + uncommitted changes" if run.info.get("uncommittedChanges") else "")
            self.out(f"| {run.label} | {when} | {shape} | {jvm} | {machine} | {_code(command)} |")
        self.out()

    def block_scores(self, block):
        run = self.runs[block["run"]]
        if run.empty:
            self.out(f"*{run.label}: no results yet.*")
            self.out()
            return
        rows = run.select(block.get("select", {}))
        percentiles = any(p.histograms for p in rows)
        gc = any("gc.alloc.rate.norm" in p.secondary for p in rows)
        header = ["benchmark", "params", "mode", "threads", "score (99.9 % CI)", "unit", "forks × samples"]
        if percentiles:
            header += list(PERCENTILES)
        if gc:
            header += ["B/op"]
        self.out("| " + " | ".join(header) + " |")
        self.out("|" + "|".join("---" if i < 4 else "---:" for i in range(len(header))) + "|")
        for p in rows:
            est, unit = p.stat("score", self.confidence)
            cells = [f"`{p.short}`", params_text(p.params), p.mode, str(p.threads), est_text(est), unit,
                     f"{est.forks} × {est.samples // max(est.forks, 1)}"]
            if percentiles:
                for name in PERCENTILES:
                    cells.append(num(p.stat(name, self.confidence)[0].point) if p.histograms else "")
            if gc:
                cells.append(est_text(p.stat("gc.alloc.rate.norm", self.confidence)[0])
                             if "gc.alloc.rate.norm" in p.secondary else "")
            self.out("| " + " | ".join(cells) + " |")
        self.out()

    def block_counters(self, block):
        run = self.runs[block["run"]]
        if not run.counters:
            self.out(f"*{run.label}: no Redis command counters recorded.*")
            self.out()
            return
        groups = {}
        for c in run.counters:
            key = (c["benchmark"].split(".")[-2], c["subject"], c["mode"], c["threads"])
            g = groups.setdefault(key, {"calls": 0, "reads": 0, "commands": 0, "by": {}, "read": c["remoteReadCommand"],
                                        "owned": c.get("redisOwned", True)})
            g["calls"] += c["calls"]
            g["reads"] += c["remoteReads"]
            g["commands"] += c["redisCommands"]
            for name, n in c["commands"].items():
                g["by"][name] = g["by"].get(name, 0) + n
        self.out("| class | subject | mode | threads | calls | Redis commands per call | local hit ratio | commands (per 1,000 calls) |")
        self.out("|---|---|---|---:|---:|---:|---:|---|")
        for (cls, subject, mode, threads), g in sorted(groups.items()):
            calls = max(g["calls"], 1)
            hit = max(0.0, 1.0 - g["reads"] / calls)  # a subject without a local tier may read a little more
            by = ", ".join(f"{name} {num(1000 * n / calls)}" for name, n in
                           sorted(g["by"].items(), key=lambda kv: -kv[1]))
            owned = "" if g["owned"] else " (shared server)"
            self.out(f"| `{cls}` | {subject}{owned} | {mode} | {threads} | {g['calls']:,} | "
                     f"{num(g['commands'] / calls)} | {num(hit)} | {by or '—'} |")
        self.out()

    def block_goal(self, block):
        op, bar = block["op"], block["bar"]
        title = block["title"]
        self.out(f"**Goal: {title}** (bar: {op} {num(bar)})")
        self.out()
        ratio_goal = any("b" in row for row in block["rows"])
        if ratio_goal:
            self.out("| case | A | B | A / B (point) | interval | verdict |")
            self.out("|---|---:|---:|---:|---|---|")
        else:
            self.out("| case | value | interval | verdict |")
            self.out("|---|---:|---|---|")
        for row in block["rows"]:
            run_id = row.get("run", block.get("run"))
            try:
                a, unit_a, _ = quantity(self.runs, run_id, row["a"], self.confidence)
                if "b" in row:
                    b, unit_b, _ = quantity(self.runs, run_id, row["b"], self.confidence)
                    r = verdicts.ratio(a, b)
                    v = verdicts.verdict(r, op, bar, self.min_forks)
                    self.out(f"| {row['label']} | {est_text(a)} {unit_a} | {est_text(b)} {unit_b} | "
                             f"{num(r.point)} | {interval_text(r)} | {verdict_text(v, r, self.min_forks)} |")
                else:
                    v = verdicts.verdict(a, op, bar, self.min_forks)
                    self.out(f"| {row['label']} | {est_text(a)} {unit_a} | {interval_text(a)} | "
                             f"{verdict_text(v, a, self.min_forks)} |")
            except Missing as e:
                cells = 4 if ratio_goal else 2
                self.out(f"| {row['label']} | " + " | ".join(["—"] * cells) + f" | not measured ({e}) |")
        self.out()
        if block.get("note"):
            self.out(block["note"])
            self.out()

    def block_chart(self, block):
        run = self.runs[block["run"]]
        if run.empty:
            return
        rows = run.select(block.get("select", {}))
        rows = [p for p in rows
                if not any(p.params.get(k) in values for k, values in (block.get("exclude") or {}).items())]
        if not rows:
            return
        name = block["name"]
        keys = []  # one colour per subject (label parameter value), whatever the thread count

        def colour(p):
            key = p.params.get(label_param) if label_param else p.short
            if block.get("labelPrefix"):
                key = "".join(prefix for pattern, prefix in block["labelPrefix"].items()
                              if re.search(pattern, p.benchmark)) + str(key)
            if key not in keys:
                keys.append(key)
            return keys.index(key)
        label_param = block.get("labelParam")

        def label(p):
            text = p.params.get(label_param) if label_param else p.benchmark.split(".")[-1]
            if block.get("labelPrefix"):
                for pattern, prefix in block["labelPrefix"].items():
                    if re.search(pattern, p.benchmark):
                        text = prefix + text
            return f"{text} · {p.threads} thread{'s' if p.threads != 1 else ''}" if block.get("threads") else text

        if block["type"] == "bars":
            data = []
            for p in rows:
                est, unit = p.stat(block.get("stat", "score"), self.confidence)
                scale = block.get("scale", 1)
                data.append((label(p), est.point * scale, (est.low * scale, est.high * scale)
                             if est.has_interval() else None, colour(p)))
            svg = bar_chart(block["title"], data, block.get("unit") or unit)
        else:
            series = []
            for p in rows:
                if not p.histograms:
                    continue
                series.append((label(p), [(k, p.stat(k, self.confidence)[0].point) for k in PERCENTILES]))
            svg = percentile_chart(block["title"], series, rows[0].unit)
        self.svgs[name + ".svg"] = svg
        self.out(f"![{block['title']}]({self.svg_prefix}{name}.svg)")
        self.out()

    def section(self, section):
        self.out("#" * section.get("level", 2) + " " + section["title"])
        self.out()
        for block in section["blocks"]:
            self.block(block)


def _code(text):
    if not text:
        return ""
    return "<code>" + html.escape(text).replace("|", "&#124;").replace("&lt;br&gt;", "</code><br><code>") + "</code>"


# -------------------------------------------------------------------------------------------- SVG

PALETTE = ["#4e79a7", "#f28e2b", "#e15759", "#76b7b2", "#59a14f", "#edc948", "#b07aa1", "#ff9da7",
           "#9c755f", "#bab0ac"]


def _svg(width, height, body, title):
    return (f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
            f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">\n'
            f'<title>{html.escape(title)}</title>\n<rect width="100%" height="100%" fill="white"/>\n'
            f'<text x="10" y="20" font-size="14" font-weight="bold">{html.escape(title)}</text>\n'
            + body + "</svg>\n")


def bar_chart(title, data, unit):
    """Horizontal bars with their confidence intervals as whiskers.
    data: (label, value, (low, high) or None, colour index)."""
    left, right, top, bar_h, gap = 230, 90, 40, 18, 8
    width = 760
    height = top + len(data) * (bar_h + gap) + 40
    top_value = _nice_ceiling(max([max(v, iv[1] if iv else v) for _, v, iv, _ in data] + [1e-12]))
    plot_w = width - left - right
    scale = plot_w / top_value
    body = []
    for i, (lab, value, iv, colour) in enumerate(data):
        y = top + i * (bar_h + gap)
        w = max(value, 0) * scale
        body.append(f'<text x="{left - 6}" y="{y + bar_h - 5}" text-anchor="end">{html.escape(lab)}</text>')
        body.append(f'<rect x="{left}" y="{y}" width="{w:.1f}" height="{bar_h}" fill="{PALETTE[colour % len(PALETTE)]}"/>')
        if iv:
            lo, hi = max(iv[0], 0) * scale + left, iv[1] * scale + left
            mid = y + bar_h / 2
            body.append(f'<line x1="{lo:.1f}" y1="{mid}" x2="{hi:.1f}" y2="{mid}" stroke="black"/>')
            body.append(f'<line x1="{lo:.1f}" y1="{mid - 5}" x2="{lo:.1f}" y2="{mid + 5}" stroke="black"/>')
            body.append(f'<line x1="{hi:.1f}" y1="{mid - 5}" x2="{hi:.1f}" y2="{mid + 5}" stroke="black"/>')
        end = max(w, (iv[1] * scale) if iv else 0)
        body.append(f'<text x="{left + end + 4:.1f}" y="{y + 12}" font-size="10" fill="#333">{num(value)}</text>')
    axis_y = top + len(data) * (bar_h + gap) + 4
    body.append(f'<line x1="{left}" y1="{axis_y}" x2="{left + plot_w}" y2="{axis_y}" stroke="#999"/>')
    for k in range(5):
        v = top_value * k / 4
        x = left + v * scale
        body.append(f'<text x="{x:.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="10">{num(v)}</text>')
    body.append(f'<text x="{left + plot_w / 2}" y="{axis_y + 30}" text-anchor="middle">{html.escape(unit)} '
                f'(whiskers: 99.9 % confidence interval)</text>')
    return _svg(width, height, "\n".join(body) + "\n", title)


def _nice_ceiling(x):
    """The smallest of 1, 2, 2.5, 5 or 10 times a power of ten that is at least x."""
    power = 10 ** math.floor(math.log10(x))
    for step in (1, 2, 2.5, 5, 10):
        if step * power >= x:
            return step * power
    return 10 * power


def percentile_chart(title, series, unit):
    """Latency percentiles per subject on a logarithmic axis. series: (label, [(name, value), ...])."""
    left, right, top, row_h = 230, 30, 60, 22
    width = 760
    height = top + len(series) * row_h + 50
    values = [v for _, pts in series for _, v in pts if v and v > 0]
    if not values:
        return _svg(width, 80, "", title + " (no data)")
    lo = 10 ** math.floor(math.log10(min(values)))
    hi = 10 ** math.ceil(math.log10(max(values)))
    if hi <= lo:
        hi = lo * 10
    plot_w = width - left - right

    def x(v):
        return left + (math.log10(v) - math.log10(lo)) / (math.log10(hi) - math.log10(lo)) * plot_w

    body = []
    names = list(PERCENTILES)
    for k, name in enumerate(names):
        body.append(f'<circle cx="{left + k * 90 + 6}" cy="36" r="5" fill="{PALETTE[k]}"/>'
                    f'<text x="{left + k * 90 + 14}" y="40">{name}</text>')
    decade = lo
    axis_y = top + len(series) * row_h + 4
    while decade <= hi * 1.0001:
        body.append(f'<line x1="{x(decade):.1f}" y1="{top - 8}" x2="{x(decade):.1f}" y2="{axis_y}" stroke="#ddd"/>')
        body.append(f'<text x="{x(decade):.1f}" y="{axis_y + 14}" text-anchor="middle" font-size="10">{num(decade)}</text>')
        decade *= 10
    for i, (lab, pts) in enumerate(series):
        y = top + i * row_h + row_h / 2
        body.append(f'<text x="{left - 6}" y="{y + 4}" text-anchor="end">{html.escape(lab)}</text>')
        xs = [x(v) for _, v in pts if v and v > 0]
        if xs:
            body.append(f'<line x1="{min(xs):.1f}" y1="{y}" x2="{max(xs):.1f}" y2="{y}" stroke="#888"/>')
        for k, (name, v) in enumerate(pts):
            if v and v > 0:
                body.append(f'<circle cx="{x(v):.1f}" cy="{y}" r="5" fill="{PALETTE[names.index(name)]}">'
                            f'<title>{html.escape(lab)} {name}: {num(v)} {html.escape(unit)}</title></circle>')
    body.append(f'<text x="{left + plot_w / 2}" y="{axis_y + 30}" text-anchor="middle">'
                f'{html.escape(unit)} (logarithmic)</text>')
    return _svg(width, height, "\n".join(body) + "\n", title)


# ------------------------------------------------------------------------------------------- main

def load_inputs(path, overrides):
    with open(path) as f:
        inputs = json.load(f)
    for override in overrides:
        run_id, _, directory = override.partition("=")
        if run_id not in inputs["runs"]:
            raise SystemExit(f"--set-run: no run {run_id!r} in {path}")
        inputs["runs"][run_id] = dict(inputs["runs"][run_id], dir=directory, files=[])
    return inputs


def render(inputs, svg_prefix, only_latest=False):
    runs = {run_id: Run(run_id, spec) for run_id, spec in inputs["runs"].items()}
    page = Page(inputs, runs, None, svg_prefix)
    page.out("# " + inputs.get("title", "Benchmarks"))
    page.out()
    page.out("<!-- Generated by benchmarks/report/generate.py from benchmarks/report/inputs.json: "
             "edit those, not this page. -->")
    page.out()
    for section in inputs["sections"]:
        if only_latest and not section.get("latestRun"):
            continue
        page.section(section)
    text = "\n".join(page.lines).rstrip("\n") + "\n"
    text = re.sub(r"\n{3,}", "\n\n", text)
    return text, page.svgs


def main(argv=None):
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--inputs", default=os.path.join(ROOT, "benchmarks", "report", "inputs.json"))
    parser.add_argument("--out", default=os.path.join(ROOT, "docs", "benchmarks.md"))
    parser.add_argument("--set-run", action="append", default=[], metavar="ID=DIR",
                        help="read run ID from the run directory DIR (as benchmarks/run.sh writes it)")
    parser.add_argument("--single-run", metavar="DIR",
                        help="render only the sections marked latestRun, with their run read from DIR")
    parser.add_argument("--check", action="store_true", help="fail if --out is not what would be generated")
    args = parser.parse_args(argv)

    overrides = list(args.set_run)
    inputs = load_inputs(args.inputs, [])
    if args.single_run:
        latest = inputs.get("latestRun", "latest")
        overrides.append(f"{latest}={os.path.abspath(args.single_run)}")
    inputs = load_inputs(args.inputs, overrides)

    out = os.path.abspath(args.out)
    svg_dir_name = os.path.splitext(os.path.basename(out))[0] if not args.single_run else "charts"
    svg_dir = os.path.join(os.path.dirname(out), svg_dir_name)
    text, svgs = render(inputs, svg_dir_name + "/", only_latest=bool(args.single_run))

    if args.check:
        stale = []
        if not os.path.exists(out) or open(out).read() != text:
            stale.append(out)
        for name, svg in svgs.items():
            path = os.path.join(svg_dir, name)
            if not os.path.exists(path) or open(path).read() != svg:
                stale.append(path)
        if stale:
            print("out of date (run benchmarks/report/generate.py): " + ", ".join(stale), file=sys.stderr)
            return 1
        return 0

    os.makedirs(svg_dir, exist_ok=True)
    for name, svg in svgs.items():
        _write(os.path.join(svg_dir, name), svg)
    _write(out, text)
    print(f"wrote {out} and {len(svgs)} chart(s) in {svg_dir}")
    return 0


def _write(path, text):
    fd, tmp = tempfile.mkstemp(dir=os.path.dirname(path))
    with os.fdopen(fd, "w") as f:
        f.write(text)
    os.replace(tmp, path)


if __name__ == "__main__":
    sys.exit(main())
