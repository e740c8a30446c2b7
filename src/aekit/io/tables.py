"""Read and write numeric tables: CSV (with or without a header row), Parquet, ``.npy`` and
``.npz``; choose columns by name; match a file's columns to the ones a model was trained on."""

from __future__ import annotations

import contextlib
import csv
import dataclasses
import importlib.util
import os
import re
import zipfile
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from aekit.io._columns import is_text_column, not_utf8, numeric_array
from aekit.io._sniff import delimiter_of as _delimiter_of
from aekit.io._sniff import first_line as _first_line
from aekit.io._sniff import first_row as _first_row
from aekit.io._sniff import is_data as _is_data
from aekit.io._sniff import is_numbers as _is_numbers
from aekit.io._sniff import names_like_numbers as _names_like_numbers
from aekit.io._sniff import pandas_header as _pandas_header
from aekit.io._sniff import split_cells as _cells
from aekit.io._sniff import text_input as _text_input
from aekit.io.atomic import atomic_path
from aekit.io.dialect import SEPARATORS, csv_dialect, current_dialect
from aekit.io.formats import FORMATS_HELP, compression_of, format_of, is_tab_separated, suffix_of
from aekit.io.row_ids import id_like_columns


def _format_of(path: Path) -> str:
    kind = format_of(path)
    if kind is None:
        raise ValueError(f"unsupported file type {suffix_of(path) or '(none)'!r} for {path}: "
                         f"use {FORMATS_HELP}")
    return kind


@dataclass
class Table:
    """Rows read from a file. ``X`` holds the numeric columns (float64 for CSV and Parquet);
    ``columns`` their names (None for NumPy files); ``index`` the values of the ``index`` column
    (a time column, say) when one was named. Unpacks and indexes as the pair ``(X, columns)``
that ``read_table`` returned before it had the rest."""

    X: np.ndarray
    columns: list[str] | None
    index: np.ndarray | None = None
    index_name: str | None = None
    notes: list[str] = field(default_factory=list)
    # what each column held before it became float64: "bool", "int" or "float" (None for
    # NumPy files), so that a command can write booleans and integers back as they were
    types: list[str] | None = None
    # with ``read_table(..., text=True)``: the chosen columns that hold text or dates (an
    # Arrow table), and every chosen column's name in the file's order
    text: object = None
    order: list[str] | None = None
    # a CSV's columns read as dates or times: they hold the file's own text, to be written
    # back as it was (Arrow's parse would give ISO 8601, zoned times in UTC)
    time_columns: list[str] = field(default_factory=list)
    # features that look like a row id or a time: (name, why), for a note (``id_note``)
    id_like: list[tuple[str, str]] = field(default_factory=list)

    def __iter__(self) -> Iterator:
        return iter((self.X, self.columns))

    def __getitem__(self, i: int):
        return (self.X, self.columns)[i]

    def __len__(self) -> int:
        return len(self.X)


