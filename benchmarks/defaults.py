"""Held-out reconstruction error of ``Autoencoder()`` with its defaults against PCA.

Each table is split 75/25 at random; both models are fitted on the 75%; the error is the mean
squared error on the 25% in standardised units (standardised with the training part's mean and
standard deviation), so that predicting each column's mean scores about 1. PCA uses the same
code size as the autoencoder's default (``latent_dim_``). Prints one row per table, the ratio
autoencoder / PCA, and the fit times.

    python benchmarks/defaults.py [--seeds 0 1 2] [--tables wine diabetes ...] [--params JSON]
    python benchmarks/defaults.py --variants     # SparseAutoencoder() and text with defaults
"""

from __future__ import annotations

import argparse
import json
import time

import numpy as np
from sklearn import datasets
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from _data import DATA_ROOT
from aekit import Autoencoder, CharTokenizer, SequenceAutoencoder, SparseAutoencoder

SKLEARN = {"iris": datasets.load_iris, "wine": datasets.load_wine,
           "diabetes": datasets.load_diabetes, "breast_cancer": datasets.load_breast_cancer,
           "digits": datasets.load_digits}
ADBENCH = {"cardio": "6_cardio", "satellite": "30_satellite", "letter": "20_letter",
           "pendigits": "28_pendigits", "ionosphere": "18_Ionosphere", "vowels": "40_vowels",
           "annthyroid": "2_annthyroid", "optdigits": "26_optdigits"}


def load_table(name: str) -> np.ndarray:
    if name in SKLEARN:
        return SKLEARN[name]().data.astype(np.float64)
    with np.load(DATA_ROOT / "adbench" / f"{ADBENCH[name]}.npz") as data:
        return data["X"].astype(np.float64)


def standardised_mse(X_test, X_hat, mean, std) -> float:
    return float(np.mean(((X_test - X_hat) / std) ** 2))


def one_run(X: np.ndarray, seed: int, params: dict) -> dict:
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=seed)
    mean, std = X_train.mean(0), X_train.std(0)
    std[std == 0] = 1
    start = time.perf_counter()
    ae = Autoencoder(random_state=seed, **params).fit(X_train)
    ae_seconds = time.perf_counter() - start
    start = time.perf_counter()
    pca = PCA(ae.latent_dim_).fit((X_train - mean) / std)
    pca_seconds = time.perf_counter() - start
    Z = pca.transform((X_test - mean) / std)
    return {"ae": standardised_mse(X_test, ae.reconstruct(X_test), mean, std),
            "pca": float(np.mean((pca.inverse_transform(Z) - (X_test - mean) / std) ** 2)),
            "ae_s": ae_seconds, "pca_s": pca_seconds, "epochs": ae.n_epochs_,
            "code": ae.latent_dim_}


def variants() -> None:
    """The other defaults: how sparse SparseAutoencoder()'s code is against Autoencoder()'s on
    digits, and whether SequenceAutoencoder(tokens=True) learns to reproduce short texts."""
    X = datasets.load_digits().data / 16
    for model in (Autoencoder(random_state=0), SparseAutoencoder(random_state=0)):
        codes = model.fit(X).transform(X)
        active = (np.abs(codes) > 1e-3).sum(1).mean()
        print(f"{type(model).__name__}(): {active:.1f} of {codes.shape[1]} code units active "
              "per row on digits")
    texts = ["the cat sat", "a dog ran", "hello world", "good day", "see you soon",
             "time flies", "red apple", "blue sky", "fresh bread", "cold water", "big house",
             "old tree"]
    tokenizer = CharTokenizer().fit(texts)
    ids, lengths = tokenizer.transform(texts)
    start = time.perf_counter()
    model = SequenceAutoencoder(tokens=True, random_state=0).fit(ids, lengths=lengths)
    valid = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    accuracy = (model.reconstruct(ids, lengths=lengths) == ids)[valid].mean()
    print(f"SequenceAutoencoder(tokens=True) on {len(texts)} short texts: loss "
          f"{model.history_['loss'][0]:.3f} -> {model.history_['loss'][-1]:.3f} in "
          f"{model.n_epochs_} epochs, {accuracy:.1%} of characters reproduced "
          f"({time.perf_counter() - start:.1f} s)")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tables", nargs="+", default=[*SKLEARN, *ADBENCH])
    parser.add_argument("--seeds", nargs="+", type=int, default=[0, 1, 2])
    parser.add_argument("--params", default="{}", help="Autoencoder parameters as JSON")
    parser.add_argument("--variants", action="store_true",
                        help="the sparse and text defaults instead of the tables")
    args = parser.parse_args()
    if args.variants:
        variants()
        return
    params = json.loads(args.params)
    print(f"Autoencoder({', '.join(f'{k}={v!r}' for k, v in params.items())}) vs PCA, "
          f"seeds {args.seeds}")
    print(f"{'table':<14}{'rows':>7}{'cols':>5}{'code':>5}{'epochs':>7}{'AE':>9}{'PCA':>9}"
          f"{'AE/PCA':>8}{'AE s':>8}{'PCA s':>7}")
    ratios = []
    for name in args.tables:
        X = load_table(name)
        runs = [one_run(X, seed, params) for seed in args.seeds]
        mean = {k: float(np.mean([r[k] for r in runs])) for k in runs[0]}
        ratio = mean["ae"] / mean["pca"]
        ratios.append(ratio)
        print(f"{name:<14}{X.shape[0]:>7}{X.shape[1]:>5}{int(mean['code']):>5}"
              f"{mean['epochs']:>7.0f}{mean['ae']:>9.4f}{mean['pca']:>9.4f}{ratio:>8.2f}"
              f"{mean['ae_s']:>8.2f}{mean['pca_s']:>7.3f}")
    print(f"worst AE/PCA {max(ratios):.2f}, geometric mean {np.exp(np.mean(np.log(ratios))):.2f}"
          f" over {len(ratios)} tables")


if __name__ == "__main__":
    main()
