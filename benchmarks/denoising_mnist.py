"""Denoising MNIST (Gaussian noise of factor 0.5, clipped to [0, 1], as in the Keras example):
test PSNR of the noisy input, of aekit's DenoisingAutoencoder and of scikit-image's classical
denoisers (non-local means, total variation, wavelet), each tuned on held-out training images,
side by side in one run.

    python benchmarks/denoising_mnist.py [--epochs 30] [--test-images 2000]
"""

from __future__ import annotations

import argparse
import itertools
import time

import numpy as np
from _data import load_mnist

NOISE = 0.5


def add_noise(X: np.ndarray, seed: int) -> np.ndarray:
    rng = np.random.RandomState(seed)
    return np.clip(X + NOISE * rng.normal(size=X.shape), 0, 1).astype(np.float32)


def psnr(clean: np.ndarray, estimate: np.ndarray) -> float:
    """Mean over images of the PSNR (data range 1)."""
    mse = np.square(clean - estimate).reshape(len(clean), -1).mean(1)
    return float(np.mean(10 * np.log10(1.0 / np.maximum(mse, 1e-12))))


def skimage_denoisers():
    from skimage.restoration import denoise_nl_means, denoise_tv_chambolle, denoise_wavelet

    grids = {
        "non-local means": (lambda img, h, patch, dist: denoise_nl_means(
            img, h=h, patch_size=patch, patch_distance=dist, fast_mode=True),
            {"h": [0.1, 0.15, 0.2, 0.3, 0.4], "patch": [3, 5, 7], "dist": [4, 6, 9]}),
        "total variation": (lambda img, weight: denoise_tv_chambolle(img, weight=weight),
                            {"weight": [0.1, 0.2, 0.3, 0.45, 0.6, 0.8]}),
        "wavelet": (lambda img, sigma, mode: denoise_wavelet(img, sigma=sigma, mode=mode,
                                                             rescale_sigma=True),
                    {"sigma": [0.2, 0.3, 0.4, 0.5, 0.6], "mode": ["soft", "hard"]}),
    }
    return grids


def apply(fn, images: np.ndarray, **params) -> np.ndarray:
    return np.stack([fn(img, **params) for img in images.reshape(-1, 28, 28)]).reshape(
        len(images), -1)


def tune(fn, grid: dict, noisy: np.ndarray, clean: np.ndarray) -> tuple[dict, float]:
    best, best_psnr = None, -np.inf
    for values in itertools.product(*grid.values()):
        params = dict(zip(grid, values))
        score = psnr(clean, np.clip(apply(fn, noisy, **params), 0, 1))
        if score > best_psnr:
            best, best_psnr = params, score
    return best, best_psnr


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=30)
    parser.add_argument("--test-images", type=int, default=2000)
    parser.add_argument("--tune-images", type=int, default=200)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()

    from aekit import DenoisingAutoencoder

    X_train, _, X_test, _ = load_mnist()
    clean = X_test[: args.test_images]
    noisy = add_noise(clean, seed=1)
    tune_clean = X_train[-args.tune_images:]
    tune_noisy = add_noise(tune_clean, seed=2)

    print(f"# noise: clip(x + {NOISE} N(0, 1), 0, 1); PSNR (dB, data range 1) averaged over "
          f"{len(clean)} test images; classical denoisers tuned on {args.tune_images} held-out "
          "training images")
    print("| method | test PSNR (dB) | settings | s (train or tune + run) |")
    print("|---|---|---|---|")

    def row(name: str, value: float, settings: str, seconds: float) -> None:
        print(f"| {name} | {value:.2f} | {settings} | {seconds:.0f} |", flush=True)

    row("noisy input", psnr(clean, noisy), "", 0.0)
    model = DenoisingAutoencoder(noise="gaussian", noise_level=NOISE, latent_dim=64,
                                 hidden_dims=(512, 256), loss="bce", epochs=args.epochs,
                                 batch_size=128, random_state=args.seed, device="cpu")
    started = time.perf_counter()
    model.fit(X_train[: -args.tune_images])
    row("aekit DenoisingAutoencoder (784-512-256-64)", psnr(clean, model.reconstruct(noisy)),
        f"{args.epochs} epochs", time.perf_counter() - started)
    for name, (fn, grid) in skimage_denoisers().items():
        started = time.perf_counter()
        params, _ = tune(fn, grid, tune_noisy, tune_clean)
        estimate = np.clip(apply(fn, noisy, **params), 0, 1)
        row(f"scikit-image {name}", psnr(clean, estimate), str(params),
            time.perf_counter() - started)


if __name__ == "__main__":
    main()
