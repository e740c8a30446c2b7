"""A quantised code and the learned entropy model that prices it, for learned compression.

Ballé, Laparra & Simoncelli, "End-to-end optimized image compression" (ICLR 2017,
https://arxiv.org/abs/1611.01704): uniform noise stands in for rounding during training, and the
code's rate is its negative log-likelihood under a learned prior. Ballé et al., "Variational image
compression with a scale hyperprior" (ICLR 2018, https://arxiv.org/abs/1802.01436), appendix 6.1:
the factorized prior, one learned monotone CDF per code dimension.
"""

from __future__ import annotations

import copy
import math
from itertools import pairwise

import torch
import torch.nn.functional as F
from torch import nn

LIKELIHOOD_FLOOR = 1e-9  # keeps log2 finite where the prior gives (numerically) nothing
# The prior's parameters are stored divided by this and used multiplied by it: under Adam (steps
# of about the learning rate in parameter space) the prior then follows the codes this much
# faster, within the few epochs a CPU run affords.
PRIOR_GAIN = 10.0
# The code is quantised in steps of 1/CODE_GAIN of the linear layer's output (the code is that
# output times CODE_GAIN, and the decoder takes it divided by CODE_GAIN). Glorot-initialised
# outputs spread over about one unit: rounded at unit steps they would nearly all be 0 and the
# decoder would first see only noise; in eighths they start at a few bits per dimension, as a
# plain autoencoder with a fine quantiser, and lmbda coarsens them from there.
CODE_GAIN = 8.0


class FactorizedPrior(nn.Module):
    """One learned, non-parametric density per code dimension (Ballé et al. 2018, 6.1).

    The CDF of dimension ``c`` is ``sigmoid(f_K(... f_1(x)))`` with ``f_k(x) = g_k(H_k x +
    b_k)`` and ``g_k(x) = x + tanh(a_k) * tanh(x)``; softplus keeps every ``H_k`` positive, so
    the CDF is monotone. Shapes: ``y`` ``(n, channels)`` -> likelihoods ``(n, channels)``.
    """

    def __init__(self, channels: int, filters: tuple[int, ...] = (3, 3, 3),
                 init_scale: float = 10.0):
        super().__init__()
        widths = (1, *filters, 1)
        scale = init_scale ** (1 / (len(widths) - 1))
        self.matrices = nn.ParameterList()
        self.biases = nn.ParameterList()
        self.factors = nn.ParameterList()
        for k, (a, b) in enumerate(pairwise(widths)):
            init = math.log(math.expm1(1 / scale / b))
            self.matrices.append(nn.Parameter(torch.full((channels, b, a), init / PRIOR_GAIN)))
            self.biases.append(nn.Parameter((torch.rand(channels, b, 1) - 0.5) / PRIOR_GAIN))
            if k < len(widths) - 2:
                self.factors.append(nn.Parameter(torch.zeros(channels, b, 1)))

    def logits(self, x: torch.Tensor) -> torch.Tensor:
        """CDF logits at ``x`` ``(channels, 1, m)`` -> ``(channels, 1, m)``."""
        for k, (matrix, bias) in enumerate(zip(self.matrices, self.biases)):
            x = torch.matmul(F.softplus(PRIOR_GAIN * matrix), x) + PRIOR_GAIN * bias
            if k < len(self.factors):
                x = x + torch.tanh(PRIOR_GAIN * self.factors[k]) * torch.tanh(x)
        return x

    def likelihood(self, y: torch.Tensor) -> torch.Tensor:
        """Probability mass of ``[y - 1/2, y + 1/2]`` per element, ``(n, channels)``."""
        v = y.t().unsqueeze(1)
        lower, upper = self.logits(torch.cat([v - 0.5, v + 0.5], dim=2)).chunk(2, dim=2)
        # Work on the side of the CDF where sigmoid is not saturated (as Ballé's code does).
        sign = -torch.sign(lower + upper).detach()
        mass = (torch.sigmoid(sign * upper) - torch.sigmoid(sign * lower)).abs()
        return mass.squeeze(1).t().clamp_min(LIKELIHOOD_FLOOR)

    @torch.no_grad()
    def integer_tables(self, freq_bits: int = 22, tail: float = 1e-7,
                       max_symbols: int = 1 << 16) -> tuple[torch.Tensor, torch.Tensor]:
        """Integer frequencies of the integers each dimension takes: ``(lo, freq)`` with ``lo``
        ``(channels,)`` and ``freq`` ``(channels, K)`` (positive on ``lo .. lo + len - 1``,
        zero beyond). The support spans the integers where the CDF lies within ``tail`` of 0
        and 1; every symbol in it gets at least 1."""
        if self.matrices[0].device.type != "cpu":  # the same weights, the same tables anywhere
            return copy.deepcopy(self).cpu().integer_tables(freq_bits, tail, max_symbols)
        channels = self.matrices[0].shape[0]
        radius = 64
        while True:  # widen the grid until both tails lie inside it
            grid = torch.arange(-radius, radius + 1, dtype=torch.float32)
            cdf = torch.sigmoid(self.logits((grid + 0.5).expand(channels, 1, -1))).squeeze(1)
            if (cdf[:, 0] <= tail).all() and (cdf[:, -1] >= 1 - tail).all() \
                    or 2 * radius + 1 >= max_symbols:
                break
            radius *= 2
        mass = (cdf - torch.cat([torch.zeros(channels, 1), cdf[:, :-1]], dim=1)).clamp_min(0)
        # The CDF rises along the grid: the support runs from the first symbol whose upper edge
        # passes ``tail`` to the first whose upper edge reaches ``1 - tail``.
        starts = (cdf > tail).float().argmax(1)
        ends = (cdf < 1 - tail).sum(1).clamp(max=len(grid) - 1)
        freq = torch.zeros(channels, int((ends - starts).max()) + 1, dtype=torch.int64)
        for c in range(channels):
            span = mass[c, starts[c]:ends[c] + 1]
            freq[c, :len(span)] = (span * 2**freq_bits).round().long().clamp_min(1)
        return grid[starts].long(), freq


