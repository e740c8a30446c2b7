"""No silent wrong results: columns by name, defaults that train any table, degenerate and
extreme input, and the command line's files (issue: no silent wrong results)."""

import os
import warnings

import numpy as np
import pytest
from conftest import quick
from sklearn.datasets import load_digits, load_wine
from sklearn.decomposition import PCA
from sklearn.model_selection import train_test_split

from aekit import Autoencoder, SparseAutoencoder
from aekit.cli import main
from aekit.io import read_table, write_table
from aekit.train import Callback


@pytest.fixture(scope="module")
def wine_files(tmp_path_factory):
    folder = tmp_path_factory.mktemp("wine")
    data = load_wine()
    names = [n.replace("/", "_") for n in data.feature_names]
    X = data.data
    write_table(folder / "wine.csv", X, names)
    write_table(folder / "reversed.csv", X[:, ::-1], names[::-1])
    write_table(folder / "renamed.csv", X, ["alc", *names[1:]])
    np.savetxt(folder / "headerless.csv", X, delimiter=",")
    model = folder / "model.safetensors"
    assert main(["fit", str(folder / "wine.csv"), "-o", str(model), "--epochs", "3",
                 "--random-state", "0", "--device", "cpu"]) == 0
    return folder, model


def test_columns_are_matched_by_name(wine_files, capsys):
    folder, model = wine_files
    for name in ("wine", "reversed"):
        assert main(["encode", str(model), str(folder / f"{name}.csv"), "-o",
                     str(folder / f"{name}.npy")]) == 0
    assert "columns reordered by name" in capsys.readouterr().err
    np.testing.assert_allclose(np.load(folder / "reversed.npy"), np.load(folder / "wine.npy"),
                               rtol=1e-5, atol=1e-6)
    assert main(["score", str(model), str(folder / "renamed.csv"), "-o",
                 str(folder / "s.npy")]) == 1
    err = capsys.readouterr().err.strip()
    assert err.count("\n") == 0 and "missing 'alcohol'" in err and "unexpected 'alc'" in err
    assert main(["score", str(model), str(folder / "wine.csv"), "-o", str(folder / "s.npy"),
                 "--drop", "proline"]) == 1
    assert "missing 'proline'" in capsys.readouterr().err


def test_compress_matches_columns_by_name(wine_files):
    folder, model = wine_files
    for name in ("wine", "reversed"):
        assert main(["compress", str(model), str(folder / f"{name}.csv"), "-o",
                     str(folder / f"{name}.aekz")]) == 0
    assert (folder / "reversed.aekz").read_bytes() == (folder / "wine.aekz").read_bytes()


def test_headerless_csv_keeps_its_first_row_and_matches_by_position(wine_files, capsys):
    folder, model = wine_files
    table = read_table(folder / "headerless.csv")
    assert table.X.shape == (178, 13) and table.columns is None and table.notes
    assert main(["score", str(model), str(folder / "headerless.csv"), "-o",
                 str(folder / "s.npy")]) == 0
    assert "first row is numbers" in capsys.readouterr().err
    assert np.load(folder / "s.npy").shape == (178,)  # as score_samples returns it


def test_time_column_is_the_index_and_columns_can_be_chosen(tmp_path):
    stamps = np.array([f"2024-01-01 {h:02d}:00:00" for h in range(24)])
    values = np.sin(np.arange(24.0))
    import pyarrow as pa
    import pyarrow.csv as pacsv

    pacsv.write_csv(pa.table({"timestamp": stamps, "value": values, "other": values ** 2,
                              "label": np.zeros(24)}), tmp_path / "series.csv")
    model, scores = tmp_path / "m.safetensors", tmp_path / "scores.csv"
    assert main(["fit", str(tmp_path / "series.csv"), "--time", "timestamp", "--columns",
                 "value,other", "-o", str(model), "--epochs", "2", "--device", "cpu"]) == 0
    assert main(["score", str(model), str(tmp_path / "series.csv"), "--time", "timestamp",
                 "--drop", "label", "-o", str(scores)]) == 0
    table = read_table(scores, index="timestamp")
    assert table.columns == ["score"] and len(table) == 24
    np.testing.assert_array_equal(table.index.astype("datetime64[s]"),
                                  stamps.astype("datetime64[s]"))


def test_outputs_keep_the_umask(tmp_path):
    old = os.umask(0o027)
    try:
        write_table(tmp_path / "new.csv", np.ones((2, 2)))
    finally:
        os.umask(old)
    assert os.stat(tmp_path / "new.csv").st_mode & 0o777 == 0o640  # not mkstemp's 0o600
    os.chmod(tmp_path / "new.csv", 0o604)
    write_table(tmp_path / "new.csv", np.zeros((2, 2)))  # an existing file keeps its mode
    assert os.stat(tmp_path / "new.csv").st_mode & 0o777 == 0o604


