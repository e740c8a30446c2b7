"""The ``aekit`` command: a thin layer that parses arguments and calls estimators and apps.

It answers ``--help``, ``--version``, ``info`` and argument errors without importing PyTorch or
scikit-learn: options come from static tables, and each handler imports what it needs when it
runs. A subcommand is one small ``add_<name>(commands)`` function that builds its parser and sets
its handler; jobs keep theirs in their own module and register it in ``build_parser`` in one line.
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import warnings

from aekit import __version__
from aekit._cli_common import (
    CATEGORIES_HELP,
    DATA_HELP,
    DEVICE_HELP,
    OUTPUT_HELP,
    CLIError,
    add_column_options,
    add_model_argument,
    add_stream_options,
    check_data_path,
    check_model_path,
    check_stream_args,
    column_names,
    csv_dialect_of,
    id_columns_noted,
    is_main_rank,
    load_model_for,
    model_input,
    other_ranks_quiet,
    read_columns,
    read_rows,
)
from aekit._cli_exit import (
    OUT_OF_MEMORY,
    Terminated,
    distributed_failure,
    out_of_memory,
    resume_hint,
    terminate_as_interrupt,
)
from aekit._cli_options import add_estimator_options, estimator_params, model_help, model_names
from aekit._cli_stdout import output_to_stdout, rank_zero_writes
from aekit.cli_compress import add_compress_commands
from aekit.cli_detect import add_detect
from aekit.cli_export import add_export
from aekit.cli_impute import add_impute
from aekit.cli_jobs import add_denoise, add_generate, add_map, add_report

__all__ = ["CLIError", "build_parser", "main"]


class _Parser(argparse.ArgumentParser):
    """argparse with errors on one line: argparse prints a command's whole usage first (40
    lines for fit), which buries the one line that says what is wrong."""

    def error(self, message: str):
        self.exit(2, f"{self.prog}: error: {message} (see '{self.prog} --help')\n")


def build_parser() -> argparse.ArgumentParser:
    parser = _Parser(
        prog="aekit", description="Autoencoders made practical: train, encode, reconstruct, score.")
    parser.add_argument("--version", action="version", version=f"aekit {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="COMMAND", required=True)
    add_fit(commands)
    add_apply(commands, "encode", "write the codes of DATA's rows", _encode, stream=True)
    add_apply(commands, "reconstruct", "write DATA's rows encoded and decoded", _reconstruct)
    add_apply(commands, "score", "write each row's score (higher = more normal)", _score,
              stream=True)
    add_detect(commands)
    add_impute(commands)
    add_compress_commands(commands)
    add_generate(commands)
    add_map(commands)
    add_denoise(commands)
    add_report(commands)
    add_export(commands)
    add_info(commands)
    add_demo(commands)
    return parser


# ----------------------------------------------------------------- fit
def add_fit(commands) -> None:
    p = commands.add_parser("fit", help="train a model on DATA and save it",
                            description="Train an autoencoder on DATA and save it to MODEL.")
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument("-o", "--output", required=True, metavar="MODEL",
                   help="where to write the model (.safetensors)")
    p.add_argument("--model", choices=model_names(), default="autoencoder", help=model_help())
    p.add_argument("--validation-data", metavar="FILE", dest="validation_file",
                   help="rows to report val_loss on (same columns as DATA)")
    add_stream_options(p)
    add_column_options(p)
    p.add_argument("--categories", type=column_names, default=[], metavar="A,B,...",
                   help=f"with --model detector: {CATEGORIES_HELP}")
    owners = add_estimator_options(p)
    p.set_defaults(handler=lambda args: _fit(args, owners))


def _fit(args, owners) -> None:
    from aekit._cli_options import fit_models

    check_model_path(args.output, inputs=(args.data, args.validation_file))  # before the fit
    if args.stream:
        check_stream_args(args)
    params = estimator_params(args, owners, args.model)
    if "verbose" in owners and args.model in owners["verbose"]:
        params.setdefault("verbose", 1 if sys.stderr.isatty() else 0)  # no bars in pipes
    model = fit_models()[args.model](**params)
    if args.categories and args.model != "detector":
        raise ValueError(f"--categories applies to --model detector, which reads categories; "
                         f"{args.model} takes numbers (one-hot encode them first)")
    if args.model == "detector" and (args.validation_file or args.stream):
        given = "--validation-data" if args.validation_file else "--stream"
        raise ValueError(f"{given} does not apply to --model detector: it fits in memory and "
                         "sets its threshold from the training rows")
    try:
        rows = read_rows(args, categories=args.model == "detector")[0]
    except ValueError as error:  # a text column: say which commands read categories (a trial)
        if args.model == "detector" or "is not numeric" not in str(error):
            raise
        raise ValueError(f"{error}; --model {args.model} takes numbers, while --model detector "
                         "and 'aekit impute' read text of few values as categories") from None
    if args.validation_file:  # its columns matched to the training file's by name
        model.set_params(validation_data=model_input(
            read_columns(args, args.validation_file), source=args.validation_file,
            expected=getattr(rows, "column_names", None)))
    with id_columns_noted(rows):
        model.fit(rows)
    model.save(args.output)
    if args.model == "detector":
        flagged = model.predict(rows) == -1
        print(f"fitted an anomaly detector (rows scoring below {model.offset_:.5g} are "
              f"anomalies; {flagged.sum()} of {len(flagged)} training rows); saved "
              f"{args.output}: apply it with "
              f"'aekit detect DATA --model {args.output}'")
        return
    if is_main_rank():  # under torchrun: rank 0 alone saves and reports
        epochs = f"{model.n_epochs_} epoch" + ("" if model.n_epochs_ == 1 else "s")
        kept = _kept(model.n_epochs_, getattr(model, "best_epoch_", model.n_epochs_),
                     model.history_)
        print(f"trained {args.model} for {epochs}{kept}; saved {args.output}")


def _kept(epochs: int, kept: int, history: dict) -> str:
    """The losses of the epoch whose weights were kept (early stopping may have restored an
    earlier one than the last), as fit's message and ``info`` say them."""
    if kept == 0:
        return " (no epoch improved on the weights it started from: those were kept)"
    shown = ", ".join(f"{k} {v[kept - 1]:.5g}" for k, v in history.items()
                      if k != "lr" and len(v) >= kept)
    return f" ({shown})" if kept == epochs else \
        f", keeping the weights of epoch {kept}, its best ({shown})"


