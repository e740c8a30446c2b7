"""Optimizers by name, with Keras' defaults where PyTorch's differ."""

from __future__ import annotations

from collections.abc import Iterable

import torch
import torch.optim.optimizer as optimizer_module

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


class LeanStep:
    """``optimizer.step()`` for a fused Adam or AdamW on the CPU, without its per-call Python
    bookkeeping (hooks, grouping by device and dtype, state checks): the same two kernels
    (step counters, then the fused update) on the same tensors, so the result is identical.
    Measured on the reference network's four tensors: about 0.2 ms per call through
    ``optimizer.step()``, 0.09 ms this way, a tenth of a whole training step.

    Anything else (another optimizer, options the fused kernel is not called with here, a
    parameter without a gradient, state not yet created or replaced by ``load_state_dict``)
    goes through ``optimizer.step()``, which also creates the state on the first call."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self._state = None  # the optimizer's state dict the cached lists were read from
        self._lists: list[tuple] = []

    def __call__(self) -> None:
        if not self._serve():
            self.optimizer.step()
            return
        for group, (params, exp_avgs, exp_avg_sqs, steps) in zip(self.optimizer.param_groups,
                                                                 self._lists):
            grads = [p.grad for p in params]
            torch._foreach_add_(steps, 1)
            kernel = torch._fused_adamw_ if group["decoupled_weight_decay"] else \
                torch._fused_adam_
            beta1, beta2 = group["betas"]
            kernel(params, grads, exp_avgs, exp_avg_sqs, [], steps, amsgrad=False,
                   lr=group["lr"], beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                   eps=group["eps"], maximize=group["maximize"], grad_scale=None,
                   found_inf=None)

    def _serve(self) -> bool:
        """Whether the lean call applies now (reading the state's tensors once per state)."""
        optimizer = self.optimizer
        if not isinstance(optimizer, torch.optim.Adam) or _has_step_hooks(optimizer):
            return False
        if optimizer.state is not self._state and not self._read_state():
            return False
        return all(p.grad is not None and not p.grad.is_sparse
                   for params, *_ in self._lists for p in params)

    def _read_state(self) -> bool:
        optimizer, lists = self.optimizer, []
        for group in optimizer.param_groups:
            if not group["fused"] or group["amsgrad"] or group["capturable"] \
                    or group["differentiable"] or torch.is_tensor(group["lr"]):
                return False
            params = group["params"]
            states = [optimizer.state.get(p) for p in params]
            if any(not s or "exp_avg" not in s or p.device.type != "cpu"
                   or p.dtype != torch.float32 for p, s in zip(params, states)):
                return False
            lists.append((params, [s["exp_avg"] for s in states],
                          [s["exp_avg_sq"] for s in states], [s["step"] for s in states]))
        self._state, self._lists = optimizer.state, lists
        return True


def _has_step_hooks(optimizer: torch.optim.Optimizer) -> bool:
    """Whether hooks (the optimizer's own or global ones) expect ``optimizer.step()``."""
    hooks = (getattr(optimizer, "_optimizer_step_pre_hooks", None),
             getattr(optimizer, "_optimizer_step_post_hooks", None),
             getattr(optimizer_module, "_global_optimizer_pre_hooks", None),
             getattr(optimizer_module, "_global_optimizer_post_hooks", None))
    return any(h is None or len(h) for h in hooks)
