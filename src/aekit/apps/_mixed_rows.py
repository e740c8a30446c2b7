"""A detector's rows of numbers and categories.

A DataFrame column of categories (pandas ``category`` dtype, or text of few values, as the
imputer takes them: ``aekit.apps._table_codec``) becomes one 0/1 column per category, which the
detector scales and scores as it does numbers, as ``pd.get_dummies`` would give them to it;
numbers pass through. (Scoring a category column as one, its 0/1 columns' errors summed, found
far fewer rows whose class did not fit their numbers: mean ROC-AUC 70.1 against 87.1 on four
tables, ``benchmarks/anomaly_categories.py``.) ``score_features`` sums a category's parts, one
share per column given. A category unseen in training is no category the model knows: its 0/1
columns are all 0, so the row's score rises (with a warning), as ``OneHotEncoder(
handle_unknown="ignore")`` encodes it.
"""

from __future__ import annotations

import warnings

import numpy as np

from aekit._stack import user_stacklevel
from aekit.apps._table_codec import ColumnSpec, column_specs
from aekit.estimators._frames import is_frame
from aekit.estimators._validation import check_finite


def category_specs(X) -> list[ColumnSpec] | None:
    """How each column of a DataFrame ``X`` is read, where one holds categories or text;
    None for anything else (numbers only: the detector's plain path)."""
    if not is_frame(X) or not any(_categorical(X[name]) for name in X.columns):
        return None
    if X.columns.duplicated().any():
        raise ValueError("X has repeated column names: name each column once")
    return column_specs(X)


def _categorical(column) -> bool:
    import pandas as pd

    dtype = column.dtype
    return isinstance(dtype, (pd.CategoricalDtype, pd.StringDtype)) or (
        dtype == object and pd.api.types.infer_dtype(column, skipna=True) in ("string", "mixed"))


def category_names(specs: list[ColumnSpec]) -> list[str]:
    return [spec.name for spec in specs if spec.kind == "category"]


def check_frame(X, specs: list[ColumnSpec]) -> None:
    """Rows for a detector fitted on categories must be a DataFrame: an array has no text."""
    if not is_frame(X):
        raise TypeError(f"the detector was fitted on a DataFrame with categorical columns "
                        f"({', '.join(map(repr, category_names(specs)))}): pass a DataFrame "
                        "with the same columns")


def encode_rows(X, specs: list[ColumnSpec]) -> np.ndarray:
    """The float64 rows of the DataFrame ``X`` (its columns checked already, by name and order):
    numbers as they are, each category column as its 0/1 columns. Refuses missing values, and
    a column whose kind differs from training; warns of categories unseen in training."""
    import pandas as pd

    blocks = []
    for i, spec in enumerate(specs):
        column = X.iloc[:, i]
        if spec.kind == "category":
            blocks.append(_one_hot(column, spec))
        elif isinstance(column.dtype, pd.CategoricalDtype) or _categorical(column):
            raise TypeError(f"column {spec.name!r} held numbers in training but holds "
                            f"{column.dtype} values now: pass numbers")
        else:
            blocks.append(column.to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
    rows = np.hstack(blocks) if blocks else np.empty((len(X), 0))
    check_finite(rows, "X", encoded_names(specs))
    return rows


def _one_hot(column, spec: ColumnSpec) -> np.ndarray:
    import pandas as pd

    missing = column.isna().to_numpy()
    if missing.any():
        raise ValueError(f"column {spec.name!r} has {int(missing.sum())} missing values (first "
                         f"in row {int(np.argmax(missing))}): fill them first "
                         "(aekit.AutoencoderImputer, or aekit impute, fills categories too) or "
                         "drop those rows")
    codes = pd.Categorical(column, categories=list(spec.categories)).codes
    unseen = codes < 0
    if unseen.any():
        values = sorted(map(str, set(column[unseen])))
        warnings.warn(f"column {spec.name!r} holds values not seen in training "
                      f"({', '.join(map(repr, values[:3]))}{', ...' if len(values) > 3 else ''}"
                      f", in {int(unseen.sum())} rows): they match no category the model "
                      "knows, which raises those rows' scores; refit on data that has them if "
                      "they are ordinary", UserWarning, stacklevel=user_stacklevel())
    return (codes[:, None] == np.arange(spec.width)[None, :]).astype(np.float64)


def encoded_names(specs: list[ColumnSpec]) -> list[str]:
    """The name of each encoded column: a number's own, ``city=Paris`` for a category's."""
    return [f"{spec.name}={value}" if spec.kind == "category" else spec.name
            for spec in specs for value in (spec.categories or (None,))]


def one_hot_mask(specs: list[ColumnSpec]) -> np.ndarray:
    """Which encoded columns are a category's 0/1 columns."""
    return np.concatenate([np.full(spec.width, spec.kind == "category") for spec in specs])


def fold(values: np.ndarray, specs: list[ColumnSpec]) -> np.ndarray:
    """Per-encoded-column values (last axis) summed over each input column's block."""
    starts = np.cumsum([0] + [spec.width for spec in specs[:-1]])
    return np.add.reduceat(values, starts, axis=-1)


def column_values(rows: np.ndarray, specs: list[ColumnSpec]) -> np.ndarray:
    """``(n, columns)``: each input column's value per row, a category as its index."""
    out, start = [], 0
    for spec in specs:
        block = rows[:, start:start + spec.width]
        out.append(block.argmax(1) if spec.kind == "category" else block[:, 0])
        start += spec.width
    return np.stack(out, axis=1).astype(np.float64)
