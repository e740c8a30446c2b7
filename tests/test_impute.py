"""AutoencoderImputer: fills NaN only, learns from observed cells only, mixed tables, draws,
saving, the CLI, the series helper and bad input."""

import io
import re

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
import torch

import aekit
from aekit import AutoencoderImputer
from aekit.apps.impute_series import impute_series
from aekit.cli import main
from aekit.estimators._decimals import shortest_float64
from aekit.nn import AutoencoderNet, Batch, DenseCode, DenseDecoder, DenseEncoder, Reconstruction
from aekit.train.manual import ManualStep
from aekit.train.step import make_step

FAST = {"hidden_dims": (32,), "latent_dim": 16, "batch_size": 32, "random_state": 0,
        "device": "cpu"}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


def correlated(n=300, d=8, seed=0):
    rng = np.random.RandomState(seed)
    X = rng.normal(size=(n, 2)) @ rng.normal(size=(2, d)) * 3 + 10
    return X + 0.05 * rng.normal(size=X.shape)


def with_holes(X, share=0.2, seed=1):
    missing = np.random.RandomState(seed).random_sample(X.shape) < share
    return np.where(missing, np.nan, X), missing


@pytest.fixture(scope="module")
def fitted():
    X = correlated()
    X_missing, missing = with_holes(X)
    imputer = AutoencoderImputer(epochs=30, **FAST).fit(X_missing)
    return imputer, X, X_missing, missing


def test_fills_nan_and_never_changes_an_observed_value(fitted):
    imputer, _, X_missing, missing = fitted
    out = imputer.transform(X_missing)
    assert not np.isnan(out).any()
    assert np.array_equal(out[~missing], X_missing[~missing])  # bit for bit
    out32 = imputer.transform(X_missing.astype(np.float32))
    assert out32.dtype == np.float32
    assert np.array_equal(out32[~missing], X_missing.astype(np.float32)[~missing])


def test_fills_carry_float32s_digits_and_no_more(fitted):
    imputer, _, X_missing, missing = fitted
    fills = imputer.transform(X_missing)[missing]
    # each fill is the float64 of its float32's shortest text: 0.1 shows as 0.1
    assert [float(str(np.float32(v))) for v in fills] == fills.tolist()


@pytest.mark.parametrize("exponents", [(-8, 8), (-45, -8), (8, 39)])
def test_shortest_float64_matches_float32s_own_shortest_text(exponents):
    rng = np.random.default_rng(0)
    values = (rng.normal(size=20000) * 10.0 ** rng.integers(*exponents, 20000)).astype(np.float32)
    values[:7] = [0.1, -3.3, 0.0, np.inf, -np.inf, 1e-45, np.finfo(np.float32).max]
    out = shortest_float64(values)
    np.testing.assert_array_equal(out, values.astype(str).astype(np.float64))
    np.testing.assert_array_equal(out.astype(np.float32), values)
    assert np.isnan(shortest_float64(np.array([np.nan], np.float32))[0])


def test_beats_the_column_mean_on_correlated_data(fitted):
    imputer, X, X_missing, missing = fitted
    error = np.sqrt(np.mean((imputer.transform(X_missing) - X)[missing] ** 2))
    mean_error = np.sqrt(np.mean((np.nanmean(X_missing, 0) - X)[missing] ** 2))
    assert error < 0.5 * mean_error, (error, mean_error)


def test_a_missing_cells_value_cannot_change_the_loss(fitted):
    module = fitted[0].model_.module_
    x = torch.randn(16, 8)
    mask = torch.ones(16, 8)
    mask[3, 2] = 0.0

    def loss(values):
        torch.manual_seed(0)  # the same cells hidden each time
        return module(Batch(values, mask=mask))["loss"].item()

    changed_missing, changed_observed = x.clone(), x.clone()
    changed_missing[3, 2] += 100.0
    changed_observed[3, 1] += 100.0
    assert loss(changed_missing) == loss(x)
    assert loss(changed_observed) != loss(x)


def _plain_net():
    return AutoencoderNet(DenseEncoder(6, (8,), "relu"), DenseCode(8, 3, "relu"),
                          DenseDecoder(3, (8,), 6, "relu"), Reconstruction("mse", "linear"))


def test_the_manual_step_hands_a_batch_with_more_than_x_to_the_eager_step():
    module = _plain_net()
    optimizer = torch.optim.Adam(module.parameters())
    step = make_step("manual", module, optimizer)
    assert isinstance(step, ManualStep)
    calls = []
    module.register_forward_hook(lambda mod, args, out: calls.append(args[0].mask))
    x = torch.rand(10, 6)
    step(Batch(x))
    assert calls == []  # x alone: the written-out backward, no forward call
    mask = torch.ones(10, 6)
    step(Batch(x, mask=mask))
    assert len(calls) == 1 and calls[0] is mask  # the mask reached the module
    with pytest.raises(ValueError, match="x alone"):
        ManualStep(step.layers, "mse", optimizer)(Batch(x, mask=mask))


def test_masked_training_through_compile_manual_uses_the_mask():
    X_missing, _ = with_holes(correlated(n=64, d=4))
    model = AutoencoderImputer(epochs=1, **FAST).fit(X_missing).model_
    assert model.compile == "auto"  # resolves to manual on the CPU; trains eagerly
    assert np.isfinite(model.history_["loss"]).all()


def _mixed_frame(n=120, seed=0):
    rng = np.random.RandomState(seed)
    base = rng.normal(size=n)
    frame = pd.DataFrame({
        "x": base * 2 + 1,
        "colour": pd.Categorical(np.where(base > 0, "red", "blue")),
        "count": pd.array(np.rint(base * 3 + 5).astype(int), dtype="Int64"),
        "id": np.arange(n),
        "y": -base + 0.1 * rng.normal(size=n),
    })
    for column in ("x", "colour", "count", "y"):
        frame.loc[rng.random_sample(n) < 0.2, column] = None
    return frame


def test_unseen_categories_of_every_column_are_named_at_once(tmp_path, capsys):
    """A trial fixed one column's new category only to meet the next column's."""
    frame = _mixed_frame().assign(size=lambda f: np.where(f["y"] > 0, "big", "small"))
    imputer = AutoencoderImputer(epochs=1, **FAST).fit(frame)
    later = frame.assign(colour=frame["colour"].cat.add_categories("green").fillna("green"),
                         size=frame["size"].replace("big", "BIG"))
    said = r"column 'colour' holds \['green'\], column 'size' holds \['BIG'\]: refit"
    with pytest.raises(ValueError, match=said):
        imputer.transform(later)
    imputer.save(tmp_path / "i.safetensors")  # the command line says the same
    later.to_csv(tmp_path / "later.csv", index=False)
    assert main(["impute", str(tmp_path / "later.csv"), "--model", str(tmp_path / "i.safetensors"),
                 "-o", str(tmp_path / "f.csv")]) == 1
    assert re.search(said, capsys.readouterr().err)


def test_dataframe_round_trip_with_categorical_and_integer_columns():
    frame = _mixed_frame()
    out = AutoencoderImputer(epochs=10, **FAST).fit(frame).transform(frame)
    assert list(out.columns) == list(frame.columns)
    assert out.dtypes.to_dict() == frame.dtypes.to_dict()
    assert out.index.equals(frame.index)
    assert not out.isna().any().any()
    observed = frame.notna()
    for column in frame.columns:
        assert out[column][observed[column]].equals(frame[column][observed[column]])
    assert set(out["colour"]) <= {"red", "blue"}
    assert out["count"].dtype == "Int64"


