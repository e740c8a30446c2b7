"""The one training loop. It knows nothing about variants: a module's ``forward`` returns a dict
whose ``"loss"`` is minimised, and everything else (early stopping, checkpoints, schedules,
progress) is a callback."""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from typing import TYPE_CHECKING

import torch
from torch import nn

from aekit.nn.batch import Batch
from aekit.train.callbacks import CallbackList, DivergenceGuard
from aekit.train.state import TrainState
from aekit.train.step import EagerStep, autocast, epoch_losses, make_step
from aekit.train.threads import cpu_threads

if TYPE_CHECKING:
    from aekit.train.distributed import Ranks

def train_step(module: nn.Module, optimizer: torch.optim.Optimizer, batch: Batch,
               clip_grad_norm: float | None = None) -> torch.Tensor:
    """One eager optimisation step; returns the detached batch loss (no host sync)."""
    return EagerStep(module, optimizer, clip_grad_norm)(batch)


@torch.no_grad()
def evaluate(module: nn.Module, batches: Iterable[Batch],
             precision: torch.dtype | None = None, ranks: Ranks | None = None) -> float:
    """Mean loss per row over ``batches``, in evaluation mode (and ``precision``); with
    ``ranks``, over every rank's batches."""
    was_training = module.training
    module.eval()
    device = next(module.parameters()).device
    total, rows = None, 0
    for batch in batches:
        n = batch.rows
        with autocast(device, precision):
            loss = module(batch)["loss"].float() * n
        total = loss if total is None else total + loss  # one host sync, at the end
        rows += n
    module.train(was_training)
    return _mean(total, rows, ranks)


def _mean(total: torch.Tensor | None, rows: int, ranks: Ranks | None) -> float:
    """``total / rows``, both summed over the ranks first when there are several."""
    total = 0.0 if total is None else float(total)
    if ranks is not None:
        total, rows = ranks.sum(total, rows)
    return total / rows if rows else float("nan")


def run(
    state: TrainState,
    train_batches: Sequence[Batch],
    val_batches: Iterable[Batch] | None = None,
    callbacks: Iterable = (),
) -> TrainState:
    """Train ``state.module`` until ``state.epochs`` epochs are done or a callback stops it.

    Steps run as ``state.step_mode`` says (eager, compiled or a CUDA graph; see
    ``aekit.train.step``), in ``state.precision``. A ``DivergenceGuard`` always runs first: a
    non-finite loss stops the run with the last finite weights. With ``state.ranks`` (several
    processes), gradients and the logged losses are averaged over every rank's rows.
    """
    callbacks = list(callbacks)
    if not any(isinstance(c, DivergenceGuard) for c in callbacks):
        callbacks.insert(0, DivergenceGuard())
    hooks = CallbackList(callbacks)
    state.callbacks = hooks.callbacks
    state.steps_per_epoch = len(train_batches)
    hooks.on_train_begin(state)  # may load a checkpoint: the step is built after it
    if (state.epoch == 0 and val_batches is not None
            and any(getattr(c, "include_start", False) for c in hooks.callbacks)):
        state.start_logs = {"val_loss": evaluate(state.module, val_batches, state.precision,
                                                 state.ranks)}
    build = make_step if state.ranks is None else state.ranks.make_step
    step = build(state.step_mode, state.module, state.optimizer,
                 clip_grad_norm=state.clip_grad_norm, precision=state.precision)
    with cpu_threads(state.module, train_batches):
        while state.epoch < state.epochs and not state.stop_training:
            hooks.on_epoch_begin(state)
            logs = {"loss": _train_epoch(state, step, train_batches, hooks)}
            if val_batches is not None:
                logs["val_loss"] = evaluate(state.module, val_batches, state.precision,
                                            state.ranks)
            logs["lr"] = state.learning_rate
            state.record(logs)
            hooks.on_epoch_end(state, logs)
    hooks.on_train_end(state)
    if state.ranks is not None:  # running statistics (batch norm) follow each rank's rows
        state.ranks.share_buffers(state.module)
    state.module.eval()
    return state


def _train_epoch(state: TrainState, step, batches: Iterable[Batch], hooks) -> float:
    state.module.train()
    total = None
    rows = index = 0
    for losses, n in epoch_losses(step, batches, one_by_one=hooks.steer_batches):
        # Accumulate on the device: one host sync per epoch, not per batch.
        weighted = (losses.sum() if losses.dim() else losses) * n
        total = weighted if total is None else total + weighted
        for loss in losses.unbind() if losses.dim() else (losses,):
            rows += n
            hooks.on_batch_end(state, index, loss)
            index += 1
    return _mean(total, rows, state.ranks)
