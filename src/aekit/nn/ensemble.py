"""An ensemble of small dense autoencoders trained as one batched network.

Each of the ``M`` members is its own dense autoencoder; their weights are stacked on a leading
axis, so every layer of all members runs as one batched matrix product (``torch.baddbmm``) and
ten members cost about what one does. Members differ, as in RandNet (Chen et al., SDM 2017,
https://doi.org/10.1137/1.9781611974973.11) and ROBOD (Ding et al., 2022,
https://arxiv.org/abs/2201.00382), by their random initialisation, their widths and code sizes
(units masked off per member) and a random subset of their connections (fixed 0/1 masks).
"""

from __future__ import annotations

import math
from collections.abc import Sequence

import torch
from torch import nn

from aekit.nn.batch import Batch
from aekit.nn.blocks import activation as make_activation
from aekit.nn.losses import Reconstruction


class StackedLinear(nn.Module):
    """``M`` independent linear maps at once, each limited to the connections ``mask`` keeps.

    Shapes: ``x`` ``(M, n, d_in)`` -> ``(M, n, d_out)``; ``mask`` ``(M, d_in, d_out)`` of 0/1;
    ``out_mask`` ``(M, 1, d_out)`` marks each member's active output units. Cut connections
    (and the biases of inactive units) start at zero and their gradients are masked to zero,
    so they stay zero under the optimizer, and the forward pass needs no mask at all.
    """

    def __init__(self, mask: torch.Tensor, out_mask: torch.Tensor):
        super().__init__()
        members, d_in, d_out = mask.shape
        bound = math.sqrt(6.0 / (d_in + d_out))  # Glorot-uniform, as the other aekit networks
        self.register_buffer("mask", mask.float())
        self.register_buffer("out_mask", out_mask.float())
        weight = torch.empty(members, d_in, d_out).uniform_(-bound, bound) * self.mask
        self.weight = nn.Parameter(weight)
        self.bias = nn.Parameter(torch.zeros(members, 1, d_out))
        self.weight.register_hook(lambda grad: grad * self.mask)
        self.bias.register_hook(lambda grad: grad * self.out_mask)

    def forward(self, x: torch.Tensor) -> torch.Tensor:
        return torch.baddbmm(self.bias, x, self.weight)


def member_sizes(full: int, members: int, smallest: float) -> list[int]:
    """Per member widths spread evenly from ``smallest * full`` to ``full`` (at least 1)."""
    if members == 1:
        return [full]
    return [max(1, round(full * (smallest + (1 - smallest) * m / (members - 1))))
            for m in range(members)]


def _connections(unit_in: torch.Tensor, unit_out: torch.Tensor, density: float) -> torch.Tensor:
    """0/1 ``(M, d_in, d_out)``: a random ``density`` of the connections between active units,
    with at least one kept into every active output unit (so no unit is cut off)."""
    active = unit_in[:, :, None] * unit_out[:, None, :]
    keep = (torch.rand(active.shape) < density).float() * active
    # one guaranteed input per active output: a random active input unit
    pick = torch.multinomial(unit_in.float(), active.shape[2], replacement=True)
    forced = torch.zeros_like(keep).scatter_(1, pick[:, None, :], 1.0) * unit_out[:, None, :]
    return torch.maximum(keep, forced)


