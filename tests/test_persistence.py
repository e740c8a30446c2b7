"""Save and load: identical outputs, no pickle, damaged files refused."""

import json
import os
import struct
import warnings

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


def _fitted_state(model) -> dict:
    """Every fitted attribute (trailing underscore) but the network, in comparable form;
    a model held inside another is compared by its own fitted state."""
    def comparable(value):
        if isinstance(value, np.ndarray):
            return value.tolist()
        return _fitted_state(value) if hasattr(value, "get_params") else value

    return {name: comparable(value) for name, value in vars(model).items()
            if name.endswith("_") and not name.startswith("__") and name != "module_"}


def _every_model():
    from aekit import (
        AnomalyDetector,
        AutoencoderImputer,
        SequenceAutoencoder,
        SeriesAnomalyDetector,
    )

    rng = np.random.RandomState(0)
    table = rng.rand(40, 5).astype(np.float32)
    for name, cls in sorted(aekit.ESTIMATORS.items()):
        if name != "sequence":
            yield cls(latent_dim=2, **quick(epochs=2)), table
    yield SequenceAutoencoder(latent_dim=2, hidden_dims=(4,), **quick(epochs=1)), rng.rand(12, 6)
    yield SequenceAutoencoder(tokens=True, latent_dim=2, hidden_dims=(4,),
                              **quick(epochs=1)), rng.randint(1, 9, size=(12, 6))
    yield AnomalyDetector(model=Autoencoder(latent_dim=2, **quick(epochs=2))), table
    yield AnomalyDetector(random_state=0), table
    series = np.sin(np.arange(300) / 5) + 0.1 * rng.rand(300)
    yield SeriesAnomalyDetector(window=16, random_state=0), series
    holes = table.copy()
    holes[rng.rand(*holes.shape) < 0.2] = np.nan
    yield AutoencoderImputer(epochs=2, random_state=0), holes


@pytest.mark.parametrize("model,X", list(_every_model()),
                         ids=lambda v: type(v).__name__ if not isinstance(v, np.ndarray) else "")
def test_every_fitted_attribute_survives_a_round_trip(model, X, tmp_path):
    model.fit(X)
    path = tmp_path / "model.safetensors"
    model.save(path)
    again = aekit.load(path)
    assert _fitted_state(again) == _fitted_state(model)


def _rewrite(path, edit):
    """Edit a saved model's config and write it back with a valid checksum (a doctored file)."""
    from aekit.io import read_model_file, write_model_file

    tensors, config = read_model_file(path)
    edit(config)
    write_model_file(path, tensors, config)


@pytest.mark.parametrize("edit,message", [
    (lambda c: c["fitted"].update(latent_dim_=1_000_000), "does not match its configuration"),
    (lambda c: c["fitted"].update(input_shape_=[-3]), "input_shape_"),
    (lambda c: c["fitted"].update(loss_="rm -rf"), "loss_"),
    (lambda c: c["fitted"].update(history_="x"), "history_"),
    (lambda c: c["fitted"].update(_hidden_dims=[10**12]), "_hidden_dims"),
    (lambda c: c["fitted"].update(surprise_=1), "unknown fitted attribute"),
    (lambda c: c["fitted"].pop("loss_"), "loss_ missing"),
    (lambda c: c["params"].update(activation="bogus"), "invalid parameters"),
    (lambda c: c.pop("fitted"), "no fitted state"),
])
def test_doctored_files_are_refused_before_allocating(fitted, tmp_path, edit, message):
    import resource

    ae, _ = fitted
    path = tmp_path / "model.safetensors"
    ae.save(path)
    _rewrite(path, edit)
    before = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    with pytest.raises(ValueError, match=message) as error:
        aekit.load(path)
    assert str(path) in str(error.value)
    grown_mb = (resource.getrusage(resource.RUSAGE_SELF).ru_maxrss - before) / 1024
    assert grown_mb < 50  # the 1,000,000-wide code is never built for real


def test_a_fitted_attribute_without_a_file_form_fails_the_save(fitted, tmp_path):
    ae, _ = fitted
    ae.odd_ = object()
    with pytest.raises(TypeError, match="odd_"):
        ae.save(tmp_path / "model.safetensors")


