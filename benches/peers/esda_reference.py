"""Write fixtures/gistar/esda_reference.json: reference Getis-Ord Gi* values from PySAL esda on real police.uk data.

Usage (from anywhere; paths are found from this script's location):

    py=$(benches/peers/setup_venv.sh | tail -1)
    $py benches/peers/esda_reference.py [--data PATH_TO_2024-01-dorset-street.csv] [--out PATH]

Run once; the JSON is committed test data that the Rust Gi* tests read. It fully defines the input (the grid and
every cell value), so the Rust side needs neither Python nor the CSV to use it.

What it does:
  1. Reads the police.uk Dorset month 2024-01 (columns Longitude, Latitude; rows with an empty coordinate skipped),
     projects lon/lat to British National Grid (EPSG:27700, pyproj, always_xy=True) and counts incidents on a
     60 x 40 grid of 100 m cells (6 km x 4 km) around Bournemouth town centre (lon -1.876, lat 50.720). The
     origin (south-west corner) is that centre minus (3000 m, 2000 m), floored to a multiple of 100 m. A point
     goes to cell (floor((x - origin_x) / 100), floor((y - origin_y) / 100)); points outside the window are dropped.
     Cells are row-major, row 0 the southernmost, col 0 the westernmost: index = row * cols + col, and cell centre
     x = origin_x + (col + 0.5) * cell_m, y = origin_y + (row + 0.5) * cell_m. Every cell is present (zeros too).
  2. Builds libpysal DistanceBand(cell centres, threshold=band_m, binary=True) weights and runs
     esda.G_Local(y, w, transform='B', star=True, permutations=0) for three cases:
       counts_band_300   counts, 300 m band
       counts_band_250   counts, 250 m band (a different stencil)
       harm_band_300     non-integer values count * 1.5 + (row % 3) * 0.25 + (col % 7) * 0.1, 300 m band
     Every case holds values, z and p_norm (esda's Zs, p_norm); the first also holds G, EG, VG (Gs, EGs, VGs).
  3. Checks, with plain numpy and independently built weights (dense pairwise distances, d <= band), that
     libpysal's neighbour sets equal the numpy ones and that esda's Zs equals the textbook Getis-Ord (1995) Gi*:
        z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1)))
     with w_ii = 1, W_i = sum_j w_ij, S1_i = sum_j w_ij^2, xbar = mean(x), S = sqrt(mean(x^2) - xbar^2).
     It fails (exit 1) if they differ by more than 1e-9.
  4. Prints a short summary (cells, max z, number of |z| > 1.96) per case.

Deterministic: no randomness (permutations=0).
"""

import argparse
import json
import math
import sys
from pathlib import Path

import esda
import libpysal
import numpy as np
import pandas as pd
import pyproj
from esda.getisord import G_Local
from libpysal.weights import DistanceBand
from pyproj import Transformer

HERE = Path(__file__).resolve().parent
ROOT = HERE.parent.parent
DEFAULT_DATA = ROOT / "fixtures" / "police-uk" / "2024-01-dorset-street.csv"
DEFAULT_OUT = ROOT / "fixtures" / "gistar" / "esda_reference.json"

CELL_M = 100.0
COLS = 60
ROWS = 40
CENTRE_LONLAT = (-1.876, 50.720)  # Bournemouth town centre
TOLERANCE = 1e-9


