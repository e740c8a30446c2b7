"""Anomaly detection, side by side in one run: aekit's detectors against the usual baselines.

    python benchmarks/anomaly.py [--tables] [--series] [--sets thyroid,cardio] [--seeds 1,2,3]
        [--methods aekit,iforest,ecod,pyod_ae,pyod_vae]

Tables: the ADBench sets in ../shared/data/adbench under ADBench's protocol (see its RESULTS.md):
sets under 1,000 rows duplicated up to 1,000, sets over 10,000 subsampled to 10,000, a stratified
70/30 split, min-max scaling fitted on the 70%, detectors fitted without labels on the 70% and
scored on the 30%. ROC-AUC and PR-AUC (average precision) x100, mean over seeds; the summed wall
time of fit + score; F1 of ``predict`` (default threshold) against IsolationForest's ``predict``.

Series: NAB realKnownCause and the tsad/ series: ROC-AUC of per-step scores against the labelled
steps, aekit's SeriesAnomalyDetector against IsolationForest, PCA reconstruction error and the
distance to the k-th nearest window, each on z-normalised sliding windows (a step gets the mean
score of the windows that hold it); and the UCR criterion (top-scored step inside the anomaly).
"""

from __future__ import annotations

import argparse
import json
import platform
import time
import warnings

import numpy as np
import pandas as pd
from _data import DATA_ROOT
from sklearn.decomposition import PCA
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, f1_score, roc_auc_score
from sklearn.model_selection import train_test_split
from sklearn.preprocessing import MinMaxScaler

from aekit import AnomalyDetector

ADBENCH = DATA_ROOT / "adbench"


# ----------------------------------------------------------------------------- tables
def adbench_split(name: str, seed: int):
    """``(X_train, X_test, y_test, y_train)`` under ADBench's protocol."""
    data = np.load(ADBENCH / f"{name}.npz")
    X, y = data["X"].astype(np.float64), data["y"].astype(int)
    rng = np.random.RandomState(seed)
    if len(X) < 1000:
        extra = rng.choice(len(X), 1000 - len(X), replace=True)
        X, y = np.concatenate([X, X[extra]]), np.concatenate([y, y[extra]])
    elif len(X) > 10000:
        keep = rng.choice(len(X), 10000, replace=False)
        X, y = X[keep], y[keep]
    X_train, X_test, y_train, y_test = train_test_split(X, y, test_size=0.3, stratify=y,
                                                        random_state=seed)
    scaler = MinMaxScaler().fit(X_train)
    return scaler.transform(X_train), scaler.transform(X_test), y_test, y_train


def _pyod(name: str, seed: int):
    if name == "pyod_ae":
        from pyod.models.auto_encoder import AutoEncoder

        return AutoEncoder(random_state=seed, verbose=0)
    from pyod.models.vae import VAE

    return VAE(random_state=seed, verbose=0)


def make_detector(method: str, seed: int):
    """A fresh detector with ``fit``, an anomaly score (higher = more anomalous) and labels."""
    if method == "aekit":
        return AnomalyDetector(random_state=seed)
    if method == "iforest":
        return IsolationForest(random_state=seed)
    if method == "ecod":
        from pyod.models.ecod import ECOD

        return ECOD()
    return _pyod(method, seed)


def anomaly_scores(detector, X) -> np.ndarray:
    if hasattr(detector, "decision_scores_"):  # PyOD: decision_function is higher = anomalous
        return detector.decision_function(X)
    return -detector.score_samples(X)


def predicted_outliers(detector, X) -> np.ndarray:
    labels = detector.predict(X)  # PyOD: 1 = outlier, 0 = inlier; scikit-learn: -1 = outlier
    return labels.astype(bool) if hasattr(detector, "decision_scores_") else labels == -1


