#!/usr/bin/python3
"""nabla's Python estimators against scikit-learn's MLPClassifier / MLPRegressor, side by side.

Both train the same architecture (hidden layers 256, 128, ReLU) with Adam (learning rate 1e-3,
batch 128) for the same number of epochs on the same standardised data: nabla's default run
length for the set (10 epochs, or enough for 1000 steps), which scikit-learn is made to run in
full (n_iter_no_change = max_iter). Everything else is each library's default: nabla's cosine
schedule and dropout 0.1 under 10,000 samples, scikit-learn's constant rate and L2 penalty 1e-4.

Data: digits and breast cancer (shipped inside scikit-learn), each split 75/25 with
random_state=0 (stratified), and a synthetic regression set of 200,000 + 50,000 rows, 20 features
(y = sin x₁ + x₂x₃ + 0.5 x₄² − x₅ + 0.3 Σ_{j=6..20} x_j / √15 + noise 0.1). Reported: test accuracy or
RMSE, and training time (fit only) of each, with their ratio: medians over random_state 1, 2, 3
(--seeds). scikit-learn's NumPy keeps its OpenBLAS threads (nabla sets the OpenBLAS it shares with
NumPy to one thread only while it runs, and splits its products across threads of its own).

Run with Debian's Python from the repository root, after building the package:
    PYTHONPATH=build/python /usr/bin/python3 bench/python_vs_sklearn.py [--only NAME] [--seeds N]
"""
import argparse
import platform
import statistics
import time
import warnings

import numpy as np
from sklearn.datasets import load_breast_cancer, load_digits
from sklearn.exceptions import ConvergenceWarning
from sklearn.metrics import accuracy_score, mean_squared_error
from sklearn.model_selection import train_test_split
from sklearn.neural_network import MLPClassifier as SkClassifier
from sklearn.neural_network import MLPRegressor as SkRegressor
from sklearn.preprocessing import StandardScaler

import nabla
from nabla.estimators import default_epochs

HIDDEN = (256, 128)
BATCH = 128


def real(loader):
    x, y = loader(return_X_y=True)
    return train_test_split(x, y, test_size=0.25, random_state=0, stratify=y)


def synthetic(n_train=200_000, n_test=50_000, features=20, seed=0):
    rng = np.random.default_rng(seed)
    x = rng.normal(size=(n_train + n_test, features))
    y = (np.sin(x[:, 0]) + x[:, 1] * x[:, 2] + 0.5 * x[:, 3] ** 2 - x[:, 4]
         + 0.3 * x[:, 5:].sum(axis=1) / np.sqrt(features - 5) + 0.1 * rng.normal(size=len(x)))
    return x[:n_train], x[n_train:], y[:n_train], y[n_train:]


SETS = [
    ("digits", lambda: real(load_digits), "classification"),
    ("breast_cancer", lambda: real(load_breast_cancer), "classification"),
    ("synthetic_200k", synthetic, "regression"),
]


def timed_fit(model, x, y):
    start = time.perf_counter()
    model.fit(x, y)
    return time.perf_counter() - start


def score(task, model, x, y):
    p = model.predict(x)
    return accuracy_score(y, p) if task == "classification" else float(np.sqrt(mean_squared_error(y, p)))


def main():
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--only", help="one data set: " + ", ".join(name for name, _, _ in SETS))
    parser.add_argument("--seeds", type=int, default=3, help="random_state 1 … N; medians are reported")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"nabla {nabla.__version__}, scikit-learn {__import__('sklearn').__version__}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    rows = []
    for name, load, task in SETS:
        if args.only and args.only != name:
            continue
        x_train, x_test, y_train, y_test = load()
        scaler = StandardScaler().fit(x_train)  # scikit-learn's MLP needs standardised features;
        xs_train, xs_test = scaler.transform(x_train), scaler.transform(x_test)  # nabla standardises itself
        epochs = default_epochs(len(x_train), BATCH)
        runs = []
        for seed in range(1, args.seeds + 1):
            common = dict(hidden_layer_sizes=HIDDEN, activation="relu", solver="adam", learning_rate_init=1e-3,
                          batch_size=BATCH, max_iter=epochs, random_state=seed)
            if task == "classification":
                ours, theirs = nabla.MLPClassifier(**common), SkClassifier(**common, n_iter_no_change=epochs)
            else:
                ours, theirs = nabla.MLPRegressor(**common), SkRegressor(**common, n_iter_no_change=epochs)
            t_ours = timed_fit(ours, x_train, y_train)
            t_theirs = timed_fit(theirs, xs_train, y_train)
            s_ours, s_theirs = score(task, ours, x_test, y_test), score(task, theirs, xs_test, y_test)
            runs.append((s_ours, s_theirs, t_ours, t_theirs))
            print(f"{name}, seed {seed}: {epochs} epochs; nabla {s_ours:.4f} in {t_ours:.2f} s, "
                  f"scikit-learn {s_theirs:.4f} in {t_theirs:.2f} s", flush=True)
        medians = [statistics.median(column) for column in zip(*runs)]
        rows.append((name, len(x_train), len(x_test), task, epochs, *medians))

    print()
    print("| data set (train+test) | epochs | metric | nabla | scikit-learn | difference | nabla fit | "
          "scikit-learn fit | speed-up |")
    print("|---|---|---|---|---|---|---|---|---|")
    for name, n_train, n_test, task, epochs, s_ours, s_theirs, t_ours, t_theirs in rows:
        if task == "classification":
            metric, diff = "accuracy", f"{100 * (s_ours - s_theirs):+.2f} points"
        else:
            metric, diff = "RMSE", f"{100 * (s_ours - s_theirs) / s_theirs:+.2f} %"
        print(f"| {name} ({n_train}+{n_test}) | {epochs} | {metric} | {s_ours:.4f} | {s_theirs:.4f} | {diff} | "
              f"{t_ours:.2f} s | {t_theirs:.2f} s | {t_theirs / t_ours:.1f}× |")


if __name__ == "__main__":
    main()
