"""Fitting and scoring on an ``ArraySource``: data larger than memory, read block by block.

One pass over the blocks checks the values and collects the per-feature statistics that fix
the scaling and loss; training then streams shuffled batches from disk (``StreamBatches``),
through the same loop as in-memory data. Validation holds out whole blocks.
"""

from __future__ import annotations

import hashlib
import warnings
from collections.abc import Callable, Iterator

import numpy as np
import torch

from aekit.estimators import _distributed, _scaling
from aekit.estimators._torch import inference_batch
from aekit.estimators._validation import check_finite
from aekit.io.sources import ArraySource
from aekit.train import StreamBatches, TensorBatches
from aekit.train.stream import read_blocks


def prepare_fit(est, source: ArraySource, seed: int, device: torch.device):
    """``(batches, val_batches, data_digest)`` for ``est.fit`` on ``source``; settles ``est``'s
    resolved settings from one pass of statistics."""
    _check_source(est, source)
    est.n_features_in_ = source.row_shape[0]
    if hasattr(est, "feature_names_in_"):
        del est.feature_names_in_
    est.squeeze_axis_, est.input_shape_ = None, tuple(source.row_shape)
    train_blocks, val_blocks = _split_blocks(est, source, seed)
    held_out = bool(val_blocks)
    # on several processes (torchrun) each reads its own blocks; the statistics are merged
    train_blocks = _distributed.my_blocks(train_blocks, source.path, required=True)
    val_blocks = _distributed.my_blocks(val_blocks, source.path, required=False)
    stats = _distributed.merged(scan(source, train_blocks))
    est._settle(stats, source.row_shape[0])
    est._settle_schedule(_distributed.total(sum(source.block_bounds(i)[1]
                                                - source.block_bounds(i)[0]
                                                for i in train_blocks)))
    _check_unit_range(est, stats, "X")
    if val_blocks:
        _check_unit_range(est, scan(source, val_blocks), "the validation blocks")
    generator = torch.Generator().manual_seed(seed)
    batches = StreamBatches(source, batch_size=_distributed.local_batch_size(est.batch_size_),
                            shuffle=est.shuffle, generator=generator, transform=est._scale,
                            device=device, blocks=train_blocks, min_batch=est._min_batch)
    batches = _distributed.equal_steps(batches)
    val_batches = None
    if val_blocks:
        val_batches = StreamBatches(source, batch_size=inference_batch(device, source.row_shape),
                                    transform=est._scale, device=device, blocks=val_blocks)
    elif held_out:
        val_batches = ()  # this rank holds no validation block; it adds nothing to val_loss
    elif est.validation_data is not None:
        val_batches = _validation_batches(est, device)
    return batches, val_batches, lambda: digest(source)


def _check_source(est, source: ArraySource) -> None:
    if est.architecture != "dense" or len(source.row_shape) != 1:
        raise ValueError(f"streaming fits take tables of rows (n, features) with "
                         f"architecture='dense'; {source.path} has rows of shape "
                         f"{source.row_shape} and architecture={est.architecture!r}: load "
                         "images and sequences into memory instead")


def _split_blocks(est, source: ArraySource, seed: int) -> tuple[list[int], list[int]]:
    """Training and validation block indices: ``validation_split`` holds out whole blocks,
    drawn at random."""
    blocks = list(range(source.n_blocks))
    if not est.validation_split or est.validation_data is not None:
        return blocks, []
    n_val = round(len(blocks) * est.validation_split)
    if n_val < 1 or n_val >= len(blocks):
        raise ValueError(f"validation_split={est.validation_split} on a stream holds out whole "
                         f"blocks, and {source.path} has {len(blocks)}: use smaller blocks "
                         "(block_rows=) or pass validation_data")
    order = np.random.RandomState(seed).permutation(len(blocks))
    return sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())


def scan(source: ArraySource, blocks: list[int]) -> _scaling.FeatureStats:
    """Per-feature statistics of ``blocks``, checking every value on the way."""
    stats = None
    for i, block in zip(blocks, read_blocks(source, blocks), strict=True):
        start, _ = source.block_bounds(i)
        check_finite(block, f"{source.path} (block from row {start})")
        part = _scaling.FeatureStats.of(block)
        stats = part if stats is None else stats.merge(part)
    return stats


def _check_unit_range(est, stats: _scaling.FeatureStats, name: str) -> None:
    """The bce loss needs targets in [0, 1] after scaling; scaling is monotone per feature, so
    the scaled minima and maxima decide."""
    if est.loss_ != "bce":
        return
    lo = est._scale(stats.lo[None].astype(np.float32))
    hi = est._scale(stats.hi[None].astype(np.float32))
    est._check_bce_range(np.concatenate([lo, hi]), name)


def _validation_batches(est, device: torch.device):
    data = est.validation_data
    if isinstance(data, ArraySource):
        _check_source(est, data)
        if data.row_shape != est.input_shape_:
            raise ValueError(f"validation_data has rows of shape {data.row_shape}, the training "
                             f"data {est.input_shape_}")
        scan(data, list(range(data.n_blocks)))  # NaN and inf checks
        return StreamBatches(data, batch_size=inference_batch(device, data.row_shape),
                             transform=est._scale, device=device)
    X_val, _ = est._checked_validation_data()
    return TensorBatches(torch.from_numpy(X_val).to(device),
                         batch_size=inference_batch(device, X_val.shape[1:]))


def digest(source: ArraySource) -> str:
    """Identifies a source for resuming without reading it all: its path, shape and the bytes
    of its first and last blocks."""
    data = hashlib.sha256(f"{source.path}|{source.n_rows}|{source.row_shape}".encode())
    for i in sorted({0, source.n_blocks - 1}):
        data.update(np.ascontiguousarray(source.read_block(i)).tobytes())
    return data.hexdigest()


def map_blocks(method: Callable[[np.ndarray], np.ndarray],
               source: ArraySource) -> Iterator[np.ndarray]:
    """``method`` applied block by block, the next blocks read ahead in the background; yields
    each block's output as it is computed. Errors name the rows they come from. A model
    trained with column names checks them against the source's once, not on every block."""
    matched = _columns_match(getattr(method, "__self__", None), source)
    for i, block in enumerate(read_blocks(source)):
        try:
            with warnings.catch_warnings():
                if matched:  # the blocks are bare arrays of the columns just checked by name
                    warnings.filterwarnings("ignore", "X does not have valid feature names")
                out = method(block)
        except ValueError as error:
            start, stop = source.block_bounds(i)
            raise ValueError(f"{source.path}, rows {start} to {stop - 1}: {error}") from None
        yield out


def _columns_match(est, source: ArraySource) -> bool:
    """Whether the source's column names are the ones ``est`` was trained on, in order;
    ``ValueError`` if they differ, ``False`` where either has none."""
    names = getattr(est, "feature_names_in_", None)
    if names is None or source.columns is None:
        return False
    expected = [str(name) for name in names]
    if list(source.columns) != expected:
        raise ValueError(f"{source.path} has columns {source.columns} but the model was "
                         f"trained on {expected}: open it with "
                         "open_source(path, columns=list(model.feature_names_in_))")
    return True


def map_source(method: Callable[[np.ndarray], np.ndarray], source: ArraySource) -> np.ndarray:
    """``method`` applied block by block, the outputs joined into one array."""
    return np.concatenate(list(map_blocks(method, source)))
