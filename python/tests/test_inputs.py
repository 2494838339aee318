"""Inputs of every kind, and the one-line errors bad inputs get."""

import numpy as np
import pytest
import scipy.sparse

import nabla
from nabla._inputs import check_features

SMALL = dict(hidden_layer_sizes=(16,), max_iter=5, threads=1)


def blobs(n=120, seed=0):
    rng = np.random.default_rng(seed)
    y = rng.integers(0, 3, size=n)
    x = rng.normal(size=(n, 4)) + y[:, None] * 2.0
    return x, y


def test_float32_c_contiguous_is_used_without_a_copy():
    x = np.ones((5, 3), dtype=np.float32)
    assert check_features(x) is x


@pytest.mark.parametrize("convert", [
    lambda x: x.astype(np.float64),
    lambda x: np.asfortranarray(x.astype(np.float32)),
    lambda x: np.repeat(x, 2, axis=1)[:, ::2],          # a strided view
    lambda x: (x * 100).astype(np.int64),
    lambda x: (x * 100).astype(np.int32),
    lambda x: x.astype(np.float16),
    lambda x: x.tolist(),
])
def test_any_dtype_and_layout_gives_the_model_of_the_same_values(convert):
    x, y = blobs()
    reference = convert(x)
    as_float32 = np.asarray(reference, dtype=np.float32)
    a = nabla.MLPClassifier(**SMALL).fit(reference, y)
    b = nabla.MLPClassifier(**SMALL).fit(as_float32, y)
    assert np.array_equal(a._model.parameters, b._model.parameters)
    assert np.array_equal(a.predict_proba(reference), b.predict_proba(as_float32))


def test_dataframe_feature_names():
    pd = pytest.importorskip("pandas")
    x, y = blobs()
    frame = pd.DataFrame(x, columns=["a", "b", "c", "d"])
    model = nabla.MLPClassifier(**SMALL).fit(frame, y)
    assert list(model.feature_names_in_) == ["a", "b", "c", "d"]
    assert list(model._model.feature_names) == ["a", "b", "c", "d"]
    with pytest.warns(UserWarning, match="X does not have valid feature names"):
        plain = model.predict(x.astype(np.float32))
    assert np.array_equal(model.predict(frame), plain)
    with pytest.raises(ValueError, match="feature names"):
        model.predict(frame[["b", "a", "c", "d"]])


def test_string_labels():
    x, y = blobs()
    names = np.array(["cat", "dog", "eel"])[y]
    model = nabla.MLPClassifier(**SMALL).fit(x, list(names))
    assert list(model.classes_) == ["cat", "dog", "eel"]
    assert set(model.predict(x)) <= {"cat", "dog", "eel"}


def one_line_error(kind, call, match):
    with pytest.raises(kind, match=match) as e:
        call()
    assert "\n" not in str(e.value), str(e.value)


def test_bad_inputs_get_one_line_messages():
    x, y = blobs()
    c = nabla.MLPClassifier(**SMALL)
    bad = x.copy()
    bad[3, 2] = np.nan
    one_line_error(ValueError, lambda: c.fit(bad, y), r"X contains NaN \(row 3, column 2\)")
    bad[3, 2] = np.inf
    one_line_error(ValueError, lambda: c.fit(bad, y), "X contains inf")
    one_line_error(ValueError, lambda: c.fit(x[:, 0], y), "1-dimensional")
    one_line_error(ValueError, lambda: c.fit(x, y[:-1]), "X has 120 samples but y has 119")
    one_line_error(ValueError, lambda: c.fit(x, np.zeros(len(y))), "only one class")
    one_line_error(ValueError, lambda: c.fit(x, y + 0.5), "Unknown label type")
    one_line_error(ValueError, lambda: c.fit(np.array([["a", "b"]] * 4), [0, 1, 0, 1]), "X holds <U1 values")
    one_line_error(ValueError, lambda: c.fit(x.astype(complex), y), "Complex data not supported")
    one_line_error(ValueError, lambda: c.fit(np.zeros((0, 4)), []), "no samples")
    one_line_error(TypeError, lambda: c.fit(None, y), "X is None")
    one_line_error(TypeError, lambda: c.fit(scipy.sparse.csr_matrix(x), y), "sparse")
    one_line_error(ValueError, lambda: nabla.MLPClassifier(hidden_layer_sizes=(0,)).fit(x, y), "hidden_layer_sizes")
    one_line_error(ValueError, lambda: nabla.MLPClassifier(solver="lbfgs").fit(x, y), "solver must be one of")
    one_line_error(ValueError, lambda: nabla.MLPClassifier(activation="softplus").fit(x, y), "activation")
    one_line_error(ValueError, lambda: nabla.MLPClassifier(learning_rate_init=-1).fit(x, y), "learning_rate_init")
    one_line_error(ValueError, lambda: nabla.MLPClassifier(device="tpu").fit(x, y), "device")
    c.fit(x, y)
    one_line_error(ValueError, lambda: c.predict(x[:, :3]), "X has 3 features, but MLPClassifier is expecting 4")
    r = nabla.MLPRegressor(**SMALL)
    one_line_error(ValueError, lambda: r.fit(x, np.array(["a"] * len(x))), "not numbers")
    one_line_error(ValueError, lambda: r.fit(x, np.full(len(x), np.nan)), "y contains NaN")


