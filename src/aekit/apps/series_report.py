"""A report on a fitted ``SeriesAnomalyDetector`` and a series: the series with its anomalous
windows shaded, each step's anomaly score against the threshold, the loss of the window
autoencoder, and ``index.html`` showing them with the detector's settings."""

from __future__ import annotations

import os
from pathlib import Path

import numpy as np
from sklearn.utils.validation import check_is_fitted

from aekit.apps._report_page import Report, model_settings, page
from aekit.apps.report import (
    MOST_CHANNELS,
    plot_history,
    plot_series_anomalies,
    plot_step_scores,
)
from aekit.apps.series_anomaly import flagged_runs
from aekit.io import atomic_write_bytes

LISTED_WINDOWS = 10  # anomalous windows named on the page


def write_series_report(detector, series, output_dir: str | os.PathLike, *, steps=None,
                        step_names=None, axis_name: str | None = None,
                        title: str | None = None) -> Report:
    """Write figures and ``index.html`` about the fitted ``SeriesAnomalyDetector`` on
    ``series`` ``(T,)`` or ``(T, channels)`` to ``output_dir``.

    ``steps``: the time of each step, drawn along the x axis (default: a pandas series' or
    frame's index when it is not the plain 0..T-1 one, else the step numbers), named
    ``axis_name`` ("time" or "step" by default). ``step_names``: each step's time as text, to
    name the anomalous windows on the page (default: from ``steps``). Gaps (NaN) show as
    breaks in the line.
    """
    check_is_fitted(detector)
    anomaly = -detector.score_steps(series)  # checks the series (channels, names, length)
    values = np.asarray(series, dtype=np.float64).reshape(len(anomaly), -1)
    steps = _steps(series, steps, len(values))
    if step_names is None and steps is not None:
        step_names = _names_of(steps)
    if step_names is not None and len(step_names) != len(values):
        raise ValueError(f"step_names has {len(step_names)} names for a series of "
                         f"{len(values)} steps")
    axis_name = axis_name or ("step" if steps is None else "time")
    windows = flagged_runs(anomaly > detector.threshold_)
    out = Path(output_dir)
    out.mkdir(parents=True, exist_ok=True)
    report = Report(out / "index.html")
    names = _channel_names(detector, values.shape[1])
    plot_series_anomalies(values, names, windows, out / "series.png", steps, axis_name,
                          title=f"The series and its {len(windows)} anomalous windows")
    report.figures["Series and anomalous windows"] = out / "series.png"
    plot_step_scores(anomaly, detector.threshold_, out / "step_scores.png", steps, axis_name,
                     title="Anomaly score of each step (the mean of its windows' scores)")
    report.figures["Step scores"] = out / "step_scores.png"
    ae = detector.detector_.model_
    if ae.history_.get("loss"):
        plot_history(ae.history_, out / "loss.png", title="Training of the window autoencoder",
                     kept=getattr(ae, "best_epoch_", None))
        report.figures["Loss per epoch"] = out / "loss.png"
    report.numbers.update(_numbers(detector, anomaly, windows, step_names))
    fitted, params = model_settings(detector, ae)
    fitted = {"model": fitted.pop("model"), **_series_settings(detector), **fitted}
    text = page(title or "aekit report: SeriesAnomalyDetector", f"{len(values)} steps", report,
                fitted, params)
    atomic_write_bytes(report.index, text.encode())
    return report


def _steps(series, steps, n_steps: int):
    if steps is not None:
        steps = np.asarray(steps)
        if len(steps) != n_steps:
            raise ValueError(f"steps has {len(steps)} values for a series of {n_steps} steps")
        return steps
    index = getattr(series, "index", None)
    if index is None or (index.dtype.kind in "iu" and np.array_equal(index, np.arange(n_steps))):
        return None
    return np.asarray(index)


def _names_of(steps: np.ndarray) -> list[str]:
    """Times as text, without the zeros of units finer than they use (no nanoseconds)."""
    if np.issubdtype(steps.dtype, np.datetime64):
        return list(np.datetime_as_string(steps, unit="auto"))
    return [str(step) for step in steps]


def _channel_names(detector, n_channels: int) -> list[str]:
    known = getattr(detector, "feature_names_in_", None)
    if known is not None:
        return [str(name) for name in known]
    return ["value"] if n_channels == 1 else [f"channel {i}" for i in range(n_channels)]


def _numbers(detector, anomaly: np.ndarray, windows, step_names) -> dict[str, str]:
    numbers = {"steps": str(len(anomaly)),
               "threshold (anomaly score)": f"{detector.threshold_:.5g}",
               "steps above the threshold": f"{np.mean(anomaly > detector.threshold_):.2%}",
               "anomalous windows": str(len(windows))}
    if detector.n_channels_ > MOST_CHANNELS:
        numbers["channels drawn"] = f"the first {MOST_CHANNELS} of {detector.n_channels_}"
    listed = [_window_text(start, end, step_names) for start, end in windows[:LISTED_WINDOWS]]
    if len(windows) > LISTED_WINDOWS:
        listed.append(f"and {len(windows) - LISTED_WINDOWS} more")
    if listed:
        numbers["where"] = "; ".join(listed)
    return numbers


def _window_text(start: int, end: int, step_names) -> str:
    text = f"steps {start}-{end - 1}"
    return text if step_names is None else f"{text} ({step_names[start]} .. {step_names[end - 1]})"


def _series_settings(detector) -> dict[str, str]:
    return {"channels": str(detector.n_channels_), "window": str(detector.window_),
            "stride": str(detector.stride_), "normalize": str(detector.normalize),
            "contamination": str(detector.contamination)}
