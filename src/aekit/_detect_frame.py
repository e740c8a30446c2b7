"""A table with text columns as ``aekit detect`` (``fit --model detector``, and ``score`` or
``report`` with such a detector) gives it to an ``AnomalyDetector``: its numbers, and as
categories its text columns of few values (each seen twice on average, at most 50:
``aekit.apps._table_codec.few_values``) and the columns ``--categories`` names, in a pandas
DataFrame. Other text (ids, free text) and dates are refused by name: a detector scores every
column it reads."""

from __future__ import annotations

import pandas as pd

from aekit._cli_common import column_order, note
from aekit._impute_frame import as_series, is_category
from aekit.apps._mixed_rows import as_written, category_names
from aekit.io.tables import csv_column_text


def takes_categories(model) -> bool:
    """Whether ``model`` (a detector, an imputer) was fitted on a table with categorical
    columns."""
    return bool(category_names(getattr(model, "columns_", None) or []))


def text_columns(detector, given=()) -> list[str]:
    """The columns read as text whenever they hold strings: a saved ``detector``'s categories
    and the ``--categories`` ``given`` (a postcode column of '02134' and one 'Paris' is not a
    column of numbers with a mark)."""
    learnt = [spec.name for spec in getattr(detector, "columns_", None) or []
              if spec.kind == "category"]
    return [*learnt, *given]


def reads_text(detector) -> bool:
    """Whether rows for ``detector`` (None: one to be fitted) are read with their text: a
    saved detector fitted on numbers only takes numbers only."""
    return detector is None or takes_categories(detector)


def frame_with_categories(table, detector, source: str, given=()):
    """``table``'s features as a DataFrame, in the file's column order or the saved
    ``detector``'s, where it holds text or categories, learnt by the detector or ``given`` by
    name (None otherwise), indexed by the ``--time`` column where there is one. A category read
    as numbers (codes, or a file where it holds '10' only) is made text again."""
    learnt = {spec.name: spec.kind for spec in getattr(detector, "columns_", None) or []}
    text = table.text.column_names if table.text is not None else []
    if not text and "category" not in learnt.values() and not given:
        return None
    numbers = table.columns or [n for n in table.order if n not in text]  # headerless: x0, ...
    columns = {str(name): table.X[:, i] for i, name in enumerate(numbers)}
    check_given_categories(given, table, source)
    coded = [*given, *(name for name, kind in learnt.items() if kind == "category")]
    for name in coded:
        if name in columns:  # the file's own text: '02134', not 2134
            written = csv_column_text(source, name) if table.columns is not None else None
            columns[name] = pd.Series(columns[name] if written is None else written).map(
                as_written).astype("category")  # a gap stays missing
    refused = []
    for name in text:
        series = as_series(table.text[name])
        if name in given:
            category = True
        elif detector is not None:  # a column it does not know is named by the column check
            category = learnt.get(name, "category") == "category"
        else:
            category = name not in table.time_columns and is_category(series)
        if category:  # categories on purpose: codes stored as text ('02134') are no numbers
            columns[name] = series.astype("category")
        else:
            refused.append(name)
    if refused:
        raise ValueError(_refusal(refused, table.time_columns, source, detector))
    if detector is None:
        read = [name for name in table.order if name in given or name in text]
        note(f"{', '.join(read)}: read as categories")
    frame = pd.DataFrame({name: columns[name] for name in table.order})
    if table.index is not None:  # rows named as the file names them, in messages too
        frame.index = pd.Index(table.index, name=table.index_name)
    return _in_detectors_order(frame, table, detector, source)


def check_given_categories(given, table, source: str) -> None:
    """``--categories`` must name columns read, each of values seen twice on average (an id
    one-hot encoded is thousands of columns of single rows)."""
    for name in given:
        if name not in table.order:
            raise ValueError(f"--categories {name}: {source} has no such column among those "
                             f"read ({', '.join(table.order)}; --drop and --time take "
                             "columns out)")
        if name in (table.columns or []):
            values = table.X[:, table.columns.index(name)]
        else:
            values = as_series(table.text[name]).to_numpy(dtype=object)
        if pd.isna(values).all():
            raise ValueError(f"--categories {name}: the column has no value to learn a category "
                             f"from: leave it out (--drop {name})")
        n_values = len(pd.unique(values))
        if 2 * n_values > len(values) or n_values > MAX_GIVEN:
            raise ValueError(f"--categories {name}: {n_values} distinct values in "
                             f"{len(values)} rows (an id?): a category needs each value seen "
                             f"twice on average, and at most {MAX_GIVEN}; leave it out "
                             f"(--drop {name}) or keep it beside the results (--time {name})")


MAX_GIVEN = 1000  # categories a --categories column may hold: each one a column of the network


def _in_detectors_order(frame, table, detector, source: str):
    """``frame``'s columns in the saved ``detector``'s order, matched by name; a headerless
    file's (x0, x1, ...) by position, with a note, as ``model_input`` matches them."""
    expected = getattr(detector, "feature_names_in_", None)
    if expected is None:
        return frame
    if table.columns is None and len(frame.columns) == len(expected) and list(
            frame.columns) != [str(name) for name in expected]:
        note(f"{source} has no column names; its columns are taken by position as the "
             f"detector's ({', '.join(map(str, expected[:4]))}"
             f"{', ...' if len(expected) > 4 else ''})")
        return frame.set_axis([str(name) for name in expected], axis=1)
    return frame.iloc[:, column_order(list(frame.columns), expected, source)]


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
    texts = [name for name in names if name not in dates]
    categories = (f", or read {'it' if len(texts) == 1 else 'them'} as categories all the same "
                  f"(--categories {','.join(texts)})") if texts else ""
    return (f"{listed} {'holds' if one else 'hold'} {why}: drop {'it' if one else 'them'} "
            f"(--drop {','.join(names)}), keep {'it' if one else 'one'} beside the results "
            f"as the rows' time or id (--time {(dates or names)[0]}){categories}")
