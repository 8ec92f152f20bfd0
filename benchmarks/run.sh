#!/usr/bin/env bash
# The benchmark suite in one command. From anywhere in the checkout:
#
#   benchmarks/run.sh smoke      # 10 to 15 minutes on 2 cores: before/after comparisons (1 fork)
#   benchmarks/run.sh thorough   # 3 forks of everything, about 1.5 hours on 2 cores: verdicts
#   benchmarks/run.sh check      # seconds per benchmark: proves the wiring only, never quote its figures
#
# Options: --out DIR (default benchmarks/results/runs/<profile>-<UTC time>), --no-build, --only GROUPS
# (comma-separated group names, e.g. --only tiered-hit,redis-tier: run just those; the groups are the names
# of the result files below), and after "--" extra JMH options appended to every JMH call (for example
# -- -jvmArgsAppend -XX:+UseParallelGC).
# Environment: JAVA_HOME (any JDK 17+; on 21+ the virtual-thread benchmark is built and run too),
# MVN_ARGS (extra Maven options, e.g. -o), CACHET_BENCH_REDIS_URL / CACHET_BENCH_ALLOW_REMOTE_REDIS
# (see below).
#
# It builds the library of this checkout and the suite against it in one Maven reactor
# (benchmarks/reactor.xml: nothing is installed into or read from ~/.m2 for dev.cachet:cachet), builds the
# peers project (benchmarks/peers), then runs JMH. Each benchmark starts and stops its own redis-server
# (from PATH) on a free loopback port; CACHET_BENCH_REDIS_URL=redis://host:port points them at an existing
# server instead, which must be on a loopback address unless CACHET_BENCH_ALLOW_REMOTE_REDIS=true.
# Results: one JMH JSON and text file per group, zipf-counters.jsonl (Redis commands per call, local hit
# ratio) and run.json (machine, JVM, commit, exact commands, wall time) in the output directory; add the
# directory to benchmarks/report/inputs.json and run python3 benchmarks/report/generate.py to put it in
# docs/benchmarks.md. The directory also gets a standalone report.md of this run alone.
set -euo pipefail

here=$(cd "$(dirname "${BASH_SOURCE[0]}")" && pwd)
root=$(cd "$here/.." && pwd)
profile=${1:-}
case "$profile" in
  check | smoke | thorough) shift ;;
  *)
    echo "usage: benchmarks/run.sh check|smoke|thorough [--out DIR] [--no-build] [--only GROUPS] [-- JMH options]" >&2
    exit 2
    ;;
esac
out=""
build=true
only=""
extra=()
while [ $# -gt 0 ]; do
  case "$1" in
    --out) out=$2; shift 2 ;;
    --no-build) build=false; shift ;;
    --only) only=",$2,"; shift 2 ;;
    --) shift; extra=("$@"); break ;;
    *) echo "unknown option $1" >&2; exit 2 ;;
  esac
done
stamp=$(date -u +%Y%m%dT%H%M%SZ)
out=${out:-$root/benchmarks/results/runs/$profile-$stamp}
mkdir -p "$out"
out=$(cd "$out" && pwd)

java=${JAVA_HOME:+$JAVA_HOME/bin/}java
feature=$("$java" -XshowSettings:properties -version 2>&1 | sed -n 's/^ *java.specification.version = //p')
if [ "${feature%%.*}" -lt 17 ]; then
  echo "Java $feature found ($java): the suite needs 17 or newer (set JAVA_HOME)" >&2
  exit 1
fi

# Redis: the benchmarks start their own unless told otherwise; refuse a non-loopback one early.
if [ -n "${CACHET_BENCH_REDIS_URL:-}" ]; then
  host=$(printf '%s' "$CACHET_BENCH_REDIS_URL" | sed -E 's#^redis://([^/:]+|\[[^]]+\])(:[0-9]+)?/?$#\1#')
  case "$host" in
    localhost | 127.* | "[::1]") ;;
    *)
      if [ "${CACHET_BENCH_ALLOW_REMOTE_REDIS:-}" != "true" ]; then
        echo "refusing non-loopback CACHET_BENCH_REDIS_URL host '$host': set CACHET_BENCH_ALLOW_REMOTE_REDIS=true if meant" >&2
        exit 1
      fi
      ;;
  esac
elif ! command -v redis-server > /dev/null; then
  echo "redis-server is not on PATH (the benchmarks start their own on loopback)" >&2
  exit 1
fi

if $build; then
  # shellcheck disable=SC2086
  (cd "$root" && JAVA_HOME=${JAVA_HOME:-} mvn -B -q ${MVN_ARGS:-} -f benchmarks/reactor.xml -DskipTests package)
  # shellcheck disable=SC2086
  (cd "$root" && JAVA_HOME=${JAVA_HOME:-} mvn -B -q ${MVN_ARGS:-} -f benchmarks/peers/pom.xml package)
fi
suite=$root/benchmarks/target/benchmarks.jar
peers=$root/benchmarks/peers/target/peers.jar

