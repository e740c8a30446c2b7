"""The estimator's side of training on several processes (``aekit.train.distributed``).

Under ``torchrun`` every rank calls ``fit`` with the same data (an array, or a source opened
on the same files). Every rank then settles the same settings, from statistics each computed on
its own share of the rows (or blocks) and merged in rank order; each trains on its part of
every global batch. On one process every function here leaves things as they were.
"""

from __future__ import annotations

import functools
import hashlib
from collections.abc import Sequence

import numpy as np
import torch

from aekit.estimators._scaling import FeatureStats
from aekit.train import distributed
from aekit.train.distributed import current  # noqa: F401  (the estimators' entry point)

DIGEST_ROWS = 4096  # evenly spaced rows the ranks compare to find different data


def join(device: torch.device, seed: int) -> int:
    """Join the other ranks when ``torchrun`` started this process; rank 0's ``seed`` (drawn
    from ``random_state``, which may differ between processes) is everyone's."""
    ranks = distributed.setup(device)
    return seed if ranks is None else int(ranks.broadcast(seed))


def seed_rank(seed: int) -> None:
    """A torch random stream of this rank's own (dropout, corruption, sampling): the ranks
    draw for different rows."""
    ranks = distributed.current()
    if ranks is not None:
        torch.manual_seed(seed + 1 + ranks.rank)


def my_rows(array: np.ndarray | None) -> np.ndarray | None:
    """This rank's rows of ``array`` (every ``world_size``-th), or ``array`` on one process."""
    ranks = distributed.current()
    return array if ranks is None or array is None else ranks.rows(array)


def check_same_data(X: np.ndarray) -> None:
    """Every rank must hold the same rows: each trains on its part of the same batches. The
    ranks compare their row counts and a digest of up to ``DIGEST_ROWS`` evenly spaced rows
    (cheap at any size; another table, or the same one transformed, differs there)."""
    ranks = distributed.current()
    if ranks is None:
        return
    gathered = ranks.gather((len(X), _sample_digest(X)))
    if any(isinstance(item, str) for item in gathered):  # another rank's stream digest
        raise ValueError(_MIXED)
    counts, digests = zip(*gathered)
    if len(set(counts)) > 1:
        raise ValueError(f"the {ranks.world_size} processes passed {list(counts)} rows to fit: "
                         "pass every process the same data (each trains on its part of every "
                         "batch)")
    if len(set(digests)) > 1:
        raise ValueError(f"the {ranks.world_size} processes passed different data to fit (the "
                         "same number of rows, other values): pass every process the same data "
                         "(each trains on its part of every batch)")


_MIXED = ("some processes stream their data and others pass it in memory: give every "
          "process the same data the same way")


def check_same_source(content_digest, path) -> None:
    """Every rank must stream the same data: each trains on its share of the blocks, and a
    rank's other file would be half read, half left out. The ranks compare
    ``content_digest()``, a digest of its shape and first and last blocks (not of its path: a
    copy on each machine is the same data), computed only when there are several."""
    ranks = distributed.current()
    if ranks is None:
        return
    gathered = ranks.gather(content_digest())
    if not all(isinstance(item, str) for item in gathered):  # another rank's array digest
        raise ValueError(_MIXED)
    if len(set(gathered)) > 1:
        raise ValueError(f"the {ranks.world_size} processes stream different data ({path} on "
                         "this one): give every process the same file or folder (each trains on "
                         "its share of the blocks), or join the files into one Parquet folder")


def _sample_digest(X: np.ndarray) -> str:
    rows = np.unique(np.linspace(0, len(X) - 1, min(len(X), DIGEST_ROWS)).astype(np.int64))
    sample = np.ascontiguousarray(X[rows], dtype=np.float64)  # float32 or 64 alike
    return hashlib.blake2b(sample.tobytes() + str(X.shape).encode(), digest_size=16).hexdigest()


def feature_stats(values: np.ndarray) -> FeatureStats:
    """The statistics of ``values``; on several ranks, of every rank's values, merged in rank
    order (so every rank gets the same shift and scale)."""
    part = FeatureStats.of(values) if len(values) else None
    whole = merged(part)
    return FeatureStats.of(values) if whole is None else whole  # no values anywhere: empty


def merged(part: FeatureStats | None) -> FeatureStats | None:
    """``part`` merged with the other ranks' parts (None: a rank without rows)."""
    ranks = distributed.current()
    if ranks is None:
        return part
    parts = [p for p in ranks.gather(part) if p is not None]
    return functools.reduce(FeatureStats.merge, parts) if parts else None


def shard() -> tuple[int, int]:
    """``(rank, world_size)`` for ``TensorBatches``."""
    ranks = distributed.current()
    return (0, 1) if ranks is None else (ranks.rank, ranks.world_size)


def fingerprint() -> dict:
    """What a resumed run must share besides data and parameters: the number of processes
    (each rank's random state is in the checkpoint)."""
    ranks = distributed.current()
    return {} if ranks is None else {"processes": ranks.world_size}


def is_main() -> bool:
    """Whether this process writes files (rank 0, or the only process)."""
    ranks = distributed.current()
    return ranks is None or ranks.is_main


# ----------------------------------------------------------------- streamed sources
def my_blocks(blocks: Sequence[int], path, *, required: bool) -> list[int]:
    """This rank's blocks: the ``i``-th of ``blocks`` goes to rank ``i % world_size``."""
    ranks = distributed.current()
    if ranks is None:
        return list(blocks)
    if required and len(blocks) < ranks.world_size:
        raise ValueError(f"{path} has {len(blocks)} training block(s) for {ranks.world_size} "
                         "processes: each needs at least one; data this small fits in memory "
                         "(fit the array, or leave out --stream: every process then takes its "
                         "share of each batch), or use smaller blocks (block_rows=; on the "
                         "command line, a smaller --memory, which may leave the reader over "
                         "the budget)")
    return list(ranks.rows(list(blocks)))


def total(n: int) -> int:
    """``n`` summed over the ranks."""
    ranks = distributed.current()
    return n if ranks is None else int(ranks.sum(n)[0])


def local_batch_size(batch_size: int) -> int:
    """This rank's rows of a global batch of ``batch_size`` rows (near-equal parts)."""
    ranks = distributed.current()
    if ranks is None:
        return batch_size
    if batch_size < ranks.world_size:
        raise ValueError(f"batch_size={batch_size} is smaller than the {ranks.world_size} "
                         "processes sharing each batch: use a larger batch_size")
    r, w = ranks.rank, ranks.world_size
    return batch_size * (r + 1) // w - batch_size * r // w


def equal_steps(batches):
    """``batches`` cut to the fewest batches any rank has, so that all take the same steps."""
    ranks = distributed.current()
    if ranks is None:
        return batches
    return distributed.EqualSteps(batches, ranks.min(len(batches)))