def run_tables(sets: list[str], seeds: list[int], methods: list[str]) -> None:
    rows = []
    for name in sets:
        for seed in seeds:
            X_train, X_test, y_test, _ = adbench_split(name, seed)
            for method in methods:
                detector = make_detector(method, seed)
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    detector.fit(X_train)
                    scores = anomaly_scores(detector, X_test)
                seconds = time.perf_counter() - start
                flagged = predicted_outliers(detector, X_test)
                rows.append({"set": name, "seed": seed, "method": method,
                             "roc": 100 * roc_auc_score(y_test, scores),
                             "pr": 100 * average_precision_score(y_test, scores),
                             "f1": 100 * f1_score(y_test, flagged), "seconds": seconds})
            done = [r for r in rows if r["set"] == name and r["seed"] == seed]
            print(f"{name} seed {seed}: " + ", ".join(
                f"{r['method']} {r['roc']:.1f} ({r['seconds']:.1f}s)" for r in done), flush=True)
    table = pd.DataFrame(rows)
    for metric, title in (("roc", "ROC-AUC x100"), ("pr", "PR-AUC x100"),
                          ("f1", "F1 x100 of predict at the default threshold")):
        print_table(table, metric, title, methods)
    seconds = table.groupby("method")["seconds"].sum().reindex(methods)
    print("\n### Wall time of fit + score, summed over sets and seeds (s)\n")
    print("| " + " | ".join(methods) + " |\n|" + "---|" * len(methods))
    print("| " + " | ".join(f"{seconds[m]:.1f}" for m in methods) + " |")
    if "aekit" in methods:
        for other in methods:
            if other != "aekit":
                print(f"{other} / aekit time: {seconds[other] / seconds['aekit']:.2f}x")


