"""scikit-learn's own estimator checks on AutoencoderImputer and the MaskedAutoencoder inside
it (public since it exports), as test_sklearn_compat.py runs them on the other estimators."""

import pytest
from sklearn.utils.estimator_checks import parametrize_with_checks

from aekit import AutoencoderImputer, MaskedAutoencoder

# Each expected failure carries its reason (none so far).
EXPECTED_FAILURES: dict[str, str] = {}


pytestmark = pytest.mark.usefixtures("one_torch_thread")


@parametrize_with_checks(
    [AutoencoderImputer(hidden_dims=(8,), latent_dim=4, epochs=2, batch_size=16,
                        random_state=0, device="cpu"),
     MaskedAutoencoder(epochs=2, batch_size=16, random_state=0, device="cpu")],
    expected_failed_checks=lambda est: EXPECTED_FAILURES,
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
