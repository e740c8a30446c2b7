"""Reconstruction heads: the output activation paired with the loss it is scored by."""

from __future__ import annotations

import torch
import torch.nn.functional as F
from torch import nn

from aekit.nn.blocks import activation

# mse and bce score values; ce scores token ids (text), whose logits the decoder gives per step
LOSSES = ("mse", "bce", "ce")


class Reconstruction(nn.Module):
    """Turns decoder pre-activations into outputs and per-row losses.

    ``loss="bce"`` with a sigmoid output is computed from the logits
    (``binary_cross_entropy_with_logits``), exact where ``log(sigmoid(x))`` would underflow.
    ``loss="ce"`` scores token logits ``(n, T, vocab)`` against integer targets ``(n, T)``.
    Losses are means over the scored elements of a row, as Keras reports them; an optional
    ``mask`` ``(n, T)`` leaves padded time steps out.

    Shapes: ``pre`` is ``(n, ...)``; ``row_loss`` returns ``(n,)``.
    """

    def __init__(self, loss: str = "mse", output_activation: str = "linear"):
        super().__init__()
        if loss == "bce" and output_activation != "sigmoid":
            raise ValueError("loss='bce' needs output_activation='sigmoid'")
        self.loss = loss
        self.output_activation = output_activation
        self.activation = activation(output_activation)

    def output(self, pre: torch.Tensor) -> torch.Tensor:
        if self.loss == "ce":
            return pre.argmax(dim=-1)
        return self.activation(pre)

    def elementwise(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Loss per element, shaped like ``target``."""
        if self.loss == "ce":
            return F.cross_entropy(pre.transpose(1, -1), target, reduction="none")
        if self.loss == "bce":
            if torch.jit.is_tracing():  # ONNX's form of this kernel takes log(sigmoid(x)): -inf
                return bce_elementwise(pre, target)
            return F.binary_cross_entropy_with_logits(pre, target, reduction="none")
        return (self.output(pre) - target).square()

    def row_loss(self, pre: torch.Tensor, target: torch.Tensor,
                 mask: torch.Tensor | None = None, reduce: str = "mean") -> torch.Tensor:
        """Loss per row, the mean (or ``reduce="sum"``) over its scored elements. Unmasked bce
        without a gradient (scoring, on the CPU) takes the fused path of ``bce_row_sums``."""
        if (self.loss == "bce" and mask is None and _fusable(pre)
                and not (torch.is_grad_enabled() and pre.requires_grad)):
            total = bce_row_sums(pre.float().flatten(1), target.flatten(1))
            return total if reduce == "sum" else total / pre.shape[1:].numel()
        losses = self.elementwise(pre, target)
        if mask is None:
            rows = losses.flatten(1)
            return rows.sum(1) if reduce == "sum" else rows.mean(1)
        weights = mask.reshape(mask.shape + (1,) * (losses.dim() - mask.dim())).expand_as(losses)
        total = (losses * weights).flatten(1).sum(1)
        return total if reduce == "sum" else total / weights.flatten(1).sum(1).clamp_min(1)

    def batch_loss(self, pre: torch.Tensor, target: torch.Tensor,
                   mask: torch.Tensor | None = None, reduce: str = "mean") -> torch.Tensor:
        """``row_loss(...).mean()``, the training objective. Unmasked bce in eager CPU code
        takes a fused path (``BCEWithLogitsSum``): the same value and gradient for a fraction
        of the work. GPUs keep PyTorch's kernels, which are fewer (launches, not arithmetic,
        cost there: measured slower on an H100), and so does ``torch.compile``, which fuses
        them itself."""
        if self.loss != "bce" or mask is not None or not _fusable(pre):
            return self.row_loss(pre, target, mask, reduce).mean()
        per_row = pre.shape[1:].numel() if reduce == "mean" else 1
        # float32 under bfloat16 autocast too, as autocast runs PyTorch's own BCE
        return BCEWithLogitsSum.apply(pre.float(), target) / (pre.shape[0] * per_row)

    def step_loss(self, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        """Per time step ``(n, T)``: the mean over the remaining axes (sequences only)."""
        losses = self.elementwise(pre, target)
        return losses.flatten(2).mean(dim=2) if losses.dim() > 2 else losses


def bce_elementwise(pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``binary_cross_entropy_with_logits(pre, target, reduction="none")`` as
    ``max(pre, 0) - pre * target + log(1 + exp(-|pre|))``: finite for every finite logit, in
    operations every exporter writes as they are."""
    return pre.clamp_min(0) - pre * target + torch.log1p(torch.exp(-pre.abs()))


