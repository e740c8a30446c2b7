"""Save and load fitted models through ``aekit.io``'s model file (no pickle).

Every model class registers under its ``model_name`` (``register_model``) and offers two hooks:
``_model_state()`` returns ``(tensors, config)`` and the classmethod
``_from_model_state(tensors, config, device, path)`` rebuilds the fitted model. Estimators use
``estimator_state``/``restore_estimator`` below; a model that holds another model (a detector, an
imputer) stores the inner one's state under a prefix with ``nest_state``/``unnest_state``, so the
whole of it lives in one file. Higher layers register their own classes: nothing here imports them.
"""

from __future__ import annotations

import os
import sys
import warnings

import numpy as np
import torch

from aekit._stack import user_stacklevel
from aekit.estimators import _fitted
from aekit.estimators._torch import resolve_device
from aekit.io import read_model_file, write_model_file

# model name (model files) -> class; filled by ``register_model``
MODELS: dict[str, type] = {}

def register_model(cls: type) -> type:
    """Class decorator: ``aekit.load`` can rebuild models of this class."""
    MODELS[cls.model_name] = cls
    return cls


def _versions() -> dict[str, str]:
    from aekit import __version__

    return {"aekit": __version__, "torch": torch.__version__, "numpy": np.__version__,
            "python": sys.version.split()[0]}


def saved_params(estimator) -> dict:
    """``get_params`` in a JSON form, without the parameters that hold data or live objects."""
    from aekit.estimators._params import UNSAVED_PARAMS

    params = estimator.get_params(deep=False)
    for name in UNSAVED_PARAMS:
        params.pop(name, None)
    if isinstance(params.get("checkpoint_dir"), os.PathLike):
        params["checkpoint_dir"] = os.fspath(params["checkpoint_dir"])
    params = {name: _plain(value) for name, value in params.items()}
    if not (params.get("random_state") is None or isinstance(params["random_state"], int)):
        params["random_state"] = None  # a RandomState object has no JSON form
    return params


def _plain(value):
    """A parameter in JSON's types: NumPy numbers (a grid built with ``np.arange`` hands them
    in) as Python ones, tuples as lists."""
    if isinstance(value, np.generic):
        return value.item()
    if isinstance(value, (tuple, list)):
        return [_plain(item) for item in value]
    return value


def save_model(model, path: str | os.PathLike) -> None:
    """Write any registered model to ``path`` (safetensors weights, JSON config, checksum). On
    several processes (``torchrun``) rank 0 alone writes; the others hold the same model."""
    from aekit.estimators import _distributed

    if not _distributed.is_main():
        return
    tensors, config = model._model_state()
    output = getattr(model, "_sklearn_output_config", {}).get("transform")
    if output is not None:  # set_output(transform=...), kept as pickling keeps it
        config = {**config, "set_output": output}
    write_model_file(path, tensors, {**config, "versions": _versions()})


def estimator_state(estimator) -> tuple[dict, dict]:
    """``(tensors, config)`` of a fitted ``BaseAutoencoder``: its parameters, its weights and
    every fitted attribute (``_fitted.fitted_attributes``)."""
    tensors = {f"module.{k}": v for k, v in estimator.module_.state_dict().items()}
    fitted = {}
    for name, value in _fitted.fitted_attributes(estimator).items():
        form, stored = _fitted.to_file_form(name, value)
        if form == "tensor":
            tensors[f"fitted.{name}"] = stored
        else:
            fitted[name] = stored
    fitted["n_epochs_"] = len(estimator.history_.get("loss", []))  # also right mid-training
    return tensors, {"model": estimator.model_name, "params": saved_params(estimator),
                     "fitted": fitted}


def nest_state(prefix: str, model) -> tuple[dict, dict]:
    """The inner ``model``'s state, its tensor names under ``prefix.``, for an outer file."""
    tensors, config = model._model_state()
    return {f"{prefix}.{k}": v for k, v in tensors.items()}, config


def unnest_state(prefix: str, tensors: dict, config: dict, device, path):
    """Rebuild the inner model that ``nest_state`` stored under ``prefix``."""
    inner = {k.removeprefix(prefix + "."): v for k, v in tensors.items()
             if k.startswith(prefix + ".")}
    return _class_of(config, path)._from_model_state(inner, config, device, path)


def load(path: str | os.PathLike, device: str | None = None):
    """Load a model written by ``save``; ``device`` overrides where it runs (default: as saved,
    and a GPU this machine lacks falls back to ``"auto"`` with a warning).

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is not an
    intact aekit model. Nothing in the file is executed.
    """
    if device is not None:  # checked first: a wrong device is no fault of the file
        device = str(device) if isinstance(device, torch.device) else device
        if not isinstance(device, str):
            raise TypeError(f"device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got {device!r}")
        resolve_device(device)
    tensors, config = read_model_file(path)
    if config.get("kind") == "checkpoint":
        raise ValueError(f"{path} is a training checkpoint, not a model: resume the run with "
                         "the same checkpoint_dir and resume=True (CLI --resume)")
    lacking = sorted(name for name in _saved_devices(config) if _missing_gpu(name))
    if device is None and lacking:  # trained on a GPU this machine lacks: one warning
        warnings.warn(f"{path} was trained with device={lacking[0]!r}, which this machine "
                      "lacks: it runs with device='auto' (the CPU where there is no GPU); "
                      "choose with aekit.load(path, device=...) or --device",
                      UserWarning, stacklevel=user_stacklevel())
        device = "auto"
    model = _class_of(config, path)._from_model_state(tensors, config, device, path)
    output = config.get("set_output")
    if output in ("default", "pandas", "polars") and hasattr(model, "set_output"):
        model.set_output(transform=output)
    return model


