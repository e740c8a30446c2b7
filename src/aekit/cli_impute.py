"""``aekit impute DATA -o OUT``: fill the missing cells of a table (registered by ``cli.py``)."""

from __future__ import annotations

import re

from aekit._cli_common import CATEGORIES_HELP, OUTPUT_HELP, add_column_options, column_names
from aekit.io.formats import FORMATS_HELP

SERIES_WINDOW = 48  # impute_series' default: two days of hourly points


def add_impute(commands) -> None:
    """The ``impute`` subcommand's parser."""
    p = commands.add_parser(
        "impute", help="fill the missing cells of DATA with an autoencoder",
        description="Train an AutoencoderImputer on DATA (empty or NaN cells are missing) and "
                    "write DATA with every missing cell filled; observed cells are copied "
                    "unchanged, and the columns come out in the same order. Numbers are filled "
                    "(integer and True/False columns as such), a text column of few values as "
                    "a category; other text and dates are copied out unchanged. --columns and "
                    "--drop choose the columns (the others are left out of OUT); a --time (or "
                    "id) column is copied out beside them. Rows are filled one by one from their "
                    "other columns; with --series, DATA is a time series whose named columns "
                    "are each filled from their neighbours in time.")
    p.add_argument("data", metavar="DATA",
                   help=f"data file ({FORMATS_HELP}); empty or NaN cells are missing")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=OUTPUT_HELP)
    add_column_options(p)
    p.add_argument("--categories", type=column_names, default=[], metavar="A,B,...",
                   help=CATEGORIES_HELP.replace("is read as", "is filled as"))
    p.add_argument("--model", metavar="MODEL",
                   help="fill with this saved imputer instead of training one")
    p.add_argument("--save-model", metavar="MODEL", help="also save the trained imputer here")
    p.add_argument("--epochs", type=int, default=None,
                   help="training passes (default: enough for about 2000 gradient steps)")
    p.add_argument("--series", metavar="COLUMNS",
                   help="DATA is a time series (rows in time order, evenly spaced): fill each "
                        "of these (comma-separated) columns from its neighbours in time, over "
                        "sliding windows; the other columns are copied out as they are")
    p.add_argument("--window", type=int, default=None, metavar="STEPS",
                   help=f"with --series: points per window, longer than the gaps to fill "
                        f"(default: {SERIES_WINDOW})")
    p.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    p.set_defaults(handler=run_impute)


def run_impute(args) -> None:
    from dataclasses import replace

    from aekit._cli_common import check_data_path, check_model_path, read_columns

    if args.series is not None:
        _impute_series(args)
        return
    if args.window is not None:
        raise ValueError("--window applies to a series (--series NAME,...): a table's rows "
                         "are filled one by one")
    check_data_path(args.output, "-o", (args.data, args.model))
    check_model_path(args.save_model, "--save-model", (args.data,))
    imputer = _saved_imputer(args.model) if args.model else None
    # --columns, --drop; --time copied out beside; text and dates kept apart, by name
    table = read_columns(args, args.data, text=True, model=imputer)
    headerless = _headerless_names(table, imputer)
    if table.columns is None and headerless is None and args.categories:
        raise ValueError(f"--categories: {args.data} has no column names to name them by: give "
                         "it a header row")
    if headerless is not None:
        # a CSV without a header row: its columns' types and text kept as with one (a trial:
        # counts came back as 2.19, True/False as 0.41), then written back without a header
        imputer, n_missing, shape = _impute_named(args, replace(table, columns=headerless),
                                                  imputer, header=False)
    elif table.columns is not None:
        imputer, n_missing, shape = _impute_named(args, table, imputer)
    else:
        imputer, n_missing, shape = _impute_array(args, table, imputer)
    if args.save_model:
        imputer.save(args.save_model)
    print(f"filled {n_missing} missing cells of {shape[0]} rows x {shape[1]} columns; "
          f"wrote {args.output}" + (f" and {args.save_model}" if args.save_model else ""))


