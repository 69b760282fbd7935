"""Time pandas.read_csv on a CSV (gzip read transparently), as the peer for the ingest benchmark.

Usage: python pandas_read_csv.py FILE [REPEATS]
Prints one JSON line: {"tool": "pandas.read_csv", "file", "rows", "runs_s": [...], "best_s", "median_s"}.
"""

import json
import statistics
import sys
import time

import pandas as pd


def main() -> None:
    path = sys.argv[1]
    repeats = int(sys.argv[2]) if len(sys.argv) > 2 else 5
    runs = []
    rows = 0
    for _ in range(repeats):
        start = time.perf_counter()
        frame = pd.read_csv(path)
        runs.append(time.perf_counter() - start)
        rows = len(frame)
        del frame
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
