"""Anomaly detection in time series: an ``AnomalyDetector`` over sliding windows, its window
scores spread back onto the time steps."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
from scipy.sparse import issparse
from sklearn.base import BaseEstimator
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit._stack import user_stacklevel
from aekit.apps._time_steps import check_time_index
from aekit.apps.anomaly import (
    AnomalyDetector,
    check_contamination,
    fit_threshold,
    raised_threshold,
    seeded_clone,
)
from aekit.estimators._params import store_params
from aekit.estimators._validation import check_float, check_int, check_numeric_columns
from aekit.estimators.persistence import (
    construct,
    nest_state,
    register_model,
    save_model,
    unnest_state,
)
from aekit.io.row_ids import IdLikeWarning, is_ordered

MIN_WINDOW, MAX_WINDOW = 8, 512
FALLBACK_WINDOW = 64  # when the series shows no period


@register_model
class SeriesAnomalyDetector(BaseEstimator):
    """Outlier detector for time series: which steps look unlike the rest.

    The series is cut into sliding windows of ``window`` steps every ``stride`` steps, each
    window is z-normalised (its shape), its mean and standard deviation are kept beside it (its
    level and amplitude), and an ``AnomalyDetector`` scores the windows. A step's score is the
    mean score of the windows that hold it. Gaps (NaN) are filled with the values one period
    earlier (by linear interpolation when the series has no period).

    Parameters
    ----------
    window : int or "auto", default="auto"
        Window length in steps. "auto": the dominant period of the series, the lag of the
        highest autocorrelation peak between 4 and a quarter of the series (clipped to
        [8, 512]); 64 when the series has no period.
    stride : int or "auto", default="auto"
        Steps between window starts. "auto": 1 (every window, as the classical subsequence
        detectors use), or the smallest stride that keeps the windows under 20 million values.
    normalize : bool, default=True
        Z-normalise each window (keeping its mean and standard deviation as two features).
        False: windows as they are.
    detector : AnomalyDetector or None, default=None
        The window detector (cloned). None: ``AnomalyDetector`` with its defaults.
    contamination : "auto" or float, default="auto"
        As in ``AnomalyDetector``, applied to the per-step scores of the training series.
    threshold : float or None, default=None
        Per-step anomaly score (``-score_steps``) above which a step is an outlier.
    random_state : int or None, default=None
        Seed of the window detector, when it has none of its own.

    Attributes
    ----------
    window_, stride_ : int
        The resolved settings.
    detector_ : AnomalyDetector
        The fitted window detector.
    threshold_ : float
    n_channels_ : int
    feature_names_in_ : ndarray of str
        The channels' names, when the series was a table with named columns (a DataFrame):
        a series scored later must name the same channels in the same order.

    Examples
    --------
    >>> import numpy as np
    >>> from aekit import SeriesAnomalyDetector
    >>> t = np.arange(4000)
    >>> series = np.sin(2 * np.pi * t / 50)
    >>> series[3000:3020] = 0.0
    >>> detector = SeriesAnomalyDetector(random_state=0).fit(series)
    >>> 2950 <= int(np.argmin(detector.score_steps(series))) < 3070
    True
    """

    model_name = "series_anomaly_detector"

    def __init__(self, *, window="auto", stride="auto", normalize: bool = True, detector=None,
                 contamination="auto", threshold: float | None = None,
                 random_state: int | None = None):
        store_params(self, locals())

    # ----------------------------------------------------------------- fitting
    def _check_params(self) -> None:
        for name in ("window", "stride"):
            value = getattr(self, name)
            if not (isinstance(value, str) and value == "auto"):
                check_int(name, value, low=2 if name == "window" else 1)
        if not isinstance(self.normalize, (bool, np.bool_)):
            raise ValueError(  # noqa: TRY004 - scikit-learn reports parameters as ValueError
                f"normalize must be True or False, got {self.normalize!r}")
        if self.detector is not None and not isinstance(self.detector, AnomalyDetector):
            raise TypeError("detector must be an aekit.AnomalyDetector or None")
        check_contamination(self.contamination)
        check_float("threshold", self.threshold, low=0, high=np.inf, allow_none=True)

    def fit(self, series, y=None):
        """Learn what normal windows of ``series`` ``(T,)`` or ``(T, channels)`` look like;
        ``series`` may hold anomalies (or be a clean training series)."""
        self._check_params()
        values = self._values(series, reset=True)
        self.n_channels_ = values.shape[1]
        self._warn_of_time_channels(values)
        if np.ptp(values, axis=0).max() == 0:
            raise ValueError("the series is constant: there is nothing to learn what is normal "
                             "from")
        self.window_ = int(self.window) if self.window != "auto" else fitting_window(
            dominant_period(values), len(values))
        self.stride_ = auto_stride(values.size, self.window_) if self.stride == "auto" else int(
            self.stride)
        self._check_length(len(values), fitting=True)
        detector = self.detector if self.detector is not None else AnomalyDetector(
            random_state=self.random_state)
        self.detector_ = seeded_clone(detector, self.random_state)
        starts = self._starts(len(values))
        with warnings.catch_warnings():  # its threshold is not the one labels use here,
            warnings.filterwarnings("ignore", message="the automatic threshold flags")
            # and the rows are overlapping windows, as many as the series' length allows,
            warnings.filterwarnings("ignore", message="only .* rows for")
            # whose means rise in order along a trend (the channels were checked above)
            warnings.simplefilter("ignore", IdLikeWarning)
            self.detector_.fit(self._features(values, starts))
        train_steps = self._step_anomaly(values)
        self.threshold_ = fit_threshold(train_steps, self.contamination, self.threshold)
        return self

    def _warn_of_time_channels(self, values: np.ndarray) -> None:
        """Warn of a channel, beside others, that rises or falls at every step: a time (or a
        counter) read as data sets the window and the scores by its ramp."""
        if values.shape[1] < 2:
            return  # a series of one channel is what it is
        names = getattr(self, "feature_names_in_", range(values.shape[1]))
        for name in (str(n) for n, column in zip(names, values.T) if is_ordered(column)):
            warnings.warn(f"channel {name!r} of the series rises or falls at every step, like a "
                          "time: read as data, its ramp sets the window and the scores; give "
                          "it as the time (the DataFrame's index; aekit detect --time) "
                          "instead", UserWarning, stacklevel=user_stacklevel())

    def _check_length(self, n_steps: int, windows: int = 2, fitting: bool = False) -> None:
        """Refuse a series shorter than ``windows`` windows: two to fit a detector or its
        threshold on, one to be scored by a fitted detector (a recent stretch). Only a fit
        can take a smaller window: a fitted detector's is its own."""
        if fitting and self.window == "auto" and n_steps // 2 < MIN_WINDOW:
            smaller = (f", or a window (window=, --window) of at most {n_steps // 2} steps"
                       if n_steps // 2 >= 2 else "")  # a window has 2 steps at least
            raise ValueError(f"the series has {n_steps} steps: the automatic window needs at "
                             f"least {2 * MIN_WINDOW} (two windows of {MIN_WINDOW}); give a "
                             f"longer series{smaller}")
        if n_steps < windows * self.window_:
            what = "two windows" if windows == 2 else "one window"
            raise ValueError(f"the series has {n_steps} steps, fewer than {what} of "
                             f"{self.window_}: give a longer series"
                             + (" or a smaller window (window=, --window)" if fitting else
                                " (the window is the fitted detector's)"))

    def _starts(self, n_steps: int) -> np.ndarray:
        starts = np.arange(0, n_steps - self.window_ + 1, self.stride_)
        if starts[-1] != n_steps - self.window_:  # a last window reaching the end
            starts = np.append(starts, n_steps - self.window_)
        return starts

    def _features(self, values: np.ndarray, starts: np.ndarray) -> np.ndarray:
        """``(n_windows, window * channels [+ 2 * channels])``."""
        index = starts[:, None] + np.arange(self.window_)[None, :]
        windows = values[index]  # (n, window, channels)
        if not self.normalize:
            return windows.reshape(len(starts), -1)
        mean = windows.mean(axis=1, keepdims=True)
        std = windows.std(axis=1, keepdims=True)
        shape = np.divide(windows - mean, std, out=np.zeros_like(windows), where=std > 0)
        return np.concatenate([shape.reshape(len(starts), -1), mean[:, 0], std[:, 0]], axis=1)

    # ----------------------------------------------------------------- scoring
    def _step_anomaly(self, values: np.ndarray) -> np.ndarray:
        """Per step anomaly score ``(T,)``: the mean over the windows that hold the step."""
        starts = self._starts(len(values))
        window_scores = -self.detector_.score_samples(self._features(values, starts))
        total = np.zeros(len(values) + 1)
        count = np.zeros(len(values) + 1)
        np.add.at(total, starts, window_scores)
        np.add.at(total, starts + self.window_, -window_scores)
        np.add.at(count, starts, 1)
        np.add.at(count, starts + self.window_, -1)
        return np.cumsum(total)[:-1] / np.maximum(np.cumsum(count)[:-1], 1)

    def _values(self, series, reset: bool) -> np.ndarray:
        """``check_series``'s values; the channels' names of a table (a DataFrame) kept
        (``reset``) or matched against those kept, as scikit-learn estimators do for columns:
        channels in another order are refused, not compared by position."""
        check_numeric_columns(series, "the series")
        check_time_index(series)
        if getattr(series, "name", None) is not None and hasattr(series, "to_frame"):
            series = series.to_frame()  # a named pandas Series: one channel of that name
        if hasattr(series, "columns") or hasattr(series, "column_names") or np.ndim(series) == 2:
            self._match_channels(series, reset)
        elif reset:  # a bare (T,) series: no names from an earlier fit may linger
            for stale in ("feature_names_in_", "n_features_in_"):
                self.__dict__.pop(stale, None)
        return check_series(series)

    def _match_channels(self, series, reset: bool) -> None:
        """scikit-learn's check of the channels' names, its several lines said in one: the
        channels given against those the detector was fitted on."""
        known = getattr(self, "feature_names_in_", None)
        try:
            validate_data(self, series, reset=reset, skip_check_array=True)
        except ValueError as error:
            if known is None or "feature names" not in str(error):
                raise
            given = [str(name) for name in getattr(series, "columns", [])]
            raise ValueError(f"the series' channels are {given}, but the detector was fitted "
                             f"on {[str(name) for name in known]}: give those, in that order"
                             ) from None

    def _checked(self, series, windows: int = 1) -> np.ndarray:
        check_is_fitted(self)
        values = self._values(series, reset=False)
        if values.shape[1] != self.n_channels_:
            raise ValueError(f"the series has {values.shape[1]} channels, the detector was "
                             f"fitted on {self.n_channels_}")
        self._check_length(len(values), windows)
        return values

    def score_steps(self, series) -> np.ndarray:
        """One score per step ``(T,)``: higher is more normal."""
        return -self._step_anomaly(self._checked(series))

    def predict_steps(self, series) -> np.ndarray:
        """1 for normal steps, -1 for anomalous ones ``(T,)``."""
        return np.where(self._step_anomaly(self._checked(series)) > self.threshold_, -1, 1)

    def refit_threshold(self, series, contamination=None):
        """Raise ``threshold_`` to the one ``series``' step scores give by ``contamination``
        (None: the detector's own), where that is higher, keeping the trained window detector;
        returns self. A saved detector's threshold does not carry over to a series that has
        drifted (README): refit it on a recent stretch of the new series that holds no known
        anomaly. It is never lowered: a calm stretch would set it below the rest's normal
        steps (``benchmarks/new_data_flags.py``: up to 79% of them flagged)."""
        check_is_fitted(self)
        contamination = self.contamination if contamination is None else contamination
        check_contamination(contamination)
        self.threshold_ = raised_threshold(self.threshold_, fit_threshold(
            self._step_anomaly(self._checked(series, windows=2)), contamination, None))
        return self

    def anomaly_windows(self, series) -> list[tuple[int, int]]:
        """The runs of anomalous steps, as ``(start, end)`` step ranges (end excluded)."""
        return flagged_runs(self.predict_steps(series) == -1)

    # ----------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted detector to one file."""
        check_is_fitted(self)
        save_model(self, path)

    def _model_state(self) -> tuple[dict, dict]:
        tensors, inner = nest_state("detector", self.detector_)
        params = {"window": self.window, "stride": self.stride, "normalize": bool(self.normalize),
                  "contamination": self.contamination, "threshold": self.threshold,
                  "random_state": self.random_state
                  if isinstance(self.random_state, numbers.Integral) else None}
        fitted = {"window_": self.window_, "stride_": self.stride_, "threshold_": self.threshold_,
                  "n_channels_": self.n_channels_}
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(n) for n in self.feature_names_in_]
        return tensors, {"model": self.model_name, "params": params, "fitted": fitted,
                         "inner": inner}

    @classmethod
    def _from_model_state(cls, tensors: dict, config: dict, device, path):
        model = construct(cls, config, None, path)
        try:
            model._check_params()
            fitted = config["fitted"]
            model.window_, model.stride_ = int(fitted["window_"]), int(fitted["stride_"])
            model.n_channels_ = int(fitted["n_channels_"])
            model.threshold_ = float(fitted["threshold_"])
            if "feature_names_in_" in fitted:
                model.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
                model.n_features_in_ = len(model.feature_names_in_)
            if getattr(model, "n_features_in_", model.n_channels_) != model.n_channels_:
                raise ValueError("feature_names_in_ does not name every channel")
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path} is not a valid series anomaly detector file: "
                             f"{error}") from None
        if min(model.window_, model.stride_, model.n_channels_) < 1 or not model.threshold_ >= 0:
            raise ValueError(f"{path} is not a valid series anomaly detector file: "
                             "inconsistent state")
        model.detector_ = unnest_state("detector", tensors, config["inner"], device, path)
        return model


