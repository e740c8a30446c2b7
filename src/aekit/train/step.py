"""How one training step runs. Every form computes the same update (same loss, gradients and
optimizer), so the loop stays one loop and the result does not depend on the path taken:

- ``"none"``: PyTorch as written (eager).
- ``"manual"``: for plain dense networks on the CPU, the same forward pass with the backward
  pass written out (``aekit.train.manual``): no autograd bookkeeping, gradients written into
  buffers kept from step to step. Other networks run eagerly.
- ``"inductor"``: the network's forward and backward compiled by ``torch.compile``, which fuses
  the element-wise work (activations, loss) into a few generated kernels. Compiling costs
  seconds up front, so it pays on long runs.
- ``"cuda_graph"``: the whole step (forward, backward, gradient clipping, optimizer update)
  captured once as a CUDA graph and replayed: one launch instead of dozens of kernel launches
  and their Python overhead, which dominate small models on a GPU. Over in-memory data one
  graph holds a run of up to 128 steps that gather their batches on the device.
- ``"auto"``: ``cuda_graph`` on CUDA, ``manual`` on the CPU.

The compiled and graph forms need fixed shapes: a batch shaped unlike the first (the short last
batch of an epoch) runs eagerly, on the same weights and optimizer. The manual form takes any
batch.
"""

from __future__ import annotations

import contextlib
import os
import shutil
import warnings
from collections.abc import Iterator

import torch
from torch import nn

from aekit._stack import user_stacklevel
from aekit.nn.batch import Batch
from aekit.train import cuda_graph, manual
from aekit.train.data import TensorBatches
from aekit.train.optim import LeanStep

STEP_MODES = ("auto", "none", "manual", "inductor", "cuda_graph")
PRECISIONS = {"float32": None, "bfloat16": torch.bfloat16}


def resolve_step_mode(mode: str, device: torch.device, distributed: bool = False) -> str:
    """The concrete mode for ``device``; ``cuda_graph`` needs a CUDA device (and one process:
    ``distributed`` training on CUDA takes the eager step)."""
    if mode == "auto":
        return ("none" if distributed else "cuda_graph") if device.type == "cuda" else "manual"
    if mode == "cuda_graph" and device.type != "cuda":
        raise ValueError("compile='cuda_graph' needs a CUDA device: use compile='auto', "
                         "'manual', 'inductor' or 'none' on the CPU")
    if mode == "inductor" and device.type == "cpu" and not has_cpp_compiler():
        raise ValueError("compile='inductor' on the CPU needs a C++ compiler (g++ or clang++, "
                         "or one named by $CXX): install one, or use compile='none'")
    return mode


def has_cpp_compiler() -> bool:
    """Whether torch.compile can build CPU kernels here."""
    names = [os.environ.get("CXX", ""), "g++", "clang++", "c++"]
    return any(shutil.which(name) for name in names if name)


def autocast(device: torch.device, dtype: torch.dtype | None):
    """bfloat16 autocast on ``device``, or nothing for float32."""
    if dtype is None:
        return contextlib.nullcontext()
    # No cast cache: cached casts would outlive a CUDA graph capture.
    return torch.autocast(device.type, dtype=dtype, cache_enabled=False)


class EagerStep:
    """One optimisation step as PyTorch runs it; returns the detached batch loss (no host
    sync)."""

    def __init__(self, module: nn.Module, optimizer: torch.optim.Optimizer,
                 clip_grad_norm: float | None = None, precision: torch.dtype | None = None):
        self.module, self.optimizer = module, optimizer
        self.update_parameters = LeanStep(optimizer)
        self.clip_grad_norm, self.precision = clip_grad_norm, precision
        self.device = next(module.parameters()).device

    def __call__(self, batch: Batch) -> torch.Tensor:
        return self.update(self.module, batch)

    def update(self, forward, batch: Batch) -> torch.Tensor:
        self.optimizer.zero_grad(set_to_none=True)
        with autocast(self.device, self.precision):
            loss = forward(batch)["loss"]
        loss.backward()
        if self.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.module.parameters(), self.clip_grad_norm,
                                           foreach=True)
        self.update_parameters()
        return loss.detach()


