"""AnomalyDetector, SeriesAnomalyDetector, EnsembleAutoencoder and ``aekit detect``."""

from __future__ import annotations

import warnings
from pathlib import Path

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest
import scipy.sparse
import torch
from sklearn.datasets import load_wine

import aekit
import aekit.apps.anomaly as anomaly_module
from aekit import AnomalyDetector, Autoencoder, EnsembleAutoencoder, SeriesAnomalyDetector
from aekit.apps.anomaly import fit_threshold
from aekit.apps.series_anomaly import dominant_period
from aekit.cli import main
from aekit.io import write_table


def small_model(**params) -> EnsembleAutoencoder:
    defaults = dict(n_members=4, hidden_dims=(8,), latent_dim=2, epochs=15, batch_size=64,  # noqa: C408
                    scaling="none", loss="mse", output_activation="linear", compile="none",
                    device="cpu", random_state=0)
    return EnsembleAutoencoder(**{**defaults, **params})


@pytest.fixture(scope="module")
def blob():
    """A correlated Gaussian blob (400 rows, 5 features) with 8 planted outliers first."""
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(400, 2))
    X = latent @ rng.normal(size=(2, 5)) + 0.1 * rng.normal(size=(400, 5))
    X[:8] += rng.choice([-1, 1], size=(8, 5)) * 4
    return X


@pytest.fixture(scope="module")
def fitted(blob):
    return AnomalyDetector(model=small_model(), contamination=0.02).fit(blob)


def test_planted_outliers_are_found(blob, fitted):
    anomaly = -fitted.score_samples(blob)
    assert set(np.argsort(anomaly)[-8:]) == set(range(8))
    assert (fitted.predict(blob[:8]) == -1).all()
    assert (fitted.predict(blob[8:]) == 1).mean() > 0.95


def test_threshold_offset_and_predict_agree(blob, fitted):
    scores = fitted.score_samples(blob)
    assert fitted.offset_ == -fitted.threshold_
    np.testing.assert_allclose(fitted.decision_function(blob), scores - fitted.offset_)
    expected = np.where(-scores > fitted.threshold_, -1, 1)
    np.testing.assert_array_equal(fitted.predict(blob), expected)
    # contamination=0.02: about 2% of the training rows above the threshold
    assert abs((fitted.predict(blob) == -1).mean() - 0.02) <= 0.005


def test_scoring_is_deterministic_and_features_explain_the_score(blob, fitted):
    np.testing.assert_array_equal(fitted.score_samples(blob), fitted.score_samples(blob))
    shares = fitted.score_features(blob)
    assert shares.shape == blob.shape and np.allclose(shares.sum(1), 1)
    row = blob[20:21].copy()
    row[0, 3] += 8  # one feature pushed away: it should carry the blame
    assert fitted.score_features(row)[0].argmax() == 3


def test_explicit_threshold_and_auto_rule(blob):
    detector = AnomalyDetector(model=small_model(), threshold=1.5).fit(blob)
    assert detector.threshold_ == 1.5
    np.testing.assert_array_equal(detector.predict(blob),
                                  np.where(-detector.score_samples(blob) > 1.5, -1, 1))
    # "auto": Tukey's fence Q3 + 1.5 IQR; chi-square(6) scores -> about 2.6% flagged
    scores = np.random.RandomState(0).chisquare(6, size=100000)
    flagged = (scores > fit_threshold(scores, "auto", None)).mean()
    assert 0.023 < flagged < 0.028


def test_save_load_round_trip(tmp_path, blob, fitted):
    path = tmp_path / "detector.safetensors"
    fitted.save(path)
    loaded = aekit.load(path)
    assert isinstance(loaded, AnomalyDetector)
    np.testing.assert_array_equal(loaded.score_samples(blob), fitted.score_samples(blob))
    assert loaded.threshold_ == fitted.threshold_


def test_wraps_any_estimator(tmp_path, blob):
    model = Autoencoder(latent_dim=2, hidden_dims=(8,), epochs=10, random_state=0)
    detector = AnomalyDetector(model=model, contamination=0.02).fit(blob)
    assert -detector.score_samples(blob[:8]).min() > np.median(-detector.score_samples(blob))
    detector.save(tmp_path / "d.safetensors")
    loaded = aekit.load(tmp_path / "d.safetensors")
    assert isinstance(loaded.model, Autoencoder)
    np.testing.assert_array_equal(loaded.score_samples(blob), detector.score_samples(blob))


def test_bad_input(blob):
    X = blob.copy()
    X[3, 1] = np.nan
    with pytest.raises(ValueError, match="impute"):
        AnomalyDetector(model=small_model()).fit(X)
    for bad in (0, 0.6, -0.1, "most"):
        with pytest.raises(ValueError, match="contamination"):
            AnomalyDetector(contamination=bad).fit(blob)
    with pytest.raises(TypeError, match="aekit estimator"):
        AnomalyDetector(model=object()).fit(blob)
    fitted = AnomalyDetector(model=small_model()).fit(blob)
    with pytest.raises(ValueError, match="features"):
        fitted.score_samples(blob[:, :3])


def test_the_outer_seed_seeds_a_given_model_without_its_own(blob):
    def scores(model, random_state=0):
        detector = AnomalyDetector(model=model, random_state=random_state).fit(blob)
        return detector.score_samples(blob[:20]), detector.model_.random_state

    unseeded = Autoencoder(latent_dim=2, hidden_dims=(8,), epochs=3)
    first, seed = scores(unseeded)
    np.testing.assert_array_equal(first, scores(unseeded)[0])  # repeatable, as sklearn's
    assert seed == 0 and unseeded.random_state is None  # the clone is seeded, not the model
    assert not np.array_equal(first, scores(unseeded, random_state=1)[0])
    assert scores(unseeded.set_params(random_state=5))[1] == 5  # its own seed is kept
    windows = series_detector(random_state=3).fit(periodic_series(1200, anomaly=slice(600, 620)))
    assert windows.detector_.random_state == 3


def test_a_threshold_given_with_a_contamination_says_which_is_used(blob):
    with pytest.warns(UserWarning, match="contamination=0.1 is not used: threshold=1.5"):
        detector = AnomalyDetector(model=small_model(epochs=2), contamination=0.1,
                                   threshold=1.5).fit(blob)
    assert detector.threshold_ == 1.5


def test_constant_column_does_not_crash(blob):
    X = np.column_stack([blob, np.full(len(blob), 7.0)])
    detector = AnomalyDetector(model=small_model()).fit(X)
    assert np.isfinite(detector.score_samples(X)).all()
    assert np.isfinite(detector.score_features(X)).all()


