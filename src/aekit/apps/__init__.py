"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.anomaly import AnomalyDetector
from aekit.apps.compression import RatePoint, compress, decompress, rate_distortion_curve
from aekit.apps.demo import DemoResult, run_demo
from aekit.apps.denoising import denoise
from aekit.apps.impute import AutoencoderImputer
from aekit.apps.model_report import Report, write_report
from aekit.apps.reduction import latent_map, project_2d
from aekit.apps.series_anomaly import SeriesAnomalyDetector


def load(path, device=None):
    """Load any model file written by aekit: the estimators', and the models built on them
    here (detectors, imputers), which register themselves when this package is imported.

    Raises ``FileNotFoundError`` for a missing file and ``ValueError`` for a file that is not an
    intact aekit model. Nothing in the file is executed."""
    from aekit.estimators.persistence import load as load_file

    return load_file(path, device)


__all__ = ["AnomalyDetector", "AutoencoderImputer", "DemoResult", "RatePoint", "Report",
           "SeriesAnomalyDetector", "compress", "decompress", "denoise", "latent_map",
           "load", "project_2d", "rate_distortion_curve", "run_demo", "write_report"]
