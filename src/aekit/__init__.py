"""aekit: autoencoders made practical."""

__version__ = "0.1.0"

from aekit.estimators import ESTIMATORS, Autoencoder, load

__all__ = ["ESTIMATORS", "Autoencoder", "__version__", "load"]
