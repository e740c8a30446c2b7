"""What every ``aekit`` subcommand shares: the one-line error, argument help, reading data and
loading models. Nothing heavy is imported here: handlers import what they need when they run."""

from __future__ import annotations

import argparse
import contextlib
import os
import sys
import warnings
from pathlib import Path

from aekit.io.formats import FORMATS_HELP, format_of, suffix_of

DATA_HELP = (f"data file ({FORMATS_HELP}); CSV and Parquet columns are matched to the "
             "model's by name (a CSV without a header row, by position)")
OUTPUT_HELP = f"output file ({FORMATS_HELP}; - writes CSV to standard output)"
STREAM_HELP = ("read DATA block by block instead of loading it, for data larger than memory "
               "(a .npy file, or a Parquet file or folder)")
DEVICE_HELP = "run on this device (default: as saved)"
MEMORY_HELP = ("with --stream, the memory in MB that the data read ahead and shuffled may hold, "
               "the file reader's share included (default: 192); the process needs more "
               "beside it, for its imports and the model")


class CLIError(Exception):
    """An error reported as one line, without a traceback."""


def add_model_argument(parser, help_text: str = "a model written by 'aekit fit'") -> None:
    parser.add_argument("model", metavar="MODEL", help=help_text)


def read_data(path: str, stream: bool = False):
    """The rows of ``path``: an array, or with ``stream`` a source read block by block."""
    if stream:
        from aekit.io import open_source

        return open_source(path)
    from aekit.io import read_table

    X, _ = read_table(path)
    return X


def load_model(args):
    """The model named by ``args.model``, on ``args.device`` when the command has one."""
    from aekit import load

    return load(args.model, device=getattr(args, "device", None))


def load_model_for(args, command: str, *, detectors: bool = False):
    """``load_model``, refusing in one line a model that ``aekit COMMAND`` cannot use: it
    takes an autoencoder written by 'aekit fit' (and, with ``detectors``, an anomaly
    detector). An imputer's ``transform`` fills gaps, so it must not pass for codes."""
    from aekit.estimators.base import BaseAutoencoder

    model = load_model(args)
    is_detector = hasattr(model, "offset_")
    if not (isinstance(model, BaseAutoencoder) or (detectors and is_detector)):
        takes = "an autoencoder or a detector of rows" if detectors else "an autoencoder"
        hint = "; 'aekit report' shows a detector's codes" if is_detector else ""
        if hasattr(model, "score_steps"):  # a series detector scores steps, not rows
            hint = "; score a series with 'aekit detect DATA --model MODEL'"
        raise CLIError(f"{args.model} is a saved {type(model).__name__}: 'aekit {command}' takes "
                       f"{takes} written by 'aekit fit'{hint}")
    return model


def check_model_path(path: str | None, option: str = "-o", inputs=()) -> None:
    """Refuse a model file named like a data file (``-o scores.csv`` meant for results), and
    one that cannot be written (before any training, not after it)."""
    if path is not None and format_of(path) is not None:
        raise CLIError(f"{option} {path}: this writes a model, not a data file: name it "
                       "model.safetensors, say")
    check_writable(path, option, inputs)


def check_data_path(path: str | None, option: str = "-o", inputs=(),
                    formats=(".csv", ".parquet", ".npy", ".npz"),
                    formats_help: str = FORMATS_HELP) -> None:
    """Refuse, before any work, an output file of a type the command does not write (not
    among ``formats``, as ``aekit.io.formats.format_of`` names them), or that cannot be
    written."""
    check_writable(path, option, inputs)  # first: "the file this command reads" says more
    if path is not None and format_of(path) not in formats:
        raise CLIError(f"{option} {path}: unsupported file type "
                       f"{suffix_of(path) or '(none)'!r}: use {formats_help}")


