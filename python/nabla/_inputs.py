"""Input checks: every bad input gets a ValueError or TypeError with one line saying what is wrong.

Features become a C-contiguous float32 matrix, the layout nabla computes in; an array that already is
one is passed on as it is, without a copy.
"""

import numbers

import numpy as np
from threadpoolctl import threadpool_limits


def blas_of_nabla():
    """A context in which nabla's library runs: OpenBLAS, which this process shares with NumPy, at one
    thread (nabla splits its products across threads of its own), and NumPy's thread count restored
    afterwards."""
    return threadpool_limits(limits=1, user_api="blas")


def _is_sparse(x):
    return hasattr(x, "tocsr") and hasattr(x, "nnz")


def _is_dataframe(x):
    return hasattr(x, "columns") and hasattr(x, "dtypes") and hasattr(x, "iloc")


def _to_array(x, name):
    """x (array, DataFrame, list, anything with __array__) as a NumPy array, not yet float32."""
    if x is None:
        raise TypeError(f"{name} is None: expected an array of numbers")
    if _is_sparse(x):
        raise TypeError(f"{name} is a sparse matrix: nabla takes dense input (use {name}.toarray())")
    if _is_dataframe(x):
        bad = [str(c) for c, t in zip(x.columns, x.dtypes) if not (np.issubdtype(t, np.number) or t == bool)]
        if bad:
            raise ValueError(f"{name} has columns that are not numbers: {', '.join(bad[:5])}"
                             + (" …" if len(bad) > 5 else "") + " (encode them first, e.g. pandas.get_dummies)")
        return x.to_numpy()
    if isinstance(x, (str, bytes)) or np.isscalar(x):
        raise ValueError(f"{name} is a single value ({x!r}): expected a 2-dimensional array of numbers")
    return np.asarray(x)


def check_features(x, name="X"):
    """Features as a C-contiguous float32 matrix, checked: 2-D, at least one row and one column, finite."""
    a = _to_array(x, name)
    if np.iscomplexobj(a):
        raise ValueError(f"Complex data not supported: {name} holds complex numbers")
    if a.ndim != 2:
        if a.ndim == 1:
            raise ValueError(f"{name} is 1-dimensional (shape {a.shape}), not samples × features: Reshape your data, "
                             f"with {name}.reshape(-1, 1) for a single feature or {name}.reshape(1, -1) for a "
                             "single sample")
        raise ValueError(f"{name} has {a.ndim} dimensions (shape {a.shape}): expected 2, samples × features")
    if a.shape[0] == 0:
        raise ValueError(f"{name} has no samples (shape {a.shape})")
    if a.shape[1] == 0:
        raise ValueError(f"Found array with 0 feature(s) (shape={a.shape}) while a minimum of 1 is required: "
                         f"{name} has no features")
    if a.dtype == np.float32 and a.flags.c_contiguous:
        out = a
    elif a.dtype == object:
        out = np.ascontiguousarray(a.astype(np.float32))  # TypeError from NumPy names the bad value
    else:
        if not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
            raise ValueError(f"{name} holds {a.dtype} values: expected numbers")
        with np.errstate(over="ignore"):  # a value too large for float32 becomes inf, found below
            out = np.ascontiguousarray(a, dtype=np.float32)
        if np.issubdtype(a.dtype, np.floating) and a.dtype.itemsize > 4 and not np.isfinite(out).all():
            big = np.abs(a[np.isfinite(a)]) > np.finfo(np.float32).max
            if big.any():
                raise ValueError(f"{name} holds values too large for float32 (up to {np.abs(a[np.isfinite(a)]).max():g})")
    finite = np.isfinite(out)
    if not finite.all():
        i, j = np.argwhere(~finite)[0]
        what = "NaN" if np.isnan(out[i, j]) else "inf"
        raise ValueError(f"{name} contains {what} (row {i}, column {j}); nabla needs finite values "
                         "(fill in missing values first)")
    return out


def check_targets(y, samples, name="y"):
    """Targets as a NumPy array of 1 or 2 dimensions with one row per sample."""
    a = _to_array(y, name)
    if a.ndim == 0:
        raise ValueError(f"{name} is a single value: expected one target per sample")
    if a.ndim > 2:
        raise ValueError(f"{name} has {a.ndim} dimensions (shape {a.shape}): expected 1 or 2")
    if a.shape[0] != samples:
        raise ValueError(f"X has {samples} samples but {name} has {a.shape[0]}: they must match")
    if np.iscomplexobj(a):
        raise ValueError(f"Complex data not supported: {name} holds complex numbers")
    return a


def check_numeric_targets(a, name="y"):
    """Regression targets as float32, n × outputs, all finite."""
    if a.dtype == object or not (np.issubdtype(a.dtype, np.number) or a.dtype == bool):
        try:
            a = a.astype(np.float64)
        except (TypeError, ValueError):
            raise ValueError(f"{name} holds values that are not numbers ({a.dtype}): a regressor needs numeric targets") from None
    out = np.ascontiguousarray(a.reshape(a.shape[0], -1), dtype=np.float32)
    if out.shape[1] == 0:
        raise ValueError(f"{name} has no columns")
    finite = np.isfinite(out)
    if not finite.all():
        i = int(np.argwhere(~finite)[0][0])
        raise ValueError(f"{name} contains NaN or inf (row {i}); nabla needs finite targets")
    return out


def check_positive_int(value, name, allow_none=False):
    if value is None and allow_none:
        return None
    if isinstance(value, bool) or not isinstance(value, numbers.Integral) or value < 1:
        raise ValueError(f"{name} must be a whole number ≥ 1, got {value!r}")
    return int(value)


def check_number(value, name, low, high, low_open=False):
    if isinstance(value, bool) or not isinstance(value, numbers.Real) or not np.isfinite(value):
        raise ValueError(f"{name} must be a number, got {value!r}")
    if value < low or (low_open and value == low) or value > high:
        interval = ("(" if low_open else "[") + f"{low:g}, {high:g}]"
        raise ValueError(f"{name} must be in {interval}, got {value!r}")
    return float(value)


def check_choice(value, name, choices):
    if not isinstance(value, str) or value not in choices:
        raise ValueError(f"{name} must be one of {', '.join(repr(c) for c in choices)}; got {value!r}")
    return value
