"""The ``aekit compress`` and ``aekit decompress`` commands (registered by ``aekit.cli``)."""

from __future__ import annotations

from pathlib import Path

from aekit._cli_common import CLIError, add_column_options, check_data_path, check_writable
from aekit.io.formats import FORMATS_HELP, format_of


def add_compress_commands(commands) -> None:
    """Add both subcommands to the CLI's subparsers."""
    p = commands.add_parser("compress", help="compress DATA's rows into a byte stream",
                            description="Compress DATA's rows with MODEL into FILE: the codes, "
                            "quantised and entropy-coded.")
    p.add_argument("model", metavar="MODEL", help="a model written by 'aekit fit'")
    p.add_argument("data", metavar="DATA", help=f"data file ({FORMATS_HELP})")
    add_column_options(p)
    p.add_argument("-o", "--output", required=True, metavar="FILE", help="the compressed stream")
    p.add_argument("--step", type=float, default=None,
                   help="quantisation step of the codes (default: the model's own, or a "
                   "twentieth of the codes' standard deviation over DATA's rows, which needs "
                   "at least 20 rows; the step used is printed)")
    p.add_argument("--refine", type=int, default=0, metavar="STEPS",
                   help="fit each row's code with STEPS steps of gradient descent (a "
                   "compression model only): smaller or better streams, slower encoding")
    p.add_argument("--device", default=None, help="run on this device (default: as saved)")
    p.set_defaults(handler=_compress)
    p = commands.add_parser("decompress", help="rebuild rows from a compressed stream",
                            description="Decompress FILE (written by 'aekit compress' with the "
                            "same MODEL) into OUT.")
    p.add_argument("model", metavar="MODEL", help="the model the stream was compressed with")
    p.add_argument("stream", metavar="FILE", help="a stream written by 'aekit compress'")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=f"output file ({FORMATS_HELP}; - writes CSV to standard output; "
                   "images keep their shape in .npy or .npz, and are flattened to one row "
                   "each in a table)")
    p.add_argument("--device", default=None, help="run on this device (default: as saved)")
    p.set_defaults(handler=_decompress)


def _compress(args) -> None:
    import numpy as np

    from aekit import load
    from aekit._cli_common import model_input, note, read_columns
    from aekit.apps.compression import compress, stream_step
    from aekit.io import atomic_write_bytes

    check_writable(args.output, "-o", (args.data, args.model))  # the model decodes the stream
    if format_of(args.output) is not None:  # a table's name would promise rows to read
        raise CLIError(f"-o {args.output}: the compressed stream is bytes, not a table: name "
                       "it .aekz")
    model = load(args.model, device=args.device)
    table = read_columns(args, args.data, model=model)
    if table.index is not None:  # --time's column, or an index column the file holds
        what = f"--time {table.index_name}" if args.time else "the index column"
        note(f"{what}: the stream holds the features only, so 'aekit decompress' writes the "
             "rows without it: keep it beside the stream")
    X = table.X
    data = compress(model, model_input(table, model, args.data), step=args.step,
                    refine=args.refine)
    atomic_write_bytes(args.output, data)
    held = _held_as(X)
    raw = X.size * np.dtype(held).itemsize
    step = stream_step(data)
    print(f"compressed {len(X)} row{'s' if len(X) != 1 else ''} into {len(data)} bytes ({len(data) / max(len(X), 1):.4g} "
          f"per row; {raw / max(len(data), 1):.3g}x smaller than the values as {held}; step "
          f"{step:.6g}); wrote {args.output}")


def _decompress(args) -> None:
    check_data_path(args.output, "-o", (args.model, args.stream))  # its type too, before work
    path = Path(args.stream)  # checked before PyTorch is imported (seconds)
    if path.is_dir():
        raise ValueError(f"{path} is a folder, not a compressed file")
    if not path.is_file():
        raise FileNotFoundError(f"compressed file {path} does not exist")

    from aekit import load
    from aekit.apps.compression import decompress
    from aekit.io import write_table

    model = load(args.model, device=args.device)
    X = decompress(path.read_bytes(), model)
    names = getattr(model, "feature_names_in_", None)
    write_table(args.output, X, None if names is None else [str(n) for n in names])
    print(f"wrote {len(X)} decompressed rows to {args.output}")


def _held_as(X) -> str:
    """The type the values are measured against: as the file holds them (uint8 pixels, say);
    for a text table, the smallest integer type that holds its whole numbers (a trial: a CSV
    of values 27 to 157, counted as float32, made the stream look 4x smaller than it is
    against bytes), else float32."""
    import numpy as np

    if X.dtype.kind in "iub" or X.dtype == "float16":
        return str(X.dtype)
    if X.size and np.isfinite(X).all() and (X == np.rint(X)).all():
        low, high = int(X.min()), int(X.max())
        for kind in ("uint8", "int8", "uint16", "int16"):  # the first that holds both ends
            if np.iinfo(kind).min <= low and high <= np.iinfo(kind).max:
                return kind
    return "float32"
