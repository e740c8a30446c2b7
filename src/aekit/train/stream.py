"""Mini-batches streamed from an on-disk array, for data larger than memory."""

from __future__ import annotations

import contextlib
import queue
import threading
import warnings
from collections.abc import Callable, Iterator, Sequence
from typing import TYPE_CHECKING

import numpy as np
import torch

from aekit._stack import user_stacklevel
from aekit.nn.batch import Batch

if TYPE_CHECKING:  # any object with the ArraySource interface will do; train/ needs no io/
    from aekit.io.sources import ArraySource

_END = object()  # the reader's last item: every block was delivered
DEFAULT_MEMORY = 192 * 2**20  # for a source that names no budget (aekit's sources all do)
_IN_FLIGHT = 4  # blocks beside window and queue: being read, converted, transformed, cut
_MAX_PREFETCH = 4  # reading further ahead than this only holds memory


class _Failure:
    """An exception raised in the reader thread, carried to the consumer to re-raise."""

    def __init__(self, error: BaseException):
        self.error = error


class StreamBatches:
    """Mini-batches read block by block from an ``ArraySource``, with a background reader.

    Same interface as ``TensorBatches``: ``len()`` is the number of batches per epoch and
    iterating yields ``Batch(x)``, ``x`` of shape ``(batch, *row_shape)``, float32 on
    ``device``. Batches are cut from the stream of rows across block boundaries, so all are
    ``batch_size`` rows except the last (dropped if under ``min_batch``).

    A daemon thread reads and transforms the next blocks into a queue of ``prefetch`` blocks
    while the caller trains. What the stream holds is bounded in bytes by ``memory``: the
    shuffle window, the queue and about four blocks in flight (being read, converted,
    transformed, cut into batches), plus an 8-byte index per row of the shuffle window, and
    what the source's file reader holds (``source.reader_bytes``).

    Parameters
    ----------
    source : ArraySource
    batch_size : int
    shuffle : bool
        Each epoch, permute the source's runs of blocks (``source.runs()``: each block alone
        for ``.npy``, the slices of a row group for Parquet, which are cheapest read in order),
        then shuffle rows within windows of ``shuffle_blocks`` consecutive blocks. All draws
        come from ``generator`` (a CPU ``torch.Generator``) in the consumer thread, in a fixed
        order: one ``randperm`` of the runs when iteration starts, then one ``randperm`` of the
        window's rows as each window starts. Restoring the generator's state therefore
        reproduces an epoch.
    generator : torch.Generator, optional
    transform : callable, optional
        ``np.ndarray -> np.ndarray`` applied to every block of shape ``(rows, *row_shape)`` in
        the reader thread (e.g. scaling); it must keep the rows. Its exceptions re-raise in the
        consumer unchanged.
    device : str or torch.device
        Where batches go; on CUDA through pinned memory with ``non_blocking=True``.
    blocks : sequence of int, optional
        Block indices to use (e.g. a held-out validation subset, or a rank's shard); default
        all, in order.
    prefetch : int, optional
        Blocks the reader may have ready ahead of the consumer; default as many as the budget
        leaves, at most 4.
    shuffle_blocks : int, optional
        Blocks per shuffle window: more mixes rows better and costs memory. Default: a quarter
        of the blocks the budget holds.
    min_batch : int
        Skip a trailing batch smaller than this (batch normalisation cannot train on one row).
    memory : int, optional
        Bytes the stream may hold; default ``source.memory`` (192 MiB for aekit's sources).
        ``ValueError`` if the blocks are too large for it.
    """

    def __init__(
        self,
        source: ArraySource,
        *,
        batch_size: int,
        shuffle: bool = False,
        generator: torch.Generator | None = None,
        transform: Callable[[np.ndarray], np.ndarray] | None = None,
        device: str | torch.device = "cpu",
        blocks: Sequence[int] | None = None,
        prefetch: int | None = None,
        shuffle_blocks: int | None = None,
        min_batch: int = 1,
        memory: int | None = None,
    ):
        for name, value in (("batch_size", batch_size), ("prefetch", prefetch),
                            ("shuffle_blocks", shuffle_blocks), ("min_batch", min_batch),
                            ("memory", memory)):
            if value is not None and value < 1:
                raise ValueError(f"{name} must be at least 1, got {value}")
        self.source = source
        self.blocks = _check_blocks(source, blocks)
        self.batch_size = batch_size
        self.shuffle = shuffle
        self.generator = generator
        self.transform = transform
        self.device = torch.device(device)
        self.min_batch = min_batch
        self.n_rows = sum(_rows(source, i) for i in self.blocks)
        self.memory = memory or getattr(source, "memory", DEFAULT_MEMORY)
        self.prefetch, self.shuffle_blocks = _plan(
            self.memory, getattr(source, "reader_bytes", 0),
            _block_bytes(source, self.blocks, shuffle), prefetch, shuffle_blocks, shuffle)
        self._runs = _runs(source, self.blocks)
        if shuffle:
            _warn_of_long_runs(source, self._runs, self.shuffle_blocks)

    def __len__(self) -> int:
        full, rest = divmod(self.n_rows, self.batch_size)
        return full + (1 if rest >= self.min_batch else 0)  # min_batch >= 1

    def example(self) -> Batch:
        """A batch of zeros shaped as a full one, through the transform (for sizing a step);
        reads nothing."""
        rows = np.zeros((self.batch_size, *self.source.row_shape), np.float32)
        if self.transform is not None:
            rows = self.transform(rows)
        return Batch(self._to_device(rows))

    def __iter__(self) -> Iterator[Batch]:
        order = list(self.blocks)
        if self.shuffle:
            picks = torch.randperm(len(self._runs), generator=self.generator).tolist()
            order = [i for pick in picks for i in self._runs[pick]]
        with _reading(self._load, order, self.prefetch) as received:
            for rows in self._batches(order, received):
                yield Batch(self._to_device(rows))

    def _batches(self, order: list[int], received: Iterator[np.ndarray]) -> Iterator[np.ndarray]:
        """Arrays of ``(batch, *row_shape)`` rows, cut across blocks and windows."""
        carry = None
        step = self.shuffle_blocks if self.shuffle else 1
        for first in range(0, len(order), step):
            window = order[first:first + step]
            if self.shuffle:
                n = sum(_rows(self.source, i) for i in window)
                index = torch.randperm(n, generator=self.generator).numpy()
                rows = _fill_window(received, len(window), n)
            else:
                index, rows = None, next(received)
            carry = yield from self._cut(rows, index, carry)
            del rows, index  # before the next window is filled, or two would be alive
        if carry is not None and len(carry) >= self.min_batch:
            yield carry

    def _cut(self, rows: np.ndarray, index: np.ndarray | None, carry: np.ndarray | None):
        """Yield full batches of ``carry`` then ``rows`` (taken in ``index`` order if given);
        return the leftover rows (fewer than a batch) as a new array, or ``None``."""

        def take(start: int, stop: int) -> np.ndarray:
            return rows[start:stop] if index is None else rows[index[start:stop]]

        start, n = 0, len(rows)
        if carry is not None:
            start = min(self.batch_size - len(carry), n)
            carry = np.concatenate([carry, take(0, start)])
            if len(carry) < self.batch_size:
                return carry
            yield carry
        while n - start >= self.batch_size:
            yield take(start, start + self.batch_size)
            start += self.batch_size
        # A copy, so the leftover does not keep the whole block or window alive.
        return take(start, n).copy() if start < n else None

    def _load(self, i: int) -> np.ndarray:
        block = self.source.read_block(i)
        if self.transform is None:
            return block
        out = np.asarray(self.transform(block), dtype=np.float32)
        if out.ndim < 1 or len(out) != len(block):
            raise ValueError(
                f"transform returned shape {out.shape} for a block of {len(block)} rows: "
                "it must keep one output row per input row"
            )
        return out

    def _to_device(self, rows: np.ndarray) -> torch.Tensor:
        x = torch.from_numpy(np.ascontiguousarray(rows))
        if self.device.type == "cuda":
            # Pinned host memory lets the copy overlap with the previous batch's compute.
            return x.pin_memory().to(self.device, non_blocking=True)
        return x.to(self.device)

    def __repr__(self) -> str:
        return (f"StreamBatches({self.source!r}, batch_size={self.batch_size}, "
                f"shuffle={self.shuffle}, blocks={len(self.blocks)}, batches={len(self)})")


