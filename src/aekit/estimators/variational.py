"""Variational autoencoder: a Gaussian code, sampling, generation and likelihood estimates."""

from __future__ import annotations

import warnings

import numpy as np
import torch
from sklearn.utils.validation import check_is_fitted

from aekit._stack import user_stacklevel
from aekit.estimators._frames import generated_frame, is_frame
from aekit.estimators._params import Param, document, store_params
from aekit.estimators._torch import draw_seed, map_batches, seeded_rng
from aekit.estimators._validation import check_bool, check_float, check_int
from aekit.estimators.base import BaseAutoencoder
from aekit.nn import GaussianCode
from aekit.train import Callback


class KLWarmup(Callback):
    """Raise the KL weight linearly from ``beta / epochs`` to ``beta`` over the first ``epochs``
    epochs (Bowman et al. 2016, https://arxiv.org/abs/1511.06349). Depends only on the epoch
    counter, so a resumed run follows the same schedule."""

    def __init__(self, beta: float, epochs: int):
        self.beta, self.epochs = beta, epochs

    def on_epoch_begin(self, state):
        weight = self.beta * min(1.0, (state.epoch + 1) / self.epochs)
        state.module.latent.kl_weight.fill_(weight)

    def on_train_end(self, state):
        state.module.latent.kl_weight.fill_(self.beta)


