"""Columns that look like a row id or a time rather than a feature. Read as a feature, an id or
a time makes later rows look unlike earlier ones (a trial: 23% of later normal rows flagged,
mostly for an ``id``), so readers and detectors point them out."""

from __future__ import annotations

import numpy as np

ID_NAMES = ("id", "index", "row", "rowid")
ID_MIN_ROWS = 20  # fewer rows than this may rise in order by chance


def id_like_columns(names, X: np.ndarray, types=None) -> list[tuple[str, str]]:
    """``(name, why)`` for each column of ``X`` (rows by columns) that is named like an id
    (``id``, ``..._id``, ``index``), or whose numbers rise or fall at every row (a counter,
    an id, a time; at least ``ID_MIN_ROWS`` rows). ``types`` ("int", "float", "bool" per
    column) leaves booleans out."""
    found = []
    for i, name in enumerate(names):
        lowered = str(name).strip().lower()
        if lowered in ID_NAMES or lowered.endswith(("_id", " id")):
            found.append((str(name), "is named like an id"))
        elif (types is None or types[i] != "bool") and _ordered(X[:, i]):
            found.append((str(name), "rises or falls at every row, like an id or a time"))
    return found


def _ordered(column: np.ndarray) -> bool:
    if len(column) < ID_MIN_ROWS or column.dtype.kind not in "iuf":
        return False
    steps = np.diff(column)
    return bool(np.all(steps > 0) or np.all(steps < 0))  # (NaN compares False: not ordered)
