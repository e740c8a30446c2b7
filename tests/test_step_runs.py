"""Runs of several steps per CUDA graph (``aekit.train.cuda_graph``), followed on the CPU.

No GPU is needed: a stand-in for recording returns the recorded function itself, so that a
"replay" runs it again. Everything else is the code that runs on a GPU: the warm-up, the
epoch's order on the device, each step's batch gathered at ``position + j`` of it, the runs
and the steps left over, the short last batch, recording again after a change of learning
rate, and the losses the loop reads. On a GPU, ``tests/test_fast_paths.py``'s CUDA tests run
the real graphs (``benchmarks/device_check.sh``)."""

from typing import ClassVar

import numpy as np
import pytest
import torch
from conftest import quick

from aekit import Autoencoder, DenoisingAutoencoder
from aekit.nn import Batch
from aekit.train import Callback, LearningRateScheduler, cuda_graph, step
from aekit.train.cuda_graph import StepRun, steps_per_run
from aekit.train.data import TensorBatches


class RecordedOnCpu(step.CudaGraphStep):
    """The graph step with recording replaced by running again; counts what ran how."""

    MOST_STEPS_PER_GRAPH = 5
    counts: ClassVar[dict] = {"recorded": 0, "run steps": 0, "single steps": 0}
    sizes: ClassVar[list] = []

    @staticmethod
    def record(body):
        RecordedOnCpu.counts["recorded"] += 1
        return body

    def _on_side_stream(self, batch):  # no CUDA streams on the CPU
        return self.update(self.module, batch)

    def run_epoch(self, batches):
        for losses, rows in super().run_epoch(batches):
            kind = "run steps" if losses.dim() else "single steps"
            self.counts[kind] += len(losses) if losses.dim() else 1
            if losses.dim():
                self.sizes.append(len(losses))
            yield losses, rows


@pytest.fixture
def recorded_on_cpu():
    RecordedOnCpu.counts.update(dict.fromkeys(RecordedOnCpu.counts, 0))
    RecordedOnCpu.sizes.clear()
    return RecordedOnCpu


def assert_same_fit(a, b, rtol=1e-6):
    for key in ("loss", "val_loss"):
        np.testing.assert_allclose(b.history_[key], a.history_[key], rtol=rtol)
    for (name, p), q in zip(a.module_.state_dict().items(), b.module_.state_dict().values()):
        torch.testing.assert_close(q, p, rtol=rtol, atol=rtol / 10, msg=name)


@pytest.mark.parametrize("params", [
    {"shuffle": True},
    {"shuffle": False},
    {"shuffle": True, "callbacks": [LearningRateScheduler(lambda epoch, lr: 1e-3 / (1 + epoch))]},
])
def test_runs_of_steps_follow_the_step_by_step_trajectory(digits_split, recorded_on_cpu,
                                                          monkeypatch, params):
    # 1347 rows, 10% for validation: 1212 in batches of 64, 18 full ones and a short last.
    fit = dict(hidden_dims=(16,), validation_split=0.1, **quick(epochs=3, batch_size=64),
               **params)
    callbacks = fit.pop("callbacks", [])
    plain = Autoencoder(compile="none", callbacks=callbacks, **fit).fit(digits_split[0])
    monkeypatch.setitem(step.STEPS, "none", recorded_on_cpu)  # now the graph step, on the CPU
    runs = Autoencoder(compile="none", callbacks=callbacks, **fit).fit(digits_split[0])
    assert_same_fit(plain, runs)
    counts = recorded_on_cpu.counts
    # steps_per_run(18, 5) = 4: after 3 warm-up steps, runs at 3, 7, 11 (first epoch), then at
    # 0, 4, 8, 12 in each later epoch; the rest one by one, the short last batch included.
    assert set(recorded_on_cpu.sizes) == {4}
    if callbacks:  # a new rate every epoch: runs only until the rate is seen to change
        assert counts["run steps"] == 4 * 3
        assert counts["recorded"] == 1 + 3  # that run, and one single step per rate
    else:
        assert counts["run steps"] == 4 * (3 + 4 + 4)
        assert counts["recorded"] == 2  # one run and one single step
    assert counts["single steps"] == 3 * 19 - counts["run steps"]


