"""Training on several processes with PyTorch's ``DistributedDataParallel``.

Launched by ``torchrun`` (which sets ``WORLD_SIZE``, ``RANK``, ``LOCAL_RANK``, ``MASTER_ADDR``
and ``MASTER_PORT``), a fit joins the process group with no extra flag: gloo on the CPU, NCCL on
CUDA, with a timeout so that a rank that died makes the others fail instead of waiting forever.

Every rank computes its share of each global batch; gradients are reduced as a row-weighted
mean, ``sum_r(rows_r * grad_r) / sum_r(rows_r)``, so that a global batch split unevenly (a
batch size not divisible by the number of ranks, the short last batch) gives exactly the
gradient of the mean loss over the whole batch, as one process computes it:

- the eager and inductor steps run the module wrapped in ``DistributedDataParallel``, whose
  communication hook does the weighting (one all-reduce per gradient bucket);
- the manual step writes its gradients without autograd, where DDP's hooks never see them:
  it all-reduces them itself, as one flat buffer with the row count appended;
- the CUDA-graph step is refused (its replay would skip the all-reduce).
"""

from __future__ import annotations

import atexit
import os
from collections.abc import Iterator, Sequence
from datetime import timedelta

import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from aekit.train import manual
from aekit.train.step import STEPS, EagerStep

TIMEOUT_ENV = "AEKIT_DIST_TIMEOUT"
DEFAULT_TIMEOUT_S = 600  # longest a rank waits for the others in one collective


def launched() -> bool:
    """Whether this process is one of several started by ``torchrun`` (or the like)."""
    return int(os.environ.get("WORLD_SIZE", "1")) > 1


def local_rank() -> int | None:
    """``LOCAL_RANK`` (this process's GPU on its node) when launched by ``torchrun``."""
    return int(os.environ["LOCAL_RANK"]) if launched() and "LOCAL_RANK" in os.environ else None


def timeout() -> timedelta:
    value = os.environ.get(TIMEOUT_ENV, str(DEFAULT_TIMEOUT_S))
    try:
        seconds = float(value)
    except ValueError:
        seconds = -1.0
    if not seconds > 0:
        raise ValueError(f"{TIMEOUT_ENV} must be a positive number of seconds, got {value!r}")
    return timedelta(seconds=seconds)


def setup(device: torch.device) -> Ranks | None:
    """Join the process group ``torchrun`` describes (once per process); None when this
    process runs alone."""
    if not dist.is_available():
        return None
    if not dist.is_initialized():
        if not launched():
            return None
        if device.type == "cuda":
            torch.cuda.set_device(device)  # NCCL and object collectives use the current device
        _join(device)
        atexit.register(_leave)
    return current()


def _join(device: torch.device) -> None:
    """Join the group; a group that does not form is a connection error (one line in the CLI),
    with what to check."""
    try:
        dist.init_process_group("nccl" if device.type == "cuda" else "gloo", timeout=timeout())
    except dist.DistError as error:
        first_line = str(error).strip().splitlines()[0] if str(error).strip() else ""
        raise ConnectionError(
            f"the {os.environ.get('WORLD_SIZE')} processes of this distributed run did not all "
            f"join ({first_line}): start every one with the same command, as torchrun does, "
            f"with the same MASTER_ADDR and MASTER_PORT, or give slow starters longer with "
            f"{TIMEOUT_ENV}") from None


def _leave() -> None:
    if dist.is_initialized():
        dist.destroy_process_group()


def current() -> Ranks | None:
    """The ranks of the process group this process belongs to, or None outside one (or in a
    group of one)."""
    if not (dist.is_available() and dist.is_initialized()) or dist.get_world_size() == 1:
        return None
    return Ranks(dist.get_rank(), dist.get_world_size())


