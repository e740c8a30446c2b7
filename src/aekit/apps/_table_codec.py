"""Mixed tables <-> the all-numeric matrix an imputer trains on (an anomaly detector reads
its categories the same way: ``aekit.apps._mixed_rows``).

Numeric columns pass through as floats (True/False objects, a boolean column with gaps, as 0/1);
a categorical column (pandas ``category`` dtype, or text of few values: its distinct values are
its categories) becomes one 0/1 column per category, all NaN where the category is missing.
Decoding fills only the missing cells of the original table: a category is the one with the
highest score, an integer column's fill is rounded, and every observed cell is copied, never
recomputed.
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
    """The encoding of each column of ``df``; refuses columns of other types (times, mixed
    objects)."""
    import pandas as pd

    specs = []
    for name in df.columns:
        dtype = df[name].dtype
        if _is_text(df[name]):
            _refuse_numbers_as_text(name, df[name])
        if _is_text(df[name]) and not few_values(df[name]):
            raise ValueError(_not_categories(name, df[name]))
        if isinstance(dtype, pd.CategoricalDtype) or _is_text(df[name]):
            categories = tuple(dtype.categories.tolist() if isinstance(
                dtype, pd.CategoricalDtype) else sorted(df[name].dropna().unique()))
            if not categories:
                raise ValueError(f"categorical column {name!r} has no categories: drop it")
            specs.append(ColumnSpec(str(name), "category", str(dtype), categories))
        elif _is_flags(df[name]):  # filled True or False, as a boolean column with gaps
            specs.append(ColumnSpec(str(name), "integer", "boolean"))
        elif (pd.api.types.is_bool_dtype(dtype) or pd.api.types.is_integer_dtype(dtype)
              or _whole_floats(df[name])):
            specs.append(ColumnSpec(str(name), "integer", str(dtype)))
        elif pd.api.types.is_float_dtype(dtype):
            specs.append(ColumnSpec(str(name), "numeric", str(dtype)))
        elif pd.api.types.is_datetime64_any_dtype(dtype) or pd.api.types.is_timedelta64_dtype(
                dtype):
            raise TypeError(f"column {name!r} holds {dtype} values (times), which are "
                            "neither numbers nor categories: make it the index (.set_index) "
                            "or drop it")
        else:
            raise TypeError(f"column {name!r} holds {dtype} values, which are neither numbers "
                            "nor categories: convert it with .astype('category') to take it "
                            "as a category, or drop it")
    return specs


MAX_CATEGORIES = 50  # distinct values of a text column filled as a category


def _refuse_numbers_as_text(name, column) -> None:
    """Refuse a text column that holds numbers: written with decimal commas, or mostly
    numbers beside a few placeholders ('?', 'n.a.') that mark missing cells. Filled as
    categories, its placeholders would be kept and filled in as values (a trial: '?' came
    back as a category). A column made categorical on purpose (``category`` dtype) is not
    text here."""
    import pandas as pd

    values = column.dropna().astype(str).str.strip()
    as_numbers = pd.to_numeric(values, errors="coerce").notna()
    if as_numbers.all():
        return  # codes kept as text on purpose ('02134')
    commas = values.str.contains(",", regex=False)
    if commas.any() and pd.to_numeric(values.str.replace(",", ".", regex=False),
                                      errors="coerce").notna().all():
        raise ValueError(f"column {name!r} holds numbers written with decimal commas "
                         f"({values[commas].iloc[0]!r}): read the file with "
                         "pd.read_csv(..., decimal=',')")
    if as_numbers.mean() >= 0.5:
        text = values[~as_numbers].value_counts()
        shown = ", ".join(f"{value!r} in {count} rows" for value, count in text.head(3).items())
        raise ValueError(
            f"column {name!r} holds numbers and text ({shown}): if the text marks missing "
            f"cells, make it NaN (pd.read_csv(..., na_values={text.index[:3].tolist()!r})); "
            "if the column is a category, convert it with .astype('category')")


def _not_categories(name, column) -> str:
    """Why a text column is not filled as a category: no value, or too many to be seen twice
    each on average (ids, free text)."""
    import pandas as pd

    values = column.dropna()
    if values.empty:
        return f"column {name!r} holds no value: drop it"
    if pd.to_numeric(values.astype(str).str.strip(), errors="coerce").notna().all():
        return (f"column {name!r} holds numbers written as text ({values.nunique()} distinct "
                f"values): convert it with pd.to_numeric(X[{name!r}]), or drop it")
    return (f"column {name!r} holds text of {values.nunique()} distinct values in "
            f"{len(values)} rows (ids or free text?): a category needs at most "
            f"{MAX_CATEGORIES} values, each seen twice on average; drop it, make it the "
            f"index (.set_index), or make it categorical on purpose (.astype('category'))")


def few_values(column) -> bool:
    """A column of few values, each seen twice on average (not ids, not free text): a text
    column like this is filled as a category."""
    values = column.dropna()
    n_values = values.nunique()
    return 0 < n_values <= MAX_CATEGORIES and 2 * n_values <= len(values)


def _is_text(column) -> bool:
    """A column of text (pandas' ``str`` dtype, Arrow's strings, or objects that are all
    strings)."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype):
        return False
    if column.dtype == object:  # all strings, gaps aside
        return pd.api.types.infer_dtype(column, skipna=True) == "string"
    return pd.api.types.is_string_dtype(column)


