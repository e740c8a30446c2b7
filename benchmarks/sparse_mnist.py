"""Sparse codes on MNIST: the reference recipe with and without an L1 activity penalty on the
code (the Keras "sparse autoencoder" write-up reports mean code activations 7.30 against 3.33),
plus TopK, in one run.

    python benchmarks/sparse_mnist.py [--epochs 50]
"""

from __future__ import annotations

import argparse
import time

import numpy as np
from _data import load_mnist
from reference_recipe import keras_bce


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from aekit import Autoencoder, SparseAutoencoder

    X_train, _, X_test, _ = load_mnist()
    recipe = {"latent_dim": 32, "hidden_dims": (), "latent_activation": "relu", "loss": "bce",
              "epochs": args.epochs, "batch_size": 256,
              "random_state": args.seed, "device": "cpu"}
    models = {
        "plain (reference recipe)": Autoencoder(**recipe),
        "L1 1e-4 on the code": SparseAutoencoder(sparsity="l1", sparsity_weight=1e-4, **recipe),
        "TopK, k=8": SparseAutoencoder(sparsity="topk", k=8, **recipe),
    }
    print(f"# {args.epochs} epochs, batch 256, seed {args.seed}; metrics on the 10000 test images")
    print("| model | test BCE | mean code activation | active units per row (L0) | "
          "dead units | variance explained | s |")
    print("|---|---|---|---|---|---|---|")
    for name, model in models.items():
        started = time.perf_counter()
        model.fit(X_train)
        seconds = time.perf_counter() - started
        Z = model.transform(X_test)
        active = np.abs(Z) > 1e-3
        R = model.reconstruct(X_test)
        fve = 1 - np.square(X_test - R).sum() / np.square(X_test - X_test.mean(0)).sum()
        print(f"| {name} | {keras_bce(X_test, R):.4f} | {np.abs(Z).mean():.2f} | "
              f"{active.sum(1).mean():.1f} | {(~active.any(0)).mean():.0%} | {fve:.3f} | "
              f"{seconds:.0f} |", flush=True)


if __name__ == "__main__":
    main()
