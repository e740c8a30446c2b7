"""Every variant and composition honours the same contracts; then what each one adds."""

import pickle
import warnings

import numpy as np
import pytest
import torch
from conftest import quick
from sklearn.base import clone
from sklearn.decomposition import PCA
from sklearn.exceptions import NotFittedError

import aekit
from aekit import (
    VAE,
    Autoencoder,
    CompressionAutoencoder,
    DenoisingAutoencoder,
    SequenceAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
    sliding_windows,
)
from aekit.nn import Batch


def _digits():
    from sklearn.datasets import load_digits

    return (load_digits().data[:600] / 16.0).astype(np.float32)


def _images():
    return _digits().reshape(-1, 8, 8)


def _windows():
    t = np.linspace(0, 80, 2400)
    series = np.stack([np.sin(t), np.cos(0.5 * t)], axis=1)
    return sliding_windows(series, 24, 6).astype(np.float32)


# (id, estimator factory, data factory): plain variants and their compositions
CASES = [
    ("dense", lambda: Autoencoder(latent_dim=6, hidden_dims=(32,)), _digits),
    ("vae", lambda: VAE(latent_dim=4, hidden_dims=(32,)), _digits),
    ("sparse-l1", lambda: SparseAutoencoder(latent_dim=16, sparsity_weight=1e-3), _digits),
    ("sparse-kl", lambda: SparseAutoencoder(latent_dim=16, sparsity="kl", sparsity_weight=0.1),
     _digits),
    ("sparse-topk", lambda: SparseAutoencoder(latent_dim=16, sparsity="topk", k=4), _digits),
    ("denoising-gaussian", lambda: DenoisingAutoencoder(noise_level=0.2), _digits),
    ("denoising-masking", lambda: DenoisingAutoencoder(noise="masking", noise_level=0.3), _digits),
    ("denoising-salt-pepper", lambda: DenoisingAutoencoder(noise="salt_pepper", noise_level=0.1),
     _digits),
    ("conv", lambda: Autoencoder(architecture="conv", hidden_dims=(8, 16), latent_dim=8),
     _images),
    ("conv-vae", lambda: VAE(architecture="conv", hidden_dims=(8, 16), latent_dim=4), _images),
    ("conv-denoising", lambda: DenoisingAutoencoder(architecture="conv", hidden_dims=(8,)),
     _images),
    ("lstm", lambda: SequenceAutoencoder(hidden_dims=(16,), latent_dim=4), _windows),
    ("gru", lambda: SequenceAutoencoder(architecture="gru", hidden_dims=(16,)), _windows),
    ("sparse-lstm", lambda: SparseAutoencoder(architecture="lstm", hidden_dims=(16,),
                                              latent_activation="relu"), _windows),
]


def fitted(make, data, **params):
    model = make()
    model.set_params(**quick(epochs=6, batch_size=64), **params)
    return model.fit(data)


@pytest.mark.parametrize("name, make, data", CASES, ids=[c[0] for c in CASES])
def test_contracts(name, make, data, tmp_path):
    X = data()
    model = fitted(make, X)
    Z = model.transform(X)
    assert Z.shape == (len(X), model.latent_dim_) and np.isfinite(Z).all()
    assert model.reconstruct(X).shape == X.shape
    assert model.inverse_transform(Z).shape == X.shape
    scores = model.score_samples(X)
    assert scores.shape == (len(X),) and np.isfinite(scores).all()
    # training lowers the loss
    assert model.history_["loss"][-1] < model.history_["loss"][0]
    # save/load and pickle give identical outputs
    model.save(tmp_path / "m.safetensors")
    again = aekit.load(tmp_path / "m.safetensors")
    assert type(again) is type(model)
    np.testing.assert_array_equal(again.transform(X), Z)
    np.testing.assert_array_equal(again.reconstruct(X), model.reconstruct(X))
    np.testing.assert_array_equal(pickle.loads(pickle.dumps(model)).transform(X), Z)


def test_vae_is_importable_as_both_names():
    assert VAE is VariationalAutoencoder


