"""Columns that look like a row id or a time rather than a feature. Read as a feature, an id or
a time makes later rows look unlike earlier ones (a trial: 23% of later normal rows flagged,
mostly for an ``id``), so readers and detectors point them out."""

from __future__ import annotations

import numpy as np

ID_NAMES = ("id", "index", "row", "rowid")
ID_MIN_ROWS = 20  # fewer rows than this may rise in order by chance
EVEN_STEPS = 2.0  # a float column's steps within this factor of their median: a clock's


class IdLikeWarning(UserWarning):
    """A feature looks like a row id or a time (the command line says so in a note of its
    own, by the file's column name)."""


def id_like_columns(names, X: np.ndarray, types=None) -> list[tuple[str, str]]:
    """``(name, why)`` for each column of ``X`` (rows by columns) that is named like an id
    (``id``, ``index``, ``row``, ``rowid``, ``..._id``), or ``is_ordered``. ``types`` ("int",
    "float", "bool" per column) leaves booleans out."""
    found = []
    for i, name in enumerate(names):
        lowered = str(name).strip().lower()
        if lowered in ID_NAMES or lowered.endswith(("_id", " id")):
            found.append((str(name), "is named like an id"))
        elif (types is None or types[i] != "bool") and is_ordered(X[:, i]):
            found.append((str(name), "rises or falls at every row, like an id or a time"))
    return found


def is_ordered(column: np.ndarray) -> bool:
    """Whether ``column`` (at least ``ID_MIN_ROWS`` values) rises or falls at every row, as
    whole numbers do in an id or a counter, or floats in even steps as a clock's times do (a
    table sorted by a measured value rises in uneven steps)."""
    if len(column) < ID_MIN_ROWS or column.dtype.kind not in "iuf":
        return False
    steps = np.diff(column.astype(np.float64))
    if not (np.all(steps > 0) or np.all(steps < 0)):  # (NaN compares False: not ordered)
        return False
    whole = bool(np.all(column == np.rint(column)))
    sizes = np.abs(steps)
    return whole or bool(sizes.max() <= EVEN_STEPS * np.median(sizes))
