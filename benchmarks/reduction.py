"""Dimensionality reduction side by side, in one run: aekit's Autoencoder against PCA at the same
code size, and scikit-learn's KernelPCA and Isomap on a subset where they fit in memory. For each:
the test reconstruction squared error per image (summed over pixels in [0, 1]), the k-NN
accuracy of the test codes (5 neighbours among the training codes) and the fit time. The
autoencoder's test error is also logged along training (the curve), within a time budget.

    python benchmarks/reduction.py digits                      # 8-d codes, about a minute
    OMP_NUM_THREADS=1 python benchmarks/reduction.py mnist --minutes 30   # 30-d codes (Hinton &
        # Salakhutdinov 2006: deep autoencoder 3.00, PCA 13.87 squared error per image)
    OMP_NUM_THREADS=1 python benchmarks/reduction.py mnist --epochs 100 --cosine --minutes 80
    OMP_NUM_THREADS=1 python benchmarks/reduction.py mnist --hidden 1000,500,250 --batch-norm \
        --activation gelu --epochs 120 --cosine --minutes 85 --every 10   # 2.84 (goal: 3.0)
"""

from __future__ import annotations

import argparse
import math
import time

import numpy as np
import torch
from _data import load_mnist
from sklearn.decomposition import PCA, KernelPCA
from sklearn.manifold import Isomap
from sklearn.neighbors import KNeighborsClassifier

from aekit import Autoencoder
from aekit.train import Callback, LearningRateScheduler


def squared_error(X: np.ndarray, R: np.ndarray) -> float:
    """Mean over rows of the squared error summed over the row's values."""
    return float(np.square(X - R).reshape(len(X), -1).sum(1).mean())


def knn_accuracy(Z_train, y_train, Z_test, y_test) -> float:
    return float(KNeighborsClassifier(5).fit(Z_train, y_train).score(Z_test, y_test))


class TestCurve(Callback):
    """Log the test squared error every ``every`` epochs; stop once ``seconds`` have passed."""

    def __init__(self, X_test: np.ndarray, every: int, seconds: float):
        self.X_test, self.every, self.seconds = torch.from_numpy(X_test), every, seconds
        self.started, self.points = time.perf_counter(), []

    def on_epoch_end(self, state, logs):
        elapsed = time.perf_counter() - self.started
        if state.epoch % self.every == 0 or elapsed > self.seconds:
            state.module.eval()
            with torch.no_grad():
                R = torch.cat([state.module.reconstruct(x) for x in self.X_test.split(2048)])
            state.module.train()
            self.points.append((state.epoch, elapsed, squared_error(self.X_test.numpy(),
                                                                    R.numpy())))
            print(f"  epoch {state.epoch:4d}  {elapsed:7.0f} s  test squared error "
                  f"{self.points[-1][2]:.3f}", flush=True)
        if elapsed > self.seconds:
            state.stop_training = True


def digits():
    from sklearn.datasets import load_digits
    from sklearn.model_selection import train_test_split

    data = load_digits()
    X = (data.data / 16).astype(np.float32)
    return train_test_split(X, data.target, test_size=0.25, random_state=0,
                            stratify=data.target)


