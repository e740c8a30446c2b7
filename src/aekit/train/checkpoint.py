"""Checkpoint and resume: the whole training state, written atomically after every epoch."""

from __future__ import annotations

import os
import warnings
from pathlib import Path

from aekit._stack import user_stacklevel
from aekit.io import read_model_file, write_model_file
from aekit.train.callbacks import Callback
from aekit.train.serialize import flatten, unflatten
from aekit.train.state import TrainState

CHECKPOINT_NAME = "checkpoint.safetensors"


def checkpoint_path(directory: str | os.PathLike) -> Path:
    return Path(directory) / CHECKPOINT_NAME


def read_checkpoint_epoch(directory: str | os.PathLike) -> int | None:
    """The epoch a checkpoint in ``directory`` was written after, or None if there is none."""
    path = checkpoint_path(directory)
    if not path.is_file():
        return None
    _, config = read_model_file(path)
    return int(config["epoch"])


class BackupAndRestore(Callback):
    """Write the training state to ``directory`` after every ``every`` epochs; with ``resume``,
    continue from the checkpoint found there.

    A resumed run ends with the same weights as an uninterrupted one: the checkpoint holds the
    weights, the optimizer's moments, the random number generators (shuffling and dropout), the
    epoch, the history and the other callbacks' counters. ``fingerprint`` (any JSON-able dict,
    e.g. hashes of the data and the parameters) must match for a resume to be accepted.

    On several processes rank 0 alone writes, with every rank's random states; every rank
    reads the same file to resume (on several machines ``directory`` must be shared).
    """

    def __init__(self, directory: str | os.PathLike, *, resume: bool = False,
                 fingerprint: dict | None = None, every: int = 1):
        self.directory = Path(directory)
        self.resume = resume
        self.fingerprint = fingerprint or {}
        self.every = every

    @property
    def path(self) -> Path:
        return checkpoint_path(self.directory)

    def on_train_begin(self, state: TrainState) -> None:
        self.directory.mkdir(parents=True, exist_ok=True)
        if not self.path.is_file():
            if self.resume:  # a mistyped folder would start afresh without a word (a trial)
                warnings.warn(f"resume found no checkpoint in {self.directory}: training starts "
                              "from its first epoch", UserWarning, stacklevel=user_stacklevel())
            return
        if not self.resume:
            raise ValueError(f"{self.directory} already holds a checkpoint of an earlier run: "
                             "resume it (resume=True, CLI --resume) or use another folder")
        try:
            tensors, config = read_model_file(self.path)
        except ValueError as error:  # a model file's message; say what to do with a checkpoint
            damaged = "corrupted" in str(error)  # not one from a newer aekit, say: keep that
            fix = (f": delete {self.path.name} to start afresh, or use another folder"
                   if damaged else "")
            raise ValueError(f"the checkpoint in {self.directory} cannot be resumed"
                             f"{', it is damaged' if damaged else ''} ({error}){fix}") from None
        self._check_fingerprint(config.get("fingerprint", {}))
        done = int(config.get("epoch", 0))
        if done > state.epochs:  # the loop would run none and hand back the longer run
            raise ValueError(f"the checkpoint in {self.directory} has {done} epochs done, more "
                             f"than epochs={state.epochs}: resume with epochs >= {done}")
        state.load_state_dict(unflatten(config["state"], tensors))

    def _check_fingerprint(self, saved: dict) -> None:
        differs = sorted(k for k in set(saved) | set(self.fingerprint)
                         if saved.get(k) != self.fingerprint.get(k))
        if differs:
            same = "the same data and parameters"
            if "processes" in differs:  # one process records none
                before = saved.get("processes", 1)
                same = (f"as many processes as it ran on ({before}, now "
                        f"{self.fingerprint.get('processes', 1)}: torchrun "
                        f"--nproc_per_node={before})")
            raise ValueError(f"the checkpoint in {self.directory} belongs to another run "
                             f"({', '.join(differs)} differ): use {same} to resume, or another "
                             "folder")

    def on_epoch_end(self, state: TrainState, logs) -> None:
        if state.diverged:
            return  # never replace a good checkpoint with a diverged state
        if state.epoch % self.every == 0 or state.stop_training or state.epoch == state.epochs:
            self.save(state)

    def save(self, state: TrainState) -> None:
        tensors: dict = {}
        config = {"kind": "checkpoint", "fingerprint": self.fingerprint, "epoch": state.epoch,
                  "state": flatten(state.state_dict(), tensors)}  # every rank: a collective
        if state.ranks is None or state.ranks.is_main:
            write_model_file(self.path, tensors, config)
