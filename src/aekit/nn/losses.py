"""Reconstruction heads: the output activation paired with the loss it is scored by."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aekit.nn.blocks import activation

LOSSES = ("mse", "bce")


class Reconstruction(nn.Module):
    """Turns decoder pre-activations into outputs and per-row losses.

    ``loss="bce"`` with a sigmoid output is computed from the logits
    (``binary_cross_entropy_with_logits``), exact where ``log(sigmoid(x))`` would underflow.
    ``loss="ce"`` scores token logits ``(n, T, vocab)`` against integer targets ``(n, T)``.
    Losses are means over the scored elements of a row, as Keras reports them; an optional
    ``mask`` ``(n, T)`` leaves padded time steps out.

    Shapes: ``pre`` is ``(n, ...)``; ``row_loss`` returns ``(n,)``.
    """

    def __init__(self, loss: str = "mse", output_activation: str = "linear"):
        super().__init__()
        if loss == "bce" and output_activation != "sigmoid":
            raise ValueError("loss='bce' needs output_activation='sigmoid'")
        self.loss = loss
        self.output_activation = output_activation
        self.activation = activation(output_activation)

    def output(self, pre: torch.Tensor) -> torch.Tensor:
        if self.loss == "ce":
            return pre.argmax(dim=-1)
        return self.activation(pre)

    def elementwise(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss per element, shaped like ``target``."""
        if self.loss == "ce":
            return F.cross_entropy(pre.transpose(1, -1), target, reduction="none")
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(pre, target, reduction="none")
        return (self.output(pre) - target).square()

    def row_loss(self, pre: torch.Tensor, target: torch.Tensor,
                 mask: torch.Tensor | None = None, reduce: str = "mean") -> torch.Tensor:
        """Loss per row, the mean (or ``reduce="sum"``) over its scored elements."""
        losses = self.elementwise(pre, target)
        if mask is None:
            rows = losses.flatten(1)
            return rows.sum(1) if reduce == "sum" else rows.mean(1)
        weights = mask.reshape(mask.shape + (1,) * (losses.dim() - mask.dim())).expand_as(losses)
        total = (losses * weights).flatten(1).sum(1)
        return total if reduce == "sum" else total / weights.flatten(1).sum(1).clamp_min(1)

    def step_loss(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per time step ``(n, T)``: the mean over the remaining axes (sequences only)."""
        losses = self.elementwise(pre, target)
        return losses.flatten(2).mean(dim=2) if losses.dim() > 2 else losses
