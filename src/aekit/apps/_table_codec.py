"""Mixed tables <-> the all-numeric matrix an imputer trains on.

Numeric columns pass through as floats; a categorical column (pandas ``category`` dtype)
becomes one 0/1 column per category, all NaN where the category is missing. Decoding fills
only the missing cells of the original table: a category is the one with the highest score,
an integer column's fill is rounded, and every observed cell is copied, never recomputed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


@dataclass(frozen=True)
class ColumnSpec:
    """How one input column is encoded: ``kind`` is "numeric", "integer" or "category"."""

    name: str
    kind: str
    dtype: str
    categories: tuple = ()

    @property
    def width(self) -> int:
        return len(self.categories) if self.kind == "category" else 1

    def to_json(self) -> dict:
        return {"name": self.name, "kind": self.kind, "dtype": self.dtype,
                "categories": list(self.categories)}


def column_specs(df) -> list[ColumnSpec]:
    """The encoding of each column of ``df``; refuses text columns that are not categorical."""
    import pandas as pd

    specs = []
    for name in df.columns:
        dtype = df[name].dtype
        if isinstance(dtype, pd.CategoricalDtype):
            categories = tuple(dtype.categories.tolist())
            if not categories:
                raise ValueError(f"categorical column {name!r} has no categories: drop it")
            specs.append(ColumnSpec(str(name), "category", str(dtype), categories))
        elif pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype):
            specs.append(ColumnSpec(str(name), "integer", str(dtype)))
        elif pd.api.types.is_float_dtype(dtype):
            specs.append(ColumnSpec(str(name), "numeric", str(dtype)))
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
                dtype):
            raise TypeError(f"column {name!r} holds {dtype} values (times), which the imputer "
                            "does not fill: make it the index (.set_index) or drop it")
        else:
            raise TypeError(f"column {name!r} holds {dtype} values, which are neither numbers "
                            "nor categories: convert it with .astype('category') to impute it "
                            "as a category, or drop it")
    return specs


def check_columns(df, specs: list[ColumnSpec]) -> None:
    """``df`` must have the columns and categories seen in training."""
    import pandas as pd

    names = [str(n) for n in df.columns]
    expected = [spec.name for spec in specs]
    if names != expected:
        raise ValueError(f"X has columns {names}, but the imputer was fitted on {expected}: "
                         "pass the same columns in the same order")
    for i, spec in enumerate(specs):  # by position: names need not be strings (0, 1, ...)
        dtype = df.iloc[:, i].dtype
        if spec.kind == "category":
            if not isinstance(dtype, pd.CategoricalDtype):
                raise TypeError(f"column {spec.name!r} was categorical in training but is "
                                f"{dtype} now: convert it with .astype('category')")
            unseen = set(df.iloc[:, i].dropna().unique()) - set(spec.categories)
            if unseen:
                raise ValueError(f"column {spec.name!r} holds categories not seen in training "
                                 f"({sorted(map(str, unseen))[:3]}): refit on data that has them")
        elif isinstance(dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(dtype)):
            raise TypeError(f"column {spec.name!r} was numeric in training but is {dtype} now")


def encode(df, specs: list[ColumnSpec]) -> np.ndarray:
    """The float64 matrix of ``df`` (one-hot categories), NaN where missing."""
    blocks = []
    for i, spec in enumerate(specs):
        column = df.iloc[:, i]
        if spec.kind == "category":
            codes = column.cat.set_categories(list(spec.categories)).cat.codes.to_numpy()
            onehot = (codes[:, None] == np.arange(spec.width)[None, :]).astype(np.float64)
            onehot[codes < 0] = np.nan
            blocks.append(onehot)
        else:
            values = column.to_numpy(dtype=np.float64, na_value=np.nan)
            blocks.append(values[:, None])
    return np.hstack(blocks) if blocks else np.empty((len(df), 0))


def decode(df, specs: list[ColumnSpec], filled: np.ndarray):
    """A copy of ``df`` whose missing cells take their values from ``filled`` (the encoded
    matrix); columns, order, index and dtypes stay as they were."""
    import pandas as pd

    out = df.copy()
    start = 0
    for i, spec in enumerate(specs):
        block = filled[:, start:start + spec.width]
        start += spec.width
        missing = out.iloc[:, i].isna().to_numpy()
        if not missing.any():
            continue
        if spec.kind == "category":
            values = np.asarray(spec.categories, dtype=object)[block[missing].argmax(axis=1)]
        elif spec.kind == "integer":
            values = _as_integers(block[missing, 0], spec.dtype)
            if pd.api.types.is_float_dtype(out.iloc[:, i].dtype):  # given as floats (all
                values = values.astype(np.float64)  # missing, say): 0/1 or whole numbers
        else:
            values = block[missing, 0]
        out.iloc[np.flatnonzero(missing), i] = values
    return out


def _as_integers(values: np.ndarray, dtype: str) -> np.ndarray:
    """Fills for an integer (or boolean) column: rounded and kept within the dtype's range."""
    import pandas as pd

    numpy_dtype = np.dtype(getattr(pd.api.types.pandas_dtype(dtype), "numpy_dtype", dtype))
    if numpy_dtype.kind == "b":
        return values > 0.5
    info = np.iinfo(numpy_dtype)
    return np.clip(np.rint(values), info.min, info.max)
