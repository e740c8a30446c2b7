"""An ensemble of diverse small dense autoencoders, trained together as one batched network."""

from __future__ import annotations

import numpy as np

from aekit.estimators._params import Param, document, store_params
from aekit.estimators._validation import check_float, check_int
from aekit.estimators.base import BaseAutoencoder
from aekit.estimators.persistence import register_model
from aekit.nn import Reconstruction
from aekit.nn.ensemble import EnsembleNet


@register_model
class EnsembleAutoencoder(BaseAutoencoder):
    model_name = "ensemble"

    def __init__(self, *, n_members: int = 10, connection_density: float = 0.8,
                 smallest_member: float = 0.5, trim_fraction: float = 0.0,
                 latent_dim: int | None = None, architecture: str = "dense",
                 hidden_dims: tuple[int, ...] = (), activation: str = "relu",
                 output_activation: str = "auto",
                 loss: str = "auto", optimizer: str = "adam", learning_rate: float | None = None,
                 weight_decay: float = 0.0, epochs: int = 50, batch_size: int = 256,
                 shuffle: bool = True, validation_split: float = 0.0, validation_data=None,
                 batch_norm: bool = False, dropout: float = 0.0, patience: int | None = None,
                 restore_best_weights: bool = True, clip_grad_norm: float | None = None,
                 checkpoint_dir: str | None = None, resume: bool = False,
                 callbacks: list | None = None, scaling: str = "auto",
                 random_state: int | None = None, device: str = "auto", compile: str = "auto",
                 precision: str = "float32", verbose: int = 0):
        store_params(self, locals())

    def _check_variant_params(self) -> None:
        check_int("n_members", self.n_members)
        check_float("connection_density", self.connection_density, low=0, high=1,
                    low_open=True, high_open=False)
        check_float("smallest_member", self.smallest_member, low=0, high=1, low_open=True,
                    high_open=False)
        check_float("trim_fraction", self.trim_fraction, low=0, high=0.5)
        if self.architecture != "dense":
            raise ValueError("EnsembleAutoencoder is dense only: use architecture='dense' "
                             "(flatten images or window series first)")
        if self.batch_norm or self.dropout:
            raise ValueError("EnsembleAutoencoder supports neither batch_norm nor dropout: "
                             "its members are kept small instead")

    def _build_module(self) -> EnsembleNet:
        return EnsembleNet(self.input_shape_[0], self._hidden_dims, self.latent_dim_,
                           self.n_members, self.activation,
                           Reconstruction(self.loss_, self.output_activation_),
                           density=self.connection_density, smallest=self.smallest_member,
                           trim=self.trim_fraction)

    def member_reconstructions(self, X) -> np.ndarray:
        """Each member's reconstruction of ``X``: ``(n_members, n, n_features)``, data units."""
        X, _ = self._checked(X)
        out = self._infer("member_outputs", X)  # (n, n_members, n_features)
        return self._unscale(np.ascontiguousarray(np.moveaxis(out, 1, 0)))

    @property
    def _n_features_out(self) -> int:
        return self.n_members * self.latent_dim_


document(
    EnsembleAutoencoder,
    """Ensemble of diverse small dense autoencoders trained at once (RandNet, ROBOD).

    The members' weights are stacked, so each layer of all members is one batched matrix product
    and ``fit`` trains them together through the one training loop. Members differ by their
    initialisation, their widths and code sizes (from ``smallest_member`` of the full width to
    all of it) and a random ``connection_density`` of their connections. ``score_samples`` is
    the members' mean reconstruction loss (negated); ``reconstruct`` their mean output;
    ``transform`` their codes side by side ``(n, n_members * latent_dim_)``;
    ``member_reconstructions`` each member's output.""",
    own=(
        Param("n_members", "int", 10,
              "Number of autoencoders trained together."),
        Param("connection_density", "float", 0.8,
              "Fraction of each member's connections kept (fixed random masks, as in "
              "RandNet)."),
        Param("smallest_member", "float", 0.5,
              "Width (and code size) of the smallest member, as a fraction of the full one; "
              "the others spread evenly up to the full width."),
        Param("trim_fraction", "float", 0.0,
              "Each member ignores this fraction of worst-reconstructed rows of each batch (a"
              " trimmed loss, robust to anomalies in the training data)."),
    ),
    defaults={"hidden_dims": (), "epochs": 50, "batch_size": 256},
)
