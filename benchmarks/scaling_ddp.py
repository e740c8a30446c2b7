"""Throughput of distributed training on this machine: 1, 2 and 4 gloo processes under torchrun.

Every configuration trains the same model on the same MNIST rows with the same global batch
(256: each of W processes takes 256 / W rows per step), through ``Autoencoder.fit`` exactly as
``torchrun -m aekit fit`` runs it. Reported: seconds per epoch (median of the epochs after the
first), training rows per second, and the time of one gloo all-reduce of the model's gradients
(the volume DDP moves every step), timed in the same processes.

    OMP_NUM_THREADS=1 python benchmarks/scaling_ddp.py [--rows 12000] [--epochs 4]
        [--models reference deeper] [--processes 1 2 4]

Each process runs one torch thread (``OMP_NUM_THREADS=1``); "1 process, 2 threads" is the
single-process use of the same two cores, for comparison.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

MODELS = {"reference": (), "deeper": (512, 256)}  # 784-32-784 and 784-512-256-32-256-512-784


def worker(args) -> None:
    """One rank (started by torchrun): fit, time the epochs and an all-reduce, report."""
    import numpy as np
    import torch
    import torch.distributed as dist
    from _data import load_mnist

    from aekit import Autoencoder
    from aekit.train import Callback

    class EpochClock(Callback):
        def __init__(self):
            self.ends = []

        def on_epoch_end(self, state, logs):
            self.ends.append(time.perf_counter())

    X = load_mnist()[0][:args.rows]
    clock = EpochClock()
    model = Autoencoder(latent_dim=32, hidden_dims=MODELS[args.model], activation="relu",
                        latent_activation="relu", output_activation="sigmoid", loss="bce",
                        epochs=args.epochs, batch_size=256, random_state=0, device="cpu",
                        callbacks=[clock])
    start = time.perf_counter()
    model.fit(X)
    epoch_s = statistics.median(np.diff([start, *clock.ends])[1:])
    n_params = sum(p.numel() for p in model.module_.parameters())
    allreduce_ms = float("nan")
    if dist.is_initialized():
        flat = torch.zeros(n_params + 1)
        for _ in range(3):
            dist.all_reduce(flat)
        dist.barrier()
        begin = time.perf_counter()
        for _ in range(20):
            dist.all_reduce(flat)
        allreduce_ms = (time.perf_counter() - begin) / 20 * 1000
    if int(os.environ.get("RANK", "0")) == 0:
        Path(args.report).write_text(json.dumps({
            "epoch_s": epoch_s, "rows_per_s": len(X) / epoch_s, "params": n_params,
            "allreduce_ms": allreduce_ms, "loss": model.history_["loss"][-1]}))


def measure(model: str, processes: int, threads: int, args) -> dict:
    with tempfile.TemporaryDirectory() as folder:
        report = Path(folder) / "report.json"
        env = {**os.environ, "OMP_NUM_THREADS": str(threads),
               "PYTHONPATH": os.pathsep.join([str(Path(__file__).parent),
                                              str(Path(__file__).parents[1] / "src")])}
        command = [sys.executable, "-m", "torch.distributed.run", "--standalone",
                   f"--nproc_per_node={processes}", __file__, "--worker", "--model", model,
                   "--rows", str(args.rows), "--epochs", str(args.epochs),
                   "--report", str(report)]
        if processes == 1:  # a plain process, as a user without torchrun runs it
            command = [sys.executable, *command[5:]]
        subprocess.run(command, env=env, check=True, stdout=subprocess.DEVNULL)
        return json.loads(report.read_text())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--worker", action="store_true", help=argparse.SUPPRESS)
    parser.add_argument("--report", help=argparse.SUPPRESS)
    parser.add_argument("--model", default="reference", help=argparse.SUPPRESS)
    parser.add_argument("--models", nargs="+", default=list(MODELS), choices=list(MODELS))
    parser.add_argument("--processes", nargs="+", type=int, default=[1, 2, 4])
    parser.add_argument("--rows", type=int, default=12000)
    parser.add_argument("--epochs", type=int, default=4)
    args = parser.parse_args()
    if args.worker:
        worker(args)
        return
    import platform

    import torch
    print(f"torch {torch.__version__}, Python {platform.python_version()}, "
          f"{os.cpu_count()} CPUs, {args.rows} MNIST rows, batch 256, {args.epochs} epochs")
    for model in args.models:
        runs = [(1, 2)] + [(p, 1) for p in args.processes]
        results = {run: measure(model, *run, args) for run in runs}
        base = results[(1, 1)]["rows_per_s"] if (1, 1) in results else None
        print(f"\n{model}: {results[runs[0]]['params']} parameters, "
              f"{4 * (results[runs[0]]['params'] + 1) / 1e6:.3f} MB all-reduced per step")
        print("| processes x threads | s / epoch | rows / s | x 1 process | all-reduce ms | "
              "final loss |")
        print("|---|---|---|---|---|---|")
        for (p, t), r in results.items():
            ratio = f"{r['rows_per_s'] / base:.2f}" if base else "-"
            print(f"| {p} x {t} | {r['epoch_s']:.3f} | {r['rows_per_s']:.0f} | {ratio} | "
                  f"{r['allreduce_ms']:.3f} | {r['loss']:.4f} |")


if __name__ == "__main__":
    main()
