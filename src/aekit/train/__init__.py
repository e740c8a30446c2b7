"""One training loop, its callbacks and batch sources. Knows nothing about variants."""

from aekit.train.callbacks import (
    Callback,
    EarlyStopping,
    EpochLogger,
    LearningRateScheduler,
    ModelCheckpoint,
    ProgressBar,
    ReduceLROnPlateau,
)
from aekit.train.data import TensorBatches
from aekit.train.loop import evaluate, run, train_step
from aekit.train.state import TrainState
from aekit.train.optim import OPTIMIZERS, make_optimizer

__all__ = [
    "OPTIMIZERS",
    "Callback",
    "EarlyStopping",
    "EpochLogger",
    "LearningRateScheduler",
    "ModelCheckpoint",
    "ProgressBar",
    "ReduceLROnPlateau",
    "TensorBatches",
    "TrainState",
    "evaluate",
    "make_optimizer",
    "run",
    "train_step",
]
