"""Block-readable arrays on disk, for data larger than memory.

A source never holds the whole file: ``.npy`` files are read block by block with plain file
reads (a memory map's touched pages would count in the process's memory and grow with the
file), and Parquet row groups are read in slices (``parquet_source.py``). A block holds at
most ``memory / 64`` bytes as float32, so that whoever streams the source
(``aekit.train.StreamBatches``) can keep a shuffle window and a prefetch queue of blocks within
the ``memory`` budget.
"""

from __future__ import annotations

import os
import threading
from pathlib import Path

import numpy as np

PARQUET_SUFFIXES = (".parquet", ".pq")
STREAM_FORMATS = (".npy", *PARQUET_SUFFIXES)
DEFAULT_MEMORY = 192 * 2**20  # bytes a stream of a source may hold: blocks read ahead, shuffled
BLOCKS_PER_BUDGET = 64  # a block is at most memory / 64 bytes, leaving room for a shuffle window
_MIN_MEMORY = 2**20
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

    def release_thread_reader(self) -> None:
        """Drop what the calling thread holds open to read blocks (a Parquet row group's
        reader, a read buffer): after a few reads outside the stream, which reads in threads
        of its own, so that it is not held beside theirs (a streamed fit's start sample left a
        reader of every column open: 100 MB over the budget on 32 columns)."""
        local = getattr(self, "_local", None)
        if local is not None:
            local.__dict__.clear()

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
        Bytes a stream of this source may hold; default 192 MiB.
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


def open_source(path: str | os.PathLike, block_rows: int | None = None, *,
                memory: int | None = None, columns: list[str] | None = None) -> ArraySource:
    """Open ``path`` for streaming: a ``.npy`` file, or a Parquet file or directory.

    ``memory`` (bytes, default 192 MiB) bounds what a stream of the source holds; blocks are
    ``block_rows`` rows (default: as many as fit in ``memory / 64`` bytes of float32; Parquet
    row groups are read in slices of that many rows). ``columns`` chooses Parquet columns."""
    path = Path(path)
    suffix = path.suffix.lower()
    if path.is_dir() or suffix in PARQUET_SUFFIXES:
        from aekit.io.parquet_source import ParquetSource

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


def __getattr__(name: str):
    # ParquetSource lives in its own module (which imports this one); still importable here
    if name == "ParquetSource":
        from aekit.io.parquet_source import ParquetSource

        return ParquetSource
    raise AttributeError(f"module {__name__!r} has no attribute {name!r}")