@pytest.mark.parametrize("text", ["str", object])
def test_a_text_column_is_filled_as_a_category(text, tmp_path):
    """read_csv gives text columns pandas' str dtype (objects before pandas 3): imputed as
    categories, as the CLI imputes them, and given back as text of the same dtype."""
    frame = _mixed_frame()
    frame["colour"] = frame["colour"].astype(text)
    imputer = AutoencoderImputer(epochs=10, **FAST).fit(frame)
    out = imputer.transform(frame)
    assert out["colour"].dtype == frame["colour"].dtype and out["colour"].notna().all()
    observed = frame["colour"].notna()
    assert out["colour"][observed].equals(frame["colour"][observed])
    assert set(out["colour"]) == {"red", "blue"}
    categorical = frame.assign(colour=_mixed_frame()["colour"])
    by_category = AutoencoderImputer(epochs=10, **FAST).fit(categorical).transform(categorical)
    assert (by_category["colour"].astype(str) == out["colour"].astype(str)).all()
    imputer.save(tmp_path / "text.safetensors")
    assert aekit.load(tmp_path / "text.safetensors").transform(frame).equals(out)
    with pytest.raises(ValueError, match=r"categories not seen in training: column 'colour' "
                                         r"holds \['green'\]: refit"):
        imputer.transform(frame.assign(colour=frame["colour"].fillna("green")))
    names = frame.assign(colour=[f"n{i}" for i in range(len(frame))]).astype({"colour": text})
    with pytest.raises(ValueError, match="'colour' holds text of 120 distinct values in 120 rows"):
        AutoencoderImputer(epochs=1, **FAST).fit(names)  # ids: not 120 categories


def test_numbers_read_as_text_are_refused_not_filled_as_categories():
    """A trial: read_csv of a column with '?' for gaps, or of decimal commas, gave text that
    was filled as categories, '?' kept and filled in as a value."""
    frame = _mixed_frame()
    counts = pd.Series([str(i % 5) for i in range(len(frame))], dtype=object)
    counts[::10] = "?"
    with pytest.raises(ValueError, match=r"'count' holds numbers and text \('\?' in 12 rows\): "
                                         r"if the text marks missing cells, make it NaN "
                                         r"\(pd.read_csv\(\.\.\., na_values=\['\?'\]\)\)"):
        AutoencoderImputer(epochs=1, **FAST).fit(frame.assign(count=counts))
    commas = frame["x"].map(lambda v: None if pd.isna(v) else f"{v:.2f}".replace(".", ","))
    with pytest.raises(ValueError, match=r"'x' holds numbers written with decimal commas "
                                         r"\('.*'\): read the file with pd.read_csv\(\.\.\., "
                                         r"decimal=','\)"):
        AutoencoderImputer(epochs=1, **FAST).fit(frame.assign(x=commas))
    codes = frame.assign(count=counts.replace("?", "9").astype("category"))  # on purpose: kept
    assert AutoencoderImputer(epochs=1, **FAST).fit_transform(codes)["count"].notna().all()


@pytest.mark.parametrize("names", [[0, 1, 2, 3, 4], pd.MultiIndex.from_tuples(
    [("a", "x"), ("a", "y"), ("b", "x"), ("b", "y"), ("b", "z")])])
def test_column_names_need_not_be_strings(names):
    frame = _mixed_frame().iloc[:, :5].copy()
    frame.columns = names
    out = AutoencoderImputer(epochs=2, **FAST).fit_transform(frame)
    assert out.columns.equals(frame.columns) and not out.isna().any().any()
    assert out.dtypes.tolist() == frame.dtypes.tolist()


def test_a_boolean_column_given_as_floats_is_filled_with_zeros_and_ones():
    frame = pd.DataFrame({"a": np.arange(60.0), "b": np.arange(60.0) % 7,
                          "flag": np.arange(60) % 3 == 0})
    imputer = AutoencoderImputer(epochs=2, **FAST).fit(frame)
    gone = frame.assign(flag=np.nan)  # all missing: pandas holds it as floats
    out = imputer.transform(gone)
    assert out["flag"].dtype == np.float64 and set(out["flag"]) <= {0.0, 1.0}


