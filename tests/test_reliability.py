"""Checkpoint and resume after SIGKILL, the divergence guard, gradient clipping, damaged
checkpoints."""

import signal
import subprocess
import sys
import time

import numpy as np
import pytest
import torch

from aekit import Autoencoder
from aekit.cli import main
from aekit.train import Callback, LearningRateScheduler
from aekit.train.checkpoint import checkpoint_path, read_checkpoint_epoch

RUN = {"latent_dim": 4, "hidden_dims": (16,), "dropout": 0.1, "epochs": 12, "batch_size": 32,
       "random_state": 0, "device": "cpu"}

WORKER = """
import sys, time
import numpy as np
from aekit import Autoencoder
from aekit.train import Callback

class Slow(Callback):  # gives the test time to kill the run mid-training; holds no state
    def on_epoch_end(self, state, logs):
        if state.epoch >= 3:
            time.sleep(0.4)

params = dict({run}, checkpoint_dir=sys.argv[2], resume=True, callbacks=[Slow()])
Autoencoder(**params).fit(np.load(sys.argv[1]))
"""


def weights(model):
    return {k: v.clone() for k, v in model.module_.state_dict().items()}


def assert_same_weights(a, b):
    assert a.keys() == b.keys()
    for key in a:
        assert torch.equal(a[key], b[key]), key


@pytest.fixture
def data(digits_split):
    return digits_split[0][:600]


def test_resume_after_sigkill_matches_uninterrupted_run(data, tmp_path):
    reference = Autoencoder(**RUN).fit(data)
    np.save(tmp_path / "X.npy", data)
    folder = tmp_path / "ckpt"
    worker = subprocess.Popen([sys.executable, "-c", WORKER.format(run=RUN),
                               str(tmp_path / "X.npy"), str(folder)])
    deadline = time.monotonic() + 120
    while time.monotonic() < deadline:
        epoch = read_checkpoint_epoch(folder) if checkpoint_path(folder).is_file() else None
        if epoch is not None and epoch >= 4:
            break
        assert worker.poll() is None, "the worker ended before it could be killed"
        time.sleep(0.05)
    worker.send_signal(signal.SIGKILL)
    assert worker.wait(timeout=30) == -signal.SIGKILL
    killed_at = read_checkpoint_epoch(folder)
    assert 4 <= killed_at < RUN["epochs"]

    resumed = Autoencoder(**RUN, checkpoint_dir=str(folder), resume=True).fit(data)
    assert_same_weights(weights(resumed), weights(reference))
    assert resumed.history_ == reference.history_ and resumed.n_epochs_ == RUN["epochs"]


def test_resume_continues_with_more_epochs_through_the_cli(tmp_path, capsys):
    rng = np.random.RandomState(0)
    X = rng.rand(200, 6)
    np.save(tmp_path / "X.npy", X)
    common = [str(tmp_path / "X.npy"), "--epochs", "3", "--dropout", "0.1", "--hidden-dims", "8",
              "--random-state", "0", "--device", "cpu", "--verbose", "0",
              "--checkpoint", str(tmp_path / "ckpt")]
    assert main(["fit", *common, "-o", str(tmp_path / "short.safetensors")]) == 0
    capsys.readouterr()
    assert main(["fit", *common, "-o", str(tmp_path / "again.safetensors")]) == 1
    assert "already holds a checkpoint" in capsys.readouterr().err
    longer = [*common, "--epochs", "6", "--resume", "-o", str(tmp_path / "resumed.safetensors")]
    assert main(["fit", *longer]) == 0
    import aekit

    resumed = aekit.load(tmp_path / "resumed.safetensors")
    straight = Autoencoder(epochs=6, dropout=0.1, hidden_dims=(8,), random_state=0,
                           device="cpu").fit(X)
    assert_same_weights(weights(resumed), weights(straight))


def test_resume_refuses_another_run(data, tmp_path):
    folder = str(tmp_path / "ckpt")
    Autoencoder(**dict(RUN, epochs=2), checkpoint_dir=folder).fit(data)
    with pytest.raises(ValueError, match=r"belongs to another run \(data differ\)"):
        Autoencoder(**RUN, checkpoint_dir=folder, resume=True).fit(data[:500])
    with pytest.raises(ValueError, match=r"another run \(latent_dim differ\)"):
        Autoencoder(**dict(RUN, latent_dim=3), checkpoint_dir=folder, resume=True).fit(data)


def test_resume_under_another_number_of_processes_says_how_many(data, tmp_path, monkeypatch):
    from aekit.estimators import _distributed

    folder = str(tmp_path / "ckpt")
    Autoencoder(**dict(RUN, epochs=2), checkpoint_dir=folder).fit(data)
    real = _distributed.fingerprint  # the run's record of its processes: one, now two
    monkeypatch.setattr(_distributed, "fingerprint", lambda: {**real(), "processes": 2})
    with pytest.raises(ValueError, match=r"\(processes differ\): use as many processes as it "
                       r"ran on \(1, now 2: torchrun --nproc_per_node=1\)"):
        Autoencoder(**RUN, checkpoint_dir=folder, resume=True).fit(data)


