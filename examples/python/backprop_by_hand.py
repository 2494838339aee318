#!/usr/bin/env python3
"""Backpropagation by hand, step by step, with nabla.Network (read it like a notebook).

The backpropagation notes (docs/backprop.md) state the algorithm in five equations:

    z^l = W^l a^(l−1) + b^l,   a^l = σ(z^l)                       (forward, l = 1 … F)
    d^F = ∇_a L ⊙ σ'(z^F)                                          (the output error)
    d^l = ((W^(l+1))ᵀ d^(l+1)) ⊙ σ'(z^l)                           (the error, layer by layer back)
    ∂L/∂W^l = d^l (a^(l−1))ᵀ,   ∂L/∂b^l = d^l                      (the gradients)
    L_T = (1/n) Σ L_i                                              (the loss of a batch)

nabla.Network runs the forward and backward passes in nabla's C++ library (in double precision) and
hands back every z, a and d and the gradients. This script checks each equation on the numbers it
gets back, then checks the gradients against finite differences of L_T computed here in NumPy
alone, for three networks. It prints what it checks and exits with status 1 if anything disagrees.

Run from the build tree: PYTHONPATH=build/python python3 examples/python/backprop_by_hand.py
"""

import sys

import numpy as np

import nabla

# σ and the losses, written out in NumPy: the finite differences use nothing from nabla.
SIGMA = {
    "sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "tanh": np.tanh,
    "identity": lambda z: z,
}
SIGMA_PRIME = {
    "sigmoid": lambda z: SIGMA["sigmoid"](z) * (1 - SIGMA["sigmoid"](z)),
    "tanh": lambda z: 1 - np.tanh(z) ** 2,
    "identity": lambda z: np.ones_like(z),
}


def softmax(z):
    e = np.exp(z - z.max(axis=1, keepdims=True))
    return e / e.sum(axis=1, keepdims=True)


def loss_per_sample(loss, a, y):
    if loss == "mse":
        return 0.5 * ((y - a) ** 2).sum(axis=1)
    if loss == "ce":
        return -(y * np.log(a)).sum(axis=1)
    return -(y * np.log(a) + (1 - y) * np.log(1 - a)).sum(axis=1)  # bce


def numpy_forward(W, b, x, hidden, output):
    """a^F of the network with weights W, b: the forward equations, in NumPy."""
    a = x
    for l in range(1, len(W)):
        z = a @ W[l].T + b[l]
        kind = hidden if l < len(W) - 1 else output
        a = softmax(z) if kind == "softmax" else SIGMA[kind](z)
    return a


def numpy_loss(W, b, x, y, hidden, output, loss):
    """L_T = (1/n) Σ L_i."""
    return loss_per_sample(loss, numpy_forward(W, b, x, hidden, output), y).mean()


failures = []


def check(what, got, expected, tolerance):
    # Relative to the largest value compared, so that entries near zero do not inflate it.
    got, expected = np.asarray(got, dtype=np.float64), np.asarray(expected, dtype=np.float64)
    error = np.max(np.abs(got - expected)) / max(np.max(np.abs(expected)), 1e-300)
    ok = error <= tolerance
    print(f"  {'ok  ' if ok else 'FAIL'} {what}: largest relative difference {error:.1e} (allowed {tolerance:.0e})")
    if not ok:
        failures.append(what)


def follow(layers, hidden, loss, output, targets):
    print(f"\nnetwork {'-'.join(map(str, layers))}, hidden σ = {hidden}, output σ = {output}, loss {loss}")
    rng = np.random.default_rng(7)
    n = 5
    x = rng.normal(size=(n, layers[0]))
    y = targets(rng, n, layers[-1])
    net = nabla.Network(layers, activation=hidden, loss=loss,
                        output_activation=None if output == "softmax" else output, seed=3)
    W, b = net.W, net.b
    F = len(layers) - 1

    # The forward pass: z^l = W^l a^(l−1) + b^l and a^l = σ(z^l), one sample per row.
    fwd = net.forward(x)
    for l in range(1, F + 1):
        check(f"z^{l} = W^{l} a^{l - 1} + b^{l}", fwd.z[l], fwd.a[l - 1] @ W[l].T + b[l], 1e-12)
        kind = hidden if l < F else output
        check(f"a^{l} = σ(z^{l})", fwd.a[l], softmax(fwd.z[l]) if kind == "softmax" else SIGMA[kind](fwd.z[l]), 1e-12)

    # The backward pass.
    bwd = net.backward(y)
    check("L_T = (1/n) Σ L_i", bwd.loss, loss_per_sample(loss, fwd.a[F], y).mean(), 1e-12)
    # d^F = ∇_a L ⊙ σ'(z^F); with softmax + cross-entropy or sigmoid + binary cross-entropy the two
    # factors cancel to a^F − y.
    if loss == "mse":
        expected_dF = (fwd.a[F] - y) * SIGMA_PRIME[output](fwd.z[F])
    else:
        expected_dF = fwd.a[F] - y
    check(f"d^{F} = ∇_a L ⊙ σ'(z^{F})", bwd.d[F], expected_dF, 1e-10)
    for l in range(F - 1, 0, -1):
        check(f"d^{l} = ((W^{l + 1})ᵀ d^{l + 1}) ⊙ σ'(z^{l})", bwd.d[l],
              (bwd.d[l + 1] @ W[l + 1]) * SIGMA_PRIME[hidden](fwd.z[l]), 1e-10)
    for l in range(1, F + 1):
        # Per sample ∂L_i/∂W^l = d_i^l (a_i^(l−1))ᵀ; the batch's gradient is their mean.
        check(f"∂L_T/∂W^{l} = mean of d^{l} (a^{l - 1})ᵀ", bwd.dW[l], bwd.d[l].T @ fwd.a[l - 1] / n, 1e-10)
        check(f"∂L_T/∂b^{l} = mean of d^{l}", bwd.db[l], bwd.d[l].mean(axis=0), 1e-10)

    # Finite differences of L_T, in NumPy alone: (L_T(θ + h) − L_T(θ − h)) / 2h, parameter by parameter.
    h = 1e-6
    for l in range(1, F + 1):
        for name, params, grads in (("W", W, bwd.dW), ("b", b, bwd.db)):
            numeric = np.zeros_like(params[l])
            for index in np.ndindex(params[l].shape):
                saved = params[l][index]
                params[l][index] = saved + h
                up = numpy_loss(W, b, x, y, hidden, output, loss)
                params[l][index] = saved - h
                down = numpy_loss(W, b, x, y, hidden, output, loss)
                params[l][index] = saved
                numeric[index] = (up - down) / (2 * h)
            check(f"∂L_T/∂{name}^{l} against finite differences", grads[l], numeric, 1e-6)


def one_hot(rng, n, k):
    return np.eye(k)[rng.integers(0, k, size=n)]


follow([3, 4, 2], "sigmoid", "mse", "sigmoid", lambda rng, n, k: rng.uniform(size=(n, k)))
follow([4, 5, 3, 3], "tanh", "ce", "softmax", one_hot)
follow([3, 4, 1], "tanh", "bce", "sigmoid", lambda rng, n, k: rng.integers(0, 2, size=(n, k)).astype(float))

if failures:
    print(f"\n{len(failures)} checks failed: {'; '.join(failures)}")
    sys.exit(1)
print("\nevery equation holds, and every gradient matches its finite difference")
