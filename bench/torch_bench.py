#!/usr/bin/python3
"""Times PyTorch training steps (or forward passes) the way `nabla bench` times nabla's, so the two
can be compared: the same network, flags and synthetic in-memory data; a warm-up, then the median
step time over the timing window. Prints one JSON object with "samples_per_s".

Run with /usr/bin/python3 (Debian's python3-torch). Thread settings that must be fixed before
torch loads (OMP_WAIT_POLICY, OPENBLAS_CORETYPE) come from the environment; bench/compare.py sets
them.
"""
import argparse
import ctypes
import json
import statistics
import time

import torch
from torch import nn

ACTIVATIONS = {"relu": nn.ReLU, "sigmoid": nn.Sigmoid, "tanh": nn.Tanh, "identity": None}
POOL = 8  # distinct batches, cycled, as nabla bench does


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layers", default="784,256,128,10")
    p.add_argument("--activation", default="relu", choices=sorted(ACTIVATIONS))
    p.add_argument("--loss", default="ce", choices=["ce", "mse"])
    p.add_argument("--output-activation", choices=sorted(ACTIVATIONS),
                   help="mse only (default identity, as in nabla); ce always ends in softmax")
    p.add_argument("--optimizer", default="sgd", choices=["sgd"], help="plain SGD, the one compared")
    p.add_argument("--batch", type=int, default=128)
    p.add_argument("--seconds", type=float, default=2.0)
    p.add_argument("--threads", type=int, default=1)
    p.add_argument("--inference", action="store_true", help="time forward passes only")
    args = p.parse_args()
    if args.loss == "ce" and args.output_activation not in (None, "softmax"):
        p.error("--loss ce ends in softmax (inside CrossEntropyLoss)")
    return args


def build_model(widths, hidden, output):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(n_in, n_out))
        activation = output if i == len(widths) - 2 else hidden
        if activation is not None:
            layers.append(activation())
    return nn.Sequential(*layers)


def make_batches(args, widths):
    """Inputs ~ N(0, 1); targets: class indices for CE, one-hot rows for MSE."""
    x = torch.randn(POOL, args.batch, widths[0])
    labels = torch.randint(widths[-1], (POOL, args.batch))
    y = labels if args.loss == "ce" else nn.functional.one_hot(labels, widths[-1]).float()
    return x, y


def median_step_seconds(step, seconds):
    """Warm-up (a quarter of the window, at most 0.5 s, and at least 3 steps), then the median of
    the per-step times over the window (at least 5 steps)."""
    i = 0
    warmup_end = time.perf_counter() + min(0.5, seconds / 4)
    while time.perf_counter() < warmup_end or i < 3:
        step(i)
        i += 1
    times = []
    t = start = time.perf_counter()
    while t < start + seconds or len(times) < 5:
        step(i)
        i += 1
        now = time.perf_counter()
        times.append(now - t)
        t = now
    return statistics.median(times), len(times)


def openblas_core():
    """The OpenBLAS kernel family torch's BLAS calls run on (None if torch uses another BLAS)."""
    try:
        lib = ctypes.CDLL("libopenblas.so.0")
    except OSError:
        return None
    lib.openblas_get_corename.restype = ctypes.c_char_p
    return lib.openblas_get_corename().decode()


def main():
    args = parse_args()
    torch.set_num_threads(args.threads)
    torch.manual_seed(1)
    widths = [int(w) for w in args.layers.split(",")]
    output = ACTIVATIONS[args.output_activation or "identity"] if args.loss == "mse" else None
    model = build_model(widths, ACTIVATIONS[args.activation], output)
    x, y = make_batches(args, widths)

    if args.inference:
        model.eval()

        def step(i):
            model(x[i % POOL])
    else:
        loss_fn = nn.CrossEntropyLoss() if args.loss == "ce" else nn.MSELoss()
        optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)

        def step(i):
            optimizer.zero_grad(set_to_none=True)  # no memset of the old gradients
            loss_fn(model(x[i % POOL]), y[i % POOL]).backward()
            optimizer.step()

    with torch.inference_mode(args.inference):
        median, steps = median_step_seconds(step, args.seconds)
    print(json.dumps({
        "samples_per_s": args.batch / median,
        "median_step_ms": median * 1e3,
        "steps": steps,
        "threads": torch.get_num_threads(),
        "mode": "inference" if args.inference else "train",
        "torch_version": torch.__version__,
        "openblas_core": openblas_core(),
    }))


if __name__ == "__main__":
    main()
