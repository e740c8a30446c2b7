"""Behaviour of the Autoencoder estimator that users rely on."""

import pickle

import numpy as np
import pytest
import torch
from conftest import quick
from sklearn.base import clone
from sklearn.datasets import load_wine
from sklearn.decomposition import PCA
from sklearn.model_selection import GridSearchCV, cross_val_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import FunctionTransformer

from aekit import Autoencoder
from aekit.estimators._torch import (
    CPU_INFERENCE_VALUES,
    GPU_INFERENCE_BATCH,
    inference_batch,
    map_batches,
)
from aekit.nn import Batch


def test_shapes_and_dtypes(digits_split):
    X_train, X_test = digits_split
    ae = Autoencoder(latent_dim=5, hidden_dims=(16,), **quick()).fit(X_train)
    Z = ae.transform(X_test)
    assert Z.shape == (len(X_test), 5) and Z.dtype == np.float32
    assert ae.inverse_transform(Z).shape == X_test.shape
    assert ae.reconstruct(X_test).shape == X_test.shape
    scores = ae.score_samples(X_test)
    assert scores.shape == (len(X_test),) and np.all(np.isfinite(scores))
    variance = X_train.var(0)  # pixels in [0, 1]: one unit for all, the root mean variance
    unit = np.sqrt(variance[variance > 0].mean())
    error = np.mean(((X_test - ae.reconstruct(X_test)) / unit) ** 2)
    assert ae.score(X_test) == pytest.approx(-error, rel=1e-4)
    np.testing.assert_allclose(ae.inverse_transform(Z), ae.reconstruct(X_test), atol=1e-5)


@pytest.mark.parametrize("scaling", ["standard", "minmax", "none"])
def test_score_is_in_training_standard_deviations_whatever_the_scaling(scaling):
    """GridSearchCV compares models by score: its unit must not be each model's own."""
    X = load_wine().data
    ae = Autoencoder(latent_dim=3, scaling=scaling, **quick(epochs=3)).fit(X[:120])
    expected = np.mean(((X[120:] - ae.reconstruct(X[120:])) / X[:120].std(0)) ** 2)
    assert ae.score(X[120:]) == pytest.approx(-expected, rel=1e-4)
    if scaling == "standard":  # the training loss is in those units already
        assert ae.score(X[120:]) == pytest.approx(ae.score_samples(X[120:]).mean(), rel=1e-4)


def test_score_leaves_missing_cells_out():
    from aekit.estimators.masked import MaskedAutoencoder

    X = load_wine().data
    holes = np.where(np.random.RandomState(0).uniform(size=X.shape) < 0.2, np.nan, X)
    model = MaskedAutoencoder(latent_dim=3, gaussian=False, **quick(epochs=2)).fit(holes)
    std = np.nanstd(holes, axis=0)
    errors = ((holes - model.reconstruct(holes)) / std) ** 2
    assert model.score(holes) == pytest.approx(-np.nanmean(errors), rel=1e-4)


def test_beats_pca_at_same_code_size(digits_split):
    """Two hidden layers and an 8-d code reconstruct held-out digits better than PCA(8)."""
    X_train, X_test = digits_split
    ae = Autoencoder(latent_dim=8, hidden_dims=(128, 64), latent_activation="linear",
                     **quick(epochs=60, batch_size=64)).fit(X_train)
    pca = PCA(8).fit(X_train)
    ae_mse = np.mean((ae.reconstruct(X_test) - X_test) ** 2)
    pca_mse = np.mean((pca.inverse_transform(pca.transform(X_test)) - X_test) ** 2)
    assert ae_mse < 0.8 * pca_mse, (ae_mse, pca_mse)


def test_loss_decreases_and_history(digits_split):
    X_train, X_test = digits_split
    ae = Autoencoder(latent_dim=8, hidden_dims=(32,), validation_data=X_test,
                     **quick(epochs=8)).fit(X_train)
    assert set(ae.history_) == {"loss", "val_loss", "lr"}
    assert len(ae.history_["loss"]) == ae.n_epochs_ == 8
    assert ae.history_["loss"][-1] < 0.7 * ae.history_["loss"][0]
    assert ae.history_["val_loss"][-1] < ae.history_["val_loss"][0]