def run_baselines(X_train, y_train, X_test, y_test, code: int, subset: int, seed: int):
    """Rows of (method, seconds, test squared error or None, k-NN accuracy)."""
    rows = []
    started = time.perf_counter()
    pca = PCA(code, random_state=seed).fit(X_train)
    rows.append((f"PCA({code})", time.perf_counter() - started,
                 squared_error(X_test, pca.inverse_transform(pca.transform(X_test))),
                 knn_accuracy(pca.transform(X_train), y_train, pca.transform(X_test), y_test)))
    X_sub, y_sub = X_train[:subset], y_train[:subset]
    started = time.perf_counter()
    kpca = KernelPCA(code, kernel="rbf", fit_inverse_transform=True, random_state=seed)
    kpca.fit(X_sub)
    rows.append((f"KernelPCA({code}, rbf) on {len(X_sub)} rows", time.perf_counter() - started,
                 squared_error(X_test, kpca.inverse_transform(kpca.transform(X_test))),
                 knn_accuracy(kpca.transform(X_sub), y_sub, kpca.transform(X_test), y_test)))
    started = time.perf_counter()
    iso = Isomap(n_neighbors=10, n_components=code).fit(X_sub)
    rows.append((f"Isomap({code}) on {len(X_sub)} rows (no decoder)",
                 time.perf_counter() - started, None,
                 knn_accuracy(iso.transform(X_sub), y_sub, iso.transform(X_test), y_test)))
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("dataset", choices=("digits", "mnist"))
    parser.add_argument("--code", type=int, default=None, help="code size (digits 8, mnist 30)")
    parser.add_argument("--hidden", default=None,
                        help="encoder widths (digits 128,64; mnist 512,256; Hinton & "
                        "Salakhutdinov used 1000,500,250)")
    parser.add_argument("--epochs", type=int, default=None, help="digits 200, mnist 500")
    parser.add_argument("--batch-size", type=int, default=None, help="digits 64, mnist 256")
    parser.add_argument("--minutes", type=float, default=25.0,
                        help="stop the autoencoder's training after this long")
    parser.add_argument("--subset", type=int, default=3000,
                        help="training rows KernelPCA and Isomap see")
    parser.add_argument("--every", type=int, default=None, help="epochs between curve points")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--cosine", action="store_true",
                        help="anneal the learning rate to 0 over --epochs (cosine)")
    parser.add_argument("--activation", default="relu", help="hidden layers' activation")
    parser.add_argument("--batch-norm", action="store_true", help="batch normalisation")
    parser.add_argument("--learning-rate", type=float, default=1e-3,
                        help="Adam's learning rate (the cosine schedule starts there)")
    parser.add_argument("--threads", type=int, default=1,
                        help="torch threads; on the shared 2-core machine two threads ran an "
                        "epoch 7 to 30 times slower than one (they wait on each other)")
    args = parser.parse_args()
    torch.set_num_threads(args.threads)

    mnist = args.dataset == "mnist"
    if mnist:
        X_train, y_train, X_test, y_test = load_mnist()
    else:
        X_train, X_test, y_train, y_test = digits()
    code = args.code or (30 if mnist else 8)
    hidden = tuple(int(w) for w in (args.hidden or ("512,256" if mnist else "128,64"))
                   .split(","))
    epochs = args.epochs or (500 if mnist else 200)
    every = args.every or (2 if mnist else 20)
    print(f"# {args.dataset}: {len(X_train)} train / {len(X_test)} test rows, code size {code}, "
          f"torch threads {torch.get_num_threads()}", flush=True)

    rows = run_baselines(X_train, y_train, X_test, y_test, code, args.subset, args.seed)
    curve = TestCurve(X_test, every, args.minutes * 60)
    callbacks = [curve]
    if args.cosine:
        callbacks.insert(0, LearningRateScheduler(
            lambda epoch, lr: 0.5 * args.learning_rate * (1 + math.cos(math.pi * epoch / epochs))))
    ae = Autoencoder(latent_dim=code, hidden_dims=hidden, activation=args.activation,
                     latent_activation="linear", loss="bce", optimizer="adam",
                     learning_rate=args.learning_rate, epochs=epochs,
                     batch_norm=args.batch_norm,
                     batch_size=args.batch_size or (256 if mnist else 64),
                     callbacks=callbacks, random_state=args.seed, device="cpu")
    started = time.perf_counter()
    ae.fit(X_train)
    seconds = time.perf_counter() - started
    widths = "-".join(map(str, (X_train.shape[1], *hidden, code)))
    rows.insert(0, (f"aekit Autoencoder {widths} (mirrored), {ae.n_epochs_} epochs", seconds,
                    squared_error(X_test, ae.reconstruct(X_test)),
                    knn_accuracy(ae.transform(X_train), y_train, ae.transform(X_test), y_test)))

    print("\n| method | fit s | test squared error per image | test MSE | 5-NN accuracy |")
    print("|---|---|---|---|---|")
    n_values = X_test.shape[1]
    for name, secs, error, accuracy in rows:
        shown = ("-", "-") if error is None else (f"{error:.2f}", f"{error / n_values:.5f}")
        print(f"| {name} | {secs:.0f} | {shown[0]} | {shown[1]} | {accuracy:.4f} |")
    print("\ncurve (epoch, seconds, test squared error):",
          ", ".join(f"({e}, {s:.0f}, {v:.2f})" for e, s, v in curve.points))


if __name__ == "__main__":
    main()
