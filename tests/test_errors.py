"""Bad input gets a clear ValueError or TypeError that says what is wrong."""

import warnings

import numpy as np
import pytest
import torch
from conftest import quick
from sklearn.exceptions import NotFittedError

from aekit import Autoencoder
from aekit.estimators._validation import all_finite


@pytest.fixture(scope="module")
def fitted():
    X = np.random.RandomState(0).rand(50, 4)
    return Autoencoder(**quick(epochs=1)).fit(X)


@pytest.mark.parametrize("bad, message", [
    (np.array([[1.0, np.nan], [0.0, 1.0]]), "contains NaN .*row 0, column 1.*impute"),
    (np.array([[1.0, np.inf], [0.0, 1.0]]), "contains inf"),
    (np.ones(5), "Expected 2D array"),
    (np.ones((2, 3, 4)), "takes arrays with 2 dimensions, got 3: use .*conv for images"),
    (np.empty((0, 3)), "0 sample"),
    (np.empty((3, 0)), "0 feature"),
    (np.array([[1e39, 0.0], [0.0, 1.0]]), "too large for float32"),
    ([["a", "b"], ["c", "d"]], "could not convert|string"),
])
def test_fit_rejects_bad_data(bad, message):
    with pytest.raises(ValueError, match=message):
        Autoencoder(**quick(epochs=1)).fit(bad)


@pytest.mark.parametrize(("column", "message"), [
    (["p", "q"] * 10, "column 'kind' of .* holds .* not numbers: drop it, or convert it"),
    (["1", "2"] * 10, "pd.to_numeric"),  # digits as text are not turned into numbers silently
    (np.arange(20).astype("datetime64[D]"), "holds times .*set_index\\('kind'\\)"),
])
def test_a_dataframe_column_that_is_not_numbers_is_named(column, message):
    import pandas as pd

    from aekit import AnomalyDetector, SeriesAnomalyDetector

    frame = pd.DataFrame({"value": np.linspace(0, 1, 20), "kind": column})
    times = pd.api.types.is_datetime64_any_dtype(frame["kind"])
    detectors = (AnomalyDetector(),) if times else ()  # it reads text as categories
    for estimator in (Autoencoder(**quick(epochs=1)), *detectors, SeriesAnomalyDetector()):
        with pytest.raises(ValueError, match=message):
            estimator.fit(frame)
    with pytest.raises(ValueError, match=message):
        Autoencoder(**quick(epochs=1)).fit(frame[["value"]]).transform(frame)


def test_numbers_kept_as_python_objects_are_numbers():
    import pandas as pd

    frame = pd.DataFrame({"a": np.linspace(0, 1, 20), "b": np.arange(20)}).astype(object)
    Autoencoder(**quick(epochs=1)).fit(frame)


def test_wrong_feature_count_at_transform(fitted):
    with pytest.raises(ValueError, match="X has 3 features, but Autoencoder is expecting 4"):
        fitted.transform(np.ones((2, 3)))


@pytest.mark.parametrize("method", ["transform", "reconstruct", "score_samples"])
def test_nan_at_inference(fitted, method):
    X = np.ones((2, 4))
    X[1, 2] = np.nan
    with pytest.raises(ValueError, match="NaN .*row 1, column 2"):
        getattr(fitted, method)(X)


def test_codes_of_wrong_shape(fitted):
    with pytest.raises(ValueError, match=r"codes must have shape \(n, 2\)"):
        fitted.inverse_transform(np.ones((3, 5)))
    with pytest.raises(ValueError, match="NaN"):
        fitted.inverse_transform(np.full((1, 2), np.nan))
    with pytest.raises(TypeError, match="numeric"):
        fitted.inverse_transform(np.array([["a", "b"]]))


@pytest.mark.parametrize("shape", [(6, 8, 8, 1), (6, 8, 8, 3)])
def test_channels_last_images_are_warned_of_with_the_transpose(shape):
    """(n, H, W, C), as PIL, scikit-image and Keras give images, would be read as H channels
    of W x C images: a wrong model, silently. Channels-first signals 1 to 4 wide are not."""
    images = np.random.RandomState(0).rand(*shape).astype(np.float32)
    with pytest.warns(UserWarning, match=r"look channels-last.*X.transpose\(0, 3, 1, 2\)"):
        Autoencoder(architecture="conv", **quick(epochs=1)).fit(images)
    model = Autoencoder(architecture="conv", **quick(epochs=1)).fit(images.transpose(0, 3, 1, 2))
    with pytest.raises(ValueError, match=r"look channels-last: pass X.transpose"):
        model.transform(images)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)
        for signals in [(6, 2, 16, 4), (6, 6, 32, 4), (6, 3, 32, 3)]:
            Autoencoder(architecture="conv", **quick(epochs=1)).fit(
                np.random.RandomState(0).rand(*signals).astype(np.float32))


def test_unfitted_model():
    with pytest.raises(NotFittedError):
        Autoencoder().transform(np.ones((2, 2)))