def _headerless_names(table, imputer) -> list[str] | None:
    """The names (x0, x1, ...) a CSV without a header row gives its columns of numbers, where
    they are filled as a named table's are: by a new imputer, or one fitted on such a file;
    None for a named table, a NumPy file, or an imputer that takes the columns by position."""
    if table.columns is not None or table.types is None:
        return None
    names = [name for name in table.order if name not in table.text.column_names]
    names_in = getattr(imputer, "feature_names_in_", None)
    known = [] if names_in is None else [str(n) for n in names_in]
    if imputer is None or (known and all(re.fullmatch(r"x\d+", n) for n in known)):
        return names  # columns matched by these names, as a named table's (said if they differ)
    return None


def _saved_imputer(path: str):
    from aekit import AutoencoderImputer, load

    imputer = load(path)
    if not isinstance(imputer, AutoencoderImputer):
        raise ValueError(  # noqa: TRY004 - a wrong file, not a wrong argument type
            f"{path} holds an aekit {imputer.model_name} model, not an imputer")
    return imputer


def _new_imputer(args):
    from aekit import AutoencoderImputer

    return AutoencoderImputer(epochs=args.epochs, random_state=args.random_state,
                              device=args.device)


def _impute_named(args, table, imputer, header: bool = True):
    """A file with column names: the whole table written back, gaps filled (see
    ``aekit._impute_frame``); columns matched to a saved imputer's by name."""
    from aekit._cli_common import note
    from aekit._detect_frame import check_given_categories
    from aekit._impute_frame import (
        missing_cells,
        note_codes_filled_as_numbers,
        split_table,
        whole_table,
    )
    from aekit.io import align_columns
    from aekit.io.formats import format_of

    if not len(table.X):
        raise ValueError(f"{args.data} has no rows: nothing to fill")
    texts = table.text.column_names
    if texts and format_of(args.output) not in (".csv", ".parquet"):
        raise ValueError(f"-o {args.output}: a NumPy file holds numbers only, and "
                         f"{', '.join(texts)} hold text: write .csv or .parquet, or --drop "
                         "them")
    if args.categories and imputer is not None:
        raise ValueError("--categories: a saved imputer reads the columns it learnt as "
                         "categories as such: leave the option out with --model")
    check_given_categories(args.categories, table, args.data)
    features, carried = split_table(table, imputer, args.categories, args.data)
    if imputer is None:
        note_codes_filled_as_numbers(features, args.categories)
    _note_rows_alone(table)
    if imputer is None and not args.save_model and not missing_cells(features):
        note("no cell of the columns filled is missing: OUT is DATA as read, and no imputer "
             "was trained")
        _write_named(args, whole_table(features, carried, table.order), table, header)
        return None, 0, (len(features), len(table.order))
    if imputer is None:
        imputer = _new_imputer(args).fit(features)
    expected = getattr(imputer, "feature_names_in_", None)
    if expected is None:
        raise ValueError(f"{args.model} was fitted on a file without column names: give "
                         f"{args.data} without a header row (--no-header), or refit")
    order, moved = align_columns(list(features.columns), expected, args.data)
    if moved:
        note(moved)
    filled = imputer.transform(features.iloc[:, order])
    out = _codes_as_read(whole_table(filled, carried, table.order), features, table, args.data)
    _write_named(args, out, table, header)
    return imputer, missing_cells(features), out.shape


def _codes_as_read(out, features, table, source: str):
    """``out`` with the codes a Parquet file holds as integers (filled as categories) as
    integers again, whatever the saved imputer learnt them as (a CSV's text, say)."""
    import pandas as pd

    from aekit.io.formats import format_of

    if format_of(source) != ".parquet":
        return out
    for name in table.columns or []:
        if isinstance(features[name].dtype, pd.CategoricalDtype):
            numbers = pd.to_numeric(out[name], errors="coerce")
            if numbers.notna().equals(out[name].notna()):  # every code a number
                out[name] = numbers.astype("int64" if numbers.notna().all() else "Int64")
    return out


def _write_named(args, out, table, header: bool = True) -> None:
    """The filled table, its --time (or id) column beside it as the file wrote it; a CSV
    without a header row where ``header`` is False."""
    import numpy as np

    from aekit.io import write_table
    from aekit.io.formats import format_of
    from aekit.io.tables import csv_column_text, write_frame

    index = table.index
    if format_of(args.output) in (".csv", ".parquet"):
        text = None if index is None else csv_column_text(  # 0007 stays 0007
            args.data, table.index_name, args.header, index)
        write_frame(args.output, out, index if text is None else text,
                    table.index_name, header)  # types as read
    else:
        write_table(args.output, out.to_numpy(dtype=np.float64), table.order,
                    index=index, index_name=table.index_name)


