"""A table with text columns as ``aekit detect`` (and ``aekit score`` with such a detector)
gives it to an ``AnomalyDetector``: its numbers, and its text columns of few values (each seen
twice on average, at most 50: ``aekit.apps._table_codec.few_values``) as categories, in a
pandas DataFrame. Other text (ids, free text) and dates are refused by name: a detector scores
every column it reads."""

from __future__ import annotations

import pandas as pd

from aekit._cli_common import column_order, note
from aekit._impute_frame import as_series, is_category


def takes_categories(model) -> bool:
    """Whether ``model`` is a detector fitted on a table with categorical columns."""
    return hasattr(model, "offset_") and getattr(model, "columns_", None) is not None


def reads_text(detector) -> bool:
    """Whether rows for ``detector`` (None: one to be fitted) are read with their text: a
    saved detector fitted on numbers only takes numbers only."""
    return detector is None or takes_categories(detector)


def frame_with_categories(table, detector, source: str):
    """``table``'s features as a DataFrame where it holds text (None where it does not), in the
    file's column order, or the saved ``detector``'s."""
    if table.text is None or not table.text.num_columns:
        return None
    learnt = {spec.name: spec.kind for spec in getattr(detector, "columns_", None) or []}
    columns = {str(name): table.X[:, i] for i, name in enumerate(table.columns or [])}
    refused = []
    for name in table.text.column_names:
        series = as_series(table.text[name])
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
    if detector is None:
        note(f"{', '.join(n for n in table.text.column_names)}: text of few values, read as "
             "categories")
    frame = pd.DataFrame({name: columns[name] for name in table.order})
    expected = getattr(detector, "feature_names_in_", None)
    if expected is not None:
        frame = frame.iloc[:, column_order(list(frame.columns), expected, source)]
    return frame


def _refusal(names: list[str], times, source: str, detector) -> str:
    listed = ", ".join(map(repr, names))
    dates = [name for name in names if name in times]
    if detector is not None:
        why = "held numbers when the detector was fitted"
    elif dates and len(dates) == len(names):
        why = "hold dates or times"
    else:
        why = "hold dates, or text of too many values to be categories (ids, free text)"
    time = f" or make one the rows' time (--time {dates[0]})" if dates else ""
    return (f"{'column' if len(names) == 1 else 'columns'} {listed} of {source} {why}: drop "
            f"{'it' if len(names) == 1 else 'them'} (--drop {','.join(names)}){time}")
