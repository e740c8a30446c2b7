"""Anomaly detection on tables: a scikit-learn outlier detector around any aekit autoencoder."""

from __future__ import annotations

import numbers
import warnings

import numpy as np
import torch
from sklearn.base import BaseEstimator, OutlierMixin, clone
from sklearn.utils.validation import check_is_fitted, validate_data

from aekit._stack import user_stacklevel
from aekit.apps import _mixed_rows as mixed
from aekit.apps._table_codec import specs_from_json
from aekit.estimators import BaseAutoencoder
from aekit.estimators._frames import like_frame
from aekit.estimators._params import Param, document_params, store_params
from aekit.estimators._torch import draw_seed, untracked
from aekit.estimators._validation import (
    FEW_VALUES,
    check_finite,
    check_float,
    check_numeric_columns,
)
from aekit.estimators.ensemble import EnsembleAutoencoder
from aekit.estimators.persistence import (
    construct,
    nest_state,
    register_model,
    save_model,
    unnest_state,
)
from aekit.io.row_ids import IdLikeWarning, id_like_columns

# Each feature's error is divided by its typical (median) training error, floored at this
# fraction of the features' mean typical error, so a feature the model reconstructs perfectly
# cannot turn a tiny deviation into a huge score.
ERROR_FLOOR = 0.1
IQR_TO_SIGMA = 1.349  # the IQR of a normal distribution, in standard deviations
STEPS = 400  # gradient steps of the default model, whatever the number of rows
TRIM = 0.1  # share of each batch the default model's loss leaves out (the worst rows)
MEDIAN_ROWS = 10000  # rows sampled to estimate each feature's typical error
SCORE_ROWS = 4096  # rows scored per block