def _trained(fitted: dict) -> str:
    """``info``'s line on training: the epochs run and the losses of the weights kept."""
    epochs, history = fitted.get("n_epochs_"), fitted.get("history_", {})
    kept = fitted.get("best_epoch_", epochs)
    if not isinstance(epochs, int) or not isinstance(kept, int) or not history:
        return f"{epochs} epochs"
    return f"{epochs} epochs{_kept(epochs, kept, history)}"


# ----------------------------------------------------------------- encode, reconstruct, score
def add_apply(commands, name: str, help_text: str, handler, stream: bool = False) -> None:
    p = commands.add_parser(name, help=help_text, description=help_text[0].upper() + help_text[1:])
    add_model_argument(p)
    p.add_argument("data", metavar="DATA", help=DATA_HELP)
    p.add_argument("-o", "--output", required=True, metavar="OUT", help=OUTPUT_HELP)
    p.add_argument("--device", default=None, help=DEVICE_HELP)
    add_column_options(p)
    if stream:
        add_stream_options(p)
    p.set_defaults(handler=handler)


def _encode(args) -> None:
    from aekit.io import write_table

    check_data_path(args.output, "-o", (args.data, args.model))  # its type too, before work

    if args.stream:
        from aekit.cli_stream import stream_encode

        return stream_encode(args)
    model = load_model_for(args, "encode")
    rows, index = read_rows(args, model)
    codes = model.transform(rows)
    write_table(args.output, codes, [f"z{i}" for i in range(codes.shape[1])], **index)
    print(f"wrote {codes.shape[0]} codes of size {codes.shape[1]} to {args.output}")


def _reconstruct(args) -> None:
    from aekit.io import write_table

    check_data_path(args.output, "-o", (args.data, args.model))  # its type too, before work

    model = load_model_for(args, "reconstruct")
    rows, index = read_rows(args, model)
    X_hat = model.reconstruct(rows)
    write_table(args.output, X_hat, getattr(rows, "column_names", None), **index)
    print(f"wrote {len(X_hat)} reconstructed rows to {args.output}")


