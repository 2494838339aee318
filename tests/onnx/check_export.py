"""Checks `nabla export`: each ONNX file passes onnx.checker's full check and, evaluated by a small
NumPy interpreter of the operators nabla emits, gives what `nabla predict` gives (max abs difference
at most 1e-5), on Fashion-MNIST test images and on CSV models covering every activation.

Usage: /usr/bin/python3 check_export.py NABLA_PROGRAM SCRATCH_DIR
Exits 77 (ctest's SKIP_RETURN_CODE) when the onnx or numpy module is missing.
"""
import csv
import gzip
import os
import shutil
import subprocess
import sys

try:
    import numpy as np
    import onnx
    from onnx import helper, numpy_helper
except ImportError as missing:
    print(f"SKIP: {missing}; install python3-onnx and python3-numpy (Debian) to check ONNX export")
    sys.exit(77)

TOLERANCE = 1e-5
FASHION_ROWS = 1000


def gemm(a, b, c, transB=0):
    return a @ (b.T if transB else b) + c


def softmax(z, axis):
    e = np.exp(z - z.max(axis=axis, keepdims=True))
    return e / e.sum(axis=axis, keepdims=True)


# The operators nabla emits, with exactly the attributes it sets (any other is a TypeError).
OPERATORS = {
    "Gemm": gemm,
    "Sigmoid": lambda z: 1 / (1 + np.exp(-z)),
    "Tanh": np.tanh,
    "Relu": lambda z: np.maximum(z, 0),
    "LeakyRelu": lambda z, alpha: np.where(z > 0, z, alpha * z),
    "Softmax": softmax,
}


def evaluate(model, x):
    """Runs the graph on x in float64, node by node."""
    values = {t.name: numpy_helper.to_array(t).astype(np.float64) for t in model.graph.initializer}
    values[model.graph.input[0].name] = x.astype(np.float64)
    for node in model.graph.node:
        attributes = {a.name: helper.get_attribute_value(a) for a in node.attribute}
        values[node.output[0]] = OPERATORS[node.op_type](*(values[i] for i in node.input), **attributes)
    return values[model.graph.output[0].name]


def check_structure(model, features, outputs):
    assert model.ir_version == 7, model.ir_version
    assert model.producer_name == "nabla", model.producer_name
    assert [(o.domain, o.version) for o in model.opset_import] == [("", 13)], model.opset_import
    assert [i.name for i in model.graph.input] == ["input"]
    assert [o.name for o in model.graph.output] == ["output"]
    for value, width in ((model.graph.input[0], features), (model.graph.output[0], outputs)):
        dims = value.type.tensor_type.shape.dim
        assert value.type.tensor_type.elem_type == onnx.TensorProto.FLOAT
        assert [dims[0].dim_param, dims[1].dim_value] == ["N", width], dims


def nabla(program, *args):
    subprocess.run([program, *args], check=True, stdout=subprocess.DEVNULL)


def predictions(path):
    """a^F as `nabla predict` wrote it: the p_* columns (classification) or every column (regression)."""
    with open(path, newline="") as f:
        rows = list(csv.reader(f))
    header = rows[0]
    columns = [j for j, name in enumerate(header) if name.startswith("p_")] if header[0] == "prediction" \
        else range(len(header))
    return np.array([[float(row[j]) for j in columns] for row in rows[1:]])


def check_model(program, scratch, name, train_args, data, x, rows=None):
    """Trains a model, exports it, and compares the ONNX graph with `nabla predict` on data (whose
    features are x) over the first `rows` samples."""
    model_path, onnx_path, csv_path = (os.path.join(scratch, name + ext) for ext in (".nabla", ".onnx", ".csv"))
    nabla(program, "train", *train_args, "--quiet", "--save", model_path)
    nabla(program, "export", "--model", model_path, "--onnx", onnx_path)
    nabla(program, "predict", "--model", model_path, "--data", data, "--output", csv_path)
    onnx.checker.check_model(onnx_path, full_check=True)
    model = onnx.load(onnx_path)
    expected = predictions(csv_path)[:rows]
    check_structure(model, x.shape[1], expected.shape[1])
    difference = np.abs(evaluate(model, x[:rows]) - expected).max()
    ops = " ".join(node.op_type for node in model.graph.node)
    print(f"{name}: {ops}: max |onnx - nabla predict| = {difference:.2e} over {len(expected)} samples")
    return difference <= TOLERANCE


def fashion_images():
    """The test images as nabla reads fashion-mnist:test (raw 0..255 pixels)."""
    folder = os.environ.get("NABLA_DATASETS", "/usr/share/datasets/fashion-mnist")
    with gzip.open(os.path.join(folder, "t10k-images-idx3-ubyte.gz")) as f:
        data = np.frombuffer(f.read(), dtype=np.uint8, offset=16)
    return data.reshape(-1, 28 * 28).astype(np.float64)


def write_csv(path, header, rows):
    with open(path, "w", newline="") as f:
        csv.writer(f).writerows([header, *rows])


def tabular_data(scratch):
    """Two CSV files of 300 rows: a regression target and a 3-class label, from features on very
    different scales (so that standardisation, folded into the first layer, matters)."""
    rng = np.random.default_rng(7)
    x = rng.normal(size=(300, 3)) * [50.0, 0.01, 1.0] + [1000.0, 0.0, -3.0]
    u = (x - [1000.0, 0.0, -3.0]) / [50.0, 0.01, 1.0]
    target = np.sin(u[:, 0]) + u[:, 1] * u[:, 2]
    label = np.array(["low", "mid", "high"])[np.digitize(u[:, 0] + u[:, 1], [-0.5, 0.5])]
    regression, classes = os.path.join(scratch, "regression.csv"), os.path.join(scratch, "classes.csv")
    write_csv(regression, ["a", "b", "c", "y"], [[*map(repr, row), repr(t)] for row, t in zip(x, target)])
    write_csv(classes, ["a", "b", "c", "kind"], [[*map(repr, row), k] for row, k in zip(x, label)])
    return x, regression, classes


def main(program, scratch):
    shutil.rmtree(scratch, ignore_errors=True)
    os.makedirs(scratch)
    x, regression, classes = tabular_data(scratch)
    quick = ["--epochs", "20", "--batch", "32"]
    ok = [
        check_model(program, scratch, "fashion", ["--data", "fashion-mnist:test", "--hidden", "32", "--epochs", "1"],
                    "fashion-mnist:test", fashion_images(), FASHION_ROWS),
        check_model(program, scratch, "regression_tanh",
                    ["--data", regression, "--task", "regression", "--hidden", "16,8", "--activation", "tanh", *quick],
                    regression, x),
        check_model(program, scratch, "regression_identity",
                    ["--data", regression, "--task", "regression", "--hidden", "4", "--activation", "identity", *quick],
                    regression, x),
        check_model(program, scratch, "classes_sigmoid", ["--data", classes, "--hidden", "8", "--activation", "sigmoid", *quick],
                    classes, x),
        check_model(program, scratch, "classes_leaky_relu_bce",
                    ["--data", classes, "--hidden", "8", "--activation", "leaky_relu", "--loss", "bce", *quick],
                    classes, x),
    ]
    shutil.rmtree(scratch)
    if not all(ok):
        print(f"FAIL: an exported graph differs from nabla predict by more than {TOLERANCE}")
        return 1
    return 0


if __name__ == "__main__":
    if len(sys.argv) != 3:
        sys.exit(__doc__)
    sys.exit(main(sys.argv[1], sys.argv[2]))