def test_runs_come_back_once_the_learning_rate_holds_still(digits_split, recorded_on_cpu,
                                                            monkeypatch):
    def halve_once():
        return [LearningRateScheduler(lambda epoch, lr: 1e-3 if epoch < 1 else 5e-4)]

    fit = dict(hidden_dims=(16,), validation_split=0.1, **quick(epochs=4, batch_size=64))
    plain = Autoencoder(compile="none", callbacks=halve_once(), **fit).fit(digits_split[0])
    monkeypatch.setitem(step.STEPS, "none", recorded_on_cpu)
    runs = Autoencoder(compile="none", callbacks=halve_once(), **fit).fit(digits_split[0])
    assert_same_fit(plain, runs)
    # epoch 1: runs; epoch 2 (the new rate): one graph per step; epochs 3 and 4: runs again
    assert recorded_on_cpu.counts["run steps"] == 4 * (3 + 0 + 4 + 4)
    assert recorded_on_cpu.counts["recorded"] == 4  # two runs and two single steps


class BatchLosses(Callback):
    """Reads every batch's loss (as a progress display would)."""

    reads_batches_only = True

    def __init__(self):
        self.seen = []

    def on_batch_end(self, state, batch, loss):
        self.seen.append((state.epoch, batch, loss))  # kept: read only after the fit


class PerBatchRate(Callback):
    """Steers training between steps: a new learning rate after every batch."""

    def on_batch_end(self, state, batch, loss):
        for group in state.optimizer.param_groups:
            group["lr"] = 1e-3 / (1 + 0.01 * batch)


def test_callbacks_see_every_batch_loss_as_step_by_step(digits_split, recorded_on_cpu,
                                                        monkeypatch):
    fit = dict(hidden_dims=(16,), validation_split=0.1, **quick(epochs=2, batch_size=64))
    plain_seen, runs_seen = BatchLosses(), BatchLosses()
    Autoencoder(compile="none", callbacks=[plain_seen], **fit).fit(digits_split[0])
    monkeypatch.setitem(step.STEPS, "none", recorded_on_cpu)
    Autoencoder(compile="none", callbacks=[runs_seen], **fit).fit(digits_split[0])
    assert recorded_on_cpu.counts["run steps"] > 0
    assert [key[:2] for key in runs_seen.seen] == [key[:2] for key in plain_seen.seen]
    np.testing.assert_allclose([float(k[2]) for k in runs_seen.seen],
                               [float(k[2]) for k in plain_seen.seen], rtol=1e-6)


def test_a_callback_that_steers_between_steps_gets_one_step_at_a_time(
        digits_split, recorded_on_cpu, monkeypatch):
    fit = dict(hidden_dims=(16,), validation_split=0.1, **quick(epochs=2, batch_size=64))
    plain = Autoencoder(compile="none", callbacks=[PerBatchRate()], **fit).fit(digits_split[0])
    monkeypatch.setitem(step.STEPS, "none", recorded_on_cpu)
    steered = Autoencoder(compile="none", callbacks=[PerBatchRate()], **fit).fit(
        digits_split[0])
    assert recorded_on_cpu.counts["run steps"] == 0
    assert_same_fit(plain, steered)


def test_a_run_that_cannot_be_recorded_leaves_one_graph_per_step(
        digits_split, recorded_on_cpu, monkeypatch):
    def fail(*args, **kwargs):
        raise RuntimeError("operation not permitted when stream is capturing")

    fit = dict(hidden_dims=(16,), validation_split=0.1, **quick(epochs=2, batch_size=64))
    plain = Autoencoder(compile="none", **fit).fit(digits_split[0])
    monkeypatch.setitem(step.STEPS, "none", recorded_on_cpu)
    monkeypatch.setattr(cuda_graph, "StepRun", fail)
    with pytest.warns(RuntimeWarning, match="they go one graph per step"):
        fallen_back = Autoencoder(compile="none", **fit).fit(digits_split[0])
    assert recorded_on_cpu.counts["run steps"] == 0
    assert recorded_on_cpu.counts["recorded"] == 1  # the one-step graph, still in use
    assert_same_fit(plain, fallen_back)