def test_a_path_given_to_fit_says_how_to_read_it():
    with pytest.raises(TypeError, match="aekit.io.read_table"):
        Autoencoder(**quick()).fit("data.csv")


def test_degenerate_input_is_refused_or_warned():
    X = load_wine().data
    with pytest.raises(ValueError, match="at least 2 rows"):
        Autoencoder(**quick()).fit(X[:1])
    with pytest.warns(UserWarning, match="can copy its input"):
        Autoencoder(latent_dim=13, **quick(epochs=1)).fit(X)
    with pytest.warns(UserWarning, match="one value per row: an autoencoder has nothing to"):
        Autoencoder(**quick(epochs=1)).fit(X[:, :1])  # not "latent_dim=1 is not smaller"
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # sparse codes may be wider than the input
        SparseAutoencoder(latent_dim=16, **quick(epochs=1)).fit(X)


def test_one_rule_for_extreme_input():
    X = load_wine().data
    ae = Autoencoder(**quick(epochs=2)).fit(X)
    far = X[:3].copy()
    far[0, 0] = 1e30
    for method in (ae.transform, ae.reconstruct, ae.score_samples):
        with pytest.raises(ValueError, match="from the training data"):
            method(far)
    far[0, 0] = X[:, 0].mean() + 1e6 * X[:, 0].std()  # extreme but within the rule
    for method in (ae.transform, ae.reconstruct, ae.score_samples):
        assert np.isfinite(method(far)).all(), method.__name__


class _Blowup(Callback):
    """Scales every weight up early in epoch 3: the loss grows by many orders, staying
    finite, as a run does that an optimizer throws far off."""

    def on_batch_end(self, state, index, loss):
        if state.epoch == 2 and index == 0:
            for p in state.module.parameters():
                p.data.mul_(300.0)


def test_divergence_guard_catches_a_runaway_finite_loss():
    X = load_wine().data
    with pytest.warns(RuntimeWarning, match="times its lowest"):
        ae = Autoencoder(hidden_dims=(), callbacks=[_Blowup()], **quick(epochs=6)).fit(X)
    assert ae.n_epochs_ == 3 and np.all(np.isfinite(ae.history_["loss"]))
    assert ae.score(X) > -10 * ae.history_["loss"][1]  # the weights before the blow-up


def test_default_autoencoder_matches_or_beats_pca_on_a_small_table():
    X = load_wine().data
    X_train, X_test = train_test_split(X, test_size=0.25, random_state=0)
    mean, std = X_train.mean(0), X_train.std(0)
    ae = Autoencoder(random_state=0, device="cpu").fit(X_train)
    assert ae.epochs_ > 50 and ae.batch_size_ < 64 and ae.latent_activation == "linear"
    ae_error = np.mean(((ae.reconstruct(X_test) - X_test) / std) ** 2)
    pca = PCA(ae.latent_dim_).fit((X_train - mean) / std)
    Z = pca.transform((X_test - mean) / std)
    pca_error = np.mean((pca.inverse_transform(Z) - (X_test - mean) / std) ** 2)
    assert ae_error <= 1.1 * pca_error, (ae_error, pca_error)
    codes = ae.transform(X_test)
    assert (codes == 0).mean() < 0.01  # a linear code: no units switched off


def test_sparse_default_is_visibly_sparser():
    X = load_digits().data / 16
    plain = Autoencoder(**quick(epochs=2)).fit(X).transform(X)
    sparse = SparseAutoencoder(**quick(epochs=2)).fit(X)
    assert (np.abs(plain) > 1e-3).sum(1).mean() > 0.9 * plain.shape[1]
    assert sparse.sparsity_report(X)["l0"] <= plain.shape[1] / 4 + 1e-9


def test_saved_models_do_not_record_verbose(tmp_path):
    import aekit

    ae = Autoencoder(verbose=2, **quick(epochs=1)).fit(np.random.RandomState(0).rand(20, 4))
    ae.save(tmp_path / "m.safetensors")
    assert aekit.load(tmp_path / "m.safetensors").verbose == 0


def test_detect_matches_a_saved_detector_columns_by_name(tmp_path, capsys):
    rng = np.random.RandomState(0)
    X = rng.normal(size=(200, 4))
    names = ["a", "b", "c", "d"]
    write_table(tmp_path / "rows.csv", X, names)
    write_table(tmp_path / "reversed.csv", X[:, ::-1], names[::-1])
    write_table(tmp_path / "renamed.csv", X, ["a", "b", "c", "e"])
    detector = tmp_path / "detector.safetensors"
    assert main(["detect", str(tmp_path / "rows.csv"), "--save", str(detector),
                 "-o", str(tmp_path / "first.csv")]) == 0
    assert main(["detect", str(tmp_path / "reversed.csv"), "--model", str(detector),
                 "-o", str(tmp_path / "again.csv")]) == 0
    assert "columns reordered by name" in capsys.readouterr().err
    first, again = (read_table(tmp_path / f"{name}.csv", columns=["score"]).X[:, 0]
                    for name in ("first", "again"))
    np.testing.assert_allclose(again, first, rtol=1e-6)
    assert main(["detect", str(tmp_path / "renamed.csv"), "--model", str(detector),
                 "-o", str(tmp_path / "x.csv")]) == 1
    assert "missing 'd'" in capsys.readouterr().err