def check_writable(path: str | None, option: str, inputs=()) -> None:
    """``path``'s folder exists, and ``path`` is none of the files the command reads."""
    if path is None:
        return
    if Path(path).is_dir():
        raise CLIError(f"{option} {path} is a folder: name a file inside it")
    folder = Path(path).parent
    if not folder.is_dir():
        raise CLIError(f"{option} {path}: the folder {folder} does not exist: create it first")
    written = Path(os.path.realpath(path)).parent  # a link's target's folder, as written
    if not os.access(written, os.W_OK | os.X_OK):  # before any work, not after it
        raise CLIError(f"{option} {path}: the folder {written} is not writable: write elsewhere")
    target = Path(path).resolve()
    for source in inputs:
        if source is not None and Path(source).resolve() == target:
            raise CLIError(f"{option} {path} is the file this command reads: write to "
                           "another file")


def note_by_position(source: str, model: str = "model") -> None:
    """The note for a file with column names read by a model saved without them."""
    note(f"{source}: the {model} was saved without column names; its columns are taken by "
         "position")


@contextlib.contextmanager
def id_columns_noted(rows):
    """Within this, a detector's warning of a feature like an id or a time is left out where
    the reader has noted it already, by the file's column names (a headerless file or a NumPy
    one has no note: the warning, by position, is said)."""
    with warnings.catch_warnings():
        from aekit.estimators._frames import is_frame

        if getattr(rows, "column_names", None) is not None or is_frame(rows):
            from aekit.io.row_ids import IdLikeWarning

            warnings.simplefilter("ignore", IdLikeWarning)
        yield


def note(text: str) -> None:
    if is_main_rank():  # under torchrun, said once
        print(f"aekit: note: {text}", file=sys.stderr)


def is_main_rank() -> bool:
    """Whether this process reports and writes results: rank 0 of a torchrun job (which sets
    ``RANK`` in every process it starts), or the only process."""
    return os.environ.get("RANK", "0") == "0"


@contextlib.contextmanager
def other_ranks_quiet():
    """Within this, a process other than rank 0 of a torchrun job prints nothing on standard
    output: every rank runs the command, and rank 0 says what was done (errors, on standard
    error, still come from whichever rank meets them)."""
    if is_main_rank():
        yield
        return
    with open(os.devnull, "w") as devnull, contextlib.redirect_stdout(devnull):
        yield


def column_names(text: str) -> list[str]:
    """``"a, b,c"`` -> ``["a", "b", "c"]``: the argument type of ``--columns`` and ``--drop``;
    a name given twice is refused (a column is read once, and the list would say otherwise)."""
    names = [name.strip() for name in text.split(",") if name.strip()]
    twice = sorted({name for name in names if names.count(name) > 1})
    if twice:
        raise argparse.ArgumentTypeError(f"{', '.join(map(repr, twice))} is named twice")
    return names


def add_column_options(parser) -> None:
    """``--columns``, ``--drop`` and ``--time``: which columns of a CSV or Parquet file to use."""
    parser.add_argument("--columns", type=column_names, default=None, metavar="A,B,...",
                        help="use only these columns of a CSV or Parquet file")
    parser.add_argument("--drop", type=column_names, default=[], metavar="A,B,...",
                        help="leave out these columns (an id, a label)")
    parser.add_argument("--time", default=None, metavar="COLUMN",
                        help="a time (or id) column: not a feature; written beside row outputs")
    add_header_option(parser)


CATEGORIES_HELP = ("a table: read these columns as categories, codes written as numbers among "
                   "them (a store id, a postcode); text of few values is read as categories "
                   "anyway")


def add_header_option(parser) -> None:
    """``--header``/``--no-header``: whether a CSV's first row names its columns; and how its
    cells are written (``--sep``, ``--decimal``, ``--na-values``)."""
    parser.add_argument("--header", action=argparse.BooleanOptionalAction, default=None,
                        help="the CSV's first row names the columns (--no-header: it is data); "
                             "default: a first row of numbers is data")
    parser.add_argument("--sep", type=_separator, default=None, metavar="CHAR",
                        help="what separates a CSV's cells: , ; | or tab (default: a comma, "
                             "or the semicolon, tab or | its header row has instead)")
    parser.add_argument("--decimal", choices=(".", ","), default=None, metavar="MARK",
                        help="a CSV's decimal mark: . or , (default: .)")
    parser.add_argument("--na-values", type=column_names, default=None, metavar="A,B,...",
                        help="text that marks a missing cell in a CSV, beside an empty cell, "
                             "NA, N/A, NaN, null and the like (e.g. '?,-,None'; a number "
                             "matches as pandas matches it; one starting with -: "
                             "--na-values=-999)")
    parser.add_argument("--no-default-na", dest="default_na", action="store_false",
                        default=None, help="read NA, N/A, null and the like in a CSV as text "
                        "(a country code NA, say): only empty cells and --na-values are missing")


