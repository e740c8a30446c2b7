"""A detector's rows of numbers and categories.

A DataFrame column of categories (pandas ``category`` dtype, or text of few values, as the
imputer takes them: ``aekit.apps._table_codec``) becomes one 0/1 column per category, left as
0 and 1 and scored as a number is, as ``pd.get_dummies`` would give it; numbers pass through.
``score_features`` sums a category's parts, one share per column given. The choices were
measured in ``benchmarks/anomaly_categories.py`` (BENCHMARKS.md): a category scored as one
column, its 0/1 columns' errors summed, found far fewer rows whose class did not fit their
numbers; 0/1 columns scaled by their spread let a column that says nothing hide the numbers'
anomalies. A value unseen in training is no category the model knows: it is read as the
category rarest in training, with a warning, as ``OneHotEncoder(handle_unknown=
"infrequent_if_exist")`` reads it as its infrequent group (read as none, all its 0/1 columns 0,
an unseen city was flagged in 0 to 5% of its rows, where a city seen 5 times in 1500 always
was; as the rarest, in all).
"""

from __future__ import annotations

import warnings

import numpy as np

from aekit._stack import user_stacklevel
from aekit.apps._table_codec import ColumnSpec, column_specs
from aekit.estimators._frames import is_frame
from aekit.estimators._validation import check_finite
from aekit.io.dialect import current_dialect


def category_specs(X) -> list[ColumnSpec] | None:
    """How each column of a DataFrame ``X`` is read (``with_pandas_categories`` first), where
    one holds categories or text; None for anything else (numbers only: the plain path)."""
    if not is_frame(X):
        return None
    if X.columns.duplicated().any():
        raise ValueError("X has repeated column names: name each column once")
    if not any(_categorical(X[name]) for name in X.columns):
        return None
    specs = column_specs(X)
    for spec in specs:
        _check_categories(spec)
        _warn_of_numbers_as_text(X[spec.name], spec)
    return specs


def with_pandas_categories(X):
    """``X`` with Arrow's dictionary columns (``pd.read_parquet(..., dtype_backend="pyarrow")``
    gives them) as pandas categories; as it is otherwise."""
    import pandas as pd

    if not is_frame(X):
        return X
    arrow = [name for name, dtype in X.dtypes.items() if isinstance(dtype, pd.ArrowDtype)
             and str(dtype.pyarrow_dtype).startswith("dictionary")]
    return X.astype(dict.fromkeys(arrow, "category")) if arrow else X


NUMBERS = ("integer", "floating", "mixed-integer-float", "decimal", "boolean", "empty")


def _categorical(column) -> bool:
    """A column the plain path cannot take as numbers: categories, text, mixed objects."""
    import pandas as pd

    if isinstance(column.dtype, pd.CategoricalDtype) or pd.api.types.is_string_dtype(column):
        return True
    return column.dtype == object and pd.api.types.infer_dtype(column, skipna=True) not in NUMBERS


def _check_categories(spec: ColumnSpec) -> None:
    """Categories a model file can hold: text, numbers or booleans (a trial's dates fitted,
    then failed to save)."""
    kinds = {type(value).__name__ for value in spec.categories
             if not isinstance(value, (str, int, float, bool, np.integer, np.floating))}
    if kinds:
        raise TypeError(f"column {spec.name!r} holds categories of {', '.join(sorted(kinds))} "
                        "values: give them as text (.astype(str)), or make the column the "
                        "index (.set_index)")


def _warn_of_numbers_as_text(column, spec: ColumnSpec) -> None:
    """Text that is all numbers ('1', '2', '3') is read as categories, its order lost (codes
    such as '02134' are categories); a column made categorical on purpose is not warned of."""
    import pandas as pd

    if spec.kind != "category" or isinstance(column.dtype, pd.CategoricalDtype):
        return
    if pd.to_numeric(column.dropna().astype(str).str.strip(), errors="coerce").notna().all():
        warnings.warn(f"column {spec.name!r} holds numbers written as text, read as "
                      f"{spec.width} categories (their order is not used): if they are "
                      f"numbers, convert them with pd.to_numeric(X[{spec.name!r}]); "
                      f"X[{spec.name!r}].astype('category') says they are categories",
                      UserWarning, stacklevel=user_stacklevel())


def category_names(specs: list[ColumnSpec]) -> list[str]:
    return [spec.name for spec in specs if spec.kind == "category"]


def check_frame(X, specs: list[ColumnSpec]) -> None:
    """Rows for a detector fitted on categories must be a DataFrame (an array has no text),
    each column named once."""
    if not is_frame(X):
        raise TypeError(f"the detector was fitted on a DataFrame with categorical columns "
                        f"({', '.join(map(repr, category_names(specs)))}): pass a DataFrame "
                        "with the same columns")
    if X.columns.duplicated().any():
        raise ValueError("X has repeated column names: name each column once")


