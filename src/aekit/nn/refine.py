"""Encoding by optimisation: each row's code fitted to that row at compression time.

A trained encoder predicts codes for all rows at once, and on rows it has not seen it predicts
them worse than it could (the amortisation gap). Starting from its prediction, a few steps of
gradient descent on the code alone (the decoder and the prior fixed) lower the row's own
``distortion + rate`` (Campos et al., "Content adaptive optimization for neural image
compression", CVPR workshops 2019, https://arxiv.org/abs/1906.01223; Yang, Bamler & Mandt,
"Improving inference for neural image compression", NeurIPS 2020,
https://arxiv.org/abs/2006.04240). Rounding stays uniform noise during the descent, as in
training, and the rounded result is kept only for the rows where it beats the encoder's own.
"""

from __future__ import annotations

import contextlib
import math

import torch
from torch import nn

# Adam's step on the code, in quantisation steps, annealed to 0 by a cosine over the run.
REFINE_LEARNING_RATE = 0.1
REFINE_SEED = 0


def row_objective(net, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``distortion + rate`` per row of codes ``z`` for rows ``x``, as training weighs them:
    the reconstruction loss (mean per value) plus the rate weight times the bits."""
    pre = net.decoder(z)
    return net.head.row_loss(pre, x) + net.latent.rate_weight * net.latent.bits(z)


def refine_codes(net, x: torch.Tensor, steps: int) -> torch.Tensor:
    """Integer codes ``(n, latent_dim)`` for rows ``x`` of a network with a ``QuantizedCode``:
    the encoder's, improved by ``steps`` steps of Adam on each row's objective. The network
    runs in evaluation mode and is left as it was (no parameter gets a gradient). The noise
    is one fixed draw per step shared by all rows, so a row's code depends on that row alone,
    not on the batch around it."""
    with _evaluating(net), torch.inference_mode(False), _without_cudnn_rnn(net):
        x = x.clone()  # a tensor made in inference mode cannot enter autograd
        with torch.no_grad():
            start = net.latent.unrounded(net.encoder(x))
        y = start.clone().requires_grad_(True)
        optimizer = torch.optim.Adam([y], lr=REFINE_LEARNING_RATE)
        for i, jitter in enumerate(_noise(steps, y)):
            optimizer.param_groups[0]["lr"] = REFINE_LEARNING_RATE * 0.5 * (
                1 + math.cos(math.pi * i / steps))
            with torch.enable_grad():
                (y.grad,) = torch.autograd.grad(row_objective(net, y + jitter, x).sum(), [y])
            optimizer.step()
        with torch.no_grad():
            encoded, refined = torch.round(start), torch.round(y)
            better = row_objective(net, refined, x) < row_objective(net, encoded, x)
            return torch.where(better[:, None], refined, encoded)


def _noise(steps: int, like: torch.Tensor) -> torch.Tensor:
    """``(steps, latent_dim)`` uniform noise in [-1/2, 1/2], the same on every device."""
    generator = torch.Generator().manual_seed(REFINE_SEED)
    table = torch.rand(steps, like.shape[1], generator=generator) - 0.5
    return table.to(device=like.device, dtype=like.dtype)


@contextlib.contextmanager
def _evaluating(net: nn.Module):
    """``net`` in evaluation mode (batch norm's running statistics untouched), then as it
    was."""
    modes = [(m, m.training) for m in net.modules()]
    net.eval()
    try:
        yield
    finally:
        for module, training in modes:
            module.train(training)


def _without_cudnn_rnn(net: nn.Module):
    """cuDNN's recurrent layers have no backward pass in evaluation mode: PyTorch's own
    kernels instead, for the recurrent decoders on CUDA."""
    if any(isinstance(m, nn.RNNBase) for m in net.modules()):
        return torch.backends.cudnn.flags(enabled=False)
    return contextlib.nullcontext()
