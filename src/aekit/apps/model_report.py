"""A report on a fitted model and some data: PNG figures and one ``index.html`` that shows them
with the model's settings and figures. The page embeds its images (and names the PNG files
beside it), so it opens anywhere without a server or the internet."""

from __future__ import annotations

import os
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from sklearn.utils.validation import validate_data

from aekit.apps._report_page import Report, model_settings, page
from aekit.apps.images import as_images, image_shape_of
from aekit.apps.reduction import labels_of_rows, latent_map
from aekit.apps.report import (
    plot_feature_errors,
    plot_history,
    plot_image_rows,
    plot_score_histogram,
)
from aekit.apps.series_anomaly import SeriesAnomalyDetector
from aekit.apps.series_report import write_series_report
from aekit.estimators._frames import is_frame
from aekit.estimators._validation import check_numeric_columns
from aekit.io import atomic_write_bytes


def autoencoder_of(model):
    """The fitted autoencoder inside ``model``: itself, or the one a wrapper (a detector, an
    imputer) keeps as ``model_``, ``estimator_`` or ``autoencoder_``."""
    if hasattr(model, "module_"):
        return model
    for name in ("model_", "estimator_", "autoencoder_"):
        inner = getattr(model, name, None)
        if inner is not None and hasattr(inner, "module_"):
            return inner
    raise TypeError(f"{type(model).__name__} holds no fitted aekit autoencoder to report on")


def write_report(model, X, output_dir: str | os.PathLike, *, labels=None,
                 feature_names: list[str] | None = None,
                 image_shape: tuple[int, ...] | None = None, n_shown: int = 12,
                 title: str | None = None) -> Report:
    """Write figures and ``index.html`` about the fitted ``model`` on data ``X`` to
    ``output_dir``.

    Figures: the loss curves; originals against reconstructions (image models) or each
    feature's reconstruction error (tables); the 2-D map of the codes, coloured by ``labels``
    (one per row, or the name of a column of a DataFrame ``X``, as in ``latent_map``);
    the histogram of ``score_samples``, with the threshold when the model has an ``offset_``
    (a detector's cut on the same higher-is-normal scale, as in scikit-learn). A detector's
    rows are shown as its autoencoder sees them (scaled robustly and clipped). A
    ``SeriesAnomalyDetector`` gets a series report instead (``write_series_report``): ``X`` is
    then the series.
    """
    if isinstance(model, SeriesAnomalyDetector):
        return write_series_report(model, X, output_dir, title=title)
    out = Path(output_dir)
    ae = autoencoder_of(model)
    X, labels = labels_of_rows(model, X, labels)
    rows = _model_rows(model, ae, X)
    if len(X) < 3:  # its map of the codes: checked before any figure is written
        raise ValueError(f"a report needs at least 3 rows (for its map of the codes), got "
                         f"{len(X)}")
    out.mkdir(parents=True, exist_ok=True)
    report = Report(out / "index.html")
    if ae.history_.get("loss"):
        plot_history(ae.history_, out / "loss.png", title="Training",
                     kept=getattr(ae, "best_epoch_", None))
        report.figures["Loss per epoch"] = out / "loss.png"
    encoded = _encoded_names(model)
    if encoded is not None:
        feature_names = encoded
    elif feature_names is None:
        feature_names = getattr(model, "feature_names_in_", None)
    units = "data units" if rows.scaled_by is None else f"{rows.scaled_by}'s scaled units"
    with warnings.catch_warnings():  # the names were checked above; the rows are bare now
        warnings.filterwarnings("ignore", message="X does not have valid feature names")
        _reconstructions(ae, rows.values, out, report, feature_names, image_shape, n_shown,
                         units, int(X.isna().to_numpy().sum()) if is_frame(X) else 0)
        latent_map(ae, rows.values, out / "latent_map.png", labels=labels)
    report.figures["Codes in 2-D"] = out / "latent_map.png"
    if hasattr(model, "score_samples"):
        scores = model.score_samples(X)
        cut = getattr(model, "offset_", None)  # scores below it are outliers (scikit-learn's)
        plot_score_histogram(scores, out / "scores.png", cut,
                             title="Scores of the rows" + (" and the threshold" if cut
                                                           is not None else ""))
        report.figures["Scores"] = out / "scores.png"
        report.numbers["median score (higher = more normal)"] = f"{np.median(scores):.5g}"
        if cut is not None:
            report.numbers["rows below the threshold"] = f"{np.mean(scores < cut):.2%}"
    text = page(title or f"aekit report: {type(model).__name__}", f"{len(rows.values)} rows",
                report, *model_settings(model, ae))
    atomic_write_bytes(report.index, text.encode())
    return report


