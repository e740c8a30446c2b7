"""Optimizers by name, with Keras' defaults where PyTorch's differ."""

from __future__ import annotations

from collections.abc import Iterable

import torch

# name -> (class, default keyword arguments). Keras uses eps=1e-7 and RMSprop rho=0.9.
OPTIMIZERS: dict[str, tuple[type[torch.optim.Optimizer], dict]] = {
    "adam": (torch.optim.Adam, {"lr": 1e-3, "eps": 1e-7}),
    "adamw": (torch.optim.AdamW, {"lr": 1e-3, "eps": 1e-7}),
    "rmsprop": (torch.optim.RMSprop, {"lr": 1e-3, "alpha": 0.9, "eps": 1e-7}),
    "sgd": (torch.optim.SGD, {"lr": 1e-2}),
}

_FUSABLE = {"adam", "adamw", "sgd"}


def make_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter],
    *,
    learning_rate: float | None = None,
    weight_decay: float = 0.0,
    device_type: str = "cpu",
) -> torch.optim.Optimizer:
    """Build optimizer ``name`` with a multi-tensor (foreach) or, on CUDA, fused update."""
    cls, defaults = OPTIMIZERS[name]
    kwargs = dict(defaults, weight_decay=weight_decay)
    if learning_rate is not None:
        kwargs["lr"] = learning_rate
    if device_type == "cuda" and name in _FUSABLE:
        kwargs["fused"] = True
    else:
        kwargs["foreach"] = True
    return cls(params, **kwargs)