def grid_counts(data_path: Path):
    frame = pd.read_csv(data_path, usecols=["Longitude", "Latitude"])
    read = len(frame)
    frame = frame.dropna(subset=["Longitude", "Latitude"])
    to_bng = Transformer.from_crs("EPSG:4326", "EPSG:27700", always_xy=True)
    cx, cy = to_bng.transform(*CENTRE_LONLAT)
    origin_x = math.floor((cx - COLS * CELL_M / 2) / CELL_M) * CELL_M
    origin_y = math.floor((cy - ROWS * CELL_M / 2) / CELL_M) * CELL_M
    x, y = to_bng.transform(frame["Longitude"].to_numpy(float), frame["Latitude"].to_numpy(float))
    col = np.floor((x - origin_x) / CELL_M).astype(np.int64)
    row = np.floor((y - origin_y) / CELL_M).astype(np.int64)
    inside = (col >= 0) & (col < COLS) & (row >= 0) & (row < ROWS)
    counts = np.bincount(row[inside] * COLS + col[inside], minlength=ROWS * COLS).astype(np.int64)
    info = {
        "rows_read": read,
        "rows_with_coordinates": len(frame),
        "points_in_window": int(inside.sum()),
        "centre_bng": (cx, cy),
    }
    return counts, origin_x, origin_y, info


def cell_centres(origin_x: float, origin_y: float) -> np.ndarray:
    idx = np.arange(ROWS * COLS)
    row, col = idx // COLS, idx % COLS
    return np.column_stack([origin_x + (col + 0.5) * CELL_M, origin_y + (row + 0.5) * CELL_M])


def numpy_weights(centres: np.ndarray, band_m: float) -> np.ndarray:
    """Dense binary weights with d <= band (self included), built without libpysal."""
    d = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    return (d <= band_m).astype(float)


def textbook_gistar(x: np.ndarray, w: np.ndarray) -> np.ndarray:
    """Getis & Ord (1995) Gi* z-score; w includes the diagonal."""
    n = x.size
    xbar = x.mean()
    s = math.sqrt((x * x).mean() - xbar * xbar)
    wi = w.sum(axis=1)
    s1 = (w * w).sum(axis=1)
    return (w @ x - xbar * wi) / (s * np.sqrt((n * s1 - wi * wi) / (n - 1)))


