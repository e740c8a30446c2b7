"""Fill the gaps of a time series with ``AutoencoderImputer`` over sliding windows."""

from __future__ import annotations

import warnings

import numpy as np

from aekit._stack import user_stacklevel
from aekit.apps._time_steps import check_time_index
from aekit.apps.impute import AutoencoderImputer
from aekit.estimators._decimals import shortest_float64
from aekit.estimators._validation import check_int


def impute_series(values, window: int = 48, **imputer_params) -> np.ndarray:
    """``values`` (a 1-D series, NaN where missing) with its NaN filled.

    The series is cut into every window of ``window`` consecutive points; an
    ``AutoencoderImputer(**imputer_params)`` learns to fill those windows, and each missing
    point takes the mean of its fills over the windows that contain it. Observed points are
    returned unchanged. A point deep inside a gap longer than ``window`` is filled from windows
    that hold little or nothing of the series (their fill tends to the series' mean): choose a
    window longer than the gaps that matter.

    Parameters
    ----------
    values : array-like of shape (n,)
        The series, evenly spaced (resample it first), NaN where missing.
    window : int, default=48
        Points per window: longer than the gaps, and long enough to show the series' shape
        (a day or more of hourly data).
    **imputer_params
        Passed to ``AutoencoderImputer`` (``random_state``, ``epochs``, ...).

    Returns
    -------
    ndarray of shape (n,), float64; a pandas Series, with ``values``' index and name, for one
    """
    check_time_index(values)  # out of order refused, gaps warned of, as detection does
    filled = _filled(values, window, imputer_params)
    if hasattr(values, "index") and hasattr(values, "to_numpy"):  # a pandas Series
        return type(values)(filled, index=values.index, name=values.name)
    return filled


def _filled(values, window: int, imputer_params: dict) -> np.ndarray:
    try:
        series = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise ValueError("the series holds values that are not numbers: convert them first "
                         "(pd.to_numeric(values, errors='coerce') makes unreadable ones gaps)"
                         ) from None
    if series.ndim != 1:
        raise ValueError(f"values must be one series (1-D), got shape {series.shape}: impute "
                         "several series one at a time, or as a table with AutoencoderImputer")
    check_int("window", window, low=2)
    if len(series) < window + 1:
        raise ValueError(f"the series has {len(series)} points, fewer than window + 1 = "
                         f"{window + 1}: use a shorter window")
    if np.isinf(series).any():
        raise ValueError("the series contains inf: set those points to NaN to have them "
                         "imputed, or clip them")
    if np.isnan(series).all():
        raise ValueError("the series has no observed value: nothing to learn from")
    if not np.isnan(series).any():
        return series.copy()
    _warn_of_long_gaps(np.isnan(series), window)
    windows = np.lib.stride_tricks.sliding_window_view(series, window)
    filled = AutoencoderImputer(**imputer_params).fit_transform(windows)
    sums = np.zeros_like(series)
    counts = np.zeros_like(series)
    for offset in range(window):  # window row i holds points i .. i + window - 1
        sums[offset:offset + len(filled)] += filled[:, offset]
        counts[offset:offset + len(filled)] += 1
    # the mean of float32 fills, shown to float32's precision (as AutoencoderImputer's are)
    return np.where(np.isnan(series), shortest_float64(sums / counts), series)



def _warn_of_long_gaps(missing: np.ndarray, window: int) -> None:
    """A gap as long as the window is filled in its middle from windows that hold little or
    nothing of the series: close to its mean, whatever its shape."""
    edges = np.diff(np.r_[0, missing.astype(np.int8), 0])
    longest = int((np.flatnonzero(edges == -1) - np.flatnonzero(edges == 1)).max())
    if longest >= window:
        warnings.warn(f"a gap of {longest} points is as long as the window ({window}) or "
                      "longer: its middle is filled from windows that hold little of the "
                      "series, close to its mean; choose a longer window", UserWarning,
                      stacklevel=user_stacklevel())
