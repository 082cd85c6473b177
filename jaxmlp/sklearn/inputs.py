"""``X`` as scikit-learn's MLP takes it: dense or ``scipy.sparse``, float32 or float64."""

from __future__ import annotations

import numbers

import numpy as np
import scipy.sparse
from sklearn.utils import check_array
from sklearn.utils.validation import validate_data

# float64 X is kept (training runs in X's dtype, as scikit-learn's).
FLOATS = (np.float64, np.float32)
# A scipy.sparse X is densified once, if its dense copy needs at most this many bytes.
DENSE_BYTES = 2**30


def check_X(estimator, X, *, reset: bool, y="no_validation", **kwargs):
    """``X`` (and ``y``) validated by scikit-learn, a sparse ``X`` densified once. ``y`` as
    scikit-learn's ``validate_data`` takes it: ``None`` (from ``fit``) is refused there."""
    if isinstance(y, str) and y == "no_validation":
        X = validate_data(estimator, X, reset=reset, accept_sparse=["csr", "csc"], dtype=FLOATS)
    else:
        X, y = validate_data(
            estimator, X, y, reset=reset, accept_sparse=["csr", "csc"], dtype=FLOATS, **kwargs
        )
    X = densify(X)
    return X if isinstance(y, str) and y == "no_validation" else (X, y)


def densify(X, limit: int | None = None):
    """A ``scipy.sparse`` ``X`` as a dense array if that needs at most ``limit`` bytes
    (``DENSE_BYTES``); a dense one unchanged."""
    if not scipy.sparse.issparse(X):
        return X
    limit = DENSE_BYTES if limit is None else limit
    needed = X.shape[0] * X.shape[1] * X.dtype.itemsize
    if needed > limit:
        raise ValueError(
            f"X is a scipy.sparse matrix of shape {X.shape}: its dense copy would need "
            f"{needed} bytes, more than jaxmlp.sklearn.DENSE_BYTES = {limit}; jaxmlp trains "
            "on dense arrays (raise the budget, or reduce the features)"
        )
    return X.toarray()


def check_sample_weight(sample_weight, X, dtype):
    """``sample_weight`` for the rows of ``X`` as scikit-learn checks it (a number: every row's),
    with its messages: ``(n,)``, finite, ``>= 0``, not all 0, in ``dtype``."""
    n = X.shape[0]
    if isinstance(sample_weight, numbers.Number):
        sample_weight = np.full(n, sample_weight, dtype)
    w = check_array(
        sample_weight, ensure_2d=False, dtype=dtype, order="C", input_name="sample_weight"
    )
    if w.ndim != 1:
        raise ValueError(f"sample_weight must be 1D array or scalar, got shape {w.shape}")
    if w.shape != (n,):
        raise ValueError(f"sample_weight.shape == {w.shape}, expected {(n,)}!")
    if np.any(w < 0):
        raise ValueError("Negative values in data passed to `sample_weight`")
    if not np.any(w):
        raise ValueError("Sample weights must contain at least one non-zero number.")
    return w
