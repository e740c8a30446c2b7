"""The job subcommands: generate, map, denoise and report. Each ``add_<name>`` builds one
parser; handlers import the estimators and apps only when they run."""

from __future__ import annotations

import argparse
import warnings
from contextlib import contextmanager
from pathlib import Path

from aekit._cli_common import (
    DATA_HELP,
    DEVICE_HELP,
    OUTPUT_HELP,
    CLIError,
    add_column_options,
    add_header_option,
    add_model_argument,
    column_names,
    load_model,
    load_model_for,
)

LABELS_HELP = ("colour the map by this column of DATA (CSV or Parquet); it is not fed to the "
               "model")
IMAGE_SHAPE_HELP = ("draw rows as images of this shape, e.g. 28,28 (default: conv models, and "
                    "dense models with square rows of [0, 1] data)")


def _shape(text: str) -> tuple[int, ...]:
    try:
        shape = tuple(int(part) for part in text.replace("x", ",").split(","))
    except ValueError:
        shape = ()
    if len(shape) not in (2, 3) or min(shape) < 1:
        raise argparse.ArgumentTypeError(f"expected an image shape such as 28,28, got {text!r}")
    return shape


def _common(p, data: bool = True, labels: bool = False, image_shape: bool = False) -> None:
    if data:
        p.add_argument("data", metavar="DATA", help=DATA_HELP)
        add_column_options(p)
    if labels:
        p.add_argument("--labels", metavar="COLUMN", help=LABELS_HELP)
    if image_shape:
        p.add_argument("--image-shape", type=_shape, metavar="H,W", help=IMAGE_SHAPE_HELP)
    p.add_argument("--device", default=None, help=DEVICE_HELP)


def _read_labeled(args, model, path: str | None = None):
    """``(X, labels or None, feature names or None)`` from ``path`` (default ``args.data``),
    the columns put in ``model``'s order by name (see ``_by_name``)."""
    from aekit._detect_frame import takes_categories

    path = path or args.data
    table, labels = _labeled_table(args, model, path)
    if takes_categories(model):  # a DataFrame of its numbers and categories
        from aekit._detect_run import detector_rows

        frame = detector_rows(table, model, path)
        return frame, labels, list(frame.columns)
    X, columns = _by_name(table.X, table.columns, model, path)
    return X, labels, columns


def _labeled_table(args, model, path: str):
    """``(table, labels)``: ``path``'s columns as the options choose, and the ``--labels``
    column as a named pandas Series (None without ``--labels``): taken out of the features as
    the rows' index, or, when the model reads it too, kept among them and copied."""
    name = getattr(args, "labels", None)
    features = [str(feature) for feature in getattr(model, "feature_names_in_", [])]
    if name is None or name not in features:
        table = _read_chosen(args, path, labels=name, model=model)
        values = table.index
    else:  # a feature too: it stays one, and colours the points as well
        from aekit._cli_common import note

        table = _read_chosen(args, path, model=model)
        if name in (table.columns or []):
            values = table.X[:, table.columns.index(name)]
        elif table.text is not None and name in table.text.column_names:  # a category
            values = table.text[name].to_numpy(zero_copy_only=False)
        else:
            raise CLIError(f"--labels {name}: the column is left out by --columns/--drop")
        note(f"--labels {name}: the model was trained with {name!r} as a feature, so the "
             "map's groups may come from the labels themselves; fit it with --drop "
             f"{name} to see what the other columns say")
    if name is None:
        return table, None
    import pandas as pd

    return table, pd.Series(values, name=name)  # its name titles the legend


def _read_chosen(args, path: str, labels: str | None = None, model=None):
    """``path``'s columns as ``--columns`` and ``--drop`` choose; the ``--labels`` column (or
    else ``--time``) taken out as the rows' index, a ``--time`` beside labels dropped; notes
    worded for the saved ``model`` the rows are for."""
    from aekit._cli_common import header_of, say_notes
    from aekit._detect_frame import takes_categories, text_columns
    from aekit.io import read_table

    time = getattr(args, "time", None)  # generate's --like file has no column options
    drop = [*getattr(args, "drop", []), *([time] if labels and time else [])]
    table = read_table(path, columns=getattr(args, "columns", None), drop=drop,
                       index=labels or time, header=header_of(args, path, model),
                       text=takes_categories(model), text_columns=text_columns(model))
    say_notes(table, path, model)
    return table


def _by_name(X, columns, model, path: str):
    """``X``'s columns in the order ``model`` was trained on, matched by name (a note when they
    move; ``ValueError`` when the names differ); as they are where either side has no names."""
    from aekit._cli_common import in_order, note_by_position

    expected = getattr(model, "feature_names_in_", None)
    if columns is None or X.ndim != 2:
        return X, columns
    if expected is None:
        note_by_position(path)
        return X, columns
    return in_order(X, columns, expected, path)