def test_ensemble_members_differ_and_train_together():
    X = np.random.RandomState(1).normal(size=(300, 6)).astype(np.float32)
    model = small_model(n_members=5, epochs=20).fit(X)
    assert model.history_["loss"][-1] < model.history_["loss"][0]
    members = model.member_reconstructions(X)
    assert members.shape == (5, 300, 6)
    assert not np.allclose(members[0], members[1])
    np.testing.assert_allclose(model.reconstruct(X), members.mean(0), atol=1e-5)
    # one member of the stack computes what a lone layer chain with its weights computes
    net = model.module_
    h = torch.from_numpy(X)
    for i, layer in enumerate(net.layers):
        assert not (layer.weight * (1 - layer.mask)).any()  # cut connections stayed cut
        h = h @ layer.weight[2] + layer.bias[2, 0]
        h = h if i == len(net.layers) - 1 else torch.relu(h)
    np.testing.assert_allclose(members[2], h.detach().numpy(), atol=1e-5)


def test_trimmed_loss_leaves_out_the_worst_rows():
    from aekit.nn import Batch, Reconstruction
    from aekit.nn.ensemble import EnsembleNet

    torch.manual_seed(0)
    x = torch.randn(20, 4)
    x[0] += 100  # one row the trimmed loss must not see
    net = EnsembleNet(4, (8,), 2, 3, "relu", Reconstruction("mse", "linear"), trim=0.1).train()
    trimmed = net(Batch(x))["loss"]
    clean = EnsembleNet(4, (8,), 2, 3, "relu", Reconstruction("mse", "linear"))
    clean.load_state_dict(net.state_dict())
    assert trimmed < clean.train()(Batch(x[1:]))["loss"] * 1.5  # row 0 (error ~1e4) was left out
    assert clean(Batch(x))["loss"] > 100 * trimmed


# ----------------------------------------------------------------------------- series
def periodic_series(n: int = 3000, period: int = 40, anomaly: slice = slice(2000, 2030)):
    rng = np.random.RandomState(0)
    series = np.sin(2 * np.pi * np.arange(n) / period) + 0.05 * rng.normal(size=n)
    series[anomaly] = 0.5 * rng.normal(size=anomaly.stop - anomaly.start)
    return series


def series_detector(**params) -> SeriesAnomalyDetector:
    window_detector = AnomalyDetector(model=small_model(hidden_dims=(16,), latent_dim=4))
    return SeriesAnomalyDetector(detector=window_detector, **params)


def test_series_planted_anomaly(tmp_path):
    series = periodic_series()
    assert dominant_period(series[:, None]) == 40
    series[500:520] = np.nan  # a gap
    with pytest.warns(UserWarning, match=r"20 steps of the series are missing \(NaN\): they "
                      "are filled"):
        detector = series_detector().fit(series)
    with pytest.warns(UserWarning, match="20 steps"):
        scores = detector.score_steps(series)
    assert scores.shape == series.shape and np.isfinite(scores).all()
    assert 1990 <= np.argmin(scores) < 2040
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")  # the gap's warning, said above
        windows = detector.anomaly_windows(series)
        flagged = detector.predict_steps(series) == -1
        detector.save(tmp_path / "s.safetensors")
        loaded = aekit.load(tmp_path / "s.safetensors").score_steps(series)
    assert any(start <= 2030 and end >= 2000 for start, end in windows)
    assert flagged[2000:2030].mean() > 0.5 and flagged[:1900].mean() < 0.05
    np.testing.assert_array_equal(loaded, scores)


def test_series_clean_training_and_channels():
    clean, test = periodic_series(anomaly=slice(0, 0)), periodic_series()
    two = np.column_stack([test, -test])
    detector = series_detector(window=40, stride=5).fit(np.column_stack([clean, -clean]))
    assert 1990 <= np.argmin(detector.score_steps(two)) < 2040
    with pytest.raises(ValueError, match="channels"):
        detector.score_steps(test)


def test_series_channels_are_matched_by_name(tmp_path):
    import pandas as pd

    test = periodic_series()
    frame = pd.DataFrame({"temp": test, "pressure": 0.3 * np.cos(np.arange(len(test)) / 7)})
    detector = series_detector(window=40, stride=5).fit(frame)
    assert list(detector.feature_names_in_) == ["temp", "pressure"]
    swapped = r"^the series' channels are \['pressure', 'temp'\], but the detector was " \
        r"fitted on \['temp', 'pressure'\]: give those, in that order$"  # one line (a trial)
    with pytest.raises(ValueError, match=swapped):
        detector.score_steps(frame[["pressure", "temp"]])
    detector.save(tmp_path / "s.safetensors")
    loaded = aekit.load(tmp_path / "s.safetensors")
    assert list(loaded.feature_names_in_) == ["temp", "pressure"]
    np.testing.assert_array_equal(loaded.score_steps(frame), detector.score_steps(frame))
    with pytest.raises(ValueError, match=swapped):
        loaded.score_steps(frame[["pressure", "temp"]])
    table = pa.table({"temp": frame["temp"], "pressure": frame["pressure"]})
    from_arrow = series_detector(window=40, stride=5).fit(table)  # an Arrow table names them too
    assert list(from_arrow.feature_names_in_) == ["temp", "pressure"]
    with pytest.raises(ValueError, match=swapped):
        from_arrow.score_steps(frame[["pressure", "temp"]])
    named = series_detector(window=40, stride=5).fit(frame["temp"])  # a named Series: its
    assert list(named.feature_names_in_) == ["temp"]  # channel's name kept (a trial: the
    with pytest.raises(ValueError, match=r"channels are \['pressure'\], but the detector was "
                       r"fitted on \['temp'\]"):  # wrong channel was scored)
        named.score_steps(frame[["pressure"]])
    bare = series_detector(window=40, stride=5).fit(frame).fit(test)  # a refit forgets names
    assert not hasattr(bare, "feature_names_in_")
    assert bare.score_steps(test).shape == test.shape


