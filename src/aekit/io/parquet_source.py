"""Parquet files and folders as block sources: row groups read in slices, within a budget."""

from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from pathlib import Path

import numpy as np

from aekit.io.sources import (
    PARQUET_SUFFIXES,
    ArraySource,
    _block_rows,
    _check_memory,
    _fill_float32,
)
from aekit.io.tables import _first_line, range_entry

_PARQUET_BUFFER = 2**18  # bytes read from a Parquet file at a time, per column
_PARQUET_PAGE = 2**20  # Arrow's and Spark's default data page size


class ParquetSource(ArraySource):
    """A Parquet file or a directory of them, read in slices of row groups.

    Blocks are consecutive slices of ``block_rows`` rows of each row group (a row group of at
    most that many rows is one block), files in sorted path order. A thread reading the slices
    of a row group in order decodes each once (``ParquetFile.iter_batches``); a slice out of
    order costs re-reading the row group up to it, so streams read each row group's blocks as
    one run (``runs``). Nulls become NaN.

    Parameters
    ----------
    path : path-like
        A ``.parquet``/``.pq`` file, or a directory searched recursively for them (names starting
        with ``_`` or ``.`` are skipped, as Arrow does). All files must share one schema.
    columns : list of str, optional
        Numeric columns to read, in this order; default all but a stored pandas index.
        ``row_shape`` is ``(len(columns),)``.
    block_rows : int, optional
        Rows per block at most. Default: as many as fit in ``memory / 64`` bytes of float32.
    memory : int, optional
        Bytes a stream of this source may hold; default 192 MiB.

    Attributes
    ----------
    index_column : str or None
        The column pandas stored the rows' index in, when there is one and it is not read as
        data, or the name of the range indexes other than 0..n-1 it kept as metadata (one per
        file, all of one name: ``""`` when unnamed): ``index_blocks`` gives it, to label what
        is written from the rows.
    """

    def __init__(self, path: str | os.PathLike, columns: list[str] | None = None, *,
                 block_rows: int | None = None, memory: int | None = None):
        self.path = Path(path)
        self.memory = _check_memory(memory)
        self.files = _parquet_files(self.path)
        schemas, groups, reader = _scan_row_groups(self.files)
        schema = schemas[0]
        self.columns = _select_columns(schema, columns, self.path)
        self.reader_bytes = sum(reader.get(name, 0) for name in self.columns)
        self.row_shape = (len(self.columns),)
        self.block_rows = _block_rows(block_rows, self.memory, self.row_shape)
        self._slices, self._starts = _slice_groups(groups, self.block_rows)
        self._parts = {(f, g): -(-rows // self.block_rows) for f, g, rows in groups}
        if self.n_rows == 0:
            raise ValueError(f"{self.path} has no rows: streaming needs at least one")
        self.index_column = _index_column(schema, self.columns)
        # range indexes pandas kept as metadata (a slice's 200, 201, ...), one per file
        self._file_rows = [0] * len(self.files)
        for file_index, _, rows in groups:
            self._file_rows[file_index] += rows
        self._index_ranges = None
        if self.index_column is None:
            self._index_ranges, name = _file_ranges(schemas, self._file_rows, schema.names)
            self.index_column = None if self._index_ranges is None else (name or "")
        self._local = threading.local()  # each thread's open row group: (key, next slice, batches)

    def runs(self) -> list[list[int]]:
        runs: dict[tuple[int, int], list[int]] = {}
        for i, (file_index, group, _) in enumerate(self._slices):
            runs.setdefault((file_index, group), []).append(i)
        return list(runs.values())

    def index_blocks(self) -> Iterator:
        """Each block's values of ``index_column`` (Arrow arrays), in block order: the rows'
        labels to write beside what is computed from them. Reads that column alone."""
        import pyarrow.parquet as pq

        if self.index_column is None:
            raise ValueError(f"{self.path} stores no index column")
        if self._index_ranges is not None:
            import pyarrow as pa

            file_firsts = np.concatenate([[0], np.cumsum(self._file_rows)])
            for i, (file_index, _, _) in enumerate(self._slices):
                start, step = self._index_ranges[file_index]
                first, stop = (self._starts[i] - file_firsts[file_index],
                               self._starts[i + 1] - file_firsts[file_index])
                yield pa.array(np.arange(start + step * first, start + step * stop, step))
            return
        for file_index, path in enumerate(self.files):
            with pq.ParquetFile(path) as handle:
                groups = [g for f, g, _ in self._slices if f == file_index]
                for group in dict.fromkeys(groups):  # each once, in order
                    for batch in handle.iter_batches(
                            batch_size=self.block_rows, row_groups=[group],
                            columns=[self.index_column], use_threads=False):
                        yield batch.column(0)

    def _read(self, i: int) -> np.ndarray:
        import pyarrow as pa

        file_index, group, part = self._slices[i]
        path = self.files[file_index]
        try:
            batch = self._batch(file_index, group, part)
        except (pa.ArrowException, OSError) as error:
            self._local.cursor = None
            reason = _first_line(error)
            raise ValueError(f"cannot read row group {group} of {path}: {reason}") from None
        start, stop = self._starts[i], self._starts[i + 1]
        if batch.num_rows != stop - start:  # the footer and the reader disagree: a broken file
            self._local.cursor = None
            raise ValueError(f"row group {group} of {path} gave {batch.num_rows} rows where "
                             f"its footer promises {stop - start} (corrupted file?)")
        out = np.empty((batch.num_rows, len(self.columns)), dtype=np.float32)
        for j, name in enumerate(self.columns):
            _fill_float32(out[:, j], _column_values(batch.column(name)),
                          f"column {name!r} of {path}")
        return out

    def _batch(self, file_index: int, group: int, part: int):
        """Slice ``part`` of the row group, from this thread's open reader when it is there or
        behind it (skipping slices), else from a new reader of the row group."""
        import pyarrow.parquet as pq

        cursor = getattr(self._local, "cursor", None)
        if cursor is None or cursor[0] != (file_index, group) or cursor[1] > part:
            handle = pq.ParquetFile(self.files[file_index], pre_buffer=False,
                                    buffer_size=_PARQUET_BUFFER)
            batches = handle.iter_batches(batch_size=self.block_rows, row_groups=[group],
                                          columns=self.columns, use_threads=False)
            cursor = [(file_index, group), 0, batches]
        self._local.cursor = None  # until this read succeeds
        while True:
            batch = next(cursor[2])
            cursor[1] += 1
            if cursor[1] > part:
                break
        last = part + 1 == self._parts[(file_index, group)]
        # The row group's reader holds every column's dictionary and page: drop it at the end.
        self._local.cursor = None if last else cursor
        return batch


def _slice_groups(groups: list[tuple[int, int, int]], block_rows: int):
    """Blocks ``(file_index, group, slice)`` of at most ``block_rows`` rows, and their starts."""
    slices, starts = [], [0]
    for file_index, group, rows in groups:
        for part, first in enumerate(range(0, rows, block_rows)):
            slices.append((file_index, group, part))
            starts.append(starts[-1] + min(block_rows, rows - first))
    return slices, starts


def _parquet_files(path: Path) -> list[Path]:
    if path.is_file():
        return [path]
    if not path.is_dir():
        raise FileNotFoundError(f"data file {path} does not exist")
    files = sorted(
        p for p in path.rglob("*")
        if p.suffix.lower() in PARQUET_SUFFIXES and p.is_file()
        and not any(part.startswith(("_", ".")) for part in p.relative_to(path).parts)
    )
    if not files:
        raise ValueError(f"directory {path} holds no .parquet or .pq files")
    return files


def _scan_row_groups(files: list[Path]):
    """Read every footer: ``(schemas, [(file_index, row_group, rows)], {column: reader
    bytes})``: each file's schema (all the same but for their metadata), and the most a
    column's reader holds for any row group."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, schemas, groups, reader = None, [], [], {}
    for file_index, path in enumerate(files):
        try:
            with pq.ParquetFile(path) as handle:
                file_schema, metadata = handle.schema_arrow, handle.metadata
        except (pa.ArrowException, OSError) as error:
            raise ValueError(f"cannot read {path} as Parquet: {_first_line(error)}") from None
        if schema is None:
            schema = file_schema
        elif not file_schema.equals(schema, check_metadata=False):
            raise ValueError(
                f"{path} has schema ({_describe(file_schema)}) but {files[0]} has "
                f"({_describe(schema)}): all files of a dataset must share one schema"
            )
        schemas.append(file_schema)
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            if row_group.num_rows:  # an empty row group would be an empty block
                groups.append((file_index, group, row_group.num_rows))
            for j in range(row_group.num_columns):
                chunk = row_group.column(j)
                name = chunk.path_in_schema
                reader[name] = max(reader.get(name, 0), _reader_bytes(chunk))
    return schemas, groups, reader


def _file_ranges(schemas, file_rows: list[int], names: list[str]
                 ) -> tuple[list[tuple[int, int]] | None, str | None]:
    """Each file's ``(start, step)`` of the range index pandas kept as its metadata, and their
    name, where every file has one spanning its rows, all of one name that is no column's
    (``index`` when unnamed), and they are more than positions: a name, or slices of a frame
    (``df.iloc[100:300]`` and ``df.iloc[400:]``). Unnamed ranges that only count the rows,
    across the files (0..299, 300..599) or in each (0..299, 0..299), are no index, as pandas
    reads such a folder; ``(None, None)`` then. One file's is ``read_table``'s
    ``range_index``."""
    entries = [range_entry(schema, rows) for schema, rows in zip(schemas, file_rows, strict=True)]
    if any(entry is None for entry in entries) or len({e[2] for e in entries}) != 1:
        return None, None
    name = entries[0][2]
    if (name or "index") in names:
        return None, None
    ranges = [(start, step) for start, step, _ in entries]
    firsts = np.concatenate([[0], np.cumsum(file_rows)[:-1]])
    counted = all(rows == 0 or (start, step) == (first, 1)
                  for (start, step), first, rows in zip(ranges, firsts, file_rows))
    each_counted = all(rows == 0 or (start, step) == (0, 1)
                       for (start, step), rows in zip(ranges, file_rows))
    return (None, None) if name is None and (counted or each_counted) else (ranges, name)


def _reader_bytes(chunk) -> int:
    """What Arrow's reader of a column chunk holds while it is read: its dictionary page (read
    and decoded) and a data page (read and decompressed), from the footer's offsets and sizes."""
    dictionary = 0
    if chunk.has_dictionary_page and chunk.dictionary_page_offset is not None:
        dictionary = max(0, chunk.data_page_offset - chunk.dictionary_page_offset)
    page = min(chunk.total_uncompressed_size, _PARQUET_PAGE)
    return 2 * (dictionary + page) + _PARQUET_BUFFER


def _select_columns(schema, columns: list[str] | None, path: Path) -> list[str]:
    import pyarrow as pa

    from aekit.io.tables import pandas_index_columns

    names = list(schema.names)
    stored = pandas_index_columns(schema)  # an index pandas stored: not data (as read_table)
    chosen = [name for name in names if name not in stored] if columns is None else list(columns)
    if not chosen:
        raise ValueError(f"no columns selected from {path}: name at least one")
    for name in chosen:
        if name not in names:
            raise ValueError(f"column {name!r} is not in {path}: it has {names}")
        kind = schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)
                or pa.types.is_boolean(kind) or pa.types.is_decimal(kind)):
            raise ValueError(
                f"column {name!r} of {path} is not numeric ({kind}): leave it out "
                f"(columns=[...] without it / --drop {name}) or encode it as numbers first"
            )
    return chosen


def _index_column(schema, columns: list[str]) -> str | None:
    """The one column pandas stored its index in, unless it is read as data; else None (as
    ``read_table`` keeps a single stored index as the rows' labels)."""
    from aekit.io.tables import pandas_index_columns

    stored = pandas_index_columns(schema)
    return stored[0] if len(stored) == 1 and stored[0] not in columns else None


def _column_values(column) -> np.ndarray:
    """An Arrow column as a NumPy float array, nulls as NaN: a float column without nulls as
    it is (no copy), any other through float64."""
    import pyarrow as pa

    if pa.types.is_floating(column.type) and column.null_count == 0:
        return column.to_numpy(zero_copy_only=False)
    return _column_float64(column)


def _column_float64(column) -> np.ndarray:
    """An Arrow column as float64, nulls as NaN (also for bool and decimal columns)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    as_float = pc.cast(column, pa.float64()).fill_null(float("nan"))
    return as_float.to_numpy()


def _describe(schema) -> str:
    return ", ".join(f"{field.name}: {field.type}" for field in schema)