def test_float32_whole_number_and_boolean_object_columns_keep_their_kind():
    """A float32 column takes float32 fills; a float column of whole numbers (pandas' integer
    column with gaps) whole ones; True/False objects with gaps (pandas' bool column with
    gaps) True or False."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=120)
    frame = pd.DataFrame({"a": a.astype(np.float32), "count": np.rint(3 * a + 10),
                          "flag": (a > 0).astype(object)})
    frame.loc[::5, "a"], frame.loc[1::6, "count"], frame.loc[2::7, "flag"] = np.nan, np.nan, np.nan
    imputer = AutoencoderImputer(epochs=2, **FAST).fit(frame)
    out = imputer.transform(frame)
    assert out.dtypes.tolist() == frame.dtypes.tolist() and not out.isna().any().any()
    assert out["a"].dtype == np.float32
    assert (out["count"] == np.rint(out["count"])).all()  # whole numbers, as observed
    assert set(out["flag"]) == {True, False}
    later = pd.DataFrame({"a": np.float32([np.nan, 0.5]), "count": [np.nan, 9.0],
                          "flag": [True, False]})  # no gap in the flag now: plain bools
    filled = imputer.transform(later)
    assert filled["flag"].tolist() == [True, False] and filled.notna().all().all()


def test_sample_draws_vary_and_average_to_the_fill(fitted):
    imputer, _, X_missing, missing = fitted
    draws = np.stack(imputer.sample(X_missing, n_imputations=200, random_state=0))
    assert all(np.array_equal(d[~missing], X_missing[~missing]) for d in draws)
    spread = draws.std(axis=0)[missing]
    assert spread.min() > 0
    error = np.abs(draws.mean(axis=0) - imputer.transform(X_missing))[missing]
    assert error.max() < 5 * spread.max() / np.sqrt(200)


def test_save_and_load_in_one_file(tmp_path):
    frame = _mixed_frame()
    imputer = AutoencoderImputer(epochs=3, **FAST).fit(frame)
    path = tmp_path / "imputer.safetensors"
    imputer.save(path)
    assert [p.name for p in tmp_path.iterdir()] == ["imputer.safetensors"]
    loaded = aekit.load(path)
    assert isinstance(loaded, AutoencoderImputer)
    assert loaded.transform(frame).equals(imputer.transform(frame))
    assert np.array_equal(loaded.residual_std_, imputer.residual_std_)


@pytest.mark.parametrize("edit", [
    lambda tensors, config: config["fitted"].update(n_features_in_=-1),
    lambda tensors, config: config["fitted"]["columns_"][1].update(kind="text"),
    lambda tensors, config: tensors.update({"fitted.residual_std_": torch.ones(2)}),
])
def test_a_tampered_imputer_file_is_refused_naming_it(tmp_path, edit):
    from aekit.io import write_model_file

    tensors, config = AutoencoderImputer(epochs=1, **FAST).fit(_mixed_frame())._model_state()
    edit(tensors, config)
    path = tmp_path / "bad.safetensors"
    write_model_file(path, tensors, config)  # a valid checksum over the edited content
    with pytest.raises(ValueError, match="bad.safetensors"):
        aekit.load(path)


def test_cli_impute_end_to_end(tmp_path, capsys):
    X_missing, missing = with_holes(correlated(n=80, d=4))
    source = tmp_path / "data.csv"
    pd.DataFrame(X_missing, columns=["a", "b", "c", "d"]).to_csv(source, index=False)
    out, model = tmp_path / "filled.parquet", tmp_path / "imp.safetensors"
    assert main(["impute", str(source), "-o", str(out), "--epochs", "2", "--random-state", "0",
                 "--device", "cpu", "--save-model", str(model)]) == 0
    filled = pd.read_parquet(out)
    assert list(filled.columns) == ["a", "b", "c", "d"]
    assert not filled.isna().any().any()
    assert np.allclose(filled.to_numpy()[~missing], X_missing[~missing])
    npy = tmp_path / "data.npy"
    np.save(npy, X_missing)
    assert main(["impute", str(npy), "-o", str(tmp_path / "f.npy"), "--model", str(model)]) == 0
    assert np.array_equal(np.load(tmp_path / "f.npy")[~missing], X_missing[~missing])
    assert "filled" in capsys.readouterr().out
    bare = tmp_path / "bare.csv"  # no header row in: none out (a trial: x0,x1,... was added)
    pd.DataFrame(X_missing).to_csv(bare, index=False, header=False)
    assert main(["impute", str(bare), "-o", str(tmp_path / "bare_f.csv"), "--epochs", "1"]) == 0
    back = pd.read_csv(tmp_path / "bare_f.csv", header=None).to_numpy()
    assert back.shape == X_missing.shape and np.allclose(back[~missing], X_missing[~missing])
    np.save(npy, np.full((5, 2), np.nan))
    assert main(["impute", str(npy), "-o", str(tmp_path / "g.npy")]) == 1
    assert "no observed value" in capsys.readouterr().err


def test_cli_impute_fills_a_headerless_csv_as_one_with_a_header(tmp_path, capsys):
    """A trial: the same table without its header row came back with counts filled as 2.19
    and True/False as 0.41 (True written as 1), and its text refused without its names."""
    rng = np.random.default_rng(0)
    frame = pd.DataFrame({"h": rng.normal(170, 10, 120).round(1),
                          "kids": pd.array(rng.integers(0, 4, 120), dtype="Int64"),
                          "active": pd.array(rng.random(120) > 0.5, dtype="boolean"),
                          "city": rng.choice(["lyon", "nice"], 120)})
    for name in ("h", "kids", "active"):
        frame.loc[rng.random(120) < 0.1, name] = None
    named, bare = tmp_path / "named.csv", tmp_path / "bare.csv"
    frame.to_csv(named, index=False)
    frame.to_csv(bare, index=False, header=False)
    fit = ["--epochs", "2", "--device", "cpu"]
    model = tmp_path / "bare.safetensors"
    assert main(["impute", str(named), "-o", str(tmp_path / "n.csv"), *fit]) == 0
    assert main(["impute", str(bare), "-o", str(tmp_path / "b.csv"), *fit, "--save-model",
                 str(model)]) == 0
    filled = pd.read_csv(tmp_path / "b.csv", header=None, names=list(frame.columns))
    assert filled.equals(pd.read_csv(tmp_path / "n.csv"))  # as with its header, without one
    assert filled["kids"].dtype == np.int64 and filled["active"].dtype == bool
    assert set(filled["city"]) == {"lyon", "nice"} and not filled.isna().any().any()
    assert main(["impute", str(bare), "-o", str(tmp_path / "again.csv"), "--model",
                 str(model)]) == 0
    assert (tmp_path / "again.csv").read_bytes() == (tmp_path / "b.csv").read_bytes()
    assert main(["impute", str(named), "-o", str(tmp_path / "x.csv"), *fit, "--save-model",
                 str(tmp_path / "named.safetensors")]) == 0
    assert main(["impute", str(bare), "-o", str(tmp_path / "x.csv"), "--model",
                 str(tmp_path / "named.safetensors")]) == 1  # (its advice was a dead end)
    assert "has no header row, and the imputer reads its columns by name (h, kids, active, " \
        "city), some of them text: give the file the header row" in capsys.readouterr().err
    frame.drop(columns="city").to_csv(bare, index=False, header=False)  # x3 left out: named
    assert main(["impute", str(bare), "-o", str(tmp_path / "x.csv"), "--model",
                 str(model)]) == 1  # as such, not a note that the imputer has no names (a review)
    assert "does not have the columns the model was trained on (missing 'x3')" in \
        capsys.readouterr().err


def test_cli_impute_leaves_out_an_id_and_a_label(tmp_path, capsys):
    """--drop keeps a label out of the imputer; --time copies an id out beside the rows."""
    X_missing, missing = with_holes(correlated(n=80, d=3))
    frame = pd.DataFrame(X_missing, columns=["a", "b", "c"])
    frame.insert(0, "id", [f"row{i}" for i in range(80)])
    frame["label"] = np.arange(80) % 2 * 1000.0  # a feature it would be fitted on
    source, out, model = tmp_path / "data.csv", tmp_path / "f.csv", tmp_path / "i.safetensors"
    frame.to_csv(source, index=False)
    assert main(["impute", str(source), "-o", str(out), "--time", "id", "--drop", "label",
                 "--epochs", "1", "--random-state", "0", "--device", "cpu",
                 "--save-model", str(model)]) == 0
    filled = pd.read_csv(out)
    assert list(filled.columns) == ["id", "a", "b", "c"] and filled["id"][3] == "row3"
    assert np.allclose(filled[["a", "b", "c"]].to_numpy()[~missing], X_missing[~missing])
    assert list(aekit.load(model).feature_names_in_) == ["a", "b", "c"]


def test_cli_impute_fills_booleans_and_integers_as_such(tmp_path):
    """A True/False column comes back True/False and a column of counts as whole numbers,
    as the Python imputer keeps a DataFrame's nullable types."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=120)
    frame = pd.DataFrame({"a": a, "n": pd.array(np.rint(3 * a + 10).astype(int), dtype="Int64"),
                          "flag": pd.array(a > 0, dtype="boolean"), "m": np.rint(5 * a)})
    frame.loc[::6, "flag"], frame.loc[1::7, "n"] = pd.NA, pd.NA
    frame.loc[2::5, "m"] = np.nan  # written as pandas writes floats: 3.0
    source, out = tmp_path / "data.csv", tmp_path / "filled.csv"
    frame.to_csv(source, index=False)
    assert main(["impute", str(source), "-o", str(out), "--epochs", "1", "--random-state", "0",
                 "--device", "cpu"]) == 0
    filled = pd.read_csv(out)
    assert filled["flag"].dtype == bool and filled["n"].dtype == np.int64
    assert (filled["n"][~frame["n"].isna()] == frame["n"].dropna()).all()
    assert (filled["m"] == np.rint(filled["m"])).all() and filled["m"].notna().all()


def test_series_gaps_are_filled_and_points_kept():
    t = np.arange(400)
    series = np.sin(t * 2 * np.pi / 24) + 0.01 * t
    gappy = series.copy()
    gappy[np.random.RandomState(0).choice(400, 40, replace=False)] = np.nan
    filled = impute_series(gappy, window=24, epochs=3, **FAST)
    assert np.array_equal(filled[~np.isnan(gappy)], series[~np.isnan(gappy)])
    assert np.isfinite(filled).all()
    times = pd.date_range("2024-01-01", periods=400, freq="h", name="time")
    as_series = impute_series(pd.Series(gappy, index=times, name="load"), window=24, epochs=3,
                              **FAST)  # a Series back, with its index and name
    assert as_series.name == "load" and as_series.index.equals(times)
    np.testing.assert_array_equal(as_series.to_numpy(), filled)
    with pytest.raises(ValueError, match="1-D"):
        impute_series(np.zeros((10, 2)))
    long_gap = np.r_[series[:100], [np.nan] * 30, series[:100]]  # longer than the window
    assert np.isfinite(impute_series(long_gap, window=24, epochs=1, **FAST)).all()


@pytest.mark.parametrize("make_bad, error, match", [
    (lambda X: np.column_stack([X, np.full(len(X), np.nan)]), ValueError, "no observed value"),
    (lambda X: np.where(np.arange(X.size).reshape(X.shape) == 5, np.inf, X), ValueError,
     "contains inf"),
    (lambda X: pd.DataFrame({"a": X[:, 0], "mixed": [("x", 1)[i % 2] for i in range(len(X))]}),
     TypeError, "astype\\('category'\\)"),  # text of few values is a category; not this
    (lambda X: X[:1], ValueError, "at least 2 rows"),
])
def test_bad_input_gets_one_clear_line(make_bad, error, match):
    with pytest.raises(error, match=match) as info:
        AutoencoderImputer(epochs=1, **FAST).fit(make_bad(correlated(n=20, d=3)))
    assert "\n" not in str(info.value)


def test_a_row_with_no_observed_cell_gets_finite_fills(fitted):
    imputer = fitted[0]
    out = imputer.transform(np.full((2, 8), np.nan))
    assert np.isfinite(out).all()
    with pytest.raises(ValueError, match="categories not seen"):
        frame = _mixed_frame()
        fitted_frame = AutoencoderImputer(epochs=1, **FAST).fit(frame)
        frame["colour"] = pd.Categorical(["green"] * len(frame))
        fitted_frame.transform(frame)


