"""AutoencoderImputer against scikit-learn's imputers and missForest, side by side.

RMSE on the hidden cells in min-max-normalised space (each column scaled by its range in the
complete table), for three patterns: 20% and 50% missing completely at random, and missing not
at random (in half of the columns, drawn at random, the largest 30% of the values are removed).
Every method runs single-threaded, on the same masks, in one run; the report ranks the
methods within each (table, seed) and averages the ranks per pattern.

    python benchmarks/imputation.py --out results.jsonl            # everything
    python benchmarks/imputation.py --tables wine,glass --patterns mcar20 --seeds 0 --out r.jsonl
    python benchmarks/imputation.py --report r.jsonl               # tables from saved results
    python benchmarks/imputation.py --series --seeds 0,1,2          # the NAB series' gaps

missForest is ``IterativeImputer(ExtraTreesRegressor(n_estimators=10))``, as in
scikit-learn's example "Imputing missing values with variants of IterativeImputer".
"""

from __future__ import annotations

import argparse
import json
import sys
import time
import warnings
from pathlib import Path

import numpy as np
import torch

sys.path.insert(0, str(Path(__file__).resolve().parent))
from _data import DATA_ROOT  # noqa: E402

PATTERNS = ("mcar20", "mcar50", "mnar")
SKLEARN_TABLES = ("digits", "breast_cancer", "wine", "diabetes")
ADBENCH_TABLES = {"glass": "14_glass", "ionosphere": "18_Ionosphere", "pima": "29_Pima",
                  "stamps": "37_Stamps", "vowels": "40_vowels"}
TABLES = (*SKLEARN_TABLES, *ADBENCH_TABLES)


def load_table(name: str) -> np.ndarray:
    if name in SKLEARN_TABLES:
        import sklearn.datasets as datasets

        return getattr(datasets, f"load_{name}")().data.astype(np.float64)
    path = DATA_ROOT / "adbench" / f"{ADBENCH_TABLES[name]}.npz"
    if not path.is_file():
        raise SystemExit(f"{path} not found: set AEKIT_DATA to the shared data folder")
    return np.load(path)["X"].astype(np.float64)