def test_a_run_gathers_the_batches_of_the_epochs_order():
    x = torch.arange(40, dtype=torch.float32).reshape(20, 2)
    batches = TensorBatches(x, batch_size=4, shuffle=True,
                            generator=torch.Generator().manual_seed(3))
    seen = []

    def update(batch):
        seen.append(batch.x.clone())
        return batch.x.sum()

    run = StepRun(update, batches, size=2, record=lambda body: body)
    order = batches.draw_order()
    expected = [batches.cut(order, start).x for start in batches.starts()]
    losses = run(order, 1)
    torch.testing.assert_close(seen, expected[1:3])
    torch.testing.assert_close(losses, torch.stack([b.sum() for b in expected[1:3]]))
    seen.clear()
    run(None, 3)  # the rows as stored
    torch.testing.assert_close(seen, [x[12:16], x[16:20]])


def test_a_run_keeps_the_memory_its_graph_reads():
    """A CUDA graph reads its inputs at fixed addresses: a tensor the recorded function reads
    must live as long as the run (a local one is freed after recording and its memory reused:
    on a GPU the replays then gathered out of bounds)."""
    batches = TensorBatches(torch.randn(20, 2), batch_size=4, shuffle=True,
                            generator=torch.Generator().manual_seed(0))
    bodies = []
    run = StepRun(lambda batch: batch.x.sum(), batches, size=3,
                  record=lambda body: bodies.append(body) or body)
    read = [cell.cell_contents for cell in bodies[0].__closure__
            if torch.is_tensor(cell.cell_contents)]
    kept = [t for t in (*vars(run).values(), *batches.data) if torch.is_tensor(t)]
    kept_memory = {t.untyped_storage().data_ptr() for t in kept}
    assert read and all(t.untyped_storage().data_ptr() in kept_memory for t in read)
    # and what the body reads through the run itself
    assert all(torch.is_tensor(getattr(run, name)) for name in ("order", "position", "offsets"))


def test_streamed_batches_go_step_by_step(recorded_on_cpu):
    """Batches without an order on the device (a stream, a list) take the one-step path."""
    module = torch.nn.Linear(3, 3)
    graph_step = recorded_on_cpu(_LossOf(module), torch.optim.Adam(module.parameters()))
    batches = [Batch(torch.randn(8, 3)) for _ in range(6)]
    pairs = list(graph_step.run_epoch(batches))
    assert [rows for _, rows in pairs] == [8] * 6
    assert all(loss.dim() == 0 for loss, _ in pairs)


class _LossOf(torch.nn.Module):
    def __init__(self, inner):
        super().__init__()
        self.inner = inner

    def forward(self, batch):
        return {"loss": ((self.inner(batch.x) - batch.x) ** 2).mean()}


@pytest.mark.parametrize(("full", "most", "size"), [
    (0, 128, 1), (1, 128, 1), (2, 128, 2), (128, 128, 128), (129, 128, 64), (234, 128, 117),
    (3906, 128, 126), (18, 5, 4),
])
def test_steps_per_run_are_balanced(full, most, size):
    assert steps_per_run(full, most) == size
    if size > 1:
        runs = full // size
        assert size <= most and full - runs * size < runs  # fewer left over than runs


@pytest.mark.skipif(not torch.cuda.is_available(), reason="needs a CUDA GPU")
@pytest.mark.parametrize(("make", "extra"), [
    (Autoencoder, {}),
    (Autoencoder, {"shuffle": False}),
    (DenoisingAutoencoder, {}),  # random noise in every step: the graphs' generator offsets
])
def test_runs_of_real_cuda_graphs_follow_the_eager_trajectory(digits_split, monkeypatch, make,
                                                              extra):
    fit = dict(hidden_dims=(16,), validation_split=0.1,
               **quick(device="cuda", epochs=3, batch_size=64), **extra)
    plain = make(compile="none", **fit).fit(digits_split[0])
    monkeypatch.setattr(step.CudaGraphStep, "MOST_STEPS_PER_GRAPH", 5)
    replays, replay = [], StepRun.__call__

    def counted(run, order, position):
        replays.append(position)
        return replay(run, order, position)

    monkeypatch.setattr(StepRun, "__call__", counted)
    runs = make(compile="cuda_graph", **fit).fit(digits_split[0])
    assert_same_fit(plain, runs, rtol=1e-4)
    assert replays == [3, 7, 11] + [0, 4, 8, 12] * 2  # as on the CPU above
