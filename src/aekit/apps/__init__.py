"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.anomaly import AnomalyDetector
from aekit.apps.series_anomaly import SeriesAnomalyDetector
from aekit.apps.demo import DemoResult, run_demo

__all__ = ["AnomalyDetector", "DemoResult", "SeriesAnomalyDetector", "run_demo"]