def encode_rows(X, specs: list[ColumnSpec], shares=None) -> np.ndarray:
    """The float64 rows of the DataFrame ``X`` (its columns checked already, by name and order):
    numbers as they are, each category column as its 0/1 columns. Refuses missing values, and
    a column whose kind differs from training; a value unseen in training is read as the
    category rarest in training, by ``shares`` (each 0/1 column's mean there), with a
    warning."""
    import pandas as pd

    blocks, start = [], 0
    for i, spec in enumerate(specs):
        column = X.iloc[:, i]
        if spec.kind == "category":
            seen = None if shares is None else shares[start:start + spec.width]
            blocks.append(_one_hot(column, spec, seen))
        elif isinstance(column.dtype, pd.CategoricalDtype) or _categorical(column):
            raise TypeError(f"column {spec.name!r} held numbers in training but holds "
                            f"{column.dtype} values now: pass numbers")
        else:
            blocks.append(column.to_numpy(dtype=np.float64, na_value=np.nan)[:, None])
        start += spec.width
    rows = np.hstack(blocks) if blocks else np.empty((len(X), 0))
    check_finite(rows, "X", encoded_names(specs))
    return rows


def _one_hot(column, spec: ColumnSpec, shares) -> np.ndarray:
    """The 0/1 columns of one category column: values refused or read as ``_read_unseen``
    says."""
    _refuse_missing(column, spec)
    codes = _codes(column, spec.categories)
    if (codes < 0).any():
        codes = _read_unseen(column, spec, codes, shares)
    return (codes[:, None] == np.arange(spec.width)[None, :]).astype(np.float64)


def _refuse_missing(column, spec: ColumnSpec) -> None:
    missing = column.isna().to_numpy()
    if missing.any():
        first = int(np.argmax(missing))
        raise ValueError(f"column {spec.name!r} has {int(missing.sum())} missing values (first "
                         f"in row {first}, index {column.index[first]!r}): fill them first "
                         "(aekit.AutoencoderImputer, or aekit impute, fills categories too) or "
                         "drop those rows; a category written NA or None is read as missing "
                         "unless read otherwise (pd.read_csv(..., keep_default_na=False), "
                         "aekit's --no-default-na)")


def _read_unseen(column, spec: ColumnSpec, codes: np.ndarray, shares) -> np.ndarray:
    """``codes`` with the values unseen in training (code -1) read as the category rarest in
    training (by ``shares``), with a warning; a known category written otherwise, or a number
    where the categories are text, is refused (each value decides, not the batch)."""
    unseen = codes < 0
    values = sorted(map(str, set(column[unseen])))
    near = {value: match for value in values if (match := _near(value, spec.categories))}
    # a number where every category is text: 0/1 for no/yes, a column read otherwise
    numbers = [] if any(_is_number(str(c)) for c in spec.categories) else [
        value for value in values if _is_number(value)]
    if near or numbers:  # a category written otherwise, not a new one
        why = (f"{next(iter(near))!r} is {next(iter(near.values()))!r} written otherwise"
               if near else "numbers where its categories are text")
        shown = [*near, *numbers][:3]
        raise ValueError(f"column {spec.name!r} held the categories "
                         f"{', '.join(map(repr, spec.categories[:5]))} in training but holds "
                         f"{', '.join(map(repr, shown))} now ({why}): give its categories as "
                         "they were written")
    seen = np.where(shares > 0, shares, np.inf) if shares is not None else None
    rarest = int(np.argmin(seen)) if seen is not None and np.isfinite(seen).any() else None
    read = ("read as the rarest one in training "
            f"({spec.categories[rarest]!r}, in {shares[rarest]:.1%} of its rows)"
            if rarest is not None else "left as none")
    warnings.warn(f"column {spec.name!r} holds values not seen in training "
                  f"({', '.join(map(repr, values[:3]))}{', ...' if len(values) > 3 else ''}"
                  f", in {_rows(int(unseen.sum()))}): they match no category the model knows "
                  f"and are {read}; refit on data that has them if they are ordinary",
                  UserWarning, stacklevel=user_stacklevel())
    if rarest is not None:  # as OneHotEncoder(handle_unknown="infrequent_if_exist")
        codes[unseen] = rarest
    return codes


def _is_number(text: str) -> bool:
    return current_dialect().number(text)


def _rows(n: int) -> str:
    return f"{n} row" if n == 1 else f"{n} rows"


def _near(value: str, categories) -> str | None:
    """The known category ``value`` is but for case, spaces or leading zeros (a postcode
    read as a number loses them: '2134' for '02134'), or None."""
    known = {str(c).strip().casefold(): str(c) for c in categories}
    match = known.get(value.strip().casefold())
    if match is None and value.isdigit():
        match = next((str(c) for c in categories if str(c).isdigit()
                      and str(c).lstrip("0") == value.lstrip("0")), None)
    return match


def _codes(column, categories) -> np.ndarray:
    """Each value's position among ``categories`` (-1: none), matched by value, then by its
    text: a category '10' read as the number 10 (a CSV of that value alone), or the reverse."""
    import pandas as pd

    values = column.to_numpy(dtype=object)
    codes = pd.Index(list(categories), dtype=object).get_indexer(values).astype(np.int64)
    missed = codes < 0
    if missed.any():
        position = {as_written(value): i for i, value in enumerate(categories)}
        codes[missed] = [position.get(as_written(value), -1) for value in values[missed]]
    return codes


def as_written(value) -> str | None:
    """A value as a CSV writes it: a whole float as an integer (10.0 -> '10'); NaN as None."""
    if value is None or (isinstance(value, float) and value != value):  # noqa: PLR0124 - NaN
        return None
    if isinstance(value, float) and value.is_integer():
        return str(int(value))
    return str(value)


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
