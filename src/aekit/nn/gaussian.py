"""A multivariate normal model of a table's rows, fitted with missing cells, that fills each
row's hidden cells with their conditional mean given its visible ones.

The conditional mean is linear in the visible cells and follows them beyond the range seen in
training, which a network trained on observed cells does not; the masked autoencoder learns
what is left over (``MaskedAutoencoderNet``'s ``base``).
"""

from __future__ import annotations

import torch
from torch import nn


class GaussianFill(nn.Module):
    """Fill hidden cells with ``E[x_hidden | x_visible]`` under ``N(mean, cov)``.

    A fill is kept within ``[low - span, high + span]`` (``span = high - low``, the range seen
    in training widened by its width on each side): beyond the range, as far as a linear
    relation carries, but not as far as a rare extreme value in a near-constant column would
    throw it.

    Shapes: ``x`` ``(n, d)`` (hidden cells: any finite value), ``visible`` ``(n, d)`` (1.0
    where visible) -> ``(n, d)``: the visible cells as given, the hidden ones filled. A row
    with nothing visible gets ``mean``. ``cov`` must be positive definite (``fit_gaussian``
    adds a ridge).
    """

    def __init__(self, d: int):
        super().__init__()
        self.register_buffer("mean", torch.zeros(d))
        self.register_buffer("cov", torch.eye(d))
        self.register_buffer("low", torch.full((d,), -torch.inf))
        self.register_buffer("high", torch.full((d,), torch.inf))

    def forward(self, x: torch.Tensor, visible: torch.Tensor) -> torch.Tensor:
        fill, _ = conditional(self.mean, self.cov, x, visible)
        span = self.high - self.low
        fill = torch.minimum(torch.maximum(fill, self.low - span), self.high + span)
        return torch.where(visible > 0, x, fill.to(x.dtype))


def conditional(mean: torch.Tensor, cov: torch.Tensor, x: torch.Tensor, visible: torch.Tensor,
                need_precision: bool = False) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Conditional means of every row ``(n, d)`` and, if asked, ``sum_r O_r M_r^-1 O_r``
    ``(d, d)`` (what the conditional covariances need).

    Each row's visible block is solved in one batched call: ``M_r = cov * o o^T + diag(1 - o)``
    is ``cov``'s visible block with the identity on the hidden cells, so ``M_r w = o * (x -
    mean)`` gives ``w`` zero on hidden cells and ``cov_oo^-1 (x_o - mean_o)`` on visible ones;
    ``mean + cov w`` is then ``x`` on visible cells and the conditional mean on hidden ones.
    """
    o = visible.to(cov.dtype)
    matrices = cov * (o.unsqueeze(2) * o.unsqueeze(1)) + torch.diag_embed(1 - o)
    residual = (o * (x.to(cov.dtype) - mean)).unsqueeze(2)
    # the _ex forms skip the check that would wait for the device (CUDA graphs cannot capture
    # it); the matrices are positive definite by construction
    if not need_precision:
        w = torch.linalg.solve_ex(matrices, residual).result.squeeze(2)
        return mean + w @ cov, None
    inverse = torch.linalg.inv_ex(matrices).inverse * (o.unsqueeze(2) * o.unsqueeze(1))
    w = (inverse @ residual).squeeze(2)
    return mean + w @ cov, inverse.sum(0)


@torch.no_grad()
def fit_gaussian(z: torch.Tensor, observed: torch.Tensor, ridge: float, max_iter: int,
                 tol: float = 1e-5, chunk: int = 512) -> tuple[torch.Tensor, torch.Tensor]:
    """Mean and covariance (plus ``ridge`` on the diagonal) of rows with missing cells, by
    expectation-maximisation (Little and Rubin, "Statistical Analysis with Missing Data",
    chapter 11). ``z`` ``(n, d)`` standardised, any finite value where ``observed`` is False.
    Stops when no entry of the covariance moves by more than ``tol`` in an iteration."""
    n, d = z.shape
    eye = torch.eye(d, dtype=z.dtype, device=z.device)
    mean, cov = torch.zeros(d, dtype=z.dtype, device=z.device), eye.clone()
    rows = (~observed.all(1)).nonzero().squeeze(1)  # the rows with missing cells
    for _ in range(max_iter):
        regular = cov + ridge * eye
        fill, precision = z.clone(), torch.zeros_like(cov)
        for part in rows.split(chunk):  # bounded memory: chunk x d x d
            fill[part], part_precision = conditional(mean, regular, z[part], observed[part],
                                                     need_precision=True)
            precision += part_precision
        # rows with missing cells add their conditional covariance (zero on the visible block)
        missing_cov = len(rows) * regular - regular @ precision @ regular
        new_mean = fill.mean(0)
        centred = fill - new_mean
        new_cov = (centred.T @ centred + missing_cov) / n
        change = (new_cov - cov).abs().max()
        mean, cov = new_mean, new_cov
        if change < tol:
            break
    return mean, cov + ridge * eye
