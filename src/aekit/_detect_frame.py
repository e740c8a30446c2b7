"""A table with text columns as ``aekit detect`` (and ``aekit score`` with such a detector)
gives it to an ``AnomalyDetector``: its numbers, and its text columns of few values (each seen
twice on average, at most 50: ``aekit.apps._table_codec.few_values``) as categories, in a
pandas DataFrame. Other text (ids, free text) and dates are refused by name: a detector scores
every column it reads."""

from __future__ import annotations

import pandas as pd

from aekit._cli_common import column_order, note
from aekit._impute_frame import as_series, is_category
from aekit.apps._mixed_rows import as_written
from aekit.io.tables import csv_column_text


def takes_categories(model) -> bool:
    """Whether ``model`` is a detector fitted on a table with categorical columns."""
    return hasattr(model, "offset_") and getattr(model, "columns_", None) is not None


def reads_text(detector) -> bool:
    """Whether rows for ``detector`` (None: one to be fitted) are read with their text: a
    saved detector fitted on numbers only takes numbers only."""
    return detector is None or takes_categories(detector)


def frame_with_categories(table, detector, source: str, given=()):
    """``table``'s features as a DataFrame, in the file's column order or the saved
    ``detector``'s, where it holds text or categories, learnt by the detector or ``given`` by
    name (None otherwise). A category read as numbers (codes, or a file where it holds '10'
    only) is made text again."""
    learnt = {spec.name: spec.kind for spec in getattr(detector, "columns_", None) or []}
    text = table.text.column_names if table.text is not None else []
    if not text and "category" not in learnt.values() and not given:
        return None
    numbers = table.columns or [n for n in table.order if n not in text]  # headerless: x0, ...
    columns = {str(name): table.X[:, i] for i, name in enumerate(numbers)}
    absent = [name for name in given if name not in table.order]
    if absent:
        raise ValueError(f"--categories {absent[0]}: {source} has no such column among those "
                         f"read ({', '.join(table.order)})")
    coded = [*given, *(name for name, kind in learnt.items() if kind == "category")]
    for name in coded:
        if name in columns:  # the file's own text: '02134', not 2134
            written = csv_column_text(source, name)
            columns[name] = pd.Series(columns[name] if written is None else written).map(
                as_written).astype("category")  # a gap stays missing
    refused = []
    for name in text:
        series = as_series(table.text[name])
        if name in given:  # however many values it holds
            columns[name] = series.astype("category")
            continue
        if detector is not None:  # a column it does not know is named by the column check
            category = learnt.get(name, "category") == "category"
        else:
            category = name not in table.time_columns and is_category(series)
        if category:
            columns[name] = series
        else:
            refused.append(name)
    if refused:
        raise ValueError(_refusal(refused, table.time_columns, source, detector))
    read = [name for name in table.order if name in given or name in text]
    if detector is None:
        note(f"{', '.join(read)}: read as categories")
    frame = pd.DataFrame({name: columns[name] for name in table.order})
    expected = getattr(detector, "feature_names_in_", None)
    if expected is not None:
        frame = frame.iloc[:, column_order(list(frame.columns), expected, source)]
    return frame


def _refusal(names: list[str], times, source: str, detector) -> str:
    one = len(names) == 1
    listed = f"{'column' if one else 'columns'} {', '.join(map(repr, names))} of {source}"
    if detector is not None:  # learnt as numbers: dropping them would leave the detector short
        return (f"{listed} {'holds' if one else 'hold'} text where the detector was fitted on "
                "numbers: give their numbers, or fit a detector on files like this one "
                f"(aekit detect {source} --save FILE), which reads text of few values as "
                "categories")
    dates = [name for name in names if name in times]
    if len(dates) == len(names):
        why = "dates or times"
    else:
        why = "text of too many values to be categories (ids, free text)" + (
            ", or dates" if dates else "")
    return (f"{listed} {'holds' if one else 'hold'} {why}: drop {'it' if one else 'them'} "
            f"(--drop {','.join(names)}), or keep {'it' if one else 'one'} beside the results "
            f"as the rows' time or id (--time {(dates or names)[0]})")
