"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.anomaly import AnomalyDetector
from aekit.apps.compression import RatePoint, compress, decompress, rate_distortion_curve
from aekit.apps.demo import DemoResult, run_demo
from aekit.apps.series_anomaly import SeriesAnomalyDetector
from aekit.apps.impute import AutoencoderImputer

__all__ = ["AnomalyDetector", "AutoencoderImputer", "DemoResult", "RatePoint",
           "SeriesAnomalyDetector", "compress", "decompress", "rate_distortion_curve",
           "run_demo"]
