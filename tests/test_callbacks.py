"""Callbacks and the loop, through the estimator and on their own."""

import math
import warnings

import numpy as np
import pytest
import torch
from conftest import quick

import aekit
from aekit import Autoencoder
from aekit.train import (
    Callback,
    EarlyStopping,
    LearningRateScheduler,
    ModelCheckpoint,
    ReduceLROnPlateau,
    TensorBatches,
    TrainState,
    run,
)


def test_learning_rate_scheduler_sets_each_epoch(digits_split):
    schedule = LearningRateScheduler(lambda epoch, lr: 1e-3 * 0.5 ** epoch)
    ae = Autoencoder(callbacks=[schedule], **quick(epochs=4)).fit(digits_split[0])
    np.testing.assert_allclose(ae.history_["lr"], [1e-3, 5e-4, 2.5e-4, 1.25e-4])


def test_reduce_lr_on_plateau():
    state = TrainState(module=torch.nn.Linear(1, 1), optimizer=None, epochs=10)
    state.optimizer = torch.optim.SGD(state.module.parameters(), lr=1.0)
    callback = ReduceLROnPlateau(factor=0.5, patience=2)
    callback.on_train_begin(state)
    for loss in [1.0, 0.9, 0.95, 0.95, 0.95, 0.95]:
        callback.on_epoch_end(state, {"loss": loss})
    assert state.learning_rate == pytest.approx(0.25)


def test_model_checkpoint_writes_loadable_models(digits_split, tmp_path):
    X_train, X_test = digits_split
    pattern = str(tmp_path / "epoch-{epoch:02d}.safetensors")
    ae = Autoencoder(callbacks=[ModelCheckpoint(pattern)], **quick(epochs=3)).fit(X_train)
    files = sorted(p.name for p in tmp_path.iterdir())
    assert files == ["epoch-01.safetensors", "epoch-02.safetensors", "epoch-03.safetensors"]
    last = aekit.load(tmp_path / "epoch-03.safetensors")
    np.testing.assert_array_equal(last.transform(X_test), ae.transform(X_test))


def test_checkpoint_best_only(digits_split, tmp_path):
    best = ModelCheckpoint(tmp_path / "best.safetensors", save_best_only=True)
    Autoencoder(validation_data=digits_split[1], callbacks=[best],
                **quick(epochs=2)).fit(digits_split[0])
    assert (tmp_path / "best.safetensors").is_file()


def test_user_callback_sees_every_hook(digits_split):
    class Recorder(Callback):
        def __init__(self):
            self.events = []

        def on_train_begin(self, state):
            self.events.append("begin")

        def on_epoch_end(self, state, logs):
            self.events.append(("epoch", state.epoch, set(logs)))

        def on_batch_end(self, state, batch, loss):
            assert torch.isfinite(loss)

        def on_train_end(self, state):
            self.events.append("end")

    recorder = Recorder()
    Autoencoder(callbacks=[recorder], **quick(epochs=2)).fit(digits_split[0])
    assert recorder.events == ["begin", ("epoch", 1, {"loss", "lr"}),
                               ("epoch", 2, {"loss", "lr"}), "end"]


def test_callback_can_stop_training(digits_split):
    class StopAfterOne(Callback):
        def on_epoch_end(self, state, logs):
            state.stop_training = True

    ae = Autoencoder(callbacks=[StopAfterOne()], **quick(epochs=10)).fit(digits_split[0])
    assert ae.n_epochs_ == 1


def test_tensor_batches_cover_every_row_once():
    x = torch.arange(10.0).reshape(10, 1)
    batches = TensorBatches(x, batch_size=4, shuffle=True, generator=torch.Generator().manual_seed(0))
    assert len(batches) == 3
    seen = torch.cat([b[0] for b in batches]).flatten()
    assert sorted(seen.tolist()) == list(range(10))
    assert seen.tolist() != list(range(10))  # shuffled
    no_singleton = TensorBatches(torch.zeros(9, 1), batch_size=4, min_batch=2)
    assert [len(b[0]) for b in no_singleton] == [4, 4] and len(no_singleton) == 2


def test_loop_with_a_plain_module():
    """The loop needs only a module whose forward takes a ``Batch`` and returns
    {"loss": ...}."""

    class Mean(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.mu = torch.nn.Parameter(torch.zeros(1))

        def forward(self, batch):
            return {"loss": ((batch.x - self.mu) ** 2).mean()}

    module = Mean()
    state = TrainState(module, torch.optim.SGD(module.parameters(), lr=0.1), epochs=50)
    data = TensorBatches(torch.full((8, 1), 3.0), batch_size=4)
    run(state, data, callbacks=[EarlyStopping(monitor="loss", patience=3, min_delta=1e-6)])
    assert module.mu.item() == pytest.approx(3.0, abs=1e-3)
    assert math.isclose(state.history["loss"][-1], 0.0, abs_tol=1e-5)


def test_a_start_no_epoch_beats_is_kept_with_a_warning():
    """The weights training started from (PCA) count as epoch 0 of early stopping; when they
    stay the best, the epochs run are discarded, which the history alone would not show."""
    from sklearn.datasets import load_wine

    params = dict(latent_dim=4, epochs=200, patience=3, validation_split=0.3,  # noqa: C408
                  learning_rate=0.05, random_state=0, device="cpu")
    with pytest.warns(RuntimeWarning, match="no epoch improved on the val_loss of the weights "
                                            "training started from") as caught:
        model = Autoencoder(**params).fit(load_wine().data)
    assert len(model.history_["val_loss"]) == 3 and model.best_epoch_ == 0
    assert caught[0].filename == __file__  # it names the line that called fit, not aekit's
    rng = np.random.RandomState(0)  # two columns, each a copy of another: PCA fits exactly
    exact = np.repeat(rng.normal(size=(300, 2)), 2, axis=1) * [1.0, 1.8, 1.0, 0.01]
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)  # what is given up is rounding: silent
        model = Autoencoder(latent_dim=2, random_state=0, device="cpu").fit(exact)
    assert model.best_epoch_ == 0 and min(model.history_["val_loss"]) < 1e-6


def test_a_run_that_ends_far_above_its_best_loss_warns():
    """Too high a learning rate can drive the loss up a thousandfold without making it
    infinite (the divergence guard's test); without early stopping fit returns those weights."""
    from sklearn.datasets import load_wine

    X = load_wine().data
    params = dict(epochs=20, random_state=0, device="cpu")  # noqa: C408
    with pytest.warns(RuntimeWarning, match=r"training ended with a loss of .* times its lowest"):
        Autoencoder(learning_rate=0.3, **params).fit(X)
    with warnings.catch_warnings():
        warnings.simplefilter("error", RuntimeWarning)
        Autoencoder(**params).fit(X)  # the default rate: no such warning


@pytest.mark.parametrize(("losses", "warns"), [
    ([195.0, 105.5, 131.4, 128054.0], True),  # a rate too high: all progress undone
    ([0.8, 1.5, 40.0], True),  # worse from the first epoch on
    ([1.0, 1e-6, 2e-13, 4.6e-10], False),  # near zero: many times its lowest, nothing lost
    ([3.9e-15, 1.97e-6], False),  # the first epoch the best, and the rise rounding only
    ([1.0, 0.5, 0.2, 0.25], False),
])
def test_the_worse_end_rule(losses, warns):
    from aekit.estimators.base import _warn_of_a_worse_end

    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        _warn_of_a_worse_end({"loss": losses}, kept=len(losses))
    assert any("times its lowest" in str(w.message) for w in caught) == warns
