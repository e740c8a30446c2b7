"""The autoencoder network, composed of interchangeable parts.

``encoder`` (dense, convolutional or recurrent) -> ``latent`` (plain, sparse or Gaussian code)
-> ``decoder`` -> ``head`` (output activation and reconstruction loss), with an optional input
``corruption`` (denoising) and input ``binarize`` (dynamic binarisation). Every variant is a
choice of parts; none is a copy of another.
"""

from __future__ import annotations

import math

import torch
from torch import nn

from aekit.nn.batch import Batch
from aekit.nn.blocks import glorot_init_
from aekit.nn.latent import GaussianCode
from aekit.nn.losses import Reconstruction
from aekit.nn.noise import Corruption

VALIDATION_NOISE_SEED = 20261128  # any fixed seed: validation rows corrupted alike each epoch


def length_mask(lengths: torch.Tensor | None, steps: int) -> torch.Tensor | None:
    """``(n, steps)`` float mask of the valid time steps, or None for full-length rows."""
    if lengths is None:
        return None
    return (torch.arange(steps, device=lengths.device)[None, :] < lengths[:, None]).float()


class AutoencoderNet(nn.Module):
    """Shapes: ``x`` ``(n, ...)`` as the encoder expects; codes ``(n, latent_dim)``.

    ``forward`` returns the loss terms it owns: ``loss`` (what the loop minimises), ``recon``
    and, depending on the parts, ``kl``, ``sparsity`` or ``aux``. With a Gaussian code the
    reconstruction is summed over elements, so ``loss`` is the negative ELBO in nats.
    """

    def __init__(self, encoder: nn.Module, latent: nn.Module, decoder: nn.Module,
                 head: Reconstruction, *, corruption: Corruption | None = None,
                 binarize: bool = False, aux_k: int = 0, aux_weight: float = 1 / 32):
        super().__init__()
        self.encoder, self.latent, self.decoder, self.head = encoder, latent, decoder, head
        self.corruption = corruption
        self._validation_noise: torch.Generator | None = None
        self.binarize = binarize
        self.aux_k, self.aux_weight = aux_k, aux_weight
        self.variational = isinstance(latent, GaussianCode)
        glorot_init_(self)

    # ------------------------------------------------------------------ parts
    def encode(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Codes (the posterior mean for a Gaussian code)."""
        return self.latent.code(self._encode_parts(x, lengths))

    def decode(self, z: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.head.output(self._decode_parts(z, lengths))

    def reconstruct(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        return self.decode(self.encode(x, lengths), lengths)

    def _encode_parts(self, x: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        """The encoder's output; only sequence encoders take ``lengths``."""
        return self.encoder(x) if lengths is None else self.encoder(x, lengths)

    def _decode_parts(self, z: torch.Tensor, lengths: torch.Tensor | None) -> torch.Tensor:
        return self.decoder(z) if lengths is None else self.decoder(z, lengths)

    def _mask(self, x: torch.Tensor, lengths: torch.Tensor | None):
        return length_mask(lengths, x.shape[1])

    def _loss_mask(self, batch: Batch) -> torch.Tensor | None:
        """The cells the loss counts: observed (``batch.mask``) and within each sequence."""
        steps = self._mask(batch.x, batch.lengths)
        if batch.mask is None:
            return steps
        if steps is None:
            return batch.mask
        return batch.mask * steps.reshape(*steps.shape, *([1] * (batch.mask.dim() - 2)))

    def _recon_rows(self, pre, target, mask) -> torch.Tensor:
        # the ELBO needs log p(x|z) summed over elements, not averaged
        return self.head.row_loss(pre, target, mask, reduce="sum" if self.variational else "mean")

    def manual_chain(self) -> tuple[list[nn.Module], str] | None:
        """``(layers, loss)``: the layers of the whole network in order (the output activation
        last for MSE) and the loss's name, when
        the network is a plain chain whose only loss is BCE or MSE: what a step with its
        backward pass written out can train. None when any part adds something (a loss term,
        noise, a skip path) that such a step would miss."""
        if (self.corruption is not None or self.binarize or self.aux_k
                or self.head.loss not in ("bce", "mse")):
            return None
        parts = [getattr(part, "manual_layers", lambda: None)()
                 for part in (self.encoder, self.latent, self.decoder)]
        if any(layers is None for layers in parts):
            return None
        tail = [self.head.activation] if self.head.loss == "mse" else []
        return [layer for layers in parts for layer in layers] + tail, self.head.loss

    # ------------------------------------------------------------------ training
    def forward(self, batch: Batch):
        """The loss terms of ``batch``; its ``mask`` (observed cells) and ``lengths`` (valid
        steps) both leave cells out of the reconstruction loss."""
        x, lengths = batch.x, batch.lengths
        if self.binarize and self.training:
            x = torch.bernoulli(x)
        source = x if self.corruption is None else self._corrupted(x)
        h = self._encode_parts(source, lengths)
        z, terms = self.latent(h)
        pre = self._decode_parts(z, lengths)
        recon = self.head.batch_loss(pre, x, self._loss_mask(batch),
                                     reduce="sum" if self.variational else "mean")
        loss = recon
        for term in terms.values():  # no extra op in the plain case: this is the hot path
            loss = loss + term
        if self.aux_k and self.training:
            terms["aux"] = self.aux_weight * self._aux_loss(h, pre, x, lengths)
            loss = loss + terms["aux"]
        return {"loss": loss, "recon": recon.detach(), **{k: v.detach() for k, v in terms.items()}}

    def _corrupted(self, x: torch.Tensor) -> torch.Tensor:
        """Fresh noise in training; in evaluation (validation: the only use of ``forward``
        outside training) noise drawn from a generator seeded afresh at each pass, so that
        ``val_loss`` measures denoising, as the training loss does, and every epoch's pass
        sees the same noise (each batch its own)."""
        if self.training:
            return self.corruption(x)
        if self._validation_noise is None or self._validation_noise.device != x.device:
            self._validation_noise = torch.Generator(x.device).manual_seed(VALIDATION_NOISE_SEED)
        return self.corruption(x, self._validation_noise)

    def train(self, mode: bool = True):
        self._validation_noise = None  # each evaluation pass starts its noise afresh
        return super().train(mode)

    def _aux_loss(self, h, pre, x, lengths) -> torch.Tensor:
        """TopK's auxiliary loss: what the dead units would add must explain the residual."""
        z_dead = self.latent.dead_code(h, self.aux_k)
        base = pre.detach()
        extra = (self._decode_parts(z_dead, lengths)
                 - self._decode_parts(torch.zeros_like(z_dead), lengths))
        residual = (x - self.head.output(base)).detach()
        return (self.head.output(base + extra) - self.head.output(base) - residual).square().mean()

    # ------------------------------------------------------------------ scoring
    def row_loss(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Per-row loss ``(n,)``, deterministic (a Gaussian code uses its mean): the
        reconstruction loss, plus the KL term for a Gaussian code (the negative ELBO)."""
        h = self._encode_parts(x, lengths)
        pre = self._decode_parts(self.latent.code(h), lengths)
        rows = self._recon_rows(pre, x, self._mask(x, lengths))
        if self.variational:
            rows = rows + GaussianCode.kl(*self.latent.posterior(h))
        return rows

    def step_loss(self, x: torch.Tensor, lengths: torch.Tensor | None = None) -> torch.Tensor:
        """Reconstruction loss per time step ``(n, T)`` for sequences (padding included)."""
        return self.head.step_loss(self._decode_parts(self.encode(x, lengths), lengths), x)

    @torch.no_grad()
    def log_likelihood(self, x: torch.Tensor, k: int) -> torch.Tensor:
        """Importance-sampled ``log p(x)`` per row with ``k`` samples: the IWAE bound
        (Burda et al. 2016, https://arxiv.org/abs/1509.00519). Gaussian codes only."""
        mu, logvar = self.latent.posterior(self.encoder(x))
        std = (0.5 * logvar).exp()
        total = torch.full_like(mu[:, 0], -torch.inf)
        # the summed squared error is -log N(x; mean, 1/2) less this constant per value; BCE
        # is the Bernoulli log-likelihood itself
        constant = -0.5 * math.log(math.pi) * x[0].numel() if self.head.loss == "mse" else 0.0
        for _ in range(k):  # a running log-sum-exp keeps memory flat in k
            z = mu + torch.randn_like(mu) * std
            log_px = constant - self._recon_rows(self.decoder(z), x, None)
            log_pz = GaussianCode.log_normal(z, torch.zeros_like(z), torch.zeros_like(z))
            log_qz = GaussianCode.log_normal(z, mu, logvar)
            total = torch.logaddexp(total, log_px + log_pz - log_qz)
        return total - torch.log(torch.tensor(float(k)))

    @torch.no_grad()
    def sample(self, n: int, latent_dim: int,
               generator: torch.Generator | None = None) -> torch.Tensor:
        """Decode ``n`` codes drawn from the standard normal prior."""
        device = next(self.parameters()).device
        return self.decode(torch.randn((n, latent_dim), generator=generator).to(device))