def test_a_vae_scores_a_table_in_the_unit_range_by_bce_as_its_documentation_says():
    X = np.random.RandomState(0).rand(40, 4)
    vae = VAE(epochs=1, random_state=0).fit(X)
    assert (vae.loss_, vae.output_activation_) == ("bce", "sigmoid")
    assert "VariationalAutoencoder, any data in [0, 1] not rescaled, tables included" in \
        VAE.param_docs["loss"].text
    assert Autoencoder(epochs=1, random_state=0).fit(X).loss_ == "mse"


def test_vae_generates_and_estimates_likelihood():
    X = _digits()
    binary = (X > 0.5).astype(np.float32)
    vae = VAE(latent_dim=4, hidden_dims=(64,), **quick(epochs=15, batch_size=64)).fit(binary)
    samples = vae.sample(7, random_state=0)
    assert samples.shape == (7, 64) and (samples >= 0).all() and (samples <= 1).all()
    np.testing.assert_array_equal(samples, vae.sample(7, random_state=0))
    elbo = vae.score_samples(binary[:50])
    one = vae.log_likelihood(binary[:50], k=1, random_state=0)
    many = vae.log_likelihood(binary[:50], k=200, random_state=0)
    assert many.mean() > one.mean()  # the IWAE bound tightens with k
    assert np.all(many <= 0) and many.mean() > elbo.mean() - 5
    assert vae.transform(binary[:3]).shape == (3, 4)
    np.testing.assert_array_equal(vae.transform(binary[:3]), vae.transform(binary[:3]))


def test_vae_log_likelihood_is_a_density_in_the_datas_units():
    """On a Gaussian table a VAE's log p(x) sits near the fitted Gaussian's, not 0.57 nats per
    value above it (the normalising constant), and moves with the data's units."""
    from sklearn.mixture import GaussianMixture

    rng = np.random.RandomState(0)
    X = rng.normal(size=(400, 2)) @ rng.normal(size=(2, 6)) + rng.normal(scale=0.3, size=(400, 6))
    vae = VAE(latent_dim=2, hidden_dims=(32,), **quick(epochs=60)).fit(X)
    gaussian = GaussianMixture(1, random_state=0).fit(X).score(X)
    ll = vae.log_likelihood(X, k=100, random_state=0).mean()
    assert gaussian - 3 < ll < gaussian + 1, (ll, gaussian)
    wider = VAE(latent_dim=2, hidden_dims=(32,), **quick(epochs=60)).fit(X * 10)
    shifted = wider.log_likelihood(X * 10, k=100, random_state=0).mean()
    assert abs(shifted - (ll - 6 * np.log(10))) < 0.5  # the Jacobian of the units


def test_early_stopping_waits_out_the_kl_warmup():
    """Epochs that weigh the KL term less score a lower loss: early stopping would keep one of
    them (and its KL weight, a buffer restored with the weights) if it watched them."""
    from sklearn.datasets import load_digits

    X = load_digits().data / 16  # without the wait: epoch 6 of 11 kept, its KL weight 0.3
    vae = VAE(latent_dim=8, hidden_dims=(64,), epochs=40, kl_warmup_epochs=20,
              validation_split=0.2, patience=5, random_state=0, device="cpu").fit(X)
    assert vae.best_epoch_ >= 20 and vae.module_.latent.kl_weight.item() == 1.0
    val = vae.history_["val_loss"]
    assert val[vae.best_epoch_ - 1] == min(val[19:])  # the best of the watched epochs


def test_vae_kl_warmup_and_binarize():
    X = _digits()
    vae = VAE(kl_warmup_epochs=4, beta=2.0, binarize=True, latent_dim=3,
              callbacks=[], **quick(epochs=2))
    seen = []

    class Watch(aekit.train.Callback):
        def on_epoch_end(self, state, logs):
            seen.append(state.module.latent.kl_weight.item())

    with pytest.warns(UserWarning, match="kl_warmup_epochs=4 is more than the 2 epochs"):
        vae.set_params(callbacks=[Watch()]).fit(X)
    assert seen == [0.5, 1.0] and vae.module_.latent.kl_weight.item() == 2.0
    with pytest.raises(ValueError, match="binarize=True needs data in"):
        VAE(binarize=True, **quick(epochs=1)).fit(X * 5)