@contextmanager
def _columns_matched():
    """The rows handed to the model are bare arrays whose columns ``_by_name`` has already
    matched: scikit-learn's warning about missing feature names says nothing here."""
    with warnings.catch_warnings():
        warnings.filterwarnings("ignore", "X does not have valid feature names")
        yield


# ----------------------------------------------------------------- generate
def add_generate(commands) -> None:
    p = commands.add_parser(
        "generate", help="write new rows sampled from a VAE (a table or a PNG grid)",
        description="Write new rows from a VAE: drawn from its prior, near the rows of --like "
        "DATA, or with --interpolate along the line between DATA's first two rows. A .png "
        "output draws image models' rows as a grid.")
    add_model_argument(p, "a model written by 'aekit fit --model vae'")
    p.add_argument("-n", "--n-samples", type=int, default=10, metavar="N",
                   help="how many rows (with --like: per row of DATA; with --interpolate: "
                   "steps) (default: 10)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=OUTPUT_HELP[:-1] + ", or .png: a grid of images)")
    p.add_argument("--like", metavar="DATA", help="generate near each row of DATA")
    p.add_argument("--interpolate", action="store_true",
                   help="decode the line between the latent means of --like DATA's first two rows")
    p.add_argument("--random-state", type=int, default=None,
                   help="seed (default: fresh draws, so each run differs)")
    p.add_argument("--no-clip", dest="clip", action="store_false",
                   help="let values leave each feature's range in the training data (kept "
                        "within it by default), and counts be fractions (a table's columns of "
                        "whole numbers are rounded by default)")
    p.add_argument("--columns", type=column_names, default=None, metavar="A,B,...",
                   help="use only these columns of --like DATA")
    p.add_argument("--drop", type=column_names, default=[], metavar="A,B,...",
                   help="leave out these columns of --like DATA (an id, a label)")
    add_header_option(p)
    _common(p, data=False, image_shape=True)
    p.set_defaults(handler=_generate)


def _generate(args) -> None:
    if args.interpolate and not args.like:
        raise CLIError("--interpolate needs --like DATA (its first two rows are the ends)")
    if not args.like and (args.columns or args.drop or args.header is not None):
        raise CLIError("--columns, --drop and --header choose the columns of --like DATA: "
                       "give --like DATA, or leave them out")
    if args.interpolate and args.n_samples < 2:
        raise CLIError(f"-n {args.n_samples}: --interpolate needs at least 2 steps (the ends)")
    _check_rows_or_png(args, (args.like, args.model))
    png = args.output.lower().endswith(".png")
    model = load_model(args)
    from aekit.estimators import VariationalAutoencoder

    if not isinstance(model, VariationalAutoencoder):  # (an imputer's sample fills gaps)
        raise CLIError(f"{args.model} holds an aekit {model.model_name} model; generate needs one "
                       "trained with --model vae")
    shape = _image_shape(model, args) if png else None
    columns = args.n_samples
    like = _read_labeled(args, model, args.like)[0] if args.like else None
    if args.interpolate:
        if len(like) < 2:
            raise CLIError(f"--interpolate needs at least two rows in {args.like}")
        if len(like) > 2:
            from aekit._cli_common import note

            note(f"--interpolate: the line runs between the first two rows of {args.like}; "
                 f"its other {len(like) - 2} are not used")
        with _columns_matched():
            rows = model.interpolate(like[0], like[1], args.n_samples, clip=args.clip)
    elif args.like:
        with _columns_matched():
            rows = model.sample_like(like, args.n_samples, random_state=args.random_state,
                                     clip=args.clip)
    else:
        rows = model.sample(args.n_samples, random_state=args.random_state, clip=args.clip)
        columns = 10
    _write_rows(args.output, rows, shape, columns, model)
    print(f"wrote {len(rows)} generated rows to {args.output}")


def _image_shape(model, args):
    from aekit.apps.images import image_shape_of

    shape = image_shape_of(model, args.image_shape)
    if shape is None:
        raise CLIError(f"{args.model}'s rows are not images: give --image-shape H,W, or write "
                       "a table (.csv, .npy, ...)")
    return shape


def _write_rows(path: str, rows, shape, n_cols: int, model) -> None:
    import numpy as np

    rows = np.asarray(rows)  # (a model saved with set_output(transform="pandas") gives frames)
    if shape is None:
        from aekit.io import write_table

        if not _write_counts(path, rows, model):
            write_table(path, rows, _feature_names(model))
        return
    from aekit.apps.images import as_images
    from aekit.apps.report import plot_image_grid

    plot_image_grid(as_images(rows, shape), shape, path, n_cols=min(n_cols, 20))