def _encoded_names(model) -> list[str] | None:
    """A detector's or an imputer's input columns as its autoencoder takes them, a category
    as its 0/1 columns (``city=Paris``); None for a model without categories."""
    from aekit.apps._mixed_rows import category_names, encoded_names

    specs = getattr(model, "columns_", None) or []
    return encoded_names(specs) if category_names(specs) else None


@dataclass
class _Rows:
    values: np.ndarray  # as the autoencoder takes them
    scaled_by: str | None = None  # the wrapper that scaled them, if one did


def _model_rows(model, ae, X) -> _Rows:
    """``X`` as the autoencoder inside ``model`` takes it: through the wrapper's own
    ``model_input`` (a detector's robust scaling and clipping) where it has one. A table's
    column names are checked against the model's first, so that reordered columns are refused
    rather than read by position."""
    model_input = getattr(model, "model_input", None)
    if model_input is not None:
        scaled = getattr(model, "model_input_scaled", True)
        return _Rows(np.asarray(model_input(X)), type(model).__name__ if scaled else None)
    check_numeric_columns(X)
    if hasattr(X, "columns") or hasattr(X, "column_names"):  # a DataFrame or Arrow table
        # the names live on the wrapper (an imputer) where it has them, else on the model
        keeper = model if hasattr(model, "feature_names_in_") else ae
        validate_data(keeper, X, reset=False, skip_check_array=True)
    return _Rows(np.asarray(X))


def _reconstructions(ae, X, out: Path, report: Report, feature_names, image_shape,
                     n_shown: int, units: str = "data units", missing_cells: int = 0) -> None:
    R = ae.reconstruct(X)
    # a missing cell (an imputer's input) has no error: left out, as score() leaves it
    errors = np.square(X.reshape(len(X), -1) - R.reshape(len(R), -1))
    report.numbers["rows"] = str(len(X))
    missing = int(np.isnan(errors).sum())
    if missing:  # in the table's cells where it has them (a category's 0/1 columns count once)
        report.numbers["missing cells (left out of the errors)"] = str(missing_cells or missing)
    report.numbers[f"reconstruction MSE ({units})"] = f"{np.nanmean(errors):.5g}"
    shape = image_shape_of(ae, image_shape)
    if shape is not None:
        report.numbers["reconstruction squared error per row"] = \
            f"{np.nansum(errors, 1).mean():.5g}"
        plot_image_rows({"original": as_images(X[:n_shown], shape),
                         "reconstruction": as_images(R[:n_shown], shape)}, shape,
                        out / "reconstructions.png", title="Originals and reconstructions")
        report.figures["Originals and reconstructions"] = out / "reconstructions.png"
        return
    last = X.shape[-1]  # per feature (tables), per channel (sequences)
    with warnings.catch_warnings():  # a column with no value observed: no error (0 shown)
        warnings.simplefilter("ignore", RuntimeWarning)
        per_value = np.nanmean(np.square(X - R).reshape(-1, last), 0)
        variance = np.nanvar(X.reshape(-1, last), 0)
    relative = np.nan_to_num(per_value / np.where(variance > 0, variance, 1.0))
    names = feature_names
    if names is None or len(names) != last:
        known = getattr(ae, "feature_names_in_", None)
        names = known if known is not None and len(known) == last else [f"x{i}" for i in
                                                                          range(last)]
    names = [str(name) for name in names]
    plot_feature_errors(relative, names, out / "feature_errors.png",
                        title="Reconstruction error per feature (1 = no better than the mean)")
    report.figures["Error per feature"] = out / "feature_errors.png"
    # unit-free, unlike the MSE above, in which the columns of large values outweigh the rest
    report.numbers["reconstruction error / variance (mean over features)"] = \
        f"{relative.mean():.4g}"
    worst = np.argsort(relative)[::-1][:3]
    report.numbers["worst features"] = ", ".join(f"{names[i]} ({relative[i]:.3g})"
                                                 for i in worst)
    # the MSE in data units after them: the column of the largest values decides it (a trial:
    # wine's 1484, nearly all proline's), which would mislead as the table's first figure
    mse = f"reconstruction MSE ({units})"
    weighed = ", columns of large values weigh most" if units == "data units" else ""
    report.numbers[f"{mse}{weighed}"] = report.numbers.pop(mse)
