"""Helpers over an ``ArraySource`` (data larger than memory, read block by block): checks,
held-out blocks, one pass of statistics, a digest for resuming, and methods mapped over the
blocks. They know nothing of the estimators; ``_source_fit`` is where an estimator uses them.
"""

from __future__ import annotations

import hashlib
import re
import warnings
from collections.abc import Callable, Iterator

import numpy as np

from aekit._stack import user_stacklevel
from aekit.estimators import _scaling
from aekit.estimators._validation import check_finite
from aekit.io.sources import ArraySource
from aekit.train.stream import read_blocks


def check_source(architecture: str, source: ArraySource) -> None:
    if architecture != "dense" or len(source.row_shape) != 1:
        raise ValueError(f"streaming fits take tables of rows (n, features) with "
                         f"architecture='dense'; {source.path} has rows of shape "
                         f"{source.row_shape} and architecture={architecture!r}: load "
                         "images and sequences into memory instead")


def split_blocks(source: ArraySource, validation_split: float, seed: int):
    """Training and validation block indices: ``validation_split`` holds out whole blocks,
    drawn at random."""
    blocks = list(range(source.n_blocks))
    if not validation_split:
        return blocks, []
    n_val = round(len(blocks) * validation_split)
    if n_val < 1 or n_val >= len(blocks):
        raise ValueError(f"validation_split={validation_split} on a stream holds out whole "
                         f"blocks, and {source.path} has {len(blocks)}: use smaller blocks "
                         "(block_rows=; on the command line, a smaller --memory) or pass "
                         "validation_data (--validation-data)")
    order = np.random.RandomState(seed).permutation(len(blocks))
    return sorted(order[n_val:].tolist()), sorted(order[:n_val].tolist())


def rows_in(source: ArraySource, blocks: list[int]) -> int:
    return sum(source.block_bounds(i)[1] - source.block_bounds(i)[0] for i in blocks)


def scan(source: ArraySource, blocks: list[int]) -> _scaling.FeatureStats:
    """Per-feature statistics of ``blocks``, checking every value on the way."""
    stats = None
    for i, block in zip(blocks, read_blocks(source, blocks), strict=True):
        start, stop = source.block_bounds(i)
        try:  # said as scoring says it: the source's rows, the columns by name
            check_finite(block, "X", source.columns)
        except ValueError as error:
            raise _block_error(source, start, stop, error) from None
        part = _scaling.FeatureStats.of(block)
        stats = part if stats is None else stats.merge(part)
    return stats


def digest(source: ArraySource, with_path: bool = True) -> str:
    """Identifies a source without reading it all: its path (unless ``with_path`` is False:
    the same data at another path, on another machine), shape and the bytes of its first and
    last blocks."""
    named = f"{source.path}|" if with_path else ""
    data = hashlib.sha256(f"{named}{source.n_rows}|{source.row_shape}".encode())
    for i in sorted({0, source.n_blocks - 1}):
        data.update(np.ascontiguousarray(source.read_block(i)).tobytes())
    return data.hexdigest()


def map_blocks(method: Callable[[np.ndarray], np.ndarray],
               source: ArraySource) -> Iterator[np.ndarray]:
    """``method`` applied block by block, the next blocks read ahead in the background; yields
    each block's output as it is computed. Errors name the rows they come from. A model
    trained with column names checks them against the source's once, not on every block."""
    est = getattr(method, "__self__", None)
    matched = _columns_match(est, source)
    if not matched and getattr(est, "feature_names_in_", None) is not None:
        warnings.warn(f"{source.path} has no column names: its columns are taken by position "
                      "as the model's", UserWarning, stacklevel=user_stacklevel())
    for i, block in enumerate(read_blocks(source)):
        start, stop = source.block_bounds(i)
        try:
            with warnings.catch_warnings():  # the blocks are bare arrays of the columns just
                # checked by name (or said once above to be taken by position)
                warnings.filterwarnings("ignore", "X does not have valid feature names")
                out = method(block)
        except ValueError as error:
            raise _block_error(source, start, stop, error) from None
        yield out


def _block_error(source: ArraySource, start: int, stop: int, error: ValueError) -> ValueError:
    """``error`` in a block of rows ``start`` to ``stop``, said of the source: the block's
    rows, and each "row N" in it counted from the source's first row."""
    message = re.sub(r"\brow (\d+)", lambda match: f"row {start + int(match.group(1))}",
                     str(error))
    return ValueError(f"{source.path}, rows {start} to {stop - 1}: {message}")


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
                         "open_source(path, columns=list(model.feature_names_in_)) (on the "
                         "command line, name those with --columns, or leave it out)")
    return True


def map_source(method: Callable[[np.ndarray], np.ndarray], source: ArraySource) -> np.ndarray:
    """``method`` applied block by block, the outputs joined into one array."""
    return np.concatenate(list(map_blocks(method, source)))
