"""Thin scikit-learn estimators over the one training loop."""

from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.base import BaseAutoencoder
from aekit.estimators.compression import CompressionAutoencoder
from aekit.estimators.denoising import DenoisingAutoencoder
from aekit.estimators.ensemble import EnsembleAutoencoder
from aekit.estimators.masked import MaskedAutoencoder
from aekit.estimators.persistence import MODELS, load, register_model
from aekit.estimators.sequence import SequenceAutoencoder, sliding_windows
from aekit.estimators.sparse import SparseAutoencoder
from aekit.estimators.variational import VAE, VariationalAutoencoder

# model name (CLI --model, model files) -> estimator class
ESTIMATORS: dict[str, type[BaseAutoencoder]] = {
    cls.model_name: cls
    for cls in (Autoencoder, VariationalAutoencoder, SparseAutoencoder, DenoisingAutoencoder,
                SequenceAutoencoder, CompressionAutoencoder, EnsembleAutoencoder)
}
for _cls in ESTIMATORS.values():
    register_model(_cls)

__all__ = [
    "ESTIMATORS",
    "MODELS",
    "VAE",
    "Autoencoder",
    "BaseAutoencoder",
    "CompressionAutoencoder",
    "DenoisingAutoencoder",
    "EnsembleAutoencoder",
    "MaskedAutoencoder",
    "SequenceAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "load",
    "register_model",
    "sliding_windows",
]
