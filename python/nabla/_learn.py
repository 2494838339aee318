"""nabla.Network: backpropagation as docs/backprop.md writes it, one pass at a time, in float64.

Layers are numbered as in the backpropagation notes: a^0 is the input, layers 1 … F have weights
W^l (out × in) and biases b^l. Every list this module returns is indexed by that number, so entry 0
of z, d, dW and db is None (the input layer has none). Arrays hold one sample per row: z[l] is
n × width, row i being z^l of sample i (the notes' column vectors, transposed).
"""

import numpy as np

from . import _nabla
from ._inputs import blas_of_nabla, check_positive_int


class Forward:
    """The forward pass of a batch: z[l] = a[l−1] W^lᵀ + b^l and a[l] = σ(z[l]), for l = 1 … F."""

    def __init__(self, z, a):
        self.z = z  #: z[l], l = 1 … F (z[0] is None)
        self.a = a  #: a[l], l = 0 … F (a[0] is the input)

    @property
    def output(self):
        """a^F, the network's output."""
        return self.a[-1]


class Backward:
    """The backward pass: the loss L_T = (1/n) Σ L_i, the errors d[l] = ∂L_i/∂z^l of every sample,
    and the gradients of L_T, dW[l] = (1/n) Σ_i d_i^l (a_i^(l−1))ᵀ and db[l] = (1/n) Σ_i d_i^l."""

    def __init__(self, loss, d, dW, db):
        self.loss = loss  #: L_T
        self.d = d        #: d[l], n × width (d[0] is None)
        self.dW = dW      #: ∂L_T/∂W^l, out × in (dW[0] is None)
        self.db = db      #: ∂L_T/∂b^l (db[0] is None)


class Network:
    """A fully-connected network in double precision, for following backpropagation by hand.

    layers: the widths, input first (e.g. [2, 3, 1]); activation: σ of the hidden layers ('sigmoid',
    'tanh', 'relu', 'leaky_relu', 'identity'); loss: 'mse' (½‖y − a‖²), 'ce' (softmax outputs) or
    'bce' (sigmoid outputs); output_activation: σ of layer F (None: the one the loss goes with,
    identity for mse); seed: the initial weights.
    """

    def __init__(self, layers, activation="sigmoid", loss="mse", output_activation=None, seed=1):
        widths = [check_positive_int(w, "layers") for w in layers]
        if len(widths) < 2:
            raise ValueError(f"layers needs at least two widths (input and output), got {list(layers)}")
        self._core = _nabla.NetworkCore(widths, activation, loss, output_activation or "", int(seed))
        self.layers = widths
        self._x = None

    @property
    def W(self):
        """[None, W^1, …, W^F]: copies of the weights, W^l of shape out × in."""
        return [None] + list(self._core.weights())

    @property
    def b(self):
        """[None, b^1, …, b^F]: copies of the biases."""
        return [None] + list(self._core.biases())

    def set_W(self, l, value):
        """Sets W^l (1 ≤ l ≤ F) to value, an out × in array."""
        self._core.set_parameter(self._layer(l), False, np.asarray(value, dtype=np.float64))

    def set_b(self, l, value):
        """Sets b^l (1 ≤ l ≤ F)."""
        self._core.set_parameter(self._layer(l), True, np.asarray(value, dtype=np.float64))

    def _layer(self, l):
        if not 1 <= l < len(self.layers):
            raise ValueError(f"layer {l} does not exist: layers are 1 … {len(self.layers) - 1}")
        return l - 1

    def forward(self, x):
        """Runs the forward pass on x (n × inputs, or one sample as a vector) and returns a Forward."""
        x = np.asarray(x, dtype=np.float64)
        if x.ndim == 1:
            x = x.reshape(1, -1)
        x = np.ascontiguousarray(x)
        with blas_of_nabla():
            a = [x] + list(self._core.forward(x))
        W, b = self.W, self.b
        z = [None] + [a[l - 1] @ W[l].T + b[l] for l in range(1, len(a))]
        self._x = x
        return Forward(z, a)

    def backward(self, y):
        """Backpropagates the targets y (n × outputs, or a vector for one sample) through the last
        forward pass and returns a Backward."""
        if self._x is None:
            raise ValueError("backward needs a forward pass first")
        y = np.asarray(y, dtype=np.float64)
        if y.ndim == 1:
            y = y.reshape(self._x.shape[0], -1)
        with blas_of_nabla():
            loss, d, dW, db = self._core.backward(np.ascontiguousarray(y))
        return Backward(loss, [None] + list(d), [None] + list(dW), [None] + list(db))