def test_a_table_of_constant_columns_is_refused():
    """It scored a 0.1% change -3e31 and printed a threshold of -0; with one column varying,
    19% of clean rows were flagged (trials)."""
    with pytest.raises(ValueError, match="no column of X varies"):
        AnomalyDetector(random_state=0).fit(np.ones((100, 3)))
    with pytest.raises(ValueError, match="^AnomalyDetector needs at least 2 rows"):  # one row:
        AnomalyDetector(random_state=0).fit([[1.0, 2.0, 3.0]])  # its own words, not its model's
    X = np.ones((100, 4))
    X[:, 1] = np.random.default_rng(0).normal(size=100)  # one column varies: 19% flagged
    with pytest.raises(ValueError, match="only one column of X varies"):
        AnomalyDetector(random_state=0).fit(X)
    X[:, 2] = np.random.default_rng(1).normal(size=100)  # two: fitted
    assert np.isfinite(AnomalyDetector(random_state=0).fit(X).score_samples(X)).all()


def test_series_bad_input():
    with pytest.raises(ValueError, match="two windows"):
        series_detector(window=50).fit(np.sin(np.arange(80)))
    fitted = series_detector(window=50).fit(np.sin(np.arange(400) / 4))
    recent = np.sin(np.arange(60) / 4)  # a recent stretch of one window and a bit: scored
    assert fitted.score_steps(recent).shape == (60,) and fitted.predict_steps(recent).shape == (60,)
    with pytest.raises(ValueError, match="fewer than one window of 50: give a longer series "
                                         r"\(the window is the fitted detector's\)$"):
        fitted.score_steps(recent[:40])
    with pytest.raises(ValueError, match=r"two windows.*\(the window is the fitted"):
        fitted.refit_threshold(recent)  # a threshold from one window: no; its window is fixed
    with pytest.raises(ValueError, match=r"or a smaller window \(window=, --window\)$"):
        series_detector(window=50).fit(np.sin(np.arange(80)))
    short = series_detector().fit(np.sin(np.arange(20) / 2))  # an automatic window fits it
    assert short.window_ == 10  # (64 was chosen, then refused: a trial)
    with pytest.raises(ValueError, match=r"12 steps: the automatic window needs at least 16 "
                                         r".*of at most 6 steps"):
        series_detector().fit(np.sin(np.arange(12) / 2))  # (it named a window of 64)
    with pytest.raises(ValueError, match="constant"):
        series_detector().fit(np.ones(500))
    with pytest.raises(ValueError, match="contamination"):
        series_detector(contamination=0.7).fit(periodic_series())
    with pytest.raises(ValueError, match=r"no channel \(shape \(100, 0\)\)"):
        series_detector().fit(np.empty((100, 0)))
    with pytest.raises(TypeError, match=r"sparse matrix: pass series.toarray\(\)"):
        series_detector().fit(scipy.sparse.csr_matrix(periodic_series()[:, None]))


# ----------------------------------------------------------------------------- CLI
@pytest.fixture
def quick_default(monkeypatch):
    """The default detector with fewer gradient steps, to keep the CLI tests fast."""
    monkeypatch.setattr(anomaly_module, "STEPS", 40)


def test_cli_detect_rows_save_and_reuse(tmp_path, blob, capsys, quick_default):
    data = tmp_path / "rows.csv"
    write_table(data, blob, [f"col{i}" for i in range(5)])
    out, saved = tmp_path / "out.csv", tmp_path / "detector.safetensors"
    assert main(["detect", str(data), "-o", str(out), "--contamination", "0.02",
                 "--save", str(saved)]) == 0
    results = pa_csv.read_csv(out)
    assert results.column_names[:4] == ["score", "label", "feature_1", "share_1"]
    assert (results["label"].to_numpy()[:8] == -1).all()
    assert results["feature_1"][0].as_py().startswith("col")
    # the printed cut is on the written scores' scale: rows scoring below it are flagged
    cut = float(capsys.readouterr().out.split("score below ")[1].split(")")[0])
    assert cut == pytest.approx(aekit.load(saved).offset_, rel=1e-3)
    again = tmp_path / "again.csv"
    assert main(["detect", "--model", str(saved), str(data), "-o", str(again)]) == 0
    np.testing.assert_allclose(pa_csv.read_csv(again)["score"].to_numpy(),
                               results["score"].to_numpy())
    assert main(["detect", str(data), "-o", str(out), "--contamination", "0.9"]) == 1
    assert "contamination" in capsys.readouterr().err


def test_cli_detect_on_a_table_copies_a_time_column_out_and_refuses_a_window(
        tmp_path, blob, capsys, quick_default):
    data, out = tmp_path / "rows.csv", tmp_path / "out.csv"
    write_table(data, blob, [f"col{i}" for i in range(5)], index=np.arange(len(blob)) + 1000,
                index_name="id")
    assert main(["detect", str(data), "--time", "id", "-o", str(out)]) == 0
    results = pa_csv.read_csv(out)
    assert results.column_names[:3] == ["id", "score", "label"]
    assert results["id"].to_pylist() == list(range(1000, 1000 + len(blob)))
    assert not any(name == "id" for name in results["feature_1"].to_pylist())
    assert main(["detect", str(data), "--drop", "id", "--window", "5", "-o", str(out)]) == 1
    assert "--window applies to a series" in capsys.readouterr().err
    assert main(["detect", str(data), "--series", "col0", "--no-header", "-o", str(out)]) == 1
    assert "--header and --no-header apply to tables" in capsys.readouterr().err
    named = tmp_path / "named.csv"
    write_table(named, blob, [f"col{i}" for i in range(5)], index=np.arange(len(blob)),
                index_name="score")
    assert main(["detect", str(named), "--time", "score", "-o", str(out)]) == 1
    assert "results have a column of that name" in capsys.readouterr().err


