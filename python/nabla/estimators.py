"""MLPClassifier and MLPRegressor: nabla's training behind scikit-learn's estimator API.

Training runs in nabla's C++ library (the module _nabla) as `nabla train` runs it: features
standardised on the training data, regression targets standardised and their scale folded into the
output layer at the end, the same network initialisation, batches, optimizer and schedule. The same
data, settings and seed give the same parameters, bit for bit, from Python and from the CLI.
"""

import os
import tempfile
import warnings

import numpy as np
from sklearn.base import BaseEstimator, ClassifierMixin, RegressorMixin
from sklearn.exceptions import DataConversionWarning, NotFittedError
from sklearn.utils.multiclass import type_of_target

from . import _nabla
from ._inputs import (blas_of_nabla, check_choice, check_features, check_number, check_numeric_targets, check_positive_int,
                      check_targets)

_ACTIVATIONS = ("relu", "tanh", "sigmoid", "leaky_relu", "identity", "logistic")
_SOLVERS = ("adam", "adamw", "sgd", "momentum")
_SCHEDULES = ("cosine", "constant", "step")
_DEVICES = ("cpu", "cuda")

# What _more_tags marks as expected to fail, each for a design choice documented in docs/python.md.
_XFAIL = {}


def default_epochs(samples, batch):
    """nabla's default run length: 10 epochs, or as many as make 1000 optimizer steps on small data."""
    steps = 1 if batch == 0 else -(-samples // batch)
    return max(10, -(-1000 // steps))


def default_dropout(samples):
    """nabla's default dropout: 0.1 on training sets under 10,000 samples, else none (as the CLI)."""
    return 0.1 if samples < 10000 else 0.0


def _seed(random_state):
    if random_state is None:
        return 1  # nabla's default seed: the same model every run, as `nabla train` without --seed
    if isinstance(random_state, np.random.RandomState):
        return int(random_state.randint(0, 2**31 - 1))
    if isinstance(random_state, (bool, np.bool_)) or not isinstance(random_state, (int, np.integer)) or random_state < 0:
        raise ValueError(f"random_state must be None, a whole number ≥ 0 or a numpy RandomState; got {random_state!r}")
    return int(random_state)


class _BaseMLP(BaseEstimator):
    """What the classifier and the regressor share: checks, training, files, pickling."""

    _task = None

    def __init__(self, hidden_layer_sizes=(256, 128), activation="relu", *, solver="adam", alpha=1e-4,
                 batch_size=128, learning_rate="cosine", learning_rate_init=1e-3, max_iter=None,
                 random_state=None, verbose=False, warm_start=False, momentum=0.9, early_stopping=False,
                 validation_fraction=0.1, n_iter_no_change=10, tol=1e-4, dropout=None, clip_norm=0.0,
                 threads=None, device="cpu"):
        self.hidden_layer_sizes = hidden_layer_sizes
        self.activation = activation
        self.solver = solver
        self.alpha = alpha
        self.batch_size = batch_size
        self.learning_rate = learning_rate
        self.learning_rate_init = learning_rate_init
        self.max_iter = max_iter
        self.random_state = random_state
        self.verbose = verbose
        self.warm_start = warm_start
        self.momentum = momentum
        self.early_stopping = early_stopping
        self.validation_fraction = validation_fraction
        self.n_iter_no_change = n_iter_no_change
        self.tol = tol
        self.dropout = dropout
        self.clip_norm = clip_norm
        self.threads = threads
        self.device = device

    # ---- parameters -------------------------------------------------------------------------

    def _hidden(self):
        h = self.hidden_layer_sizes
        if h is None:
            return []
        if isinstance(h, (int, np.integer)) and not isinstance(h, bool):
            h = [h]
        try:
            widths = list(h)
        except TypeError:
            raise ValueError(f"hidden_layer_sizes must be a list of whole numbers ≥ 1, got {h!r}") from None
        return [check_positive_int(w, "hidden_layer_sizes") for w in widths]

    def _options(self, samples, partial):
        o = _nabla.FitOptions()
        o.hidden = self._hidden()
        activation = check_choice(self.activation, "activation", _ACTIVATIONS)
        o.activation = "sigmoid" if activation == "logistic" else activation
        o.optimizer = check_choice(self.solver, "solver", _SOLVERS)
        o.schedule = "constant" if partial else check_choice(self.learning_rate, "learning_rate", _SCHEDULES)
        o.device = check_choice(self.device, "device", _DEVICES)
        o.task = self._task
        o.learning_rate = check_number(self.learning_rate_init, "learning_rate_init", 0, 1e6, low_open=True)
        o.weight_decay = check_number(self.alpha, "alpha", 0, 1e6)
        o.momentum = check_number(self.momentum, "momentum", 0, 1)
        o.clip_norm = check_number(self.clip_norm, "clip_norm", 0, 1e30)
        o.tol = check_number(self.tol, "tol", 0, 1e30)
        o.n_iter_no_change = check_positive_int(self.n_iter_no_change, "n_iter_no_change")
        if self.batch_size == "auto":
            o.batch = min(200, samples)
        else:
            o.batch = check_positive_int(self.batch_size, "batch_size")
        max_iter = check_positive_int(self.max_iter, "max_iter", allow_none=True)
        o.epochs = 1 if partial else max_iter if max_iter is not None else default_epochs(samples, o.batch)
        o.dropout = (default_dropout(samples) if self.dropout is None
                     else check_number(self.dropout, "dropout", 0, 0.95))
        o.seed = _seed(self.random_state)
        threads = check_positive_int(self.threads, "threads", allow_none=True) if self.threads != 0 else 0
        o.threads = threads or 0
        o.early_stopping = bool(self.early_stopping) and not partial
        if o.early_stopping and o.device != "cpu":
            raise ValueError("early_stopping needs device='cpu': the GPU keeps the parameters to itself until "
                             "training ends, so the best epoch's cannot be kept")
        if o.early_stopping:
            o.validation_fraction = check_number(self.validation_fraction, "validation_fraction", 0, 0.9,
                                                 low_open=True)
            if int(samples * o.validation_fraction) < 1:
                raise ValueError(f"early_stopping: validation_fraction={self.validation_fraction} of {samples} "
                                 "samples holds out none")
        return o

    # ---- inputs ------------------------------------------------------------------------------

    def _check_X(self, X, reset):
        self._check_feature_names(X, reset=reset)
        x = check_features(X)
        if reset:
            self.n_features_in_ = x.shape[1]
        elif x.shape[1] != self.n_features_in_:
            raise ValueError(f"X has {x.shape[1]} features, but {type(self).__name__} is expecting "
                             f"{self.n_features_in_} features as input")
        return x

    def _require_y(self, y):
        if y is None:
            raise ValueError(f"{type(self).__name__} requires y to be passed, but the target y is None")

    def _check_fitted(self):
        if not hasattr(self, "_model"):
            raise NotFittedError(f"This {type(self).__name__} instance is not fitted yet: call fit first")

    # ---- training ----------------------------------------------------------------------------

    def _train(self, x, y, labels, partial, class_names):
        o = self._options(x.shape[0], partial)
        o.class_names = class_names
        names = getattr(self, "feature_names_in_", None)
        o.feature_names = [] if names is None else [str(n) for n in names]
        prior = getattr(self, "_model", None) if (partial or self.warm_start) else None
        on_epoch = None
        if self.verbose:
            total = o.epochs

            def on_epoch(epoch, loss, validation_loss, validation_accuracy):
                line = f"epoch {epoch}/{total}  train loss {loss:.4f}"
                if validation_loss == validation_loss:
                    line += f"  |  val loss {validation_loss:.4f}"
                    if validation_accuracy == validation_accuracy and self._task == "classification":
                        line += f"  acc {validation_accuracy:.4f}"
                print(line, flush=True)
        try:
            with blas_of_nabla():
                model = _nabla.train(prior, x, y, labels, o, None, on_epoch)
        except ValueError as e:
            message = str(e)
            if message.startswith("--device "):  # the library names the CLI's flag
                raise ValueError(f"device={o.device!r}: " + message.split(": ", 1)[-1]) from None
            raise
        self._model = model
        curve = list(model.loss_curve)
        self.loss_curve_ = (list(getattr(self, "loss_curve_", [])) if partial else []) + curve
        self.n_iter_ = (getattr(self, "n_iter_", 0) if partial else 0) + len(curve)
        if o.early_stopping:
            self.validation_loss_curve_ = list(model.validation_loss_curve)
            self.best_epoch_ = model.best_epoch
        return self

    # ---- results -----------------------------------------------------------------------------

    def _outputs(self, X):
        self._check_fitted()
        x = self._check_X(X, reset=False)
        with blas_of_nabla():
            return self._model.predict(x, self.threads or 0)

    @property
    def coefs_(self):
        """The weight matrices, layer by layer, as scikit-learn gives them: inputs × outputs (W transposed)."""
        self._check_fitted()
        return [w.T for w in self._model.coefs()]

    @property
    def intercepts_(self):
        """The bias vectors, layer by layer."""
        self._check_fitted()
        return list(self._model.intercepts())

    @property
    def n_layers_(self):
        self._check_fitted()
        return len(self._model.layers)

    def save(self, path):
        """Writes the model file `nabla predict`, `nabla eval` and nabla.load read (written atomically)."""
        self._check_fitted()
        self._model.save(os.fspath(path))

    def _model_bytes(self):
        with tempfile.TemporaryDirectory(prefix="nabla-") as folder:
            path = os.path.join(folder, "model.nabla")
            self._model.save(path)
            with open(path, "rb") as f:
                return f.read()

    def __getstate__(self):
        state = dict(self.__dict__)
        if "_model" in state:
            state["_model"] = self._model_bytes()
        return state

    def __setstate__(self, state):
        model = state.get("_model")
        if isinstance(model, (bytes, bytearray)):
            state = dict(state)
            state["_model"] = _model_from_bytes(model)
        self.__dict__.update(state)

    def _more_tags(self):
        return {"_xfail_checks": dict(_XFAIL)}


def _model_from_bytes(data):
    with tempfile.TemporaryDirectory(prefix="nabla-") as folder:
        path = os.path.join(folder, "model.nabla")
        with open(path, "wb") as f:
            f.write(data)
        return _nabla.load(path)


class MLPClassifier(ClassifierMixin, _BaseMLP):
    """A multi-layer perceptron classifier trained by nabla: softmax outputs, cross-entropy loss.

    Parameters as scikit-learn's MLPClassifier where the concept is the same; the defaults are
    nabla's: hidden layers (256, 128), ReLU, Adam with learning rate 1e-3 and a cosine schedule,
    batch 128, max_iter=None (10 epochs, or enough for 1000 steps on small data), dropout=None (0.1
    under 10,000 samples, else 0), random_state=None (seed 1); alpha=1e-4 is weight decay λ (where
    `nabla train`'s --weight-decay defaults to 0). Extras: dropout, clip_norm, threads (None: all
    cores), device ('cpu' or 'cuda'). See docs/python.md.
    """

    _task = "classification"

    def _labels(self, y):
        if y.ndim == 2:
            if y.shape[1] != 1:
                raise ValueError(f"y has {y.shape[1]} columns: MLPClassifier takes one label per sample "
                                 "(multi-output and multi-label targets are not supported)")
            warnings.warn("A column-vector y was passed when a 1d array was expected: it was flattened to one "
                          "label per sample (y.ravel())", DataConversionWarning, stacklevel=3)
            y = y.ravel()
        if np.issubdtype(y.dtype, np.floating) and not np.isfinite(y).all():
            raise ValueError(f"y contains NaN or inf (row {int(np.argwhere(~np.isfinite(y))[0][0])}): "
                             "every sample needs a class label")
        kind = type_of_target(y)
        if kind not in ("binary", "multiclass"):
            raise ValueError(f"Unknown label type: {kind!r} (MLPClassifier needs class labels: integers or "
                             "strings; for a numeric target use MLPRegressor)")
        return y

    def fit(self, X, y):
        """Trains a new model (or, with warm_start, continues the last one) on X and the labels y."""
        self._require_y(y)
        self._check_feature_names(X, reset=True)
        x = check_features(X)
        y = self._labels(check_targets(y, x.shape[0]))
        classes = np.unique(y)
        if self.warm_start and hasattr(self, "_model"):
            unknown = np.setdiff1d(classes, self.classes_)
            if len(unknown):
                raise ValueError(f"warm_start: y has labels the model was not fitted on: "
                                 f"{', '.join(repr(u) for u in unknown[:5])}")
            classes = self.classes_
        if len(classes) < 2:
            raise ValueError(f"y has only one class, {classes[0]!r}: a classifier needs at least two")
        self.n_features_in_ = x.shape[1]
        if not self.warm_start:
            self.__dict__.pop("_model", None)
        self.classes_ = classes
        return self._train(x, *self._encode(y), partial=False, class_names=[str(c) for c in classes])

    def partial_fit(self, X, y, classes=None):
        """One epoch on X, y, continuing the model (the optimizer's state included); the first call
        needs `classes`, every label there will be."""
        self._require_y(y)
        first = not hasattr(self, "_model")
        if first:
            if classes is None:
                raise ValueError("the first call of partial_fit needs classes=, all the labels there will be")
            classes = np.unique(np.asarray(classes))
            if len(classes) < 2:
                raise ValueError(f"classes has only one class, {classes[0]!r}: a classifier needs at least two")
        elif classes is not None and not np.array_equal(np.unique(np.asarray(classes)), self.classes_):
            raise ValueError(f"classes={list(classes)} differs from the classes of the first call, {list(self.classes_)}")
        x = self._check_X(X, reset=first)
        y = self._labels(check_targets(y, x.shape[0]))
        if first:
            self.classes_ = classes
        unknown = np.setdiff1d(np.unique(y), self.classes_)
        if len(unknown):
            raise ValueError(f"y has labels not among classes: {', '.join(repr(u) for u in unknown[:5])}")
        return self._train(x, *self._encode(y), partial=True, class_names=[str(c) for c in self.classes_])

    def _encode(self, y):
        labels = np.searchsorted(self.classes_, y).astype(np.int32)
        onehot = np.zeros((len(y), len(self.classes_)), dtype=np.float32)
        onehot[np.arange(len(y)), labels] = 1
        return onehot, np.ascontiguousarray(labels)

    def predict_proba(self, X):
        """The probability of each class (columns in the order of classes_), one row per sample."""
        return self._outputs(X)

    def predict_log_proba(self, X):
        with np.errstate(divide="ignore"):
            return np.log(self.predict_proba(X))

    def predict(self, X):
        """The most probable class of each sample."""
        self._check_fitted()
        return self.classes_[np.argmax(self._outputs(X), axis=1)]

    def _more_tags(self):
        return {"_xfail_checks": dict(_XFAIL)}


class MLPRegressor(RegressorMixin, _BaseMLP):
    """A multi-layer perceptron regressor trained by nabla: identity outputs, quadratic loss, the
    targets standardised for training and their scale folded back into the output layer.

    Parameters and defaults as MLPClassifier's. y may have several columns (one output each).
    """

    _task = "regression"

    def _targets(self, y, samples):
        return check_numeric_targets(check_targets(y, samples))

    def fit(self, X, y):
        """Trains a new model (or, with warm_start, continues the last one) on X and the targets y."""
        self._require_y(y)
        self._check_feature_names(X, reset=True)
        x = check_features(X)
        y = self._targets(y, x.shape[0])
        self.n_features_in_ = x.shape[1]
        if not self.warm_start:
            self.__dict__.pop("_model", None)
        self.n_outputs_ = y.shape[1]
        return self._train(x, y, np.zeros(0, dtype=np.int32), partial=False, class_names=[])

    def partial_fit(self, X, y):
        """One epoch on X, y, continuing the model (the optimizer's state included)."""
        self._require_y(y)
        first = not hasattr(self, "_model")
        x = self._check_X(X, reset=first)
        y = self._targets(y, x.shape[0])
        if first:
            self.n_outputs_ = y.shape[1]
        elif y.shape[1] != self.n_outputs_:
            raise ValueError(f"y has {y.shape[1]} outputs, but the model was fitted on {self.n_outputs_}")
        return self._train(x, y, np.zeros(0, dtype=np.int32), partial=True, class_names=[])

    def predict(self, X):
        """The predicted targets, in their own units: shape (n,) for one output, (n, outputs) for more."""
        out = self._outputs(X)
        return out.ravel() if out.shape[1] == 1 else out

    def _more_tags(self):
        return {"multioutput": True, "_xfail_checks": dict(_XFAIL)}


def load(path):
    """An estimator for a model file written by nabla.save, an estimator's save or `nabla train --save`:
    an MLPClassifier or MLPRegressor, fitted, ready to predict (and to continue with partial_fit)."""
    path = os.fspath(path)
    if not os.path.exists(path):
        raise FileNotFoundError(f"{path}: no such file")
    model = _nabla.load(path)
    return _estimator_of(model)


def _estimator_of(model):
    layers = list(model.layers)
    cls = MLPClassifier if model.task == "classification" else MLPRegressor
    meta = dict(model.metadata)
    est = cls(hidden_layer_sizes=tuple(layers[1:-1]), activation=model.activation)
    if "batch" in meta and meta["batch"].isdigit() and int(meta["batch"]) > 0:
        est.batch_size = int(meta["batch"])
    est._model = model
    est.n_features_in_ = layers[0]
    names = list(model.feature_names)
    generic = [f"field{i + 1}" for i in range(len(names))]
    if names and names != generic and len(names) == layers[0]:
        est.feature_names_in_ = np.array(names, dtype=object)
    if cls is MLPClassifier:
        classes = list(model.class_names)
        try:
            as_int = [int(c) for c in classes]
            est.classes_ = np.array(as_int) if [str(c) for c in as_int] == classes else np.array(classes, dtype=object)
        except ValueError:
            est.classes_ = np.array(classes, dtype=object)
    else:
        est.n_outputs_ = layers[-1]
    est.loss_curve_ = []
    est.n_iter_ = int(meta["epochs"]) if meta.get("epochs", "").isdigit() else 0
    return est
