"""A run whose steps are small trains on one CPU thread; larger ones keep PyTorch's setting."""

import numpy as np
import pytest
import torch

from aekit import VAE, Autoencoder, AutoencoderImputer
from aekit.io import NpySource
from aekit.train import Callback, StreamBatches, TensorBatches, threads


class ThreadsSeen(Callback):
    def on_train_begin(self, state):
        self.seen = []

    def on_epoch_begin(self, state):
        self.seen.append(torch.get_num_threads())


@pytest.fixture
def two_threads():
    before = torch.get_num_threads()
    torch.set_num_threads(2)
    yield
    torch.set_num_threads(before)


def small_fit(**params):
    seen = ThreadsSeen()
    X = np.random.default_rng(0).normal(size=(64, 5)).astype(np.float32)
    model = Autoencoder(epochs=2, batch_size=16, random_state=0, callbacks=[seen], **params)
    return model.fit(X), seen.seen


def test_a_small_run_trains_on_one_thread_and_restores_the_setting(two_threads):
    _, seen = small_fit()
    assert seen == [1, 1]
    assert torch.get_num_threads() == 2


def test_a_large_step_keeps_the_threads(two_threads, monkeypatch):
    monkeypatch.setattr(threads, "SHARED_STEP_FLOP", 0)
    _, seen = small_fit()
    assert seen == [2, 2]


def test_the_setting_is_restored_when_training_fails(two_threads):
    class Fails(Callback):
        def on_epoch_end(self, state, logs):
            raise RuntimeError("stop here")

    with pytest.raises(RuntimeError, match="stop here"):
        Autoencoder(epochs=2, callbacks=[Fails()]).fit(np.ones((32, 3), np.float32))
    assert torch.get_num_threads() == 2


def test_small_fits_are_the_same_whatever_the_thread_count():
    before = torch.get_num_threads()
    try:
        fits = []
        for n in (1, 2):
            torch.set_num_threads(n)
            fits.append(small_fit()[0])
    finally:
        torch.set_num_threads(before)
    for a, b in zip(fits[0].module_.state_dict().values(), fits[1].module_.state_dict().values()):
        assert torch.equal(a, b)


def test_step_flop_counts_the_reference_networks_products():
    model = Autoencoder(latent_dim=32, hidden_dims=(), epochs=1, random_state=0)
    model.fit(np.random.default_rng(0).random((300, 784)).astype(np.float32))
    batch = TensorBatches(torch.rand(256, 784), batch_size=256).example()
    # two products of 256 x 784 x 32 forward (2 operations per multiply-add), three times over
    assert threads.step_flop(model.module_, batch) == 3 * 2 * (2 * 256 * 784 * 32)


def test_counting_a_step_leaves_the_random_state_and_the_mode_alone():
    model = VAE(latent_dim=2, epochs=1, random_state=0).fit(np.ones((32, 4), np.float32))
    module = model.module_.train()
    state = torch.get_rng_state()
    threads.step_flop(module, TensorBatches(torch.ones(8, 4), batch_size=8).example())
    assert torch.equal(torch.get_rng_state(), state)
    assert module.training


def test_an_imputer_counts_its_masked_batches(two_threads):
    X = np.random.default_rng(1).normal(size=(80, 4))
    X[::7, 1] = np.nan
    AutoencoderImputer(epochs=1, random_state=0).fit(X)  # the count needs the batch's mask
    assert torch.get_num_threads() == 2


def test_batch_sources_offer_a_full_example_batch(tmp_path):
    x = torch.arange(20.0).reshape(10, 2)
    example = TensorBatches(x, batch_size=4, shuffle=True,
                            generator=torch.Generator().manual_seed(0)).example()
    assert torch.equal(example.x, x[:4])
    np.save(tmp_path / "rows.npy", x.numpy())
    streamed = StreamBatches(NpySource(tmp_path / "rows.npy"), batch_size=4).example()
    assert streamed.x.shape == (4, 2)
    widened = StreamBatches(NpySource(tmp_path / "rows.npy"), batch_size=4,
                            transform=lambda rows: np.concatenate([rows, rows + 1], 1)).example()
    assert torch.equal(widened.x, torch.tensor([[0.0, 0, 1, 1]] * 4))  # as training sees it
    shard = TensorBatches(x, batch_size=4, shard=(1, 2)).example()  # this rank's part
    assert torch.equal(shard.x, x[2:4])


def test_an_lstm_step_is_counted():
    """PyTorch's counter does not see the CPU's one-kernel LSTM layer; aekit counts its
    products: per time step and row, 4H x (I + H) multiply-adds."""
    lstm = torch.nn.LSTM(5, 16, batch_first=True)

    class Wrapped(torch.nn.Module):
        def __init__(self):
            super().__init__()
            self.lstm = lstm

        def forward(self, batch):
            return self.lstm(batch.x)[0]

    batch = TensorBatches(torch.zeros(8, 30, 5), batch_size=8).example()
    assert threads.step_flop(Wrapped(), batch) == 3 * 2 * 8 * 30 * 4 * 16 * (5 + 16)


def test_equal_steps_offer_their_sources_example():
    from aekit.train.distributed import EqualSteps

    x = torch.arange(20.0).reshape(10, 2)
    source = TensorBatches(x, batch_size=4)
    assert torch.equal(EqualSteps(source, steps=2).example().x, source.example().x)