def test_cli_fit_a_detector_then_apply_it(tmp_path, blob, capsys, quick_default):
    data, saved = tmp_path / "rows.csv", tmp_path / "detector.safetensors"
    write_table(data, blob, [f"col{i}" for i in range(5)])
    assert main(["fit", str(data), "--model", "detector", "--contamination", "0.02",
                 "--random-state", "0", "-o", str(saved)]) == 0
    assert "fitted an anomaly detector" in capsys.readouterr().out
    reordered = tmp_path / "reordered.tsv.gz"  # compressed and tab-separated, as named
    write_table(reordered, blob[:, ::-1], [f"col{i}" for i in reversed(range(5))])
    out = tmp_path / "out.csv.bz2"
    assert main(["detect", str(reordered), "--model", str(saved), "-o", str(out)]) == 0
    assert (pa_csv.read_csv(out)["label"].to_numpy()[:8] == -1).all()  # columns by name
    assert main(["detect", str(reordered), "--model", str(saved), "-o", str(out),
                 "--refit-threshold", str(data)]) == 0  # a table's too, read as DATA is
    assert "--refit-threshold: the threshold " in capsys.readouterr().err
    few = tmp_path / "few.csv"  # three rows set no threshold worth trusting: said so
    write_table(few, blob[:3], [f"col{i}" for i in range(5)])
    assert main(["detect", str(reordered), "--model", str(saved), "-o", str(out),
                 "--refit-threshold", str(few)]) == 0
    assert "only 3 rows for 5 columns" in capsys.readouterr().err
    gap = tmp_path / "gap.csv"  # its own errors name it, not DATA
    gappy = blob[:40].copy()
    gappy[3, 2] = np.nan
    write_table(gap, gappy, [f"col{i}" for i in range(5)])
    assert main(["detect", str(reordered), "--model", str(saved), "-o", str(out),
                 "--refit-threshold", str(gap)]) == 1
    assert f"--refit-threshold {gap}: it contains NaN" in capsys.readouterr().err
    assert main(["detect", str(reordered), "--model", str(saved), "-o", str(few),
                 "--refit-threshold", str(few)]) == 1
    assert "is the file this command reads" in capsys.readouterr().err
    assert main(["detect", str(reordered), "--model", str(saved), "-o", "out.xlsx"]) == 1
    assert "'.xlsx': use .csv, .tsv or .parquet; CSV and TSV also as .gz" in capsys.readouterr().err
    assert main(["info", str(saved)]) == 0
    info = capsys.readouterr().out
    assert "anomaly_detector" in info and "inner model: ensemble" in info
    assert "5 features -> code" in info and "threshold_=" in info
    threshold = aekit.load(saved).threshold_  # its sign read as the score's (a trial)
    assert f"where the score written (higher = more normal, as score_samples) is below " \
        f"{-threshold:.5g}" in info
    assert main(["fit", str(data), "--model", "detector", "--latent-dim", "2",
                 "-o", str(saved)]) == 1
    assert "--latent-dim does not apply to --model detector" in capsys.readouterr().err
    np.save(tmp_path / "rows.npy", blob)
    assert main(["fit", str(tmp_path / "rows.npy"), "--model", "detector", "--stream",
                 "-o", str(saved)]) == 1
    assert "error: --stream does not apply to --model detector" in capsys.readouterr().err


def test_cli_notes_a_column_like_an_id_once_and_for_a_saved_model_says_to_fit_again(
        tmp_path, blob, capsys, quick_default):
    data, saved = tmp_path / "rows.csv", tmp_path / "detector.safetensors"
    write_table(data, np.column_stack([np.arange(len(blob)), blob]),
                ["n", *(f"col{i}" for i in range(5))])
    assert main(["detect", str(data), "-o", str(tmp_path / "a.csv"), "--save", str(saved)]) == 0
    err = capsys.readouterr().err
    assert err.count("'n' rises or falls") == 1 and "leave it out with --drop n" in err
    assert main(["detect", str(data), "--model", str(saved), "-o", str(tmp_path / "b.csv")]) == 0
    err = capsys.readouterr().err  # --drop n would now be refused: the model reads n
    assert err.count("'n' rises or falls") == 1 and "fit again without it (--drop n)" in err
    assert main(["score", str(saved), str(data), "-o", str(tmp_path / "s.csv")]) == 0
    assert "fit again without it (--drop n)" in capsys.readouterr().err


def test_cli_detect_refits_a_saved_threshold_on_a_recent_stretch(tmp_path, capsys,
                                                                  quick_default):
    """The README's remedy for a drifted series, on the command line (a README trial)."""
    series = periodic_series()
    data, saved = tmp_path / "old.csv", tmp_path / "d.safetensors"
    pa_csv.write_csv(pa.table({"value": series[:1500]}), data)
    assert main(["detect", str(data), "--series", "value", "--save", str(saved)]) == 0
    drifted = series[1500:] * 1.8 + 0.5  # the same shape, louder and higher
    pa_csv.write_csv(pa.table({"value": drifted[:500]}), tmp_path / "recent.csv")
    pa_csv.write_csv(pa.table({"value": drifted[500:]}), tmp_path / "new.csv")
    flagged = []
    for extra in ([], ["--refit-threshold", str(tmp_path / "recent.csv")]):
        assert main(["detect", str(tmp_path / "new.csv"), "--model", str(saved),
                     "-o", str(tmp_path / "r.csv"), *extra]) == 0
        flagged.append((pa_csv.read_csv(tmp_path / "r.csv")["label"].to_numpy() == -1).mean())
    assert "--refit-threshold: the threshold raised from" in capsys.readouterr().err
    assert flagged[1] < flagged[0]
    assert main(["detect", str(tmp_path / "new.csv"), "--series", "value", "--refit-threshold",
                 str(tmp_path / "recent.csv"), "-o", str(tmp_path / "r.csv")]) == 1
    assert "--refit-threshold raises a saved detector's threshold: give --model" in \
        capsys.readouterr().err
    for option in (["--random-state", "5"], ["--contamination", "0.1"], ["--window", "9"]):
        assert main(["detect", str(tmp_path / "new.csv"), "--model", str(saved), *option,
                     "-o", str(tmp_path / "r.csv")]) == 1  # (the seed was ignored: a trial)
        assert "apply when fitting a detector" in capsys.readouterr().err


