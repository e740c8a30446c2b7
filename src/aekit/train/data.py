"""Batch sources for the training loop."""

from __future__ import annotations

from collections.abc import Iterator

import torch


class TensorBatches:
    """Mini-batches cut from tensors that already sit on the training device.

    This is the fast path for in-memory data: one ``randperm`` per epoch and an ``index_select``
    per batch, with no per-sample Python work and no ``DataLoader`` worker hand-off.

    Parameters
    ----------
    *tensors : torch.Tensor
        Tensors sharing their first dimension ``n``; each batch is a tuple of their slices.
    batch_size : int
    shuffle : bool
        Draw a new order every epoch from ``generator`` (a CPU ``torch.Generator``), whose state
        is therefore the whole shuffling state of a run.
    min_batch : int
        Skip a trailing batch smaller than this (batch normalisation cannot train on one row).
    """

    def __init__(
        self,
        *tensors: torch.Tensor,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        min_batch: int = 1,
    ):
        if not tensors:
            raise ValueError("TensorBatches needs at least one tensor")
        n_rows = tensors[0].shape[0]
        if any(t.shape[0] != n_rows for t in tensors):
            raise ValueError("all tensors must have the same number of rows")
        self.tensors = tensors
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.min_batch = min_batch
        self.n_rows = n_rows

    def __len__(self) -> int:
        full, rest = divmod(self.n_rows, self.batch_size)
        return full + (1 if rest >= self.min_batch else 0)  # min_batch >= 1

    def __iter__(self) -> Iterator[tuple[torch.Tensor, ...]]:
        device = self.tensors[0].device
        order = None
        if self.shuffle:
            order = torch.randperm(self.n_rows, generator=self.generator).to(device)
        for start in range(0, self.n_rows, self.batch_size):
            stop = min(start + self.batch_size, self.n_rows)
            if stop - start < self.min_batch:
                break
            if order is None:
                yield tuple(t[start:stop] for t in self.tensors)
            else:
                index = order[start:stop]
                yield tuple(t.index_select(0, index) for t in self.tensors)
