"""Fit's start-up: seconds from ``fit()`` to the first epoch on MNIST (60000 x 784).

    OMP_NUM_THREADS=1 python benchmarks/fit_startup.py [--fits 3]

The reference recipe's model; the first fit in a process also pays PyTorch's own lazy imports
(``torch.optim`` imports ``torch._dynamo`` when the first optimizer is built), so each fit after
it is the figure a program that trains more than once sees. To compare two trees, run this
script with ``PYTHONPATH=<tree>/src`` for each, alternating.
"""

from __future__ import annotations

import argparse
import time

from _data import load_mnist

from aekit import Autoencoder
from aekit.train import Callback


class FirstEpoch(Callback):
    """Notes when the first epoch begins, and stops the run after it."""

    def on_epoch_begin(self, state):
        if not hasattr(self, "at"):
            self.at = time.perf_counter()
            state.stop_training = True


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--fits", type=int, default=3)
    args = parser.parse_args()
    X = load_mnist()[0]
    for fit in range(args.fits):
        timer = FirstEpoch()
        start = time.perf_counter()
        Autoencoder(latent_dim=32, hidden_dims=(), latent_activation="relu", epochs=1,
                    batch_size=256, device="cpu", callbacks=[timer]).fit(X)
        print(f"fit {fit + 1}: {timer.at - start:.3f} s before the first epoch")


if __name__ == "__main__":
    main()
