#!/usr/bin/env bash
# National-scale timings for BENCHMARKS.md: 20 million synthetic incidents over England and Wales (3 years).
# Usage: benches/national.sh [DATA_DIR]   (default target/national-data; needs about 9 GB there: a 2.1 GB CSV, a
# 3.3 GB store holding the archived CSV, a 1.2 GB snapshot, and a month to append). Needs wrk (apt-get install wrk),
# curl and python3. N=... changes the size, DAYS and START the span (a one-month national store with the same
# density as the 20M one: N=570000 DAYS=31 START=2024-03-01 PARTS=serve); PARTS=load,cli,commands,kde,serve,append
# (the default: all) runs some parts only. Server lines give the server's CPU time (user + sys) beside the wall times.
# Prints markdown rows; the criterion figures come from
# `HOTSPOTS_NATIONAL_STORE=DATA_DIR/national.db cargo bench --bench national`.
set -euo pipefail
cd "$(dirname "$0")/.."
root=$(pwd)
data=${1:-$root/target/national-data}
n=${N:-20000000}
days=${DAYS:-1096}
start=${START:-2022-01-01}
mkdir -p "$data"
cargo build --release --quiet --bin hotspots
bin="${CARGO_TARGET_DIR:-$root/target}/release/hotspots"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk; }
csv="$data/national.csv"
store="$data/national.db"
dorset="--bbox=-2.96,50.51,-1.68,51.08"
month="--from 2024-03 --to 2024-04"
parts=${PARTS:-load,cli,commands,kde,serve,append}
part() { [[ ",$parts," == *",$1,"* ]]; }
# Times a command; a command that fails says so (its last message and exit code) instead of passing for a time.
timed() {
  local out
  if out=$(/usr/bin/time -f "%e s wall, %U s user, %S s sys, %M KB peak RSS" "$@" 2>&1 >/dev/null); then
    echo "$out" | tail -1
  else
    echo "FAILED: $(echo "$out" | tail -3 | tr '\n' ' ')"
  fi
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ), load $(cut -d' ' -f1-3 /proc/loadavg)"
if [ ! -f "$csv" ]; then
  echo "| synth $n national rows | $(timed "$bin" synth --n "$n" --seed 1 --extent england-wales --hotspots 400 --days "$days" --start "$start" --out "$csv") |"
fi
python3 -c "import json; t = json.load(open('$csv.truth.json')); print('| distinct map points used |', t['map_points_used'], 'of', t['map_points'], '|')"
if [ ! -f "$store" ]; then
  echo "| ingest $n rows ($(du -h "$csv" | cut -f1) CSV) | $(timed "$bin" ingest --store "$store" "$csv") |"
fi
echo "| store on disk | $(du -h "$store" | cut -f1) (incl. the archived CSV), snapshot $(du -h "$store.snap" | cut -f1) |"
if part load; then for i in 1 2 3; do
  load=$("$bin" info --store "$store" --load --json | python3 -c 'import json, sys; d = json.load(sys.stdin)["load"]; print("%.3f s in process, %.1f bytes/incident" % (d["seconds"], d["column_bytes_per_incident"]))')
  echo "| info --load (snapshot), run $i | $load; whole process $(timed "$bin" info --store "$store" --load) |"
done; fi
if part cli; then
# The first find makes the method choice and keeps it beside the store (STORE.derived.json); the next ones read it.
rm -f "$store.derived.json"
for cmd in find density; do
  for i in 1 2 3; do
    what="run $i"
    [ "$cmd" = find ] && [ $i = 1 ] && what="run 1 (makes and keeps the method choice)"
    echo "| $cmd $month $dorset, $what | $(timed "$bin" $cmd --store "$store" $month $dorset) |"
  done
done
echo "| find $month $dorset --method kde (no method choice) | $(timed "$bin" find --store "$store" $month $dorset --method kde) |"
echo "| find $month (all of England and Wales) | $(timed "$bin" find --store "$store" $month) |"; fi
# The other commands that take a window and a box, on the same county month.
if part commands; then
  for cmd in "gistar" "hex" "when" "nearrepeat" \
    "compare --before 2024-02-01..2024-03-01 --after 2024-03-01..2024-04-01" "emerging --from 2023-04 --to 2024-04"; do
    window=$month
    case $cmd in compare*|emerging*) window="" ;; esac
    echo "| $cmd $window $dorset | $(timed "$bin" $cmd --store "$store" $window $dorset) |"
  done
fi
if part kde; then
  echo "| density --cell-m 200 (all 20M incidents, exact KDE) | $(timed "$bin" density --store "$store" --cell-m 200) |"
