"""Fill missing values with an autoencoder: ``AutoencoderImputer``."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.base import BaseEstimator, OneToOneFeatureMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit.apps import _table_codec as codec
from aekit.estimators._frames import is_frame
from aekit.estimators._params import store_params
from aekit.estimators._torch import draw_seed
from aekit.estimators._validation import check_float, check_float32_resolves, check_int
from aekit.estimators.masked import MaskedAutoencoder
from aekit.estimators.persistence import (
    nest_state,
    register_model,
    save_model,
    saved_params,
)

TRAINING_STEPS = 2000  # gradient steps of the automatic epoch count
MAX_EPOCHS = 1000
RESIDUAL_SHARE = 0.2  # share of observed cells hidden to measure the fill's error


@register_model
class AutoencoderImputer(OneToOneFeatureMixin, TransformerMixin, BaseEstimator):
    """Fill missing values (NaN) with a masked denoising autoencoder.

    The network (``aekit.MaskedAutoencoder``) reads each row's observed cells beside the mask
    of which are observed, and learns to predict cells it hides from itself at random; missing
    cells never enter its loss. On tables of at most 64 columns it starts from a multivariate
    normal model fitted by EM (``gaussian``): missing cells enter as their conditional means
    given the observed ones, the network learns the correction, and the fill is the mean of
    the two predictions. The normal model follows linear relations beyond the range seen in
    training (as when the largest values are the missing ones); the network adds what is not
    linear. ``transform`` replaces NaN only: every observed value is
    returned unchanged. A pandas DataFrame may mix numeric and categorical (``category``
    dtype, or text: its distinct values are the categories) columns: categories are one-hot
    inside and a category out, integer columns stay integers, and the result is a DataFrame
    with the same columns, order, index and dtypes.

    A row with no observed cell gets the prediction from nothing, close to the column means
    (and the most frequent categories). A column with no observed value, infinite values and
    text columns that are not categorical are refused.

    Parameters
    ----------
    hidden_dims : tuple of int, default=(128,)
        Hidden layer widths of the encoder (the decoder mirrors them).
    latent_dim : int, default=64
        Size of the code.
    hide_rate : float, default=0.25
        Mean share of the observed cells hidden in each training pass (rows draw a share
        uniformly in [0, 2 * hide_rate]).
    dropout : float, default=0.1
        Dropout after each hidden layer.
    gaussian : bool or "auto", default="auto"
        Start from the normal model (see above); auto: for tables of at most 64 columns
        (after one-hot encoding; its cost grows as the columns cubed).
    epochs : int or None, default=None
        Passes over the data. None: enough for about 2000 gradient steps (at most 1000).
    batch_size : int, default=64
        Rows per gradient step.
    learning_rate : float, default=1e-3
        Adam's step size.
    random_state : int, RandomState or None, default=None
        Seed for training and for ``sample``'s default draws.
    device : str, default="auto"
        Where to train: auto (CUDA when available), cpu, cuda or cuda:N.
    verbose : int, default=0
        0: silent; 1: a progress bar per epoch; 2: one line per epoch.

    Attributes
    ----------
    model_ : MaskedAutoencoder
        The trained network's estimator (on the encoded, all-numeric table).
    residual_std_ : ndarray of shape (n_encoded,)
        Error of the fill per encoded column, measured on observed cells hidden after
        training, in the data's units; ``sample`` draws noise of this size.
    n_features_in_ : int
    feature_names_in_ : ndarray of str
        Column names, when fitted on a DataFrame.

    Examples
    --------
    >>> import numpy as np
    >>> from aekit import AutoencoderImputer
    >>> X = np.array([[1.0, 2.0], [np.nan, 4.0], [3.0, np.nan], [4.0, 8.0]] * 20)
    >>> AutoencoderImputer(epochs=5, random_state=0).fit_transform(X).shape
    (80, 2)
    """

    model_name = "imputer"

    def __init__(self, *, hidden_dims: tuple[int, ...] = (128,), latent_dim: int = 64,
                 hide_rate: float = 0.25, dropout: float = 0.1, gaussian: bool | str = "auto",
                 epochs: int | None = None,
                 batch_size: int = 64, learning_rate: float = 1e-3, random_state=None,
                 device: str = "auto", verbose: int = 0):
        store_params(self, locals())

    # ----------------------------------------------------------------- table <-> matrix
    def _encoded(self, X, reset: bool) -> np.ndarray:
        """The all-numeric matrix of ``X`` (NaN where missing), checked."""
        if self._as_frame(X, reset):
            if X.shape[1] == 0:
                raise ValueError(f"X has no columns ({len(X)} rows of nothing): pass the "
                                 "columns to impute")
            validate_data(self, X, reset=reset, skip_check_array=True)
            if reset:
                self.columns_ = codec.column_specs(X)
            else:
                codec.check_columns(X, self.columns_)
            Z = codec.encode(X, self.columns_)
        else:
            if not reset and any(spec.kind == "category" for spec in self.columns_ or []):
                raise TypeError("the imputer was fitted on a DataFrame with categorical "
                                "columns: pass a DataFrame with the same columns")
            Z = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32),
                              ensure_all_finite=False)
            if reset:
                self.columns_ = None
        _check_no_inf(Z, self._column_names(X))
        if reset:  # here, where the columns have their names (a trial: "column 0")
            check_float32_resolves(Z, self._column_names(X))
        return Z

    def _column_names(self, X) -> list[str] | None:
        """The name of each column of the encoded matrix (a category's name for each of its
        0/1 columns), where ``X`` has names."""
        if self._as_frame(X, reset=False):
            return [spec.name for spec in self.columns_ for _ in range(spec.width)]
        names = getattr(self, "feature_names_in_", None)
        return None if names is None else [str(n) for n in names]

    def _as_frame(self, X, reset: bool) -> bool:
        """Whether ``X`` is read as a DataFrame (by column): when fitting on one, and later
        for an imputer fitted on one; an imputer fitted on an array reads any input as an
        array, as scikit-learn's estimators do."""
        return is_frame(X) and (reset or self.columns_ is not None)

    def _decoded(self, X, Z: np.ndarray, filled: np.ndarray):
        """The output like the input: an array (``Z``, checked) or a copy of the DataFrame."""
        if not self._as_frame(X, reset=False):
            return np.where(np.isnan(Z), filled, Z).astype(Z.dtype, copy=False)
        return codec.decode(X, self.columns_, filled)

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Train on ``X`` (an array or DataFrame with NaN where values are missing)."""
        for name in ("latent_dim", "batch_size"):
            check_int(name, getattr(self, name))
        check_int("epochs", self.epochs, allow_none=True)
        check_float("learning_rate", self.learning_rate, low=0, high=np.inf, low_open=True)
        Z = self._encoded(X, reset=True)
        if len(Z) < 2:
            raise ValueError(f"n_samples={len(Z)}: the imputer needs at least 2 rows to learn from")
        self._check_observed_columns(Z)
        rng = check_random_state(self.random_state)
        self.model_ = MaskedAutoencoder(
            hide_rate=self.hide_rate, latent_dim=self.latent_dim,
            hidden_dims=tuple(self.hidden_dims), dropout=self.dropout, gaussian=self.gaussian,
            epochs=self._epochs(len(Z)), batch_size=self.batch_size,
            learning_rate=self.learning_rate, random_state=draw_seed(rng),
            device=self.device, verbose=self.verbose).fit(Z)
        self.residual_std_ = self._residual_std(Z, rng)
        return self

    def _check_observed_columns(self, Z: np.ndarray) -> None:
        """Refuse a column with no observed value, by name where the table has names."""
        empty = np.flatnonzero(np.isnan(Z).all(axis=0))
        if not len(empty) or self.columns_ is None:
            return  # arrays: the model names the column by position
        names = [spec.name for spec in self.columns_ for _ in range(spec.width)]
        raise ValueError(f"column {names[empty[0]]!r} has no observed value: drop it, nothing "
                         "can be learnt about it")

    def _epochs(self, n_rows: int) -> int:
        if self.epochs is not None:
            return self.epochs
        steps_per_epoch = max(1, -(-n_rows // self.batch_size))
        return int(min(MAX_EPOCHS, max(1, -(-TRAINING_STEPS // steps_per_epoch))))

    def _residual_std(self, Z: np.ndarray, rng) -> np.ndarray:
        """Root mean squared error of the fill per column, on observed cells hidden now."""
        observed = ~np.isnan(Z)
        hidden = observed & (rng.random_sample(Z.shape) < RESIDUAL_SHARE)
        errors = np.where(hidden, self.model_.impute(np.where(hidden, np.nan, Z)) - Z, 0.0)
        counts = hidden.sum(axis=0)
        overall = np.sqrt((errors**2).sum() / max(1, counts.sum()))
        per_column = np.sqrt((errors**2).sum(axis=0) / np.maximum(counts, 1))
        return np.where(counts >= 5, per_column, overall)

    # the rows model_input gives are in the data's units (a category as 0/1 columns): the
    # network inside scales them itself
    model_input_scaled = False

    def model_input(self, X) -> np.ndarray:
        """``X`` as the network inside takes it: a category as its 0/1 columns, NaN where a
        cell is missing (a report shows the rows so)."""
        check_is_fitted(self)
        return self._encoded(X, reset=False)

    # ----------------------------------------------------------------- filling
    def transform(self, X):
        """``X`` with its missing cells filled; observed cells are returned unchanged."""
        check_is_fitted(self)
        Z = self._encoded(X, reset=False)
        return self._decoded(X, Z, self.model_.impute(Z))

    def sample(self, X, n_imputations: int = 5, random_state=None) -> list:
        """``n_imputations`` plausible completions of ``X`` (a list, each like ``transform``'s
        output): the fill plus noise of the measured error (``residual_std_``) for numbers, a
        category drawn in proportion to its score for categories. Their mean tends to
        ``transform``'s fill as ``n_imputations`` grows."""
        check_is_fitted(self)
        check_int("n_imputations", n_imputations)
        Z = self._encoded(X, reset=False)
        fill = self.model_.impute(Z)
        rng = check_random_state(self.random_state if random_state is None else random_state)
        return [self._decoded(X, Z, self._draw(fill, rng)) for _ in range(n_imputations)]

    def _draw(self, fill: np.ndarray, rng) -> np.ndarray:
        draw = fill + rng.standard_normal(fill.shape) * self.residual_std_
        if hasattr(self.model_, "fill_min_"):  # draws of a column of few values stay in its range
            draw = np.clip(draw, self.model_.fill_min_, self.model_.fill_max_)
        start = 0
        for spec in self.columns_ or []:
            stop = start + spec.width
            if spec.kind == "category":  # one-hot of a category drawn by its clipped score
                scores = np.clip(fill[:, start:stop], 1e-3, None)
                cumulative = np.cumsum(scores / scores.sum(1, keepdims=True), axis=1)
                pick = (rng.random_sample((len(fill), 1)) > cumulative).sum(1)
                draw[:, start:stop] = np.eye(spec.width)[np.minimum(pick, spec.width - 1)]
            start = stop
        return draw

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags

    # ----------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted imputer (network and table layout) to one model file."""
        check_is_fitted(self)
        save_model(self, path)

    def _model_state(self) -> tuple[dict, dict]:
        tensors, inner = nest_state("model", self.model_)
        tensors["fitted.residual_std_"] = torch.from_numpy(
            np.ascontiguousarray(self.residual_std_, dtype=np.float64))
        fitted = {"n_features_in_": int(self.n_features_in_),
                  "columns_": None if self.columns_ is None
                  else [spec.to_json() for spec in self.columns_]}
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(n) for n in self.feature_names_in_]
        return tensors, {"model": self.model_name, "params": saved_params(self),
                         "fitted": fitted, "inner": inner}

    @classmethod
    def _from_model_state(cls, tensors: dict, config: dict, device, path):
        from aekit.apps._imputer_state import restore_imputer

        return restore_imputer(cls, tensors, config, device, path)


def _check_no_inf(Z: np.ndarray, names: list[str] | None = None) -> None:
    infinite = np.isinf(Z)
    if infinite.any():
        row, column = np.argwhere(infinite)[0]
        where = f"column {names[column]!r}" if names and len(names) == Z.shape[1] else \
            f"column {column}"
        raise ValueError(f"X contains inf ({int(infinite.sum())} values, first at row {row}, "
                         f"{where}): set them to NaN to have them imputed, or clip them")
