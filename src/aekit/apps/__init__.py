"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.anomaly import AnomalyDetector
from aekit.apps.demo import DemoResult, run_demo
from aekit.apps.series_anomaly import SeriesAnomalyDetector
from aekit.apps.impute import AutoencoderImputer

__all__ = ["AnomalyDetector", "AutoencoderImputer", "DemoResult", "SeriesAnomalyDetector",
           "run_demo"]
