"""aekit: autoencoders made practical."""

__version__ = "0.1.0"

from aekit.estimators import (  # noqa: E402
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
from aekit.text import CharTokenizer  # noqa: E402

__all__ = [
    "ESTIMATORS",
    "CharTokenizer",
    "VAE",
    "Autoencoder",
    "DenoisingAutoencoder",
    "SequenceAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "load",
    "sliding_windows",
]
