#!/usr/bin/env bash
# Whole-process timings of `hotspots backtest` for BENCHMARKS.md: 1M synthetic incidents over two years (28-day
# periods, 12 folds), the 8 methods of the speed goal and the default methods, 4 coverages; and the real data.
# Usage: benches/backtest_whole.sh   (RUNS=N for the runs per figure, default 3)
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data="$root/target/bench-data"
mkdir -p "$data"
cargo build --release --quiet
bin="$root/target/release/hotspots"
runs=${RUNS:-3}
eight="counts:1,counts:3,counts:12,decay:60d:6,kde:25:3,kde:250:3,prospective:400:8w,blend:3650d:300:0.1:6"

# median wall seconds, median CPU seconds (user + system) and the largest peak RSS of a command run $runs times
measure() {
  local times=() cpus=() rss=0
  for _ in $(seq "$runs"); do
    local out
    out=$( { /usr/bin/time -f '%e %U %S %M' "$@" >/dev/null; } 2>&1 | tail -1)
    read -r wall user sys r <<<"$out"
    times+=("$wall")
    cpus+=("$(echo "$user + $sys" | bc)")
    [ "$r" -gt "$rss" ] && rss=$r
  done
  local cpu
  cpu=$(printf '%s\n' "${cpus[@]}" | sort -n | awk '{a[NR]=$1} END {printf "%.2f", a[int((NR+1)/2)]}')
  printf '%s\n' "${times[@]}" | sort -n | awk -v rss="$rss" -v cpu="$cpu" \
    '{a[NR]=$1} END {printf "%.2f s (min %.2f, max %.2f) | %s s | %d MB", a[int((NR+1)/2)], a[1], a[NR], cpu, rss/1024}'
}

if [ ! -f "$data/bt-s1m.db" ]; then
  "$bin" synth --n 1000000 --seed 1 --days 730 --out "$data/synth-1m-730d.csv" >/dev/null
  "$bin" ingest --store "$data/bt-s1m.db" --rejects-dir "$data/rejects" "$data/synth-1m-730d.csv" >/dev/null
fi
if [ ! -f "$data/bt-dorset.db" ]; then
  "$bin" ingest --store "$data/bt-dorset.db" --rejects-dir "$data/rejects" fixtures/police-uk/*.csv >/dev/null
fi
if [ ! -f "$data/bt-chicago.db" ]; then
  "$bin" ingest --store "$data/bt-chicago.db" --rejects-dir "$data/rejects" fixtures/chicago/chicago-2017.csv.gz \
    --lon-col Longitude --lat-col Latitude --time-col Date --category-col "Primary Type" >/dev/null
fi

echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%d)"
echo "hotspots: $(git rev-parse --short HEAD), runs per figure: $runs (median)"
echo
echo "load average before: $(cut -d' ' -f1-3 /proc/loadavg)"
echo
echo "| command (whole process, loading the store included) | wall time | CPU time (user + sys) | peak RSS |"
echo "| --- | --- | --- | --- |"
echo "| \`info --load\` on the 1M store (loading alone) | $(measure "$bin" info --store "$data/bt-s1m.db" --load) |"
echo "| \`backtest --methods <8 methods>\` on 1M incidents: 12 folds x 8 methods x 4 coverages | $(measure "$bin" backtest --store "$data/bt-s1m.db" --methods "$eight") |"
echo "| \`backtest\` (the default methods) on 1M incidents | $(measure "$bin" backtest --store "$data/bt-s1m.db") |"
echo "| \`backtest\` on the 8 Dorset months (42,589 incidents) | $(measure "$bin" backtest --store "$data/bt-dorset.db") |"
echo "| \`backtest\` on Chicago 2017 (264,995 incidents) | $(measure "$bin" backtest --store "$data/bt-chicago.db") |"
