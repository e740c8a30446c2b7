"""Whether this machine's cores are all there, moment by moment: for about a minute, alternates
a float32 matrix product (compute), a 64 MB copy (memory bandwidth) and 60 training steps of
the reference network (aekit's manual step, the CPU default), on all threads and on one.

    python benchmarks/cpu_phases.py [--seconds 60]

On the project's 2-core VM the reference recipe's epoch sometimes takes 1.6x as long for whole
runs, with no steal time and no other process (``speed.py`` prints both per round). This shows
what those phases are: if the step on two threads slows to what one thread does while one
thread stays as it was, the second core is not there for this process, whatever its own code
does, and a ratio against a kernel bound timed in a better moment fails.
"""

from __future__ import annotations

import argparse
import time

import numpy as np
import torch
from _data import load_mnist

from aekit import Autoencoder
from aekit.nn.batch import Batch
from aekit.train import manual
from aekit.train.optim import make_optimizer


def reference_step(X: np.ndarray):
    """The CPU default's step of the reference network, and a batch of 256 rows for it."""
    ae = Autoencoder(latent_dim=32, hidden_dims=(), activation="relu", latent_activation="relu",
                     output_activation="sigmoid", loss="bce", epochs=1, batch_size=256,
                     verbose=0, random_state=0).fit(X[:512])
    optimizer = make_optimizer("adam", ae.module_.parameters())
    step = manual.ManualStep(*manual.chain(ae.module_, None), optimizer)
    return step, Batch(x=torch.from_numpy(X[:256]).contiguous())


def seconds_of(run, repeats: int) -> float:
    start = time.perf_counter()
    for _ in range(repeats):
        run()
    return (time.perf_counter() - start) / repeats


def probe(step, batch, threads: int, buffers) -> tuple[float, float, float, float]:
    """(matrix product GFLOP/s, copy GB/s, step ms on ``threads`` threads, step ms on one),
    on ``buffers`` kept from probe to probe (fresh ones would time their allocation too)."""
    a, b, source, target = buffers
    flops = 2 * 1024**3 / seconds_of(lambda: a @ b, 10) / 1e9
    bandwidth = 2 * source.numel() * 4 / seconds_of(lambda: target.copy_(source), 5) / 1e9
    steps = seconds_of(lambda: step(batch), 60) * 1e3
    torch.set_num_threads(1)
    one = seconds_of(lambda: step(batch), 60) * 1e3
    torch.set_num_threads(threads)
    return flops, bandwidth, steps, one


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seconds", type=float, default=60)
    args = parser.parse_args()
    X, _, _, _ = load_mnist()
    step, batch = reference_step(X)
    threads = torch.get_num_threads()
    source = torch.rand(16 * 2**20)
    buffers = (torch.rand(1024, 1024), torch.rand(1024, 1024), source, torch.empty_like(source))
    rows, start = [], time.perf_counter()
    while time.perf_counter() - start < args.seconds:
        rows.append((time.perf_counter() - start, *probe(step, batch, threads, buffers)))
    r = np.array(rows)
    print(f"| s | matrix product GFLOP/s | copy GB/s | step ms, {threads} threads | "
          "step ms, 1 thread |\n|---|---|---|---|---|")
    for row in r[::max(1, len(r) // 20)]:
        print(f"| {row[0]:.0f} | {row[1]:.0f} | {row[2]:.1f} | {row[3]:.3f} | {row[4]:.3f} |")
    slow = r[:, 3] > 1.3 * r[:, 3].min()
    print(f"\n{len(r)} probes; the step on {threads} threads: median {np.median(r[:, 3]):.3f} "
          f"ms, best {r[:, 3].min():.3f}; on one thread: median {np.median(r[:, 4]):.3f}, best "
          f"{r[:, 4].min():.3f}.")
    if slow.any() and (~slow).any():
        print(f"In the {slow.sum()} slow probes (over 1.3x the best) the step on {threads} "
              f"threads took {np.median(r[slow, 3]):.3f} ms against {np.median(r[~slow, 3]):.3f}"
              f" in the others; one thread {np.median(r[slow, 4]):.3f} against "
              f"{np.median(r[~slow, 4]):.3f}; the product {np.median(r[slow, 1]):.0f} against "
              f"{np.median(r[~slow, 1]):.0f} GFLOP/s; the copy {np.median(r[slow, 2]):.1f} "
              f"against {np.median(r[~slow, 2]):.1f} GB/s.")


if __name__ == "__main__":
    main()
