"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.demo import DemoResult, run_demo
from aekit.apps.impute import AutoencoderImputer

__all__ = ["AutoencoderImputer", "DemoResult", "run_demo"]