def test_l1_sparsity_lowers_mean_activation():
    X = _digits()
    params = dict(latent_dim=32, **quick(epochs=20, batch_size=64))
    plain = Autoencoder(latent_activation="relu", **params).fit(X)
    sparse = SparseAutoencoder(sparsity="l1", sparsity_weight=1e-2, **params).fit(X)
    plain_act = np.abs(plain.transform(X)).mean()
    report = sparse.sparsity_report(X)
    assert report["mean_activation"] < 0.5 * plain_act
    assert set(report) == {"mean_activation", "l0", "dead_fraction", "variance_explained"}
    assert 0 <= report["dead_fraction"] <= 1 and report["variance_explained"] > 0


def test_topk_has_exactly_k_active_units():
    X = _digits()
    model = SparseAutoencoder(sparsity="topk", k=5, latent_dim=20, **quick(epochs=5)).fit(X)
    Z = model.transform(X)
    assert ((Z > 0).sum(1) <= 5).all() and (Z >= 0).all()
    assert model.sparsity_report(X)["l0"] <= 5


def test_topk_auxiliary_loss_revives_dead_units():
    X = _digits()
    model = SparseAutoencoder(sparsity="topk", k=2, latent_dim=24, **quick(epochs=1)).fit(X)
    latent = model.module_.latent
    latent.steps_silent.fill_(10_000)  # every unit counts as dead
    out = model.module_.train()(Batch(torch.from_numpy(X[:64])))
    assert out["aux"] > 0  # the dead units are asked to explain the residual
    # and they do come back: without the auxiliary loss reaching them (a ReLU before it, or
    # 1000 silent steps on a table that trains for fewer), half the units ended dead here
    revived = SparseAutoencoder(sparsity="topk", k=4, latent_dim=16, **quick(epochs=20)).fit(X)
    assert revived.sparsity_report(X)["dead_fraction"] < 0.1


def test_kl_sparsity_moves_mean_activation_to_target():
    X = _digits()
    model = SparseAutoencoder(sparsity="kl", target_activation=0.05, sparsity_weight=1.0,
                              latent_dim=16, **quick(epochs=30, batch_size=64)).fit(X)
    assert model.transform(X).mean() < 0.15


def test_denoiser_removes_noise():
    X = _digits()
    model = DenoisingAutoencoder(noise_level=0.3, latent_dim=16, hidden_dims=(64,), loss="bce",
                                 **quick(epochs=40, batch_size=32)).fit(X)
    noisy = model.add_noise(X, random_state=1)
    assert noisy.min() >= 0 and noisy.max() <= 1 and not np.allclose(noisy, X)
    noisy_error = np.mean((noisy - X) ** 2)
    assert np.mean((model.reconstruct(noisy) - X) ** 2) < 0.6 * noisy_error


def test_a_default_denoiser_is_validated_on_noisy_rows_and_keeps_its_training():
    """val_loss corrupts the held-out rows as training does (the same noise every epoch): on
    clean rows the PCA start, which copies them well, was never beaten, so early stopping
    discarded every epoch and the denoiser was PCA."""
    X = _digits()[:1000]
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # no "epochs run are discarded"
        model = DenoisingAutoencoder(noise_level=0.5, random_state=0).fit(X)
    assert model.n_epochs_ > 5
    assert min(model.history_["val_loss"]) < 0.95 * model.history_["val_loss"][0]
    noisy = model.add_noise(X[:200], random_state=1)
    pca = PCA(model.latent_dim_).fit(X)
    pca_error = np.mean((pca.inverse_transform(pca.transform(noisy)) - X[:200]) ** 2)
    assert np.mean((model.reconstruct(noisy) - X[:200]) ** 2) < 0.8 * pca_error