def _score(args) -> None:
    from aekit.io import write_table

    check_data_path(args.output, "-o", (args.data, args.model))  # its type too, before work

    if args.stream:
        from aekit.cli_stream import stream_score

        return stream_score(args)
    model = load_model_for(args, "score", detectors=True)
    rows, index = read_rows(args, model)
    scores = model.score_samples(rows)
    write_table(args.output, scores, ["score"], **index)
    print(f"wrote {len(scores)} scores to {args.output} (mean {scores.mean():.5g}; "
          "higher = more normal)")


# ----------------------------------------------------------------- info
def add_info(commands) -> None:
    p = commands.add_parser("info", help="describe a saved model or compressed stream",
                            description="Describe a saved model (reads its header only), a "
                            "training checkpoint, or a stream written by 'aekit compress'.")
    p.add_argument("model", metavar="MODEL")
    p.add_argument("--json", action="store_true", help="print JSON")
    p.set_defaults(handler=_info)


def _info(args) -> None:
    from math import prod

    from aekit.io.model_file import read_model_header

    try:
        config, shapes = read_model_header(args.model)
    except ValueError:  # not a model: a stream, perhaps (checked only now: its module is heavy)
        if not _is_stream(args.model):
            raise
        _stream_info(args)
        return
    if config.get("kind") == "checkpoint":
        _checkpoint_info(config, args)
        return
    n_weights = sum(prod(shape) for name, shape in shapes.items()
                    if name.startswith("module.") or ".module." in name)
    if args.json:
        print(json.dumps(dict(config, n_parameters=n_weights), indent=2))
        return
    print(f"model:       {config['model']} ({args.model})")
    print(f"weights:     {n_weights:,}")
    _describe(config)
    print("versions:    " + ", ".join(f"{k} {v}" for k, v in config["versions"].items()))


def _is_stream(path: str) -> bool:
    """Whether ``path`` starts as a compressed stream does (a model's file does not)."""
    from aekit.apps._stream import MAGIC

    try:
        with open(path, "rb") as handle:
            return handle.read(len(MAGIC)) == MAGIC
    except OSError:
        return False  # read_model_header says what is wrong


def _stream_info(args) -> None:
    """A compressed stream's header: what it holds and which model decodes it."""
    from pathlib import Path

    from aekit.apps._stream import FLAG_MODEL_TABLES, unpack

    data = Path(args.model).read_bytes()
    try:  # checks the magic, the version and the checksum
        header, _ = unpack(data)
    except ValueError as error:
        raise ValueError(f"{args.model}: {error}") from None
    tables = "the model's own" if header.flags & FLAG_MODEL_TABLES else "in the stream"
    facts = {"kind": "stream", "rows": header.n_rows, "code_size": header.latent_dim,
             "step": header.step, "coding_tables": tables, "bytes": len(data),
             "model_fingerprint": header.fingerprint.hex()}
    if args.json:
        print(json.dumps(facts, indent=2))
        return
    print(f"stream:      {args.model} (written by 'aekit compress', {len(data):,} bytes)")
    print(f"rows:        {header.n_rows:,}, codes of size {header.latent_dim}, step "
          f"{header.step:.6g}")
    print(f"tables:      {tables}")
    print(f"decodes with the model of fingerprint {header.fingerprint.hex()} "
          "('aekit decompress MODEL STREAM -o OUT')")


def _checkpoint_info(config: dict, args) -> None:
    """A training checkpoint holds a run in progress, not a model: say what it is and how to
    go on from it."""
    settings = config.get("fingerprint", {})
    if args.json:
        print(json.dumps({"kind": "checkpoint", "epochs_done": config.get("epoch"),
                          "settings": settings}, indent=2))
        return
    print(f"checkpoint:  {args.model} (a training run in progress, not a model)")
    print(f"epochs done: {config.get('epoch')}")
    shown = ", ".join(f"{k}={v!r}" for k, v in sorted(settings.items()) if k != "data")
    print(f"settings:    {shown}")
    print("resume it:   fit again with the same data, settings and --checkpoint-dir, adding "
          "--resume")