def read_blocks(source: ArraySource, blocks: Sequence[int] | None = None, *,
                prefetch: int = 2) -> Iterator[np.ndarray]:
    """The blocks of ``source`` (``read_block(i)`` for ``i`` in ``blocks``, default all), in
    order, read ahead by a background thread that holds at most ``prefetch`` blocks ready:
    reading the next blocks overlaps with the caller's work on this one."""
    if prefetch < 1:
        raise ValueError(f"prefetch must be at least 1, got {prefetch}")
    order = _check_blocks(source, blocks)
    reader = getattr(source, "reader_bytes", 0)
    memory = getattr(source, "memory", DEFAULT_MEMORY)
    blocks = (prefetch + _IN_FLIGHT) * _block_bytes(source, order, False) if order else 0
    if reader and reader + blocks > memory:  # (blocks too large alone: block_rows was given)
        _warn_of_reader(reader, memory)
    with _reading(source.read_block, order, prefetch) as received:
        yield from received


@contextlib.contextmanager
def _reading(load: Callable[[int], np.ndarray], order: list[int], prefetch: int):
    """A reader thread putting ``load(i)`` for ``i`` in ``order`` on a queue of ``prefetch``;
    yields the iterator of what it read, and stops the thread on leaving (also on an error or
    a ``break`` in the caller)."""
    stop = threading.Event()
    ready: queue.Queue = queue.Queue(maxsize=prefetch)
    reader = threading.Thread(target=_read_ahead, args=(load, order, ready, stop),
                              name="aekit-stream-reader", daemon=True)
    reader.start()
    try:
        yield _received(ready, reader)
    finally:
        stop.set()
        _drain(ready)  # drop queued blocks so their memory goes now
        reader.join(timeout=1.0)


