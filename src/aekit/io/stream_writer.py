"""Write a table block by block, as the blocks are computed: outputs larger than memory.

Parquet gets one row group per block, CSV is appended to, and ``.npy`` gets its header (with
the row count given in advance) and then each block's bytes; only the block being written is
in memory. Like ``write_table``, the file appears under its name only once it is complete.
"""

from __future__ import annotations

import contextlib
import os
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from aekit.io.atomic import atomic_path
from aekit.io.tables import _as_pandas_index, _format_of, open_text_writer


def write_blocks(path: str | os.PathLike, blocks: Iterable[np.ndarray],
                 columns: list[str] | None = None, n_rows: int | None = None,
                 index: str | None = None) -> int:
    """Write the arrays ``blocks`` yields, one after another, as one table; returns its rows.

    Parameters
    ----------
    path : path-like
        ``.parquet``/``.pq`` (one row group per block), ``.csv`` or ``.npy``. Written to a
        temporary file beside ``path`` and renamed onto it once every block is written; an
        error on the way leaves ``path`` as it was.
    blocks : iterable of np.ndarray or pyarrow.Table
        Blocks of rows, all 1-D or all 2-D with the same columns (a 1-D block is one column);
        for CSV and Parquet also Arrow tables, written as they are (``columns`` is then unused).
    columns : list of str, optional
        Column names for CSV and Parquet; default ``x0``, ``x1``, ...
    n_rows : int, optional
        Rows in all: needed for ``.npy``, whose header comes first; checked when given.
    index : str, optional
        The column of Arrow blocks that holds the rows' index: in Parquet it is stored as
        pandas' index (unnamed where it is ``index``), so that the file reads back with it, as
        ``write_table`` stores one.

    Examples
    --------
    >>> source = aekit.io.open_source("big.parquet")                        # doctest: +SKIP
    >>> write_blocks("scores.parquet", (model.score_samples(source.read_block(i))
    ...                                 for i in range(source.n_blocks)), ["score"])
    """
    path = Path(path)
    kind = _format_of(path)
    if kind == ".npz":
        raise ValueError(f"cannot write {path} block by block: write .parquet, .csv or .npy")
    if kind == ".npy" and n_rows is None:
        raise ValueError(f"writing {path} block by block needs n_rows (its header comes first)")
    with atomic_path(path) as tmp:
        if kind == ".npy":
            written = _write_npy(tmp, blocks, n_rows)
        else:
            written = _write_arrow(tmp, path, blocks, columns, index)
        if n_rows is not None and written != n_rows:
            raise ValueError(f"{path}: {written} rows were written where {n_rows} were expected")
    return written


def _as_table(block, columns: list[str] | None):
    import pyarrow as pa

    if isinstance(block, pa.Table):  # already labelled: an index column beside the values
        return block
    block = np.asarray(block)
    block = block.reshape(len(block), -1) if block.ndim != 2 else block
    names = columns or [f"x{i}" for i in range(block.shape[1])]
    if len(names) != block.shape[1]:
        raise ValueError(f"a block has {block.shape[1]} columns but {len(names)} names were given")
    return pa.table({name: block[:, i] for i, name in enumerate(names)})


def _write_arrow(tmp: Path, path: Path, blocks: Iterable[np.ndarray], columns,
                 index: str | None) -> int:
    writer, schema, written = None, None, 0
    pandas_index = index if _format_of(path) != ".csv" else None
    with contextlib.ExitStack() as open_files:
        for block in blocks:
            table = _as_pandas_index(_as_table(block, columns), pandas_index)
            if writer is None:
                schema = table.schema
                writer = _open_writer(open_files, tmp, path, schema)
            elif not table.schema.equals(schema):
                raise ValueError(f"a block's columns ({_describe(table.schema)}) differ from "
                                 f"the first block's ({_describe(schema)})")
            writer.write_table(table)
            written += table.num_rows
        if writer is None:  # no blocks: an empty table with the named columns
            import pyarrow as pa

            names = columns or []
            _open_writer(open_files, tmp, path, pa.schema([(n, pa.float32()) for n in names]))
    return written


def _open_writer(open_files: contextlib.ExitStack, tmp: Path, path: Path, schema):
    """A writer of ``schema`` into ``tmp``, in the format ``path``'s name says, closed (with
    its file) by ``open_files``."""
    if _format_of(path) == ".csv":
        import pyarrow.csv as pacsv

        sink, options = open_files.enter_context(open_text_writer(tmp, path))
        return open_files.enter_context(pacsv.CSVWriter(sink, schema, write_options=options))
    import pyarrow.parquet as pq

    return open_files.enter_context(pq.ParquetWriter(tmp, schema))


def _write_npy(tmp: Path, blocks: Iterable[np.ndarray], n_rows: int) -> int:
    written, first = 0, None
    with open(tmp, "wb") as handle:
        for block in blocks:
            block = np.ascontiguousarray(block)
            if first is None:
                first = block
                header = {"descr": np.lib.format.dtype_to_descr(block.dtype),
                          "fortran_order": False, "shape": (n_rows, *block.shape[1:])}
                np.lib.format.write_array_header_2_0(handle, header)
            elif block.dtype != first.dtype or block.shape[1:] != first.shape[1:]:
                raise ValueError(f"a block of {block.dtype} {block.shape[1:]} differs from the "
                                 f"first's {first.dtype} {first.shape[1:]}")
            written += len(block)
            if written > n_rows:
                break  # the caller reports the count
            handle.write(block.data)
        if first is None:  # no blocks: an empty array
            np.lib.format.write_array(handle, np.empty((0,), np.float32), allow_pickle=False)
    return written


def _describe(schema) -> str:
    return ", ".join(f"{field.name}: {field.type}" for field in schema)