def test_auto_settings_follow_the_data(digits_split, tabular):
    X_train, _ = digits_split
    unit_table = Autoencoder(**quick(epochs=1)).fit(X_train)
    assert (unit_table.scaling_, unit_table.loss_, unit_table.output_activation_) == (
        "none", "mse", "linear")
    assert unit_table.latent_dim_ == 32  # min(32, 64 // 2)
    images = Autoencoder(architecture="conv", **quick(epochs=1)).fit(X_train.reshape(-1, 8, 8))
    assert (images.scaling_, images.loss_, images.output_activation_) == ("none", "bce", "sigmoid")
    table = Autoencoder(**quick(epochs=1)).fit(tabular)
    assert (table.scaling_, table.loss_, table.output_activation_) == (
        "standard", "mse", "linear")
    assert table.latent_dim_ == 5


@pytest.mark.parametrize("scaling", ["standard", "minmax"])
def test_scaling_is_inverted_on_output(tabular, scaling):
    ae = Autoencoder(latent_dim=3, hidden_dims=(32,), latent_activation="linear",
                     scaling=scaling, **quick(epochs=100)).fit(tabular)
    error = np.abs(ae.reconstruct(tabular) - tabular).mean()
    spread = np.abs(tabular - tabular.mean(axis=0)).mean()  # error of predicting the mean
    assert error < 0.25 * spread, (error, spread)  # in the data's own units


def test_reproducible_with_random_state(digits_split):
    X_train, X_test = digits_split
    params = quick(dropout=0.2, hidden_dims=(16,), validation_split=0.2)
    first = Autoencoder(**params).fit(X_train).transform(X_test)
    second = Autoencoder(**params).fit(X_train).transform(X_test)
    np.testing.assert_array_equal(first, second)
    other = Autoencoder(**dict(params, random_state=1)).fit(X_train).transform(X_test)
    assert not np.allclose(first, other)


def test_fit_leaves_global_torch_rng_alone(digits_split):
    import torch

    torch.manual_seed(123)
    expected = torch.rand(3)
    torch.manual_seed(123)
    Autoencoder(**quick(epochs=1)).fit(digits_split[0])
    np.testing.assert_array_equal(torch.rand(3), expected)


def test_validation_split_holds_rows_out(digits_split):
    X_train, _ = digits_split
    ae = Autoencoder(validation_split=0.25, **quick(epochs=2)).fit(X_train)
    assert len(ae.history_["val_loss"]) == 2


@pytest.mark.parametrize("optimizer", ["adam", "adamw", "rmsprop", "sgd"])
def test_every_optimizer_trains(digits_split, optimizer):
    X_train, _ = digits_split
    lr = 0.5 if optimizer == "sgd" else None
    ae = Autoencoder(optimizer=optimizer, learning_rate=lr, **quick(epochs=4)).fit(X_train)
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]


def test_batch_norm_dropout_and_weight_decay_train(digits_split):
    X_train, X_test = digits_split
    # 1347 rows with batch 32 leave a last batch of 3; a size-1 remainder is also handled.
    ae = Autoencoder(hidden_dims=(32,), batch_norm=True, dropout=0.1, weight_decay=1e-4,
                     **quick(epochs=4, batch_size=449)).fit(X_train)
    assert ae.history_["loss"][-1] < ae.history_["loss"][0]
    # evaluation mode: the same rows give the same codes however they are batched
    np.testing.assert_allclose(ae.transform(X_test[:7]), ae.transform(X_test)[:7], atol=1e-5)


def test_early_stopping_stops_and_restores_best(digits_split):
    X_train, X_test = digits_split
    # a huge learning rate makes validation loss worsen quickly
    ae = Autoencoder(patience=2, validation_data=X_test, optimizer="sgd", learning_rate=50.0,
                     loss="mse", hidden_dims=(), latent_activation="relu",
                     **quick(epochs=40)).fit(X_train)
    assert ae.n_epochs_ < 40
    best = int(np.argmin(ae.history_["val_loss"]))
    assert ae.n_epochs_ == best + 1 + 2
    assert ae.best_epoch_ == best + 1  # the weights held, in the history's epochs
    restored = np.mean((ae.reconstruct(X_test) - X_test) ** 2)
    assert restored == pytest.approx(ae.history_["val_loss"][best], rel=1e-4)
    without = Autoencoder(**quick(epochs=3)).fit(X_train)  # no early stopping: the last epoch
    assert without.best_epoch_ == without.n_epochs_ == 3