def test_readme_example():
    import numpy as np

    from aekit import AutoencoderImputer

    X = np.random.RandomState(0).normal(size=(200, 4)) @ np.ones((4, 4))  # correlated columns
    X[::7, 1] = np.nan                                                      # some cells missing
    imputer = AutoencoderImputer(epochs=20, random_state=0).fit(X)
    filled = imputer.transform(X)                                           # NaN filled, rest kept
    draws = imputer.sample(X, n_imputations=5)                              # 5 plausible fills
    assert not np.isnan(filled).any() and len(draws) == 5


def test_cli_impute_of_a_table_of_text_alone_says_there_is_nothing_to_fill(tmp_path, capsys):
    (tmp_path / "text.csv").write_text("name,city\nann,x\nbob,y\ncy,\n")
    assert main(["impute", str(tmp_path / "text.csv"), "-o", str(tmp_path / "f.csv")]) == 1
    assert "no column holds numbers or text of few values: nothing to fill" in \
        capsys.readouterr().err  # not NumPy's "need at least one array to concatenate"


def test_cli_impute_keeps_an_unnamed_index_beside_a_column_named_index(tmp_path):
    """A review: the unnamed index came back as a second column 'index', and the file could
    not be read again (two columns of one name)."""
    frame = pd.DataFrame({"index": np.arange(30) * 3.0, "b": np.random.RandomState(0).normal(
        size=30), "c": np.random.RandomState(1).normal(size=30)}, index=np.arange(100, 130))
    frame.loc[104, "b"] = np.nan
    frame.to_csv(tmp_path / "d.csv")
    for out in ("f.csv", "f.parquet"):
        assert main(["impute", str(tmp_path / "d.csv"), "-o", str(tmp_path / out),
                     "--epochs", "1"]) == 0
    back = pd.read_csv(tmp_path / "f.csv", index_col=0)
    assert list(back.columns) == ["index", "b", "c"] and back.index.tolist() == list(range(100, 130))
    parquet = pd.read_parquet(tmp_path / "f.parquet")
    assert list(parquet.columns) == ["index", "b", "c"]
    assert parquet.index.tolist() == list(range(100, 130))  # numbers, not their text


def test_cli_impute_gives_a_parquet_files_index_back_as_its_index(tmp_path):
    """A slice's range index (200, 201, ...) comes back as pandas' index, not as a column
    that a later fit would read as a feature (a review)."""
    X_missing, _ = with_holes(correlated(n=80, d=3))
    frame = pd.DataFrame(X_missing, columns=["a", "b", "c"]).iloc[20:]
    frame.to_parquet(tmp_path / "slice.parquet")
    out = tmp_path / "filled.parquet"
    assert main(["impute", str(tmp_path / "slice.parquet"), "-o", str(out), "--epochs", "1"]) == 0
    filled = pd.read_parquet(out)
    assert filled.index.tolist() == list(range(20, 80)) and list(filled.columns) == ["a", "b", "c"]
    from aekit.io import read_table

    assert read_table(out).columns == ["a", "b", "c"]  # the index is not a feature


def test_cli_outputs_in_parquet_keep_the_index_as_pandas_index(tmp_path):
    """score and detect to Parquet: the rows' labels as pandas' index, not a column 'index'
    that a later read takes for a feature (a re-trial)."""
    from aekit import Autoencoder
    from aekit.io import read_table

    X, _ = with_holes(correlated(n=80, d=3))
    frame = pd.DataFrame(np.nan_to_num(X), columns=["a", "b", "c"]).iloc[20:]
    frame.to_parquet(tmp_path / "slice.parquet")
    Autoencoder(latent_dim=1, epochs=1, random_state=0).fit(frame).save(tmp_path / "m.safetensors")
    assert main(["score", str(tmp_path / "m.safetensors"), str(tmp_path / "slice.parquet"),
                 "-o", str(tmp_path / "s.parquet")]) == 0
    assert main(["detect", str(tmp_path / "slice.parquet"), "-o", str(tmp_path / "d.parquet")]) == 0
    for out in ("s.parquet", "d.parquet"):
        assert pd.read_parquet(tmp_path / out).index.tolist() == list(range(20, 80))
        assert read_table(tmp_path / out, text=True).columns[0] == "score"


def test_cli_reads_a_european_csv_with_its_own_marks(tmp_path, capsys):
    """--sep, --decimal and --na-values hold for every CSV a command reads: the table, and
    the columns a series' fill reads again to write back as written (numbers with points)."""
    X_missing, missing = with_holes(correlated(n=80, d=3))
    cells = np.char.replace(X_missing.round(4).astype(str), ".", ",")  # 7,4194
    frame = pd.DataFrame(np.where(missing, "?", cells), columns=["a", "b", "c"])
    frame.insert(0, "site", ["nord", "süd"] * 40)  # text: copied out as written
    source = tmp_path / "eu.csv"
    frame.to_csv(source, sep=";", index=False)
    out = tmp_path / "filled.csv"
    assert main(["impute", str(source), "-o", str(out), "--epochs", "1"]) == 1
    assert "decimal commas" in capsys.readouterr().err  # the fix, named (past the '?')
    assert main(["impute", str(source), "-o", str(out), "--epochs", "1", "--decimal", ","]) == 1
    assert "--na-values '?'" in capsys.readouterr().err
    assert main(["impute", str(source), "-o", str(out), "--epochs", "1", "--decimal", ",",
                 "--na-values", "?,n/a"]) == 0
    filled = pd.read_csv(out)  # written with commas and decimal points
    assert list(filled.columns) == ["site", "a", "b", "c"] and filled["site"][1] == "süd"
    observed = X_missing.round(4)[~missing]
    np.testing.assert_allclose(filled[["a", "b", "c"]].to_numpy()[~missing], observed)
    assert not filled.isna().any().any()
    series = tmp_path / "series.csv"  # --series copies the other columns as written: not
    times = pd.date_range("2024-01-01", periods=80, freq="h").strftime("%Y-%m-%d %H:%M")
    frame.assign(time=times).to_csv(series, sep=";", index=False)  # the decimal commas
    assert main(["impute", str(series), "--series", "a", "--time", "time", "--window", "8",
                 "--epochs", "1", "--decimal", ",", "--na-values", "?", "-o", str(out)]) == 0
    back = pd.read_csv(out)
    assert back["time"].tolist() == list(times)  # the file's text, as written
    assert back["b"].dtype == np.float64 and back["a"].notna().all()  # points, as pandas reads


def test_cli_impute_with_a_saved_imputer_matches_columns_by_name(tmp_path, capsys):
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(120, 3)) * [1.0, 100.0, 1e4], columns=["a", "b", "c"])
    holes = frame.mask(rng.random_sample(frame.shape) < 0.15)
    holes.to_csv(tmp_path / "t.csv", index=False)
    holes[["c", "a", "b"]].to_csv(tmp_path / "moved.csv", index=False)
    model = tmp_path / "imp.safetensors"
    assert main(["impute", str(tmp_path / "t.csv"), "-o", str(tmp_path / "f.csv"), "--epochs",
                 "2", "--random-state", "0", "--save-model", str(model)]) in (0, None)
    assert main(["impute", str(tmp_path / "moved.csv"), "-o", str(tmp_path / "g.csv"),
                 "--model", str(model)]) in (0, None)
    assert "reordered by name" in capsys.readouterr().err
    filled, moved = pd.read_csv(tmp_path / "f.csv"), pd.read_csv(tmp_path / "g.csv")
    assert list(moved.columns) == ["c", "a", "b"]  # written in the file's own order
    pd.testing.assert_frame_equal(moved[["a", "b", "c"]], filled)


def test_an_imputer_fitted_on_an_array_fills_a_dataframe_as_an_array():
    X = np.random.RandomState(0).normal(size=(60, 3))
    X[::4, 1] = np.nan
    imputer = AutoencoderImputer(epochs=1, **FAST).fit(X)
    with pytest.warns(UserWarning, match="feature names"):
        out = imputer.transform(pd.DataFrame(X, columns=["a", "b", "c"]))
    np.testing.assert_array_equal(out, imputer.transform(X))


