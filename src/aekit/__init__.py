"""aekit: autoencoders made practical."""

__version__ = "0.1.0"

from aekit.estimators import (
    ESTIMATORS,
    VAE,
    Autoencoder,
    DenoisingAutoencoder,
    SequenceAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
    load,
    sliding_windows,
)
from aekit.text import CharTokenizer
from aekit.apps.impute import AutoencoderImputer

__all__ = [
    "ESTIMATORS",
    "VAE",
    "Autoencoder",
    "AutoencoderImputer",
    "CharTokenizer",
    "DenoisingAutoencoder",
    "SequenceAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "load",
    "sliding_windows",
]