def _is_flags(column) -> bool:
    """True/False objects: a boolean column with gaps, as pandas holds one."""
    import pandas as pd

    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) == "boolean"


def _whole_floats(column) -> bool:
    """A float column whose every observed value is a whole number: an integer column with
    gaps, as pandas holds one (and writes it: ``59.0``); it is filled with whole numbers."""
    import pandas as pd

    if not pd.api.types.is_float_dtype(column.dtype):
        return False
    values = column.dropna().to_numpy(dtype=np.float64)
    return bool(values.size) and bool(np.all(values == np.rint(values)))


def check_columns(df, specs: list[ColumnSpec]) -> None:
    """``df`` must have the columns and categories seen in training."""
    import pandas as pd

    names = [str(n) for n in df.columns]
    expected = [spec.name for spec in specs]
    if names != expected:
        raise ValueError(f"X has columns {names}, but the imputer was fitted on {expected}: "
                         "pass the same columns in the same order")
    unseen = {}  # every column's, said at once (a trial fixed one to meet the next)
    for i, spec in enumerate(specs):  # by position: names need not be strings (0, 1, ...)
        dtype = df.iloc[:, i].dtype
        if spec.kind == "category":
            if not (isinstance(dtype, pd.CategoricalDtype) or _is_text(df.iloc[:, i])):
                raise TypeError(f"column {spec.name!r} was categorical in training but is "
                                f"{dtype} now: convert it with .astype('category')")
            new = set(df.iloc[:, i].dropna().unique()) - set(spec.categories)
            if new:
                unseen[spec.name] = sorted(map(str, new))[:3]
        elif isinstance(dtype, pd.CategoricalDtype) or not (
                pd.api.types.is_numeric_dtype(dtype) or _is_flags(df.iloc[:, i])):
            raise TypeError(f"column {spec.name!r} was numeric in training but is {dtype} now")
    if unseen:
        listed = ", ".join(f"column {name!r} holds {values}" for name, values in unseen.items())
        raise ValueError(f"categories not seen in training: {listed}: refit on data that has "
                         "them")


def encode(df, specs: list[ColumnSpec]) -> np.ndarray:
    """The float64 matrix of ``df`` (one-hot categories), NaN where missing."""
    import pandas as pd

    blocks = []
    for i, spec in enumerate(specs):
        column = df.iloc[:, i]
        if spec.kind == "category":
            codes = pd.Categorical(column, categories=list(spec.categories)).codes
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
        else:
            values = block[missing, 0]
        dtype = out.iloc[:, i].dtype
        if pd.api.types.is_float_dtype(dtype):  # float32 stays so; whole numbers as floats
            values = values.astype(getattr(dtype, "numpy_dtype", dtype))
        out.iloc[np.flatnonzero(missing), i] = values
    return out


def _as_integers(values: np.ndarray, dtype: str) -> np.ndarray:
    """Fills for an integer (or boolean) column: rounded and kept within the dtype's range."""
    import pandas as pd

    numpy_dtype = np.dtype(getattr(pd.api.types.pandas_dtype(dtype), "numpy_dtype", dtype))
    if numpy_dtype.kind == "b":
        return values > 0.5
    if numpy_dtype.kind == "f":  # whole numbers held as floats
        return np.rint(values)
    info = np.iinfo(numpy_dtype)
    return np.clip(np.rint(values), info.min, info.max)


KINDS = ("numeric", "integer", "category")


def specs_from_json(value, n_features: int, bad) -> list[ColumnSpec] | None:
    """The ``ColumnSpec`` list a model file holds (``to_json`` of each), checked: ``bad(what)``
    makes the error for anything malformed. None where the file holds none."""
    if value is None:
        return None
    if not isinstance(value, list) or len(value) != n_features:
        raise bad("columns_ does not describe one entry per column")
    specs = []
    for entry in value:
        ok = (isinstance(entry, dict) and entry.get("kind") in KINDS
              and isinstance(entry.get("name"), str) and isinstance(entry.get("dtype"), str)
              and isinstance(entry.get("categories"), list))
        if not ok or (entry["kind"] == "category") != bool(entry["categories"]):
            raise bad(f"malformed column entry {entry!r:.80}")
        values = entry["categories"]
        if not all(isinstance(v, (str, int, float, bool)) for v in values) or len(
                set(values)) != len(values):
            raise bad(f"column {entry['name']!r} lists repeated or malformed categories")
        specs.append(ColumnSpec(entry["name"], entry["kind"], entry["dtype"],
                                tuple(entry["categories"])))
    return specs
