"""Thin scikit-learn estimators over the one training loop."""

from aekit.estimators.autoencoder import Autoencoder
from aekit.estimators.base import BaseAutoencoder
from aekit.estimators.persistence import load

# model name (CLI --model, model files) -> estimator class
ESTIMATORS: dict[str, type[BaseAutoencoder]] = {
    cls.model_name: cls for cls in (Autoencoder,)
}

__all__ = ["ESTIMATORS", "Autoencoder", "BaseAutoencoder", "load"]
