"""A series file's columns as ``aekit detect --series`` and ``aekit impute --series`` read
them: the whole file as an Arrow table, value columns as float64 with NaN for gaps, a note when
the time column is uneven, and a refusal when it is out of order."""

from __future__ import annotations

import json
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


def stored_index(frame: pa.Table, path: str, values: list[str] | None) -> str | None:
    """The series' time, when ``--time`` names none (it would be left out of the output, and an
    integer one read as a channel): the index pandas wrote into the file (in a Parquet file,
    the one its metadata names; in a CSV, an unnamed first column), unless it is named among
    the ``values`` or holds integers (row labels, not times) beside a column of times; else
    the one column of times (``_time_columns``); else integer row labels, kept as the rows'
    labels. Times out of order in every column holding them are refused: several series one
    after the other, or newest first."""
    from aekit.io.tables import UNNAMED_INDEX, pandas_index_columns

    name = Path(path).name
    stored = pandas_index_columns(frame.schema)
    if not stored and frame.num_columns > 1 and frame.column_names[0] in UNNAMED_INDEX:
        stored = frame.column_names[:1]  # the index DataFrame.to_csv writes first, unnamed
    one = stored[0] if len(stored) == 1 else None
    if one is not None and one in (values or ()):
        return None  # a channel (a saved detector's)
    labels = one is not None and pa.types.is_integer(frame[one].type)
    which = "its unnamed index" if one in UNNAMED_INDEX else f"its index {one!r}"
    if one is not None and not labels:  # a DatetimeIndex, say
        if _holds_times(frame[one]):  # out of order: refused, in one line (a check)
            order, back = _time_order(frame[one])
            if order not in ("in order", "constant"):
                shown = "Unnamed: 0" if one in UNNAMED_INDEX else one
                raise ValueError(_disorder_message(name, shown, order, back))
        note(f"{name}: {which}, as pandas writes one, is the series' time (as --time)")
        return one
    times = _time_columns(frame, [*(values or ()), *([one] if labels else [])], name)
    if len(times) == 1:
        note(f"{name}: its column {times[0]!r} holds times in order: it is the series' time "
             "(as --time)")
        return times[0]
    if times:
        note(f"{name}: columns {', '.join(times)} hold times in order: name the series' time "
             "with --time")
        return None
    if labels:  # row labels (a slice's 1000, 1001, ...), kept beside the results
        note(f"{name}: {which}, as pandas writes one, labels the steps (as --time)")
        return one
    _note_text_like_times(frame, values, name)
    return None


def _note_text_like_times(frame: pa.Table, values: list[str] | None, name: str) -> None:
    """A note for a text column whose values read as dates in another way of writing them
    (03/25/2024 00:00): not taken as the series' time, it would be left out of the output
    without a word (a check)."""
    import pandas as pd

    for column in frame.column_names:
        if column in (values or ()) or not pa.types.is_string(frame[column].type):
            continue
        sample = frame[column].slice(0, 200).to_pandas().dropna()
        if len(sample) and pd.to_datetime(sample, errors="coerce", format="mixed").notna().all():
            note(f"{name}: column {column!r} holds dates written as text ({sample.iloc[0]!r}), "
                 f"which are not read as times: --time {column} keeps them beside the results "
                 "(ISO dates, 2024-03-25 00:00, are read as times)")
            return


def _time_columns(frame: pa.Table, left_out: list[str], name: str) -> list[str]:
    """The columns of dates or times (but those ``left_out``) that read as a series' time: in
    order (a clock change allowed) and not one value throughout (a report date or a
    9999-12-31 in every row is data). Where none does, one that would but for its order is
    refused (several series one after the other, newest first, or unsorted); shuffled dates
    are data (birthdays), with a note."""
    found, shuffled, disordered = [], [], []
    for column in [n for n in frame.column_names if n not in left_out]:
        if not _holds_times(frame[column]):
            continue
        order, back = _time_order(frame[column])
        if order == "in order":
            found.append(column)
        elif order == "shuffled":
            shuffled.append(column)
        elif order != "constant":
            disordered.append((column, order, back))
    if disordered and not found:
        raise ValueError(_disorder_message(name, *disordered[0]))
    if shuffled and not found:
        note(f"{name}: {', '.join(map(repr, shuffled))} hold{'s' if len(shuffled) == 1 else ''} "
             "dates out of order, so not the series' time (--time names one)")
    return found