@pytest.mark.parametrize("params, message", [
    ({"latent_dim": 0}, "latent_dim must be an int >= 1"),
    ({"hidden_dims": (8, -1)}, "each of hidden_dims"),
    ({"activation": "swishy"}, "activation must be one of"),
    ({"loss": "hinge"}, "loss must be one of"),
    ({"optimizer": "lbfgs"}, "optimizer must be one of"),
    ({"learning_rate": -1.0}, "learning_rate"),
    ({"epochs": 0}, "epochs must be an int >= 1"),
    ({"batch_size": 2.5}, "batch_size"),
    ({"validation_split": 1.0}, "validation_split"),
    ({"dropout": 1.5}, "dropout"),
    ({"scaling": "robust"}, "scaling must be one of"),
    ({"device": "tpu"}, "device must be"),
    pytest.param({"device": "mps"}, "device='mps' is not available in this PyTorch build",
                 marks=pytest.mark.skipif(torch.backends.mps.is_available(),
                                          reason="this machine has an MPS device")),
    ({"loss": "bce", "output_activation": "linear"}, "bce.* needs output_activation='sigmoid'"),
    ({"validation_data": np.ones((3, 7))}, "validation_data: X has 7 features"),
    ({"validation_split": 0.01}, "leaves no rows for validation"),
    ({"validation_split": 0.96}, "leaves 1 of 20 rows for training: at least 2"),
])
def test_bad_parameters_are_named(params, message):
    X = np.random.RandomState(0).rand(20, 4)
    with pytest.raises(ValueError, match=message):
        Autoencoder(**dict(quick(epochs=1), **params)).fit(X)


def test_a_masked_models_gaussian_setting_names_every_choice():
    from aekit import MaskedAutoencoder

    with pytest.raises(ValueError, match="gaussian must be True, False or \"auto\", got 'yes'"):
        MaskedAutoencoder(gaussian="yes", **quick(epochs=1)).fit(np.ones((4, 2)))


def test_bad_hidden_dims_type():
    with pytest.raises(TypeError, match="hidden_dims must be a tuple"):
        Autoencoder(hidden_dims="wide", **quick()).fit(np.ones((4, 2)))


def test_bad_callbacks_type():
    with pytest.raises(TypeError, match="callbacks must be"):
        Autoencoder(callbacks=[print], **quick()).fit(np.ones((4, 2)))


def test_bce_outside_unit_range():
    X = np.random.RandomState(0).rand(20, 3) * 5
    with pytest.raises(ValueError, match=r"loss='bce' needs X in \[0, 1\].*scaling='minmax'"):
        Autoencoder(loss="bce", scaling="none", **quick(epochs=1)).fit(X)
    ae = Autoencoder(loss="bce", **quick(epochs=1)).fit(X / 5)
    with pytest.raises(ValueError, match="needs X in"):
        ae.score_samples(X)


@pytest.mark.parametrize("bad", [np.nan, np.inf, -np.inf])
def test_all_finite_finds_one_bad_value_among_many(bad):
    X = np.ones((1000, 7), dtype=np.float32)
    assert all_finite(X)
    X[999, 6] = bad
    assert not all_finite(X)


def test_all_finite_is_not_fooled_by_a_sum_that_overflows():
    huge = np.full((4, 3), 3e38, dtype=np.float32)  # finite, but the sum is inf
    assert all_finite(huge)
    assert all_finite(np.empty((0, 3), dtype=np.float32))


def test_a_tensor_that_requires_grad_is_taken_as_its_values():
    import torch

    X = torch.randn(30, 4, requires_grad=True)
    ae = Autoencoder(**quick(epochs=1)).fit(X)
    np.testing.assert_array_equal(ae.transform(X), ae.transform(X.detach().numpy()))


def test_a_conv_model_given_8_bit_pixels_says_they_are_trained_as_a_table():
    images = np.random.RandomState(0).randint(0, 256, size=(40, 8, 8)).astype(np.uint8)
    with pytest.warns(UserWarning, match=r"values lie in \[0, 255\], as 8-bit pixels do: they "
                                         r"are standardised .* give X / 255"):
        model = Autoencoder(architecture="conv", **quick(epochs=1)).fit(images)
    assert model.scaling_ == "standard" and model.loss_ == "mse"
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        Autoencoder(architecture="conv", **quick(epochs=1)).fit(images / 255)
        Autoencoder(architecture="conv", scaling="standard", **quick(epochs=1)).fit(images)


def test_values_far_outside_the_unit_range_a_model_saw_are_warned_of():
    """8-bit pixels given to a model trained on pixels in [0, 1]: warned, once per call."""
    images = np.random.RandomState(0).rand(40, 16).astype(np.float32)
    model = Autoencoder(**quick(epochs=1)).fit(images)
    with pytest.warns(UserWarning, match=r"values up to 255, but .* trained on values in "
                                         r"\[0, 1\].*X / 255") as caught:
        model.reconstruct(images * 255 / images.max())
    assert len(caught) == 1
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        model.reconstruct(images)
        model.score_samples(np.clip(images * 1.9, 0, None))  # an overshoot: no unit slip
        standard = Autoencoder(**quick(epochs=1)).fit(images * 255)  # standardised: no range
        standard.reconstruct(images * 1e4)
