"""The standard autoencoder estimator (dense, convolutional or recurrent)."""

from __future__ import annotations

from aekit.estimators._params import document, latent_activation, store_params
from aekit.estimators._validation import check_choice
from aekit.estimators.base import BaseAutoencoder
from aekit.nn import ACTIVATIONS, DenseCode


class Autoencoder(BaseAutoencoder):
    model_name = "autoencoder"

    def __init__(self, *, latent_dim: int | None = None, architecture: str = "dense",
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

    def _check_variant_params(self) -> None:
        if self.latent_activation is not None:
            check_choice("latent_activation", self.latent_activation, ACTIVATIONS)

    def _make_latent(self, d_in: int) -> DenseCode:
        return DenseCode(d_in, self.latent_dim_, self.latent_activation or self.activation)


document(
    Autoencoder,
    """Autoencoder with a scikit-learn interface: a non-linear PCA.

    The encoder maps the input through ``hidden_dims`` to a ``latent_dim`` code; the decoder
    mirrors it. The defaults are built to be good on any numeric table: a linear code, one
    hidden layer with a linear path around it that starts as PCA, and as many epochs (with early
    stopping on held-out rows) as the table needs. The classic Keras recipe is
    ``Autoencoder(latent_dim=32, hidden_dims=(), latent_activation="relu", epochs=50,
    batch_size=256)``.""",
    own=(
        latent_activation("linear"),
    ),
    examples="""
    Examples
    --------
    >>> from sklearn.datasets import load_digits
    >>> from aekit import Autoencoder
    >>> X = load_digits().data / 16
    >>> ae = Autoencoder(latent_dim=8, hidden_dims=(32,), epochs=5, random_state=0).fit(X)
    >>> ae.transform(X).shape
    (1797, 8)
""",
)
