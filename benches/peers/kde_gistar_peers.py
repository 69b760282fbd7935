"""Time the Python peers of hotspots' KDE and Gi* on the benchmark workloads, each peer in its own process.

Usage (from anywhere; paths are found from this script's location):

    py=$(benches/peers/setup_venv.sh | tail -1)
    $py benches/peers/kde_gistar_peers.py [--n 100000,1000000] [--repeats 3] [--skip-slow]
                                          [--peers sklearn,kdepy,...] [--slow-timeout 900]

Needs target/release/hotspots (for `synth`). Writes into target/bench-data/:
  synth-N.csv               hotspots synth --n N --seed 1 --extent-m 40000 (regenerated on every run)
  kde-points-N.csv          the same points projected to UTM 30N (EPSG:32630, pyproj, always_xy): x_m,y_m
                            (%.17g, round-trips exactly); kde-points-N.npy holds the same doubles for the workers
  kde-box.json              {"origin_x_m","origin_y_m","cols":1200,"rows":800,"cell_m":50, "crs", "gistar": {...
                            same origin, "cols":600,"rows":400,"cell_m":100, "band_m":300}, "by_n": {N: box}}
                            The 60 x 40 km box is centred on the points' bounding-box centre, its south-west corner
                            floored to a multiple of 50 m (computed per n; by_n holds each, top level the first).
  kde-exact-100k.npy        exact quartic KDE (numpy stencil) for n = 100,000: float64, shape (800, 1200), row 0
                            southernmost, col 0 westernmost, value = sum over points of 3/(pi h^2) (1 - d^2/h^2)^2
                            with d the distance from the point to the cell centre, h = 400 m (incidents per m^2; not
                            divided by n). kde-exact-1m.npy likewise for n = 1,000,000.
  peers-results.json        every row of the table plus the accuracy figures
  peer-out/                 each peer's raw output, for the accuracy comparison

Workloads: KDE on 1200 x 800 cells of 50 m (960,000 cells), quartic kernel, support radius 400 m; Gi* on the
600 x 400 grid of 100 m cells (240,000 cells) over the same box, counts per cell (floor binning, points outside
dropped), binary distance-band weights d <= 300 m including the cell itself (29 cells inside the grid; the
window is not padded, so edge cells have fewer neighbours, as in esda).

Peers (each run in a separate subprocess; peak RSS is that process's own VmHWM, read by itself at its end: on
Linux the ru_maxrss that wait4/RUSAGE_CHILDREN give for a child inherits the parent's high-water mark across
exec, so it would report this script's own size; a peer that starts processes of its own (esda's joblib) is
also sampled as a process tree, sum of PSS, noted in its row):
  baseline       python + numpy + the points loaded: the floor under every peak-memory figure
  sklearn        sklearn.neighbors.KernelDensity(kernel='epanechnikov', bandwidth=400), score_samples on the
                 960,000 cell centres. scikit-learn has no quartic kernel; Epanechnikov (1 - d^2/h^2, same 400 m
                 support) is the closest. Exact (rtol=0, atol=0), kd-tree, single-threaded. Slow: 1 run.
  kdepy          KDEpy FFTKDE(kernel='biweight', bw=400/sqrt(7)) on the grid padded by 9 cells (KDEpy needs every
                 point strictly inside its grid), then cropped. KDEpy's bw is the kernel's standard deviation in
                 ONE dimension: it scales the unit biweight (support 1, variance 1/7) by bw*sqrt(7), whatever the
                 dimension, so support radius 400 m <=> bw = 400/sqrt(7) = 151.1858 m; its 2-D biweight is then
                 3/(pi R^2) (1 - d^2/R^2)^2 / n, our quartic divided by n. Linear binning + FFT: approximate.
  numpy_exact    expert exact numpy: identical points merged (police.uk-like coincidence), then one vectorised
                 pass per stencil offset (dcol, drow in -8..8 that can reach within 400 m), accumulated with
                 np.bincount into a padded raster. Exact.
  scipy_fft      points binned (floor) to the padded 50 m raster, scipy.signal.fftconvolve with the quartic
                 evaluated at the 17 x 17 cell-centre offsets. Approximate (each point moved to its cell centre).
  esda           libpysal.weights.DistanceBand(240,000 cell centres, threshold=300, binary=True) (timed alone,
                 1 run) then esda.G_Local(counts, w, transform='B', star=True, permutations=0) (repeats).
  esda_graph     the newer libpysal API: Graph.build_distance_band(centres, 300, binary=True) (timed alone) then
                 G_Local on the Graph (repeats); for the record, it is not faster.
  esda_perm99    the same DistanceBand weights, then G_Local(..., permutations=99, seed=12345, n_jobs=-1,
                 keep_simulations=False): numba, both cores. The numba JIT is warmed up first on a 10 x 10 grid
                 (its time is reported in the notes, not in seconds). Slow: 1 run.
  numpy_gistar   scipy.ndimage.convolve of the count raster with the 7 x 7 disc stencil (radius 300 m, self
                 included, zero outside the grid) for sum_j w_ij x_j and W_i, then the Getis-Ord z vectorised.
Times are wall-clock (time.perf_counter) of the computation only: the points are already in memory (loaded from
the .npy before the clock starts), and for Gi* so are the cell counts. --repeats K gives best and median of K for
the fast peers (kdepy, numpy_exact, scipy_fft, esda's G_Local, numpy_gistar); the slow ones run once.
--skip-slow skips sklearn for n >= 1,000,000 and esda_perm99. A peer still running after --slow-timeout seconds
is killed and reported as such. Deterministic: fixed seeds (synth --seed 1, esda seed 12345).
"""

