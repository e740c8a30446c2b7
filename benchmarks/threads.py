"""One torch thread against all of them, for networks from tiny to the reference recipe's: the
figures behind ``aekit.train.threads.SHARED_STEP_FLOP`` (the step size below which a fit
trains on one thread).

For each network: the floating-point operations of one training step (as aekit counts them),
and the steady seconds per epoch with one thread and with ``torch.get_num_threads()`` threads,
alternating within this process (medians over ``--repeats`` rounds). aekit's own choice is
switched off here, so that both settings really run. Run it on an idle machine for the
break-even, and beside a busy process (``--busy``) for what sharing costs there.

    python benchmarks/threads.py [--repeats 3] [--busy]
"""

from __future__ import annotations

import argparse
import multiprocessing
import statistics

import numpy as np
import torch
from speed import EpochTimer, steady

from aekit import Autoencoder, MaskedAutoencoder
from aekit.train import TensorBatches, threads

ROWS = 4096


def networks(rng):
    """(name, estimator factory, data) from the smallest step to the reference recipe's."""
    def table(d):
        return rng.normal(size=(ROWS, d)).astype(np.float32)

    def gaps(d):
        X = table(d)
        X[rng.random(X.shape) < 0.1] = np.nan
        return X

    def imputer(**k):  # the network under AutoencoderImputer's defaults
        return MaskedAutoencoder(hidden_dims=(128,), latent_dim=64, batch_size=64, dropout=0.1,
                                 learning_rate=1e-3, **k)

    pixels = rng.random((ROWS, 784)).astype(np.float32)
    return [
        ("imputer default, 3 columns", imputer, gaps(3)),
        ("imputer default, 30 columns", imputer, gaps(30)),
        ("Autoencoder default, 30 columns", lambda **k: Autoencoder(**k), table(30)),
        ("Autoencoder default, 100 columns", lambda **k: Autoencoder(**k), table(100)),
        ("Autoencoder default, 300 columns", lambda **k: Autoencoder(**k), table(300)),
        ("784-32-784, batch 64", lambda **k: Autoencoder(latent_dim=32, hidden_dims=(),
                                                         batch_size=64, **k), pixels),
        ("784-32-784, batch 256 (reference)", lambda **k: Autoencoder(
            latent_dim=32, hidden_dims=(), batch_size=256, **k), pixels),
        ("784-256-128-32, batch 256", lambda **k: Autoencoder(
            latent_dim=32, hidden_dims=(256, 128), batch_size=256, **k), pixels),
    ]


def epoch_seconds(make, X, n_threads: int, epochs: int) -> float:
    torch.set_num_threads(n_threads)
    timer = EpochTimer()
    make(epochs=epochs, random_state=0, callbacks=[timer]).fit(X)
    return steady(timer.seconds)[0]


def step_flop(make, X) -> float:
    """The fitted network's step, as aekit's choice counts it."""
    model = make(epochs=1, random_state=0).fit(X)
    rows = model.batch_size_
    x = torch.from_numpy(np.nan_to_num(X[:rows]))
    mask = torch.from_numpy(np.isfinite(X[:rows]).astype(np.float32))
    batches = TensorBatches(x, mask=mask if isinstance(model, MaskedAutoencoder) else None,
                            batch_size=rows)
    return threads.step_flop(model.module_, batches.example())


def _spin(stop):
    while not stop.is_set():
        pass


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=3)
    parser.add_argument("--epochs", type=int, default=4)
    parser.add_argument("--busy", action="store_true",
                        help="run beside one process that keeps a core busy")
    args = parser.parse_args()
    many = torch.get_num_threads()
    threads.SHARED_STEP_FLOP = 0  # aekit's choice off: the thread counts below are used
    stop = multiprocessing.Event()
    busy = multiprocessing.Process(target=_spin, args=(stop,), daemon=True)
    if args.busy:
        busy.start()
    print(f"# torch {torch.__version__}, {many} threads by default; {ROWS} rows; "
          f"{'beside a busy process' if args.busy else 'nothing else started'}\n")
    print(f"| network | MFLOP per step | s/epoch, 1 thread | s/epoch, {many} threads | "
          f"{many} threads / 1 (rounds) |\n|---|---|---|---|---|")
    try:
        for name, make, X in networks(np.random.default_rng(0)):
            flop = step_flop(make, X)
            times = {1: [], many: []}
            for round_ in range(args.repeats):
                for n in (1, many) if round_ % 2 == 0 else (many, 1):
                    times[n].append(epoch_seconds(make, X, n, args.epochs))
            ratios = [m / o for m, o in zip(times[many], times[1])]
            print(f"| {name} | {flop / 1e6:.1f} | {statistics.median(times[1]):.3f} | "
                  f"{statistics.median(times[many]):.3f} | {statistics.median(ratios):.2f} ("
                  + ", ".join(f"{r:.2f}" for r in ratios) + ") |", flush=True)
    finally:
        stop.set()
        torch.set_num_threads(many)


if __name__ == "__main__":
    main()
