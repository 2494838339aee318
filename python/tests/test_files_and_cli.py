"""Model files in both directions with the `nabla` program, pickling, the same bits from Python and the
CLI, Ctrl-C during fit, and the backpropagation example."""

import csv
import os
import pickle
import signal
import subprocess
import sys
import threading
import time

import numpy as np
import pytest

import nabla

HERE = os.path.dirname(os.path.abspath(__file__))
EXAMPLE = os.path.join(HERE, "..", "..", "examples", "python", "backprop_by_hand.py")


def write_csv(path, x, y):
    with open(path, "w", newline="") as f:
        w = csv.writer(f)
        w.writerow([f"f{j + 1}" for j in range(x.shape[1])] + ["target"])
        for row, t in zip(x, y):
            # 9 significant digits read back as the same float32
            w.writerow([f"{v:.9g}" for v in row] + [t if isinstance(t, (int, np.integer)) else f"{t:.9g}"])


def dataset(task, n=700, features=6, seed=3):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n, features)).astype(np.float32)
    if task == "classification":
        y = (np.argmax(x[:, :3] + 0.3 * rng.normal(size=(n, 3)), axis=1)).astype(int)
    else:
        y = (300 * x[:, 0] - 120 * x[:, 1] * x[:, 2] + 40 * rng.normal(size=n) + 2000).astype(np.float32)
    return x, y


def openblas_kernel():
    """The kernel family nabla's OpenBLAS runs on in this process, as OPENBLAS_CORETYPE names it, so
    that the CLI can be run on the same kernels."""
    return nabla._nabla.blas_kernel()


def run(cli, *args, env=None):
    result = subprocess.run([cli, *args], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stderr
    return result.stdout


@pytest.mark.parametrize("task,dropout,hidden", [("classification", "0", "32,16"), ("classification", "0.1", "32,16"),
                                                 ("regression", "0", "32,16"), ("regression", "0.2", "32,16"),
                                                 ("classification", "0", "256,128"), ("regression", "0.1", "256,128")])
def test_python_and_cli_train_bitwise_identical_parameters(cli, tmp_path, task, dropout, hidden):
    x, y = dataset(task)
    data = tmp_path / "train.csv"
    write_csv(data, x, y)
    saved = tmp_path / "cli.nabla"
    run(cli, "train", "--data", str(data), "--task", task, "--hidden", hidden, "--activation", "tanh",
        "--epochs", "4", "--batch", "50", "--seed", "9", "--dropout", dropout, "--lr", "0.002",
        "--weight-decay", "0.0001", "--threads", "2", "--quiet", "--save", str(saved),
        env=dict(os.environ, OPENBLAS_CORETYPE=openblas_kernel()))  # the same bits need the same kernels
    cls = nabla.MLPClassifier if task == "classification" else nabla.MLPRegressor
    py = cls(hidden_layer_sizes=tuple(int(w) for w in hidden.split(",")), activation="tanh", max_iter=4, batch_size=50, random_state=9,
             dropout=float(dropout), learning_rate_init=0.002, alpha=0.0001, threads=1).fit(x, y)
    from_cli = nabla.load(saved)
    a, b = py._model.parameters, from_cli._model.parameters
    assert a.dtype == np.float32 and a.shape == b.shape
    assert np.array_equal(a.view(np.uint32), b.view(np.uint32)), f"{np.sum(a != b)} of {a.size} parameters differ"


def test_cli_model_loads_in_python_and_predicts_like_nabla_predict(cli, tmp_path):
    x, y = dataset("classification")
    data = tmp_path / "train.csv"
    write_csv(data, x, y)
    saved = tmp_path / "cli.nabla"
    run(cli, "train", "--data", str(data), "--hidden", "16", "--epochs", "40", "--quiet", "--save", str(saved))
    model = nabla.load(saved)
    assert isinstance(model, nabla.MLPClassifier)
    assert list(model.classes_) == [0, 1, 2] and model.n_features_in_ == 6
    assert list(model.feature_names_in_) == [f"f{j + 1}" for j in range(6)]
    out = tmp_path / "pred.csv"
    run(cli, "predict", "--model", str(saved), "--data", str(data), "--output", str(out))
    with open(out) as f:
        rows = list(csv.reader(f))
    cli_classes = [int(r[0]) for r in rows[1:]]
    frame = __import__("pandas").DataFrame(x, columns=model.feature_names_in_)  # the names it was trained with
    assert np.array_equal(model.predict(frame), cli_classes)
    assert model.score(frame, y) > 0.6


def test_python_model_runs_in_nabla_predict_and_eval(cli, tmp_path):
    for task in ("classification", "regression"):
        x, y = dataset(task)
        cls = nabla.MLPClassifier if task == "classification" else nabla.MLPRegressor
        model = cls(hidden_layer_sizes=(16,), max_iter=5).fit(x, y)
        saved = tmp_path / f"{task}.nabla"
        nabla.save(model, saved)
        data = tmp_path / f"{task}.csv"
        write_csv(data, x, y)
        out = tmp_path / f"{task}-pred.csv"
        run(cli, "predict", "--model", str(saved), "--data", str(data), "--output", str(out))
        with open(out) as f:
            rows = list(csv.reader(f))
        first = np.array([r[0] for r in rows[1:]])
        if task == "classification":
            assert np.array_equal(first.astype(int), model.predict(x))
        else:
            np.testing.assert_allclose(first.astype(np.float64), model.predict(x), rtol=1e-5)
        assert "samples" in run(cli, "eval", "--model", str(saved), "--data", str(data))
        again = nabla.load(saved)
        assert type(again) is cls
        assert np.array_equal(again.predict(x), model.predict(x))


def test_pickle_round_trip(tmp_path):
    x, y = dataset("classification")
    model = nabla.MLPClassifier(hidden_layer_sizes=(16,), max_iter=3).fit(x, y)
    copy = pickle.loads(pickle.dumps(model))
    assert np.array_equal(copy.predict_proba(x), model.predict_proba(x))
    assert copy.get_params() == model.get_params()
    assert copy.loss_curve_ == model.loss_curve_
    copy.partial_fit(x, y)  # a loaded model keeps training
    unfitted = pickle.loads(pickle.dumps(nabla.MLPRegressor(alpha=0.5)))
    assert unfitted.alpha == 0.5 and not hasattr(unfitted, "_model")


def test_load_errors(tmp_path):
    with pytest.raises(FileNotFoundError, match="no such file"):
        nabla.load(tmp_path / "missing.nabla")
    junk = tmp_path / "junk.nabla"
    junk.write_bytes(b"not a model at all")
    with pytest.raises(ValueError) as e:
        nabla.load(junk)
    assert "junk.nabla" in str(e.value) and "\n" not in str(e.value)


def test_ctrl_c_interrupts_fit_cleanly():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 50)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    model = nabla.MLPClassifier(max_iter=1500)  # 30M samples: far longer than the test may take
    # Ctrl-C every half second from another thread until fit stops, so that the test does not
    # depend on one signal's timing; the handler raises KeyboardInterrupt once, as Python's would,
    # and ignores the signals that may still come while the sender stops.
    raised = threading.Event()

    def on_sigint(signum, frame):
        if not raised.is_set():
            raised.set()
            raise KeyboardInterrupt

    stop = threading.Event()

    def send():
        while not stop.wait(0.5):
            os.kill(os.getpid(), signal.SIGINT)

    previous = signal.signal(signal.SIGINT, on_sigint)
    sender = threading.Thread(target=send)
    started = time.monotonic()
    try:
        sender.start()
        with pytest.raises(KeyboardInterrupt):
            model.fit(x, y)
    finally:
        stop.set()
        sender.join()
        signal.signal(signal.SIGINT, previous)
    assert time.monotonic() - started < 5  # stopped within the fit, not after it
    assert not hasattr(model, "_model")
    model.set_params(max_iter=1, hidden_layer_sizes=(8,)).fit(x[:500], y[:500])  # still usable
    assert model.n_iter_ == 1


