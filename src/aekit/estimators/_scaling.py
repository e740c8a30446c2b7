"""Per-feature input scaling, fitted in float64 and inverted on output."""

from __future__ import annotations

import numpy as np

SCALINGS = ("auto", "standard", "minmax", "none")


def resolve_scaling(method: str | None, X: np.ndarray) -> str:
    """``"auto"``: leave data already in [0, 1] alone (images, probabilities), else standardise."""
    if method is None:
        return "none"
    if method != "auto":
        return method
    return "none" if X.size and X.min() >= 0 and X.max() <= 1 else "standard"


def fit_scaling(method: str, X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(shift, scale)`` with ``scaled = (X - shift) / scale``; constant columns get 1."""
    X64 = X.astype(np.float64, copy=False).reshape(len(X), -1)
    n_features = X64.shape[1]
    if method == "standard":
        shift, scale = X64.mean(axis=0), X64.std(axis=0)
    elif method == "minmax":
        shift, scale = X64.min(axis=0), X64.max(axis=0) - X64.min(axis=0)
    else:
        shift, scale = np.zeros(n_features), np.ones(n_features)
    scale = scale.astype(np.float32)
    # constant (or sub-float32-precision) features are only shifted
    scale = np.where(np.isfinite(scale) & (scale >= np.finfo(np.float32).tiny), scale, 1.0)
    return shift.astype(np.float32), scale.astype(np.float32)


def apply_scaling(X: np.ndarray, shift: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return ((X - shift) / scale).astype(np.float32, copy=False)


def invert_scaling(X: np.ndarray, shift: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (X * scale + shift).astype(np.float32, copy=False)