def _separator(text: str) -> str:
    """``--sep``'s type: one of the separators a CSV uses, ``tab`` for a tab."""
    from aekit.io.dialect import SEPARATORS

    sep = "\t" if text.lower() in ("tab", "\\t", "\t") else text
    if sep not in SEPARATORS:
        raise argparse.ArgumentTypeError(f"use , ; | or tab, not {text!r}")
    return sep


def csv_dialect_of(args):
    """The ``csv_dialect`` ``--sep``, ``--decimal`` and ``--na-values`` ask for, for every CSV
    the command reads (a do-nothing context where none is given)."""
    given = {name: getattr(args, name, None)
             for name in ("sep", "decimal", "na_values", "default_na")}
    given = {name: value for name, value in given.items() if value is not None}
    if not given:
        return contextlib.nullcontext()
    from aekit.io.dialect import csv_dialect

    return csv_dialect(**given)


def read_columns(args, path: str, text: bool = False, model=None, text_columns=()):
    """``path`` as an ``aekit.io.Table``, with the columns ``--columns``, ``--drop`` and
    ``--time`` choose (``text``: text columns kept apart, not refused, ``text_columns`` among
    them whenever they hold strings); notes (a headerless file) go to stderr, worded for the
    saved ``model`` the rows are for, if any."""
    from aekit.io import read_table

    options = {"columns": args.columns, "drop": args.drop, "index": args.time,
               "header": header_of(args, path, model), "text_columns": text_columns}
    try:
        table = read_table(path, text=text, **options)
    except ValueError as error:  # text one the model does not read is only to be left out
        unread = [] if text or "not numeric" not in str(error) else \
            _text_not_read(path, options, model)
        if unread:
            them = "it" if len(unread) == 1 else "them"
            raise CLIError(f"column{'s' if len(unread) > 1 else ''} "
                           f"{', '.join(map(repr, unread))} of {Path(path).name} "
                           f"{'holds' if len(unread) == 1 else 'hold'} text, and the model was "
                           f"not trained on {them}: leave {them} out (--drop "
                           f"{','.join(unread)})") from None
        raise
    say_notes(table, path, model)
    return table


