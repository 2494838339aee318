"""nabla from Python: fully-connected networks trained by nabla's C++ library.

- MLPClassifier, MLPRegressor: scikit-learn estimators (fit, predict, predict_proba, score,
  partial_fit) that train as `nabla train` does, with the same model files (save, load).
- Network: a small network in double precision whose forward and backward passes return every
  z, a and d of docs/backprop.md and the gradients ∂L/∂W, ∂L/∂b, for following backpropagation step
  by step.

Guide: docs/python.md.
"""

from ._nabla import __version__, cuda_available
from ._learn import Network
from .estimators import MLPClassifier, MLPRegressor, load


def save(estimator, path):
    """Writes a fitted estimator's model file (as estimator.save(path))."""
    estimator.save(path)


__all__ = ["MLPClassifier", "MLPRegressor", "Network", "load", "save", "cuda_available", "__version__"]
