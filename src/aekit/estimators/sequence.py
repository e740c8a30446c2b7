"""Sequence autoencoder (LSTM/GRU) and a helper that cuts long series into windows."""

from __future__ import annotations

import numpy as np
from sklearn.utils.validation import validate_data

from aekit.estimators._params import Param, document, latent_activation, store_params
from aekit.estimators._validation import check_bool, check_int
from aekit.estimators.autoencoder import Autoencoder
from aekit.text import PAD


class SequenceAutoencoder(Autoencoder):
    model_name = "sequence"

    def __init__(self, tokens: bool = False, embedding_dim: int = 32,
                 latent_dim: int | None = None, architecture: str = "lstm",
                 hidden_dims: tuple[int, ...] | None = None, activation: str = "relu",
                 latent_activation: str | None = "linear", output_activation: str = "auto",
                 loss: str = "auto", optimizer: str = "adam", learning_rate: float | None = None,
                 weight_decay: float = 0.0, epochs: int | str = "auto", batch_size: int | str = "auto",
                 shuffle: bool = True, validation_split: float = 0.0, validation_data=None,
                 batch_norm: bool = False, dropout: float = 0.0, patience: int | None = None,
                 restore_best_weights: bool = True, clip_grad_norm: float | None = None,
                 checkpoint_dir: str | None = None, resume: bool = False,
                 callbacks: list | None = None, scaling: str = "auto",
                 random_state: int | None = None, device: str = "auto", compile: str = "auto",
                 precision: str = "float32", verbose: int = 0):
        store_params(self, locals())

    def _check_variant_params(self) -> None:
        super()._check_variant_params()
        if self.architecture not in ("lstm", "gru"):
            raise ValueError(f"SequenceAutoencoder needs architecture='lstm' or 'gru', got "
                             f"{self.architecture!r}")
        check_bool("tokens", self.tokens)
        check_int("embedding_dim", self.embedding_dim)
        if self.tokens and self.loss not in ("auto", "ce"):
            raise ValueError(f"tokens=True scores token ids by cross-entropy: use loss='ce' (or "
                             f"'auto'), not {self.loss!r}")

    # Token ids (text) take their own path: no scaling, an embedding in, cross-entropy out.
    def _check_X(self, X, *, reset: bool, lengths=None):
        if not self.tokens:
            return super()._check_X(X, reset=reset, lengths=lengths)
        ids = validate_data(self, X, reset=reset, dtype=None, ensure_all_finite=True)
        if ids.dtype.kind not in "iu" or ids.min() < 0:
            raise TypeError("tokens=True needs non-negative integer token ids (n, timesteps), "
                            "e.g. from aekit.CharTokenizer")
        if not reset and ids.max() >= self.vocab_size_:
            raise ValueError(f"X holds token id {ids.max()}, but the model knows ids below "
                             f"{self.vocab_size_}")
        if reset:
            self.squeeze_axis_, self.input_shape_ = None, (ids.shape[1],)
        elif ids.shape[1] != self.input_shape_[0]:
            raise ValueError(f"X has {ids.shape[1]} time steps, the model was trained on "
                             f"{self.input_shape_[0]}: pad or cut the token ids to that length")
        if lengths is None:  # trailing padding ids mark the end
            filled = ids != PAD
            lengths = np.maximum(1, ids.shape[1] - np.argmax(filled[:, ::-1], axis=1))
            lengths = np.where(filled.any(1), lengths, 1)
        return ids.astype(np.int64), self._sequence_lengths(ids[..., None], lengths)

    def _resolve_settings(self, X, lengths) -> np.ndarray:
        if not self.tokens:
            return super()._resolve_settings(X, lengths)
        self.vocab_size_ = int(X.max()) + 1
        self.scaling_, self.loss_, self.output_activation_ = "none", "ce", "linear"  # ids
        self.shift_, self.scale_ = np.zeros(1, np.float32), np.ones(1, np.float32)
        self.latent_dim_ = self.latent_dim or min(32, max(1, X.shape[1] // 2))
        return X

    @property
    def _scales_in_torch(self) -> bool:
        return not self.tokens  # token ids are not scaled

    def _scale(self, X, lengths=None):
        return X if self.tokens else super()._scale(X, lengths)

    def _unscale(self, X):
        return X.astype(np.int64) if self.tokens else super()._unscale(X)


document(
    SequenceAutoencoder,
    """Recurrent (LSTM or GRU) encoder-decoder for sequences.

    Input is ``(n, timesteps, features)``, or ``(n, timesteps)`` for univariate series.
    Variable-length sequences are padded: pass ``lengths=`` to ``fit``/``transform``/...
    or pad with NaN after each sequence's end. ``score_samples`` gives the reconstruction
    error per sequence, ``score_steps`` per time step. ``sliding_windows`` cuts a long series
    into training windows. With ``tokens=True``, ``X`` holds integer token ids
    ``(n, timesteps)`` (0 = padding; ``aekit.CharTokenizer`` makes them from strings): they are
    embedded, and the reconstruction is scored by cross-entropy; ``reconstruct`` returns ids.
    Otherwise the same as ``Autoencoder(architecture="lstm")`` apart from the defaults (a
    linear code layer).""",
    own=(
        Param("tokens", "bool", False,
              "X holds integer token ids (text) instead of values."),
        Param("embedding_dim", "int", 32,
              "Size of the token embedding (tokens=True)."),
        latent_activation("linear"),
    ),
    defaults={"architecture": "lstm"},
)


def sliding_windows(series, window: int, step: int = 1) -> np.ndarray:
    """Cut a series ``(T,)`` or ``(T, features)`` into windows ``(n, window[, features])``
    starting every ``step`` values (the last partial window is dropped)."""
    series = np.asarray(series)
    check_int("window", window)
    check_int("step", step)
    if series.ndim not in (1, 2):
        raise ValueError(f"series must have shape (T,) or (T, features), got {series.shape}")
    if len(series) < window:
        raise ValueError(f"the series has {len(series)} values, fewer than window={window}")
    windows = np.lib.stride_tricks.sliding_window_view(series, window, axis=0)[::step]
    return np.ascontiguousarray(np.moveaxis(windows, -1, 1) if series.ndim == 2 else windows)
