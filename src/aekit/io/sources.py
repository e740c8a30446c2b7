"""Block-readable arrays on disk, for data larger than memory.

A source never holds the whole file: ``.npy`` files are memory-mapped and Parquet is read one row
group at a time, so what sits in memory is bounded by the block being read.
"""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np

from aekit.io.tables import _first_line

PARQUET_SUFFIXES = (".parquet", ".pq")
STREAM_FORMATS = (".npy", *PARQUET_SUFFIXES)
_FLOAT32_MAX = float(np.finfo(np.float32).max)


class ArraySource:
    """An on-disk array of ``n_rows`` rows of shape ``row_shape``, read in blocks of rows.

    Subclasses fill ``path``, ``row_shape``, ``columns`` and ``_starts`` (the first row of every
    block, then ``n_rows``) and implement ``_read(i)``.

    Attributes
    ----------
    path : Path
    n_rows : int
    row_shape : tuple of int
        Shape of one row; a block has shape ``(rows, *row_shape)``.
    n_blocks : int
    columns : list of str or None
        Column names where the format has them (Parquet), else ``None``.
    """

    path: Path
    row_shape: tuple[int, ...]
    columns: list[str] | None = None
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

    def __repr__(self) -> str:
        return (f"{type(self).__name__}({str(self.path)!r}, n_rows={self.n_rows}, "
                f"row_shape={self.row_shape}, n_blocks={self.n_blocks})")


class NpySource(ArraySource):
    """A ``.npy`` file, memory-mapped and read as consecutive runs of ``block_rows`` rows.

    Parameters
    ----------
    path : path-like
        A ``.npy`` array of shape ``(n_rows, *row_shape)``, ``ndim >= 2``, real numeric or bool.
    block_rows : int
        Rows per block; the last block holds the rest.
    """

    def __init__(self, path: str | os.PathLike, block_rows: int = 65536):
        if block_rows < 1:
            raise ValueError(f"block_rows must be at least 1, got {block_rows}")
        self.path = Path(path)
        self.block_rows = block_rows
        self._array = _open_npy(self.path)
        self.row_shape = tuple(self._array.shape[1:])
        n_rows = self._array.shape[0]
        self._starts = [*range(0, n_rows, block_rows), n_rows]

    def _read(self, i: int) -> np.ndarray:
        start, stop = self.block_bounds(i)
        return _to_float32(self._array[start:stop], f"{self.path}")


def _open_npy(path: Path) -> np.memmap:
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    try:
        array = np.load(path, mmap_mode="r", allow_pickle=False)
    except (ValueError, OSError, EOFError) as error:
        raise ValueError(f"cannot read {path} as .npy (truncated or corrupted?): {error}") from None
    if not hasattr(array, "ndim"):  # np.load hands back an NpzFile for a zip archive
        array.close()
        raise ValueError(f"{path} is not a .npy array: save it with np.save")
    if array.ndim < 2:
        raise ValueError(
            f"{path} holds a {array.ndim}-D array of shape {array.shape}: "
            "streaming needs rows, reshape it to (n, 1) and save it again"
        )
    if not _is_real_numeric(array.dtype):
        raise ValueError(f"{path} holds dtype {array.dtype}: convert it to a real numeric dtype")
    if array.shape[0] == 0:
        raise ValueError(f"{path} has no rows: streaming needs at least one")
    return array


class ParquetSource(ArraySource):
    """A Parquet file or a directory of them, read one row group at a time.

    Blocks are the row groups of every file, files in sorted path order, so memory is bounded by
    the largest row group (write files with ``row_group_size`` to choose it). Nulls become NaN.

    Parameters
    ----------
    path : path-like
        A ``.parquet``/``.pq`` file, or a directory searched recursively for them (names starting
        with ``_`` or ``.`` are skipped, as Arrow does). All files must share one schema.
    columns : list of str, optional
        Numeric columns to read, in this order; default all. ``row_shape`` is ``(len(columns),)``.
    """

    def __init__(self, path: str | os.PathLike, columns: list[str] | None = None):
        self.path = Path(path)
        self.files = _parquet_files(self.path)
        schema, self._groups, self._starts = _scan_row_groups(self.files)
        self.columns = _select_columns(schema, columns, self.path)
        self.row_shape = (len(self.columns),)
        if self.n_rows == 0:
            raise ValueError(f"{self.path} has no rows: streaming needs at least one")

    def _read(self, i: int) -> np.ndarray:
        import pyarrow as pa
        import pyarrow.parquet as pq

        file_index, group = self._groups[i]
        path = self.files[file_index]
        try:
            with pq.ParquetFile(path) as handle:  # reopened per block: no handles held between
                table = handle.read_row_group(group, columns=self.columns)
        except (pa.ArrowException, OSError) as error:
            reason = _first_line(error)
            raise ValueError(f"cannot read row group {group} of {path}: {reason}") from None
        out = np.empty((table.num_rows, len(self.columns)), dtype=np.float32)
        for j, name in enumerate(self.columns):
            values = _column_float64(table.column(name))
            out[:, j] = _to_float32(values, f"column {name!r} of {path}")
        return out


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
    """Read every footer: ``(schema, [(file_index, row_group)], block starts)``."""
    import pyarrow as pa
    import pyarrow.parquet as pq

    schema, groups, starts = None, [], [0]
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
            rows = metadata.row_group(group).num_rows
            if rows:  # an empty row group would be an empty block
                groups.append((file_index, group))
                starts.append(starts[-1] + rows)
    return schema, groups, starts


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


def _column_float64(column) -> np.ndarray:
    """An Arrow column as float64, nulls as NaN (also for bool and decimal columns)."""
    import pyarrow as pa
    import pyarrow.compute as pc

    as_float = pc.cast(column, pa.float64()).fill_null(float("nan"))
    return as_float.to_numpy()


def open_source(path: str | os.PathLike, block_rows: int = 65536) -> ArraySource:
    """Open ``path`` for streaming: ``.npy`` (blocks of ``block_rows`` rows), or Parquet file or
    directory (blocks are row groups; ``block_rows`` is ignored)."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in PARQUET_SUFFIXES:
        return ParquetSource(path)
    if suffix == ".npy":
        return NpySource(path, block_rows=block_rows)
    if not suffix and not path.exists():
        raise FileNotFoundError(f"data file {path} does not exist")
    raise ValueError(
        f"cannot stream {suffix or '(no suffix)'!r} files ({path}): streaming reads .npy, "
        ".parquet/.pq or a directory of Parquet files; convert it, or load it whole with read_table"
    )


def _is_real_numeric(dtype: np.dtype) -> bool:
    return dtype == np.bool_ or (np.issubdtype(dtype, np.number)
                                 and not np.issubdtype(dtype, np.complexfloating))


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
