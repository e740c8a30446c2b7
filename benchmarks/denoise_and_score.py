"""Two defaults on scikit-learn's digits (8x8, scaled to [0, 1]), printed side by side:

- a default ``DenoisingAutoencoder(noise_level=0.5)`` on test digits with Gaussian noise of
  standard deviation 0.5 (clipped to [0, 1]), in PSNR, against the noisy input and PCA;
- whether ``score()`` ranks a model trained unscaled and one trained standardised in the order
  of their pixel error.

    python benchmarks/denoise_and_score.py
"""

from __future__ import annotations

import warnings

import numpy as np
from sklearn.datasets import load_digits
from sklearn.decomposition import PCA

from aekit import Autoencoder, DenoisingAutoencoder


def psnr(estimate: np.ndarray, clean: np.ndarray) -> float:
    return float(10 * np.log10(1 / np.mean((estimate - clean) ** 2)))


def main() -> None:
    X = load_digits().data / 16.0
    rng = np.random.RandomState(0)
    order = rng.permutation(len(X))
    train, test = X[order[:1400]], X[order[1400:]]
    noisy = np.clip(test + 0.5 * rng.normal(size=test.shape), 0, 1)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        model = DenoisingAutoencoder(noise_level=0.5, random_state=0).fit(train)
    print(f"denoiser: {model.n_epochs_} epochs, {psnr(model.reconstruct(noisy), test):.2f} dB "
          f"(noisy input {psnr(noisy, test):.2f} dB); warnings: "
          f"{[str(w.message)[:50] for w in caught]}")
    for k in (32, 8):
        pca = PCA(k).fit(train)
        rebuilt = np.clip(pca.inverse_transform(pca.transform(noisy)), 0, 1)
        print(f"PCA({k}): {psnr(rebuilt, test):.2f} dB")
    for scaling in ("auto", "standard"):
        ae = Autoencoder(random_state=0, scaling=scaling).fit(train)
        error = np.mean((ae.reconstruct(test) - test) ** 2)
        print(f"scaling={scaling}: pixel MSE {error:.4f}, score {ae.score(test):.4f}")


if __name__ == "__main__":
    main()