def test_resume_refuses_fewer_epochs_and_a_missing_folder(data, tmp_path):
    folder = str(tmp_path / "ckpt")
    Autoencoder(**dict(RUN, epochs=3), checkpoint_dir=folder).fit(data[:200])
    with pytest.raises(ValueError, match="has 3 epochs done, more than epochs=2"):
        Autoencoder(**dict(RUN, epochs=2), checkpoint_dir=folder, resume=True).fit(data[:200])
    with pytest.raises(ValueError, match="resume=True needs checkpoint_dir"):
        Autoencoder(**RUN, resume=True).fit(data[:200])


def test_a_run_early_stopping_ended_stays_ended_when_resumed(data, tmp_path):
    """Keras deletes its backup when training ends; here the checkpoint says that early
    stopping ended the run, so a resume (a scheduler that always adds it, or a crash after the
    last checkpoint) trains no further and returns the same weights."""
    folder = str(tmp_path / "ckpt")
    stopping = dict(RUN, epochs=60, dropout=0.0, validation_split=0.25, patience=1,
                    learning_rate=0.05)
    first = Autoencoder(**stopping, checkpoint_dir=folder).fit(data[:400])
    assert first.n_epochs_ < 60
    again = Autoencoder(**stopping, checkpoint_dir=folder, resume=True).fit(data[:400])
    assert (again.n_epochs_, again.best_epoch_) == (first.n_epochs_, first.best_epoch_)
    for name, value in first.module_.state_dict().items():
        assert torch.equal(value, again.module_.state_dict()[name]), name


def test_a_run_another_callback_stopped_is_continued_when_resumed(data, tmp_path):
    """A stop of the user's own (a time budget) is what a resume continues after."""

    class Budget(Callback):
        def __init__(self, stop_after):
            self.stop_after = stop_after

        def on_epoch_end(self, state, logs):
            state.stop_training = state.epoch == self.stop_after

    folder = str(tmp_path / "ckpt")
    first = Autoencoder(**RUN, callbacks=[Budget(2)], checkpoint_dir=folder).fit(data[:300])
    assert first.n_epochs_ == 2
    resumed = Autoencoder(**RUN, callbacks=[Budget(None)], checkpoint_dir=folder,
                          resume=True).fit(data[:300])
    assert resumed.n_epochs_ == RUN["epochs"]


def test_damaged_checkpoint_is_refused(data, tmp_path):
    folder = tmp_path / "ckpt"
    Autoencoder(**dict(RUN, epochs=2), checkpoint_dir=str(folder)).fit(data)
    raw = bytearray(checkpoint_path(folder).read_bytes())
    raw[-30] ^= 0x10
    checkpoint_path(folder).write_bytes(bytes(raw))
    with pytest.raises(ValueError, match="cannot be resumed, it is damaged .*corrupted.*: "
                                         "delete checkpoint.safetensors to start afresh"):
        Autoencoder(**RUN, checkpoint_dir=str(folder), resume=True).fit(data)
    import aekit

    with pytest.raises(ValueError, match="corrupted|checkpoint, not a model"):
        aekit.load(checkpoint_path(folder))


def test_divergence_keeps_last_good_weights(data):
    explode = LearningRateScheduler(lambda epoch, lr: 1e12 if epoch >= 2 else 1e-3)
    ae = Autoencoder(loss="mse", optimizer="sgd", callbacks=[explode],
                     **dict(RUN, epochs=10, dropout=0.0))
    with pytest.warns(RuntimeWarning, match="diverged in epoch 3 .*end of epoch 2 were kept"):
        ae.fit(data)
    assert ae.n_epochs_ == 3 and not np.isfinite(ae.history_["loss"][2])
    assert np.isfinite(ae.reconstruct(data)).all()
    expected = Autoencoder(loss="mse", optimizer="sgd", **dict(RUN, epochs=2, dropout=0.0),
                           learning_rate=1e-3).fit(data)
    assert_same_weights(weights(ae), weights(expected))


def test_divergence_in_the_first_epoch_is_an_error(data):
    with pytest.raises(ValueError, match="diverged in epoch 1 .*no epoch finished"):
        Autoencoder(loss="mse", optimizer="sgd", learning_rate=1e12, **RUN).fit(data * 1e3)


def test_gradient_clipping_bounds_each_step(data):
    class Snapshots(Callback):
        def on_train_begin(self, state):
            self.before = [p.detach().clone() for p in state.module.parameters()]

        def on_train_end(self, state):
            self.after = [p.detach().clone() for p in state.module.parameters()]

    snaps = Snapshots()
    Autoencoder(optimizer="sgd", learning_rate=1.0, clip_grad_norm=1e-3, callbacks=[snaps],
                **dict(RUN, epochs=1, batch_size=len(data), dropout=0.0)).fit(data)
    step = torch.sqrt(sum(((a - b) ** 2).sum() for a, b in zip(snaps.after, snaps.before)))
    assert 0 < step.item() <= 1e-3 * 1.0001


def test_non_finite_outputs_raise(data):
    ae = Autoencoder(loss="mse", scaling="none", **dict(RUN, epochs=1)).fit(data)
    with pytest.raises(ValueError, match="from the training data"):
        ae.score_samples(np.full((2, data.shape[1]), 3e38))


def test_resume_without_a_checkpoint_says_it_starts_afresh(data, tmp_path):
    """A mistyped folder started a fresh run without a word (a trial)."""
    with pytest.warns(UserWarning, match="resume found no checkpoint in .*typo: training "
                                         "starts from its first epoch"):
        Autoencoder(**dict(RUN, epochs=1), checkpoint_dir=str(tmp_path / "typo"),
                    resume=True).fit(data)
