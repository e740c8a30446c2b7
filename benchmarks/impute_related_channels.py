"""Two related channels of an hourly series (b = 3a + 10 + noise), four gaps of 60 steps in b:
mean absolute error of the fills of `aekit impute` row by row (from a), of `aekit impute
--series` (from b's own past) and of linear interpolation, side by side in one run.

    OMP_NUM_THREADS=1 python benchmarks/impute_related_channels.py
"""

from __future__ import annotations

import subprocess
import sys
import tempfile
from pathlib import Path

import numpy as np
import pandas as pd

GAPS = (200, 500, 800, 1100)
GAP = 60


def channels(n: int = 1500) -> pd.DataFrame:
    rng = np.random.RandomState(0)
    t = np.arange(n)
    a = np.sin(2 * np.pi * t / 24) + 0.3 * np.sin(2 * np.pi * t / 97) + 0.05 * rng.normal(size=n)
    b = 3 * a + 10 + 0.05 * rng.normal(size=n)
    return pd.DataFrame({"timestamp": pd.date_range("2024-01-01", periods=n, freq="h"),
                         "a": a, "b": b})


def main() -> None:
    truth = channels()
    gappy = truth.copy()
    for start in GAPS:
        gappy.loc[start:start + GAP - 1, "b"] = np.nan
    missing = gappy["b"].isna().to_numpy()
    with tempfile.TemporaryDirectory() as folder:
        source = Path(folder) / "two.csv"
        gappy.to_csv(source, index=False)
        fills = {}
        for name, options in (("row by row", []), ("--series a,b", ["--series", "a,b"])):
            out = Path(folder) / "filled.csv"
            subprocess.run([sys.executable, "-m", "aekit", "impute", str(source), "--time",
                            "timestamp", "-o", str(out), *options], check=True,
                           capture_output=True)
            fills[name] = pd.read_csv(out)["b"].to_numpy()
    fills["linear interpolation"] = gappy["b"].interpolate().to_numpy()
    for name, filled in fills.items():
        error = np.abs(filled[missing] - truth["b"].to_numpy()[missing]).mean()
        print(f"{name}: mean absolute error {error:.3f} on {missing.sum()} cells")


if __name__ == "__main__":
    main()
