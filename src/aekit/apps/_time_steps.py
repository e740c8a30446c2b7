"""Whether a series' time stamps are in order and evenly spaced: windows are counted in steps,
so they run across gaps and back steps as if none were there."""

from __future__ import annotations

import sys

import numpy as np

BACK_SHARE = 0.01  # steps going back beyond this share: not a clock change, another order
CLOCK_CHANGE_S = 2 * 3600  # the most a clock goes back (daylight saving: one hour)


def check_time_order(times: np.ndarray, is_time: bool = False) -> None:
    """Refuse ``times`` (seconds for timestamps, else numbers; NaN left out) whose steps go
    back more often than a clock change does (over ``BACK_SHARE`` of them, and more than one),
    or, for timestamps, further than one does: the series is in another order (shuffled,
    reversed, several series one after the other), and windows read across it mean
    nothing."""
    steps = _steps(times)
    back = int((steps < 0).sum())
    if back > 1 and back > BACK_SHARE * len(steps):
        several = " (several series one after the other? give one)" if back <= 0.1 * len(
            steps) else ""  # a few long runs in order: sorting would interleave them
        raise ValueError(f"the steps are not in time order ({back} of {len(steps)} go "
                         f"back{several}): sort the series by its time first")
    repeated = int((steps == 0).sum())
    if repeated > len(steps) / 2:  # each time on several rows: series side by side
        raise ValueError(f"{repeated} of {len(steps)} steps repeat the time before them: each "
                         f"time holds {len(steps) / max(len(steps) - repeated, 1):.3g} rows on "
                         "average (several series side by side?): give one series, a row "
                         "per time")
    if is_time and back and -steps.min() > CLOCK_CHANGE_S:
        raise ValueError(f"a step goes back {duration(-steps.min())}, more than a clock change "
                         "does: the rows are in another order (several series one after the "
                         "other?): give one series, sorted by its time")


def uneven_steps(times: np.ndarray, is_time: bool) -> str | None:
    """What is odd about ``times`` as the steps of a series (``check_time_order`` refuses
    what is wrong), each thing found: rows without a time, a few steps back (a clock change,
    read in the order given), repeated times, gaps of more than twice the usual step; None
    when nothing is."""
    times = np.asarray(times, dtype=np.float64)
    said = []
    missing = int((~np.isfinite(times)).sum())
    if missing:
        said.append(f"{missing} row(s) have no time: each is read as a step between its "
                    "neighbours")
    steps = _steps(times)
    back = int((steps < 0).sum())
    if back:
        said.append(f"{back} step(s) go back in time (a clock change?): the series is read in "
                    "the order given")
    repeated = int((steps == 0).sum())
    if repeated:  # a clock change read back, or rows written twice
        said.append(f"{repeated} step(s) repeat the time before them: each row is read as a "
                    "step of its own; drop duplicated rows, or average them, first")
    usual = float(np.median(steps)) if len(steps) else 0.0
    gaps = steps > 2 * usual
    if usual > 0 and gaps.any():
        show = duration if is_time else (lambda t: f"{t:g}")
        said.append(f"{int(gaps.sum())} gap(s) longer than twice the usual step "
                    f"({show(usual)}), the longest {show(steps.max())}: windows run across them "
                    "as if the steps were even; resample the series onto an even grid first")
    return "; ".join(said) or None


def check_time_index(series, what: str = "the series' time index") -> None:
    """For a pandas object indexed by time: ``check_time_order``'s refusal and
    ``uneven_steps``' warning, said of ``what``; nothing for any other input."""
    import warnings

    from aekit._stack import user_stacklevel

    seconds = index_seconds(series)
    if seconds is None:
        return
    try:
        check_time_order(seconds, is_time=True)
    except ValueError as error:
        raise ValueError(f"{what}: {error} (series.sort_index())") from None
    message = uneven_steps(seconds, is_time=True)
    if message is not None:
        warnings.warn(f"{what}: {message}", UserWarning, stacklevel=user_stacklevel())


def _steps(times: np.ndarray) -> np.ndarray:
    """The steps between neighbouring times; a row without one (NaN) gives no step, rather
    than a gap between its neighbours."""
    steps = np.diff(np.asarray(times, dtype=np.float64))
    return steps[np.isfinite(steps)]


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