def test_pipeline_gridsearch_cross_val_and_clone(digits_split):
    X_train, _ = digits_split
    pipe = make_pipeline(FunctionTransformer(), Autoencoder(**quick(epochs=3)))
    pipe.fit(X_train)
    assert pipe.transform(X_train[:4]).shape == (4, 32)
    scores = cross_val_score(Autoencoder(latent_dim=4, **quick(epochs=2)), X_train, cv=3)
    assert scores.shape == (3,) and np.all(scores < 0)
    search = GridSearchCV(Autoencoder(**quick(epochs=3)), {"latent_dim": [2, 16]}, cv=2)
    search.fit(X_train)
    assert search.best_params_ == {"latent_dim": 16}  # more code, lower error
    copy = clone(Autoencoder(latent_dim=3, hidden_dims=(8,)))
    assert copy.get_params()["hidden_dims"] == (8,)


def test_pickle_round_trip(digits_split):
    X_train, X_test = digits_split
    ae = Autoencoder(**quick(epochs=2)).fit(X_train)
    again = pickle.loads(pickle.dumps(ae))
    np.testing.assert_array_equal(again.transform(X_test), ae.transform(X_test))


def test_feature_names_out(digits_split):
    X_train, _ = digits_split
    ae = Autoencoder(latent_dim=3, **quick(epochs=1)).fit(X_train)
    assert list(ae.get_feature_names_out()) == ["autoencoder0", "autoencoder1", "autoencoder2"]


def test_inference_batches_fit_the_cpu_cache_and_fill_a_gpu():
    cpu, gpu = torch.device("cpu"), torch.device("cuda")
    assert inference_batch(cpu, (784,)) == CPU_INFERENCE_VALUES // 784
    assert inference_batch(cpu, (10,)) == GPU_INFERENCE_BATCH  # capped: few values per row
    assert inference_batch(cpu, (3, 256, 256)) == 64  # at least 64 rows
    assert inference_batch(gpu, (784,)) == GPU_INFERENCE_BATCH


def test_scores_do_not_depend_on_the_inference_batch(digits_split):
    X_train, X_test = digits_split
    ae = Autoencoder(latent_dim=8, **quick(epochs=2)).fit(X_train)
    X_scaled, _ = ae._prepare(X_test)
    default = map_batches(ae.module_.row_loss, (X_scaled,), torch.device("cpu"))
    in_sevens = map_batches(ae.module_.row_loss, (X_scaled,), torch.device("cpu"), batch_size=7)
    np.testing.assert_allclose(in_sevens, default, rtol=1e-5)
    np.testing.assert_allclose(-ae.score_samples(X_test), default, rtol=1e-6)


def test_batches_scaled_in_torch_train_as_data_scaled_beforehand(tabular):
    """Training scales each batch in torch instead of a scaled copy of X: the same run."""
    X = np.asarray(tabular, dtype=np.float32)
    params = dict(latent_dim=2, hidden_dims=(8,), validation_split=0.2, **quick(epochs=3))
    scaled = Autoencoder(scaling="standard", **params).fit(X)
    by_hand = (X - scaled.shift_) / scaled.scale_
    plain = Autoencoder(scaling="none", **params).fit(by_hand)
    assert scaled.history_ == plain.history_
    np.testing.assert_array_equal(scaled.transform(X), plain.transform(by_hand))