def stencil(band_m: float) -> list:
    """Offsets [dcol, drow] (in cells) within the band, self included, for an interior cell."""
    r = int(band_m // CELL_M) + 1
    out = []
    for dr in range(-r, r + 1):
        for dc in range(-r, r + 1):
            if math.hypot(dc * CELL_M, dr * CELL_M) <= band_m:
                out.append([dc, dr])
    return out


def run_case(name, values, centres, band_m, dense_cache, moments=True):
    values = np.asarray(values, dtype=float)
    w = DistanceBand(centres, threshold=band_m, binary=True, silence_warnings=True)
    # Which pairs libpysal included, against numpy's d <= band and d < band.
    sp = w.sparse.tocsr()
    sp.sort_indices()
    if band_m not in dense_cache:
        dense_cache[band_m] = numpy_weights(centres, band_m)
    wn = dense_cache[band_m]
    wn_off = wn.copy()
    np.fill_diagonal(wn_off, 0.0)
    lib_dense = sp.toarray()
    if lib_dense.diagonal().any():
        raise SystemExit(f"{name}: libpysal DistanceBand put weights on the diagonal; the notes assume it does not")
    d = np.sqrt(((centres[:, None, :] - centres[None, :, :]) ** 2).sum(axis=2))
    edge_pairs = int((d == band_m).sum())
    strict = ((d < band_m) & (d > 0)).astype(float)
    if np.array_equal(lib_dense != 0, wn_off != 0):
        band_inclusive = True  # d <= band (indistinguishable from d < band when edge_pairs == 0)
    elif np.array_equal(lib_dense != 0, strict != 0):
        band_inclusive = False
    else:
        raise SystemExit(f"{name}: libpysal neighbours match neither d <= band nor d < band")

    g = G_Local(values, w, transform="B", star=True, permutations=0)
    # The weights esda actually used (its W after filling the diagonal).
    used = g.w.sparse.toarray()
    if not np.array_equal(used.diagonal(), np.ones(values.size)):
        raise SystemExit(f"{name}: esda's star=True did not set a self-weight of 1")
    ours = textbook_gistar(values, wn if band_inclusive else (strict + np.eye(values.size)))
    diff = float(np.max(np.abs(ours - g.Zs)))
    print(f"{name}: band {band_m} m, libpysal edge pairs at d == band: {edge_pairs}, "
          f"inclusive: {band_inclusive}; max |z_esda - z_textbook| = {diff:.3e}")
    if diff > TOLERANCE:
        print(f"{name}: esda differs from the textbook formula beyond {TOLERANCE}", file=sys.stderr)
        sys.exit(1)
    card = np.asarray(used.sum(axis=1)).ravel()
    st = stencil(band_m) if band_inclusive else [o for o in stencil(band_m)
                                                  if math.hypot(o[0], o[1]) * CELL_M < band_m]
    z = g.Zs
    print(f"  cells {values.size}, neighbours incl. self: interior {int(card.max())}, min {int(card.min())}; "
          f"max z {z.max():.4f}, min z {z.min():.4f}, |z| > 1.96: {int((np.abs(z) > 1.96).sum())}, "
          f"z > 1.96: {int((z > 1.96).sum())}")

    def num_list(a):
        return [int(v) if float(v).is_integer() and abs(v) < 2**53 else float(v) for v in a]

    out = {
        "name": name,
        "band_m": int(band_m) if float(band_m).is_integer() else band_m,
        "band_inclusive": band_inclusive,
        "band_edge_pairs": edge_pairs,
        "stencil_interior_incl_self": len(st),
        "stencil_offsets_dcol_drow": st,
        "max_abs_diff_esda_vs_textbook": diff,
        "values": num_list(values),
        "z": [float(v) for v in z],
        "p_norm": [float(v) for v in g.p_norm],
    }
    if moments:  # G, EG, VG only where asked, to keep the file small
        out["G"] = [float(v) for v in g.Gs]
        out["EG"] = [float(v) for v in g.EGs]
        out["VG"] = [float(v) for v in g.VGs]
    return out


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA)
    parser.add_argument("--out", type=Path, default=DEFAULT_OUT)
    args = parser.parse_args()

    counts, origin_x, origin_y, info = grid_counts(args.data)
    centres = cell_centres(origin_x, origin_y)
    print(f"{args.data.name}: {info['rows_read']} rows, {info['rows_with_coordinates']} with coordinates, "
          f"{info['points_in_window']} in the {COLS} x {ROWS} window at origin ({origin_x:.0f}, {origin_y:.0f}) "
          f"EPSG:27700; non-empty cells {int((counts > 0).sum())}, max count {int(counts.max())}")

    idx = np.arange(ROWS * COLS)
    row, col = idx // COLS, idx % COLS
    harm = counts * 1.5 + (row % 3) * 0.25 + (col % 7) * 0.1

    cache = {}
    cases = [
        run_case("counts_band_300", counts, centres, 300.0, cache),
        run_case("counts_band_250", counts, centres, 250.0, cache, moments=False),
        run_case("harm_band_300", harm, centres, 300.0, cache, moments=False),
    ]
    notes = (
        "Weights: libpysal.weights.DistanceBand(cell centres, threshold=band_m, binary=True) -> w_ij = 1 for "
        "0 < d_ij <= band_m (scipy cKDTree.sparse_distance_matrix keeps d <= max_distance; DistanceBand then "
        "drops zero distances, so self and coincident points are never neighbours). band_inclusive records "
        "whether pairs at exactly d == band_m (e.g. 3 cells along an axis at 300 m; cell centres are exact in "
        "float64 so that distance is exactly 300.0) were included; band_edge_pairs counts such ordered pairs. "
        "The window is not padded: cells near its edge simply have fewer neighbours (no wrap, no reflection). "
        "Gi*: esda.G_Local(values, w, transform='B', star=True, permutations=0). With star=True and binary "
        "weights whose diagonal is empty, esda fills the diagonal with 1 (libpysal fill_diagonal), so w_ii = 1. "
        "(A float star, e.g. 1.0, is not `is True` and goes to fill_diagonal(w, star): the same for 1.0.) "
        "esda computes, with n = number of cells, W_i = row sum of w (incl. self), ybar = sum(y)/n, "
        "s2 = sum(y^2)/n - ybar^2 (population variance, divisor n): G_i = sum_j w_ij y_j / sum(y); "
        "EG_i = W_i / n; VG_i = W_i (n - W_i) / (n - 1) / n^2 * s2 / ybar^2; z_i = (G_i - EG_i) / sqrt(VG_i); "
        "p_norm_i = norm.sf(|z_i|) (ONE-sided upper tail of |z|; double it for a two-sided test). "
        "For binary weights (S1_i = W_i) this is algebraically the textbook Getis-Ord (1995) Gi*: "
        "z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))), S = sqrt(mean(x^2) - xbar^2); "
        "max_abs_diff_esda_vs_textbook per case is that check with independently built numpy weights. "
        "Caveat: esda uses the cardinality W_i in place of S1_i, so for non-binary weights it is NOT the "
        "textbook formula. values are exact inputs (integers for counts; for harm_band_300 the float64 values "
        "written with shortest round-trip repr = count * 1.5 + (row % 3) * 0.25 + (col % 7) * 0.1, do not "
        "recompute them). Every case has values, z and p_norm; G, EG and VG (esda's Gs, EGs, VGs) are in the first case only, to keep the file small. All arrays are row-major, index = row * cols + col, row 0 southernmost."
    )
    doc = {
        "source": (
            f"police.uk street-level crime, Dorset Police, month 2024-01 ({args.data.name}; Open Government "
            f"Licence v3.0). {info['rows_read']} rows read, {info['rows_read'] - info['rows_with_coordinates']} "
            "with empty Longitude/Latitude skipped. Longitude/Latitude (WGS84) projected to British National Grid "
            f"EPSG:27700 with pyproj {pyproj.__version__} Transformer.from_crs('EPSG:4326', 'EPSG:27700', "
            "always_xy=True). Window: 60 cols x 40 rows of 100 m cells (6 km x 4 km) around Bournemouth town "
            "centre (lon -1.876, lat 50.720 -> "
            f"({info['centre_bng'][0]:.1f}, {info['centre_bng'][1]:.1f}) m); origin = centre - (3000, 2000) m "
            "floored to a multiple of 100 m. Binned by col = floor((x - origin_x) / 100), "
            "row = floor((y - origin_y) / 100); points outside the window dropped "
            f"({info['points_in_window']} inside). Every cell listed, zeros too; row-major, row 0 southernmost, "
            "col 0 westernmost, index = row * cols + col; cell centre x = origin_x + (col + 0.5) * cell_m, "
            "y = origin_y + (row + 0.5) * cell_m. Made by benches/peers/esda_reference.py."
        ),
        "esda_version": esda.__version__,
        "libpysal_version": libpysal.__version__,
        "numpy_version": np.__version__,
        "pyproj_version": pyproj.__version__,
        "cell_m": int(CELL_M),
        "rows": ROWS,
        "cols": COLS,
        "origin_x_m": origin_x,
        "origin_y_m": origin_y,
        "crs": "EPSG:27700",
        "star": True,
        "self_weight": 1.0,
        "transform": "B",
        "p_norm_sided": "one-sided: norm.sf(|z|)",
        "variance_divisor": "n (population) for S; (n - 1) in the variance of G",
        "z_formula": ("z_i = (sum_j w_ij x_j - xbar W_i) / (S sqrt((n S1_i - W_i^2) / (n - 1))), w_ii = 1, "
                      "W_i = sum_j w_ij, S1_i = sum_j w_ij^2 (= W_i here), xbar = mean(x), "
                      "S = sqrt(mean(x^2) - xbar^2), n = rows * cols, sums over cells inside the window only"),
        "notes": notes,
        "cases": cases,
    }
    args.out.parent.mkdir(parents=True, exist_ok=True)
    text = json.dumps(doc, separators=(",", ":"))
    args.out.write_text(text + "\n")
    print(f"wrote {args.out} ({len(text) / 1024:.0f} KiB)")


if __name__ == "__main__":
    main()