def test_the_normal_model_fills_the_conditional_mean():
    from aekit.nn.gaussian import GaussianFill

    fill = GaussianFill(3)
    fill.mean.copy_(torch.tensor([1.0, 2.0, 3.0]))
    fill.cov.copy_(torch.tensor([[1.0, 0.8, 0.0], [0.8, 1.0, 0.0], [0.0, 0.0, 2.0]]))
    x = torch.tensor([[3.0, 99.0, 99.0], [99.0, 99.0, 99.0], [0.5, -1.0, 7.0]])
    visible = torch.tensor([[1.0, 0.0, 0.0], [0.0, 0.0, 0.0], [1.0, 1.0, 1.0]])
    expected = torch.tensor([[3.0, 2.0 + 0.8 * 2.0, 3.0],  # E[x2 | x1 = 3]; x3 independent
                             [1.0, 2.0, 3.0],  # nothing visible: the mean
                             [0.5, -1.0, 7.0]])  # all visible: as given
    assert torch.allclose(fill(x, visible), expected, atol=1e-6)


def test_the_normal_models_fill_stays_within_the_widened_observed_range():
    from aekit.nn.gaussian import GaussianFill

    fill = GaussianFill(2)
    fill.cov.copy_(torch.tensor([[1.0, 0.99], [0.99, 1.0]]))
    fill.low.copy_(torch.tensor([-1.0, -1.0]))
    fill.high.copy_(torch.tensor([1.0, 1.0]))  # span 2: fills within [-3, 3]
    x = torch.tensor([[50.0, 0.0], [2.0, 0.0]])  # a rare extreme value, then a modest one
    out = fill(x, torch.tensor([[1.0, 0.0], [1.0, 0.0]]))
    assert out[0, 1] == 3.0  # 49.5 unclamped
    assert torch.isclose(out[1, 1], torch.tensor(1.98))  # beyond the range seen: kept


def test_em_recovers_mean_and_covariance_from_rows_with_holes():
    from aekit.nn.gaussian import fit_gaussian

    rng = np.random.RandomState(0)
    true = np.array([[1.0, 0.9, 0.3], [0.9, 1.0, 0.2], [0.3, 0.2, 1.0]])
    z = rng.multivariate_normal([0.5, -0.5, 0.0], true, size=4000)
    observed = rng.random_sample(z.shape) > 0.3
    mean, cov = fit_gaussian(torch.from_numpy(np.where(observed, z, 0.0)),
                             torch.from_numpy(observed), ridge=0.0, max_iter=200)
    assert np.abs(mean.numpy() - [0.5, -0.5, 0.0]).max() < 0.05
    assert np.abs(cov.numpy() - true).max() < 0.06


def test_the_normal_model_fills_beyond_the_observed_range():
    """The largest values of a column are the missing ones: a linear relation to another
    column carries the fill past the largest value seen, which the network alone does not."""
    rng = np.random.RandomState(0)
    a = rng.normal(size=400)
    X = np.column_stack([a, 2 * a + 0.05 * rng.normal(size=400), rng.normal(size=400)])
    top = X[:, 1] > np.quantile(X[:, 1], 0.7)
    X_missing = X.copy()
    X_missing[top, 1] = np.nan
    fills, errors = {}, {}
    for gaussian in (True, False):
        filled = AutoencoderImputer(gaussian=gaussian, epochs=20, **FAST).fit_transform(X_missing)
        fills[gaussian] = filled[top, 1]
        errors[gaussian] = np.sqrt(np.mean((filled[top, 1] - X[top, 1]) ** 2))
    assert fills[True].mean() > np.nanmax(X_missing[:, 1])
    assert errors[True] < 0.5 * errors[False], errors


def test_a_wrong_gaussian_setting_is_refused_in_one_line():
    with pytest.raises((TypeError, ValueError), match="gaussian") as info:
        AutoencoderImputer(gaussian="yes", epochs=1, **FAST).fit(correlated(n=20, d=3))
    assert "\n" not in str(info.value)


def test_the_normal_model_travels_with_a_saved_imputer(tmp_path):
    X_missing, _ = with_holes(correlated(n=120, d=5))
    imputer = AutoencoderImputer(epochs=2, **FAST).fit(X_missing)
    assert imputer.model_.module_.base is not None  # "auto": 5 columns
    imputer.save(tmp_path / "imputer.safetensors")
    loaded = aekit.load(tmp_path / "imputer.safetensors")
    assert torch.equal(loaded.model_.module_.base.cov, imputer.model_.module_.base.cov)
    assert np.array_equal(loaded.transform(X_missing), imputer.transform(X_missing))
    wide = np.random.RandomState(0).normal(size=(40, 65))
    wide[0, 0] = np.nan
    assert AutoencoderImputer(epochs=1, **FAST).fit(wide).model_.module_.base is None


def test_works_in_a_pipeline_before_an_estimator():
    from sklearn.linear_model import LinearRegression
    from sklearn.pipeline import make_pipeline

    X = correlated(n=120, d=5)
    y = X[:, 0] * 2.0
    X_missing, _ = with_holes(X)
    pipe = make_pipeline(AutoencoderImputer(epochs=5, **FAST), LinearRegression())
    predicted = pipe.fit(X_missing, y).predict(X_missing)
    assert predicted.shape == (120,) and np.isfinite(predicted).all()
    assert np.corrcoef(predicted, y)[0, 1] > 0.9


def test_an_imputer_saved_before_the_normal_model_loads_without_it(tmp_path):
    from aekit.io import write_model_file

    X_missing, _ = with_holes(correlated(n=120, d=5))
    imputer = AutoencoderImputer(gaussian=False, epochs=2, **FAST).fit(X_missing)
    tensors, config = imputer._model_state()
    del config["params"]["gaussian"], config["inner"]["params"]["gaussian"]  # an older file
    write_model_file(tmp_path / "old.safetensors", tensors, config)
    loaded = aekit.load(tmp_path / "old.safetensors")
    assert loaded.gaussian is False and loaded.model_.module_.base is None
    assert np.array_equal(loaded.transform(X_missing), imputer.transform(X_missing))


@pytest.mark.parametrize("edit", [
    lambda t: t["model.module.base.cov"].fill_(float("nan")),
    lambda t: t["model.module.base.cov"].mul_(-1.0),
    lambda t: t["model.module.base.low"].fill_(1e9),
])
def test_a_tampered_normal_model_is_refused_naming_the_file(tmp_path, edit):
    from aekit.io import write_model_file

    X_missing, _ = with_holes(correlated(n=120, d=5))
    tensors, config = AutoencoderImputer(epochs=1, **FAST).fit(X_missing)._model_state()
    edit(tensors)
    write_model_file(tmp_path / "bad.safetensors", tensors, config)
    with pytest.raises(ValueError, match="bad.safetensors"):
        aekit.load(tmp_path / "bad.safetensors")


def test_codes_alone_do_not_decode_on_a_normal_model():
    from aekit.estimators.masked import MaskedAutoencoder

    X_missing, _ = with_holes(correlated(n=120, d=5))
    model = MaskedAutoencoder(epochs=1, latent_dim=2, random_state=0, device="cpu").fit(X_missing)
    with pytest.raises(ValueError, match="reconstruct"):
        model.inverse_transform(model.transform(X_missing))
    with pytest.raises(ValueError, match="skip=True"):  # its skip path: more than the code
        skipping = MaskedAutoencoder(gaussian=False, epochs=1, latent_dim=2, random_state=0,
                                     device="cpu").fit(X_missing)
        skipping.inverse_transform(skipping.transform(X_missing))
    plain = MaskedAutoencoder(gaussian=False, skip=False, epochs=1, latent_dim=2,
                              random_state=0, device="cpu").fit(X_missing)
    assert plain.inverse_transform(plain.transform(X_missing)).shape == X_missing.shape


def test_fills_stay_in_each_columns_observed_range(tmp_path):
    """A column seen constant is filled with that constant, a 0/1 column within [0, 1], as
    scikit-learn's imputers do; the bounds survive saving."""
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(300, 4)), np.full(300, 5.0), (rng.uniform(size=300) < 0.3),
              np.full(300, 0.1)]
    holes = np.where(rng.uniform(size=X.shape) < 0.25, np.nan, X)
    imputer = AutoencoderImputer(epochs=5, **FAST).fit(holes)
    imputer.save(tmp_path / "imputer.safetensors")
    for model in (imputer, aekit.load(tmp_path / "imputer.safetensors")):
        filled = model.transform(holes)
        assert set(filled[:, 4]) == {5.0} and set(filled[:, 6]) == {0.1}
        assert filled[:, 5].min() >= 0 and filled[:, 5].max() <= 1


