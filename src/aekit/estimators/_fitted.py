"""An estimator's fitted state: what a model file holds, and how each value is checked on load.

Saving takes every fitted attribute by scikit-learn's convention (a trailing underscore), apart
from the network (its weights travel as tensors), plus the private ones in ``SAVED_PRIVATE``:
nothing is listed by hand, so a new fitted attribute is saved as soon as it exists, and one that
has no file form fails the save loudly. Loading trusts nothing: it accepts only the attributes
``CHECKS`` knows, each checked for type and range, so a new attribute without a check fails the
round-trip tests instead of loading unchecked.
"""

from __future__ import annotations

import math
import numbers
from collections.abc import Callable

import numpy as np
import torch

from aekit.nn import ACTIVATIONS, LOSSES

SAVED_PRIVATE = ("_hidden_dims",)
NOT_SAVED = ("module_",)  # the network: saved as its state dict
# Sizes beyond these are not a model anyone trained; refusing them early keeps a doctored file
# from asking for huge allocations before the shape check against its tensors.
MAX_SIZE = 1 << 31


def fitted_attributes(estimator) -> dict:
    """The fitted attributes of ``estimator`` that a model file holds."""
    names = [n for n in vars(estimator)
             if n.endswith("_") and not n.startswith("__") and n not in NOT_SAVED]
    names += [n for n in SAVED_PRIVATE if hasattr(estimator, n)]
    return {name: getattr(estimator, name) for name in names}


def to_file_form(name: str, value) -> tuple[str, object]:
    """``("tensor", t)`` for numeric arrays, ``("json", v)`` for the rest; TypeError for a value
    that has no file form (so nothing is silently left out of a model file)."""
    if isinstance(value, np.ndarray) and value.dtype.kind in "biuf":
        return "tensor", torch.from_numpy(np.ascontiguousarray(value))
    if isinstance(value, np.ndarray) and value.dtype == object:  # feature names
        return "json", [str(v) for v in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, tuple):
        value = list(value)
    if value is None or isinstance(value, (bool, int, float, str, list, dict)):
        return "json", value
    raise TypeError(f"the fitted attribute {name} holds a {type(value).__name__}, which a model "
                    "file cannot store: give it a JSON or array form")


# ----------------------------------------------------------------- checks on load
def _int(low: int = 0, high: int = MAX_SIZE, none: bool = False) -> Callable:
    def check(value):
        if value is None and none:
            return None
        if not isinstance(value, int) or isinstance(value, bool) or not low <= value <= high:
            raise ValueError(f"{value!r:.40} is not an integer in [{low}, {high}]")
        return value
    return check


def _choice(options) -> Callable:
    def check(value):
        if value not in options:
            raise ValueError(f"{value!r:.40} is not one of {', '.join(map(repr, options))}")
        return value
    return check


def _ints(min_len: int, max_len: int) -> Callable:
    def check(value):
        if not (isinstance(value, list) and min_len <= len(value) <= max_len):
            raise ValueError(f"{value!r:.60} is not a list of {min_len} to {max_len} sizes")
        return tuple(_int(1)(v) for v in value)
    return check


def _names(value):
    if not (isinstance(value, list) and all(isinstance(v, str) for v in value)):
        raise ValueError("is not a list of column names")
    return np.asarray(value, dtype=object)


def _history(value):
    if not (isinstance(value, dict) and all(isinstance(k, str) and isinstance(v, list)
                                            for k, v in value.items())):
        raise ValueError("is not a dict of per-epoch lists")
    for series in value.values():
        if not all(isinstance(x, numbers.Real) and not isinstance(x, bool) for x in series):
            raise ValueError("holds a value that is not a number")
    return value


def _float_array(positive: bool = False, dtype: torch.dtype = torch.float32) -> Callable:
    def check(value):
        if not isinstance(value, torch.Tensor) or value.dtype != dtype:
            raise ValueError(f"is not a {str(dtype).removeprefix('torch.')} tensor")
        array = value.numpy()
        if not np.isfinite(array).all() or (positive and not (array > 0).all()):
            raise ValueError("holds " + ("non-positive or " if positive else "")
                             + "non-finite values")
        return array
    return check


def _bool_array(value):
    if not isinstance(value, torch.Tensor) or value.dtype != torch.bool:
        raise ValueError("is not a bool tensor")
    return value.numpy()


def _int_array(value):
    if not isinstance(value, torch.Tensor) or value.dtype != torch.int64:
        raise ValueError("is not an int64 tensor")
    return value.numpy()


CHECKS: dict[str, Callable] = {
    "n_features_in_": _int(1),
    "feature_names_in_": _names,
    "input_shape_": _ints(1, 3),
    "squeeze_axis_": _int(1, 2, none=True),
    "latent_dim_": _int(1),
    "loss_": _choice(LOSSES),
    "output_activation_": _choice(tuple(ACTIVATIONS)),
    "scaling_": _choice(("standard", "minmax", "none")),
    "history_": _history,
    "n_epochs_": _int(0),
    "best_epoch_": _int(0),
    "batch_size_": _int(1),
    "epochs_": _int(1),
    "patience_": _int(0, none=True),
    "_hidden_dims": _ints(0, 64),
    "vocab_size_": _int(1),
    "shift_": _float_array(),
    "scale_": _float_array(positive=True),
    "score_scale_": _float_array(positive=True),
    "data_min_": _float_array(dtype=torch.float64),
    "data_max_": _float_array(dtype=torch.float64),
    "whole_features_": _bool_array,
    "fill_min_": _float_array(dtype=torch.float64),
    "fill_max_": _float_array(dtype=torch.float64),
    "coding_lo_": _int_array,
    "coding_freq_": _int_array,
}


def checked(name: str, value, path) -> object:
    """``value`` read from ``path`` for the fitted attribute ``name``, checked and converted."""
    if name not in CHECKS:
        raise ValueError(f"{path} holds an unknown fitted attribute {name!r}: it was written by "
                         "another aekit version, or edited")
    try:
        return CHECKS[name](value)
    except ValueError as error:
        raise ValueError(f"{path} is not a valid model file: {name} {error}") from None


def check_consistent(estimator, path) -> None:
    """Cross-checks between fitted attributes that each passed ``checked``."""
    problems = []
    names = getattr(estimator, "feature_names_in_", None)
    if names is not None and len(names) != estimator.n_features_in_:
        problems.append(f"{len(names)} feature names for {estimator.n_features_in_} features")
    if estimator.shift_.shape != estimator.scale_.shape:
        problems.append("shift_ and scale_ differ in shape")
    if getattr(estimator, "score_scale_", estimator.shift_).shape != estimator.shift_.shape:
        problems.append("score_scale_ and shift_ differ in shape")
    for name in ("data_min_", "data_max_", "whole_features_"):
        if getattr(estimator, name, estimator.shift_).shape != estimator.shift_.shape:
            problems.append(f"{name} and shift_ differ in shape")
    for name in ("fill_min_", "fill_max_"):
        if getattr(estimator, name, np.empty(estimator.n_features_in_)).shape != (
                estimator.n_features_in_,):
            problems.append(f"{name} does not have one value per feature")
    if math.prod(estimator.input_shape_) > MAX_SIZE:
        problems.append(f"input_shape_ {estimator.input_shape_} is too large")
    if problems:
        raise ValueError(f"{path} is not a valid model file: {'; '.join(problems)}")
