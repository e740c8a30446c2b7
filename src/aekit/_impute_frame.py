"""What ``aekit impute`` does with a file whose columns have names: the whole table comes back.

Numbers are filled by the imputer, integers and booleans as such; a text column of few values
(each seen twice on average, at most 50: ``aekit.apps._table_codec.few_values``) is a
category the imputer fills too;
any other text, and dates, are copied out unchanged and used for nothing. So the output is the
input with its gaps filled, in its own column order, not only the columns the imputer read.
"""

from __future__ import annotations

import numpy as np
import pandas as pd

from aekit._cli_common import note

# pandas' nullable types, so that the imputer rounds a column's fills as its values are
PANDAS_TYPES = {"bool": "boolean", "int": "Int64", "float": "float64"}


def numbers_frame(X: np.ndarray, columns, types=None) -> pd.DataFrame:
    """Numeric columns under their names, each in the type the file gave it."""
    types = types or ["float"] * len(columns)
    return pd.DataFrame({str(name): pd.Series(X[:, i]).astype(PANDAS_TYPES[kind])
                         for i, (name, kind) in enumerate(zip(columns, types))})


def split_table(table, imputer=None) -> tuple[pd.DataFrame, dict]:
    """``(features, carried)``: the columns the imputer reads (numbers, then categories, in the
    file's order) and the text it does not (name -> Series). With a saved ``imputer``, text
    columns are categories where it learnt them as such, and carried otherwise."""
    numbers = numbers_frame(table.X, table.columns, table.types)
    learnt = {spec.name: spec for spec in getattr(imputer, "columns_", None) or []}
    for name, spec in learnt.items():  # real numbers in training (a model saved before types)
        if spec.kind == "numeric" and name in numbers:
            numbers[name] = numbers[name].astype("float64")
    categories, carried = {}, {}
    for name in table.text.column_names:
        series = as_series(table.text[name])
        if imputer is not None:
            spec = learnt.get(name)
            if spec is not None and spec.kind != "category":  # a learnt number, all missing
                numbers[name] = pd.Series(np.full(len(series), np.nan))
                continue
            kept = spec is not None
            if kept:  # an unseen value would become a gap: refused, not filled
                unseen = set(series.dropna()) - set(spec.categories)
                if unseen:
                    raise ValueError(f"column {name!r} holds categories the imputer did not "
                                     f"see in training ({sorted(map(str, unseen))[:3]}): "
                                     "refit on data that has them")
                categories[name] = series.astype(pd.CategoricalDtype(list(spec.categories)))
        else:  # dates and times are never categories: they hold the file's text
            kept = name not in table.time_columns and is_category(series)
            if kept:
                categories[name] = series.astype("category")
        if not kept:
            carried[name] = series
    if categories:
        note(f"{', '.join(categories)}: text of few values, filled as categories")
    empty = [name for name, series in carried.items() if series.isna().all()]
    if empty:
        note(f"{', '.join(empty)}: no value in any row, so nothing to fill from: copied out "
             "empty (drop it, or fill it otherwise)")
    text = [name for name in carried if name not in empty]
    if text:
        note(f"{', '.join(text)}: text (or dates), copied out unchanged and not used")
    chosen = [name for name in table.order if name not in carried]
    features = pd.DataFrame({name: numbers[name] if name in numbers else categories[name]
                             for name in chosen})
    if imputer is None and not features.shape[1]:
        raise ValueError("no column holds numbers or text of few values: nothing to fill")
    return features, carried


def as_series(column) -> pd.Series:
    """An Arrow column as pandas values: a dictionary (a category stored in Parquet) as its
    text, a column without any value as missing text."""
    import pyarrow as pa

    if pa.types.is_dictionary(column.type):
        column = column.cast(column.type.value_type)
    if pa.types.is_null(column.type):
        column = column.cast(pa.string())
    return column.to_pandas()


def is_category(series: pd.Series) -> bool:
    """A text column of few values, each seen twice on average (not ids, not free text)."""
    from aekit.apps._table_codec import few_values

    if not (series.dtype == object or pd.api.types.is_string_dtype(series.dtype)):
        return False
    return few_values(series)


def whole_table(filled: pd.DataFrame, carried: dict, order: list[str]) -> pd.DataFrame:
    """The filled features and the carried text in the file's column order; categories as
    their text, ready to write."""
    columns = {}
    for name in order:
        column = carried[name] if name in carried else filled[name]
        if isinstance(column.dtype, pd.CategoricalDtype):
            column = column.astype(object)
        columns[name] = column.reset_index(drop=True)
    return pd.DataFrame(columns)


def missing_cells(features: pd.DataFrame) -> int:
    return int(features.isna().to_numpy().sum())
