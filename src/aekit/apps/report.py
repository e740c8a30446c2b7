"""Figures for reports: the loss curve and originals against reconstructions (PNG)."""

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
    for r, (label, images) in enumerate(rows.items()):
        for c in range(n_cols):
            ax = axes[r, c]
            ax.set_xticks([])
            ax.set_yticks([])
            if c < len(images):
                ax.imshow(np.clip(images[c].reshape(image_shape), 0, 1), cmap="gray_r",
                          vmin=0, vmax=1)
        axes[r, 0].set_ylabel(label, rotation=0, ha="right", va="center")
    if title:
        fig.suptitle(title)
    _save(fig, path)
    plt.close(fig)
