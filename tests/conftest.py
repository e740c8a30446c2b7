import os

# Each of the two test workers (pytest-xdist) gets one core: torch's threads would otherwise
# wait on each other's (set before anything imports torch).
if "PYTEST_XDIST_WORKER" in os.environ:
    os.environ.setdefault("OMP_NUM_THREADS", "1")

import numpy as np
import pytest
from hypothesis import settings
from sklearn.datasets import load_digits
from sklearn.model_selection import train_test_split

# Property tests draw 50 examples in the everyday run and CI; HYPOTHESIS_PROFILE=nightly draws 500.
settings.register_profile("ci", max_examples=50)
settings.register_profile("nightly", max_examples=500)
settings.load_profile(os.environ.get("HYPOTHESIS_PROFILE", "ci"))


@pytest.fixture(scope="module")
def one_torch_thread():
    """One torch thread for a module of tiny fits: on a busy 2-core machine two threads only
    wait on each other (5 to 30 times slower). Modules opt in with ``pytestmark``."""
    import torch

    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="session")
def digits_split():
    """scikit-learn's digits scaled to [0, 1], split 75/25 (float32)."""
    X = (load_digits().data / 16.0).astype(np.float32)
    return train_test_split(X, test_size=0.25, random_state=0)


@pytest.fixture
def tabular():
    """Correlated Gaussian data with large offsets and scales (needs standard scaling)."""
    rng = np.random.RandomState(0)
    latent = rng.normal(size=(300, 3))
    mixing = rng.normal(size=(3, 10))
    return (latent @ mixing * 50 + 1000 + rng.normal(scale=1.0, size=(300, 10))).astype(np.float64)


def quick(**overrides):
    """Keyword arguments for a fast, reproducible CPU fit."""
    params = {"epochs": 5, "batch_size": 32, "random_state": 0, "device": "cpu"}
    params.update(overrides)
    return params
