"""A table in, a table out: the methods that return one value per cell of their input
(``reconstruct``, ``inverse_transform``, ``impute``, ``score_features``) give a pandas DataFrame
with the input's index and column names when given one, as ``AutoencoderImputer.transform`` does;
anything else comes back as the array it is. (``transform`` follows scikit-learn's
``set_output`` instead; generated rows follow either.)"""

from __future__ import annotations

import sys

import numpy as np


def is_frame(X) -> bool:
    """Whether ``X`` is a pandas DataFrame, a subclass too (told without importing pandas:
    without it loaded, nothing is one)."""
    pandas = sys.modules.get("pandas")
    return pandas is not None and isinstance(X, pandas.DataFrame)


def like_frame(values: np.ndarray, source, columns=None):
    """``values`` (2-D, a row per row of ``source``) as a DataFrame with ``source``'s index and
    its column names, or ``columns``, when ``source`` is a DataFrame; else ``values``."""
    if not is_frame(source) or np.ndim(values) != 2:
        return values
    import pandas as pd

    return pd.DataFrame(values, index=source.index,
                        columns=source.columns if columns is None else columns)


def feature_names(estimator, n_features: int) -> list[str]:
    """The estimator's input column names, or ``x0``, ``x1``, ... as scikit-learn names
    unnamed ones."""
    names = getattr(estimator, "feature_names_in_", None)
    return [str(n) for n in names] if names is not None else [f"x{i}" for i in range(n_features)]


def generated_frame(estimator, rows: np.ndarray, given=None, index=None):
    """New rows (generated, not one per input row) as a DataFrame of the training columns
    (with ``index``), when the rows they came from, ``given``, are a DataFrame, or when
    ``set_output(transform="pandas")`` (the estimator's, or scikit-learn's global one) asks
    for pandas; else the array. In a DataFrame, a column of whole numbers in training and in
    ``rows`` (a count, rounded) is of integers."""
    if np.ndim(rows) != 2 or not (is_frame(given) or _pandas_output(estimator)):
        return rows
    import pandas as pd

    frame = pd.DataFrame(rows, index=index, columns=feature_names(estimator, rows.shape[1]))
    whole = getattr(estimator, "whole_columns", lambda: None)()
    if whole is not None and len(whole) == rows.shape[1]:
        counts = [name for j, name in enumerate(frame.columns) if whole[j]
                  and np.isfinite(rows[:, j]).all() and (rows[:, j] == np.rint(rows[:, j])).all()]
        frame = frame.astype(dict.fromkeys(counts, "int64"))
    return frame


def _pandas_output(estimator) -> bool:
    from sklearn import get_config

    chosen = getattr(estimator, "_sklearn_output_config", {}).get("transform", "default")
    return (get_config()["transform_output"] if chosen == "default" else chosen) == "pandas"
