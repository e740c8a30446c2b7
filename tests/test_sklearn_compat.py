"""scikit-learn's own estimator checks, run over every aekit estimator."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from aekit import ESTIMATORS


def _quick(cls):
    return cls(epochs=3, batch_size=16, random_state=0, device="cpu")


# Each expected failure carries its reason.
_ROW_ORDER = ("the default network's float32 kernels round a row's score by a few ulps "
              "(measured 4e-7 relative) depending on its place in the batch; the check asks "
              "for rtol=1e-7, below float32's resolution (1.2e-7)")
EXPECTED_FAILURES: dict[str, dict[str, str]] = {
    name: {"check_methods_sample_order_invariance": _ROW_ORDER}
    for name in ("autoencoder", "denoising")}


@parametrize_with_checks(
    [_quick(cls) for cls in ESTIMATORS.values()],
    expected_failed_checks=lambda est: EXPECTED_FAILURES.get(est.model_name, {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)


def test_set_output_wraps_transform_as_it_does_fit_transform():
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_wine

    from aekit import Autoencoder

    frame = load_wine(as_frame=True).data.iloc[:60]
    params = {"latent_dim": 2, "epochs": 1, "random_state": 0, "device": "cpu"}
    ae = Autoencoder(**params).set_output(transform="pandas").fit(frame)
    codes = ae.transform(frame)
    assert isinstance(codes, pd.DataFrame) and list(codes.index) == list(frame.index)
    assert list(codes.columns) == list(ae.get_feature_names_out())
    np.testing.assert_allclose(codes.to_numpy(), Autoencoder(**params).fit(frame).transform(
        frame))
    assert isinstance(ae.fit_transform(frame), pd.DataFrame)
    assert isinstance(ae.set_output(transform="default").transform(frame), np.ndarray)


def test_a_dataframe_in_gives_a_dataframe_out_for_every_method_of_one_value_per_cell(
        tmp_path):
    import numpy as np
    import pandas as pd
    from sklearn.datasets import load_wine

    from aekit import AnomalyDetector, Autoencoder, DenoisingAutoencoder, MaskedAutoencoder

    frame = load_wine(as_frame=True).data.iloc[:60]
    frame.index = frame.index + 1000  # not the positions: an index of its own is kept
    ae = Autoencoder(latent_dim=2, epochs=1, random_state=0, device="cpu").fit(frame)
    rebuilt = ae.reconstruct(frame)
    assert isinstance(rebuilt, pd.DataFrame)
    assert rebuilt.index.equals(frame.index) and rebuilt.columns.equals(frame.columns)
    np.testing.assert_array_equal(rebuilt.to_numpy(), ae.reconstruct(frame.to_numpy()))
    codes = ae.set_output(transform="pandas").transform(frame)
    decoded = ae.inverse_transform(codes)
    assert list(decoded.columns) == list(frame.columns) and decoded.index.equals(frame.index)
    assert isinstance(ae.inverse_transform(codes.to_numpy()), np.ndarray)
    with pytest.raises(ValueError, match="are transform's .* in another order"):
        ae.inverse_transform(codes[codes.columns[::-1]])  # decoded wrong, named right: refused
    as_written = pd.DataFrame(codes.to_numpy(), columns=["z0", "z1"])  # aekit encode's names
    np.testing.assert_array_equal(ae.inverse_transform(as_written).to_numpy(), decoded.to_numpy())
    with pytest.raises(ValueError, match=r"are aekit encode's \['z0', 'z1'\] in another order"):
        ae.inverse_transform(as_written[["z1", "z0"]])
    by_position = ae.inverse_transform(pd.DataFrame(codes.to_numpy()))  # other names: by place
    np.testing.assert_array_equal(by_position.to_numpy(), decoded.to_numpy())
    import aekit

    ae.save(path := tmp_path / "ae.safetensors")  # set_output kept, as pickling keeps it
    assert isinstance(aekit.load(path).transform(frame), pd.DataFrame)
    gaps = frame.mask(np.random.default_rng(0).random(frame.shape) < 0.1)
    filled = MaskedAutoencoder(epochs=1, gaussian=False, random_state=0).fit(gaps).impute(gaps)
    assert filled.index.equals(frame.index) and not filled.isna().any().any()
    detector = AnomalyDetector(model=Autoencoder(latent_dim=2, epochs=2), random_state=0)
    shares = detector.fit(frame).score_features(frame)
    assert list(shares.columns) == list(frame.columns)
    np.testing.assert_allclose(shares.sum(axis=1), 1, rtol=1e-6)
    dae = DenoisingAutoencoder(latent_dim=2, epochs=1, random_state=0).fit(frame)
    noisy = dae.add_noise(frame, random_state=0)  # an array came back (a trial)
    assert noisy.index.equals(frame.index) and noisy.columns.equals(frame.columns)
    np.testing.assert_array_equal(noisy.to_numpy(), dae.add_noise(frame.to_numpy(), 0))


def _all_estimator_classes():
    from aekit import AnomalyDetector, AutoencoderImputer, SeriesAnomalyDetector

    return [*ESTIMATORS.values(), AnomalyDetector, AutoencoderImputer, SeriesAnomalyDetector]


def test_parameters_are_keyword_only_as_in_scikit_learn():
    import inspect

    for cls in _all_estimator_classes():
        kinds = {p.kind for name, p in inspect.signature(cls).parameters.items()}
        assert kinds == {inspect.Parameter.KEYWORD_ONLY}, cls.__name__
    with pytest.raises(TypeError, match="positional"):
        ESTIMATORS["autoencoder"](3)


@pytest.mark.parametrize("cls", list(ESTIMATORS.values()), ids=lambda cls: cls.__name__)
def test_decoding_before_fit_or_no_codes_is_refused_in_one_line(cls):
    import numpy as np
    from sklearn.exceptions import NotFittedError

    with pytest.raises(NotFittedError):
        cls().inverse_transform(np.zeros((2, 2)))
    if cls.__name__ in ("SequenceAutoencoder", "CompressionAutoencoder"):
        return  # (their codes are checked as the others', and their fits are slower)
    model = cls(latent_dim=2, epochs=1, random_state=0, device="cpu").fit(
        np.random.RandomState(0).rand(40, 4))
    width = model.transform(np.zeros((1, 4))).shape[1]  # an ensemble's: all members' codes
    with pytest.raises(ValueError, match=rf"codes has 0 rows \(shape \(0, {width}\)\)"):
        model.inverse_transform(np.empty((0, width)))


def test_validation_data_in_other_units_than_x_is_pointed_out():
    import warnings

    import numpy as np
    from sklearn.datasets import load_wine
    from sklearn.pipeline import make_pipeline
    from sklearn.preprocessing import StandardScaler

    from aekit import Autoencoder

    wine = load_wine(as_frame=True).data
    model = Autoencoder(latent_dim=3, epochs=2, validation_data=wine.iloc[:40], random_state=0)
    with pytest.warns(UserWarning, match="validation_data is unlike X: feature 12's mean lies "
                      ".* In a Pipeline, validation_data skips the earlier steps"):
        make_pipeline(StandardScaler(), model).fit(wine.iloc[40:])  # unscaled validation rows
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # held-out rows of the same data: no word
        model.fit(wine.iloc[40:])
        steady = wine.assign(ash=20 + 0.001 * np.random.RandomState(0).normal(size=len(wine)))
        drifted = steady.iloc[:40].assign(ash=lambda rows: rows["ash"] + 0.02)  # 20 deviations
        model.set_params(validation_data=drifted).fit(steady.iloc[40:])  # a drift, same units