import argparse
import json
import math
import os
import platform
import resource
import statistics
import subprocess
import sys
import time
from pathlib import Path

import numpy as np

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DATA = ROOT / "target" / "bench-data"
OUT = DATA / "peer-out"
BIN = ROOT / "target" / "release" / "hotspots"

KDE_CELL = 50.0
KDE_COLS, KDE_ROWS = 1200, 800
BANDWIDTH = 400.0
GI_CELL = 100.0
GI_COLS, GI_ROWS = 600, 400
GI_BAND = 300.0
PAD = 9  # cells of padding around the KDE box (a point 425 m outside the box reaches no cell centre within 400 m)
PERM_SEED = 12345
QUARTIC_C = 3.0 / (math.pi * BANDWIDTH**2)

PEERS = ["baseline", "sklearn", "kdepy", "numpy_exact", "scipy_fft", "esda", "esda_graph", "esda_perm99",
         "numpy_gistar"]
SLOW = {"sklearn", "esda_perm99"}
KDE_PEERS = {"sklearn", "kdepy", "numpy_exact", "scipy_fft"}


def label(n: int) -> str:
    if n % 1_000_000 == 0:
        return f"{n // 1_000_000}m"
    if n % 1000 == 0:
        return f"{n // 1000}k"
    return str(n)


# --------------------------------------------------------------------------------------------------------------
# Data preparation (parent process)
# --------------------------------------------------------------------------------------------------------------

def wait_for_binary() -> bool:
    for _ in range(30):
        if BIN.exists():
            return True
        print(f"waiting for {BIN} (being rebuilt?)", file=sys.stderr)
        time.sleep(10)
    return False


def prepare(n: int) -> dict:
    """Synthesise n points, project them to UTM 30N, write the CSV/npy, return the box."""
    import pandas as pd
    from pyproj import Transformer

    DATA.mkdir(parents=True, exist_ok=True)
    synth = DATA / f"synth-{n}.csv"
    if wait_for_binary():
        subprocess.run([str(BIN), "synth", "--n", str(n), "--seed", "1", "--extent-m", "40000", "--out", str(synth)],
                       check=True, stdout=subprocess.DEVNULL)
    elif synth.exists():
        print(f"warning: {BIN} missing; reusing {synth}", file=sys.stderr)
    else:
        raise SystemExit(f"{BIN} not found: build it with cargo build --release")
    frame = pd.read_csv(synth, usecols=["lon", "lat"])
    to_utm = Transformer.from_crs("EPSG:4326", "EPSG:32630", always_xy=True)
    x, y = to_utm.transform(frame["lon"].to_numpy(float), frame["lat"].to_numpy(float))
    xy = np.column_stack([x, y])
    np.save(DATA / f"kde-points-{n}.npy", xy)
    np.savetxt(DATA / f"kde-points-{n}.csv", xy, fmt="%.17g", delimiter=",", header="x_m,y_m", comments="")
    cx = (x.min() + x.max()) / 2
    cy = (y.min() + y.max()) / 2
    ox = math.floor((cx - KDE_COLS * KDE_CELL / 2) / KDE_CELL) * KDE_CELL
    oy = math.floor((cy - KDE_ROWS * KDE_CELL / 2) / KDE_CELL) * KDE_CELL
    unique = len(np.unique(x + 1j * y))
    print(f"n={n}: {synth.name} -> kde-points-{n}.csv, {unique} distinct locations, box origin ({ox:.0f}, {oy:.0f})",
          file=sys.stderr)
    return {"origin_x_m": ox, "origin_y_m": oy, "cols": KDE_COLS, "rows": KDE_ROWS, "cell_m": KDE_CELL,
            "crs": "EPSG:32630", "distinct_locations": unique,
            "gistar": {"origin_x_m": ox, "origin_y_m": oy, "cols": GI_COLS, "rows": GI_ROWS, "cell_m": GI_CELL,
                       "band_m": GI_BAND}}