def test_validation_noise_repeats_each_pass_and_differs_between_batches():
    from aekit.nn import Batch
    from aekit.train import evaluate

    X = _digits()[:64]
    module = DenoisingAutoencoder(noise_level=0.5, **quick(epochs=1)).fit(X).module_
    rows = torch.from_numpy(X)
    first, again = (evaluate(module, [Batch(rows)]) for _ in range(2))
    assert first == again  # the same noise every pass: epochs compare
    halves = [evaluate(module, [Batch(rows[:32]), Batch(rows[:32])]) for _ in range(2)]
    alone = evaluate(module, [Batch(rows[:32])])
    assert halves[0] == halves[1] and halves[0] != alone  # a second batch draws its own noise


@pytest.mark.parametrize("noise, check", [
    ("masking", lambda clean, noisy: np.isclose(np.mean((noisy == 0) & (clean > 0)) /
                                                np.mean(clean > 0), 0.3, atol=0.05)),
    ("salt_pepper", lambda clean, noisy: set(np.unique(noisy[noisy != clean])) <= {0.0, 1.0}),
])
def test_noise_kinds(noise, check):
    X = _digits()
    model = DenoisingAutoencoder(noise=noise, noise_level=0.3, **quick(epochs=1)).fit(X)
    assert check(X, model.add_noise(X, random_state=0))


def test_gaussian_noise_on_pixels_stays_in_range_whatever_the_loss():
    X = _digits()
    for loss in ("mse", "bce"):
        model = DenoisingAutoencoder(noise_level=0.5, loss=loss, **quick(epochs=1)).fit(X)
        noisy = model.add_noise(X, random_state=0)
        assert noisy.min() == 0 and noisy.max() == 1, loss
    # told not to scale, the model cannot know the data's range: nothing is clipped
    model = DenoisingAutoencoder(noise_level=0.5, scaling="none", **quick(epochs=1)).fit(X)
    assert model.add_noise(X, random_state=0).min() < 0


def test_salt_and_pepper_on_a_table_uses_each_columns_extremes():
    from sklearn.datasets import load_wine
    X = load_wine().data[:120]  # columns whose ranges differ by three orders of magnitude
    model = DenoisingAutoencoder(noise="salt_pepper", noise_level=0.3, **quick(epochs=1)).fit(X)
    noisy = model.add_noise(X, random_state=0)
    changed = ~np.isclose(noisy, X)
    assert changed.mean() > 0.1
    for column in range(X.shape[1]):
        extremes = [X[:, column].min(), X[:, column].max()]
        values = noisy[changed[:, column], column]
        assert np.isclose(values[:, None], extremes, rtol=1e-5).any(axis=1).all(), column


def test_salt_and_pepper_on_sequences_uses_each_features_extremes():
    from aekit.nn import Corruption

    x = torch.stack([torch.randn(8, 5), torch.rand(8, 5) * 600], dim=-1)  # (n, T, F)
    noisy = Corruption("salt_pepper", 0.5)(x, torch.Generator().manual_seed(0))
    for feature in range(2):
        values, changed = x[..., feature], noisy[..., feature] != x[..., feature]
        assert changed.any()
        assert set(noisy[..., feature][changed].tolist()) <= {values.min().item(),
                                                              values.max().item()}


