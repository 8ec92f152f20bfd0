#!/usr/bin/env bash
# Runs one benchmark from two builds of the suite (say, before and after a change) as one-fork JMH
# invocations that alternate between the builds and rotate their order on every repetition, so that a
# change in background load on a shared machine hits both builds alike. Each build's forks go to their
# own directory; list each directory as one run in benchmarks/report/inputs.json.
#
# Usage (repository root):
#   benchmarks/run-before-after.sh BEFORE_JAR AFTER_JAR OUT_DIR REPS 'JMH regex' [JMH options...]
# e.g. benchmarks/run-before-after.sh /tmp/before.jar benchmarks/target/benchmarks.jar \
#        benchmarks/results/tiered-hit-order 3 TieredHitBenchmark -p setup=caffeine,tiered -prof gc
# The before jar is built from an older commit with benchmarks/run.sh check (or its reactor).
set -euo pipefail
before=$1 after=$2 out=$3 reps=$4 regex=$5; shift 5
java=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/}java}
mkdir -p "$out/before" "$out/after"

run() { # label jar file
  local label=$1 jar=$2 file=$3; shift 3
  while true; do
    if "$java" -jar "$jar" "$regex" "$@" -f 1 -rf json -rff "$out/$label/$file.json" \
        > "$out/$label/$file.txt" 2>&1; then
      return 0
    fi
    if grep -q "Unable to acquire the JMH lock" "$out/$label/$file.txt"; then
      sleep 15
    else
      cat "$out/$label/$file.txt" >&2
      return 1
    fi
  done
}

for rep in $(seq 1 "$reps"); do
  if (( rep % 2 == 1 )); then order=(before after); else order=(after before); fi
  for label in "${order[@]}"; do
    jar=$before; [ "$label" = after ] && jar=$after
    run "$label" "$jar" "rep$rep" "$@"
  done
done
