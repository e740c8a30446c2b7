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


def split_table(table, imputer=None, given=(), source=None) -> tuple[pd.DataFrame, dict]:
    """``(features, carried)``: the columns the imputer reads (numbers, then categories, in the
    file's order) and the text it does not (name -> Series). With a saved ``imputer``, text
    columns are categories where it learnt them as such, and carried otherwise. Columns of
    codes written as numbers are categories where ``given`` (``--categories``) names them or
    the imputer learnt them so, as the file ``source`` holds them (``_codes``)."""
    numbers = numbers_frame(table.X, table.columns, table.types)
    learnt = {spec.name: spec for spec in getattr(imputer, "columns_", None) or []}
    for name, spec in learnt.items():  # real numbers in training (a model saved before types)
        if spec.kind == "numeric" and name in numbers:
            numbers[name] = numbers[name].astype("float64")
    categories, carried = {}, {}
    coded = [*given, *(name for name, spec in learnt.items() if spec.kind == "category")]
    coded = [name for name in dict.fromkeys(coded) if name in numbers]
    for name in coded:  # '06000' as written, not 6000
        series = _codes(numbers.pop(name), table, name, source)
        categories[name] = _as_learnt(series, learnt[name]) if name in learnt else \
            series.astype("category")
    for name in table.text.column_names:
        series = as_series(table.text[name])
        if imputer is not None:
            spec = learnt.get(name)
            if spec is not None and spec.kind != "category":  # a learnt number, all missing
                numbers[name] = pd.Series(np.full(len(series), np.nan))
                continue
            kept = spec is not None
            if kept:
                categories[name] = _as_learnt(series, spec)
        elif name in given:
            kept = True
            categories[name] = series.astype("category")
        else:  # dates and times are never categories: they hold the file's text
            kept = name not in table.time_columns and is_category(series)
            if kept:
                categories[name] = series.astype("category")
        if not kept:
            carried[name] = series
    found = [name for name in categories if name not in given and name not in coded]
    if found:
        note(f"{', '.join(found)}: text of few values, filled as categories")
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


def _codes(numbers: pd.Series, table, name: str, source) -> pd.Series:
    """A column of codes read as numbers, as the file holds them: a CSV's text where it is not
    what the numbers write (06000), else whole numbers (a Parquet file's integers stay so)."""
    from aekit.io.tables import csv_column_text

    written = None if source is None or table.columns is None else csv_column_text(source, name)
    if written is not None:
        return pd.Series(written, dtype=object)
    whole = bool((numbers.dropna() % 1 == 0).all())
    return numbers.astype("Int64") if whole else numbers


def _as_learnt(series: pd.Series, spec) -> pd.Series:
    """``series`` as the saved imputer's category ``spec``: each value as the category written
    the same way (codes learnt as numbers match their text). A value it did not see is kept,
    for the imputer to refuse (with every column's at once): it would become a gap."""
    from aekit.apps._mixed_rows import as_written

    by_text = {as_written(value): value for value in spec.categories}
    values = series.astype(object).where(series.notna(), None)
    matched = values.map(lambda v: None if v is None else by_text.get(as_written(v), v))
    if any(as_written(v) not in by_text for v in values.dropna()):
        return matched.astype("category")  # refused by the imputer's own column check
    return matched.astype(pd.CategoricalDtype(list(spec.categories)))


def note_codes_filled_as_numbers(features: pd.DataFrame, given) -> None:
    """A note where a column of whole numbers with gaps holds few values far apart (a postcode,
    a store id): the imputer fills it with numbers between them, which are no codes."""
    from aekit.apps._table_codec import MAX_CATEGORIES

    suspects = []
    for name in features.columns:
        column = features[name]
        if name in given or not pd.api.types.is_integer_dtype(column.dtype) or \
                not column.isna().any() or pd.api.types.is_bool_dtype(column.dtype):
            continue
        values = column.dropna().unique()
        spread = float(values.max()) - float(values.min()) + 1 if len(values) else 0
        if 2 < len(values) <= MAX_CATEGORIES and 2 * len(values) <= column.notna().sum() \
                and spread > 10 * len(values):
            suspects.append(name)
    if suspects:
        note(f"{', '.join(suspects)}: whole numbers of few values far apart, filled as numbers "
             "(between them, so not one of them); if they are codes (postcodes, ids), read "
             f"them as categories: --categories {','.join(suspects)}")


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
