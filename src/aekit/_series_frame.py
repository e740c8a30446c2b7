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
    """The series' time, when ``--time`` names none: the column in which pandas wrote the
    rows' index (a ``DatetimeIndex``, say), where it wrote one that is not named among the
    ``values`` (in a Parquet file, the one its metadata names; in a CSV, an unnamed first
    column), unless that holds the row numbers of a default index and one other column holds
    dates in order (``df.to_csv()`` of a frame with a timestamp column); else the one column of
    dates in order. It is left out of the output otherwise, and an integer one could be read as
    a channel."""
    from aekit.io.tables import UNNAMED_INDEX, pandas_index_columns

    name = Path(path).name
    stored = pandas_index_columns(frame.schema)
    unnamed = not stored and frame.num_columns > 1 and frame.column_names[0] in UNNAMED_INDEX
    # (under a MultiIndex, too, a level of times going back means series one after another)
    dates = [] if len(stored) == 1 else _dates_in_order(frame, values, name)
    if unnamed and not (len(dates) == 1 and _row_numbers(frame.column(0))):
        stored = frame.column_names[:1]  # the index DataFrame.to_csv writes first, unnamed
    if stored:
        if len(stored) != 1 or stored[0] in (values or ()):
            return None
        which = "its unnamed index" if stored[0] in UNNAMED_INDEX else f"its index {stored[0]!r}"
        note(f"{name}: {which}, as pandas writes one, is the series' time (as --time)")
        return stored[0]
    if len(dates) != 1:
        if dates:
            note(f"{name}: columns {', '.join(dates)} hold dates: name the series' time with "
                 "--time")
        return None
    note(f"{name}: its column {dates[0]!r} holds dates in order: it is the series' time (as "
         "--time)")
    return dates[0]


def _dates_in_order(frame: pa.Table, values: list[str] | None, name: str) -> list[str]:
    """The columns (not among ``values``) of dates or times in order (a clock change allowed);
    a note for those out of order (birthdays, say: data, not the time), and ``ValueError`` for
    one in order but for a few large steps back: several series one after the other (one per
    host, as a MultiIndex is written), which no window should run across."""
    from aekit.apps._time_steps import duration

    dates = [field.name for field in frame.schema if field.name not in (values or ())
             and _holds_times(frame[field.name])]
    jumbled = []
    for column in dates:
        order, back = _time_order(frame[column])
        if order == "stacked":
            raise ValueError(f"{name}: column {column!r} goes back {duration(back)} in "
                             "places: the file holds several series one after the other: give "
                             "one series (the rows of one host or sensor, say)")
        if order == "jumbled":
            jumbled.append(column)
    if jumbled:
        note(f"{name}: {', '.join(map(repr, jumbled))} hold{'s' if len(jumbled) == 1 else ''} "
             "dates out of order, so not the series' time (--time names one)")
    return [column for column in dates if column not in jumbled]


def _time_order(column: pa.ChunkedArray) -> tuple[str, float]:
    """``("in order" | "stacked" | "jumbled", the largest step back in seconds)``: in order but
    for a clock change; in order but for a few steps back further than a clock change goes;
    or out of order."""
    from aekit.apps._time_steps import BACK_SHARE, CLOCK_CHANGE_S

    values = column.to_numpy(zero_copy_only=False).astype("datetime64[ns]")
    seconds = values[~np.isnat(values)].astype(np.int64) / 1e9
    steps = np.diff(seconds)
    back = steps[steps < 0]
    largest = float(-back.min()) if len(back) else 0.0
    if len(back) > max(1, BACK_SHARE * len(steps)):
        return "jumbled", largest
    return ("stacked" if largest > CLOCK_CHANGE_S else "in order"), largest


def _row_numbers(column: pa.ChunkedArray) -> bool:
    """Whether a column holds 0, 1, 2, ...: the default index of the frame written."""
    if not pa.types.is_integer(column.type):
        return False
    values = column.to_numpy(zero_copy_only=False)
    return bool(np.array_equal(values, np.arange(len(values))))


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
