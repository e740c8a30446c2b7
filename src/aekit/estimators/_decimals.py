"""float32 results as float64 values without float32's noise digits."""

from __future__ import annotations

import numpy as np

FLOAT32_DIGITS = 9  # significant digits that always give a float32 back exactly


def shortest_float64(values: np.ndarray) -> np.ndarray:
    """Each float32 value as the float64 of its shortest decimal: ``0.1`` for float32's 0.1
    (not 0.10000000149011612, its exact value), which is what a file or a DataFrame shows.
    The float32 value is unchanged: ``result.astype(np.float32) == values``. Non-finite values
    and zeros stay as they are."""
    values = np.asarray(values, dtype=np.float32)
    exact = values.astype(np.float64)
    out = exact.copy()
    with np.errstate(divide="ignore"):
        magnitude = np.floor(np.log10(np.abs(exact)))
    # 10.0**k is exact up to k = 22, so a decimal of 1 to 9 digits is one rounding away here
    near_one = np.isfinite(magnitude) & (magnitude >= -13) & (magnitude <= 21)
    todo = np.flatnonzero(near_one)
    magnitude = magnitude[todo]
    for digits in range(1, FLOAT32_DIGITS + 1):
        shift = digits - 1 - magnitude  # decimal places kept (negative: tens, hundreds...)
        power = 10.0 ** np.abs(shift)
        kept = exact[todo]
        rounded = np.where(shift >= 0, np.round(kept * power) / power,
                           np.round(kept / power) * power)
        done = rounded.astype(np.float32) == values.flat[todo]
        out.flat[todo[done]] = rounded[done]
        todo, magnitude = todo[~done], magnitude[~done]
    # the rest (very small or large, or no shorter decimal found): float32's own shortest text
    rest = np.concatenate([todo, np.flatnonzero(~near_one & np.isfinite(exact) & (exact != 0))])
    out.flat[rest] = values.flat[rest].astype(str).astype(np.float64)
    return out
