"""Block-readable arrays on disk, for data larger than memory.

A source never holds the whole file: ``.npy`` files are read block by block with plain file
reads (a memory map's touched pages would count in the process's memory and grow with the
file), and Parquet row groups are read in slices. A block holds at most ``memory / 64`` bytes
as float32, so that whoever streams the source (``aekit.train.StreamBatches``) can keep a
shuffle window and a prefetch queue of blocks within the ``memory`` budget.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

from aekit.io.tables import _first_line

PARQUET_SUFFIXES = (".parquet", ".pq")
STREAM_FORMATS = (".npy", *PARQUET_SUFFIXES)
DEFAULT_MEMORY = 256 * 2**20  # bytes a stream of a source may hold: blocks read ahead, shuffled
BLOCKS_PER_BUDGET = 64  # a block is at most memory / 64 bytes, leaving room for a shuffle window
_MIN_MEMORY = 2**20
_PARQUET_BUFFER = 2**18  # bytes read from a Parquet file at a time, per column
_PARQUET_PAGE = 2**20  # Arrow's and Spark's default data page size
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class ArraySource:
    """An on-disk array of ``n_rows`` rows of shape ``row_shape``, read in blocks of rows.

    Subclasses fill ``path``, ``row_shape``, ``columns``, ``memory`` and ``_starts`` (the first
    row of every block, then ``n_rows``) and implement ``_read(i)``; they may override ``runs``.

    Attributes
    ----------
    path : Path
    n_rows : int
    row_shape : tuple of int
        Shape of one row; a block has shape ``(rows, *row_shape)``.
    n_blocks : int
    columns : list of str or None
        Column names where the format has them (Parquet), else ``None``.
    memory : int
        Bytes a stream of this source may hold (``StreamBatches`` reads it); blocks hold at
        most ``memory / 64`` bytes as float32 unless ``block_rows`` was given.
    reader_bytes : int
        Of ``memory``, what the format's reader holds beside the blocks (Parquet: each
        column's dictionary and a page, from the footer; 0 for ``.npy``).
    """

    path: Path
    row_shape: tuple[int, ...]
    columns: list[str] | None = None
    memory: int = DEFAULT_MEMORY
    reader_bytes: int = 0
    _starts: list[int]

    @property
    def n_rows(self) -> int:
        return self._starts[-1]

    @property
    def n_blocks(self) -> int:
        return len(self._starts) - 1

    def block_bounds(self, i: int) -> tuple[int, int]:
        """Row range ``(start, stop)`` of block ``i``."""
        if not 0 <= i < self.n_blocks:
            raise IndexError(f"block {i} is out of range: {self.path} has {self.n_blocks} blocks")
        return self._starts[i], self._starts[i + 1]

    def read_block(self, i: int) -> np.ndarray:
        """Block ``i`` as a new float32 array of shape ``(stop - start, *row_shape)``.

        NaN and inf are passed through (the caller checks them); finite values too large for
        float32 raise ``ValueError``.
        """
        self.block_bounds(i)  # range check before touching the file
        return self._read(i)

    def _read(self, i: int) -> np.ndarray:
        raise NotImplementedError

    def __getstate__(self) -> dict:
        state = dict(self.__dict__)
        state.pop("_local", None)  # per-thread readers and buffers stay with their threads
        return state

    def __setstate__(self, state: dict) -> None:
        self.__dict__.update(state)
        self._local = threading.local()

    def runs(self) -> list[list[int]]:
        """Blocks grouped into runs that are cheapest read in order, one after another (the
        slices of one Parquet row group); every block is its own run where reads are random
        access. A shuffled stream permutes the runs, not the blocks."""
        return [[i] for i in range(self.n_blocks)]

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({str(self.path)!r}, n_rows={self.n_rows}, "
                f"row_shape={self.row_shape}, n_blocks={self.n_blocks})")


class NpySource(ArraySource):
    """A ``.npy`` file read as consecutive runs of ``block_rows`` rows.

    Blocks are read with file reads into a reused buffer, then converted to new float32 arrays,
    so memory does not grow with the file (pages of a memory map would). A Fortran-ordered file
    has no contiguous rows: each block is copied out of a memory map opened for that block
    alone, whose pages go with it (C order reads faster).

    Parameters
    ----------
    path : path-like
        A ``.npy`` array of shape ``(n_rows, *row_shape)``, ``ndim >= 2``, real numeric or bool.
    block_rows : int, optional
        Rows per block; the last block holds the rest. Default: as many rows as fit in
        ``memory / 64`` bytes of float32.
    memory : int, optional
        Bytes a stream of this source may hold; default 256 MiB.
    """

    def __init__(self, path: str | os.PathLike, block_rows: int | None = None,
                 memory: int | None = None):
        self.path = Path(path)
        self.memory = _check_memory(memory)
        self._header = _read_npy_header(self.path)
        shape = self._header.shape
        self.row_shape = tuple(shape[1:])
        self.block_rows = _block_rows(block_rows, self.memory, self.row_shape)
        self._starts = [*range(0, shape[0], self.block_rows), shape[0]]
        self._local = threading.local()  # a reused read buffer per thread that reads

    def _read(self, i: int) -> np.ndarray:
        start, stop = self.block_bounds(i)
        header = self._header
        if header.fortran_order:
            array = np.load(self.path, mmap_mode="r", allow_pickle=False)
            return _to_float32(array[start:stop], f"{self.path}")
        count = (stop - start) * header.row_values
        raw = self._buffer(count * header.dtype.itemsize)
        with open(self.path, "rb") as handle:
            handle.seek(header.offset + start * header.row_values * header.dtype.itemsize)
            got = handle.readinto(raw)
        if got != len(raw):
            raise ValueError(f"{self.path} ended early (truncated?): block {i} needs rows "
                             f"{start} to {stop - 1}")
        values = np.frombuffer(raw, dtype=header.dtype, count=count)
        return _to_float32(values.reshape(stop - start, *self.row_shape), f"{self.path}")

    def _buffer(self, n_bytes: int) -> memoryview:
        """``n_bytes`` of this thread's read buffer, grown to the largest block read so far."""
        buffer = getattr(self._local, "buffer", None)
        if buffer is None or len(buffer) < n_bytes:
            buffer = self._local.buffer = bytearray(n_bytes)
        return memoryview(buffer)[:n_bytes]


