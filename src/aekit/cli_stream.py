"""``aekit encode --stream`` and ``aekit score --stream``: outputs of data larger than memory.

The rows are read block by block (the next blocks read ahead in the background), each block's
codes or scores are written as they come (a Parquet row group per block), and a progress bar
counts rows when stderr is a terminal. Memory holds a few blocks, whatever the data's size.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator

import numpy as np

from aekit._cli_common import load_model_for, open_stream


def stream_encode(args) -> None:
    model = load_model_for(args, "encode")
    source = open_stream(args, model)
    columns = [f"z{i}" for i in range(model.latent_dim_)]
    n = _write(args.output, _with_progress(model.transform, source), columns, source.n_rows)
    print(f"wrote {n} codes of size {len(columns)} to {args.output}")


def stream_score(args) -> None:
    model = load_model_for(args, "score", detectors=True)
    source = open_stream(args, model)
    total = _Sum()
    blocks = (total.add(scores) for scores in _with_progress(model.score_samples, source))
    n = _write(args.output, blocks, ["score"], source.n_rows)
    print(f"wrote {n} scores to {args.output} (mean {total.mean():.5g}; higher = more normal)")


def _write(path: str, blocks, columns: list[str], n_rows: int) -> int:
    from aekit.io.stream_writer import write_blocks

    return write_blocks(path, blocks, columns, n_rows=n_rows)


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
