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

import math

import torch

# Adam's step on the code, in quantisation steps, annealed to 0 by a cosine over the run.
REFINE_LEARNING_RATE = 0.1
REFINE_SEED = 0  # the same rows give the same stream


def row_objective(net, z: torch.Tensor, x: torch.Tensor) -> torch.Tensor:
    """``distortion + rate`` per row of codes ``z`` for rows ``x``, as training weighs them:
    the reconstruction loss (mean per value) plus the rate weight times the bits."""
    pre = net.decoder(z)
    return net.head.row_loss(pre, x) + net.latent.rate_weight * net.latent.bits(z)


def refine_codes(net, x: torch.Tensor, steps: int) -> torch.Tensor:
    """Integer codes ``(n, latent_dim)`` for rows ``x`` of a network with a ``QuantizedCode``
    (in evaluation mode): the encoder's, improved by ``steps`` steps of Adam on each row's
    objective. No parameter of ``net`` gets a gradient."""
    with torch.no_grad():
        start = net.latent.unrounded(net.encoder(x))
    y = start.clone().requires_grad_(True)
    optimizer = torch.optim.Adam([y], lr=REFINE_LEARNING_RATE)
    noise = torch.Generator(device=x.device).manual_seed(REFINE_SEED)
    for i in range(steps):
        optimizer.param_groups[0]["lr"] = REFINE_LEARNING_RATE * 0.5 * (
            1 + math.cos(math.pi * i / steps))
        with torch.enable_grad():
            jitter = torch.rand(y.shape, generator=noise, device=y.device, dtype=y.dtype) - 0.5
            (y.grad,) = torch.autograd.grad(row_objective(net, y + jitter, x).sum(), [y])
        optimizer.step()
    with torch.no_grad():
        encoded, refined = torch.round(start), torch.round(y)
        better = row_objective(net, refined, x) < row_objective(net, encoded, x)
        return torch.where(better[:, None], refined, encoded)