def test_cli_detect_series(tmp_path, capsys, quick_default):
    series = periodic_series()
    stamps = np.datetime64("2024-01-01T00:00") + np.arange(len(series)).astype("timedelta64[m]")
    data, out = tmp_path / "series.csv", tmp_path / "steps.csv"
    pa_csv.write_csv(pa.table({"timestamp": stamps.astype(str), "value": series}), data)
    assert main(["detect", str(data), "--series", "value", "--time", "timestamp",
                 "-o", str(out)]) == 0
    results = pa_csv.read_csv(out)
    assert results.column_names == ["timestamp", "score", "label"] and results.num_rows == 3000
    assert 1990 <= np.argmin(results["score"].to_numpy()) < 2040
    captured = capsys.readouterr()
    assert "anomalous windows" in captured.out and "2024-01-02" in captured.out
    assert "gap" not in captured.err  # evenly spaced: nothing to say
    assert main(["detect", str(data), "--series", "nope", "-o", str(out)]) == 1
    assert "no column 'nope'" in capsys.readouterr().err
    european = tmp_path / "eu.csv"  # the table's hint for a series too (a re-trial)
    european.write_text("t;v\n" + "".join(f"{i};{x:.3f}\n".replace(".", ",")
                                           for i, x in enumerate(series[:200])))
    assert main(["detect", str(european), "--series", "v", "-o", str(out)]) == 1
    assert "(--decimal ,)" in capsys.readouterr().err
    saved = tmp_path / "series.safetensors"
    assert main(["detect", str(data), "--series", "value", "--save", str(saved)]) == 0
    gappy = series.copy()
    gappy[100:110] = np.nan
    pa_csv.write_csv(pa.table({"timestamp": stamps.astype(str), "value": gappy}),
                     tmp_path / "gappy.csv")
    capsys.readouterr()
    assert main(["detect", str(tmp_path / "gappy.csv"), "--series", "value", "-o",
                 str(out)]) == 0  # fitted, then scored: one warning, said once
    assert capsys.readouterr().err.count("10 steps of the series are missing (NaN)") == 1
    header_only = tmp_path / "empty.csv"
    header_only.write_text("timestamp,value\n")
    for args, message in [
            (["--series", "", "-o", str(out)], "--series '' names no column"),
            (["--series", "value", "--time", "value", "-o", str(out)],
             "--time value is also named by --series"),
            (["--model", str(saved), "-o", str(out)], None)]:
        capsys.readouterr()
        assert main(["detect", str(data), *args]) == (1 if message else 0)
        assert message is None or message in capsys.readouterr().err
    zoned = tmp_path / "zoned.csv"  # written back in the file's own form, not in UTC
    texts = [f"{t}+02:00" for t in (np.datetime64("2024-01-01T00:00:00")
                                     + np.arange(3000).astype("timedelta64[m]")).astype(str)]
    pa_csv.write_csv(pa.table({"timestamp": texts, "value": series}), zoned)
    assert main(["detect", str(zoned), "--series", "value", "--time", "timestamp",
                 "-o", str(out)]) == 0
    assert pa_csv.read_csv(out, convert_options=pa_csv.ConvertOptions(
        column_types={"timestamp": pa.string()}))["timestamp"].to_pylist() == texts
    assert "+02:00 .. 2024-01-01T" in capsys.readouterr().out
    assert main(["detect", str(header_only), "--series", "value", "-o", str(out)]) == 1
    assert "the series has no steps" in capsys.readouterr().err
    assert main(["report", str(saved), str(data), "-o", str(tmp_path / "rep")]) == 0
    assert "wrote 3 figures" in capsys.readouterr().out


