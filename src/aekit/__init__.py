"""aekit: autoencoders made practical."""

__version__ = "0.1.0"

from aekit.estimators import (
    ESTIMATORS,
    VAE,
    Autoencoder,
    CompressionAutoencoder,
    DenoisingAutoencoder,
    SequenceAutoencoder,
    SparseAutoencoder,
    VariationalAutoencoder,
    load,
    sliding_windows,
)
from aekit.text import CharTokenizer
from aekit.apps.compression import compress, decompress, rate_distortion_curve

__all__ = [
    "ESTIMATORS",
    "VAE",
    "Autoencoder",
    "CharTokenizer",
    "CompressionAutoencoder",
    "DenoisingAutoencoder",
    "SequenceAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "compress",
    "decompress",
    "rate_distortion_curve",
    "load",
    "sliding_windows",
]
