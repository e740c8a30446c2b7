"""Scoring throughput: a model's ONNX scorer in onnxruntime against ``score_samples`` in PyTorch.

Both score the same 10000 MNIST test rows, side by side in one run, each on one thread; the best
of ``--repeats`` interleaved runs counts. The models train briefly: throughput does not depend
on how well.

    OMP_NUM_THREADS=1 python benchmarks/onnx_scoring.py
"""

from __future__ import annotations

import argparse
import tempfile
import time

import numpy as np
import onnxruntime as ort
import torch
from _data import load_mnist

from aekit import VAE, Autoencoder

MODELS = {
    "Autoencoder dense 784-256-32": lambda: Autoencoder(latent_dim=32, hidden_dims=(256,)),
    "VAE dense 784-256-32 (bce)": lambda: VAE(latent_dim=32, hidden_dims=(256,)),
    "Autoencoder conv 32,64 -> 32": lambda: Autoencoder(architecture="conv", latent_dim=32),
}


def best_times(fns, repeats: int) -> list[float]:
    """The best time of each of ``fns``, run in turn ``repeats`` times (interleaved, so that
    load from elsewhere on the machine falls on both alike)."""
    times = [[] for _ in fns]
    for _ in range(repeats):
        for fn, spent in zip(fns, times):
            start = time.perf_counter()
            fn()
            spent.append(time.perf_counter() - start)
    return [min(spent) for spent in times]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--train-rows", type=int, default=5000)
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(1)
    X_train, _, X_test, _ = load_mnist()
    options = ort.SessionOptions()
    options.intra_op_num_threads = options.inter_op_num_threads = 1
    print("| model | input | PyTorch score_samples (rows/s) | onnxruntime scorer (rows/s) | "
          "speed-up | largest difference | largest relative difference |")
    print("|---|---|---|---|---|---|---|")
    for name, make in MODELS.items():
        conv = "conv" in name
        train = X_train[:args.train_rows].reshape(-1, 28, 28) if conv else X_train[:args.train_rows]
        test = X_test.reshape(-1, 28, 28) if conv else X_test
        model = make().set_params(epochs=1, random_state=0, device="cpu").fit(train)
        with tempfile.TemporaryDirectory() as folder:
            paths = model.export_onnx(folder)
            session = ort.InferenceSession(str(paths["scorer"]), options,
                                           providers=["CPUExecutionProvider"])
        torch_scores = model.score_samples(test)
        onnx_scores = session.run(None, {"rows": test})[0]
        t_torch, t_onnx = best_times([lambda: model.score_samples(test),  # noqa: B023
                                      lambda: session.run(None, {"rows": test})],  # noqa: B023
                                     args.repeats)
        n = len(test)
        gap = np.abs(onnx_scores - torch_scores)
        print(f"| {name} | {'(n, 28, 28)' if conv else '(n, 784)'} | {n / t_torch:,.0f} | "
              f"{n / t_onnx:,.0f} | {t_torch / t_onnx:.2f} | {gap.max():.1e} | "
              f"{(gap / np.abs(torch_scores)).max():.1e} |")


if __name__ == "__main__":
    main()