def _note_rows_alone(table) -> None:
    """A note when --time names a time column: the rows are filled from their other columns
    alone, which for a single series means from little more than its mean."""
    # a CSV's times are kept as text; Parquet's are datetime64, with a zone or without
    if (table.index_name in table.time_columns
            or "datetime64" in str(getattr(table.index, "dtype", ""))):
        from aekit._cli_common import note

        if table.X.shape[1] == 1:
            advice = "with one column, that is little more than its mean: use --series"
        else:  # a trial: 0.042 from a related channel, 0.557 from its own past
            advice = ("good where the columns move together; a column that follows its own "
                      "past rather than the others is better filled with --series")
        note(f"--time {table.index_name}: each row is filled from its other columns, not from "
             f"its neighbours in time; {advice}")


def _impute_array(args, table, imputer):
    """A file without column names (NumPy, or CSV without a header row): by position."""
    import numpy as np

    from aekit._cli_common import note
    from aekit._detect_frame import takes_categories
    from aekit.io import write_table
    from aekit.io.formats import format_of

    known = getattr(imputer, "feature_names_in_", None)
    texts = [] if table.text is None else table.text.column_names
    if known is None and texts and not takes_categories(imputer):
        raise ValueError(f"{args.data} has no header row, and its columns {','.join(texts)} "
                         "hold text, which this imputer (fitted on numbers without names) does "
                         f"not read: --drop {','.join(texts)}")
    if takes_categories(imputer) or texts:
        names = "" if known is None else " (" + ", ".join(map(str, known[:4])) + (
            ", ..." if len(known) > 4 else "") + ")"
        raise ValueError(f"{args.data} has no header row, and the imputer reads its columns by "
                         f"name{names}, some of them text: give the file the header row of the "
                         "table it was fitted on")
    X = table.X.reshape(len(table.X), -1) if table.X.ndim != 2 else table.X
    # a CSV read without a header row is written back without one (a NumPy file's rows get x0,
    # x1, ... in a CSV)
    written = {"index": table.index, "index_name": table.index_name,
               "header": format_of(args.data) != ".csv"}
    if imputer is None and not args.save_model and not np.isnan(X).any():
        note("no cell is missing: OUT is DATA as read, and no imputer was trained")
        write_table(args.output, table.X, None, **written)
        return None, 0, X.shape
    if imputer is None:
        imputer = _new_imputer(args).fit(X)
    elif known is not None:  # an imputer of named columns, numbers only
        note(f"{args.data} has no header row: its columns are taken by position as the "
             f"imputer's ({', '.join(map(str, known[:4]))}{', ...' if len(known) > 4 else ''})")
    filled = np.asarray(imputer.transform(X), dtype=np.float64)
    write_table(args.output, filled.reshape(table.X.shape), None, **written)
    return imputer, int(np.isnan(X).sum()), X.shape


def _write_series(frame, names: list[str], time: str | None, args, tmp) -> None:
    """The filled series file: in a CSV, the other columns as the file wrote them (an id 0007
    stays 0007, a zoned time keeps its zone; a --time column where it was) and an index pandas
    stored in a Parquet file first; in
    Parquet, every column in its type (a trial: numbers came back as text) and an unnamed
    first column of a CSV as pandas' index."""
    from pathlib import Path

    import pyarrow as pa

    from aekit.io.dialect import current_dialect
    from aekit.io.formats import format_of
    from aekit.io.tables import (
        UNNAMED_INDEX,
        csv_columns_as_written,
        output_index_name,
        pandas_index_columns,
        write_arrow_table,
    )

    if format_of(args.output) != ".csv":
        if time is not None and time in UNNAMED_INDEX and time != "__index_level_0__" \
                and "index" not in frame.column_names:  # (a stored one is pandas' already)
            frame = frame.rename_columns(["index" if n == time else n for n in frame.column_names])
            write_arrow_table(frame, tmp, Path(args.output), index="index")
        else:
            write_arrow_table(frame, tmp, Path(args.output))
        return
    commas = current_dialect().decimal == ","  # numbers written with points, as all others
    others = [name for name in frame.column_names if name not in names
              and not (commas and pa.types.is_floating(frame[name].type))]
    table = csv_columns_as_written(args.data, frame, others)
    stored = [n for n in pandas_index_columns(frame.schema) if n in table.column_names]
    if stored:  # pandas stores its index (each level of a MultiIndex) last: written first
        table = table.select([*stored, *(n for n in table.column_names if n not in stored)])
        # an unnamed level gets an empty header, as pandas writes one
        table = table.rename_columns([output_index_name(n, args.output) for n in stored]
                                     + table.column_names[len(stored):])
    write_arrow_table(table, tmp, Path(args.output))


