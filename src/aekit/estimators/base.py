"""The one estimator base class: validation, scaling, the training call, inference, saving.

A variant overrides ``_make_latent`` (the code it learns), and may override ``_net_options``
(input corruption, binarisation, auxiliary losses), ``_variant_callbacks`` and
``_check_variant_params``. The architecture (dense, conv, lstm, gru) is a parameter, so every
variant works with every architecture; training always goes through ``aekit.train.run``.
"""

from __future__ import annotations

import hashlib
import json
import math
import os
import warnings
from collections.abc import Callable

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit._stack import user_stacklevel
from aekit.estimators import _auto, _distributed, _scaling
from aekit.estimators._architectures import ARCHITECTURES
from aekit.estimators._frames import is_frame
from aekit.estimators._inference import (
    MAX_SCALED,
    UNIT_SLIP,
    Inference,
    bce_range_message,
    steps_mask,
)
from aekit.estimators._params import RUN_ONLY_PARAMS, check_layer_params, check_shared_params
from aekit.estimators._source_fit import PCA_ROWS, SourceFit
from aekit.estimators._torch import (
    as_batch,
    draw_seed,
    inference_batch,
    resolve_device,
    seeded_rng,
    untracked,
)
from aekit.estimators._validation import (
    check_finite,
    check_finite_steps,
    check_float32_resolves,
    check_numeric_columns,
    check_output_range,
    to_float32,
)
from aekit.estimators.persistence import (
    estimator_state,
    restore_estimator,
    save_model,
    saved_params,
)
from aekit.io.sources import ArraySource
from aekit.nn import AutoencoderNet, DenseCode, Reconstruction, pca_init_
from aekit.nn.preprocess import Scaling
from aekit.train import (
    BackupAndRestore,
    Callback,
    EarlyStopping,
    EpochLogger,
    ProgressBar,
    TensorBatches,
    TrainState,
    make_optimizer,
    run,
)
from aekit.train.callbacks import NEGLIGIBLE_LOSS
from aekit.train.step import PRECISIONS, resolve_step_mode


