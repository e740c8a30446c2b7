"""Scoring with the scaling in torch against the scaling in NumPy, side by side in one run.

    python benchmarks/scoring_scaling.py [--rows 60000] [--repeats 5]

``score_samples`` scales each batch in torch on its way into the network; the earlier path
scaled the whole array in NumPy first (a float32 copy of X, single-threaded) and then cut it into
batches. Both paths are timed on the same fitted model and rows (MNIST, standard scaling so the
scaling does real work), best of ``repeats``, interleaved; the scores must agree exactly.
"""

from __future__ import annotations

import argparse
import platform
import time

import numpy as np
import torch
from _data import load_mnist

from aekit import Autoencoder


def best_of(fn, repeats: int) -> float:
    best = float("inf")
    for _ in range(repeats):
        start = time.perf_counter()
        fn()
        best = min(best, time.perf_counter() - start)
    return best


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=60000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    X = load_mnist()[0][:args.rows]
    model = Autoencoder(latent_dim=32, hidden_dims=(), latent_activation="relu",
                        scaling="standard", epochs=1, batch_size=256, random_state=0,
                        device="cpu").fit(X[:10000])

    def numpy_scaling():  # the earlier path: a scaled float32 copy of X made in NumPy
        checked, _ = model._checked(X)
        scaled = np.subtract(checked, model.shift_, dtype=np.float32)
        np.divide(scaled, model.scale_, out=scaled)
        return -model._apply("row_loss", scaled, None)

    torch_scaling = lambda: model.score_samples(X)  # noqa: E731
    assert np.array_equal(numpy_scaling(), torch_scaling())
    times = {"numpy": float("inf"), "torch": float("inf")}
    for _ in range(args.repeats):
        times["numpy"] = min(times["numpy"], best_of(numpy_scaling, 1))
        times["torch"] = min(times["torch"], best_of(torch_scaling, 1))
    print(f"{platform.machine()}, torch {torch.__version__}, {torch.get_num_threads()} threads; "
          f"{len(X)} MNIST rows, 784 -> 32 -> 784, standard scaling, best of {args.repeats}")
    for name, seconds in times.items():
        print(f"| scaling in {name} | {seconds:.3f} s | {len(X) / seconds:,.0f} rows/s |")
    print(f"torch / numpy time: {times['torch'] / times['numpy']:.2f}")


if __name__ == "__main__":
    main()