class _FixedShapeStep(EagerStep):
    """A fast step for batches shaped like the first one; others run eagerly."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.shapes = None

    def _is_fixed(self, batch: Batch) -> bool:
        shapes = [None if t is None else (t.shape, t.dtype) for t in batch]
        if self.shapes is None:
            self.shapes = shapes
        return shapes == self.shapes


class InductorStep(_FixedShapeStep):
    """The network's forward (and through AOTAutograd its backward) compiled with
    ``torch.compile``; the optimizer update stays a single fused kernel."""

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        # dynamic=False: one specialised graph; other shapes go eager instead of recompiling.
        self.compiled = torch.compile(self.module, dynamic=False)

    def __call__(self, batch: Batch) -> torch.Tensor:
        forward = self.compiled if self._is_fixed(batch) else self.module
        return self.update(forward, batch)


class CudaGraphStep(_FixedShapeStep):
    """The whole step recorded as a CUDA graph after a few eager warm-up steps; over an epoch
    of in-memory batches (``run_epoch``), runs of many steps recorded as one graph each
    (``aekit.train.cuda_graph``).

    The warm-up steps are real steps (they also create the optimizer's state); recording does
    not run, and every replay reads the batch from fixed input buffers (one step) or gathers
    it on the device (a run of steps). A change of the optimizer's hyperparameters (a
    learning-rate schedule) records again, since a graph holds them as constants; runs wait for
    an epoch that begins with the settings the last one began with, so that a schedule changing
    them every epoch keeps the cheaper one-step graph. If recording fails (an operation that
    syncs with the host, such as packing variable-length sequences), the run goes on eagerly
    with a warning.
    """

    WARMUP_STEPS = 3
    MOST_STEPS_PER_GRAPH = 128
    record = staticmethod(cuda_graph.record)

    def __init__(self, *args, **kwargs):
        super().__init__(*args, **kwargs)
        self.warmed_up = 0
        self.replay = None
        self.failed = False  # no graph at all: every step eager
        self.runs_failed = False  # no runs: one graph per step
        self.captured_hyperparameters = None
        self.run, self.run_key = None, None
        self.epoch_settings = None  # the optimizer's settings when the last epoch began

    def __call__(self, batch: Batch) -> torch.Tensor:
        if self.failed or not self._is_fixed(batch):
            return self.update(self.module, batch)
        if self.warmed_up < self.WARMUP_STEPS:
            self.warmed_up += 1
            return self._on_side_stream(batch)
        stale = self.replay is None or self._hyperparameters() != self.captured_hyperparameters
        if stale and not self._capture(batch):
            return self.update(self.module, batch)
        for buffer, tensor in zip(self.inputs, batch):
            if buffer is not None:
                buffer.copy_(tensor)
        self.replay()
        return self.loss.clone()  # the graph's own buffer is overwritten by the next replay

    def run_epoch(self, batches) -> Iterator[tuple[torch.Tensor, int]]:
        """One epoch over ``batches``: ``(losses, rows)`` per batch of ``rows`` rows, or per run
        of recorded steps (``losses`` then holds one per batch). In-memory batches on one
        process go by runs once warmed up; others, left-over steps and a short last batch
        go one by one."""
        if not isinstance(batches, TensorBatches) or batches.world_size > 1:
            yield from ((self(batch), batch.rows) for batch in batches)
            return
        order = batches.draw_order()
        starts, full = batches.starts(), batches.full_batches
        size = cuda_graph.steps_per_run(full, self.MOST_STEPS_PER_GRAPH)
        if not self._settled():
            size = 1  # one graph per step: recorded again at a fraction of a run's cost
        done = 0
        while done < len(starts):
            if size > 1 and done + size <= full and self._run_ready(batches, size):
                yield self.run(order, done).clone(), batches.batch_size
                done += size
            else:
                batch = batches.cut(order, starts[done])
                yield self(batch), batch.rows
                done += 1

    def _settled(self) -> bool:
        """Whether the optimizer's settings are those of the last epoch's start. A schedule
        that changes them every epoch would have a run recorded again every epoch (a hundred
        steps' worth of Python and a large graph), costing more than the run saves."""
        settings = self._hyperparameters()
        settled = self.epoch_settings in (None, settings)
        self.epoch_settings = settings
        return settled

    def _run_ready(self, batches, size: int) -> bool:
        """Whether a recorded run of ``size`` steps can train now (recording one if the last
        is stale)."""
        if self.failed or self.runs_failed or self.warmed_up < self.WARMUP_STEPS:
            return False
        key = (batches, size, self._hyperparameters())
        if self.run_key != key:
            self.run = self.run_key = None  # the old graph's memory is free while recording
            try:
                self.run = cuda_graph.StepRun(lambda batch: self.update(self.module, batch),
                                              batches, size, record=self.record)
            except RuntimeError as error:
                self.runs_failed = True
                warnings.warn(f"recording {size} training steps as one CUDA graph failed, "
                              f"they go one graph per step: {str(error).splitlines()[0]}",
                              RuntimeWarning, stacklevel=user_stacklevel())
                return False
            self.run_key = key
        return True

    def _on_side_stream(self, batch: Batch) -> torch.Tensor:
        """Warm-up as CUDA graphs require: on a side stream, synchronised both ways."""
        stream = torch.cuda.Stream(self.device)
        stream.wait_stream(torch.cuda.current_stream(self.device))
        with torch.cuda.stream(stream):
            loss = self.update(self.module, batch)
        torch.cuda.current_stream(self.device).wait_stream(stream)
        return loss

    def _hyperparameters(self) -> list:
        """The values a recording holds as constants; a tensor's by value (a tensor changed
        in place must compare unequal)."""
        return [(key, value.tolist() if torch.is_tensor(value) else value)
                for group in self.optimizer.param_groups
                for key, value in group.items() if key != "params"]

    def _capture(self, batch: Batch) -> bool:
        self.replay = None  # the old graph's memory is free while recording
        self.inputs = batch.map(torch.clone)

        def body():
            self.loss = self.update(self.module, self.inputs)

        try:
            self.replay = self.record(body)
        except RuntimeError as error:
            self.failed = True
            warnings.warn(f"CUDA graph capture failed, training goes on without it: "
                          f"{str(error).splitlines()[0]}", RuntimeWarning,
                          stacklevel=user_stacklevel())
            return False
        self.captured_hyperparameters = self._hyperparameters()
        return True


def epoch_losses(step, batches, one_by_one: bool = False
                 ) -> Iterator[tuple[torch.Tensor, int]]:
    """One epoch of ``step`` over ``batches``: ``(losses, rows)`` pairs, ``losses`` the
    detached loss of one batch of ``rows`` rows, or a vector of the losses of several (a
    step's own ``run_epoch`` may run many steps at once, unless ``one_by_one``)."""
    run_epoch = getattr(step, "run_epoch", None)
    if run_epoch is not None and not one_by_one:
        return run_epoch(batches)
    return ((step(batch), batch.rows) for batch in batches)


STEPS = {"none": EagerStep, "inductor": InductorStep, "cuda_graph": CudaGraphStep}


def make_step(mode: str, module: nn.Module, optimizer: torch.optim.Optimizer, *,
              clip_grad_norm: float | None = None, precision: torch.dtype | None = None):
    """The step for a concrete ``mode`` (see ``resolve_step_mode``)."""
    if mode == "manual":
        offered = manual.chain(module, precision)
        if offered is not None:  # batches with more than x go to the eager step
            return manual.ManualStep(*offered, optimizer, clip_grad_norm,
                                     fallback=EagerStep(module, optimizer, clip_grad_norm))
        mode = "none"
    return STEPS[mode](module, optimizer, clip_grad_norm, precision)
