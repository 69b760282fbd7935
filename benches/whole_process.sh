#!/usr/bin/env bash
# Whole-process timings for BENCHMARKS.md: synth, ingest, load, and pandas.read_csv on the same files in the same
# run. Usage: benches/whole_process.sh [--with-10m]
# Needs: a Rust toolchain, python3 (a venv with pandas is made in target/bench-venv).
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data="$root/target/bench-data"
mkdir -p "$data"
cargo build --release --quiet
bin="$root/target/release/hotspots"
venv="$root/target/bench-venv"
if [ ! -x "$venv/bin/python" ]; then
  python3 -m venv "$venv"
  "$venv/bin/pip" install --quiet pandas
fi
py="$venv/bin/python"
chicago="$root/fixtures/chicago/chicago-2017.csv.gz"
runs=${RUNS:-5}

# median wall seconds of a command run $runs times; the store is removed before each run
median() {
  local store=$1; shift
  local times=()
  for _ in $(seq "$runs"); do
    rm -rf "$store" "$store-journal" "$data/rejects"
    local t0 t1
    t0=$(date +%s.%N)
    "$@" >/dev/null
    t1=$(date +%s.%N)
    times+=("$(echo "$t1 - $t0" | bc)")
  done
  printf '%s\n' "${times[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.3f (min %.3f, max %.3f)", a[int((NR+1)/2)], a[1], a[NR]}'
}

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "hotspots: $(git rev-parse --short HEAD), runs per figure: $runs (median)"
echo
echo "| what | hotspots | pandas.read_csv |"
echo "| --- | --- | --- |"
echo "| synth 1M rows | $(median "$data/none" "$bin" synth --n 1000000 --seed 1 --out "$data/synth-1m.csv") | |"
pandas_chicago=$("$py" benches/peers/pandas_read_csv.py "$chicago" "$runs" --cell)
echo "| ingest Chicago 2017 (.csv.gz, 267,792 rows) | $(median "$data/chicago.db" "$bin" ingest --store "$data/chicago.db" --rejects-dir "$data/rejects" "$chicago") | $pandas_chicago |"
pandas_1m=$("$py" benches/peers/pandas_read_csv.py "$data/synth-1m.csv" "$runs" --cell)
echo "| ingest synthetic 1M rows (.csv, 104 MB) | $(median "$data/s1m.db" "$bin" ingest --store "$data/s1m.db" --rejects-dir "$data/rejects" "$data/synth-1m.csv") | $pandas_1m |"
rm -rf "$data/s1m.db"; "$bin" ingest --store "$data/s1m.db" "$data/synth-1m.csv" >/dev/null
load=$("$bin" info --store "$data/s1m.db" --load --json | "$py" -c '
import json, sys
d = json.load(sys.stdin)["load"]
print("%.3f s, %.1f bytes/incident of columns, %.2f MB interned" % (d["seconds"], d["column_bytes_per_incident"], d["interned_bytes"] / 1e6))')
echo "| load 1M-incident store into memory (in-process timing) | $load | |"
echo "| info --load on the 1M store, whole process | $(median "$data/none" "$bin" info --store "$data/s1m.db" --load) | |"
if [ "${1:-}" = "--with-10m" ]; then
  echo "| synth 10M rows | $(RUNS=1 median "$data/none" "$bin" synth --n 10000000 --seed 1 --out "$data/synth-10m.csv") | |"
  echo "| ingest synthetic 10M rows (.csv, 1.04 GB) | $(median "$data/s10m.db" "$bin" ingest --store "$data/s10m.db" --rejects-dir "$data/rejects" "$data/synth-10m.csv") | |"
  rm -f "$data/synth-10m.csv" "$data/synth-10m.csv.truth.json" "$data/s10m.db"
fi
