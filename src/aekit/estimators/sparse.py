"""Sparse autoencoder: an L1, KL or TopK constraint on the code."""

from __future__ import annotations

import numpy as np

from aekit.estimators._inference import steps_mask
from aekit.estimators._params import Param, document, latent_activation, store_params
from aekit.estimators._validation import check_choice, check_float, check_int
from aekit.estimators.autoencoder import Autoencoder
from aekit.nn import SPARSITIES, SparseCode

DEAD_AFTER = 1000  # training steps a TopK unit may stay silent before AuxK counts it dead

ACTIVE = 1e-3  # a code unit counts as active above this magnitude


class SparseAutoencoder(Autoencoder):
    model_name = "sparse"
    _constrained_code = True  # sparsity, noise or a KL term keeps it from copying

    def __init__(self, *, sparsity: str = "topk", sparsity_weight: float = 1e-4,
                 target_activation: float = 0.05, k: int | None = None,
                 latent_dim: int | None = None, architecture: str = "dense",
                 hidden_dims: tuple[int, ...] | None = None, activation: str = "relu",
                 latent_activation: str | None = "relu", output_activation: str = "auto",
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

    def _check_variant_params(self) -> None:
        super()._check_variant_params()
        check_choice("sparsity", self.sparsity, SPARSITIES)
        check_float("sparsity_weight", self.sparsity_weight, low=0, high=np.inf)
        check_float("target_activation", self.target_activation, low=0, high=1, low_open=True)
        check_int("k", self.k, allow_none=True)

    @property
    def k_(self) -> int:
        """Active units per row with ``sparsity="topk"``: ``k``, or a quarter of the code."""
        return min(self.k or max(1, self.latent_dim_ // 4), self.latent_dim_)

    def _make_latent(self, d_in: int) -> SparseCode:
        if self.sparsity == "topk" and self.k is not None and self.k >= self.latent_dim_:
            chosen = "" if self.latent_dim else " (latent_dim=None: half the features, at most 32)"
            raise ValueError(f"k={self.k} keeps every unit of the {self.latent_dim_}-unit code"
                             f"{chosen} active, so nothing is sparse: use a smaller k, or set "
                             "latent_dim larger than k")
        # a unit silent for an epoch (active on no row) is dead: on a small table training
        # runs fewer steps than the 1000 Gao et al. wait, and AuxK would never start
        dead_after = min(DEAD_AFTER, getattr(self, "_steps_per_epoch", DEAD_AFTER))
        return SparseCode(d_in, self.latent_dim_, self.latent_activation or self.activation,
                          self.sparsity, self.sparsity_weight, rho=self.target_activation,
                          k=self.k_, dead_after=dead_after)

    def _net_options(self) -> dict:
        # TopK's auxiliary loss looks at twice as many dead units as live ones (Gao et al.)
        return {"aux_k": min(2 * self.k_, self.latent_dim_)} if self.sparsity == "topk" else {}

    def sparsity_report(self, X, lengths=None) -> dict[str, float]:
        """How sparse the codes of ``X`` are, and what they still explain.

        Returns ``mean_activation`` (mean |code| over rows and units), ``l0`` (active units per
        row, |code| > 1e-3), ``dead_fraction`` (units active on no row) and
        ``variance_explained`` (1 - residual / total sum of squares, in the scaled space; over
        each sequence's valid steps, padding left out). With ``sparsity="kl"`` the code units
        are sigmoids, which are never exactly 0: ``l0`` and ``dead_fraction`` then count
        units above 1e-3 and say little; ``mean_activation`` is the figure to read.
        """
        Z = self._encode(X, lengths)
        X_scaled, lengths = self._prepare(X, lengths)
        R = self._apply("reconstruct", X_scaled, lengths)
        active = np.abs(Z) > ACTIVE
        valid = np.ones((len(X_scaled), *(1,) * (X_scaled.ndim - 1)), bool)
        if lengths is not None and X_scaled.ndim == 3:  # sequences: their padding is no data
            valid = steps_mask(lengths, X_scaled.shape[1])[..., None]
        # each value's deviation from its position's mean (a step's: over the rows it is in)
        mean = np.where(valid, X_scaled, 0).sum(0) / np.maximum(valid.sum(0), 1)
        total = np.square(np.where(valid, X_scaled - mean, 0)).sum()
        residual = np.square(np.where(valid, X_scaled - R, 0)).sum()
        return {
            "mean_activation": float(np.abs(Z).mean()),
            "l0": float(active.sum(1).mean()),
            "dead_fraction": float((~active.any(0)).mean()),
            "variance_explained": float(1 - residual / max(total, 1e-12)),
        }


document(
    SparseAutoencoder,
    """Autoencoder whose code is kept sparse.

    ``sparsity="l1"`` penalises ``sparsity_weight * sum|z|`` per row (Keras'
    ``activity_regularizer=l1``); ``"kl"`` pulls each unit's mean activation towards
    ``target_activation`` with weight ``sparsity_weight`` (sigmoid code units); ``"topk"`` keeps
    exactly ``k`` active units per row and revives units that stopped firing with an auxiliary
    loss (AuxK: a unit silent for an epoch, or for 1000 steps on larger data, is asked to
    explain what the live ones leave, from its pre-activation; Gao et al. 2024).
    ``sparsity_report(X)`` measures the result.""",
    own=(
        Param("sparsity", '{"l1", "kl", "topk"}', "topk",
              "How the code is kept sparse."),
        Param("sparsity_weight", "float", 1e-4,
              "Weight of the L1 or KL penalty (unused by topk)."),
        Param("target_activation", "float", 0.05,
              "The KL penalty's target mean activation rho."),
        Param("k", "int or None", None,
              "Active units per row for topk. None: a quarter of latent_dim."),
        latent_activation("relu"),
    ),
)
