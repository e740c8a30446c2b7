"""The jobs people come for, built on the estimators (never on the training loop)."""

from aekit.apps.demo import DemoResult, run_demo

__all__ = ["DemoResult", "run_demo"]
