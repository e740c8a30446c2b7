"""``aekit detect``: flag anomalous rows of a table, or anomalous steps of a series.

Only the parser lives here, so that ``aekit --help`` imports nothing heavy; the work is in
``aekit._detect_run``, imported when the command runs."""

from __future__ import annotations

import argparse

from aekit._cli_common import CATEGORIES_HELP, add_header_option, column_names
from aekit.io.formats import RESULTS_HELP


def add_detect(commands) -> None:
    """Register the ``detect`` subcommand on ``commands`` (argparse subparsers)."""
    p = commands.add_parser(
        "detect", help="flag anomalous rows (or time steps) of DATA",
        description="Fit an anomaly detector on DATA (or apply one saved with --save) and write "
        "each row's score (higher = more normal), its label (1 normal, -1 anomaly) and the "
        "features that contribute most to its score. With --series, DATA is a time series: "
        "one score and label per step, and the anomalous windows are printed.")
    p.add_argument("data", metavar="DATA", help="table (CSV with a header row, Parquet, .npy)")
    p.add_argument("-o", "--output", metavar="OUT",
                   help=f"results file ({RESULTS_HELP}; - writes CSV to standard output)")
    p.add_argument("--model", metavar="FILE",
                   help="a detector saved with --save: apply it instead of fitting one")
    p.add_argument("--save", metavar="FILE", help="save the fitted detector here")
    p.add_argument("--refit-threshold", metavar="RECENT",
                   help="with --model: first raise the saved threshold to the one a recent "
                        "stretch of the new data gives (a file like DATA; never lowered), "
                        "for data that has drifted since the detector was fitted")
    p.add_argument("--contamination", default="auto", type=_contamination, metavar="FRACTION",
                   help="expected fraction of anomalies in (0, 0.5], or auto: Tukey's "
                   "fence on the training scores, which flags more rows than a data set's "
                   "true anomaly rate when that is low (default: auto)")
    p.add_argument("--series", metavar="COLUMNS",
                   help="treat DATA as a time series of these (comma-separated) columns")
    p.add_argument("--time", metavar="COLUMN", help="a timestamp or id column, kept out of the "
                   "features and copied out beside each row (with --series, the series' time)")
    p.add_argument("--columns", type=column_names, default=None, metavar="A,B,...",
                   help="a table: use only these columns of a CSV or Parquet file")
    p.add_argument("--drop", type=column_names, default=[], metavar="A,B,...",
                   help="a table: leave out these columns (an id, a label)")
    p.add_argument("--categories", type=column_names, default=[], metavar="A,B,...",
                   help=CATEGORIES_HELP)
    add_header_option(p)
    p.add_argument("--window", default="auto", type=_window, metavar="STEPS",
                   help="series window length, or auto (the dominant period; default)")
    p.add_argument("--random-state", type=int, default=None,
                   help="seed of the fit (default: 0)")
    p.set_defaults(handler=_run)


def _contamination(text: str):
    try:
        return text if text == "auto" else float(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or a share such as 0.02, got {text!r}"
                                         ) from None


def _window(text: str):
    try:
        return text if text == "auto" else int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected auto or a number of steps, got {text!r}"
                                         ) from None


def _run(args) -> None:
    from aekit._detect_run import run_detect

    run_detect(args)