def _write_counts(path: str, rows, model) -> bool:
    """Write ``rows`` to a CSV or Parquet file with the columns of whole numbers (rounded
    counts, ``model.whole_columns()``) as integers, as a DataFrame holds them; False where
    there are none (or the file is NumPy's)."""
    from pathlib import Path

    import numpy as np
    import pyarrow as pa

    from aekit.io import atomic_path
    from aekit.io.formats import format_of
    from aekit.io.tables import write_arrow_table

    whole = getattr(model, "whole_columns", lambda: None)()
    if whole is None or format_of(path) not in (".csv", ".parquet") or rows.ndim != 2:
        return False
    whole = whole & np.isfinite(rows).all(0) & (rows == np.rint(rows)).all(0)
    if not whole.any():
        return False
    names = _feature_names(model) or [f"x{j}" for j in range(rows.shape[1])]
    table = pa.table({name: rows[:, j].astype(np.int64) if whole[j] else rows[:, j]
                      for j, name in enumerate(names)})
    with atomic_path(path) as tmp:
        write_arrow_table(table, tmp, Path(path))
    return True


def _feature_names(model):
    names = getattr(model, "feature_names_in_", None)
    return None if names is None else [str(n) for n in names]


# ----------------------------------------------------------------- map
def add_map(commands) -> None:
    p = commands.add_parser(
        "map", help="draw DATA's codes as a 2-D map (PNG)",
        description="Encode DATA and draw the codes as a 2-D scatter plot: codes of size 2 "
        "directly, larger ones through PCA (or --method tsne, or umap when umap-learn is "
        "installed), coloured by --labels COLUMN.")
    add_model_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="PNG", help="the map (.png)")
    p.add_argument("--method", choices=("auto", "pca", "tsne", "umap"), default="auto",
                   help="projection to 2-D for codes larger than 2 (default: auto = pca)")
    p.add_argument("--codes", metavar="OUT", help="also write the 2-D points to this table, "
                   "beside the --labels (or --time) column")
    _common(p, labels=True)
    p.set_defaults(handler=_map)


def _map(args) -> None:
    from aekit._cli_common import check_data_path, check_writable

    _require_suffix(args.output, ".png")  # the checks first: PyTorch takes seconds to import
    check_writable(args.output, "-o", (args.data, args.model))
    if args.codes is not None and Path(args.codes).resolve() == Path(args.output).resolve():
        raise CLIError("--codes and -o name the same file: give the points a file of their own")
    check_data_path(args.codes, "--codes", (args.data, args.model))  # before the map is drawn
    from aekit.apps import latent_map
    model = load_model_for(args, "map")  # an imputer's transform fills gaps: no codes
    table, labels = _labeled_table(args, model, args.data)
    beside = (table.index, table.index_name) if labels is None else (labels.to_numpy(),
                                                                     labels.name)
    if args.codes and beside[1] in ("x", "y"):
        raise CLIError(f"--codes names its points x and y, and the rows' column beside them "
                       f"is {beside[1]!r} too: rename that column")
    X, _ = _by_name(table.X, table.columns, model, args.data)
    with _columns_matched():
        points = latent_map(model, X, args.output, labels=labels, method=args.method)
    if args.codes:  # beside each point, what names its row: the --labels (or --time) column
        from aekit.io import write_table

        write_table(args.codes, points, ["x", "y"], index=beside[0], index_name=beside[1])
    print(f"drew the codes of {len(X)} rows to {args.output}")


def _require_suffix(path: str, suffix: str) -> None:
    if not path.lower().endswith(suffix):
        raise CLIError(f"{path}: the output must be a {suffix} file")


# ----------------------------------------------------------------- denoise
def add_denoise(commands) -> None:
    p = commands.add_parser(
        "denoise", help="write DATA's rows with the noise removed",
        description="Write the clean estimate of each (noisy) row of DATA: a denoising model's "
        "reconstruction. Any model works, with a warning if it was not trained to denoise.")
    add_model_argument(p, "a model written by 'aekit fit --model denoising'")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=OUTPUT_HELP[:-1] + ", or .png: a grid of noisy and clean images)")
    _common(p, image_shape=True)
    p.set_defaults(handler=_denoise)