def missing_mask(X: np.ndarray, pattern: str, rng: np.random.RandomState) -> np.ndarray:
    """Where cells are hidden: True = missing."""
    if pattern.startswith("mcar"):
        return rng.random_sample(X.shape) < int(pattern[4:]) / 100
    n, d = X.shape
    mask = np.zeros(X.shape, dtype=bool)
    for column in rng.choice(d, size=max(1, d // 2), replace=False):
        order = np.lexsort((rng.random_sample(n), X[:, column]))  # ties broken at random
        mask[order[n - int(0.3 * n):], column] = True
    return mask


def methods(seed: int) -> dict:
    from sklearn.ensemble import ExtraTreesRegressor
    from sklearn.experimental import enable_iterative_imputer  # noqa: F401
    from sklearn.impute import IterativeImputer, KNNImputer, SimpleImputer

    from aekit import AutoencoderImputer

    return {
        "mean": lambda: SimpleImputer(),
        "knn": lambda: KNNImputer(),
        "iterative": lambda: IterativeImputer(max_iter=10, random_state=seed),
        "missforest": lambda: IterativeImputer(
            ExtraTreesRegressor(n_estimators=10, random_state=seed), max_iter=10,
            random_state=seed),
        "aekit": lambda: AutoencoderImputer(random_state=seed, device="cpu"),
    }


def rmse(X: np.ndarray, filled: np.ndarray, mask: np.ndarray) -> float:
    span = X.max(0) - X.min(0)
    errors = (filled - X) / np.where(span > 0, span, 1.0)
    return float(np.sqrt(np.mean(errors[mask] ** 2)))


def run_tables(tables, patterns, seeds, names, out) -> None:
    for table in tables:
        X = load_table(table)
        for pattern in patterns:
            for seed in seeds:
                mask = missing_mask(X, pattern, np.random.RandomState(seed))
                X_missing = np.where(mask, np.nan, X)
                for name, make in methods(seed).items():
                    if name not in names:
                        continue
                    start = time.perf_counter()
                    with warnings.catch_warnings():
                        warnings.simplefilter("ignore")  # IterativeImputer's convergence notes
                        filled = make().fit_transform(X_missing)
                    row = {"table": table, "pattern": pattern, "seed": seed, "method": name,
                           "rmse": rmse(X, filled, mask),
                           "seconds": time.perf_counter() - start}
                    print(json.dumps(row), flush=True)
                    if out:
                        with open(out, "a") as handle:
                            handle.write(json.dumps(row) + "\n")


def report(paths) -> None:
    """Markdown tables: per pattern, the mean rank and each table's mean RMSE per method."""
    rows = [json.loads(line) for path in paths for line in open(path) if line.strip()]
    methods_seen = list(dict.fromkeys(r["method"] for r in rows))
    for pattern in [p for p in PATTERNS if any(r["pattern"] == p for r in rows)]:
        part = [r for r in rows if r["pattern"] == pattern]
        cases = sorted({(r["table"], r["seed"]) for r in part})
        ranks = {m: [] for m in methods_seen}
        for case in cases:
            scores = {r["method"]: r["rmse"] for r in part if (r["table"], r["seed"]) == case}
            if set(scores) != set(methods_seen):
                continue  # a case not run by every method is left out of the ranking
            order = sorted(scores, key=scores.get)
            for m in methods_seen:
                ranks[m].append(1 + order.index(m))
        tables = list(dict.fromkeys(r["table"] for r in part))
        print(f"\n{pattern} ({len(ranks[methods_seen[0]])} ranked cases)\n")
        print("| method | mean rank | " + " | ".join(tables) + " | seconds (total) |")
        print("|---" * (len(tables) + 3) + "|")
        for m in methods_seen:
            cells = []
            for t in tables:
                values = [r["rmse"] for r in part if r["method"] == m and r["table"] == t]
                cells.append(f"{np.mean(values):.4f}" if values else "-")
            seconds = sum(r["seconds"] for r in part if r["method"] == m)
            rank = f"{np.mean(ranks[m]):.2f}" if ranks[m] else "-"
            print(f"| {m} | {rank} | " + " | ".join(cells) + f" | {seconds:.0f} |")


def run_series(seeds, hidden_share: float = 0.1) -> None:
    """The NAB ambient temperature series, hourly: hide a share of its observed points and
    fill them by linear interpolation and by ``impute_series``."""
    import pandas as pd

    from aekit.apps.impute_series import impute_series

    path = DATA_ROOT / "nab" / "data" / "realKnownCause" / "ambient_temperature_system_failure.csv"
    frame = pd.read_csv(path, parse_dates=["timestamp"]).set_index("timestamp")
    series = frame["value"].resample("1h").mean().to_numpy()
    span = np.nanmax(series) - np.nanmin(series)
    print(f"series: {len(series)} hourly points, {int(np.isnan(series).sum())} missing; "
          f"{hidden_share:.0%} of the observed ones hidden")
    for seed in seeds:
        rng = np.random.RandomState(seed)
        hidden = ~np.isnan(series) & (rng.random_sample(len(series)) < hidden_share)
        gappy = np.where(hidden, np.nan, series)
        start = time.perf_counter()
        linear = pd.Series(gappy).interpolate("linear", limit_direction="both").to_numpy()
        t_linear = time.perf_counter() - start
        start = time.perf_counter()
        filled = impute_series(gappy, random_state=seed, device="cpu")
        t_ae = time.perf_counter() - start
        for name, values, seconds in (("linear", linear, t_linear), ("aekit", filled, t_ae)):
            error = np.sqrt(np.mean(((values - series)[hidden] / span) ** 2))
            print(json.dumps({"series": "ambient_temperature", "seed": seed, "method": name,
                              "rmse": float(error), "seconds": seconds}), flush=True)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", default=",".join(TABLES))
    parser.add_argument("--patterns", default=",".join(PATTERNS))
    parser.add_argument("--seeds", default="0,1,2")
    parser.add_argument("--methods", default="mean,knn,iterative,missforest,aekit")
    parser.add_argument("--out", help="append each result as a JSON line to this file")
    parser.add_argument("--report", nargs="+", metavar="FILE",
                        help="print the tables of results saved with --out, and stop")
    parser.add_argument("--series", action="store_true",
                        help="the time-series benchmark instead of the tables")
    args = parser.parse_args()
    if args.report:
        report(args.report)
        return
    torch.set_num_threads(1)  # every method single-threaded: a fair side-by-side
    seeds = [int(s) for s in args.seeds.split(",")]
    if args.series:
        run_series(seeds)
        return
    run_tables(args.tables.split(","), args.patterns.split(","), seeds,
               args.methods.split(","), args.out)
    if args.out:
        report([args.out])


if __name__ == "__main__":
    main()