def test_huge_values_are_refused_not_overflowed():
    x, y = blobs()
    x[0, 0] = 1e300
    with pytest.raises(ValueError, match="too large for float32"):
        nabla.MLPClassifier(**SMALL).fit(x, y)


def test_verbose_shows_progress(capsys):
    x, y = blobs()
    nabla.MLPClassifier(hidden_layer_sizes=(8,), max_iter=3, verbose=True).fit(x, y)
    out = capsys.readouterr().out
    assert "epoch 1/3  train loss" in out and "epoch 3/3" in out


def test_early_stopping_keeps_the_best_epoch():
    rng = np.random.default_rng(1)
    x = rng.normal(size=(300, 5))
    y = (x[:, 0] + rng.normal(scale=2.0, size=300) > 0).astype(int)  # noisy: overfits quickly
    m = nabla.MLPClassifier(hidden_layer_sizes=(128, 128), max_iter=400, early_stopping=True, n_iter_no_change=5,
                            dropout=0.0, learning_rate_init=0.01).fit(x, y)
    assert m.n_iter_ < 400
    assert len(m.validation_loss_curve_) == m.n_iter_
    assert m.best_epoch_ == 1 + int(np.argmin(m.validation_loss_curve_))


def test_partial_fit_continues_training():
    x, y = blobs(600)
    m = nabla.MLPClassifier(hidden_layer_sizes=(16,))
    m.partial_fit(x, y, classes=[0, 1, 2])
    first = m.loss_curve_[-1]
    for _ in range(10):
        m.partial_fit(x, y)
    assert m.n_iter_ == 11 and m.loss_curve_[-1] < first
    r = nabla.MLPRegressor(hidden_layer_sizes=(16,), learning_rate_init=0.01)
    target = x @ np.array([1.0, -2.0, 0.5, 3.0]) * 100 + 1000
    for _ in range(30):
        r.partial_fit(x, target)
    assert r.score(x, target) > 0.9


def test_regression_predicts_in_the_targets_units():
    rng = np.random.default_rng(2)
    x = rng.normal(size=(500, 3))
    y = 5000 + 800 * x[:, 0] - 300 * x[:, 1]
    m = nabla.MLPRegressor(hidden_layer_sizes=(32,), max_iter=200, dropout=0.0).fit(x, y)
    assert m.predict(x).shape == (500,)
    assert m.score(x, y) > 0.95
    two = nabla.MLPRegressor(hidden_layer_sizes=(32,), max_iter=50).fit(x, np.c_[y, -y])
    assert two.predict(x).shape == (500, 2)


def test_network_for_learners_reports_bad_shapes():
    net = nabla.Network([2, 3, 1])
    with pytest.raises(ValueError, match="backward needs a forward pass first"):
        net.backward([[1.0]])
    with pytest.raises(ValueError, match="x must be n × 2"):
        net.forward(np.ones((4, 3)))
    net.forward(np.ones((4, 2)))
    with pytest.raises(ValueError, match="y must be 4 × 1"):
        net.backward(np.ones((3, 1)))


def test_numpy_keeps_its_blas_threads():
    threadpoolctl = pytest.importorskip("threadpoolctl")

    def blas_threads():
        return [i["num_threads"] for i in threadpoolctl.threadpool_info() if i["user_api"] == "blas"]

    before = blas_threads()
    x, y = blobs()
    nabla.MLPClassifier(**SMALL).fit(x, y).predict(x)
    assert blas_threads() == before


def test_warm_start_continues_the_model():
    x, y = blobs()
    m = nabla.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2, warm_start=True).fit(x, y)
    first = m._model.parameters.copy()
    m.fit(x, y)
    assert m.n_iter_ == 2 and not np.array_equal(first, m._model.parameters)
    cold = nabla.MLPClassifier(hidden_layer_sizes=(8,), max_iter=2).fit(x, y)
    assert np.array_equal(first, cold._model.parameters)
    with pytest.raises(ValueError, match="labels the model was not fitted on: 7"):
        m.fit(x, np.where(y == 2, 7, y))
