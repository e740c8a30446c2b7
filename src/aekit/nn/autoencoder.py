"""The plain (dense) autoencoder module."""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aekit.nn.blocks import dense_stack, glorot_init_
from aekit.nn.losses import Reconstruction


class DenseAutoencoder(nn.Module):
    """Encoder ``n_features -> hidden_dims -> latent_dim``; the decoder mirrors it.

    ``forward`` returns the loss terms this module owns; the training loop reads only
    ``out["loss"]``.

    Shapes: ``x`` is ``(n, n_features)``, codes ``z`` are ``(n, latent_dim)``.
    """

    def __init__(
        self,
        n_features: int,
        latent_dim: int,
        hidden_dims: Sequence[int] = (),
        *,
        activation: str = "relu",
        latent_activation: str = "relu",
        reconstruction: Reconstruction | None = None,
        batch_norm: bool = False,
        dropout: float = 0.0,
    ):
        super().__init__()
        dims = [n_features, *hidden_dims, latent_dim]
        self.encoder = dense_stack(
            dims, activation, batch_norm=batch_norm, dropout=dropout,
            last_activation=latent_activation,
        )
        self.decoder = dense_stack(
            dims[::-1], activation, batch_norm=batch_norm, dropout=dropout
        )
        self.head = reconstruction or Reconstruction()
        glorot_init_(self)

    def encode(self, x: torch.Tensor) -> torch.Tensor:
        return self.encoder(x)

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        return self.head.output(self.decoder(z))

    def forward(self, x: torch.Tensor) -> dict[str, torch.Tensor]:
        loss = self.head.batch_loss(self.decoder(self.encoder(x)), x)
        return {"loss": loss, "recon": loss.detach()}

    def row_loss(self, x: torch.Tensor) -> torch.Tensor:
        """Per-row loss ``(n,)``: what ``score_samples`` negates."""
        return self.head.row_loss(self.decoder(self.encoder(x)), x)

    def reconstruct(self, x: torch.Tensor) -> torch.Tensor:
        return self.decode(self.encode(x))