class _NpyHeader:
    """What a ``.npy`` header says: shape, dtype, order, and where the data starts."""

    def __init__(self, shape, dtype, fortran_order, offset):
        self.shape, self.dtype = shape, dtype
        self.fortran_order, self.offset = fortran_order, offset
        self.row_values = int(np.prod(shape[1:], dtype=np.int64))


def _read_npy_header(path: Path) -> _NpyHeader:
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    fmt = np.lib.format
    try:
        with open(path, "rb") as handle:
            version = fmt.read_magic(handle)
            read = fmt.read_array_header_1_0 if version == (1, 0) else fmt.read_array_header_2_0
            shape, fortran_order, dtype = read(handle, max_header_size=2**20)
            offset = handle.tell()
    except (ValueError, OSError, EOFError) as error:
        with open(path, "rb") as handle:
            zipped = handle.read(2) == b"PK"  # np.savez writes a zip archive
        if zipped:
            raise ValueError(f"{path} is not a .npy array: save it with np.save") from None
        raise ValueError(f"cannot read {path} as .npy (truncated or corrupted?): {error}") from None
    if len(shape) < 2:
        raise ValueError(
            f"{path} holds a {len(shape)}-D array of shape {shape}: "
            "streaming needs rows, reshape it to (n, 1) and save it again"
        )
    if dtype.hasobject or not _is_real_numeric(dtype):
        raise ValueError(f"{path} holds dtype {dtype}: convert it to a real numeric dtype")
    if shape[0] == 0:
        raise ValueError(f"{path} has no rows: streaming needs at least one")
    header = _NpyHeader(shape, dtype, fortran_order, offset)
    expected = offset + shape[0] * header.row_values * dtype.itemsize
    if path.stat().st_size < expected:
        raise ValueError(f"cannot read {path} as .npy (truncated or corrupted?): its header "
                         f"promises {expected} bytes, the file has {path.stat().st_size}")
    return header


def _check_memory(memory: int | None) -> int:
    if memory is None:
        return DEFAULT_MEMORY
    if isinstance(memory, bool) or not isinstance(memory, (int, np.integer)):
        raise TypeError(f"memory must be a number of bytes (int), got {type(memory).__name__}")
    if memory < _MIN_MEMORY:
        raise ValueError(f"memory must be at least {_MIN_MEMORY} bytes (1 MiB), got {memory}")
    return int(memory)