def flagged_runs(flagged: np.ndarray) -> list[tuple[int, int]]:
    """The runs of True in ``flagged``, as ``(start, end)`` index ranges (end excluded)."""
    edges = np.flatnonzero(np.diff(np.concatenate([[0], flagged, [0]]).astype(np.int8)))
    return [(int(a), int(b)) for a, b in zip(edges[::2], edges[1::2])]


WINDOW_VALUES = 20_000_000  # the most values the windows of one series may hold (stride "auto")


def auto_stride(n_values: int, window: int) -> int:
    """1, or the smallest stride that keeps the windows under ``WINDOW_VALUES`` values."""
    return max(1, -(-n_values * window // WINDOW_VALUES))


def check_series(series) -> np.ndarray:
    """``(T, channels)`` float64, with NaN gaps filled (``fill_gaps``)."""
    if issparse(series):
        raise TypeError("the series is a sparse matrix: pass series.toarray()")
    values = np.asarray(series, dtype=np.float64)
    if values.ndim == 1:
        values = values[:, None]
    if values.ndim == 2 and len(values) == 0:
        raise ValueError("the series has no steps: there is nothing to score")
    if values.ndim != 2:
        raise ValueError(f"series must have shape (T,) or (T, channels), got {values.shape}")
    if values.shape[1] == 0:
        raise ValueError(f"the series has no channel (shape {values.shape}): give at least one "
                         "column")
    if np.isinf(values).any():
        raise ValueError("the series holds inf: remove or clip those values first")
    if np.isnan(values).all(axis=0).any():
        raise ValueError("a channel of the series is all NaN: drop it")
    missing = int(np.isnan(values).any(axis=1).sum())
    if missing:  # scored as the values filled in: a gap itself is no anomaly here
        warnings.warn(f"{missing} steps of the series are missing (NaN): they are filled (from "
                      "a period earlier, or between their neighbours) and scored as filled",
                      UserWarning, stacklevel=user_stacklevel())
    return fill_gaps(values)


def fill_gaps(values: np.ndarray) -> np.ndarray:
    """Fill NaN gaps with the value one period earlier (or later, at the start), where the
    series has a period and that value is known; else by linear interpolation. A seasonal
    fill keeps a gap from looking like a flat (anomalous) stretch."""
    missing = np.isnan(values)
    if not missing.any():
        return values
    steps = np.arange(len(values))
    linear = values.copy()
    for c in np.flatnonzero(missing.any(axis=0)):
        gap = missing[:, c]
        linear[gap, c] = np.interp(steps[gap], steps[~gap], values[~gap, c])
    period = find_period(linear)
    if period is None:
        return linear
    filled = values.copy()
    for t, c in zip(*np.nonzero(missing)):  # in time order: a long gap fills period by period
        for source in (t - period, t + period):
            if 0 <= source < len(values) and not np.isnan(filled[source, c]):
                filled[t, c] = filled[source, c]
                break
        else:
            filled[t, c] = linear[t, c]
    return filled


def find_period(values: np.ndarray) -> int | None:
    """The lag of the highest autocorrelation peak (a local maximum above 0.1) between 4 and a
    quarter of the series (at most ``4 * MAX_WINDOW``), channels pooled; None if there is none."""
    x = values - values.mean(axis=0)
    n = len(x)
    spectrum = np.fft.rfft(x, n=2 * n, axis=0)
    acf = np.fft.irfft(np.abs(spectrum) ** 2, axis=0)[:n].sum(axis=1)
    if acf[0] <= 0:
        return None
    acf = acf / acf[0]
    lags = np.arange(4, min(n // 4, 4 * MAX_WINDOW) - 1)
    if len(lags) == 0:
        return None
    peaks = lags[(acf[lags] > acf[lags - 1]) & (acf[lags] >= acf[lags + 1]) & (acf[lags] > 0.1)]
    return int(peaks[np.argmax(acf[peaks])]) if len(peaks) else None


def fitting_window(window: int, n_steps: int) -> int:
    """The automatic ``window`` made to fit twice into a series of ``n_steps`` (a trial: 64
    for 20 steps, then refused), where that leaves at least ``MIN_WINDOW`` steps."""
    return min(window, n_steps // 2) if n_steps // 2 >= MIN_WINDOW else window


def dominant_period(values: np.ndarray) -> int:
    """The window length ``"auto"`` picks: ``find_period`` clipped to [8, 512], else 64."""
    period = find_period(values)
    return FALLBACK_WINDOW if period is None else int(np.clip(period, MIN_WINDOW, MAX_WINDOW))
