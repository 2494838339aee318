#!/usr/bin/python3
"""nabla's Python estimators against scikit-learn's MLPClassifier / MLPRegressor, side by side.

Both train the same architecture (hidden layers 256, 128, ReLU) with Adam (learning rate 1e-3,
batch 128) for the same number of epochs on the same standardised data: nabla's default run
length for the set (10 epochs, or enough for 1000 steps), which scikit-learn is made to run in
full (n_iter_no_change = max_iter). Everything else is each library's default: nabla's cosine
schedule, weight decay λ = alpha = 1e-4 and dropout 0.1 under 10,000 samples, scikit-learn's
constant rate and L2 penalty alpha = 1e-4 (its gradient divided by the batch size). nabla runs a
second time with alpha=0, the default of `nabla train`, and with --one-thread a third time on one
thread (threads=1).

Data: digits and breast cancer (shipped inside scikit-learn), each split 75/25 with
random_state=0 (stratified), and a synthetic regression set of 200,000 + 50,000 rows, 20 features
(y = sin x₁ + x₂x₃ + 0.5 x₄² − x₅ + 0.3 Σ_{j=6..20} x_j / √15 + noise 0.1). Reported: test accuracy or
RMSE and training time (fit only): medians over random_state 1 … 5 (--seeds), the learners taking
turns in each round; the speed-up is the median of the rounds' time ratios. scikit-learn's NumPy keeps its OpenBLAS threads (nabla sets the OpenBLAS it shares with
NumPy to one thread only while it runs, and splits its products across threads of its own).

Run with Debian's Python from the repository root, after building the package:
    PYTHONPATH=build/python /usr/bin/python3 bench/python_vs_sklearn.py [--only NAME] [--seeds N] [--one-thread]
"""
import argparse
import os
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
from threadpoolctl import threadpool_info

import nabla
from nabla.estimators import default_epochs

HIDDEN = (256, 128)
BATCH = 128
LEARNERS = ["scikit-learn", "nabla", "nabla alpha=0"]


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
    parser.add_argument("--seeds", type=int, default=5, help="random_state 1 … N; medians are reported")
    parser.add_argument("--one-thread", action="store_true",
                        help="a fourth learner in each round: nabla with its defaults on one thread (threads=1)")
    args = parser.parse_args()
    warnings.simplefilter("ignore", ConvergenceWarning)
    print(f"nabla {nabla.__version__}, scikit-learn {__import__('sklearn').__version__}, "
          f"{platform.processor() or platform.machine()}, Python {platform.python_version()}")
    numpy_blas = [i for i in threadpool_info() if i.get("internal_api") == "openblas"]
    print(f"OpenBLAS kernels: NumPy {numpy_blas[0].get('architecture') if numpy_blas else 'none'}, "
          f"nabla {nabla._nabla.blas_kernel()} (OPENBLAS_CORETYPE={os.environ.get('OPENBLAS_CORETYPE', 'unset')})")
    labels = LEARNERS + (["nabla threads=1"] if args.one_thread else [])
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
            ours, theirs = (nabla.MLPClassifier, SkClassifier) if task == "classification" else (nabla.MLPRegressor,
                                                                                                 SkRegressor)
            learners = [theirs(**common, n_iter_no_change=epochs), ours(**common), ours(**common, alpha=0.0)]
            if args.one_thread:
                learners.append(ours(**common, threads=1))
            run = []
            for learner, (x_fit, x_score) in zip(learners, [(xs_train, xs_test)] + [(x_train, x_test)] * 3):
                seconds = timed_fit(learner, x_fit, y_train)
                run.append((score(task, learner, x_score, y_test), seconds))
            runs.append(run)
            print(f"{name}, seed {seed}, {epochs} epochs: " + "; ".join(
                f"{label} {s:.4f} in {t:.2f} s" for label, (s, t) in zip(labels, run)), flush=True)
        # Scores and times: medians over the rounds; speed-ups: the median of each round's ratio.
        medians = [(statistics.median(r[i][0] for r in runs), statistics.median(r[i][1] for r in runs),
                    statistics.median(r[0][1] / r[i][1] for r in runs)) for i in range(len(labels))]
        rows.append((name, len(x_train), len(x_test), task, epochs, medians))

    print()
    print("| data set (train+test) | epochs | metric | learner | median | against scikit-learn | median fit | "
          "speed-up |")
    print("|---|---|---|---|---|---|---|---|")
    for name, n_train, n_test, task, epochs, medians in rows:
        metric = "accuracy" if task == "classification" else "RMSE"
        base_score = medians[0][0]
        for label, (s, t, ratio) in zip(labels, medians):
            if label == LEARNERS[0]:
                versus, speed = "", ""
            else:
                versus = (f"{100 * (s - base_score):+.2f} points" if task == "classification"
                          else f"{100 * (s - base_score) / base_score:+.2f} %")
                speed = f"{ratio:.1f}×"
            print(f"| {name} ({n_train}+{n_test}) | {epochs} | {metric} | {label} | {s:.4f} | {versus} | "
                  f"{t:.2f} s | {speed} |")

if __name__ == "__main__":
    main()
