"""Anomalies in tables with a categorical column, side by side in one run.

    python benchmarks/anomaly_categories.py [--seeds 0,1,2,3,4] [--share 0.05]
        [--kinds swap,global] [--methods ...]

The tables are scikit-learn's own (iris, wine, breast cancer, digits: shipped in its wheel),
each with its class as a text column beside the numbers. In ``share`` of the rows one of two
kinds of anomaly is planted (ADBench's synthetic kinds, as its paper names them):
- ``swap`` (a dependency anomaly): the class is swapped for another, drawn at random. The
  numbers of the row are ordinary, and so is its class, but not the two together: a mislabelled
  record, a product in the wrong category. A detector of the numbers alone cannot see it.
- ``global``: every number of the row is drawn uniformly from 1.1 times its column's range,
  the class kept: anomalies in the numbers, to see that reading the class costs nothing there.
- ``irrelevant``: ``global``'s anomalies, with the class column replaced by one of five
  categories drawn at random for each row: a column that says nothing about the numbers or the
  anomalies, to see how much such a column costs.

Detectors, each fitted without labels on the whole table and scoring it:
- ``aekit``: ``AnomalyDetector`` on the DataFrame, the class column as a category;
- ``aekit numbers``: ``AnomalyDetector`` on the numbers only (what a text column had to be
  dropped for before);
- ``iforest``: scikit-learn's ``IsolationForest`` on the numbers and ``pd.get_dummies`` of the
  class (the practitioner's usual one-hot encoding);
- ``lof``: ``LocalOutlierFactor`` (novelty=False, 20 neighbours) on the standardised numbers
  and the one-hot class;
- ``pyod ae``: PyOD's ``AutoEncoder`` on the same one-hot table (PyOD standardises it).
ROC-AUC and average precision x100 against the swapped rows, mean over seeds; wall time summed.
"""

from __future__ import annotations

import argparse
import platform
import time
import warnings

import numpy as np
import pandas as pd
from sklearn.datasets import load_breast_cancer, load_digits, load_iris, load_wine
from sklearn.ensemble import IsolationForest
from sklearn.metrics import average_precision_score, roc_auc_score
from sklearn.neighbors import LocalOutlierFactor
from sklearn.preprocessing import StandardScaler

from aekit import AnomalyDetector

LOADERS = {"iris": load_iris, "wine": load_wine, "breast_cancer": load_breast_cancer,
           "digits": load_digits}
METHODS = ("aekit", "aekit numbers", "iforest", "lof", "pyod ae")


def planted_table(name: str, kind: str, share: float, seed: int
                  ) -> tuple[pd.DataFrame, np.ndarray]:
    """The table with its class as text, and which rows hold a planted anomaly of ``kind``."""
    data = LOADERS[name]()
    names = np.asarray(data.target_names).astype(str)
    frame = pd.DataFrame(data.data, columns=[str(c) for c in data.feature_names] if hasattr(
        data, "feature_names") else None)
    frame.columns = [f"x{i}" if str(c).isdigit() else str(c) for i, c in enumerate(
        frame.columns)]
    labels = data.target.copy()
    rng = np.random.RandomState(seed)
    swapped = np.zeros(len(frame), bool)
    swapped[rng.choice(len(frame), max(1, round(share * len(frame))), replace=False)] = True
    if kind == "swap":
        shift = rng.randint(1, len(names), size=len(frame))
        labels[swapped] = (labels[swapped] + shift[swapped]) % len(names)
    else:  # global, irrelevant
        low, high = frame.min().to_numpy(), frame.max().to_numpy()
        middle, half = (low + high) / 2, 1.1 * (high - low) / 2
        frame.loc[swapped] = rng.uniform(middle - half, middle + half,
                                         size=(int(swapped.sum()), frame.shape[1]))
    frame["class"] = names[labels]
    if kind == "irrelevant":
        frame["class"] = rng.choice(list("vwxyz"), len(frame))
    return frame, swapped


def scores_of(method: str, frame: pd.DataFrame, seed: int) -> np.ndarray:
    """Anomaly scores (higher = more anomalous) of ``method`` fitted on ``frame``."""
    numbers = frame.drop(columns="class")
    onehot = pd.get_dummies(frame, columns=["class"], dtype=float)
    if method == "aekit":
        return -AnomalyDetector(random_state=seed).fit(frame).score_samples(frame)
    if method == "aekit numbers":
        return -AnomalyDetector(random_state=seed).fit(numbers).score_samples(numbers)
    if method == "iforest":
        return -IsolationForest(random_state=seed).fit(onehot).score_samples(onehot)
    if method == "lof":
        scaled = StandardScaler().fit_transform(onehot)
        lof = LocalOutlierFactor(n_neighbors=20).fit(scaled)
        return -lof.negative_outlier_factor_
    from pyod.models.auto_encoder import AutoEncoder

    model = AutoEncoder(random_state=seed, verbose=0).fit(onehot.to_numpy())
    return model.decision_scores_


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--seeds", default="0,1,2,3,4")
    parser.add_argument("--share", type=float, default=0.05)
    parser.add_argument("--methods", default=",".join(METHODS))
    parser.add_argument("--kinds", default="swap,global,irrelevant")
    args = parser.parse_args()
    seeds = [int(s) for s in args.seeds.split(",")]
    methods = args.methods.split(",")
    print(f"# {platform.processor() or platform.machine()}, share of anomalous rows "
          f"{args.share}, seeds {seeds}")
    for kind in args.kinds.split(","):
        print(f"\n## {kind}")
        compare(kind, methods, seeds, args.share)


def compare(kind: str, methods: list[str], seeds: list[int], share: float) -> None:
    print("| table | rows x numbers, classes | " + " | ".join(
        f"{m} ROC / AP" for m in methods) + " |")
    print("|---|---|" + "---|" * len(methods))
    totals = {m: [] for m in methods}
    seconds = dict.fromkeys(methods, 0.0)
    for name in LOADERS:
        cells = {m: [] for m in methods}
        for seed in seeds:
            frame, planted = planted_table(name, kind, share, seed)
            for method in methods:
                start = time.perf_counter()
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    scores = scores_of(method, frame, seed)
                seconds[method] += time.perf_counter() - start
                cells[method].append((roc_auc_score(planted, scores),
                                      average_precision_score(planted, scores)))
        shape = f"{len(frame)} x {frame.shape[1] - 1}, {frame['class'].nunique()}"
        row = []
        for method in methods:
            roc, ap = np.mean(cells[method], axis=0) * 100
            totals[method].append((roc, ap))
            row.append(f"{roc:.1f} / {ap:.1f}")
        print(f"| {name} | {shape} | " + " | ".join(row) + " |", flush=True)
    means = [np.mean(totals[m], axis=0) for m in methods]
    print("| mean | | " + " | ".join(f"**{roc:.1f} / {ap:.1f}**" for roc, ap in means) + " |")
    print("| seconds (all fits) | | " + " | ".join(f"{seconds[m]:.1f}" for m in methods) + " |")


if __name__ == "__main__":
    main()
