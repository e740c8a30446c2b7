"""Denoising numeric tables: Gaussian noise of 0.1, 0.3 and 0.7 training standard deviations
added to held-out rows of scikit-learn's bundled tables, and the mean squared error against the
clean rows (in standard deviations) of the noisy rows, of PCA's reconstruction (the component
count that best denoises noisy copies of the training rows), and of DenoisingAutoencoder with
its default code (the row's width, at most 32) against the earlier default (half the row),
side by side in one run.

    OMP_NUM_THREADS=1 python benchmarks/denoising_tables.py
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_diabetes, load_iris, load_wine
from sklearn.decomposition import PCA

from aekit import DenoisingAutoencoder
from aekit.apps import denoise

NOISE_LEVELS = (0.1, 0.3, 0.7)
TABLES = (load_iris, load_wine, load_breast_cancer, load_diabetes)


def split(X: np.ndarray):
    order = np.random.RandomState(0).permutation(len(X))  # some of them are sorted by class
    cut = int(0.75 * len(X))
    return X[order[:cut]], X[order[cut:]]


def with_noise(X: np.ndarray, sd: np.ndarray, level: float, seed: int) -> np.ndarray:
    return X + level * sd * np.random.RandomState(seed).normal(size=X.shape)


def distance(rows, clean: np.ndarray, sd: np.ndarray) -> float:
    """Mean squared error against the clean rows, in training standard deviations."""
    return float(np.mean(((np.asarray(rows) - clean) / sd) ** 2))


def pca_denoiser(train: np.ndarray, sd: np.ndarray, level: float):
    """PCA on the standardised training rows, with the component count that best restores
    noisy copies of them: a practitioner's tuned linear denoiser."""
    mean = train.mean(axis=0)
    scaled = (train - mean) / sd
    noisy = with_noise(train, sd, level, seed=2)
    best = None
    for k in range(1, train.shape[1] + 1):
        pca = PCA(k).fit(scaled)
        error = np.mean((pca.inverse_transform(pca.transform((noisy - mean) / sd)) - scaled) ** 2)
        if best is None or error < best[0]:
            best = (error, pca)
    pca = best[1]
    return lambda rows: pca.inverse_transform(pca.transform((rows - mean) / sd)) * sd + mean


def main() -> None:
    print("| table | noise | noisy input | PCA (tuned k) | aekit, code of half the row | "
          "aekit default (the row's width) |")
    print("|---|---|---|---|---|---|")
    for load in TABLES:
        X = load().data.astype(np.float64)
        train, test = split(X)
        sd = train.std(axis=0)
        for level in NOISE_LEVELS:
            noisy = with_noise(test, sd, level, seed=1)
            cells = [distance(noisy, test, sd),
                     distance(pca_denoiser(train, sd, level)(noisy), test, sd)]
            for latent in (max(1, X.shape[1] // 2), None):
                with warnings.catch_warnings():
                    warnings.simplefilter("ignore")
                    model = DenoisingAutoencoder(noise_level=level, latent_dim=latent,
                                                 random_state=0).fit(train)
                cells.append(distance(denoise(model, noisy), test, sd))
            name = load.__name__.removeprefix("load_")
            print(f"| {name} {X.shape[0]}x{X.shape[1]} | {level} | "
                  + " | ".join(f"{c:.4f}" for c in cells) + " |", flush=True)


if __name__ == "__main__":
    main()
