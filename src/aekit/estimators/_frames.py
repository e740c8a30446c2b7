"""A table in, a table out: the methods that return one value per cell of their input
(``reconstruct``, ``inverse_transform``, ``impute``, ``score_features``) give a pandas DataFrame
with the input's index and column names when given one, as ``AutoencoderImputer.transform`` does;
anything else comes back as the array it is. (``transform`` follows scikit-learn's
``set_output`` instead.)"""

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
