"""The state a training run carries from epoch to epoch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field

import torch
from torch import nn


@dataclass
class TrainState:
    """Everything a run carries from epoch to epoch; callbacks read and steer it."""

    module: nn.Module
    optimizer: torch.optim.Optimizer
    epochs: int
    epoch: int = 0  # epochs completed
    history: dict[str, list[float]] = field(default_factory=dict)
    stop_training: bool = False
    steps_per_epoch: int = 0
    save_model: Callable[[str], None] | None = None  # set by the owner, used by checkpoints

    @property
    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def record(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epoch += 1