def _whole_numbers(values) -> bool:
    """Whether every observed value is a whole number: an integer column with gaps, as pandas
    writes one (``59.0``), filled with whole numbers as the table path fills it."""
    import numpy as np

    observed = values[~np.isnan(values)]
    return bool(observed.size) and bool(np.all(observed == np.rint(observed)))


def _impute_series(args) -> None:
    """``--series``: each named column filled from its neighbours in time
    (``aekit.apps.impute_series``); the file's other columns, the time among them, are
    written back as they were read."""

    import numpy as np
    import pyarrow as pa

    from aekit._cli_common import check_data_path
    from aekit._series_frame import (
        named_time,
        note_uneven_steps,
        numeric_column,
        read_frame,
        stored_index,
        with_range_index,
    )
    from aekit.apps.impute_series import impute_series
    from aekit.io import atomic_path
    from aekit.io.formats import RESULTS_HELP

    for option, given in (("--model", args.model), ("--save-model", args.save_model),
                          ("--columns and --drop", args.columns or args.drop),
                          ("--categories", args.categories),
                          ("--header and --no-header", args.header is not None)):
        if given:
            raise ValueError(f"{option}: not with --series, whose series are each fitted "
                             "afresh, from a file whose header row names its columns")
    check_data_path(args.output, "-o", (args.data,), (".csv", ".parquet"), RESULTS_HELP)
    frame = with_range_index(read_frame(args.data))  # a slice's 100, 101, ... kept
    args.time = named_time(frame, args.time)
    names = list(dict.fromkeys(args.series.split(",")))  # each once
    if not all(names):
        raise ValueError(f"--series {args.series!r} names no column: name the series' value "
                         "columns, comma-separated")
    if args.time in names:
        raise ValueError(f"--time {args.time} is also named by --series: a column is either "
                         "the time or a value")
    absent = [n for n in names + ([] if args.time is None else [args.time])
              if n not in frame.column_names]
    if absent:
        raise ValueError(f"{args.data} has no column {absent[0]!r}; it has "
                         f"{', '.join(frame.column_names)}")
    time = args.time if args.time is not None else stored_index(frame, args.data, names)
    if time is not None:  # written back as it was, either way
        note_uneven_steps(frame[time], time)
    window = SERIES_WINDOW if args.window is None else args.window
    if window < 2:
        raise ValueError(f"--window {window}: a window needs at least 2 steps")
    series = {name: numeric_column(frame, name, args.data) for name in names}
    for name, values in series.items():  # before any training
        if np.isnan(values).all():
            raise ValueError(f"--series {name}: the column has no observed value, nothing to "
                             "learn from")
    n_missing = 0
    for name, values in series.items():
        gaps = int(np.isnan(values).sum())
        if not gaps:
            continue
        try:
            filled = impute_series(values, window=window, epochs=args.epochs,
                                   random_state=args.random_state, device=args.device)
        except ValueError as error:  # which column, and that the window is --window
            raise ValueError(f"--series {name}: {str(error).replace('window', '--window')}"
                             ) from None
        kind = frame[name].type  # integers rounded; every column back in its own type
        whole = pa.types.is_integer(kind) or _whole_numbers(values)  # 59.0: an int with gaps
        column = pa.array(np.rint(filled) if whole else filled)
        frame = frame.set_column(frame.column_names.index(name), name,
                                 column if pa.types.is_null(kind) else column.cast(kind))
        n_missing += gaps
    with atomic_path(args.output) as tmp:
        _write_series(frame, names, time, args, tmp)
    print(f"filled {n_missing} missing points of {len(names)} series of {frame.num_rows} "
          f"steps; wrote {args.output}")
