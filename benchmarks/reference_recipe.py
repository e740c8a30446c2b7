"""The classic Keras autoencoder recipe on MNIST: aekit against an idiomatic PyTorch loop
(and Keras 3, when installed), in one run.

Recipe: Dense(784 -> 32, relu) -> Dense(784, sigmoid), Adam, binary cross-entropy, 50 epochs,
batch 256, 60000 training images; reported: BCE on the 10000 test images (Keras' definition:
mean over pixels, probabilities clipped to [1e-7, 1 - 1e-7]) and seconds per epoch.

    python benchmarks/reference_recipe.py [--epochs 50] [--skip-torch] [--skip-keras]
        [--device cpu|cuda] [--compile auto|none|inductor|cuda_graph] [--tf32]

The PyTorch loop and Keras run on the CPU.
"""

from __future__ import annotations

import argparse
import importlib.util
import os
import platform
import time

import numpy as np
import torch
from _data import load_mnist

EPS = 1e-7


def keras_bce(X: np.ndarray, X_hat: np.ndarray) -> float:
    p = np.clip(X_hat.astype(np.float64), EPS, 1 - EPS)
    return float(-(X * np.log(p) + (1 - X) * np.log(1 - p)).mean())


def run_aekit(X_train, X_test, epochs, seed, device="cpu", compile="auto"):
    from aekit import Autoencoder

    ae = Autoencoder(latent_dim=32, hidden_dims=(), activation="relu", latent_activation="relu",
                     output_activation="sigmoid",
                     loss="bce", optimizer="adam", epochs=epochs, batch_size=256, shuffle=True,
                     random_state=seed, device=device, compile=compile)
    start = time.perf_counter()
    ae.fit(X_train)
    seconds = time.perf_counter() - start
    return keras_bce(X_test, ae.reconstruct(X_test)), seconds / epochs


def run_torch_dataloader(X_train, X_test, epochs, seed):
    """What a PyTorch user writes first: default init, DataLoader, BCELoss on sigmoid outputs."""
    torch.manual_seed(seed)
    model = torch.nn.Sequential(torch.nn.Linear(784, 32), torch.nn.ReLU(),
                                torch.nn.Linear(32, 784), torch.nn.Sigmoid())
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-3)
    data = torch.utils.data.TensorDataset(torch.from_numpy(X_train))
    loader = torch.utils.data.DataLoader(data, batch_size=256, shuffle=True)
    loss_fn = torch.nn.BCELoss()
    start = time.perf_counter()
    for _ in range(epochs):
        for (batch,) in loader:
            optimizer.zero_grad()
            loss_fn(model(batch), batch).backward()
            optimizer.step()
    seconds = time.perf_counter() - start
    with torch.no_grad():
        X_hat = model(torch.from_numpy(X_test)).numpy()
    return keras_bce(X_test, X_hat), seconds / epochs


def run_keras(X_train, X_test, epochs, seed):
    os.environ.setdefault("KERAS_BACKEND", "torch")  # TensorFlow is not a dependency here
    import keras

    keras.utils.set_random_seed(seed)
    inputs = keras.Input(shape=(784,))
    encoded = keras.layers.Dense(32, activation="relu")(inputs)
    decoded = keras.layers.Dense(784, activation="sigmoid")(encoded)
    model = keras.Model(inputs, decoded)
    model.compile(optimizer="adam", loss="binary_crossentropy")
    start = time.perf_counter()
    model.fit(X_train, X_train, epochs=epochs, batch_size=256, shuffle=True, verbose=0)
    seconds = time.perf_counter() - start
    return keras_bce(X_test, model.predict(X_test, verbose=0)), seconds / epochs


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=50)
    parser.add_argument("--seeds", type=int, nargs="+", default=[0])
    parser.add_argument("--skip-torch", action="store_true")
    parser.add_argument("--skip-keras", action="store_true")
    parser.add_argument("--device", default="cpu", help="aekit's device")
    parser.add_argument("--compile", default="auto", help="aekit's step mode")
    parser.add_argument("--tf32", action="store_true",
                        help="TensorFloat-32 matrix products on a GPU (PyTorch's own switch)")
    args = parser.parse_args()
    torch.backends.cuda.matmul.allow_tf32 = args.tf32

    X_train, _, X_test, _ = load_mnist()
    products = ", tf32" if args.tf32 else ""
    runners = {f"aekit ({args.device}, compile={args.compile!r}{products})": lambda *a: run_aekit(
        *a, device=args.device, compile=args.compile)}
    if not args.skip_torch:
        runners["PyTorch DataLoader loop, default init"] = run_torch_dataloader
    if not args.skip_keras and importlib.util.find_spec("keras"):
        runners[f"Keras 3 ({os.environ.get('KERAS_BACKEND', 'torch')} backend)"] = run_keras
    print(f"# {platform.processor() or platform.machine()}, torch {torch.__version__}, "
          f"{torch.get_num_threads()} threads, {args.epochs} epochs, seeds {args.seeds}")
    print("| implementation | test BCE (mean over seeds) | s / epoch |")
    print("|---|---|---|")
    for name, runner in runners.items():
        results = [runner(X_train, X_test, args.epochs, seed) for seed in args.seeds]
        bce = np.mean([r[0] for r in results])
        per_epoch = np.mean([r[1] for r in results])
        print(f"| {name} | {bce:.4f} | {per_epoch:.3f} |", flush=True)


if __name__ == "__main__":
    main()