def test_cli_series_commands_take_a_stored_pandas_index_as_the_time(tmp_path, capsys,
                                                                   quick_default):
    """A Parquet file written from a frame indexed by time keeps its times in its pandas
    index: they were left out of the results (a trial), as without --time."""
    import pandas as pd

    series = periodic_series()
    stamps = pd.date_range("2024-01-01", periods=len(series), freq="min", name="timestamp")
    data, out = tmp_path / "series.parquet", tmp_path / "steps.parquet"
    saved = tmp_path / "d.safetensors"
    pd.DataFrame({"value": series}, index=stamps).to_parquet(data)
    assert main(["detect", str(data), "--series", "value", "-o", str(out), "--save",
                 str(saved)]) == 0
    captured = capsys.readouterr()
    assert "its index 'timestamp', as pandas writes one, is the series' time" in captured.err
    assert "2024-01-02" in captured.out  # the windows named by their times, as a CSV
    assert ".000000" not in captured.out  # writes them (a trial: Arrow's 00:00:00.000000)
    results = pd.read_parquet(out)  # written back as its index
    assert results.index.equals(stamps) and list(results.columns) == ["score", "label"]
    given = ["--model", str(saved), "-o", str(tmp_path / "s.csv")]  # scored, not fitted again
    assert main(["detect", str(data), *given]) == 0
    assert pa_csv.read_csv(tmp_path / "s.csv").column_names == ["timestamp", "score", "label"]
    pd.DataFrame({"value": series}, index=stamps.rename(None)).to_csv(tmp_path / "written.csv")
    for time in ([], ["--time", "Unnamed: 0"]):  # the index to_csv writes, under no name
        assert main(["detect", str(tmp_path / "written.csv"), *time, *given]) == 0
        results = pd.read_csv(tmp_path / "s.csv", index_col=0)
        assert list(results.index[:2]) == ["2024-01-01 00:00:00", "2024-01-01 00:01:00"]
    pd.DataFrame({"value": series}, index=stamps).to_csv(tmp_path / "named.csv")
    assert main(["detect", str(tmp_path / "named.csv"), *given]) == 0  # the times were lost
    assert "its column 'timestamp' holds times in order: it is the series' time" in \
        capsys.readouterr().err
    assert pa_csv.read_csv(tmp_path / "s.csv").column_names == ["timestamp", "score", "label"]
    births = stamps[np.random.default_rng(0).permutation(len(stamps))]  # dates as data (a review:
    pd.DataFrame({"birth": births, "value": series}).to_csv(tmp_path / "b.csv", index=False)
    assert main(["detect", str(tmp_path / "b.csv"), *given]) == 0  # refused as out of order)
    assert "'birth' holds dates out of order, so not the series' time" in \
        capsys.readouterr().err
    assert pa_csv.read_csv(tmp_path / "s.csv").column_names == ["score", "label"]
    frame = pd.DataFrame({"value": series, "timestamp": stamps})  # a trial: the row numbers
    frame.to_csv(tmp_path / "r.csv")  # of to_csv's default index were taken as the time, and
    frame[["value", "timestamp"]].to_csv(tmp_path / "v.csv", index=False)  # a second column
    for written in ("r.csv", "v.csv"):  # of dates was not
        assert main(["detect", str(tmp_path / written), *given]) == 0
        assert "its column 'timestamp' holds times in order" in capsys.readouterr().err
        assert pa_csv.read_csv(tmp_path / "s.csv").column_names == ["timestamp", "score",
                                                                     "label"]
    hosts = pd.concat({"A": frame.set_index("timestamp"), "B": frame.set_index("timestamp")},
                      names=["host"])  # two series, one after the other (a trial: one series)
    hosts.to_csv(tmp_path / "h.csv")
    hosts.to_parquet(tmp_path / "h.parquet")
    by_time = frame.set_index("timestamp")
    pd.concat({h: by_time.iloc[:300] for h in "ABCDEFGHIJ"}, names=["host"]).to_csv(
        tmp_path / "h10.csv")  # ten of them: 9 of 2999 steps go back (a review: not refused)
    for written, said in [("h.csv", "starts again 1 time(s), going back up to 2.08 days"),
                          ("h.parquet", "starts again 1 time(s), going back up to 2.08 days"),
                          ("h10.csv", "starts again 9 time(s), going back up to 4.98 h")]:
        assert main(["detect", str(tmp_path / written), *given]) == 1
        assert f"column 'timestamp' {said}: the file holds several series one after the " \
            "other" in capsys.readouterr().err
    frame.iloc[::-1].to_csv(tmp_path / "newest.csv", index=False)  # (a review: read as one)
    by_time.iloc[::-1].to_csv(tmp_path / "newest_index.csv")  # (a check: "--time :" in two
    for written, column in (("newest.csv", "timestamp"), ("newest_index.csv", "timestamp")):
        assert main(["detect", str(tmp_path / written), *given]) == 1  # lines)
        said = capsys.readouterr().err
        assert f"column {column!r} holds its times from the newest to the oldest: sort the " \
            "series by its time first" in said and "note" not in said
    interleaved = pd.concat({h: by_time.iloc[:1000] for h in "ABC"}, names=["host"])
    interleaved.reset_index().sort_values(["timestamp", "host"]).to_csv(
        tmp_path / "side.csv", index=False)  # three hosts sorted by time (a check: run as one)
    assert main(["detect", str(tmp_path / "side.csv"), *given]) == 1
    assert "2000 of 2999 steps repeat the time before them: each time holds 3 rows on " \
        "average (several series side by side?)" in capsys.readouterr().err
    short = pd.concat({d: by_time.iloc[:5] for d in range(600)}, names=["device"])
    short.to_csv(tmp_path / "short.csv")  # 600 series of 5 rows: a fifth of the steps go back
    assert main(["detect", str(tmp_path / "short.csv"), *given]) == 1
    assert "column 'timestamp' starts again 599 time(s)" in capsys.readouterr().err
    jitter = frame.assign(timestamp=stamps + pd.to_timedelta(
        np.random.default_rng(0).normal(0, 20, len(stamps)), unit="s"))  # events a little out of
    frame.assign(timestamp=stamps.strftime("%m/%d/%Y %H:%M")).to_csv(
        tmp_path / "us.csv", index=False)  # dates as text: left out without a word (a check)
    assert main(["detect", str(tmp_path / "us.csv"), *given]) == 0
    assert "column 'timestamp' holds dates written as text ('01/01/2024 00:00'), which are " \
        "not read as times: --time timestamp keeps them" in capsys.readouterr().err
    jitter.to_csv(tmp_path / "jitter.csv", index=False)  # order: sorting is the fix (a check)
    assert main(["detect", str(tmp_path / "jitter.csv"), *given]) == 1
    assert "column 'timestamp' goes back" in (said := capsys.readouterr().err)
    assert "sort the series by its time first" in said and "several series" not in said
    calibrated = np.where(np.arange(len(stamps)) < 30, stamps[0], stamps[0] - pd.Timedelta(
        "31D"))  # a date column that steps back once, and one that never changes, beside the
    frame.assign(calibrated=calibrated, report=stamps[0]).iloc[100:].to_csv(
        tmp_path / "c.csv")  # time, and a slice's row labels 100, 101, ... (a review: refused,
    assert main(["detect", str(tmp_path / "c.csv"), *given]) == 0  # or no time, or the labels)
    assert "its column 'timestamp' holds times in order" in capsys.readouterr().err
    assert pa_csv.read_csv(tmp_path / "s.csv").column_names == ["timestamp", "score", "label"]
    frame.assign(end=stamps + pd.Timedelta("1min")).to_csv(tmp_path / "two.csv")
    assert main(["detect", str(tmp_path / "two.csv"), *given]) == 0  # not the row numbers
    assert "columns timestamp, end hold times in order: name the series' time with --time" in \
        capsys.readouterr().err
    assert pa_csv.read_csv(tmp_path / "s.csv").column_names == ["score", "label"]
    assert main(["detect", str(tmp_path / "written.csv"), "--model", str(saved), "-o",
                 str(tmp_path / "s.parquet")]) == 0  # typed, not the CSV's text (a re-trial)
    assert pd.read_parquet(tmp_path / "s.parquet").index.equals(stamps.rename(None))
    pd.DataFrame({"value": series}).iloc[1000:].to_parquet(tmp_path / "slice.parquet")
    assert main(["detect", str(tmp_path / "slice.parquet"), "--model", str(saved), "-o",
                 str(tmp_path / "s.parquet")]) == 0  # a slice's range index (a re-trial)
    assert pd.read_parquet(tmp_path / "s.parquet").index.tolist() == list(range(1000, 3000))
    assert "its unnamed index, as pandas writes one, is the series' time" in \
        capsys.readouterr().err
    mixed = tmp_path / "mixed.parquet"  # a saved detector's channel that is the index
    pd.DataFrame({"value": series}, index=pd.Index(np.arange(len(series)) * 2, name="n")
                 ).to_parquet(mixed)
    assert main(["detect", str(mixed), "--series", "value,n", "--window", "50", "--save",
                 str(tmp_path / "n.safetensors")]) == 0
    assert main(["detect", str(mixed), "--model", str(tmp_path / "n.safetensors"), "-o",
                 str(tmp_path / "s.csv")]) == 0  # (--time was said to clash: a review)
    twice = pd.DataFrame({"value": series}, index=stamps.insert(600, stamps[599]).delete(0))
    twice.to_parquet(tmp_path / "twice.parquet")  # a time written twice: said
    assert main(["detect", str(tmp_path / "twice.parquet"), *given]) == 0
    assert "1 step(s) repeat the time before them" in capsys.readouterr().err
    gappy = series.copy()
    gappy[100:110] = np.nan
    pd.DataFrame({"value": gappy}, index=stamps).to_parquet(tmp_path / "gappy.parquet")
    assert main(["impute", str(tmp_path / "gappy.parquet"), "--series", "value", "--epochs",
                 "2", "-o", str(tmp_path / "filled.parquet")]) == 0
    filled = pd.read_parquet(tmp_path / "filled.parquet")
    assert filled.index.equals(stamps) and not filled["value"].isna().any()


