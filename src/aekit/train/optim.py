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
        kwargs["lr"] = float(learning_rate)  # a NumPy number from a grid: as PyTorch's own
    if name in _FUSABLE and device_type in ("cpu", "cuda"):
        kwargs["fused"] = True
    else:
        kwargs["foreach"] = True
    if capturable and name in _CAPTURABLE:
        kwargs["capturable"] = True
    return cls(params, **kwargs)


class LeanStep:
    """``optimizer.step()`` for a fused Adam or AdamW, without its per-call Python bookkeeping
    (hooks, grouping by device and dtype, state checks): the same two kernels (step counters,
    then the fused update) on the same values, so the result is identical. Measured on the
    reference network's four tensors (``benchmarks/cpu_bound.py``): 0.095 to 0.209 ms per call
    through ``optimizer.step()``, 0.041 to 0.064 ms this way, on a CPU step of 1 to 2 ms.

    On a GPU the fused kernel gives each tensor (each 65536 values of one) one block of
    threads, so a small network's four tensors keep four multiprocessors busy: 21 us of the
    reference network's 94 us step on an H200 (``benchmarks/gpu_epoch.py``). There the update
    runs over pieces of each tensor (``piece_length``), views of the same memory, each a block.

    The tensors are read from the optimizer's state once and kept while the state and the
    parameter groups stay the same objects (a loaded state is read again, and pieces are cut
    again when a parameter's memory was replaced, ``p.data = ...``). Anything else goes through
    ``optimizer.step()``, which also creates the state on the first call: another optimizer,
    options the kernel is not called with here, a parameter without a gradient, an empty
    parameter group, step hooks, or a ``step`` wrapped by a learning-rate scheduler that counts
    its calls. Unlike ``optimizer.step()``, it does not refuse a CUDA graph recording of an
    optimizer made with ``capturable=False``: a fused optimizer's step counters live on the
    GPU either way."""

    def __init__(self, optimizer: torch.optim.Optimizer):
        self.optimizer = optimizer
        self._groups: list[_GroupTensors] | None = None

    @torch.no_grad()  # as optimizer.step(): the update is no part of any autograd graph
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
            kernel(*tensors.pieces([p.grad for p in tensors.params]), amsgrad=False,
                   lr=group["lr"], beta1=beta1, beta2=beta2,
                   weight_decay=group["weight_decay"], eps=group["eps"],
                   maximize=group["maximize"], grad_scale=None, found_inf=None)

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
                   and cached.same_memory()
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
        # pieces are views of flat memory: anything else is updated whole
        whole = not all(t.is_contiguous()
                        for t in (*self.params, *self.exp_avgs, *self.exp_avg_sqs))
        self.length = None if whole else piece_length([p.numel() for p in self.params],
                                                      self.params[0].device)
        # the kernel's arguments but the gradients, cut once (the same tensors every step)
        self.kept = [_cut(tensors, self.length) for tensors in
                     (self.params, self.exp_avgs, self.exp_avg_sqs)]
        self.kept_steps = self.steps if self.length is None else [
            step for p, step in zip(self.params, self.steps)
            for _ in _cut([p], self.length)]  # as many as the pieces (an empty tensor: one)
        self.addresses = [p.data_ptr() for p in self.params]

    def same_memory(self) -> bool:
        """Whether the parameters still live where they were cut (``p.data = ...`` moves a
        parameter and leaves the pieces on its old memory); whole tensors need no check."""
        return self.length is None or all(
            p.data_ptr() == address for p, address in zip(self.params, self.addresses))

    def pieces(self, grads: list[torch.Tensor]) -> tuple[list[torch.Tensor], ...]:
        """The fused kernel's tensor arguments, every tensor cut into pieces alike (each
        piece of a tensor reads its step counter)."""
        params, exp_avgs, exp_avg_sqs = self.kept
        return params, _cut(grads, self.length), exp_avgs, exp_avg_sqs, [], self.kept_steps


# One launch of the fused kernel takes a few dozen tensors (PyTorch's multi_tensor_apply at
# depth 4: 36 in builds for CUDA 12, more for CUDA 13), each cut into blocks of 65536 values; a
# block's 512 threads take 2048 values a pass. A group of many small tensors may take two.
PIECE_VALUES = 2048
PIECES_PER_LAUNCH = 32


def piece_length(sizes: list[int], device: torch.device) -> int | None:
    """Values per piece of the fused update on ``device`` for tensors of ``sizes`` values, or
    None to leave them whole: on the CPU, where one tensor is split over the cores anyway,
    and for networks large enough that the kernel's own blocks fill the GPU."""
    if device.type != "cuda":
        return None
    passes = -(-sum(sizes) // (PIECE_VALUES * PIECES_PER_LAUNCH))
    length = PIECE_VALUES * passes
    return length if length < 65536 else None


def _cut(tensors: list[torch.Tensor], length: int | None) -> list[torch.Tensor]:
    """``tensors`` as consecutive pieces of at most ``length`` values each: views of a
    contiguous tensor (a gradient that is not is read from a copy). Detached: a view made of a
    parameter with autograd on would keep its gradient's node alive from step to step."""
    if length is None:
        return tensors
    return [piece for t in tensors for piece in t.detach().reshape(-1).split(length)]


def _read_groups(optimizer: torch.optim.Optimizer) -> list[_GroupTensors] | None:
    """The tensors of every group, or None where the lean call does not apply (yet)."""
    groups = []
    for group in optimizer.param_groups:
        if not group.get("fused") or group.get("amsgrad") or group.get("differentiable") \
                or torch.is_tensor(group["lr"]):
            return None
        params = list(group["params"])
        if not params:
            return None
        states = [optimizer.state.get(p) for p in params]
        device = params[0].device
        # capturable keeps the step counters on the GPU, where the kernel reads them anyway
        if device.type not in ("cpu", "cuda") or group.get("capturable") and device.type != "cuda":
            return None
        if any(not s or "exp_avg" not in s or p.device != device
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