def _text_not_read(path: str, options: dict, model) -> list[str]:
    """The text columns of ``path`` that ``model`` was not trained on (by name), where that
    is why its rows could not be read as numbers."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return []
    from aekit.io import read_table

    try:
        table = read_table(path, text=True, **options)
    except ValueError:
        return []
    known = {str(name) for name in names}
    return [name for name in table.text.column_names if name not in known]


def header_of(args, path: str, model=None) -> bool | None:
    """``--header``/``--no-header`` as given; where neither is, True when DATA's first row
    holds each column name of the saved ``model`` once, in any order, with a note: names that
    are numbers (years) would else be read as a row of data, and the columns then matched by
    position (a trial: 101 scores for 100 rows)."""
    header = getattr(args, "header", None)
    names = getattr(model, "feature_names_in_", None)
    if header is not None or names is None:
        return header
    from aekit.io._sniff import first_row_cells
    from aekit.io.dialect import current_dialect

    filled = [cell for cell in first_row_cells(path) or [] if cell]  # ("": an index's place)
    if not all(map(current_dialect().number, filled)):
        return None  # names that are not numbers: read as the header anyway
    expected = [str(name) for name in names]
    if any(filled.count(name) != 1 for name in expected):
        return None  # not every name of the model, once: a row of data
    if expected == [str(i) for i in range(len(expected))] and filled != expected:
        return None  # pandas' default names 0, 1, ...: a row of them in another order is data
    note(f"{Path(path).name}: the first row holds the model's column names, so it is read as "
         "the header (--no-header says it is data)")
    return True


def say_notes(table, path: str, model=None) -> None:
    """``table``'s notes on stderr. A feature like a row id or a time is noted as one to leave
    out; one that the saved ``model`` was trained with, as one to fit again without."""
    from aekit.io.tables import id_note

    for line in table.notes:
        note(line)
    names = getattr(model, "feature_names_in_", None)
    trained = set() if names is None else {str(name) for name in names}
    for name, why in table.id_like:
        note(id_note(Path(path).name, name, why, trained=name in trained))


def model_input(table, model=None, source: str = "DATA", expected=None):
    """What the estimator takes: a named table (so that it keeps or checks the column names),
    with the columns put in the model's order (or in ``expected``'s, the training file's
    names while a model is being fitted); a bare array where the file has no names."""
    import pyarrow as pa

    if expected is None:
        expected = getattr(model, "feature_names_in_", None)
    images = _unflattened(table.X, model, source)
    if images is not None:
        return images
    if table.columns is None:
        if expected is None or table.X.ndim != 2 or table.X.shape[1] != len(expected):
            return table.X  # the model's own checks say what does not fit
        note(f"{source} has no column names; its columns are taken by position as the "
             f"model's ({', '.join(map(str, expected[:4]))}{', ...' if len(expected) > 4 else ''})")
        return pa.table({str(name): table.X[:, i] for i, name in enumerate(expected)})
    X, names = table.X, table.columns
    if expected is None and model is not None:  # fitted on a file without names
        note_by_position(source)
        return X
    if expected is not None:
        X, names = in_order(X, names, expected, source)
    return pa.table({name: X[:, i] for i, name in enumerate(names)})


def _unflattened(X, model, source: str):
    """``X``'s rows in the shape of ``model``'s rows (images, sequences), where they come
    flattened, one per table row, as ``decompress`` and ``reconstruct`` write them to a table;
    else None."""
    import math

    shape = list(getattr(model, "input_shape_", ()))
    if getattr(model, "squeeze_axis_", None) is not None:
        del shape[model.squeeze_axis_ - 1]
    if len(shape) < 2 or X.ndim != 2 or X.shape[1] != math.prod(shape):
        return None
    note(f"{source}: each row's {X.shape[1]} values taken as one of the model's rows of shape "
         f"{tuple(shape)}, flattened as a table holds them")
    return X.reshape(-1, *shape)


def in_order(X, names, expected, source: str):
    """``(X, names)`` with the columns in ``expected``'s order, matched by name: a note when
    they move, ``ValueError`` when the names differ."""
    return X[:, column_order(names, expected, source)], [str(name) for name in expected]


def column_order(names, expected, source: str) -> list[int]:
    """The positions that put the columns ``names`` in ``expected``'s order (``in_order``)."""
    from aekit.io import align_columns

    remedy = "give the same columns, choose them with --columns/--drop, or rename them"
    order, moved = align_columns(names, expected, source, remedy)
    if moved:
        note(moved)
    return order


def add_stream_options(parser) -> None:
    """``--stream`` and its ``--memory`` budget."""
    parser.add_argument("--stream", action="store_true", help=STREAM_HELP)
    parser.add_argument("--memory", type=_megabytes, default=None, metavar="MB",
                        help=MEMORY_HELP)


def _megabytes(text: str) -> int:
    """``--memory``'s type: a whole number of megabytes, at least 1."""
    try:
        value = int(text)
    except ValueError:
        value = 0
    if value < 1:
        raise argparse.ArgumentTypeError(f"expected a whole number of MB, at least 1, got "
                                         f"{text!r}")
    return value


def check_stream_args(args) -> None:
    """What ``--stream`` refuses, said before anything heavy is imported."""
    if args.time:
        raise CLIError("--time does not apply with --stream yet: leave the column out with "
                       "--drop, or leave out --stream to load the table whole")
    if format_of(args.data) in (".csv", ".npz"):
        raise CLIError(f"--stream reads .npy or Parquet files, not {suffix_of(args.data)}: "
                       f"convert {args.data} (pandas: read_csv, then to_parquet), or leave out "
                       "--stream to load it whole")


