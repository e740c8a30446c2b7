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

_FUSABLE = {"adam", "adamw", "sgd"}  # a fused kernel on CPU and CUDA
_CAPTURABLE = {"adam", "adamw", "rmsprop"}  # keep their step counters on the device


def make_optimizer(
    name: str,
    params: Iterable[torch.nn.Parameter],
    *,
    learning_rate: float | None = None,
    weight_decay: float = 0.0,
    device_type: str = "cpu",
    capturable: bool = False,
) -> torch.optim.Optimizer:
    """Build optimizer ``name`` with a fused update where PyTorch has one, else a multi-tensor
    (foreach) one. ``capturable``: safe to record in a CUDA graph."""
    cls, defaults = OPTIMIZERS[name]
    kwargs = dict(defaults, weight_decay=weight_decay)
    if learning_rate is not None:
        kwargs["lr"] = learning_rate
    if name in _FUSABLE and device_type in ("cpu", "cuda"):
        kwargs["fused"] = True
    else:
        kwargs["foreach"] = True
    if capturable and name in _CAPTURABLE:
        kwargs["capturable"] = True
    return cls(params, **kwargs)