def _read_ahead(load, order: list[int], ready: queue.Queue, stop: threading.Event) -> None:
    """Reader thread: put each ``load(i)`` on ``ready``, then ``_END``."""
    try:
        for i in order:
            if stop.is_set():
                return
            if not _put(ready, load(i), stop):
                return
        _put(ready, _END, stop)
    except BaseException as error:  # noqa: BLE001 - every failure belongs to the consumer
        _put(ready, _Failure(error), stop)


def _check_blocks(source: ArraySource, blocks: Sequence[int] | None) -> list[int]:
    if blocks is None:
        return list(range(source.n_blocks))
    chosen = [int(i) for i in blocks]
    if not chosen:
        raise ValueError("blocks is empty: name at least one block, or pass None for all")
    bad = [i for i in chosen if not 0 <= i < source.n_blocks]
    if bad:
        raise ValueError(f"blocks {bad} are out of range: the source has {source.n_blocks} blocks")
    if len(set(chosen)) != len(chosen):
        raise ValueError("blocks repeats an index: name each block once")
    return chosen


def _block_bytes(source: ArraySource, blocks: list[int], shuffle: bool) -> int:
    """Bytes of the largest block as float32, with its shuffle index when shuffling."""
    row_bytes = 4 * int(np.prod(source.row_shape, dtype=np.int64)) + (8 if shuffle else 0)
    return max(_rows(source, i) for i in blocks) * row_bytes


