"""``aekit export``: write a saved model as graphs other runtimes run (registered by ``aekit.cli``).

Only the parser lives at the top, so that ``aekit --help`` imports nothing heavy."""

from __future__ import annotations

FORMATS = ("onnx",)


def add_export(commands) -> None:
    """Register the ``export`` subcommand on ``commands`` (argparse subparsers)."""
    p = commands.add_parser(
        "export", help="write MODEL's encoder, decoder and scorer as ONNX graphs",
        description="Write MODEL's encoder, decoder and scorer (a MaskedAutoencoder saved from "
        "Python: encoder, imputer and scorer; a detector: its scorer) to DIR as ONNX graphs "
        "that take "
        "raw float32 rows (the scaling is inside them) with any number of rows, and a "
        "manifest.json naming their inputs and outputs. Needs: pip install aekit[onnx]")
    p.add_argument("model", metavar="MODEL", help="a model written by 'aekit fit' (or a "
                   "detector saved by 'aekit detect --save')")
    p.add_argument("--format", choices=FORMATS, default="onnx",
                   help="graph format (default: onnx, the only one so far)")
    p.add_argument("-o", "--output", required=True, metavar="DIR",
                   help="folder to write the graphs to (created if missing)")
    p.set_defaults(handler=_export)


def _export(args) -> None:
    from aekit import load
    from aekit._cli_common import CLIError

    model = load(args.model, device="cpu")
    export = getattr(model, "export_onnx", None)
    if export is None:
        kind = type(model).__name__
        extra = (" (aekit impute --save-model writes one; a MaskedAutoencoder saved from "
                 "Python exports an imputer graph)" if kind == "AutoencoderImputer" else "")
        raise CLIError(f"{kind} models cannot be exported to ONNX yet{extra}: export an "
                       "autoencoder written by 'aekit fit', or an anomaly detector")
    try:
        paths = export(args.output)
    except ImportError as error:  # the optional extra is missing
        raise CLIError(str(error)) from None
    names = ", ".join(path.name for path in paths.values())
    print(f"wrote {names} to {args.output}")
