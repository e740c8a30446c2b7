"""The ``aekit`` command: a thin layer that parses arguments and calls estimators and apps."""

from __future__ import annotations

import argparse
import json
import sys
import warnings

from aekit import ESTIMATORS, __version__
from aekit._cli_options import add_estimator_options, estimator_params
from aekit.cli_compress import add_compress_commands
from aekit.cli_detect import add_detect
from aekit.cli_impute import add_impute
from aekit.io import FORMATS, Table, align_columns, open_source, read_table, write_table

DATA_HELP = (f"data file ({', '.join(FORMATS)}); CSV and Parquet columns are matched to the "
             "model's by name (a CSV without a header row, by position)")
STREAM_HELP = ("read DATA block by block instead of loading it, for data larger than memory "
               "(a .npy file, or a Parquet file or folder)")


class CLIError(Exception):
    """An error reported as one line, without a traceback."""


def _add_fit(commands) -> dict[str, set[str]]:
    p = commands.add_parser("fit", help="train a model on DATA and save it",
                            description="Train an autoencoder on DATA and save it to MODEL.")
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument("-o", "--output", required=True, metavar="MODEL",
                   help="where to write the model (.safetensors)")
    p.add_argument("--model", choices=sorted(ESTIMATORS), default="autoencoder",
                   help="which autoencoder: " + ", ".join(
                       f"{name} ({cls.__name__})" for name, cls in ESTIMATORS.items())
                   + " (default: autoencoder); --architecture conv/lstm/gru works with each")
    p.add_argument("--validation-data", metavar="FILE", dest="validation_file",
                   help="rows to report val_loss on (same columns as DATA)")
    p.add_argument("--stream", action="store_true", help=STREAM_HELP)
    _add_column_options(p)
    owners = add_estimator_options(p, ESTIMATORS.values())
    p.set_defaults(handler=lambda args: _fit(args, owners))
    return owners


def _add_apply(commands, name: str, help_text: str, stream: bool = False) -> None:
    p = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:])
    p.add_argument("model", metavar="MODEL", help="a model written by 'aekit fit'")
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=f"output file ({', '.join(FORMATS)})")
    p.add_argument("--device", default=None, help="run on this device (default: as saved)")
    _add_column_options(p)
    if stream:
        p.add_argument("--stream", action="store_true", help=STREAM_HELP)
    p.set_defaults(handler=globals()[f"_{name}"])


def _names(text: str) -> list[str]:
    return [name.strip() for name in text.split(",") if name.strip()]


