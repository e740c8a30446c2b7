"""Dense encoder and decoder: ``n_features -> hidden_dims`` and its mirror."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aekit.nn.blocks import dense_stack


class DenseEncoder(nn.Module):
    """``(n, n_features) -> (n, out_dim)``; with no hidden layers it passes ``x`` through."""

    def __init__(self, n_features: int, hidden_dims: Sequence[int], activation_name: str,
                 batch_norm: bool = False, dropout: float = 0.0):
        super().__init__()
        dims = [n_features, *hidden_dims]
        self.out_dim = dims[-1]
        self.net = dense_stack(dims, activation_name, batch_norm=batch_norm, dropout=dropout,
                               last_is_hidden=True) if hidden_dims else nn.Identity()

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(x)


class DenseDecoder(nn.Module):
    """``(n, latent_dim) -> (n, n_features)`` pre-activations, mirroring the encoder."""

    def __init__(self, latent_dim: int, hidden_dims: Sequence[int], n_features: int,
                 activation_name: str, batch_norm: bool = False, dropout: float = 0.0):
        super().__init__()
        self.net = dense_stack([latent_dim, *reversed(hidden_dims), n_features], activation_name,
                               batch_norm=batch_norm, dropout=dropout)

    def forward(self, z: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.net(z)
