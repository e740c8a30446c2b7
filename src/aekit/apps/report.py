"""Figures for reports (PNG): the loss curve, originals against reconstructions, image grids,
the 2-D latent map, per-feature errors, the score histogram, and a series with its anomalies
and step scores."""

from __future__ import annotations

import math
import os

import numpy as np

from aekit.io import atomic_path


def _pyplot():
    import matplotlib

    matplotlib.use("Agg")  # files only, no display needed
    import matplotlib.pyplot as plt

    return plt


def _save(fig, path: str | os.PathLike) -> None:
    with atomic_path(path) as tmp:
        fig.savefig(tmp, format="png", dpi=120, bbox_inches="tight")


def plot_history(history: dict[str, list[float]], path: str | os.PathLike,
                 title: str = "Training", kept: int | None = None) -> None:
    """Train (and validation) loss per epoch; a line at the epoch whose weights were ``kept``
    when it is not the last (early stopping restored them)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        if key in history:
            ax.plot(range(1, len(history[key]) + 1), history[key], label=label)
    if kept is not None and kept < len(history.get("loss", ())):
        ax.axvline(kept, color="gray", linestyle=":",
                   label=f"weights kept (epoch {kept})" if kept else "starting weights kept")
    ax.set_xlabel("epoch")
    ax.set_ylabel("loss")
    ax.set_title(title)
    ax.legend()
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def plot_image_rows(rows: dict[str, np.ndarray], image_shape: tuple[int, int],
                    path: str | os.PathLike, title: str = "") -> None:
    """One labelled row of images per entry of ``rows`` (each ``(n_images, H*W)``)."""
    plt = _pyplot()
    n_rows = len(rows)
    n_cols = max(len(images) for images in rows.values())
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols * 0.9, n_rows * 1.0), squeeze=False)
    shades = display_range([np.asarray(images) for images in rows.values()])
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(images):
                ax.imshow(_shown(images[c].reshape(image_shape), shades), cmap="gray",
                          vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    _save(fig, path)
    plt.close(fig)


def plot_image_grid(images: np.ndarray, image_shape: tuple[int, ...], path: str | os.PathLike,
                    n_cols: int = 10, title: str = "") -> None:
    """``images`` ``(n, H*W)`` (or ``(n, H, W)``, or ``(n, H, W, 3)``) as a grid of ``n_cols``
    columns, shaded as ``display_range`` says."""
    plt = _pyplot()
    n_rows = max(1, -(-len(images) // n_cols))
    n_cols = min(n_cols, max(1, len(images)))
    fig, axes = plt.subplots(n_rows, n_cols, figsize=(n_cols * 0.8, n_rows * 0.8), squeeze=False)
    shades = display_range([np.asarray(images)])
    for i, ax in enumerate(axes.flat):
        ax.set_axis_off()
        if i < len(images):
            ax.imshow(_shown(images[i].reshape(image_shape), shades), cmap="gray", vmin=0,
                      vmax=1)
    if title:
        fig.suptitle(title)
    _save(fig, path)
    plt.close(fig)


def display_range(images: list[np.ndarray]) -> tuple[float, float]:
    """The values drawn black and white, as image viewers do: -1 and 1 for images centred at
    0, 0 and 1 for images about in [0, 1] (a reconstruction's overshoot is clipped), 0 and 255
    for 8-bit pixel values, and otherwise the images' own least and greatest."""
    finite = [a[np.isfinite(a)] for a in images if np.size(a)]
    values = np.concatenate([a.ravel() for a in finite]) if finite else np.zeros(1)
    low, high = (float(values.min()), float(values.max())) if values.size else (0.0, 1.0)
    if -1.5 <= low < -0.25 and high <= 1.5:  # centred at 0 (tanh's range)
        return -1.0, 1.0
    if low >= -1 and high <= 2:
        return 0.0, 1.0
    if low >= -64 and high <= 320:
        return 0.0, 255.0
    return (low, high) if high > low else (low, low + 1)


def _shown(image: np.ndarray, shades: tuple[float, float]) -> np.ndarray:
    """``image`` in [0, 1]: black at ``shades[0]``, white at ``shades[1]`` (RGB too)."""
    low, high = shades
    return np.clip((image - low) / (high - low), 0, 1)


def plot_latent_map(points: np.ndarray, path: str | os.PathLike, labels=None,
                    axis_names: tuple[str, str] = ("z0", "z1"), title: str = "",
                    label_name: str | None = None) -> None:
    """A scatter plot of 2-D ``points``, coloured by ``labels`` when given (a legend, or a
    colour bar for many numbers, titled ``label_name``; see ``_draw_labelled``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    size = 12 if len(points) < 2000 else 3
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=size, alpha=0.6, linewidths=0)
    else:
        _draw_labelled(fig, ax, points, np.asarray(labels), size, label_name)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


MOST_CLASSES = 20  # distinct labels a legend names; numbers beyond it get a colour bar
MISSING_COLOUR, OTHER_COLOUR = "0.8", "0.45"


def _draw_labelled(fig, ax, points: np.ndarray, labels: np.ndarray, size: float,
                   label_name: str | None) -> None:
    """Points coloured by ``labels``: a legend entry per label (up to ``MOST_CLASSES``; more
    text labels: the most frequent, the rest as one "other"), a colour bar for more numbers.
    Rows without a label (NaN, None) are drawn in grey, never left out."""
    missing = _missing(labels)
    if missing.any():
        ax.scatter(points[missing, 0], points[missing, 1], s=size, alpha=0.6, linewidths=0,
                   color=MISSING_COLOUR, label=f"no label ({missing.sum()})")
    points, labels = points[~missing], labels[~missing]
    numeric = labels.dtype.kind in "biuf"
    if not numeric:
        labels = labels.astype(str)  # mixed objects (1, "a") sort as text
    classes, counts = np.unique(labels, return_counts=True)
    if numeric and len(classes) > MOST_CLASSES:
        shown = ax.scatter(points[:, 0], points[:, 1], c=labels, s=size, alpha=0.7,
                           linewidths=0, cmap="viridis")
        fig.colorbar(shown, ax=ax, label=label_name)
    else:
        named = classes[np.sort(np.argsort(-counts, kind="stable")[:MOST_CLASSES - 1])] \
            if len(classes) > MOST_CLASSES else classes
        others = ~np.isin(labels, named)
        if others.any():
            ax.scatter(points[others, 0], points[others, 1], s=size, alpha=0.6, linewidths=0,
                       color=OTHER_COLOUR,
                       label=f"{len(classes) - len(named)} other labels ({others.sum()})")
        cmap = _pyplot().get_cmap("tab10" if len(named) <= 10 else "tab20")
        for i, value in enumerate(named):
            chosen = labels == value
            ax.scatter(points[chosen, 0], points[chosen, 1], s=size, alpha=0.7, linewidths=0,
                       color=cmap(i), label=_label_text(value))
    if missing.any() or not (numeric and len(classes) > MOST_CLASSES):
        ax.legend(markerscale=2, fontsize="small", loc="best", framealpha=0.8,
                  title=label_name)


def _missing(labels: np.ndarray) -> np.ndarray:
    """Which labels are missing: NaN, or None in an array of objects."""
    if labels.dtype.kind == "f":
        return np.isnan(labels)
    if labels.dtype.kind == "O":
        return np.array([value is None or (isinstance(value, float) and math.isnan(value))
                         for value in labels], dtype=bool)
    return np.zeros(len(labels), dtype=bool)


def _label_text(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def plot_feature_errors(errors: np.ndarray, names: list[str], path: str | os.PathLike,
                        title: str = "", most: int = 30) -> None:
    """Horizontal bars of the ``most`` largest per-feature errors (the title says so when
    there are more features)."""
    plt = _pyplot()
    order = np.argsort(errors)[::-1][:most]
    if len(errors) > most:
        title = f"{title}\nthe {most} largest of {len(errors)} features"
    fig, ax = plt.subplots(figsize=(6, 0.25 * len(order) + 1.2))
    ax.barh(range(len(order)), errors[order])
    ax.set_yticks(range(len(order)), [names[i] for i in order], fontsize="small")
    ax.invert_yaxis()  # largest on top
    ax.set_xlabel("reconstruction error / feature variance")
    ax.set_title(title)
    ax.grid(alpha=0.3, axis="x")
    _save(fig, path)
    plt.close(fig)


def plot_score_histogram(scores: np.ndarray, path: str | os.PathLike,
                         threshold: float | None = None, title: str = "") -> None:
    """Histogram of per-row scores (higher = more normal), with a detector's threshold. Scores
    all negative and spanning more than two decades (an anomaly's can be thousands of times a
    normal row's) are drawn as anomaly scores (``-score``) on a log scale, where the bulk of
    the rows would otherwise fill one bar."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    flipped = spans_decades(-scores)
    bins = min(60, max(10, len(scores) // 20))
    if flipped:
        scores, threshold = -scores, None if threshold is None else -threshold
        bins = np.geomspace(scores.min(), scores.max(), bins + 1)
        ax.set_xscale("log")
    ax.hist(scores, bins=bins, color="tab:blue", alpha=0.8)
    if threshold is not None:
        share = float(np.mean(scores > threshold if flipped else scores < threshold))
        ax.axvline(threshold, color="tab:red", linestyle="--",
                   label=f"threshold {threshold:.4g} ({share:.1%} of rows "
                   f"{'above' if flipped else 'below'})")
        ax.legend()
    ax.set_xlabel("anomaly score (-score; higher = more anomalous)" if flipped
                  else "score (higher = more normal)")
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def spans_decades(values: np.ndarray) -> bool:
    """Whether positive ``values`` span more than two decades: drawn on a log scale, or the
    bulk of them would lie in one bar or along the axis."""
    return bool(len(values)) and values.min() > 0 and values.max() > 100 * values.min()


MOST_CHANNELS = 6  # channels drawn one above the other in a series figure


def plot_series_anomalies(values: np.ndarray, names: list[str],
                          windows: list[tuple[int, int]], path: str | os.PathLike,
                          steps=None, axis_name: str = "step", title: str = "") -> None:
    """Each channel of a ``(T, channels)`` series (the first ``MOST_CHANNELS``) against its
    ``steps`` (times, or 0..T-1), with the anomalous ``windows`` (start, end excluded) shaded."""
    plt = _pyplot()
    shown = min(values.shape[1], MOST_CHANNELS)
    fig, axes = plt.subplots(shown, 1, figsize=(10, 1.6 * shown + 1.2), sharex=True,
                             squeeze=False)
    x = np.arange(len(values)) if steps is None else np.asarray(steps)
    for channel, ax in enumerate(axes[:, 0]):
        ax.plot(x, values[:, channel], color="tab:blue", linewidth=0.7)
        for start, end in windows:
            _shade(ax, x, start, end)
        ax.set_ylabel(names[channel], fontsize="small")
        ax.grid(alpha=0.3)
    axes[-1, 0].set_xlabel(axis_name)
    axes[0, 0].set_title(title)
    if np.issubdtype(x.dtype, np.datetime64):
        fig.autofmt_xdate()  # slanted dates, so that they do not overlap
    _save(fig, path)
    plt.close(fig)


def _shade(ax, x: np.ndarray, start: int, end: int) -> None:
    """Shade steps ``start..end-1``; by index, half a step either side, so one step shows."""
    if np.issubdtype(x.dtype, np.datetime64) or not np.issubdtype(x.dtype, np.number):
        ax.axvspan(x[start], x[min(end, len(x) - 1)], color="tab:red", alpha=0.25, linewidth=0)
    else:
        step = float(x[1] - x[0]) if len(x) > 1 else 1.0
        ax.axvspan(x[start] - step / 2, x[end - 1] + step / 2, color="tab:red", alpha=0.25,
                   linewidth=0)


def plot_step_scores(anomaly: np.ndarray, threshold: float, path: str | os.PathLike,
                     steps=None, axis_name: str = "step", title: str = "") -> None:
    """Each step's anomaly score (higher = more anomalous) with the threshold; a log scale
    when the scores are positive and span more than two decades (an anomaly's score can be
    thousands of times a normal step's)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(10, 3.2))
    x = np.arange(len(anomaly)) if steps is None else np.asarray(steps)
    ax.plot(x, anomaly, color="tab:blue", linewidth=0.7)
    above = float(np.mean(anomaly > threshold))
    ax.axhline(threshold, color="tab:red", linestyle="--",
               label=f"threshold {threshold:.4g} ({above:.1%} of steps above)")
    if spans_decades(anomaly):
        ax.set_yscale("log")
    ax.legend(loc="upper left", fontsize="small")
    ax.set_xlabel(axis_name)
    ax.set_ylabel("anomaly score")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    if np.issubdtype(x.dtype, np.datetime64):
        fig.autofmt_xdate()  # slanted dates, so that they do not overlap
    _save(fig, path)
    plt.close(fig)