def test_cli_detect_series_puts_channels_in_the_detectors_order(tmp_path, capsys,
                                                                  quick_default):
    series = periodic_series()
    other = 0.3 * np.cos(np.arange(len(series)) / 7)
    data, reordered = tmp_path / "series.csv", tmp_path / "reordered.csv"
    steps = np.arange(len(series))
    pa_csv.write_csv(pa.table({"value": series, "other": other}), data)
    pa_csv.write_csv(pa.table({"step": steps, "other": other, "value": series}), reordered)
    saved, first, second = (tmp_path / name for name in ("d.safetensors", "a.csv", "b.csv"))
    assert main(["detect", str(data), "--series", "value,other", "--save", str(saved),
                 "-o", str(first)]) == 0
    assert main(["detect", "--model", str(saved), str(reordered), "--series", "other,value",
                 "-o", str(second)]) == 0
    assert "put in the detector's order (value,other)" in capsys.readouterr().err
    np.testing.assert_array_equal(pa_csv.read_csv(second)["score"].to_numpy(),
                                  pa_csv.read_csv(first)["score"].to_numpy())
    assert main(["detect", "--model", str(saved), str(reordered), "--time", "step",
                 "-o", str(second)]) == 0  # the saved detector names its channels itself
    assert pa_csv.read_csv(second).column_names == ["step", "score", "label"]
    assert main(["detect", "--model", str(saved), str(reordered), "--series", "other",
                 "-o", str(second)]) == 1
    assert "trained on the channels value,other" in capsys.readouterr().err


def test_readme_example(capsys, quick_default):
    readme = (Path(__file__).parents[1] / "README.md").read_text()
    section = readme[readme.index("## Anomaly detection"):]
    code = section.split("```python\n")[1].split("```")[0]
    exec(compile(code, "README.md", "exec"), {})  # noqa: S102 - the README's own snippet
    flagged = capsys.readouterr().out.split()[0]
    assert flagged == "10"


def test_cli_detect_drops_a_label_column(tmp_path, blob, capsys, quick_default):
    """--drop keeps a label column out of the detector (it was trained on as a feature)."""
    data = tmp_path / "rows.csv"
    labels = (np.arange(len(blob)) < 8).astype(float) * 1000.0  # would dominate every score
    write_table(data, np.column_stack([blob, labels]), [*(f"col{i}" for i in range(5)), "y"])
    out = tmp_path / "out.csv"
    assert main(["detect", str(data), "--drop", "y", "-o", str(out)]) == 0
    results = pa_csv.read_csv(out)
    named = {results[f"feature_{k}"][i].as_py() for k in (1, 2, 3) for i in range(len(blob))}
    assert "y" not in named and named <= {f"col{i}" for i in range(5)}
    assert main(["detect", str(data), "--series", "col0", "--drop", "y", "-o", str(out)]) == 1
    assert "--series" in capsys.readouterr().err


def test_a_detector_says_when_one_column_of_few_values_drives_its_flags(quick_default):
    rng = np.random.RandomState(0)
    normal = rng.normal(size=(2000, 5))
    flag = (rng.uniform(size=2000) < 0.1).astype(float)  # an ordinary 0/1 column
    with pytest.warns(UserWarning, match=r"most of them for column 'flag', which takes only 2"):
        AnomalyDetector(random_state=0).fit(
            pd.DataFrame(np.c_[normal, flag], columns=[*"abcde", "flag"]))
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        AnomalyDetector(random_state=0).fit(normal)  # continuous columns: no warning
        AnomalyDetector(contamination=0.1, random_state=0).fit(np.c_[normal, flag])  # chosen


def test_a_detector_refuses_a_single_column():
    with pytest.raises(ValueError, match="at least 2 columns.*SeriesAnomalyDetector"):
        AnomalyDetector().fit(np.random.RandomState(0).normal(size=(100, 1)))


def test_a_detector_warns_of_too_few_rows_and_not_of_few_values_in_them(quick_default):
    frame = load_wine(as_frame=True).data.head(10)  # every column has at most 10 values here
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        AnomalyDetector(random_state=0).fit(frame)
    messages = [str(w.message) for w in caught]
    assert any("only 10 rows for 13 columns" in m and "at least 26" in m for m in messages)
    assert not any("takes only" in m for m in messages)


def test_uneven_or_unordered_time_steps_are_pointed_out(capsys):
    from aekit._series_frame import note_uneven_steps

    hours = np.datetime64("2024-01-01T00:00") + np.r_[0:10, 40:50].astype("timedelta64[h]")
    note_uneven_steps(pa.array(hours.astype("datetime64[s]")), "t")
    assert "1 gap(s) longer than twice the usual step (1 h), the longest 1.29 days" in \
        capsys.readouterr().err
    note_uneven_steps(pa.array([0.0, 1, 2, 1.5, 3] + list(range(4, 200))), "t")
    assert "1 step(s) go back in time (a clock change?)" in capsys.readouterr().err
    with pytest.raises(ValueError, match=r"--time t: the steps are not in time order \(99 of "
                       r"99 go back\): sort the series by its time first"):
        note_uneven_steps(pa.array(np.arange(100.0)[::-1]), "t")  # reversed: refused
    stamps = np.datetime64("2024-01-01T00:00:00.000") + np.r_[0, 10, 20, 30, 500].astype(
        "timedelta64[ms]")
    note_uneven_steps(pa.array(stamps), "t")  # milliseconds apart: a gap all the same
    assert "the longest 0.47 s" in capsys.readouterr().err
    blank = hours[:10].astype("datetime64[s]").tolist()
    blank[4] = None  # said as a row without a time, not as a gap of two steps (a trial)
    note_uneven_steps(pa.array(blank), "t")
    assert capsys.readouterr().err == "aekit: note: --time t: 1 row(s) have no time: each is " \
        "read as a step between its neighbours\n"
    twice = hours.astype("datetime64[s]").tolist()
    twice.insert(3, twice[2])  # everything found is said, not the first thing only (a trial)
    note_uneven_steps(pa.array(twice), "t")
    said = capsys.readouterr().err
    assert "1 step(s) repeat the time before them" in said and "1 gap(s) longer" in said
    hosts = np.r_[hours, hours[:5]].astype("datetime64[s]")  # a second host's rows after the
    with pytest.raises(ValueError, match=r"--time t: a step goes back 2.04 days, more than a "
                       "clock change does"):  # first's: one step back, but not by an hour
        note_uneven_steps(pa.array(hosts), "t")


