"""How many CPU threads a training run uses.

PyTorch splits each operation over all cores. A small network's step is too short to share:
on an idle 2-core machine a second thread changed small fits' epochs by -12% to +16%, and
beside one busy process it made them 4.4 to 5.1 times slower, as every operation waited for a
thread the system had not scheduled (``benchmarks/threads.py``, BENCHMARKS.md). So a run whose
steps are small trains on one thread, chosen from the step's arithmetic (the same choice on
every machine, so that ``random_state`` gives the same fit), and every other run keeps
PyTorch's setting.
"""

from __future__ import annotations

import contextlib
import math
from collections.abc import Iterator

import torch
from torch import nn

from aekit.nn.batch import Batch

# Floating-point operations of one training step (forward and backward) below which a run
# trains on one thread: the imputer's defaults fall below, and Autoencoder's on tables of up to
# about 100 columns at batch 64 (a few thousand rows), about 30 at batch 256; from about 20
# MFLOP a second thread saved 15% or more on an idle machine.
SHARED_STEP_FLOP = 16e6


@contextlib.contextmanager
def cpu_threads(module: nn.Module, batches) -> Iterator[None]:
    """Within the block, one thread if ``module``'s steps on ``batches`` (a batch source with
    an ``example()`` batch) are small and run on the CPU; otherwise PyTorch's setting."""
    before = torch.get_num_threads()
    example = getattr(batches, "example", None)
    if (before == 1 or example is None
            or next(module.parameters()).device.type != "cpu"
            or step_flop(module, example()) >= SHARED_STEP_FLOP):
        yield
        return
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(before)


def step_flop(module: nn.Module, batch: Batch) -> float:
    """Floating-point operations of one training step on ``batch``: three times its forward
    pass (the backward pass costs about twice the forward's), counted by PyTorch's
    ``FlopCounterMode`` (matrix products and convolutions), in evaluation mode and with the
    random number generators left as they were."""
    from torch.utils.flop_counter import FlopCounterMode

    was_training = module.training
    module.eval()
    # an LSTM layer runs on the CPU as one oneDNN kernel, which PyTorch does not count
    recurrent = {torch.ops.aten.mkldnn_rnn_layer: _rnn_layer_flop}
    try:
        with torch.random.fork_rng(devices=[]), torch.no_grad(), \
                FlopCounterMode(display=False, custom_mapping=recurrent) as counter:
            module(batch)
    finally:
        module.train(was_training)
    return 3.0 * counter.get_total_flops()


def _rnn_layer_flop(input_shape, input_weights, hidden_weights, *args, **kwargs) -> int:
    """One LSTM layer's products: each of its time steps and rows multiplies the input by
    the input weights (4H x I) and the hidden state by the hidden weights (4H x H)."""
    steps_and_rows = input_shape[0] * input_shape[1]
    return 2 * steps_and_rows * (math.prod(input_weights) + math.prod(hidden_weights))
