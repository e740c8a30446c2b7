"""Dense encoder and decoder: ``n_features -> hidden_dims`` and its mirror.

With ``skip=True`` each side also has a linear path around its hidden layers: the encoder
hands the code layer its input beside the hidden features, and the decoder's output layer sees
the code beside its hidden features. ``pca_init_`` then starts the network as PCA (the linear
paths hold the principal components, the hidden paths start at zero weight), so training only
adds what the hidden layers find.
"""

from __future__ import annotations

from collections.abc import Sequence

import torch
from torch import nn

from aekit.nn.blocks import dense_stack


def sequential_layers(net: nn.Module) -> list[nn.Module]:
    return list(net) if isinstance(net, nn.Sequential) else [net]


class DenseEncoder(nn.Module):
    """``(n, n_features) -> (n, out_dim)``; with no hidden layers it passes ``x`` through, and
    with ``skip`` it returns ``[x, hidden(x)]`` (``out_dim = n_features + hidden_dims[-1]``)."""

    def __init__(self, n_features: int, hidden_dims: Sequence[int], activation_name: str,
                 batch_norm: bool = False, dropout: float = 0.0, skip: bool = False):
        super().__init__()
        dims = [n_features, *hidden_dims]
        self.skip = skip and bool(hidden_dims)
        self.out_dim = dims[-1] + (n_features if self.skip else 0)
        self.net = dense_stack(dims, activation_name, batch_norm=batch_norm, dropout=dropout,
                               last_is_hidden=True) if hidden_dims else nn.Identity()

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.cat([x, self.net(x)], dim=1) if self.skip else self.net(x)

    def manual_layers(self) -> list[nn.Module] | None:
        """The layers in order when the encoder is a plain chain (no skip path); else None."""
        return None if self.skip else sequential_layers(self.net)


class DenseDecoder(nn.Module):
    """``(n, latent_dim) -> (n, n_features)`` pre-activations, mirroring the encoder; with
    ``skip`` the output layer reads ``[z, hidden(z)]``."""

    def __init__(self, latent_dim: int, hidden_dims: Sequence[int], n_features: int,
                 activation_name: str, batch_norm: bool = False, dropout: float = 0.0,
                 skip: bool = False):
        super().__init__()
        self.skip = skip and bool(hidden_dims)
        if self.skip:
            self.hidden = dense_stack([latent_dim, *reversed(hidden_dims)], activation_name,
                                      batch_norm=batch_norm, dropout=dropout,
                                      last_is_hidden=True)
            self.out = nn.Linear(latent_dim + hidden_dims[0], n_features)
        else:
            self.net = dense_stack([latent_dim, *reversed(hidden_dims), n_features],
                                   activation_name, batch_norm=batch_norm, dropout=dropout)

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        if self.skip:
            return self.out(torch.cat([z, self.hidden(z)], dim=1))
        return self.net(z)

    def manual_layers(self) -> list[nn.Module] | None:
        return None if self.skip else sequential_layers(self.net)


@torch.no_grad()
def pca_init_(code: nn.Linear, decoder: DenseDecoder, mean: torch.Tensor,
              components: torch.Tensor) -> None:
    """Start a skip network as PCA: ``code`` maps ``[x, h]`` to ``components @ (x - mean)`` and
    the decoder maps ``[z, g]`` to ``components.T @ z + mean``; the hidden paths get zero weight.

    Shapes: ``mean`` ``(n_features,)``, ``components`` ``(latent_dim, n_features)`` (orthonormal
    rows, as ``torch.linalg.svd`` gives them).
    """
    k, d = components.shape
    code.weight.zero_()
    code.weight[:, :d] = components
    code.bias.copy_(-components @ mean)
    decoder.out.weight.zero_()
    decoder.out.weight[:, :k] = components.T
    decoder.out.bias.copy_(mean)
