"""Time pandas.read_csv on a CSV (gzip read transparently), as the peer for the ingest benchmark.

Usage: python pandas_read_csv.py FILE [REPEATS] [--cell]
Prints one JSON line: {"tool": "pandas.read_csv", "file", "rows", "runs_s": [...], "best_s", "median_s"}, or with
--cell the table cell "median (min best)" used by benches/whole_process.sh.
"""

import json
import statistics
import sys
import time

import pandas as pd


def main() -> None:
    args = [a for a in sys.argv[1:] if a != "--cell"]
    path = args[0]
    repeats = int(args[1]) if len(args) > 1 else 5
    runs = []
    rows = 0
    for _ in range(repeats):
        start = time.perf_counter()
        frame = pd.read_csv(path)
        runs.append(time.perf_counter() - start)
        rows = len(frame)
        del frame
    if "--cell" in sys.argv:
        print(f"{statistics.median(runs):.3f} (min {min(runs):.3f})")
        return
    print(json.dumps({
        "tool": "pandas.read_csv",
        "pandas": pd.__version__,
        "file": path,
        "rows": rows,
        "runs_s": [round(r, 4) for r in runs],
        "best_s": round(min(runs), 4),
        "median_s": round(statistics.median(runs), 4),
    }))


if __name__ == "__main__":
    main()