def _check_rows_or_png(args, inputs=()) -> None:
    """``-o``: a table of rows, or a .png grid of images; refused before any work."""
    from aekit._cli_common import check_data_path, check_writable
    from aekit.io.formats import FORMATS_HELP

    if args.output.lower().endswith(".png"):
        check_writable(args.output, "-o", inputs)
    else:
        check_data_path(args.output, "-o", inputs,
                        formats_help=f"{FORMATS_HELP}; or .png for a grid of images")


def _denoise(args) -> None:
    from aekit.apps import denoise

    _check_rows_or_png(args, (args.data, args.model))
    model = load_model_for(args, "denoise")
    table = _read_chosen(args, args.data, model=model)
    X, columns = _by_name(table.X, table.columns, model, args.data)
    png = args.output.lower().endswith(".png")
    shape = _image_shape(model, args) if png else None  # before the work, not after it
    if png:
        import numpy as np

        shown = min(10, len(X))
        with _columns_matched():
            clean = denoise(model, X[:shown])
        # in the model's layout: as_images turns (n, C, H, W) channels-last for drawing
        pairs = np.concatenate([X[:shown], np.reshape(clean, X[:shown].shape)])
        _write_rows(args.output, pairs, shape, shown, model)
        print(f"drew the first {shown} of {len(X)} rows, noisy above denoised, to "
              f"{args.output}")
        return
    from aekit.io import write_table

    with _columns_matched():
        clean = denoise(model, X)
    write_table(args.output, clean, columns, index=table.index, index_name=table.index_name)
    print(f"wrote {len(X)} denoised rows to {args.output}")


# ----------------------------------------------------------------- report
def add_report(commands) -> None:
    p = commands.add_parser(
        "report", help="write figures and an index.html about a model on DATA",
        description="Write a report folder: loss curves, originals against reconstructions "
        "(images) or per-feature errors (tables), the 2-D map of the codes, the score "
        "histogram (with a detector's threshold), and index.html showing them with the "
        "model's settings (opens without a server or internet). For a series detector "
        "(aekit detect --series --save), DATA is the series: the report draws it with its "
        "anomalous windows, and each step's score against the threshold.")
    add_model_argument(p)
    p.add_argument("-o", "--output", required=True, metavar="DIR", help="report folder")
    _common(p, labels=True, image_shape=True)
    p.set_defaults(handler=_report)


def _report(args) -> None:
    from aekit.apps import write_report
    from aekit.apps.model_report import autoencoder_of

    model = load_model(args)
    if type(model).__name__ == "SeriesAnomalyDetector":
        _series_report(args, model)
        return
    autoencoder_of(model)  # a model the report can cover, before the data is read
    X, labels, columns = _read_labeled(args, model)
    with _columns_matched():
        report = write_report(model, X, args.output, labels=labels, feature_names=columns,
                              image_shape=args.image_shape)
    print(f"wrote {len(report.figures)} figures and {report.index}")


def _series_report(args, detector) -> None:
    """A series detector's report: DATA is the series, its channels the detector's (or
    ``--columns``), ``--time`` along the x axis."""
    import pyarrow as pa

    from aekit._detect_run import read_series
    from aekit.apps.series_report import write_series_report
    from aekit.io.tables import UNNAMED_INDEX

    for option, value in (("--labels", args.labels), ("--image-shape", args.image_shape),
                          ("--drop", args.drop or None), ("--header/--no-header", args.header)):
        if value is not None:
            raise CLIError(f"{option} does not apply to a series detector's report: name the "
                           "series' columns with --columns and its time with --time")
    data = read_series(args.data, args.columns, args.time, detector, "--columns")
    steps = step_names = axis = None
    if data.time is not None:
        time = data.frame[data.time]
        steps = _plottable(time)
        step_names = data.times.cast(pa.string()).to_pylist()  # windows named as in the file
        zoned = pa.types.is_timestamp(time.type) and time.type.tz is not None
        name = "index" if data.time in UNNAMED_INDEX else data.time
        if steps is not None:  # text times: the steps are drawn, under their own name
            axis = f"{name} (UTC)" if zoned else name
    report = write_series_report(detector, data.series, args.output, steps=steps,
                                 step_names=step_names, axis_name=axis)
    print(f"wrote {len(report.figures)} figures and {report.index}")


def _plottable(times):
    """A time column as the x axis takes it: timestamps as datetime64 (a zoned one in UTC),
    numbers as they are; None for anything else (the steps are drawn)."""
    import numpy as np
    import pyarrow as pa

    if pa.types.is_timestamp(times.type) or pa.types.is_date(times.type):
        return times.cast(pa.timestamp("ns", tz=getattr(times.type, "tz", None))).to_numpy()
    if pa.types.is_integer(times.type) or pa.types.is_floating(times.type):
        return np.asarray(times.to_numpy())
    return None
