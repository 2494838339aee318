"""Checks that nabla models hold the same parameters: each model is exported to ONNX (`nabla
export`, whose initializers are the weights and biases, the preprocessing folded into the first
layer's), and every value must match the first model's within a relative tolerance:
|a − b| ≤ tolerance · max(1, |b|).

Usage: python3 same_weights.py NABLA TOLERANCE REFERENCE.nabla OTHER.nabla...
Exits 77 when the onnx or numpy module is missing (Debian: python3-onnx, python3-numpy).
"""
import os
import subprocess
import sys
import tempfile

try:
    import numpy as np
    import onnx
    from onnx import numpy_helper
except ImportError as missing:
    print(f"SKIP: {missing}; install python3-onnx and python3-numpy to compare weights")
    sys.exit(77)


def parameters(nabla, model, scratch):
    path = os.path.join(scratch, os.path.basename(model) + ".onnx")
    subprocess.run([nabla, "export", "--model", model, "--onnx", path], check=True, stdout=subprocess.DEVNULL)
    return {t.name: numpy_helper.to_array(t).astype(np.float64) for t in onnx.load(path).graph.initializer}


def main():
    nabla, tolerance, reference, others = sys.argv[1], float(sys.argv[2]), sys.argv[3], sys.argv[4:]
    with tempfile.TemporaryDirectory() as scratch:
        expected = parameters(nabla, reference, scratch)
        for other in others:
            found = parameters(nabla, other, scratch)
            assert found.keys() == expected.keys(), f"{other}: tensors {sorted(found)} != {sorted(expected)}"
            worst = max(np.max(np.abs(found[n] - expected[n]) / np.maximum(1, np.abs(expected[n]))) for n in expected)
            print(f"{other}: largest relative difference from {reference}: {worst:.2e}")
            if not worst <= tolerance:
                sys.exit(f"{other}: parameters differ from {reference} by {worst:.2e} (tolerance {tolerance:g})")


if __name__ == "__main__":
    main()