class BaseAutoencoder(SourceFit, Inference, ClassNamePrefixFeaturesOutMixin,
                      TransformerMixin, BaseEstimator):
    """Shared machinery of every aekit estimator; see ``Autoencoder`` for the parameters."""

    model_name = "base"
    # a code wider than the input copies it unless the variant constrains the code
    _constrained_code = False

    # ----------------------------------------------------------------- variant hooks
    def _check_variant_params(self) -> None:
        """Validate the parameters a variant adds."""

    def _make_latent(self, d_in: int) -> torch.nn.Module:
        raise NotImplementedError

    def _net_options(self) -> dict:
        """Extra keyword arguments for ``AutoencoderNet`` (corruption, binarize, aux_k)."""
        return {}

    def _variant_callbacks(self) -> list[Callback]:
        return []

    # ----------------------------------------------------------------- input checks
    @property
    def _arch(self):
        return ARCHITECTURES[self.architecture]

    @property
    def _input_kind(self):
        """What the rows hold when they are not values (``_inputs.TOKEN_IDS``), else None."""
        return None

    def _check_X(self, X, *, reset: bool, lengths=None):
        """Float32 input as the user gives it, and the per-row lengths of sequences.

        For sequences, trailing all-NaN time steps are padding; ``lengths`` may say the same.
        The rows are checked here, not reshaped, padded or scaled: the ``Preprocessor`` does
        that per batch, in torch.
        """
        if isinstance(X, (str, os.PathLike)):
            raise TypeError(f"X is a path ({os.fspath(X)!r}), not data: read the file with "
                            "aekit.io.read_table(path) (or aekit.io.open_source(path) to "
                            "stream it) and pass what it returns")
        X = untracked(X)
        if self._input_kind is not None:
            return self._input_kind.check(self, X, reset=reset, lengths=lengths)
        check_numeric_columns(X)
        arch = self._arch
        ndim = len(X.shape) if hasattr(X, "shape") else 0  # lists: sklearn's check below
        if ndim >= 2 and ndim not in arch.ndims:
            if not reset and ndim == 2:  # flat rows, as a table holds images
                self._check_row_shape(tuple(X.shape[1:]))
            raise ValueError(f"architecture={arch.name!r} takes arrays with "
                             f"{' or '.join(map(str, arch.ndims))} dimensions, got {ndim}: use "
                             "dense for tables, conv for images, lstm or gru for sequences")
        if reset and ndim == 4:
            arch.check_channels_first(tuple(X.shape[1:]))
        if not reset and ndim >= 3:  # 2-D input gets scikit-learn's own feature-count check
            self._check_row_shape(tuple(X.shape[1:]))
        X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32),
                          ensure_all_finite=False, allow_nd=arch.name != "dense")
        if not reset:
            self._check_row_shape(tuple(X.shape[1:]))
        steps = arch.canonical(X)  # a view, for the per-step checks of sequences
        lengths = self._sequence_lengths(steps, lengths)
        if lengths is None:
            is_sequence = arch.name in ("lstm", "gru")  # (n, steps, channels) to name both
            check_finite(steps if is_sequence else X, "X",
                         getattr(self, "feature_names_in_", None), sequences=is_sequence)
            if reset:
                check_float32_resolves(X, getattr(self, "feature_names_in_", None))
            X = to_float32(X, "X")
        else:  # padded steps may hold anything (NaN by convention)
            check_finite_steps(steps, lengths)
            with np.errstate(over="ignore"):
                X32 = X.astype(np.float32, copy=False)
            if X32 is not X:
                check_finite_steps(arch.canonical(X32), lengths, overflowed=True)
            X = X32
        if reset:  # only once the rows passed every check: a refused fit keeps the model
            self.squeeze_axis_ = arch.added_axis(X.ndim)
            self.input_shape_ = tuple(steps.shape[1:])
        return X, lengths

    def _check_row_shape(self, shape: tuple[int, ...]) -> None:
        """``shape``, one row as the user passes it, against the training rows'."""
        expected = list(self.input_shape_)
        if self.squeeze_axis_ is not None:
            del expected[self.squeeze_axis_ - 1]
        if shape == tuple(expected):
            return
        if len(shape) == 1 and len(expected) > 1 and shape[0] == math.prod(expected):
            fix = (f"these are flattened, as a table holds them: reshape them, "
                   f"X.reshape(-1, {', '.join(map(str, expected))})")
        elif len(shape) == 3 and shape == (*expected[1:], expected[0]):
            fix = ("these look channels-last: pass X.transpose(0, 3, 1, 2) (channels, height, "
                   "width)")
        elif [n for n in shape if n != 1] == [n for n in expected if n != 1]:  # an axis of 1
            fix = "give the rows the same axes (X[:, None], X[..., None] or np.squeeze)"
        elif self._arch.name == "conv" and (other := _other_channels(shape, tuple(expected))):
            fix = (f"the images have {other[0]} channel(s), the model's {other[1]}: convert "
                   "them (colour to grey: average the channels; grey to colour: repeat it), "
                   "or fit a model on such images")
            if shape == tuple(expected[1:]):  # or one image, given without its batch axis
                fix += "; one image: pass X[None]"
        elif len(expected) > 1 and shape == tuple(expected[1:]):
            fix = "X looks like one row without its batch axis: pass X[None] (a batch of one)"
        elif self._arch.name in ("lstm", "gru") and shape[1:] == tuple(expected[1:]):
            fix = (f"pad shorter sequences with NaN to {expected[0]} steps (their lengths stay "
                   "theirs), and cut longer ones into windows of it (sliding_windows)")
        else:
            fix = "pad, crop or window the data to that shape"
        raise ValueError(f"X has rows of shape {shape}, but {type(self).__name__} was "
                         f"trained on rows of shape {tuple(expected)}: {fix}")

    def _sequence_lengths(self, X: np.ndarray, lengths) -> np.ndarray | None:
        if self._arch.name not in ("lstm", "gru"):
            if lengths is not None:
                raise ValueError("lengths only apply to architecture='lstm' or 'gru'")
            return None
        steps = X.shape[1]
        if lengths is None:
            valid = ~np.isnan(X).all(axis=2)
            if valid.all():
                return None
            empty = np.flatnonzero(~valid.any(1))
            if len(empty):  # all padding: no lengths were given to say otherwise
                raise ValueError(f"row {empty[0]} of X is NaN at every step ({len(empty)} "
                                 "such rows): an empty sequence has nothing to encode; "
                                 "leave it out")
            lengths = steps - np.argmax(valid[:, ::-1], axis=1)
        lengths = np.asarray(lengths)
        if lengths.shape != (len(X),) or lengths.dtype.kind not in "iu":
            raise ValueError(f"lengths must be {len(X)} integers, one per sequence")
        if len(lengths) and (lengths.min() < 1 or lengths.max() > steps):
            raise ValueError(f"every length must lie in [1, {steps}] (the padded length); "
                             "a sequence may not be empty")
        return lengths.astype(np.int64)

    def _check_codes(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = untracked(Z)
        if is_frame(Z):
            self._check_code_names([str(name) for name in Z.columns])
        Z = np.asarray(Z)
        if Z.dtype.kind not in "biuf":
            raise TypeError(f"codes must be numeric, got dtype {Z.dtype}")
        if Z.ndim != 2 or Z.shape[1] != self._n_features_out:  # an ensemble's: all members'
            raise ValueError(f"codes must have shape (n, {self._n_features_out}), got {Z.shape}")
        if not len(Z):
            raise ValueError(f"codes has 0 rows (shape {Z.shape}): give at least one code")
        check_finite(Z, "codes")
        return to_float32(Z, "codes")

    def _check_code_names(self, given: list[str]) -> None:
        """Refuse codes named as transform names them, or as ``aekit encode`` writes them (z0,
        z1, ...), in another order: taken by position they would be decoded wrong."""
        expected = [str(name) for name in self.get_feature_names_out()]
        written = [f"z{i}" for i in range(len(expected))]
        for names, whose, fix in ((expected, "transform's", "Z[model.get_feature_names_out()]"),
                                  (written, "aekit encode's",
                                   f"Z[[f'z{{i}}' for i in range({len(written)})]]")):
            if sorted(given) == sorted(names) and given != names:
                raise ValueError(f"the codes' columns {given[:6]} are {whose} {names[:6]} in "
                                 f"another order: pass {fix}")

    def _check_bce_range(self, X: np.ndarray, name: str) -> None:
        if self.loss_ == "bce" and X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(bce_range_message(X.min(), X.max(), name))

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None, lengths=None):
        """Train on ``X``; ``y`` is ignored. ``lengths`` gives each sequence's valid steps.

        ``X`` may also be an ``aekit.io.ArraySource`` (a ``.npy`` file or a Parquet dataset
        opened with ``aekit.io.open_source``): the rows then stream from disk with bounded
        memory instead of being loaded.

        Started by ``torchrun`` on several processes, each given the same data, the fit trains
        with ``DistributedDataParallel`` (see ``aekit.train.distributed``); every rank ends with
        the same model, and rank 0 alone writes checkpoints and saves.
        """
        fitted_before = dict(vars(self))
        try:
            seed, device, batches, val_batches, data_digest, sample = self._prepare_fit(X, lengths)
        except BaseException:  # refused data or settings: the fitted model stays as it was
            vars(self).clear()
            vars(self).update(fitted_before)
            raise
        with seeded_rng(device):
            torch.manual_seed(seed)
            self.module_ = self._build_module().to(device)
            if sample is not None:
                self._start_from_pca(sample)
            _distributed.seed_rank(seed)
            self._train(batches, val_batches, device, data_digest)
        return self

    def _prepare_fit(self, X, lengths):
        """Everything ``fit`` settles before training: checks, settings and batches."""
        self._hidden_dims = check_shared_params(self)
        self._check_variant_params()  # first: a variant refusing an architecture says so
        check_layer_params(self, self._hidden_dims)
        seed = draw_seed(self.random_state)
        device = resolve_device(self.device)
        seed = _distributed.join(device, seed)  # under torchrun: rank 0's seed for all
        self._started_from_pca = False
        if isinstance(X, ArraySource):
            if lengths is not None:
                raise ValueError("lengths do not apply to a streamed source")
            return seed, device, *self._prepare_source(X, seed, device)
        return seed, device, *self._prepare_arrays(X, lengths, seed, device)

    def _prepare_arrays(self, X, lengths, seed: int, device: torch.device):
        """Batches resident on ``device``, for data that fits in memory."""
        X, lengths = self._check_X(X, reset=True, lengths=lengths)
        if len(X) < 2:
            raise ValueError(f"{type(self).__name__} needs at least 2 rows to train, got "
                             f"{len(X)} sample(s): one row teaches nothing about the others")
        _distributed.check_same_data(X)
        X = self._resolve_settings(X, lengths)  # scaled here, or per batch in torch
        if not self._scales_in_torch:
            self._check_bce_range(X, "X")
        train, val = self._split_validation(X, lengths, seed)
        if self.validation_data is not None:
            self._warn_if_validation_unlike(train, val)
        self._settle_schedule(len(train[0]))
        scale = self._batch_scaling(device, any(part[1] is not None for part in (train, val)
                                                if part is not None))
        batches = TensorBatches(**self._tensors(train, device), batch_size=self.batch_size_,
                                shuffle=self.shuffle, generator=torch.Generator().manual_seed(seed),
                                min_batch=self._min_batch, transform=scale,
                                shard=_distributed.shard())
        val_batches = None
        if val is not None:
            my_val = tuple(_distributed.my_rows(array) for array in val)  # all on one process
            val_batches = TensorBatches(**self._tensors(my_val, device), transform=scale,
                                        batch_size=inference_batch(device, val[0].shape[1:]))
        sample = None
        if self._pca_start_possible:
            sample = train[0][:PCA_ROWS]
            if self._scales_in_torch:
                sample = self._scale(sample, None if train[1] is None else train[1][:PCA_ROWS])
        return batches, val_batches, lambda: _digest(*train, *(val or ())), sample

    def _batch_scaling(self, device: torch.device, has_second: bool):
        """Each training batch through the fitted ``Preprocessor``, in torch; None where the
        batches are scaled already (token ids) or it would change nothing (unscaled rows
        already in the network's shape, with no padding or missing cells to zero)."""
        if not self._scales_in_torch:
            return None
        preprocess = self._preprocessor(device)
        if preprocess.scaling.identity and preprocess.added_axis is None and not has_second:
            return None
        return lambda batch: batch._replace(x=preprocess(batch.x, batch.lengths, batch.mask))

    def _settle_schedule(self, n_train: int) -> None:
        """``batch_size_``, ``epochs_`` and ``patience_`` for ``n_train`` training rows."""
        self.batch_size_ = (_auto.batch_size(n_train) if self.batch_size == "auto"
                            else self.batch_size)
        self.epochs_ = (_auto.epochs(n_train, self.batch_size_) if self.epochs == "auto"
                        else self.epochs)
        self._steps_per_epoch = -(-n_train // self.batch_size_)  # for the network's counters
        self.patience_ = self.patience
        if self.patience is None and self.epochs == "auto":
            self.patience_ = _auto.patience(self.epochs_)

    @property
    def _bce_for_unit_data(self) -> bool:
        """Whether data in [0, 1] is scored by BCE under ``loss="auto"``: images are; tables
        take MSE, also when they were min-max normalised beforehand (BCE there weighs the
        errors near 0 and 1 over the rest)."""
        return self.architecture == "conv"

    @property
    def _linear_skip(self) -> bool:
        """The default dense network has a linear path around its hidden layer."""
        return self.hidden_dims is None and self.architecture == "dense"

    @property
    def _pca_start_possible(self) -> bool:
        """Whether the settings allow the PCA start (a linear path, a linear code and output,
        MSE), so that its sample of scaled rows is worth preparing. Variants whose code is not
        a plain linear layer (a VAE's has no ``latent_activation``) do not start so."""
        return (self._linear_skip and getattr(self, "latent_activation", None) == "linear"
                and self.loss_ == "mse" and self.output_activation_ == "linear")

    def _start_from_pca(self, X: np.ndarray) -> None:
        """Start a network with a linear path at PCA's solution (fitted on up to 20000 of the
        scaled training rows), when its code and output are linear and it is scored by MSE, so
        that training begins from PCA's error and can only improve on it where it helps."""
        module = self.module_
        self._started_from_pca = (self._pca_start_possible
                                  and type(getattr(module, "latent", None)) is DenseCode)
        if not self._started_from_pca:
            return
        rows = torch.as_tensor(X[:PCA_ROWS], dtype=torch.float64).reshape(
            min(len(X), PCA_ROWS), -1)
        mean = rows.mean(0)
        _, _, vh = torch.linalg.svd(rows - mean, full_matrices=False)
        components = torch.zeros(self.latent_dim_, rows.shape[1], dtype=torch.float64)
        k = min(self.latent_dim_, len(vh))
        components[:k] = vh[:k]
        device = self._device
        pca_init_(module.latent.linear, module.decoder, mean.float().to(device),
                  components.float().to(device))

    @property
    def _min_batch(self) -> int:
        return 2 if self.batch_norm else 1  # batch normalisation cannot train on one row

    def _resolve_settings(self, X: np.ndarray, lengths) -> np.ndarray:
        """Fix every ``"auto"`` setting from the training data; returns ``X`` scaled, or as it
        is where the batches are scaled in torch (``_scales_in_torch``)."""
        if self._input_kind is not None:
            self._input_kind.settle(self, X)
            return X
        mask = steps_mask(lengths, X.shape[1]) if lengths is not None else None
        rows = _distributed.my_rows  # all of them on one process
        values = self._arch.channel_values(rows(self._arch.canonical(X)), rows(mask))
        stats = _distributed.feature_stats(values)
        self._settle(stats, int(np.prod(X.shape[1:])))
        return X if self._scales_in_torch else self._scale(X, lengths)

    def _settle(self, stats: _scaling.FeatureStats, values_per_row: int) -> None:
        """Fix every ``"auto"`` setting (stored with a trailing ``_``) from the per-feature (or
        per-channel) statistics of the training data."""
        self.scaling_ = _scaling.resolve_scaling(self.scaling, stats)
        if self.architecture == "conv" and self.scaling == "auto":
            _warn_of_8_bit_pixels(stats)
        shift, scale = _scaling.fit_scaling(self.scaling_, stats)
        stat_shape = self._arch.stat_shape(len(shift))
        self.shift_, self.scale_ = shift.reshape(stat_shape), scale.reshape(stat_shape)
        self.score_scale_ = _scaling.score_scale(stats).reshape(stat_shape)
        # each feature's (or channel's) training range, which generated and decompressed
        # values keep to (a decoder's output can leave it: 8-bit pixels came back as -102)
        self.data_min_ = stats.lo.astype(np.float64).reshape(stat_shape)
        self.data_max_ = stats.hi.astype(np.float64).reshape(stat_shape)
        self.whole_features_ = stats.whole.reshape(stat_shape)  # generated counts stay whole
        # Scaling is monotone per feature, so the scaled extremes are the scaled min and max.
        scaling = Scaling(torch.from_numpy(shift), torch.from_numpy(scale))
        with torch.no_grad():
            lo, hi = (scaling(torch.from_numpy(v.astype(np.float32))).numpy()
                      for v in (stats.lo, stats.hi))
        in_unit = stats.observed and lo.min() >= 0 and hi.max() <= 1
        if self.loss == "ce":
            raise ValueError("loss='ce' scores token ids (text): use "
                             "SequenceAutoencoder(tokens=True), or loss='mse' for values")
        if self.loss == "auto":
            bce = in_unit and self.scaling_ == "none" and self._bce_for_unit_data
            self.loss_ = "bce" if bce else "mse"
        else:
            self.loss_ = self.loss
        if self.output_activation == "auto":
            self.output_activation_ = "sigmoid" if self.loss_ == "bce" else "linear"
        else:
            self.output_activation_ = self.output_activation
        if self.loss_ == "bce" and self.output_activation_ != "sigmoid":
            raise ValueError("loss='bce' needs output_activation='sigmoid' (or 'auto')")
        if stats.observed and not (-MAX_SCALED <= lo.min() and hi.max() <= MAX_SCALED):
            raise ValueError(self._extreme_message())
        if self.loss_ == "bce" and stats.observed and (lo.min() < 0 or hi.max() > 1):
            raise ValueError(bce_range_message(lo.min(), hi.max(), "X"))
        if stats.observed:
            check_output_range(self.output_activation_, lo.min(), hi.max())
        self.latent_dim_ = self.latent_dim or self._default_latent_dim(values_per_row)
        if values_per_row == 1 and self.latent_dim is None:
            warnings.warn("X has one value per row: an autoencoder has nothing to compress "
                          "(its code is that value); for one series, score windows of it with "
                          "SeriesAnomalyDetector (aekit detect --series)", UserWarning, stacklevel=user_stacklevel())
        elif self.latent_dim_ >= values_per_row and not self._constrained_code:
            warnings.warn(f"latent_dim={self.latent_dim_} is not smaller than the "
                          f"{values_per_row} values per row: a plain autoencoder can copy its "
                          "input and learn nothing; use a smaller latent_dim, or a sparse or "
                          "denoising model", UserWarning, stacklevel=user_stacklevel())
        if self._hidden_dims is None:
            self._hidden_dims = (_auto.hidden_width(self.latent_dim_),)

    def _default_latent_dim(self, values_per_row: int) -> int:
        """``latent_dim=None``: a code half the row's size, at most 32."""
        return min(32, max(1, values_per_row // 2))

    def _split_validation(self, X: np.ndarray, lengths, seed: int):
        """``((X_train, lengths_train), (X_val, lengths_val) or None)``."""
        if self.validation_data is not None:
            return (X, lengths), self._checked_validation_data(scaled=not self._scales_in_torch)
        if not self.validation_split and self.epochs != "auto":
            return (X, lengths), None
        n_val = (int(len(X) * self.validation_split) if self.validation_split
                 else min(int(len(X) * _auto.AUTO_VALIDATION), _auto.MAX_VALIDATION_ROWS))
        if not self.validation_split and n_val < _auto.MIN_VALIDATION_ROWS:
            return (X, lengths), None  # too few rows to judge on: stop on the training loss
        if n_val < 1:
            raise ValueError(f"validation_split={self.validation_split} leaves no rows for "
                             f"validation out of {len(X)}")
        if len(X) - n_val < 2:  # one row (or none) teaches nothing, as in fit
            raise ValueError(f"validation_split={self.validation_split} leaves "
                             f"{len(X) - n_val} of {len(X)} rows for training: at least 2 are "
                             "needed")
        order = np.random.RandomState(seed).permutation(len(X))
        train, val = order[n_val:], order[:n_val]
        if lengths is None:
            return (X[train], None), (X[val], None)
        return (X[train], lengths[train]), (X[val], lengths[val])

    def _checked_validation_data(self, scaled: bool = True):
        """``(X_val, lengths)``: ``validation_data`` checked against the training data, and
        scaled unless ``scaled=False`` (its batches are then scaled in torch)."""
        data, lengths = self.validation_data, None
        if isinstance(data, tuple):  # (X_val, lengths) for sequences, else Keras' (x, y)
            data, *rest = data
            lengths = self._validation_lengths(data, rest[0]) if rest else None
        if isinstance(data, ArraySource):
            raise TypeError("validation_data may be a streamed source only when X is one too: "
                            "pass an array, or fit on a source")
        try:
            X_val, val_lengths = self._check_X(data, reset=False, lengths=lengths)
        except ValueError as error:
            raise ValueError(f"validation_data: {error}") from None
        scaled_val = self._scale(X_val, val_lengths)
        self._check_bce_range(scaled_val, "validation_data")
        return (scaled_val if scaled else X_val), val_lengths

    def _warn_if_validation_unlike(self, train, val) -> None:
        """Warn when a feature of ``validation_data`` has both its mean more than
        ``FAR_SHIFT`` training standard deviations from its mean in ``X`` and a spread
        ``FAR_SHIFT`` times larger or smaller: rows in other units, such as those a Pipeline
        hands on unscaled (its earlier steps never see ``validation_data``), on which early
        stopping would judge. (A drift moves the mean, rarely the spread as much.)"""
        if self._input_kind is not None:
            return
        stats = []
        for rows, lengths in (train, val):
            mask = None if lengths is None else steps_mask(lengths, rows.shape[1])
            stats.append(_scaling.FeatureStats.of(
                self._arch.channel_values(self._arch.canonical(rows), mask)))
        shift, spread = _scaling.shift_and_spread(*stats)
        far = (shift > FAR_SHIFT) & ((spread > FAR_SHIFT) | (spread < 1 / FAR_SHIFT))
        if not far.any():
            return
        worst = int(np.argmax(np.where(far, shift, 0.0)))
        names = getattr(self, "feature_names_in_", None)
        feature = (repr(str(names[worst])) if names is not None and len(names) == len(shift)
                   else str(worst))
        warnings.warn(f"validation_data is unlike X: feature {feature}'s mean lies "
                      f"{shift[worst]:.3g} training standard deviations from X's, and its spread "
                      f"is {spread[worst]:.3g} times X's. Is it in other units? In a Pipeline, "
                      "validation_data skips the earlier steps (a scaler): use validation_split "
                      "instead", UserWarning, stacklevel=user_stacklevel())

    def _validation_lengths(self, X_val, second):
        """The second item of a ``validation_data`` tuple as the sequences' lengths, where the
        model reads sequences and it is one value per row (checked as lengths then); else None
        (Keras' ``y``, which an autoencoder ignores)."""
        if self.architecture not in ("lstm", "gru") or second is None:
            return None
        second = np.asarray(second)
        return second if second.ndim == 1 and len(second) == len(X_val) else None

    def _build_module(self) -> AutoencoderNet:
        encoder, decoder = self._arch.build(self, self.input_shape_, self.latent_dim_)
        return AutoencoderNet(encoder, self._make_latent(encoder.out_dim), decoder,
                              Reconstruction(self.loss_, self.output_activation_),
                              **self._net_options())

    # what the second array beside X holds: each sequence's length, or (masked models) the
    # mask of observed cells; it becomes that field of every ``Batch``
    _second_array = "lengths"

    def _tensors(self, data, device) -> dict[str, torch.Tensor]:
        """``TensorBatches``' keyword arguments for ``(X, second array or None)``."""
        X, second = data
        tensors = {"x": as_batch(X, device)}
        if second is not None:
            tensors[self._second_array] = as_batch(second, device)
        return tensors

    def _train(self, batches, val_batches, device: torch.device,
               data_digest: Callable[[], str]) -> None:
        if len(batches) == 0:
            raise ValueError("batch_norm=True needs at least 2 training rows")
        ranks = _distributed.current()
        step_mode = resolve_step_mode(self.compile, device, distributed=ranks is not None)
        optimizer = make_optimizer(self.optimizer, self.module_.parameters(),
                                   learning_rate=self.learning_rate,
                                   weight_decay=self.weight_decay, device_type=device.type,
                                   capturable=step_mode == "cuda_graph")
        state = TrainState(self.module_, optimizer, epochs=self.epochs_,
                           generator=batches.generator, clip_grad_norm=self.clip_grad_norm,
                           save_model=self.save, step_mode=step_mode,
                           precision=PRECISIONS[self.precision], ranks=ranks)
        self.history_ = state.history  # live, so checkpoints written mid-run carry it
        run(state, batches, val_batches, self._callbacks(data_digest))
        self.n_epochs_ = state.epoch
        self.best_epoch_ = _kept_epoch(state)
        self._kept_loss = _kept_loss(state)  # (for a variant's checks after fit; not saved)
        if state.diverged:
            if state.epoch <= 1:  # nothing worth keeping
                raise ValueError(state.stop_reason)
            warnings.warn(state.stop_reason, RuntimeWarning, stacklevel=user_stacklevel())
        else:
            _warn_of_a_worse_end(state.history, self.best_epoch_)

    def _fingerprint(self, data_digest: Callable[[], str | dict]) -> dict:
        """What identifies a run for resuming: the data and every parameter that shapes it
        (``data_digest`` gives the data's digest, or a dict of it and the stream's layout)."""
        params = {k: v for k, v in saved_params(self).items() if k not in RUN_ONLY_PARAMS}
        digest = data_digest()
        data = digest if isinstance(digest, dict) else {"data": digest}
        return {**data, **json.loads(json.dumps(params)), **_distributed.fingerprint()}

    def _unwatched_epochs(self) -> int:
        """Epochs early stopping does not watch (a variant whose loss changes at first)."""
        return 0

    def _callbacks(self, data_digest: Callable[[], str | dict]) -> list[Callback]:
        callbacks = [*self._variant_callbacks(), *(self.callbacks or [])]
        if self.patience_ is not None:
            callbacks.append(EarlyStopping(patience=self.patience_,
                                           restore_best_weights=self.restore_best_weights,
                                           include_start=self._started_from_pca,
                                           start_from_epoch=self._unwatched_epochs()))
        verbose = self.verbose if _distributed.is_main() else 0  # one report, from rank 0
        if verbose == 1:
            callbacks.append(ProgressBar())
        elif verbose and verbose >= 2:
            callbacks.append(EpochLogger())
        if self.checkpoint_dir is not None:  # last: it saves what the others have updated
            callbacks.append(BackupAndRestore(self.checkpoint_dir, resume=self.resume,
                                              fingerprint=self._fingerprint(data_digest)))
        return callbacks

    def transform(self, X, lengths=None) -> np.ndarray:
        """Encode ``X`` (an array or an ``ArraySource``) to codes ``(n_samples, latent_dim_)``
        (a DataFrame under ``set_output(transform="pandas")``). Defined here, on the
        ``TransformerMixin`` subclass, so that scikit-learn's ``set_output`` wraps it."""
        return self._encode(X, lengths)

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ----------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted model to ``path``: safetensors weights, JSON config, a checksum.

        On several processes (``torchrun``) rank 0 alone writes; the others hold the same
        model."""
        check_is_fitted(self)
        save_model(self, path)

    def export_onnx(self, directory) -> dict:
        """Write ``encoder.onnx``, ``decoder.onnx``, ``scorer.onnx`` and ``manifest.json`` to
        ``directory``: graphs taking raw float32 rows (scaling inside) with a dynamic batch
        axis, equal to ``transform``, ``inverse_transform`` and ``score_samples`` (a
        ``MaskedAutoencoder`` also writes ``imputer.onnx``, as ``impute``, and no decoder
        when its rows need more than their codes). Returns the paths written. Needs
        ``pip install aekit[onnx]``."""
        from aekit.estimators._onnx import export_estimator

        return export_estimator(self, directory)

    def _model_state(self) -> tuple[dict, dict]:
        return estimator_state(self)

    @classmethod
    def _from_model_state(cls, tensors: dict, config: dict, device, path):
        return restore_estimator(cls, tensors, config, device, path)




def _digest(*arrays) -> str:
    data = hashlib.sha256()
    for array in arrays:
        if array is not None:
            data.update(np.ascontiguousarray(array).tobytes())
    return data.hexdigest()


def _kept_epoch(state) -> int:
    """The epoch whose weights the module holds after training: the best one where early
    stopping restored it (0: the weights training started from), else the last."""
    restored = [c for c in state.callbacks if isinstance(c, EarlyStopping)
                and c.restore_best_weights and c.best_weights is not None]
    return restored[-1].best_epoch if restored else state.epoch


def _kept_loss(state) -> float | None:
    """The monitored loss (val_loss where there is one) of the weights early stopping kept,
    those training started from included; None where it kept none."""
    restored = [c for c in state.callbacks if isinstance(c, EarlyStopping)
                and c.restore_best_weights and c.best_weights is not None]
    return float(restored[-1].best) if restored else None


# A feature's mean in validation_data this many training standard deviations from X's, and its
# spread this many times larger or smaller: data in other units (held-out rows of the same data
# lie within a fraction of a deviation, at about the same spread)
FAR_SHIFT = 10.0
WORSE_END = 10.0  # a kept epoch's loss this many times the run's lowest: training went astray


def _other_channels(shape: tuple[int, ...], expected: tuple[int, ...]
                    ) -> tuple[int, int] | None:
    """``(channels given, channels expected)`` when one image's ``shape`` (channels first or
    last, or none) has the height and width of ``expected``'s but other channels: colour
    images to a grey model, or the other way round; else None."""
    if len(shape) not in (2, 3) or len(expected) not in (2, 3):
        return None
    wanted, sides = (1, expected) if len(expected) == 2 else (expected[0], expected[1:])
    readings = [(1, shape)] if len(shape) == 2 else [(shape[0], shape[1:]), (shape[2], shape[:2])]
    for channels, given_sides in readings:
        if given_sides == sides and channels != wanted:
            return channels, wanted
    return None


def _warn_of_8_bit_pixels(stats: _scaling.FeatureStats) -> None:
    """Images of values in [0, 255] are 8-bit pixels, most likely: trained as they are, they
    are standardised per channel and scored by MSE, where pixels in [0, 1] would get binary
    cross-entropy and a sigmoid output, as in Keras' examples (a trial: quietly so)."""
    if stats.observed and stats.lo.min() >= 0 and UNIT_SLIP < stats.hi.max() <= 255:
        warnings.warn(f"the images' values lie in [0, {stats.hi.max():.4g}], as 8-bit pixels "
                      "do: they are standardised per channel and trained with MSE; give "
                      "X / 255 to train on pixels in [0, 1] (binary cross-entropy, sigmoid "
                      "output)", UserWarning, stacklevel=user_stacklevel())


def _warn_of_a_worse_end(history: dict, kept: int) -> None:
    """Warn when the weights kept score far worse than the run's best epoch: a learning rate
    too high drives the loss up without ever making it infinite (the divergence guard's test),
    and without early stopping the last, worst weights are what ``fit`` returns."""
    key = "val_loss" if history.get("val_loss") else "loss"
    losses = history.get(key, [])
    if kept < 1 or not losses:
        return
    lowest, end = min(losses), losses[kept - 1]
    # and more than half of what training had gained is lost again: a fit near zero loss
    # may end at many times its lowest without having lost anything that matters
    lost = end - lowest
    if (lowest > 0 and end > WORSE_END * lowest and lost > 0.5 * (losses[0] - lowest)
            and lost > NEGLIGIBLE_LOSS):
        best = losses.index(lowest) + 1
        warnings.warn(f"training ended with a {key} of {end:.4g}, "
                      f"{end / lowest:.0f} times its lowest ({lowest:.4g}, epoch "
                      f"{best}): lower learning_rate, or set patience so that early stopping "
                      "keeps the best epoch", RuntimeWarning, stacklevel=user_stacklevel())