def _add_column_options(p) -> None:
    p.add_argument("--columns", type=_names, default=None, metavar="A,B,...",
                   help="use only these columns of a CSV or Parquet file")
    p.add_argument("--drop", type=_names, default=[], metavar="A,B,...",
                   help="leave out these columns (an id, a label)")
    p.add_argument("--time", default=None, metavar="COLUMN",
                   help="a time (or id) column: not a feature; written beside row outputs")


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="aekit", description="Autoencoders made practical: train, encode, reconstruct, score.")
    parser.add_argument("--version", action="version", version=f"aekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    _add_fit(commands)
    _add_apply(commands, "encode", "write the codes of DATA's rows", stream=True)
    _add_apply(commands, "reconstruct", "write DATA's rows encoded and decoded")
    _add_apply(commands, "score", "write each row's score (higher = more normal)", stream=True)
    add_detect(commands)
    generate = commands.add_parser("generate", help="write new rows sampled from a VAE",
                                   description="Write new rows sampled from a VAE's prior.")
    generate.add_argument("model", metavar="MODEL", help="a model written by 'aekit fit --model vae'")
    generate.add_argument("-n", "--n-samples", type=int, default=10, metavar="N",
                          help="how many rows (default: 10)")
    generate.add_argument("-o", "--output", required=True, metavar="OUT",
                          help=f"output file ({', '.join(FORMATS)})")
    generate.add_argument("--random-state", type=int, default=None, help="seed")
    generate.add_argument("--device", default=None, help="run on this device (default: as saved)")
    generate.set_defaults(handler=_generate)
    info = commands.add_parser("info", help="describe a saved model",
                               description="Describe a saved model.")
    info.add_argument("model", metavar="MODEL")
    info.add_argument("--json", action="store_true", help="print JSON")
    info.set_defaults(handler=_info)
    demo = commands.add_parser("demo", help="train on built-in digits and write a report",
                               description="Train an autoencoder on scikit-learn's digits, "
                               "compare it with PCA and write a report (no data needed).")
    demo.add_argument("-o", "--output", default="aekit-demo", metavar="DIR",
                      help="report folder (default: aekit-demo)")
    demo.add_argument("--epochs", type=int, default=100, help="training epochs (default: 100)")
    demo.add_argument("--latent-dim", type=int, default=8, help="code size (default: 8)")
    demo.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    demo.add_argument("--quiet", action="store_true", help="no progress bar")
    demo.set_defaults(handler=_demo)
    add_impute(commands)
    add_compress_commands(commands)
    return parser


def _note(text: str) -> None:
    print(f"aekit: note: {text}", file=sys.stderr)


def _read(args, path: str) -> Table:
    """The rows of ``path`` with the columns ``--columns``, ``--drop`` and ``--time`` choose."""
    table = read_table(path, columns=args.columns, drop=args.drop, index=args.time)
    for text in table.notes:
        _note(text)
    return table


def _model_input(table: Table, model=None, source: str = "DATA"):
    """What the estimator takes: a named table (so that it keeps or checks the column names),
    with the columns put in the model's order; a bare array where the file has no names."""
    import pyarrow as pa

    if table.columns is None:
        return table.X
    X, names = table.X, table.columns
    expected = getattr(model, "feature_names_in_", None)
    if expected is not None:
        order, note = align_columns(names, expected, source)
        if note:
            _note(note)
        X, names = X[:, order], [str(name) for name in expected]
    return pa.table({name: X[:, i] for i, name in enumerate(names)})


def _rows(args, model=None) -> tuple:
    """DATA as the estimator takes it (with ``--stream``, a source read block by block), and
    ``write_table``'s index arguments for the ``--time`` column."""
    if getattr(args, "stream", False):
        if args.columns or args.drop or args.time:
            raise CLIError("--columns, --drop and --time do not apply with --stream yet: "
                           "write the chosen columns to a file first")
        return open_source(args.data), {}
    table = _read(args, args.data)
    return (_model_input(table, model, args.data),
            {"index": table.index, "index_name": table.index_name})


def _fit(args, owners) -> None:
    params = estimator_params(args, owners, args.model)
    params.setdefault("verbose", 1 if sys.stderr.isatty() else 0)  # no bars in logs and pipes
    model = ESTIMATORS[args.model](**params)
    if args.validation_file:
        model.set_params(validation_data=_model_input(_read(args, args.validation_file),
                                                      source=args.validation_file))
    model.fit(_rows(args)[0])
    model.save(args.output)
    shown = {k: f"{v[-1]:.5g}" for k, v in model.history_.items() if k != "lr"}
    print(f"trained {args.model} for {model.n_epochs_} epochs "
          f"({', '.join(f'{k} {v}' for k, v in shown.items())}); saved {args.output}")


def _load(args):
    from aekit import load

    return load(args.model, device=args.device)


def _encode(args) -> None:
    model = _load(args)
    rows, index = _rows(args, model)
    codes = model.transform(rows)
    write_table(args.output, codes, [f"z{i}" for i in range(codes.shape[1])], **index)
    print(f"wrote {codes.shape[0]} codes of size {codes.shape[1]} to {args.output}")


def _reconstruct(args) -> None:
    model = _load(args)
    rows, index = _rows(args, model)
    X_hat = model.reconstruct(rows)
    names = getattr(rows, "column_names", None)
    write_table(args.output, X_hat, names, **index)
    print(f"wrote {len(X_hat)} reconstructed rows to {args.output}")


def _score(args) -> None:
    model = _load(args)
    rows, index = _rows(args, model)
    scores = model.score_samples(rows)
    write_table(args.output, scores, ["score"], **index)
    print(f"wrote {len(scores)} scores to {args.output} (mean {scores.mean():.5g}; "
          "higher = more normal)")


def _generate(args) -> None:
    model = _load(args)
    if not hasattr(model, "sample"):
        raise CLIError(f"{args.model} holds a {model.model_name} model; generate needs one "
                       "trained with --model vae")
    rows = model.sample(args.n_samples, random_state=args.random_state)
    write_table(args.output, rows)
    print(f"wrote {len(rows)} generated rows to {args.output}")


def _info(args) -> None:
    from aekit.io import read_model_file

    tensors, config = read_model_file(args.model)
    n_weights = sum(t.numel() for k, t in tensors.items() if k.startswith("module."))
    if args.json:
        print(json.dumps(dict(config, n_parameters=n_weights), indent=2))
        return
    fitted = config["fitted"]
    history = fitted.get("history_", {})
    print(f"model:       {config['model']} ({args.model})")
    print(f"features:    {fitted.get('n_features_in_')} -> code {fitted.get('latent_dim_')}")
    print(f"weights:     {n_weights:,}")
    print(f"settings:    loss={fitted.get('loss_')}, output={fitted.get('output_activation_')}, "
          f"scaling={fitted.get('scaling_')}")
    print(f"trained:     {fitted.get('n_epochs_')} epochs; " + ", ".join(
        f"final {k} {v[-1]:.5g}" for k, v in history.items() if v and k != "lr"))
    print("versions:    " + ", ".join(f"{k} {v}" for k, v in config["versions"].items()))
    params = ", ".join(f"{k}={v!r}" for k, v in sorted(config["params"].items()))
    print(f"parameters:  {params}")


def _demo(args) -> None:
    from aekit.apps import run_demo

    result = run_demo(args.output, latent_dim=args.latent_dim, epochs=args.epochs,
                      random_state=args.random_state, verbose=0 if args.quiet else 1)
    verdict = "better" if result.mse_ratio < 1 else "worse"
    print(f"\nDigits (8x8, scaled to [0, 1]): {result.n_train} train / {result.n_test} test rows, "
          f"code size {result.latent_dim}, {result.epochs_run} epochs in {result.seconds:.1f} s")
    print(f"  final train loss {result.final_loss:.4f}, validation loss "
          f"{result.final_val_loss:.4f} (binary cross-entropy)")
    print(f"  test reconstruction MSE: autoencoder {result.test_mse_autoencoder:.5f}, "
          f"PCA({result.latent_dim}) {result.test_mse_pca:.5f} -> the autoencoder is "
          f"{verdict} ({result.mse_ratio:.2f}x PCA's error)")
    print(f"  report: {result.output_dir}/loss.png, reconstructions.png, summary.json, "
          "model.safetensors")


def _one_line_warning(message, category, filename, lineno, file=None, line=None) -> None:
    print(f"aekit: warning: {message}", file=sys.stderr)


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    warnings.showwarning = _one_line_warning
    try:
        args.handler(args)
    except KeyboardInterrupt:
        print("aekit: interrupted", file=sys.stderr)
        return 130
    except (ValueError, TypeError, OSError, CLIError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"aekit: error: {message}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
