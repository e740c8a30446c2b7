"""Sequence autoencoder (LSTM/GRU) and a helper that cuts long series into windows."""

from __future__ import annotations

import numpy as np

from aekit.estimators._inputs import TOKEN_IDS
from aekit.estimators._params import Param, document, latent_activation, store_params
from aekit.estimators._validation import check_bool, check_int
from aekit.estimators.autoencoder import Autoencoder


class SequenceAutoencoder(Autoencoder):
    model_name = "sequence"

    def __init__(self, *, tokens: bool = False, embedding_dim: int = 32,
                 vocab_size: int | None = None, latent_dim: int | None = None,
                 architecture: str = "lstm", hidden_dims: tuple[int, ...] | None = None, activation: str = "relu",
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
        check_int("vocab_size", self.vocab_size, allow_none=True)
        if self.vocab_size is not None and not self.tokens:
            raise ValueError("vocab_size applies to token ids (tokens=True)")
        if self.tokens and self.loss not in ("auto", "ce"):
            raise ValueError(f"tokens=True scores token ids by cross-entropy: use loss='ce' (or "
                             f"'auto'), not {self.loss!r}")

    @property
    def _input_kind(self):
        return TOKEN_IDS if self.tokens else None  # text: ids in, ids out, cross-entropy


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
        Param("vocab_size", "int or None", None,
              "How many token ids there are (tokens=True), a tokenizer's vocab_size, so that "
              "ids the training rows lack are known. None: the largest id in X plus one."),
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
