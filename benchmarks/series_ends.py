"""Steps near a series' ends: flagged more often than the middle? Two ways of turning window
scores into step scores, side by side on the same fitted detector, on NAB realKnownCause and the
tsad/ series.

    python benchmarks/series_ends.py [--seed 1]

"covering" (aekit's rule): a step's score is the mean of the windows that hold it; near an end
fewer windows hold a step, and a mean of fewer is more extreme. "same count" (tried): near an
end the range of window starts is moved inside the series, so that every step averages as many
windows. Reported per way: ROC-AUC x100 of the step scores against the labels, and the share of
normal steps flagged by ``predict_steps``'s rule (Tukey's fence on the training series' step
scores) within one window of either end and in the middle.
"""

from __future__ import annotations

import argparse
import warnings

import numpy as np
from anomaly import nab_series, tsad_series
from sklearn.metrics import roc_auc_score

from aekit import SeriesAnomalyDetector
from aekit.apps.anomaly import fit_threshold


def same_count_mean(window_scores: np.ndarray, starts: np.ndarray, window: int,
                    n_steps: int) -> np.ndarray:
    """The mean over the windows starting in the ``window`` steps up to each step, that range
    moved inside the series near its ends."""
    last_start = n_steps - window
    total, count = np.zeros(last_start + 2), np.zeros(last_start + 2)
    np.add.at(total, starts + 1, window_scores)
    np.add.at(count, starts + 1, 1)
    total, count = np.cumsum(total), np.cumsum(count)
    first = np.clip(np.arange(n_steps) - window + 1, 0, last_start - window + 1)
    return (total[first + window] - total[first]) / (count[first + window] - count[first])


def both_ways(detector: SeriesAnomalyDetector, series: np.ndarray) -> dict[str, np.ndarray]:
    values = detector._checked(series)
    starts = detector._starts(len(values))
    window_scores = -detector.detector_.score_samples(detector._features(values, starts))
    return {"covering": -detector.score_steps(series),
            "same count": same_count_mean(window_scores, starts, detector.window_, len(values))}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args()
    ways = ("covering", "same count")
    print("| series | window | ROC-AUC covering | ROC-AUC same count | flagged at ends "
          "(covering / same count) | flagged in the middle |")
    print("|---|---|---|---|---|---|")
    totals = {way: [0, 0, 0, 0] for way in ways}  # flagged and normal steps: ends, middle
    for name, test, labels, train in nab_series() + tsad_series():
        fit_on = test if train is None else train
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")
            detector = SeriesAnomalyDetector(random_state=args.seed).fit(fit_on)
        window = detector.window_
        train_steps, test_steps = both_ways(detector, fit_on), both_ways(detector, test)
        ends = np.zeros(len(test), bool)
        ends[:window] = ends[-window:] = True
        normal = labels == 0
        cells = []
        for way in ways:
            flagged = test_steps[way] > fit_threshold(train_steps[way], "auto", None)
            counts = [(flagged & ends & normal).sum(), (ends & normal).sum(),
                      (flagged & ~ends & normal).sum(), (~ends & normal).sum()]
            totals[way] = [a + b for a, b in zip(totals[way], counts)]
            cells.append((100 * roc_auc_score(labels, test_steps[way]),
                          counts[0] / max(counts[1], 1), counts[2] / max(counts[3], 1)))
        print(f"| {name} | {window} | {cells[0][0]:.1f} | {cells[1][0]:.1f} | "
              f"{cells[0][1]:.3f} / {cells[1][1]:.3f} | {cells[0][2]:.3f} |", flush=True)
    for way in ways:
        ends_rate = totals[way][0] / totals[way][1]
        middle_rate = totals[way][2] / totals[way][3]
        print(f"\n{way}: normal steps flagged within a window of the ends {ends_rate:.4f}, "
              f"in the middle {middle_rate:.4f} ({ends_rate / middle_rate:.2f}x)")


if __name__ == "__main__":
    main()