def read_table(path: str | os.PathLike, *, columns: Sequence[str] | None = None,
               drop: Sequence[str] = (), index: str | None = None,
               header: bool | None = None, text: bool = False, sep: str | None = None,
               decimal: str | None = None, na_values: Sequence[str] | None = None,
               default_na: bool | None = None, text_columns: Sequence[str] = ()) -> Table:
    """Read ``path``; returns a ``Table`` that unpacks as ``(X, column_names)``.

    CSV and Parquet columns can be chosen by name: ``columns`` keeps these (in this order),
    ``drop`` removes these, and ``index`` takes one column out as the rows' index (a timestamp,
    an id), which need not be numeric. A CSV whose first row is all numbers has no header: its
    columns are named ``x0``, ``x1``, ...; ``header`` True or False says so instead of this
    guess. ``text=True`` returns the chosen columns of text or dates in ``Table.text`` instead
    of refusing them (a column of numbers held up by a few marks is still refused, with its
    reason, unless ``text_columns`` names it: a saved detector's categories, whatever its
    codes look like). ``Table.notes`` says how the file was read (a header guessed, an index column
    set apart); ``Table.id_like`` names the features that look like a row id or a time. A
    CSV's ``sep`` (default: guessed from the header row), ``decimal`` mark (default
    ``.``), extra ``na_values`` (marks of a missing cell) and ``default_na`` (False: Arrow's
    own marks, NA, null, ..., read as text) are as ``aekit.io.dialect`` says, or as given
    here. Raises ``FileNotFoundError`` for a missing file and
    ``ValueError`` for a file that cannot be parsed, a named column it lacks, or a non-numeric
    column among the features.
    """
    given = {name: value for name, value in (("sep", sep), ("decimal", decimal), (
        "na_values", na_values), ("default_na", default_na)) if value is not None}
    if given:
        with csv_dialect(**{**dataclasses.asdict(current_dialect()), **given}):
            return read_table(path, columns=columns, drop=drop, index=index, header=header,
                              text=text, text_columns=text_columns)
    path = Path(path)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a data file: name one file (a folder of "
                         "Parquet files is read as one source by aekit.io.open_source, or by "
                         "the CLI's --stream)")
    kind = _format_of(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    if kind in (".npy", ".npz"):
        if columns or drop or index:
            raise ValueError(f"{path} has no column names: columns, drop and index need a CSV "
                             "or Parquet file")
        return Table(_read_numpy(path, kind), None)
    return _read_arrow(path, kind, columns, drop, index, header, text, text_columns)


def read_labeled_table(path: str | os.PathLike,
                       label_column: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Read a CSV or Parquet file and split off one column of labels (of any type).

    Returns ``(X, column_names, labels)``: ``X`` holds the other (numeric) columns.
    """
    if format_of(path) in (".npy", ".npz"):
        raise ValueError(f"labels are named by column: {path} must be a CSV or Parquet file")
    table = read_table(path, index=label_column)
    return table.X, table.columns, table.index


def _read_numpy(path: Path, kind: str) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        if "allow_pickle" not in str(error):
            raise ValueError(f"cannot read {path} as {kind}: {error}") from None
        with open(path, "rb") as handle:
            is_numpy = handle.read(6) == b"\x93NUMPY"
        if kind == ".npy" and is_numpy:  # a real .npy, of objects
            raise ValueError(f"{path} holds Python objects, which aekit does not load (loading "
                             "them could run code): save a numeric array") from None
        raise ValueError(f"cannot read {path} as {kind}: it is not a NumPy file (damaged, or "
                         "another format under this name)") from None
    if kind == ".npy":
        return loaded
    with loaded:
        keys = list(loaded.keys())
        chosen = keys[0] if len(keys) == 1 else next(
            (key for key in ("X", "x", "data") if key in keys), None)
        if chosen is None:
            raise ValueError(f"{path} holds arrays {keys}: store one array, or one named 'X'")
        try:  # an array of objects is read (and refused) only here
            return loaded[chosen]
        except ValueError:
            raise ValueError(f"{path} holds Python objects in {chosen!r}, which aekit does "
                             "not load (loading them could run code): save a numeric array"
                             ) from None


def _numeric_type(kind) -> bool:
    import pyarrow as pa

    return (pa.types.is_integer(kind) or pa.types.is_floating(kind) or pa.types.is_boolean(kind)
            or pa.types.is_decimal(kind))


def _read_arrow(path: Path, kind: str, columns, drop, index, header=None,
                text: bool = False, text_columns: Sequence[str] = ()) -> Table:
    import pyarrow as pa

    notes, options, timed = [], None, []
    try:
        if kind == ".csv":
            import pyarrow.csv as pacsv

            first = _first_row(path)
            delimiter = _delimiter_of(path, first)
            if header is False or (header is None and _is_data(first, delimiter, path)):
                options = pacsv.ReadOptions(autogenerate_column_names=True)
            if header is None and options is not None:
                why = ("is numbers" if _is_numbers(first, delimiter)
                       else "holds numbers beside values found again in the rows below")
                notes.append(f"{path.name}: the first row {why}, so it is read as data "
                             "(no header; header=True / --header says it is one); columns are "
                             "named x0, x1, ...")
            elif header is None and _names_like_numbers(first, delimiter):
                shown = ", ".join(_names_like_numbers(first, delimiter)[:3])
                notes.append(f"{path.name}: the first row is read as column names, though "
                             f"{shown} look like numbers: header=False / --no-header says "
                             "it is data")
            elif header is None and _pandas_header(_cells(first, delimiter)):
                notes.append(f"{path.name}: the first row, 0, 1, ..., is read as column names "
                             "(as pandas writes a frame's default ones); header=False / "
                             "--no-header says it is data")
            table = _read_text(path, delimiter, options)
            table, timed = _times_as_written(path, delimiter, options, table)
            if options is not None:
                table = table.rename_columns([f"x{i}" for i in range(table.num_columns)])
                timed = [f"x{name[1:]}" for name in timed]  # Arrow names them f0, f1, ...
        else:
            import pyarrow.parquet as pq

            table = pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"cannot read {path}: {_first_line(error)}") from None
    headerless = kind == ".csv" and options is not None
    if kind == ".csv":
        _refuse_one_column_of_separators(path, table, delimiter)
    table = _without_empty_unnamed(path, table, notes, headerless)
    if table.num_columns == 0:
        raise ValueError(f"{path} has no columns: expected a header row and numeric columns")
    _check_unique(path, table.column_names)
    stored = _stored_index(table, kind)
    if columns is None and stored:
        what = ("the first column has no name (a row index, as pandas writes one)"
                if kind == ".csv" else f"{', '.join(map(repr, stored))}: the index pandas "
                "stored in the file")
        if index is None and len(stored) == 1:
            index = stored[0]
            notes.append(f"{path.name}: {what}, so it is kept as the rows' index, not used as "
                         "a feature")
        else:
            drop = [*drop, *(name for name in stored if name != index)]
            beside = (f" and of the results (only {index!r} is written beside them)"
                      if index is not None and index not in stored else "")
            notes.append(f"{path.name}: {what}, so it is left out of the features{beside}")
    index_values, index_name = None, index
    if index is not None:
        _check_names(path, [index], table.column_names, "column")
        index_values = _index_values(table.column(index))
    elif kind != ".csv" and not stored:
        index_values, index_name = range_values(table.schema, table.num_rows,
                                                 table.column_names)
        if index_values is not None and len(index_values):
            notes.append(f"{path.name}: its index, a range from {index_values[0]} that pandas "
                         "kept, is kept as the rows' index and written beside the results")
    keep = _chosen_columns(path, table.column_names, columns, drop, index)
    order, others = keep, None
    if text:
        others = [name for name in keep if is_text_column(table[name]) or (
            name in text_columns and not _numeric_type(table[name].type))]
        keep = [name for name in keep if name not in others]
    X = numeric_array(path, table.select(keep))
    # a headerless file's made-up names say nothing: its columns match by position
    types = [_type_of(table.schema.field(name).type) for name in keep]
    id_like = [] if headerless else id_like_columns(keep, X, types)
    return Table(X, None if headerless else keep, index_values, index_name, notes, types,
                 None if others is None else table.select(others), order, timed, id_like)


def id_note(file_name: str, name: str, why: str, trained: bool = False) -> str:
    """The note for a feature that looks like a row id or a time (``Table.id_like``); where
    a saved model was ``trained`` with it, leaving it out needs a new fit."""
    if trained:
        return (f"{file_name}: column {name!r} {why}, and the model was trained with it as a "
                f"feature: if it is one, fit again without it (--drop {name})")
    return (f"{file_name}: column {name!r} {why}, and is read as a feature: if it is one, leave "
            f"it out with --drop {name} (or --time {name} to keep it beside the results)")


def _type_of(arrow_type) -> str:
    import pyarrow as pa

    if pa.types.is_boolean(arrow_type):
        return "bool"
    return "int" if pa.types.is_integer(arrow_type) else "float"


def read_named_csv(path: str | os.PathLike):
    """A CSV with a header row as a ``pyarrow.Table``, read by the same rules as ``read_table``
    (a comma, semicolon or tab between cells; names unique), its columns of any type."""
    import pyarrow as pa
    path = Path(path)
    delimiter = _delimiter_of(path, _first_row(path))
    try:
        table = _read_text(path, delimiter)
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"cannot read {path}: {_first_line(error)}") from None
    _check_unique(path, table.column_names)
    return table


def csv_columns_as_written(path: str | os.PathLike, table, names):
    """``table`` (read by ``read_named_csv`` from ``path``) with the columns ``names`` as the
    file's own text, for writing back: an id 0007 stays 0007, a zoned time keeps its zone.
    Parquet files keep their types."""
    if format_of(path) != ".csv":
        return table
    path = Path(path)
    return _as_file_text(path, _delimiter_of(path, _first_row(path)), None, table, names)


def csv_column_text(path: str | os.PathLike, name: str, header=None, values=None):
    """Column ``name`` of a CSV as the file's text (a NumPy array of str, None where empty),
    for writing it back beside results as it was; None for other formats or a headerless
    file, and where the text is what the column's ``values`` (as read) would write anyway:
    ids 0, 1, 2 stay numbers, 0007 and times keep the file's text."""
    import pyarrow.csv as pacsv

    path = Path(path)
    if format_of(path) != ".csv":
        return None
    first = _first_row(path)
    delimiter = _delimiter_of(path, first)
    options = None
    if header is False or (header is None and _is_data(first, delimiter, path)):
        if not re.fullmatch(r"x\d+", name):  # a headerless file's columns are x0, x1, ...
            return None
        width = len(next(csv.reader([first], delimiter=delimiter)))
        options = pacsv.ReadOptions(column_names=[f"x{i}" for i in range(width)])
    text = _read_text(path, delimiter, options, as_text=[name])[name].to_numpy(
        zero_copy_only=False)
    if values is not None and np.asarray(values).dtype.kind in "iu" and all(
            written == str(value) for written, value in zip(text, values)):
        return None  # whole numbers written plainly: kept as numbers
    return text


def _times_as_written(path: Path, delimiter: str, read_options, table):
    """``(table, names)``: the columns Arrow read as dates or times put back as the file's
    text (one more read of those columns), and their names. Arrow's parse writes back in ISO
    8601 and zoned times in UTC: 2024-01-01T00:00+02:00 came back as 2023-12-31 22:00:00Z."""
    import pyarrow as pa

    timed = [f.name for f in table.schema if pa.types.is_timestamp(f.type)
             or pa.types.is_date(f.type) or pa.types.is_time(f.type)]
    return _as_file_text(path, delimiter, read_options, table, timed), timed


def _as_file_text(path: Path, delimiter: str, read_options, table, names):
    """``table`` with the columns ``names`` replaced by the file's text (one more read)."""
    if not names:
        return table
    text = _read_text(path, delimiter, read_options, as_text=list(names))
    for name in names:
        table = table.set_column(table.schema.get_field_index(name), name, text[name])
    return table


def _read_text(path: Path, delimiter: str, read_options=None, as_text=None):
    """The CSV as an Arrow table; with ``as_text``, those columns alone, as the file's text."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    dialect = current_dialect()  # an empty cell is missing, in a text column too
    convert = (dialect.convert_options() if as_text is None else
               dialect.convert_options(include_columns=as_text,
                                       column_types=dict.fromkeys(as_text, pa.string())))
    with _text_input(path) as stream:
        try:
            return pacsv.read_csv(stream, read_options=read_options,
                                  parse_options=pacsv.ParseOptions(delimiter=delimiter),
                                  convert_options=convert)
        except pa.ArrowInvalid as error:
            if "UTF8" in str(error) or "UTF-8" in str(error):
                raise ValueError(not_utf8(path)) from None
            raise


def _refuse_one_column_of_separators(path: Path, table, delimiter: str) -> None:
    """A file read as one column whose name holds another separator was split on the wrong
    one (a trial: a comma file read with --decimal , or --sep ';'): say so, and how to read
    it, where the not-numeric message would offer to drop the whole header."""
    import pyarrow as pa

    if table.num_columns != 1 or not pa.types.is_string(table.column(0).type):
        return  # (a column of numbers read well, whatever its name holds)
    name = table.column_names[0]
    values = [v for v in table.column(0).slice(0, 20).to_pylist() if v]
    others = [sep for sep in SEPARATORS if sep != delimiter and sep in name
              and values and all(sep in v for v in values)]
    if others:
        shown = "tab" if others[0] == "\t" else others[0]
        raise ValueError(f"{path} reads as one column ({name[:40]!r}{'...' * (len(name) > 40)})"
                         f" split on {'tab' if delimiter == chr(9) else repr(delimiter)}: its "
                         f"cells seem separated by {shown!r}: give sep={others[0]!r} "
                         f"(--sep '{shown}')")


def _without_empty_unnamed(path: Path, table, notes: list[str], headerless: bool = False):
    """``table`` without the columns that have neither a name nor a value (a separator at the
    end of every line, as spreadsheets export; in a file without a header row, its last
    column), with a note when there were any; columns with values but no name past the first
    (an index's place) named as pandas names them, by their place in the file (``Unnamed:
    2``, counted from 0), so that a file pandas wrote back matches."""
    last = table.num_columns - 1
    empty = [i for i, (name, column) in enumerate(zip(table.column_names, table.columns))
             if (not name.strip() or (headerless and i == last))
             and column.null_count == len(column)]
    if len(empty) == table.num_columns:
        return table
    names = list(table.column_names)
    blank = [i for i, name in enumerate(names)
             if i > 0 and i not in empty and not name.strip()]
    for i in blank:
        names[i] = f"Unnamed: {i}"
    if blank:
        notes.append(f"{path.name}: column(s) {', '.join(str(i) for i in blank)} (from 0) have "
                     f"no name in the header: read as {', '.join(repr(names[i]) for i in blank)}"
                     ", as pandas names them")
        table = table.rename_columns(names)
    if empty:
        notes.append(f"{path.name}: {len(empty)} column(s) without a name or a value (a "
                     "separator at the end of each line) left out")
        table = table.select([i for i in range(table.num_columns) if i not in empty])
    return table


def _check_unique(path: Path, names: list[str]) -> None:
    seen = set()
    for name in names:
        if name in seen:
            raise ValueError(f"{path} has {names.count(name)} columns named {name!r}: give "
                             "each column a name of its own")
        seen.add(name)


def _stored_index(table, kind: str) -> list[str]:
    """The columns that hold a pandas index, not data: a CSV's unnamed first column (as
    ``DataFrame.to_csv`` writes it), or those a Parquet file's pandas metadata names (as
    ``DataFrame.to_parquet`` stores a named or non-default index)."""
    if kind == ".csv":
        return table.column_names[:1] if _unnamed_first(table.column_names) else []
    return pandas_index_columns(table.schema)


def range_values(schema, n_rows: int,
                  columns: list[str]) -> tuple[np.ndarray | None, str | None]:
    """The values and name of the range index ``range_index`` finds, for ``n_rows`` rows."""
    found, name = range_index(schema, n_rows, columns)
    if found is None:
        return None, None
    start, step = found
    return np.arange(start, start + step * n_rows, step, dtype=np.int64), name


def range_index(schema, n_rows: int,
                columns: Sequence[str]) -> tuple[tuple[int, int] | None, str | None]:
    """``((start, step), name)`` of a range index pandas kept as metadata only, unless it is
    the default unnamed 0..n-1 (a slice of a frame, ``df.iloc[200:]``, keeps 200, 201, ...):
    written beside the results, as a CSV's index column is (a trial: lost in Parquet). None
    where the range does not span ``n_rows`` rows (edited metadata), or where its name
    (``index`` when it has none) is a column's, as after ``reset_index``: the two would share
    a name in the output (the column stays a feature, with the note of an id's name)."""
    entry = range_entry(schema, n_rows)
    if entry is None:
        return None, None
    start, step, name = entry
    if (start == 0 and step == 1 and name is None) or (name or "index") in columns:
        return None, None
    return (start, step), name


def range_entry(schema, n_rows: int) -> tuple[int, int, str | None] | None:
    """``(start, step, name)`` of the range index a Parquet schema's pandas metadata keeps,
    when it has one spanning ``n_rows`` rows; else None."""
    named = (schema.pandas_metadata or {}).get("index_columns", [])
    if len(named) != 1 or not isinstance(named[0], dict) or named[0].get("kind") != "range":
        return None
    entry = named[0]
    start, step, name = entry.get("start", 0), entry.get("step", 1), entry.get("name")
    if not step or len(range(start, entry.get("stop", start), step)) != n_rows:
        return None
    return int(start), int(step), None if name is None else str(name)


def pandas_index_columns(schema) -> list[str]:
    """The columns of a Parquet schema that pandas stored its index in (none for a default
    0..n-1 index, which pandas keeps as metadata only)."""
    named = (schema.pandas_metadata or {}).get("index_columns", [])
    return [name for name in named if isinstance(name, str) and name in schema.names]


def _unnamed_first(names: list[str]) -> bool:
    """Whether the first column is an unnamed row index, as ``DataFrame.to_csv`` writes it."""
    return len(names) > 1 and names[0].strip() in ("", "Unnamed: 0")


def _check_names(path: Path, wanted: Sequence[str], present: Sequence[str], what: str) -> None:
    missing = [name for name in wanted if name not in present]
    if missing:
        raise ValueError(f"{path} has no {what} {', '.join(map(repr, missing))}; its columns "
                         f"are {', '.join(map(repr, present))}")


def _index_values(column):
    """The index column as NumPy values; timestamps with a time zone as pandas' array of them,
    which keeps the zone and the nanoseconds (NumPy's ``datetime64`` has no zone: they were
    written back as UTC clock times without one, an hour or more off the input's own).
    Without pandas, Python datetimes in microseconds keep the zone."""
    import pyarrow as pa

    if not (pa.types.is_timestamp(column.type) and column.type.tz is not None):
        return column.to_numpy(zero_copy_only=False)
    if importlib.util.find_spec("pandas") is None:  # to_pandas needs it
        micros = column.cast(pa.timestamp("us", column.type.tz), safe=False)
        return np.array(micros.to_pylist(), dtype=object)
    return column.to_pandas().array


def _chosen_columns(path: Path, present: list[str], columns, drop, index) -> list[str]:
    if columns:
        _check_names(path, columns, present, "column")
    _check_names(path, drop, present, "column to drop")
    chosen = list(columns) if columns else list(present)
    keep = [name for name in chosen if name not in drop and name != index]
    if not keep:
        raise ValueError(f"no columns of {path} are left to use after columns=/drop= "
                         "(--columns/--drop)")
    return keep


def align_columns(columns: Sequence[str], expected: Sequence[str], source: str = "the data",
                  remedy: str = "give the same columns, choose them with --columns/--drop, or "
                                "rename them") -> tuple[list[int], str | None]:
    """Positions that put ``columns`` in the ``expected`` order, and a note when that moved any.

    Raises ``ValueError`` listing the missing and unexpected names when the two sets differ.
    """
    columns, expected = [str(c) for c in columns], [str(c) for c in expected]
    missing = [name for name in expected if name not in columns]
    extra = [name for name in columns if name not in expected]
    repeated = len(set(columns)) != len(columns)
    if missing or extra or repeated:
        parts = [f"missing {', '.join(map(repr, missing))}" if missing else "",
                 f"unexpected {', '.join(map(repr, extra))}" if extra else "",
                 "repeated names" if repeated else ""]
        spaces = missing and sorted(n.strip() for n in missing) == sorted(n.strip() for n in extra)
        hint = " (the names differ only in spaces around them: remove those)" if spaces else ""
        raise ValueError(f"{source} does not have the columns the model was trained on ("
                         f"{'; '.join(p for p in parts if p)}){hint}: {remedy}")
    order = [columns.index(name) for name in expected]
    moved = order != list(range(len(order)))
    return order, (f"{source}: columns reordered by name to match the model" if moved else None)


def write_table(path: str | os.PathLike, X: np.ndarray, columns: list[str] | None = None,
                index: np.ndarray | None = None, index_name: str | None = None,
                header: bool = True) -> None:
    """Write a 1-D or 2-D array atomically; CSV and Parquet get ``columns`` as their header and
    ``index`` (a time or id column read by ``read_table``) as their first column; a CSV
    without a header row where ``header`` is False. NumPy files hold the array alone, in its
    own shape."""
    path = Path(path)
    kind = _format_of(path)
    X = np.asarray(X)
    with atomic_path(path) as tmp:
        if kind == ".npy":
            with open(tmp, "wb") as handle:
                np.save(handle, X, allow_pickle=False)
        elif kind == ".npz":
            with open(tmp, "wb") as handle:
                np.savez(handle, X=X)
        else:
            _write_arrow(tmp, path, X, columns, index, index_name, header)


def _write_arrow(tmp: Path, path: Path, X: np.ndarray, columns: list[str] | None,
                 index: np.ndarray | None, index_name: str | None, header: bool) -> None:
    import pyarrow as pa

    X2 = X.reshape(len(X), -1) if X.ndim != 2 else X
    names = columns or [f"x{i}" for i in range(X2.shape[1])]
    header_name = output_index_name(index_name, path)
    if index is not None and header_name in names:  # one would overwrite the other
        raise ValueError(f"the index column {header_name!r} has the name of a column written "
                         f"beside it ({', '.join(map(repr, names[:6]))}): rename it")
    data = {} if index is None else {header_name: index}
    write_arrow_table(pa.table({**data, **{name: X2[:, i] for i, name in enumerate(names)}}),
                      tmp, path, header, None if index is None else header_name)


def write_frame(path: str | os.PathLike, frame, index: np.ndarray | None = None,
                index_name: str | None = None, header: bool = True) -> None:
    """Write a pandas DataFrame atomically as CSV or Parquet, each column in its own type
    (nullable integers and booleans stay integers and booleans), ``index`` first; a CSV
    without a header row where ``header`` is False."""
    import pyarrow as pa

    name = None if index_name in UNNAMED_INDEX else index_name
    if index is not None and name is not None and name in map(str, frame.columns):
        raise ValueError(f"the index column {name!r} has the name of a column written "
                         "beside it: rename one of them")
    if index is not None and format_of(path) != ".csv":  # Parquet: as pandas' index, so that
        frame = frame.set_axis(_pandas_index(index, name), axis=0)  # it reads back as one
        table = pa.Table.from_pandas(frame, preserve_index=True)
    else:
        table = pa.Table.from_pandas(frame, preserve_index=False)
        if index is not None:  # unnamed: an empty header, as pandas writes one
            table = table.add_column(0, name or "", pa.array(index))
    with atomic_path(Path(path)) as tmp:
        write_arrow_table(table, tmp, Path(path), header=header)


UNNAMED_INDEX = (None, "", "__index_level_0__", "Unnamed: 0")  # pandas' names of no name


def output_index_name(index_name: str | None, path) -> str:
    """The header of an index column written beside results: its name; for an unnamed index,
    in a CSV an empty header, as pandas writes one (read back as the rows' index, not as a
    feature), elsewhere ``index``."""
    if index_name not in UNNAMED_INDEX:
        return index_name
    return "" if format_of(path) == ".csv" else "index"


def _as_pandas_index(table, index: str | None):
    """``table`` with its column ``index`` stored as pandas' index (unnamed where it is
    ``index``, pandas' word for none), as ``DataFrame.to_parquet`` stores one; as it is
    without pandas, which no part of aekit needs."""
    if index is None or importlib.util.find_spec("pandas") is None:
        return table
    import pyarrow as pa

    frame = table.to_pandas().set_index(index)
    if index == "index":
        frame.index.name = None
    return pa.Table.from_pandas(frame, preserve_index=True)


def _pandas_index(values: np.ndarray, name: str | None):
    import pandas as pd

    return pd.Index(values, name=name)


def write_arrow_table(table, tmp: Path, path: Path, header: bool = True,
                      index: str | None = None) -> None:
    """Write an Arrow table into ``tmp`` in the format ``path``'s name says (CSV or TSV,
    compressed as named, with a header row unless ``header`` is False, or Parquet, where the
    column ``index`` names is stored as pandas' index, so that it reads back as one)."""
    if format_of(path) != ".csv":
        import pyarrow.parquet as pq

        pq.write_table(_as_pandas_index(table, index), tmp)
        return
    with open_text_writer(tmp, path, header) as (sink, options):
        import pyarrow.csv as pacsv

        pacsv.write_csv(times_as_pandas_writes(table), sink, options)


def times_as_pandas_writes(table):
    """``table`` with each timestamp column in the coarsest unit that holds its values
    exactly, as ``DataFrame.to_csv`` writes times: ``2026-01-01 01:00:00``, not Arrow's
    ``2026-01-01 01:00:00.000000`` (a trial); a column of midnights as dates, a zone as
    ``+01:00`` in whole seconds (``+0100`` with fractions of a second)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    for i, kind in enumerate(table.schema):
        if not pa.types.is_timestamp(kind.type):
            continue
        column = table.column(i)
        for unit in ("s", "ms", "us", "ns"):
            try:
                column = column.cast(pa.timestamp(unit, kind.type.tz))
                break
            except pa.ArrowInvalid:  # the unit would truncate a value
                continue
        if unit == "s" and kind.type.tz is not None:
            column = pc.strftime(column, format="%Y-%m-%d %H:%M:%S%Ez")
        elif unit == "s" and pc.all(pc.equal(column, pc.floor_temporal(
                column, unit="day"))).as_py() is not False:
            column = column.cast(pa.date32())
        table = table.set_column(i, kind.name, column)
    return table


@contextlib.contextmanager
def open_text_writer(tmp: Path, path: Path, header: bool = True):
    """``(sink, write options)`` for CSV written into ``tmp`` as ``path``'s name says: tabs for
    ``.tsv``, compressed for ``.gz``, ``.bz2`` and ``.zst``; a header row unless ``header`` is
    False."""
    import pyarrow as pa
    import pyarrow.csv as pacsv

    options = pacsv.WriteOptions(include_header=header,
                                 delimiter="\t" if is_tab_separated(path) else ",")
    codec = compression_of(path)
    with (pa.OSFile(str(tmp), "wb") if codec is None
          else pa.CompressedOutputStream(str(tmp), codec)) as sink:
        yield sink, options


