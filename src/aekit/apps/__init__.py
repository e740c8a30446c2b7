"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.demo import DemoResult, run_demo
from aekit.apps.denoising import denoise
from aekit.apps.model_report import Report, write_report
from aekit.apps.reduction import latent_map, project_2d

__all__ = ["DemoResult", "Report", "denoise", "latent_map", "project_2d", "run_demo",
           "write_report"]