OWN_KERNELS = """
import ctypes, hashlib, os, sys
import numpy as np
import nabla
if len(sys.argv) > 1:
    os.environ["OPENBLAS_CORETYPE"] = sys.argv[1]  # after NumPy opened OpenBLAS with other kernels
rng = np.random.default_rng(0)
x = rng.normal(size=(300, 8))
model = nabla.MLPClassifier(hidden_layer_sizes=(64, 32), max_iter=2, threads=1).fit(x, x[:, 0] > 0)
numpy_blas = ctypes.CDLL("libopenblas.so.0", mode=os.RTLD_NOLOAD | os.RTLD_LAZY)
numpy_blas.openblas_get_corename.restype = ctypes.c_char_p
a = rng.normal(size=(64, 64))
assert np.allclose(a @ np.eye(64), a)  # NumPy's products still run
print(nabla._nabla.blas_kernel(), numpy_blas.openblas_get_corename().decode(),
      hashlib.sha256(model._model.parameters.tobytes()).hexdigest())
"""


def has_avx512():
    try:
        with open("/proc/cpuinfo") as f:
            flags = next((line.split() for line in f if line.startswith("flags")), [])
    except OSError:
        return False
    return {"avx512f", "avx512bw", "avx512vl"} <= set(flags)


@pytest.mark.skipif(not has_avx512(), reason="needs a CPU that runs both the Haswell and the SkylakeX kernels")
def test_nabla_computes_on_its_own_kernels_when_numpy_opened_others():
    """NumPy opens OpenBLAS with the Haswell kernels; nabla, asked for SkylakeX afterwards, opens an
    instance of its own and trains as a process that had SkylakeX from the start."""
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))

    def run_script(coretype, *args):
        result = subprocess.run([sys.executable, "-c", OWN_KERNELS, *args], capture_output=True, text=True,
                                env=dict(env, OPENBLAS_CORETYPE=coretype))
        assert result.returncode == 0, result.stderr
        return result.stdout.split()

    own, numpys, mixed = run_script("Haswell", "SkylakeX")
    assert (own.lower(), numpys.lower()) == ("skylakex", "haswell")
    assert run_script("SkylakeX")[2] == mixed
    assert run_script("Haswell")[2] != mixed  # the kernels do change the bits: the check above means something


def test_backprop_by_hand_example_passes():
    env = dict(os.environ, PYTHONPATH=os.pathsep.join(p for p in sys.path if p))
    result = subprocess.run([sys.executable, EXAMPLE], capture_output=True, text=True, env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "FAIL" not in result.stdout and "finite differences" in result.stdout


def test_fit_releases_the_gil():
    rng = np.random.default_rng(0)
    x = rng.normal(size=(20000, 50)).astype(np.float32)
    y = (x[:, 0] > 0).astype(int)
    counted = [0]
    done = threading.Event()

    def count():
        while not done.is_set():
            counted[0] += 1

    counter = threading.Thread(target=count)
    counter.start()
    try:
        started = time.monotonic()
        nabla.MLPClassifier(max_iter=1).fit(x, y)
        seconds = time.monotonic() - started
    finally:
        done.set()
        counter.join()
    # A Python thread runs all along: with the GIL held by fit it would barely count at all.
    assert counted[0] > 20000 * seconds, (counted[0], seconds)
