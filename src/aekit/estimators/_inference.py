"""Inference for every estimator: checked rows in, each batch scaled in torch on its way into
the network, outputs back in the data's units and shape; and the one rule for extreme input."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from aekit._stack import user_stacklevel
from aekit.estimators import _streaming
from aekit.estimators._frames import feature_names, like_frame
from aekit.estimators._torch import as_batch, map_batches, to_tensor
from aekit.estimators._validation import all_finite
from aekit.io.sources import ArraySource
from aekit.nn.preprocess import Preprocessor
from aekit.text import PAD

# The rule for extreme input: scaled values beyond this bound are refused by every method.
# Within it, codes, reconstructions and squared errors all stay far inside float32's range.
MAX_SCALED = 1e12
# Values above this, given to a model that saw data in [0, 1], are taken for a unit slip (8-bit
# pixels, percentages) and warned of; an anomaly may overshoot [0, 1], rarely twice over.
UNIT_SLIP = 2.0
_UNITS = {"standard": "standard deviations", "minmax": "ranges (max - min)",
          "none": "units"}


class Inference:
    """Mixin of ``BaseAutoencoder``: ``transform``, ``inverse_transform``, ``reconstruct``,
    ``score_samples``, ``score_steps``, ``score`` and the scaling they share with training."""

    @property
    def _device(self) -> torch.device:
        return next(self.module_.parameters()).device

    def _scale(self, X: np.ndarray, second=None) -> np.ndarray:
        """``X`` in the network's units and shape, through the fitted ``Preprocessor``;
        ``second`` is the array beside ``X`` (``_second_array``: lengths or the mask of observed
        cells). The one rule for extreme input lives here: every method takes values up to
        ``MAX_SCALED`` training units from the training data, for which every result is
        finite, and raises for anything further out. Unscaled float32 data (``scaling_="none"``,
        nothing padded) comes back as a view, without a copy; other input kinds (token ids) are
        never scaled."""
        if self._input_kind is not None:
            return X
        cpu = torch.device("cpu")
        with torch.no_grad():  # padded steps and missing cells come out exactly zero
            scaled = self._preprocessor(cpu)(to_tensor(X, cpu),
                                             **self._second_arg(second, cpu)).numpy()
        if scaled.size and not (-MAX_SCALED <= scaled.min() and scaled.max() <= MAX_SCALED):
            raise ValueError(self._extreme_message())
        return scaled

    def _second_arg(self, second, device: torch.device) -> dict:
        """The ``Preprocessor``'s keyword for the array beside ``X`` (none if it is None)."""
        if second is None:
            return {}
        if not isinstance(second, torch.Tensor):
            second = as_batch(np.asarray(second), device)
        return {self._second_array: second}

    def _unscale(self, X: np.ndarray) -> np.ndarray:
        """The network's outputs back in the data's units and shape."""
        if self._input_kind is not None:
            return self._input_kind.unscale(X)
        with torch.no_grad():
            out = self._preprocessor(torch.device("cpu")).inverse(
                to_tensor(X, torch.device("cpu"))).numpy()
        if not all_finite(out):
            raise ValueError("the reconstruction overflows float32 in the data's units: "
                             "rescale the data (values near 3.4e38 leave no headroom)")
        return out

    def _prepare(self, X, lengths=None):
        """``X`` checked and scaled in NumPy (for variants that work on scaled arrays)."""
        X, lengths = self._checked(X, lengths)
        return self._scale(X, lengths), lengths

    def _checked(self, X, lengths=None):
        check_is_fitted(self)
        return self._check_X(X, reset=False, lengths=lengths)

    def _network(self, method):
        """The network's ``method``: its name, or a function of the batch."""
        return method if callable(method) else getattr(self.module_, method)

    def _apply(self, method, X, lengths) -> np.ndarray:
        arrays = (X,) if lengths is None else (X, lengths)
        return map_batches(self._network(method), arrays, self._device)

    @property
    def _scales_in_torch(self) -> bool:
        """Whether each batch is scaled in torch (False: inputs that are not values)."""
        return self._input_kind is None

    def _infer(self, method, X, lengths=None, *, unit_range: bool = False) -> np.ndarray:
        """The network's ``method`` (its name, or a function of the batch) on checked rows
        ``X`` in the data's units: each batch is scaled in torch on its way in (no scaled copy
        of ``X``; threaded; in cache), with the same refusals as ``_scale`` (and, with
        ``unit_range``, as ``_check_bce_range``)."""
        if not self._scales_in_torch:
            return self._apply(method, self._scale(X, lengths), lengths)
        preprocess = self._preprocessor(self._device)
        network = self._network(method)
        highest = []  # of data the model saw in [0, 1]: values far above it are a unit slip

        def scaled(x, *rest):
            z = preprocess(x, **self._second_arg(rest[0] if rest else None, x.device))
            low, high = torch.aminmax(z) if z.numel() else (z.new_zeros(()), z.new_zeros(()))
            if not (-MAX_SCALED <= low and high <= MAX_SCALED):
                raise ValueError(self._extreme_message())
            if unit_range and (low < 0 or high > 1):
                raise ValueError(bce_range_message(float(low), float(high), "X"))
            if self._saw_unit_data:
                highest.append(float(high))
            return network(z, *rest)

        arrays = (X,) if lengths is None else (X, lengths)
        out = map_batches(scaled, arrays, self._device)
        if highest and max(highest) > UNIT_SLIP:
            warnings.warn(unit_slip_message(max(highest)) + "; its results mean little for "
                          "values so far outside", UserWarning, stacklevel=user_stacklevel())
        return out

    @property
    def _saw_unit_data(self) -> bool:
        """Whether the training data lay in [0, 1] (left unscaled by ``scaling="auto"``)."""
        return self.scaling == "auto" and self.scaling_ == "none"

    def _extreme_message(self) -> str:
        return (f"X holds values more than {MAX_SCALED:.0e} training {_UNITS[self.scaling_]} "
                "from the training data, where no result means anything (a unit or parsing "
                "error?): fix or drop those rows")

    def _encode(self, X, lengths=None) -> np.ndarray:
        """``transform``'s codes, always an array (``set_output`` wraps ``transform`` only)."""
        if isinstance(X, ArraySource):
            return _streaming.map_source(self._encode, X)
        X, lengths = self._checked(X, lengths)
        return self._infer("encode", X, lengths)

    def inverse_transform(self, Z) -> np.ndarray:
        """Decode codes ``Z`` back to the input space (scaling inverted); a DataFrame of codes
        gives a DataFrame with its index and the training columns' names."""
        codes = self._check_codes(Z)  # first: it says when the model is not fitted
        rows = self._unscale(map_batches(self.module_.decode, (codes,), self._device))
        return like_frame(rows, Z, feature_names(self, rows.shape[-1]))

    def reconstruct(self, X, lengths=None) -> np.ndarray:
        """Encode then decode ``X``; same shape and units as ``X`` (a DataFrame, with its index
        and columns, for a DataFrame)."""
        if isinstance(X, ArraySource):
            raise TypeError("reconstruct returns as many values as the source holds: call it on "
                            "source.read_block(i) for each block i instead")
        checked, lengths = self._checked(X, lengths)
        rows = self._unscale(self._infer("reconstruct", checked, lengths))
        if lengths is not None and self._second_array == "lengths":  # (not a mask of cells)
            # padding back as it came in: NaN steps, or the padding id
            rows[~steps_mask(lengths, rows.shape[1])] = np.nan if rows.dtype.kind == "f" else PAD
        return like_frame(rows, X)

    def score_samples(self, X, lengths=None) -> np.ndarray:
        """Per-row negative training loss (reconstruction; the ELBO for variational models):
        higher is more normal. ``X`` may be an ``ArraySource``, scored block by block."""
        if isinstance(X, ArraySource):
            return _streaming.map_source(self.score_samples, X)
        X, lengths = self._checked(X, lengths)
        return -self._infer("row_loss", X, lengths, unit_range=self.loss_ == "bce")

    def score_steps(self, X, lengths=None) -> np.ndarray:
        """Per time step score ``(n, timesteps)``: the negative reconstruction loss of each step
        (higher is more normal), NaN at padded steps. Sequence architectures only."""
        if self._arch.name not in ("lstm", "gru"):
            raise ValueError("score_steps needs architecture='lstm' or 'gru'")
        X, lengths = self._checked(X, lengths)
        steps = self._infer("step_loss", X, lengths)
        if lengths is not None:
            steps = np.where(steps_mask(lengths, steps.shape[1]), steps, np.nan)
        return -steps

    def score(self, X, y=None, lengths=None) -> float:
        """Negative mean squared reconstruction error, each feature measured in its standard
        deviations in the training data (``score_scale_``; for data in [0, 1], pixels or
        shares, one unit for all: the root mean variance): higher is better. The unit does
        not depend on the model, so models with different ``scaling``, ``loss`` or variant
        compare (``GridSearchCV``, ``cross_val_score``); ``score_samples`` stays each model's
        own training loss. Missing cells and sequence padding (NaN) are left out. Text models
        (token ids) and models saved before ``score_scale_`` existed score the mean of
        ``score_samples``. ``lengths``: each sequence's valid steps, as ``fit`` takes them.
        ``X`` may be an ``ArraySource``, scored block by block."""
        if self._input_kind is not None or not hasattr(self, "score_scale_"):
            return float(np.mean(self.score_samples(X, lengths)))
        if isinstance(X, ArraySource):  # each block's sum and count of squared errors
            total, count = np.sum(list(_streaming.map_blocks(self._squared_errors, X)), axis=0)
        else:
            total, count = self._squared_errors(X, lengths)
        if not count:
            raise ValueError("X holds no observed value to score")
        return -float(total / count)

    def _squared_errors(self, X, lengths=None) -> np.ndarray:
        """``[sum, count]`` of ``score``'s squared errors over the observed values of ``X``."""
        X, second = self._checked(X, lengths)
        errors = (X - self._unscale(self._infer("reconstruct", X, second))) / self.score_scale_
        observed = ~np.isnan(errors)
        if second is not None and self._second_array == "lengths":  # padding is no error
            valid = steps_mask(second, X.shape[1])  # (n, steps), univariate rows are 2-D
            observed &= valid.reshape(valid.shape + (1,) * (X.ndim - 2))
        return np.array([np.square(errors[observed], dtype=np.float64).sum(),
                         observed.sum()], dtype=np.float64)

    def _preprocessor(self, device: torch.device) -> Preprocessor:
        """The fitted ``Preprocessor``: rows as the user gives them -> the network's input."""
        return Preprocessor(torch.from_numpy(self.shift_), torch.from_numpy(self.scale_),
                            self.squeeze_axis_).to(device)


