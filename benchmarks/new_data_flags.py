"""Does the default threshold hold on new data from the same source? The share of normal rows
(steps) flagged in the data a detector was fitted on, beside the share flagged in data it has
not seen, in one run.

    python benchmarks/new_data_flags.py [--seed 0] [--tables] [--series]

Tables: each ADBench set split at random into halves; the default ``AnomalyDetector`` fitted on
one half (labels unseen); the share of its normal rows that ``predict`` flags, and of the other
half's. Series: the default ``SeriesAnomalyDetector`` fitted on the first half of each NAB
realKnownCause series and of MIT-BIH, and on the clean training series of UCR 135 and the
GutenTAG ECG; the share of normal steps flagged in what it was fitted on, and in the second half
(the test series). Anomalous rows and steps: the share flagged in the unseen part.
"""

from __future__ import annotations

import argparse
import platform
import warnings

import numpy as np
import torch
from anomaly import ADBENCH, nab_series, tsad_series

from aekit import AnomalyDetector, SeriesAnomalyDetector


def _share(flags: np.ndarray, chosen: np.ndarray) -> str:
    return f"{flags[chosen].mean():.1%}" if chosen.any() else "-"


def run_tables(seed: int) -> list[tuple[float, float]]:
    print("| set | rows | normal flagged, fitted half | normal flagged, unseen half "
          "| anomalies flagged, unseen half |\n|---|---|---|---|---|")
    pairs = []
    for path in sorted(ADBENCH.glob("*.npz")):
        data = np.load(path)
        X, y = data["X"].astype(np.float64), data["y"].astype(bool)
        order = np.random.RandomState(seed).permutation(len(X))
        seen, unseen = order[: len(X) // 2], order[len(X) // 2:]
        detector = AnomalyDetector(random_state=seed).fit(X[seen])
        fitted, new = detector.predict(X[seen]) == -1, detector.predict(X[unseen]) == -1
        pairs.append((fitted[~y[seen]].mean(), new[~y[unseen]].mean()))
        print(f"| {path.stem} | {len(X)} | {_share(fitted, ~y[seen])} | {_share(new, ~y[unseen])} "
              f"| {_share(new, y[unseen])} |", flush=True)
    return pairs


def series_cases():
    """``(name, fitted part, its labels, unseen part, its labels)``."""
    for name, values, labels, train in nab_series() + tsad_series():
        if train is not None:
            yield name, train, np.zeros(len(train), int), values, labels
        else:
            half = len(values) // 2
            yield name, values[:half], labels[:half], values[half:], labels[half:]


def run_series(seed: int) -> list[tuple[float, float]]:
    """Also, ``refit_threshold`` on the first fifth of the unseen part (its labelled share
    said), and the shares flagged in the other four fifths with either threshold."""
    print("\n| series | window | steps fitted / unseen | normal flagged, fitted "
          "| normal flagged, unseen | anomalies flagged, unseen | labelled in the refit fifth "
          "| rest: normal flagged, threshold fitted / refit | rest: anomalies flagged, "
          "fitted / refit |\n|---|---|---|---|---|---|---|---|---|")
    pairs = []
    for name, fit_values, fit_labels, new_values, new_labels in series_cases():
        detector = SeriesAnomalyDetector(random_state=seed).fit(fit_values)
        fitted = detector.predict_steps(fit_values) == -1
        anomaly = -detector.score_steps(new_values)
        new = anomaly > detector.threshold_
        normal_fit, normal_new = fit_labels == 0, new_labels == 0
        pairs.append((fitted[normal_fit].mean(), new[normal_new].mean()))
        fifth = len(new_values) // 5
        refit = anomaly[fifth:] > detector.refit_threshold(new_values[:fifth]).threshold_
        rest_normal, rest = normal_new[fifth:], new[fifth:]
        print(f"| {name} | {detector.window_} | {len(fit_values)} / {len(new_values)} "
              f"| {_share(fitted, normal_fit)} | {_share(new, normal_new)} "
              f"| {_share(new, ~normal_new)} | {1 - normal_new[:fifth].mean():.1%} "
              f"| {_share(rest, rest_normal)} / {_share(refit, rest_normal)} "
              f"| {_share(rest, ~rest_normal)} / {_share(refit, ~rest_normal)} |", flush=True)
    return pairs


def _summary(kind: str, pairs: list[tuple[float, float]]) -> None:
    fitted, new = np.array(pairs).T
    print(f"\n{kind}: median share of normal ones flagged, fitted {np.median(fitted):.1%}, "
          f"unseen {np.median(new):.1%}; unseen above fitted in {(new > fitted).sum()} of "
          f"{len(pairs)}")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--tables", action="store_true")
    parser.add_argument("--series", action="store_true")
    args = parser.parse_args()
    both = not (args.tables or args.series)
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"seed {args.seed}\n")
    warnings.filterwarnings("ignore")  # few-rows and discrete-column notes: not measured here
    if args.tables or both:
        _summary("tables", run_tables(args.seed))
    if args.series or both:
        _summary("series", run_series(args.seed))


if __name__ == "__main__":
    main()