def _class_of(config: dict, path) -> type:
    model = config.get("model")
    if model not in MODELS:
        raise ValueError(f"{path} holds an unknown model type {model!r}; upgrade aekit")
    return MODELS[model]


def construct(cls: type, config: dict, device, path):
    """``cls(**params)`` from a file's config, with ``device`` overriding the saved one."""
    params = dict(config.get("params", {}))
    if device is not None and "device" in params:
        params["device"] = device
    try:
        return cls(**params)
    except TypeError as error:
        raise ValueError(f"{path} does not match this aekit version: {error}") from None


def _saved_devices(config: dict) -> set:
    """The devices a file's models were saved with (a detector's or an imputer's inner
    model's too)."""
    found = set()
    for key, value in config.items():
        if key == "params" and isinstance(value, dict) and isinstance(value.get("device"), str):
            found.add(value["device"])
        elif isinstance(value, dict):
            found |= _saved_devices(value)
    return found


def _missing_gpu(name) -> bool:
    """Whether ``name`` is a CUDA device this machine does not have."""
    if not isinstance(name, str) or not name.startswith("cuda"):
        return False
    try:
        index = torch.device(name).index or 0
    except RuntimeError:
        return False  # not a device name: the estimator's own check says so
    return not torch.cuda.is_available() or index >= torch.cuda.device_count()


def restore_estimator(cls: type, tensors: dict, config: dict, device, path):
    """A fitted ``BaseAutoencoder`` of class ``cls`` from ``estimator_state``'s output.

    Every fitted attribute is checked for type and range, and the network is first built on
    torch's ``meta`` device and its shapes compared with the file's tensors, so a doctored file
    fails with a ``ValueError`` naming it before anything of its stated size is allocated.
    """
    params = dict(config.get("params", {}))
    if isinstance(params.get("hidden_dims"), list):
        params["hidden_dims"] = tuple(params["hidden_dims"])
    estimator = construct(cls, {**config, "params": params}, device, path)
    _check_params(estimator, path)
    fitted = config.get("fitted")
    if not isinstance(fitted, dict):
        raise ValueError(  # noqa: TRY004 - a damaged file is a ValueError everywhere here
            f"{path} is not a valid model file: it holds no fitted state")
    arrays = {k.removeprefix("fitted."): v for k, v in tensors.items() if k.startswith("fitted.")}
    for name, value in [*fitted.items(), *arrays.items()]:
        setattr(estimator, name, _fitted.checked(name, value, path))
    missing = [n for n in _REQUIRED if not hasattr(estimator, n)]
    if missing:
        raise ValueError(f"{path} is not a valid model file: {', '.join(missing)} missing")
    _fitted.check_consistent(estimator, path)
    state = {k.removeprefix("module."): v for k, v in tensors.items() if k.startswith("module.")}
    estimator.module_ = _materialise(estimator, state, path).to(
        resolve_device(estimator.device)).eval()
    return estimator


# what every estimator's file holds (others, such as feature names, are optional)
_REQUIRED = ("n_features_in_", "input_shape_", "squeeze_axis_", "latent_dim_", "loss_",
             "output_activation_", "scaling_", "history_", "shift_", "scale_", "_hidden_dims")


def _check_params(estimator, path) -> None:
    """The file's parameters pass the same checks as ``fit``'s."""
    from aekit.estimators._params import check_shared_params

    try:
        check_shared_params(estimator)
        estimator._check_variant_params()
    except (TypeError, ValueError) as error:
        raise ValueError(f"{path} holds invalid parameters: {error}") from None


def _materialise(estimator, state: dict, path) -> torch.nn.Module:
    """The network built on the ``meta`` device, checked against ``state``'s shapes and dtypes,
    then given ``state``'s tensors."""
    try:
        with torch.device("meta"):
            module = estimator._build_module()
    except (TypeError, ValueError, RuntimeError) as error:
        raise ValueError(f"{path} does not describe a network aekit can build: {error}") from None
    expected = {k: (tuple(v.shape), v.dtype) for k, v in module.state_dict().items()}
    found = {k: (tuple(v.shape), v.dtype) for k, v in state.items()}
    if expected != found:
        name = sorted(set(expected) ^ set(found)) or sorted(
            k for k in expected if expected[k] != found[k])
        raise ValueError(f"{path} does not match its configuration: the weights differ at "
                         f"{name[0]!r} (expected {expected.get(name[0])}, found "
                         f"{found.get(name[0])})")
    module.load_state_dict(state, strict=True, assign=True)
    return module
