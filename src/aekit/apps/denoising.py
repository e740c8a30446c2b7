"""Denoising: reconstruct noisy rows with a model trained to remove noise."""

from __future__ import annotations

import warnings

import numpy as np

from aekit._stack import user_stacklevel
from aekit.estimators._inference import refuse_unit_slip


def denoise(model, X):
    """The clean estimate of noisy ``X``: ``model.reconstruct(X)``, clipped to the data's range
    where the model takes it as pixels (``value_range``), with a warning when ``model`` was not
    trained on corrupted inputs (a plain autoencoder tends to reproduce the noise it is given
    rather than remove it)."""
    if getattr(model, "model_name", None) != "denoising":
        warnings.warn(f"{type(model).__name__} was not trained to denoise (fit a "
                      "DenoisingAutoencoder, CLI: fit --model denoising): its output may keep "
                      "the noise", UserWarning, stacklevel=user_stacklevel())
    refuse_unit_slip(model, X, "denoising it")  # clipped to [0, 1], it would be nonsense
    clean = model.reconstruct(X)
    bounds = getattr(model, "value_range", None)
    return clean if bounds is None else np.clip(clean, *bounds)
