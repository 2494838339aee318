#!/usr/bin/env python3
"""Times PyTorch training steps on the GPU the way `nabla bench --device cuda` times nabla's, so the
two can be compared: the same network (784-256-128-10, ReLU, softmax cross-entropy, plain SGD at
learning rate 1e-3), a pool of synthetic batches already on the device (8, at most 2^19 samples),
a warm-up, then steps timed in windows of about a millisecond and the median window's time per
step. Each step runs eagerly, or captured once into a CUDA graph and replayed (the batch is copied
into the graph's input first, as nabla's step gathers its batch from the pool).

Precisions as nabla's: fp32 (TF32 off), tf32 (TF32 matrix products), bf16 (autocast to bfloat16
over fp32 parameters). Prints one JSON object per line and configuration.
"""
import argparse
import json
import statistics
import time

import torch
from torch import nn

POOL_BATCHES, POOL_SAMPLES = 8, 1 << 19


def parse_args():
    p = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    p.add_argument("--layers", default="784,256,128,10")
    p.add_argument("--batches", default="128,1024,16384,262144", help="comma-separated batch sizes")
    p.add_argument("--precisions", default="fp32,tf32,bf16", help="comma-separated: fp32, tf32, bf16")
    p.add_argument("--modes", default="eager,graph", help="comma-separated: eager, graph")
    p.add_argument("--seconds", type=float, default=2.0, help="timing window of each configuration")
    return p.parse_args()


def build_model(widths):
    layers = []
    for i, (n_in, n_out) in enumerate(zip(widths, widths[1:])):
        layers.append(nn.Linear(n_in, n_out))
        if i < len(widths) - 2:
            layers.append(nn.ReLU())
    return nn.Sequential(*layers).cuda()


def synthetic_pool(widths, batch):
    batches = max(1, min(POOL_BATCHES, POOL_SAMPLES // batch))
    x = torch.randn(batches, batch, widths[0], device="cuda")
    y = torch.randint(widths[-1], (batches, batch), device="cuda")
    return x, y


def eager_step(model, optimizer, loss_fn, autocast):
    def step(x, y):
        optimizer.zero_grad(set_to_none=True)
        with autocast():
            loss = loss_fn(model(x), y)
        loss.backward()
        optimizer.step()
    return step


def graph_step(model, optimizer, loss_fn, autocast, x0, y0):
    """The whole step captured once, after a few eager steps on a side stream (PyTorch's recipe)."""
    static_x, static_y = x0.clone(), y0.clone()
    warm = eager_step(model, optimizer, loss_fn, autocast)
    side = torch.cuda.Stream()
    side.wait_stream(torch.cuda.current_stream())
    with torch.cuda.stream(side):
        for _ in range(3):
            warm(static_x, static_y)
    torch.cuda.current_stream().wait_stream(side)
    graph = torch.cuda.CUDAGraph()
    optimizer.zero_grad(set_to_none=True)
    with torch.cuda.graph(graph):
        with autocast():
            loss = loss_fn(model(static_x), static_y)
        loss.backward()
        optimizer.step()

    def step(x, y):
        static_x.copy_(x)
        static_y.copy_(y)
        graph.replay()
    return step


def median_step_seconds(step, x, y, seconds):
    """Warm-up (a quarter of the window, at most 0.5 s, at least 3 steps), then windows of about a
    millisecond of steps, each waited for, until the window is over (at least 5 windows)."""
    batches = x.shape[0]
    i = 0

    def run(count):
        nonlocal i
        for _ in range(count):
            step(x[i % batches], y[i % batches])
            i += 1
        torch.cuda.synchronize()

    start = time.perf_counter()
    warmup = 0
    while time.perf_counter() < start + min(0.5, seconds / 4) or warmup < 3:
        run(1)
        warmup += 1
    window = max(1, int(1e-3 / ((time.perf_counter() - start) / warmup)))
    times = []
    t = begin = time.perf_counter()
    while t < begin + seconds or len(times) < 5:
        run(window)
        now = time.perf_counter()
        times.append((now - t) / window)
        t = now
    return statistics.median(times), len(times) * window


def measure(widths, batch, precision, mode, seconds):
    torch.manual_seed(1)
    torch.backends.cuda.matmul.allow_tf32 = precision == "tf32"
    model = build_model(widths)
    optimizer = torch.optim.SGD(model.parameters(), lr=1e-3)
    loss_fn = nn.CrossEntropyLoss()

    def autocast():
        return torch.autocast("cuda", dtype=torch.bfloat16, enabled=precision == "bf16", cache_enabled=False)

    x, y = synthetic_pool(widths, batch)
    step = (graph_step(model, optimizer, loss_fn, autocast, x[0], y[0]) if mode == "graph"
            else eager_step(model, optimizer, loss_fn, autocast))
    median, steps = median_step_seconds(step, x, y, seconds)
    del x, y
    return {"contender": "torch-" + mode, "precision": precision, "batch": batch,
            "samples_per_s": batch / median, "median_step_ms": median * 1e3, "steps": steps,
            "torch_version": torch.__version__, "gpu": torch.cuda.get_device_name()}


def main():
    args = parse_args()
    if not torch.cuda.is_available():
        raise SystemExit("torch_gpu_bench.py: PyTorch finds no CUDA device")
    widths = [int(w) for w in args.layers.split(",")]
    for batch in (int(b) for b in args.batches.split(",")):
        for precision in args.precisions.split(","):
            for mode in args.modes.split(","):
                print(json.dumps(measure(widths, batch, precision, mode, args.seconds)), flush=True)
                torch.cuda.empty_cache()


if __name__ == "__main__":
    main()
