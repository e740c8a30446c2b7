"""Convolutional encoder and transposed-convolution decoder for images ``(n, C, H, W)``."""

from __future__ import annotations

import itertools
from collections.abc import Sequence

import torch
from torch import nn

from aekit.nn.blocks import activation


def _conv_out(size: int) -> int:
    return (size + 2 * 1 - 3) // 2 + 1  # kernel 3, stride 2, padding 1


class ConvEncoder(nn.Module):
    """Stride-2 3x3 convolutions with ``channels`` filters each, then flattened.

    Shapes: ``(n, C, H, W) -> (n, out_dim)``; ``spatial`` lists each layer's ``(H, W)``.
    """

    def __init__(self, in_shape: Sequence[int], channels: Sequence[int], activation_name: str,
                 batch_norm: bool = False, dropout: float = 0.0):
        super().__init__()
        c, h, w = in_shape
        layers: list[nn.Module] = []
        self.spatial = [(h, w)]
        self.channels = [c, *channels]
        for out in channels:
            layers.append(nn.Conv2d(c, out, 3, stride=2, padding=1))
            if batch_norm:
                layers.append(nn.BatchNorm2d(out))
            layers.append(activation(activation_name))
            if dropout > 0:
                layers.append(nn.Dropout(dropout))
            c, h, w = out, _conv_out(h), _conv_out(w)
            self.spatial.append((h, w))
        self.net = nn.Sequential(*layers)
        self.out_shape = (c, h, w)
        self.out_dim = c * h * w

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return self.net(x).flatten(1)


class ConvDecoder(nn.Module):
    """Mirror of ``ConvEncoder``: a linear layer to the last feature map, then stride-2
    transposed convolutions back to ``(n, C, H, W)`` pre-activations (sizes matched exactly)."""

    def __init__(self, latent_dim: int, encoder: ConvEncoder, out_channels: int,
                 activation_name: str, batch_norm: bool = False):
        super().__init__()
        self.map_shape = encoder.out_shape
        self.project = nn.Sequential(nn.Linear(latent_dim, encoder.out_dim),
                                     activation(activation_name))
        widths = [*reversed(encoder.channels[1:]), out_channels]
        self.sizes = list(reversed(encoder.spatial[:-1]))
        self.ups = nn.ModuleList(nn.ConvTranspose2d(a, b, 3, stride=2, padding=1)
                                 for a, b in itertools.pairwise(widths))
        self.post = nn.ModuleList(
            nn.Sequential(*([nn.BatchNorm2d(b)] if batch_norm else []), activation(activation_name))
            for b in widths[1:-1])

    def forward(self, z: torch.Tensor) -> torch.Tensor:
        x = self.project(z).reshape(-1, *self.map_shape)
        for i, up in enumerate(self.ups):
            x = up(x, output_size=self.sizes[i])
            if i < len(self.post):
                x = self.post[i](x)
        return x
