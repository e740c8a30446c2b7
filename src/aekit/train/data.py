"""Batch sources for the training loop."""

from __future__ import annotations

import functools
import operator
from collections.abc import Callable, Iterator

import torch

from aekit.nn.batch import Batch


class TensorBatches:
    """Mini-batches cut from tensors that already sit on the training device.

    This is the fast path for in-memory data: one ``randperm`` per epoch and an ``index_select``
    per batch, with no per-sample Python work and no ``DataLoader`` worker hand-off.

    Parameters
    ----------
    x, lengths, mask : torch.Tensor
        The rows, and optionally each sequence's length and the mask of observed cells, sharing
        their first dimension ``n``; each batch is a ``Batch`` of their slices.
    batch_size : int
    shuffle : bool
        Draw a new order every epoch from ``generator`` (a CPU ``torch.Generator``), whose state
        is therefore the whole shuffling state of a run.
    min_batch : int
        Skip a trailing batch smaller than this (batch normalisation cannot train on one row).
    transform : callable, optional
        Applied to each ``Batch`` as it is cut (e.g. the input scaling, in torch).
    shard : (int, int), optional
        ``(rank, world_size)`` when several processes share every batch: the batches are the
        same on every process (the same ``generator`` state draws them) and this one takes
        contiguous part ``rank`` of ``world_size`` near-equal parts of each. A trailing batch is
        kept only if every part of it has ``min_batch`` rows.
    """

    def __init__(
        self,
        x: torch.Tensor,
        lengths: torch.Tensor | None = None,
        mask: torch.Tensor | None = None,
        *,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        min_batch: int = 1,
        transform: Callable[[Batch], Batch] | None = None,
        shard: tuple[int, int] = (0, 1),
    ):
        self.data = Batch(x, lengths, mask)
        n_rows = x.shape[0]
        if any(t is not None and t.shape[0] != n_rows for t in self.data):
            raise ValueError("all tensors must have the same number of rows")
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.min_batch = min_batch
        self.transform = transform or (lambda batch: batch)
        self.n_rows = n_rows
        self.rank, self.world_size = shard
        if self.world_size > 1 and batch_size < min_batch * self.world_size:
            raise ValueError(f"batch_size={batch_size} gives some of the {self.world_size} "
                             f"processes fewer than {min_batch} row(s) per batch: use a "
                             f"batch_size of at least {min_batch * self.world_size}")

    def __len__(self) -> int:
        full, rest = divmod(self.n_rows, self.batch_size)
        # min_batch >= 1; the smallest part of a batch of n rows has n // world_size
        return full + (1 if rest // self.world_size >= self.min_batch else 0)

    def __iter__(self) -> Iterator[Batch]:
        order = self.draw_order()
        for start in self.starts():
            yield self.cut(order, start)

    def example(self) -> Batch:
        """This process's part of a full batch of the first rows, as training sees it (for
        sizing a step); draws nothing from the generator."""
        return self.cut(None, 0)

    def starts(self) -> range:
        """The row of the order at which each of an epoch's batches starts."""
        return range(0, len(self) * self.batch_size, self.batch_size)

    def draw_order(self) -> torch.Tensor | None:
        """This epoch's order of the rows, on their device (None: as stored), drawn from the
        generator as iterating does (an epoch is ``cut`` from it)."""
        if not self.shuffle:
            return None
        return torch.randperm(self.n_rows, generator=self.generator).to(self.data.x.device)

    @property
    def full_batches(self) -> int:
        """How many of an epoch's batches hold ``batch_size`` rows (all but a short last)."""
        return self.n_rows // self.batch_size

    def cut(self, order: torch.Tensor | None, start: int) -> Batch:
        """This process's part of the batch that starts at row ``start`` of ``order``."""
        stop = min(start + self.batch_size, self.n_rows)
        n = stop - start
        first = start + n * self.rank // self.world_size
        last = start + n * (self.rank + 1) // self.world_size
        if order is None:
            return self.transform(self.data.map(operator.itemgetter(slice(first, last))))
        return self.gather(order[first:last])

    def gather(self, rows: torch.Tensor) -> Batch:
        """The batch of ``rows`` (indices on the data's device), transformed: the same work
        whether ``rows`` was cut on the host or read on the device inside a CUDA graph."""
        return self.transform(self.data.map(functools.partial(torch.index_select, dim=0,
                                                              index=rows)))