def test_only_columns_of_repeated_few_values_are_bounded():
    from aekit.estimators._scaling import FeatureStats
    from aekit.estimators.masked import fill_bounds

    X = np.array([[1.0, 0], [2.5, 1], [3.7, 0], [np.nan, 1], [5.1, np.nan], [6.0, 0]])
    low, high = fill_bounds(X, FeatureStats.of(X))
    assert high[1] == 1 and low[1] == 0  # a 0/1 flag
    assert high[0] > 1e300 and low[0] < -1e300  # five values, each seen once: continuous
    once = np.array([[2.0, 1.0], [np.nan, 2.0], [np.nan, 3.0], [np.nan, 4.0]])
    low, high = fill_bounds(once, FeatureStats.of(once))
    assert low[0] == high[0] == 2.0  # one value, seen once: the only evidence, a constant


def test_drawn_completions_of_a_flag_stay_in_its_range():
    rng = np.random.RandomState(0)
    X = np.c_[rng.normal(size=(300, 3)), (rng.uniform(size=300) < 0.3)]
    holes = np.where(rng.uniform(size=X.shape) < 0.2, np.nan, X)
    draws = AutoencoderImputer(epochs=3, **FAST).fit(holes).sample(holes, 3, random_state=0)
    assert all(d[:, 3].min() >= 0 and d[:, 3].max() <= 1 for d in draws)


def test_cli_impute_gives_the_whole_table_back(tmp_path, capsys):
    """Text of few values is filled as a category, other text and dates are copied out
    unchanged, in the file's column order; a saved imputer fills a later file alike."""
    X_missing, missing = with_holes(correlated(n=120, d=3))
    frame = pd.DataFrame(X_missing, columns=["a", "b", "c"])
    frame.insert(0, "day", pd.date_range("2024-01-01", periods=120).astype(str))
    frame["kind"] = np.where(frame["a"].fillna(0) > 0, "up", "down")
    frame.loc[::7, "kind"] = None
    frame.insert(2, "comment", [f"note {i}" for i in range(120)])
    source, out, model = tmp_path / "d.csv", tmp_path / "f.csv", tmp_path / "i.safetensors"
    frame.to_csv(source, index=False)
    assert main(["impute", str(source), "-o", str(out), "--epochs", "2", "--random-state", "0",
                 "--device", "cpu", "--save-model", str(model)]) == 0
    err = capsys.readouterr().err
    assert "kind: text of few values, filled as categories" in err
    assert "day, comment: text (or dates), copied out unchanged" in err
    filled = pd.read_csv(out)
    assert list(filled.columns) == list(frame.columns) and not filled.isna().any().any()
    assert (filled["comment"] == frame["comment"]).all() and (filled["day"] == frame["day"]).all()
    assert set(filled["kind"]) == {"up", "down"}
    assert np.allclose(filled[["a", "b", "c"]].to_numpy()[~missing], X_missing[~missing])
    assert main(["impute", str(source), "-o", str(tmp_path / "g.parquet"), "--model",
                 str(model)]) == 0
    assert pd.read_parquet(tmp_path / "g.parquet")["kind"].notna().all()
    assert main(["impute", str(source), "-o", str(tmp_path / "g.npy")]) == 1
    assert "day, comment, kind hold text: write .csv or .parquet" in capsys.readouterr().err


def test_cli_impute_fills_codes_written_as_numbers_as_categories(tmp_path, capsys):
    """A trial: a postcode column (69001, 75001, 06000) was filled with numbers between them,
    none of them a postcode, and ``impute`` had no ``--categories`` to say what it is."""
    rng = np.random.default_rng(0)
    codes = rng.choice(["69001", "75001", "06000"], 200)
    income = np.select([codes == "75001", codes == "69001"], [60.0, 40.0], 30.0)
    frame = pd.DataFrame({"zip": codes, "income": income + rng.normal(0, 2, 200),
                          "kids": rng.integers(0, 4, 200)})
    frame.loc[rng.random(200) < 0.15, "zip"] = None
    source, model = tmp_path / "zip.csv", tmp_path / "i.safetensors"
    frame.to_csv(source, index=False)
    fit = ["--epochs", "2", "--device", "cpu"]
    assert main(["impute", str(source), "-o", str(tmp_path / "n.csv"), *fit]) == 0
    assert "zip: whole numbers of few values far apart, filled as numbers" in \
        capsys.readouterr().err  # kids, 0 to 3, are counts: no note
    assert main(["impute", str(source), "-o", str(tmp_path / "c.csv"), "--categories", "zip",
                 "--save-model", str(model), *fit]) == 0
    assert "far apart" not in capsys.readouterr().err
    filled = pd.read_csv(tmp_path / "c.csv", dtype={"zip": str})
    assert set(filled["zip"]) == {"69001", "75001", "06000"}  # as written: 06000, not 6000
    observed = frame["zip"].notna()
    assert (filled["zip"][observed] == frame["zip"][observed]).all()
    assert main(["impute", str(source), "-o", str(tmp_path / "m.csv"), "--model",
                 str(model)]) == 0  # the saved imputer reads the codes as it learnt them
    assert (tmp_path / "m.csv").read_bytes() == (tmp_path / "c.csv").read_bytes()
    assert "text of few values" not in capsys.readouterr().err  # numbers in the file (a review)
    frame.astype({"zip": "Int64"}).to_parquet(tmp_path / "zip.parquet")  # integers: stay so
    assert main(["impute", str(tmp_path / "zip.parquet"), "-o", str(tmp_path / "z.parquet"),
                 "--categories", "zip", *fit]) == 0
    back = pd.read_parquet(tmp_path / "z.parquet")["zip"]
    assert back.dtype == np.int64 and set(back) == {69001, 75001, 6000}
    frame.assign(empty=np.nan).to_csv(tmp_path / "e.csv", index=False)
    assert main(["impute", str(tmp_path / "e.csv"), "--categories", "empty", "-o",
                 str(tmp_path / "x.csv")]) == 1  # in the command's terms (a review)
    assert "--categories empty: the column has no value to learn a category from: leave it " \
        "out (--drop empty)" in capsys.readouterr().err
    frame.to_csv(tmp_path / "bare.csv", index=False, header=False)  # named x0, x1, x2 there
    assert main(["impute", str(tmp_path / "bare.csv"), "--categories", "x0", "-o",
                 str(tmp_path / "b.csv"), *fit]) == 0
    assert set(pd.read_csv(tmp_path / "b.csv", header=None, dtype=str)[0]) == {
        "69001", "75001", "06000"}
    for options, said in [(["--categories", "city"], "--categories city: "),
                          (["--categories", "income"], "distinct values in 200 rows"),
                          (["--categories", "zip", "--model", str(model)], "leave the option"),
                          (["--categories", "zip", "--series", "income"], "not with --series")]:
        assert main(["impute", str(source), "-o", str(tmp_path / "x.csv"), *options]) == 1
        assert said in capsys.readouterr().err


