"""``aekit fit``'s model options, from a table generated out of the estimators themselves.

The table (``_cli_table.py``) holds each parameter's name, annotation, default, allowed values,
help (its ``Param`` description) and the models that take it. The CLI reads the
table, so ``aekit --help`` answers without importing PyTorch; ``build_table`` regenerates it from
the estimators' signatures, docstrings and registries, and a test asserts the two are equal, so
the table cannot drift. After changing an estimator's parameters run::

    PYTHONPATH=src python -m aekit._cli_options   # rewrites src/aekit/_cli_table.py
"""

from __future__ import annotations

import argparse

# Parameters that take data or Python objects: the CLI offers its own options for them.
NOT_OPTIONS = {"validation_data", "callbacks", "model"}
# Where the command line's default differs from the estimator's.
DEFAULT_HELP = {"verbose": "1 when stderr is a terminal, else 0; never saved in the model"}
# Shorter spellings offered beside the generated --param-name.
ALIASES = {"checkpoint_dir": ["--checkpoint"]}


# ----------------------------------------------------------------- parsing values
def _none_or(parse):
    def parser(text: str):
        return None if text.lower() == "none" else parse(text)

    parser.__name__ = getattr(parse, "__name__", "value")
    return parser


def int_tuple(text: str) -> tuple[int, ...]:
    """``"512,256"`` -> ``(512, 256)``; ``""`` or ``"()"`` -> ``()``."""
    cleaned = text.strip().strip("()[]")
    if not cleaned.strip():
        return ()
    try:  # every part a number: "64,,32" is a slip, not (64, 32)
        return tuple(int(part) for part in cleaned.split(","))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 512,256, got {text!r}") from None


def _or_auto(parse, what: str):
    """A parser of ``"auto"`` or a value that ``parse`` reads (``what`` names it in errors)."""
    def parser(text: str):
        if text.strip().lower() == "auto":
            return "auto"
        try:
            return parse(text)
        except ValueError:
            raise argparse.ArgumentTypeError(f"expected {what} or auto, got {text!r}") from None

    parser.__name__ = f"{parse.__name__}_or_auto"
    return parser


int_or_auto = _or_auto(int, "an integer")
float_or_auto = _or_auto(float, "a number")


def _auto_tuple(text: str) -> tuple[int, ...] | None:
    """``"auto"`` or ``"none"`` -> None (the automatic network, as the help's None says, and
    as ``--latent-dim none`` is the default; a trial got no hidden layer from it); otherwise as
    ``int_tuple`` (``()`` for none)."""
    return None if text.strip().lower() in ("auto", "none") else int_tuple(text)


def _parser_for(annotation: str):
    """Map an annotation string (``"int | None"``, ``"tuple[int, ...]"``...) to an argparse type."""
    optional = "None" in annotation
    base = annotation.replace("| None", "").strip()
    if base.startswith("tuple"):
        return _auto_tuple if optional else int_tuple
    if base == "int | str":
        return int_or_auto
    if base == "float | str":
        return float_or_auto
    parse = {"int": int, "float": float, "str": str}.get(base, str)
    return _none_or(parse) if optional else parse


# ----------------------------------------------------------------- building the parser
def model_help() -> str:
    from aekit._cli_table import MODELS

    return ("which autoencoder: " + ", ".join(f"{name} ({cls})" for name, cls in MODELS.items())
            + " (default: autoencoder); --architecture conv/lstm/gru works with each but "
            "detector")


def model_names() -> list[str]:
    from aekit._cli_table import MODELS

    return sorted(MODELS)


def add_estimator_options(parser: argparse.ArgumentParser) -> dict[str, set[str]]:
    """Add ``--param-name`` for every estimator parameter; returns param -> model names."""
    from aekit._cli_table import MODELS, OPTIONS

    group = parser.add_argument_group("model parameters (see the estimator's docstring)")
    owners: dict[str, set[str]] = {}
    for option in OPTIONS:
        name, annotation = option["name"], option["annotation"]
        owners[name] = set(option["models"])
        flags = ["--" + name.replace("_", "-"), *ALIASES.get(name, [])]
        help_text = _help(option, every=len(owners[name]) == len(MODELS))
        if annotation == "bool":
            group.add_argument(*flags, dest=name, action=argparse.BooleanOptionalAction,
                               default=argparse.SUPPRESS, help=help_text)
            continue
        choices, metavar = option["choices"] or None, name.upper()
        if choices:
            metavar = "{" + ",".join(choices) + "}"
            choices = [*choices, None] if "None" in annotation else choices
        group.add_argument(*flags, dest=name, type=_parser_for(annotation), choices=choices,
                           default=argparse.SUPPRESS, metavar=metavar, help=help_text)
    return owners