class VariationalAutoencoder(BaseAutoencoder):
    model_name = "vae"
    _constrained_code = True  # sparsity, noise or a KL term keeps it from copying

    def __init__(self, *, beta: float = 1.0, kl_warmup_epochs: int = 0, binarize: bool = False,
                 latent_dim: int | None = None, architecture: str = "dense",
                 hidden_dims: tuple[int, ...] | None = None, activation: str = "relu",
                 output_activation: str = "auto", loss: str = "auto", optimizer: str = "adam",
                 learning_rate: float | None = None, weight_decay: float = 0.0, epochs: int | str = "auto",
                 batch_size: int | str = "auto", shuffle: bool = True, validation_split: float = 0.0,
                 validation_data=None, batch_norm: bool = False, dropout: float = 0.0,
                 patience: int | None = None, restore_best_weights: bool = True,
                 clip_grad_norm: float | None = None, checkpoint_dir: str | None = None,
                 resume: bool = False, callbacks: list | None = None, scaling: str = "auto",
                 random_state: int | None = None, device: str = "auto", compile: str = "auto",
                 precision: str = "float32", verbose: int = 0):
        store_params(self, locals())

    @property
    def _bce_for_unit_data(self) -> bool:
        return True  # values in [0, 1] get a Bernoulli likelihood, as VAEs on images do

    def _check_variant_params(self) -> None:
        check_float("beta", self.beta, low=0, high=np.inf)
        check_int("kl_warmup_epochs", self.kl_warmup_epochs, low=0)
        check_bool("binarize", self.binarize)

    def _resolve_settings(self, X, lengths) -> np.ndarray:
        scaled = super()._resolve_settings(X, lengths)
        if self.binarize and self.loss_ != "bce":
            raise ValueError("binarize=True needs data in [0, 1] and the bce loss "
                             "(scaling='none' or 'auto')")
        return scaled

    def _make_latent(self, d_in: int) -> GaussianCode:
        return GaussianCode(d_in, self.latent_dim_, self.beta)

    def _net_options(self) -> dict:
        return {"binarize": self.binarize}

    def _variant_callbacks(self) -> list[Callback]:
        if self.kl_warmup_epochs > self.epochs_:
            warnings.warn(f"kl_warmup_epochs={self.kl_warmup_epochs} is more than the "
                          f"{self.epochs_} epochs training runs: the KL weight never reaches "
                          f"beta={self.beta}; give more epochs or a shorter warm-up",
                          UserWarning, stacklevel=user_stacklevel())
        return [KLWarmup(self.beta, self.kl_warmup_epochs)] if self.kl_warmup_epochs else []

    def _unwatched_epochs(self) -> int:
        """The warm-up's epochs before the last: their losses weigh the KL term less, so
        early stopping would prefer them (and keep a KL weight below beta)."""
        return max(0, self.kl_warmup_epochs - 1)

    def _generated(self, rows: np.ndarray, clip: bool) -> np.ndarray:
        """Decoded rows, within each feature's training range where ``clip`` (a decoder's
        mean can leave it: a trial drew petal widths below 0 in 4% of the rows), and a table's
        features of whole numbers (counts, 0/1 flags) rounded, as ``whole_columns`` says."""
        check_bool("clip", clip)
        if clip and not hasattr(self, "data_min_"):  # a model saved before it kept them
            warnings.warn("this model was saved before aekit kept each feature's training "
                          "range: its generated values are not clipped to it; fit it again "
                          "to have them clipped", UserWarning, stacklevel=user_stacklevel())
        elif clip:
            rows = np.clip(rows, self.data_min_, self.data_max_).astype(rows.dtype, copy=False)
            whole = self.whole_columns()
            if whole is not None and whole.any():
                rows = rows.copy()
                rows[:, whole] = np.rint(rows[:, whole])
        return rows

    def whole_columns(self) -> np.ndarray | None:
        """Which features of a table held only whole numbers in training (a count, a 0/1
        flag, a year), that generated rows give as whole numbers; None for images,
        sequences and models scored by bce (whose outputs are probabilities: binarised
        pixels are drawn from them, not rounded) or saved before aekit kept it."""
        whole = getattr(self, "whole_features_", None)
        if whole is None or self.architecture != "dense" or self.loss_ != "mse":
            return None
        return whole.reshape(-1)

    def sample(self, n_samples: int = 1, random_state: int | None = None, clip: bool = True):
        """Generate ``n_samples`` new rows: codes drawn from the prior, decoded (the decoder's
        mean, in the data's units), each value within its feature's training range and a
        table's counts whole (``whole_columns``) unless ``clip`` is False. An array, or a
        DataFrame of the training columns under ``set_output(transform="pandas")``."""
        check_is_fitted(self)
        check_int("n_samples", n_samples)
        generator = torch.Generator().manual_seed(draw_seed(random_state))
        out = self.module_.sample(n_samples, self.latent_dim_, generator)
        return generated_frame(self, self._generated(self._unscale(out.float().cpu().numpy()),
                                                     clip))

    def interpolate(self, a, b, steps: int = 8, clip: bool = True):
        """``steps`` rows decoded from codes evenly spaced on the line from ``a``'s latent mean
        to ``b``'s (both ends included); ``a`` and ``b`` are single rows in ``X``'s layout: an
        array (with or without a leading axis of one), a pandas Series, or a one-row DataFrame
        (its columns checked by name, as ``transform`` checks them). Values within each
        feature's training range unless ``clip`` is False. A DataFrame of the training columns
        for rows given as pandas, or under ``set_output(transform="pandas")``; else an array."""
        check_is_fitted(self)
        check_int("steps", steps, low=2)
        ends = [self._one_row(row, name) for row, name in ((a, "a"), (b, "b"))]
        if all(is_frame(end) for end in ends):
            import pandas as pd

            mu_a, mu_b = self._encode(pd.concat(ends))
        else:
            mu_a, mu_b = self._encode(np.concatenate([np.asarray(end) for end in ends]))
        t = np.linspace(0.0, 1.0, steps, dtype=np.float32)[:, None]
        rows = self._generated(self.inverse_transform((1 - t) * mu_a + t * mu_b), clip)
        return generated_frame(self, rows, ends[0])

    def _one_row(self, row, name: str):
        """``row`` with a leading axis of one: a one-row DataFrame for a pandas Series (named
        by its index) or DataFrame, else an array."""
        if hasattr(row, "to_frame") and not is_frame(row):  # a Series
            row = row.to_frame().T.infer_objects()
        if is_frame(row):
            if len(row) != 1:
                raise ValueError(f"{name} must be one row, got a DataFrame of {len(row)}")
            return row
        row = np.asarray(row)
        # a row as fit took X's rows (a univariate sequence or a one-channel image lacks the
        # network's channel axis), given with its leading axis already
        one = len(self.input_shape_) - (self.squeeze_axis_ is not None) + 1
        if row.ndim == one and len(row) != 1:
            raise ValueError(f"{name} must be one row, got {len(row)}")
        return row if row.ndim == one else row[None]

    def sample_like(self, X, n_samples: int = 1, random_state: int | None = None,
                    clip: bool = True):
        """Rows generated near each row of ``X``: codes drawn from its posterior
        ``q(z|x) = N(mu, sigma^2)``, decoded, each value within its feature's training range
        unless ``clip`` is False. Returns ``len(X) * n_samples`` rows; rows
        ``i * n_samples`` to ``(i + 1) * n_samples - 1`` come from ``X[i]`` (for a DataFrame,
        they carry its index; a DataFrame comes back, as under
        ``set_output(transform="pandas")``)."""
        check_int("n_samples", n_samples)
        if self.architecture in ("lstm", "gru"):
            raise ValueError("sample_like supports dense and conv architectures")
        source = X
        X, _ = self._prepare(X)
        module = self.module_
        stats = map_batches(lambda x: torch.cat(module.latent.posterior(module.encoder(x)), 1),
                            (X,), self._device)
        mu, logvar = np.split(stats, 2, axis=1)
        noise = np.random.RandomState(draw_seed(random_state)).standard_normal(
            (len(mu), n_samples, mu.shape[1])).astype(np.float32)
        codes = mu[:, None] + noise * np.exp(0.5 * logvar)[:, None]
        index = np.repeat(source.index, n_samples) if is_frame(source) else None
        rows = self._generated(self.inverse_transform(codes.reshape(-1, mu.shape[1])), clip)
        return generated_frame(self, rows, source, index)

    def log_likelihood(self, X, k: int = 1000, random_state: int | None = None) -> np.ndarray:
        """Importance-sampled estimate of ``log p(x)`` per row, in nats, with ``k`` samples
        (the IWAE bound; it tightens as ``k`` grows). With ``loss="mse"`` it is a density of
        the rows in the data's own units, comparable with other density models: the decoder
        is read as a Gaussian of variance 1/2 per scaled value (whose log-density the summed
        squared error is, up to a constant added here), and the scaling's Jacobian is
        included. With ``loss="bce"`` it is the Bernoulli log-probability of [0, 1] values
        (a density only of binary data). ``random_state`` seeds the samples: None draws fresh
        ones, so two calls differ by the estimate's own noise; an int repeats the values."""
        check_int("k", k)
        if self.architecture in ("lstm", "gru"):
            raise ValueError("log_likelihood supports dense and conv architectures")
        X, _ = self._prepare(X)
        with seeded_rng(self._device):  # leaves the caller's RNG state alone
            torch.manual_seed(draw_seed(random_state))
            scaled = map_batches(lambda x: self.module_.log_likelihood(x, k), (X,), self._device,
                                 batch_size=4096)
        if self.loss_ != "mse":
            return scaled
        jacobian = np.log(np.broadcast_to(self.scale_, self.input_shape_)).sum()
        return scaled - jacobian


