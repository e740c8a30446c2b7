"""The one estimator base class: validation, scaling, the training call, inference, saving.

Variants subclass it and override ``_build_module`` (and, for other input shapes, the
input checks); the training itself always goes through ``aekit.train.run``.
"""

from __future__ import annotations

import hashlib
import json
import numbers
import os
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, ClassNamePrefixFeaturesOutMixin, TransformerMixin
from sklearn.utils import check_random_state
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit.estimators import _scaling
from aekit.estimators._torch import map_batches, resolve_device, seeded_rng, to_tensor
from aekit.estimators._validation import (
    check_bool,
    check_choice,
    check_finite,
    check_float,
    check_int,
    to_float32,
)
from aekit.nn import ACTIVATIONS, LOSSES
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
from aekit.train.optim import OPTIMIZERS

EVAL_BATCH = 8192
# Parameters that hold data or live objects: never written to a model file.
UNSAVED_PARAMS = ("validation_data", "callbacks")
# Parameters a resumed run may change without becoming another run.
RUN_ONLY_PARAMS = ("epochs", "verbose", "checkpoint_dir", "resume", "device")


class BaseAutoencoder(ClassNamePrefixFeaturesOutMixin, TransformerMixin, BaseEstimator):
    """Shared machinery of every aekit estimator; see ``Autoencoder`` for the parameters."""

    model_name = "base"

    # ----------------------------------------------------------------- parameters
    def _check_params(self) -> None:
        check_int("latent_dim", self.latent_dim, allow_none=True)
        hidden = self.hidden_dims
        if isinstance(hidden, numbers.Integral) and not isinstance(hidden, bool):
            hidden = (hidden,)
        if not isinstance(hidden, (tuple, list)):
            raise TypeError(f"hidden_dims must be a tuple of layer widths, got {hidden!r}")
        for width in hidden:
            check_int("each of hidden_dims", width)
        self._hidden_dims = tuple(int(w) for w in hidden)
        check_choice("activation", self.activation, ACTIVATIONS)
        if self.latent_activation is not None:
            check_choice("latent_activation", self.latent_activation, ACTIVATIONS)
        check_choice("output_activation", self.output_activation, ("auto", *ACTIVATIONS))
        check_choice("loss", self.loss, ("auto", *LOSSES))
        check_choice("optimizer", self.optimizer, OPTIMIZERS)
        check_float("learning_rate", self.learning_rate, low=0, high=np.inf, low_open=True,
                    allow_none=True)
        check_float("weight_decay", self.weight_decay, low=0, high=np.inf)
        check_int("epochs", self.epochs)
        check_int("batch_size", self.batch_size)
        check_bool("shuffle", self.shuffle)
        check_float("validation_split", self.validation_split, low=0, high=1)
        check_bool("batch_norm", self.batch_norm)
        check_float("dropout", self.dropout, low=0, high=1)
        check_int("patience", self.patience, allow_none=True)
        check_bool("restore_best_weights", self.restore_best_weights)
        check_float("clip_grad_norm", self.clip_grad_norm, low=0, high=np.inf, low_open=True,
                    allow_none=True)
        if not (self.checkpoint_dir is None or isinstance(self.checkpoint_dir, (str, os.PathLike))):
            raise ValueError(f"checkpoint_dir must be a folder path or None, "
                             f"got {self.checkpoint_dir!r}")
        check_bool("resume", self.resume)
        callbacks = self.callbacks or []
        if not all(isinstance(c, Callback) for c in callbacks):
            raise TypeError("callbacks must be a list of aekit.train.Callback instances")
        check_choice("scaling", "none" if self.scaling is None else self.scaling,
                     _scaling.SCALINGS)
        check_int("verbose", int(self.verbose) if isinstance(self.verbose, bool) else self.verbose,
                  low=0)
        resolve_device(self.device)

    # ----------------------------------------------------------------- input checks
    def _check_X(self, X, *, reset: bool) -> np.ndarray:
        """2-D float32 rows; the feature count must match the fitted one unless ``reset``."""
        X = validate_data(self, X, reset=reset, dtype=(np.float64, np.float32),
                          ensure_all_finite=False)
        check_finite(X, "X")
        return to_float32(X, "X")

    def _check_codes(self, Z) -> np.ndarray:
        check_is_fitted(self)
        Z = np.asarray(Z)
        if Z.dtype.kind not in "biuf":
            raise TypeError(f"codes must be numeric, got dtype {Z.dtype}")
        if Z.ndim != 2 or Z.shape[1] != self.latent_dim_:
            raise ValueError(f"codes must have shape (n, {self.latent_dim_}), got {Z.shape}")
        check_finite(Z, "codes")
        return to_float32(Z, "codes")

    def _check_bce_range(self, X: np.ndarray, name: str) -> None:
        if self.loss_ == "bce" and X.size and (X.min() < 0 or X.max() > 1):
            raise ValueError(
                f"loss='bce' needs {name} in [0, 1] after scaling (found {X.min():.3g} to "
                f"{X.max():.3g}): use scaling='minmax' or loss='mse'"
            )

    # ----------------------------------------------------------------- fitting
    def fit(self, X, y=None):
        """Train on ``X`` (shape ``(n_samples, n_features)``); ``y`` is ignored."""
        self._check_params()
        X = self._check_X(X, reset=True)
        seed = int(check_random_state(self.random_state).randint(np.iinfo(np.int32).max))
        self._resolve_settings(X)
        X = self._scale(X)
        self._check_bce_range(X, "X")
        X_train, X_val = self._split_validation(X, seed)
        device = resolve_device(self.device)
        with seeded_rng(device):
            torch.manual_seed(seed)
            self.module_ = self._build_module().to(device)
            self._train(X_train, X_val, device, seed)
        return self

    def _resolve_settings(self, X: np.ndarray) -> None:
        """Fix every ``"auto"`` setting from the training data (stored with a trailing ``_``)."""
        self.scaling_ = _scaling.resolve_scaling(self.scaling, X)
        self.shift_, self.scale_ = _scaling.fit_scaling(self.scaling_, X)
        scaled = self._scale(X)
        in_unit = scaled.size > 0 and scaled.min() >= 0 and scaled.max() <= 1
        if self.loss == "auto":
            self.loss_ = "bce" if in_unit and self.scaling_ == "none" else "mse"
        else:
            self.loss_ = self.loss
        if self.output_activation == "auto":
            self.output_activation_ = "sigmoid" if self.loss_ == "bce" else "linear"
        else:
            self.output_activation_ = self.output_activation
        if self.loss_ == "bce" and self.output_activation_ != "sigmoid":
            raise ValueError("loss='bce' needs output_activation='sigmoid' (or 'auto')")
        n_features = X.shape[1]
        self.latent_dim_ = self.latent_dim or min(32, max(1, n_features // 2))

    def _split_validation(self, X: np.ndarray, seed: int):
        if self.validation_data is not None:
            X_val = self._scale(self._check_validation_data(self.validation_data))
            self._check_bce_range(X_val, "validation_data")
            return X, X_val
        if not self.validation_split:
            return X, None
        n_val = int(len(X) * self.validation_split)
        if n_val < 1 or n_val >= len(X):
            raise ValueError(f"validation_split={self.validation_split} leaves no rows for "
                             f"{'validation' if n_val < 1 else 'training'} out of {len(X)}")
        order = np.random.RandomState(seed).permutation(len(X))
        return X[order[n_val:]], X[order[:n_val]]

    def _check_validation_data(self, data) -> np.ndarray:
        if isinstance(data, tuple):  # Keras passes (x, y); an autoencoder's y is x
            data = data[0]
        try:
            return self._check_X(data, reset=False)
        except ValueError as error:
            raise ValueError(f"validation_data: {error}") from None

    def _train(self, X_train, X_val, device: torch.device, seed: int) -> None:
        optimizer = make_optimizer(self.optimizer, self.module_.parameters(),
                                   learning_rate=self.learning_rate,
                                   weight_decay=self.weight_decay, device_type=device.type)
        generator = torch.Generator().manual_seed(seed)
        batches = TensorBatches(to_tensor(X_train, device), batch_size=self.batch_size,
                                shuffle=self.shuffle, generator=generator,
                                min_batch=2 if self.batch_norm else 1)
        if len(batches) == 0:
            raise ValueError("batch_norm=True needs at least 2 training rows")
        val_batches = None
        if X_val is not None:
            val_batches = TensorBatches(to_tensor(X_val, device), batch_size=EVAL_BATCH)
        state = TrainState(self.module_, optimizer, epochs=self.epochs, generator=generator,
                           clip_grad_norm=self.clip_grad_norm, save_model=self.save)
        self.history_ = state.history  # live, so checkpoints written mid-run carry it
        run(state, batches, val_batches, self._callbacks(X_train, X_val))
        self.n_epochs_ = state.epoch
        if state.diverged:
            if state.epoch <= 1:  # nothing worth keeping
                raise ValueError(state.stop_reason)
            warnings.warn(state.stop_reason, RuntimeWarning, stacklevel=3)

    def _fingerprint(self, X_train: np.ndarray, X_val: np.ndarray | None) -> dict:
        """What identifies a run for resuming: the data and every parameter that shapes it."""
        from aekit.estimators.persistence import saved_params

        data = hashlib.sha256(np.ascontiguousarray(X_train).tobytes())
        if X_val is not None:
            data.update(np.ascontiguousarray(X_val).tobytes())
        params = {k: v for k, v in saved_params(self).items() if k not in RUN_ONLY_PARAMS}
        return {"data": data.hexdigest(), **json.loads(json.dumps(params))}

    def _callbacks(self, X_train, X_val) -> list[Callback]:
        callbacks = list(self.callbacks or [])
        if self.patience is not None:
            callbacks.append(EarlyStopping(patience=self.patience,
                                           restore_best_weights=self.restore_best_weights))
        if self.verbose == 1:
            callbacks.append(ProgressBar())
        elif self.verbose and self.verbose >= 2:
            callbacks.append(EpochLogger())
        if self.checkpoint_dir is not None:  # last: it saves what the others have updated
            callbacks.append(BackupAndRestore(self.checkpoint_dir, resume=self.resume,
                                              fingerprint=self._fingerprint(X_train, X_val)))
        return callbacks

    def _build_module(self) -> torch.nn.Module:
        raise NotImplementedError

    # ----------------------------------------------------------------- inference
    @property
    def _device(self) -> torch.device:
        return next(self.module_.parameters()).device

    def _scale(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            scaled = _scaling.apply_scaling(X, self.shift_, self.scale_)
        if not np.isfinite(scaled).all():
            raise ValueError("X holds values so far from the training data that scaling "
                             "overflows float32: rescale the data first")
        return scaled

    def _unscale(self, X: np.ndarray) -> np.ndarray:
        with np.errstate(over="ignore"):
            out = _scaling.invert_scaling(X, self.shift_, self.scale_)
        if not np.isfinite(out).all():
            raise ValueError("the reconstruction overflows float32 in the data's units: "
                             "rescale the data (values near 3.4e38 leave no headroom)")
        return out

    def _prepare(self, X) -> np.ndarray:
        check_is_fitted(self)
        return self._scale(self._check_X(X, reset=False))

    def transform(self, X) -> np.ndarray:
        """Encode ``X`` to codes of shape ``(n_samples, latent_dim_)``."""
        X = self._prepare(X)
        return map_batches(self.module_.encode, X, self._device)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode codes ``Z`` back to the input space (scaling inverted)."""
        Z = self._check_codes(Z)
        return self._unscale(map_batches(self.module_.decode, Z, self._device))

    def reconstruct(self, X) -> np.ndarray:
        """Encode then decode ``X``; same shape and units as ``X``."""
        X = self._prepare(X)
        return self._unscale(map_batches(self.module_.reconstruct, X, self._device))

    def score_samples(self, X) -> np.ndarray:
        """Per-row negative reconstruction loss (the training loss): higher is more normal."""
        X = self._prepare(X)
        self._check_bce_range(X, "X")
        return -map_batches(self.module_.row_loss, X, self._device)

    def score(self, X, y=None) -> float:
        """Mean of ``score_samples``: higher is better (used by ``GridSearchCV``)."""
        return float(np.mean(self.score_samples(X)))

    @property
    def _n_features_out(self) -> int:
        return self.latent_dim_

    def __sklearn_tags__(self):
        tags = super().__sklearn_tags__()
        tags.transformer_tags.preserves_dtype = ["float32"]
        return tags

    # ----------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted model to ``path``: safetensors weights, JSON config, a checksum."""
        from aekit.estimators.persistence import save_estimator

        check_is_fitted(self)
        save_estimator(self, path)