class EnsembleNet(nn.Module):
    """``M`` dense autoencoders ``d -> hidden... -> code -> ...hidden -> d`` trained at once.

    Member ``m`` uses the first ``widths[m]`` units of each layer (its share of the full width,
    from ``smallest`` to 1) and a random ``density`` of their connections. ``forward`` returns
    the members' losses summed (each member's gradient is what it would get alone); with
    ``trim > 0`` each member leaves out the worst-reconstructed ``trim`` of the rows of a batch,
    so that rare rows are not learnt.

    Shapes: ``x`` ``(n, d)``; codes ``(n, M * latent_dim)`` (the members' side by side, zeros
    in switched-off units); ``member_outputs`` ``(n, M, d)``.
    """

    def __init__(self, n_features: int, hidden_dims: Sequence[int], latent_dim: int,
                 members: int, activation: str, head: Reconstruction, *,
                 density: float = 1.0, smallest: float = 0.5, trim: float = 0.0):
        super().__init__()
        self.members, self.latent_dim, self.trim, self.head = members, latent_dim, trim, head
        full = [n_features, *hidden_dims, latent_dim, *reversed(hidden_dims), n_features]
        units = []
        for i, width in enumerate(full):
            if i in (0, len(full) - 1):  # every member reads and writes every feature
                units.append(torch.ones(members, width))
            else:
                sizes = member_sizes(width, members, smallest)
                units.append((torch.arange(width)[None, :] < torch.tensor(sizes)[:, None]).float())
        self.layers = nn.ModuleList(
            StackedLinear(_connections(units[i], units[i + 1], density), units[i + 1][:, None, :])
            for i in range(len(full) - 1))
        self.code_layer = len(hidden_dims) + 1  # layers before (and including) the code
        self.activation = make_activation(activation)

    def _run(self, h: torch.Tensor, layers) -> torch.Tensor:
        for layer in layers:
            h = self.activation(layer(h))
        return h

    def _codes(self, x: torch.Tensor) -> torch.Tensor:
        """``(M, n, latent_dim)``."""
        h = x.unsqueeze(0).expand(self.members, *x.shape)
        return self._run(h, self.layers[:self.code_layer])

    def _pre(self, z: torch.Tensor) -> torch.Tensor:
        """Decoder pre-activations ``(M, n, d)`` from member codes ``(M, n, latent_dim)``."""
        h = self._run(z, self.layers[self.code_layer:-1])
        return self.layers[-1](h)

    def encode(self, x: torch.Tensor, lengths=None) -> torch.Tensor:
        return self._codes(x).transpose(0, 1).flatten(1)

    def decode(self, z: torch.Tensor, lengths=None) -> torch.Tensor:
        """The members' mean output from codes ``(n, M * latent_dim)``."""
        z = z.reshape(z.shape[0], self.members, self.latent_dim).transpose(0, 1)
        return self.head.output(self._pre(z)).mean(0)

    def member_outputs(self, x: torch.Tensor) -> torch.Tensor:
        """Each member's reconstruction, rows first ``(n, M, d)`` (so row batches concatenate)."""
        return self.head.output(self._pre(self._codes(x))).transpose(0, 1)

    def reconstruct(self, x: torch.Tensor, lengths=None) -> torch.Tensor:
        return self.head.output(self._pre(self._codes(x))).mean(0)

    def _member_rows(self, x: torch.Tensor) -> torch.Tensor:
        """Per member and row loss ``(M, n)``."""
        pre = self._pre(self._codes(x))
        return self.head.elementwise(pre, x.unsqueeze(0).expand_as(pre)).mean(2)

    def forward(self, batch: Batch) -> dict[str, torch.Tensor]:
        if not batch.only_x:  # never silently drop a mask or lengths
            raise ValueError("EnsembleNet trains on whole rows: a batch with a mask or lengths "
                             "needs another network")
        x = batch.x
        rows = self._member_rows(x)
        n_keep = len(x) - int(self.trim * len(x)) if self.training else len(x)
        if n_keep < len(x):
            cutoff = rows.detach().kthvalue(n_keep, dim=1, keepdim=True).values
            keep = (rows.detach() <= cutoff).float()
            per_member = (rows * keep).sum(1) / keep.sum(1)
        else:
            per_member = rows.mean(1)
        loss = per_member.sum()
        return {"loss": loss, "recon": per_member.detach().mean()}

    def row_loss(self, x: torch.Tensor, lengths=None) -> torch.Tensor:
        """The members' mean loss per row ``(n,)``."""
        return self._member_rows(x).mean(0)