def test_variable_length_sequences_lengths_or_nan_padding():
    W = _windows()[:80]
    lengths = np.random.RandomState(0).randint(10, 25, size=len(W))
    padded = W.copy()
    for row, n in enumerate(lengths):
        padded[row, n:] = np.nan
    model = SequenceAutoencoder(hidden_dims=(12,), latent_dim=3, **quick(epochs=3)).fit(padded)
    by_nan = model.transform(padded)
    zero_padded = np.nan_to_num(padded, nan=123.0)  # padding content must not matter
    by_lengths = model.transform(zero_padded, lengths=lengths)
    np.testing.assert_allclose(by_nan, by_lengths, atol=1e-6)
    steps = model.score_steps(padded)
    assert steps.shape == (80, 24)
    assert np.isnan(steps[0, lengths[0]:]).all() and np.isfinite(steps[0, :lengths[0]]).all()
    assert model.score_samples(padded).shape == (80,)
    rebuilt = model.reconstruct(zero_padded, lengths=lengths)  # padding comes back as padding
    assert np.isnan(rebuilt[0, lengths[0]:]).all() and np.isfinite(rebuilt[0, :lengths[0]]).all()
    assert model.score(zero_padded, lengths=lengths) == model.score(padded)
    univariate = padded[..., 0] if padded.ndim == 3 else padded  # rows (n, steps)
    one = SequenceAutoencoder(hidden_dims=(8,), latent_dim=2, **quick(epochs=1)).fit(univariate)
    assert one.score(np.nan_to_num(univariate, nan=100.0), lengths=lengths) == one.score(
        univariate)
    params = {"hidden_dims": (12,), "latent_dim": 3, **quick(epochs=2)}  # lengths beside X_val:
    given = SequenceAutoencoder(validation_data=(zero_padded[:20], lengths[:20]), **params)
    marked = SequenceAutoencoder(validation_data=padded[:20], **params)  # as NaN padding does
    assert (given.fit(padded[20:]).history_["val_loss"]
            == marked.fit(padded[20:]).history_["val_loss"])
    alone = SequenceAutoencoder(validation_data=(padded[:20],), **params)  # a 1-tuple: X_val
    assert alone.fit(padded[20:]).history_["val_loss"] == marked.history_["val_loss"]


@pytest.mark.parametrize(("params", "message"), [
    ({"batch_norm": True}, "batch_norm applies to dense and conv layers, not to GRU cells"),
    ({"activation": "tanh"}, "GRU cells have their own"),
    ({"hidden_dims": ()}, r"hidden_dims=\(\) leaves a GRU model without layers"),
])
def test_what_recurrent_layers_would_ignore_is_refused(params, message):
    with pytest.raises(ValueError, match=message):
        SequenceAutoencoder(architecture="gru", latent_dim=2, **params, **quick()).fit(_windows())


def test_recurrent_layer_checks_leave_what_is_used_alone():
    with pytest.warns(UserWarning, match=r"acts between recurrent layers, and there is one"):
        SequenceAutoencoder(hidden_dims=(8,), dropout=0.2, **quick(epochs=1)).fit(_windows())
    # the code's activation where latent_activation=None: used, so not refused
    Autoencoder(architecture="lstm", activation="tanh", latent_activation=None,
                hidden_dims=(8,), latent_dim=2, **quick(epochs=1)).fit(_windows())
    images = _digits()[:64].reshape(64, 8, 8)  # () for conv: its default widths, as before
    CompressionAutoencoder(architecture="conv", **quick(epochs=1)).fit(images)


def test_a_table_denoiser_keeps_the_rows_width_and_says_when_it_would_harm():
    """A trial: the default code of half the row left wine's noisy rows 17 times further
    from clean than they went in, without a word."""
    from sklearn.datasets import load_wine

    X = load_wine().data[np.random.RandomState(0).permutation(178)]  # sorted by class
    train, test = X[:134], X[134:]
    sd = train.std(axis=0)
    noisy = test + 0.3 * sd * np.random.RandomState(1).normal(size=test.shape)
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # it helps here: no warning
        dae = DenoisingAutoencoder(noise_level=0.3, random_state=0).fit(train)
    assert dae.latent_dim_ == 13  # the row's width (at most 32)
    error = lambda rows: float(np.mean(((rows - test) / sd) ** 2))
    assert error(dae.reconstruct(noisy)) < 0.95 * error(noisy)  # 0.80 to 0.85 for seeds 0-3
    with pytest.warns(UserWarning, match="further from clean than they went in .* makes them "
                                         "worse; give a larger latent_dim"):
        DenoisingAutoencoder(latent_dim=2, noise_level=0.1, **quick(epochs=20)).fit(train)


