"""Save and load fitted estimators through ``aekit.io``'s model file (no pickle)."""

from __future__ import annotations

import os
import sys

import numpy as np
import torch

from aekit.estimators._torch import resolve_device
from aekit.io import read_model_file, write_model_file

# Fitted attributes written as JSON; arrays and the module's weights travel as tensors.
FITTED_JSON = ("n_features_in_", "input_shape_", "squeeze_axis_", "latent_dim_", "loss_",
               "output_activation_", "scaling_", "history_", "n_epochs_", "_hidden_dims",
               "vocab_size_")
FITTED_ARRAYS = ("shift_", "scale_")


def _versions() -> dict[str, str]:
    from aekit import __version__

    return {"aekit": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


def saved_params(estimator) -> dict:
    from aekit.estimators._params import UNSAVED_PARAMS

    params = estimator.get_params(deep=False)
    for name in UNSAVED_PARAMS:
        params.pop(name, None)
    if isinstance(params.get("checkpoint_dir"), os.PathLike):
        params["checkpoint_dir"] = os.fspath(params["checkpoint_dir"])
    if isinstance(params.get("hidden_dims"), tuple):
        params["hidden_dims"] = list(params["hidden_dims"])
    if not (params.get("random_state") is None or isinstance(params["random_state"], int)):
        params["random_state"] = None  # a RandomState object has no JSON form
    return params


def save_estimator(estimator, path: str | os.PathLike) -> None:
    tensors = {f"module.{k}": v for k, v in estimator.module_.state_dict().items()}
    for name in FITTED_ARRAYS:
        tensors[f"fitted.{name}"] = torch.from_numpy(np.ascontiguousarray(getattr(estimator, name)))
    fitted = {name: getattr(estimator, name) for name in FITTED_JSON if hasattr(estimator, name)}
    fitted["n_epochs_"] = len(estimator.history_.get("loss", []))  # also right mid-training
    if hasattr(estimator, "feature_names_in_"):
        fitted["feature_names_in_"] = [str(n) for n in estimator.feature_names_in_]
    config = {"model": estimator.model_name, "params": saved_params(estimator),
              "fitted": fitted, "versions": _versions()}
    write_model_file(path, tensors, config)


def load(path: str | os.PathLike, device: str | None = None):
    """Load a model written by ``save``; ``device`` overrides where it runs (default: as saved).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is not an
    intact aekit model. Nothing in the file is executed.
    """
    from aekit.estimators import ESTIMATORS

    tensors, config = read_model_file(path)
    if config.get("kind") == "checkpoint":
        raise ValueError(f"{path} is a training checkpoint, not a model: resume the run with "
                         "the same checkpoint_dir and resume=True (CLI --resume)")
    model = config.get("model")
    if model not in ESTIMATORS:
        raise ValueError(f"{path} holds an unknown model type {model!r}; upgrade aekit")
    params = dict(config["params"])
    if isinstance(params.get("hidden_dims"), list):
        params["hidden_dims"] = tuple(params["hidden_dims"])
    if device is not None:
        params["device"] = device
    try:
        estimator = ESTIMATORS[model](**params)
    except TypeError as error:
        raise ValueError(f"{path} does not match this aekit version: {error}") from None
    _restore(estimator, config["fitted"], tensors, path)
    return estimator


def _restore(estimator, fitted: dict, tensors: dict, path) -> None:
    for name, value in fitted.items():
        if name == "feature_names_in_":
            value = np.asarray(value, dtype=object)
        elif name in ("_hidden_dims", "input_shape_"):
            value = tuple(value)
        setattr(estimator, name, value)
    for name in FITTED_ARRAYS:
        setattr(estimator, name, tensors[f"fitted.{name}"].numpy())
    state = {k.removeprefix("module."): v for k, v in tensors.items() if k.startswith("module.")}
    module = estimator._build_module()
    try:
        module.load_state_dict(state, strict=True)
    except RuntimeError as error:
        first = str(error).splitlines()[0]
        raise ValueError(f"{path} does not match its configuration: {first}") from None
    estimator.module_ = module.to(resolve_device(estimator.device)).eval()