def _time_order(column: pa.ChunkedArray) -> tuple[str, tuple[int, float]]:
    """How a column of times reads as a series' time, and ``(steps back, the largest in
    seconds)``: "in order" (but for a clock change; repeated times are the time's own
    business, ``check_time_order``), "constant", "newest first", "restarting" (in order but
    for a few steps back far beyond the usual step: series one after the other), "unsorted"
    (a few steps back of about the usual step: events slightly out of order), or "shuffled"
    (as many back as forward: dates as data)."""
    from aekit.apps._time_steps import BACK_SHARE, CLOCK_CHANGE_S

    values = column.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    seconds = values[~np.isnat(values)].astype(np.int64) / 1e9
    steps = np.diff(seconds)
    back = steps[steps < 0]
    largest = float(-back.min()) if len(back) else 0.0
    if not len(steps) or np.all(steps == 0):
        return "constant", (0, 0.0)
    if largest <= CLOCK_CHANGE_S and len(back) <= max(1, BACK_SHARE * len(steps)):
        return "in order", (len(back), largest)
    share = len(back) / len(steps)
    if share >= 0.9:
        return "newest first", (len(back), largest)
    if share > 0.3:
        return "shuffled", (len(back), largest)
    usual = float(np.median(steps[steps > 0])) if np.any(steps > 0) else 0.0
    far = largest > 1.5 * usual  # a restart goes back a run's length, jitter under a step
    return ("restarting" if far else "unsorted"), (len(back), largest)


def _disorder_message(name: str, column: str, order: str, back: tuple[int, float]) -> str:
    from aekit.apps._time_steps import duration

    if order == "restarting":
        return (f"{name}: column {column!r} starts again {back[0]} time(s), going back up to "
                f"{duration(back[1])}: the file holds several series one after the other; "
                "give one series (the rows of one host or sensor, say)")
    if order == "newest first":
        return (f"{name}: column {column!r} holds its times from the newest to the oldest: "
                "sort the series by its time first")
    return (f"{name}: column {column!r} goes back {back[0]} time(s), by up to "
            f"{duration(back[1])}: sort the series by its time first")


def _holds_times(column: pa.ChunkedArray) -> bool:
    return pa.types.is_timestamp(column.type) or pa.types.is_date(column.type)


def with_range_index(frame: pa.Table) -> pa.Table:
    """``frame`` with the range index pandas kept as metadata only (a slice's 1000, 1001, ...)
    as a column of its own, which pandas' metadata then names as the stored index (a re-trial:
    its labels were lost); as it is without one, or with the default 0..n-1."""
    from aekit.io.tables import range_values

    values, name = range_values(frame.schema, frame.num_rows, frame.column_names)
    if values is None:
        return frame
    column = name if name is not None else "__index_level_0__"
    metadata = dict(frame.schema.metadata or {})
    pandas = json.loads(metadata.get(b"pandas", b"{}"))
    pandas["index_columns"] = [column]
    pandas["columns"] = [*pandas.get("columns", []), {  # its entry, that pandas reads it back by
        "name": name, "field_name": column, "pandas_type": "int64", "numpy_type": "int64",
        "metadata": None}]
    metadata[b"pandas"] = json.dumps(pandas).encode()
    return frame.append_column(column, pa.array(values)).replace_schema_metadata(metadata)


def named_time(frame: pa.Table, time: str | None) -> str | None:
    """``--time``'s column in ``frame``: ``Unnamed: 0`` (pandas' name for it, and the one the
    table commands give it) is an unnamed first column, as ``DataFrame.to_csv`` writes the
    index."""
    if time == "Unnamed: 0" and time not in frame.column_names and frame.column_names[:1] == [""]:
        return ""
    return time


def numeric_column(frame: pa.Table, name: str, path: str) -> np.ndarray:
    """A column as float64; empty cells become NaN (a gap)."""
    column = frame[name]
    if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
            or pa.types.is_null(column.type)):
        from aekit.io._columns import numbers_written_otherwise

        written = numbers_written_otherwise(path, frame, [name])  # decimal commas, say
        raise ValueError(written or f"column {name!r} of {path} is not numeric "
                         f"({column.type})")
    return column.cast(pa.float64()).to_numpy(zero_copy_only=False)


def note_uneven_steps(times, name: str) -> None:
    """A note when a series' time column (timestamps or numbers) has gaps of more than twice
    its usual step, and ``ValueError`` when it is out of order (``aekit.apps._time_steps``)."""
    from aekit.apps._time_steps import check_time_order, uneven_steps

    name = "Unnamed: 0" if name == "" else name  # as --time takes an unnamed index
    if not (pa.types.is_timestamp(times.type) or pa.types.is_date(times.type)
            or pa.types.is_integer(times.type) or pa.types.is_floating(times.type)):
        return
    is_time = not (pa.types.is_integer(times.type) or pa.types.is_floating(times.type))
    values = times.to_numpy(zero_copy_only=False)
    if is_time:  # seconds as floats, milliseconds kept; a missing time (NaT) as NaN
        values = values.astype("datetime64[ns]")
        values = np.where(np.isnat(values), np.nan, values.astype(np.int64) / 1e9)
    try:
        check_time_order(values, is_time)
    except ValueError as error:  # in the command's terms
        raise ValueError(f"--time {name}: {error}") from None
    message = uneven_steps(values, is_time)
    if message is not None:
        note(f"--time {name}: {message}")
