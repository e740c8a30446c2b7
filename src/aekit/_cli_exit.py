"""How an ``aekit`` command ends when it is stopped: Ctrl-C, SIGTERM, or memory running out,
each said in one line with an exit status, half-written files removed (``aekit.io.atomic``)."""

from __future__ import annotations

import contextlib
import os
import re
import signal
import sys
import threading


def resume_hint(args) -> str:
    """How to continue a fit stopped after its checkpoint was written (every epoch; the file
    is aekit.train.checkpoint.CHECKPOINT_NAME, named here without importing PyTorch)."""
    folder = getattr(args, "checkpoint_dir", None)
    if not folder or not os.path.isfile(os.path.join(folder, "checkpoint.safetensors")):
        return ""
    return f"; the checkpoint in {folder} continues the run: the same command with --resume"


LOST_PEER = re.compile(r"connection (closed|reset|refused)|broken pipe|\[gloo|\bnccl\b",
                       re.IGNORECASE)


def distributed_failure(error: BaseException, args) -> str | None:
    """The one line for an error of a torchrun process group (a peer process stopped: gloo's
    "Connection closed by peer"), where this process is part of one; else None."""
    distributed = sys.modules.get("torch.distributed")
    if distributed is None or not distributed.is_available() or not distributed.is_initialized():
        return None
    first = str(error).strip().splitlines()[0] if str(error).strip() else type(error).__name__
    own = getattr(distributed, "DistError", ())  # the group's own errors, or a lost connection
    if not (isinstance(error, own) or LOST_PEER.search(str(error))):
        return None  # any other error (a bug, a shape) keeps its traceback (a review)
    return (f"aekit: error: the run's processes lost each other (another one stopped?): "
            f"{first}{resume_hint(args)}")


class Terminated(BaseException):
    """SIGTERM, raised where the command is, so that files half written are removed as on
    Ctrl-C (``aekit.io.atomic``)."""


@contextlib.contextmanager
def terminate_as_interrupt():
    """Within this, SIGTERM raises ``Terminated``, where no one else handles it: handlers
    belong to the main thread, and one set by the program that runs ``main`` stays its own."""
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) is not signal.SIG_DFL):
        yield
        return

    def terminate(signum, frame):
        raise Terminated

    previous = signal.signal(signal.SIGTERM, terminate)
    try:
        yield
    finally:
        signal.signal(signal.SIGTERM, previous)


OUT_OF_MEMORY = re.compile(r"out of memory|can't allocate memory|not enough memory",
                           re.IGNORECASE)


def out_of_memory(message: str, args) -> int:
    first = message.strip().splitlines()[0] if message.strip() else "MemoryError"
    stream = ", or --stream" if hasattr(args, "stream") else ""  # where the command has it
    print(f"aekit: error: out of memory ({first[:160]}): ask for less at once (fewer rows or "
          f"samples, a smaller batch{stream})", file=sys.stderr)
    return 1
