"""Optimizers by name, with Keras' defaults where PyTorch's differ."""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field

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
    Measured on the reference network's four tensors (``benchmarks/cpu_bound.py``): 0.095 to
    0.209 ms per call through ``optimizer.step()``, 0.041 to 0.064 ms this way, on a step of
    1 to 2 ms.

    The tensors are read from the optimizer's state once and kept while the state and the
    parameter groups stay the same objects (a loaded state is read again). Anything else goes
    through ``optimizer.step()``, which also creates the state on the first call: another
    optimizer, options the kernel is not called with here, a parameter without a gradient,
    step hooks, or a ``step`` wrapped by a learning-rate scheduler that counts its calls."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self._groups: list[_GroupTensors] | None = None

    def __call__(self) -> None:
        groups = self._lean_groups()
        if groups is None:
            self.optimizer.step()
            return
        for tensors in groups:
            group = tensors.group
            torch._foreach_add_(tensors.steps, 1)
            kernel = torch._fused_adamw_ if tensors.decoupled else torch._fused_adam_
            beta1, beta2 = group["betas"]
            kernel(tensors.params, [p.grad for p in tensors.params], tensors.exp_avgs,
                   tensors.exp_avg_sqs, [], tensors.steps, amsgrad=False, lr=group["lr"],
                   beta1=beta1, beta2=beta2, weight_decay=group["weight_decay"],
                   eps=group["eps"], maximize=group["maximize"], grad_scale=None,
                   found_inf=None)

    def _lean_groups(self) -> list[_GroupTensors] | None:
        """Each group's tensors if the lean call applies now, else None."""
        optimizer = self.optimizer
        if not isinstance(optimizer, (torch.optim.Adam, torch.optim.AdamW)) \
                or _has_step_hooks(optimizer) or "step" in vars(optimizer):
            return None
        if not self._cached_groups_hold():
            self._groups = _read_groups(optimizer)
        if self._groups is None or not all(p.grad is not None and not p.grad.is_sparse
                                           for g in self._groups for p in g.params):
            return None
        return self._groups

    def _cached_groups_hold(self) -> bool:
        """Whether the kept tensors are still the optimizer's: the same groups, parameters
        and per-parameter state (about a microsecond per parameter)."""
        groups, optimizer = self._groups, self.optimizer
        if groups is None or len(groups) != len(optimizer.param_groups):
            return False
        state = optimizer.state
        return all(cached.group is group and len(cached.params) == len(group["params"])
                   and all(p is q and state.get(p) is s for p, q, s
                           in zip(cached.params, group["params"], cached.states))
                   for cached, group in zip(groups, optimizer.param_groups))


@dataclass
class _GroupTensors:
    group: dict
    params: list[torch.Tensor]
    states: list[dict]
    decoupled: bool  # AdamW's weight decay
    exp_avgs: list[torch.Tensor] = field(init=False)
    exp_avg_sqs: list[torch.Tensor] = field(init=False)
    steps: list[torch.Tensor] = field(init=False)

    def __post_init__(self):
        self.exp_avgs = [s["exp_avg"] for s in self.states]
        self.exp_avg_sqs = [s["exp_avg_sq"] for s in self.states]
        self.steps = [s["step"] for s in self.states]


def _read_groups(optimizer: torch.optim.Optimizer) -> list[_GroupTensors] | None:
    """The tensors of every group, or None where the lean call does not apply (yet)."""
    groups = []
    for group in optimizer.param_groups:
        if not group.get("fused") or group.get("amsgrad") or group.get("capturable") \
                or group.get("differentiable") or torch.is_tensor(group["lr"]):
            return None
        params = list(group["params"])
        states = [optimizer.state.get(p) for p in params]
        if any(not s or "exp_avg" not in s or p.device.type != "cpu"
               or p.dtype != torch.float32 for p, s in zip(params, states)):
            return None
        # torch < 2.7 has no such key: AdamW was its own class then
        decoupled = group.get("decoupled_weight_decay",
                              isinstance(optimizer, torch.optim.AdamW))
        groups.append(_GroupTensors(group, params, states, decoupled))
    return groups


def _has_step_hooks(optimizer: torch.optim.Optimizer) -> bool:
    """Whether hooks (the optimizer's own or global ones) expect ``optimizer.step()``."""
    hooks = (getattr(optimizer, "_optimizer_step_pre_hooks", None),
             getattr(optimizer, "_optimizer_step_post_hooks", None),
             getattr(optimizer_module, "_global_optimizer_pre_hooks", None),
             getattr(optimizer_module, "_global_optimizer_post_hooks", None))
    return any(h is None or len(h) for h in hooks)
