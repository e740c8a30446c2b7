"""One training loop, its callbacks and batch sources. Knows nothing about variants."""

from aekit.train.callbacks import (
    Callback,
    DivergenceGuard,
    EarlyStopping,
    EpochLogger,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
)
from aekit.train.checkpoint import BackupAndRestore
from aekit.train.data import TensorBatches
from aekit.train.loop import evaluate, run, train_step
from aekit.train.optim import OPTIMIZERS, make_optimizer
from aekit.train.state import TrainState
from aekit.train.stream import StreamBatches

__all__ = [
    "OPTIMIZERS",
    "BackupAndRestore",
    "Callback",
    "DivergenceGuard",
    "EarlyStopping",
    "EpochLogger",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "ReduceLROnPlateau",
    "StreamBatches",
    "TensorBatches",
    "TrainState",
    "evaluate",
    "make_optimizer",
    "run",
    "train_step",
]
