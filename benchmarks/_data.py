"""Real datasets for benchmarks, read from the shared data folder (never downloaded)."""

from __future__ import annotations

import gzip
import os
from pathlib import Path

import numpy as np

DATA_ROOT = Path(os.environ.get("AEKIT_DATA", Path(__file__).resolve().parents[2] / "shared" / "data"))


def _read_idx(path: Path) -> np.ndarray:
    with gzip.open(path, "rb") as handle:
        data = handle.read()
    n_dims = data[3]
    shape = tuple(int.from_bytes(data[4 + 4 * i: 8 + 4 * i], "big") for i in range(n_dims))
    return np.frombuffer(data, dtype=np.uint8, offset=4 + 4 * n_dims).reshape(shape)


def load_mnist(root: Path | None = None):
    """MNIST as float32 in [0, 1], flattened: ``(X_train, y_train, X_test, y_test)``."""
    folder = Path(root or DATA_ROOT) / "mnist"
    if not folder.is_dir():
        raise SystemExit(f"MNIST not found in {folder}: set AEKIT_DATA to the shared data folder")
    images = {split: _read_idx(folder / f"{split}-images-idx3-ubyte.gz")
              for split in ("train", "t10k")}
    labels = {split: _read_idx(folder / f"{split}-labels-idx1-ubyte.gz")
              for split in ("train", "t10k")}
    flat = {k: (v.reshape(len(v), -1).astype(np.float32) / 255.0) for k, v in images.items()}
    return flat["train"], labels["train"], flat["t10k"], labels["t10k"]
