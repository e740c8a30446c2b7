"""Input corruptions for denoising autoencoders (Vincent et al. 2008,
https://www.cs.toronto.edu/~larocheh/publications/icml-2008-denoising-autoencoders.pdf)."""

from __future__ import annotations

import torch
from torch import nn

NOISES = ("gaussian", "masking", "salt_pepper")


class Corruption(nn.Module):
    """Corrupt a batch: ``gaussian`` adds ``level`` x N(0, 1); ``masking`` zeroes a ``level``
    fraction of entries; ``salt_pepper`` sets a ``level`` fraction to ``low`` or ``high``.

    ``low``/``high`` bound the result (the data's range), so noisy pixels stay valid pixels.
    Without them, salt and pepper are each feature's extremes in the batch (a table's columns
    and a sequence's features have ranges of their own); a batch of images shares one range.
    """

    def __init__(self, kind: str, level: float, low: float | None = None,
                 high: float | None = None):
        super().__init__()
        self.kind, self.level, self.low, self.high = kind, level, low, high

    def forward(self, x: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        if self.kind == "gaussian":
            noisy = x + self.level * torch.randn(x.shape, generator=generator, device=x.device)
        elif self.kind == "masking":
            keep = torch.rand(x.shape, generator=generator, device=x.device) >= self.level
            noisy = x * keep
        else:
            draw = torch.rand(x.shape, generator=generator, device=x.device)
            low = _extremes(x, torch.amin) if self.low is None else self.low
            high = _extremes(x, torch.amax) if self.high is None else self.high
            noisy = torch.where(draw < self.level / 2, low, x)
            noisy = torch.where(draw > 1 - self.level / 2, high, noisy)
        if self.low is not None or self.high is not None:
            noisy = noisy.clamp(self.low, self.high)
        return noisy


def _extremes(x: torch.Tensor, extreme) -> torch.Tensor:
    """Each feature's extreme: over the rows of a table ``(n, F)``, over the rows and steps of
    sequences ``(n, T, F)``; the whole batch's for images ``(n, C, H, W)``."""
    if x.dim() == 2:
        return extreme(x, dim=0)
    if x.dim() == 3:
        return extreme(x, dim=(0, 1))
    return extreme(x)
