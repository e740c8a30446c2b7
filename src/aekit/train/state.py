"""The state a training run carries from epoch to epoch."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass, field
from typing import TYPE_CHECKING

import torch
from torch import nn

if TYPE_CHECKING:
    from aekit.train.distributed import Ranks


@dataclass
class TrainState:
    """Everything a run carries from epoch to epoch; callbacks read and steer it.

    ``state_dict`` holds all of it that a resumed run needs to continue exactly as an
    uninterrupted one: weights, optimizer moments, every random number generator involved,
    the epoch counter, the history and the callbacks' own counters.
    """

    module: nn.Module
    optimizer: torch.optim.Optimizer
    epochs: int
    epoch: int = 0  # epochs completed
    history: dict[str, list[float]] = field(default_factory=dict)
    stop_training: bool = False
    diverged: bool = False
    stop_reason: str | None = None
    steps_per_epoch: int = 0
    clip_grad_norm: float | None = None
    step_mode: str = "none"  # a concrete mode of aekit.train.step (none, manual, ...)
    precision: torch.dtype | None = None  # autocast dtype; None: float32
    generator: torch.Generator | None = None  # draws the shuffling order
    callbacks: list = field(default_factory=list)  # set by the loop
    save_model: Callable[[str], None] | None = None  # set by the owner, used by checkpoints
    start_logs: dict[str, float] = field(default_factory=dict)  # before the first epoch
    ranks: Ranks | None = None  # the processes training together (aekit.train.distributed)

    @property
    def learning_rate(self) -> float:
        return float(self.optimizer.param_groups[0]["lr"])

    def record(self, logs: dict[str, float]) -> None:
        for key, value in logs.items():
            self.history.setdefault(key, []).append(value)
        self.epoch += 1

    def _stateful_callbacks(self) -> list:
        return [c for c in self.callbacks if c.state_dict() is not None]

    def state_dict(self) -> dict:
        rng = {"torch": torch.get_rng_state()}
        if self.generator is not None:
            rng["generator"] = self.generator.get_state()
        device = next(self.module.parameters()).device
        if device.type == "cuda":
            rng["cuda"] = torch.cuda.get_rng_state(device)
        if self.ranks is not None:  # a collective: every rank calls state_dict
            rng = {"ranks": self.ranks.gather(rng)}
        return {
            "epoch": self.epoch,
            "history": self.history,
            "module": self.module.state_dict(),
            "optimizer": self.optimizer.state_dict(),
            "rng": rng,
            "callbacks": [[type(c).__name__, c.state_dict()] for c in self._stateful_callbacks()],
        }

    def load_state_dict(self, state: dict) -> None:
        saved = [name for name, _ in state["callbacks"]]
        present = [type(c).__name__ for c in self._stateful_callbacks()]
        if saved != present:
            raise ValueError(f"the checkpoint was written with callbacks {saved}, this run has "
                             f"{present}: use the same callbacks to resume")
        self.module.load_state_dict(state["module"])
        self.optimizer.load_state_dict(state["optimizer"])
        rng = self._own_rng(state["rng"])
        torch.set_rng_state(rng["torch"])
        if self.generator is not None and "generator" in rng:
            self.generator.set_state(rng["generator"])
        device = next(self.module.parameters()).device
        if device.type == "cuda" and "cuda" in rng:
            torch.cuda.set_rng_state(rng["cuda"], device)
        for callback, (_, callback_state) in zip(self._stateful_callbacks(), state["callbacks"]):
            callback.load_state_dict(callback_state)
        self.epoch = int(state["epoch"])
        # a callback that ended the run (early stopping) ends the resumed one; another stop
        # (a time budget, say) is what a resume continues after
        self.stop_training = any(getattr(c, "ended_training", False)
                                 for c in self._stateful_callbacks())
        self.history.clear()  # in place: owners hold a reference to this dict
        self.history.update(state["history"])

    def _own_rng(self, rng: dict) -> dict:
        """This process's random states: a run on several processes saved one per rank."""
        saved = len(rng["ranks"]) if "ranks" in rng else 1
        running = 1 if self.ranks is None else self.ranks.world_size
        if saved != running:
            raise ValueError(f"the checkpoint was written by {saved} process(es), this run has "
                             f"{running}: resume with the same number of processes")
        return rng["ranks"][self.ranks.rank] if "ranks" in rng else rng