def _describe(config: dict, indent: str = "") -> None:
    """The fitted settings and parameters of a model's config, then those of a model inside."""
    fitted = config.get("fitted", {})
    if "latent_dim_" in fitted:
        shape = list(fitted.get("input_shape_") or ())
        squeezed = fitted.get("squeeze_axis_")
        if isinstance(squeezed, int) and 0 < squeezed <= len(shape):  # the axis X comes without
            del shape[squeezed - 1]
        rows = (f"rows of shape {tuple(shape)}" if len(shape) > 1
                else f"{fitted.get('n_features_in_')} features")
        print(f"{indent}input:       {rows} -> code {fitted['latent_dim_']}")
        print(f"{indent}settings:    loss={fitted.get('loss_')}, "
              f"output={fitted.get('output_activation_')}, scaling={fitted.get('scaling_')}")
        print(f"{indent}trained:     {_trained(fitted)}")
    else:
        shown = {k: v for k, v in fitted.items() if isinstance(v, (int, float, str))}
        print(f"{indent}fitted:      " + ", ".join(
            f"{k}={v:.5g}" if isinstance(v, float) else f"{k}={v}" for k, v in shown.items()))
        if not indent and isinstance(shown.get("threshold_"), float):  # a trial: one cut, on
            # two scales (a series detector's inner one cuts windows, not the scores written)
            print(f"{indent}threshold:   flagged where the anomaly score is above "
                  f"{shown['threshold_']:.5g}, that is, where the score written (higher = "
                  f"more normal, as score_samples) is below {-shown['threshold_']:.5g}")
    names = fitted.get("feature_names_in_")
    if isinstance(names, list) and names:
        shown = ", ".join(map(str, names[:20])) + (f", ... ({len(names)} in all)"
                                                   if len(names) > 20 else "")
        print(f"{indent}columns:     {shown}")
    categories = _categories(fitted.get("columns_"))
    if categories:
        print(f"{indent}categories:  {categories}")
    params = ", ".join(f"{k}={v!r}" for k, v in sorted(config.get("params", {}).items()))
    print(f"{indent}parameters:  {params}")
    if isinstance(config.get("inner"), dict):
        print(f"{indent}inner model: {config['inner'].get('model')}")
        _describe(config["inner"], indent + "  ")


def _categories(specs) -> str:
    """``city (Lyon, Nice, Paris), member (no, yes)``: the category columns of a saved
    imputer's or detector's ``columns_``, their first five values each."""
    if not isinstance(specs, list):
        return ""
    shown = []
    for spec in specs:
        values = spec.get("categories") if isinstance(spec, dict) else None
        if isinstance(values, list) and spec.get("kind") == "category":
            more = f", ... {len(values)} in all" if len(values) > 5 else ""
            shown.append(f"{spec.get('name')} ({', '.join(map(str, values[:5]))}{more})")
    return ", ".join(shown)


# ----------------------------------------------------------------- demo
def add_demo(commands) -> None:
    p = commands.add_parser("demo", help="train on built-in digits and write a report",
                            description="Train an autoencoder on scikit-learn's digits, "
                            "compare it with PCA and write a report (no data needed).")
    p.add_argument("-o", "--output", default="aekit-demo", metavar="DIR",
                   help="report folder (default: aekit-demo)")
    p.add_argument("--epochs", type=int, default=100, help="training epochs (default: 100)")
    p.add_argument("--latent-dim", type=int, default=8, help="code size (default: 8)")
    p.add_argument("--random-state", type=int, default=0, help="seed (default: 0)")
    p.add_argument("--quiet", action="store_true", help="no progress bar")
    p.set_defaults(handler=_demo)


def _demo(args) -> None:
    from aekit.apps import run_demo

    result = run_demo(args.output, latent_dim=args.latent_dim, epochs=args.epochs,
                      random_state=args.random_state,
                      verbose=0 if args.quiet or not sys.stderr.isatty() else 1)  # no bars in pipes
    verdict = "better" if result.mse_ratio < 1 else "worse"
    print(f"\nDigits (8x8, scaled to [0, 1]): {result.n_train} train / {result.n_test} test rows, "
          f"code size {result.latent_dim}, {result.epochs_run} epochs in {result.seconds:.1f} s")
    which = "the last" if result.kept_epoch == result.epochs_run else "the best"
    print(f"  kept epoch {result.kept_epoch} ({which}): train loss {result.final_loss:.4f}, "
          f"validation loss {result.final_val_loss:.4f} (binary cross-entropy)")
    print(f"  test reconstruction MSE: autoencoder {result.test_mse_autoencoder:.5f}, "
          f"PCA({result.latent_dim}) {result.test_mse_pca:.5f} -> the autoencoder is "
          f"{verdict} ({result.mse_ratio:.2f}x PCA's error)")
    print(f"  report: {result.output_dir}/loss.png, reconstructions.png, summary.json, "
          "model.safetensors")


