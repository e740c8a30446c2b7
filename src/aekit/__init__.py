"""aekit: autoencoders made practical."""

from typing import TYPE_CHECKING

from aekit._lazy import lazy_exports

__version__ = "0.1.0"

# public name -> the module it lives in; imported on first use (PyTorch loads only then)
_EXPORTS = {
    "ESTIMATORS": "aekit.estimators",
    "VAE": "aekit.estimators",
    "Autoencoder": "aekit.estimators",
    "DenoisingAutoencoder": "aekit.estimators",
    "SequenceAutoencoder": "aekit.estimators",
    "SparseAutoencoder": "aekit.estimators",
    "VariationalAutoencoder": "aekit.estimators",
    "load": "aekit.estimators",
    "sliding_windows": "aekit.estimators",
    "CharTokenizer": "aekit.text",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what static tools see; at run time the names load lazily
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

__all__ = [
    "ESTIMATORS",
    "VAE",
    "Autoencoder",
    "CharTokenizer",
    "DenoisingAutoencoder",
    "SequenceAutoencoder",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "load",
    "sliding_windows",
]
