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
from aekit.estimators.ensemble import EnsembleAutoencoder
from aekit.text import CharTokenizer
from aekit.apps.anomaly import AnomalyDetector  # apps last: they build on the estimators
from aekit.apps.series_anomaly import SeriesAnomalyDetector
from aekit.apps.impute import AutoencoderImputer
from aekit.apps.compression import compress, decompress, rate_distortion_curve

__all__ = [
    "AnomalyDetector",
    "EnsembleAutoencoder",
    "SeriesAnomalyDetector",
    "ESTIMATORS",
    "VAE",
    "Autoencoder",
    "AutoencoderImputer",
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
