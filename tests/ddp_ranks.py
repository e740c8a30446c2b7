"""Test helper: fits on two processes started as ``torchrun`` starts them (not a test module).

``launch(phase, folder, config)`` reads ``folder/X.npy`` and forks ``config["world"]`` ranks
(each with ``RANK``, ``WORLD_SIZE``, ``LOCAL_RANK``, ``MASTER_ADDR`` and ``MASTER_PORT`` set, so
``fit`` joins the group by itself, through gloo), waits for them and returns
``{"codes": [...], "seconds": ...}``. Forking a process that has imported torch saves each rank
the seconds of importing it again; the caller must run torch on one thread (a forked child
cannot use its parent's OpenMP threads). ``python tests/ddp_ranks.py DIR PHASE...`` does the
same from the command line with ``DIR/config.json``. Phases:

- ``modes``: fit once per step mode in ``config["modes"]``, once with ``config["stochastic"]``
  added (the uninterrupted run for ``resume``), once with batch norm, once per variant in
  ``config["variants"]`` (one epoch), once on a streamed source, and once through
  the command line (``aekit fit``, as ``torchrun -m aekit fit`` runs it);
- ``kill``: that stochastic fit, checkpointed, in which rank 1 kills itself after epoch
  ``config["kill_at"]``;
- ``resume``: the same fit resumed from the checkpoint.
"""

from __future__ import annotations

import json
import os
import signal
import socket
import sys
import time
import traceback
from pathlib import Path

import numpy as np
import torch

from aekit import ESTIMATORS, Autoencoder
from aekit.cli import main as aekit_main
from aekit.io import open_source
from aekit.train import Callback
from aekit.train.distributed import TIMEOUT_ENV


class KillRankOne(Callback):
    """Rank 1 dies (SIGKILL, as an out-of-memory kill would) at the end of epoch ``epoch``."""

    def __init__(self, epoch: int):
        self.epoch = epoch

    def on_epoch_end(self, state, logs):
        if state.ranks.rank == 1 and state.epoch == self.epoch:
            os.kill(os.getpid(), signal.SIGKILL)


class FirstEpoch(Callback):
    """Records the epoch a run starts from (a resumed run: the checkpoint's)."""

    first = None

    def on_epoch_begin(self, state):
        if self.first is None:
            self.first = state.epoch


def dump(est, path: Path, **extra) -> None:
    """Weights, scaling and history of a fitted estimator, for the test to compare."""
    arrays = {f"w.{k}": v.numpy() for k, v in est.module_.state_dict().items()}
    arrays.update(shift=est.shift_, scale=est.scale_,
                  loss=np.array(est.history_["loss"]),
                  val_loss=np.array(est.history_.get("val_loss", [])), **extra)
    np.savez(path, **arrays)


def run_phase(phase: str, out: Path, config: dict, rank: int) -> None:
    X = np.load(out / "X.npy")
    params = config["params"]
    stochastic = {**params, **config["stochastic"]}
    if phase == "modes":
        for mode in config["modes"]:
            est = Autoencoder(**params, compile=mode).fit(X)
            dump(est, out / f"{mode}_rank{rank}.npz")
            est.save(out / f"{mode}_saved_by_rank{rank}.safetensors")
        dump(Autoencoder(**stochastic).fit(X), out / f"uninterrupted_rank{rank}.npz")
        dump(Autoencoder(**params, batch_norm=True).fit(X), out / f"batchnorm_rank{rank}.npz")
        for name in config.get("variants", []):
            est = ESTIMATORS[name](**{**params, "epochs": 1}).fit(X)
            dump(est, out / f"{name}_rank{rank}.npz")
        source = open_source(out / "X.npy", block_rows=config["block_rows"])
        est = Autoencoder(**{**params, "validation_split": 0.25}).fit(source)
        dump(est, out / f"stream_rank{rank}.npz")
        if aekit_main(config["cli"]) != 0:
            raise RuntimeError("aekit fit failed")
    elif phase in ("kill", "resume"):
        first = FirstEpoch()
        extra = [KillRankOne(config["kill_at"])] if phase == "kill" else []
        est = Autoencoder(**stochastic, checkpoint_dir=str(out / "checkpoints"),
                          resume=phase == "resume", callbacks=[first, *extra]).fit(X)
        dump(est, out / f"{phase}_rank{rank}.npz", first_epoch=first.first)
    elif phase == "inductor":
        dump(Autoencoder(**params, compile="inductor").fit(X), out / f"inductor_rank{rank}.npz")
    else:
        raise ValueError(f"unknown phase {phase!r}")


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def launch(phase: str, out: Path, config: dict) -> dict:
    if torch.get_num_threads() != 1:
        raise RuntimeError("call torch.set_num_threads(1) before forking ranks")
    world, port = config["world"], free_port()
    started = time.monotonic()
    pids = []
    for rank in range(world):
        pid = os.fork()
        if pid == 0:  # the rank
            os.environ.update(RANK=str(rank), LOCAL_RANK=str(rank), WORLD_SIZE=str(world),
                              MASTER_ADDR="127.0.0.1", MASTER_PORT=str(port),
                              **{TIMEOUT_ENV: str(config.get("timeout", 30))})
            code = 0
            try:
                run_phase(phase, out, config, rank)
            except BaseException:  # noqa: BLE001 - reported, then the rank exits non-zero
                traceback.print_exc()
                (out / f"{phase}_rank{rank}.err").write_text(traceback.format_exc())
                code = 1
            sys.stdout.flush()
            sys.stderr.flush()
            os._exit(code)
        pids.append(pid)
    codes = [_wait(pid, started + config["deadline"]) for pid in pids]
    return {"codes": codes, "seconds": time.monotonic() - started}


def _wait(pid: int, deadline: float) -> int | str:
    """The exit code (negative: killed by that signal), or "hung" past ``deadline``."""
    while time.monotonic() < deadline:
        done, status = os.waitpid(pid, os.WNOHANG)
        if done:
            return os.waitstatus_to_exitcode(status)
        time.sleep(0.02)
    os.kill(pid, signal.SIGKILL)
    os.waitpid(pid, 0)
    return "hung"


if __name__ == "__main__":
    torch.set_num_threads(1)
    # What every fit imports on first use (torch._dynamo, through the optimizer: seconds),
    # once here rather than once per rank.
    torch.optim.Adam([torch.zeros(1, requires_grad=True)])
    folder = Path(sys.argv[1])
    settings = json.loads((folder / "config.json").read_text())
    print(json.dumps({phase: launch(phase, folder, settings) for phase in sys.argv[2:]}))