# --------------------------------------------------------------------------------------------------------------
# The peers (worker processes)
# --------------------------------------------------------------------------------------------------------------

def cell_centres(ox, oy, cols, rows, cell, pad=0):
    """Centres as two 1-D axes (x west->east, y south->north) of the grid padded by pad cells."""
    xs = ox + (np.arange(-pad, cols + pad) + 0.5) * cell
    ys = oy + (np.arange(-pad, rows + pad) + 0.5) * cell
    return xs, ys


def kde_sklearn(xy, box):
    from sklearn.neighbors import KernelDensity

    xs, ys = cell_centres(box["origin_x_m"], box["origin_y_m"], KDE_COLS, KDE_ROWS, KDE_CELL)
    gx, gy = np.meshgrid(xs, ys)  # (rows, cols), row 0 south
    kde = KernelDensity(kernel="epanechnikov", bandwidth=BANDWIDTH, rtol=0.0, atol=0.0).fit(xy)
    dens = np.exp(kde.score_samples(np.column_stack([gx.ravel(), gy.ravel()])))
    return dens.reshape(KDE_ROWS, KDE_COLS) * len(xy)


def kdepy_bw() -> float:
    from KDEpy.kernel_funcs import biweight

    bw = BANDWIDTH / math.sqrt(7.0)
    while biweight.support * bw < BANDWIDTH:  # make sure float rounding does not shrink the support below 400 m
        bw = float(np.nextafter(bw, np.inf))
    return bw


def kde_kdepy(xy, box):
    from KDEpy import FFTKDE

    xs, ys = cell_centres(box["origin_x_m"], box["origin_y_m"], KDE_COLS, KDE_ROWS, KDE_CELL, PAD)
    inside = (xy[:, 0] > xs[0]) & (xy[:, 0] < xs[-1]) & (xy[:, 1] > ys[0]) & (xy[:, 1] < ys[-1])
    pts = xy[inside]
    # KDEpy wants the grid as (m, 2) points sorted with the first coordinate varying slowest.
    grid = np.column_stack([np.repeat(xs, len(ys)), np.tile(ys, len(xs))])
    dens = FFTKDE(kernel="biweight", bw=kdepy_bw()).fit(pts).evaluate(grid)
    dens = dens.reshape(len(xs), len(ys)).T  # (rows, cols)
    return dens[PAD:-PAD, PAD:-PAD] * len(pts)


def kde_numpy_exact(xy, box):
    """Exact quartic KDE: merge coincident points, then loop over stencil offsets, vectorised over points."""
    ox, oy = box["origin_x_m"], box["origin_y_m"]
    x, y = xy[:, 0], xy[:, 1]
    order = np.lexsort((y, x))
    xs, ys = x[order], y[order]
    start = np.ones(len(xs), dtype=bool)
    start[1:] = (xs[1:] != xs[:-1]) | (ys[1:] != ys[:-1])
    first = np.flatnonzero(start)
    ux, uy = xs[first], ys[first]
    weight = np.diff(np.append(first, len(xs))).astype(np.float64)
    reach = 8  # |offset| <= 8 cells: a point is within half a cell of its cell's centre and h = 8 cells
    bc = np.floor((ux - ox) / KDE_CELL).astype(np.int64)
    br = np.floor((uy - oy) / KDE_CELL).astype(np.int64)
    keep = (bc >= -reach) & (bc < KDE_COLS + reach) & (br >= -reach) & (br < KDE_ROWS + reach)
    bc, br, ux, uy, weight = bc[keep], br[keep], ux[keep], uy[keep], weight[keep]
    pad = 2 * reach  # a kept point's base cell is within reach of the box, its stencil within 2 * reach
    pcols, prows = KDE_COLS + 2 * pad, KDE_ROWS + 2 * pad
    base = (br + pad) * pcols + (bc + pad)
    dx0 = ox + (bc + 0.5) * KDE_CELL - ux  # from the point to its own cell's centre
    dy0 = oy + (br + 0.5) * KDE_CELL - uy
    wc = weight * QUARTIC_C
    h2 = BANDWIDTH * BANDWIDTH
    acc = np.zeros(prows * pcols)
    for dr in range(-reach, reach + 1):
        dy = dy0 + dr * KDE_CELL
        dy2 = dy * dy
        for dc in range(-reach, reach + 1):
            near_c, near_r = max(abs(dc) - 0.5, 0.0), max(abs(dr) - 0.5, 0.0)
            if (near_c**2 + near_r**2) * KDE_CELL**2 >= h2:
                continue  # no point can be within h of this offset's centre
            dx = dx0 + dc * KDE_CELL
            t = 1.0 - (dx * dx + dy2) / h2
            far_c, far_r = abs(dc) + 0.5, abs(dr) + 0.5
            if (far_c**2 + far_r**2) * KDE_CELL**2 < h2:
                k = wc * t * t  # every point is within h
                idx = base + (dr * pcols + dc)
            else:
                m = t > 0.0
                tm = t[m]
                k = wc[m] * tm * tm
                idx = base[m] + (dr * pcols + dc)
            acc += np.bincount(idx, weights=k, minlength=prows * pcols)
    return acc.reshape(prows, pcols)[pad:-pad, pad:-pad]