class QuantizedCode(nn.Module):
    """``Linear``, then uniform noise (training) or rounding (inference), priced by a
    ``FactorizedPrior``: the code of a learned compressor.

    ``forward`` returns the code and the term ``rate``: ``rate_weight`` times the code's bits per
    row (its negative log2-likelihood under the prior), which the prior learns from and the
    encoder pays. Shapes: ``h`` ``(n, d_in)`` -> ``z`` ``(n, latent_dim)``, integers at inference.
    """

    def __init__(self, d_in: int, latent_dim: int, rate_weight: float):
        super().__init__()
        self.linear = nn.Linear(d_in, latent_dim)
        self.prior = FactorizedPrior(latent_dim)
        self.rate_weight = rate_weight

    def unrounded(self, h: torch.Tensor) -> torch.Tensor:
        """The code before rounding, in quantisation steps."""
        return CODE_GAIN * self.linear(h)

    def code(self, h: torch.Tensor) -> torch.Tensor:
        return torch.round(self.unrounded(h))

    def bits(self, z: torch.Tensor) -> torch.Tensor:
        """Bits of each row of (noisy or rounded) codes under the prior, ``(n,)``."""
        return -torch.log2(self.prior.likelihood(z)).sum(1)

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        y = self.unrounded(h)
        z = y + torch.rand_like(y) - 0.5 if self.training else torch.round(y)
        return z, {"rate": self.rate_weight * self.bits(z).mean()}


class ScaledDecoder(nn.Module):
    """``decoder(z / CODE_GAIN)``: the decoder of a ``QuantizedCode`` sees unit-scale codes."""

    def __init__(self, decoder: nn.Module):
        super().__init__()
        self.inner = decoder

    def forward(self, z: torch.Tensor, *lengths: torch.Tensor) -> torch.Tensor:
        return self.inner(z / CODE_GAIN, *lengths)  # lengths: sequence decoders only