def test_a_missing_value_is_placed_by_column_name_when_there_are_names():
    import pandas as pd

    from aekit import AnomalyDetector, AutoencoderImputer

    frame = pd.DataFrame(np.random.RandomState(0).uniform(size=(20, 4)), columns=[*"abcd"])
    frame.iloc[5, 2] = np.nan
    for estimator in (Autoencoder(), AnomalyDetector()):
        with pytest.raises(ValueError, match=r"first at row 5, column 'c'.*aekit impute"):
            estimator.fit(frame)
    frame["d"] = np.nan
    with pytest.raises(ValueError, match="column 'd' has no observed value"):
        AutoencoderImputer(epochs=1).fit(frame)


def test_a_loss_that_stays_tiny_has_not_diverged():
    from aekit.train.callbacks import DivergenceGuard

    guard = DivergenceGuard()
    assert not guard._diverged("loss", 4e-16)
    assert not guard._diverged("loss", 1.7e-7)  # 4e8 times its lowest, still nothing
    assert guard._diverged("loss", 5e3)


def test_topk_sparsity_that_keeps_every_unit_is_refused():
    from aekit import SparseAutoencoder

    with pytest.raises(ValueError, match="k=8 keeps every unit of the 6-unit code"):
        SparseAutoencoder(latent_dim=6, k=8, epochs=1).fit(load_wine().data)


@pytest.mark.parametrize("activation", ["sigmoid", "tanh", "relu", "elu", "silu"])
def test_an_output_activation_that_cannot_reach_the_data_is_refused(activation):
    X = load_wine().data  # standardised: values on both sides of 0, beyond 1
    with pytest.raises(ValueError, match=f"output_activation='{activation}' gives values in"):
        Autoencoder(output_activation=activation, epochs=1).fit(X)
    Autoencoder(output_activation="sigmoid", scaling="minmax", epochs=1).fit(X)  # reaches it


def test_a_column_float32_cannot_resolve_is_refused_by_name():
    """123456.789 +- 0.001 rounds to a handful of float32 values: the network, which computes
    in float32, would learn nothing of the column while its score said the fit was perfect."""
    import pandas as pd

    from aekit import AutoencoderImputer, MaskedAutoencoder

    rng = np.random.RandomState(0)
    frame = pd.DataFrame({"a": rng.normal(size=200),
                          "x": 123456.789 + 1e-3 * rng.normal(size=200)})
    # the imputer's own table, not its inner model's matrix (a trial: "column 0")
    for model in (Autoencoder(epochs=1), MaskedAutoencoder(epochs=1), AutoencoderImputer(epochs=1)):
        with pytest.raises(ValueError, match=r"column 'x' varies by 0.000943 around 123456.78.*"
                                             "subtract a constant"):
            model.fit(frame)
    centred = frame.assign(x=frame.x - frame.x.mean())  # the remedy the message gives
    Autoencoder(epochs=1).fit(centred)
    Autoencoder(epochs=1).fit(frame.assign(x=40.7 + 1e-4 * frame.a))  # 26 steps per deviation
    rounded = np.where(frame.a > 0, 0.1, 0.3 - 0.2)  # one constant, computed two ways
    Autoencoder(epochs=1).fit(frame.assign(x=rounded))


def test_a_streamed_column_float32_rounds_to_a_few_values_is_refused(tmp_path):
    """Streamed blocks arrive as float32, so the check reads their statistics: a column left
    with a few distinct values is refused (one rounded to a single value looks constant)."""
    from aekit.io import open_source

    rng = np.random.RandomState(0)
    np.save(tmp_path / "x.npy", np.c_[123456.789 + 2e-2 * rng.normal(size=200),
                                      rng.normal(size=200)])
    with pytest.raises(ValueError, match="column 0 varies by 0.02.* subtract a constant"):
        Autoencoder(epochs=1).fit(open_source(tmp_path / "x.npy"))


def test_a_missing_pixel_is_placed_in_its_image():
    """An image's NaN at [4, 5] read "column 4" (a trial)."""
    from aekit.estimators._validation import check_finite

    images = np.zeros((6, 8, 8))
    images[3, 4, 5] = np.nan
    with pytest.raises(ValueError, match=r"first at row 3, at \[4, 5\]\)"):
        check_finite(images)
