"""TopK's dead units on a small table: scikit-learn's digits (1797 x 64, in [0, 1]), the
default SparseAutoencoder with k=8 and k=4, seeds 0 and 1, in one run: the sparsity report on
the training rows and the score (higher is better).

    python benchmarks/topk_dead_units.py
"""

from __future__ import annotations

import time

from sklearn.datasets import load_digits

from aekit import SparseAutoencoder


def main() -> None:
    X = load_digits().data / 16
    print("| k | seed | epochs | dead units | L0 | variance explained | score | s |\n"
          "|---|---|---|---|---|---|---|---|")
    for k in (8, 4):
        for seed in (0, 1):
            start = time.perf_counter()
            model = SparseAutoencoder(k=k, random_state=seed).fit(X)
            report = model.sparsity_report(X)
            print(f"| {k} | {seed} | {model.n_epochs_} | {report['dead_fraction']:.1%} "
                  f"| {report['l0']:.2f} | {report['variance_explained']:.3f} "
                  f"| {model.score(X):.4f} | {time.perf_counter() - start:.1f} |", flush=True)


if __name__ == "__main__":
    main()
