"""Whether a series' time stamps are in order and evenly spaced: windows are counted in steps,
so they run across gaps and back steps as if none were there."""

from __future__ import annotations

import sys

import numpy as np

BACK_SHARE = 0.01  # steps going back beyond this share: not a clock change, another order


def check_time_order(times: np.ndarray) -> None:
    """Refuse ``times`` (seconds for timestamps, else numbers; NaN left out) whose steps go
    back more often than a clock change does (over ``BACK_SHARE`` of them, and more than one):
    the series is in another order (shuffled, reversed), and windows read across it mean
    nothing."""
    steps = _steps(times)
    back = int((steps < 0).sum())
    if back > 1 and back > BACK_SHARE * len(steps):
        raise ValueError(f"the steps are not in time order ({back} of {len(steps)} go back): "
                         "sort the series by its time first")


def uneven_steps(times: np.ndarray, is_time: bool) -> str | None:
    """What is odd about ``times`` as the steps of a series (``check_time_order`` refuses
    what is wrong): a few steps back (a clock change, read in the order given), or gaps of
    more than twice the usual step; None when nothing is."""
    steps = _steps(times)
    if not len(steps):
        return None
    back = int((steps < 0).sum())
    if back:
        return (f"{back} step(s) go back in time (a clock change?): the series is read in the "
                "order given")
    repeated = int((steps == 0).sum())
    if repeated:  # a clock change read back, or rows written twice
        return (f"{repeated} step(s) repeat the time before them: each row is read as a step "
                "of its own; drop duplicated rows, or average them, first")
    usual = float(np.median(steps))
    gaps = steps > 2 * usual
    if usual <= 0 or not gaps.any():
        return None
    show = duration if is_time else (lambda t: f"{t:g}")
    return (f"{int(gaps.sum())} gap(s) longer than twice the usual step ({show(usual)}), the "
            f"longest {show(steps.max())}: windows run across them as if the steps were even; "
            "resample the series onto an even grid first")


def _steps(times: np.ndarray) -> np.ndarray:
    times = np.asarray(times, dtype=np.float64)
    return np.diff(times[np.isfinite(times)])


def index_seconds(series) -> np.ndarray | None:
    """The seconds of a pandas object's time index (NaN where missing); None for any other
    input (pandas is only looked at when it is already in use)."""
    pandas = sys.modules.get("pandas")
    index = getattr(series, "index", None)
    if pandas is None or not isinstance(index, pandas.DatetimeIndex):
        return None
    per_second = {"s": 1, "ms": 1e3, "us": 1e6, "ns": 1e9}[getattr(index, "unit", "ns")]
    return np.where(index.isna(), np.nan, index.asi8 / per_second)


def duration(seconds: float) -> str:
    """``7.25 days``, ``1 h``, ``30 s``."""
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = seconds / size
            return f"{amount:.3g} {unit}" + ("s" if unit == "day" and amount != 1 else "")
    return f"{seconds:.3g} s"
