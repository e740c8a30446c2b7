"""``aekit impute DATA -o OUT``: fill the missing cells of a table (registered by ``cli.py``)."""

from __future__ import annotations

from aekit._cli_common import OUTPUT_HELP, add_column_options
from aekit.io.formats import FORMATS_HELP


def add_impute(commands) -> None:
    """The ``impute`` subcommand's parser."""
    p = commands.add_parser(
        "impute", help="fill the missing cells of DATA with an autoencoder",
        description="Train an AutoencoderImputer on DATA (empty or NaN cells are missing) and "
                    "write DATA with every missing cell filled; observed cells are copied "
                    "unchanged, and the columns come out in the same order. --columns and "
                    "--drop choose the columns to fill (the others are left out of OUT); a "
                    "--time (or id) column is copied out beside them.")
    p.add_argument("data", metavar="DATA",
                   help=f"data file ({FORMATS_HELP}); empty or NaN cells are missing")
    p.add_argument("-o", "--output", required=True, metavar="OUT",
                   help=OUTPUT_HELP)
    add_column_options(p)
    p.add_argument("--model", metavar="MODEL",
                   help="fill with this saved imputer instead of training one")
    p.add_argument("--save-model", metavar="MODEL", help="also save the trained imputer here")
    p.add_argument("--epochs", type=int, default=None,
                   help="training passes (default: enough for about 2000 gradient steps)")
    p.add_argument("--random-state", type=int, default=None, help="seed")
    p.add_argument("--device", default="auto", help="auto, cpu, cuda or cuda:N (default: auto)")
    p.set_defaults(handler=run_impute)


def run_impute(args) -> None:
    import numpy as np

    from aekit import AutoencoderImputer, load
    from aekit._cli_common import check_data_path, check_model_path, read_columns
    from aekit.io import write_table
    from aekit.io.formats import format_of
    from aekit.io.tables import write_frame

    check_data_path(args.output, "-o", (args.data, args.model))
    check_model_path(args.save_model, "--save-model", (args.data,))
    table = read_columns(args, args.data)  # --columns, --drop; --time copied out beside
    X, columns = table.X, table.columns
    shape = X.shape
    if X.ndim != 2:
        X = X.reshape(len(X), -1) if X.ndim > 2 else X.reshape(-1, 1)
    if args.model:
        imputer = load(args.model)
        if not isinstance(imputer, AutoencoderImputer):
            raise ValueError(f"{args.model} holds an aekit {imputer.model_name} model, not an "
                             "imputer")
    else:
        imputer = AutoencoderImputer(epochs=args.epochs, random_state=args.random_state,
                                     device=args.device).fit(_named(X, columns, table.types))
    filled = _fill_by_name(imputer, X, columns, table.types, args.data)
    if hasattr(filled, "columns") and format_of(args.output) in (".csv", ".parquet"):
        write_frame(args.output, filled, table.index, table.index_name)  # types as read
    else:
        write_table(args.output, np.asarray(filled, dtype=np.float64).reshape(shape), columns,
                    index=table.index, index_name=table.index_name)
    if args.save_model:
        imputer.save(args.save_model)
    n_missing = int(np.isnan(X).sum())
    print(f"filled {n_missing} missing cells of {X.shape[0]} rows x {X.shape[1]} columns; "
          f"wrote {args.output}" + (f" and {args.save_model}" if args.save_model else ""))


# pandas' nullable types, so that the imputer rounds a column's fills as its values are
_PANDAS_TYPES = {"bool": "boolean", "int": "Int64", "float": "float64"}


def _named(X, columns, types=None):
    """``X`` as a DataFrame with the file's column names (so the imputer keeps them), each
    column in the type the file gave it (integers and booleans filled as such), or as it is
    for a file without names."""
    if columns is None:
        return X
    import pandas as pd

    types = types or ["float"] * len(columns)
    return pd.DataFrame({str(name): pd.Series(X[:, i]).astype(_PANDAS_TYPES[kind])
                         for i, (name, kind) in enumerate(zip(columns, types))})


def _fill_by_name(imputer, X, columns, types, path: str):
    """``X`` filled, its columns matched to the imputer's by name (a DataFrame in the file's
    column order and types); by position (an array) where the file or the imputer has no
    names."""
    import numpy as np

    from aekit._cli_common import in_order, note_by_position

    expected = getattr(imputer, "feature_names_in_", None)
    if columns is None or expected is None:
        if columns is not None:
            note_by_position(path, "imputer")
        return np.asarray(imputer.transform(X))
    ordered, names = in_order(X, columns, expected, path)
    filled = imputer.transform(_named(ordered, names, _types_for(imputer, columns, types, names)))
    return filled[[str(name) for name in columns]]  # the file's column order


def _types_for(imputer, columns, types, names) -> list[str] | None:
    """The file's column types, in the imputer's order ``names``; a column the imputer took as
    real numbers in training (a model saved before types were kept) is given as such."""
    if types is None:
        return None
    by_name = dict(zip(map(str, columns), types))
    trained = {spec.name: spec.kind for spec in getattr(imputer, "columns_", None) or []}
    return [by_name[name] if trained.get(name, "integer") == "integer" else "float"
            for name in names]
