"""Scoring and encoding 10^7 rows from Parquet with bounded memory, against ``score_samples`` on
an in-memory array, side by side in one run.

    OMP_NUM_THREADS=1 python benchmarks/score_scale.py [--rows 10000000] [--features 16]
        [--in-memory-rows 1000000] [--folder /tmp/aekit-score-scale] [--keep]

Writes a Parquet dataset (``--features`` float32 columns of correlated data, row groups of
2^20 rows, 4 files), fits an ``Autoencoder`` on 20000 rows of the same kind, then times:

- ``model.score_samples(X)`` on an in-memory float32 array of ``--in-memory-rows`` rows;
- ``model.score_samples(open_source(DATA))`` in this process (blocks read ahead, outputs joined);
- ``aekit score MODEL DATA --stream -o scores.parquet`` and ``aekit encode ... -o codes.parquet``
  as subprocesses (wall time includes Python's start and imports), with their peak resident
  memory (``VmHWM``, see ``_peak.py``) minus that of a child that only imports aekit, torch and
  pyarrow.
"""

from __future__ import annotations

import argparse
import os
import platform
import shutil
import time
from pathlib import Path

import numpy as np
import pyarrow as pa
import pyarrow.parquet as pq
from _peak import measure

from aekit import Autoencoder
from aekit.io import open_source

GROUP_ROWS = 2**20
BASELINE = "import torch, pyarrow.parquet, aekit, aekit.cli; from aekit import Autoencoder"


def rows_like(rng: np.random.Generator, n: int, mixing: np.ndarray) -> np.ndarray:
    """Rows on a 4-dimensional subspace plus noise, float32."""
    latent = rng.normal(size=(n, mixing.shape[0])).astype(np.float32)
    return latent @ mixing + rng.normal(scale=0.1, size=(n, mixing.shape[1])).astype(np.float32)


def write_dataset(folder: Path, rows: int, mixing: np.ndarray, files: int = 4) -> None:
    folder.mkdir(parents=True, exist_ok=True)
    names = [f"x{j}" for j in range(mixing.shape[1])]
    schema = pa.schema([(name, pa.float32()) for name in names])
    rng = np.random.default_rng(1)
    per_file = -(-rows // files)
    for f in range(files):
        n_file = min(per_file, rows - f * per_file)
        with pq.ParquetWriter(folder / f"part-{f}.parquet", schema) as writer:
            for start in range(0, n_file, GROUP_ROWS):
                X = rows_like(rng, min(GROUP_ROWS, n_file - start), mixing)
                writer.write_table(pa.table(dict(zip(names, X.T))), row_group_size=GROUP_ROWS)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000_000)
    parser.add_argument("--features", type=int, default=16)
    parser.add_argument("--in-memory-rows", type=int, default=1_000_000)
    parser.add_argument("--folder", type=Path, default=Path("/tmp/aekit-score-scale"))
    parser.add_argument("--keep", action="store_true")
    args = parser.parse_args()
    torch_threads = os.environ.get("OMP_NUM_THREADS", "(default)")
    print(f"machine: {platform.machine()}, {os.cpu_count()} cores, OMP_NUM_THREADS="
          f"{torch_threads}; load {os.getloadavg()}")
    rng = np.random.default_rng(0)
    mixing = rng.normal(size=(4, args.features)).astype(np.float32)
    shutil.rmtree(args.folder, ignore_errors=True)
    data = args.folder / "data"
    started = time.perf_counter()
    write_dataset(data, args.rows, mixing)
    size = sum(p.stat().st_size for p in data.iterdir()) / 2**20
    print(f"wrote {args.rows:,} rows x {args.features} float32 columns ({size:.0f} MB of "
          f"Parquet) in {time.perf_counter() - started:.0f} s")

    model_path = args.folder / "model.safetensors"
    model = Autoencoder(latent_dim=4, epochs=5, random_state=0, verbose=0, device="cpu")
    model.fit(rows_like(rng, 20_000, mixing)).save(model_path)

    X = rows_like(rng, args.in_memory_rows, mixing)
    model.score_samples(X[:1000])  # warm-up
    started = time.perf_counter()
    model.score_samples(X)
    in_memory = args.in_memory_rows / (time.perf_counter() - started)
    del X

    started = time.perf_counter()
    scores = model.score_samples(open_source(data))
    streamed = len(scores) / (time.perf_counter() - started)
    del scores

    env = dict(os.environ)
    src = Path(__file__).resolve().parents[1] / "src"
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [str(src), env.get("PYTHONPATH")]))
    _, base = measure(["-c", BASELINE], env)
    results = {}
    for command, out in (("score", "scores.parquet"), ("encode", "codes.parquet")):
        seconds, peak = measure(["-m", "aekit", command, str(model_path), str(data),
                               "--stream", "-o", str(args.folder / out)], env)
        written = pq.ParquetFile(args.folder / out).metadata
        assert written.num_rows == args.rows
        results[command] = (seconds, peak - base, written.num_row_groups)

    print("\n| how | rows | rows/s | ratio to in-memory | peak RSS - import baseline |")
    print("|---|---|---|---|---|")
    print(f"| `score_samples(X)`, X in memory | {args.in_memory_rows:,} | {in_memory:,.0f} | 1 | - |")
    print(f"| `score_samples(open_source(DATA))` | {args.rows:,} | {streamed:,.0f} | "
          f"{streamed / in_memory:.2f} | - |")
    for command, (seconds, peak, groups) in results.items():
        rate = args.rows / seconds
        print(f"| `aekit {command} --stream -o {command}.parquet` ({groups} row groups; "
              f"{seconds:.0f} s with start-up) | {args.rows:,} | {rate:,.0f} | "
              f"{rate / in_memory:.2f} | {peak:.0f} MB |")
    print(f"\nimport baseline {base:.0f} MB; load after: {os.getloadavg()}")
    if not args.keep:
        shutil.rmtree(args.folder, ignore_errors=True)


if __name__ == "__main__":
    main()
