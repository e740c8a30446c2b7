"""Whether a model's rows are images, and their shape for plotting."""

from __future__ import annotations

import math
import re


def image_shape_of(model, override: tuple[int, ...] | None = None) -> tuple[int, ...] | None:
    """``(H, W)`` (or ``(H, W, 3)``) when ``model``'s rows are images, else None.

    Convolutional models say so by their input shape. A dense model counts as one when its
    rows are square (64 = 8x8, 784 = 28x28) and its data already lay in [0, 1] (no scaling),
    as pixel intensities do. ``override`` (e.g. ``(28, 28)``) is checked against the row size.
    """
    shape = tuple(model.input_shape_)
    n_values = math.prod(shape)
    if override is not None:
        if math.prod(override) != n_values:
            raise ValueError(f"image shape {'x'.join(map(str, override))} holds "
                             f"{math.prod(override)} values, but the model's rows hold {n_values}")
        return tuple(override)
    if len(shape) == 3:  # conv: (channels, H, W)
        channels, height, width = shape
        if channels == 1:
            return height, width
        return (height, width, 3) if channels == 3 else None
    side = math.isqrt(n_values)
    if len(shape) == 1 and side * side == n_values and side >= 4 and \
            getattr(model, "scaling_", None) == "none" and _named_like_pixels(model):
        return side, side
    return None


def _named_like_pixels(model) -> bool:
    """Whether the columns, if named, are numbered alike (``pixel0``, ``1x1``, ``0``), as an
    image's are; named otherwise (``mean radius``, ...), square rows of [0, 1] are a table
    (a trial: 25 min-max scaled features drawn as 5x5 images)."""
    names = getattr(model, "feature_names_in_", None)
    if names is None:
        return True
    return len({re.sub(r"\d+", "", str(name)) for name in names}) == 1


def as_images(rows, shape: tuple[int, ...]):
    """Rows in the model's layout -> ``(n, *shape)`` for ``imshow`` (channels last)."""
    import numpy as np

    rows = np.asarray(rows)
    if len(shape) == 3 and rows.ndim == 4:  # (n, C, H, W) -> (n, H, W, C)
        rows = rows.transpose(0, 2, 3, 1)
    return rows.reshape(len(rows), *shape)
