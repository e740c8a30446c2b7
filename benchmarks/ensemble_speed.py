"""Training time of an ensemble trained as one batched network against one member alone.

    python benchmarks/ensemble_speed.py [--rows 10000] [--features 32] [--epochs 10] [--repeats 3]

The members have the shape the AnomalyDetector's default gives them (hidden width 2d capped at
64, code d/4); ten are trained together (``EnsembleAutoencoder(n_members=10)``) and one alone
(``n_members=1``), on the same rows, epochs and batch size; the best of ``repeats`` runs each,
side by side in one process. Goal: ten together cost at most twice one alone.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch

from aekit import EnsembleAutoencoder


def fit_seconds(X: np.ndarray, members: int, epochs: int, device: str = "cpu") -> float:
    d = X.shape[1]
    model = EnsembleAutoencoder(
        n_members=members, connection_density=0.8 if members > 1 else 1.0,
        smallest_member=0.5 if members > 1 else 1.0, latent_dim=max(1, d // 4),
        hidden_dims=(min(64, 2 * d),), activation="relu", output_activation="linear", loss="mse",
        epochs=epochs, batch_size=128, scaling="none", compile="none", device=device,
        random_state=0)
    start = time.perf_counter()
    model.fit(X)
    return time.perf_counter() - start


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10000)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--epochs", type=int, default=10)
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()
    X = np.random.RandomState(0).normal(size=(args.rows, args.features)).astype(np.float32)
    fit_seconds(X[:500], 10, 1)  # warm-up: first-call costs out of the timings
    best = {m: float("inf") for m in (1, 10)}
    for _ in range(args.repeats):
        for members in best:  # interleaved, so load changes hit both alike
            best[members] = min(best[members], fit_seconds(X, members, args.epochs))
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{args.rows} rows x {args.features} features, {args.epochs} epochs, batch 128")
    print("| members | fit (s, best of %d) | vs one |\n|---|---|---|" % args.repeats)
    for members, seconds in best.items():
        print(f"| {members} | {seconds:.2f} | {seconds / best[1]:.2f}x |")


if __name__ == "__main__":
    main()