@pytest.mark.parametrize("noise", ["gaussian", "masking", "salt_pepper"])
def test_noise_leaves_a_sequences_padding_alone(noise):
    W = _windows()[:60]
    padded = W.copy()
    padded[:, 18:] = np.nan
    model = DenoisingAutoencoder(architecture="gru", noise=noise, hidden_dims=(8,), latent_dim=3,
                                 **quick(epochs=1)).fit(padded)
    noisy = model.add_noise(padded, random_state=0)
    assert np.isnan(noisy[:, 18:]).all() and np.isfinite(noisy[:, :18]).all()
    assert np.isnan(model.score_steps(noisy)[:, 18:]).all()  # still scored as short sequences
    held = model.add_noise(np.nan_to_num(padded, nan=7.0), random_state=0,
                           lengths=np.full(60, 18))
    assert (held[:, 18:] == 7.0).all() and np.array_equal(held[:, :18], noisy[:, :18])


def test_sequences_of_another_width_or_empty_ones_are_refused_with_the_fix():
    """A trial: another padded width was told to 'pad, crop or window'; an all-NaN sequence
    was told its length must lie in [1, 24], with no lengths given."""
    W = _windows()[:40].reshape(40, 24, -1)
    W = np.concatenate([W, W], axis=-1)  # two channels
    model = SequenceAutoencoder(hidden_dims=(8,), latent_dim=2, **quick(epochs=1)).fit(W)
    with pytest.raises(ValueError, match=r"pad shorter sequences with NaN to 24 steps .* "
                                         r"windows of it \(sliding_windows\)"):
        model.transform(W[:, :20])
    empty = W.copy()
    empty[3] = np.nan
    with pytest.raises(ValueError, match=r"row 3 of X is NaN at every step \(1 such rows\): an "
                                         r"empty sequence has nothing to encode"):
        model.score_samples(empty)


def test_a_gap_in_one_channel_of_a_sequence_is_named_by_step_and_channel():
    W = _windows()[:40].reshape(40, 24, -1)
    W = np.concatenate([W, W], axis=-1)
    W[0, 3:, 0] = np.nan  # one channel only: not padding
    with pytest.raises(ValueError, match=r"first at row 0, step 3, channel 0\): a sequence's "
                                         r"padding \(NaN\) covers every channel"):
        SequenceAutoencoder(**quick(epochs=1)).fit(W)


def test_sparsity_report_leaves_sequence_padding_out():
    W = _windows()[:60].astype(np.float64)
    lengths = np.random.RandomState(0).randint(8, 25, size=60)
    padded = W.copy()
    for row, n in enumerate(lengths):
        padded[row, n:] = np.nan
    model = SparseAutoencoder(architecture="gru", hidden_dims=(8,), latent_dim=6, k=2,
                              **quick(epochs=2)).fit(padded)
    by_nan = model.sparsity_report(padded)["variance_explained"]
    scaled = (padded - model.shift_) / model.scale_  # NaN in the padding: left out below
    rebuilt = (model.reconstruct(padded) - model.shift_) / model.scale_
    expected = 1 - np.nansum((scaled - rebuilt) ** 2) / np.nansum(
        (scaled - np.nanmean(scaled, axis=0)) ** 2)
    assert by_nan == pytest.approx(expected, rel=1e-4)
    # padding of any content, given by lengths, counts for nothing
    assert model.sparsity_report(np.nan_to_num(padded, nan=50.0),
                                 lengths=lengths)["variance_explained"] == by_nan
    full = model.sparsity_report(W)  # no padding: the lengths of full rows change nothing
    assert model.sparsity_report(W, lengths=np.full(60, 24)) == full