def default_model(n_rows: int, n_features: int, random_state) -> EnsembleAutoencoder:
    """Ten small, diverse autoencoders trained together for about ``STEPS`` gradient steps.

    Small codes (a quarter of the features, at most half the hidden width), few steps and a
    trimmed loss keep rare rows from being learnt: each member leaves out the worst-reconstructed
    ``TRIM`` of every batch, the share of outliers PyOD's detectors assume by default. Every
    parameter is explicit, so changes to the estimators' defaults do not move it.
    """
    batch_size = 256
    steps_per_epoch = max(1, -(-n_rows // batch_size))
    epochs = int(np.clip(round(STEPS / steps_per_epoch), 5, 200))
    hidden = int(np.clip(2 * n_features, 8, 64))
    return EnsembleAutoencoder(
        n_members=10, connection_density=0.8, smallest_member=0.5, trim_fraction=TRIM,
        latent_dim=max(1, min(round(n_features / 4), hidden // 2)), hidden_dims=(hidden,),
        activation="relu", output_activation="linear", loss="mse", optimizer="adam",
        learning_rate=3e-3, weight_decay=0.0, epochs=epochs, batch_size=batch_size,
        shuffle=True, validation_split=0.0, patience=None, scaling="none",
        random_state=random_state, device="cpu", compile="none", precision="float32", verbose=0)


@register_model
class AnomalyDetector(OutlierMixin, BaseEstimator):
    """Outlier detector for tables built on an autoencoder's reconstruction error.

    The columns are scaled robustly (median and interquartile range, clipped at ``clip``
    robust standard deviations for training); a DataFrame's categorical columns (``category``
    dtype, or text of at most 50 values, each seen twice on average) become one 0/1 column per
    category, left as 0 and 1 and scored as the numbers are. An autoencoder learns to
    reconstruct them (by default ten small ones trained together, each leaving the worst tenth
    of every batch out of its loss, so the anomalies among the training rows are not learnt),
    and a row's anomaly score is its reconstruction error, each feature's error divided by that
    feature's typical error on the training data. The API follows scikit-learn's
    ``IsolationForest``: ``score_samples`` (higher is more normal), ``decision_function``
    (negative for outliers), ``predict`` and ``fit_predict`` (1 inlier, -1 outlier); and
    ``score_features`` gives each feature's share of a row's score. Scoring is deterministic;
    ``save`` writes the detector and its model to one file (``aekit.load`` reads it).

    Attributes
    ----------
    model_ : estimator
        The fitted autoencoder.
    columns_ : list or None
        How each column of a DataFrame with categories is read (its kind, and a category
        column's categories, in the order of its 0/1 columns); None for numbers only.
    center_, scale_ : ndarray of shape (n_encoded,)
        The robust scaling: median and IQR / 1.349 (the standard deviation, then 1, where the
        IQR is zero), per column the model takes; a category's 0/1 columns: 0 and 1.
    category_shares_ : ndarray of shape (n_encoded,)
        With categories: each 0/1 column's share of the training rows (0 for numbers), by
        which a value unseen in training is read as the rarest category.
    error_scale_ : ndarray of shape (n_members, n_encoded)
        Typical training error per member and column the model takes, that errors are divided
        by.
    threshold_ : float
        The anomaly score above which a row is an outlier.
    offset_ : float
        ``-threshold_``: ``decision_function = score_samples - offset_``. Setting either
        moves the other (one threshold, which ``save`` keeps).
    n_features_in_ : int

    Examples
    --------
    >>> import numpy as np
    >>> from aekit import AnomalyDetector
    >>> X = np.random.RandomState(0).normal(size=(500, 4))
    >>> X[:5] += 6
    >>> detector = AnomalyDetector(contamination=0.01, random_state=0).fit(X)
    >>> bool((detector.predict(X[:5]) == -1).all())
    True
    """

    model_name = "anomaly_detector"

    def __init__(self, *, model=None, contamination: float | str = "auto",
                 threshold: float | None = None,
                 clip: float | None = 5.0, random_state: int | None = None):
        store_params(self, locals())

    # ----------------------------------------------------------------- fitting
    def _check_params(self) -> None:
        check_contamination(self.contamination)
        check_float("threshold", self.threshold, low=0, high=np.inf, allow_none=True)
        check_float("clip", self.clip, low=0, high=np.inf, low_open=True, allow_none=True)
        if self.model is not None and not isinstance(self.model, BaseAutoencoder):
            raise TypeError(f"model must be an aekit estimator (e.g. aekit.VAE(...)) or None, "
                            f"got {type(self.model).__name__}")

    def _check_X(self, X, reset: bool) -> np.ndarray:
        """The rows as float64, a category column as its 0/1 columns (``columns_``)."""
        X = mixed.with_pandas_categories(untracked(X))
        if reset:
            self.columns_ = mixed.category_specs(X)
        elif not hasattr(self, "columns_"):  # unpickled from before categories were read
            self.columns_ = None
        if self.columns_ is not None:
            mixed.check_frame(X, self.columns_)
            validate_data(self, X, reset=reset, skip_check_array=True)  # names and count
            return mixed.encode_rows(X, self.columns_,
                                     None if reset else self.category_shares_)
        check_numeric_columns(X)
        X = validate_data(self, X, reset=reset, dtype=np.float64, ensure_all_finite=False)
        check_finite(X, "X", getattr(self, "feature_names_in_", None))
        return X

    def _by_column(self, values: np.ndarray) -> np.ndarray:
        """Values per encoded column (last axis) as values per input column: a category's
        0/1 columns summed (for ``score_features``: one share per column given)."""
        return values if self.columns_ is None else mixed.fold(values, self.columns_)

    def fit(self, X, y=None):
        """Fit the scaling, the model and the threshold on ``X`` (``y`` is ignored)."""
        self._check_params()
        X = self._check_X(X, reset=True)
        if self.n_features_in_ < 2:
            raise ValueError("n_features=1: AnomalyDetector needs at least 2 columns: its "
                             "autoencoder learns how columns relate, and one column relates to "
                             "nothing. For one series use SeriesAnomalyDetector (aekit detect "
                             "--series), which reads windows of it")
        if len(X) < 2:  # said of the detector, not of the ensemble inside (a trial)
            raise ValueError(f"AnomalyDetector needs at least 2 rows to learn from, got "
                             f"{len(X)}: one row says nothing of what is normal")
        varying = int((self._by_column(np.ptp(X, axis=0)) > 0).sum())
        if varying < 2:
            raise ValueError(f"{'no column' if not varying else 'only one column'} of X varies "
                             "(the others hold one value in all rows): the autoencoder learns "
                             "how columns relate, and copying one column scores any change "
                             "without bound (a trial: 19% of clean rows flagged, scores to "
                             "-9117); give columns that vary, or for one series use "
                             "SeriesAnomalyDetector (aekit detect --series)")
        warn_of_few_rows(len(X), self.n_features_in_)
        numbers = np.ones(X.shape[1], bool) if self.columns_ is None else ~mixed.one_hot_mask(
            self.columns_)
        names = np.asarray(getattr(self, "feature_names_in_", range(X.shape[1])))
        if self.columns_ is not None:
            names = np.asarray(mixed.encoded_names(self.columns_), dtype=object)
        for name, why in id_like_columns(names[numbers], X[:, numbers]):
            warnings.warn(f"feature {name!r} {why}: if it is one, drop it or make it the "
                          "DataFrame's index (read as a feature, an id or a time makes later "
                          "rows look unlike these)", IdLikeWarning, stacklevel=user_stacklevel())
        self.center_, self.scale_ = robust_scaling(X)
        # a category's 0/1 columns as they are: scaled up by their spread, a column that says
        # nothing about the rest swamped the numbers' anomalies (benchmarks/anomaly_categories.py)
        self.center_[~numbers], self.scale_[~numbers] = 0.0, 1.0
        if self.columns_ is not None:  # each category's share, for values unseen in training
            self.category_shares_ = np.where(numbers, 0.0, X.mean(0)) if len(X) else \
                np.zeros(X.shape[1])
        scaled = self._scale(X)
        if self.model is None:
            self.model_ = default_model(len(X), X.shape[1], self.random_state)
        else:
            self.model_ = seeded_clone(self.model, self.random_state)
        self.model_.fit(self._clip(scaled))
        sample = scaled
        if len(scaled) > MEDIAN_ROWS:  # the typical error is a median: a sample estimates it
            sample = scaled[np.random.RandomState(0).choice(len(scaled), MEDIAN_ROWS, False)]
        typical = np.median(self._member_errors(sample), axis=1)  # (members, features)
        floor = ERROR_FLOOR * typical.mean(axis=1, keepdims=True) + np.finfo(np.float32).tiny
        self.error_scale_ = np.maximum(typical, floor)
        train_features = self._by_column(self._feature_scores(scaled))
        train_scores = train_features.sum(1)
        self.threshold_ = fit_threshold(train_scores, self.contamination, self.threshold)
        if self.threshold is None and isinstance(self.contamination, str):
            specs = self.columns_ or []
            values = X if self.columns_ is None else mixed.column_values(X, specs)
            warn_of_discrete_flags(values, train_features, train_scores > self.threshold_,
                                   getattr(self, "feature_names_in_", None),
                                   [i for i, spec in enumerate(specs) if spec.kind == "category"])
        return self

    # ----------------------------------------------------------------- scoring
    def _scale(self, X: np.ndarray) -> np.ndarray:
        return (X - self.center_) / self.scale_

    def _clip(self, scaled: np.ndarray) -> np.ndarray:
        return scaled if self.clip is None else np.clip(scaled, -self.clip, self.clip)

    def model_input(self, X) -> np.ndarray:
        """The rows of ``X`` as ``model_`` takes them: checked (column names, finite values),
        scaled robustly and clipped, float32."""
        check_is_fitted(self)
        return self._clip(self._scale(self._check_X(X, reset=False))).astype(np.float32)

    def _member_errors(self, scaled: np.ndarray) -> np.ndarray:
        """Squared errors ``(members, n, encoded)``: clipped input in, unclipped target."""
        inputs = self._clip(scaled).astype(np.float32)
        if hasattr(self.model_, "member_reconstructions"):
            recon = self.model_.member_reconstructions(inputs)
        else:
            recon = self.model_.reconstruct(inputs)[None]
        return np.square(scaled[None] - recon)

    def _feature_scores(self, scaled: np.ndarray) -> np.ndarray:
        """Per row and feature ``(n, features)``: errors divided by their typical size,
        averaged over members and divided by the feature count (a row's score is the mean over
        features). Computed in blocks of rows, so memory stays bounded."""
        parts = []
        for start in range(0, len(scaled), SCORE_ROWS):
            errors = self._member_errors(scaled[start:start + SCORE_ROWS])
            parts.append((errors / self.error_scale_[:, None, :]).mean(0) / errors.shape[2])
        return np.concatenate(parts) if parts else np.empty((0, scaled.shape[1]))

    def _anomaly_features(self, X) -> np.ndarray:
        """Per row and input column: a category's part summed over its 0/1 columns."""
        check_is_fitted(self)
        X = self._check_X(X, reset=False)
        return self._by_column(self._feature_scores(self._scale(X)))

    @property
    def offset_(self) -> float:
        """``-threshold_``, as scikit-learn's outlier detectors name it; set it to move the
        threshold (an attribute of its own could part from ``threshold_``, which ``save``
        keeps, and a saved model would predict otherwise than before)."""
        return -self.threshold_

    @offset_.setter
    def offset_(self, value: float) -> None:
        threshold = -float(value)
        if not 0 <= threshold < np.inf:  # anomaly scores are >= 0: a file would not load
            raise ValueError(f"offset_ must be a finite number <= 0 (-threshold_), got {value!r}")
        self.threshold_ = threshold

    def refit_threshold(self, X, contamination=None):
        """Raise ``threshold_`` to the one the anomaly scores of the rows ``X`` (normal new
        data) give by ``contamination`` (None: the detector's own), where that is higher,
        keeping the trained model; returns self. It is never lowered: rows that score better
        than the training rows give no reason to flag more of them."""
        check_is_fitted(self)
        contamination = self.contamination if contamination is None else contamination
        check_contamination(contamination)
        scores = -self.score_samples(X)
        warn_of_few_rows(len(scores), self.n_features_in_)  # a threshold from 3 rows: no
        self.threshold_ = raised_threshold(self.threshold_, fit_threshold(
            scores, contamination, None))
        return self

    def score_samples(self, X) -> np.ndarray:
        """Negative anomaly score of each row ``(n,)``: higher is more normal."""
        return -self._anomaly_features(X).sum(1)

    def decision_function(self, X) -> np.ndarray:
        """``score_samples - offset_``: negative for outliers, positive for inliers."""
        return self.score_samples(X) - self.offset_

    def predict(self, X) -> np.ndarray:
        """1 for inliers, -1 for outliers."""
        return np.where(self.decision_function(X) < 0, -1, 1)

    def score_features(self, X) -> np.ndarray:
        """Each feature's share of each row's anomaly score ``(n, features)``; rows sum to 1.
        A DataFrame gives a DataFrame (index and columns kept)."""
        parts = self._anomaly_features(X)
        totals = parts.sum(1, keepdims=True)
        return like_frame(np.divide(parts, totals, out=np.full_like(parts, 1 / parts.shape[1]),
                                    where=totals > 0), X)

    def export_onnx(self, directory) -> dict:
        """Write ``scorer.onnx`` (raw float32 rows -> ``score_samples``, any number of rows)
        and ``manifest.json`` to ``directory``; returns the paths written. The manifest's
        ``outlier_below_score`` is ``offset_``: rows scoring below it are outliers. Needs
        ``pip install aekit[onnx]``."""
        from aekit.apps._anomaly_onnx import detector_graphs
        from aekit.estimators._onnx import export_graphs

        check_is_fitted(self)
        if getattr(self, "columns_", None) is not None:
            raise ValueError(
                "a detector fitted on categorical columns ("
                f"{', '.join(map(repr, mixed.category_names(self.columns_)))}) has no ONNX "
                "export: the graph takes numbers. Encode them as numbers before fitting "
                "(pd.get_dummies(X, dtype=float)) to export one")
        return export_graphs(detector_graphs(self), directory, self,
                             extra={"outlier_below_score": float(self.offset_)})

    # ----------------------------------------------------------------- persistence
    def save(self, path) -> None:
        """Write the fitted detector, its model included, to one file."""
        check_is_fitted(self)
        save_model(self, path)

    def _model_state(self) -> tuple[dict, dict]:
        tensors, inner = nest_state("model", self.model_)
        for name in ("center_", "scale_", "error_scale_"):
            array = np.ascontiguousarray(getattr(self, name))
            tensors[f"detector.{name}"] = torch.from_numpy(array)
        params = {"contamination": self.contamination, "threshold": self.threshold,
                  "clip": self.clip, "random_state": self.random_state
                  if isinstance(self.random_state, numbers.Integral) else None}
        fitted = {"threshold_": self.threshold_, "n_features_in_": self.n_features_in_,
                  "custom_model": self.model is not None}
        if hasattr(self, "feature_names_in_"):
            fitted["feature_names_in_"] = [str(n) for n in self.feature_names_in_]
        if getattr(self, "columns_", None) is not None:
            fitted["columns_"] = [spec.to_json() for spec in self.columns_]
            tensors["detector.category_shares_"] = torch.from_numpy(
                np.ascontiguousarray(self.category_shares_))
        return tensors, {"model": self.model_name, "params": params, "fitted": fitted,
                         "inner": inner}

    @classmethod
    def _from_model_state(cls, tensors: dict, config: dict, device, path):
        detector = construct(cls, config, None, path)
        try:
            detector._check_params()
            fitted = config["fitted"]
            detector.threshold_ = float(fitted["threshold_"])
            detector.n_features_in_ = int(fitted["n_features_in_"])
            arrays = {name: tensors[f"detector.{name}"].numpy().astype(np.float64)
                      for name in ("center_", "scale_", "error_scale_")}
            detector.columns_ = specs_from_json(fitted.get("columns_"), detector.n_features_in_,
                                                ValueError)
            if detector.columns_ is not None:
                if "detector.category_shares_" not in tensors:
                    raise ValueError("it holds no category shares (saved by a development "
                                     "build of aekit): fit it again")
                arrays["category_shares_"] = tensors["detector.category_shares_"].numpy(
                    ).astype(np.float64)
        except (KeyError, TypeError, ValueError) as error:
            raise ValueError(f"{path} is not a valid anomaly detector file: {error}") from None
        width = (detector.n_features_in_ if detector.columns_ is None
                 else sum(spec.width for spec in detector.columns_))
        names = [spec.name for spec in detector.columns_ or []]
        if names and names != fitted.get("feature_names_in_"):
            raise ValueError(f"{path} is not a valid anomaly detector file: its column kinds "
                             "do not name its columns")
        shares = arrays.get("category_shares_", np.zeros(width))
        shapes_ok = (arrays["center_"].shape == arrays["scale_"].shape == (width,)
                     and shares.shape == (width,) and ((shares >= 0) & (shares <= 1)).all()
                     and arrays["error_scale_"].ndim == 2
                     and arrays["error_scale_"].shape[1] == width)
        if not shapes_ok or not np.isfinite(detector.threshold_) or detector.threshold_ < 0:
            raise ValueError(f"{path} is not a valid anomaly detector file: inconsistent state")
        for name, value in arrays.items():
            setattr(detector, name, value)
        if "feature_names_in_" in fitted:
            detector.feature_names_in_ = np.asarray(fitted["feature_names_in_"], dtype=object)
        detector.model_ = unnest_state("model", tensors, config["inner"], device, path)
        if fitted.get("custom_model"):
            detector.model = clone(detector.model_)
        return detector


document_params(AnomalyDetector, (
    Param("model", "aekit estimator or None", None,
          "The autoencoder to fit (cloned; any aekit estimator over tables, e.g. "
          "``VAE(latent_dim=4)``). None: ten small diverse dense autoencoders trained "
          "together (``EnsembleAutoencoder``), sized from the data."),
    Param("contamination", '"auto" or float', "auto",
          "Expected fraction of outliers, in (0, 0.5]: the threshold is that quantile of the "
          "training scores. auto: Tukey's upper fence (the boxplot's outlier rule: third "
          "quartile plus 1.5 interquartile ranges) of the training rows' anomaly scores; for "
          "scores with a right tail like a chi-square's with 6 degrees of freedom it flags "
          "about 2.6% of clean rows, for log-normal scores about 8%, and more when outliers "
          "stretch the tail (a warning says when most flagged rows owe it to one column of "
          "few values, such as a 0/1 flag). Measured on 400 clean rows of independent "
          "Gaussian columns: 8 to 9.5% of the rows flagged for 2 columns, 3.5 to 5.5% for 3 "
          "to 20; give a fraction where the share of anomalies is known."),
    Param("threshold", "float or None", None,
          "Anomaly score (``-score_samples``) above which a row is an outlier; overrides "
          "contamination."),
    Param("clip", "float or None", 5.0,
          "Training inputs are clipped to this many robust standard deviations from the "
          "median, so extreme values do not dominate what the model learns (scoring compares "
          "the unclipped values with the reconstruction). None: no clipping."),
    Param("random_state", "int or None", None,
          "Seed of the model: the default one, or a given ``model`` without a seed of its own "
          "(``random_state=None``), as scikit-learn's ensembles seed their members."),
))

def seeded_clone(estimator, random_state):
    """A clone of ``estimator``, seeded from ``random_state`` when it has a ``random_state``
    of None, so that the outer seed makes the whole fit repeatable (a ``RandomState`` gives
    it an int drawn from it, as scikit-learn's ensembles seed their members)."""
    estimator = clone(estimator)
    params = estimator.get_params(deep=False)
    if random_state is not None and "random_state" in params and params["random_state"] is None:
        seed = (random_state if isinstance(random_state, numbers.Integral)
                else draw_seed(random_state))
        estimator.set_params(random_state=seed)
    return estimator


def raised_threshold(current: float, candidate: float) -> float:
    """``refit_threshold``'s rule: the higher of the two, with a warning when that is the
    current one (a call that changes nothing should say so)."""
    if candidate <= current:
        warnings.warn(f"threshold_ stays at {current:.4g}: the scores given set {candidate:.4g}, "
                      "and a refit never lowers it (set threshold_ yourself to lower it)",
                      UserWarning, stacklevel=user_stacklevel())
    return max(current, candidate)


def check_contamination(contamination) -> None:
    if not (isinstance(contamination, str) and contamination == "auto"):
        check_float("contamination", contamination, low=0, high=0.5, low_open=True,
                    high_open=False)


def fit_threshold(train_scores: np.ndarray, contamination, threshold: float | None) -> float:
    """The anomaly score above which a row is an outlier: ``threshold`` if given; else the
    ``1 - contamination`` quantile of the training scores; for "auto", Tukey's upper fence
    (Q3 + 1.5 IQR, the boxplot's outlier rule) of the training scores."""
    if threshold is not None:
        if not isinstance(contamination, str):
            warnings.warn(f"contamination={contamination} is not used: threshold={threshold} "
                          "is given and sets the threshold; leave one of them out",
                          UserWarning, stacklevel=user_stacklevel())
        return float(threshold)
    if isinstance(contamination, str):
        q1, q3 = np.percentile(train_scores, [25, 75])
        return float(q3 + 1.5 * (q3 - q1))
    return float(np.quantile(train_scores, 1 - contamination))


MIN_ROWS = 20  # rows below which (or below two per column) scores and threshold are rough


def warn_of_few_rows(n_rows: int, n_features: int) -> None:
    """Warn when there are too few rows to learn how the columns relate, or to place a
    threshold: the scores are then little more than distances from the medians."""
    advised = max(MIN_ROWS, 2 * n_features)
    if n_rows < advised:
        warnings.warn(f"only {n_rows} rows for {n_features} columns: the scores and the "
                      f"threshold rest on too few rows to be reliable (at least {advised} are "
                      "advised)", UserWarning, stacklevel=user_stacklevel())


def warn_of_discrete_flags(X: np.ndarray, features: np.ndarray, flagged: np.ndarray,
                           names, categories=()) -> None:
    """Warn when the automatic threshold flags many training rows mostly for one column of few
    values: its rarer values (a 0/1 flag set in a tenth of the rows, a small count) are left
    out of the trimmed loss and score high, though they may well be ordinary; so are the
    values of a category column (its positions in ``categories``) that the other columns do
    not foretell."""
    share = flagged.mean() if len(flagged) else 0.0
    if share <= 0.05:
        return
    top = np.bincount(features[flagged].argmax(1), minlength=X.shape[1])
    column = int(top.argmax())
    n_values = len(np.unique(X[:, column]))
    # few values, each seen three times on average (in 20 rows every column has at most 20,
    # and a column of measurements with a few repeats, 10: a trial was warned of one)
    if top[column] < 0.5 * flagged.sum() or n_values > FEW_VALUES or 3 * n_values > len(X):
        return
    name = repr(str(names[column])) if names is not None else f"{column} (0-based)"
    why = (f"category column {name} ({n_values} values): a rare category, or one the other "
           "columns do not foretell," if column in categories else
           f"column {name}, which takes only {n_values} values: its rarer values")
    warnings.warn(f"the automatic threshold flags {share:.1%} of the training rows, most of "
                  f"them for {why} may be ordinary. Leave the column out, or set "
                  "contamination to the share of outliers you expect", UserWarning,
                  stacklevel=user_stacklevel())


def robust_scaling(X: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Per-feature median and robust standard deviation (IQR / 1.349; the standard deviation
    where the IQR is zero, as in binary or mostly-constant columns; 1 for constant columns)."""
    center = np.median(X, axis=0)
    q1, q3 = np.percentile(X, [25, 75], axis=0)
    scale = (q3 - q1) / IQR_TO_SIGMA
    scale = np.where(scale > 0, scale, X.std(axis=0))
    return center, np.where(scale > 0, scale, 1.0)
