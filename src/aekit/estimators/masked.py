"""An autoencoder that trains on tables with missing values (NaN) and fills them."""

from __future__ import annotations

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit.estimators import _scaling
from aekit.estimators._decimals import shortest_float64
from aekit.estimators._frames import like_frame
from aekit.estimators._params import Param, document, latent_activation, store_params
from aekit.estimators._torch import untracked
from aekit.estimators._validation import (
    FEW_VALUES,
    check_bool,
    check_choice,
    check_float,
    check_float32_resolves,
)
from aekit.estimators.base import BaseAutoencoder
from aekit.estimators.persistence import register_model, restore_estimator
from aekit.nn import ACTIVATIONS, DenseCode, DenseDecoder, DenseEncoder, Reconstruction
from aekit.nn.gaussian import GaussianFill, fit_gaussian
from aekit.nn.masked import MaskedAutoencoderNet

# The normal model's EM inverts one d x d matrix per row with missing cells and iteration.
GAUSSIAN_MAX_FEATURES = 64  # "auto" uses it up to this many columns
EM_ROWS = 1024  # rows it is fitted on (a random sample of larger tables)
EM_MAX_ITER = 300  # EM converges slowly when much is missing (as when the largest values are)
EM_WORK = 2e10  # rows x d^3 x iterations at most: about 10 s on one core
EM_RIDGE = 1e-4  # added to the standardised covariance: exact linear relations stay solvable


def fill_bounds(X: np.ndarray, stats: _scaling.FeatureStats) -> tuple[np.ndarray, np.ndarray]:
    """Per column, the range fills are clipped to (float64, exact): the observed range of a
    column of few values (``_few_values``), none (float64's extremes) for the
    others, whose relations to other columns may rightly carry a fill past the largest value
    seen (values missing because they are large)."""
    few = np.array([_few_values(column[~np.isnan(column)]) for column in X.T])
    widest = np.finfo(np.float64).max
    return np.where(few, stats.lo, -widest), np.where(few, stats.hi, widest)


def _few_values(observed: np.ndarray) -> bool:
    """At most ``FEW_VALUES`` distinct values, each seen twice on average: a handful of
    continuous values in a tiny table is not a flag or a count. One value, even seen once, is
    a constant: the only value there is evidence for."""
    n_values = len(np.unique(observed))
    return n_values == 1 or (n_values <= FEW_VALUES and 2 * n_values <= len(observed))


