#!/usr/bin/env bash
# Runs FernetBenchmark and FernetThreadsBenchmark as many one-fork JMH invocations, interleaving the
# implementations and rotating their order on every repetition, so that a change in background load on
# a shared machine hits every implementation alike instead of whichever JMH happens to run last.
# Three repetitions give three forks per benchmark; the report generator pools them (list the files
# as one run in benchmarks/report/inputs.json, as "fernet-interleaved" does).
#
# Usage (repository root; needs JDK 21+ for FernetThreadsBenchmark):
#   JAVA_HOME=/path/to/jdk21+ benchmarks/run.sh check   # or any profile: builds benchmarks/target/benchmarks.jar
#   benchmarks/run-interleaved.sh benchmarks/results/interleaved
#   python3 benchmarks/report/generate.py
set -euo pipefail
out=${1:-benchmarks/results/interleaved}
java=${JAVA:-${JAVA_HOME:+$JAVA_HOME/bin/}java}
jar=benchmarks/target/benchmarks.jar
mkdir -p "$out"

run() { # name regex params...
  local name=$1 regex=$2; shift 2
  while true; do
    if "$java" -jar "$jar" "$regex" "$@" -f 1 -wi 3 -w 1s -i 5 -r 1s -rf json -rff "$out/$name.json" \
        > "$out/$name.txt" 2>&1; then
      return 0
    fi
    if grep -q "Unable to acquire the JMH lock" "$out/$name.txt"; then
      sleep 15 # another benchmark is running on this machine: wait for it
    else
      cat "$out/$name.txt" >&2
      return 1
    fi
  done
}

impls=(cachet floor fernetJava8)
threads=("cachet platform" "threadLocalJce platform" "cachet virtual" "threadLocalJce virtual")
for rep in 1 2 3; do
  for size in 100 1024 10240 102400; do
    for op in Encrypt Decrypt; do
      for i in 0 1 2; do
        impl=${impls[$(( (i + rep - 1) % 3 ))]}
        run "rep$rep-$impl$op-$size" "FernetBenchmark.$impl$op\$" -p size=$size
      done
    done
  done
  for i in 0 1 2 3; do
    set -- ${threads[$(( (i + rep - 1) % 4 ))]}
    run "rep$rep-threads-$1-$2" "FernetThreadsBenchmark" -p impl=$1 -p threads=$2
  done
done
