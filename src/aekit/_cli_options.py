"""Command-line options generated from the estimators' own ``__init__`` signatures and
docstrings, so the CLI, ``get_params`` and model files share one source of truth."""

from __future__ import annotations

import argparse
import inspect
import re

# Parameters that take data or Python objects: the CLI offers its own options for them.
NOT_OPTIONS = {"validation_data", "callbacks"}
# Where the command line's default differs from the estimator's.
DEFAULT_HELP = {"verbose": "1 when stderr is a terminal, else 0; never saved in the model"}
# Shorter spellings offered beside the generated --param-name.
ALIASES = {"checkpoint_dir": ["--checkpoint"]}


def _param_docs(cls) -> dict[str, str]:
    """First sentence of each parameter's numpydoc description."""
    doc = inspect.getdoc(cls) or ""
    match = re.search(r"Parameters\n-+\n(.*?)(?:\n\n[A-Z][a-z]+\n-+\n|\Z)", doc, re.DOTALL)
    docs: dict[str, str] = {}
    if not match:
        return docs
    name = None
    for line in match.group(1).splitlines():
        header = re.match(r"^(\w+) : ", line)
        if header:
            name = header.group(1)
            docs[name] = ""
        elif name and line.startswith("    "):
            docs[name] = (docs[name] + " " + line.strip()).strip()
    return docs


def _none_or(parse):
    def parser(text: str):
        return None if text.lower() == "none" else parse(text)

    parser.__name__ = getattr(parse, "__name__", "value")
    return parser


def int_tuple(text: str) -> tuple[int, ...]:
    """``"512,256"`` -> ``(512, 256)``; ``""``, ``"()"`` or ``"none"`` -> ``()``."""
    cleaned = text.strip().strip("()[]")
    if cleaned.lower() == "none":
        return ()
    try:
        return tuple(int(part) for part in cleaned.split(",") if part.strip())
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected comma-separated integers such as 512,256, got {text!r}") from None


def int_or_auto(text: str) -> int | str:
    """``"auto"`` or an integer."""
    if text.strip().lower() == "auto":
        return "auto"
    try:
        return int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"expected an integer or auto, got {text!r}") from None


def _auto_tuple(text: str) -> tuple[int, ...] | None:
    """``"auto"`` -> None (the automatic network); otherwise as ``int_tuple``."""
    return None if text.strip().lower() == "auto" else int_tuple(text)


def _parser_for(annotation: str):
    """Map an annotation string (``"int | None"``, ``"tuple[int, ...]"``...) to an argparse type."""
    optional = "None" in annotation
    base = annotation.replace("| None", "").strip()
    if base.startswith("tuple"):
        return _auto_tuple if optional else int_tuple
    if base == "int | str":
        return int_or_auto
    parse = {"int": int, "float": float, "str": str}.get(base, str)
    return _none_or(parse) if optional else parse


def add_estimator_options(parser: argparse.ArgumentParser, classes) -> dict[str, set[str]]:
    """Add ``--param-name`` for every parameter of ``classes``; returns param -> model names."""
    owners: dict[str, set[str]] = {}
    group = parser.add_argument_group("model parameters (see the estimator's docstring)")
    for cls in classes:
        docs = _param_docs(cls)
        for name, param in inspect.signature(cls.__init__).parameters.items():
            if name == "self" or name in NOT_OPTIONS:
                continue
            if name in owners:
                owners[name].add(cls.model_name)
                continue
            owners[name] = {cls.model_name}
            flags = ["--" + name.replace("_", "-"), *ALIASES.get(name, [])]
            annotation = str(param.annotation)
            default = DEFAULT_HELP.get(name, repr(param.default))
            help_text = f"{docs.get(name, '')} (default: {default})"
            if annotation == "bool":
                group.add_argument(*flags, dest=name, action=argparse.BooleanOptionalAction,
                                   default=argparse.SUPPRESS, help=help_text)
            else:
                group.add_argument(*flags, dest=name, type=_parser_for(annotation),
                                   default=argparse.SUPPRESS, metavar=name.upper(),
                                   help=help_text.replace("%", "%%"))
    every = {cls.model_name for cls in classes}
    for action in group._group_actions:  # name the models an option is limited to
        if owners[action.dest] != every:
            action.help = f"[{', '.join(sorted(owners[action.dest]))}] {action.help}"
    return owners


def estimator_params(args: argparse.Namespace, owners: dict[str, set[str]],
                     model: str) -> dict:
    """The estimator parameters given on the command line; refuse ones the model lacks."""
    params = {name: getattr(args, name) for name in owners if hasattr(args, name)}
    foreign = [name for name in params if model not in owners[name]]
    if foreign:
        flags = ", ".join("--" + n.replace("_", "-") for n in foreign)
        raise ValueError(f"{flags} does not apply to --model {model}")
    return params