@register_model
class MaskedAutoencoder(BaseAutoencoder):
    model_name = "masked"
    _constrained_code = True  # hidden cells keep it from copying its input

    def __init__(self, *, hide_rate: float = 0.25, visible_weight: float = 0.1, skip: bool = True,
                 gaussian: bool | str = "auto",
                 latent_dim: int | None = None, architecture: str = "dense",
                 hidden_dims: tuple[int, ...] | None = None, activation: str = "relu",
                 latent_activation: str | None = None, output_activation: str = "auto",
                 loss: str = "auto", optimizer: str = "adam", learning_rate: float | None = None,
                 weight_decay: float = 0.0, epochs: int | str = "auto", batch_size: int | str = "auto",
                 shuffle: bool = True, validation_split: float = 0.0, validation_data=None,
                 batch_norm: bool = False, dropout: float = 0.0, patience: int | None = None,
                 restore_best_weights: bool = True, clip_grad_norm: float | None = None,
                 checkpoint_dir: str | None = None, resume: bool = False,
                 callbacks: list | None = None, scaling: str = "standard",
                 random_state: int | None = None, device: str = "auto", compile: str = "auto",
                 precision: str = "float32", verbose: int = 0):
        store_params(self, locals())

    # ----------------------------------------------------------------- checks
    def _check_variant_params(self) -> None:
        if self.latent_activation is not None:
            check_choice("latent_activation", self.latent_activation, ACTIVATIONS)
        check_float("hide_rate", self.hide_rate, low=0, high=0.5, low_open=True,
                    high_open=False)
        check_float("visible_weight", self.visible_weight, low=0, high=np.inf)
        check_bool("skip", self.skip)
        if not (isinstance(self.gaussian, (bool, np.bool_)) or self.gaussian == "auto"):
            raise ValueError(f'gaussian must be True, False or "auto", got {self.gaussian!r}')
        for name, allowed in (("architecture", ("dense",)), ("loss", ("auto", "mse")),
                              ("output_activation", ("auto", "linear")),
                              ("scaling", ("standard",))):
            check_choice(name, getattr(self, name), allowed)

    def _check_X(self, X, *, reset: bool, lengths=None):
        """``(X, observed)``: float input with NaN where missing, and where it is not."""
        if lengths is not None:
            raise ValueError("lengths do not apply to MaskedAutoencoder (tables only)")
        X = validate_data(self, untracked(X), reset=reset, dtype=(np.float64, np.float32),
                          ensure_all_finite="allow-nan")
        observed = ~np.isnan(X)
        if reset:
            empty = np.flatnonzero(~observed.any(axis=0)) if len(X) else []
            if len(empty):
                names = getattr(self, "feature_names_in_", None)
                column = repr(str(names[empty[0]])) if names is not None else empty[0]
                raise ValueError(f"column {column} of X has no observed value "
                                 f"({len(empty)} such columns): drop it, nothing can be learnt")
            check_float32_resolves(X, getattr(self, "feature_names_in_", None))
            self.squeeze_axis_ = None
            self.input_shape_ = (X.shape[1],)
        limit = np.finfo(np.float32).max
        if X.dtype != np.float32 and observed.any() and (  # reductions: no copy of X
                np.nanmax(X) > limit or np.nanmin(X) < -limit):
            raise ValueError("X holds values too large for float32 (|x| > 3.4e38): rescale "
                             "the data first")
        return X, observed  # in its own dtype: impute returns the observed cells as given

    # ----------------------------------------------------------------- fitting
    def _prepare_source(self, source, seed: int, device: torch.device):
        raise ValueError(f"MaskedAutoencoder trains on tables in memory, not on a streamed "
                         f"source ({source.path}): read it with aekit.io.read_table and pass "
                         "the array (NaN where values are missing)")

    def _resolve_settings(self, X: np.ndarray, observed: np.ndarray) -> np.ndarray:
        """Settings from the observed cells' statistics; returns ``X`` as it is (NaN where
        missing): the ``Preprocessor`` scales each batch and sets its missing cells to 0."""
        stats = _scaling.FeatureStats.of(X)  # missing cells are not counted
        self._settle(stats, X.shape[1])
        self.fill_min_, self.fill_max_ = fill_bounds(X, stats)
        if self._uses_gaussian:
            self._gaussian_fit = self._fit_gaussian(X, observed, stats)
        return X

    @property
    def _uses_gaussian(self) -> bool:
        if self.gaussian == "auto":
            return self.input_shape_[0] <= GAUSSIAN_MAX_FEATURES
        return bool(self.gaussian)

    def _fit_gaussian(self, X: np.ndarray, observed: np.ndarray, stats: _scaling.FeatureStats):
        """Mean and covariance of the standardised rows (EM over at most ``EM_ROWS`` of them,
        drawn with the fit's seed) and each column's observed range, for the ``GaussianFill``
        the network starts from."""
        rows = np.arange(len(X))
        if len(X) > EM_ROWS:
            rows = np.sort(np.random.default_rng(self.random_state).choice(
                len(X), EM_ROWS, replace=False))
        standard = (X[rows].astype(np.float64) - self.shift_) / self.scale_
        z = torch.from_numpy(np.where(observed[rows], standard, 0.0))
        iterations = int(min(EM_MAX_ITER, max(1, EM_WORK // (len(rows) * X.shape[1] ** 3))))
        mean, cov = fit_gaussian(z, torch.from_numpy(observed[rows]), ridge=EM_RIDGE,
                                 max_iter=iterations)
        low, high = ((v - self.shift_) / self.scale_ for v in (stats.lo, stats.hi))
        return mean, cov, torch.from_numpy(low), torch.from_numpy(high)

    def _build_module(self) -> MaskedAutoencoderNet:
        d = self.input_shape_[0]
        hidden = self._hidden_dims
        encoder = DenseEncoder(2 * d, hidden, self.activation, self.batch_norm, self.dropout)
        latent = DenseCode(encoder.out_dim, self.latent_dim_,
                           self.latent_activation or self.activation)
        decoder = DenseDecoder(self.latent_dim_, hidden, d, self.activation, self.batch_norm,
                               self.dropout)
        skip = torch.nn.Linear(2 * d, d) if self.skip else None
        return MaskedAutoencoderNet(encoder, latent, decoder, Reconstruction("mse", "linear"),
                                    skip=skip, base=self._base(d), hide_rate=self.hide_rate,
                                    visible_weight=self.visible_weight)

    def _base(self, d: int) -> GaussianFill | None:
        """The fitted normal model (when fitting) or its shapes (when loading a saved model)."""
        if not self._uses_gaussian:
            return None
        base = GaussianFill(d)
        fitted = vars(self).pop("_gaussian_fit", None)
        if fitted is not None:
            for buffer, value in zip((base.mean, base.cov, base.low, base.high), fitted):
                buffer.copy_(value)
        return base

    # ----------------------------------------------------------------- inference
    # the array beside X is the mask of observed cells, not sequence lengths: each batch's
    # ``Batch.mask``, and the ``Preprocessor`` sets the cells it marks missing to 0
    _second_array = "mask"

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode codes ``Z``: only without a normal model and without the skip path. With a
        normal model the network's output is a correction to each row's conditional means;
        the skip path adds a linear function of the row itself: a code alone gives neither."""
        check_is_fitted(self)
        if self.module_.base is not None:
            raise ValueError("this MaskedAutoencoder starts from a normal model, so a code alone "
                             "does not give a row: use reconstruct(X) or impute(X), or fit with "
                             "gaussian=False")
        if self.module_.skip is not None:
            raise ValueError("this MaskedAutoencoder adds a linear path from its input to its "
                             "output (skip=True), so a code alone does not give a row: use "
                             "reconstruct(X) or impute(X), or fit with skip=False and "
                             "gaussian=False")
        return super().inverse_transform(Z)

    @classmethod
    def _from_model_state(cls, tensors: dict, config: dict, device, path):
        params = config.get("params")
        if isinstance(params, dict) and "gaussian" not in params:  # saved before it existed
            config = {**config, "params": {**params, "gaussian": False}}
        estimator = restore_estimator(cls, tensors, config, device, path)
        base = estimator.module_.base
        if base is not None and not _valid_normal_model(base):
            raise ValueError(f"{path} holds no valid normal model for its MaskedAutoencoder "
                             "(non-finite, not positive definite, or an empty range)")
        return estimator

    def impute(self, X) -> np.ndarray:
        """``X`` with every NaN filled; observed cells are returned exactly as given. Fills
        of a column with few distinct values in training stay within its observed range
        (``fill_min_``, ``fill_max_``): a column seen constant is filled with that constant, a
        0/1 column with values in [0, 1]. A DataFrame gives a DataFrame (index and columns
        kept)."""
        check_is_fitted(self)
        rows, observed = self._check_X(X, reset=False)
        fills = self._unscale(self._infer("impute", rows, observed))
        filled = fills.astype(np.float64)
        missing = ~observed  # fills shown as float32's digits (0.1, not 0.10000000149011612)
        filled[missing] = shortest_float64(fills[missing])
        if hasattr(self, "fill_min_"):  # models saved before it existed: as they were
            filled = np.clip(filled, self.fill_min_, self.fill_max_)
        return like_frame(np.where(observed, rows, filled.astype(rows.dtype)), X)

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.input_tags.allow_nan = True
        return tags


document(
    MaskedAutoencoder,
    """Autoencoder for tables with missing values (NaN): ``impute`` fills them.

    The network reads the standardised values (missing cells at 0, the column mean) beside the
    mask of observed cells. Training hides a further random share of the observed cells and
    scores the prediction of those (and, at ``visible_weight``, of the rest); cells missing in
    the data never enter the loss. ``transform`` gives codes, ``reconstruct`` the prediction of
    every cell, ``impute`` the data with only its NaN replaced. Rows with no observed cell get
    the prediction from nothing, close to the column means. Tables (dense) only, standard
    scaling, mse loss.""",
    own=(
        Param("hide_rate", "float", 0.25,
              "Mean share of a row's observed cells hidden in each training pass (each row "
              "draws a share uniformly in [0, 2 * hide_rate])."),
        Param("visible_weight", "float", 0.1,
              "Weight in the loss of the cells left visible, relative to the hidden ones."),
        Param("skip", "bool", True,
              "Add a linear map from the input to the output beside the network, so that "
              "linear relations between columns are learnt directly."),
        Param("gaussian", 'bool or "auto"', "auto",
              "Start from a multivariate normal model of the rows (fitted by EM on the "
              "observed cells): missing cells enter the network as their conditional means "
              "given the observed ones, which follow the data beyond the range seen in "
              "training, and the network learns the correction. auto: for tables of at "
              f"most {GAUSSIAN_MAX_FEATURES} columns (its cost grows as columns cubed)."),
        latent_activation(None),
    ),
    defaults={"scaling": "standard"},
)


def _valid_normal_model(base: GaussianFill) -> bool:
    finite = all(torch.isfinite(b).all() for b in (base.mean, base.cov, base.low, base.high))
    return bool(finite and (base.low <= base.high).all()
                and torch.linalg.eigvalsh(base.cov.double()).min() > 0)