def quartic_stencil(reach):
    off = np.arange(-reach, reach + 1) * KDE_CELL
    d2 = off[None, :] ** 2 + off[:, None] ** 2
    t = np.clip(1.0 - d2 / BANDWIDTH**2, 0.0, None)
    return QUARTIC_C * t * t


def kde_scipy_fft(xy, box):
    from scipy.signal import fftconvolve

    ox, oy = box["origin_x_m"], box["origin_y_m"]
    reach = 8
    bc = np.floor((xy[:, 0] - ox) / KDE_CELL).astype(np.int64) + reach
    br = np.floor((xy[:, 1] - oy) / KDE_CELL).astype(np.int64) + reach
    pcols, prows = KDE_COLS + 2 * reach, KDE_ROWS + 2 * reach
    keep = (bc >= 0) & (bc < pcols) & (br >= 0) & (br < prows)
    counts = np.bincount(br[keep] * pcols + bc[keep], minlength=prows * pcols).astype(np.float64)
    dens = fftconvolve(counts.reshape(prows, pcols), quartic_stencil(reach), mode="same")
    return dens[reach:-reach, reach:-reach]


def gi_counts(xy, box):
    ox, oy = box["origin_x_m"], box["origin_y_m"]
    c = np.floor((xy[:, 0] - ox) / GI_CELL).astype(np.int64)
    r = np.floor((xy[:, 1] - oy) / GI_CELL).astype(np.int64)
    inside = (c >= 0) & (c < GI_COLS) & (r >= 0) & (r < GI_ROWS)
    return np.bincount(r[inside] * GI_COLS + c[inside], minlength=GI_ROWS * GI_COLS).astype(np.float64)


def gi_centres(box):
    xs, ys = cell_centres(box["origin_x_m"], box["origin_y_m"], GI_COLS, GI_ROWS, GI_CELL)
    gx, gy = np.meshgrid(xs, ys)
    return np.column_stack([gx.ravel(), gy.ravel()])


