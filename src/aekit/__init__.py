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
    "load": "aekit.apps",
    "sliding_windows": "aekit.estimators",
    "CharTokenizer": "aekit.text",
    "CompressionAutoencoder": "aekit.estimators",
    "EnsembleAutoencoder": "aekit.estimators.ensemble",
    "MaskedAutoencoder": "aekit.estimators.masked",
    "AnomalyDetector": "aekit.apps.anomaly",
    "SeriesAnomalyDetector": "aekit.apps.series_anomaly",
    "AutoencoderImputer": "aekit.apps.impute",
    "compress": "aekit.apps.compression",
    "decompress": "aekit.apps.compression",
    "rate_distortion_curve": "aekit.apps.compression",
}
__getattr__, __dir__ = lazy_exports(__name__, _EXPORTS)

if TYPE_CHECKING:  # what static tools see; at run time the names load lazily
    from aekit.apps import load
    from aekit.apps.anomaly import AnomalyDetector
    from aekit.apps.compression import compress, decompress, rate_distortion_curve
    from aekit.apps.impute import AutoencoderImputer
    from aekit.apps.series_anomaly import SeriesAnomalyDetector
    from aekit.estimators import (
        ESTIMATORS,
        VAE,
        Autoencoder,
        CompressionAutoencoder,
        DenoisingAutoencoder,
        SequenceAutoencoder,
        SparseAutoencoder,
        VariationalAutoencoder,
        sliding_windows,
    )
    from aekit.estimators.ensemble import EnsembleAutoencoder
    from aekit.estimators.masked import MaskedAutoencoder
    from aekit.text import CharTokenizer

__all__ = [
    "ESTIMATORS",
    "VAE",
    "AnomalyDetector",
    "Autoencoder",
    "AutoencoderImputer",
    "CharTokenizer",
    "CompressionAutoencoder",
    "DenoisingAutoencoder",
    "EnsembleAutoencoder",
    "MaskedAutoencoder",
    "SequenceAutoencoder",
    "SeriesAnomalyDetector",
    "SparseAutoencoder",
    "VariationalAutoencoder",
    "__version__",
    "compress",
    "decompress",
    "load",
    "rate_distortion_curve",
    "sliding_windows",
]
