"""What every ``aekit`` subcommand shares: the one-line error, argument help, reading data and
loading models. Nothing heavy is imported here: handlers import what they need when they run."""

from __future__ import annotations

from aekit.io.formats import FORMATS

DATA_HELP = f"data file ({', '.join(FORMATS)}); CSV needs a header row and numeric columns"
OUTPUT_HELP = f"output file ({', '.join(FORMATS)})"
STREAM_HELP = ("read DATA block by block instead of loading it, for data larger than memory "
               "(a .npy file, or a Parquet file or folder)")
DEVICE_HELP = "run on this device (default: as saved)"


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