@pytest.mark.parametrize("architecture, shape", [("conv", (6, 8, 8)), ("lstm", (6, 5))])
def test_rows_are_checked_as_given_and_shaped_and_scaled_in_torch(architecture, shape):
    """The checked rows are the user's own array (no NumPy reshape, padding or scaled copy);
    the Preprocessor adds the channel axis, scales and zeroes the padding per batch."""
    X = np.random.RandomState(0).normal(3, 2, shape).astype(np.float32)
    if architecture == "lstm":
        X[0, 3:] = np.nan  # the first sequence is padded after 3 steps
    ae = Autoencoder(architecture=architecture, hidden_dims=(4,), latent_dim=2, epochs=1,
                     random_state=0).fit(X)
    checked, lengths = ae._checked(X)
    assert checked.shape == X.shape and np.shares_memory(checked, X)
    transform = ae._batch_scaling(torch.device("cpu"), lengths is not None)
    batch = transform(Batch(torch.from_numpy(X), *(() if lengths is None else
                                                   (torch.from_numpy(lengths),))))
    assert batch.x.shape == (len(X), *ae.input_shape_)
    assert torch.isfinite(batch.x).all()
    if architecture == "lstm":
        assert (batch.x[0, 3:] == 0).all() and abs(float(batch.x[1:].mean())) < 0.5


def test_masked_model_scales_each_batch_in_torch_with_missing_cells_at_zero():
    from aekit.estimators import MaskedAutoencoder

    X = np.random.RandomState(0).normal(5, 3, (40, 4))
    X[::3, 1] = np.nan
    model = MaskedAutoencoder(epochs=1, hidden_dims=(4,), latent_dim=2, random_state=0).fit(X)
    checked, observed = model._checked(X)
    assert checked is X  # float64 kept as given, so impute returns observed cells exactly
    batch = model._batch_scaling(torch.device("cpu"), True)(
        Batch(torch.from_numpy(X).float(), mask=torch.from_numpy(observed).float()))
    assert torch.isfinite(batch.x).all() and (batch.x[::3, 1] == 0).all()
    np.testing.assert_allclose(batch.x[1:3, 0].numpy(), (X[1:3, 0] - model.shift_[0])
                               / model.scale_[0], rtol=1e-5)


def test_a_refused_fit_leaves_the_fitted_model_as_it_was():
    rng = np.random.RandomState(0)
    X = rng.randn(20, 6, 2).astype(np.float32)
    model = Autoencoder(architecture="lstm", hidden_dims=(4,), latent_dim=2, epochs=1,
                        random_state=0).fit(X)
    bad = rng.randn(20, 9, 2).astype(np.float32)
    bad[0, 2, 0] = np.inf
    with pytest.raises(ValueError, match="inf"):
        model.fit(bad)
    assert model.input_shape_ == (6, 2) and model.transform(X).shape == (20, 2)
    with pytest.raises(ValueError, match=r"trained on rows of shape \(6, 2\)"):
        model.transform(bad[:, :, :])


def test_padded_float64_sequences_too_large_for_float32_say_so():
    X = np.random.RandomState(0).randn(20, 6)
    X[1, 4:] = np.nan  # padding
    model = Autoencoder(architecture="lstm", hidden_dims=(4,), latent_dim=2, epochs=1,
                        random_state=0).fit(X)
    Y = X.copy()
    Y[0, 2] = 1e39
    with pytest.raises(ValueError, match="too large for float32"):
        model.transform(Y)
    Y[0, 2] = np.nan
    with pytest.raises(ValueError, match="NaN or inf inside 1 time steps"):
        model.transform(Y)


def test_masked_model_refuses_a_streamed_source_clearly(tmp_path):
    from aekit.estimators import MaskedAutoencoder
    from aekit.io import open_source

    np.save(tmp_path / "t.npy", np.random.RandomState(0).randn(50, 3).astype(np.float32))
    with pytest.raises(ValueError, match="in memory, not on a streamed source"):
        MaskedAutoencoder(epochs=1).fit(open_source(tmp_path / "t.npy"))


def test_score_ranks_image_models_by_their_pixel_error():
    """Data in [0, 1] has one unit for all its features: a nearly blank border pixel's own
    deviation (0.002) would make it outweigh the image and rank the models backwards."""
    from sklearn.datasets import load_digits

    X = load_digits().data / 16.0
    train, test = X[:1000], X[1000:]
    models = [Autoencoder(latent_dim=8, epochs=20, random_state=0, scaling=scaling).fit(train)
              for scaling in ("none", "standard")]
    pixel_errors = [np.mean((m.reconstruct(test) - test) ** 2) for m in models]
    scores = [m.score(test) for m in models]
    assert np.argmin(pixel_errors) == np.argmax(scores)
    assert len(np.unique(models[0].score_scale_)) == 1
