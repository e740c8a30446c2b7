"""The one batch type every batch source, training step, module and loss uses."""

from __future__ import annotations

from typing import NamedTuple

import torch


class Batch(NamedTuple):
    """Rows for one training or evaluation step.

    ``x`` ``(n, ...)``: the rows in the network's units. ``lengths`` ``(n,)``: each sequence's
    valid time steps (None: every step). ``mask`` shaped like ``x``: 1 where a cell is observed,
    0 where it is missing (None: every cell); the losses count observed cells only. A named
    tuple, so ``torch.compile`` and CUDA graphs see plain tensors.
    """

    x: torch.Tensor
    lengths: torch.Tensor | None = None
    mask: torch.Tensor | None = None

    @property
    def rows(self) -> int:
        return self.x.shape[0]

    @property
    def only_x(self) -> bool:
        """Whether the batch carries nothing but ``x`` (what a hand-written step may serve)."""
        return self.lengths is None and self.mask is None

    def map(self, fn) -> Batch:
        """``fn`` applied to every tensor the batch holds (None stays None)."""
        return Batch(*(None if t is None else fn(t) for t in self))
