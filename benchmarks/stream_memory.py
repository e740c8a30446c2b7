"""Peak memory of a streamed fit (and score) against the size of the data: it must not grow.

    OMP_NUM_THREADS=1 python benchmarks/stream_memory.py [--sizes-mb 512 2048] [--files 8]
        [--features 32] [--folder /tmp/aekit-stream-memory] [--memory-mb 192]
        [--format parquet|npy] [--keep]

For each size, writes a Parquet dataset of ``--files`` files with one row group each (float64
columns of uniform noise; or one float64 ``.npy`` file with ``--format npy``), then runs in fresh subprocesses, one after the other:

- the import baseline: Python with aekit, torch and pyarrow imported;
- ``aekit fit DATA --stream --epochs 1 --batch-size 1024``;
- ``aekit score MODEL DATA --stream -o scores.parquet``.

Each child reads its own peak resident memory (``VmHWM``, see ``_peak.py``): Python's, Arrow's
and torch's allocations alike. The table shows the peak minus
the import baseline. The datasets are deleted afterwards unless ``--keep``.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _peak import measure

BASELINE = "import torch, pyarrow.parquet, aekit, aekit.cli; from aekit import Autoencoder"


def write_npy(folder: Path, size_mb: int, features: int) -> tuple[Path, int]:
    """One ``.npy`` of ``size_mb`` MB of float64 noise, written in slices; returns its path."""
    rows = size_mb * 2**20 // (features * 8)
    folder.mkdir(parents=True, exist_ok=True)
    path = folder / "data.npy"
    out = np.lib.format.open_memmap(path, mode="w+", dtype=np.float64, shape=(rows, features))
    rng = np.random.default_rng(0)
    for start in range(0, rows, 2**18):
        out[start:start + 2**18] = rng.random((min(2**18, rows - start), features))
    out.flush()
    del out
    return path, rows


def write_dataset(folder: Path, size_mb: int, files: int, features: int) -> int:
    """``size_mb`` MB of float64 noise in ``files`` files of one row group each; returns rows."""
    rows_per_file = size_mb * 2**20 // (files * features * 8)
    folder.mkdir(parents=True, exist_ok=True)
    rng = np.random.default_rng(0)
    names = [f"x{j}" for j in range(features)]
    for f in range(files):
        with pq.ParquetWriter(folder / f"part-{f:03d}.parquet",
                              pa.schema([(n, pa.float64()) for n in names])) as writer:
            columns = {n: rng.random(rows_per_file) for n in names}
            writer.write_table(pa.table(columns), row_group_size=rows_per_file)
            del columns
    return rows_per_file * files


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sizes-mb", type=int, nargs="+", default=[512, 2048])
    parser.add_argument("--files", type=int, default=8)
    parser.add_argument("--features", type=int, default=32)
    parser.add_argument("--memory-mb", type=int, default=192)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/aekit-stream-memory"))
    parser.add_argument("--format", choices=["parquet", "npy"], default="parquet")
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    env = dict(os.environ, OMP_NUM_THREADS=os.environ.get("OMP_NUM_THREADS", "1"))
    src = Path(__file__).resolve().parents[1] / "src"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    aekit = ["-m", "aekit"]
    memory = ["--memory", str(args.memory_mb)]
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores; load {os.getloadavg()}")
    _, base = measure(["-c", BASELINE], env)
    print(f"import baseline: {base:.0f} MB\n")
    print("| data | rows | fit peak - baseline | fit s | score peak - baseline | score s |")
    print("|---|---|---|---|---|---|")
    for size in args.sizes_mb:
        data = args.folder / f"data-{size}mb"
        shutil.rmtree(args.folder, ignore_errors=True)
        if args.format == "npy":
            data, rows = write_npy(data, size, args.features)
        else:
            rows = write_dataset(data, size, args.files, args.features)
        model = args.folder / "model.safetensors"
        fit_s, fit = measure([*aekit, "fit", str(data), "--stream", *memory, "--epochs", "1",
                              "--batch-size", "1024", "-o", str(model), "--verbose", "0"], env)
        score_s, score = measure([*aekit, "score", str(model), str(data), "--stream", *memory,
                                  "-o", str(args.folder / "scores.parquet")], env)
        what = "1 .npy file" if args.format == "npy" else f"{args.files} Parquet files"
        print(f"| {size} MB, {what} | {rows:,} | {fit - base:.0f} MB | {fit_s:.0f} "
              f"| {score - base:.0f} MB | {score_s:.0f} |", flush=True)
    if not args.keep:
        shutil.rmtree(args.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
