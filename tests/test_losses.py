"""The fused BCE matches PyTorch's BCE-with-logits in value and gradient, extremes included."""

import pytest
import torch
import torch.nn.functional as F

from aekit.nn import Reconstruction
from aekit.nn.losses import LOG_BLOCK, BCEWithLogitsSum, sum_of_logs


@pytest.mark.parametrize("scale", [0.1, 3.0, 40.0, 200.0])
def test_fused_bce_matches_torch_in_float64(scale):
    generator = torch.Generator().manual_seed(0)
    pre = (torch.randn(64, 50, generator=generator) * scale).requires_grad_()
    target = torch.rand(64, 50, generator=generator)
    target[:, :5] = torch.tensor([0.0, 1.0, 0.0, 1.0, 0.5])  # exact labels, as in binary data
    fused = BCEWithLogitsSum.apply(pre, target)
    (grad,) = torch.autograd.grad(fused, pre)
    exact = F.binary_cross_entropy_with_logits(pre.double(), target.double(), reduction="sum")
    (exact_grad,) = torch.autograd.grad(exact, pre)
    # Per element the error is about float32 rounding (~6e-8 at saturated logits).
    fused, exact = float(fused.detach()), float(exact.detach())
    assert abs(fused - exact) <= 1e-6 * exact + 6e-8 * pre.numel()
    torch.testing.assert_close(grad, exact_grad.float(), atol=2e-7, rtol=1e-6)


@pytest.mark.parametrize("count", [1, LOG_BLOCK - 1, LOG_BLOCK, 5 * LOG_BLOCK + 7])
def test_sum_of_logs_matches_float64_logs(count):
    generator = torch.Generator().manual_seed(1)
    values = 0.5 + 0.5 * torch.rand(count, generator=generator)
    values[: count // 2] = 0.5  # the smallest products the blocks can form
    expected = float(values.double().log().sum())
    assert abs(float(sum_of_logs(values[None, :])[0]) - expected) <= 1e-7 * count
    assert abs(float(sum_of_logs(values)) - expected) <= 1e-7 * count  # 1-D: one total


def test_sum_of_logs_sums_each_row_alone():
    generator = torch.Generator().manual_seed(2)
    values = 0.5 + 0.5 * torch.rand(3, 2 * LOG_BLOCK + 5, generator=generator)
    torch.testing.assert_close(sum_of_logs(values), values.double().log().sum(1).float())


def test_fused_bce_gradient_is_not_reused_by_a_second_backward():
    pre = torch.randn(4, 8, requires_grad=True)
    loss = BCEWithLogitsSum.apply(pre, torch.rand(4, 8))
    loss.backward(retain_graph=True)
    with pytest.raises(RuntimeError, match="modified by an inplace operation"):
        loss.backward()


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_batch_loss_is_the_mean_row_loss(reduce):
    head = Reconstruction("bce", "sigmoid")
    pre = torch.randn(16, 3, 8, 8)
    target = torch.rand(16, 3, 8, 8)
    expected = head.row_loss(pre, target, reduce=reduce).mean()
    torch.testing.assert_close(head.batch_loss(pre, target, reduce=reduce), expected)
    with torch.no_grad():  # evaluation: no gradient buffer is kept, same value
        torch.testing.assert_close(head.batch_loss(pre, target, reduce=reduce), expected)


@pytest.mark.parametrize("reduce", ["mean", "sum"])
def test_scoring_rows_match_torch_bce(reduce):
    head = Reconstruction("bce", "sigmoid")
    generator = torch.Generator().manual_seed(2)
    pre = torch.randn(16, 3, 9, 9, generator=generator) * 20  # 243 values: blocks and a tail
    target = torch.rand(16, 3, 9, 9, generator=generator)
    exact = F.binary_cross_entropy_with_logits(pre.double(), target.double(), reduction="none")
    exact = exact.flatten(1).sum(1) if reduce == "sum" else exact.flatten(1).mean(1)
    with torch.no_grad():
        rows = head.row_loss(pre, target, reduce=reduce)
    torch.testing.assert_close(rows, exact.float(), rtol=1e-5, atol=1e-5)


def test_the_mask_of_a_batch_leaves_missing_cells_out_of_the_loss():
    from aekit.nn import AutoencoderNet, Batch, DenseCode, DenseDecoder, DenseEncoder

    torch.manual_seed(0)
    net = AutoencoderNet(DenseEncoder(5, (8,), "relu"), DenseCode(8, 2, "linear"),
                         DenseDecoder(2, (8,), 5, "relu"), Reconstruction("mse", "linear"))
    x, mask = torch.randn(6, 5), torch.ones(6, 5)
    mask[2, 3] = 0.0
    changed = x.clone()
    changed[2, 3] += 50.0  # a missing cell's value: the loss must not see it as a target
    with torch.no_grad():
        net.decoder.net[-1].weight.zero_()  # outputs independent of the input, to isolate it
        net.decoder.net[-1].bias.zero_()
        assert net(Batch(changed, mask=mask))["loss"] == net(Batch(x, mask=mask))["loss"]
        assert net(Batch(changed))["loss"] > net(Batch(x))["loss"]


def test_preprocessor_adds_the_axis_scales_zeroes_padding_and_inverts():
    from aekit.nn.preprocess import Preprocessor

    pre = Preprocessor(torch.tensor([1.0]), torch.tensor([2.0]), added_axis=2)
    x = torch.tensor([[3.0, 5.0, 7.0], [1.0, 9.0, 11.0]])  # series (n, T) -> (n, T, 1)
    z = pre(x, lengths=torch.tensor([3, 1]))
    assert z.shape == (2, 3, 1)
    torch.testing.assert_close(z[0, :, 0], torch.tensor([1.0, 2.0, 3.0]))
    torch.testing.assert_close(z[1, :, 0], torch.tensor([0.0, 0.0, 0.0]))  # (1-1)/2, padding
    torch.testing.assert_close(pre.inverse(pre(x)), x)


def test_preprocessor_zeroes_nan_padding_and_missing_cells_and_passes_identity_through():
    from aekit.nn.preprocess import Preprocessor

    pre = Preprocessor(torch.tensor([1.0, 0.0]), torch.tensor([2.0, 1.0]))
    x = torch.tensor([[3.0, float("nan")], [float("nan"), 4.0]])
    mask = (~torch.isnan(x)).float()
    torch.testing.assert_close(pre(x, mask=mask), torch.tensor([[1.0, 0.0], [0.0, 4.0]]))
    steps = torch.tensor([[[3.0, 1.0], [float("nan"), float("nan")]]])  # padded after step 1
    z = pre(steps, lengths=torch.tensor([1]))
    torch.testing.assert_close(z, torch.tensor([[[1.0, 1.0], [0.0, 0.0]]]))
    identity = Preprocessor(torch.zeros(2), torch.ones(2))
    assert identity(x) is x and identity.inverse(x) is x  # unscaled rows are not copied