class Ranks:
    """This process's place among the ranks, and the collectives training needs.

    Parameters
    ----------
    rank : int
    world_size : int
    """

    def __init__(self, rank: int, world_size: int):
        self.rank, self.world_size = rank, world_size
        backend = dist.get_backend()
        self.device = (torch.device("cuda", torch.cuda.current_device()) if backend == "nccl"
                       else torch.device("cpu"))

    @property
    def is_main(self) -> bool:
        """Rank 0 writes the checkpoints and the model."""
        return self.rank == 0

    # ------------------------------------------------------------- splitting the work
    def rows(self, sequence: Sequence):
        """This rank's share of ``sequence`` (every ``world_size``-th item)."""
        return sequence[self.rank::self.world_size]

    # ------------------------------------------------------------- collectives
    def sum(self, *values: float) -> list[float]:
        """Each value summed over the ranks (in float64)."""
        tensor = torch.tensor(values, dtype=torch.float64, device=self.device)
        dist.all_reduce(tensor)
        return tensor.tolist()

    def min(self, value: int) -> int:
        tensor = torch.tensor([value], dtype=torch.int64, device=self.device)
        dist.all_reduce(tensor, op=dist.ReduceOp.MIN)
        return int(tensor.item())

    def gather(self, obj) -> list:
        """Every rank's ``obj`` (picklable), in rank order, on every rank."""
        objects = [None] * self.world_size
        dist.all_gather_object(objects, obj)
        return objects

    def broadcast(self, obj):
        """Rank 0's ``obj`` on every rank."""
        objects = [obj]
        dist.broadcast_object_list(objects, src=0)
        return objects[0]

    def share_buffers(self, module: nn.Module) -> None:
        """Rank 0's buffers (batch norm's running statistics) on every rank, so that all
        hold the same model."""
        for buffer in module.buffers():
            dist.broadcast(buffer, src=0)

    # ------------------------------------------------------------- the training step
    def make_step(self, mode: str, module: nn.Module, optimizer: torch.optim.Optimizer, *,
                  clip_grad_norm: float | None = None, precision: torch.dtype | None = None):
        """The step of ``aekit.train.step.make_step`` for ``mode``, with gradients averaged
        over the ranks (see the module's docstring)."""
        if mode == "cuda_graph":
            raise ValueError("compile='cuda_graph' cannot train on several processes (the "
                             "replayed graph would skip the gradient all-reduce): use "
                             "compile='none' or 'inductor'")
        rows = _StepRows()
        device = next(module.parameters()).device
        wrapped = DistributedDataParallel(
            module, device_ids=[device.index] if device.type == "cuda" else None)
        wrapped.register_comm_hook(rows, _row_weighted_mean)
        step = None
        if mode == "manual":
            offered = manual.chain(module, precision)
            if offered is not None:
                step = manual.ManualStep(
                    *offered, optimizer, clip_grad_norm,
                    fallback=EagerStep(wrapped, optimizer, clip_grad_norm),
                    reduce_gradients=FlatGradientMean(rows))
            mode = "none"
        if step is None:
            step = STEPS[mode](wrapped, optimizer, clip_grad_norm, precision)
        return _CountingStep(step, rows)


class _StepRows:
    """The number of rows this rank holds in the current step (read by the reductions)."""

    n = 0


class _CountingStep:
    def __init__(self, step, rows: _StepRows):
        self.step, self.rows = step, rows

    def __call__(self, batch):
        self.rows.n = batch.rows
        return self.step(batch)


def _packed(gradients: torch.Tensor, rows: int) -> torch.Tensor:
    """``[rows * gradients..., rows]``: one buffer whose sum over ranks gives the weighted
    mean."""
    return torch.cat([gradients * rows, gradients.new_full((1,), float(rows))])


def _row_weighted_mean(rows: _StepRows, bucket):  # unannotated: DDP checks annotations
    """DDP communication hook: the bucket's gradients as a row-weighted mean over ranks;
    returns a future of the reduced bucket."""
    packed = _packed(bucket.buffer(), rows.n)
    future = dist.all_reduce(packed, async_op=True).get_future()

    def unpack(done: torch.futures.Future) -> torch.Tensor:
        total = done.value()[0]
        return total[:-1].div_(total[-1])

    return future.then(unpack)


class FlatGradientMean:
    """For steps that write gradients themselves: replace each ``.grad`` by its row-weighted
    mean over the ranks, in one all-reduce of one flat buffer."""

    def __init__(self, rows: _StepRows):
        self.rows = rows

    def __call__(self, params: list[nn.Parameter]) -> None:
        grads = [p.grad for p in params]
        packed = _packed(torch.cat([g.reshape(-1) for g in grads]), self.rows.n)
        dist.all_reduce(packed)
        mean = packed[:-1].div_(packed[-1])
        start = 0
        for g in grads:
            g.copy_(mean[start:start + g.numel()].view_as(g))
            start += g.numel()


class EqualSteps:
    """The first ``steps`` batches of ``batches`` each epoch: ranks whose shards differ in
    size (streamed blocks) take the same number of steps, or the longer would wait forever for
    the others' gradients."""

    def __init__(self, batches, steps: int):
        self.batches, self.steps = batches, steps
        self.generator = getattr(batches, "generator", None)

    def __len__(self) -> int:
        return self.steps

    def example(self):
        """The batch source's own example batch (``aekit.train.threads``)."""
        return self.batches.example()

    def __iter__(self) -> Iterator:
        batches = iter(self.batches)
        try:
            for _ in range(self.steps):
                yield next(batches)
        finally:
            close = getattr(batches, "close", None)
            if close is not None:
                close()  # stops a stream's reader thread now