def test_a_fresh_process_loads_a_detector_and_an_imputer_with_aekit_load(tmp_path):
    """The apps' models register when aekit.apps is imported: ``aekit.load`` must not depend
    on the caller having imported them first."""
    import subprocess
    import sys

    from aekit import AnomalyDetector, AutoencoderImputer

    X = np.random.RandomState(0).normal(size=(60, 3))
    AnomalyDetector(random_state=0).fit(X).save(tmp_path / "det.safetensors")
    X[::4, 1] = np.nan
    AutoencoderImputer(epochs=1, random_state=0).fit(X).save(tmp_path / "imp.safetensors")
    code = ("import sys, aekit; print(*(type(aekit.load(p)).__name__ for p in sys.argv[1:]))")
    out = subprocess.run([sys.executable, "-c", code, str(tmp_path / "det.safetensors"),
                          str(tmp_path / "imp.safetensors")], capture_output=True, text=True,
                         env={**os.environ, "OMP_NUM_THREADS": "1"}, check=False)
    assert out.stdout.split() == ["AnomalyDetector", "AutoencoderImputer"], out.stderr[-500:]


def test_numpy_number_parameters_are_saved_as_numbers(tmp_path):
    """A grid built with np.arange or np.logspace hands in NumPy numbers: the model file, and
    a checkpoint written during fit, store them as the numbers they are."""
    from aekit import AnomalyDetector

    X = np.random.RandomState(0).normal(size=(60, 5))
    model = Autoencoder(latent_dim=np.int64(2), hidden_dims=(np.int64(8),),
                        learning_rate=np.float32(0.01), checkpoint_dir=tmp_path / "ck",
                        **quick(epochs=2, random_state=np.int64(3))).fit(X)
    model.save(tmp_path / "m.safetensors")
    loaded = aekit.load(tmp_path / "m.safetensors")
    assert loaded.get_params()["random_state"] == 3 and loaded.latent_dim == 2
    detector = AnomalyDetector(contamination=np.float64(0.1), random_state=np.int64(0),
                               model=Autoencoder(**quick(epochs=2))).fit(X)
    detector.save(tmp_path / "d.safetensors")
    assert aekit.load(tmp_path / "d.safetensors").get_params()["random_state"] == 0


@pytest.mark.skipif(__import__("torch").cuda.is_available(), reason="needs a machine without a GPU")
def test_a_model_trained_on_a_gpu_loads_on_a_machine_without_one(tmp_path):
    from aekit import AnomalyDetector

    X = np.random.RandomState(0).normal(size=(60, 5))
    model = Autoencoder(**quick(epochs=2)).fit(X)
    model.set_params(device="cuda")  # what a GPU run saves
    model.save(tmp_path / "m.safetensors")
    with pytest.warns(UserWarning, match="trained with device='cuda', which this machine lacks"):
        loaded = aekit.load(tmp_path / "m.safetensors")
    assert loaded.device == "auto"
    np.testing.assert_array_equal(loaded.transform(X), model.set_params(device="cpu").transform(X))
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a device asked for: no warning
        assert aekit.load(tmp_path / "m.safetensors", device="cpu").device == "cpu"
    for device, message in (("cuda:0", "device='cuda:0' was asked for but no CUDA GPU"),
                            (0, "device must be 'auto', 'cpu', 'cuda' or 'cuda:N', got 0"),
                            ("meta", "device='meta' holds no values")):
        with pytest.raises((ValueError, TypeError), match=message) as error:  # the device's
            aekit.load(tmp_path / "m.safetensors", device=device)  # fault, not the file's
        assert "m.safetensors" not in str(error.value)
    detector = AnomalyDetector(model=Autoencoder(**quick(epochs=2))).fit(X)
    detector.model_.set_params(device="cuda:1")
    detector.save(tmp_path / "d.safetensors")
    with pytest.warns(UserWarning, match="device='cuda:1'"):
        np.testing.assert_array_equal(aekit.load(tmp_path / "d.safetensors").score_samples(X),
                                      detector.score_samples(X))
    imputer = aekit.AutoencoderImputer(epochs=1, random_state=0, device="cpu").fit(X)
    imputer.set_params(device="cuda")  # an imputer and its inner model: one warning
    imputer.model_.set_params(device="cuda")
    imputer.save(tmp_path / "i.safetensors")
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        aekit.load(tmp_path / "i.safetensors")
    assert sum("which this machine lacks" in str(w.message) for w in caught) == 1
