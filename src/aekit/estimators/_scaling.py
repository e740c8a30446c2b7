"""Per-feature statistics and the scaling fitted from them (applied by
``aekit.nn.preprocess.Preprocessor``, in torch)."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

SCALINGS = ("auto", "standard", "minmax", "none")
# Statistics are computed over blocks of about this many values, merged exactly: memory stays
# bounded and each block's float64 copy stays in cache (no float64 copy of the whole input).
BLOCK_VALUES = 1 << 18


@dataclass(frozen=True)
class FeatureStats:
    """Per-feature count, minimum, maximum, mean and (population) variance, in float64, and
    whether every value is a whole number (a count, a 0/1 flag).

    ``of`` computes them from an array, NaN-aware: a missing cell is simply not counted (a
    feature with no value has count 0, mean and variance 0, minimum inf, maximum -inf).
    ``merge`` combines two parts exactly (Chan et al.'s parallel update), so data streamed in
    blocks, or spread over the ranks of a distributed job, gets the same statistics as data in
    memory.
    """

    n: np.ndarray  # values counted per feature
    lo: np.ndarray
    hi: np.ndarray
    mean: np.ndarray
    var: np.ndarray
    whole: np.ndarray  # bool: every counted value a whole number (none counted: True)

    @classmethod
    def of(cls, X: np.ndarray) -> FeatureStats:
        """The statistics of ``X``'s rows, block by block (``BLOCK_VALUES``), merged."""
        X = X.reshape(len(X), -1)
        rows = max(1, BLOCK_VALUES // max(1, X.shape[1]))
        stats = cls._of_block(X[:rows])
        for start in range(rows, len(X), rows):
            stats = stats.merge(cls._of_block(X[start:start + rows]))
        return stats

    @property
    def observed(self) -> bool:
        """Whether any value was counted."""
        return bool(self.n.size and self.n.max() > 0)

    @classmethod
    def _of_block(cls, X: np.ndarray) -> FeatureStats:
        X64 = X.astype(np.float64)
        missing = np.isnan(X64)
        if missing.any():
            return cls._of_block_with_gaps(X64, missing)
        mean = X64.mean(axis=0) if len(X64) else np.zeros(X64.shape[1])
        lo = X.min(axis=0).astype(np.float64) if len(X) else np.full(X.shape[1], np.inf)
        hi = X.max(axis=0).astype(np.float64) if len(X) else np.full(X.shape[1], -np.inf)
        whole = (X64 == np.rint(X64)).all(axis=0)
        X64 -= mean
        return cls(np.full(X.shape[1], float(len(X))), lo, hi, mean,
                   np.einsum("ij,ij->j", X64, X64) / max(1, len(X64)), whole)

    @classmethod
    def _of_block_with_gaps(cls, X64: np.ndarray, missing: np.ndarray) -> FeatureStats:
        n = (~missing).sum(axis=0).astype(np.float64)
        filled = np.where(missing, 0.0, X64)
        mean = np.divide(filled.sum(axis=0), n, out=np.zeros_like(n), where=n > 0)
        centred = np.where(missing, 0.0, X64 - mean)
        var = np.divide(np.einsum("ij,ij->j", centred, centred), n, out=np.zeros_like(n),
                        where=n > 0)
        return cls(n, np.where(missing, np.inf, X64).min(axis=0),
                   np.where(missing, -np.inf, X64).max(axis=0), mean, var,
                   (missing | (X64 == np.rint(X64))).all(axis=0))

    def merge(self, other: FeatureStats) -> FeatureStats:
        n = self.n + other.n
        delta = other.mean - self.mean
        weight = np.divide(other.n, n, out=np.zeros_like(n), where=n > 0)
        mean = self.mean + delta * weight
        m2 = self.var * self.n + other.var * other.n + delta**2 * self.n * weight
        return FeatureStats(n, np.minimum(self.lo, other.lo), np.maximum(self.hi, other.hi),
                            mean, np.divide(m2, n, out=np.zeros_like(n), where=n > 0),
                            self.whole & other.whole)


def shift_and_spread(reference: FeatureStats, other: FeatureStats):
    """Per feature, ``(shift, spread)``: how far its mean in ``other`` lies from its mean in
    ``reference``, in ``reference``'s standard deviations, and its standard deviation in
    ``other`` over that in ``reference`` (0 and 1 where either has no value or ``reference``
    is constant)."""
    std = np.sqrt(reference.var)
    usable = (std >= np.finfo(np.float32).tiny) & (reference.n > 0) & (other.n > 0)
    unit = np.where(usable, std, 1.0)
    shift = np.where(usable, np.abs(other.mean - reference.mean) / unit, 0.0)
    return shift, np.where(usable, np.sqrt(other.var) / unit, 1.0)


def resolve_scaling(method: str | None, stats: FeatureStats) -> str:
    """``"auto"``: leave data already in [0, 1] alone (images, probabilities), else standardise."""
    if method is None:
        return "none"
    if method != "auto":
        return method
    in_unit = stats.observed and stats.lo.min() >= 0 and stats.hi.max() <= 1
    return "none" if in_unit else "standard"


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


def score_scale(stats: FeatureStats) -> np.ndarray:
    """The unit ``score`` measures each feature's errors in, whatever scaling the model uses,
    float32: its standard deviation in the training data (1 where it has none). Data in
    [0, 1] (pixels, shares) has one unit for every feature, so every feature gets the same:
    the root mean variance over the features. Per-feature units there let nearly blank border
    pixels outweigh the image and ranked the models with the worse pixel error first
    (``benchmarks/denoise_and_score.py``)."""
    std = np.sqrt(stats.var)
    usable = np.isfinite(std) & (std >= np.finfo(np.float32).tiny)  # as fit_scaling's rule
    scale = np.where(usable, std, 1.0)
    shared_units = stats.observed and stats.lo.min() >= 0 and stats.hi.max() <= 1
    if shared_units and usable.any():
        scale = np.full_like(scale, np.sqrt(np.mean(stats.var[usable])))
    return scale.astype(np.float32)
