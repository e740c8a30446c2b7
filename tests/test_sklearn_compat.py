"""scikit-learn's own estimator checks, run over every aekit estimator."""

from sklearn.utils.estimator_checks import parametrize_with_checks

from aekit import ESTIMATORS


def _quick(cls):
    return cls(epochs=3, batch_size=16, random_state=0, device="cpu")


# Each expected failure carries its reason (none so far).
EXPECTED_FAILURES: dict[str, dict[str, str]] = {}


@parametrize_with_checks(
    [_quick(cls) for cls in ESTIMATORS.values()],
    expected_failed_checks=lambda est: EXPECTED_FAILURES.get(est.model_name, {}),
)
def test_sklearn_compatible(estimator, check):
    check(estimator)