# ----------------------------------------------------------------- main
def _one_line_warning(args):
    """``warnings.showwarning`` for the command line: one line, in the command's terms, and
    said once however many steps of the command (fit, then each scoring) raise it."""
    said = set()

    def show(message, category, filename, lineno, file=None, line=None) -> None:
        text = _in_cli_terms(str(message), args)
        if text not in said:
            said.add(text)
            print(f"aekit: warning: {text}", file=sys.stderr)
    return show


def _check_inputs_exist(args) -> None:
    """The data and model files the command names exist (a folder of Parquet files counts)."""
    model = getattr(args, "model", None)
    named = [("model file", model)] if isinstance(model, str) and model.endswith(
        ".safetensors") else []
    named += [("data file", getattr(args, "data", None)),
              ("validation file", getattr(args, "validation_file", None)),
              ("--refit-threshold file", getattr(args, "refit_threshold", None))]
    for kind, path in named:
        if path == "-":  # (-o - writes to standard output; nothing reads standard input)
            raise CLIError(f"{kind} -: aekit does not read standard input: save the rows to a "
                           "file and name it")
        if isinstance(path, str) and not os.path.exists(path):
            raise CLIError(f"{kind} {path} does not exist")


def _in_cli_terms(message: str, args) -> str:
    """An estimator's message as the command line says it: the rows it calls ``X`` are the
    DATA file's."""
    data = getattr(args, "data", None)
    if isinstance(data, str) and message.startswith("Expected 2D array, got 1D array"):
        return (f"{data} holds a 1-D array, and a table has rows and columns: save it as "
                "x.reshape(-1, 1) for one feature (a time series: aekit detect --series)")
    if isinstance(data, str) and message.startswith("X "):
        return f"{data} {message[2:]}"
    return message


def _command_parser(parser: argparse.ArgumentParser, command: str) -> argparse.ArgumentParser:
    commands = next(action for action in parser._actions
                    if isinstance(action, argparse._SubParsersAction))
    return commands.choices[command]


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args, unknown = parser.parse_known_args(argv)
    if unknown:  # answered by the command's own parser, whose --help lists its options
        _command_parser(parser, args.command).error(
            f"unrecognized arguments: {' '.join(unknown)}")
    with warnings.catch_warnings():  # the caller's warning settings come back after the run
        warnings.showwarning = _one_line_warning(args)
        return _run(args)


def _run(args) -> int:
    """The command, its errors as one line and an exit status."""
    try:
        with terminate_as_interrupt():
            _check_inputs_exist(args)  # before any handler imports PyTorch (seconds)
            with other_ranks_quiet(), rank_zero_writes(args), output_to_stdout(args), \
                    csv_dialect_of(args):
                args.handler(args)
    except KeyboardInterrupt:
        print(f"aekit: interrupted{resume_hint(args)}", file=sys.stderr)
        return 130
    except Terminated:
        print(f"aekit: terminated{resume_hint(args)}", file=sys.stderr)
        return 143  # 128 + SIGTERM, as a shell reports it
    except MemoryError as error:
        return out_of_memory(str(error), args)
    except RuntimeError as error:  # PyTorch's allocators say so in a RuntimeError
        if OUT_OF_MEMORY.search(str(error)):
            return out_of_memory(str(error), args)
        lost = distributed_failure(error, args)  # a peer of a torchrun run stopped
        if lost is None:
            raise
        print(lost, file=sys.stderr)
        return 1
    except BrokenPipeError:  # the reader left (``aekit info M | head``): nothing to report
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())  # as Python's docs do
        return 1
    except (ValueError, TypeError, OSError, CLIError) as error:
        message = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
        print(f"aekit: error: {_in_cli_terms(message, args)}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
