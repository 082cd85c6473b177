"""``X`` as scikit-learn's MLP takes it: dense or ``scipy.sparse``, float32 or float64."""

from __future__ import annotations

import numpy as np
import scipy.sparse
from sklearn.utils.validation import validate_data

# float64 X is kept (training runs in X's dtype, as scikit-learn's).
FLOATS = (np.float64, np.float32)
# A scipy.sparse X is densified once, if its dense copy needs at most this many bytes.
DENSE_BYTES = 2**30


def check_X(estimator, X, *, reset: bool, y=None, **kwargs):
    """``X`` (and ``y``) validated by scikit-learn, a sparse ``X`` densified once."""
    if y is None:
        X = validate_data(estimator, X, reset=reset, accept_sparse=["csr", "csc"], dtype=FLOATS)
    else:
        X, y = validate_data(
            estimator, X, y, reset=reset, accept_sparse=["csr", "csc"], dtype=FLOATS, **kwargs
        )
    X = densify(X)
    return X if y is None else (X, y)


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
