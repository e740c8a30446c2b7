"""A series file's columns as ``aekit detect --series`` and ``aekit impute --series`` read
them: the whole file as an Arrow table, value columns as float64 with NaN for gaps, and a note
when the time column is out of order or uneven."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq

from aekit._cli_common import note
from aekit.io.formats import format_of
from aekit.io.tables import read_named_csv


def read_frame(path: str) -> pa.Table:
    kind = format_of(path)
    if not Path(path).exists():
        raise FileNotFoundError(f"data file {path} does not exist")
    try:
        if kind == ".csv":
            return read_named_csv(path)
        if kind == ".parquet":
            return pq.read_table(path)
    except pa.ArrowException as error:
        raise ValueError(f"cannot read {path}: {str(error).splitlines()[0]}") from None
    raise ValueError(f"{path}: a series must be a CSV, TSV or Parquet file with named columns")


def numeric_column(frame: pa.Table, name: str, path: str) -> np.ndarray:
    """A column as float64; empty cells become NaN (a gap)."""
    column = frame[name]
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
            or pa.types.is_null(column.type)):
        raise ValueError(f"column {name!r} of {path} is not numeric ({column.type})")
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def note_uneven_steps(times, name: str) -> None:
    """A note when a series' time column (timestamps or numbers) is out of order or has gaps
    of more than twice its usual step: windows are counted in steps, so they run across the
    gaps as if none were there."""
    if not (pa.types.is_timestamp(times.type) or pa.types.is_date(times.type)
            or pa.types.is_integer(times.type) or pa.types.is_floating(times.type)):
        return
    is_time = not (pa.types.is_integer(times.type) or pa.types.is_floating(times.type))
    values = times.to_numpy(zero_copy_only=False)
    if is_time:  # seconds as floats, milliseconds kept; a missing time (NaT) left out
        values = values.astype("datetime64[ns]")
        values = values[~np.isnat(values)].astype(np.int64) / 1e9
    values = values.astype(np.float64)
    steps = np.diff(values[np.isfinite(values)])
    if not len(steps):
        return
    if (steps < 0).any():
        note(f"--time {name}: the steps are not in time order ({int((steps < 0).sum())} go "
             "back): sort the series first, the detector reads it in file order")
        return
    usual = float(np.median(steps))
    gaps = steps > 2 * usual
    if usual <= 0 or not gaps.any():
        return
    show = _duration if is_time else (lambda t: f"{t:g}")
    note(f"--time {name}: {int(gaps.sum())} gap(s) longer than twice the usual step "
         f"({show(usual)}), the longest {show(steps.max())}: windows run across them as if "
         "the steps were even; resample the series onto an even grid to score it in time")


def _duration(seconds: float) -> str:
    """``7.25 days``, ``1 h``, ``30 s``."""
    for unit, size in (("day", 86400), ("h", 3600), ("min", 60)):
        if seconds >= size:
            amount = seconds / size
            return f"{amount:.3g} {unit}" + ("s" if unit == "day" and amount != 1 else "")
    return f"{seconds:.3g} s"