def _block_rows(block_rows: int | None, memory: int, row_shape: tuple[int, ...]) -> int:
    """``block_rows`` checked, or the rows of float32 that fit in a block of the budget."""
    if block_rows is None:
        row_bytes = 4 * int(np.prod(row_shape, dtype=np.int64))
        return max(1, memory // BLOCKS_PER_BUDGET // max(row_bytes, 1))
    if block_rows < 1:
        raise ValueError(f"block_rows must be at least 1, got {block_rows}")
    return int(block_rows)


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
        Numeric columns to read, in this order; default all. ``row_shape`` is ``(len(columns),)``.
    block_rows : int, optional
        Rows per block at most. Default: as many as fit in ``memory / 64`` bytes of float32.
    memory : int, optional
        Bytes a stream of this source may hold; default 256 MiB.
    """

    def __init__(self, path: str | os.PathLike, columns: list[str] | None = None, *,
                 block_rows: int | None = None, memory: int | None = None):
        self.path = Path(path)
        self.memory = _check_memory(memory)
        self.files = _parquet_files(self.path)
        schema, groups, reader = _scan_row_groups(self.files)
        self.columns = _select_columns(schema, columns, self.path)
        self.reader_bytes = sum(reader.get(name, 0) for name in self.columns)
        self.row_shape = (len(self.columns),)
        self.block_rows = _block_rows(block_rows, self.memory, self.row_shape)
        self._slices, self._starts = _slice_groups(groups, self.block_rows)
        self._parts = {(f, g): -(-rows // self.block_rows) for f, g, rows in groups}
        if self.n_rows == 0:
            raise ValueError(f"{self.path} has no rows: streaming needs at least one")
        self._local = threading.local()  # each thread's open row group: (key, next slice, batches)

    def runs(self) -> list[list[int]]:
        runs: dict[tuple[int, int], list[int]] = {}
        for i, (file_index, group, _) in enumerate(self._slices):
            runs.setdefault((file_index, group), []).append(i)
        return list(runs.values())

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
    """Read every footer: ``(schema, [(file_index, row_group, rows)], {column: reader bytes})``
    where a column's reader bytes are the most its reader holds for any row group."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, groups, reader = None, [], {}
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
        for group in range(metadata.num_row_groups):
            row_group = metadata.row_group(group)
            if row_group.num_rows:  # an empty row group would be an empty block
                groups.append((file_index, group, row_group.num_rows))
            for j in range(row_group.num_columns):
                chunk = row_group.column(j)
                name = chunk.path_in_schema
                reader[name] = max(reader.get(name, 0), _reader_bytes(chunk))
    return schema, groups, reader


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

    names = list(schema.names)
    chosen = names if columns is None else list(columns)
    if not chosen:
        raise ValueError(f"no columns selected from {path}: name at least one")
    for name in chosen:
        if name not in names:
            raise ValueError(f"column {name!r} is not in {path}: it has {names}")
        kind = schema.field(name).type
        if not (pa.types.is_integer(kind) or pa.types.is_floating(kind)
                or pa.types.is_boolean(kind) or pa.types.is_decimal(kind)):
            raise ValueError(
                f"column {name!r} of {path} is not numeric ({kind}): "
                "drop it with columns=[...] or encode it as numbers first"
            )
    return chosen


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


def open_source(path: str | os.PathLike, block_rows: int | None = None, *,
                memory: int | None = None, columns: list[str] | None = None) -> ArraySource:
    """Open ``path`` for streaming: a ``.npy`` file, or a Parquet file or directory.

    ``memory`` (bytes, default 256 MiB) bounds what a stream of the source holds; blocks are
    ``block_rows`` rows (default: as many as fit in ``memory / 64`` bytes of float32; Parquet
    row groups are read in slices of that many rows). ``columns`` chooses Parquet columns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in PARQUET_SUFFIXES:
        return ParquetSource(path, columns, block_rows=block_rows, memory=memory)
    if columns is not None:
        raise ValueError(f"{path} has no column names: columns need a Parquet source")
    if suffix == ".npy":
        return NpySource(path, block_rows=block_rows, memory=memory)
    if not suffix and not path.exists():
        raise FileNotFoundError(f"data file {path} does not exist")
    raise ValueError(
        f"cannot stream {suffix or '(no suffix)'!r} files ({path}): streaming reads .npy, "
        ".parquet/.pq or a directory of Parquet files; convert it, or load it whole with read_table"
    )


def _is_real_numeric(dtype: np.dtype) -> bool:
    return dtype == np.bool_ or (np.issubdtype(dtype, np.number)
                                 and not np.issubdtype(dtype, np.complexfloating))


def _fill_float32(out: np.ndarray, values: np.ndarray, what: str) -> None:
    """Write ``values`` into the float32 array ``out``; raises as ``_to_float32`` does."""
    with np.errstate(over="ignore", invalid="ignore"):
        out[...] = values
    wide = np.issubdtype(values.dtype, np.floating) and values.dtype.itemsize > 4
    if wide and not np.isfinite(out).all() and (np.isinf(out) & np.isfinite(values)).any():
        raise ValueError(
            f"{what} holds values beyond float32's range (+-{_FLOAT32_MAX:.3g}): "
            "rescale the data before streaming it"
        )


def _to_float32(values: np.ndarray, what: str) -> np.ndarray:
    """``values`` as a new float32 array; raises if a finite value overflows float32."""
    with np.errstate(over="ignore", invalid="ignore"):
        out = np.array(values, dtype=np.float32)
    # Only wider floats can overflow: int64 tops out near 9.2e18, far below float32's 3.4e38.
    wide = np.issubdtype(values.dtype, np.floating) and values.dtype.itemsize > 4
    if wide and not np.isfinite(out).all() and (np.isinf(out) & np.isfinite(values)).any():
        raise ValueError(
            f"{what} holds values beyond float32's range (+-{_FLOAT32_MAX:.3g}): "
            "rescale the data before streaming it"
        )
    return out


def _describe(schema) -> str:
    return ", ".join(f"{field.name}: {field.type}" for field in schema)
