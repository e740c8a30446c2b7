"""Callbacks: every hook is a no-op unless overridden, as in Keras."""

from __future__ import annotations

import math
import sys
import time
import warnings
from collections.abc import Callable, Iterable

import torch

from aekit._stack import user_stacklevel
from aekit.train.state import TrainState

# A change of the loss smaller than this (in its units: scaled data, by default) is rounding,
# not training gone astray: a model that fits its data exactly is not warned about.
NEGLIGIBLE_LOSS = 1e-5


class Callback:
    """Base class. Override any of the hooks; each receives the live ``TrainState``.

    ``reads_batches_only``: set it on a callback whose ``on_batch_end`` only reads (a progress
    display), so that its hooks may run after several steps at once (a CUDA graph that trains
    many batches in one launch). Otherwise a callback with its own ``on_batch_end`` has every
    step run alone, followed by its hook, since the hook may steer training.
    """

    reads_batches_only = False

    def on_train_begin(self, state: TrainState) -> None: ...

    def on_epoch_begin(self, state: TrainState) -> None: ...

    def on_batch_end(self, state: TrainState, batch: int, loss: torch.Tensor) -> None: ...

    def on_epoch_end(self, state: TrainState, logs: dict[str, float]) -> None: ...

    def on_train_end(self, state: TrainState) -> None: ...

    def state_dict(self) -> dict | None:
        """What a resumed run needs to continue this callback (None: nothing)."""
        return None

    def load_state_dict(self, state: dict) -> None: ...


class CallbackList(Callback):
    def __init__(self, callbacks: Iterable[Callback]):
        self.callbacks = list(callbacks)

    def _each(self, hook: str, *args) -> None:
        for callback in self.callbacks:
            getattr(callback, hook)(*args)

    def on_train_begin(self, state):
        self._each("on_train_begin", state)

    def on_epoch_begin(self, state):
        self._each("on_epoch_begin", state)

    def on_batch_end(self, state, batch, loss):
        self._each("on_batch_end", state, batch, loss)

    @property
    def steer_batches(self) -> bool:
        """Whether some callback may act between steps (its own ``on_batch_end``, not marked
        ``reads_batches_only``)."""
        return any(type(c).on_batch_end is not Callback.on_batch_end and not c.reads_batches_only
                   for c in self.callbacks)

    def on_epoch_end(self, state, logs):
        self._each("on_epoch_end", state, logs)

    def on_train_end(self, state):
        self._each("on_train_end", state)


def _monitored(monitor: str, logs: dict[str, float]) -> tuple[str, float]:
    """Resolve ``monitor="auto"`` to ``val_loss`` when validation ran, else ``loss``."""
    key = ("val_loss" if "val_loss" in logs else "loss") if monitor == "auto" else monitor
    if key not in logs:
        raise ValueError(f"cannot monitor {key!r}: the logs hold {sorted(logs)}")
    return key, logs[key]


class DivergenceGuard(Callback):
    """Stop at the first epoch whose loss (or val_loss) is NaN or infinite, or has grown past
    ``growth`` times the lowest value it had (and past ``floor``), and put back the weights
    from the start of that epoch; ``state.stop_reason`` says what happened.

    A loss that grows a millionfold has left any useful region long before it overflows (a run
    seen going from 7e4 to 3.6e30 stayed finite throughout). The loop always runs one first, so
    that later callbacks never save diverged weights.
    """

    def __init__(self, growth: float = 1e6, floor: float = 1e-3):
        # below ``floor`` a loss has not left anything: a run that reached 1e-16 on two
        # rows and moved to 1e-7 has not diverged
        self.growth, self.floor = growth, floor
        self.lowest: dict[str, float] = {}

    def on_train_begin(self, state):
        self.lowest = {}

    def on_epoch_begin(self, state):
        self.snapshot = {k: v.detach().clone() for k, v in state.module.state_dict().items()}

    def _diverged(self, key: str, value: float) -> bool:
        if not math.isfinite(value):
            return True
        lowest = self.lowest.get(key, value)
        self.lowest[key] = min(lowest, value)
        return lowest > 0 and value > self.growth * lowest and value > self.floor

    def on_epoch_end(self, state, logs):
        bad = {k: v for k, v in logs.items() if k != "lr" and self._diverged(k, v)}
        if not bad:
            return
        state.module.load_state_dict(self.snapshot)
        state.stop_training = state.diverged = True
        what = ", ".join(f"{k} became {v:.4g}" + (f", {v / self.lowest[k]:.2g} times its lowest"
                                                  if math.isfinite(v) else "")
                         for k, v in bad.items())
        kept = (f"the weights from the end of epoch {state.epoch - 1} were kept"
                if state.epoch > 1 else "no epoch finished with finite loss")
        state.stop_reason = (f"training diverged in epoch {state.epoch} ({what}); {kept}. "
                             "Lower learning_rate, set clip_grad_norm, or rescale the data")