def _fusable(pre: torch.Tensor) -> bool:
    """Whether the hand-fused bce serves ``pre``: eager CPU code (see ``batch_loss``), not a
    graph being traced for export (ONNX has no ``unfold`` of dynamic size)."""
    return (pre.device.type == "cpu" and not torch.compiler.is_compiling()
            and not torch.jit.is_tracing())


class BCEWithLogitsSum(torch.autograd.Function):
    """``binary_cross_entropy_with_logits(pre, target, reduction="sum")`` (gradient for
    ``pre`` only), computed from one sigmoid.

    PyTorch's kernel evaluates ``log_sigmoid`` in the forward pass and the sigmoid again in the
    backward pass; on small models these transcendental passes cost as much as the matrix
    products. Here ``s = sigmoid(pre)`` gives both: the gradient is ``s - target`` and, per
    element, ``softplus(pre) = max(pre, 0) - log(max(s, 1 - s))``, whose log argument lies in
    [0.5, 1] (absolute error about 6e-8 per element, from rounding ``s`` near 0 or 1). The logs
    are summed as logs of products over blocks (``sum_of_logs``): one log per block, not per
    element.
    """

    @staticmethod
    def forward(ctx, pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
        s = torch.sigmoid(pre)
        total = bce_sum(pre, s, target)
        if ctx.needs_input_grad[0]:
            ctx.save_for_backward(s.sub_(target))
        return total

    @staticmethod
    def backward(ctx, grad_total: torch.Tensor):
        (grad,) = ctx.saved_tensors
        # In place: the buffer is this node's own. A second backward through the same graph
        # (retain_graph=True) fails loudly on the version check instead of reusing it.
        return grad.mul_(grad_total), None


def bce_sum(pre: torch.Tensor, s: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``binary_cross_entropy_with_logits(pre, target, reduction="sum")`` given
    ``s = sigmoid(pre)`` (left unchanged). Flat, as one total: a reduction over one long
    row costs less than over rows."""
    flat = pre.reshape(-1)
    softplus = flat.clamp_min(0).sum() - sum_of_logs(_max_of_s_and_complement(s.reshape(-1)))
    return softplus - torch.dot(flat, target.reshape(-1).to(pre.dtype))


@torch.no_grad()
def bce_row_sums(pre: torch.Tensor, target: torch.Tensor) -> torch.Tensor:
    """``binary_cross_entropy_with_logits(pre, target, reduction="none").sum(1)`` for 2-D
    ``pre``, from one sigmoid as in ``BCEWithLogitsSum`` (no gradient)."""
    softplus = softplus_row_sums(pre, torch.sigmoid(pre))
    return softplus - torch.linalg.vecdot(pre, target.to(pre.dtype))


def softplus_row_sums(pre: torch.Tensor, s: torch.Tensor) -> torch.Tensor:
    """``softplus(pre).sum(1)`` for 2-D ``pre``, given ``s = sigmoid(pre)`` (left unchanged),
    as ``max(pre, 0) - log(max(s, 1 - s))`` per element."""
    return pre.clamp_min(0).sum(1) - sum_of_logs(_max_of_s_and_complement(s))


def _max_of_s_and_complement(s: torch.Tensor) -> torch.Tensor:
    """``max(s, 1 - s)``, a new tensor, in cheap in-place passes."""
    return (s - 0.5).abs_().add_(0.5)


LOG_BLOCK = 64  # 0.5**64 ~ 5e-20: a block's product stays a normal float32


def sum_of_logs(values: torch.Tensor) -> torch.Tensor:
    """``values.log().sum(-1)`` for 1-D or 2-D values in [0.5, 1], as the sum of the logs of
    the products of blocks of ``LOG_BLOCK`` values: a multiply per element instead of a log.
    The products' rounding (about 64 ulp at worst) is as small as the per-element logs' own."""
    width = values.shape[-1]
    whole = width - width % LOG_BLOCK
    if not whole:
        return values.log().sum(-1)
    # a view of values[..., :whole] as rows of LOG_BLOCK, multiplied along them
    logs = values[..., :whole].unflatten(-1, (-1, LOG_BLOCK)).prod(-1).log_().sum(-1)
    return logs if whole == width else logs + values[..., whole:].log().sum(-1)