def print_table(table: pd.DataFrame, metric: str, title: str, methods: list[str]) -> None:
    means = table.groupby(["set", "method"])[metric].mean().unstack()[methods]
    print(f"\n### {title}, mean over seeds\n")
    print("| set | " + " | ".join(methods) + " |\n|---|" + "---|" * len(methods))
    for name, row in means.iterrows():
        print(f"| {name} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
    print("| **mean** | " + " | ".join(f"**{v:.1f}**" for v in means.mean()) + " |")


# ----------------------------------------------------------------------------- series
NAB = DATA_ROOT / "nab"
TSAD = DATA_ROOT / "tsad"


def nab_series() -> list[tuple[str, np.ndarray, np.ndarray, None]]:
    """``(name, values, labels, None)`` for NAB realKnownCause: a step is anomalous inside a
    labelled window. These have no clean training part: detectors fit on the series itself."""
    windows = json.loads((NAB / "labels" / "combined_windows.json").read_text())
    out = []
    for path in sorted((NAB / "data" / "realKnownCause").glob("*.csv")):
        frame = pd.read_csv(path, parse_dates=["timestamp"])
        labels = np.zeros(len(frame), dtype=int)
        for start, end in windows[f"realKnownCause/{path.name}"]:
            inside = (frame["timestamp"] >= pd.Timestamp(start)) & (
                frame["timestamp"] <= pd.Timestamp(end))
            labels[inside.to_numpy()] = 1
        out.append((path.stem, frame["value"].to_numpy(float), labels, None))
    return out


def tsad_series() -> list[tuple[str, np.ndarray, np.ndarray, np.ndarray | None]]:
    """UCR 135 and the GutenTAG ECG (with their clean training series), and MIT-BIH."""
    aeon = TSAD / "aeon"
    ucr = "135_UCR_Anomaly_InternalBleeding16"
    out = []
    for name, test, train in ((ucr, f"{ucr}_TEST", f"{ucr}_TRAIN"),
                              ("ecg-diff-count-3", "ecg-diff-count-3_TEST",
                               "ecg-diff-count-3_TRAIN_NA")):
        frame = pd.read_csv(aeon / f"{test}.csv")
        train_values = pd.read_csv(aeon / f"{train}.csv").iloc[:, 1].to_numpy(float)
        out.append((name, frame.iloc[:, 1].to_numpy(float), frame["is_anomaly"].to_numpy(int),
                    train_values))
    mitdb = pd.read_csv(TSAD / "sktime" / "mitdb.csv")
    out.append(("mitdb", mitdb["data"].to_numpy(float), mitdb["label"].to_numpy(int), None))
    return out


def znorm_windows(values: np.ndarray, window: int) -> np.ndarray:
    windows = np.lib.stride_tricks.sliding_window_view(values, window)
    mean, std = windows.mean(1, keepdims=True), windows.std(1, keepdims=True)
    return np.divide(windows - mean, std, out=np.zeros_like(windows), where=std > 0)


def windows_to_steps(window_scores: np.ndarray, window: int, n_steps: int) -> np.ndarray:
    """A step's score: the mean score of the (stride 1) windows that hold it."""
    total = np.convolve(window_scores, np.ones(window))[:n_steps]
    count = np.convolve(np.ones(len(window_scores)), np.ones(window))[:n_steps]
    return total / count


def subsequence_scores(method: str, train: np.ndarray, test: np.ndarray, window: int,
                       seed: int) -> np.ndarray:
    """Per step anomaly scores of a classical detector on z-normalised sliding windows."""
    from pyod.models.knn import KNN

    fit_windows, test_windows = znorm_windows(train, window), znorm_windows(test, window)
    same = train is test
    if method == "sub_iforest":
        model = IsolationForest(random_state=seed).fit(fit_windows)
        scores = -model.score_samples(test_windows)
    elif method == "sub_pca":  # reconstruction error from the components holding 95% variance
        model = PCA(n_components=0.95, svd_solver="full").fit(fit_windows)
        rebuilt = model.inverse_transform(model.transform(test_windows))
        scores = np.square(test_windows - rebuilt).sum(1)
    else:  # sub_knn: distance to the 5th nearest other window (PyOD's KNN defaults)
        model = KNN().fit(fit_windows)
        scores = model.decision_scores_ if same else model.decision_function(test_windows)
    return windows_to_steps(scores, window, len(test))


def run_series(wanted: list[str] | None, seeds: list[int]) -> None:
    from aekit import SeriesAnomalyDetector
    from aekit.apps.series_anomaly import dominant_period

    methods = ["aekit", "sub_iforest", "sub_pca", "sub_knn"]
    series = nab_series() + tsad_series()
    if wanted:
        series = [s for s in series if any(w in s[0] for w in wanted)]
    rows = []
    for name, test, labels, train in series:
        fit_on = test if train is None else train
        window = dominant_period(fit_on[:, None])
        for method in methods:
            results = []
            for seed in seeds if method in ("aekit", "sub_iforest") else seeds[:1]:
                start = time.perf_counter()
                if method == "aekit":
                    detector = SeriesAnomalyDetector(random_state=seed).fit(fit_on)
                    scores = -detector.score_steps(test)
                else:
                    scores = subsequence_scores(method, fit_on, test, window, seed)
                seconds = time.perf_counter() - start
                top = int(np.argmax(scores))
                results.append((100 * roc_auc_score(labels, scores), bool(labels[top]), seconds))
            roc, hit, seconds = (np.mean([r[i] for r in results]) for i in range(3))
            rows.append({"series": name, "method": method, "roc": roc, "top_hit": hit,
                         "seconds": seconds})
        done = [r for r in rows if r["series"] == name]
        print(f"{name} (window {window}): " + ", ".join(
            f"{r['method']} {r['roc']:.1f}" for r in done), flush=True)
    table = pd.DataFrame(rows)
    means = table.pivot(index="series", columns="method", values="roc")[methods]
    hits = table.pivot(index="series", columns="method", values="top_hit")[methods]
    print("\n### Series: ROC-AUC x100 per step (top-scored step inside a labelled anomaly: *)\n")
    print("| series | " + " | ".join(methods) + " |\n|---|" + "---|" * len(methods))
    for name, row in means.iterrows():
        print(f"| {name} | " + " | ".join(
            f"{v:.1f}{'*' if hits.loc[name, m] == 1 else ''}" for m, v in row.items()) + " |")
    print("| **mean** | " + " | ".join(f"**{v:.1f}**" for v in means.mean()) + " |")
    seconds = table.groupby("method")["seconds"].sum()[methods]
    print("| seconds (fit + score, per seed) | " + " | ".join(f"{v:.1f}" for v in seconds) + " |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", action="store_true", help="run the ADBench tables")
    parser.add_argument("--series", action="store_true", help="run the time series")
    parser.add_argument("--sets", default=None, help="comma-separated names (substrings)")
    parser.add_argument("--seeds", default="1,2,3")
    parser.add_argument("--methods", default="aekit,pyod_ae,pyod_vae,iforest,ecod")
    args = parser.parse_args()
    if not (args.tables or args.series):
        args.tables = args.series = True
    seeds = [int(s) for s in args.seeds.split(",")]
    wanted = args.sets.split(",") if args.sets else None
    print(f"machine: {platform.machine()}, {platform.processor() or 'cpu'}; "
          f"{time.strftime('%Y-%m-%d %H:%M UTC', time.gmtime())}")
    if args.tables:
        sets = sorted((p.stem for p in ADBENCH.glob("*.npz")), key=lambda s: int(s.split("_")[0]))
        if wanted:
            sets = [s for s in sets if any(w in s for w in wanted)]
        run_tables(sets, seeds, args.methods.split(","))
    if args.series:
        run_series(wanted, seeds)


if __name__ == "__main__":
    main()
