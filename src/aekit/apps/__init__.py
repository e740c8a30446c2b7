"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.compression import RatePoint, compress, decompress, rate_distortion_curve
from aekit.apps.demo import DemoResult, run_demo

__all__ = ["DemoResult", "RatePoint", "compress", "decompress", "rate_distortion_curve",
           "run_demo"]
