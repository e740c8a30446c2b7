"""Input scaling as a module, so that a graph (an ONNX export) can take raw rows."""

from __future__ import annotations

import torch
from torch import nn


class Scaling(nn.Module):
    """``(x - shift) / scale`` and its inverse, with ``shift`` and ``scale`` as buffers.

    The estimators' fitted scaling (``shift_``, ``scale_``), in a module: ``forward`` takes rows
    in the data's units to the network's, ``inverse`` brings outputs back. The statistics
    broadcast over the row's trailing axes: ``(F,)`` for tables and sequences, ``(C, 1, 1)``
    for images.

    Shapes: ``x`` ``(n, ...)`` -> ``(n, ...)``.
    """

    def __init__(self, shift: torch.Tensor, scale: torch.Tensor):
        super().__init__()
        self.register_buffer("shift", torch.as_tensor(shift, dtype=torch.float32))
        self.register_buffer("scale", torch.as_tensor(scale, dtype=torch.float32))

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return (x - self.shift) / self.scale

    def inverse(self, x: torch.Tensor) -> torch.Tensor:
        return x * self.scale + self.shift