VAE = VariationalAutoencoder

document(
    VariationalAutoencoder,
    """Variational autoencoder (Kingma & Welling 2014): a diagonal Gaussian code trained on the
    negative ELBO, reconstruction summed over values plus ``beta`` times the KL divergence.

    ``transform`` returns the posterior mean; ``score_samples`` the negative loss per row:
    reconstruction at the posterior mean plus the KL term at weight 1, whatever ``beta``
    (the negative ELBO at the posterior mean; deterministic, but not a bound on
    ``log p(x)``), so that scores compare across ``beta``; ``sample(n)`` generates rows;
    ``log_likelihood(X, k)`` estimates ``log p(x)`` by importance sampling;
    ``interpolate(a, b, steps)`` decodes the line between two rows' latent means and
    ``sample_like(X, n)`` generates rows near given ones. Also importable as ``VAE``.""",
    own=(
        Param("beta", "float", 1.0,
              "Weight of the KL term (beta-VAE)."),
        Param("kl_warmup_epochs", "int", 0,
              "Raise the KL weight linearly to beta over this many epochs. 0: no warm-up. "
              "Early stopping watches the epochs from the last of the warm-up on (earlier "
              "ones weigh the KL term less, so their losses are not comparable)."),
        Param("binarize", "bool", False,
              "Dynamic binarisation: train on fresh Bernoulli samples of [0, 1] data every "
              "batch."),
    ),
)
