"""The training step of a plain dense autoencoder with its backward pass written out.

On a CPU a small dense network spends about a fifth of each eager step on autograd's
bookkeeping and on allocating fresh tensors (measured with ``benchmarks/cpu_bound.py``). For
the networks where that matters most (a chain of ``Linear`` layers and point-wise activations,
scored by BCE or MSE), this step runs the same forward pass, derives the gradients layer by layer
into buffers kept from step to step, and hands them to the same optimizer. Any other network
(sparse, variational, denoising, batch norm, dropout, other activations, bfloat16) is not
supported and runs the eager step instead. Tests check that both follow the same trajectory.
"""

from __future__ import annotations

import torch
from torch import nn

from aekit.nn.batch import Batch
from aekit.nn.losses import bce_sum
from aekit.train.optim import LeanStep

# point-wise activations whose derivative is read from their output (or input)
_ACTIVATIONS = (nn.ReLU, nn.Identity, nn.Sigmoid, nn.Tanh, nn.LeakyReLU)


def chain(module: nn.Module, precision: torch.dtype | None
          ) -> tuple[list[nn.Module], str] | None:
    """``(layers, loss)`` of ``module``, if the module offers them (``manual_chain``: a plain
    chain scored by BCE or MSE) and this step serves them (float32 on the CPU, point-wise
    activations it has derivatives for); else None. The module decides what it is: nothing
    here looks at its classes."""
    offer = getattr(module, "manual_chain", None)
    if offer is None or precision is not None or next(module.parameters()).device.type != "cpu":
        return None
    offered = offer()
    if offered is None:
        return None
    layers, loss = offered
    supported = all(isinstance(layer, _ACTIVATIONS)
                    or (isinstance(layer, nn.Linear) and layer.bias is not None)
                    for layer in layers)
    return (layers, loss) if supported else None


class ManualStep:
    """One optimisation step of ``layers`` (from ``chain``) with explicit gradients; returns the
    detached batch loss, as ``EagerStep`` does.

    The written-out backward serves a batch of ``x`` alone. A batch carrying more (lengths, a
    mask of observed cells) goes to ``fallback`` (the eager step of the same module and
    optimizer), so that no entry can be silently dropped; without a fallback it is refused.
    ``reduce_gradients`` (called with the parameters once their gradients are written, before
    clipping and the update) averages them over several processes
    (``aekit.train.distributed``), since no autograd hook sees these gradients.
    """

    def __init__(self, layers: list[nn.Module], loss: str, optimizer: torch.optim.Optimizer,
                 clip_grad_norm: float | None = None, fallback=None, reduce_gradients=None):
        self.layers, self.loss, self.optimizer = layers, loss, optimizer
        self.update_parameters = LeanStep(optimizer)
        self.clip_grad_norm = clip_grad_norm
        self.fallback = fallback
        self.reduce_gradients = reduce_gradients
        linears = [i for i, layer in enumerate(layers) if isinstance(layer, nn.Linear)]
        self.first_linear = linears[0]  # no gradient is needed below it (the input)
        self.params = [p for i in linears for p in (layers[i].weight, layers[i].bias)]

    def __call__(self, batch: Batch) -> torch.Tensor:
        if not batch.only_x:  # lengths or a mask: this step's loss would ignore them
            if self.fallback is None:
                raise ValueError("the manual step serves batches of x alone, not ones with "
                                 "lengths or a mask: use compile='none'")
            return self.fallback(batch)
        return self._step(batch.x)

    @torch.no_grad()
    def _step(self, x: torch.Tensor) -> torch.Tensor:
        outputs = self._forward(x)
        loss, grad, factor = self._head(outputs[-1], x)
        self._backward(outputs, grad, factor)
        if self.reduce_gradients is not None:
            self.reduce_gradients(self.params)
        if self.clip_grad_norm is not None:
            torch.nn.utils.clip_grad_norm_(self.params, self.clip_grad_norm, foreach=True)
        self.update_parameters()
        return loss

    def _forward(self, x: torch.Tensor) -> list[torch.Tensor]:
        """The input and every layer's output."""
        outputs = [x]
        for layer in self.layers:
            if isinstance(layer, nn.Linear):
                outputs.append(torch.addmm(layer.bias, outputs[-1], layer.weight.t()))
            else:
                outputs.append(layer(outputs[-1]))
        return outputs

    def _head(self, last: torch.Tensor, x: torch.Tensor
              ) -> tuple[torch.Tensor, torch.Tensor, float]:
        """The mean loss per value and its gradient for the last output (the decoder's logits
        for BCE, as ``BCEWithLogitsSum``; the activated reconstruction for MSE) as
        ``(loss, g, factor)``, the gradient being ``factor * g``: the factor is applied to the
        small weight and bias gradients instead of in a pass over the whole output."""
        scale = 1.0 / x.numel()
        if self.loss == "bce":
            s = torch.sigmoid(last)
            return bce_sum(last, s, x) * scale, s.sub_(x), scale
        diff = last - x
        return torch.dot(diff.view(-1), diff.view(-1)) * scale, diff, 2 * scale

    def _backward(self, outputs: list[torch.Tensor], grad: torch.Tensor, factor: float) -> None:
        """Gradients written into each linear layer's ``.grad`` (kept from step to step), from
        the last output's gradient ``factor * grad``: the factor is a constant, so it passes
        through every layer and scales only what is written."""
        for p in self.params:
            if p.grad is None:
                p.grad = torch.empty_like(p)
        for i in range(len(self.layers) - 1, self.first_linear - 1, -1):
            layer, inputs, out = self.layers[i], outputs[i], outputs[i + 1]
            if isinstance(layer, nn.Linear):
                # beta=0: the buffer's old contents are ignored, not multiplied
                torch.addmm(layer.weight.grad, grad.t(), inputs, beta=0, alpha=factor,
                            out=layer.weight.grad)
                torch.sum(grad, 0, out=layer.bias.grad).mul_(factor)
                if i > self.first_linear:
                    grad = torch.mm(grad, layer.weight)
            else:
                grad = _activation_grad(layer, inputs, out, grad)


def _activation_grad(layer: nn.Module, inputs: torch.Tensor, out: torch.Tensor,
                     grad: torch.Tensor) -> torch.Tensor:
    """``grad`` (for the layer's output) times the activation's derivative, in place."""
    if isinstance(layer, nn.ReLU):
        return grad.mul_(out > 0)
    if isinstance(layer, nn.Sigmoid):
        return grad.mul_(out * (1 - out))
    if isinstance(layer, nn.Tanh):
        return grad.mul_(1 - out * out)
    if isinstance(layer, nn.LeakyReLU):
        return grad.mul_(torch.where(inputs > 0, 1.0, layer.negative_slope))
    return grad  # Identity
