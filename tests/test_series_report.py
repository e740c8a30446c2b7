"""The series detector's report: the series with its anomalous windows, each step's score
against the threshold, the window autoencoder's loss; in Python and on the CLI."""

from __future__ import annotations

import numpy as np
import pandas as pd
import pyarrow as pa
import pyarrow.csv as pa_csv
import pytest

from aekit import AnomalyDetector, EnsembleAutoencoder, SeriesAnomalyDetector
from aekit.apps import write_report
from aekit.apps.series_report import write_series_report
from aekit.cli import main


def planted(n: int = 1200, period: int = 30) -> np.ndarray:
    rng = np.random.RandomState(0)
    series = np.sin(2 * np.pi * np.arange(n) / period) + 0.05 * rng.normal(size=n)
    series[800:830] = 0.5 * rng.normal(size=30)
    return series


def small_detector(**params) -> SeriesAnomalyDetector:
    model = EnsembleAutoencoder(n_members=2, hidden_dims=(8,), latent_dim=2, epochs=10,
                                batch_size=64, scaling="none", loss="mse",
                                output_activation="linear", compile="none", random_state=0)
    return SeriesAnomalyDetector(detector=AnomalyDetector(model=model), **params)


@pytest.fixture(scope="module")
def fitted():
    frame = pd.DataFrame({"load": planted()},
                         index=pd.date_range("2024-03-01", periods=1200, freq="h"))
    return small_detector().fit(frame), frame


def test_series_report_in_python(tmp_path, fitted):
    detector, frame = fitted
    report = write_report(detector, frame, tmp_path / "rep")  # write_report hands it on
    assert set(report.figures) == {"Series and anomalous windows", "Step scores",
                                   "Loss per epoch"}
    assert all(path.stat().st_size > 5000 for path in report.figures.values())
    flagged = np.mean(detector.predict_steps(frame) == -1)
    assert report.numbers["steps above the threshold"] == f"{flagged:.2%}"
    windows = detector.anomaly_windows(frame)
    assert report.numbers["anomalous windows"] == str(len(windows)) != "0"
    start, end = windows[0]
    # the frame's DatetimeIndex is the x axis, and names each window's times
    assert f"steps {start}-{end - 1} ({frame.index[start].strftime('%Y-%m-%dT%H:%M')} .. " in (
        report.numbers["where"])
    page = report.index.read_text()
    assert "Figures on 1200 steps" in page and "<th>window</th><td>30</td>" in page
    assert page.count("data:image/png;base64,") == 3


def test_series_report_refuses_another_series(tmp_path, fitted):
    detector, frame = fitted
    with pytest.raises(ValueError, match=r"the series' channels are \['other'\], but the "
                       r"detector was fitted on \['load'\]"):
        write_series_report(detector, frame.rename(columns={"load": "other"}), tmp_path / "x")
    with pytest.raises(ValueError, match="steps has 3 values for a series of 1200"):
        write_series_report(detector, frame, tmp_path / "x", steps=[1, 2, 3])
    bare = small_detector(window=30).fit(planted())  # unnamed: the channel is "value"
    report = write_series_report(bare, planted(), tmp_path / "bare")
    assert "where" in report.numbers and "(" not in report.numbers["where"]  # steps only


def test_cli_series_report(tmp_path, capsys, fitted):
    detector, frame = fitted
    saved, data = tmp_path / "series.safetensors", tmp_path / "series.csv"
    detector.save(saved)
    stamps = frame.index.strftime("%Y-%m-%dT%H:%M:%S+02:00")  # zoned: drawn at its own hours
    pa_csv.write_csv(pa.table({"time": list(stamps), "load": frame["load"].to_numpy()}), data)
    assert main(["report", str(saved), str(data), "--time", "time", "-o",
                 str(tmp_path / "rep")]) == 0
    assert "wrote 3 figures" in capsys.readouterr().out
    page = (tmp_path / "rep" / "index.html").read_text()
    start, end = next(w for w in detector.anomaly_windows(frame) if w[0] <= 800 < w[1])
    wall = frame.index[start].strftime("%Y-%m-%dT%H:%M")  # the file's hours, not UTC's
    assert f"steps {start}-{end - 1} ({wall}" in page
    for args, message in [
            (["--labels", "time"], "--labels does not apply to a series detector's report"),
            (["--no-header"], "--header/--no-header does not apply"),
            (["--columns", "time"], "--columns time: the detector was trained on the channels"),
            (["--time", "when"], "has no column 'when'")]:
        assert main(["report", str(saved), str(data), *args, "-o", str(tmp_path / "r2")]) == 1
        assert message in capsys.readouterr().err
