"""Read and write numeric tables: CSV (header row), Parquet, ``.npy`` and ``.npz``."""

from __future__ import annotations

import os
import zipfile
from pathlib import Path

import numpy as np

from aekit.io.atomic import atomic_path
from aekit.io.formats import FORMATS


def _format_of(path: Path) -> str:
    suffix = path.suffix.lower()
    if suffix not in FORMATS:
        raise ValueError(
            f"unsupported file type {suffix or '(none)'!r} for {path}: "
            "use .csv, .parquet, .npy or .npz"
        )
    return ".parquet" if suffix == ".pq" else suffix


def read_table(path: str | os.PathLike) -> tuple[np.ndarray, list[str] | None]:
    """Read ``path`` into an array; returns ``(X, column_names)`` (names for CSV and Parquet).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that cannot be
    parsed or holds non-numeric columns.
    """
    path = Path(path)
    kind = _format_of(path)
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    if kind in (".npy", ".npz"):
        return _read_numpy(path, kind), None
    return _read_arrow(path, kind)


def _read_numpy(path: Path, kind: str) -> np.ndarray:
    try:
        loaded = np.load(path, allow_pickle=False)
    except (ValueError, OSError, EOFError, zipfile.BadZipFile) as error:
        raise ValueError(f"cannot read {path} as {kind}: {error}") from None
    if kind == ".npy":
        return loaded
    with loaded:
        keys = list(loaded.keys())
        if len(keys) == 1:
            return loaded[keys[0]]
        for preferred in ("X", "x", "data"):
            if preferred in keys:
                return loaded[preferred]
    raise ValueError(f"{path} holds arrays {keys}: store one array, or one named 'X'")


def read_labeled_table(path: str | os.PathLike,
                       label_column: str) -> tuple[np.ndarray, list[str], np.ndarray]:
    """Read a CSV or Parquet file and split off one column of labels (of any type).

    Returns ``(X, column_names, labels)``: ``X`` holds the other (numeric) columns.
    """
    path = Path(path)
    kind = _format_of(path)
    if kind not in (".csv", ".parquet"):
        raise ValueError(f"labels are named by column: {path} must be a CSV or Parquet file")
    if not path.is_file():
        raise FileNotFoundError(f"data file {path} does not exist")
    table = _arrow_table(path, kind)
    if label_column not in table.column_names:
        raise ValueError(f"{path} has no column {label_column!r}; its columns are "
                         f"{', '.join(table.column_names)}")
    labels = table.column(label_column).to_numpy(zero_copy_only=False)
    X, columns = _numeric(table.drop_columns([label_column]), path)
    return X, columns, labels


def _arrow_table(path: Path, kind: str):
    import pyarrow as pa

    try:
        if kind == ".csv":
            import pyarrow.csv as pacsv

            return pacsv.read_csv(path)
        import pyarrow.parquet as pq

        return pq.read_table(path)
    except (pa.ArrowException, OSError) as error:
        raise ValueError(f"cannot read {path}: {_first_line(error)}") from None


def _read_arrow(path: Path, kind: str) -> tuple[np.ndarray, list[str]]:
    return _numeric(_arrow_table(path, kind), path)


def _numeric(table, path: Path) -> tuple[np.ndarray, list[str]]:
    import pyarrow as pa

    if table.num_columns == 0:
        raise ValueError(f"{path} has no columns: expected a header row and numeric columns")
    columns = []
    for name, column in zip(table.column_names, table.columns):
        if not (pa.types.is_integer(column.type) or pa.types.is_floating(column.type)
                or pa.types.is_boolean(column.type) or pa.types.is_decimal(column.type)):
            raise ValueError(
                f"column {name!r} of {path} is not numeric ({column.type}): "
                "drop it or encode it as numbers first"
            )
        columns.append(column.to_numpy(zero_copy_only=False).astype(np.float64))
    X = np.column_stack(columns) if table.num_rows else np.empty((0, len(columns)))
    return X, list(table.column_names)


def write_table(path: str | os.PathLike, X: np.ndarray, columns: list[str] | None = None) -> None:
    """Write a 1-D or 2-D array atomically; CSV and Parquet get ``columns`` as their header."""
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
            _write_arrow(tmp, kind, X, columns)


def _write_arrow(tmp: Path, kind: str, X: np.ndarray, columns: list[str] | None) -> None:
    import pyarrow as pa

    X2 = X.reshape(len(X), -1) if X.ndim != 2 else X
    names = columns or [f"x{i}" for i in range(X2.shape[1])]
    table = pa.table({name: X2[:, i] for i, name in enumerate(names)})
    if kind == ".csv":
        import pyarrow.csv as pacsv

        pacsv.write_csv(table, tmp)
    else:
        import pyarrow.parquet as pq

        pq.write_table(table, tmp)


def _first_line(error: BaseException) -> str:
    text = str(error).strip()
    return text.splitlines()[0] if text else type(error).__name__