case "$profile" in
  check) common=(-f 1 -wi 1 -w 1s -i 1 -r 1s) ;;
  smoke) common=(-f 1 -wi 2 -w 1s -i 3 -r 2s) ;;
  thorough) common=(-f 3 -wi 3 -w 2s -i 5 -r 2s) ;;
esac

commands=()
run_started=$(date -u +%Y-%m-%dT%H:%M:%SZ)
load_before=$(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo unknown)
SECONDS=0

jmh() { # name jar args...: one JMH call, its JSON and text output named after the group
  local name=$1 jar=$2; shift 2
  if [ -n "$only" ] && [[ "$only" != *",$name,"* ]]; then
    return 0
  fi
  local cmd=("$java" "-Dcachet.bench.counters=$out/zipf-counters.jsonl" -jar "$jar" "$@" "${common[@]}"
    -rf json -rff "$out/$name.json" ${extra[@]+"${extra[@]}"})
  commands+=("$(printf '%q ' "${cmd[@]}")")
  echo "== $name: ${cmd[*]}"
  while true; do
    if "${cmd[@]}" > "$out/$name.txt" 2>&1; then
      break
    fi
    if grep -q "Unable to acquire the JMH lock" "$out/$name.txt"; then
      sleep 15 # another JMH run holds the machine-wide lock: wait for it rather than overlap
    else
      tail -40 "$out/$name.txt" >&2
      echo "JMH failed for $name (full output: $out/$name.txt)" >&2
      return 1
    fi
  done
  if grep -q "<failure>" "$out/$name.txt"; then
    echo "warning: a benchmark of $name failed; see $out/$name.txt" >&2
  fi
}

jmh tiered-hit "$suite" 'TieredHitBenchmark' -prof gc
jmh redis-tier "$suite" 'RedisTierBenchmark'
jmh counters "$suite" 'CounterBenchmark'
jmh zipf "$suite" 'TieredZipfBenchmark'
jmh peers-zipf "$peers" 'PeersZipfBenchmark'
jmh payload-format "$suite" 'PayloadFormatBenchmark'
if [ "$profile" = thorough ]; then
  jmh fernet "$suite" 'FernetBenchmark'
  jmh metrics-overhead "$suite" 'MetricsOverheadBenchmark' -prof gc
  if [ "${feature%%.*}" -ge 21 ]; then
    jmh fernet-threads "$suite" 'FernetThreadsBenchmark'
  fi
else
  jmh fernet "$suite" 'FernetBenchmark' -p size=1024
fi

wall=$SECONDS
load_after=$(cut -d' ' -f1-3 /proc/loadavg 2> /dev/null || echo unknown)
printf '%s\n' "${commands[@]}" > "$out/commands.txt"
# recorded files name paths relative to the checkout, never this machine's directories
find "$out" -maxdepth 1 -type f \( -name '*.json' -o -name '*.txt' \) -exec sed -i "s#$root/##g" {} +
RUN_PROFILE=$profile${only:+ (only ${only:1:${#only}-2})} RUN_STARTED=$run_started RUN_WALL=$wall RUN_LOAD_BEFORE=$load_before \
RUN_LOAD_AFTER=$load_after RUN_JAVA="$("$java" -version 2>&1 | tr '\n' ' ')" \
RUN_REDIS="$(if [ -n "${CACHET_BENCH_REDIS_URL:-}" ]; then echo "external server"; else redis-server --version; fi)" \
RUN_COMMIT="$(git -C "$root" rev-parse HEAD 2> /dev/null || echo unknown)" \
RUN_DIRTY="$(git -C "$root" status --porcelain --untracked-files=no 2> /dev/null | head -1)" \
  python3 - "$out" << 'PY'
import json, os, platform, sys
out = sys.argv[1]
env = os.environ
cpu = "unknown"
try:
    for line in open("/proc/cpuinfo"):
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    mem = next(int(l.split()[1]) for l in open("/proc/meminfo") if l.startswith("MemTotal:"))
except OSError:
    mem = 0
run = {
    "profile": env["RUN_PROFILE"],
    "started": env["RUN_STARTED"],
    "wallSeconds": int(env["RUN_WALL"]),
    "commit": env["RUN_COMMIT"],
    "uncommittedChanges": bool(env["RUN_DIRTY"]),
    "machine": {
        "cpus": os.cpu_count(),
        "cpuModel": cpu,
        "memoryGiB": round(mem / 1048576, 1),
        "os": platform.system() + " " + platform.release(),
        "loadAverageBefore": env["RUN_LOAD_BEFORE"],
        "loadAverageAfter": env["RUN_LOAD_AFTER"],
    },
    "java": env["RUN_JAVA"].strip(),
    "redis": env["RUN_REDIS"].strip(),
    "commands": [c.strip() for c in open(os.path.join(out, "commands.txt")) if c.strip()],
}
with open(os.path.join(out, "run.json"), "w") as f:
    json.dump(run, f, indent=2)
PY
python3 "$root/benchmarks/report/generate.py" --single-run "$out" --out "$out/report.md"
echo "done in ${wall}s: $out (report: $out/report.md)"
