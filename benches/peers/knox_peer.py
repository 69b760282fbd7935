"""A numpy/scipy Knox test, the peer of `hotspots nearrepeat`, timed on the same Chicago incidents.

Usage (from anywhere; paths are found from this script's location):

    py=$(benches/peers/setup_venv.sh | tail -1)
    $py benches/peers/knox_peer.py [--category THEFT --category BURGLARY ...] [--space-bandwidth-m 100]
        [--space-bands 10] [--time-bandwidth-d 7] [--time-bands 10] [--iterations 999] [--seed 1]
        [--out target/bench-data/knox-peer.json]

Data: fixtures/chicago/chicago-2017.csv.gz, the rows of the given categories ("Primary Type") with both Latitude
and Longitude, projected to UTM 16N (EPSG:32616, pyproj, always_xy) as the engine projects them; times are the
Date column read as a naive clock time (the engine without --timezone), in whole seconds.

Method (the same definition as the engine, written independently): pairs closer than the largest spatial edge
from scipy's cKDTree.query_pairs (Euclidean), their spatial band by searchsorted on [a, b) edges with distance 0
its own band; each permutation shuffles the times (numpy Generator(PCG64(seed)).permutation), takes the pairs'
absolute time differences, their band by searchsorted, and counts cells with bincount. Expected = mean of the
permuted tables, p = (k + 1) / (iterations + 1). Prints the observed table (to compare with the engine's) and the
timings: pair search, and the permutations (total and per iteration).
"""

import argparse
import json
import os
import sys
import time

import numpy as np
import pandas as pd
from pyproj import Transformer
from scipy.spatial import cKDTree

HERE = os.path.dirname(os.path.abspath(__file__))
ROOT = os.path.abspath(os.path.join(HERE, "..", ".."))


def load(categories):
    df = pd.read_csv(
        os.path.join(ROOT, "fixtures", "chicago", "chicago-2017.csv.gz"),
        usecols=["Date", "Primary Type", "Latitude", "Longitude"],
    )
    df = df[df["Primary Type"].isin(categories)].dropna(subset=["Latitude", "Longitude"])
    tr = Transformer.from_crs("EPSG:4326", "EPSG:32616", always_xy=True)
    x, y = tr.transform(df["Longitude"].to_numpy(), df["Latitude"].to_numpy())
    t = pd.to_datetime(df["Date"], format="%m/%d/%Y %I:%M:%S %p")
    t_s = (t - pd.Timestamp("1970-01-01")).dt.total_seconds().to_numpy().astype(np.int64)
    return np.asarray(x), np.asarray(y), t_s


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--category", action="append")
    ap.add_argument("--space-bandwidth-m", type=float, default=100.0)
    ap.add_argument("--space-bands", type=int, default=10)
    ap.add_argument("--time-bandwidth-d", type=float, default=7.0)
    ap.add_argument("--time-bands", type=int, default=10)
    ap.add_argument("--iterations", type=int, default=999)
    ap.add_argument("--seed", type=int, default=1)
    ap.add_argument("--out", default=os.path.join(ROOT, "target", "bench-data", "knox-peer.json"))
    ap.add_argument("--write-points", help="also write x_m,y_m,t_days of the incidents here (for the R peer)")
    a = ap.parse_args()
    cats = a.category or ["THEFT", "BURGLARY", "MOTOR VEHICLE THEFT", "ROBBERY"]

    t0 = time.perf_counter()
    x, y, t_s = load(cats)
    n = len(x)
    t_load = time.perf_counter() - t0
    if a.write_points:
        pd.DataFrame({"x_m": x, "y_m": y, "t_days": t_s / 86400.0}).to_csv(a.write_points, index=False, float_format="%.17g")

    s_edges = np.arange(a.space_bands + 1) * a.space_bandwidth_m
    t_edges = (np.arange(a.time_bands + 1) * a.time_bandwidth_d * 86400).astype(np.int64)
    ns = a.space_bands + 1  # distance 0 is its own band
    nt = a.time_bands

    t0 = time.perf_counter()
    tree = cKDTree(np.column_stack([x, y]))
    # query_pairs keeps d <= r; the bands are [a, b), so drop d == max afterwards.
    pairs = tree.query_pairs(r=s_edges[-1], output_type="ndarray")
    i, j = pairs[:, 0], pairs[:, 1]
    d = np.hypot(x[j] - x[i], y[j] - y[i])
    keep = d < s_edges[-1]
    i, j, d = i[keep], j[keep], d[keep]
    # Band 0: d == 0; band k >= 1: (0, e1) for k = 1, [e_{k-1}, e_k) after.
    sband = np.where(d == 0, 0, np.searchsorted(s_edges, d, side="right")).astype(np.int64)
    i = i.astype(np.int64)
    j = j.astype(np.int64)
    t_pairs = time.perf_counter() - t0

    def table(times):
        dt = np.abs(times[i] - times[j])
        tband = np.searchsorted(t_edges, dt, side="right") - 1  # nt when beyond the last edge
        return np.bincount(sband * (nt + 1) + tband, minlength=ns * (nt + 1)).reshape(ns, nt + 1)[:, :nt]

    observed = table(t_s)
    rng = np.random.Generator(np.random.PCG64(a.seed))
    t0 = time.perf_counter()
    total = np.zeros((ns, nt))
    at_least = np.zeros((ns, nt), dtype=np.int64)
    for _ in range(a.iterations):
        tab = table(rng.permutation(t_s))
        total += tab
        at_least += tab >= observed
    t_perm = time.perf_counter() - t0
    expected = total / a.iterations
    p = (at_least + 1) / (a.iterations + 1)

    res = {
        "peer": "numpy/scipy (cKDTree.query_pairs, searchsorted, bincount)",
        "numpy": np.__version__,
        "categories": cats,
        "incidents": int(n),
        "pairs_within_space": int(len(d)),
        "iterations": a.iterations,
        "seconds": {"load": t_load, "pairs": t_pairs, "permutations": t_perm,
                    "per_iteration": t_perm / max(a.iterations, 1)},
        "observed": observed.tolist(),
        "expected": expected.tolist(),
        "p": p.tolist(),
    }
    os.makedirs(os.path.dirname(a.out), exist_ok=True)
    with open(a.out, "w") as f:
        json.dump(res, f, indent=1)
    print(json.dumps({k: v for k, v in res.items() if k not in ("expected", "p")}, indent=1))


if __name__ == "__main__":
    sys.exit(main())
