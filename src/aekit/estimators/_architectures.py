"""Architectures: which input shapes each accepts, how its scaling statistics are pooled,
and the encoder/decoder pair it builds. A registry, so every variant can use every one."""

from __future__ import annotations

import warnings
from dataclasses import dataclass

import numpy as np

from aekit._stack import user_stacklevel
from aekit.nn.conv import ConvDecoder, ConvEncoder
from aekit.nn.dense import DenseDecoder, DenseEncoder
from aekit.nn.recurrent import RecurrentDecoder, RecurrentEncoder


@dataclass(frozen=True)
class Architecture:
    name: str
    ndims: tuple[int, ...]  # accepted X.ndim values
    default_hidden: tuple[int, ...]

    def added_axis(self, ndim: int) -> int | None:
        """The axis ``canonical`` adds to an input of ``ndim`` dimensions, if any."""
        if self.name == "conv" and ndim == 3:
            return 1  # (n, H, W) -> (n, 1, H, W)
        if self.name in ("lstm", "gru") and ndim == 2:
            return 2  # (n, T) -> (n, T, 1)
        return None

    def canonical(self, X: np.ndarray) -> np.ndarray:
        """Give ``X`` the shape the networks take: images ``(n, C, H, W)``, sequences
        ``(n, T, F)``."""
        axis = self.added_axis(X.ndim)
        return X if axis is None else np.expand_dims(X, axis)

    def check_channels_first(self, shape: tuple[int, ...]) -> None:
        """Warn of images that look channels-last, ``(H, W, C)`` as PIL, scikit-image and
        Keras give them: convolving over their rows as if they were channels trains a wrong
        model without a sign of it. A warning, not a refusal: signals of 8 or more channels,
        1 to 4 wide, look the same."""
        if (self.name == "conv" and len(shape) == 3 and shape[-1] in (1, 3, 4)
                and min(shape[:2]) >= 8):
            warnings.warn(f"images of shape {shape} look channels-last (height, width, "
                          "channels), and conv reads (n, channels, height, width): if they "
                          "are, pass X.transpose(0, 3, 1, 2)", UserWarning,
                          stacklevel=user_stacklevel())

    def channel_values(self, X: np.ndarray, mask: np.ndarray | None) -> np.ndarray:
        """``(N, channels)`` values the scaling statistics are computed over."""
        if self.name == "conv":
            return X.transpose(0, 2, 3, 1).reshape(-1, X.shape[1])
        if self.name in ("lstm", "gru"):
            return X[mask] if mask is not None else X.reshape(-1, X.shape[-1])
        return X

    def stat_shape(self, n_channels: int) -> tuple[int, ...]:
        return (n_channels, 1, 1) if self.name == "conv" else (n_channels,)

    def build(self, est, input_shape: tuple[int, ...], latent_dim: int):
        """Encoder and decoder for ``input_shape`` (without the batch axis)."""
        hidden = est._hidden_dims
        if self.name == "dense":
            encoder = DenseEncoder(input_shape[0], hidden, est.activation, est.batch_norm,
                                   est.dropout, skip=est._linear_skip)
            decoder = DenseDecoder(latent_dim, hidden, input_shape[0], est.activation,
                                   est.batch_norm, est.dropout, skip=est._linear_skip)
        elif self.name == "conv":
            encoder = ConvEncoder(input_shape, hidden, est.activation, est.batch_norm,
                                  est.dropout)
            decoder = ConvDecoder(latent_dim, encoder, input_shape[0], est.activation,
                                  est.batch_norm)
        else:
            vocab = est.vocab_size_ if est._input_kind is not None else None  # token ids
            steps, n_features = (input_shape[0], 1) if vocab else input_shape
            encoder = RecurrentEncoder(n_features, hidden, self.name, vocab_size=vocab,
                                       embedding_dim=getattr(est, "embedding_dim", 32),
                                       dropout=est.dropout)
            decoder = RecurrentDecoder(latent_dim, hidden, vocab or n_features, self.name, steps)
        return encoder, decoder


ARCHITECTURES: dict[str, Architecture] = {
    "dense": Architecture("dense", (2,), ()),
    "conv": Architecture("conv", (3, 4), (32, 64)),
    "lstm": Architecture("lstm", (2, 3), (64,)),
    "gru": Architecture("gru", (2, 3), (64,)),
}