def _help(option: dict, every: bool) -> str:
    default = DEFAULT_HELP.get(option["name"], repr(option["default"]))
    defaults = f"default: {default}" + "".join(
        f"; {model}: {value!r}" for model, value in option["model_defaults"].items())
    text = f"{option['help']} ({defaults})"
    if not every:  # name the models an option is limited to
        text = f"[{', '.join(option['models'])}] {text}"
    return text.replace("%", "%%")


def estimator_params(args: argparse.Namespace, owners: dict[str, set[str]],
                     model: str) -> dict:
    """The estimator parameters given on the command line; refuse ones the model lacks."""
    params = {name: getattr(args, name) for name in owners if hasattr(args, name)}
    foreign = [name for name in params if model not in owners[name]]
    if foreign:
        flags = ", ".join("--" + n.replace("_", "-") for n in foreign)
        verb = "does" if len(foreign) == 1 else "do"
        raise ValueError(f"{flags} {verb} not apply to --model {model}")
    return params


# ----------------------------------------------------------------- generating the table
def _choices() -> dict[str, tuple[str, ...]]:
    """The registries that bound each choice parameter (what ``fit`` validates against)."""
    from aekit.estimators._architectures import ARCHITECTURES
    from aekit.estimators._scaling import SCALINGS
    from aekit.nn import ACTIVATIONS, LOSSES, NOISES, SPARSITIES
    from aekit.train.optim import OPTIMIZERS
    from aekit.train.step import PRECISIONS, STEP_MODES

    return {"architecture": tuple(ARCHITECTURES), "activation": tuple(ACTIVATIONS),
            "latent_activation": tuple(ACTIVATIONS),
            "output_activation": ("auto", *ACTIVATIONS), "loss": ("auto", *LOSSES),
            "optimizer": tuple(OPTIMIZERS), "scaling": tuple(SCALINGS),
            "compile": tuple(STEP_MODES), "precision": tuple(PRECISIONS),
            "sparsity": tuple(SPARSITIES), "noise": tuple(NOISES)}


def _param_docs(cls) -> dict[str, str]:
    """Each parameter's description, from the model's structured ``param_docs``."""
    return {name: param.text for name, param in cls.param_docs.items()}


def fit_models() -> dict[str, type]:
    """What ``aekit fit --model`` trains: every estimator, and the anomaly detector."""
    from aekit.apps.anomaly import AnomalyDetector
    from aekit.estimators import ESTIMATORS

    return {**ESTIMATORS, "detector": AnomalyDetector}


def build_table() -> tuple[dict[str, str], list[dict]]:
    """``(MODELS, OPTIONS)`` read from the models ``aekit fit`` trains (imports PyTorch)."""
    import inspect

    choices = _choices()
    options: dict[str, dict] = {}
    models = fit_models()
    for model, cls in models.items():
        docs = _param_docs(cls)
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if name == "self" or name in NOT_OPTIONS:
                continue
            default = list(param.default) if isinstance(param.default, tuple) else param.default
            if name in options:
                option = options[name]
                option["models"].append(model)
                if default != option["default"]:
                    option["model_defaults"][model] = default
                continue
            options[name] = {"name": name, "annotation": str(param.annotation),
                             "default": default, "choices": list(choices.get(name, ())),
                             "help": docs.get(name, ""), "models": [model],
                             "model_defaults": {}}
    for option in options.values():
        option["models"].sort()
    return {name: cls.__name__ for name, cls in models.items()}, list(options.values())


def write_table() -> None:
    """Rewrite ``_cli_table.py`` from the estimators."""
    import pprint
    from pathlib import Path

    models, options = build_table()
    path = Path(__file__).with_name("_cli_table.py")
    path.write_text(
        '"""Generated by ``python -m aekit._cli_options`` from the estimators: do not edit."""\n\n'
        f"MODELS = {pprint.pformat(models, sort_dicts=False)}\n\n"
        f"OPTIONS = {pprint.pformat(options, sort_dicts=False, width=100)}\n")


if __name__ == "__main__":
    write_table()