def test_a_series_with_a_gap_in_its_time_index_is_pointed_out():
    """The Python API says what the CLI's --time note says: windows run across the gap."""
    import pandas as pd

    hours = pd.date_range("2024-01-01", periods=300, freq="h", tz="Europe/Paris")
    values = np.sin(np.arange(300) * 2 * np.pi / 24)
    kept = np.r_[0:150, 200:300]  # two days left out
    detector = SeriesAnomalyDetector(window=24, random_state=0)
    with pytest.warns(UserWarning, match=r"time index: 1 gap\(s\) .*the longest 2.12 days"):
        detector.fit(pd.Series(values[kept], index=hours[kept]))
    with warnings.catch_warnings():
        warnings.simplefilter("error", UserWarning)  # an even index: nothing to say
        detector.score_steps(pd.Series(values, index=hours))
    with pytest.raises(ValueError, match=r"not in time order \(299 of 299 go back\).*"
                       "sort_index"):
        detector.score_steps(pd.Series(values, index=hours[::-1]))
    local = pd.date_range("2023-11-04", periods=300, freq="15min", tz="America/New_York")
    with pytest.warns(UserWarning, match=r"1 step\(s\) go back in time \(a clock change\?\)"):
        detector.score_steps(pd.Series(values, index=local.tz_localize(None)))  # clock time


def test_offset_and_threshold_are_one_setting_that_save_keeps(tmp_path):
    """Moving ``offset_`` (scikit-learn's idiom) moves ``threshold_``, which is what a saved
    model keeps: the loaded model flags the same rows."""
    X = np.random.RandomState(0).normal(size=(200, 4))
    detector = AnomalyDetector(model=small_model(), random_state=0).fit(X)
    chosen = np.quantile(detector.score_samples(X), 0.2)
    detector.offset_ = chosen
    assert detector.threshold_ == -chosen  # the threshold that save keeps has moved
    flagged = detector.predict(X) == -1
    assert 0.15 < flagged.mean() < 0.25
    detector.save(tmp_path / "d.safetensors")
    np.testing.assert_array_equal(aekit.load(tmp_path / "d.safetensors").predict(X) == -1,
                                  flagged)
    for bad in (0.5, np.nan):  # a negative threshold would make a file that does not load
        with pytest.raises(ValueError, match="offset_ must be a finite number <= 0"):
            detector.offset_ = bad


def test_a_frame_without_columns_is_refused_in_one_line():
    import pandas as pd

    with pytest.raises(ValueError, match="X has no columns"):
        AnomalyDetector().fit(pd.DataFrame(index=range(30)))


@pytest.mark.parametrize("unit", ["s", "ms", "us", "ns"])
def test_a_time_index_is_read_in_seconds_whatever_its_resolution(unit):
    import pandas as pd

    from aekit.apps._time_steps import index_seconds

    index = pd.DatetimeIndex(["1970-01-01 00:00:00", None, "1970-01-01 01:00:00"]).as_unit(unit)
    seconds = index_seconds(pd.Series([1.0, 2.0, 3.0], index=index))
    np.testing.assert_array_equal(seconds, [0.0, np.nan, 3600.0])
    assert index_seconds(np.ones(3)) is None


def test_a_feature_or_channel_like_a_time_is_warned_of_in_python():
    rng = np.random.RandomState(0)
    frame = pd.DataFrame(rng.normal(size=(300, 4)), columns=list("abcd"))
    frame["time"] = np.arange(300) * 0.5  # floats rising at every row: no integer, no id name
    with pytest.warns(UserWarning, match="feature 'time' rises or falls at every row, like an "
                      "id or a time: .* make it the DataFrame's index"):
        AnomalyDetector(model=small_model(epochs=1)).fit(frame)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # the same rows shuffled: no column is in order
        AnomalyDetector(model=small_model(epochs=1)).fit(frame.sample(frac=1, random_state=0))
    steps = np.arange(1200)
    series = pd.DataFrame({"ts": steps * 60.0, "value": periodic_series(
        1200, anomaly=slice(600, 620))})
    with pytest.warns(UserWarning, match="channel 'ts' of the series rises or falls at every "
                      "step, like a time"):
        series_detector().fit(series)
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # one channel, trending: it is what it is
        series_detector().fit(np.linspace(0, 5, 1200) + periodic_series(
            1200, anomaly=slice(600, 620)))


def test_a_saved_detectors_threshold_is_refit_on_new_data_without_training(tmp_path):
    rng = np.random.RandomState(0)
    steps = np.arange(2400)
    old = np.sin(2 * np.pi * steps[:1200] / 40) + 0.05 * rng.normal(size=1200)
    new = 1.3 * np.sin(2 * np.pi * steps[1200:] / 40) + 0.3 + 0.08 * rng.normal(size=1200)
    detector = series_detector().fit(old)  # drifted later: more amplitude, more noise
    before = np.mean(detector.predict_steps(new) == -1)
    weights = [p.detach().clone() for p in detector.detector_.model_.module_.parameters()]
    detector.refit_threshold(new[:600])  # a recent stretch with no known anomaly
    after = np.mean(detector.predict_steps(new[600:]) == -1)
    assert after < before / 2, (before, after)
    assert all(torch.equal(a, b) for a, b in zip(
        weights, detector.detector_.model_.module_.parameters()))  # nothing retrained
    detector.save(tmp_path / "s.safetensors")
    assert aekit.load(tmp_path / "s.safetensors").threshold_ == detector.threshold_
    with pytest.raises(ValueError, match="contamination"):
        detector.refit_threshold(new, contamination=0.9)
    raised = detector.threshold_
    with pytest.warns(UserWarning, match="threshold_ stays at .* a refit never lowers it"):
        assert detector.refit_threshold(old[:600]).threshold_ == raised  # calmer: kept
    X = np.random.RandomState(1).normal(size=(300, 4))
    table = AnomalyDetector(model=small_model(epochs=2), contamination=0.05).fit(X)
    table.refit_threshold(X * 3)  # rows that all score worse now
    assert abs(np.mean(table.predict(X * 3) == -1) - 0.05) < 0.01


def test_the_few_values_warning_needs_values_seen_three_times_on_average():
    """In 20 rows a measured column with a few repeats took 10 values and was called a column
    of few values (a trial); in 60 rows, 10 values are few."""
    import warnings

    from aekit.apps.anomaly import warn_of_discrete_flags

    for n_rows, warned in ((20, False), (60, True)):
        X = np.column_stack([np.arange(n_rows) % 10, np.linspace(0, 1, n_rows)])
        features = np.zeros((n_rows, 2))
        features[:, 0] = 1.0  # every flagged row owes its score to column 0
        flagged = np.arange(n_rows) < n_rows // 4
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            warn_of_discrete_flags(X, features, flagged, ["count", "x"])
        assert any("takes only 10 values" in str(w.message) for w in caught) == warned
