#!/usr/bin/env bash
# KDE and Gi* side by side with the Python peers, in one run, for BENCHMARKS.md.
# Usage: benches/analysis_peers.sh [--skip-slow]   (RUNS=K for repeats of the fast figures, default 5)
# Makes target/peers-venv (scikit-learn, KDEpy, numpy, scipy, esda, libpysal, pyproj) and target/bench-data.
set -euo pipefail
cd "$(dirname "$0")/.."
runs=${RUNS:-5}
cargo build --release --quiet
cargo build --release --quiet --example kde_workload
py=$(benches/peers/setup_venv.sh | tail -1)
echo "machine: $(nproc) cores, $(grep -m1 'model name' /proc/cpuinfo | cut -d: -f2 | xargs), $(date -u +%Y-%m-%dT%H:%MZ), commit $(git rev-parse --short HEAD)"
echo
echo "## Python peers"
"$py" benches/peers/kde_gistar_peers.py --n 100000,1000000 --repeats "$runs" "$@"
echo
echo "## hotspots (same points, same boxes; kernel time, then the process's peak RSS)"
ex=target/release/examples/kde_workload
for w in "kde 100000" "kde 1000000" "gistar 1000000" "gistar99 1000000"; do
  /usr/bin/time -f "  peak RSS %M KB" "$ex" $w "$runs" 2>&1
done
"$ex" check 100000 1
"$ex" check 1000000 1
