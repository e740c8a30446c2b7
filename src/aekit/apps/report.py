"""Figures for reports (PNG): the loss curve, originals against reconstructions, image grids,
the 2-D latent map, per-feature errors and the score histogram."""

from __future__ import annotations

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
                 title: str = "Training") -> None:
    """Train (and validation) loss per epoch."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    for key, label in (("loss", "train"), ("val_loss", "validation")):
        if key in history:
            ax.plot(range(1, len(history[key]) + 1), history[key], label=label)
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
    """A scatter plot of 2-D ``points``, coloured by ``labels`` when given (a legend for up to
    20 distinct labels, a colour bar otherwise, titled ``label_name``)."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 5))
    size = 12 if len(points) < 2000 else 3
    if labels is None:
        ax.scatter(points[:, 0], points[:, 1], s=size, alpha=0.6, linewidths=0)
    else:
        labels = np.asarray(labels)
        classes = np.unique(labels)
        if len(classes) <= 20:
            cmap = plt.get_cmap("tab10" if len(classes) <= 10 else "tab20")
            for i, value in enumerate(classes):
                chosen = labels == value
                ax.scatter(points[chosen, 0], points[chosen, 1], s=size, alpha=0.7,
                           linewidths=0, color=cmap(i), label=_label_text(value))
            ax.legend(markerscale=2, fontsize="small", loc="best", framealpha=0.8,
                      title=label_name)
        else:
            shown = ax.scatter(points[:, 0], points[:, 1], c=labels, s=size, alpha=0.7,
                               linewidths=0, cmap="viridis")
            fig.colorbar(shown, ax=ax, label=label_name)
    ax.set_xlabel(axis_names[0])
    ax.set_ylabel(axis_names[1])
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)


def _label_text(value) -> str:
    if isinstance(value, (float, np.floating)) and float(value).is_integer():
        return str(int(value))
    return str(value)


def plot_feature_errors(errors: np.ndarray, names: list[str], path: str | os.PathLike,
                        title: str = "", most: int = 30) -> None:
    """Horizontal bars of the ``most`` largest per-feature errors."""
    plt = _pyplot()
    order = np.argsort(errors)[::-1][:most]
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
    """Histogram of per-row scores (higher = more normal), with a detector's threshold."""
    plt = _pyplot()
    fig, ax = plt.subplots(figsize=(6, 4))
    ax.hist(scores, bins=min(60, max(10, len(scores) // 20)), color="tab:blue", alpha=0.8)
    if threshold is not None:
        below = float(np.mean(scores < threshold))
        ax.axvline(threshold, color="tab:red", linestyle="--",
                   label=f"threshold {threshold:.4g} ({below:.1%} of rows below)")
        ax.legend()
    ax.set_xlabel("score (higher = more normal)")
    ax.set_ylabel("rows")
    ax.set_title(title)
    ax.grid(alpha=0.3)
    _save(fig, path)
    plt.close(fig)
