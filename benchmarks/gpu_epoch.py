"""Where a GPU epoch of the reference recipe goes: seconds per epoch by steps per recorded graph
(and with TensorFloat-32 products), and one profiled epoch of the default step (kernels per step,
the GPU's busy time against the epoch's wall time, the kernels by time).

    python benchmarks/gpu_epoch.py [--epochs 6] [--device cuda]

Made for a CUDA GPU (``--device cpu`` profiles the CPU's steps, a check of the script). The busy
time is the sum of the kernels' own durations as PyTorch's profiler reports them: the epoch
cannot run faster than that however few launches it makes.
"""

from __future__ import annotations

import argparse
import statistics
import time

import torch
from _data import load_mnist
from speed import EpochTimer

from aekit import Autoencoder
from aekit.train import Callback
from aekit.train.step import CudaGraphStep

STEPS_PER_EPOCH = 60000 // 256 + 1
DEVICE = "cuda"


def sync() -> None:
    if DEVICE == "cuda":
        torch.cuda.synchronize()


class ProfileOneEpoch(Callback):
    """Profiles epoch ``epoch`` (0-based) with CPU and CUDA activities."""

    def __init__(self, epoch: int):
        self.epoch, self.profile, self.wall = epoch, None, None

    def on_epoch_begin(self, state):
        if state.epoch == self.epoch:
            sync()
            self.profile = torch.profiler.profile(activities=[
                torch.profiler.ProfilerActivity.CPU, torch.profiler.ProfilerActivity.CUDA])
            self.profile.__enter__()
            self.started = time.perf_counter()

    def on_epoch_end(self, state, logs):
        if self.profile is not None and self.wall is None:
            sync()
            self.wall = time.perf_counter() - self.started
            self.profile.__exit__(None, None, None)


def reference(X_val, epochs, callbacks, **params):
    return Autoencoder(latent_dim=32, hidden_dims=(), activation="relu", latent_activation="relu",
                       output_activation="sigmoid", loss="bce", epochs=epochs, batch_size=256,
                       validation_data=X_val, random_state=0, device=DEVICE,
                       callbacks=callbacks, **params)


def by_run_length(X, X_val, epochs):
    """s/epoch by the most steps one graph holds, in float32 and with the user's switch to
    TensorFloat-32 matrix products (``torch.backends.cuda.matmul.allow_tf32``)."""
    print("| steps per graph (at most) | matrix products | s / epoch, median after the first "
          "| first epoch s |")
    print("|---|---|---|---|")
    most, tf32 = CudaGraphStep.MOST_STEPS_PER_GRAPH, torch.backends.cuda.matmul.allow_tf32
    try:
        for length, allow_tf32 in ((1, False), (16, False), (128, False), (128, True)):
            CudaGraphStep.MOST_STEPS_PER_GRAPH = length
            torch.backends.cuda.matmul.allow_tf32 = allow_tf32
            timer = EpochTimer()
            reference(X_val, epochs, [timer], compile="cuda_graph").fit(X)
            steady = statistics.median(timer.seconds[1:])
            print(f"| {length} | {'tf32' if allow_tf32 else 'float32'} | {steady:.4f} | "
                  f"{timer.seconds[0]:.2f} |", flush=True)
    finally:
        CudaGraphStep.MOST_STEPS_PER_GRAPH, torch.backends.cuda.matmul.allow_tf32 = most, tf32


def profiled_epoch(X, X_val, compile):
    profiler = ProfileOneEpoch(epoch=2)
    reference(X_val, 3, [profiler], compile=compile).fit(X)
    kernels = [e for e in profiler.profile.events()
               if e.device_type == torch.autograd.DeviceType.CUDA]  # none on the CPU
    busy = sum(e.time_range.elapsed_us() for e in kernels) / 1e6
    print(f"\n### One profiled epoch, compile={compile!r}: {len(kernels)} kernels "
          f"({len(kernels) / STEPS_PER_EPOCH:.1f} per step), GPU busy {busy:.4f} s, "
          f"wall {profiler.wall:.4f} s (profiled)\n")
    sort = "self_device_time_total" if DEVICE == "cuda" else "self_cpu_time_total"
    print(profiler.profile.key_averages().table(sort_by=sort, row_limit=24,
                                                max_name_column_width=100))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=6)
    parser.add_argument("--device", default="cuda", choices=["cuda", "cpu"])
    args = parser.parse_args()
    global DEVICE
    DEVICE = args.device
    X, _, X_val, _ = load_mnist()
    name = torch.cuda.get_device_name() if DEVICE == "cuda" else "CPU"
    print(f"# {name}; torch {torch.__version__}; reference recipe 784-32-784, batch 256, "
          f"validation on 10000 rows\n")
    if DEVICE == "cuda":
        by_run_length(X, X_val, args.epochs)
    profiled_epoch(X, X_val, "cuda_graph" if DEVICE == "cuda" else "manual")


if __name__ == "__main__":
    main()
