"""Training steps recorded as CUDA graphs: one step, or a run of several that read their batches
from an order held on the device.

Replaying one graph per step still leaves, for every batch, a Python call, the batch's gather
and its copy into the graph's inputs, and one graph launch: for a small network on a fast GPU
about as long as the step's own kernels. A ``StepRun`` records ``size`` steps in one graph
instead. The epoch's shuffled order is copied to the device once; step ``j`` of a replay
gathers the rows of batch ``position + j`` of that order, where ``position`` is a one-element
device tensor set before the replay. One launch then trains ``size`` batches, and the batches,
their order and the updates are those of the step-by-step loop.
"""

from __future__ import annotations

import math
import warnings
from collections.abc import Callable

import torch

from aekit.nn.batch import Batch


def record(body: Callable[[], None]) -> Callable[[], None]:
    """``body`` recorded as a CUDA graph (recorded, not run); returns the graph's replay.
    Raises ``RuntimeError`` where ``body`` cannot be recorded (it waits on the host, say)."""
    graph = torch.cuda.CUDAGraph()
    with warnings.catch_warnings():  # torch's own note on an aborted capture: the caller warns
        warnings.filterwarnings("ignore", message="The CUDA Graph is empty")
        with torch.cuda.graph(graph, capture_error_mode="thread_local"):
            body()
    return graph.replay


def steps_per_run(full_batches: int, most: int) -> int:
    """Steps per recorded run: at most ``most`` (longer graphs take longer to record), as
    equal as possible, so that fewer steps than there are runs are left to go one by one."""
    if full_batches < 2:
        return 1
    runs = math.ceil(full_batches / most)
    return full_batches // runs


class StepRun:
    """``size`` consecutive training steps recorded as one graph.

    Parameters
    ----------
    update : callable
        One training step on a ``Batch``; returns its detached loss.
    batches : TensorBatches
        The epoch's rows, on the device, and how a batch is gathered and transformed.
    size : int
        Steps per replay; each trains a full batch of ``batches.batch_size`` rows.
    record : callable
        Records a function and returns its replay (``record`` above; tests pass one that
        replays by running the function again, to follow the same logic on the CPU).
    """

    def __init__(self, update: Callable[[Batch], torch.Tensor], batches, size: int,
                 record: Callable = record):
        device = batches.data.x.device
        self.size = size
        self.order = torch.arange(batches.n_rows, device=device)
        self.position = torch.zeros(1, dtype=torch.long, device=device)
        self.losses = torch.empty(size, device=device)
        self.loaded = None  # the order last copied in (None: the rows as stored)
        # A graph reads its inputs at their addresses: every tensor made here and read by it
        # is an attribute, so that its memory outlives the recording (a local would be freed
        # and reused, and the replays would read whatever took its place).
        self.offsets = torch.arange(size, device=device)
        by_step = self.order[:batches.full_batches * batches.batch_size].view(
            -1, batches.batch_size)  # a view: its memory is self.order's

        def body():
            # every batch's rows at once: two kernels a run, not two a step
            rows = by_step.index_select(0, self.position + self.offsets)
            losses = [update(batches.gather(rows[j])) for j in range(size)]
            self.losses.copy_(torch.stack(losses))

        self.replay = record(body)

    def __call__(self, order: torch.Tensor | None, position: int) -> torch.Tensor:
        """Train the ``size`` batches from batch ``position`` of ``order`` (None: the rows as
        stored); returns their losses (overwritten by the next replay: read them at once)."""
        if order is not self.loaded:
            self.order.copy_(torch.arange(len(self.order), device=self.order.device)
                             if order is None else order)
            self.loaded = order
        self.position.fill_(position)
        self.replay()
        return self.losses
