"""Reconstruction heads: the output activation paired with the loss it is scored by."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aekit.nn.blocks import activation

LOSSES = ("mse", "bce")


class Reconstruction(nn.Module):
    """Turns decoder pre-activations into outputs and per-row losses.

    With ``loss="bce"`` and a sigmoid output the loss is computed from the logits
    (``binary_cross_entropy_with_logits``), which is exact where ``log(sigmoid(x))`` would
    underflow. Losses are means over features, as Keras reports them.

    Shapes: ``pre`` and ``target`` are ``(n, ...)``; ``row_loss`` returns ``(n,)``.
    """

    def __init__(self, loss: str = "mse", output_activation: str = "linear"):
        super().__init__()
        if loss == "bce" and output_activation != "sigmoid":
            raise ValueError("loss='bce' needs output_activation='sigmoid'")
        self.loss = loss
        self.output_activation = output_activation
        self.activation = activation(output_activation)

    def output(self, pre: torch.Tensor) -> torch.Tensor:
        return self.activation(pre)

    def elementwise(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        if self.loss == "bce":
            return F.binary_cross_entropy_with_logits(pre, target, reduction="none")
        return (self.output(pre) - target).square()

    def row_loss(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.elementwise(pre, target).flatten(1).mean(dim=1)

    def batch_loss(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        return self.elementwise(pre, target).mean()
