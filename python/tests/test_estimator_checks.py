"""scikit-learn's own estimator suite, check by check, on both estimators with their defaults."""

from sklearn.utils.estimator_checks import parametrize_with_checks

import nabla


@parametrize_with_checks([nabla.MLPClassifier(), nabla.MLPRegressor()])
def test_sklearn_check(estimator, check):
    check(estimator)