def open_stream(args, model=None):
    """DATA as a source read block by block, within ``--memory``; a Parquet source reads the
    columns ``--columns`` names, else those the model was trained on (by name)."""
    from aekit.io import align_columns, open_source
    from aekit.io.sources import PARQUET_SUFFIXES

    check_stream_args(args)
    suffix = suffix_of(args.data)
    columns = args.columns
    names = getattr(model, "feature_names_in_", None)
    is_parquet = Path(args.data).is_dir() or suffix in PARQUET_SUFFIXES
    memory = getattr(args, "memory", None)
    memory = None if memory is None else memory * 2**20
    if columns is None and names is not None and is_parquet:
        columns = [str(name) for name in names]  # the model's, by name, in its order
        read = [name for name in args.drop if name in columns]
        if read:  # as a table loaded whole says (the stream read them all the same: a trial)
            them = "them" if len(read) > 1 else "it"
            raise CLIError(f"--drop {','.join(read)}: the model was trained on {them}, so it "
                           f"reads {them}: leave --drop out, or fit a model without {them}")
        # the file's columns checked as a table loaded whole checks them (a trial: an extra
        # column was left unread, and a reordered file read so, without a word)
        given = [name for name in _parquet_names(args.data) if name not in args.drop]
        moved = align_columns(given, columns, Path(args.data).name)[1]
        if moved:
            note(moved)
    elif args.drop:
        columns = _kept_columns(args, _parquet_names(args.data) if is_parquet else None)
    return open_source(args.data, memory=memory, columns=columns)


def _parquet_names(path: str) -> list[str]:
    """The column names of a Parquet file or folder, read from its schema alone (a text
    column that --drop leaves out must not stop the reading), but those pandas stored its
    index in: the rows' labels, not features (a trial: --drop made one a feature)."""
    import pyarrow.dataset as ds

    from aekit.io.tables import pandas_index_columns

    try:
        schema = ds.dataset(path, format="parquet").schema
    except (OSError, ValueError) as error:  # pyarrow's errors derive from these
        raise CLIError(f"cannot read {path} as Parquet: {error}") from None
    index = pandas_index_columns(schema)
    return [name for name in schema.names if name not in index]


def _kept_columns(args, available) -> list[str]:
    """The streamed file's columns (``--columns`` or all) less those ``--drop`` names."""
    if available is None:
        raise CLIError(f"{args.data} has no column names, so --drop cannot name any: pass the "
                       "columns to keep with --columns on a Parquet file, or drop them first")
    chosen = args.columns or list(available)
    unknown = [name for name in args.drop if name not in chosen]
    if unknown:
        raise CLIError(f"--drop names {unknown[0]!r}, which {args.data} does not have among "
                       f"the columns read ({', '.join(map(str, chosen[:8]))}"
                       f"{', ...' if len(chosen) > 8 else ''})")
    return [name for name in chosen if name not in args.drop]


def read_rows(args, model=None, categories: bool = False) -> tuple:
    """DATA as the estimator takes it (with ``--stream``, a source read block by block), and
    ``write_table``'s index arguments for the ``--time`` column. ``categories``: for a detector
    to be fitted, which reads text columns of few values as categories, as a saved one fitted
    on some does."""
    if getattr(args, "stream", False):
        return open_stream(args, model), {}
    if getattr(args, "memory", None) is not None:
        raise CLIError("--memory applies with --stream only")
    from aekit._detect_frame import takes_categories, text_columns

    if categories or takes_categories(model):
        from aekit._detect_run import detector_rows  # text read, for its categories

        given = getattr(args, "categories", None) or ()
        table = read_columns(args, args.data, text=True, model=model,
                             text_columns=text_columns(model, given))
        rows = detector_rows(table, model, args.data, given)
    else:
        table = read_columns(args, args.data, model=model)
        rows = model_input(table, model, args.data)
    return rows, {"index": table.index, "index_name": table.index_name}
