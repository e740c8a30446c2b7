"""``aekit encode --stream`` and ``aekit score --stream``: outputs of data larger than memory.

The rows are read block by block (the next blocks read ahead in the background), each block's
codes or scores are written as they come (a Parquet row group per block), and a progress bar
counts rows when stderr is a terminal. Memory holds a few blocks, whatever the data's size.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np

from aekit._cli_common import CLIError, load_model_for, open_stream


def stream_encode(args) -> None:
    model = load_model_for(args, "encode")
    source = open_stream(args, model)
    columns = [f"z{i}" for i in range(model.latent_dim_)]
    blocks = _with_progress(model.transform, source)
    n = _write(args.output, source, blocks, columns)
    print(f"wrote {n} codes of size {len(columns)} to {args.output}")


def stream_score(args) -> None:
    model = load_model_for(args, "score", detectors=True)
    from aekit._detect_frame import takes_categories

    if takes_categories(model):
        raise CLIError(f"{args.model} is a detector fitted on categorical columns, which scores "
                       "rows read whole: leave out --stream")
    source = open_stream(args, model)
    total = _Sum()
    blocks = (total.add(scores) for scores in _with_progress(model.score_samples, source))
    n = _write(args.output, source, blocks, ["score"])
    print(f"wrote {n} scores to {args.output} (mean {total.mean():.5g}; higher = more normal)")


def _write(path: str, source, blocks, columns: list[str]) -> int:
    """Write ``blocks`` to ``path``; a Parquet index column of the source (as pandas writes
    one) goes first, as a table loaded whole keeps it (in a Parquet output as pandas' index),
    except in a .npy file."""
    from aekit.io.formats import format_of
    from aekit.io.stream_writer import write_blocks
    from aekit.io.tables import output_index_name

    index = getattr(source, "index_column", None)
    if index is not None and format_of(path) != ".npy":
        header = output_index_name(index, path)  # unnamed, in a CSV: as pandas writes it
        if header in columns:
            raise CLIError(f"the index column {header!r} of {source.path} has the name of a "
                           "column written beside it: rename it")
        blocks = _labelled(blocks, source.index_blocks(), header, columns)
        return write_blocks(path, blocks, columns, n_rows=source.n_rows, index=header)
    return write_blocks(path, blocks, columns, n_rows=source.n_rows)


def _labelled(blocks, labels, index: str, columns: list[str]):
    """Each block as an Arrow table: its index values first, then its columns."""
    import pyarrow as pa

    for block, label in zip(blocks, labels, strict=True):
        values = block.reshape(len(block), -1)
        yield pa.table({index: label, **{name: values[:, j] for j, name in enumerate(columns)}})


def _with_progress(method, source) -> Iterator[np.ndarray]:
    """``method`` over ``source``'s blocks, with a bar of rows on a terminal."""
    from aekit.estimators._streaming import map_blocks

    bar = None
    if sys.stderr.isatty():
        from tqdm.auto import tqdm

        bar = tqdm(total=source.n_rows, unit="row", unit_scale=True, file=sys.stderr,
                   dynamic_ncols=True)
    try:
        for out in map_blocks(method, source):
            if bar is not None:
                bar.update(len(out))
            yield out
    finally:
        if bar is not None:
            bar.close()


class _Sum:
    """The running mean of the scores passing through, summed in float64."""

    def __init__(self):
        self.total, self.count = 0.0, 0

    def add(self, scores: np.ndarray) -> np.ndarray:
        self.total += float(np.sum(scores, dtype=np.float64))
        self.count += len(scores)
        return scores

    def mean(self) -> float:
        return self.total / self.count if self.count else float("nan")