def _copy_weights(module) -> dict:
    return {k: v.detach().clone() for k, v in module.state_dict().items()}


class EarlyStopping(Callback):
    """Stop when the monitored loss has not improved by ``min_delta`` for ``patience`` epochs.

    With ``restore_best_weights`` the module ends with the weights of its best epoch, whether
    or not training stopped early. With ``include_start`` the weights training started from
    count as epoch 0 (the loop measures their ``val_loss`` first): a network that starts from a
    good solution (PCA) ends no worse on the held-out rows than it began. The first
    ``start_from_epoch`` epochs are not watched (as Keras' ``start_from_epoch``): while a loss
    changes its own terms (a KL weight warming up), its early values are not comparable; the
    starting weights are not watched then either (``include_start`` has no effect).
    """

    monitor_key = "monitored loss"  # the logged name it resolves to, once an epoch has ended

    def __init__(self, monitor: str = "auto", patience: int = 10, min_delta: float = 0.0,
                 restore_best_weights: bool = True, include_start: bool = False,
                 start_from_epoch: int = 0):
        self.monitor = monitor
        self.patience = patience
        self.min_delta = min_delta
        self.restore_best_weights = restore_best_weights
        self.include_start = include_start and start_from_epoch == 0
        self.start_from_epoch = start_from_epoch

    def on_train_begin(self, state):
        self.best = math.inf
        self.wait = 0
        self.best_epoch = 0
        self.best_weights = None
        self.stopped_epoch = None
        self.start_weights = None
        if self.include_start and state.epoch == 0:
            self.start_weights = _copy_weights(state.module)

    def _consider_start(self, state, key: str) -> None:
        if self.start_weights is not None and key in state.start_logs:
            self.best = state.start_logs[key]
            if self.restore_best_weights:
                self.best_weights = self.start_weights
        self.start_weights = None

    def on_epoch_end(self, state, logs):
        key, value = _monitored(self.monitor, logs)
        self.monitor_key = key
        if state.epoch <= self.start_from_epoch:
            return
        if state.epoch == 1:
            self._consider_start(state, key)
        if value < self.best - self.min_delta:
            self.best, self.wait, self.best_epoch = value, 0, state.epoch
            if self.restore_best_weights:
                self.best_weights = _copy_weights(state.module)
            return
        self.wait += 1
        if self.wait >= self.patience:
            state.stop_training = True
            self.stopped_epoch = state.epoch

    def on_train_end(self, state):
        if self.restore_best_weights and self.best_weights is not None:
            state.module.load_state_dict(self.best_weights)
            given_up = min(state.history.get(self.monitor_key) or [math.inf]) - self.best
            # the history shows no such epoch; warn unless what the epochs gave up is rounding
            if self.best_epoch == 0 and state.epoch > 0 and given_up > NEGLIGIBLE_LOSS:
                warnings.warn(
                    f"no epoch improved on the {self.monitor_key} of the weights training "
                    f"started from ({self.best:.4g}), so those are kept and the "
                    f"{state.epoch} epoch(s) run are discarded: give a larger patience or a "
                    "smaller learning rate", RuntimeWarning, stacklevel=user_stacklevel())

    @property
    def ended_training(self) -> bool:
        """Whether it stopped the run: a resumed run then trains no further (as Keras deletes
        its backup when training ends)."""
        return self.stopped_epoch is not None

    def state_dict(self):
        return {"best": self.best, "wait": self.wait, "best_epoch": self.best_epoch,
                "best_weights": self.best_weights, "stopped_epoch": self.stopped_epoch}

    def load_state_dict(self, state):
        self.best, self.wait = state["best"], state["wait"]
        self.best_epoch, self.best_weights = state["best_epoch"], state["best_weights"]
        self.stopped_epoch = state.get("stopped_epoch")  # absent from older checkpoints


