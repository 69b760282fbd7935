#!/usr/bin/env bash
# Load test of the map server on a store of 1M synthetic incidents, for BENCHMARKS.md.
# Usage: benches/load/run.sh   (needs wrk: apt-get install wrk; python3 for the tile list)
set -euo pipefail
cd "$(dirname "$0")/../.."
root=$(pwd)
data="$root/target/bench-data"
mkdir -p "$data"
cargo build --release --quiet
bin="$root/target/release/hotspots"
command -v wrk >/dev/null || { echo "installing wrk"; apt-get install -y -qq wrk; }
store="$data/load-1m.db"
if [ ! -f "$store" ]; then
  "$bin" synth --n 1000000 --seed 11 --out "$data/load-1m.csv" >/dev/null
  "$bin" ingest --store "$store" "$data/load-1m.csv" >/dev/null
fi
port=18088
base="http://127.0.0.1:$port"
q="from=2024-01&to=2025-01&cell_m=50&bandwidth_m=250"
start_server() {
  "$bin" serve --store "$store" --addr "127.0.0.1:$port" >/dev/null 2>&1 &
  server=$!
  trap 'kill $server 2>/dev/null || true' EXIT
  for _ in $(seq 100); do curl -sf "$base/health" >/dev/null && return; sleep 0.1; done
  echo "the server did not start" >&2; exit 1
}
# Tiles at zoom 13 and 14 covering the data.
tiles() {
  local z=$1
  curl -sf "$base/api/meta" | python3 -c "
import json, math, sys
w, s, e, n = json.load(sys.stdin)['bbox']
z = $z
def tile(lon, lat):
    k = 2 ** z
    x = int((lon + 180) / 360 * k)
    y = int((1 - math.log(math.tan(math.radians(lat)) + 1 / math.cos(math.radians(lat))) / math.pi) / 2 * k)
    return x, y
x0, y0 = tile(w, n); x1, y1 = tile(e, s)
for x in range(x0, x1 + 1):
    for y in range(y0, y1 + 1):
        print(f'{x}/{y}')
"
}
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), commit $(git rev-parse --short HEAD), $(date -u +%Y-%m-%dT%H:%MZ)"
start_server
curl -sf "$base/api/hotspots?$q&top=1" >/dev/null   # computes the analysis once
z13=$(tiles 13); z14=$(tiles 14)
echo "$(echo "$z13" | wc -l) tiles at z13, $(echo "$z14" | wc -l) at z14"

# Uncached tiles: each once, 8 at a time, latency per request.
uncached() {
  local layer=$1
  echo "$z13" | xargs -P 8 -I{} curl -s -o /dev/null -w "%{http_code} %{time_total}\n" "$base/tiles/$layer/13/{}.mvt?$q" \
    | python3 -c "
import sys
rows = [l.split() for l in sys.stdin if l.strip()]
t = sorted(float(r[1]) * 1000 for r in rows)
bad = sum(1 for r in rows if r[0] not in ('200', '204'))
pct = lambda p: t[min(len(t) - 1, int(p / 100 * len(t)))]
print(f'uncached $layer z13: {len(t)} tiles, p50 {pct(50):.1f} ms, p99 {pct(99):.1f} ms, max {t[-1]:.1f} ms, errors {bad}')
"
}
uncached density
uncached hotspots

# Cached tiles: every layer at z13 and z14 (now in the cache), 64 connections for 60 s.
: > "$data/load-urls.txt"
for layer in density hotspots hex gistar incidents; do
  for t in $z13; do echo "/tiles/$layer/13/$t.mvt?$q" >> "$data/load-urls.txt"; done
  for t in $z14; do echo "/tiles/$layer/14/$t.mvt?$q" >> "$data/load-urls.txt"; done
done
# Warm every URL once.
xargs -P 8 -I{} curl -s -o /dev/null "$base{}" < "$data/load-urls.txt"
for c in 8 16 64; do
  d=$([ "$c" = 64 ] && echo 60s || echo 30s)
  echo "cached, $(wc -l < "$data/load-urls.txt") tiles, $c connections, $d:"
  wrk -t2 -c"$c" -d"$d" --latency -s benches/load/urls.lua "$base" -- "$data/load-urls.txt" | grep -E "^requests |Non-2xx|Socket errors" || true
done
echo "server RSS: $(ps -o rss= -p $server) KB"
