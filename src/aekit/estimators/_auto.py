"""What ``"auto"`` and None settle to when a fit sees its data: sizes that give any table, from
a hundred rows to millions, enough optimisation steps, and a held-out part to stop on."""

from __future__ import annotations

import math

# With epochs="auto", a fifth of the rows (at most 10000) is held out to stop on: on small
# tables a tenth was too few rows to judge by, and stopping picked noise.
AUTO_VALIDATION = 0.2
MAX_VALIDATION_ROWS = 10_000
MIN_VALIDATION_ROWS = 10  # fewer held-out rows than this judge too noisily: watch the loss
MIN_STEPS = 3000  # optimisation steps epochs="auto" plans for, at least
MAX_EPOCHS = 1000


def batch_size(n_rows: int) -> int:
    """About one batch per 64 rows, as a power of two in [16, 256]: small tables get many
    steps per epoch, large ones Keras' efficient 256."""
    return int(min(256, max(16, 2 ** round(math.log2(max(n_rows, 1) / 64)))))


def epochs(n_rows: int, rows_per_batch: int) -> int:
    """Enough epochs for ``MIN_STEPS`` steps, in [20, ``MAX_EPOCHS``]; early stopping usually
    ends the run well before."""
    steps_per_epoch = max(1, math.ceil(n_rows / rows_per_batch))
    return int(min(MAX_EPOCHS, max(min(20, MAX_EPOCHS), math.ceil(MIN_STEPS / steps_per_epoch))))


def patience(n_epochs: int) -> int:
    """Epochs without improvement before an automatic run stops: a tenth of the plan, >= 10."""
    return max(10, n_epochs // 10)


def hidden_width(latent_dim: int) -> int:
    """Width of the one hidden layer of the default dense network."""
    return min(256, max(64, 4 * latent_dim))
