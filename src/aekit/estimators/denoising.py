"""Denoising autoencoder: trained to map corrupted inputs back to clean ones."""

from __future__ import annotations

import warnings

import numpy as np
import torch

from aekit._stack import user_stacklevel
from aekit.estimators._frames import like_frame
from aekit.estimators._inference import steps_mask
from aekit.estimators._params import Param, document, latent_activation, store_params
from aekit.estimators._torch import draw_seed
from aekit.estimators._validation import check_choice, check_float
from aekit.estimators.autoencoder import Autoencoder
from aekit.nn import NOISES, Corruption

HARM = 1.1  # an error this many times the noise's, or more, makes rows worse, not just as bad


class DenoisingAutoencoder(Autoencoder):
    model_name = "denoising"
    _constrained_code = True  # sparsity, noise or a KL term keeps it from copying

    def __init__(self, *, noise: str = "gaussian", noise_level: float = 0.1,
                 latent_dim: int | None = None, architecture: str = "dense",
                 hidden_dims: tuple[int, ...] | None = None, activation: str = "relu",
                 latent_activation: str | None = "linear", output_activation: str = "auto",
                 loss: str = "auto", optimizer: str = "adam", learning_rate: float | None = None,
                 weight_decay: float = 0.0, epochs: int | str = "auto", batch_size: int | str = "auto",
                 shuffle: bool = True, validation_split: float = 0.0, validation_data=None,
                 batch_norm: bool = False, dropout: float = 0.0, patience: int | None = None,
                 restore_best_weights: bool = True, clip_grad_norm: float | None = None,
                 checkpoint_dir: str | None = None, resume: bool = False,
                 callbacks: list | None = None, scaling: str = "auto",
                 random_state: int | None = None, device: str = "auto", compile: str = "auto",
                 precision: str = "float32", verbose: int = 0):
        store_params(self, locals())

    def _default_latent_dim(self, values_per_row: int) -> int:
        """For a dense model (a table), a code as large as the row, up to 32: the noise keeps
        it from copying, and a narrower code costs more than the noise it removes (a trial:
        defaults of half the row left wine's rows 17 times further from clean than the noisy
        input was; ``benchmarks/denoising_tables.py``). Images and sequences, not measured so,
        keep the shared default."""
        if self.architecture != "dense":
            return super()._default_latent_dim(values_per_row)
        return min(32, values_per_row)

    def fit(self, X, y=None, lengths=None):
        super().fit(X, y, lengths)
        self._warn_if_denoising_harms()
        return self

    def _warn_if_denoising_harms(self) -> None:
        """Warn when rows with the training noise come out further from clean than they went
        in: the error of the kept epoch (on held-out rows where there are some; both are
        measured on noisy inputs) against the noise's own, ``noise_level**2`` per value in the
        scaled units. Only gaussian noise under MSE has that yardstick."""
        if self.noise != "gaussian" or self.loss_ != "mse" or not self.noise_level:
            return
        error = getattr(self, "_kept_loss", None)  # the kept weights', the start's included
        if error is None:  # nothing restored: the last epoch's weights are kept
            history = self.history_.get("val_loss") or self.history_["loss"]
            if not history:
                return
            error = history[-1]
        noise = self.noise_level ** 2
        if error >= noise:
            how, effect = (("further from", "makes them worse") if error > HARM * noise
                           else ("no closer to", "gains nothing"))
            warnings.warn(
                f"rows with the noise this model was trained on (noise_level="
                f"{self.noise_level:g}) come out {how} clean than they went in (mean squared "
                f"error {error:.3g} against the noise's {noise:.3g}, in the scaled units): "
                f"denoising such rows {effect}; give a larger latent_dim, more rows or "
                "epochs, or keep the model for stronger noise",
                UserWarning, stacklevel=user_stacklevel())

    def _check_variant_params(self) -> None:
        super()._check_variant_params()
        check_choice("noise", self.noise, NOISES)
        high = np.inf if self.noise == "gaussian" else 1
        check_float("noise_level", self.noise_level, low=0, high=high, high_open=False)

    def _corruption(self) -> Corruption:
        # data in [0, 1] (images) stays in [0, 1] when noisy, as in the classic Keras example:
        # BCE needs such data, and scaling="auto" leaves only such data unscaled
        bounded = self.scaling_ == "none" and (self.loss_ == "bce" or self.scaling == "auto")
        low, high = (0.0, 1.0) if bounded else (None, None)
        return Corruption(self.noise, self.noise_level, low, high)

    @property
    def value_range(self) -> tuple[float, float] | None:
        """``(0, 1)`` where the data is taken as pixels (noisy values are clipped to it), else
        None; a clean estimate belongs in it too."""
        corruption = self._corruption()
        return None if corruption.low is None else (corruption.low, corruption.high)

    def _net_options(self) -> dict:
        return {"corruption": self._corruption()}

    def add_noise(self, X, random_state: int | None = None, lengths=None):
        """``X`` corrupted the way training corrupts it (in the data's units), e.g. to make
        noisy test data; a DataFrame for a DataFrame, as ``reconstruct`` gives. A sequence's
        padding (NaN, or the steps past ``lengths``) stays as it was: noise there would make
        it read as data."""
        X_scaled, lengths = self._prepare(X, lengths)
        generator = torch.Generator().manual_seed(draw_seed(random_state))
        noisy = self._unscale(self._corruption()(torch.from_numpy(X_scaled), generator).numpy())
        if lengths is not None:  # padded sequences: their padding back, untouched
            padding = ~steps_mask(lengths, noisy.shape[1])
            noisy[padding] = np.asarray(X, dtype=noisy.dtype)[padding]
        return like_frame(noisy, X)


document(
    DenoisingAutoencoder,
    """Autoencoder trained to reconstruct clean rows from corrupted ones.

    Each training batch is corrupted afresh: ``noise="gaussian"`` adds ``noise_level`` times
    standard normal noise (in the scaled units), ``"masking"`` zeroes a ``noise_level``
    fraction of the values (in the scaled units: with standard scaling, a masked value is its
    column's mean), ``"salt_pepper"`` sets a ``noise_level`` fraction to each feature's
    smallest or largest value in the batch (in the scaled units; ``add_noise`` takes them from
    the rows it is given, so a single row keeps its values). Data in [0, 1]
    left unscaled (``scaling="auto"`` on such data, or ``scaling="none"`` with BCE), such as
    images, is treated as pixels: noisy values stay clipped to [0, 1], and salt and pepper are
    1 and 0. ``reconstruct`` on noisy data returns the clean estimate; ``add_noise`` corrupts
    data the same way.""",
    own=(
        Param("noise", '{"gaussian", "masking", "salt_pepper"}', "gaussian",
              "How training inputs are corrupted."),
        Param("noise_level", "float", 0.1,
              "Standard deviation (gaussian) or fraction of values corrupted (masking, "
              "salt_pepper)."),
        latent_activation("linear"),
    ),
)