def _plan(memory: int, reader: int, block_bytes: int, prefetch: int | None,
          shuffle_blocks: int | None, shuffle: bool) -> tuple[int, int]:
    """``(prefetch, shuffle_blocks)`` within what the file reader leaves of ``memory``: those
    given, else derived from it. Where the reader leaves too little (a wide Parquet file), the
    fewest blocks, with a warning; blocks too large for the whole budget are an error."""
    left = memory - reader
    fits = max(left, 0) // block_bytes
    if shuffle_blocks is None:
        shuffle_blocks = max(1, fits // 4) if shuffle else 1
    window = shuffle_blocks if shuffle else 0
    if prefetch is None:
        prefetch = max(1, min(_MAX_PREFETCH, fits - _IN_FLIGHT - window))
    needed = (prefetch + window + _IN_FLIGHT) * block_bytes
    if left < needed <= memory:
        _warn_of_reader(reader, memory)
    elif needed > memory:
        raise ValueError(
            f"a stream of blocks of {block_bytes / 2**20:.3g} MiB needs {needed / 2**20:.4g} MiB "
            f"({window} shuffled, {prefetch} read ahead, {_IN_FLIGHT} in flight) but the memory "
            f"budget is {memory / 2**20:.4g} MiB: use smaller blocks "
            "(block_rows=), fewer shuffle_blocks, or a larger memory (on the command line, "
            "a larger --memory)"
        )
    return prefetch, shuffle_blocks


def _warn_of_reader(reader: int, memory: int) -> None:
    """Warn that the file reader leaves the stream's blocks too little of the budget. One text
    for training and for reading alone, so that a fit (a statistics pass, then training) warns
    once."""
    warnings.warn(
        f"the file reader holds about {reader / 2**20:.0f} MiB (each column's dictionary and "
        f"page) of the {memory / 2**20:.0f} MiB memory budget: streaming with the fewest blocks, "
        "over the budget; raise memory (--memory) above the reader's share to stay within it",
        stacklevel=user_stacklevel())


def _warn_of_long_runs(source: ArraySource, runs: list[list[int]], shuffle_blocks: int) -> None:
    """Warn when a run of blocks (a Parquet row group, read in order) holds more than two
    shuffle windows of rows: its rows reach training in the file's order, window by window,
    and a file in a meaningful order (by time, by class) then trains far worse than in memory
    (a trial: 17 times the error on a sorted file of one row group)."""
    longest = max(runs, key=len)
    if len(longest) <= 2 * shuffle_blocks:
        return
    run_rows = sum(_rows(source, i) for i in longest)
    window_rows = shuffle_blocks * _rows(source, longest[0])
    warnings.warn(
        f"{getattr(source, 'path', 'the source')}: a row group of {run_rows} rows is read in "
        f"order and shuffled only within windows of {window_rows} rows, so a file in a "
        "meaningful order (by time, by class) is trained on in that order, and worse: write it "
        f"in row groups of at most {window_rows} rows (pyarrow's row_group_size), or give more "
        "memory", stacklevel=user_stacklevel())


def _runs(source: ArraySource, blocks: list[int]) -> list[list[int]]:
    """``blocks`` grouped by the source's runs (runs in order of first appearance, blocks in
    a run ascending, as they are cheapest read)."""
    runs_of = getattr(source, "runs", None)
    if runs_of is None:
        return [[i] for i in blocks]
    run_index = {i: k for k, run in enumerate(runs_of()) for i in run}
    grouped: dict[int, list[int]] = {}
    for i in blocks:
        grouped.setdefault(run_index[i], []).append(i)
    return [sorted(run) for run in grouped.values()]


def _rows(source: ArraySource, i: int) -> int:
    start, stop = source.block_bounds(i)
    return stop - start


def _fill_window(received: Iterator[np.ndarray], n_blocks: int, n_rows: int) -> np.ndarray:
    """Copy the next ``n_blocks`` blocks into one array of ``n_rows`` rows, dropping each block
    as soon as it is copied (a list then ``np.concatenate`` would hold the window twice)."""
    window, start = None, 0
    for _ in range(n_blocks):
        block = next(received)
        if window is None:
            window = np.empty((n_rows, *block.shape[1:]), dtype=block.dtype)
        window[start:start + len(block)] = block
        start += len(block)
        del block
    return window


def _received(ready: queue.Queue, reader: threading.Thread) -> Iterator[np.ndarray]:
    """Blocks from the reader thread, re-raising its exception here."""
    while True:
        try:
            item = ready.get(timeout=1.0)
        except queue.Empty:
            if not reader.is_alive() and ready.empty():
                raise RuntimeError("the stream reader thread stopped without a result") from None
            continue
        if item is _END:
            return
        if isinstance(item, _Failure):
            raise item.error
        yield item


def _put(ready: queue.Queue, item, stop: threading.Event) -> bool:
    """Put ``item`` unless ``stop`` is set first; returns whether it was put."""
    while not stop.is_set():
        try:
            ready.put(item, timeout=0.05)
            return True
        except queue.Full:
            continue
    return False


def _drain(ready: queue.Queue) -> None:
    """Drop queued blocks so their memory goes now, not when the generator is collected."""
    while True:
        try:
            ready.get_nowait()
        except queue.Empty:
            return
