"""Property-based tests: whatever array or file a user passes, aekit either returns finite,
well-shaped output or raises a clear ValueError/TypeError; the CLI never shows a traceback."""

import warnings

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import HealthCheck, event, given, settings
from hypothesis import strategies as st

from aekit import ESTIMATORS, Autoencoder
from aekit.cli import main
from aekit.io import write_table

FAST = {"epochs": 2, "batch_size": 4, "random_state": 0, "device": "cpu"}
# max_examples comes from the hypothesis profile (conftest.py): short by default, long nightly
SETTINGS = settings(deadline=None,
                    suppress_health_check=[HealthCheck.function_scoped_fixture,
                                           HealthCheck.too_slow])

FLOAT_VALUES = st.one_of(
    st.floats(-10, 10),
    st.floats(allow_nan=True, allow_infinity=True, width=64),  # NaN, inf, 1e308, subnormals
    st.sampled_from([0.0, 1.0, -1e30, 3e38, 1e39]),
)


CLEAN_VALUES = st.one_of(st.floats(-1e6, 1e6), st.floats(-1, 1), st.integers(-50, 50))


@st.composite
def user_arrays(draw, min_dims=0, max_dims=3):
    """Arrays a user might pass: mostly tables of numbers (some with constant columns, huge
    values or a stray NaN/inf), plus odd shapes and dtypes."""
    mode = draw(st.sampled_from(["table", "table", "dirty table", "anything"]))
    if mode != "anything" and min_dims <= 2 <= max_dims:
        shape = (draw(st.integers(1, 40)), draw(st.integers(1, 8)))
        values = CLEAN_VALUES if mode == "table" else st.one_of(CLEAN_VALUES, FLOAT_VALUES)
        X = draw(hnp.arrays(np.float64, shape, elements=values))
        X = X.astype(draw(st.sampled_from(["float64", "float32", "int64"]))) if mode == "table" else X
    else:
        X = _any_array(draw, min_dims, max_dims)
    if X.ndim == 2 and X.shape[1] > 1 and X.shape[0] and draw(st.booleans()):
        X[:, 0] = X[0, 0]  # a constant column
    return X


def _any_array(draw, min_dims, max_dims):
    shape = draw(hnp.array_shapes(min_dims=min_dims, max_dims=max_dims, min_side=0, max_side=7))
    kind = draw(st.sampled_from(["float64", "float32", "int64", "uint8", "bool", "object"]))
    if kind in ("float64", "float32"):
        X = draw(hnp.arrays(np.float64, shape, elements=FLOAT_VALUES))
        with np.errstate(over="ignore"):
            return X.astype(kind)
    if kind == "object":
        return draw(hnp.arrays(object, shape, elements=st.one_of(
            st.floats(-5, 5), st.text(max_size=3), st.none())))
    return draw(hnp.arrays(kind, shape))


def _finite_and_shaped(out, data, method: str):
    """Finite values, a row per row; a sequence's padding (trailing NaN steps) comes back from
    ``reconstruct`` as it went in (this test failed about once in a dozen suite runs, when
    hypothesis drew ``[[0, nan], [0, 0]]`` for the sequence model)."""
    assert out.shape[0] == len(data)
    finite = np.isfinite(out)
    if method == "reconstruct" and out.shape == np.shape(data):
        finite |= np.isnan(np.asarray(data, dtype=np.float64))
    assert finite.all()


@pytest.mark.parametrize("name", sorted(ESTIMATORS))
@SETTINGS
@given(X=user_arrays(), other=user_arrays(min_dims=2, max_dims=2))
def test_estimator_is_total(name, X, other):
    ae = ESTIMATORS[name](**FAST)
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore", RuntimeWarning)  # divergence warnings are fine
            ae.fit(X)
    except (ValueError, TypeError) as error:
        assert str(error)
        event(f"fit refused: {type(error).__name__}")
        return
    event("fitted")
    for data in (X, other):
        for method in ("transform", "reconstruct", "score_samples"):
            try:
                out = getattr(ae, method)(data)
            except (ValueError, TypeError) as error:
                assert str(error)
                event(f"{method} refused")
                continue
            event(f"{method} returned")
            _finite_and_shaped(out, data, method)


@st.composite
def data_files(draw):
    X = draw(user_arrays(min_dims=1, max_dims=3))
    suffix = draw(st.sampled_from([".csv", ".npy", ".npz", ".parquet"]))
    return X, suffix


@SETTINGS
@given(case=data_files())
def test_cli_never_shows_a_traceback(case, tmp_path_factory, capsys):
    X, suffix = case
    folder = tmp_path_factory.mktemp("cli")
    path = folder / f"data{suffix}"
    try:
        if suffix in (".csv", ".parquet"):
            if X.ndim != 2 or X.dtype == object:
                return  # such tables cannot be written as CSV/Parquet in the first place
            write_table(path, X)
        elif suffix == ".npy":
            np.save(path, X, allow_pickle=True)
        else:
            np.savez(path, X=X)
    except (ValueError, TypeError):
        return
    model = folder / "model.safetensors"
    code = main(["fit", str(path), "-o", str(model), "--epochs", "1", "--batch-size", "4",
                 "--verbose", "0", "--device", "cpu", "--random-state", "0"])
    err = capsys.readouterr().err
    assert code in (0, 1)
    assert "Traceback" not in err
    event(f"cli fit exit {code}")
    if code == 1:
        assert err.startswith("aekit: error: ")
        return
    code = main(["score", str(model), str(path), "-o", str(folder / "s.npy")])
    err = capsys.readouterr().err
    assert code in (0, 1) and "Traceback" not in err
    if code == 0:
        assert np.isfinite(np.load(folder / "s.npy")).all()


@pytest.mark.parametrize("value", [np.nan, np.inf, -np.inf])
def test_known_bad_values_are_named(value):
    X = np.ones((4, 3))
    X[2, 1] = value
    with pytest.raises(ValueError, match="row 2, column 1"):
        Autoencoder(**FAST).fit(X)
