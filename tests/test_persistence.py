"""Save and load: identical outputs, no pickle, damaged files refused."""

import json
import struct

import numpy as np
import pytest
from conftest import quick

import aekit
from aekit import Autoencoder


@pytest.fixture
def fitted(digits_split):
    X_train, X_test = digits_split
    ae = Autoencoder(latent_dim=6, hidden_dims=(24,), batch_norm=True,
                     validation_data=X_test, **quick(epochs=3)).fit(X_train)
    return ae, X_test


def test_round_trip_gives_identical_outputs(fitted, tmp_path):
    ae, X_test = fitted
    path = tmp_path / "model.safetensors"
    ae.save(path)
    again = aekit.load(path)
    assert type(again) is Autoencoder
    for method in ("transform", "reconstruct", "score_samples"):
        np.testing.assert_array_equal(getattr(again, method)(X_test), getattr(ae, method)(X_test))
    assert again.get_params()["hidden_dims"] == (24,)
    assert again.history_ == ae.history_ and again.n_epochs_ == 3
    assert again.validation_data is None  # data is never written into the model file


def test_format_is_safetensors_with_json_config(fitted, tmp_path):
    ae, _ = fitted
    path = tmp_path / "model.safetensors"
    ae.save(path)
    raw = path.read_bytes()
    (size,) = struct.unpack("<Q", raw[:8])
    header = json.loads(raw[8:8 + size])
    config = json.loads(header["__metadata__"]["aekit"])
    assert config["model"] == "autoencoder" and config["params"]["latent_dim"] == 6
    assert {"aekit", "torch", "numpy"} <= set(config["versions"])
    assert b"\x80\x04\x95" not in raw  # no pickle protocol-4 stream anywhere
    from safetensors.torch import load_file

    assert "module.encoder.net.0.weight" in load_file(path)


def test_truncated_file_is_refused(fitted, tmp_path):
    ae, _ = fitted
    path = tmp_path / "model.safetensors"
    ae.save(path)
    data = path.read_bytes()
    for cut in (4, 100, len(data) // 2, len(data) - 1):
        path.write_bytes(data[:cut])
        with pytest.raises(ValueError, match="corrupted|truncated|not an aekit"):
            aekit.load(path)


def test_bit_flip_in_weights_is_refused(fitted, tmp_path):
    ae, _ = fitted
    path = tmp_path / "model.safetensors"
    ae.save(path)
    data = bytearray(path.read_bytes())
    data[-20] ^= 0x01  # inside the tensor bytes
    path.write_bytes(bytes(data))
    with pytest.raises(ValueError, match="checksum"):
        aekit.load(path)


def test_other_files_are_refused(tmp_path):
    text = tmp_path / "notes.safetensors"
    text.write_text("hello, this is not a model")
    with pytest.raises(ValueError, match="not an aekit model"):
        aekit.load(text)
    with pytest.raises(FileNotFoundError, match="does not exist"):
        aekit.load(tmp_path / "missing.safetensors")
    import torch
    from safetensors.torch import save_file

    plain = tmp_path / "plain.safetensors"
    save_file({"w": torch.zeros(2)}, plain)
    with pytest.raises(ValueError, match="not an aekit model"):
        aekit.load(plain)


def test_save_needs_a_fitted_model(tmp_path):
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        Autoencoder().save(tmp_path / "m.safetensors")


def test_failed_save_keeps_the_previous_file(fitted, tmp_path, monkeypatch):
    ae, _ = fitted
    path = tmp_path / "model.safetensors"
    ae.save(path)
    before = path.read_bytes()

    def broken(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr("safetensors.torch.save", broken)
    with pytest.raises(OSError, match="disk full"):
        ae.save(path)
    assert path.read_bytes() == before
    assert [p.name for p in tmp_path.iterdir()] == ["model.safetensors"]  # no temp files left
