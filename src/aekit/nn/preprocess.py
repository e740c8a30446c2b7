"""Input scaling and reshaping as modules, so that training batches, inference batches and
exported graphs (ONNX) all take rows in the data's own units."""

from __future__ import annotations

import torch
from torch import nn

from aekit.nn.autoencoder import length_mask


class Scaling(nn.Module):
    """``(x - shift) / scale`` and its inverse, with ``shift`` and ``scale`` as buffers.

    The estimators' fitted scaling (``shift_``, ``scale_``), in a module: ``forward`` takes rows
    in the data's units to the network's, ``inverse`` brings outputs back. The statistics
    broadcast over the row's trailing axes: ``(F,)`` for tables and sequences, ``(C, 1, 1)``
    for images.

    The identity (``scaling_="none"``: shift 0, scale 1) passes ``x`` through as it is, so
    unscaled data is never copied; that is decided once, from the statistics it is built with.

    Shapes: ``x`` ``(n, ...)`` -> ``(n, ...)``.
    """

    def __init__(self, shift: torch.Tensor, scale: torch.Tensor):
        super().__init__()
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))
        self.identity = bool((self.shift == 0).all() and (self.scale == 1).all())

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.identity else (x - self.shift) / self.scale

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x if self.identity else x * self.scale + self.shift


class Preprocessor(nn.Module):
    """Rows as the user gives them -> the network's input, and outputs back.

    ``forward`` adds the axis the estimator's ``canonical`` adds (``added_axis``: images
    ``(n, H, W)`` -> ``(n, 1, H, W)``, series ``(n, T)`` -> ``(n, T, 1)``; None for rows already
    in the network's shape), applies the fitted ``Scaling`` and sets what carries no value to
    exactly zero: padded time steps (beyond each sequence's ``lengths``) and cells that are not
    observed (``mask`` 0, the column mean in standard units). Padding and missing cells may
    hold NaN. ``inverse`` unscales and removes the axis. Training batches, inference batches,
    streamed blocks and exported graphs all go through it; the arrays the user passes are
    checked, never reshaped, padded or scaled in NumPy.
    """

    def __init__(self, shift: torch.Tensor, scale: torch.Tensor, added_axis: int | None = None):
        super().__init__()
        self.scaling = Scaling(shift, scale)
        self.added_axis = added_axis

    def forward(self, x: torch.Tensor, lengths: torch.Tensor | None = None,
                mask: torch.Tensor | None = None) -> torch.Tensor:
        if self.added_axis is not None:
            x = x.unsqueeze(self.added_axis)
        z = self.scaling(x)
        if lengths is not None:
            z = torch.where(length_mask(lengths, z.shape[1])[..., None] > 0, z, 0.0)
        if mask is not None:
            z = torch.where(mask > 0, z, 0.0)
        return z

    def inverse(self, z: torch.Tensor) -> torch.Tensor:
        out = self.scaling.inverse(z)
        return out if self.added_axis is None else out.squeeze(self.added_axis)