def test_cli_impute_gives_a_parquet_files_integer_codes_back_as_integers(tmp_path, capsys):
    """A review: an imputer saved from a CSV (its codes learnt as the CSV's text) filled a
    Parquet file's integer codes and wrote them back as text; and one fitted in Python on
    unnamed columns with a category made a file without a header row crash."""
    rng = np.random.default_rng(1)
    store = rng.choice([3, 250, 1200], 150)
    frame = pd.DataFrame({"sales": store / 100 + rng.normal(0, 0.1, 150),
                          "store": pd.array(store, dtype="Int64")})
    frame.loc[rng.random(150) < 0.1, "store"] = None
    frame.to_csv(tmp_path / "s.csv", index=False)
    frame.to_parquet(tmp_path / "s.parquet")
    model = tmp_path / "i.safetensors"
    assert main(["impute", str(tmp_path / "s.csv"), "--categories", "store", "--epochs", "2",
                 "--save-model", str(model), "-o", str(tmp_path / "f.csv")]) == 0
    assert main(["impute", str(tmp_path / "s.parquet"), "--model", str(model), "-o",
                 str(tmp_path / "f.parquet")]) == 0
    back = pd.read_parquet(tmp_path / "f.parquet")["store"]
    assert back.dtype == np.int64 and set(back) == {3, 250, 1200}
    unnamed = pd.DataFrame({0: frame["sales"], 1: frame["sales"] * 2,
                            2: pd.Categorical(np.where(store > 100, "big", "small"))})
    AutoencoderImputer(epochs=1, **FAST).fit(unnamed).save(tmp_path / "u.safetensors")
    unnamed.to_csv(tmp_path / "bare.csv", index=False, header=False)
    assert main(["impute", str(tmp_path / "bare.csv"), "--model", str(tmp_path / "u.safetensors"),
                 "-o", str(tmp_path / "b.csv")]) == 1
    assert "has no header row, and the imputer reads its columns by name, some of them text" \
        in capsys.readouterr().err


def test_cli_impute_fills_a_parquet_category_and_carries_empty_columns(tmp_path, capsys):
    """A pandas category stored in Parquet (a dictionary) is filled as one, a column without
    any value is copied out, and NumPy output is refused before any training."""
    X_missing, _ = with_holes(correlated(n=90, d=3))
    frame = pd.DataFrame(X_missing, columns=["a", "b", "c"])
    frame["kind"] = pd.Categorical(np.where(frame["a"].fillna(0) > 0, "up", "down"))
    frame.loc[::6, "kind"] = None
    frame["note"] = pd.Series([None] * 90, dtype=object)
    source = tmp_path / "d.parquet"
    frame.to_parquet(source)
    assert main(["impute", str(source), "-o", str(tmp_path / "f.parquet"), "--epochs", "1",
                 "--random-state", "0", "--device", "cpu"]) == 0
    filled = pd.read_parquet(tmp_path / "f.parquet")
    assert filled["kind"].notna().all() and filled["note"].isna().all()
    said = capsys.readouterr().err
    assert "kind: text of few values, filled as categories" in said
    assert "note: no value in any row, so nothing to fill from: copied out empty" in said
    frame.drop(columns="kind").fillna({"a": 0.0, "b": 0.0, "c": 0.0}).to_csv(
        tmp_path / "whole.csv", index=False)  # gaps in the empty column alone: not "none"
    assert main(["impute", str(tmp_path / "whole.csv"), "-o", str(tmp_path / "w.csv")]) == 0
    assert "no cell of the columns filled is missing" in capsys.readouterr().err
    assert main(["impute", str(source), "-o", str(tmp_path / "f.npy")]) == 1
    assert "holds numbers only" in capsys.readouterr().err


def test_inf_and_empty_frames_are_refused_by_name():
    frame = pd.DataFrame({"a": np.arange(40.0), "b": np.arange(40.0) % 7})
    frame.loc[3, "b"] = np.inf
    with pytest.raises(ValueError, match="first at row 3, column 'b'"):
        AutoencoderImputer(epochs=1, **FAST).fit(frame)
    with pytest.raises(ValueError, match="X has no columns"):
        AutoencoderImputer(epochs=1, **FAST).fit(pd.DataFrame(index=range(30)))
    with pytest.raises(TypeError, match=r"'t' holds .*times.*make it the index"):
        AutoencoderImputer(epochs=1, **FAST).fit(
            frame.assign(b=1.0, t=pd.date_range("2023-01-01", periods=40)))


def _series_file(tmp_path):
    """A daily cycle of 240 hourly steps, with an integer channel and gaps in both."""
    hours = np.arange(240)
    value = 10 + 5 * np.sin(2 * np.pi * hours / 24)
    frame = pd.DataFrame({"time": ["2024-01-01T00:00:00+02:00" if h == 0 else
                                   str(pd.Timestamp("2024-01-01") + pd.Timedelta(hours=h))
                                   for h in hours],
                          "value": value, "count": pd.array(np.rint(value).astype(int)),
                          "level": np.rint(value)})  # whole floats: written 10.0
    frame.loc[100:104, "value"] = np.nan
    frame.loc[150:151, "count"] = pd.NA
    frame.loc[170:172, "level"] = np.nan
    path = tmp_path / "series.csv"
    frame.to_csv(path, index=False)
    return path, value


def test_cli_impute_series_fills_from_neighbours_in_time(tmp_path, capsys):
    source, truth = _series_file(tmp_path)
    out, rowwise = tmp_path / "filled.csv", tmp_path / "rowwise.csv"
    assert main(["impute", str(source), "--series", "value,count,level", "--time", "time",
                 "--window", "24", "--epochs", "20", "-o", str(out)]) == 0
    assert "filled 10 missing points of 3 series of 240 steps" in capsys.readouterr().out
    given, filled = pd.read_csv(source, dtype=str), pd.read_csv(out, dtype=str)
    assert filled["time"].equals(given["time"])  # the time column's text, as written
    kept = given["value"].notna()
    assert (filled["value"][kept].astype(float) == given["value"][kept].astype(float)).all()
    assert filled["count"].str.fullmatch(r"\d+").all()  # integers stay integers
    level = filled["level"].astype(float)  # a trial: fractions filled into 59.0, 60.0, ...
    assert (level == np.rint(level)).all()
    series_error = np.abs(filled["value"].astype(float)[100:105] - truth[100:105]).mean()
    # row by row, a one-column table has nothing but the column's mean to go on
    assert main(["impute", str(source), "--columns", "value", "--epochs", "20",
                 "-o", str(rowwise)]) == 0
    row_error = np.abs(pd.read_csv(rowwise)["value"][100:105] - truth[100:105]).mean()
    assert series_error < row_error / 2, (series_error, row_error)


def test_impute_series_names_text_in_its_own_words():
    with pytest.raises(ValueError, match="values that are not numbers: convert them first"):
        impute_series(["1.5", "x", "2.5"] * 30, window=4)


def test_impute_series_checks_a_time_index_as_detection_does():
    """A trial: a reversed series and one with two days left out were filled without a word,
    where the CLI and SeriesAnomalyDetector refuse the one and point out the other."""
    hours = pd.date_range("2024-01-01", periods=200, freq="h", tz="Europe/Berlin")
    series = pd.Series(np.sin(np.arange(200) / 4), index=hours)
    series.iloc[[50, 120]] = np.nan
    with pytest.raises(ValueError, match=r"time index: the steps are not in time order"):
        impute_series(series.iloc[::-1], epochs=1)
    with pytest.warns(UserWarning, match=r"time index: 1 gap\(s\) longer .*the longest 1.71 days"):
        impute_series(series.drop(series.index[60:100]), window=24, epochs=1)


def test_cli_impute_series_refuses_what_does_not_apply(tmp_path, capsys):
    source, _ = _series_file(tmp_path)
    out = str(tmp_path / "f.csv")
    for extra, message in [(["--series", "value", "--save-model", "m.safetensors"],
                            "--save-model: not with --series"),
                           (["--series", "nope"], "has no column 'nope'"),
                           (["--window", "12"], "--window applies to a series"),
                           (["--series", ""], "--series '' names no column"),
                           (["--series", "value", "--time", "value"],
                            "--time value is also named by --series")]:
        capsys.readouterr()
        assert main(["impute", str(source), "-o", out, *extra]) == 1
        assert message in capsys.readouterr().err


