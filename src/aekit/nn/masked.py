"""An autoencoder for tables with holes: it sees which cells are observed and learns to fill the
rest by filling cells it hides from itself.

The network reads ``[x * visible, visible]`` (the values, missing cells at 0, next to the mask)
and predicts every cell; with a fitted normal model (``base``) the missing cells enter as their
conditional means instead, and the network adds its correction to them. Training hides a
random share of the observed cells as well (a
denoising autoencoder whose noise is masking, as in MIDA, Gondara & Wang 2018,
https://arxiv.org/abs/1705.02737, and ReMasker, Du et al. 2024,
https://arxiv.org/abs/2309.13793) and scores only observed cells, the hidden ones foremost:
a missing cell's value never reaches the loss.
"""

from __future__ import annotations

import torch
from torch import nn

from aekit.nn.batch import Batch
from aekit.nn.blocks import glorot_init_
from aekit.nn.gaussian import GaussianFill
from aekit.nn.losses import Reconstruction

# The share of the network's correction added to the base model's fill at inference (see
# ``reconstruct``); without a base model the network's output is the prediction itself.
INFERENCE_CORRECTION = 0.5


class MaskedAutoencoderNet(nn.Module):
    """Shapes: ``x`` ``(n, d)`` with missing cells set to 0 (the column mean, in standard
    units); ``mask`` ``(n, d)``, 1.0 where observed; codes ``(n, latent_dim)``.

    Parameters
    ----------
    encoder, latent, decoder : nn.Module
        ``(n, 2d) -> (n, h)``, ``h -> (z, terms)`` with a ``code`` method, ``z -> (n, d)``.
    head : Reconstruction
        The loss per cell (mse); its element mask weighs the cells.
    skip : nn.Linear or None
        ``(n, 2d) -> (n, d)``, added to the decoder's output: a linear path beside the
        non-linear one, so linear relations between columns need no detour through the code.
    base : GaussianFill or None
        A fitted normal model of the rows: the hidden cells enter the network as their
        conditional means given the visible ones (instead of 0), and the network's output is
        added to that fill, so it learns what the linear model misses.
    hide_rate : float
        Mean share of a row's observed cells hidden in each training pass. Each row draws its
        own share uniformly in ``[0, 2 * hide_rate]``, so the network sees rows from nearly
        complete to mostly empty.
    visible_weight : float
        Weight of the cells left visible in the loss, relative to the hidden ones (1.0).
    """

    def __init__(self, encoder: nn.Module, latent: nn.Module, decoder: nn.Module,
                 head: Reconstruction, *, skip: nn.Linear | None = None,
                 base: GaussianFill | None = None, hide_rate: float = 0.25,
                 visible_weight: float = 0.1):
        super().__init__()
        self.encoder, self.latent, self.decoder, self.head = encoder, latent, decoder, head
        self.skip = skip
        self.hide_rate, self.visible_weight = hide_rate, visible_weight
        self.base = base
        glorot_init_(self)

    # ------------------------------------------------------------------ parts
    def _inputs(self, x: torch.Tensor, visible: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        """``(fill, inputs)``: the rows with their hidden cells at 0 or the base model's
        conditional means, and the network's input (that fill beside the mask)."""
        fill = x * visible if self.base is None else self.base(x, visible)
        return fill, torch.cat([fill, visible], dim=1)

    def _pre(self, x: torch.Tensor, visible: torch.Tensor, correction: float = 1.0) -> torch.Tensor:
        """The prediction before the head; with a base model, its fill plus ``correction``
        times the network's output (1 in training)."""
        fill, inputs = self._inputs(x, visible)
        pre = self.decoder(self.latent.code(self.encoder(inputs)))
        if self.skip is not None:
            pre = pre + self.skip(inputs)
        return pre if self.base is None else fill + correction * pre

    def encode(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Codes of the rows given their observed cells."""
        return self.latent.code(self.encoder(self._inputs(x, mask)[1]))

    def decode(self, z: torch.Tensor) -> torch.Tensor:
        """The decoder's output for codes ``z``: a row's reconstruction only when the network
        has neither a skip path nor a base model (``decodes_alone``)."""
        return self.head.output(self.decoder(z))

    @property
    def decodes_alone(self) -> bool:
        """Whether a code alone gives a row's reconstruction: a skip path or a base model
        adds what the input gives directly."""
        return self.skip is None and self.base is None

    def reconstruct(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """The prediction of every cell from the observed ones. With a base model it is the
        mean of two predictors, the base's conditional mean and the network trained on top
        of it: the network's correction varies with its seed and the data's noise, and half
        of it has a quarter of that variance (in the design runs the mean was never the worse
        of the two, and the best of the three fills in 5 of 12 cases)."""
        return self.head.output(self._pre(x, mask, INFERENCE_CORRECTION))

    def impute(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """``x`` with its missing cells filled; observed cells are returned as they are."""
        return torch.where(mask > 0, x, self.reconstruct(x, mask))

    def hide(self, mask: torch.Tensor, generator: torch.Generator | None = None) -> torch.Tensor:
        """Which observed cells to hide ``(n, d)``: each row hides a share drawn uniformly in
        ``[0, 2 * hide_rate]`` of its cells (observed ones only)."""
        rate = torch.rand((mask.shape[0], 1), generator=generator, device=mask.device)
        draws = torch.rand(mask.shape, generator=generator, device=mask.device)
        return (draws < rate * (2 * self.hide_rate)).to(mask.dtype) * mask

    # ------------------------------------------------------------------ training
    def forward(self, batch: Batch) -> dict[str, torch.Tensor]:
        """The training loss: hide cells at random among the observed ones (``batch.mask``),
        predict them from the rest. Validation (evaluation mode) draws its own hidden cells the
        same way."""
        x, mask = batch.x, batch.mask
        hidden = self.hide(mask)
        visible = mask - hidden
        weights = hidden + self.visible_weight * visible  # missing cells weigh 0
        loss = self.head.batch_loss(self._pre(x, visible), x, weights)
        return {"loss": loss, "recon": loss.detach()}

    # ------------------------------------------------------------------ scoring
    def row_loss(self, x: torch.Tensor, mask: torch.Tensor) -> torch.Tensor:
        """Per-row reconstruction loss of the observed cells ``(n,)`` (nothing hidden), of the
        same prediction as ``reconstruct``."""
        return self.head.row_loss(self._pre(x, mask, INFERENCE_CORRECTION), x, mask)
