"""Compression autoencoder: a code trained for rate and distortion together."""

from __future__ import annotations

from functools import partial

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from aekit.estimators._params import Param, document, store_params
from aekit.estimators._validation import check_float, check_int
from aekit.estimators.base import BaseAutoencoder
from aekit.estimators.persistence import restore_estimator
from aekit.nn import AutoencoderNet
from aekit.nn.entropy import QuantizedCode, ScaledDecoder
from aekit.nn.refine import refine_codes


class CompressionAutoencoder(BaseAutoencoder):
    model_name = "compression"

    def __init__(self, *, lmbda: float = 0.01, latent_dim: int | None = None,
                 architecture: str = "dense", hidden_dims: tuple[int, ...] = (),
                 activation: str = "relu", output_activation: str = "auto", loss: str = "mse",
                 optimizer: str = "adam", learning_rate: float | None = None,
                 weight_decay: float = 0.0, epochs: int = 50, batch_size: int | str = "auto",
                 shuffle: bool = True, validation_split: float = 0.0, validation_data=None,
                 batch_norm: bool = False, dropout: float = 0.0, patience: int | None = None,
                 restore_best_weights: bool = True, clip_grad_norm: float | None = None,
                 checkpoint_dir: str | None = None, resume: bool = False,
                 callbacks: list | None = None, scaling: str = "auto",
                 random_state: int | None = None, device: str = "auto", compile: str = "auto",
                 precision: str = "float32", verbose: int = 0):
        store_params(self, locals())

    def _check_variant_params(self) -> None:
        check_float("lmbda", self.lmbda, low=0, high=np.inf)

    def _make_latent(self, d_in: int) -> QuantizedCode:
        # the rate is priced per input value, so one lmbda means the same on any input size
        values_per_row = int(np.prod(self.input_shape_))
        return QuantizedCode(d_in, self.latent_dim_, self.lmbda / values_per_row)

    def _build_module(self) -> AutoencoderNet:
        net = super()._build_module()
        net.decoder = ScaledDecoder(net.decoder)  # the code is in quantisation steps
        return net

    def fit(self, X, y=None, lengths=None):
        """Train on ``X`` (``y`` is ignored), then fix the integer coding tables of the learned
        prior that ``aekit.compress`` codes with."""
        super().fit(X, y, lengths)
        lo, freq = self.module_.latent.prior.integer_tables()
        self.coding_lo_, self.coding_freq_ = lo.numpy(), freq.numpy()
        return self

    def coding_tables(self) -> list[tuple[int, np.ndarray]]:
        """The learned prior as integer tables, one ``(lo, freq)`` per code dimension: the
        frequencies (int64, all positive) of the integers ``lo, lo + 1, ...``."""
        check_is_fitted(self)
        return [(int(lo), freq[freq > 0].astype(np.int64))
                for lo, freq in zip(self.coding_lo_, self.coding_freq_)]

    def refined_transform(self, X, steps: int = 100) -> np.ndarray:
        """Integer codes of ``X`` fitted to each row, ``(n_samples, latent_dim_)``: the
        encoder's codes (``transform``) improved by ``steps`` steps of gradient descent on each
        row's own ``distortion + lmbda * rate``, the decoder and the prior fixed
        (``aekit.nn.refine``). Slower than ``transform`` by about ``steps`` decoder passes
        forward and back; decoding them costs the same. A row keeps the encoder's code where
        the refined one scores worse or leaves the coding tables' range."""
        check_int("steps", steps, low=0)
        X, _ = self._checked(X)
        refined = self._infer(partial(refine_codes, self.module_, steps=steps), X)
        lo = self.coding_lo_.astype(np.float32)
        hi = lo + (self.coding_freq_ > 0).sum(1) - 1
        outside = ((refined < lo) | (refined > hi)).any(axis=1)
        if outside.any():  # such a row would make the whole stream carry its own tables
            refined[outside] = self._encode(X[outside])
        return refined

    @torch.no_grad()
    def bits_per_row(self, X) -> np.ndarray:
        """Bits each row's code costs under the learned prior, ``(n_samples,)``: the rate the
        training minimised (the real stream adds a header and a fraction of a byte)."""
        Z = self._encode(X)
        return self.module_.latent.bits(torch.from_numpy(Z).to(self._device)).cpu().numpy()

    @classmethod
    def _from_model_state(cls, tensors: dict, config: dict, device, path):
        estimator = restore_estimator(cls, tensors, config, device, path)
        lo, freq = (getattr(estimator, name, None) for name in ("coding_lo_", "coding_freq_"))
        if (lo is None or freq is None or lo.shape != (estimator.latent_dim_,) or freq.ndim != 2
                or freq.shape[0] != estimator.latent_dim_ or (freq < 0).any()
                or not (freq[:, 0] > 0).all()):
            raise ValueError(f"{path} holds no valid coding tables for its compression model")
        return estimator


document(
    CompressionAutoencoder,
    """Autoencoder trained as a learned compressor: its code is rounded to integers and priced
    by a learned entropy model, so ``aekit.compress`` turns rows into few bytes.

    During training the code gets uniform noise in [-1/2, 1/2] in place of rounding, and a
    factorized prior (one learned CDF per code dimension) gives its rate in bits (Ballé et al.,
    ICLR 2017, https://arxiv.org/abs/1611.01704; ICLR 2018, https://arxiv.org/abs/1802.01436).
    The loss is ``distortion + lmbda * rate``, the distortion being the reconstruction loss
    (mean squared error per value by default) and the rate the code's bits per input value:
    a larger ``lmbda`` gives smaller streams and coarser reconstructions. Use
    ``architecture="conv"`` for images and ``"dense"`` for tables. After ``fit`` the prior is
    frozen into integer tables (``coding_tables()``), saved with the model, so streams decode
    identically on every machine. ``refined_transform`` (``compress(..., refine=N)``) fits
    each row's code to that row at compression time, for better streams at the cost of
    encoding time.""",
    own=(
        Param("lmbda", "float", 0.01,
              "Price of one bit per input value, in units of the distortion: larger is "
              "smaller."),
    ),
    examples="""
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import CompressionAutoencoder, compress, decompress
    >>> X = load_digits().data / 16
    >>> codec = CompressionAutoencoder(lmbda=0.01, latent_dim=8, hidden_dims=(32,), epochs=5,
    ...                                random_state=0).fit(X)
    >>> decompress(compress(codec, X), codec).shape
    (1797, 64)
""",
    defaults={"hidden_dims": (), "loss": "mse", "epochs": 50},
)