def test_cli_impute_notes_that_rows_are_filled_alone_and_is_seeded(tmp_path, capsys):
    source = tmp_path / "t.csv"
    frame = pd.DataFrame({"time": pd.date_range("2024-01-01", periods=60, freq="h"),
                          "a": np.arange(60.0), "b": np.arange(60.0) * 2})
    frame.loc[5, "a"] = np.nan
    frame.to_csv(source, index=False)
    outs = [tmp_path / "1.csv", tmp_path / "2.csv"]
    for out in outs:  # the seed is 0 unless given, as for detect
        assert main(["impute", str(source), "--time", "time", "--epochs", "2", "-o", str(out)]) == 0
    assert "is better filled with --series" in capsys.readouterr().err
    assert outs[0].read_text() == outs[1].read_text()
    assert main(["impute", str(source), "--time", "time", "--columns", "a", "--epochs", "1",
                 "-o", str(tmp_path / "a.csv")]) == 0  # one column: its mean, and little more
    assert "with one column, that is little more than its mean: use --series" in \
        capsys.readouterr().err
    zoned = tmp_path / "t.parquet"  # Parquet's times, with a zone: the same note
    frame["time"] = frame["time"].dt.tz_localize("Europe/Paris")
    frame.to_parquet(zoned)
    assert main(["impute", str(zoned), "--time", "time", "--epochs", "1",
                 "-o", str(tmp_path / "3.parquet")]) == 0
    assert "is better filled with --series" in capsys.readouterr().err


def test_cli_impute_writes_zoned_times_and_dates_as_the_file_has_them(tmp_path):
    """A date column of few values is not a category, and zoned times are not moved to UTC."""
    source, out = tmp_path / "z.csv", tmp_path / "f.csv"
    times = [f"2024-01-01T{h:02d}:00:00+02:00" for h in range(24)]
    frame = pd.DataFrame({"time": times, "day": ["2024-01-01", "2024-01-02"] * 12,
                          "a": np.arange(24.0), "b": np.arange(24.0) * 2})
    frame.loc[3, "a"], frame.loc[5, "day"] = np.nan, None
    frame.to_csv(source, index=False)
    assert main(["impute", str(source), "--time", "time", "--epochs", "1", "-o", str(out)]) == 0
    filled = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert filled["time"].tolist() == times
    assert filled["day"].tolist() == frame["day"].fillna("").tolist()  # copied, gap kept


def test_cli_impute_trains_nothing_when_nothing_is_missing(tmp_path, capsys):
    source, out = tmp_path / "full.csv", tmp_path / "out.csv"
    pd.DataFrame({"a": [1.5, 2.0, 3.25], "b": [1, 2, 3]}).to_csv(source, index=False)
    assert main(["impute", str(source), "-o", str(out)]) == 0
    assert "no imputer was trained" in capsys.readouterr().err
    pd.testing.assert_frame_equal(pd.read_csv(out), pd.read_csv(source))


def test_a_gap_as_long_as_the_window_is_warned_of():
    values = np.sin(np.arange(300) / 5)
    values[100:160] = np.nan
    with pytest.warns(UserWarning, match="a gap of 60 points is as long as the window"):
        impute_series(values, window=48, epochs=1, random_state=0)


def test_cli_impute_series_keeps_an_ids_text_and_names_the_window(tmp_path, capsys):
    source, out = tmp_path / "z.csv", tmp_path / "o.csv"
    rows = [f"{i:04d},{np.sin(i / 4):.3f},{i % 3}.0" for i in range(120)]
    rows[50] = "0050,,2.0"
    source.write_text("id,value,c\n" + "\n".join(rows) + "\n")
    assert main(["impute", str(source), "--series", "value", "--time", "id", "--window", "12",
                 "--epochs", "1", "-o", str(out)]) == 0
    back = pd.read_csv(out, dtype=str)
    assert back["id"].tolist() == [f"{i:04d}" for i in range(120)]  # 0007 stays 0007
    assert back["c"].tolist() == [f"{i % 3}.0" for i in range(120)]  # other columns as read
    for window, message in [("1", "--window 1: a window needs at least 2 steps"),
                            ("200", "--series value: the series has 120 points")]:
        capsys.readouterr()
        assert main(["impute", str(source), "--series", "value", "--window", window,
                     "-o", str(out)]) == 1
        assert message in capsys.readouterr().err


def test_generate_refuses_an_imputer_in_one_line(tmp_path, capsys):
    X_missing, _ = with_holes(correlated(n=60, d=3))
    AutoencoderImputer(epochs=1, **FAST).fit(X_missing).save(tmp_path / "imp.safetensors")
    assert main(["generate", str(tmp_path / "imp.safetensors"), "-o",
                 str(tmp_path / "g.csv")]) == 1  # its sample() fills gaps: not a generator
    assert "generate needs one trained with --model vae" in capsys.readouterr().err


def test_cli_impute_series_keeps_types_and_puts_the_index_first(tmp_path):
    """From a pandas CSV to Parquet, the other numbers came back as text and the times as a
    column named ''; from a Parquet file with a DatetimeIndex to CSV, the times came last (a
    re-trial)."""
    import pandas as pd

    stamps = pd.date_range("2024-01-01", periods=300, freq="h", name="ts")
    steps = np.arange(300) * 2 * np.pi / 24
    frame = pd.DataFrame({"value": np.sin(steps), "other": np.cos(steps)}, index=stamps)
    frame.iloc[100:104, 0] = np.nan
    frame.rename_axis(None).to_csv(tmp_path / "gap.csv")
    frame.to_parquet(tmp_path / "gap.parquet")
    for source, out in (("gap.csv", "a.parquet"), ("gap.parquet", "b.csv")):
        assert main(["impute", str(tmp_path / source), "--series", "value", "--epochs", "2",
                     "-o", str(tmp_path / out)]) == 0
    filled = pd.read_parquet(tmp_path / "a.parquet")
    assert isinstance(filled.index, pd.DatetimeIndex) and list(filled.columns) == ["value",
                                                                                   "other"]
    assert (filled.dtypes == np.float64).all() and not filled["value"].isna().any()
    lines = (tmp_path / "b.csv").read_text().splitlines()
    assert lines[0] == '"ts","value","other"'
    assert lines[1].startswith("2024-01-01 00:00:00,")  # as pandas writes it, not 00.000000
    back = pd.read_csv(tmp_path / "b.csv", index_col=0, parse_dates=True)
    np.testing.assert_allclose(back["other"], frame["other"])  # numbers as numbers


def test_cli_impute_series_keeps_a_slices_range_index_and_each_index_level(tmp_path):
    """A Parquet slice's 100, 101, ... were lost in a CSV output, and its Parquet output
    could not be read by pandas; a MultiIndex's levels came after the values (a trial)."""
    import pandas as pd

    steps = np.arange(400) * 2 * np.pi / 24
    frame = pd.DataFrame({"value": np.sin(steps)})
    frame.iloc[150:153, 0] = np.nan
    frame.iloc[100:].to_parquet(tmp_path / "slice.parquet")
    levels = pd.MultiIndex.from_arrays([["a"] * 400, pd.date_range("2024-01-01", periods=400,
                                                                   freq="D")],
                                       names=["site", "day"])
    frame.set_axis(levels).to_parquet(tmp_path / "levels.parquet")
    for source, out in (("slice.parquet", "slice.csv"), ("slice.parquet", "slice_out.parquet"),
                        ("levels.parquet", "levels.csv")):
        assert main(["impute", str(tmp_path / source), "--series", "value", "--epochs", "2",
                     "-o", str(tmp_path / out)]) == 0
    written = pd.read_csv(tmp_path / "slice.csv", index_col=0)
    assert written.index[0] == 100 and not written["value"].isna().any()
    assert pd.read_parquet(tmp_path / "slice_out.parquet").index[0] == 100
    lines = (tmp_path / "levels.csv").read_text().splitlines()
    assert lines[0] == '"site","day","value"' and lines[1].startswith('"a",2024-01-01,')


def test_times_are_written_to_csv_as_pandas_writes_them():
    import pandas as pd

    from aekit.io.tables import times_as_pandas_writes

    frame = pd.DataFrame({
        "hours": pd.date_range("2026-01-01", periods=3, freq="h"),
        "zoned": pd.date_range("2026-01-01", periods=3, freq="h", tz="Europe/Paris"),
        "days": pd.date_range("2026-01-01", periods=3, freq="D"),
        "fractions": pd.date_range("2026-01-01", periods=3, freq="1500ms"),
        "gap": [pd.Timestamp("2026-01-01"), None, pd.Timestamp("2026-01-02 03:00")]})
    sink = io.BytesIO()
    pa_csv.write_csv(times_as_pandas_writes(pa.Table.from_pandas(frame)), sink)
    assert sink.getvalue().decode().replace('"', "") == frame.to_csv(index=False)