def test_univariate_series_and_windows():
    series = np.sin(np.linspace(0, 30, 500))
    W = sliding_windows(series, 20, step=10)
    assert W.shape == (49, 20)
    np.testing.assert_array_equal(W[1], series[10:30])
    model = SequenceAutoencoder(hidden_dims=(8,), **quick(epochs=2)).fit(W)
    assert model.reconstruct(W).shape == W.shape and model.score_steps(W).shape == W.shape
    with pytest.raises(ValueError, match="fewer than window"):
        sliding_windows(series[:5], 20)
    with pytest.raises(ValueError, match="X has 10 features, but SequenceAutoencoder is "
                                         "expecting 20"):
        model.transform(sliding_windows(series, 10))
    with pytest.raises(ValueError, match=r"rows of shape \(10, 1\), .* trained on rows of "
                                         r"shape \(20,\): pad, crop or window"):
        model.transform(sliding_windows(series, 10)[..., None])
    with pytest.raises(ValueError, match=r"rows of shape \(20, 1\), .* trained on rows of "
                                         r"shape \(20,\): give the rows the same axes"):
        model.transform(W[..., None])  # the axis the model adds itself, given by the user


@pytest.mark.parametrize("make, X, message", [
    (lambda: Autoencoder(architecture="conv"), np.ones((4, 5)), "conv.* takes arrays with 3 or 4"),
    (lambda: Autoencoder(), np.ones((4, 5, 5)), "dense.* takes arrays with 2"),
    (lambda: SequenceAutoencoder(architecture="dense"), np.ones((4, 5)), "needs architecture"),
    (lambda: SparseAutoencoder(sparsity="l2"), np.ones((4, 5)), "sparsity must be one of"),
    (lambda: DenoisingAutoencoder(noise="masking", noise_level=2.0), np.ones((4, 5)),
     "noise_level"),
    (lambda: VAE(beta=-1.0), np.ones((4, 5)), "beta"),
    (lambda: Autoencoder(architecture="lstm"), np.ones((4, 5)), None),
])
def test_variant_input_errors(make, X, message):
    model = make().set_params(**quick(epochs=1))
    if message is None:
        with pytest.raises(ValueError, match="lengths must be"):
            model.fit(X, lengths=[1, 2])
        return
    with pytest.raises(ValueError, match=message):
        model.fit(X)


def test_text_tokens_round_trip(tmp_path):
    from aekit import CharTokenizer

    texts = ["hello world", "hello there", "help me", "world peace", "hello hello"] * 30
    tokenizer = CharTokenizer().fit(texts)
    ids, lengths = tokenizer.transform(texts)
    assert ids.dtype == np.int64 and ids.shape == (150, 11) and lengths[2] == 7
    model = SequenceAutoencoder(tokens=True, hidden_dims=(32,), latent_dim=16,
                                **quick(epochs=40, batch_size=32)).fit(ids)
    assert model.loss_ == "ce" and model.history_["loss"][-1] < 0.5 * model.history_["loss"][0]
    rebuilt = model.reconstruct(ids)
    assert rebuilt.dtype == np.int64
    valid = np.arange(ids.shape[1])[None, :] < lengths[:, None]
    assert (rebuilt == ids)[valid].mean() > 0.6  # most characters come back (chance: 1/15)
    assert len(tokenizer.inverse_transform(rebuilt, lengths)) == len(texts)
    assert (rebuilt[~valid] == 0).all()  # the padding id past each text's end
    steps = model.score_steps(ids[:2])
    assert np.isnan(steps[1, 11:]).all() and np.isnan(steps[2 - 1, lengths[1]:]).all()
    model.save(tmp_path / "text.safetensors")
    np.testing.assert_array_equal(aekit.load(tmp_path / "text.safetensors").reconstruct(ids),
                                  model.reconstruct(ids))
    with pytest.raises(ValueError, match="token id 99"):
        model.transform(np.full((1, 11), 99))
    with pytest.raises(TypeError, match="integer token ids"):
        model.transform(ids.astype(float) + 0.5)
    np.testing.assert_array_equal(model.transform(ids.astype(float)), model.transform(ids))
    new_text, _ = tokenizer.transform(["help"])  # padded to the width fit saw, as the model is
    assert new_text.shape == (1, 11) and model.transform(new_text).shape == (1, 16)
    with pytest.raises(TypeError, match="tokens=True takes token ids, not texts: .*CharTokenizer"):
        model.transform(["hello"])
    import pandas as pd  # a table of ids (a CSV's) is ids, not texts

    np.testing.assert_array_equal(model.transform(pd.DataFrame(ids)), model.transform(ids))