fi

# The server: time until /health answers, memory, uncached and cached tiles.
if part serve; then
port=18090
base="http://127.0.0.1:$port"
t0=$(date +%s.%N)
"$bin" serve --store "$store" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
server=$!
trap 'kill $server 2>/dev/null || true' EXIT
until curl -sf "$base/health" >/dev/null; do sleep 0.01; done
t1=$(date +%s.%N)
echo "| serve: until /health answers | $(echo "$t1 - $t0" | bc) s; RSS $(ps -o rss= -p $server) KB |"
q="from=2024-03&to=2024-04"
t0=$(date +%s.%N); code=$(curl -s -o /dev/null -w "%{http_code}" "$base/api/hotspots?$q&top=1"); t1=$(date +%s.%N)
echo "| serve: first /api/hotspots of the month (all of England and Wales, predict's analysis) | $(echo "$t1 - $t0" | bc) s, HTTP $code |"
# The density layer's analysis is another one (the automatic grid, not predict's patrol-scale cells): the first
# density tile of a window computes it and its bands; the tiles timed below then find it cached.
t0=$(date +%s.%N); curl -s -o /dev/null "$base/tiles/density/8/0/0.mvt?$q"; t1=$(date +%s.%N)
echo "| serve: first density tile of the month (computes its analysis and bands; an empty tile) | $(echo "$t1 - $t0" | bc) s |"
cpu() { awk '{print ($14 + $15) * 10}' "/proc/$server/stat"; } # the server's user + sys CPU, ms
tiles() { # z, then the box W S E N
  python3 -c "
import math, sys
z, w, s, e, n = int(sys.argv[1]), *map(float, sys.argv[2:])
def tile(lon, lat):
    k = 2 ** z
    return int((lon + 180) / 360 * k), int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * k)
x0, y0 = tile(w, n); x1, y1 = tile(e, s)
for x in range(x0, x1 + 1):
    for y in range(y0, y1 + 1):
        print(f'{z}/{x}/{y}')
" "$@"
}
: > "$data/urls.txt"
for spec in "8 -5.75 49.95 1.8 55.82" "11 -2.96 50.51 -1.68 51.08" "14 -2.02 50.69 -1.84 50.76"; do
  set -- $spec
  list=$(tiles $spec)
  for t in $list; do echo "/tiles/density/$t.mvt?$q"; done >> "$data/urls.txt"
  c0=$(cpu)
  echo "$list" | xargs -P 8 -I{} curl -s -o /dev/null -w "%{http_code} %{time_total}\n" "$base/tiles/density/{}.mvt?$q" \
    | python3 -c "
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
t = sorted(float(r[1]) * 1000 for r in rows)
bad = sum(1 for r in rows if r[0] not in ('200', '204'))
pct = lambda p: t[min(len(t) - 1, int(p / 100 * len(t)))]
print(f'| uncached density tiles z$1 ({len(t)} tiles, 8 at a time) | p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, max {t[-1]:.1f} ms, errors {bad}', end='')
"
  echo "; server CPU $(( $(cpu) - c0 )) ms; load $(cut -d' ' -f1 /proc/loadavg) |"
done
xargs -P 8 -I{} curl -s -o /dev/null "$base{}" < "$data/urls.txt"
c0=$(cpu)
res=$(wrk -t2 -c64 -d30s --latency -s benches/load/urls.lua "$base" -- "$data/urls.txt" | grep -E "^requests ")
echo "| cached density tiles, 64 connections, 30 s ($(wc -l < "$data/urls.txt") tiles) | $res; server CPU $(( $(cpu) - c0 )) ms; load $(cut -d' ' -f1 /proc/loadavg) |"
echo "| serve: RSS after the load test | $(ps -o rss= -p $server) KB |"
kill $server; trap - EXIT
fi

# Appending a month costs in proportion to the month.
if part append; then
m="$data/month.csv"
[ -f "$m" ] || "$bin" synth --n $((n / 36)) --seed 2 --extent england-wales --hotspots 400 --days 31 --start 2025-01-01 --out "$m" >/dev/null
rm -rf "$data/month-only.db"*
echo "| ingest one more month ($((n / 36)) rows) into an empty store | $(timed "$bin" ingest --store "$data/month-only.db" "$m") |"
echo "| ingest the same month into the $n store | $(timed "$bin" ingest --store "$store" "$m") |"
echo "| info --load after the append | $(timed "$bin" info --store "$store" --load) |"
rm -rf "$data/month-only.db"*
fi
