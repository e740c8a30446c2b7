"""Per-feature input scaling, fitted in float64 and inverted on output."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALINGS = ("auto", "standard", "minmax", "none")
# Statistics are computed over blocks of about this many values, merged exactly: memory stays
# bounded and each block's float64 copy stays in cache (no float64 copy of the whole input).
BLOCK_VALUES = 1 << 18


@dataclass(frozen=True)
class FeatureStats:
    """Per-feature count, minimum, maximum, mean and (population) variance, in float64.

    ``of`` computes them from an array; ``merge`` combines two parts exactly (Chan et al.'s
    parallel update), so data streamed in blocks gets the same statistics as data in memory.
    """

    n: int
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray
    var: np.ndarray

    @classmethod
    def of(cls, X: np.ndarray) -> FeatureStats:
        """The statistics of ``X``'s rows, block by block (``BLOCK_VALUES``), merged."""
        X = X.reshape(len(X), -1)
        rows = max(1, BLOCK_VALUES // max(1, X.shape[1]))
        stats = cls._of_block(X[:rows])
        for start in range(rows, len(X), rows):
            stats = stats.merge(cls._of_block(X[start:start + rows]))
        return stats

    @classmethod
    def _of_block(cls, X: np.ndarray) -> FeatureStats:
        X64 = X.astype(np.float64)
        mean = X64.mean(axis=0)
        X64 -= mean
        return cls(len(X64), X.min(axis=0).astype(np.float64), X.max(axis=0).astype(np.float64),
                   mean, np.einsum("ij,ij->j", X64, X64) / max(1, len(X64)))

    def merge(self, other: FeatureStats) -> FeatureStats:
        n = self.n + other.n
        delta = other.mean - self.mean
        mean = self.mean + delta * (other.n / n)
        m2 = self.var * self.n + other.var * other.n + delta**2 * (self.n * other.n / n)
        return FeatureStats(n, np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi),
                            mean, m2 / n)


def resolve_scaling(method: str | None, stats: FeatureStats) -> str:
    """``"auto"``: leave data already in [0, 1] alone (images, probabilities), else standardise."""
    if method is None:
        return "none"
    if method != "auto":
        return method
    return "none" if stats.n and stats.lo.min() >= 0 and stats.hi.max() <= 1 else "standard"


def fit_scaling(method: str, stats: FeatureStats) -> tuple[np.ndarray, np.ndarray]:
    """Return ``(shift, scale)`` with ``scaled = (X - shift) / scale``; constant columns get 1."""
    if method == "standard":
        shift, scale = stats.mean, np.sqrt(stats.var)
    elif method == "minmax":
        shift, scale = stats.lo, stats.hi - stats.lo
    else:
        shift, scale = np.zeros_like(stats.mean), np.ones_like(stats.mean)
    scale = scale.astype(np.float32)
    # constant (or sub-float32-precision) features are only shifted
    scale = np.where(np.isfinite(scale) & (scale >= np.finfo(np.float32).tiny), scale, 1.0)
    return shift.astype(np.float32), scale.astype(np.float32)


def apply_scaling(X: np.ndarray, shift: np.ndarray, scale: np.ndarray) -> np.ndarray:
    out = np.subtract(X, shift, dtype=np.float32)
    return np.divide(out, scale, out=out)  # in place: one array the size of X, not three


def invert_scaling(X: np.ndarray, shift: np.ndarray, scale: np.ndarray) -> np.ndarray:
    return (X * scale + shift).astype(np.float32, copy=False)