def bce_range_message(low: float, high: float, name: str) -> str:
    return (f"loss='bce' needs {name} in [0, 1] after scaling (found {low:.3g} to {high:.3g}): "
            "use scaling='minmax' or loss='mse'")


def unit_slip_message(highest: float) -> str:
    """What is wrong with values far above the [0, 1] a model was trained on, and the fix."""
    hint = " (8-bit pixels: X / 255)" if 100 < highest <= 255 else ""
    return (f"X holds values up to {highest:.4g}, but the model was trained on values in "
            f"[0, 1]: scale X as the training data was{hint}")


def refuse_unit_slip(model, X, doing: str) -> None:
    """Refuse rows far above the [0, 1] ``model`` was trained on (8-bit pixels given to a
    model of pixels in [0, 1]) before ``doing`` something whose output would be clipped
    nonsense, where ``transform`` only warns. A streamed source gets that warning."""
    if not model._saw_unit_data or hasattr(X, "n_rows"):
        return
    values = np.asarray(X)
    if values.dtype.kind not in "iuf" or not values.size:
        return  # (transform says what is wrong with it)
    highest = float(np.nanmax(values))
    if highest > UNIT_SLIP:
        raise ValueError(f"{unit_slip_message(highest)} before {doing}")


def steps_mask(lengths: np.ndarray, steps: int) -> np.ndarray:
    return np.arange(steps)[None, :] < lengths[:, None]
