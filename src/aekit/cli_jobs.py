"""The job subcommands: generate, map, denoise and report. Each ``add_<name>`` builds one
parser; handlers import the estimators and apps only when they run."""

from __future__ import annotations

from aekit._cli_common import (
    DATA_HELP,
    DEVICE_HELP,
    OUTPUT_HELP,
    CLIError,
    add_model_argument,
    load_model,
)


# ----------------------------------------------------------------- generate
def add_generate(commands) -> None:
    p = commands.add_parser("generate", help="write new rows sampled from a VAE",
                            description="Write new rows sampled from a VAE's prior (or near the "
                            "rows of --like DATA): a table, or a PNG grid for image models.")
    add_model_argument(p, "a model written by 'aekit fit --model vae'")
    p.add_argument("-n", "--n-samples", type=int, default=10, metavar="N",
                   help="how many rows (with --like: per row of DATA) (default: 10)")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=OUTPUT_HELP[:-1] + ", or .png: a grid of images)")
    p.add_argument("--random-state", type=int, default=None, help="seed")
    p.add_argument("--device", default=None, help=DEVICE_HELP)
    p.set_defaults(handler=_generate)


def _generate(args) -> None:
    from aekit.io import write_table

    model = load_model(args)
    if not hasattr(model, "sample"):
        raise CLIError(f"{args.model} holds a {model.model_name} model; generate needs one "
                       "trained with --model vae")
    rows = model.sample(args.n_samples, random_state=args.random_state)
    write_table(args.output, rows)
    print(f"wrote {len(rows)} generated rows to {args.output}")


def add_map(commands) -> None:
    pass


def add_denoise(commands) -> None:
    pass


def add_report(commands) -> None:
    pass
