"""Nested training state (dicts, lists, numbers, tensors) <-> JSON plus a flat tensor dict.

Optimizer and callback states mix Python values with tensors and use non-string dict keys
(parameter indices); this keeps both exact without pickle.
"""

from __future__ import annotations

import torch


def flatten(obj, tensors: dict[str, torch.Tensor], prefix: str = "t"):
    """Return a JSON-able copy of ``obj``; its tensors are moved into ``tensors``."""
    if isinstance(obj, torch.Tensor):
        key = f"{prefix}.{len(tensors)}"
        tensors[key] = obj.detach().cpu().contiguous()
        return {"__tensor__": key}
    if isinstance(obj, dict):
        if all(isinstance(k, str) for k in obj):
            return {"__dict__": {k: flatten(v, tensors, prefix) for k, v in obj.items()}}
        return {"__pairs__": [[k, flatten(v, tensors, prefix)] for k, v in obj.items()]}
    if isinstance(obj, tuple):
        return {"__tuple__": [flatten(v, tensors, prefix) for v in obj]}
    if isinstance(obj, list):
        return [flatten(v, tensors, prefix) for v in obj]
    if obj is None or isinstance(obj, (bool, int, float, str)):
        return obj
    if type(obj).__module__ == "numpy" and getattr(obj, "ndim", None) == 0:  # a NumPy number
        return obj.item()
    raise TypeError(f"cannot store a {type(obj).__name__} in a checkpoint")


def unflatten(obj, tensors: dict[str, torch.Tensor]):
    """Inverse of ``flatten``. Tensors come back on the CPU: ``load_state_dict`` of modules and
    optimizers moves them to where the parameters live."""
    if isinstance(obj, list):
        return [unflatten(v, tensors) for v in obj]
    if not isinstance(obj, dict):
        return obj
    if "__tensor__" in obj:
        return tensors[obj["__tensor__"]]
    if "__dict__" in obj:
        return {k: unflatten(v, tensors) for k, v in obj["__dict__"].items()}
    if "__pairs__" in obj:
        return {k: unflatten(v, tensors) for k, v in obj["__pairs__"]}
    if "__tuple__" in obj:
        return tuple(unflatten(v, tensors) for v in obj["__tuple__"])
    raise ValueError("unrecognised entry in checkpoint state")