def disc_stencil():
    r = int(GI_BAND // GI_CELL)
    off = np.arange(-r, r + 1) * GI_CELL
    return ((off[None, :] ** 2 + off[:, None] ** 2) <= GI_BAND**2).astype(np.float64)


def gistar_numpy(counts):
    from scipy.ndimage import convolve

    x = counts.reshape(GI_ROWS, GI_COLS)
    k = disc_stencil()
    lag = convolve(x, k, mode="constant", cval=0.0)
    wi = convolve(np.ones_like(x), k, mode="constant", cval=0.0)  # binary weights: S1_i = W_i
    n = x.size
    xbar = x.mean()
    s = math.sqrt((x * x).mean() - xbar * xbar)
    z = (lag - xbar * wi) / (s * np.sqrt((n * wi - wi * wi) / (n - 1)))
    return z.ravel()


def timed(fn, repeats):
    runs, out = [], None
    for _ in range(repeats):
        t0 = time.perf_counter()
        out = fn()
        runs.append(time.perf_counter() - t0)
    return out, runs


def worker(peer, n, repeats):
    box = json.loads((DATA / "kde-box.json").read_text())["by_n"][str(n)]
    xy = np.load(DATA / f"kde-points-{n}.npy")
    OUT.mkdir(parents=True, exist_ok=True)
    res = {"peer": peer, "n": n, "notes": []}
    # Import each peer's modules before any clock starts.
    if peer == "sklearn":
        import sklearn.neighbors  # noqa: F401
    elif peer == "kdepy":
        import KDEpy  # noqa: F401
    elif peer == "scipy_fft":
        import scipy.signal  # noqa: F401
    elif peer == "numpy_gistar":
        import scipy.ndimage  # noqa: F401
    if peer == "baseline":
        res["runs_s"] = [0.0]
    elif peer in KDE_PEERS:
        fn = {"sklearn": kde_sklearn, "kdepy": kde_kdepy, "numpy_exact": kde_numpy_exact,
              "scipy_fft": kde_scipy_fft}[peer]
        out, runs = timed(lambda: fn(xy, box), 1 if peer in SLOW else repeats)
        assert out.shape == (KDE_ROWS, KDE_COLS), out.shape
        np.save(OUT / f"kde-{peer}-{n}.npy", out)
        res["runs_s"] = runs
        res["mass_in_box"] = float(out.sum() * KDE_CELL**2 / n)
        if peer == "kdepy":
            res["notes"].append(f"bw={kdepy_bw()!r}")
    elif peer in ("esda", "esda_perm99"):
        import esda
        import libpysal
        from esda.getisord import G_Local
        from libpysal.weights import DistanceBand

        counts = gi_counts(xy, box)
        centres = gi_centres(box)
        if peer == "esda_perm99":  # warm the numba JIT up on a small problem first
            t0 = time.perf_counter()
            small = np.column_stack([np.repeat(np.arange(10.0), 10), np.tile(np.arange(10.0), 10)]) * GI_CELL
            ws = DistanceBand(small, threshold=GI_BAND, binary=True, silence_warnings=True)
            G_Local(np.arange(100.0), ws, transform="B", star=True, permutations=99, seed=PERM_SEED,
                    keep_simulations=False)
            res["notes"].append(f"numba JIT warm-up {time.perf_counter() - t0:.1f} s not counted")
        t0 = time.perf_counter()
        w = DistanceBand(centres, threshold=GI_BAND, binary=True, silence_warnings=True)
        res["weights_s"] = time.perf_counter() - t0
        res["notes"].append(f"esda {esda.__version__}, libpysal {libpysal.__version__}")
        if peer == "esda":
            g, runs = timed(lambda: G_Local(counts, w, transform="B", star=True, permutations=0), repeats)
            np.save(OUT / f"gistar-esda-{n}.npy", g.Zs)
            res["z_max"] = float(g.Zs.max())
            res["z_gt_1_96"] = int((g.Zs > 1.96).sum())
        else:
            g, runs = timed(lambda: G_Local(counts, w, transform="B", star=True, permutations=99, seed=PERM_SEED,
                                            n_jobs=-1, keep_simulations=False), 1)
            res["p_sim_le_0_05"] = int((g.p_sim <= 0.05).sum())
        res["runs_s"] = runs
    elif peer == "esda_graph":
        import esda
        import libpysal
        from esda.getisord import G_Local
        from libpysal.graph import Graph

        counts = gi_counts(xy, box)
        centres = gi_centres(box)
        t0 = time.perf_counter()
        graph = Graph.build_distance_band(centres, GI_BAND, binary=True)
        res["weights_s"] = time.perf_counter() - t0
        res["notes"].append(f"esda {esda.__version__}, libpysal {libpysal.__version__}")
        g, runs = timed(lambda: G_Local(counts, graph, transform="B", star=True, permutations=0), repeats)
        res["runs_s"] = runs
        res["z_max"] = float(g.Zs.max())
        res["z_gt_1_96"] = int((g.Zs > 1.96).sum())
        np.save(OUT / f"gistar-esda_graph-{n}.npy", g.Zs)
    elif peer == "numpy_gistar":
        counts = gi_counts(xy, box)
        z, runs = timed(lambda: gistar_numpy(counts), repeats)
        np.save(OUT / f"gistar-numpy-{n}.npy", z)
        res["runs_s"] = runs
        res["z_max"] = float(z.max())
        res["z_gt_1_96"] = int((z > 1.96).sum())
    else:
        raise SystemExit(f"unknown peer {peer}")
    status = Path("/proc/self/status").read_text()
    res["vm_hwm_mb"] = int(status.split("VmHWM:")[1].split()[0]) / 1024  # this process's peak RSS (kB)
    print(json.dumps(res))


# --------------------------------------------------------------------------------------------------------------
# The parent: run each peer in its own process, then compare and report
# --------------------------------------------------------------------------------------------------------------

def descendants(pid):
    """Pids of the live descendants of pid (from /proc/PID/task/*/children)."""
    out, todo = [], [pid]
    while todo:
        p = todo.pop()
        try:
            for task in os.listdir(f"/proc/{p}/task"):
                with open(f"/proc/{p}/task/{task}/children") as f:
                    kids = [int(k) for k in f.read().split()]
                out.extend(kids)
                todo.extend(kids)
        except OSError:
            pass
    return out


def pss_kb(pid):
    try:
        with open(f"/proc/{pid}/smaps_rollup") as f:
            for line in f:
                if line.startswith("Pss:"):
                    return int(line.split()[1])
    except OSError:
        pass
    return 0


def run_peer(peer, n, repeats, timeout):
    """Run one peer in a fresh process. Its peak memory is its own VmHWM (read by the worker itself: the
    ru_maxrss that wait4 reports for a child inherits the parent's high-water mark across exec on Linux, so it
    would show this parent's size). Peers that start worker processes (esda's joblib) are also sampled every
    50 ms as a process tree: the sum of PSS of the worker and its descendants."""
    cmd = [sys.executable, str(Path(__file__).resolve()), "--worker", peer, "--n", str(n), "--repeats", str(repeats)]
    load_before = os.getloadavg()[0]
    t0 = time.perf_counter()
    proc = subprocess.Popen(cmd, stdout=subprocess.PIPE, text=True)
    tree_peak_kb, max_kids = 0, 0
    while True:
        pid, status, _ = os.wait4(proc.pid, os.WNOHANG)
        if pid:
            break
        kids = descendants(proc.pid)
        if kids:
            max_kids = max(max_kids, len(kids))
            tree_peak_kb = max(tree_peak_kb, pss_kb(proc.pid) + sum(pss_kb(k) for k in kids))
        if time.perf_counter() - t0 > timeout:
            proc.kill()
            os.wait4(proc.pid, 0)
            return {"peer": peer, "n": n, "killed_after_s": timeout, "peak_rss_mb": None,
                    "notes": [f"killed after {timeout:.0f} s"]}
        time.sleep(0.05)
    out = proc.stdout.read()
    code = os.waitstatus_to_exitcode(status)
    if code != 0:
        raise SystemExit(f"peer {peer} n={n} failed with exit code {code}")
    res = json.loads(out.strip().splitlines()[-1])
    res["peak_rss_mb"] = res["vm_hwm_mb"]
    if max_kids:
        res["tree_peak_pss_mb"] = tree_peak_kb / 1024
        res["tree_max_children"] = max_kids
        res["notes"].append(f"{max_kids} child processes: process-tree peak PSS (sampled) "
                            f"{tree_peak_kb / 1024:.0f} MB")
    res["process_s"] = time.perf_counter() - t0
    res["loadavg_1min_before_after"] = [load_before, os.getloadavg()[0]]
    if max(res["loadavg_1min_before_after"]) > 1.5 + (1 if max_kids else 0):
        res["notes"].append("machine busy (load avg {:.1f} / {:.1f} before / after)".format(
            *res["loadavg_1min_before_after"]))
    return res


def spot_check_exact(exact, n, box, cells=3000, seed=7):
    """Brute force (cKDTree ball query, per-cell sum) on random cells: 2/3 where exact > 0, 1/3 anywhere."""
    from scipy.spatial import cKDTree

    xy = np.load(DATA / f"kde-points-{n}.npy")
    rng = np.random.default_rng(seed)
    flat = exact.ravel()
    positive = np.flatnonzero(flat > 0)
    pick = np.concatenate([rng.choice(positive, size=min(2 * cells // 3, len(positive)), replace=False),
                           rng.choice(flat.size, size=cells // 3, replace=False)])
    r, c = pick // KDE_COLS, pick % KDE_COLS
    cx = box["origin_x_m"] + (c + 0.5) * KDE_CELL
    cy = box["origin_y_m"] + (r + 0.5) * KDE_CELL
    tree = cKDTree(xy)
    worst = 0.0
    for i, near in enumerate(tree.query_ball_point(np.column_stack([cx, cy]), BANDWIDTH)):
        near = np.asarray(near, dtype=np.int64)
        d2 = (xy[near, 0] - cx[i]) ** 2 + (xy[near, 1] - cy[i]) ** 2
        t = np.clip(1.0 - d2 / BANDWIDTH**2, 0.0, None)
        brute = float(QUARTIC_C * (t * t).sum())
        got = flat[pick[i]]
        if brute == 0.0:
            worst = max(worst, 0.0 if got == 0.0 else math.inf)
        else:
            worst = max(worst, abs(got - brute) / brute)
    return len(pick), worst


def rel_errors(approx, exact):
    pos = exact > 1e-12
    strong = exact >= 1e-3 * exact.max()
    diff = np.abs(approx - exact)
    return {
        "max_rel_err_exact_gt_1e-12": float((diff[pos] / exact[pos]).max()),
        "max_rel_err_exact_ge_1e-3_max": float((diff[strong] / exact[strong]).max()),
        "max_abs_err_over_max_exact": float(diff.max() / exact.max()),
        "median_rel_err_exact_gt_1e-12": float(np.median(diff[pos] / exact[pos])),
        "cells_exact_gt_1e-12": int(pos.sum()),
    }


TITLES = {
    "baseline": "baseline: python + numpy + points loaded",
    "sklearn": "scikit-learn KernelDensity (epanechnikov, kd-tree, exact)",
    "kdepy": "KDEpy FFTKDE biweight (binned, FFT)",
    "numpy_exact": "numpy exact per-point stencil (quartic)",
    "scipy_fft": "scipy fftconvolve of 50 m counts (quartic)",
    "esda_weights": "libpysal DistanceBand 300 m (240k cells)",
    "esda": "esda G_Local Gi* analytic (given weights)",
    "esda_perm99": "esda G_Local Gi* 99 permutations (given weights)",
    "esda_graph_weights": "libpysal Graph.build_distance_band 300 m (240k cells)",
    "esda_graph": "esda G_Local Gi* analytic on a libpysal Graph",
    "numpy_gistar": "numpy/scipy.ndimage Gi* analytic (disc stencil)",
}


def table_rows(results):
    rows = []
    for r in results:
        peer = r["peer"]
        note = "; ".join(r.get("notes", []))
        if "killed_after_s" in r:
            rows.append((TITLES[peer], r["n"], f"> {r['killed_after_s']:.0f} (killed)", None, note))
            continue
        if peer in ("esda", "esda_graph"):
            rows.append((TITLES[peer + "_weights"], r["n"], f"{r['weights_s']:.3f}", None,
                         "1 run; peak RSS: see the next row (same process)"))
        runs = r["runs_s"]
        if peer == "baseline":
            secs = "-"
        elif len(runs) > 1:
            secs = f"{min(runs):.3f} (median {statistics.median(runs):.3f})"
        else:
            secs = f"{runs[0]:.3f}"
        extra = []
        if "mass_in_box" in r:
            extra.append(f"mass in box {r['mass_in_box']:.4f} n")
        if "z_gt_1_96" in r:
            extra.append(f"z>1.96: {r['z_gt_1_96']}, max z {r['z_max']:.2f}")
        if "p_sim_le_0_05" in r:
            extra.append(f"p_sim<=0.05: {r['p_sim_le_0_05']}")
        if peer in ("esda", "esda_graph", "esda_perm99"):
            extra.append("peak RSS includes building the weights")
        if "err" in r:
            e = r["err"]
            extra.append(f"vs exact: max rel {e['max_rel_err_exact_gt_1e-12']:.2e} (cells > 1e-12), "
                         f"{e['max_rel_err_exact_ge_1e-3_max']:.2e} (cells >= 1e-3 max), "
                         f"max abs / max {e['max_abs_err_over_max_exact']:.2e}")
        if "z_vs_esda" in r:
            extra.append(f"max |z - z_esda| {r['z_vs_esda']:.1e}")
        if "spot_check_max_rel" in r:
            extra.append(f"brute-force check of {r['spot_check_cells']} cells: max rel diff "
                         f"{r['spot_check_max_rel']:.1e}")
        rows.append((TITLES[peer], r["n"], secs, r["peak_rss_mb"], "; ".join([x for x in [note] if x] + extra)))
    return rows


def main() -> None:
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--n", default="100000,1000000", help="comma-separated point counts")
    ap.add_argument("--repeats", type=int, default=3, help="runs of each fast peer (best and median reported)")
    ap.add_argument("--skip-slow", action="store_true", help="skip sklearn at n >= 1M and esda with permutations")
    ap.add_argument("--peers", default=",".join(PEERS), help="comma-separated subset of " + ",".join(PEERS))
    ap.add_argument("--slow-timeout", type=float, default=900.0, help="kill a peer still running after this")
    ap.add_argument("--worker", help=argparse.SUPPRESS)
    args = ap.parse_args()
    ns = [int(v) for v in args.n.split(",") if v]
    if args.worker:
        worker(args.worker, ns[0], args.repeats)
        return
    peers = [p for p in args.peers.split(",") if p]
    for p in peers:
        if p not in PEERS:
            raise SystemExit(f"unknown peer {p}; known: {', '.join(PEERS)}")

    boxes = {str(n): prepare(n) for n in ns}
    first = boxes[str(ns[0])]
    box_doc = {k: v for k, v in first.items() if k != "distinct_locations"}
    box_doc["by_n"] = boxes
    (DATA / "kde-box.json").write_text(json.dumps(box_doc, indent=1) + "\n")
    if any(b["origin_x_m"] != first["origin_x_m"] or b["origin_y_m"] != first["origin_y_m"] for b in boxes.values()):
        print("note: the box origin differs between n; see by_n in kde-box.json", file=sys.stderr)

    results = []
    for n in ns:
        for peer in peers:
            if args.skip_slow and (peer == "esda_perm99" or (peer == "sklearn" and n >= 1_000_000)):
                results.append({"peer": peer, "n": n, "skipped": True})
                continue
            print(f"running {peer} n={n} ...", file=sys.stderr, flush=True)
            r = run_peer(peer, n, args.repeats, args.slow_timeout)
            print(f"  {r.get('runs_s', r.get('notes'))}, peak {r['peak_rss_mb']} MB", file=sys.stderr, flush=True)
            results.append(r)
        # accuracy against the exact stencil, and numpy Gi* against esda
        exact_path = OUT / f"kde-numpy_exact-{n}.npy"
        if exact_path.exists() and "numpy_exact" in peers:
            exact = np.load(exact_path)
            np.save(DATA / f"kde-exact-{label(n)}.npy", exact)
            cells, worst = spot_check_exact(exact, n, boxes[str(n)])
            for r in results:
                if r["n"] == n and r["peer"] == "numpy_exact":
                    r["spot_check_cells"], r["spot_check_max_rel"] = cells, worst
            for r in results:
                if r["n"] == n and r["peer"] in ("kdepy", "scipy_fft") and "runs_s" in r:
                    r["err"] = rel_errors(np.load(OUT / f"kde-{r['peer']}-{n}.npy"), exact)
        ze, zn = OUT / f"gistar-esda-{n}.npy", OUT / f"gistar-numpy-{n}.npy"
        if "esda" in peers and "numpy_gistar" in peers and ze.exists() and zn.exists():
            for r in results:
                if r["n"] == n and r["peer"] == "numpy_gistar":
                    r["z_vs_esda"] = float(np.abs(np.load(ze) - np.load(zn)).max())
        zg = OUT / f"gistar-esda_graph-{n}.npy"
        if "esda_graph" in peers and zg.exists() and zn.exists():
            for r in results:
                if r["n"] == n and r["peer"] == "esda_graph":
                    r["z_vs_numpy"] = float(np.abs(np.load(zg) - np.load(zn)).max())
                    r["notes"].append(f"max |z - z_numpy| {r['z_vs_numpy']:.1e}")

    done = [r for r in results if not r.get("skipped")]
    rows = table_rows(done)
    cpu = next((ln.split(":", 1)[1].strip() for ln in open("/proc/cpuinfo") if ln.startswith("model name")), "?")
    import importlib.metadata as md
    versions = {p: md.version(p) for p in ["numpy", "scipy", "scikit-learn", "KDEpy", "esda", "libpysal", "numba",
                                            "pyproj"]}
    header = (f"machine: {os.cpu_count()} cores, {cpu}, Python {platform.python_version()}, "
              + ", ".join(f"{k} {v}" for k, v in versions.items()))
    lines = [header, "", "| peer | n | seconds | peak RSS MB | notes |", "| --- | --- | --- | --- | --- |"]
    for title, n, secs, rss, note in rows:
        lines.append(f"| {title} | {n:,} | {secs} | {'' if rss is None else f'{rss:.0f}'} | {note} |")
    skipped = [f"{r['peer']} n={r['n']:,}" for r in results if r.get("skipped")]
    if skipped:
        lines.append("")
        lines.append("skipped (--skip-slow): " + ", ".join(skipped))
    print("\n".join(lines))
    (DATA / "peers-results.json").write_text(json.dumps({
        "machine": header, "repeats": args.repeats, "box": box_doc, "results": results,
        "table": [{"peer": t, "n": n, "seconds": s, "peak_rss_mb": m, "notes": no} for t, n, s, m, no in rows],
    }, indent=1) + "\n")
    print(f"\nwrote {DATA / 'peers-results.json'}", file=sys.stderr)


if __name__ == "__main__":
    main()
