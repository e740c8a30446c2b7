"""Bottlenecks: how features become a code, and the loss terms that code owns."""

from __future__ import annotations

import math

import torch
from torch import nn

from aekit.nn.blocks import activation

SPARSITIES = ("l1", "kl", "topk")


class DenseCode(nn.Module):
    """``Linear -> activation``: the deterministic code of a plain autoencoder.

    Shapes: ``h`` ``(n, d_in)`` -> ``z`` ``(n, latent_dim)``.
    """

    def __init__(self, d_in: int, latent_dim: int, activation_name: str = "linear"):
        super().__init__()
        self.linear = nn.Linear(d_in, latent_dim)
        self.activation = activation(activation_name)

    def code(self, h: torch.Tensor) -> torch.Tensor:
        return self.activation(self.linear(h))

    def forward(self, h: torch.Tensor) -> tuple[torch.Tensor, dict[str, torch.Tensor]]:
        return self.code(h), {}

    def manual_layers(self) -> list[nn.Module] | None:
        """``[linear, activation]`` when the code is this plain layer and owns no loss term; a
        subclass that adds a term or changes the code returns None."""
        return [self.linear, self.activation] if type(self) is DenseCode else None


class SparseCode(DenseCode):
    """A code kept sparse by an L1 activity penalty, a KL penalty towards a target mean
    activation ``rho``, or by keeping exactly ``k`` active units per row (TopK).

    L1 matches Keras' ``activity_regularizer=l1(weight)``: ``weight * sum|z|`` per row. KL is the
    classic sparse-autoencoder penalty (Ng, CS294A notes): ``weight * sum_j KL(rho || rho_j)`` over
    the batch mean activation ``rho_j`` of sigmoid units. TopK follows Makhzani & Frey (2013),
    https://arxiv.org/abs/1312.5663, with units that stayed silent for ``dead_after`` steps counted
    as dead; the estimator's auxiliary loss revives them (Gao et al. 2024,
    https://arxiv.org/abs/2406.04093).
    """

    def __init__(self, d_in: int, latent_dim: int, activation_name: str, kind: str,
                 weight: float, rho: float = 0.05, k: int = 1, dead_after: int = 1000):
        super().__init__(d_in, latent_dim, "sigmoid" if kind == "kl" else activation_name)
        self.kind, self.weight, self.rho, self.k = kind, weight, rho, k
        self.dead_after = dead_after
        self.register_buffer("steps_silent", torch.zeros(latent_dim, dtype=torch.long))

    def code(self, h: torch.Tensor) -> torch.Tensor:
        z = super().code(h)
        if self.kind != "topk":
            return z
        top = z.topk(min(self.k, z.shape[1]), dim=1)
        return torch.zeros_like(z).scatter(1, top.indices, top.values.clamp_min(0))

    def dead_units(self) -> torch.Tensor:
        return self.steps_silent >= self.dead_after

    def forward(self, h):
        z = self.code(h)
        if self.kind == "l1":
            return z, {"sparsity": self.weight * z.abs().sum(1).mean()}
        if self.kind == "kl":
            rho_hat = z.mean(0).clamp(1e-6, 1 - 1e-6)
            rho = self.rho
            kl = rho * torch.log(rho / rho_hat) + (1 - rho) * torch.log((1 - rho) / (1 - rho_hat))
            return z, {"sparsity": self.weight * kl.sum()}
        if self.training:
            with torch.no_grad():
                fired = (z > 0).any(0)
                self.steps_silent.add_(1).masked_fill_(fired, 0)
        return z, {}

    def dead_code(self, h: torch.Tensor, k_aux: int) -> torch.Tensor:
        """The ``k_aux`` largest pre-activations among dead units (zeros if none are dead),
        as they are: a dead unit's are mostly negative, and a ReLU would give them no
        gradient to come back by."""
        pre = self.linear(h)
        masked = pre.masked_fill(~self.dead_units(), float("-inf"))
        # Live units are -inf here and picked as zeros, adding nothing: no branch on how many
        # are dead, hence no host sync (the step stays capturable as a CUDA graph).
        top = masked.topk(min(k_aux, masked.shape[1]), dim=1)
        values = torch.where(torch.isinf(top.values), torch.zeros_like(top.values), top.values)
        return torch.zeros_like(pre).scatter(1, top.indices, values)


class GaussianCode(nn.Module):
    """Diagonal Gaussian posterior ``q(z|x) = N(mu, sigma^2)`` sampled with the
    reparameterisation trick (Kingma & Welling 2014, https://arxiv.org/abs/1312.6114).

    ``kl_weight`` (beta, Higgins et al. 2017) is a buffer so a warm-up schedule can change it.
    Shapes: ``h`` ``(n, d_in)`` -> ``z``, ``mu``, ``logvar`` ``(n, latent_dim)``.
    """

    def __init__(self, d_in: int, latent_dim: int, beta: float = 1.0):
        super().__init__()
        self.mu = nn.Linear(d_in, latent_dim)
        self.logvar = nn.Linear(d_in, latent_dim)
        self.register_buffer("kl_weight", torch.tensor(float(beta)))

    def code(self, h: torch.Tensor) -> torch.Tensor:
        return self.mu(h)

    def posterior(self, h: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        return self.mu(h), self.logvar(h).clamp(-30, 20)

    @staticmethod
    def kl(mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """KL(q || N(0, I)) per row ``(n,)``."""
        return 0.5 * (mu.square() + logvar.exp() - 1 - logvar).sum(1)

    def forward(self, h):
        mu, logvar = self.posterior(h)
        z = mu + torch.randn_like(mu) * (0.5 * logvar).exp()
        return z, {"kl": self.kl_weight * self.kl(mu, logvar).mean()}

    @staticmethod
    def log_normal(z: torch.Tensor, mu: torch.Tensor, logvar: torch.Tensor) -> torch.Tensor:
        """log N(z; mu, exp(logvar)) summed over the last axis."""
        return -0.5 * (((z - mu) ** 2) / logvar.exp() + logvar + math.log(2 * math.pi)).sum(-1)