def test_a_text_model_knows_the_tokenizers_ids_that_its_training_rows_lack():
    """A trial: fitted on a split without 'x', the model refused a text holding it."""
    from aekit import CharTokenizer

    texts = ["abc", "abd", "bcd", "cab", "dab", "bad"] * 10 + ["xyz"]
    tokenizer = CharTokenizer().fit(texts)
    ids, _ = tokenizer.transform(texts)
    train, new = ids[:-1], ids[-1:]
    guessed = SequenceAutoencoder(tokens=True, **quick(epochs=1)).fit(train)
    with pytest.raises(ValueError, match=r"knows ids below 6 \(the largest id of its training "
                                         r"rows, plus one\): fit it with vocab_size="):
        guessed.score_samples(new)
    told = SequenceAutoencoder(tokens=True, vocab_size=tokenizer.vocab_size, **quick(epochs=1))
    assert told.fit(train).vocab_size_ == 9 and np.isfinite(told.score_samples(new)).all()
    with pytest.raises(ValueError, match="knows ids below 3$"):
        SequenceAutoencoder(tokens=True, vocab_size=3, **quick(epochs=1)).fit(train)
    with pytest.raises(ValueError, match=r"vocab_size applies to token ids \(tokens=True\)"):
        SequenceAutoencoder(vocab_size=9, **quick(epochs=1)).fit(np.ones((4, 3)))


def test_char_tokenizer():
    from aekit import CharTokenizer

    tokenizer = CharTokenizer().fit(["abc"])
    ids, lengths = tokenizer.transform(["cab", "z", "abcabc"], max_length=4)
    assert ids.tolist() == [[4, 2, 3, 0], [1, 0, 0, 0], [2, 3, 4, 2]]
    assert lengths.tolist() == [3, 1, 4]
    assert tokenizer.inverse_transform(ids, lengths) == ["cab", "\ufffd", "abca"]
    with pytest.raises(TypeError, match="list of strings"):
        tokenizer.fit("abc")
    with pytest.raises(ValueError, match=r"texts\[1\] is empty \(1 empty texts\)"):
        CharTokenizer().fit(["abc", ""])
    with pytest.raises(ValueError, match=r"texts\[0\] is empty .* nothing to encode"):
        tokenizer.transform([""])  # a trial: scored and rebuilt as a text of one character
    with pytest.raises(NotFittedError):
        CharTokenizer().transform(["a"])
    for wrong in (0, -1, 2.5):
        with pytest.raises(ValueError, match="max_length must be a whole number"):
            tokenizer.transform(["a"], max_length=wrong)
    with pytest.warns(UserWarning, match="1 of 2 texts are longer than the 3 characters"):
        assert tokenizer.transform(["a", "abcabc"])[0].shape == (2, 3)  # fit's width: cut
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a width asked for cuts without a word
        tokenizer.transform(["abcabc"], max_length=2)
    assert repr(clone(tokenizer)) == "CharTokenizer()"  # a scikit-learn estimator


def test_ce_is_a_loss_for_token_ids_only():
    ids = np.random.RandomState(0).randint(1, 6, size=(20, 5))
    model = SequenceAutoencoder(tokens=True, loss="ce", hidden_dims=(8,), latent_dim=2,
                                **quick(epochs=1)).fit(ids)
    assert model.loss_ == "ce"
    with pytest.raises(ValueError, match="tokens=True scores token ids by cross-entropy"):
        SequenceAutoencoder(tokens=True, loss="mse", **quick(epochs=1)).fit(ids)
    with pytest.raises(ValueError, match="loss='ce' scores token ids"):
        Autoencoder(loss="ce", **quick(epochs=1)).fit(np.random.rand(20, 4))