class ModelCheckpoint(Callback):
    """Save the model after each epoch, or only when the monitored loss improves.

    ``filepath`` may hold ``{epoch}`` and log keys, e.g. ``"ckpt-{epoch:03d}.safetensors"``.
    """

    def __init__(self, filepath: str, monitor: str = "auto", save_best_only: bool = False):
        self.filepath = str(filepath)
        self.monitor = monitor
        self.save_best_only = save_best_only

    def on_train_begin(self, state):
        if state.save_model is None:
            raise ValueError("ModelCheckpoint needs a model that can be saved")
        self.best = math.inf

    def on_epoch_end(self, state, logs):
        if state.diverged:
            return
        if self.save_best_only:
            _, value = _monitored(self.monitor, logs)
            if not value < self.best:
                return
            self.best = value
        state.save_model(self.filepath.format(epoch=state.epoch, **logs))

    def state_dict(self):
        return {"best": self.best}

    def load_state_dict(self, state):
        self.best = state["best"]


class LearningRateScheduler(Callback):
    """Set the learning rate at each epoch's start to ``schedule(epoch, lr)`` (Keras' contract)."""

    def __init__(self, schedule: Callable[[int, float], float]):
        self.schedule = schedule

    def on_epoch_begin(self, state):
        lr = float(self.schedule(state.epoch, state.learning_rate))
        for group in state.optimizer.param_groups:
            group["lr"] = lr


class ReduceLROnPlateau(Callback):
    """Multiply the learning rate by ``factor`` after ``patience`` epochs without improvement."""

    def __init__(self, monitor: str = "auto", factor: float = 0.1, patience: int = 10,
                 min_delta: float = 0.0, min_lr: float = 0.0):
        if not 0 < factor < 1:
            raise ValueError(f"factor must lie in (0, 1), got {factor}")
        self.monitor = monitor
        self.factor = factor
        self.patience = patience
        self.min_delta = min_delta
        self.min_lr = min_lr

    def on_train_begin(self, state):
        self.best = math.inf
        self.wait = 0

    def on_epoch_end(self, state, logs):
        _, value = _monitored(self.monitor, logs)
        if value < self.best - self.min_delta:
            self.best, self.wait = value, 0
            return
        self.wait += 1
        if self.wait >= self.patience:
            for group in state.optimizer.param_groups:
                group["lr"] = max(group["lr"] * self.factor, self.min_lr)
            self.wait = 0

    def state_dict(self):
        return {"best": self.best, "wait": self.wait}

    def load_state_dict(self, state):
        self.best, self.wait = state["best"], state["wait"]


def _format_logs(logs: dict[str, float]) -> str:
    return " - ".join(f"{k}: {v:.4g}" for k, v in logs.items())


class ProgressBar(Callback):
    """A Keras-like bar per epoch with the running loss, then the epoch's losses."""

    reads_batches_only = True

    def __init__(self, refresh_seconds: float = 0.2, file=None):
        self.refresh_seconds = refresh_seconds
        self.file = file

    def on_epoch_begin(self, state):
        from tqdm.auto import tqdm

        self.bar = tqdm(total=state.steps_per_epoch, desc=f"Epoch {state.epoch + 1}/{state.epochs}",
                        unit="batch", leave=True, file=self.file or sys.stderr, dynamic_ncols=True)
        self.loss_sum, self.batches, self.shown_at = None, 0, 0.0

    def on_batch_end(self, state, batch, loss):
        self.loss_sum = loss if self.loss_sum is None else self.loss_sum + loss
        self.batches += 1
        self.bar.update(1)
        now = time.monotonic()
        if now - self.shown_at >= self.refresh_seconds:  # the .item() below syncs the device
            self.bar.set_postfix_str(f"loss: {float(self.loss_sum) / self.batches:.4g}")
            self.shown_at = now

    def on_epoch_end(self, state, logs):
        self.bar.set_postfix_str(_format_logs({k: v for k, v in logs.items() if k != "lr"}))
        self.bar.close()


class EpochLogger(Callback):
    """One line per epoch (Keras' ``verbose=2``)."""

    def __init__(self, file=None):
        self.file = file

    def on_epoch_begin(self, state):
        self.started = time.perf_counter()

    def on_epoch_end(self, state, logs):
        seconds = time.perf_counter() - self.started
        shown = _format_logs({k: v for k, v in logs.items() if k != "lr"})
        print(f"Epoch {state.epoch}/{state.epochs} - {seconds:.2f}s - {shown}",
              file=self.file or sys.stderr, flush=True)
